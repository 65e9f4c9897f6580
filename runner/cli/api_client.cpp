#include "runner/cli/api_client.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "runner/http/http.hpp"

namespace stackrun::cli {

void add_client_flags(CLI::App& cmd, ClientFlags& f) {
  cmd.add_option("--server", f.server, "Server URL (default: $STACKRUN_SERVER or <state-dir>/client.json)");
  cmd.add_option("--token", f.token, "API token (default: $STACKRUN_TOKEN or <state-dir>/client.json)");
  cmd.add_option("--state-dir", f.state_dir, "Where `stackrun up` keeps its files (default ./.stackrun-state)");
}

Result<ApiResult> api_request(const ClientConfig& c, const std::string& method, const std::string& path,
                              const std::string& body, int timeout_ms) {
  http::Client client(c.server, c.token);
  auto r = client.request(method, path, body, std::chrono::milliseconds(timeout_ms));
  if (!r) return Error{r.error()};
  return ApiResult{r->status, r->body};
}

std::string api_error_text(const ApiResult& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  return (!j.is_discarded() && j.is_object()) ? j.value("error", r.body) : r.body;
}

Result<ApiResult> api_call(const ClientConfig& c, const std::string& method, const std::string& path,
                           const std::string& body, int timeout_ms) {
  auto r = api_request(c, method, path, body, timeout_ms);
  if (!r) return r;
  if (r->status >= 200 && r->status < 300) return r;
  return Error{method + " " + path + ": " + std::to_string(r->status) + ": " + api_error_text(*r)};
}

}  // namespace stackrun::cli
