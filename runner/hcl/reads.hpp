#pragma once
// What a Terragrunt stack reads (pure, over a repository given as a file list and a reader):
// the files its `include` blocks name, the files passed to read_terragrunt_config, file,
// templatefile and sops_decrypt_file, and the local module directory of `terraform { source }`
// (the part before `//`; remote sources are not files), followed through included and read
// configurations; and the stacks it depends on (`dependency` and `dependencies`). Expressions
// are evaluated statically (eval.hpp) with Terragrunt's path functions; what cannot be
// evaluated is reported with its file:line:col, never guessed.
//
// Terragrunt's rules as modelled here: every function is evaluated in the context of the stack
// (its directory is get_terragrunt_dir(), also inside included files; relative paths are
// relative to it, as Terragrunt runs there); find_in_parent_folders(name) looks in the parent
// of the stack's directory, then upwards to the repository root; get_parent_terragrunt_dir()
// is the included file's directory inside it and the first include's in the stack's own
// file; read_terragrunt_config(path) evaluates that file as a configuration of its own (its
// directory is its get_terragrunt_dir()), and its value exposes `locals`. Absolute paths are
// those under get_repo_root(); paths outside the repository are not followed.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runner/hcl/parse.hpp"

namespace stackrun::hcl {

// The repository at one commit.
struct RepoTree {
  const std::vector<std::string>* files = nullptr;  // every file, repo-relative, sorted
  // The text of a file; nullopt when it cannot be read.
  std::function<std::optional<std::string>(const std::string&)> read;
};

// Parsed files by path, shared by the stacks of one analysis (a root config is parsed once).
class ParseCache {
 public:
  // The parse of `path` read through `repo`; an unreadable file parses as a syntax error.
  const Parsed& get(const std::string& path, const RepoTree& repo);

 private:
  std::map<std::string, std::unique_ptr<Parsed>> parsed_;
};

struct StackRead {
  std::string path;  // repo-relative file, or directory when `dir` (everything under it)
  bool dir = false;
  // How the stack reaches it, e.g. "include", "terraform.source", or through several files
  // "include -> stacks/terragrunt.hcl -> read_terragrunt_config".
  std::string via;
  bool operator==(const StackRead&) const = default;
};

struct StackConfig {
  std::vector<StackRead> reads;           // first reach of each path, in the order found
  std::vector<std::string> dependencies;  // stack directories, repo-relative, sorted, unique
  std::vector<std::string> unresolved;    // "file:line:col: why", in the order found
};

// The analysis of the stack whose configuration file is `config_file` (repo-relative, e.g.
// "stacks/dbaas/terragrunt.hcl").
StackConfig analyse_stack(const std::string& config_file, const RepoTree& repo, ParseCache& cache);

// Repo-relative paths: "a/b/../c" -> "a/c"; nullopt when it leaves the repository.
std::optional<std::string> normalise(const std::string& path);

}  // namespace stackrun::hcl
