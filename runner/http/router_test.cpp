#include "runner/http/router.hpp"

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>

namespace stackrun::http {
namespace {

struct DecodeRow {
  const char* in;
  bool plus_is_space;
  const char* want;
};

const DecodeRow kDecodeRows[] = {
    {"", false, ""},
    {"plain", false, "plain"},
    {"a%20b", false, "a b"},
    {"a%2Fb", false, "a/b"},
    {"%2f%2F", false, "//"},
    {"a+b", false, "a+b"},
    {"a+b", true, "a b"},
    {"%2B", true, "+"},
    {"100%", false, "100%"},  // truncated escape kept
    {"%4", false, "%4"},      // truncated escape kept
    {"%zz", false, "%zz"},    // not hex: kept
    {"%e2%9c%93", false, "\xe2\x9c\x93"},
};

TEST(PercentDecode, Table) {
  for (const auto& row : kDecodeRows) {
    SCOPED_TRACE(row.in);
    EXPECT_EQ(percent_decode(row.in, row.plus_is_space), row.want);
  }
  EXPECT_EQ(percent_decode("%00x", false), std::string("\0x", 2));
}

struct TargetRow {
  const char* target;
  const char* path;
  std::map<std::string, std::string> query;
};

const TargetRow kTargetRows[] = {
    {"/", "/", {}},
    {"/runs/7", "/runs/7", {}},
    {"/runs/7?", "/runs/7", {}},
    {"/runs?after=10", "/runs", {{"after", "10"}}},
    {"/runs?a=1&b=2", "/runs", {{"a", "1"}, {"b", "2"}}},
    {"/runs?flag", "/runs", {{"flag", ""}}},
    {"/runs?flag=", "/runs", {{"flag", ""}}},
    {"/runs?a=1&&b=2&", "/runs", {{"a", "1"}, {"b", "2"}}},
    {"/runs?a=1&a=2", "/runs", {{"a", "2"}}},
    {"/runs?q=a+b%2Bc", "/runs", {{"q", "a b+c"}}},
    {"/runs?k%20ey=v%3Dw", "/runs", {{"k ey", "v=w"}}},
    {"/runs?x=1=2", "/runs", {{"x", "1=2"}}},
    {"/a%20b?x=%3F", "/a%20b", {{"x", "?"}}},  // path stays as sent
};

TEST(SplitTarget, Table) {
  for (const auto& row : kTargetRows) {
    SCOPED_TRACE(row.target);
    Target t = split_target(row.target);
    EXPECT_EQ(t.path, row.path);
    EXPECT_EQ(t.query, row.query);
  }
}

TEST(JsonError, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(json_error("plain"), R"({"error":"plain"})");
  EXPECT_EQ(json_error(R"(say "hi" \ bye)"), R"({"error":"say \"hi\" \\ bye"})");
  EXPECT_EQ(json_error("a\nb\tc\rd"), R"({"error":"a\nb\tc\rd"})");
  EXPECT_EQ(json_error(std::string("\x01\x1f", 2)), R"({"error":"\u0001\u001f"})");
  EXPECT_EQ(json_error("caf\xc3\xa9"), "{\"error\":\"caf\xc3\xa9\"}");
}

// Each handler answers with its own name, so a match can be identified by calling it.
Handler named(const std::string& name) {
  return [name](const Request&, Reply reply) { reply(Response{200, "text/plain", name, {}}); };
}

std::string call(const Router::Match& m) {
  std::string got;
  (*m.handler)(Request{}, [&](Response r) { got = r.body; });
  return got;
}

Router sample_router() {
  Router r;
  r.add("GET", "/", named("root"));
  r.add("GET", "/api/v1/runs", named("list"));
  r.add("POST", "/api/v1/runs", named("create"));
  r.add("GET", "/api/v1/runs/{id}", named("get"));
  r.add("GET", "/api/v1/runs/latest", named("latest"));
  r.add("DELETE", "/api/v1/runs/{id}", named("delete"));
  r.add("GET", "/api/v1/runs/{id}/logs/{attempt}", named("logs"));
  r.add("GET", "/a/{x}/c", named("a-x-c"));
  r.add("GET", "/a/b/{y}", named("a-b-y"));
  return r;
}

struct MatchRow {
  const char* method;
  const char* path;
  const char* want;  // handler name, or the exact error body
  std::map<std::string, std::string> params;
};

const MatchRow kMatchRows[] = {
    {"GET", "/", "root", {}},
    {"GET", "/api/v1/runs", "list", {}},
    {"POST", "/api/v1/runs", "create", {}},
    {"GET", "/api/v1/runs/7", "get", {{"id", "7"}}},
    {"GET", "/api/v1/runs/latest", "latest", {}},                     // literal beats capture
    {"DELETE", "/api/v1/runs/latest", "delete", {{"id", "latest"}}},  // method first
    {"GET", "/api/v1/runs/a%2Fb", "get", {{"id", "a/b"}}},            // captures are decoded
    {"GET", "/api/v1/runs/7/logs/2", "logs", {{"id", "7"}, {"attempt", "2"}}},
    {"GET", "/a/b/c", "a-b-y", {{"y", "c"}}},  // leftmost literal wins
    {"GET", "/a/z/c", "a-x-c", {{"x", "z"}}},
    {"GET", "/api/v1/runs/", R"({"error":"no route for GET /api/v1/runs/"})", {}},
    {"GET", "/api/v1//logs/2", R"({"error":"no route for GET /api/v1//logs/2"})", {}},
    {"GET", "/api/v1/run", R"({"error":"no route for GET /api/v1/run"})", {}},
    {"GET", "/api/v1/runs/7/extra", R"({"error":"no route for GET /api/v1/runs/7/extra"})", {}},
    {"get",
     "/api/v1/runs",
     R"js({"error":"method get not allowed for /api/v1/runs (allowed: GET, POST)"})js",
     {}},
    {"PUT",
     "/api/v1/runs/7",
     R"js({"error":"method PUT not allowed for /api/v1/runs/7 (allowed: DELETE, GET)"})js",
     {}},
    {"GET", "*", R"({"error":"no route for GET *"})", {}},
};

TEST(Router, MatchTable) {
  Router router = sample_router();
  for (const auto& row : kMatchRows) {
    SCOPED_TRACE(std::string(row.method) + " " + row.path);
    Router::Match m = router.match(row.method, row.path);
    if (m.handler) {
      EXPECT_EQ(call(m), row.want);
      EXPECT_EQ(m.params, row.params);
    } else {
      EXPECT_EQ(m.error.body, row.want);
      bool not_allowed = std::string(row.want).find("not allowed") != std::string::npos;
      EXPECT_EQ(m.error.status, not_allowed ? 405 : 404);
    }
  }
}

TEST(Router, MethodNotAllowedListsAllowedMethods) {
  Router router = sample_router();
  Router::Match m = router.match("PATCH", "/api/v1/runs");
  ASSERT_EQ(m.handler, nullptr);
  EXPECT_EQ(m.error.status, 405);
  ASSERT_EQ(m.error.headers.size(), 1u);
  EXPECT_EQ(m.error.headers[0].first, "Allow");
  EXPECT_EQ(m.error.headers[0].second, "GET, POST");
  EXPECT_EQ(router.match("GET", "/nowhere").error.status, 404);
}

TEST(Router, RejectsMalformedPatterns) {
  struct Row {
    const char* pattern;
    const char* want;
  };
  const Row rows[] = {
      {"", "route GET : pattern must start with '/'"},
      {"runs", "route GET runs: pattern must start with '/'"},
      {"/runs/{}", "route GET /runs/{}: a capture must be a whole segment like {id}, got '{}'"},
      {"/runs/x{id}",
       "route GET /runs/x{id}: a capture must be a whole segment like {id}, got 'x{id}'"},
      {"/runs/{id", "route GET /runs/{id: a capture must be a whole segment like {id}, got '{id'"},
      {"/runs/{a{b}}",
       "route GET /runs/{a{b}}: a capture must be a whole segment like {id}, got '{a{b}}'"},
      {"/runs/{id}/{id}", "route GET /runs/{id}/{id}: capture {id} appears twice"},
      {"/dup", "route GET /dup: registered twice"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.pattern);
    Router router;
    router.add("GET", "/dup", named("first"));
    try {
      router.add("GET", row.pattern, named("x"));
      ADD_FAILURE() << "no exception";
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), row.want);
    }
  }
}

TEST(Request, HeaderLookupIsEmptyWhenAbsent) {
  Request r;
  r.headers["authorization"] = "Bearer t";
  EXPECT_EQ(r.header("authorization"), "Bearer t");
  EXPECT_EQ(r.header("x-missing"), "");
}

}  // namespace
}  // namespace stackrun::http
