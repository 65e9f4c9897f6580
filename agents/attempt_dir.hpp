#pragma once
// What the agent keeps on disk for one attempt until the server has its report, so that an
// agent restarted on the same work dir can finish the job (agents/recover.hpp):
//   <work_dir>/attempts/<attempt_id>/    mode 0700, removed after a definite report
//     offer      the offer, as the wire encodes it (wire::encode), written first
//     output     the spool (spool.hpp): every step's output and stackrun's own lines
//     shipped    how much of the spool the server has (spool_reader.hpp ShipState)
//     step-K/    step K's supervisor files (runner/proc/step_files.hpp) and `step`, written
//                before the step starts: "stackrun-step 1", then "header N" (the spool's
//                size before the step's own lines) and "start N" (where its output begins)
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agents/spool_reader.hpp"
#include "runner/core/result.hpp"
#include "runner/proc/process.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::agent {

// Where step K's lines and output sit in the spool.
struct StepRecord {
  std::uint64_t header = 0;  // the spool's size before the "[stackrun] ... step" line
  std::uint64_t start = 0;   // the step's output begins here
  bool operator==(const StepRecord&) const = default;
};

std::string format_step_record(const StepRecord& r);
Result<StepRecord> parse_step_record(std::string_view text);

class AttemptDir {
 public:
  // Makes <work_dir>/attempts/<offer.attempt_id> afresh with its offer and an empty spool.
  // Fails naming the path.
  static Result<AttemptDir> create(const std::string& work_dir, const wire::Offer& offer);
  // The attempt directories under `work_dir`, by attempt id.
  static std::vector<AttemptDir> existing(const std::string& work_dir);
  explicit AttemptDir(std::string path) : path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  std::string spool() const { return path_ + "/output"; }
  std::string ship_state_path() const { return path_ + "/shipped"; }
  proc::StepFiles step_files(std::size_t k) const;

  Result<wire::Offer> offer() const;
  // The persisted ShipState; a fresh one when there is none or it is unreadable.
  ShipState ship_state() const;
  Status write_step(std::size_t k, const StepRecord& r) const;
  // The highest K with a step-K record, and that record; nullopt when no step began.
  std::optional<std::pair<std::size_t, StepRecord>> last_step() const;
  void remove() const;

 private:
  std::string path_;
};

}  // namespace stackrun::agent
