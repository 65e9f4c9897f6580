#pragma once
// `--listen HOST:PORT` as data: parsed and classified without touching a socket, so the rule
// "plain HTTP off loopback needs an explicit flag" is decided (and tested) here, not in main.
#include <string>
#include <string_view>

#include "runner/core/result.hpp"

namespace stackrun::http {

struct ListenAddress {
  std::string host;  // an IP literal without brackets: "127.0.0.1", "::1", "0.0.0.0"
  int port = 0;      // 0: the server picks a free one
  // Only this machine can connect: 127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104. A wildcard
  // (0.0.0.0, ::) or any other address is reachable from the network.
  bool loopback = false;
};

// Parses "HOST:PORT": HOST an IPv4 literal or a bracketed IPv6 one ("[::1]:8480"), PORT a
// decimal 0-65535. Fails with a message naming --listen and what it got, e.g.
// `--listen: "localhost" is not an IP address (use e.g. 127.0.0.1, 0.0.0.0 or [::1])`.
Result<ListenAddress> parse_listen(std::string_view text);

}  // namespace stackrun::http
