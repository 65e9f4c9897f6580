// Codecs of the bodies the notifier sends (outbound.hpp).
#include "runner/wire/json_fields.hpp"
#include "runner/wire/outbound.hpp"

namespace stackrun::wire {

std::string encode(const core::CommitStatus& m) {
  detail::Json j = {{"state", std::string(core::to_string(m.state))}};
  if (!m.target_url.empty()) j["target_url"] = m.target_url;
  j["description"] = m.description;
  j["context"] = m.context;
  return detail::dump(j);
}

std::string encode(const core::ChatMessage& m) {
  return detail::dump({{"text", m.text}});
}

}  // namespace stackrun::wire
