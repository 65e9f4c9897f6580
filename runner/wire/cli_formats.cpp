// Codecs of the CLI's own JSON (formats described at the top of cli_formats.hpp).
#include "runner/wire/cli_formats.hpp"

#include "runner/wire/json_fields.hpp"

namespace stackrun::wire {
namespace {

using detail::Ctx;
using detail::dump;
using detail::Json;
using detail::Obj;

// Reads "version" (absent: 1) and refuses any version but `expected`.
void check_version(Ctx& ctx, Obj& o, int expected) {
  int version = 1;
  o.opt("version", version);
  if (!ctx.failed() && version != expected)
    ctx.wrong("version", "expected " + std::to_string(expected) +
                             " (written by a newer stackrun?), got " + std::to_string(version));
}

// Keys sorted: the text classify --json printed before the wire module existed.
Json sorted_lock_json(const core::LockInfo& l) {
  return {
      {"created", l.created}, {"id", l.id},           {"info", l.info}, {"operation", l.operation},
      {"path", l.path},       {"version", l.version}, {"who", l.who}};
}

// "agents" is a map, which Obj has no reader for: walk it here, in the file's order.
void read_agents(Ctx& ctx, const Json& root,
                 std::vector<std::pair<std::string, std::int64_t>>& out) {
  if (ctx.failed()) return;
  auto it = root.find("agents");
  if (it == root.end()) return ctx.missing("agents");
  if (!it->is_object()) return ctx.wrong("agents", "expected an object");
  for (auto a = it->begin(); a != it->end() && !ctx.failed(); ++a) {
    std::int64_t pid = 0;
    detail::read_value(ctx, a.value(), "agents." + a.key(), pid);
    out.emplace_back(a.key(), pid);
  }
}

}  // namespace

std::string encode(const ClientFile& m) {
  return dump({{"version", kClientFileVersion}, {"server", m.server}, {"token", m.token}});
}

Result<ClientFile> decode_client_file(std::string_view body) {
  Ctx ctx("client file");
  ClientFile m;
  if (auto root = detail::parse_object(ctx, body, detail::EmptyBody::error)) {
    Obj o(ctx, *root, "");
    check_version(ctx, o, kClientFileVersion);
    o.opt("server", m.server);
    o.opt("token", m.token);
  }
  if (ctx.failed()) return Error{ctx.error()};
  return m;
}

std::string encode(const UpFile& m) {
  Json agents = Json::object();
  for (const auto& [name, pid] : m.agents) agents[name] = pid;
  return dump({{"version", kUpFileVersion}, {"server", m.server}, {"agents", std::move(agents)}});
}

Result<UpFile> decode_up_file(std::string_view body) {
  Ctx ctx("up file");
  UpFile m;
  if (auto root = detail::parse_object(ctx, body, detail::EmptyBody::error)) {
    Obj o(ctx, *root, "");
    check_version(ctx, o, kUpFileVersion);
    o.req("server", m.server);
    read_agents(ctx, *root, m.agents);
  }
  if (ctx.failed()) return Error{ctx.error()};
  return m;
}

std::string encode(const core::Verdict& m) {
  Json j{{"class", std::string(core::to_string(m.cls))}, {"line", m.line}, {"line_no", m.line_no}};
  if (m.lock) j["lock"] = sorted_lock_json(*m.lock);
  j["rule"] = m.rule;
  return dump(j);
}

std::string encode(const StackPlan& m) {
  Json stacks = Json::array(), removed = Json::array(), excluded = Json::array();
  for (const auto& s : m.stacks)
    stacks.push_back({{"path", s.path}, {"tier", s.tier}, {"reason", s.reason}});
  for (const auto& s : m.removed) removed.push_back(s);
  for (const auto& s : m.excluded) excluded.push_back({{"path", s.path}, {"reason", s.reason}});
  return dump({{"stacks", std::move(stacks)},
               {"removed", std::move(removed)},
               {"excluded", std::move(excluded)}});
}

}  // namespace stackrun::wire
