# shellcheck shell=bash
# Shared by examples/bin/terragrunt and examples/bin/hold-lock (sourced, not run).
#
# On-disk layout of the stub's "state backend", the directory $STACKRUN_STUB_STATE
# (format version 1; <key> is the stack id with every "/" replaced by "__"):
#   <key>.tfstate   config hash of the last successful apply (one line, written tmp + mv); an
#                   apply of a saved plan writes the hash the plan was made from
#   <key>.lock      flock(1) target; whoever holds an exclusive flock on it holds the state lock
#   <key>.lockinfo  present while the lock is held: the body of Terraform's "Lock Info:" block
#   lock.log        one line per lock event: "acquire|release <stack-id> <pid> <epoch-ns>"
#   faults/<key>    injected faults, one per line, consumed one per plan/apply (see terragrunt)
#   drift/<key>     out-of-band changes, "ACTION ADDRESS" per line, ACTION create|update|destroy|
#                   replace ("#" comments, blank lines ignored); plan shows them and keeps the
#                   file, apply reverts them and removes it (see terragrunt)
#   gates/<NAME>    created by a test to release a "gate NAME" fault
# Saved plans (plan -out=FILE) live where the caller puts them, not here; their format and the
# staleness check (prior state, drift sha) are in terragrunt's header.

# Terraform (Go) handles SIGINT/SIGTERM even when started with them ignored, as `cmd &` in a
# non-interactive shell does; bash cannot trap a signal ignored on entry, so re-exec once with
# default dispositions. Call first thing, with the script's arguments.
stub_reset_signals() {
  local key mask
  [ -z "${STACKRUN_STUB_SIGNALS_RESET:-}" ] || return 0
  while read -r key mask; do
    if [ "$key" = SigIgn: ] && (((0x$mask & 0x4002) != 0)); then  # bit 1 = SIGINT, bit 14 = SIGTERM
      STACKRUN_STUB_SIGNALS_RESET=1 exec env --default-signal=INT,TERM "$(readlink -f "$0")" "$@"
    fi
  done </proc/$$/status
}

stub_die() {
  echo "$STUB_NAME: $*" >&2
  exit 1
}

# Sets STATE (the backend directory) or exits 1 naming the missing variable.
stub_require_state() {
  STATE=${STACKRUN_STUB_STATE:-}
  [ -n "$STATE" ] || stub_die "STACKRUN_STUB_STATE is not set; export it as the directory that holds the stub's state, locks and faults (e.g. STACKRUN_STUB_STATE=\$(mktemp -d))"
  [ -d "$STATE/faults" ] || mkdir -p "$STATE/faults" || stub_die "cannot create state directory $STATE"
}

# KEY <- the file-name form of stack id $1 ("/" -> "__").
# shellcheck disable=SC2034
stub_key() { KEY=${1//\//__}; }

# Appends one lock event; a single short write, so concurrent appends never interleave.
# The time is EPOCHREALTIME (microseconds) in nanoseconds.
stub_log_lock() { # event stack-id
  local t=${EPOCHREALTIME/[.,]/}
  echo "$1 $2 $$ ${t}000" >>"$STATE/lock.log"
}

# Writes <key>.lockinfo atomically; call only while holding the lock. "Created:" is Go's
# time.Time.String() in UTC, as Terraform prints it (fraction with trailing zeros trimmed).
stub_write_lockinfo() { # key operation who
  local file="$STATE/$1.lockinfo" id now=$EPOCHREALTIME created frac
  read -r id </proc/sys/kernel/random/uuid
  TZ=UTC printf -v created '%(%Y-%m-%d %H:%M:%S)T' "${now%[.,]*}"
  frac=${now#*[.,]}
  frac=${frac%"${frac##*[!0]}"}
  printf 'ID:        %s\nPath:      %s\nOperation: %s\nWho:       %s\nVersion:   1.5.7\nCreated:   %s%s +0000 UTC\nInfo:      \n' \
    "$id" "$STATE/$1.tfstate" "$2" "$3" "$created" "${frac:+.$frac}" >"$file.tmp.$$"
  mv -f "$file.tmp.$$" "$file"
}

# WHO <- the default lock holder name.
# shellcheck disable=SC2034
stub_default_who() { WHO=${STACKRUN_STUB_WHO:-${USER:-${LOGNAME:-ci}}@${HOSTNAME:-localhost}}; }
