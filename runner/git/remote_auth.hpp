#pragma once
// Private to runner/git (pulls in git2.h): hands Credentials to libgit2 when a remote asks,
// and turns a failed clone or fetch into text that names the URL, never the secret.
#include <git2.h>

#include <string>

#include "runner/git/credentials.hpp"

namespace stackrun::git::detail {

// One clone or fetch's view of authentication; the callback's payload. Lives on the stack of
// the operation that sets it; single-threaded like the libgit2 call it serves.
struct RemoteAuth {
  const Credentials* credentials = nullptr;
  int supplied = 0;          // secrets (token or key) handed to libgit2
  bool rejected = false;     // the remote asked again after we supplied one: it refused it
  bool refused = false;      // we answered "no": nothing configured, or wrong kind for the remote
  unsigned int allowed = 0;  // the credential types the remote accepts, when it last asked
};

// Sets `opts` so that libgit2 asks `auth` for credentials (callbacks.credentials + payload).
void use_credentials(git_remote_callbacks& callbacks, RemoteAuth& auth);

// The error for a clone or fetch of `url` that failed with `rc`: "authentication failed for
// <url>: <why>" when the remote refused or demanded credentials, else
// `what + ": " + libgit2's message`. `url` is shown redacted.
std::string remote_error(const RemoteAuth& auth, const std::string& url, const std::string& what,
                         int rc);

}  // namespace stackrun::git::detail
