#pragma once
// The CLI's own JSON: the two files `stackrun up` leaves in the state dir, and the --json output
// of the standalone subcommands (classify, plan-stacks). Like protocol.hpp, plain structs with
// an encode (and, for the files the CLI reads back, a decode); JSON stays in cli_formats.cpp.
//
// <state-dir>/client.json, written by `stackrun up` (mode 0600: it holds a bearer token):
//   {"version":1,"server":"http://127.0.0.1:8480","token":"..."}
// <state-dir>/up.json, the processes of a running `stackrun up` (read by operators and scripts):
//   {"version":1,"server":4242,"agents":{"agent-1":4243,"agent-2":4244}}
// Both decode "version" absent as 1 (files written before the field existed) and refuse any
// other value; unknown keys are ignored.
//
// `stackrun classify --json` (keys sorted, as the command has always printed them; "lock" only
// when the output had a Lock Info block):
//   {"class":"lock","line":"Error: ...","line_no":3,"lock":{"created":..,"id":..,"info":..,
//    "operation":..,"path":..,"version":..,"who":..},"rule":"builtin.lock.state-lock"}
// `stackrun plan-stacks --json` (keys in this order):
//   {"stacks":[{"path","tier","reason"}],"removed":[path],"excluded":[{"path","reason"}]}
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runner/core/result.hpp"
#include "runner/core/verdict.hpp"

namespace stackrun::wire {

inline constexpr int kClientFileVersion = 1;
inline constexpr int kUpFileVersion = 1;

// client.json. Either field may be empty or absent: the resolver (runner/client) says which one
// a command is missing and where to get it.
struct ClientFile {
  std::string server, token;
  bool operator==(const ClientFile&) const = default;
};

// up.json: pids of the server and of each agent, agents in start order.
struct UpFile {
  std::int64_t server = 0;
  std::vector<std::pair<std::string, std::int64_t>> agents;  // name -> pid
  bool operator==(const UpFile&) const = default;
};

// What `plan-stacks --json` prints: runner/plan's Plan, as the CLI shows it.
struct StackPlan {
  struct Stack {
    std::string path, tier, reason;
    bool operator==(const Stack&) const = default;
  };
  struct Excluded {
    std::string path, reason;
    bool operator==(const Excluded&) const = default;
  };
  std::vector<Stack> stacks;  // execution order
  std::vector<std::string> removed;
  std::vector<Excluded> excluded;
  bool operator==(const StackPlan&) const = default;
};

// Compact JSON, no trailing newline; invalid UTF-8 in strings becomes U+FFFD.
std::string encode(const ClientFile& m);
std::string encode(const UpFile& m);
std::string encode(const core::Verdict& m);
std::string encode(const StackPlan& m);

// Errors read like the protocol's, e.g. `client file: field "token": expected a string` or
// `up file: field "version": expected 1 (written by a newer stackrun?), got 2`.
Result<ClientFile> decode_client_file(std::string_view body);
Result<UpFile> decode_up_file(std::string_view body);

}  // namespace stackrun::wire
