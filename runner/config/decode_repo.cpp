// The document and repo levels of the server configuration, with the checks that span
// several sources or repos (roles, unique names).
#include <algorithm>
#include <cctype>
#include <map>

#include "runner/config/decode_config.hpp"

namespace stackrun::config {
namespace {

using pipelines::MapView;
using pipelines::Node;
using pipelines::quote;

bool repo_name_ok(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
           c == '/';
  });
}

// "HOST:PORT" with a port of 0..65535 (the server checks the host when it binds).
bool listen_ok(std::string_view s) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view port = s.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  return std::stoi(std::string(port)) <= 65535;
}

}  // namespace

// A repo with one source may leave "role" out (canonical); with several, each says its role and
// exactly one is canonical.
void Decoder::roles(const pipelines::Location& at, Repo& out, const std::vector<bool>& role_given) {
  const bool several = out.sources.size() > 1;
  const Source* canonical = nullptr;
  bool all_known = true;
  for (size_t i = 0; i < out.sources.size(); ++i) {
    const Source& s = out.sources[i];
    if (several && !role_given[i]) {
      d_.error(s.loc, "source " + quote(s.name) + " needs \"role\" (canonical or mirror): repo " +
                          quote(out.name) + " has more than one source");
      all_known = false;
      continue;
    }
    if (s.role != core::SourceRole::canonical) continue;
    if (canonical)
      d_.error(s.loc, "repo " + quote(out.name) + " already has canonical source " +
                          quote(canonical->name) + " (line " + std::to_string(canonical->loc.line) +
                          "); exactly one source per repo is canonical");
    else
      canonical = &s;
  }
  if (!canonical && all_known && !out.sources.empty())
    d_.error(at, "repo " + quote(out.name) +
                     " has no canonical source; mark exactly one with role: canonical");
}

void Decoder::repo(const Node& v, Repo& out) {
  if (!pipelines::expect_map(v, "repos[]", d_)) return;
  out.loc = v.loc;
  MapView m(v, "repo", {"name", "default_branch", "sources", "branches", "senders", "notify"}, d_);
  if (const Node* n = m.require("name")) {
    if (auto s = pipelines::read_string(*n, "name", d_)) {
      out.name = *s;
      if (!repo_name_ok(*s))
        d_.error(n->loc, "repo name " + quote(*s) +
                             " may use only letters, digits, \".\", \"_\", \"-\" and \"/\"");
    }
  }
  if (const Node* n = m.get("default_branch")) {
    if (auto s = pipelines::read_string(*n, "default_branch", d_)) {
      if (s->empty()) d_.error(n->loc, "\"default_branch\" must not be empty");
      out.default_branch = *s;
    }
  }
  if (const Node* n = m.get("branches"))
    out.guards.branches = pipelines::read_globs(*n, "branches", true, d_);
  if (const Node* n = m.get("senders")) senders(*n, out.guards);
  if (const Node* n = m.get("notify")) out.notify = notify(*n);
  const Node* list = m.require("sources");
  if (!list) return;
  if (list->kind != Node::Kind::seq || list->items.empty()) {
    d_.error(list->loc, "\"sources\" must be a list of at least one forge source, got " +
                            pipelines::describe(*list));
    return;
  }
  std::vector<bool> role_given;
  for (const Node& item : list->items) {
    out.sources.emplace_back();
    role_given.push_back(source(item, out.sources.back()));
  }
  roles(m.key("sources")->loc, out, role_given);
}

void Decoder::document(const Node& root, ServerConfig& out) {
  if (root.kind != Node::Kind::map) {
    d_.error(root.loc,
             "a server configuration must be a mapping (\"version\", \"listen\", "
             "\"state_dir\", \"repos\"), got " +
                 pipelines::describe(root));
    return;
  }
  MapView m(root, "server configuration", {"version", "listen", "state_dir", "repos"}, d_);
  if (const Node* v = m.require("version")) {
    if (auto n = pipelines::read_int(*v, "version", d_); n && *n != 1)
      d_.error(v->loc, "\"version\" must be 1, got " + v->text);
  }
  if (const Node* v = m.get("listen")) {
    if (auto s = pipelines::read_string(*v, "listen", d_)) {
      if (!listen_ok(*s)) d_.error(v->loc, "\"listen\" must be HOST:PORT, got " + quote(*s));
      out.listen = *s;
    }
  }
  if (const Node* v = m.get("state_dir")) {
    if (auto s = pipelines::read_string(*v, "state_dir", d_)) {
      if (s->empty()) d_.error(v->loc, "\"state_dir\" must not be empty");
      out.state_dir = *s;
    }
  }
  const Node* repos = m.get("repos");
  if (!repos) return;
  if (repos->kind != Node::Kind::seq) {
    d_.error(repos->loc, "\"repos\" must be a list, got " + pipelines::describe(*repos));
    return;
  }
  std::map<std::string, int> repo_lines, source_lines;
  for (const Node& item : repos->items) {
    Repo r;
    repo(item, r);
    if (!r.name.empty() && !repo_lines.emplace(r.name, r.loc.line).second)
      d_.error(r.loc, "duplicate repo name " + quote(r.name) + " (first at line " +
                          std::to_string(repo_lines[r.name]) + ")");
    for (const Source& s : r.sources)
      if (!s.name.empty() && !source_lines.emplace(s.name, s.loc.line).second)
        d_.error(s.loc, "duplicate source name " + quote(s.name) + " (first at line " +
                            std::to_string(source_lines[s.name]) +
                            "); source names are unique across all repos");
    out.repos.push_back(std::move(r));
  }
}

}  // namespace stackrun::config
