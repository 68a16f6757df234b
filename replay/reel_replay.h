// reel's public replay API: load a captured bundle, replay it
// deterministically on reel-server's own code, and assert on the verdict,
// the replies and the timeline from your own tests. An incident captured in
// production becomes a regression test:
//
//   #include "replay/reel_replay.h"
//
//   TEST(Incident1234, RaceReplaysTheSameWay) {
//     reel::ReplayResult r = reel::ReplayBundle("traces/two_clients_race");
//     ASSERT_TRUE(r.loaded) << r.error;
//     EXPECT_TRUE(r.reproduced) << r.verdict;
//     EXPECT_EQ(r.RepliesTo("get").back(), "$1\r\nb\r\n");
//   }
//
// Link against the `reel_replay` CMake target. See docs/replay.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace reel {

struct ReplayedCommand {
  uint64_t conn = 0;  // stable connection id: 1, 2, ... in accept order
  int64_t t_ns = 0;   // virtual time since the recording started
  std::vector<std::string> argv;
  std::string reply;  // the exact RESP bytes the server produced
};

struct ReplayResult {
  bool loaded = false;  // false: the bundle could not be read (see error)
  std::string error;
  bool reproduced = false;                // same call order, same bytes, same final keyspace
  std::string verdict;                    // the human-readable verdict, with the first divergence
  std::vector<ReplayedCommand> commands;  // in execution order
  std::string timeline;                   // the JSON Lines timeline (docs/timeline.md)

  // Replies to every command with this name (case-insensitive), in order.
  std::vector<std::string> RepliesTo(std::string_view name) const;
  // Commands of one connection, in order.
  std::vector<ReplayedCommand> OnConnection(uint64_t conn) const;
};

// Replays the bundle in `dir` with the recorded schedule.
ReplayResult ReplayBundle(const std::string& dir);

}  // namespace reel
