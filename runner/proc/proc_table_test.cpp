#include "runner/proc/proc_table.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

namespace stackrun::proc {
namespace {

TEST(ProcStat, ParsesTheFieldsAfterTheLastParenthesis) {
  const std::string line =
      "4242 (a) b (c)) S 1 4240 4200 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 0 0\n";
  auto e = parse_proc_stat(line);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(*e, (ProcEntry{4242, 'S', 1, 4240, 4200, 123456ULL}));
  EXPECT_FALSE(parse_proc_stat("4242 (x) S 1 2").has_value()) << "too few fields";
  EXPECT_FALSE(parse_proc_stat("garbage").has_value());
}

TEST(ProcStat, ReadsItself) {
  auto self = read_process(::getpid());
  ASSERT_TRUE(self.has_value());
  EXPECT_EQ(self->pid, ::getpid());
  EXPECT_EQ(self->ppid, ::getppid());
  EXPECT_EQ(self->pgrp, ::getpgrp());
  EXPECT_GT(self->start_time, 0ULL);
  bool listed = false;
  for (const auto& p : list_processes()) listed |= p == *self;
  EXPECT_TRUE(listed);
}

// own_children lists a child while it runs and while it is a zombie, and no longer once
// reaped; it never lists this process or its parent.
TEST(ProcStat, OwnChildrenListsAChildUntilItIsReaped) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  auto has = [&](pid_t p) {
    auto kids = own_children();
    EXPECT_TRUE(kids.has_value()) << "this kernel lacks /proc/self/task/*/children";
    return kids && std::find(kids->begin(), kids->end(), p) != kids->end();
  };
  EXPECT_TRUE(has(child));
  EXPECT_FALSE(has(::getpid()));
  EXPECT_FALSE(has(::getppid()));
  ::kill(child, SIGKILL);
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
  EXPECT_TRUE(has(child)) << "a zombie is still a child";
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  EXPECT_FALSE(has(child));
}

}  // namespace
}  // namespace stackrun::proc
