#pragma once
// Private to runner/wire: the JSON helpers the protocol*.cpp codecs share. Only those files
// include this header (it brings in nlohmann-json, which nothing else in stackrun sees).
//
// Decoding reads a message's fields straight through an Obj and checks once at the end: the
// first error is kept in the Ctx and every later read is a no-op, so decoders stay a flat list
// of req()/opt() calls instead of a ladder of early returns.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runner/core/result.hpp"
#include "runner/core/status.hpp"
#include "runner/core/verdict.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::wire::detail {

// ordered_json so that an encoded body lists fields in the struct's order, as a reader expects.
using Json = nlohmann::ordered_json;

// ---------------------------------------------------------------- encoding

// Compact text; invalid UTF-8 is replaced by U+FFFD (step output may carry any bytes).
std::string dump(const Json& j);

// An enum as its to_string text.
template <class E>
Json text(E e) {
  return std::string(core::to_string(e));
}

// The value, or null when unset.
template <class T>
Json nullable(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

Json lock_json(const core::LockInfo& l);
Json plan_json(const core::PlanSummary& p);

// ---------------------------------------------------------------- decoding

// The first error met while decoding one message, already formatted as interface text:
//   <message>: field "<path>": <what>   |   <message>: field "<path>" is missing
class Ctx {
 public:
  explicit Ctx(std::string_view message) : message_(message) {}
  bool failed() const { return error_.has_value(); }
  const std::string& error() const { return *error_; }
  void wrong(const std::string& path, std::string_view what);
  void missing(const std::string& path);
  // An error about the body as a whole: "<message>: <what>".
  void body(std::string_view what);

 private:
  std::string_view message_;
  std::optional<std::string> error_;
};

// Read one present JSON value at `path` into `out`, or record why it does not fit. JSON null
// fails every type check here: optional fields treat null as absent before getting this far.
// Integers must be JSON integers within the C++ type's range; enums must be their to_string text.
void read_value(Ctx& ctx, const Json& v, const std::string& path, std::string& out);
void read_value(Ctx& ctx, const Json& v, const std::string& path, std::int64_t& out);
void read_value(Ctx& ctx, const Json& v, const std::string& path, int& out);
void read_value(Ctx& ctx, const Json& v, const std::string& path, bool& out);
void read_value(Ctx& ctx, const Json& v, const std::string& path, std::vector<std::int64_t>& out);
void read_value(Ctx& ctx, const Json& v, const std::string& path, std::vector<std::string>& out);
void read_value(Ctx& ctx, const Json& v, const std::string& path, core::RunStatus& out);
void read_value(Ctx& ctx, const Json& v, const std::string& path, core::JobStatus& out);
void read_value(Ctx& ctx, const Json& v, const std::string& path, core::AttemptStatus& out);
void read_value(Ctx& ctx, const Json& v, const std::string& path, core::CancelLevel& out);
void read_value(Ctx& ctx, const Json& v, const std::string& path, core::JobKind& out);
void read_value(Ctx& ctx, const Json& v, const std::string& path, core::Class& out);

template <class T>
void read_value(Ctx& ctx, const Json& v, const std::string& path, std::optional<T>& out) {
  T t{};
  read_value(ctx, v, path, t);
  if (!ctx.failed()) out = std::move(t);
}

// One JSON object being decoded; `path` is its dotted place in the body ("" for the body itself,
// "verdict", "chunks[2]", "jobs[0].attempts[1]").
class Obj {
 public:
  Obj(Ctx& ctx, const Json& obj, std::string path) : ctx_(ctx), obj_(obj), path_(std::move(path)) {}

  // A field that must be present (null is present, and fails the type check).
  template <class T>
  void req(const char* key, T& out) {
    if (const Json* v = field(key, true)) read_value(ctx_, *v, path_of(key), out);
  }
  // A field that may be absent or null; `out` keeps its default then.
  template <class T>
  void opt(const char* key, T& out) {
    const Json* v = field(key, false);
    if (v && !v->is_null()) read_value(ctx_, *v, path_of(key), out);
  }
  // Marks field `key` invalid (a value that decoded but means nothing), naming `what`.
  void invalid(const char* key, std::string_view what) { ctx_.wrong(path_of(key), what); }
  // A required nested object, decoded by fields(Obj&, T&).
  template <class T, class Fn>
  void req_object(const char* key, T& out, Fn fields) {
    if (const Json* v = field(key, true)) object(*v, path_of(key), out, fields);
  }
  // A nested object that may be absent or null (then `out` stays unset).
  template <class T, class Fn>
  void opt_object(const char* key, std::optional<T>& out, Fn fields) {
    const Json* v = field(key, false);
    if (!v || v->is_null()) return;
    T t{};
    object(*v, path_of(key), t, fields);
    if (!ctx_.failed()) out = std::move(t);
  }
  // A required array of objects, each decoded by fields(Obj&, T&).
  template <class T, class Fn>
  void req_objects(const char* key, std::vector<T>& out, Fn fields) {
    objects(field(key, true), key, out, fields);
  }
  // The same, absent or null meaning an empty array.
  template <class T, class Fn>
  void opt_objects(const char* key, std::vector<T>& out, Fn fields) {
    const Json* v = field(key, false);
    if (v && !v->is_null()) objects(v, key, out, fields);
  }

 private:
  template <class T, class Fn>
  void objects(const Json* v, const char* key, std::vector<T>& out, Fn& fields) {
    if (!v) return;
    const std::string path = path_of(key);
    if (!v->is_array()) return ctx_.wrong(path, "expected an array");
    out.clear();
    for (std::size_t i = 0; i < v->size() && !ctx_.failed(); ++i)
      object((*v)[i], path + "[" + std::to_string(i) + "]", out.emplace_back(), fields);
  }

  // The field's value; nullptr when absent (an error if `required`) or after an earlier error.
  const Json* field(const char* key, bool required);
  std::string path_of(const char* key) const { return path_.empty() ? key : path_ + "." + key; }
  template <class T, class Fn>
  void object(const Json& v, const std::string& path, T& out, Fn& fields) {
    if (!v.is_object()) return ctx_.wrong(path, "expected an object");
    Obj sub(ctx_, v, path);
    fields(sub, out);
  }

  Ctx& ctx_;
  const Json& obj_;
  std::string path_;
};

void lock_fields(Obj& o, core::LockInfo& l);
// {"address","action"} lists.
Json changes_json(const std::vector<core::PlanChange>& changes);
void change_fields(Obj& o, core::PlanChange& c);
// {"step","path","sha256","data"}: data is base64 on the wire, checked against sha256's form.
Json saved_plan_json(const SavedPlanFile& p);
void saved_plan_fields(Obj& o, SavedPlanFile& p);
// {"add","change","destroy","import","no_changes","changes":[{"address","action"}],"more"}:
// every key optional on decode.
void plan_fields(Obj& o, core::PlanSummary& p);

// What an empty body (nothing but whitespace) means for a message.
enum class EmptyBody { error, empty_object };

// The body parsed as one JSON object, or nullopt with the reason in `ctx`.
std::optional<Json> parse_object(Ctx& ctx, std::string_view body, EmptyBody empty);

// Decodes `body` as message `message` (the name error texts start with) by calling
// fields(Obj&, T&) on the body's object.
template <class T, class Fn>
Result<T> decode(std::string_view message, std::string_view body, EmptyBody empty, Fn fields) {
  Ctx ctx(message);
  T m{};
  if (auto root = parse_object(ctx, body, empty)) {
    Obj o(ctx, *root, "");
    fields(o, m);
  }
  if (ctx.failed()) return Error{ctx.error()};
  return m;
}

}  // namespace stackrun::wire::detail
