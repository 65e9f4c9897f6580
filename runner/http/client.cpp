// The HTTP client: the only file including curl. One easy handle per Client, reset (not
// recreated) per request, driven by one multi handle per Client whose connection cache keeps
// the connection alive between requests. Why the multi interface rather than curl_easy_perform:
// curl_multi_poll can be woken from another thread (curl_multi_wakeup), which is how an
// Interrupt stops a request at once; curl_easy_perform only looks at a progress callback, about
// once a second.
#include <curl/curl.h>

#include <algorithm>
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

// Longest single curl_multi_poll. Only a backstop: curl shortens each wait to its own next
// deadline (the request timeout among them), and curl_multi_wakeup or socket activity end it.
constexpr int kPollBackstopMs = 60'000;

}  // namespace

void Interrupt::trigger() {
  std::lock_guard lock(mu_);
  triggered_ = true;
  // Under mu_, so no multi handle can leave() and be cleaned up while being woken. The result
  // is not checked: curl reports a wakeup already pending as success, and a broken wakeup pipe
  // is nothing this could repair (that request then ends at its own timeout).
  for (void* multi : waiting_) curl_multi_wakeup(static_cast<CURLM*>(multi));
}

bool Interrupt::triggered() const {
  return triggered_;
}

bool Interrupt::enter(void* multi) {
  std::lock_guard lock(mu_);
  if (triggered_) return false;
  waiting_.push_back(multi);
  return true;
}

void Interrupt::leave(void* multi) {
  std::lock_guard lock(mu_);
  auto it = std::find(waiting_.begin(), waiting_.end(), multi);
  if (it != waiting_.end()) waiting_.erase(it);
}

Client::Client(std::string base_url, std::string bearer_token)
    : base_url_(std::move(base_url)), token_(std::move(bearer_token)) {
  global_init_once();
  curl_ = curl_easy_init();
  if (!curl_) throw std::runtime_error("curl_easy_init failed (out of memory?)");
  multi_ = curl_multi_init();
  if (!multi_) {
    curl_easy_cleanup(static_cast<CURL*>(curl_));
    throw std::runtime_error("curl_multi_init failed (out of memory?)");
  }
}

Client::~Client() {
  // curl's order: the easy handle is already out of the multi (perform() removes it), so clean
  // it up first, then the multi and the connections it caches.
  curl_easy_cleanup(static_cast<CURL*>(curl_));
  curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

void Client::set_header(const std::string& name, const std::string& value) {
  extra_headers_.push_back(name + ": " + value);
}

void Client::set_interrupt(std::shared_ptr<Interrupt> interrupt) {
  interrupt_ = std::move(interrupt);
}

Result<ClientResponse> Client::request(const std::string& method, const std::string& path,
                                       const std::string& body, std::chrono::milliseconds timeout,
                                       const std::string& content_type) {
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
      add_header(headers, body.empty() ? "Content-Type:" : "Content-Type: " + content_type) &&
      (token_.empty() || add_header(headers, "Authorization: Bearer " + token_));
  for (const auto& line : extra_headers_) headers_ok = headers_ok && add_header(headers, line);
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
      // The size is always set, so an empty body sends "Content-Length: 0", which servers
      // expect. Not copied: `body` outlives the transfer (a log batch is megabytes).
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
      set(CURLOPT_POSTFIELDS, body.c_str());
    }
    if (method != "POST") set(CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  if (rc != CURLE_OK) {
    return Result<ClientResponse>::fail(what + "cannot configure curl: " + curl_easy_strerror(rc));
  }

  if (Status done = perform(what, error_text); !done.ok()) {
    return Result<ClientResponse>::fail(done.error());
  }
  long status = 0;
  rc = curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK) {
    return Result<ClientResponse>::fail(what + "no status code: " + curl_easy_strerror(rc));
  }
  return ClientResponse{static_cast<int>(status), std::move(response_body)};
}

Status Client::perform(const std::string& what, const char* error_text) {
  CURL* curl = static_cast<CURL*>(curl_);
  CURLM* multi = static_cast<CURLM*>(multi_);
  auto fail = [&](const std::string& why) { return Status::fail(what + why); };
  auto multi_fail = [&](CURLMcode mc) {
    return fail(std::string("cannot run curl: ") + curl_multi_strerror(mc));
  };
  // Registered before the first poll, so a trigger() from here on wakes it.
  if (interrupt_ && !interrupt_->enter(multi)) return fail("interrupted");
  struct LeaveOnExit {
    Interrupt* interrupt;
    void* multi;
    ~LeaveOnExit() {
      if (interrupt) interrupt->leave(multi);
    }
  } leave_on_exit{interrupt_.get(), multi};
  if (CURLMcode mc = curl_multi_add_handle(multi, curl); mc != CURLM_OK) return multi_fail(mc);
  // Removing the easy handle returns its connection to the multi's cache for the next request
  // (or, mid-transfer, closes it). Runs before leave_on_exit.
  struct RemoveOnExit {
    CURLM* multi;
    CURL* curl;
    ~RemoveOnExit() { curl_multi_remove_handle(multi, curl); }
  } remove_on_exit{multi, curl};

  // Ends: curl enforces the request's CURLOPT_TIMEOUT_MS inside curl_multi_perform.
  for (;;) {
    int running = 0;
    if (CURLMcode mc = curl_multi_perform(multi, &running); mc != CURLM_OK) return multi_fail(mc);
    if (running == 0) break;
    if (interrupt_ && interrupt_->triggered()) return fail("interrupted");
    CURLMcode mc = curl_multi_poll(multi, nullptr, 0, kPollBackstopMs, nullptr);
    if (mc != CURLM_OK) return multi_fail(mc);
  }
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
    if (msg->msg != CURLMSG_DONE || msg->easy_handle != curl) continue;
    CURLcode rc = msg->data.result;
    if (rc == CURLE_OK) return ok_status();
    return fail(error_text[0] ? error_text : curl_easy_strerror(rc));
  }
  return fail("curl finished without a result");
}

}  // namespace stackrun::http
