// How a user turns a captured incident into a regression test: this is the
// test a reel user would write, using only the public header.
//
// The incident: two clients race `SET race a` / `SET race b` and read the
// key back; which value each GET sees depends on the order epoll_wait
// reported the two sockets. The capture (traces/two_clients_race) pins that
// order, so the replay answers exactly as production did, every time.
#include <gtest/gtest.h>

#include "replay/reel_replay.h"

#ifndef REEL_TRACES_DIR
#error "REEL_TRACES_DIR must point at the committed traces/"
#endif

TEST(IncidentTwoClientsRace, ReplaysExactlyAsRecorded) {
  reel::ReplayResult r = reel::ReplayBundle(REEL_TRACES_DIR "/two_clients_race");
  ASSERT_TRUE(r.loaded) << r.error;
  EXPECT_TRUE(r.reproduced) << r.verdict;

  // Each client pipelined `SET race <v>; GET race`. Both landed in one
  // epoll_wait batch, and the server runs a client's whole pipeline before
  // the next client's: so each GET sees its own client's value, and the
  // client served second wins the key. Which one that is was decided by the
  // kernel's ready-list order in production, and the replay keeps it.
  std::vector<std::string> values;  // the SET values, in execution order
  std::vector<uint64_t> conns;
  for (const auto& c : r.commands) {
    if (c.argv.size() == 3 && c.argv[1] == "race") {
      values.push_back(c.argv[2]);
      conns.push_back(c.conn);
    }
  }
  ASSERT_EQ(values.size(), 2u);
  EXPECT_NE(conns[0], conns[1]);
  std::vector<std::string> gets = r.RepliesTo("get");
  ASSERT_EQ(gets.size(), 2u);
  for (size_t i = 0; i < 2; i++)
    EXPECT_EQ(gets[i], "$" + std::to_string(values[i].size()) + "\r\n" + values[i] + "\r\n");
  EXPECT_EQ(r.RepliesTo("set"), (std::vector<std::string>{"+OK\r\n", "+OK\r\n"}));
}

TEST(IncidentTwoClientsRace, TimelineIsDeterministic) {
  reel::ReplayResult a = reel::ReplayBundle(REEL_TRACES_DIR "/two_clients_race");
  reel::ReplayResult b = reel::ReplayBundle(REEL_TRACES_DIR "/two_clients_race");
  ASSERT_TRUE(a.loaded && b.loaded);
  EXPECT_FALSE(a.timeline.empty());
  EXPECT_EQ(a.timeline, b.timeline);
}

TEST(IncidentApi, MissingBundleIsAnErrorNotACrash) {
  reel::ReplayResult r = reel::ReplayBundle("/nonexistent/bundle");
  EXPECT_FALSE(r.loaded);
  EXPECT_FALSE(r.error.empty());
  EXPECT_FALSE(r.reproduced);
}
