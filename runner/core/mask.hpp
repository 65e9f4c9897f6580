#pragma once
// Masking secret values in a step's output as it streams. Pure: bytes in, bytes out.
//
// Contract, for the bytes of one attempt's output fed in order:
// - Every byte that lies inside an occurrence of any secret value is hidden, whether the
//   occurrence arrived in one feed() or was split across any number of them. Occurrences may
//   overlap or touch (secrets "abcd" and "cdef" in "abcdef"), and one secret may be a prefix
//   or part of another: the union of all occurrences is hidden, never only the first match.
// - Each maximal run of hidden bytes becomes one kMark ("***"), so the length of a secret, or
//   how many secrets were adjacent, does not show.
// - Every other byte comes out unchanged and in order; the concatenation of all feed() results
//   and the final flush() is the masked stream, independent of how the input was split.
// - The masker holds back at most max_held() = (longest secret - 1) bytes: a tail that could
//   still be the start of a secret. Only those are delayed; flush() releases them.
// - Secret values shorter than kMinSecretBytes (including empty ones) are ignored: masking
//   "ab" would shred ordinary output and hide nothing worth hiding. The agent warns about them
//   (agents/secrets.hpp). Only the exact bytes are masked: an encoded or re-wrapped copy of a
//   secret (base64, JSON-escaped, split by the step itself) is not recognised.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace stackrun::core {

class Masker {
 public:
  static constexpr std::size_t kMinSecretBytes = 4;
  static constexpr std::string_view kMark = "***";

  // `secrets`: the values to hide; duplicates and ones shorter than kMinSecretBytes are dropped.
  explicit Masker(const std::vector<std::string>& secrets);

  // The bytes that are safe to emit now (possibly none); keeps a possible secret's beginning.
  std::string feed(std::string_view bytes);
  // Ends the stream: everything still held, masked. The masker is then as new (same secrets).
  std::string flush();

  // True when there is nothing to mask: feed() then returns its input unchanged.
  bool empty() const { return secrets_.empty(); }
  // Bytes currently held back; never more than max_held().
  std::size_t held() const { return held_.size(); }
  std::size_t max_held() const { return longest_ == 0 ? 0 : longest_ - 1; }

 private:
  std::string run(std::string_view in, bool final);

  std::vector<std::string> secrets_;  // distinct, each at least kMinSecretBytes long
  std::size_t longest_ = 0;
  std::string held_;             // undecided tail of the input
  std::size_t held_hidden_ = 0;  // leading bytes of held_ already known to be inside a secret
  bool in_run_ = false;          // the last thing emitted was a mark, and its run may go on
};

// `text` masked as one whole stream (feed + flush): for a verdict's deciding line, lock
// fields and other strings that leave the agent outside the output stream.
std::string mask_secrets(std::string_view text, const std::vector<std::string>& secrets);

}  // namespace stackrun::core
