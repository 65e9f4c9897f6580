#pragma once
// What a run's changes put in the outbox (schema/sql/0006_outbox.sql), decided from the
// server configuration: commit statuses for repos whose canonical source has an API token,
// chat notifications for repos with `notify` URLs. Called inside the store transaction of the
// change (Coordinator's on_change), so a row exists iff its change committed.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runner/config/server_config.hpp"
#include "runner/core/lifecycle.hpp"
#include "runner/core/notify.hpp"
#include "runner/store/store.hpp"

namespace stackrun::server {

// One configured repo's outbox targets.
struct RepoOutbox {
  std::optional<core::ForgeRepo> forge;  // commit statuses go here (canonical source's API)
  std::string source;                    // that source's name: its token authenticates them
  std::vector<std::string> notify;       // chat notification URLs
};
// By repo name (the store's repos.name). Repos without a target are left out.
using OutboxRules = std::map<std::string, RepoOutbox>;

// The rules of `config`. A repo whose canonical source has a token but whose API or owner/repo
// cannot be told sends no statuses; `warnings` gets one line naming it and why.
OutboxRules outbox_rules(const config::ServerConfig& config, std::vector<std::string>& warnings);

// Adds the rows caused by run `run_id` having been created (`fx` null: its first status) or
// changed by `fx`: a commit status per run status change; a notification per notify URL for a
// run that ended (or was corrected to) failed, a job skipped on a lock, and a stack recovered
// (core::recovers); for a run of plan kind (a drift run), once it ended, its newly drifted
// stacks, its errors and its recovered stacks (core/drift.hpp) instead of the failed-run one.
// Returns how many rows; 0 without reading anything when `rules` is empty. Inside the caller's
// transaction; throws DbError like any store write.
int enqueue_outbox(store::Store& st, const OutboxRules& rules, store::Id run_id,
                   const core::Effects* fx, store::Millis now);

// A notification not tied to a run (a dead-man alert): one row per notify URL of `repo`.
// Returns how many. Inside the caller's transaction.
int enqueue_notice(store::Store& st, const OutboxRules& rules, const std::string& repo,
                   const core::ChatMessage& message, store::Millis now);

}  // namespace stackrun::server
