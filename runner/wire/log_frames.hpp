#pragma once
// The framed form of log batches and log pages (schema/protocol.md, "Log frames"): the step's
// bytes go as they are, after a short text header each, with no JSON escaping on either side.
// Output is the protocol's bulk (a step may print hundreds of MiB): encoding, parsing and
// copying it as JSON strings cost more CPU than storing it. Pure; decoding never throws, and
// refuses anything but the exact shape with an Error naming the frame, e.g.
//   log frames: frame 3: 120 bytes announced, 7 left
#include <string>
#include <string_view>

#include "runner/core/result.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::wire {

// Content-Type of a framed POST /agent/logs body and of a framed log page answer.
inline constexpr const char* kLogFramesType = "application/x-stackrun-log-frames";

// "stackrun-log-batch 1 <attempt_id> <epoch> <n>\n", then per chunk "<seq> <len>\n<len bytes>".
std::string encode_frames(const LogBatch& b);
void encode_frames(const LogBatch& b, std::string& out);  // into `out`, keeping its capacity
Result<LogBatch> decode_batch_frames(std::string_view body);

// "stackrun-log-page 1 <next> <done 0|1> <status> <n>\n", then per chunk
// "<id> <stream> <stack bytes> <data bytes>\n<stack><data>".
std::string encode_frames(const LogPage& p);
Result<LogPage> decode_page_frames(std::string_view body);

}  // namespace stackrun::wire
