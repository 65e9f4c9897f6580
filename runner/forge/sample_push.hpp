#pragma once
// A correctly signed push delivery as a forge of each kind would send it, built from a few
// fields: what `stackrun hook send` posts to a running server to check a source's setup end to
// end (secret, URL, guards) without pushing to the forge.
#include <string>
#include <utility>
#include <vector>

#include "runner/forge/kind.hpp"
#include "runner/forge/push_event.hpp"

namespace stackrun::forge {

struct SampleDelivery {
  // Header (display name, value) pairs in send order: content type, event, delivery id and the
  // kind's signature headers (every header that forge sends, so the delivery verifies whichever
  // one the receiving kind reads).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // the JSON payload, as signed
};

// The payload (ref, before, after, repository.clone_url, sender {id, login}, head_commit with
// `after` as id and `message`) in the shape of `kind`'s push events, signed with `secret`.
// `push.delivery` becomes the delivery id header; kind, event and branch are not read.
SampleDelivery sample_push(ForgeKind kind, const PushEvent& push, const std::string& secret);

// The JSON payload alone (json.cpp: the one file in runner/forge that writes JSON).
std::string encode_sample_payload(ForgeKind kind, const PushEvent& push);

}  // namespace stackrun::forge
