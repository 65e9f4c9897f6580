#include "runner/wire/json_fields.hpp"

#include <limits>

namespace stackrun::wire::detail {
namespace {

template <class I>
std::string range_text() {
  return "expected an integer from " + std::to_string(std::numeric_limits<I>::min()) + " to " +
         std::to_string(std::numeric_limits<I>::max());
}

// `all` lists every value of E so the error can name the allowed texts; parse is the core's
// inverse of to_string. A new enumerator must be added to the caller's list below.
template <class E, class Parse, std::size_t N>
void read_enum(Ctx& ctx, const Json& v, const std::string& path, E& out, Parse parse,
               const E (&all)[N]) {
  std::optional<E> e;
  if (v.is_string()) e = parse(v.get_ref<const std::string&>());
  if (e) {
    out = *e;
    return;
  }
  std::string allowed;
  for (E a : all) allowed += (allowed.empty() ? "" : ", ") + std::string(core::to_string(a));
  ctx.wrong(path, "expected one of " + allowed);
}

bool only_whitespace(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;  // JSON's four
}

}  // namespace

std::string dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void Ctx::wrong(const std::string& path, std::string_view what) {
  if (!error_) error_ = std::string(message_) + ": field \"" + path + "\": " + std::string(what);
}

void Ctx::missing(const std::string& path) {
  if (!error_) error_ = std::string(message_) + ": field \"" + path + "\" is missing";
}

void Ctx::body(std::string_view what) {
  if (!error_) error_ = std::string(message_) + ": " + std::string(what);
}

const Json* Obj::field(const char* key, bool required) {
  if (ctx_.failed()) return nullptr;
  auto it = obj_.find(key);
  if (it != obj_.end()) return &*it;
  if (required) ctx_.missing(path_of(key));
  return nullptr;
}

void read_value(Ctx& ctx, const Json& v, const std::string& path, std::string& out) {
  if (!v.is_string()) return ctx.wrong(path, "expected a string");
  out = v.get<std::string>();
}

void read_value(Ctx& ctx, const Json& v, const std::string& path, std::int64_t& out) {
  // A float (1.5, 1e3, or an integer too long for 64 bits) is not an integer, nor is "1".
  if (!v.is_number_integer()) return ctx.wrong(path, "expected an integer");
  constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > max)
    return ctx.wrong(path, range_text<std::int64_t>());
  out = v.get<std::int64_t>();
}

void read_value(Ctx& ctx, const Json& v, const std::string& path, int& out) {
  std::int64_t wide = 0;
  read_value(ctx, v, path, wide);
  if (ctx.failed()) return;
  if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max())
    return ctx.wrong(path, range_text<int>());
  out = static_cast<int>(wide);
}

void read_value(Ctx& ctx, const Json& v, const std::string& path, bool& out) {
  if (!v.is_boolean()) return ctx.wrong(path, "expected true or false");
  out = v.get<bool>();
}

void read_value(Ctx& ctx, const Json& v, const std::string& path, std::vector<std::int64_t>& out) {
  if (!v.is_array()) return ctx.wrong(path, "expected an array");
  out.assign(v.size(), 0);
  for (std::size_t i = 0; i < v.size() && !ctx.failed(); ++i)
    read_value(ctx, v[i], path + "[" + std::to_string(i) + "]", out[i]);
}

void read_value(Ctx& ctx, const Json& v, const std::string& path, std::vector<std::string>& out) {
  if (!v.is_array()) return ctx.wrong(path, "expected an array");
  out.assign(v.size(), "");
  for (std::size_t i = 0; i < v.size() && !ctx.failed(); ++i)
    read_value(ctx, v[i], path + "[" + std::to_string(i) + "]", out[i]);
}

void read_value(Ctx& ctx, const Json& v, const std::string& path, core::RunStatus& out) {
  using R = core::RunStatus;
  const R all[] = {R::queued,    R::running,    R::success, R::failed,
                   R::cancelled, R::superseded, R::drift};
  read_enum(ctx, v, path, out, core::parse_run_status, all);
}

void read_value(Ctx& ctx, const Json& v, const std::string& path, core::JobStatus& out) {
  using J = core::JobStatus;
  const J all[] = {J::pending,     J::queued,    J::running,    J::needs_approval,
                   J::success,     J::drift,     J::skipped,    J::failed,
                   J::interrupted, J::cancelled, J::superseded, J::refused};
  read_enum(ctx, v, path, out, core::parse_job_status, all);
}

void read_value(Ctx& ctx, const Json& v, const std::string& path, core::AttemptStatus& out) {
  using A = core::AttemptStatus;
  const A all[] = {A::offered, A::running, A::finished, A::lost, A::interrupted};
  read_enum(ctx, v, path, out, core::parse_attempt_status, all);
}

void read_value(Ctx& ctx, const Json& v, const std::string& path, core::CancelLevel& out) {
  using C = core::CancelLevel;
  const C all[] = {C::none, C::graceful, C::force};
  read_enum(ctx, v, path, out, core::parse_cancel_level, all);
}

void read_value(Ctx& ctx, const Json& v, const std::string& path, core::JobKind& out) {
  const core::JobKind all[] = {core::JobKind::apply, core::JobKind::plan};
  read_enum(ctx, v, path, out, core::parse_job_kind, all);
}

void read_value(Ctx& ctx, const Json& v, const std::string& path, core::Class& out) {
  using C = core::Class;
  const C all[] = {C::success, C::drift, C::lock, C::transient, C::fatal};
  read_enum(ctx, v, path, out, core::class_from_string, all);
}

std::optional<Json> parse_object(Ctx& ctx, std::string_view body, EmptyBody empty) {
  if (only_whitespace(body)) {
    if (empty == EmptyBody::empty_object) return Json::object();
    ctx.body("body is empty, expected a JSON object");
    return std::nullopt;
  }
  // Json::parse's exception is the only way to learn where the text went wrong; it stays here.
  try {
    Json j = Json::parse(body);
    if (j.is_object()) return j;
    ctx.body("body is not a JSON object");
  } catch (const Json::parse_error& e) {
    // e.byte is the 1-based position of the byte that broke the syntax, one past the end when
    // the text stopped too early.
    if (e.byte > body.size())
      ctx.body("body is not valid JSON (it ends too early)");
    else
      ctx.body("body is not valid JSON (syntax error at byte " + std::to_string(e.byte) + ")");
  } catch (const Json::exception&) {
    ctx.body("body is not valid JSON");
  }
  return std::nullopt;
}

}  // namespace stackrun::wire::detail
