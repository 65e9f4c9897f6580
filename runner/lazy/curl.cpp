// libcurl, loaded on first use (runner/lazy/lazy_lib.hpp): the curl functions
// runner/http/client.cpp calls, each forwarding to its twin in the library. client.cpp is
// unchanged: it still calls curl's API, declared by curl/curl.h. If the library cannot be
// loaded, the first call throws; that call is always curl_global_init from http::Client's
// constructor, which therefore throws (as it does when curl_global_init fails).
//
// Why: with GCC, curl.h turns curl_easy_setopt/getinfo into type-checking macros, which would
// rewrite the definitions below.
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#include <cstdarg>

#include "runner/lazy/lazy_lib.hpp"

#ifndef STACKRUN_CURL_SONAME
#error "STACKRUN_CURL_SONAME must name libcurl's soname (runner/lazy/CMakeLists.txt)"
#endif

#define STACKRUN_CURL(name) STACKRUN_LAZY_REAL(STACKRUN_CURL_SONAME, name)

extern "C" {

CURLcode curl_global_init(long flags) {
  STACKRUN_CURL(curl_global_init);
  return real(flags);
}
CURL* curl_easy_init() {
  STACKRUN_CURL(curl_easy_init);
  return real();
}
void curl_easy_cleanup(CURL* curl) {
  STACKRUN_CURL(curl_easy_cleanup);
  real(curl);
}
void curl_easy_reset(CURL* curl) {
  STACKRUN_CURL(curl_easy_reset);
  real(curl);
}

// The one value after `option` is passed on with the type curl reads for that option's range
// (curl.h: CURLOPTTYPE_*), as curl itself reads it with va_arg.
CURLcode curl_easy_setopt(CURL* curl, CURLoption option, ...) {
  STACKRUN_CURL(curl_easy_setopt);
  std::va_list ap;
  va_start(ap, option);
  CURLcode rc;
  if (option < CURLOPTTYPE_OBJECTPOINT) {
    rc = real(curl, option, va_arg(ap, long));
  } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
    rc = real(curl, option, va_arg(ap, void*));
  } else if (option < CURLOPTTYPE_OFF_T) {
    using Fn = void (*)();
    rc = real(curl, option, va_arg(ap, Fn));
  } else if (option < CURLOPTTYPE_BLOB) {
    rc = real(curl, option, va_arg(ap, curl_off_t));
  } else {
    rc = real(curl, option, va_arg(ap, void*));
  }
  va_end(ap);
  return rc;
}

// Every CURLINFO takes one pointer to where the answer goes.
CURLcode curl_easy_getinfo(CURL* curl, CURLINFO info, ...) {
  STACKRUN_CURL(curl_easy_getinfo);
  std::va_list ap;
  va_start(ap, info);
  void* out = va_arg(ap, void*);
  va_end(ap);
  return real(curl, info, out);
}

const char* curl_easy_strerror(CURLcode code) {
  STACKRUN_CURL(curl_easy_strerror);
  return real(code);
}
CURLM* curl_multi_init() {
  STACKRUN_CURL(curl_multi_init);
  return real();
}
CURLMcode curl_multi_cleanup(CURLM* multi) {
  STACKRUN_CURL(curl_multi_cleanup);
  return real(multi);
}
CURLMcode curl_multi_add_handle(CURLM* multi, CURL* curl) {
  STACKRUN_CURL(curl_multi_add_handle);
  return real(multi, curl);
}
CURLMcode curl_multi_remove_handle(CURLM* multi, CURL* curl) {
  STACKRUN_CURL(curl_multi_remove_handle);
  return real(multi, curl);
}
CURLMcode curl_multi_perform(CURLM* multi, int* running) {
  STACKRUN_CURL(curl_multi_perform);
  return real(multi, running);
}
CURLMcode curl_multi_poll(CURLM* multi, curl_waitfd extra[], unsigned int n, int timeout_ms,
                          int* ret) {
  STACKRUN_CURL(curl_multi_poll);
  return real(multi, extra, n, timeout_ms, ret);
}
CURLMcode curl_multi_wakeup(CURLM* multi) {
  STACKRUN_CURL(curl_multi_wakeup);
  return real(multi);
}
CURLMsg* curl_multi_info_read(CURLM* multi, int* queued) {
  STACKRUN_CURL(curl_multi_info_read);
  return real(multi, queued);
}
const char* curl_multi_strerror(CURLMcode code) {
  STACKRUN_CURL(curl_multi_strerror);
  return real(code);
}
curl_slist* curl_slist_append(curl_slist* list, const char* text) {
  STACKRUN_CURL(curl_slist_append);
  return real(list, text);
}
void curl_slist_free_all(curl_slist* list) {
  STACKRUN_CURL(curl_slist_free_all);
  real(list);
}

}  // extern "C"
