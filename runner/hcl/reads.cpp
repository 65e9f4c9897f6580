#include "runner/hcl/reads.hpp"

#include <algorithm>
#include <set>

#include "runner/hcl/eval.hpp"

namespace stackrun::hcl {
namespace {

// get_repo_root() as the evaluator sees it: an absolute path no real one shares.
const std::string kRoot = "/@repo";
constexpr int kMaxDepth = 16;  // configurations reached through configurations

std::string dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string join(const std::string& dir, const std::string& rest) {
  if (dir.empty()) return rest;
  if (rest.empty()) return dir;
  return dir + "/" + rest;
}

std::string absolute(const std::string& rel) {
  return rel.empty() ? kRoot : kRoot + "/" + rel;
}

// A path as a Terragrunt expression wrote it, relative to `base` (a repo-relative directory)
// unless absolute, as a repo-relative path; nullopt outside the repository.
std::optional<std::string> resolve(const std::string& p, const std::string& base) {
  if (p.starts_with("/")) {
    if (p == kRoot) return std::string();
    if (!p.starts_with(kRoot + "/")) return std::nullopt;
    return normalise(p.substr(kRoot.size() + 1));
  }
  return normalise(join(base, p));
}

// `to` relative to `from` (both repo-relative directories): "../../a"; "." when equal.
std::string relative(const std::string& from, const std::string& to) {
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < s.size()) {
      auto slash = s.find('/', at);
      if (slash == std::string::npos) slash = s.size();
      if (slash > at) out.push_back(s.substr(at, slash - at));
      at = slash + 1;
    }
    return out;
  };
  const auto a = split(from), b = split(to);
  std::size_t common = 0;
  while (common < a.size() && common < b.size() && a[common] == b[common]) ++common;
  std::string out;
  for (std::size_t i = common; i < a.size(); ++i) out = join(out, "..");
  for (std::size_t i = common; i < b.size(); ++i) out = join(out, b[i]);
  return out.empty() ? "." : out;
}

bool exists(const RepoTree& repo, const std::string& path) {
  return repo.files && std::binary_search(repo.files->begin(), repo.files->end(), path);
}

// Is `source` a local path (Terraform: "./", "../" or absolute) rather than a remote one?
bool local_source(const std::string& source) {
  if (source.find("::") != std::string::npos || source.find("://") != std::string::npos)
    return false;
  return source.starts_with("./") || source.starts_with("../") || source.starts_with("/") ||
         source == "." || source == "..";
}

class Analysis;

// The scope of one configuration file's expressions.
class ConfigScope : public Scope {
 public:
  ConfigScope(Analysis& an, std::string file, const Body& body, std::string stack_dir,
              std::string parent_dir, std::string via, int depth)
      : an_(an),
        file_(std::move(file)),
        body_(body),
        stack_dir_(std::move(stack_dir)),
        parent_dir_(std::move(parent_dir)),
        via_(std::move(via)),
        depth_(depth) {}

  const std::string& file() const override { return file_; }
  Value local(const std::string& name, const Expr& at) override;
  Value variable(const std::string& name, const Expr& at) override;
  std::optional<Value> call(const std::string& name, const std::vector<Value>& args,
                            const Expr& at) override;

  // Walks every expression of the file: records its reads and dependencies.
  void walk();
  void set_parent_dir(std::string d) { parent_dir_ = std::move(d); }
  void expose_include(const std::string& label, Value v) { includes_.attrs[label] = std::move(v); }
  // The `locals` of this file, each evaluated (unknowns included), as an object.
  Value locals_object();
  const std::string& via() const { return via_; }
  int depth() const { return depth_; }
  const std::string& stack_dir() const { return stack_dir_; }

 private:
  void walk_expr(const Expr& e);
  void walk_body(const Body& b, const std::string& block);

  Analysis& an_;
  std::string file_;
  const Body& body_;
  std::string stack_dir_, parent_dir_, via_;
  int depth_;
  std::map<std::string, Value> locals_;
  std::set<std::string> evaluating_;
  Value includes_ = [] {
    Value v;
    v.kind = Value::Kind::object;
    return v;
  }();
};

class Analysis {
 public:
  Analysis(const RepoTree& repo, ParseCache& cache) : repo_(repo), cache_(cache) {}

  void read(const std::string& path, bool dir, const std::string& via) {
    if (seen_.insert({path, dir}).second) out.reads.push_back({path, dir, via});
  }
  void unresolved(const std::string& what) {
    if (std::find(out.unresolved.begin(), out.unresolved.end(), what) == out.unresolved.end())
      out.unresolved.push_back(what);
  }
  void dependency(const std::string& dir) { deps_.insert(dir); }

