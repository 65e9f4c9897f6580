// Node tree -> ServerConfig: one decoder per level (document, repo, source, secret), reporting
// every problem through the pipelines' located readers.
#include "runner/config/decode_config.hpp"

#include <algorithm>
#include <cctype>

namespace stackrun::config {
namespace {

using pipelines::Diags;
using pipelines::MapView;
using pipelines::Node;
using pipelines::quote;

bool name_ok(std::string_view s, bool allow_slash) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
           (allow_slash && c == '/');
  });
}

std::string trim_end(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// True when a clone URL carries credentials a summary or log line would show.
bool url_has_credentials(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return false;
  const std::string_view scheme = url.substr(0, scheme_end);
  std::string_view rest = url.substr(scheme_end + 3);
  const std::string_view authority = rest.substr(0, rest.find('/'));
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) return false;
  // ssh://git@host is a user name, not a credential; on http(s) any user info is one.
  return scheme.starts_with("http") || authority.substr(0, at).find(':') != std::string::npos;
}

bool loopback_http(std::string_view url) {
  for (std::string_view host : {"http://127.0.0.1", "http://localhost", "http://[::1]"})
    if (url.starts_with(host) &&
        (url.size() == host.size() || url[host.size()] == ':' || url[host.size()] == '/'))
      return true;
  return false;
}

}  // namespace

std::optional<Secret> Decoder::secret(const Node& v, std::string_view label) {
  // Why not expect_map: its message quotes the value, and a value here may be a secret
  // written inline by mistake.
  if (v.kind != Node::Kind::map) {
    d_.error(v.loc, quote(label) + " must be {env: NAME} or {file: PATH}, got " +
                        (v.kind == Node::Kind::scalar ? "a value written inline (secrets are "
                                                        "never written in this file)"
                                                      : pipelines::describe(v)));
    return std::nullopt;
  }
  MapView m(v, label, {"env", "file"}, d_);
  const Node* env = m.get("env");
  const Node* file = m.get("file");
  if ((env != nullptr) == (file != nullptr)) {
    d_.error(v.loc, quote(label) +
                        " needs exactly one of \"env\" (a variable name) or \"file\" "
                        "(a path)");
    return std::nullopt;
  }
  const bool from_env = env != nullptr;
  const Node& where = from_env ? *env : *file;
  auto name = pipelines::read_string(where, from_env ? "env" : "file", d_);
  if (!name) return std::nullopt;
  if (name->empty()) {
    d_.error(where.loc, quote(from_env ? "env" : "file") + " must not be empty");
    return std::nullopt;
  }
  std::string value, origin;
  if (from_env) {
    origin = "env " + *name;
    auto got = reader_.env(*name);
    if (!got) {
      d_.error(where.loc, "environment variable " + *name + " is not set (" + std::string(label) +
                              " reads it)");
      return std::nullopt;
    }
    value = trim_end(*got);
  } else {
    std::string path = *name;
    if (path.front() != '/' && !base_dir_.empty())
      path = base_dir_ + (base_dir_.ends_with('/') ? "" : "/") + path;
    origin = "file " + path;
    auto got = reader_.file(path);
    if (!got) {
      d_.error(where.loc, "cannot read secret file " + path + ": " + got.error());
      return std::nullopt;
    }
    value = trim_end(*got);
  }
  if (value.empty()) {
    d_.error(where.loc, "secret from " + origin + " is empty");
    return std::nullopt;
  }
  return Secret(std::move(value), std::move(origin));
}

std::vector<Secret> Decoder::secrets(const Node& v) {
  std::vector<Secret> out;
  if (v.kind != Node::Kind::seq) {
    d_.error(v.loc, "\"secrets\" must be a list of {env: NAME} or {file: PATH}, got " +
                        pipelines::describe(v));
    return out;
  }
  if (v.items.empty()) d_.error(v.loc, "\"secrets\" must list at least one webhook secret");
  for (size_t i = 0; i < v.items.size(); ++i)
    if (auto s = secret(v.items[i], "secrets[" + std::to_string(i) + "]")) out.push_back(*s);
  return out;
}

