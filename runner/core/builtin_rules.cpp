// The built-in classification rules. Sources: the infra repo's CI history
// (tests/data/corpus/error-signatures.tsv), terragrunt's default retryable errors
// (tests/data/corpus/terragrunt-default-retryable.txt, kept verbatim), and the lock, transient and
// configuration errors that Terraform backends, helm, Kubernetes and Vault print.
// Ids are interface (stored in verdicts, shown by `stackrun show`): never renumber or reuse one.
// Within a class, order only breaks ties between matches starting at the same byte.
// Start a pattern with literal text where possible: RE2 then skips to candidate positions with
// memchr when locating a match in a large log (a leading \b, class or (?i) group defeats that).
#include "runner/core/classify.hpp"

namespace stackrun::core {
namespace {

std::vector<RuleSpec> make_builtin_rules() {
  std::vector<RuleSpec> r;
  const auto add = [&r](Class cls, std::string id, std::string pattern) {
    r.push_back({cls, "builtin." + std::string(to_string(cls)) + "." + id, std::move(pattern)});
  };

  // --- lock: someone else holds the state (or the release); wait, then skip.
  const Class L = Class::lock;
  add(L, "state-lock", R"(Error acquiring the state lock)");  // every backend's headline
  add(L, "locking-state", R"(Error locking state)");          // remote / TFC backends
  add(L, "is-locked-by", R"(is locked by)");                  // scripts/tg Vault advisory lock
  add(L, "already-locked", R"((?i)already locked)");          // pg "Workspace is already locked"
  add(L, "azurerm-blob", R"(state blob is already locked)");
  add(L, "remote-workspace", R"((?i)workspace (?:\S+ )?(?:is )?(?:already |currently )?locked\b)");
  add(L, "dynamodb", R"(ConditionalCheckFailedException)");  // S3 backend + DynamoDB table
  add(L, "s3-lockfile", R"(PreconditionFailed: At least one of the pre-conditions)");
  add(L, "gcs", R"(\.tflock"? failed: googleapi: Error 412)");
  add(L, "helm-operation", R"(another operation \(install/upgrade/rollback\) is in progress)");
  add(L, "runner-skipped", R"(\] SKIPPED \(locked by another session)");  // old bash runner

  // --- transient: retrying later can succeed.
  const Class T = Class::transient;
  add(T, "failed-install-provider", R"(Failed to install provider)");
  add(T, "client-timeout", R"(Client\.Timeout exceeded while awaiting headers)");
  // Vault's API error puts "URL: ...", "Code: NNN. Errors:" in the paragraph after the headline;
  // dot-all wildcards stop at a blank line (see classify.hpp), so the one break is spelled out.
  add(T, "vault-5xx", R"((?s)error reading from Vault.*?\n\n.*?Code: 5\d\d)");
  add(T, "vault-api-5xx", R"(Code: 5\d\d\. Errors:)");
  add(T, "runner-retrying", R"(\] transient error \(attempt [^)\n]*\)[^\n]*retrying in)");
  add(T, "connection-reset", R"(connection reset by peer)");
  add(T, "broken-pipe", R"(broken pipe)");
  add(T, "connection-refused", R"(connection refused)");
  // MetalLB's stuck ServiceL2Status (the VIP flap). Narrow: other "Value is immutable" errors
  // are configuration errors, so only the node field or a node-name value counts.
  add(T, "metallb-node-immutable",
      R"(status\.node: Invalid value: "[^"\n]*": Value is immutable|)"
      R"(Invalid value: "k8s-node[A-Za-z0-9.-]*": Value is immutable)");
  // terragrunt v1.1.3 internal/retry/defaults.go, in file order (tg-default-01 .. -30).
  // Broad on combined output: terragrunt reads only stderr, we also see plan diffs. Their
  // wildcards stop at a blank line (see classify.hpp), so "Initializing provider plugins..."
  // then `protocol = "tcp"` and `timeout = 300` in a later diff no longer satisfy tg-default-17,
  // and a match starts inside the paragraph that holds the error. Those joining a summary to its
  // detail (-21..-23, -28..-30) thus miss Terraform's "Error: summary", blank line, detail layout;
  // such output is still transient through -17..-19, which match within the detail.
  static const char* const kTerragruntDefaults[] = {
      R"((?s).*Failed to load state.*tcp.*timeout.*)",
      R"((?s).*Failed to load backend.*TLS handshake timeout.*)",
      R"((?s).*Creating metric alarm failed.*request to update this alarm is in progress.*)",
      R"((?s).*Error installing provider.*TLS handshake timeout.*)",
      R"((?s).*Error configuring the backend.*TLS handshake timeout.*)",
      R"((?s).*Error installing provider.*tcp.*timeout.*)",
      R"((?s).*Error installing provider.*tcp.*connection reset by peer.*)",
      R"(NoSuchBucket: The specified bucket does not exist)",
      R"((?s).*Error creating SSM parameter: TooManyUpdates:.*)",
      R"((?s).*app.terraform.io.*: 429 Too Many Requests.*)",
      R"((?s).*ssh_exchange_identification.*Connection closed by remote host.*)",
      R"((?s).*Client\.Timeout exceeded while awaiting headers.*)",
      R"((?s).*Could not download module.*The requested URL returned error: 429.*)",
      R"((?s).*net/http: TLS.*handshake timeout.*)",
      R"((?s).*could not query provider registry.*context deadline exceeded.*)",
      R"((?s).*provider.*TLS handshake timeout.*)",
      R"((?s).*provider.*tcp.*timeout.*)",
      R"((?s).*provider.*tcp.*connection reset by peer.*)",
      R"((?s).*provider.*context deadline exceeded.*)",
      R"((?s).*registry.*context deadline exceeded.*)",
      R"((?s).*Failed to resolve provider.*timeout.*)",
      R"((?s).*Failed to resolve provider.*connection reset by peer.*)",
      R"((?s).*Failed to resolve provider.*context deadline exceeded.*)",
      R"((?s).*could not connect to registry.*timeout.*)",
      R"((?s).*could not connect to registry.*connection reset by peer.*)",
      R"((?s).*could not connect to registry.*context deadline exceeded.*)",
      R"((?s).*failed to request discovery document.*context deadline exceeded.*)",
      R"((?s).*Failed to query available provider packages.*timeout.*)",
      R"((?s).*Failed to query available provider packages.*connection reset by peer.*)",
      R"((?s).*Failed to query available provider packages.*context deadline exceeded.*)",
  };
  int n = 0;
  for (const char* p : kTerragruntDefaults) {
    ++n;
    add(T, (n < 10 ? "tg-default-0" : "tg-default-") + std::to_string(n), p);
  }
  add(T, "http-5xx", R"(50[234] (?:Bad Gateway|Service Unavailable|Gateway Time-?out)\b)");
  add(T, "http-5xx-status",
      R"((?i)(?:\bstatus ?code|\bstatus|googleapi: error|\bhttp/[0-9.]+|\breturned error|)"
      R"(\bresponse code)[:=]? ?50[234]\b)");
  add(T, "tls-handshake-timeout", R"(TLS handshake timeout)");
  add(T, "io-timeout", R"(\bi/o timeout\b)");
  add(T, "aws-throttling", R"(\b(?:ThrottlingException|RequestLimitExceeded)\b)");

  // --- fatal: retrying cannot help; fail now and say why.
  const Class F = Class::fatal;
  add(F, "pg-credentials", R"(ERROR: Cannot read PG credentials from Vault)");  // misleading!
  add(F, "vault-login-hint", R"(Hint: humans run 'vault login -method=oidc')");
  add(F, "vault-cli-missing", R"(ERROR: vault CLI not found on PATH)");
  add(F, "inconsistent-lock-file", R"(Inconsistent dependency lock file)");
  add(F, "already-exists", R"(already exists)");
  add(F, "invalid-for-each", R"(Invalid for_each)");
  add(F, "vault-permission-denied", R"(Code: 403\. Errors:|\* permission denied)");
  add(F, "missing-argument", R"(Missing required argument)");
  add(F, "invalid-index", R"(Invalid index)");
  add(F, "helm-atomic", R"(due to atomic being set)");
  add(F, "helm-wait-timeout", R"(timed out waiting for the condition)");
  add(F, "ssa-conflict", R"(Apply failed with \d+ conflicts?|field manager conflict)");
  add(F, "crashloop", R"(\b(?:CrashLoopBackOff|OOMKilled)\b)");
  add(F, "failed-create",
      R"(\bFailedCreate\b|is forbidden: maximum [a-z]+ usage per (?:Container|Pod))");
  add(F, "helm-pending", R"(\bpending-(?:install|upgrade|rollback)\b)");
  add(F, "runner-failed", R"(\] FAILED \(exit [^)\n]*\))");  // old bash runner
  add(F, "slack-channel-not-found", R"(\bchannel_not_found\b)");
  add(F, "k8s-rbac", R"(is forbidden: User "[^"\n]*" cannot)");
  add(F, "terraform-config",
      R"(Unsupported (?:argument|attribute|block type)|Reference to undeclared |)"
      R"(Invalid reference|Invalid function argument|Call to unknown function|)"
      R"(Argument or block definition required|Duplicate resource "|Invalid expression|)"
      R"(Unclosed configuration block|Invalid value for (?:input )?variable|)"
      R"(Incorrect attribute value type|Invalid count argument|No value for required variable)");
  add(F, "hcl-diagnostic", R"(\.hcl:\d+,\d+-\d+: )");  // terragrunt.hcl:12,3-10: Summary; detail
  return r;
}

}  // namespace

const std::vector<RuleSpec>& builtin_rules() {
  static const std::vector<RuleSpec> rules = make_builtin_rules();
  return rules;
}

}  // namespace stackrun::core