  // The stack's own configuration: its includes first (they give get_parent_terragrunt_dir
  // and `include.<label>`), then everything it says.
  void stack(const std::string& config_file) {
    const Parsed& p = cache_.get(config_file, repo_);
    if (!p.body) return unresolved(p.error->str());
    const std::string dir = dir_of(config_file);
    ConfigScope scope(*this, config_file, *p.body, dir, dir, "", 0);
    bool first = true;
    for (const auto& b : p.body->blocks) {
      if (b.type != "include") continue;
      auto included = include(scope, b);
      if (!included) continue;
      if (first) scope.set_parent_dir(dir_of(*included));
      first = false;
    }
    scope.walk();
    // The stack's source wins; else the last include that sets one (Terragrunt's merge).
    if (!source_of_stack_ && last_include_source_) source(*last_include_source_);
    out.dependencies.assign(deps_.begin(), deps_.end());
  }

  // Follows one include block of `scope`: returns the included file (repo-relative).
  std::optional<std::string> include(ConfigScope& scope, const Block& b) {
    const Attribute* path = nullptr;
    for (const auto& a : b.body.attributes)
      if (a.name == "path") path = &a;
    if (!path) {
      unresolved(scope.file() + ":" + std::to_string(b.pos.line) + ":" + std::to_string(b.pos.col) +
                 ": include without a path");
      return std::nullopt;
    }
    const Value v = eval(*path->value, scope);
    auto file = known_path(scope, v, *path->value, "include path");
    if (!file) return std::nullopt;
    const std::string via = chain(scope.via(), "include");
    read(*file, false, via);
    if (scope.depth() + 1 > kMaxDepth) return file;
    const Parsed& p = cache_.get(*file, repo_);
    if (!p.body) {
      unresolved(p.error->str());
      return file;
    }
    // Inside the included file: the stack's directory, the included file's own as the parent.
    ConfigScope inner(*this, *file, *p.body, scope.stack_dir(), dir_of(*file), chain(via, *file),
                      scope.depth() + 1);
    inner.walk();
    Value exposed;
    exposed.kind = Value::Kind::object;
    exposed.attrs["locals"] = inner.locals_object();
    scope.expose_include(b.labels.empty() ? "" : b.labels[0], std::move(exposed));
    // A source set by an included file counts unless the stack sets its own.
    for (const auto& blk : p.body->blocks)
      if (blk.type == "terraform")
        for (const auto& a : blk.body.attributes)
          if (a.name == "source")
            last_include_source_ = SourceAt{eval(*a.value, inner), chain(via, *file)};
    return file;
  }

  // The value of read_terragrunt_config(path): the file read as its own configuration.
  Value read_config(const ConfigScope& from, const std::string& file, const Expr& at) {
    const std::string via = chain(from.via(), "read_terragrunt_config");
    read(file, false, via);
    if (from.depth() + 1 > kMaxDepth || reading_.count(file))
      return Value::unknown(where(from, at, "read_terragrunt_config nested too deeply"));
    const Parsed& p = cache_.get(file, repo_);
    if (!p.body) {
      unresolved(p.error->str());
      return Value::unknown(p.error->str());
    }
    reading_.insert(file);
    ConfigScope inner(*this, file, *p.body, dir_of(file), dir_of(file), chain(via, file),
                      from.depth() + 1);
    inner.walk();
    Value out;
    out.kind = Value::Kind::object;
    out.attrs["locals"] = inner.locals_object();
    reading_.erase(file);
    return out;
  }

  // The repo-relative file a known string value names, relative to the stack's directory;
  // records why when it is not known.
  std::optional<std::string> known_path(const ConfigScope& scope, const Value& v, const Expr& at,
                                        const std::string& what) {
    if (v.is_unknown()) {
      unresolved(v.s);
      return std::nullopt;
    }
    auto text = as_text(v);
    if (!text) {
      unresolved(where(scope, at, what + " is not a string"));
      return std::nullopt;
    }
    return resolve(*text, scope.stack_dir());  // outside the repository: not followed
  }

  struct SourceAt {
    Value value;
    std::string via;  // the chain to the file that sets it
  };

  void stack_source(const ConfigScope& scope, Value v) {
    source_of_stack_ = true;
    source(SourceAt{std::move(v), chain(scope.via(), "terraform.source")});
  }

  void source(const SourceAt& s) {
    if (s.value.is_unknown()) return unresolved(s.value.s);
    auto text = as_text(s.value);
    if (!text) return;
    std::string src = *text;
    if (!local_source(src)) return;  // git::, registry, https: not files of this repo
    // "dir//subdir": Terragrunt copies all of `dir`.
    const auto sep = src.find("//", 1);
    if (sep != std::string::npos) src = src.substr(0, sep);
    if (const auto q = src.find('?'); q != std::string::npos) src = src.substr(0, q);
    const std::string stack_dir = dir_of(stack_file_);
    if (auto dir = resolve(src, stack_dir)) {
      const std::string via =
          s.via.ends_with("terraform.source") ? s.via : chain(s.via, "terraform.source");
      read(*dir, true, via);
    }
  }

