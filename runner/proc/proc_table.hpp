#pragma once
// What /proc says about processes: the supervisor finds the members of a step's group and the
// orphans it inherited, and an agent checks that a recorded pid is still the same process (its
// start time). Linux only.
#include <sys/types.h>

#include <optional>
#include <string_view>
#include <vector>

namespace stackrun::proc {

struct ProcEntry {
  pid_t pid = 0;
  char state = 0;  // 'R', 'S', 'D', 'T', 'Z', ...
  pid_t ppid = 0, pgrp = 0, session = 0;
  unsigned long long start_time = 0;  // clock ticks after boot
  bool operator==(const ProcEntry&) const = default;
};

// Parses one /proc/<pid>/stat line (the command name may hold spaces and parentheses: the
// fields follow its last ')'). Pure.
std::optional<ProcEntry> parse_proc_stat(std::string_view line);

// One process, or nullopt when there is none with that pid.
std::optional<ProcEntry> read_process(pid_t pid);

// Every process /proc lists now; one that ends while being read is left out.
std::vector<ProcEntry> list_processes();

// The children of the calling process (of each of its threads), zombies included, from
// /proc/self/task/<tid>/children: no scan of every process. nullopt when the kernel does not
// offer those files (CONFIG_PROC_CHILDREN); callers then scan with list_processes().
std::optional<std::vector<pid_t>> own_children();

}  // namespace stackrun::proc
