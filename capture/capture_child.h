// What `reel capture` needs to launch and supervise the server it records:
// command lookup, the "port already in use" check, and spawning the child in
// its own process group with default signal dispositions.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace reel {

// The executable execvp would run for name ("" if none): name itself when it
// contains a slash, else the first match on $PATH.
std::string ResolveCommand(const std::string& name);

// True when a listening socket already holds port on the IPv4 or IPv6
// wildcard (checked by binding it with SO_REUSEADDR, as servers do).
// *detail says which bind failed and why.
bool PortInUse(int port, std::string* detail);

// The absolute path of the running executable's directory ("" if unknown).
std::string SelfDir();

struct SpawnedChild {
  pid_t pid = -1;
  int exit_code = -1;   // when it exited normally
  int term_signal = 0;  // when a signal killed it
  bool core_dumped = false;
  bool reaped = false;
};

// Starts argv[0] (an absolute path) with the given environment
// ("NAME=value" strings) as the leader of a new process group, with every
// signal unblocked and at its default disposition: the server is shielded
// from the terminal's ^C, which `reel capture` turns into a graceful SIGTERM.
// Returns 0 or the errno of the failure.
int SpawnChild(const std::vector<std::string>& argv, const std::vector<std::string>& env,
               SpawnedChild* child);

// Reaps the child if it has ended (non-blocking). True once it has.
bool ReapChild(SpawnedChild* child);

// "exit code 0", "killed by SIGKILL", ...
std::string DescribeExit(const SpawnedChild& child);

}  // namespace reel