  static std::string chain(const std::string& via, const std::string& step) {
    return via.empty() ? step : via + " -> " + step;
  }

  const RepoTree& repo_;
  ParseCache& cache_;
  StackConfig out;
  std::string stack_file_;
  std::set<std::pair<std::string, bool>> seen_;
  std::set<std::string> deps_, reading_;
  bool source_of_stack_ = false;
  std::optional<SourceAt> last_include_source_;
};

Value ConfigScope::local(const std::string& name, const Expr& at) {
  if (auto it = locals_.find(name); it != locals_.end()) return it->second;
  if (evaluating_.count(name))
    return Value::unknown(where(*this, at, "local." + name + " refers to itself"));
  for (const auto& b : body_.blocks) {
    if (b.type != "locals") continue;
    for (const auto& a : b.body.attributes) {
      if (a.name != name) continue;
      evaluating_.insert(name);
      Value v = eval(*a.value, *this);
      evaluating_.erase(name);
      return locals_[name] = std::move(v);
    }
  }
  return Value::unknown(where(*this, at, "no local \"" + name + "\" in " + file_));
}

Value ConfigScope::locals_object() {
  Value out;
  out.kind = Value::Kind::object;
  for (const auto& b : body_.blocks)
    if (b.type == "locals")
      for (const auto& a : b.body.attributes) out.attrs[a.name] = local(a.name, *a.value);
  return out;
}

Value ConfigScope::variable(const std::string& name, const Expr& at) {
  if (name == "include") return includes_;
  if (name == "dependency")
    return Value::unknown(where(*this, at, "dependency outputs are known only after an apply"));
  return Value::unknown(where(*this, at, "\"" + name + "\" is not known statically"));
}

std::optional<Value> ConfigScope::call(const std::string& name, const std::vector<Value>& args,
                                       const Expr& at) {
  auto arg = [&](std::size_t i) -> std::optional<std::string> {
    return i < args.size() ? as_text(args[i]) : std::nullopt;
  };
  auto unknown_arg = [&]() -> std::optional<Value> {
    for (const auto& a : args)
      if (a.is_unknown()) return a;
    return std::nullopt;
  };
  if (name == "get_terragrunt_dir" || name == "get_original_terragrunt_dir")
    return Value::string(absolute(stack_dir_));
  if (name == "get_parent_terragrunt_dir") return Value::string(absolute(parent_dir_));
  if (name == "get_repo_root") return Value::string(kRoot);
  if (name == "get_path_from_repo_root")
    return Value::string(stack_dir_.empty() ? "." : stack_dir_);
  if (name == "get_path_to_repo_root") return Value::string(relative(stack_dir_, ""));
  if (name == "path_relative_to_include") return Value::string(relative(parent_dir_, stack_dir_));
  if (name == "path_relative_from_include") return Value::string(relative(stack_dir_, parent_dir_));
  if (name == "find_in_parent_folders") {
    if (auto u = unknown_arg()) return u;
    const std::string wanted = args.empty() ? "terragrunt.hcl" : arg(0).value_or("");
    if (wanted.empty() && !args.empty())
      return Value::unknown(where(*this, at, "find_in_parent_folders() of a non-string"));
    std::string dir = stack_dir_;
    while (!dir.empty()) {
      dir = dir_of(dir);
      const std::string candidate = join(dir, wanted);
      if (exists(an_.repo_, candidate)) return Value::string(absolute(candidate));
    }
    if (args.size() > 1) return args[1];
    return Value::unknown(where(*this, at,
                                "find_in_parent_folders(\"" + wanted +
                                    "\"): no such file in a "
                                    "parent folder of " +
                                    (stack_dir_.empty() ? "." : stack_dir_)));
  }
  if (name == "read_terragrunt_config") {
    if (auto u = unknown_arg()) return u;
    auto p = arg(0);
    if (!p) return Value::unknown(where(*this, at, "read_terragrunt_config() of a non-string"));
    auto file = resolve(*p, stack_dir_);
    if (!file) return Value::unknown(where(*this, at, "read_terragrunt_config() outside the repo"));
    if (!exists(an_.repo_, *file) && args.size() > 1) return args[1];
    return an_.read_config(*this, *file, at);
  }
  if (name == "file" || name == "templatefile" || name == "sops_decrypt_file" ||
      name == "fileexists" || name == "filebase64" || name == "filesha256" || name == "filemd5") {
    // Recorded by walk(); the contents are not evaluated.
    if (name == "fileexists") {
      if (auto u = unknown_arg()) return u;
      auto p = arg(0);
      if (!p) return std::nullopt;
      auto f = resolve(*p, stack_dir_);
      return Value::boolean(f && exists(an_.repo_, *f));
    }
    return Value::unknown(where(*this, at, name + "(): file contents are not evaluated"));
  }
  if (name == "get_env")
    return Value::unknown(where(*this, at, "get_env(): the environment is not known statically"));
  if (name.starts_with("get_") || name == "run_cmd" || name == "local_exec" ||
      name == "jsondecode" || name == "yamldecode" || name == "timestamp" || name == "uuid")
    return Value::unknown(where(*this, at, name + "() is not evaluated statically"));
  return std::nullopt;
}

