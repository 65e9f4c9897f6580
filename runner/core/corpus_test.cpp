// The classifier against the shared corpus: every row of error-signatures.tsv and every pattern
// of terragrunt's default retryable list, read from the files themselves.
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "runner/core/classify.hpp"
#include "runner/core/normalise.hpp"

namespace stackrun::core {
namespace {

#define TOP "\xE2\x95\xB7\n"
#define BAR "\xE2\x94\x82 "
#define BOT "\xE2\x95\xB5\n"

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return std::string(s);
}

struct Row {
  int file_line;
  std::string cls, tool, line, note;
  bool description() const {
    for (const char* p : {"DESCRIPTION", "REGEX", "PARAPHRASE"})
      if (note.starts_with(p)) return true;
    return false;
  }
  bool exit_code() const { return note.starts_with("EXIT CODE"); }
  bool literal() const { return !description() && !exit_code(); }
};

std::vector<Row> signatures() {
  std::istringstream in(read_text(STACKRUN_DATA_DIR "/corpus/error-signatures.tsv"));
  std::vector<Row> rows;
  std::string text;
  int n = 0;
  while (std::getline(in, text)) {
    if (++n == 1 || text.empty()) continue;  // header
    std::vector<std::string> cols;
    std::size_t start = 0;
    for (std::size_t tab; (tab = text.find('\t', start)) != std::string::npos; start = tab + 1)
      cols.push_back(text.substr(start, tab - start));
    cols.push_back(text.substr(start));
    if (cols.size() != 4)
      throw std::runtime_error("error-signatures.tsv:" + std::to_string(n) +
                               ": expected 4 columns");
    rows.push_back({n, cols[0], cols[1], cols[2], cols[3]});
  }
  return rows;
}

const Classifier& classifier() {
  static const Classifier c = [] {
    auto r = Classifier::create();
    if (!r) throw std::runtime_error(r.error());
    return *r;
  }();
  return c;
}

Class expected(const std::string& cls) {
  if (cls == "ok") return Class::success;
  const auto c = class_from_string(cls);
  if (!c) throw std::runtime_error("unknown class " + cls);
  return *c;
}

TEST(Corpus, EveryLiteralSignatureGetsItsClassOnItsOwnLine) {
  int checked = 0;
  for (const Row& row : signatures()) {
    if (!row.literal()) continue;
    const std::string where =
        "error-signatures.tsv:" + std::to_string(row.file_line) + ": " + row.line;
    const Class want = expected(row.cls);
    const Verdict v = classifier().classify(row.line, want == Class::success ? 0 : 1);
    EXPECT_EQ(to_string(v.cls), to_string(want)) << where << " (rule " << v.rule << ")";
    EXPECT_EQ(v.line, trim(row.line)) << where;
    EXPECT_EQ(v.line_no, 1) << where;
    if (want == Class::lock || want == Class::transient || want == Class::fatal) {
      EXPECT_NE(v.rule, "builtin.unknown") << where;
    }
    ++checked;
  }
  EXPECT_GE(checked, 29);
}

TEST(Corpus, ExitCodeRows) {
  const std::map<int, Class> drift_map{{2, Class::drift}};
  const std::string plan =
      "aws_instance.web: Refreshing state... [id=i-0abc]\n\n"
      "Terraform will perform the following actions:\n\n"
      "  # aws_instance.web will be updated in-place\n\n"
      "Plan: 0 to add, 1 to change, 0 to destroy.\n";
  int checked = 0;
  for (const Row& row : signatures()) {
    if (!row.exit_code()) continue;
    ++checked;
    const std::string where = "error-signatures.tsv:" + std::to_string(row.file_line);
    if (row.cls == "fatal") {
      const Verdict v = classifier().classify(
          "Planning failed. Terraform encountered an error while generating this plan.\n", 1,
          drift_map);
      EXPECT_EQ(v.cls, Class::fatal) << where;
    } else if (row.cls == "drift") {
      const Verdict v = classifier().classify(plan, 2, drift_map);
      EXPECT_EQ(v.cls, Class::drift) << where;
      EXPECT_EQ(v.rule, "exit:2") << where;
      EXPECT_EQ(v.line, "Plan: 0 to add, 1 to change, 0 to destroy.") << where;
      EXPECT_EQ(v.line_no, 7) << where;
    } else {
      ASSERT_EQ(row.cls, "ok") << where;
      const Verdict v = classifier().classify(
          "No changes. Your infrastructure matches the "
          "configuration.\n",
          0, drift_map);
      EXPECT_EQ(v.cls, Class::success) << where;
    }
  }
  EXPECT_EQ(checked, 3);
}

// Realistic output for each row that only describes a signature, keyed by the row's `line`.
// A new description row without samples here fails the test.
const std::multimap<std::string, std::pair<std::string, std::string>> kDescribed = {
    {"error reading from Vault.*Code: 5[0-9][0-9]",
     {TOP BAR "Error: error reading from Vault: Error making API request.\n" BAR "\n" BAR
              "URL: GET https://vault.acme.internal:8200/v1/secret/data/platform/pg\n" BAR
              "Code: 503. Errors:\n" BAR "\n" BAR "* Vault is sealed\n" BOT,
      "builtin.transient.vault-5xx"}},
    {"error reading from Vault.*Code: 5[0-9][0-9]",
     {"Error: error reading from Vault: Error making API request.\n\nURL: GET "
      "https://vault:8200/v1/auth/token/lookup-self\nCode: 502. Errors:\n",
      "builtin.transient.vault-5xx"}},
    {"broken pipe / connection refused",
     {"Error: Error releasing the state lock\n\nError message: write tcp "
      "10.0.5.12:40114->10.0.20.200:5432: write: broken pipe\n",
      "builtin.transient.broken-pipe"}},
    {"broken pipe / connection refused",
     {"Error: Failed to get existing workspaces: dial tcp 10.0.20.200:5432: connect: connection "
      "refused\n",
      "builtin.transient.connection-refused"}},
    {"403 on vault_mount.transit + vault_policy.personal_emo",
     {TOP BAR "Error: error creating mount transit: Error making API request.\n" BAR "\n" BAR
              "URL: POST https://vault.acme.internal:8200/v1/sys/mounts/transit\n" BAR
              "Code: 403. Errors:\n" BAR "\n" BAR "* 1 error occurred:\n" BAR
              "\t* permission denied\n" BOT,
      "builtin.fatal.vault-permission-denied"}},
    {"403 on vault_mount.transit + vault_policy.personal_emo",
     {"Error: error writing policy personal_emo: Error making API request.\n\nURL: PUT "
      "https://vault:8200/v1/sys/policies/acl/personal_emo\nCode: 403. Errors:\n\n"
      "* permission denied\n",
      "builtin.fatal.vault-permission-denied"}},
    {"missing-arg",
     {TOP BAR "Error: Missing required argument\n" BAR "\n" BAR
              "  on main.tf line 14, in module \"pg\":\n" BAR "  14: module \"pg\" {\n" BAR "\n" BAR
              "The argument \"namespace\" is required, but no definition was found.\n" BOT,
      "builtin.fatal.missing-argument"}},
    {"invalid index",
     {TOP BAR "Error: Invalid index\n" BAR "\n" BAR "  on locals.tf line 8, in locals:\n" BAR
              "   8:   primary = var.nodes[3]\n" BAR "\n" BAR
              "The given key does not identify an element in this collection value: the\n" BAR
              "given index is greater than or equal to the length of the collection.\n" BOT,
      "builtin.fatal.invalid-index"}},
    {"helm atomic timeout",
     {TOP BAR "Error: release tempo failed, and has been uninstalled due to atomic being set: "
              "timed\n" BAR "out waiting for the condition\n" BAR "\n" BAR
              "  with helm_release.tempo,\n" BOT,
      "builtin.fatal.helm-atomic"}},
    {"helm atomic timeout",
     {"Error: UPGRADE FAILED: release prometheus failed, and has been rolled back due to atomic "
      "being set: timed out waiting for the condition\n",
      "builtin.fatal.helm-atomic"}},
    {"field-manager conflict",
     {TOP BAR
      "Error: There was a field manager conflict when trying to apply the manifest for\n" BAR
      "\"apps/instagram-poster\"\n" BAR "\n" BAR
      "The API returned the following conflict: \"Apply failed with 1 conflict: conflict\n" BAR
      "with \\\"external-secrets\\\" using external-secrets.io/v1beta1: "
      ".spec.refreshInterval\"\n" BAR "\n" BAR
      "You can override this conflict by setting \"force_conflicts\" to true in the\n" BAR
      "\"field_manager\" block.\n" BOT,
      "builtin.fatal.ssa-conflict"}},
};

TEST(Corpus, EveryDescribedSignatureIsCoveredByRealisticOutput) {
  int rows = 0;
  for (const Row& row : signatures()) {
    if (!row.description()) continue;
    ++rows;
    const auto [begin, end] = kDescribed.equal_range(row.line);
    ASSERT_NE(begin, end) << "error-signatures.tsv:" << row.file_line << ": no sample for \""
                          << row.line << "\"";
    for (auto it = begin; it != end; ++it) {
      const auto& [output, rule] = it->second;
      const Verdict v = classifier().classify(output, 1);
      EXPECT_EQ(to_string(v.cls), row.cls) << row.line << " / " << rule;
      EXPECT_EQ(v.rule, rule) << row.line;
    }
  }
  EXPECT_EQ(rows, 7);
}

std::vector<std::string> terragrunt_patterns() {
  std::istringstream in(read_text(STACKRUN_DATA_DIR "/corpus/terragrunt-default-retryable.txt"));
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && !line.starts_with('#')) out.push_back(line);
  return out;
}

