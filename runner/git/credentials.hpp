#pragma once
// How stackrun authenticates to a forge when it clones or fetches. The secret (a token,
// password or key passphrase) is held so that it is never printed: there is no accessor
// outside runner/git, operator<< shows only the kind and user, and it never enters a URL.
#include <iosfwd>
#include <string>
#include <string_view>

#include "runner/core/result.hpp"

namespace stackrun::git {

class Credentials {
 public:
  enum class Kind { none, token, ssh_key };

  // The user a token is presented as when none is configured. GitHub requires it for app
  // installation tokens and accepts any user for personal tokens; Gitea and Forgejo ignore
  // the user when the password is an access token.
  static constexpr std::string_view kDefaultTokenUser = "x-access-token";

  Credentials() = default;  // none: public repositories, local paths
  // http(s): HTTP basic auth with `user` and the token (or password) as the password.
  static Credentials token(std::string token, std::string user = std::string(kDefaultTokenUser));
  // ssh: the private key file at `private_key_path` (its public key derived, or read from
  // `private_key_path + ".pub"` by libssh2), as `user` unless the URL names one.
  static Credentials ssh_key(std::string private_key_path, std::string user = "git",
                             std::string passphrase = "");

  Kind kind() const { return kind_; }
  const std::string& user() const { return user_; }
  const std::string& key_path() const { return key_path_; }
  // "none", "token for user x-access-token", "ssh key /k for user git": never the secret.
  std::string describe() const;

  // The secret, for runner/git's libgit2 credential callback only. Do not log, store or put
  // into a URL.
  const std::string& reveal_secret() const { return secret_; }

 private:
  Kind kind_ = Kind::none;
  std::string user_, secret_, key_path_;
};

// Prints describe(): a Credentials in a test failure or a log line shows no secret.
std::ostream& operator<<(std::ostream& os, const Credentials& c);

// `url` with any userinfo replaced by "***@", for error text: "https://u:p@h/r" ->
// "https://***@h/r". scp-like ssh ("git@host:repo") and local paths are returned as given.
// Pure.
std::string redact_url(std::string_view url);

// Fails when `url` carries a password in its userinfo ("https://user:token@host/..."): such a
// URL would be written into the clone's config and into error text. The message shows the
// URL redacted and says to configure a token instead. A user alone ("ssh://git@h/r") is fine.
// Pure.
Status check_url_has_no_secret(std::string_view url);

// True when `url` names a repository reached over a transport: "scheme://..." (http, https,
// ssh, git, file...) or scp-like ssh ("git@host:path", a ':' before any '/'). False for a local
// path ("/srv/infra", "../infra"), which is opened where it is. Pure.
bool is_remote_url(std::string_view url);

// Fails when `credentials` hold a token and `url` is plain http:// to a host other than
// loopback (127.0.0.0/8, localhost, [::1]): basic auth would cross the network in clear. The
// message names the URL (redacted) and says to use https. Pure.
Status check_credentials_transport(std::string_view url, const Credentials& credentials);

}  // namespace stackrun::git