void ConfigScope::walk() {
  walk_body(body_, "");
}

void ConfigScope::walk_body(const Body& b, const std::string& block) {
  for (const auto& a : b.attributes) {
    if (block == "include" && a.name == "path") continue;  // followed by Analysis::include
    if (block == "terraform" && a.name == "source") {
      if (via_.empty() && depth_ == 0) an_.stack_source(*this, eval(*a.value, *this));
      // An included file's source is taken by Analysis::include; a read config's is not the
      // stack's.
    } else if (block == "dependency" && a.name == "config_path") {
      const Value v = eval(*a.value, *this);
      if (depth_ == 0 || via_.find("read_terragrunt_config") == std::string::npos)
        if (auto dir = an_.known_path(*this, v, *a.value, "config_path")) an_.dependency(*dir);
    } else if (block == "dependencies" && a.name == "paths") {
      const Value v = eval(*a.value, *this);
      if (v.is_unknown()) {
        an_.unresolved(v.s);
      } else if (v.kind == Value::Kind::tuple &&
                 (depth_ == 0 || via_.find("read_terragrunt_config") == std::string::npos)) {
        for (const auto& item : v.items)
          if (auto dir = an_.known_path(*this, item, *a.value, "dependencies path"))
            an_.dependency(*dir);
      }
    }
    walk_expr(*a.value);
  }
  for (const auto& blk : b.blocks) {
    if (blk.type == "include" && block.empty() && depth_ == 0) continue;  // done first
    if (blk.type == "include" && block.empty() && depth_ > 0) {
      // An include inside an included file is not followed by Terragrunt (one level only),
      // but its path still names a file the stack depends on.
      an_.include(*this, blk);
      continue;
    }
    walk_body(blk.body, blk.type);
  }
}

void ConfigScope::walk_expr(const Expr& e) {
  if (e.kind == ExprKind::call &&
      (e.text == "file" || e.text == "templatefile" || e.text == "sops_decrypt_file" ||
       e.text == "filebase64" || e.text == "filesha256" || e.text == "filemd5") &&
      !e.items.empty()) {
    const Value v = eval(*e.items[0], *this);
    if (auto f = an_.known_path(*this, v, *e.items[0], e.text + "() path"))
      an_.read(*f, false, Analysis::chain(via_, e.text));
  }
  // read_terragrunt_config is followed when evaluated; its argument must be known.
  if (e.kind == ExprKind::call && e.text == "read_terragrunt_config" && !e.items.empty())
    (void)eval(e, *this);
  for (const auto& i : e.items)
    if (i) walk_expr(*i);
  for (const auto& p : e.parts)
    if (p.expr) walk_expr(*p.expr);
  for (const auto& en : e.entries) {
    if (en.key) walk_expr(*en.key);
    if (en.value) walk_expr(*en.value);
  }
}

}  // namespace

std::optional<std::string> normalise(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t at = 0;
  while (at <= path.size()) {
    auto slash = path.find('/', at);
    if (slash == std::string::npos) slash = path.size();
    const std::string seg = path.substr(at, slash - at);
    if (seg == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
    } else if (!seg.empty() && seg != ".") {
      parts.push_back(seg);
    }
    at = slash + 1;
  }
  std::string out;
  for (const auto& p : parts) out = join(out, p);
  return out;
}

const Parsed& ParseCache::get(const std::string& path, const RepoTree& repo) {
  auto it = parsed_.find(path);
  if (it != parsed_.end()) return *it->second;
  auto p = std::make_unique<Parsed>();
  std::optional<std::string> text = repo.read ? repo.read(path) : std::nullopt;
  if (!text || !exists(repo, path)) {
    p->error = SyntaxError{path, {1, 1}, "cannot read this file at this commit"};
  } else {
    *p = parse(*text, path);
  }
  return *parsed_.emplace(path, std::move(p)).first->second;
}

StackConfig analyse_stack(const std::string& config_file, const RepoTree& repo, ParseCache& cache) {
  Analysis an(repo, cache);
  an.stack_file_ = config_file;
  an.stack(config_file);
  return std::move(an.out);
}

}  // namespace stackrun::hcl