// One realistic output per terragrunt default pattern, in file order. Several are boxed and
// wrapped the way Terraform prints them, so they only match once normalised.
const std::string kTerragruntSamples[] = {
    /* 01 */
    "Error: Failed to load state: RequestError: send request failed\ncaused by: Get "
    "\"https://acme-tf.s3.eu-west-1.amazonaws.com/stacks/pg/terraform.tfstate\": dial tcp "
    "52.218.1.9:443: i/o timeout\n",
    /* 02 */
    "Error: Failed to load backend: Error configuring the backend \"s3\": RequestError: "
    "send request failed\ncaused by: Post \"https://sts.amazonaws.com/\": net/http: TLS "
    "handshake timeout\n",
    /* 03 */
    "Error: Creating metric alarm failed: ValidationError: A separate request to update "
    "this alarm is in progress.\n\tstatus code: 400, request id: 6b1c\n",
    /* 04 */
    "Error installing provider \"aws\": error fetching checksums: Get "
    "\"https://releases.hashicorp.com/terraform-provider-aws/2.70.0/"
    "terraform-provider-aws_2.70.0_SHA256SUMS\": net/http: TLS handshake timeout.\n",
    /* 05 */
    "Error configuring the backend \"s3\": RequestError: send request failed\ncaused by: "
    "Post \"https://sts.amazonaws.com/\": net/http: TLS handshake timeout\n",
    /* 06 */
    "Error installing provider \"aws\": error fetching checksums: Get "
    "\"https://releases.hashicorp.com/\": dial tcp 1.2.3.4:443: i/o timeout\n",
    /* 07 */
    "Error installing provider \"google\": error fetching checksums: Get "
    "\"https://releases.hashicorp.com/\": read tcp 10.0.5.12:51234->151.101.1.183:443: "
    "read: connection reset by peer\n",
    /* 08 */
    "Error: Failed to get existing workspaces: S3 bucket does not exist.\n\n"
    "Error: NoSuchBucket: The specified bucket does not exist\n\tstatus code: 404, "
    "request id: 8F2C\n",
    /* 09 */
    "Error: Error creating SSM parameter: TooManyUpdates: Too many updates to parameter "
    "/platform/pg/password.\n\tstatus code: 400\n",
    /* 10 */
    "Error: Error reading workspace: GET "
    "https://app.terraform.io/api/v2/organizations/acme/workspaces/prod: 429 Too Many "
    "Requests\n",
    /* 11 */
    "Error: Failed to download module\n\nCould not download module \"vpc\" (main.tf:1) "
    "source code from \"git::ssh://git@github.com/acme/modules.git\": /usr/bin/git "
    "exited with 128:\nssh_exchange_identification: Connection closed by remote host\n"
    "fatal: Could not read from remote repository.\n",
    /* 12 */
    "Error: Failed to install provider\n\nError while installing hashicorp/aws v5.54.1: "
    "Get \"https://releases.hashicorp.com/\": net/http: request canceled while waiting "
    "for connection (Client.Timeout exceeded while awaiting headers)\n",
    /* 13 */
    "Error: Failed to download module\n\nCould not download module \"vpc\" (main.tf:1) "
    "source code from \"git::https://github.com/acme/modules.git\": /usr/bin/git exited "
    "with 128:\nerror: The requested URL returned error: 429\n",
    /* 14 */
    "Error: Get \"https://registry.terraform.io/v1/providers/hashicorp/aws/versions\": "
    "net/http: TLS handshake timeout\n",
    /* 15 */
    "Error: could not query provider registry for registry.terraform.io/hashicorp/aws: "
    "the request failed after 2 attempts, please try again later: Get "
    "\"https://registry.terraform.io/v1/providers/hashicorp/aws/versions\": context "
    "deadline exceeded\n",
    /* 16 */
    TOP BAR "Error: Failed to install provider\n" BAR "\n" BAR
            "Error while installing hashicorp/helm v2.14.0: Get\n" BAR
            "\"https://github.com/hashicorp/terraform-provider-helm/releases\": net/http: TLS\n" BAR
            "handshake timeout\n" BOT,
    /* 17 */
    "Error: Error configuring provider \"kubernetes\": Get "
    "\"https://10.0.20.10:6443/version\": dial tcp 10.0.20.10:6443: i/o timeout\n",
    /* 18 */
    "Error: Error configuring provider \"postgresql\": read tcp "
    "10.0.5.12:51522->10.0.20.200:5432: read: connection reset by peer\n",
    /* 19 */
    "Error: Failed to read schema for provider registry.terraform.io/hashicorp/vault: "
    "context deadline exceeded\n",
    /* 20 */
    "Error: Failed to retrieve available versions for module \"vpc\" (main.tf:1) from "
    "registry.terraform.io: Get \"https://registry.terraform.io/v1/modules/x/vpc/aws/"
    "versions\": context deadline exceeded\n",
    /* 21 */
    "Error: Failed to resolve provider packages\n\nCould not resolve provider "
    "hashicorp/aws: Get \"https://registry.terraform.io/.well-known/terraform.json\": "
    "dial tcp 104.16.0.1:443: i/o timeout\n",
    /* 22 */
    "Error: Failed to resolve provider packages\n\nCould not resolve provider "
    "hashicorp/aws: read tcp 10.0.5.12:44122->104.16.0.1:443: read: connection reset by "
    "peer\n",
    /* 23 */
    "Error: Failed to resolve provider packages\n\nCould not resolve provider "
    "hashicorp/aws: Get \"https://registry.terraform.io/v1/providers/hashicorp/aws/"
    "versions\": context deadline exceeded\n",
    /* 24 */
    TOP BAR "Error: Failed to query available provider packages\n" BAR "\n" BAR
            "Could not retrieve the list of available versions for provider hashicorp/aws:\n" BAR
            "could not connect to registry.terraform.io: Failed to request discovery\n" BAR
            "document: Get \"https://registry.terraform.io/.well-known/terraform.json\": dial\n" BAR
            "tcp: lookup registry.terraform.io: i/o timeout\n" BOT,
    /* 25 */
    "Could not retrieve the list of available versions for provider hashicorp/aws: could "
    "not connect to registry.terraform.io: read tcp 10.0.5.12:44122->104.16.0.1:443: "
    "read: connection reset by peer\n",
    /* 26 */
    "Could not retrieve the list of available versions for provider hashicorp/aws: could "
    "not connect to registry.terraform.io: failed to request discovery document: Get "
    "\"https://registry.terraform.io/.well-known/terraform.json\": context deadline "
    "exceeded\n",
    /* 27 */
    TOP BAR
    "Error: Failed to query available provider packages\n" BAR "\n" BAR
    "Could not retrieve the list of available versions for provider acme/internal: the\n" BAR
    "registry at tf.acme.internal: failed to request\n" BAR
    "discovery document: Get \"https://tf.acme.internal/.well-known/terraform.json\":\n" BAR
    "context deadline exceeded\n" BOT,
    /* 28 */
    "Error: Failed to query available provider packages\n\nCould not retrieve the list "
    "of available versions for provider hashicorp/aws: dial tcp 104.16.0.1:443: i/o "
    "timeout\n",
    /* 29 */
    "Error: Failed to query available provider packages\n\nCould not retrieve the list "
    "of available versions for provider hashicorp/aws: read tcp "
    "10.0.5.12:44122->104.16.0.1:443: read: connection reset by peer\n",
    /* 30 */
    TOP BAR
    "Error: Failed to query available provider packages\n" BAR "\n" BAR
    "Could not retrieve the list of available versions for provider\n" BAR
    "hashicorp/kubernetes: the request failed after 2 attempts, please try again later:\n" BAR
    "context deadline exceeded\n" BOT,
};

