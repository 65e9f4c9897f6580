#!/usr/bin/env bash
# Black-box tests of examples/bin/terragrunt (the terragrunt stand-in), examples/bin/hold-lock
# and examples/make-sample-repo.
# Usage: stub_terragrunt_test.sh REPO_ROOT. Prints "N passed, N failed"; exits 1 on any failure,
# keeping its temp dir and printing its path. Every wait is bounded.
set -uo pipefail  # no -e: one failing check must not stop the others

ROOT=$(cd "${1:?usage: stub_terragrunt_test.sh REPO_ROOT}" && pwd)
BIN=$ROOT/examples/bin
TG=$BIN/terragrunt
WORK=$(mktemp -d "${TMPDIR:-/tmp}/stub_terragrunt_test.XXXXXX")
unset STACKRUN_STACK STACKRUN_STUB_WHO STACKRUN_STUB_EXTRA_HASH_FILES STACKRUN_STUB_SIGNALS_RESET
export STACKRUN_STUB_APPLY_SECONDS=0.1 STACKRUN_STUB_PLAN_SECONDS=0  # cases that need time say so
passed=0 failed=0 current=""
bg_pids=()

cleanup() {
  local p
  for p in "${bg_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
}
trap cleanup EXIT

# ── checks ───────────────────────────────────────────────────────────────────────────────
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); printf 'FAIL %s: %s\n' "$current" "$1"; }
expect_eq() { # what got want
  if [ "$2" == "$3" ]; then pass; else fail "$1: got [$2], want [$3]"; fi
}
expect_contains() { # what haystack needle
  if [[ $2 == *"$3"* ]]; then pass; else fail "$1: [$3] not in output:"$'\n'"$2"; fi
}
expect_not_contains() {
  if [[ $2 != *"$3"* ]]; then pass; else fail "$1: [$3] unexpectedly in output"; fi
}
expect_file() { if [ -e "$1" ]; then pass; else fail "expected file $1"; fi; }
expect_no_file() { if [ ! -e "$1" ]; then pass; else fail "unexpected file $1"; fi; }

# ── helpers ──────────────────────────────────────────────────────────────────────────────
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# run DIR CMD...: runs CMD in DIR (30 s limit); sets RC, OUT, ERR and MS (elapsed).
run() {
  local dir=$1 t0
  shift
  t0=$(now_ms)
  (cd "$dir" && timeout 30 "$@") >"$WORK/out" 2>"$WORK/err"
  RC=$?
  MS=$(($(now_ms) - t0))
  OUT=$(<"$WORK/out") ERR=$(<"$WORK/err")
}

# start OUTFILE DIR CMD...: runs CMD in the background; sets PID.
start() {
  local out=$1 dir=$2
  shift 2
  (cd "$dir" && exec "$@") >"$out" 2>&1 &
  PID=$!
  bg_pids+=("$PID")
}

# finish PID SECONDS: waits for PID; sets RC (124 and SIGKILL when it overran).
finish() {
  local i
  for ((i = 0; i < $2 * 20; i++)); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$1" 2>/dev/null; then
    kill -9 "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    RC=124
    return
  fi
  wait "$1"
  RC=$?
}

# wait_for FILE TEXT SECONDS: true once FILE contains TEXT.
wait_for() {
  local i
  for ((i = 0; i < $3 * 20; i++)); do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "timed out after $3 s waiting for [$2] in $1"
  return 1
}

# new_case NAME: a fresh state dir and stack dir "$STACK_DIR" (named grafana, outside git).
new_case() {
  current=$1
  export STACKRUN_STUB_STATE=$WORK/$1/state
  STACK_DIR=$WORK/$1/grafana
  mkdir -p "$STACK_DIR"
  printf 'terraform {\n  source = "../../modules//k8s-app"\n}\n' >"$STACK_DIR/terragrunt.hcl"
  printf 'variable "name" { type = string }\n' >"$STACK_DIR/main.tf"
}

