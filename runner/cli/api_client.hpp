#pragma once
// The CLI's view of the server API: resolved address + token, JSON in and out.
// Heavy JSON stays in .cpp files: bodies travel as strings here.
#include <string>

#include "runner/cli/client_config.hpp"
#include "runner/core/result.hpp"

namespace CLI { class App; }

namespace stackrun::cli {

// Adds --server, --token, --state-dir to a subcommand.
void add_client_flags(CLI::App& cmd, ClientFlags& flags);

struct ApiResult {
  int status = 0;
  std::string body;
};

// One request; only transport errors (unreachable, timeout) are an Error; any HTTP status
// comes back as a value.
Result<ApiResult> api_request(const ClientConfig& c, const std::string& method, const std::string& path,
                              const std::string& body = "", int timeout_ms = 30'000);
// The server's "error" text of a non-2xx answer (or the raw body).
std::string api_error_text(const ApiResult& r);

// One request; transport errors and non-2xx answers become an Error whose text is the
// server's "error" field (or the transport error), prefixed with the method and path.
Result<ApiResult> api_call(const ClientConfig& c, const std::string& method, const std::string& path,
                           const std::string& body = "", int timeout_ms = 30'000);

}  // namespace stackrun::cli
