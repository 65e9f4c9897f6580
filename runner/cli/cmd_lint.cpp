// `stackrun lint FILE...`: validate pipeline files; print located diagnostics.
// `stackrun lint --repo DIR [--rev REV]`: the same for every .stackrun/*.yml at REV, and for
// each apply pipeline, whether its stacks can be ordered (their Terragrunt dependencies).
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "pipelines/loader.hpp"
#include "runner/cli/commands.hpp"
#include "runner/cli/io.hpp"
#include "runner/cli/stack_order.hpp"
#include "runner/git/repo.hpp"

namespace stackrun::cli {
namespace {

struct LintArgs {
  std::vector<std::string> files;
  std::string repo, rev = "HEAD";
};

// Prints the diagnostics of `text` (from `path`); returns how many, and the pipeline if valid.
int lint_text(const std::string& text, const std::string& path,
              std::optional<pipelines::Pipeline>* out = nullptr) {
  auto loaded = pipelines::load_pipeline(text, path);
  for (const auto& d : loaded.diagnostics) std::cout << d.str() << "\n";
  if (out) *out = std::move(loaded.pipeline);
  return static_cast<int>(loaded.diagnostics.size());
}

// Files given on the command line; -1 when one cannot be read (usage error, exit 2).
int lint_files(const std::vector<std::string>& files) {
  int problems = 0;
  for (const auto& path : files) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > pipelines::kMaxPipelineBytes) {  // refused before reading it
      std::cout << path << ":1:1: " << pipelines::oversize_message(size) << "\n";
      ++problems;
      continue;
    }
    auto text = read_file(path);
    if (!text) {
      std::cerr << "stackrun lint: " << text.error() << "\n";
      return -1;
    }
    problems += lint_text(*text, path);
  }
  return problems;
}

// Every pipeline file of the repo at the revision, and the stack order of its apply pipelines.
// Sets `count` to the files linted; -1 on a git error (printed).
int lint_repo(const LintArgs& a, std::size_t& count) {
  auto fail = [](const std::string& msg) {
    std::cerr << "stackrun lint: " << msg << "\n";
    return -1;
  };
  auto repo = git::open_repo(a.repo);
  if (!repo) return fail(repo.error());
  const git::Repo& r = **repo;
  auto commit = r.resolve(a.rev);
  if (!commit) return fail(commit.error());
  auto files = r.list_files(*commit);
  if (!files) return fail(files.error());
  int problems = 0;
  for (const auto& f : *files) {
    if (!is_pipeline_file(f)) continue;
    ++count;
    auto size = r.file_size(*commit, f);
    if (size && *size > pipelines::kMaxPipelineBytes) {
      std::cout << f << ":1:1: " << pipelines::oversize_message(*size) << "\n";
      ++problems;
      continue;
    }
    auto text = r.read_file(*commit, f);
    if (!text) return fail(text.error());
    std::optional<pipelines::Pipeline> pipeline;
    problems += lint_text(*text, f, &pipeline);
    if (!pipeline || pipeline->kind != pipelines::Kind::apply) continue;
    for (const auto& e : stack_order_errors(r, *commit, *files, *pipeline)) {
      std::cout << f << ": stacks: " << e << "\n";
      ++problems;
    }
  }
  if (count == 0) std::cerr << "stackrun lint: no pipeline files in " << kPipelineDir << "\n";
  return problems;
}

}  // namespace

void add_lint(CLI::App& app, int& exit_code) {
  auto* cmd =
      app.add_subcommand("lint", "Validate pipeline files; print file:line:col diagnostics");
  cmd->footer(
      "With --repo, lints every .stackrun/*.yml at --rev (default HEAD) and checks that the\n"
      "stacks of each apply pipeline can be ordered: a dependency cycle or a dependency on a\n"
      "later tier is printed as `FILE: stacks: <why>`.\n"
      "Exit status: 0 all files clean, 1 problems found, 2 usage error or unreadable file.");
  auto a = std::make_shared<LintArgs>();
  auto* files = cmd->add_option("files", a->files, "Pipeline YAML files (e.g. .stackrun/*.yml)");
  auto* repo = cmd->add_option("--repo", a->repo,
                               "Lint the pipelines of this git repository (work tree or bare)");
  cmd->add_option("--rev", a->rev, "With --repo: the revision to lint (default HEAD)")->needs(repo);
  files->excludes(repo);
  cmd->callback([a, &exit_code] {
    if (a->files.empty() && a->repo.empty()) {
      std::cerr << "stackrun lint: give pipeline FILEs or --repo DIR\n";
      exit_code = 2;
      return;
    }
    std::size_t count = a->files.size();
    const int problems = a->repo.empty() ? lint_files(a->files) : lint_repo(*a, count);
    if (problems < 0) {
      exit_code = 2;
    } else if (problems > 0) {
      std::cerr << problems << (problems == 1 ? " problem" : " problems") << " in " << count
                << (count == 1 ? " file\n" : " files\n");
      exit_code = 1;
    }
  });
}

}  // namespace stackrun::cli
