#include "runner/git/credentials.hpp"

#include <algorithm>
#include <cctype>
#include <ostream>
#include <utility>

namespace stackrun::git {
namespace {

// The userinfo of a URL with an authority ("scheme://userinfo@host/..."), as its [begin,
// end) offsets; npos when there is none.
std::pair<std::size_t, std::size_t> userinfo_span(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {std::string_view::npos, 0};
  const std::size_t begin = scheme_end + 3;
  const std::size_t authority_end = url.find_first_of("/?#", begin);
  const std::string_view authority = url.substr(begin, authority_end - begin);
  const std::size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return {std::string_view::npos, 0};
  return {begin, begin + at};
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The host of "scheme://[userinfo@]host[:port]/...", without brackets for IPv6; "" if none.
std::string host_of(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "";
  const std::size_t begin = scheme_end + 3;
  std::string_view authority = url.substr(begin, url.find_first_of("/?#", begin) - begin);
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos)
    authority = authority.substr(at + 1);
  if (!authority.empty() && authority.front() == '[')
    return lower(authority.substr(1, authority.find(']') - 1));
  return lower(authority.substr(0, authority.find(':')));
}

// "localhost", "::1" or an IPv4 address in 127.0.0.0/8 (not a name like "127.0.0.1.example").
bool is_loopback_host(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  const bool dotted = std::all_of(host.begin(), host.end(), [](char c) {
    return c == '.' || std::isdigit(static_cast<unsigned char>(c));
  });
  return dotted && host.rfind("127.", 0) == 0;
}

}  // namespace

Credentials Credentials::token(std::string token, std::string user) {
  Credentials c;
  c.kind_ = Kind::token;
  c.secret_ = std::move(token);
  c.user_ = user.empty() ? std::string(kDefaultTokenUser) : std::move(user);
  return c;
}

Credentials Credentials::ssh_key(std::string private_key_path, std::string user,
                                 std::string passphrase) {
  Credentials c;
  c.kind_ = Kind::ssh_key;
  c.key_path_ = std::move(private_key_path);
  c.user_ = user.empty() ? "git" : std::move(user);
  c.secret_ = std::move(passphrase);
  return c;
}

std::string Credentials::describe() const {
  switch (kind_) {
    case Kind::none:
      return "none";
    case Kind::token:
      return "token for user " + user_;
    case Kind::ssh_key:
      return "ssh key " + key_path_ + " for user " + user_;
  }
  return "none";
}

std::ostream& operator<<(std::ostream& os, const Credentials& c) {
  return os << c.describe();
}

std::string redact_url(std::string_view url) {
  const auto [begin, end] = userinfo_span(url);
  if (begin == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, begin)) + "***" + std::string(url.substr(end));
}

Status check_url_has_no_secret(std::string_view url) {
  const auto [begin, end] = userinfo_span(url);
  if (begin == std::string_view::npos) return ok_status();
  if (url.substr(begin, end - begin).find(':') == std::string_view::npos) return ok_status();
  return Status::fail("repository URL " + redact_url(url) +
                      " contains a password: remove it from the URL and configure a token");
}

bool is_remote_url(std::string_view url) {
  if (url.find("://") != std::string_view::npos) return true;
  // scp-like "user@host:path": git's own rule is a ':' before the first '/'.
  const std::size_t colon = url.find(':');
  return colon != std::string_view::npos && colon > 0 &&
         url.substr(0, colon).find('/') == std::string_view::npos;
}

Status check_credentials_transport(std::string_view url, const Credentials& credentials) {
  if (credentials.kind() != Credentials::Kind::token) return ok_status();
  if (lower(url.substr(0, 7)) != "http://" || is_loopback_host(host_of(url))) return ok_status();
  return Status::fail("refusing to send a token to " + redact_url(url) +
                      " over plain http (it would cross the network in clear): use an https:// "
                      "URL");
}

}  // namespace stackrun::git
