#include "agents/attempt_dir.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "runner/proc/step_files.hpp"

namespace stackrun::agent {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kStepVersion = "stackrun-step 1";

template <class Int>
bool to_int(std::string_view s, Int& out) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

bool value_of(std::string_view text, std::string_view key, std::uint64_t& out) {
  const std::string needle = "\n" + std::string(key) + " ";
  const std::size_t at = text.find(needle);
  if (at == std::string_view::npos) return false;
  const std::size_t from = at + needle.size();
  return to_int(text.substr(from, text.find('\n', from) - from), out);
}

std::string step_dir(const std::string& path, std::size_t k) {
  return path + "/step-" + std::to_string(k);
}

}  // namespace

std::string format_step_record(const StepRecord& r) {
  return std::string(kStepVersion) + "\nheader " + std::to_string(r.header) + "\nstart " +
         std::to_string(r.start) + "\n";
}

Result<StepRecord> parse_step_record(std::string_view text) {
  if (text.substr(0, kStepVersion.size() + 1) != std::string(kStepVersion) + "\n")
    return Error{"step record: not \"" + std::string(kStepVersion) + "\""};
  StepRecord r;
  if (!value_of(text, "header", r.header) || !value_of(text, "start", r.start))
    return Error{"step record: missing or bad header or start"};
  return r;
}

Result<AttemptDir> AttemptDir::create(const std::string& work_dir, const wire::Offer& offer) {
  const fs::path root = fs::path(work_dir) / "attempts";
  const fs::path dir = root / std::to_string(offer.attempt_id);
  std::error_code ec;
  fs::remove_all(dir, ec);  // a leftover of the same id cannot be ours to resume any more
  fs::create_directories(dir, ec);
  if (ec) return Error{"cannot create " + dir.string() + ": " + ec.message()};
  // Why 0700: the spool holds whatever the steps print, secrets included.
  ::chmod(root.c_str(), 0700);
  ::chmod(dir.c_str(), 0700);
  AttemptDir made(dir.string());
  if (Status w = proc::write_file_atomically(dir / "offer", wire::encode(offer)); !w)
    return Error{w.error()};
  if (Status w = proc::write_file_atomically(made.spool(), ""); !w) return Error{w.error()};
  return made;
}

std::vector<AttemptDir> AttemptDir::existing(const std::string& work_dir) {
  std::vector<std::pair<long long, std::string>> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(work_dir) / "attempts", ec)) {
    long long id = 0;
    if (e.is_directory(ec) && to_int(e.path().filename().string(), id))
      found.emplace_back(id, e.path().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<AttemptDir> out;
  for (auto& [id, path] : found) out.emplace_back(std::move(path));
  return out;
}

proc::StepFiles AttemptDir::step_files(std::size_t k) const {
  return {step_dir(path_, k), spool()};
}

Result<wire::Offer> AttemptDir::offer() const {
  auto text = proc::read_whole_file(path_ + "/offer");
  if (!text) return Error{text.error()};
  return wire::decode_offer(*text);
}

ShipState AttemptDir::ship_state() const {
  auto text = proc::read_whole_file(ship_state_path());
  if (!text) return {};
  auto s = parse_ship_state(*text);
  return s ? *s : ShipState{};
}

Status AttemptDir::write_step(std::size_t k, const StepRecord& r) const {
  const std::string dir = step_dir(path_, k);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error{"cannot create " + dir + ": " + ec.message()};
  ::chmod(dir.c_str(), 0700);
  return proc::write_file_atomically(dir + "/step", format_step_record(r));
}

std::optional<std::pair<std::size_t, StepRecord>> AttemptDir::last_step() const {
  for (std::size_t k = 0;; ++k) {  // bounded by the step dirs on disk
    auto text = proc::read_whole_file(step_dir(path_, k) + "/step");
    if (text) continue;
    if (k == 0) return std::nullopt;
    auto prev = proc::read_whole_file(step_dir(path_, k - 1) + "/step");
    auto r = prev ? parse_step_record(*prev) : Result<StepRecord>(Error{"gone"});
    if (!r) return std::nullopt;
    return std::make_pair(k - 1, *r);
  }
}

void AttemptDir::remove() const {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace stackrun::agent
