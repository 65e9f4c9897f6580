#include "runner/server/run_inputs.hpp"

#include <set>

#include "pipelines/loader.hpp"
#include "runner/plan/planner.hpp"

namespace stackrun::server {
namespace {

bool is_pipeline_file(const std::string& f) {
  if (f.rfind(".stackrun/", 0) != 0 || f.find('/', 10) != std::string::npos) return false;
  return f.ends_with(".yml") || f.ends_with(".yaml");
}

// Every valid pipeline at `commit`; the located diagnostics of every invalid one as the error.
// A file over the size cap is refused from its size alone, before it is read.
Result<std::vector<plan::PipelineFile>> load_pipelines(const git::Repo& repo,
                                                       const std::string& commit,
                                                       const std::vector<std::string>& files) {
  std::vector<plan::PipelineFile> out;
  std::string problems;
  for (const auto& f : files) {
    if (!is_pipeline_file(f)) continue;
    auto size = repo.file_size(commit, f);
    if (!size) return Error{size.error()};
    if (*size > pipelines::kMaxPipelineBytes) {
      problems += f + ":1:1: " + pipelines::oversize_message(*size) + "\n";
      continue;
    }
    auto text = repo.read_file(commit, f);
    if (!text) return Error{text.error()};
    auto loaded = pipelines::load_pipeline(*text, f);
    for (const auto& d : loaded.diagnostics) problems += d.str() + "\n";
    if (loaded.pipeline) out.push_back({f, *text, std::move(*loaded.pipeline)});
  }
  if (!problems.empty())
    return Error{"invalid pipeline at " + commit.substr(0, 12) + ":\n" +
                 problems.substr(0, problems.size() - 1)};
  return out;
}

Result<store::RepoRow> find_repo(store::Store& reader, const std::string& name) {
  if (name.empty()) {
    const auto all = reader.repos();
    if (all.size() != 1)
      return Error{all.empty() ? "no repo registered (start with `stackrun up --repo DIR`)"
                               : "several repos registered: name one with --repo"};
    return all.front();
  }
  auto row = reader.repo_by_name(name);
  if (!row)
    return Error{"unknown repo \"" + name +
                 "\" (register it first, e.g. with `stackrun up --repo DIR`)"};
  return *row;
}

// The commits and refs of the request: to, ref, before, message.
Status resolve_revisions(const git::Repo& repo, const store::RepoRow& row,
                         const TriggerRequest& req, plan::RunInputs& in) {
  auto to = repo.resolve(req.to.empty() ? row.default_branch : req.to);
  if (!to) return Error{to.error()};
  in.commit = *to;
  in.ref = "refs/heads/" + row.default_branch;
  if (!req.to.empty() && repo.resolve("refs/heads/" + req.to)) in.ref = "refs/heads/" + req.to;
  if (!req.from.empty()) {
    auto from = repo.resolve(req.from);
    if (!from) return Error{from.error()};
    in.before = *from;
  } else if (auto parent = repo.resolve(*to + "^")) {
    in.before = *parent;
  }
  auto info = repo.commit_info(in.commit);
  if (!info) return Error{info.error()};
  in.message = info->message;
  return ok_status();
}

}  // namespace

Result<Gathered> gather_inputs(store::Store& reader, const git::RepoOpener& open,
                               const TriggerRequest& req, const RepoFetch& fetch) {
  Gathered g;
  {
    auto tx = reader.begin_read();  // one snapshot of the store
    auto row = find_repo(reader, req.repo);
    if (!row) return Error{row.error()};
    g.repo = *row;
    g.inputs.applied = reader.applied_commits(g.repo.id);
    g.inputs.first_bases = reader.first_selected_bases(g.repo.id);
  }
  auto path = local_copy(fetch, g.repo, req.to);
  if (!path) return Error{path.error()};
  auto repo = open(*path);
  if (!repo) return Error{repo.error()};
  const git::Repo& r = **repo;
  plan::RunInputs& in = g.inputs;
  if (auto s = resolve_revisions(r, g.repo, req, in); !s) return Error{s.error()};
  auto files = r.list_files(in.commit);
  if (!files) return Error{files.error()};
  in.files = std::move(*files);
  auto pipelines_at = load_pipelines(r, in.commit, in.files);
  if (!pipelines_at) return Error{pipelines_at.error()};
  in.pipelines = std::move(*pipelines_at);
  if (!in.before.empty()) {
    auto diff = r.diff(in.before, in.commit);
    if (!diff) return Error{diff.error()};
    in.changed = git::touched_paths(*diff);
    in.files_before = git::files_before(in.files, *diff);
  }
  // What each stack reads, at the commit: the planner selects by it.
  const auto read = [&](const std::string& f) -> std::optional<std::string> {
    auto text = r.read_file(in.commit, f);
    if (!text) return std::nullopt;
    return std::move(*text);
  };
  for (const auto& lp : in.pipelines) {
    std::vector<std::string> todo;
    for (const auto& s : plan::discover_stacks(in.files, lp.pipeline.stacks))
      if (!in.configs.count(s)) todo.push_back(s);
    for (auto& [s, c] : plan::read_configs(todo, lp.pipeline.stacks, in.files, read))
      in.configs.emplace(s, std::move(c));
  }
  std::set<std::string> bases{in.before};
  for (const auto& [stack, commit] : in.applied) bases.insert(commit);
  for (const auto& [stack, commit] : in.first_bases) bases.insert(commit);
  for (const auto& base : bases) {
    if (base.empty()) continue;
    if (auto d = r.diff(base, in.commit)) in.changed_since[base] = git::touched_paths(*d);
    // else: the base is gone from the history (force push); its stacks count as never applied
  }
  g.request.event = req.event == "manual" ? pipelines::Event::manual
                    : req.event == "cron" ? pipelines::Event::cron
                                          : pipelines::Event::push;
  if (req.fire) g.request.cron = req.fire->name;
  g.request.stack = req.stack;
  g.request.pipeline = req.pipeline;
  return g;
}

Result<DeclaredSchedules> read_schedules(store::Store& reader, const git::RepoOpener& open,
                                         const std::string& repo_name, const RepoFetch& fetch) {
  DeclaredSchedules out;
  {
    auto tx = reader.begin_read();
    auto row = find_repo(reader, repo_name);
    if (!row) return Error{row.error()};
    out.repo = *row;
  }
  auto path = local_copy(fetch, out.repo, "");
  if (!path) return Error{path.error()};
  auto repo = open(*path);
  if (!repo) return Error{repo.error()};
  const git::Repo& r = **repo;
  auto head = r.resolve(out.repo.default_branch);
  if (!head) return Error{head.error()};
  out.commit = *head;
  auto files = r.list_files(out.commit);
  if (!files) return Error{files.error()};
  auto loaded = load_pipelines(r, out.commit, *files);
  if (!loaded) return Error{loaded.error()};
  for (const auto& f : *loaded)
    for (const auto& s : f.pipeline.schedules)
      out.schedules.push_back({f.pipeline.name, s.name, s.cron, s.timezone, f.file,
                               static_cast<core::Millis>(s.deadman.count())});
  return out;
}

}  // namespace stackrun::server