# check_lock_log LOG: no two holders of one stack overlap; every release matches its acquire.
check_lock_log() {
  local problems
  problems=$(awk '
    $1 == "acquire" { if ($2 in holder) print "overlap on " $2 ": pid " $3 " acquired while pid " holder[$2] " held it (line " NR ")";
                      if ($4 < last[$2]) print "acquire before previous release on " $2 " (line " NR ")";
                      holder[$2] = $3 }
    $1 == "release" { if (holder[$2] != $3) print "release by pid " $3 " of " $2 " not held by it (line " NR ")";
                      delete holder[$2]; last[$2] = $4 }
    $1 != "acquire" && $1 != "release" { print "bad line " NR ": " $0 }
  ' "$1")
  expect_eq "lock.log consistency" "$problems" ""
}

# ── cases ────────────────────────────────────────────────────────────────────────────────
t_apply_then_plan() {
  new_case apply_then_plan
  run "$STACK_DIR" "$TG" apply --non-interactive -auto-approve -input=false
  expect_eq "apply exit" "$RC" 0
  expect_contains "apply output" "$OUT" "helm_release.this: Creating..."
  expect_contains "apply output" "$OUT" "Apply complete! Resources: 1 added, 0 changed, 0 destroyed."
  expect_eq "apply stderr" "$ERR" ""
  expect_file "$STACKRUN_STUB_STATE/grafana.tfstate"
  expect_no_file "$STACKRUN_STUB_STATE/grafana.lockinfo"

  run "$STACK_DIR" "$TG" plan -detailed-exitcode -input=false -lock-timeout=5m
  expect_eq "plan after apply exit" "$RC" 0
  expect_contains "plan output" "$OUT" "No changes. Your infrastructure matches the configuration."

  run "$STACK_DIR" "$TG" apply -auto-approve
  expect_eq "second apply exit" "$RC" 0
  expect_contains "no-op apply" "$OUT" "Apply complete! Resources: 0 added, 0 changed, 0 destroyed."

  echo "# notes" >"$STACK_DIR/README.md"
  run "$STACK_DIR" "$TG" plan -detailed-exitcode
  expect_eq "plan after non-config change" "$RC" 0
  expect_eq "lock.log lines" "$(wc -l <"$STACKRUN_STUB_STATE/lock.log")" 8
  check_lock_log "$STACKRUN_STUB_STATE/lock.log"
}

t_config_change() {
  new_case config_change
  run "$STACK_DIR" "$TG" plan -detailed-exitcode -input=false
  expect_eq "never-applied plan exit" "$RC" 2
  expect_contains "never-applied plan" "$OUT" "Plan: 1 to add, 0 to change, 0 to destroy."
  run "$STACK_DIR" "$TG" plan -input=false
  expect_eq "never-applied plan without -detailed-exitcode" "$RC" 0
  expect_no_file "$STACKRUN_STUB_STATE/grafana.tfstate"

  run "$STACK_DIR" "$TG" apply -auto-approve
  expect_eq "apply exit" "$RC" 0
  echo 'variable "extra" { default = 1 }' >>"$STACK_DIR/main.tf"
  run "$STACK_DIR" "$TG" plan -detailed-exitcode
  expect_eq "plan after .tf change" "$RC" 2
  expect_contains "plan after .tf change" "$OUT" "Plan: 1 to add, 0 to change, 0 to destroy."
  run "$STACK_DIR" "$TG" apply -auto-approve
  run "$STACK_DIR" "$TG" plan -detailed-exitcode
  expect_eq "plan after re-apply" "$RC" 0

  echo 'replicas = 2' >"$STACK_DIR/prod.tfvars"
  run "$STACK_DIR" "$TG" plan -detailed-exitcode
  expect_eq "plan after new .tfvars" "$RC" 2
  run "$STACK_DIR" "$TG" apply -auto-approve

  echo 'a' >"$WORK/config_change/module.tf"
  export STACKRUN_STUB_EXTRA_HASH_FILES=$WORK/config_change/module.tf
  run "$STACK_DIR" "$TG" plan -detailed-exitcode
  expect_eq "plan after adding an extra hash file" "$RC" 2
  run "$STACK_DIR" "$TG" apply -auto-approve
  echo 'b' >"$WORK/config_change/module.tf"
  run "$STACK_DIR" "$TG" plan -detailed-exitcode
  expect_eq "plan after extra hash file change" "$RC" 2
  unset STACKRUN_STUB_EXTRA_HASH_FILES
}

t_stack_id() {
  new_case stack_id
  STACKRUN_STACK=apps/grafana run "$STACK_DIR" "$TG" apply -auto-approve
  expect_eq "apply exit" "$RC" 0
  expect_file "$STACKRUN_STUB_STATE/apps__grafana.tfstate"
  expect_eq "lock.log names the stack id" "$(cut -d' ' -f1,2 "$STACKRUN_STUB_STATE/lock.log" | tr '\n' ,)" \
    "acquire apps/grafana,release apps/grafana,"
}

t_concurrent_applies_serialise() {
  new_case concurrent
  local t0 rc1 rc2 p1 p2
  t0=$(now_ms)
  STACKRUN_STUB_APPLY_SECONDS=0.6 start "$WORK/concurrent/a1" "$STACK_DIR" "$TG" apply -auto-approve -lock-timeout=10s
  p1=$PID
  STACKRUN_STUB_APPLY_SECONDS=0.6 start "$WORK/concurrent/a2" "$STACK_DIR" "$TG" apply -auto-approve -lock-timeout=10s
  p2=$PID
  STACKRUN_STUB_PLAN_SECONDS=0.3 start "$WORK/concurrent/p" "$STACK_DIR" "$TG" plan -lock-timeout=10s
  finish "$p1" 20; rc1=$RC
  finish "$p2" 20; rc2=$RC
  finish "$PID" 20
  expect_eq "exits (apply, apply, plan)" "$rc1 $rc2 $RC" "0 0 0"
  expect_eq "lock.log lines" "$(wc -l <"$STACKRUN_STUB_STATE/lock.log")" 6
  check_lock_log "$STACKRUN_STUB_STATE/lock.log"
  if [ $(($(now_ms) - t0)) -ge 1500 ]; then pass; else fail "three locked runs took under 1.5 s"; fi
}

t_hold_lock() {
  new_case hold_lock
  local holder expected
  start "$WORK/hold_lock/holder" "$WORK" "$BIN/hold-lock" grafana 20 bob@desk
  holder=$PID
  wait_for "$WORK/hold_lock/holder" "holding grafana as bob@desk" 10 || return

  run "$STACK_DIR" "$TG" apply --non-interactive -auto-approve -lock-timeout=1s
  expect_eq "apply exit while held" "$RC" 1
  expect_eq "apply stdout while held" "$OUT" "Acquiring state lock. This may take a few moments..."
  if [ "$MS" -ge 1000 ] && [ "$MS" -lt 10000 ]; then pass; else fail "apply waited $MS ms, want about 1 s"; fi
  expected="╷
│ Error: Error acquiring the state lock
│ 
│ Error message: resource temporarily unavailable
│ Lock Info:
$(sed 's/^/│   /' "$STACKRUN_STUB_STATE/grafana.lockinfo")
│ 
│ 
│ Terraform acquires a state lock to protect the state from being written
│ by multiple users at the same time. Please resolve the issue above and try
│ again. For most commands, you can disable locking with the \"-lock=false\"
│ flag, but this is not recommended.
╵"
  expect_eq "verbatim lock error" "$ERR" "$expected"
  expect_contains "lock info" "$ERR" "│   Who:       bob@desk"
  expect_contains "lock info" "$ERR" "│   Operation: OperationTypeApply"
  expect_contains "lock info" "$ERR" "│   Path:      $STACKRUN_STUB_STATE/grafana.tfstate"
  expect_contains "lock info" "$ERR" "│   Version:   1.5.7"
  if grep -qE '^ID:        [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "$STACKRUN_STUB_STATE/grafana.lockinfo" &&
    grep -qE '^Created:   [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})? \+0000 UTC$' "$STACKRUN_STUB_STATE/grafana.lockinfo"; then
    pass
  else
    fail "lockinfo ID/Created format: $(cat "$STACKRUN_STUB_STATE/grafana.lockinfo")"
  fi
  expect_no_file "$STACKRUN_STUB_STATE/grafana.tfstate"

  run "$STACK_DIR" "$TG" plan -detailed-exitcode
  expect_eq "plan without -lock-timeout exit" "$RC" 1
  expect_contains "plan lock error" "$ERR" "Error acquiring the state lock"
  expect_eq "no wait (message) without -lock-timeout" "$OUT" ""

  kill -TERM "$holder"
  finish "$holder" 10
  expect_eq "hold-lock exit on SIGTERM" "$RC" 0
  expect_no_file "$STACKRUN_STUB_STATE/grafana.lockinfo"
  expect_eq "last lock.log line" "$(tail -n 1 "$STACKRUN_STUB_STATE/lock.log" | cut -d' ' -f1-3)" "release grafana $holder"
  run "$STACK_DIR" "$TG" apply -auto-approve -lock-timeout=0s
  expect_eq "apply after the holder left" "$RC" 0

  # A lock timeout that covers the holder's time waits and succeeds.
  start "$WORK/hold_lock/holder2" "$WORK" "$BIN/hold-lock" grafana 1
  wait_for "$WORK/hold_lock/holder2" "holding grafana as alice@laptop" 10 || return
  holder=$PID
  echo 'x = 1' >>"$STACK_DIR/main.tf"
  run "$STACK_DIR" "$TG" apply -auto-approve -lock-timeout=5s
  expect_eq "apply waiting out a 1 s holder" "$RC" 0
  finish "$holder" 10
  expect_eq "hold-lock exit after its time" "$RC" 0
  check_lock_log "$STACKRUN_STUB_STATE/lock.log"
}

t_faults() {
  new_case faults
  local f=$STACKRUN_STUB_STATE/faults/grafana
  mkdir -p "$STACKRUN_STUB_STATE/faults"
  printf 'transient\nfatal\nvault503\nlockfile\nsleep 0.5\nok\n' >"$f"

  run "$STACK_DIR" "$TG" apply -auto-approve
  expect_eq "transient exit" "$RC" 1
  expect_contains "transient" "$ERR" "│ Error: Failed to install provider"
  expect_contains "transient" "$ERR" "Client.Timeout exceeded while awaiting headers"
  expect_eq "faults left after 1 run" "$(wc -l <"$f")" 5

  run "$STACK_DIR" "$TG" apply -auto-approve
  expect_eq "fatal exit" "$RC" 1
  expect_contains "fatal" "$ERR" "│ Error: Missing required argument"
  expect_contains "fatal" "$ERR" "│   on terragrunt.hcl line 3"

  run "$STACK_DIR" "$TG" plan -detailed-exitcode
  expect_eq "vault503 exit (plan consumes faults too)" "$RC" 1
  expect_contains "vault503" "$ERR" "│ Error: error reading from Vault: Error making API request."
  expect_contains "vault503" "$ERR" "│ Code: 503. Errors:"

  run "$STACK_DIR" "$TG" apply -auto-approve
  expect_eq "lockfile exit" "$RC" 1
  expect_contains "lockfile" "$ERR" "│ Error: Inconsistent dependency lock file"
  expect_no_file "$STACKRUN_STUB_STATE/grafana.tfstate"

  run "$STACK_DIR" "$TG" apply -auto-approve
  expect_eq "sleep fault exit" "$RC" 0
  if [ "$MS" -ge 500 ]; then pass; else fail "sleep 0.5 fault: apply took only $MS ms"; fi
  expect_contains "sleep fault" "$OUT" "Apply complete!"

  run "$STACK_DIR" "$TG" plan -detailed-exitcode
  expect_eq "ok fault exit" "$RC" 0
  expect_eq "faults file drained" "$(wc -c <"$f")" 0
  run "$STACK_DIR" "$TG" plan -detailed-exitcode
  expect_eq "no fault left" "$RC" 0

  echo bogus >"$f"
  run "$STACK_DIR" "$TG" plan
  expect_eq "unknown fault exit" "$RC" 1
  expect_contains "unknown fault" "$ERR" "unknown fault \"bogus\""
  expect_eq "lock.log lines" "$(wc -l <"$STACKRUN_STUB_STATE/lock.log")" 16
  check_lock_log "$STACKRUN_STUB_STATE/lock.log"
}

t_drift() {
  new_case drift
  local d=$STACKRUN_STUB_STATE/drift/grafana a
  run "$STACK_DIR" "$TG" apply -auto-approve
  expect_eq "apply exit" "$RC" 0
  mkdir -p "$STACKRUN_STUB_STATE/drift"
  printf '# changed by hand on the cluster\nupdate helm_release.this\n\ndestroy kubernetes_config_map.extra\n' >"$d"
  printf '  # keep going\nreplace module.db.kubernetes_secret.creds["app"]\ncreate kubernetes_namespace.this\n' >>"$d"
  cp "$d" "$WORK/drift/drift.orig"

  run "$STACK_DIR" "$TG" plan -detailed-exitcode -input=false
  expect_eq "drift plan exit" "$RC" 2
  expect_eq "drift plan stderr" "$ERR" ""
  expect_contains "drift note" "$OUT" "Note: Objects have changed outside of Terraform

Terraform detected the following changes made outside of Terraform since the
last \"terraform apply\" which may have affected this plan:"
  expect_contains "drift note" "$OUT" "Unless you have made equivalent changes to your configuration, or ignored the"
  expect_contains "drift plan" "$OUT" "Plan: 2 to add, 1 to change, 2 to destroy."
  expect_not_contains "drift plan" "$OUT" "No changes."
  for a in '  # helm_release.this will be updated in-place
  ~ resource "helm_release" "this" {' \
    '  # kubernetes_config_map.extra will be destroyed
  - resource "kubernetes_config_map" "extra" {' \
    '  # module.db.kubernetes_secret.creds["app"] must be replaced
-/+ resource "kubernetes_secret" "creds" {' \
    '  # kubernetes_namespace.this will be created
  + resource "kubernetes_namespace" "this" {' \
    '  # kubernetes_namespace.this has been deleted' '  # helm_release.this has changed'; do
    expect_contains "drift plan" "$OUT" "$a"
  done
  expect_eq "drift plan lists 4 actions" "$(grep -cE '^  # .* (will be|must be) ' <<<"$OUT")" 4
  expect_contains "drift symbols" "$OUT" "  + create
  ~ update in-place
  - destroy
-/+ destroy and then create replacement"

  run "$STACK_DIR" "$TG" plan -input=false
  expect_eq "drift plan without -detailed-exitcode" "$RC" 0
  expect_contains "second drift plan (file not consumed)" "$OUT" "Plan: 2 to add, 1 to change, 2 to destroy."
  if cmp -s "$d" "$WORK/drift/drift.orig"; then pass; else fail "plan changed the drift file"; fi

  # Only an update: one change.
  printf 'update helm_release.this\n' >"$d"
  run "$STACK_DIR" "$TG" plan -detailed-exitcode
  expect_eq "one-update drift exit" "$RC" 2
  expect_contains "one-update drift" "$OUT" "Plan: 0 to add, 1 to change, 0 to destroy."
  cp "$WORK/drift/drift.orig" "$d"

  run "$STACK_DIR" "$TG" apply -auto-approve -input=false
  expect_eq "apply of drift exit" "$RC" 0
  expect_contains "apply of drift" "$OUT" "helm_release.this: Modifications complete after 0s [id=grafana]"
  expect_contains "apply of drift" "$OUT" "kubernetes_config_map.extra: Destruction complete after 0s"
  expect_contains "apply of drift" "$OUT" "Apply complete! Resources: 2 added, 1 changed, 2 destroyed."
  expect_no_file "$d"
  expect_no_file "$STACKRUN_STUB_STATE/grafana.lockinfo"
  run "$STACK_DIR" "$TG" plan -detailed-exitcode
  expect_eq "plan after reverting apply" "$RC" 0
  expect_contains "plan after reverting apply" "$OUT" "No changes. Your infrastructure matches the configuration."

  # Drift plus a config change: both sets of actions.
  printf 'destroy kubernetes_config_map.extra\n' >"$d"
  echo 'variable "extra" { default = 1 }' >>"$STACK_DIR/main.tf"
  run "$STACK_DIR" "$TG" plan -detailed-exitcode
  expect_eq "drift + config change exit" "$RC" 2
  expect_contains "drift + config change" "$OUT" "  # helm_release.this will be created"
  expect_contains "drift + config change" "$OUT" "Plan: 1 to add, 0 to change, 1 to destroy."
  run "$STACK_DIR" "$TG" apply -auto-approve
  expect_contains "apply of drift + config change" "$OUT" "Apply complete! Resources: 1 added, 0 changed, 1 destroyed."
  expect_no_file "$d"
  run "$STACK_DIR" "$TG" plan -detailed-exitcode
  expect_eq "plan after that apply" "$RC" 0
  check_lock_log "$STACKRUN_STUB_STATE/lock.log"
}

t_drift_bad_line() {
  new_case drift_bad_line
  local d=$STACKRUN_STUB_STATE/drift/grafana
  run "$STACK_DIR" "$TG" apply -auto-approve
  mkdir -p "$STACKRUN_STUB_STATE/drift"
  printf '# ok\nupdate helm_release.this\n\nmodify helm_release.this\n' >"$d"
  run "$STACK_DIR" "$TG" plan -detailed-exitcode
  expect_eq "unknown action exit" "$RC" 1
  expect_contains "unknown action" "$ERR" "$d:4: invalid drift line \"modify helm_release.this\""
  printf 'update helm_release.this extra\n' >"$d"
  run "$STACK_DIR" "$TG" apply -auto-approve
  expect_eq "two addresses exit" "$RC" 1
  expect_contains "two addresses" "$ERR" "$d:1: invalid drift line"
  printf 'destroy\n' >"$d"
  run "$STACK_DIR" "$TG" plan
  expect_eq "missing address exit" "$RC" 1
  expect_contains "missing address" "$ERR" "$d:1: invalid drift line"
  expect_file "$d"
  expect_no_file "$STACKRUN_STUB_STATE/grafana.lockinfo"
  check_lock_log "$STACKRUN_STUB_STATE/lock.log"
}

t_pgcreds() {
  new_case pgcreds
  local f=$STACKRUN_STUB_STATE/faults/grafana
  mkdir -p "$STACKRUN_STUB_STATE/faults"
  printf 'pgcreds\n' >"$f"
  run "$STACK_DIR" "$TG" plan -detailed-exitcode
  expect_eq "pgcreds exit" "$RC" 1
  expect_eq "pgcreds first stderr line" "$(head -n 1 "$WORK/err")" \
    "ERROR: Cannot read PG credentials from Vault. Vault output follows:"
  expect_contains "pgcreds" "$ERR" "URL: GET https://vault-active.vault.svc.cluster.local:8200/v1/database/static-creds/pg-terraform-state
Code: 403. Errors:

* permission denied

Hint: humans run 'vault login -method=oidc'; CI auths via K8s SA (role=ci)."
  expect_eq "pgcreds stdout" "$OUT" ""
  expect_eq "pgcreds consumed" "$(wc -c <"$f")" 0
  run "$STACK_DIR" "$TG" plan -detailed-exitcode
  expect_eq "plan after pgcreds consumed" "$RC" 2
  echo bogus >"$f"
  run "$STACK_DIR" "$TG" plan
  expect_contains "unknown fault lists pgcreds" "$ERR" "lockfile, pgcreds, sleep N"
}

t_interrupt() {
  new_case interrupt
  # Started with `&` from this non-interactive shell, so SIGINT arrives ignored: the stub must
  # re-enable it, as terraform does.
  STACKRUN_STUB_APPLY_SECONDS=10 start "$WORK/interrupt/apply" "$STACK_DIR" "$TG" apply -auto-approve
  wait_for "$WORK/interrupt/apply" "helm_release.this: Creating..." 10 || return
  kill -INT "$PID"
  finish "$PID" 10
  local out
  out=$(<"$WORK/interrupt/apply")
  expect_eq "interrupted apply exit" "$RC" 1
  expect_contains "interrupt" "$out" "Interrupt received.
Please wait for Terraform to exit or data loss may occur.
Gracefully shutting down..."
  expect_contains "interrupt" "$out" "│ Error: execution halted"
  expect_not_contains "interrupt" "$out" "Apply complete!"
  expect_no_file "$STACKRUN_STUB_STATE/grafana.tfstate"
  expect_no_file "$STACKRUN_STUB_STATE/grafana.lockinfo"
  expect_eq "last lock.log line" "$(tail -n 1 "$STACKRUN_STUB_STATE/lock.log" | cut -d' ' -f1-3)" "release grafana $PID"
  run "$STACK_DIR" "$TG" apply -auto-approve -lock-timeout=0s
  expect_eq "apply after interrupt" "$RC" 0

  # SIGTERM while waiting for the lock: leaves at once, never having held it.
  start "$WORK/interrupt/holder" "$WORK" "$BIN/hold-lock" grafana 20
  local holder=$PID
  wait_for "$WORK/interrupt/holder" "holding" 10 || return
  start "$WORK/interrupt/waiter" "$STACK_DIR" "$TG" apply -auto-approve -lock-timeout=30s
  wait_for "$WORK/interrupt/waiter" "Acquiring state lock. This may take a few moments..." 10 || return
  kill -TERM "$PID"
  finish "$PID" 10
  expect_eq "apply terminated while waiting for the lock" "$RC" 1
  expect_eq "waiter never acquired" "$(grep -c "^acquire grafana $PID " "$STACKRUN_STUB_STATE/lock.log")" 0
  kill -INT "$holder"
  finish "$holder" 10
  expect_eq "hold-lock exit on SIGINT" "$RC" 0
  check_lock_log "$STACKRUN_STUB_STATE/lock.log"
}

t_usage_errors() {
  new_case usage
  (unset STACKRUN_STUB_STATE; cd "$STACK_DIR" && timeout 10 "$TG" plan) >"$WORK/out" 2>"$WORK/err"
  expect_eq "exit without STACKRUN_STUB_STATE" "$?" 1
  expect_contains "missing state" "$(<"$WORK/err")" "STACKRUN_STUB_STATE is not set"
  run "$STACK_DIR" "$TG" --version
  expect_eq "--version exit" "$RC" 0
  expect_contains "--version" "$OUT" "terragrunt version v"
  run "$STACK_DIR" "$TG" init -input=false
  expect_eq "init exit" "$RC" 0
  run "$STACK_DIR" "$TG" validate
  expect_eq "validate exit" "$RC" 0
  run "$STACK_DIR" "$TG" apply -lock-timeout=soon
  expect_eq "bad -lock-timeout exit" "$RC" 1
  expect_contains "bad -lock-timeout" "$ERR" "invalid value \"soon\" for flag -lock-timeout"
  run "$STACK_DIR" "$TG" destroy
  expect_eq "unsupported command exit" "$RC" 1
  run "$WORK" "$BIN/hold-lock" grafana
  expect_eq "hold-lock usage exit" "$RC" 1
}

t_sample_repo() {
  current=sample_repo
  export STACKRUN_STUB_STATE=$WORK/sample_repo/state
  local repo=$WORK/sample_repo/repo
  run "$WORK" "$ROOT/examples/make-sample-repo" "$repo"
  expect_eq "make-sample-repo exit" "$RC" 0
  expect_eq "make-sample-repo prints the path" "$OUT" "$repo"
  local stacks
  stacks=$(cd "$repo/stacks" && printf '%s\n' */terragrunt.hcl | cut -d/ -f1 | LC_ALL=C sort | tr '\n' ' ')
  expect_eq "stacks" "$stacks" "authentik cnpg dbaas external-secrets grafana immich infra monitoring nextcloud paperless vault "
  expect_file "$repo/stacks/terragrunt.hcl"
  expect_file "$repo/modules/k8s-app/main.tf"
  expect_file "$repo/README.md"
  if cmp -s "$repo/.stackrun/apply.yml" "$ROOT/examples/apply.yml" && cmp -s "$repo/.stackrun/drift.yml" "$ROOT/examples/drift.yml"; then
    pass
  else
    fail ".stackrun/*.yml differ from examples/*.yml"
  fi
  expect_eq "branch" "$(git -C "$repo" symbolic-ref --short HEAD)" master
  expect_eq "commits" "$(git -C "$repo" rev-list --count HEAD)" 1
  expect_eq "clean tree" "$(git -C "$repo" status --porcelain)" ""
  expect_eq "author" "$(git -C "$repo" log -1 --format='%an <%ae> %aI')" "sample <sample@example.invalid> 2026-06-28T12:00:00+00:00"
  # The stub's fault texts point at real lines of the sample repo.
  expect_eq "terragrunt.hcl line 3" "$(sed -n 3p "$repo/stacks/grafana/terragrunt.hcl")" "terraform {"
  expect_eq "main.tf line 27" "$(sed -n 27p "$repo/modules/k8s-app/main.tf")" 'data "vault_kv_secret_v2" "app" {'

  # Same content twice gives the same commit; a non-empty DIR is refused and left alone.
  run "$WORK" "$ROOT/examples/make-sample-repo" "$WORK/sample_repo/repo2"
  expect_eq "deterministic commit" "$(git -C "$WORK/sample_repo/repo2" rev-parse HEAD)" "$(git -C "$repo" rev-parse HEAD)"
  run "$WORK" "$ROOT/examples/make-sample-repo" "$repo"
  expect_eq "non-empty DIR exit" "$RC" 1
  expect_contains "non-empty DIR" "$ERR" "is not empty"
  expect_eq "refused repo untouched" "$(git -C "$repo" status --porcelain)" ""

  # Stack id from the cwd relative to the git toplevel; the stub leaves the tree clean.
  run "$repo/stacks/grafana" "$TG" apply --non-interactive -auto-approve
  expect_eq "apply in sample repo" "$RC" 0
  expect_file "$STACKRUN_STUB_STATE/stacks__grafana.tfstate"
  expect_eq "clean tree after apply" "$(git -C "$repo" status --porcelain)" ""
}

# plan_line FILE TAG: the value of FILE's "TAG VALUE" line.
plan_line() { sed -n "s/^$2 //p" "$1"; }

# json_ok TEXT: TEXT is one valid JSON document (checked with python3 when installed).
json_ok() {
  if ! command -v python3 >/dev/null; then
    if [[ $1 == "{"*"}" ]]; then pass; else fail "not a JSON object: $1"; fi
  elif python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$1" 2>"$WORK/json_err"; then
    pass
  else
    fail "invalid JSON ($(<"$WORK/json_err")): $1"
  fi
}

STALE_ERR='╷
│ Error: Saved plan is stale
│ 
│ The given plan file can no longer be applied because the state was changed
│ by another operation after the plan was created.
╵'

t_saved_plan_out() {
  new_case saved_plan_out
  local p=$STACK_DIR/tfplan
  run "$STACK_DIR" "$TG" plan -out=tfplan -detailed-exitcode -lock-timeout=5s --non-interactive -input=false
  expect_eq "plan -out exit with changes" "$RC" 2
  expect_eq "plan -out stderr" "$ERR" ""
  expect_contains "plan -out" "$OUT" "Plan: 1 to add, 0 to change, 0 to destroy.

─────────────────────────────────────────────────────────────────────────────

Saved the plan to: tfplan

To perform exactly these actions, run the following command to apply:
    terraform apply \"tfplan\""
  expect_not_contains "plan -out" "$OUT" "You didn't use the -out option"
  expect_file "$p"
  expect_eq "plan file header" "$(head -n 1 "$p")" "stackrun-stub-plan 1"
  expect_eq "plan file key" "$(plan_line "$p" key)" grafana
  expect_eq "plan file prior" "$(plan_line "$p" prior)" none
  expect_eq "plan file drift" "$(plan_line "$p" drift)" none
  expect_eq "plan file actions" "$(plan_line "$p" action)" "create helm_release.this"
  if [[ $(plan_line "$p" config) =~ ^[0-9a-f]{64}$ ]]; then pass; else fail "plan file config: $(cat "$p")"; fi
  expect_eq "no temp file left" "$(find "$STACK_DIR" -name 'tfplan.tmp.*' | wc -l)" 0
  expect_no_file "$STACKRUN_STUB_STATE/grafana.tfstate"

  # -out FILE and --out, without -detailed-exitcode.
  run "$STACK_DIR" "$TG" plan -out p2 -input=false
  expect_eq "plan -out FILE exit" "$RC" 0
  expect_contains "plan -out FILE" "$OUT" "Saved the plan to: p2"
  expect_file "$STACK_DIR/p2"
  run "$STACK_DIR" "$TG" plan --out "$WORK/saved_plan_out/p3" --detailed-exitcode -lock-timeout 5s
  expect_eq "plan --out exit" "$RC" 2
  expect_contains "plan --out absolute" "$OUT" "terraform apply \"$WORK/saved_plan_out/p3\""
  expect_file "$WORK/saved_plan_out/p3"
  expect_eq "same plan, same config" "$(plan_line "$WORK/saved_plan_out/p3" config)" "$(plan_line "$p" config)"

  # No changes: Terraform still writes the plan, silently.
  run "$STACK_DIR" "$TG" apply -auto-approve
  expect_eq "apply exit" "$RC" 0
  run "$STACK_DIR" "$TG" plan -out=none.tfplan -detailed-exitcode
  expect_eq "no-changes plan -out exit" "$RC" 0
  expect_contains "no-changes plan -out" "$OUT" "No changes. Your infrastructure matches the configuration."
  expect_not_contains "no-changes plan -out" "$OUT" "Saved the plan to"
  expect_file "$STACK_DIR/none.tfplan"
  expect_eq "no-changes plan: prior is the state" "$(plan_line "$STACK_DIR/none.tfplan" prior)" "$(<"$STACKRUN_STUB_STATE/grafana.tfstate")"
  expect_eq "no-changes plan: no actions" "$(grep -c '^action ' "$STACK_DIR/none.tfplan")" 0
  cp "$STACKRUN_STUB_STATE/grafana.tfstate" "$WORK/saved_plan_out/state.before"
  run "$STACK_DIR" "$TG" apply none.tfplan
  expect_eq "apply of an empty plan exit" "$RC" 0
  expect_eq "apply of an empty plan" "$OUT" "
Apply complete! Resources: 0 added, 0 changed, 0 destroyed."
  if cmp -s "$STACKRUN_STUB_STATE/grafana.tfstate" "$WORK/saved_plan_out/state.before"; then pass; else fail "empty plan changed the state"; fi

  # Unwritable plan path; -out without a value; -out on apply.
  run "$STACK_DIR" "$TG" plan -out=missing/dir/tfplan
  expect_eq "plan -out to a missing directory exit" "$RC" 1
  expect_contains "plan -out to a missing directory" "$ERR" "│ Error: Failed to write plan file
│ 
│ The plan file could not be written: open missing/dir/tfplan: no such file or
│ directory."
  expect_eq "no stray temp file" "$(find "$STACK_DIR" -name '*.tmp.*' | wc -l)" 0
  run "$STACK_DIR" "$TG" plan -out
  expect_eq "-out without value exit" "$RC" 1
  expect_contains "-out without value" "$ERR" "flag needs an argument: -out"
  run "$STACK_DIR" "$TG" apply -out=x
  expect_eq "apply -out exit" "$RC" 1
  expect_no_file "$STACKRUN_STUB_STATE/grafana.lockinfo"
  check_lock_log "$STACKRUN_STUB_STATE/lock.log"
}

t_saved_plan_show() {
  new_case saved_plan_show
  local d=$STACKRUN_STUB_STATE/drift/grafana f=$STACKRUN_STUB_STATE/faults/grafana json log_lines a
  run "$STACK_DIR" "$TG" show -json tfplan
  expect_eq "show -json of a missing plan exit" "$RC" 1
  run "$STACK_DIR" "$TG" apply -auto-approve
  mkdir -p "$STACKRUN_STUB_STATE/drift"
  printf 'destroy kubernetes_config_map.extra\nreplace module.db.kubernetes_secret.creds["app"]\nupdate helm_release.this\n' >"$d"
  run "$STACK_DIR" "$TG" plan -out=tfplan -input=false
  expect_eq "drift plan -out exit" "$RC" 0
  expect_eq "plan file actions" "$(plan_line "$STACK_DIR/tfplan" action | tr '\n' ,)" \
    'update helm_release.this,destroy kubernetes_config_map.extra,replace module.db.kubernetes_secret.creds["app"],'
  expect_eq "plan file drift" "$(plan_line "$STACK_DIR/tfplan" drift)" "$(sha256sum <"$d" | cut -d' ' -f1)"
  expect_file "$d"

  # show takes no lock and consumes no fault.
  log_lines=$(wc -l <"$STACKRUN_STUB_STATE/lock.log")
  printf 'fatal\n' >"$f"
  run "$STACK_DIR" "$TG" show -json tfplan
  expect_eq "show -json exit" "$RC" 0
  expect_eq "show -json stderr" "$ERR" ""
  json=$OUT
  expect_eq "show -json prints one line" "$(wc -l <"$WORK/out")" 1
  json_ok "$json"
  expect_contains "show -json" "$json" '{"format_version":"1.2","terraform_version":"1.5.7",'
  for a in '{"address":"kubernetes_config_map.extra","mode":"managed","type":"kubernetes_config_map","name":"extra","provider_name":"registry.terraform.io/hashicorp/kubernetes","change":{"actions":["delete"],' \
    '{"address":"module.db.kubernetes_secret.creds[\"app\"]","module_address":"module.db","mode":"managed","type":"kubernetes_secret","name":"creds","index":"app",' \
    '"change":{"actions":["delete","create"],' \
    '{"address":"helm_release.this","mode":"managed","type":"helm_release","name":"this","provider_name":"registry.terraform.io/hashicorp/helm","change":{"actions":["update"],' \
    '{"address":"kubernetes_namespace.this","mode":"managed","type":"kubernetes_namespace","name":"this","provider_name":"registry.terraform.io/hashicorp/kubernetes","change":{"actions":["no-op"],'; do
    expect_contains "show -json resource change" "$json" "$a"
  done
  if command -v python3 >/dev/null; then
    expect_eq "resource_changes (python3)" "$(python3 -c '
import json, sys
for c in json.load(sys.stdin)["resource_changes"]:
    print(c["address"], "+".join(c["change"]["actions"]))' <<<"$json")" \
      'helm_release.this update
kubernetes_config_map.extra delete
kubernetes_namespace.this no-op
module.db.kubernetes_secret.creds["app"] delete+create'
  fi
  expect_eq "show took no lock" "$(wc -l <"$STACKRUN_STUB_STATE/lock.log")" "$log_lines"
  expect_eq "show consumed no fault" "$(cat "$f")" fatal
  : >"$f"

  run "$STACK_DIR" "$TG" show tfplan
  expect_eq "show exit" "$RC" 0
  expect_contains "show" "$OUT" "Note: Objects have changed outside of Terraform"
  expect_contains "show" "$OUT" '  # module.db.kubernetes_secret.creds["app"] must be replaced'
  expect_contains "show" "$OUT" "Plan: 1 to add, 1 to change, 2 to destroy."
  expect_not_contains "show" "$OUT" "Refreshing state..."
  expect_not_contains "show" "$OUT" "Saved the plan"

  # Before the first apply: no state, so no no-op entry and no drift.
  new_case saved_plan_show_fresh
  run "$STACK_DIR" "$TG" plan -out=tfplan
  run "$STACK_DIR" "$TG" show -json tfplan
  expect_eq "fresh show -json exit" "$RC" 0
  json_ok "$OUT"
  expect_contains "fresh show -json" "$OUT" '"resource_changes":[{"address":"helm_release.this","mode":"managed","type":"helm_release","name":"this","provider_name":"registry.terraform.io/hashicorp/helm","change":{"actions":["create"],'
  expect_not_contains "fresh show -json" "$OUT" "no-op"
  expect_not_contains "fresh show -json" "$OUT" "resource_drift"
}

t_saved_plan_apply() {
  new_case saved_plan_apply
  local d=$STACKRUN_STUB_STATE/drift/grafana planned
  run "$STACK_DIR" "$TG" apply -auto-approve
  mkdir -p "$STACKRUN_STUB_STATE/drift"
  printf 'destroy kubernetes_config_map.extra\n' >"$d"
  echo 'variable "extra" { default = 1 }' >>"$STACK_DIR/main.tf"
  run "$STACK_DIR" "$TG" plan -out=tfplan -detailed-exitcode
  expect_eq "plan -out exit" "$RC" 2
  planned=$(plan_line "$STACK_DIR/tfplan" config)
  # The config changes again after the plan: apply must still apply the plan's.
  echo 'variable "later" { default = 2 }' >>"$STACK_DIR/main.tf"
  run "$STACK_DIR" "$TG" apply -auto-approve -input=false -lock-timeout=5s tfplan
  expect_eq "apply FILE exit" "$RC" 0
  expect_eq "apply FILE stderr" "$ERR" ""
  expect_eq "apply FILE output" "$OUT" "kubernetes_config_map.extra: Destroying... [id=extra]
helm_release.this: Creating...
kubernetes_config_map.extra: Destruction complete after 0s
helm_release.this: Creation complete after 0s [id=grafana]

Apply complete! Resources: 1 added, 0 changed, 1 destroyed."
  expect_eq "state holds the plan's config hash" "$(<"$STACKRUN_STUB_STATE/grafana.tfstate")" "$planned"
  expect_no_file "$d"
  expect_no_file "$STACKRUN_STUB_STATE/grafana.lockinfo"
  run "$STACK_DIR" "$TG" plan -detailed-exitcode
  expect_eq "plan after apply FILE sees the later change" "$RC" 2
  expect_contains "plan after apply FILE" "$OUT" "Plan: 1 to add, 0 to change, 0 to destroy."

  # The same plan again: the state moved on.
  cp "$STACKRUN_STUB_STATE/grafana.tfstate" "$WORK/saved_plan_apply/state.after"
  run "$STACK_DIR" "$TG" apply tfplan
  expect_eq "second apply of the plan exit" "$RC" 1
  expect_eq "second apply of the plan" "$ERR" "$STALE_ERR"
  if cmp -s "$STACKRUN_STUB_STATE/grafana.tfstate" "$WORK/saved_plan_apply/state.after"; then pass; else fail "stale apply changed the state"; fi

  # -lock=false and a plan with only drift (the config unchanged): the state keeps its hash.
  run "$STACK_DIR" "$TG" apply -auto-approve
  printf 'update helm_release.this\n' >"$d"
  run "$STACK_DIR" "$TG" plan -out=drift.tfplan
  run "$STACK_DIR" "$TG" apply -lock=false drift.tfplan
  expect_eq "drift-only apply FILE exit" "$RC" 0
  expect_eq "drift-only apply FILE" "$OUT" "helm_release.this: Modifying... [id=grafana]
helm_release.this: Modifications complete after 0s [id=grafana]

Apply complete! Resources: 0 added, 1 changed, 0 destroyed."
  expect_no_file "$d"
  run "$STACK_DIR" "$TG" plan -detailed-exitcode
  expect_eq "plan after drift-only apply FILE" "$RC" 0
  check_lock_log "$STACKRUN_STUB_STATE/lock.log"
}

t_saved_plan_stale() {
  new_case saved_plan_stale
  local d=$STACKRUN_STUB_STATE/drift/grafana
  # Planned before the first apply, applied after it.
  run "$STACK_DIR" "$TG" plan -out=first.tfplan
  run "$STACK_DIR" "$TG" apply -auto-approve
  cp "$STACKRUN_STUB_STATE/grafana.tfstate" "$WORK/saved_plan_stale/state.copy"
  run "$STACK_DIR" "$TG" apply -auto-approve first.tfplan
  expect_eq "stale (no state at plan time) exit" "$RC" 1
  expect_eq "stale (no state at plan time)" "$ERR" "$STALE_ERR"
  expect_eq "stale apply stdout" "$OUT" ""

  # Another apply of a config change between plan and apply.
  echo 'x = 1' >>"$STACK_DIR/main.tf"
  run "$STACK_DIR" "$TG" plan -out=tfplan -detailed-exitcode
  expect_eq "plan exit" "$RC" 2
  echo 'y = 2' >>"$STACK_DIR/main.tf"
  run "$STACK_DIR" "$TG" apply -auto-approve
  cp "$STACKRUN_STUB_STATE/grafana.tfstate" "$WORK/saved_plan_stale/state.copy"
  run "$STACK_DIR" "$TG" apply -auto-approve tfplan
  expect_eq "stale after another apply exit" "$RC" 1
  expect_eq "stale after another apply" "$ERR" "$STALE_ERR"
  if cmp -s "$STACKRUN_STUB_STATE/grafana.tfstate" "$WORK/saved_plan_stale/state.copy"; then pass; else fail "stale apply changed the state"; fi

  # Drift appearing after the plan makes it stale too, and stays for the next plan.
  run "$STACK_DIR" "$TG" plan -out=nodrift.tfplan -detailed-exitcode
  expect_eq "no-changes plan exit" "$RC" 0
  mkdir -p "$STACKRUN_STUB_STATE/drift"
  printf 'destroy kubernetes_config_map.extra\n' >"$d"
  run "$STACK_DIR" "$TG" apply nodrift.tfplan
  expect_eq "stale by drift exit" "$RC" 1
  expect_eq "stale by drift" "$ERR" "$STALE_ERR"
  expect_file "$d"
  expect_no_file "$STACKRUN_STUB_STATE/grafana.lockinfo"
  check_lock_log "$STACKRUN_STUB_STATE/lock.log"
}

t_saved_plan_elsewhere() {
  new_case saved_plan_elsewhere
  local other=$WORK/saved_plan_elsewhere/checkout2/grafana planned
  mkdir -p "${other%/*}"
  cp -R "$STACK_DIR" "$other"
  STACKRUN_STACK=apps/grafana run "$STACK_DIR" "$TG" plan -out=tfplan -detailed-exitcode
  expect_eq "plan exit" "$RC" 2
  expect_eq "plan file key" "$(plan_line "$STACK_DIR/tfplan" key)" apps__grafana
  planned=$(plan_line "$STACK_DIR/tfplan" config)
  cp "$STACK_DIR/tfplan" "$other/tfplan"
  STACKRUN_STACK=apps/grafana run "$other" "$TG" apply -auto-approve tfplan
  expect_eq "apply FILE in another checkout exit" "$RC" 0
  expect_contains "apply FILE in another checkout" "$OUT" "Apply complete! Resources: 1 added, 0 changed, 0 destroyed."
  expect_eq "state holds the plan's hash" "$(<"$STACKRUN_STUB_STATE/apps__grafana.tfstate")" "$planned"
  STACKRUN_STACK=apps/grafana run "$STACK_DIR" "$TG" plan -detailed-exitcode
  expect_eq "plan in the first checkout" "$RC" 0

  # Another stack's state: refused.
  STACKRUN_STACK=apps/loki run "$other" "$TG" apply tfplan
  expect_eq "apply of another stack's plan exit" "$RC" 1
  expect_eq "apply of another stack's plan" "$ERR" "╷
│ Error: Saved plan does not match the given state
│ 
│ The given plan file can not be applied because it was created from a
│ different state lineage.
╵"
  expect_no_file "$STACKRUN_STUB_STATE/apps__loki.tfstate"
  check_lock_log "$STACKRUN_STUB_STATE/lock.log"
}

t_saved_plan_bad_file() {
  new_case saved_plan_bad_file
  local f=$STACKRUN_STUB_STATE/faults/grafana
  echo 'not a plan' >"$STACK_DIR/garbage.tfplan"
  run "$STACK_DIR" "$TG" show -json garbage.tfplan
  expect_eq "show garbage exit" "$RC" 1
  expect_eq "show garbage stdout" "$OUT" ""
  expect_eq "show garbage" "$ERR" "╷
│ Error: Failed to read the given file as a state or plan file
│ 
│ State read error: Error reading garbage.tfplan as a statefile: Unsupported
│ state file format: The state file could not be parsed as JSON: syntax error
│ at byte offset 1.
│ 
│ Plan read error: zip: not a valid zip file
╵"
  run "$STACK_DIR" "$TG" show nope.tfplan
  expect_eq "show missing exit" "$RC" 1
  expect_contains "show missing" "$ERR" "│ Error: Failed to read the given file as a state or plan file"
  expect_contains "show missing" "$ERR" "│ Plan read error: open nope.tfplan: no such file or directory"
  run "$STACK_DIR" "$TG" show -json
  expect_eq "show without FILE exit" "$RC" 1
  expect_contains "show without FILE" "$ERR" "show needs a plan file"

  # A stub plan damaged by hand: the error names file:line.
  run "$STACK_DIR" "$TG" plan -out=tfplan
  sed -i 's/^action create /action build /' "$STACK_DIR/tfplan"
  run "$STACK_DIR" "$TG" show -json tfplan
  expect_eq "show damaged plan exit" "$RC" 1
  expect_contains "show damaged plan" "$ERR" "│ Plan read error: tfplan:7: invalid plan line \"action build
│ helm_release.this\""

  # apply reads the file before it locks: no lock taken, no fault consumed, no state.
  mkdir -p "$STACKRUN_STUB_STATE/faults"
  echo fatal >"$f"
  run "$STACK_DIR" "$TG" apply -auto-approve garbage.tfplan
  expect_eq "apply garbage exit" "$RC" 1
  expect_eq "apply garbage" "$ERR" "╷
│ Error: Failed to load \"garbage.tfplan\" as a plan file
│ 
│ Error: zip: not a valid zip file
╵"
  run "$STACK_DIR" "$TG" apply nope.tfplan
  expect_eq "apply missing exit" "$RC" 1
  expect_contains "apply missing" "$ERR" "│ Error: stat nope.tfplan: no such file or directory"
  : >"$STACK_DIR/empty.tfplan"
  run "$STACK_DIR" "$TG" apply empty.tfplan
  expect_eq "apply empty file exit" "$RC" 1
  expect_contains "apply empty file" "$ERR" "Failed to load \"empty.tfplan\" as a plan file"
  run "$STACK_DIR" "$TG" apply tfplan
  expect_eq "apply damaged plan exit" "$RC" 1
  expect_contains "apply damaged plan" "$ERR" "│ Error: tfplan:7: invalid plan line \"action build helm_release.this\""
  run "$STACK_DIR" "$TG" apply one.tfplan two.tfplan
  expect_eq "apply with two files exit" "$RC" 1
  expect_contains "apply with two files" "$ERR" "too many arguments"
  expect_eq "fault not consumed" "$(cat "$f")" fatal
  expect_eq "only the plan locked" "$(grep -c '^acquire ' "$STACKRUN_STUB_STATE/lock.log")" 1
  expect_no_file "$STACKRUN_STUB_STATE/grafana.tfstate"
}

for t in t_apply_then_plan t_config_change t_stack_id t_concurrent_applies_serialise t_hold_lock \
  t_faults t_drift t_drift_bad_line t_pgcreds t_interrupt t_usage_errors t_sample_repo \
  t_saved_plan_out t_saved_plan_show t_saved_plan_apply t_saved_plan_stale t_saved_plan_elsewhere \
  t_saved_plan_bad_file; do
  before=$failed t0=$(now_ms)
  $t
  if [ "$failed" -eq "$before" ]; then echo "ok   $t ($(($(now_ms) - t0)) ms)"; else echo "FAIL $t"; fi
done

echo "$passed passed, $failed failed"
if [ "$failed" -gt 0 ]; then
  echo "kept $WORK"
  exit 1
fi
rm -rf "$WORK"
