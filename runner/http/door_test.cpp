// The door's pure half: connection caps as a counter, and what a request's head alone decides
// (route, body limit, admit) as tables.
#include "runner/http/door.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stackrun::http {
namespace {

TEST(ConnectionCounter, CapsPerAddressAndInTotal) {
  ConnectionCounter c(5, 2);
  EXPECT_TRUE(c.open("127.0.0.1"));
  EXPECT_TRUE(c.open("127.0.0.1"));
  EXPECT_FALSE(c.open("127.0.0.1"));  // per-address cap: loopback is no exception
  EXPECT_EQ(c.from("127.0.0.1"), 2u);
  EXPECT_TRUE(c.open("10.0.0.1"));
  EXPECT_TRUE(c.open("10.0.0.1"));
  EXPECT_TRUE(c.open("::1"));
  EXPECT_FALSE(c.open("10.0.0.2"));  // total cap, though 10.0.0.2 has none
  EXPECT_EQ(c.total(), 5u);
  c.close("127.0.0.1");
  EXPECT_EQ(c.total(), 4u);
  EXPECT_TRUE(c.open("10.0.0.2"));    // room again
  EXPECT_FALSE(c.open("127.0.0.1"));  // total cap again
  c.close("10.0.0.9");                // never counted: ignored
  EXPECT_EQ(c.total(), 5u);
  for (const char* a : {"127.0.0.1", "10.0.0.1", "10.0.0.1", "::1", "10.0.0.2"}) c.close(a);
  EXPECT_EQ(c.total(), 0u);
  EXPECT_EQ(c.from("10.0.0.1"), 0u);
  c.close("10.0.0.1");  // an address with none left is not driven below zero
  EXPECT_EQ(c.total(), 0u);
}

TEST(ConnectionCounter, ZeroCapsRefuseEverything) {
  ConnectionCounter none_per_address(10, 0), none_at_all(0, 10);
  EXPECT_FALSE(none_per_address.open("127.0.0.1"));
  EXPECT_FALSE(none_at_all.open("127.0.0.1"));
  EXPECT_EQ(none_per_address.total(), 0u);
}

// A router with: POST /open (no options), POST /small (limit 10), POST /guarded (limit 100 and
// an admit that wants "authorization: yes" and records what it saw).
struct Fixture {
  Router router;
  std::vector<std::string> seen;  // "<path> params=<id> body=<body>" per admit call
  Fixture() {
    Handler h = [](const Request&, Reply) {};
    router.add("POST", "/open", h);
    RouteOptions small;
    small.max_body_bytes = 10;
    router.add("POST", "/small", h, small);
    RouteOptions guarded;
    guarded.max_body_bytes = 100;
    guarded.admit = [this](const Request& head) -> std::optional<Response> {
      auto id = head.params.find("id");
      seen.push_back(head.path + " params=" + (id == head.params.end() ? "" : id->second) +
                     " body=" + head.body);
      if (head.header("authorization") == "yes") return std::nullopt;
      return error_response(401, "no");
    };
    router.add("POST", "/guarded/{id}", h, guarded);
  }
};

struct HeadRow {
  const char* method;
  const char* path;
  std::optional<std::uint64_t> content_length;
  const char* authorization;
  // "" = admitted; else "<status> <body>"
  const char* want;
  std::uint64_t want_limit;  // when admitted
  int want_admit_calls;
};

const HeadRow kHeadRows[] = {
    {"POST", "/nope", 4194304, "yes", R"(404 {"error":"no route for POST /nope"})", 0, 0},
    {"GET", "/open", std::nullopt, "",
     R"js(405 {"error":"method GET not allowed for /open (allowed: POST)"})js", 0, 0},
    // No route limit: the server's default (1000 here).
    {"POST", "/open", 1000, "", "", 1000, 0},
    {"POST", "/open", 1001, "", R"(413 {"error":"request body larger than 1000 bytes"})", 0, 0},
    {"POST", "/open", std::nullopt, "", "", 1000, 0},  // chunked: the limit applies as it reads
    {"POST", "/small", 10, "", "", 10, 0},
    {"POST", "/small", 11, "", R"(413 {"error":"request body larger than 10 bytes"})", 0, 0},
    {"POST", "/small", 0, "", "", 10, 0},
    // The limit is checked before admit: an oversize body is refused without asking.
    {"POST", "/guarded/7", 101, "yes", R"(413 {"error":"request body larger than 100 bytes"})", 0,
     0},
    {"POST", "/guarded/7", 4194304, "", R"(413 {"error":"request body larger than 100 bytes"})", 0,
     0},
    {"POST", "/guarded/7", 100, "", R"(401 {"error":"no"})", 0, 1},
    {"POST", "/guarded/7", std::nullopt, "", R"(401 {"error":"no"})", 0, 1},
    {"POST", "/guarded/7", 100, "yes", "", 100, 1},
};

TEST(DecideHead, Table) {
  for (const auto& row : kHeadRows) {
    SCOPED_TRACE(std::string(row.method) + " " + row.path + " length " +
                 (row.content_length ? std::to_string(*row.content_length) : "none"));
    Fixture f;
    Request head;
    head.method = row.method;
    head.path = row.path;
    if (*row.authorization) head.headers["authorization"] = row.authorization;
    Router::Match match = f.router.match(head.method, head.path);
    if (match.handler) head.params = match.params;
    HeadDecision d = decide_head(match, head, row.content_length, 1000);
    const std::string got =
        d.answer ? std::to_string(d.answer->status) + " " + d.answer->body : std::string();
    EXPECT_EQ(got, row.want);
    if (!d.answer) {
      EXPECT_EQ(d.body_limit, row.want_limit);
    }
    EXPECT_EQ(static_cast<int>(f.seen.size()), row.want_admit_calls);
    if (!f.seen.empty()) {
      EXPECT_EQ(f.seen[0], "/guarded/7 params=7 body=");
    }
  }
}

TEST(DecideHead, WhatAdmitThrowsEscapes) {
  Router router;
  RouteOptions o;
  o.admit = [](const Request&) -> std::optional<Response> { throw std::runtime_error("db"); };
  router.add(
      "GET", "/x", [](const Request&, Reply) {}, o);
  Request head;
  head.method = "GET";
  head.path = "/x";
  EXPECT_THROW(decide_head(router.match("GET", "/x"), head, std::nullopt, 10), std::runtime_error);
}

}  // namespace
}  // namespace stackrun::http
