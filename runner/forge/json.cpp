// The one file in runner/forge that includes nlohmann-json: push payloads in (decode_push_payload,
// push_event.hpp), `hook check` reports and `hook send` payloads out (encode, hook_check.hpp;
// encode_sample_payload, sample_push.hpp).
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "runner/forge/hook_check.hpp"
#include "runner/forge/push_event.hpp"
#include "runner/forge/sample_push.hpp"

namespace stackrun::forge {
namespace {

using Json = nlohmann::ordered_json;

// The first error met while reading a payload; later reads are no-ops.
struct Reader {
  std::optional<std::string> error;

  void fail(const std::string& path, std::string_view what) {
    if (!error) error = "push payload: field \"" + path + "\": " + std::string(what);
  }
  // The field's value, or nullptr (recording "missing" when `required`).
  const Json* get(const Json& obj, const std::string& path, const char* key, bool required) {
    if (error) return nullptr;
    auto it = obj.find(key);
    if (it != obj.end()) return &*it;
    if (required) error = "push payload: field \"" + path + "\" is missing";
    return nullptr;
  }
  std::string str(const Json& obj, const std::string& path, const char* key) {
    const Json* v = get(obj, path, key, true);
    if (!v) return {};
    if (!v->is_string()) return fail(path, "expected a string"), std::string();
    return v->get<std::string>();
  }
  const Json* object(const Json& obj, const std::string& path, const char* key) {
    const Json* v = get(obj, path, key, true);
    if (v && !v->is_object()) return fail(path, "expected an object"), nullptr;
    return v;
  }
};

// head_commit.message; else the message of the commit whose id is `after` (Gitea lists commits
// newest first, GitHub oldest first); else the last commit's; else "".
std::string head_message(Reader& r, const Json& root, const std::string& after) {
  if (const Json* head = r.get(root, "head_commit", "head_commit", false);
      head && !head->is_null()) {
    if (!head->is_object()) return r.fail("head_commit", "expected an object"), std::string();
    return r.str(*head, "head_commit.message", "message");
  }
  const Json* commits = r.get(root, "commits", "commits", false);
  if (!commits || commits->is_null()) return {};
  if (!commits->is_array()) return r.fail("commits", "expected an array"), std::string();
  if (commits->empty()) return {};
  std::size_t pick = commits->size() - 1;
  for (std::size_t i = 0; i < commits->size(); ++i) {
    const Json& c = (*commits)[i];
    if (!c.is_object())
      return r.fail("commits[" + std::to_string(i) + "]", "expected an object"), "";
    if (auto id = c.find("id"); id != c.end() && id->is_string() && *id == after) pick = i;
  }
  const std::string path = "commits[" + std::to_string(pick) + "]";
  return r.str((*commits)[pick], path + ".message", "message");
}

void read_sender(Reader& r, const Json& root, Sender& out) {
  const Json* s = r.object(root, "sender", "sender");
  if (!s) return;
  if (const Json* id = r.get(*s, "sender.id", "id", true)) {
    // A float, a string or a number past 64 bits is not a user id.
    if (!id->is_number_integer() ||
        (id->is_number_unsigned() &&
         id->get<std::uint64_t>() > std::numeric_limits<std::int64_t>::max()))
      return r.fail("sender.id", "expected an integer");
    out.id = id->get<std::int64_t>();
  }
  out.login = r.str(*s, "sender.login", "login");
}

Json sender_json(const PushEvent& e) {
  if (e.event != "push") return nullptr;  // a non-push event's sender is not read
  Json s = Json::object();
  s["id"] = e.sender.id;
  s["login"] = e.sender.login;
  return s;
}

}  // namespace

Result<PushEvent> decode_push_payload(std::string_view json) {
  Json root = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Error{"push payload: body is not valid JSON"};
  if (!root.is_object()) return Error{"push payload: body is not a JSON object"};
  Reader r;
  PushEvent e;
  e.kind = PushKind::push;
  e.ref = r.str(root, "ref", "ref");
  e.before = r.str(root, "before", "before");
  if (!r.error && !is_commit_id(e.before))
    r.fail("before", "expected a commit id (40 or 64 lower-case hex digits)");
  e.after = r.str(root, "after", "after");
  if (!r.error && !is_commit_id(e.after))
    r.fail("after", "expected a commit id (40 or 64 lower-case hex digits)");
  if (const Json* repo = r.object(root, "repository", "repository"))
    e.clone_url = r.str(*repo, "repository.clone_url", "clone_url");
  read_sender(r, root, e.sender);
  e.message = head_message(r, root, e.after);
  if (r.error) return Error{*r.error};
  return e;
}

std::string encode(const HookCheck& c) {
  Json j = Json::object();
  if (!c.accepted) {
    j["verdict"] = "reject";
    j["reason"] = c.reason;
  } else {
    const PushEvent& e = c.event;
    j["verdict"] = "accept";
    j["kind"] = std::string(to_string(e.kind));
    j["ref"] = e.ref;
    j["branch"] = e.branch;
    j["before"] = e.before;
    j["after"] = e.after;
    j["clone_url"] = e.clone_url;
    j["sender"] = sender_json(e);
    j["delivery"] = e.delivery;
    j["message"] = e.message;
  }
  // Payload text may carry any bytes: invalid UTF-8 becomes U+FFFD instead of throwing.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string encode_sample_payload(ForgeKind kind, const PushEvent& push) {
  const Json user = {{"id", push.sender.id}, {"login", push.sender.login}};
  Json commit = {{"id", push.after}, {"message", push.message}};
  Json j = {{"ref", push.ref},
            {"before", push.before},
            {"after", push.after},
            {"repository", {{"clone_url", push.clone_url}}},
            {"pusher", kind == ForgeKind::github ? Json{{"name", push.sender.login}} : user},
            {"sender", user},
            {"commits", Json::array({commit})},
            {"head_commit", commit}};
  return j.dump();
}

}  // namespace stackrun::forge
