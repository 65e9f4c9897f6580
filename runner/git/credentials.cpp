#include "runner/git/credentials.hpp"

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

}  // namespace stackrun::git
