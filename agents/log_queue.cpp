#include "agents/log_queue.hpp"

namespace stackrun::agent {

void LogQueue::push(std::string data) {
  bytes_ += data.size();
  pending_.push_back({next_seq_++, std::move(data)});
}

void LogQueue::add(std::string_view bytes) {
  for (auto& chunk : lines_.add(bytes)) push(std::move(chunk));
}

void LogQueue::add_line(std::string_view line) {
  close();
  add(std::string(line) + "\n");
}

void LogQueue::close() {
  if (auto tail = lines_.flush(); !tail.empty()) push(std::move(tail));
}

std::vector<wire::LogChunk> LogQueue::peek(std::size_t max_bytes) const {
  std::vector<wire::LogChunk> out;
  std::size_t bytes = 0;
  for (const auto& c : pending_) {
    if (!out.empty() && bytes + c.data.size() > max_bytes) break;
    bytes += c.data.size();
    out.push_back(c);
  }
  return out;
}

void LogQueue::ack(std::size_t n) {
  for (; n > 0 && !pending_.empty(); --n) {
    bytes_ -= pending_.front().data.size();
    pending_.pop_front();
  }
}

}  // namespace stackrun::agent
