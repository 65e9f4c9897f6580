#include "agents/workspace.hpp"

#include <gtest/gtest.h>

namespace stackrun::agent {
namespace {

TEST(CacheName, ReadableTailAndTheUrlsHash) {
  // sha256("/srv/infra")
  EXPECT_EQ(cache_name("/srv/infra"),
            "_srv_infra-db76ee303f09154f29ca833ff8abe9ebdd93b6f2936d1824b4eeebf40338d5c9.git");
}

TEST(CacheName, UrlsThatOnceSharedACacheNoLongerDo) {
  const std::string tail(80, 'x');
  // The same last 80 characters; and '/' vs '-' (both once became '_').
  EXPECT_NE(cache_name("https://a.example/" + tail), cache_name("https://b.example/" + tail));
  EXPECT_NE(cache_name("/srv/a-b"), cache_name("/srv/a/b"));
  const std::string longer = cache_name(std::string(100, 'x') + "yz");
  EXPECT_EQ(longer.substr(0, 41), std::string(38, 'x') + "yz-") << "the last 40 kept";
  EXPECT_EQ(longer.size(), 41u + 64u + 4u);
}

}  // namespace
}  // namespace stackrun::agent