TEST(Corpus, TerragruntDefaultsAreBuiltInVerbatimAndInOrder) {
  const auto patterns = terragrunt_patterns();
  ASSERT_EQ(patterns.size(), 30u);
  std::map<std::string, std::string> builtin;
  for (const RuleSpec& r : builtin_rules()) builtin[r.id] = r.pattern;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    char id[64];
    std::snprintf(id, sizeof id, "builtin.transient.tg-default-%02zu", i + 1);
    ASSERT_TRUE(builtin.count(id)) << id;
    EXPECT_EQ(builtin[id], patterns[i]) << id;
  }
}

TEST(Corpus, EveryTerragruntDefaultMatchesARealisticSampleAsTransient) {
  const auto patterns = terragrunt_patterns();
  ASSERT_EQ(std::size(kTerragruntSamples), patterns.size());
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    const std::string& sample = kTerragruntSamples[i];
    const RE2 re(patterns[i]);
    ASSERT_TRUE(re.ok()) << patterns[i];
    EXPECT_TRUE(RE2::PartialMatch(normalise(sample).text, re))
        << "sample " << i + 1 << " does not match " << patterns[i];
    const Verdict v = classifier().classify(sample, 1);
    EXPECT_EQ(v.cls, Class::transient) << "sample " << i + 1 << " got " << v.rule;
  }
}