// Returns whether "role" was given (a repo with one source may leave it out).
bool Decoder::source(const Node& v, Source& out) {
  if (!pipelines::expect_map(v, "sources[]", d_)) return false;
  out.loc = v.loc;
  MapView m(v, "source",
            {"name", "kind", "role", "clone_url", "secrets", "token", "api_url", "ssh_key_file"},
            d_);
  if (const Node* n = m.require("name")) {
    if (auto s = pipelines::read_string(*n, "name", d_)) {
      out.name = *s;
      if (!name_ok(*s, false))
        d_.error(n->loc, "source name " + quote(*s) +
                             " may use only letters, digits, \".\", \"_\" and \"-\" (it is the "
                             "{source} in /hooks/{source})");
    }
  }
  if (const Node* n = m.require("kind"))
    if (auto s = pipelines::read_choice(*n, "kind", {"forgejo", "gitea", "github"}, d_))
      out.kind = *s == "github"  ? core::ForgeKind::github
                 : *s == "gitea" ? core::ForgeKind::gitea
                                 : core::ForgeKind::forgejo;
  const Node* role = m.get("role");
  if (role)
    if (auto s = pipelines::read_choice(*role, "role", {"canonical", "mirror"}, d_))
      out.role = *s == "mirror" ? core::SourceRole::mirror : core::SourceRole::canonical;
  if (const Node* n = m.require("clone_url")) {
    if (auto s = pipelines::read_string(*n, "clone_url", d_)) {
      out.clone_url = *s;
      if (s->empty()) d_.error(n->loc, "\"clone_url\" must not be empty");
      if (url_has_credentials(*s))
        d_.error(n->loc,
                 "\"clone_url\" must not carry credentials (they would be printed and "
                 "logged); give the token under \"token\"");
    }
  }
  if (const Node* n = m.require("secrets")) out.webhook_secrets = secrets(*n);
  if (const Node* n = m.get("token")) out.token = secret(*n, "token");
  if (const Node* n = m.get("ssh_key_file")) {
    if (auto s = pipelines::read_string(*n, "ssh_key_file", d_)) {
      if (s->empty()) {
        d_.error(n->loc, "\"ssh_key_file\" must not be empty");
      } else {
        out.ssh_key_file = *s;
        if (out.ssh_key_file.front() != '/' && !base_dir_.empty())
          out.ssh_key_file = base_dir_ + (base_dir_.ends_with('/') ? "" : "/") + out.ssh_key_file;
      }
    }
  }
  if (const Node* n = m.get("api_url")) {
    if (auto s = pipelines::read_string(*n, "api_url", d_)) {
      out.api_url = *s;
      if (!s->starts_with("https://") && !loopback_http(*s))
        d_.error(n->loc,
                 "\"api_url\" must start with https:// (http:// only to 127.0.0.1, [::1] or "
                 "localhost)");
    }
  }
  return role != nullptr;
}

void Decoder::senders(const Node& v, core::RepoGuards& out) {
  if (!pipelines::expect_map(v, "senders", d_)) return;
  MapView m(v, "senders", {"forgejo", "gitea", "github"}, d_);
  for (const core::ForgeKind k :
       {core::ForgeKind::forgejo, core::ForgeKind::gitea, core::ForgeKind::github}) {
    const std::string kind(core::to_string(k));
    const Node* value = m.get(kind);
    if (!value) continue;
    auto& ids = out.senders[k];
    const bool single = value->kind == Node::Kind::scalar;
    if (!single && value->kind != Node::Kind::seq) {
      d_.error(value->loc, quote("senders." + kind) + " must be a list of forge user ids, got " +
                               pipelines::describe(*value));
      continue;
    }
    const std::vector<Node> one = single ? std::vector<Node>{*value} : std::vector<Node>{};
    const auto& items = single ? one : value->items;
    for (size_t i = 0; i < items.size(); ++i) {
      const std::string label = "senders." + kind + "[" + std::to_string(i) + "]";
      auto id = pipelines::read_text(items[i], label, d_);
      if (!id) continue;
      if (!all_digits(*id))
        d_.error(items[i].loc, quote(label) +
                                   " must be a forge user id (digits; logins can be "
                                   "renamed, ids cannot), got " +
                                   quote(*id));
      else
        ids.push_back(*id);
    }
  }
}

std::vector<std::string> Decoder::notify(const Node& v) {
  std::vector<std::string> out;
  for (const Node* item : pipelines::read_string_items(v, "notify", true, d_)) {
    if (item->text.starts_with("https://") || loopback_http(item->text))
      out.push_back(item->text);
    else
      d_.error(item->loc,
               "notifier URL must start with https:// (http:// only to 127.0.0.1, "
               "[::1] or localhost)");
  }
  return out;
}

}  // namespace stackrun::config
