#include "runner/git/remote_auth.hpp"

#include "runner/git/libgit2_util.hpp"

namespace stackrun::git::detail {
namespace {

int answer(git_credential** out, const char* username_from_url, unsigned int allowed,
           RemoteAuth& auth) {
  const Credentials& c = *auth.credentials;
  const bool wants_secret = allowed & (GIT_CREDENTIAL_USERPASS_PLAINTEXT | GIT_CREDENTIAL_SSH_KEY);
  // Why stop at a second ask for the secret: libgit2 asks again only after the server rejected
  // what we gave (HTTP 401 again); repeating it would loop until the server locks us out.
  if (wants_secret && auth.supplied > 0) {
    auth.rejected = true;
    return GIT_EUSER;
  }
  const std::string from_url = username_from_url ? username_from_url : "";
  const std::string user = !from_url.empty() ? from_url : c.user();
  if (c.kind() == Credentials::Kind::token && (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)) {
    ++auth.supplied;
    return git_credential_userpass_plaintext_new(out, user.c_str(), c.reveal_secret().c_str());
  }
  if (c.kind() == Credentials::Kind::ssh_key && (allowed & GIT_CREDENTIAL_SSH_KEY)) {
    const std::string& pass = c.reveal_secret();
    ++auth.supplied;
    // A null public key: libssh2 derives it from the private key.
    return git_credential_ssh_key_new(out, user.c_str(), nullptr, c.key_path().c_str(),
                                      pass.empty() ? nullptr : pass.c_str());
  }
  if (c.kind() == Credentials::Kind::ssh_key && (allowed & GIT_CREDENTIAL_USERNAME)) {
    return git_credential_username_new(out, user.c_str());
  }
  auth.refused = true;
  return GIT_EUSER;
}

int credential_cb(git_credential** out, const char* /*url*/, const char* username_from_url,
                  unsigned int allowed_types, void* payload) {
  auto& auth = *static_cast<RemoteAuth*>(payload);
  auth.allowed = allowed_types;
  if (auth.credentials == nullptr) {
    auth.refused = true;
    return GIT_EUSER;
  }
  return answer(out, username_from_url, allowed_types, auth);
}

std::string refused_reason(const RemoteAuth& auth) {
  const Credentials::Kind kind =
      auth.credentials ? auth.credentials->kind() : Credentials::Kind::none;
  if (kind == Credentials::Kind::none)
    return "the server asks for credentials and none are configured";
  const bool wants_ssh = auth.allowed & (GIT_CREDENTIAL_SSH_KEY | GIT_CREDENTIAL_USERNAME);
  return "the server asks for " + std::string(wants_ssh ? "an ssh key" : "a user and password") +
         " but the configured credential is a " +
         (kind == Credentials::Kind::token ? "token" : "ssh key");
}

}  // namespace

void use_credentials(git_remote_callbacks& callbacks, RemoteAuth& auth) {
  callbacks.credentials = credential_cb;
  callbacks.payload = &auth;
}

std::string remote_error(const RemoteAuth& auth, const std::string& url, const std::string& what,
                         int rc) {
  const std::string shown = redact_url(url);
  if (auth.refused) return "authentication failed for " + shown + ": " + refused_reason(auth);
  if (auth.rejected) {
    return "authentication failed for " + shown + ": the server rejected the " +
           auth.credentials->describe();
  }
  return what + ": " + last_error(rc);
}

}  // namespace stackrun::git::detail
