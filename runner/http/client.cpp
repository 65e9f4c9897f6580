// The HTTP client: the only file including curl. One easy handle per Client, reset (not
// recreated) per request so its connection cache keeps the connection alive between requests.
#include <curl/curl.h>

#include <memory>
#include <stdexcept>

#include "runner/http/http.hpp"

namespace stackrun::http {
namespace {

// curl_global_init is not thread-safe and must run once before any easy handle; a function-local
// static gives both (C++ guarantees one initialisation even with racing threads).
void global_init_once() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) {
    throw std::runtime_error(std::string("curl_global_init failed: ") + curl_easy_strerror(rc));
  }
}

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistFree>;

// Appends to `list`; false when curl could not allocate.
bool add_header(Slist& list, const std::string& line) {
  curl_slist* grown = curl_slist_append(list.get(), line.c_str());
  if (!grown) return false;
  list.release();
  list.reset(grown);
  return true;
}

}  // namespace

Client::Client(std::string base_url, std::string bearer_token)
    : base_url_(std::move(base_url)), token_(std::move(bearer_token)) {
  global_init_once();
  curl_ = curl_easy_init();
  if (!curl_) throw std::runtime_error("curl_easy_init failed (out of memory?)");
}

Client::~Client() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Result<ClientResponse> Client::request(const std::string& method, const std::string& path,
                                       const std::string& body, std::chrono::milliseconds timeout) {
  CURL* curl = static_cast<CURL*>(curl_);
  const std::string url = base_url_ + path;
  const std::string what = method + " " + url + ": ";
  // On every exit, drop this request's options (they point at locals below). Reset keeps the
  // open connection, so the next request reuses it.
  struct ResetOnExit {
    CURL* curl;
    ~ResetOnExit() { curl_easy_reset(curl); }
  } reset_on_exit{curl};

  Slist headers;
  bool headers_ok =
      add_header(headers, "Accept: application/json") &&
      // Why: curl would otherwise wait up to 1 s for "100 Continue" before
      // sending bodies over 1 KiB; our server never sends it.
      add_header(headers, "Expect:") &&
      // Body-less POST: drop curl's default form Content-Type rather than lie.
      add_header(headers, body.empty() ? "Content-Type:" : "Content-Type: application/json") &&
      (token_.empty() || add_header(headers, "Authorization: Bearer " + token_));
  if (!headers_ok) return Result<ClientResponse>::fail(what + "out of memory building headers");

  std::string response_body;
  char error_text[CURL_ERROR_SIZE] = {};
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(curl, option, value);
  };
  set(CURLOPT_URL, url.c_str());
  set(CURLOPT_ERRORBUFFER, error_text);
  set(CURLOPT_HTTPHEADER, headers.get());
  set(CURLOPT_WRITEFUNCTION, &append_body);
  set(CURLOPT_WRITEDATA, static_cast<void*>(&response_body));
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  // Why NOSIGNAL: curl's default timeout uses SIGALRM, unsafe in a multi-threaded process.
  set(CURLOPT_NOSIGNAL, 1L);
  // A redirect is an answer for the caller to see, never a reason to send our token elsewhere.
  set(CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85: the string form; the bitmask is deprecated
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  set(CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
  set(CURLOPT_REDIR_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  if (method == "GET" && body.empty()) {
    set(CURLOPT_HTTPGET, 1L);
  } else if (method == "HEAD" && body.empty()) {
    set(CURLOPT_NOBODY, 1L);
  } else {
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      // COPYPOSTFIELDS sends "Content-Length: 0" for an empty body, which servers expect.
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
      set(CURLOPT_COPYPOSTFIELDS, body.c_str());
    }
    if (method != "POST") set(CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  if (rc != CURLE_OK) {
    return Result<ClientResponse>::fail(what + "cannot configure curl: " + curl_easy_strerror(rc));
  }

  rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    const char* reason = error_text[0] ? error_text : curl_easy_strerror(rc);
    return Result<ClientResponse>::fail(what + reason);
  }
  long status = 0;
  rc = curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK) {
    return Result<ClientResponse>::fail(what + "no status code: " + curl_easy_strerror(rc));
  }
  return ClientResponse{static_cast<int>(status), std::move(response_body)};
}

}  // namespace stackrun::http
