#pragma once
// Bodies stackrun sends to others (the notifier): a forge commit status, as GitHub, Gitea and
// Forgejo take it on POST .../statuses/{sha}, and a Slack-compatible incoming-webhook message.
// Compact JSON; invalid UTF-8 is replaced by U+FFFD.
#include <string>

#include "runner/core/notify.hpp"

namespace stackrun::wire {

// {"state", "target_url" (left out when empty), "description", "context"}
std::string encode(const core::CommitStatus& m);
// {"text"}
std::string encode(const core::ChatMessage& m);

}  // namespace stackrun::wire