// Box-wrapped samples only match once the box is stripped and the paragraph joined.
TEST(Corpus, WrappedTerragruntSamplesNeedNormalisation) {
  for (std::size_t i : {16u, 27u}) {
    const RE2 re(terragrunt_patterns()[i - 1]);
    EXPECT_FALSE(RE2::PartialMatch(kTerragruntSamples[i - 1], re)) << i;
    EXPECT_TRUE(RE2::PartialMatch(normalise(kTerragruntSamples[i - 1]).text, re)) << i;
  }
}

TEST(Corpus, NonRetryableTerragruntFailuresAreFatal) {
  const std::pair<std::string, std::string> cases[] = {
      {"Error: Unsupported argument\n\n  on main.tf line 12, in resource \"aws_instance\" "
       "\"web\":\n  12:   amii = \"ami-123\"\n\nAn argument named \"amii\" is not expected here. "
       "Did you mean \"ami\"?\n",
       "builtin.fatal.terraform-config"},
      {"Error: Reference to undeclared resource\n\n  on outputs.tf line 2, in output \"id\":\n"
       "   2:   value = aws_instance.webb.id\n\nA managed resource \"aws_instance\" \"webb\" has "
       "not been declared in the root module.\n",
       "builtin.fatal.terraform-config"},
      {"ERRO[0000] /work/stacks/pg/terragrunt.hcl:3,1-8: Unsupported block type; Blocks of type "
       "\"inptus\" are not expected here.\n",
       "builtin.fatal.hcl-diagnostic"},
      {"Error: No value for required variable\n\n  on variables.tf line 1:\n   1: variable "
       "\"region\" {\n\nThe root module input variable \"region\" is not set, and has no default "
       "value.\n",
       "builtin.fatal.terraform-config"},
      {"Error: Invalid for_each argument\n\n  on main.tf line 5, in resource \"vault_policy\" "
       "\"user\":\n   5:   for_each = local.k8s_users\n\nThe \"for_each\" map includes keys "
       "derived from resource attributes that cannot be determined until apply.\n",
       "builtin.fatal.invalid-for-each"},
  };
  for (const auto& [output, rule] : cases) {
    const Verdict v = classifier().classify(output, 1);
    EXPECT_EQ(v.cls, Class::fatal) << output;
    EXPECT_EQ(v.rule, rule) << output;
  }
}

}  // namespace
}  // namespace stackrun::core
