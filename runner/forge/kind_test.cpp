#include "runner/forge/kind.hpp"

#include <gtest/gtest.h>

namespace stackrun::forge {
namespace {

TEST(ForgeKind, TheCoresKindIsTheSameForgeHere) {
  for (core::ForgeKind k :
       {core::ForgeKind::forgejo, core::ForgeKind::gitea, core::ForgeKind::github})
    EXPECT_EQ(to_string(from_core(k)), core::to_string(k));
}

}  // namespace
}  // namespace stackrun::forge
