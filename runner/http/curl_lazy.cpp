// libcurl, loaded on first use rather than at every start of `stackrun`.
//
// Why: libcurl brings ~30 shared libraries (gnutls, nettle, ldap, rtmp, nghttp2, ...), and the
// dynamic loader maps and relocates every one of them at each start: ~20 ms of page faults on
// a VM, paid by every subcommand, including the ones that never speak HTTP (`plan-stacks`,
// `lint`, `--version`). stackrun does not link libcurl; this file defines the curl functions
// client.cpp calls, and each one loads the library (dlopen of the soname found at build time)
// the first time any is called, then forwards to it. client.cpp is unchanged: it still calls
// curl's API, declared by curl/curl.h.
//
// Contract: the first call loads the library under a function-local static (thread-safe). If it
// cannot be loaded, every function throws std::runtime_error naming the library and dlerror();
// the first call is always curl_global_init from http::Client's constructor, which therefore
// throws (as it does when curl_global_init fails).
// Why: with GCC, curl.h turns curl_easy_setopt/getinfo into type-checking macros, which would
// rewrite the definitions below.
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <dlfcn.h>

#include <cstdarg>
#include <stdexcept>
#include <string>

#ifndef STACKRUN_CURL_SONAME
#error "STACKRUN_CURL_SONAME must name libcurl's soname (runner/http/CMakeLists.txt)"
#endif

namespace {

struct Api {
  CURLcode (*global_init)(long);
  CURL* (*easy_init)();
  void (*easy_cleanup)(CURL*);
  void (*easy_reset)(CURL*);
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  const char* (*easy_strerror)(CURLcode);
  CURLM* (*multi_init)();
  CURLMcode (*multi_cleanup)(CURLM*);
  CURLMcode (*multi_add_handle)(CURLM*, CURL*);
  CURLMcode (*multi_remove_handle)(CURLM*, CURL*);
  CURLMcode (*multi_perform)(CURLM*, int*);
  CURLMcode (*multi_poll)(CURLM*, curl_waitfd[], unsigned int, int, int*);
  CURLMcode (*multi_wakeup)(CURLM*);
  CURLMsg* (*multi_info_read)(CURLM*, int*);
  const char* (*multi_strerror)(CURLMcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
};

template <typename F>
void bind(void* lib, F& f, const char* name, std::string& missing) {
  f = reinterpret_cast<F>(dlsym(lib, name));
  if (!f) missing += std::string(missing.empty() ? "" : ", ") + name;
}

Api load() {
  void* lib = dlopen(STACKRUN_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* why = dlerror();
    throw std::runtime_error(std::string("cannot load libcurl (" STACKRUN_CURL_SONAME "): ") +
                             (why ? why : "unknown error"));
  }
  Api a{};
  std::string missing;
  bind(lib, a.global_init, "curl_global_init", missing);
  bind(lib, a.easy_init, "curl_easy_init", missing);
  bind(lib, a.easy_cleanup, "curl_easy_cleanup", missing);
  bind(lib, a.easy_reset, "curl_easy_reset", missing);
  bind(lib, a.easy_setopt, "curl_easy_setopt", missing);
  bind(lib, a.easy_getinfo, "curl_easy_getinfo", missing);
  bind(lib, a.easy_strerror, "curl_easy_strerror", missing);
  bind(lib, a.multi_init, "curl_multi_init", missing);
  bind(lib, a.multi_cleanup, "curl_multi_cleanup", missing);
  bind(lib, a.multi_add_handle, "curl_multi_add_handle", missing);
  bind(lib, a.multi_remove_handle, "curl_multi_remove_handle", missing);
  bind(lib, a.multi_perform, "curl_multi_perform", missing);
  bind(lib, a.multi_poll, "curl_multi_poll", missing);
  bind(lib, a.multi_wakeup, "curl_multi_wakeup", missing);
  bind(lib, a.multi_info_read, "curl_multi_info_read", missing);
  bind(lib, a.multi_strerror, "curl_multi_strerror", missing);
  bind(lib, a.slist_append, "curl_slist_append", missing);
  bind(lib, a.slist_free_all, "curl_slist_free_all", missing);
  if (!missing.empty())
    throw std::runtime_error("libcurl (" STACKRUN_CURL_SONAME ") lacks " + missing);
  return a;
}

const Api& api() {
  static const Api a = load();  // never unloaded: handles may live until exit
  return a;
}

}  // namespace

extern "C" {

CURLcode curl_global_init(long flags) {
  return api().global_init(flags);
}
CURL* curl_easy_init() {
  return api().easy_init();
}
void curl_easy_cleanup(CURL* curl) {
  api().easy_cleanup(curl);
}
void curl_easy_reset(CURL* curl) {
  api().easy_reset(curl);
}

// The one value after `option` is passed on with the type curl reads for that option's range
// (curl.h: CURLOPTTYPE_*), as curl itself reads it with va_arg.
CURLcode curl_easy_setopt(CURL* curl, CURLoption option, ...) {
  std::va_list ap;
  va_start(ap, option);
  CURLcode rc;
  if (option < CURLOPTTYPE_OBJECTPOINT) {
    rc = api().easy_setopt(curl, option, va_arg(ap, long));
  } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
    rc = api().easy_setopt(curl, option, va_arg(ap, void*));
  } else if (option < CURLOPTTYPE_OFF_T) {
    using Fn = void (*)();
    rc = api().easy_setopt(curl, option, va_arg(ap, Fn));
  } else if (option < CURLOPTTYPE_BLOB) {
    rc = api().easy_setopt(curl, option, va_arg(ap, curl_off_t));
  } else {
    rc = api().easy_setopt(curl, option, va_arg(ap, void*));
  }
  va_end(ap);
  return rc;
}

// Every CURLINFO takes one pointer to where the answer goes.
CURLcode curl_easy_getinfo(CURL* curl, CURLINFO info, ...) {
  std::va_list ap;
  va_start(ap, info);
  void* out = va_arg(ap, void*);
  va_end(ap);
  return api().easy_getinfo(curl, info, out);
}

const char* curl_easy_strerror(CURLcode code) {
  return api().easy_strerror(code);
}
CURLM* curl_multi_init() {
  return api().multi_init();
}
CURLMcode curl_multi_cleanup(CURLM* multi) {
  return api().multi_cleanup(multi);
}
CURLMcode curl_multi_add_handle(CURLM* multi, CURL* curl) {
  return api().multi_add_handle(multi, curl);
}
CURLMcode curl_multi_remove_handle(CURLM* multi, CURL* curl) {
  return api().multi_remove_handle(multi, curl);
}
CURLMcode curl_multi_perform(CURLM* multi, int* running) {
  return api().multi_perform(multi, running);
}
CURLMcode curl_multi_poll(CURLM* multi, curl_waitfd extra[], unsigned int n, int timeout_ms,
                          int* ret) {
  return api().multi_poll(multi, extra, n, timeout_ms, ret);
}
CURLMcode curl_multi_wakeup(CURLM* multi) {
  return api().multi_wakeup(multi);
}
CURLMsg* curl_multi_info_read(CURLM* multi, int* queued) {
  return api().multi_info_read(multi, queued);
}
const char* curl_multi_strerror(CURLMcode code) {
  return api().multi_strerror(code);
}
curl_slist* curl_slist_append(curl_slist* list, const char* text) {
  return api().slist_append(list, text);
}
void curl_slist_free_all(curl_slist* list) {
  api().slist_free_all(list);
}

}  // extern "C"
