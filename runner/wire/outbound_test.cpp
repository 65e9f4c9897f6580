#include "runner/wire/outbound.hpp"

#include <gtest/gtest.h>

namespace stackrun::wire {
namespace {

TEST(Outbound, CommitStatusBodyInTheForgesFieldOrder) {
  core::CommitStatus s{core::CommitState::failure, "stackrun/apply", "run 4 \"failed\"", ""};
  EXPECT_EQ(encode(s),
            R"({"state":"failure","description":"run 4 \"failed\"","context":"stackrun/apply"})");
  s.target_url = "https://ci/4";
  EXPECT_EQ(encode(s), R"({"state":"failure","target_url":"https://ci/4",)"
                       R"("description":"run 4 \"failed\"","context":"stackrun/apply"})");
}

TEST(Outbound, ChatMessageIsOneTextField) {
  EXPECT_EQ(encode(core::ChatMessage{"a\nb \xff"}), "{\"text\":\"a\\nb \xef\xbf\xbd\"}");
}

}  // namespace
}  // namespace stackrun::wire
