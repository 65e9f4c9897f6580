#include "runner/core/classify.hpp"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <set>
#include <thread>

#include "runner/core/classify_internal.hpp"
#include "runner/core/normalise.hpp"

namespace stackrun::core {
namespace {

// Box-drawing characters, to write Terraform's framed diagnostics readably.
#define TOP "\xE2\x95\xB7\n"
#define BAR "\xE2\x94\x82 "
#define BOT "\xE2\x95\xB5\n"

const Classifier& builtin() {
  static const Classifier c = [] {
    auto r = Classifier::create();
    if (!r) throw std::runtime_error(r.error());
    return *r;
  }();
  return c;
}

TEST(StripMatchAnythingEdges, Table) {
  const std::pair<std::string, std::string> cases[] = {
      {"(?s).*X.*", "(?s)X"},
      {".*X", "X"},
      {"X.*", "X"},
      {"(?is).*a.*b.*", "(?is)a.*b"},
      {"(?i)(?s).*x", "(?i)(?s)x"},
      {".*.*X.*.*", "X"},
      {".*?X", "X"},
      {"(?s).*", "(?s)"},
      {"plain", "plain"},
      {R"(a\.*)", R"(a\.*)"},    // any number of literal dots: kept
      {R"(a\\.*)", R"(a\\)"},    // a literal backslash, then anything: dropped
      {R"(\Qa.*)", R"(\Qa.*)"},  // quoted text: left alone
      {".*+X", ".*+X"},          // invalid anyway; not made "valid" by stripping
      {".*{2}X", ".*{2}X"},
      {"^.*X", "^.*X"},  // anchored: not an "anything" prefix
      {"(a.*)", "(a.*)"},
      {"(?:x).*", "(?:x)"},
  };
  for (const auto& [in, want] : cases)
    EXPECT_EQ(detail::strip_match_anything_edges(in), want) << in;
}

TEST(ScopeDotAllWildcards, Table) {
  // What each dot-all wildcard becomes.
  const std::string star = R"((?:(?:\n?[^\n])*\n?))";
  const std::string lazy = R"((?:(?:\n?[^\n])*?\n??))";
  const std::string plus = R"((?:(?:\n?[^\n])+\n?|\n))";
  const std::string plus_lazy = R"((?:(?:\n?[^\n])+?\n??|\n))";
  const std::pair<std::string, std::string> cases[] = {
      {"(?s)a.*b", "(?s)a" + star + "b"},
      {"(?s)a.*?b", "(?s)a" + lazy + "b"},
      {"(?s)a.+b", "(?s)a" + plus + "b"},
      {"(?s)a.+?b", "(?s)a" + plus_lazy + "b"},
      {"(?s)a.*b.*c", "(?s)a" + star + "b" + star + "c"},
      {"(?is)a.*b", "(?is)a" + star + "b"},
      {"(?i)(?s)a.*b", "(?i)(?s)a" + star + "b"},
      {"(?s)(a(?:b.*c)|d.+)e", "(?s)(a(?:b" + star + "c)|d" + plus + ")e"},  // nested groups
      // Not dot-all: untouched.
      {"a.*b", "a.*b"},
      {"(?i)a.*b", "(?i)a.*b"},
      {"(?s-s)a.*b", "(?s-s)a.*b"},
      {"(?i-s)a.*b", "(?i-s)a.*b"},
      // Dot-all mode per group: "(?s:...)" and a later "(?s)" hold to the end of their group.
      {"a.*(?s:b.*c).*d", "a.*(?s:b" + star + "c).*d"},
      {"a.*(b(?s)c.*d).*e", "a.*(b(?s)c" + star + "d).*e"},
      {"(?s)a.*(?-s:b.*c).*d", "(?s)a" + star + "(?-s:b.*c)" + star + "d"},
      {"(?s)(?P<n>a.*)b", "(?s)(?P<n>a" + star + ")b"},
      // Not wildcards: escaped dots, dots in classes and quotes, other quantifiers.
      {R"((?s)a\.*b)", R"((?s)a\.*b)"},
      {R"((?s)a\\.*b)", R"((?s)a\\)" + star + "b"},  // escaped backslash, then a wildcard
      {"(?s)a[.]*b", "(?s)a[.]*b"},
      {"(?s)a[^.]+b.*c", "(?s)a[^.]+b" + star + "c"},
      {"(?s)a[].]*b", "(?s)a[].]*b"},  // ']' first is a class member
      {"(?s)a[[:alpha:].]*b", "(?s)a[[:alpha:].]*b"},
      {R"((?s)a[\].]*b)", R"((?s)a[\].]*b)"},
      {R"((?s)\Qa.*b\E.*c)", R"((?s)\Qa.*b\E)" + star + "c"},
      {R"((?s)\Qa.*)", R"((?s)\Qa.*)"},  // quoted to the end
      {"(?s)a.b.?c.{2}d", "(?s)a.b.?c.{2}d"},
      {"(?s)", "(?s)"},
      {"", ""},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(detail::scope_dot_all_wildcards(in), want) << in;
}

TEST(ScopeDotAllWildcards, MatchWithinAParagraphOnly) {
  struct Row {
    const char* pattern;
    const char* text;
    bool match;
  };
  const Row rows[] = {
      {"(?s)A.*B", "A x B", true},
      {"(?s)A.*B", "AB", true},
      {"(?s)A.*B", "A\nB", true},  // B opens the next line
      {"(?s)A.*B", "A x\ny B", true},
      {"(?s)A.*B", "A x\ny\nz B", true},
      {"(?s)A.*B", "A\n\nB", false},
      {"(?s)A.*B", "A x\n\ny B", false},
      {"(?s)A.*B", "A x\n\n\ny B", false},
      {"(?s)A.*?B", "A x\ny B", true},
      {"(?s)A.*?B", "A x\n\nB", false},
      {"(?s)A.+B", "AB", false},
      {"(?s)A.+B", "A\nB", true},
      {"(?s)A.+B", "A x\ny B", true},
      {"(?s)A.+B", "A\n\nB", false},
      {"(?s)A.+?B", "A\nB", true},
      {"(?s)A.+?B", "A\n\nB", false},
      {"(?s)A.*B.*C", "A\nB\nC", true},
      {"(?s)A.*B.*C", "A\nB\n\nC", false},
      {"(?s)A.*\\n\\n.*B", "A x\n\ny B", true},  // an explicit break still matches
      {"(?s)A[\\s\\S]*B", "A\n\n\nB", true},     // as does an explicit class
      {"A.*B", "A\nB", false},                   // not dot-all: as before
  };
  for (const Row& r : rows) {
    const RE2 re(detail::scope_dot_all_wildcards(r.pattern));
    ASSERT_TRUE(re.ok()) << r.pattern;
    EXPECT_EQ(RE2::PartialMatch(r.text, re), r.match) << r.pattern << " on " << r.text;
  }
}

TEST(BuiltinRules, IdsAreUniqueStableAndNameTheirClass) {
  std::set<std::string> ids;
  for (const RuleSpec& r : builtin_rules()) {
    EXPECT_TRUE(ids.insert(r.id).second) << "duplicate id " << r.id;
    ASSERT_TRUE(r.cls == Class::lock || r.cls == Class::transient || r.cls == Class::fatal) << r.id;
    EXPECT_EQ(r.id.rfind("builtin." + std::string(to_string(r.cls)) + ".", 0), 0u) << r.id;
  }
  EXPECT_TRUE(ids.count("builtin.lock.state-lock"));
  EXPECT_TRUE(ids.count("builtin.transient.tg-default-07"));
  EXPECT_TRUE(ids.count("builtin.fatal.missing-argument"));
}

struct Case {
  const char* name;
  std::string output;
  int exit;
  Class cls;
  std::string rule;
  std::string line{};  // the deciding line; checked when not empty
  int line_no = 0;     // checked when not 0
};

void check(const Case& c, const Verdict& v) {
  EXPECT_EQ(to_string(v.cls), to_string(c.cls)) << c.name;
  EXPECT_EQ(v.rule, c.rule) << c.name;
  if (!c.line.empty()) {
    EXPECT_EQ(v.line, c.line) << c.name;
  }
  if (c.line_no) {
    EXPECT_EQ(v.line_no, c.line_no) << c.name;
  }
}

// Realistic outputs of the tools the runner drives, one per signature the brief names.
TEST(Classify, RealisticOutputs) {
  const Case cases[] = {
      // --- lock, per backend
      {"pg backend",
       TOP BAR "Error: Error acquiring the state lock\n" BAR "\n" BAR
               "Error message: Workspace is already locked: default\n" BAR "Lock Info:\n" BAR
               "  ID:        1f2e\n" BAR "  Who:       ci@agent-1\n" BOT,
       1, Class::lock, "builtin.lock.state-lock", "Error: Error acquiring the state lock", 2},
      {"s3 native lockfile",
       "Error: Error acquiring the state lock\n\nError message: operation error S3: PutObject, "
       "https response error StatusCode: 412, RequestID: 7Z, api error PreconditionFailed: At "
       "least one of the pre-conditions you specified did not hold\n",
       1, Class::lock, "builtin.lock.state-lock", "Error: Error acquiring the state lock", 1},
      {"s3 lockfile detail alone",
       "Error message: operation error S3: PutObject, https response error StatusCode: 412, "
       "api error PreconditionFailed: At least one of the pre-conditions you specified did not "
       "hold",
       1, Class::lock, "builtin.lock.s3-lockfile"},
      {"dynamodb detail alone",
       "Error message: operation error DynamoDB: PutItem, https response error StatusCode: 400, "
       "RequestID: Q3, ConditionalCheckFailedException: The conditional request failed",
       1, Class::lock, "builtin.lock.dynamodb"},
      {"gcs detail alone",
       "Error message: writing \"gs://acme-tf/stacks/pg/default.tflock\" failed: googleapi: "
       "Error 412: At least one of the pre-conditions you specified did not hold., "
       "conditionNotMet",
       1, Class::lock, "builtin.lock.gcs"},
      {"azurerm", "Error message: 2 errors occurred:\n\t* state blob is already locked\n", 1,
       Class::lock, "builtin.lock.azurerm-blob", "* state blob is already locked", 2},
      {"local",
       "Error: Error acquiring the state lock\n\nError message: resource temporarily "
       "unavailable\n",
       1, Class::lock, "builtin.lock.state-lock"},
      {"remote / tfc",
       "Error: Error locking state: Error acquiring the state lock: workspace already locked "
       "(lock ID: \"acme/prod\")\n",
       1, Class::lock, "builtin.lock.locking-state"},
      {"tfc workspace", "Workspace acme/prod is locked\n", 1, Class::lock,
       "builtin.lock.remote-workspace"},
      {"already locked any case", "ALREADY LOCKED\n", 1, Class::lock,
       "builtin.lock.already-locked"},
      {"helm operation in progress",
       TOP BAR "Error: another operation (install/upgrade/rollback) is in progress\n" BAR "\n" BAR
               "  with helm_release.prometheus,\n" BOT,
       1, Class::lock, "builtin.lock.helm-operation",
       "Error: another operation (install/upgrade/rollback) is in progress", 2},
      {"tg vault lock", "[vault] state of vault is locked by emo@laptop (pid 4411)\n", 1,
       Class::lock, "builtin.lock.is-locked-by"},
      // --- transient
      {"vault 503 spanning lines",
       TOP BAR "Error: error reading from Vault: Error making API request.\n" BAR "\n" BAR
               "URL: GET https://vault.acme.internal:8200/v1/secret/data/platform/pg\n" BAR
               "Code: 503. Errors:\n" BAR "\n" BAR "* Vault is sealed\n" BAR "\n" BAR
               "  with data.vault_generic_secret.pg,\n" BOT,
       1, Class::transient, "builtin.transient.vault-5xx",
       "Error: error reading from Vault: Error making API request.", 2},
      {"vault api 502",
       "Error: error writing secret: Error making API request.\n\nURL: PUT "
       "https://vault/v1/kv/x\nCode: 502. Errors:\n\n* upstream unavailable\n",
       1, Class::transient, "builtin.transient.vault-api-5xx", "Code: 502. Errors:", 4},
      {"pg vip reset on lock release",
       "Error: Error releasing the state lock\n\nError message: read tcp "
       "10.0.5.12:51522->10.0.20.200:5432: read: connection reset by peer\n",
       1, Class::transient, "builtin.transient.connection-reset"},
      {"broken pipe", "Error: pq: write tcp 10.0.5.12:40114->10.0.20.200:5432: write: broken pipe",
       1, Class::transient, "builtin.transient.broken-pipe"},
      {"connection refused",
       "Error: Kubernetes cluster unreachable: Get \"https://10.0.20.10:6443/version\": dial tcp "
       "10.0.20.10:6443: connect: connection refused",
       1, Class::transient, "builtin.transient.connection-refused"},
      {"aws 503",
       "Error: reading EC2 Instance (i-0abc): operation error EC2: DescribeInstances, "
       "https response error StatusCode: 503, RequestID: x, api error Unavailable",
       1, Class::transient, "builtin.transient.http-5xx-status"},
      {"github 502", "Error: GET https://api.github.com/repos/acme/infra: 502 Bad Gateway []", 1,
       Class::transient, "builtin.transient.http-5xx"},
      {"google 503",
       "Error: googleapi: Error 503: The service is currently unavailable., "
       "backendError",
       1, Class::transient, "builtin.transient.http-5xx-status"},
      {"cloudflare 504", "Error: error from makeRequest: HTTP status 504: gateway timeout", 1,
       Class::transient, "builtin.transient.http-5xx-status"},
      {"metallb status.node",
       "ServiceL2Status.metallb.io \"l2-pg\" is invalid: status.node: Invalid value: "
       "\"worker-3\": Value is immutable",
       1, Class::transient, "builtin.transient.metallb-node-immutable"},
      {"other immutable field is fatal",
       "Error: Deployment.apps \"web\" is invalid: spec.selector: Invalid value: "
       "v1.LabelSelector{}: field is immutable",
       1, Class::fatal, "builtin.unknown"},
      {"other immutable value is fatal",
       "Error: Service \"pg\" is invalid: spec.clusterIP: Invalid value: \"10.0.0.1\": Value "
       "is immutable",
       1, Class::fatal, "builtin.unknown"},
      // --- fatal
      {"missing argument",
       TOP BAR "Error: Missing required argument\n" BAR "\n" BAR
               "  on main.tf line 3, in resource \"aws_instance\" \"web\":\n" BAR
               "   3: resource \"aws_instance\" \"web\" {\n" BAR "\n" BAR
               "The argument \"ami\" is required, but no definition was found.\n" BOT,
       1, Class::fatal, "builtin.fatal.missing-argument", "Error: Missing required argument", 2},
      {"invalid index",
       TOP BAR "Error: Invalid index\n" BAR "\n" BAR "  on locals.tf line 8, in locals:\n" BAR
               "   8:   pg_host = var.hosts[3]\n" BAR "\n" BAR
               "The given key does not identify an element in this collection value: the\n" BAR
               "given index is greater than or equal to the length of the collection.\n" BOT,
       1, Class::fatal, "builtin.fatal.invalid-index", "Error: Invalid index", 2},
      {"helm atomic rollback",
       TOP BAR "Error: release kube-prometheus-stack failed, and has been rolled back due to "
               "atomic being set: timed out waiting for the condition\n" BAR "\n" BAR
               "  with helm_release.prometheus,\n" BOT,
       1, Class::fatal, "builtin.fatal.helm-atomic"},
      {"helm atomic uninstall",
       "Error: release tempo failed, and has been uninstalled due to atomic being set: timed out "
       "waiting for the condition",
       1, Class::fatal, "builtin.fatal.helm-atomic"},
      {"helm wait timeout", "Error: timed out waiting for the condition", 1, Class::fatal,
       "builtin.fatal.helm-wait-timeout"},
      {"ssa conflict",
       TOP BAR
       "Error: There was a field manager conflict when trying to apply the manifest for "
       "\"apps/instagram-poster\"\n" BAR "\n" BAR
       "The API returned the following conflict: \"Apply failed with 1 conflict: conflict with "
       "\\\"external-secrets\\\" using external-secrets.io/v1beta1: .spec.refreshInterval\"\n" BOT,
       1, Class::fatal, "builtin.fatal.ssa-conflict"},
      {"ssa conflict raw",
       "Apply failed with 1 conflict: conflict with \"external-secrets\" using "
       "external-secrets.io/v1beta1: .spec.refreshInterval",
       1, Class::fatal, "builtin.fatal.ssa-conflict"},
      {"vault 403",
       TOP BAR "Error: error creating mount transit: Error making API request.\n" BAR "\n" BAR
               "URL: POST https://vault.acme.internal:8200/v1/sys/mounts/transit\n" BAR
               "Code: 403. Errors:\n" BAR "\n" BAR "* permission denied\n" BOT,
       1, Class::fatal, "builtin.fatal.vault-permission-denied",
       "URL: POST https://vault.acme.internal:8200/v1/sys/mounts/transit Code: 403. Errors:", 4},
      {"limitrange",
       "Warning  FailedCreate  replicaset/paperless-6d  Error creating: pods "
       "\"paperless-6d-x\" is forbidden: maximum memory usage per Container is 8Gi, but limit "
       "is 10Gi",
       1, Class::fatal, "builtin.fatal.failed-create"},
      {"k8s rbac",
       "Error: namespaces is forbidden: User \"system:serviceaccount:ci:runner\" "
       "cannot list resource \"namespaces\"",
       1, Class::fatal, "builtin.fatal.k8s-rbac"},
      {"undeclared resource", "Error: Reference to undeclared resource", 1, Class::fatal,
       "builtin.fatal.terraform-config"},
      {"terragrunt hcl",
       "ERRO[0000] stacks/pg/terragrunt.hcl:7,3-9: Unsupported argument; An argument named "
       "\"inptus\" is not expected here.",
       1, Class::fatal, "builtin.fatal.hcl-diagnostic"},
  };
  for (const Case& c : cases) check(c, builtin().classify(c.output, c.exit));
}

TEST(Classify, LockBeatsTransientBeatsFatalWhateverTheOrderInTheOutput) {
  const std::string fatal = "Error: Missing required argument\n";
  const std::string transient = "Error: read tcp 1.2.3.4:5432: read: connection reset by peer\n";
  const std::string lock = "Error: Error acquiring the state lock\n";
  const Case cases[] = {
      {"all three", fatal + transient + lock, 1, Class::lock, "builtin.lock.state-lock",
       "Error: Error acquiring the state lock", 3},
      {"all three reversed", lock + transient + fatal, 1, Class::lock, "builtin.lock.state-lock",
       "", 1},
      {"transient over fatal", fatal + transient, 1, Class::transient,
       "builtin.transient.connection-reset", "", 2},
      {"fatal alone", fatal, 1, Class::fatal, "builtin.fatal.missing-argument", "", 1},
      // The 25-day MetalLB incident: the wrapper's claim is fatal, the real cause transient.
      {"misleading pg credentials error",
       "ERROR: Cannot read PG credentials from Vault. Vault output follows:\n"
       "Error reading secret: Get \"https://vault:8200/v1/secret/data/pg\": read tcp "
       "10.0.5.12:41234->10.0.20.200:8200: read: connection reset by peer\n"
       "Hint: humans run 'vault login -method=oidc'; CI auths via K8s SA (role=ci).\n",
       1, Class::transient, "builtin.transient.connection-reset",
       "Error reading secret: Get \"https://vault:8200/v1/secret/data/pg\": read tcp "
       "10.0.5.12:41234->10.0.20.200:8200: read: connection reset by peer",
       2},
      {"pg credentials alone",
       "ERROR: Cannot read PG credentials from Vault. Run: vault login -method=oidc\n", 1,
       Class::fatal, "builtin.fatal.pg-credentials"},
      {"earliest match in class wins",
       "x\nError: pq: broken pipe\nError: connection reset by peer\n", 1, Class::transient,
       "builtin.transient.broken-pipe", "Error: pq: broken pipe", 2},
      {"same start: earlier rule wins", "Client.Timeout exceeded while awaiting headers", 1,
       Class::transient, "builtin.transient.client-timeout"},
      // A (?s) terragrunt pattern spanning lines decides at the line where it starts.
      {"dot-all rule starts at its first literal",
       "Initializing...\nError installing provider \"aws\": error fetching checksums\n"
       "Get \"https://releases.hashicorp.com\": dial tcp 1.2.3.4:443: i/o timeout\n",
       1, Class::transient, "builtin.transient.tg-default-06",
       "Error installing provider \"aws\": error fetching checksums", 2},
  };
  for (const Case& c : cases) check(c, builtin().classify(c.output, c.exit));
}

// Dot-all wildcards stop at a blank line, so a rule cannot join words from unrelated parts of a
// long log (terragrunt's "(?s).*provider.*tcp.*timeout.*" once spanned a whole run-all log).
TEST(Classify, DotAllRulesMatchWithinOneParagraph) {
  const std::string init =
      "[stacks/app-001] Starting apply...\n"                                         // 1
      "Initializing the backend...\n"                                                // 2
      "\n"                                                                           // 3
      "Initializing provider plugins...\n"                                           // 4
      "- Reusing previous version of hashicorp/aws from the dependency lock file\n"  // 5
      "- Using previously-installed hashicorp/aws v5.54.1\n"                         // 6
      "\n"                                                                           // 7
      "Terraform has been successfully initialized!\n";                              // 8
  const std::string registry_reset =
      init +
      "aws_instance.web: Refreshing state... [id=i-0abc]\n"                        // 9
      "\n"                                                                         // 10
      "Apply complete! Resources: 0 added, 0 changed, 0 destroyed.\n"              // 11
      "[stacks/pg] Starting apply...\n"                                            // 12
      TOP BAR "Error: Failed to query available provider packages\n"               // 13, 14
      BAR "\n"                                                                     // 15
      BAR "Could not retrieve the list of available versions for provider\n"       // 16
      BAR "hashicorp/aws: could not connect to registry.terraform.io: read tcp\n"  // 17
      BAR "10.0.5.12:44122->104.16.0.1:443: read: connection reset by peer\n"      // 18
      BOT;                                                                         // 19
  const std::string plan_then_fatal =
      init +
      "\n"                                                                               // 9
      "Terraform used the selected providers to generate the following execution\n"      // 10
      "plan. Resource actions are indicated with the following symbols:\n"               // 11
      "  + create\n"                                                                     // 12
      "  ~ update in-place\n"                                                            // 13
      "\n"                                                                               // 14
      "Terraform will perform the following actions:\n"                                  // 15
      "\n"                                                                               // 16
      "  # aws_security_group_rule.pg will be created\n"                                 // 17
      "  + resource \"aws_security_group_rule\" \"pg\" {\n"                              // 18
      "      + from_port         = 5432\n"                                               // 19
      "      + protocol          = \"tcp\"\n"                                            // 20
      "      + security_group_id = \"sg-0abc\"\n"                                        // 21
      "      + to_port           = 5432\n"                                               // 22
      "    }\n"                                                                          // 23
      "\n"                                                                               // 24
      "  # helm_release.pg will be updated in-place\n"                                   // 25
      "  ~ resource \"helm_release\" \"pg\" {\n"                                         // 26
      "        id      = \"pg\"\n"                                                       // 27
      "        timeout = 300\n"                                                          // 28
      "      ~ version = \"15.5.0\" -> \"15.5.1\"\n"                                     // 29
      "    }\n"                                                                          // 30
      "\n"                                                                               // 31
      "Plan: 1 to add, 1 to change, 0 to destroy.\n"                                     // 32
      "aws_security_group_rule.pg: Creating...\n"                                        // 33
      TOP BAR "Error: [WARN] A duplicate Security Group rule was found on\n"             // 34, 35
      BAR "(sg-0abc). This may be a side effect of a now-fixed Terraform issue\n"        // 36
      BAR "causing two security groups with identical attributes but different\n"        // 37
      BAR "source_security_group_ids to overwrite each other in the state. Error:\n"     // 38
      BAR "InvalidPermission.Duplicate: the specified rule \"peer: 10.0.0.0/16, TCP,\n"  // 39
      BAR "from port: 5432, to port: 5432, ALLOW\" already exists\n"                     // 40
      BAR "\n"                                                                           // 41
      BAR "  with aws_security_group_rule.pg,\n"                                         // 42
      BOT;                                                                               // 43

  // Without the scoping, these rules would match from line 4's "provider" onwards.
  const std::string early_provider = "provider plugins...";
  for (const auto& [pattern, output] :
       {std::pair{R"((?s)provider.*tcp.*connection reset by peer)", registry_reset},
        std::pair{R"((?s)provider.*tcp.*timeout)", plan_then_fatal}}) {
    re2::StringPiece m;
    const std::string text(normalise(output).text);
    ASSERT_TRUE(RE2(pattern).Match(text, 0, text.size(), RE2::UNANCHORED, &m, 1)) << pattern;
    ASSERT_EQ(m.substr(0, early_provider.size()), early_provider) << pattern;
  }

  const Case cases[] = {
      {"registry reset decides inside the error box", registry_reset, 1, Class::transient,
       "builtin.transient.tg-default-18",
       "Could not retrieve the list of available versions for provider hashicorp/aws: could not "
       "connect to registry.terraform.io: read tcp 10.0.5.12:44122->104.16.0.1:443: read: "
       "connection reset by peer",
       16},
      {"tcp and timeout in a plan diff do not make a fatal error transient", plan_then_fatal, 1,
       Class::fatal, "builtin.fatal.already-exists",
       "Error: [WARN] A duplicate Security Group rule was found on (sg-0abc). This may be a side "
       "effect of a now-fixed Terraform issue causing two security groups with identical "
       "attributes but different source_security_group_ids to overwrite each other in the "
       "state. Error: InvalidPermission.Duplicate: the specified rule \"peer: 10.0.0.0/16, TCP, "
       "from port: 5432, to port: 5432, ALLOW\" already exists",
       35},
      {"wrapped lines of one paragraph still match",
       "Error: Error configuring provider \"kubernetes\": Get\n"
       "\"https://10.0.20.10:6443/version\": dial tcp 10.0.20.10:6443:\n"
       "connect: operation timeout\n",
       1, Class::transient, "builtin.transient.tg-default-17",
       "Error: Error configuring provider \"kubernetes\": Get", 1},
      {"a box edge is a paragraph break",
       "Initializing provider plugins...\n" TOP BAR "Error: dial tcp 10.0.0.1:443: timeout\n" BOT,
       1, Class::fatal, "builtin.unknown", "Error: dial tcp 10.0.0.1:443: timeout", 3},
      {"an empty line inside a box is a paragraph break",
       TOP BAR "Error: Failed to resolve provider packages\n" BAR "\n" BAR
               "Could not resolve hashicorp/aws: dial tcp 10.0.0.1:443: timeout\n" BOT,
       1, Class::fatal, "builtin.unknown", "Error: Failed to resolve provider packages", 2},
  };
  for (const Case& c : cases) check(c, builtin().classify(c.output, c.exit));
}

TEST(Classify, UserDotAllRulesMatchWithinOneParagraph) {
  auto c =
      Classifier::create({{Class::transient, "pipeline.transient[0]", "(?s)Rollout.*timed out"}});
  ASSERT_TRUE(c) << c.error();
  const Case cases[] = {
      {"same paragraph", "Step 1\nRollout of web\nWaited 5m: timed out\n", 1, Class::transient,
       "pipeline.transient[0]", "Rollout of web", 2},
      {"across a blank line", "Rollout of web\n\nWaited 5m: timed out\n", 1, Class::fatal,
       "builtin.unknown"},
  };
  for (const Case& k : cases) check(k, c->classify(k.output, k.exit));
}

TEST(Classify, ExitCodes) {
  const std::string plan =
      "\x1b[1mTerraform will perform the following actions:\x1b[0m\n\n"
      "  # aws_instance.web will be created\n"
      "\x1b[1mPlan:\x1b[0m 1 to add, 0 to change, 0 to destroy.\n\n"
      "Note: You didn't use the -out option to save this plan.\n";
  const std::map<int, Class> drift{{2, Class::drift}};
  struct ExitCase {
    const char* name;
    std::string output;
    int exit;
    std::map<int, Class> map;
    Class cls;
    std::string rule, line;
    int line_no;
  };
  const ExitCase cases[] = {
      {"drift prefers plan line", plan, 2, drift, Class::drift, "exit:2",
       "Plan: 1 to add, 0 to change, 0 to destroy.", 4},
      {"drift without plan line", "Changes detected\n\n", 2, drift, Class::drift, "exit:2",
       "Changes detected", 1},
      {"map wins over text rules",
       "Error: Error acquiring the state lock\nlast\n",
       3,
       {{3, Class::transient}},
       Class::transient,
       "exit:3",
       "Error: Error acquiring the state lock last",
       1},
      {"unmapped code falls through", "Error: Error acquiring the state lock\n", 1, drift,
       Class::lock, "builtin.lock.state-lock", "Error: Error acquiring the state lock", 1},
      {"exit 0 is success whatever the text",
       "Error: boom\nApply complete!\n\n",
       0,
       {},
       Class::success,
       "exit:0",
       "Apply complete!",
       2},
      {"exit 0 empty output", "", 0, {}, Class::success, "exit:0", "", 0},
      {"exit 0 mapped", "x", 0, {{0, Class::fatal}}, Class::fatal, "exit:0", "x", 1},
      {"137 killed",
       "module.db: Still modifying... [2m0s elapsed]\n",
       137,
       {},
       Class::fatal,
       "builtin.exit.killed",
       "killed by SIGKILL (OOM or forced stop)",
       0},
      {"text beats exit rule",
       "Error: Invalid index\n",
       137,
       {},
       Class::fatal,
       "builtin.fatal.invalid-index",
       "Error: Invalid index",
       1},
      {"130 interrupted",
       "Interrupt received.\n",
       130,
       {},
       Class::fatal,
       "builtin.exit.interrupted",
       "interrupted by SIGINT",
       0},
      {"143 terminated",
       "",
       143,
       {},
       Class::fatal,
       "builtin.exit.interrupted",
       "terminated by SIGTERM",
       0},
      {"unknown takes last error line",
       "First.\nSome ERROR happened here.\nThen nothing.\n\n",
       1,
       {},
       Class::fatal,
       "builtin.unknown",
       "Some ERROR happened here.",
       2},
      {"unknown without error takes last line",
       "a\n  b  \n\n",
       1,
       {},
       Class::fatal,
       "builtin.unknown",
       "b",
       2},
      {"unknown empty output", "", 1, {}, Class::fatal, "builtin.unknown", "", 0},
  };
  for (const auto& c : cases) {
    const Verdict v = builtin().classify(c.output, c.exit, c.map);
    EXPECT_EQ(to_string(v.cls), to_string(c.cls)) << c.name;
    EXPECT_EQ(v.rule, c.rule) << c.name;
    EXPECT_EQ(v.line, c.line) << c.name;
    EXPECT_EQ(v.line_no, c.line_no) << c.name;
    EXPECT_FALSE(v.lock.has_value()) << c.name;
  }
}

TEST(Classify, LockInfoOnlyOnLockVerdicts) {
  const std::string out =
      "Error: Error acquiring the state lock\n\nLock Info:\n  ID: 42\n  Who: a@b\n\n";
  const Verdict lock = builtin().classify(out, 1);
  ASSERT_TRUE(lock.lock.has_value());
  EXPECT_EQ(lock.lock->id, "42");
  const Verdict mapped = builtin().classify(out, 4, {{4, Class::lock}});
  ASSERT_TRUE(mapped.lock.has_value());
  EXPECT_FALSE(builtin().classify(out, 0).lock.has_value());
  EXPECT_FALSE(builtin().classify(out, 5, {{5, Class::fatal}}).lock.has_value());
}

TEST(Classify, UserRulesExtendTheBuiltIns) {
  auto c = Classifier::create({
      {Class::transient, "pipeline.transient[0]", "(?s).*Vault is sealed.*"},
      {Class::transient, "pipeline.transient[1]", "connection reset"},
      {Class::transient, "pipeline.transient[2]", "upstream flapped"},
      {Class::fatal, "pipeline.fatal[0]", "ERROR: Cannot"},
      {Class::lock, "pipeline.lock[0]", "waiting for deploy slot"},
  });
  ASSERT_TRUE(c) << c.error();
  const Case cases[] = {
      {"dot-all user rule stripped", "line one\nline two\n* Vault is sealed\n", 1, Class::transient,
       "pipeline.transient[0]", "* Vault is sealed", 3},
      {"tie at same offset: built-in first", "read: connection reset by peer", 1, Class::transient,
       "builtin.transient.connection-reset"},
      {"earlier user match wins in class",
       "Error: upstream flapped\nError: connection reset by peer\n", 1, Class::transient,
       "pipeline.transient[2]", "Error: upstream flapped", 1},
      {"user fatal cannot beat built-in lock", "ERROR: Cannot x\nError locking state\n", 1,
       Class::lock, "builtin.lock.locking-state"},
      {"user lock beats built-in transient", "Error: broken pipe\nStill waiting for deploy slot\n",
       1, Class::lock, "pipeline.lock[0]", "Still waiting for deploy slot", 2},
      {"tie goes to the built-in fatal", "ERROR: Cannot read PG credentials from Vault", 1,
       Class::fatal, "builtin.fatal.pg-credentials"},
  };
  for (const Case& k : cases) check(k, c->classify(k.output, k.exit));
  // The built-in classifier does not know the user's rules.
  EXPECT_EQ(builtin().classify("* Vault is sealed", 1).rule, "builtin.unknown");
}

TEST(Classify, InvalidUserRulesAreRejectedByName) {
  struct Bad {
    RuleSpec spec;
    std::string error;
  };
  const Bad cases[] = {
      {{Class::fatal, "pipeline.fatal[2]", "(abc"},
       "rule \"pipeline.fatal[2]\": invalid regex: missing ): (abc"},
      {{Class::transient, "t", "(?s).*[z-a].*"},
       "rule \"t\": invalid regex: invalid character class range: z-a"},
      {{Class::lock, "l", "a**"}, "rule \"l\": invalid regex: bad repetition operator: **"},
      {{Class::drift, "d", "x"}, "rule \"d\": class must be lock, transient or fatal, not drift"},
      {{Class::success, "s", "x"},
       "rule \"s\": class must be lock, transient or fatal, not success"},
  };
  for (const auto& b : cases) {
    auto c = Classifier::create({b.spec});
    ASSERT_FALSE(c) << b.spec.id;
    EXPECT_EQ(c.error(), b.error);
  }
}

TEST(Classify, CopiesShareRulesAndGiveTheSameVerdicts) {
  const Classifier copy = builtin();
  const Verdict a = copy.classify("broken pipe", 1);
  const Verdict b = builtin().classify("broken pipe", 1);
  EXPECT_EQ(a.rule, b.rule);
  EXPECT_EQ(a.cls, Class::transient);
}

TEST(Classify, SharedAcrossThreads) {
  const std::string out = "x\nError: Error acquiring the state lock\nLock Info:\n  ID: 7\n";
  std::vector<std::string> rules(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < rules.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) rules[t] = builtin().classify(out, 1).rule;
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& r : rules) EXPECT_EQ(r, "builtin.lock.state-lock");
}

}  // namespace
}  // namespace stackrun::core
