#include "agents/workspace.hpp"

#include <gtest/gtest.h>

namespace stackrun::agent {
namespace {

TEST(CacheName, AlphanumericsOfTheUrl) {
  EXPECT_EQ(cache_name("/srv/infra"), "_srv_infra.git");
  EXPECT_EQ(cache_name("file:///a-b/c"), "file____a_b_c.git");
  const std::string longer(100, 'x');
  EXPECT_EQ(cache_name(longer + "yz"), std::string(78, 'x') + "yz.git") << "the last 80 kept";
}

}  // namespace
}  // namespace stackrun::agent
