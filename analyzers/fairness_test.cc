#include "analyzers/fairness.h"

#include <gtest/gtest.h>

namespace reel::analyzers {
namespace {

const std::string kTraces = REEL_TRACES_DIR;

// A loop with maxevents 1: every epoll_wait returns conn 1, whose big
// pipeline keeps it readable and takes 4 ms a turn. conn 2's request
// arrives at 2 ms, but its fd is not returned until 31 ms.
std::string StarvingTimeline() {
  std::string t =
      R"({"timeline_version":"1.1","source":"starving","schedule":"recorded","start_mono_ns":0})"
      "\n";
  uint64_t seq = 0;
  auto line = [&](int64_t t_ns, const std::string& rest) {
    t += R"({"seq":)" + std::to_string(++seq) + R"(,"t_ns":)" + std::to_string(t_ns) + "," + rest +
         "}\n";
  };
  line(
      0,
      R"("kind":"epoll_wait","epfd":3,"maxevents":1,"timeout_ms":100,"ret":1,"ready":[{"fd":4,"conn":0,"mask":"IN"}],"wait_ns":0)");
  line(10, R"("kind":"accept","listen_fd":4,"ret":5,"fd":5,"conn":1,"peer":"127.0.0.1:1001")");
  line(20, R"("kind":"accept","listen_fd":4,"ret":6,"fd":6,"conn":2,"peer":"127.0.0.1:1002")");
  for (int i = 0; i < 6; i++) {
    int64_t start = 1'000'000 + i * 5'000'000;  // 1, 6, 11, 16, 21, 26 ms
    line(
        start,
        R"("kind":"epoll_wait","epfd":3,"maxevents":1,"timeout_ms":100,"ret":1,"ready":[{"fd":5,"conn":1,"mask":"IN"}],"wait_ns":1000)");
    line(start + 100'000, R"("kind":"read","fd":5,"conn":1,"requested":16384,"ret":16384)");
    line(start + 100'000,
         R"("kind":"command","conn":1,"name":"sunionstore","argc":4,"args":["u","s1","s2"])");
    line(start + 4'100'000, R"("kind":"reply","conn":1,"bytes":7,"head":":4000","digest":"0")");
    line(start + 4'200'000, R"("kind":"write","fd":5,"conn":1,"requested":7,"ret":7)");
  }
  line(
      31'000'000,
      R"("kind":"epoll_wait","epfd":3,"maxevents":1,"timeout_ms":100,"ret":1,"ready":[{"fd":6,"conn":2,"mask":"IN"}],"wait_ns":1000)");
  line(31'100'000, R"("kind":"read","fd":6,"conn":2,"requested":16384,"ret":14)");
  line(31'100'000, R"("kind":"command","conn":2,"name":"ping","argc":1,"args":[])");
  line(31'110'000, R"("kind":"reply","conn":2,"bytes":7,"head":"+PONG","digest":"0")");
  line(31'200'000, R"("kind":"write","fd":6,"conn":2,"requested":7,"ret":7)");
  return t;
}

const ConnFairness& Conn(const FairnessReport& rep, uint64_t conn) {
  for (const ConnFairness& c : rep.connections)
    if (c.conn == conn) return c;
  static ConnFairness none;
  ADD_FAILURE() << "no conn " << conn;
  return none;
}

TEST(FairnessTest, StarvingConnectionIsFoundWithItsCulprit) {
  AnalysisInput in;
  std::string error;
  ASSERT_TRUE(AnalysisInputFromTimelineText(StarvingTimeline(), &in, &error)) << error;
  // What the pcap would say: conn 2's 14 request bytes arrived at 2 ms.
  in.has_pcap = true;
  in.arrived[2].Add(2'000'000, 14);
  FairnessReport rep = ComputeFairness(in, FairnessOptions{});

  // Batches: the listener's, six of conn 1, one of conn 2; all full.
  EXPECT_EQ(rep.iterations, 8u);
  EXPECT_EQ(rep.batch_sizes[1], 8u);
  const ConnFairness& c2 = Conn(rep, 2);
  // Data pending since 2 ms (+1 ms tolerance): the waits at 6..26 ms missed it.
  EXPECT_EQ(c2.missed, 5u);
  EXPECT_EQ(c2.missed_in_full_batch, 5u);
  EXPECT_EQ(c2.served_turns, 1u);
  EXPECT_EQ(c2.arrival_to_service.max_ns, 29'100'000);
  const ConnFairness& c1 = Conn(rep, 1);
  EXPECT_EQ(c1.ready_turns, 6u);
  EXPECT_EQ(c1.max_bytes_per_turn, 16384u);
  EXPECT_EQ(c1.ready_to_service.max_ns, 100'000);
  EXPECT_EQ(c1.commands, 6u);
  EXPECT_EQ(c1.command_ns, 24'000'000);

  ASSERT_EQ(rep.findings.size(), 1u);
  const FairnessFinding& f = rep.findings[0];
  EXPECT_EQ(f.kind, "starvation");
  EXPECT_EQ(f.conn, 2u);
  EXPECT_EQ(f.waited_ns, 29'100'000);
  EXPECT_EQ(f.passed_over, 5u);
  EXPECT_EQ(f.culprit, 1u);
  EXPECT_EQ(f.culprit_what, "sunionstore x6");
  // Its commands inside [2, 31.1] ms: 2..5.1 (3.1 ms) + 5 x 4 ms.
  EXPECT_EQ(f.culprit_ns, 23'100'000);

  // The batches that left conn 2 out say so.
  size_t missing = 0;
  for (const Batch& b : rep.batches) missing += b.missed.size();
  EXPECT_EQ(missing, 5u);
  nlohmann::json j = ToJson(rep);
  EXPECT_EQ(j["findings"][0]["kind"], "starvation");
  EXPECT_EQ(j["findings"][0]["culprit"]["conn"], 1);
}

TEST(FairnessTest, WithoutArrivalTimesAReportedButUnreadFdStillCounts) {
  // The same loop seen from the timeline alone: readiness is the only clock,
  // and conn 2 was never reported before it was served: no finding.
  AnalysisInput in;
  std::string error;
  ASSERT_TRUE(AnalysisInputFromTimelineText(StarvingTimeline(), &in, &error)) << error;
  FairnessReport rep = ComputeFairness(in, FairnessOptions{});
  EXPECT_EQ(rep.waiting_basis, "readiness");
  EXPECT_TRUE(rep.findings.empty());
  EXPECT_EQ(Conn(rep, 2).missed, 0u);
}

TEST(FairnessTest, HolBlockingTraceBlamesThePipeline) {
  AnalysisInput in;
  std::string error;
  ASSERT_TRUE(LoadAnalysisInput(kTraces + "/hol_blocking", &in, &error)) << error;
  FairnessReport rep = ComputeFairness(in, FairnessOptions{});
  // conn 1 sent the SUNIONSTORE pipeline, conn 2 the GET.
  ASSERT_FALSE(rep.findings.empty());
  const FairnessFinding& f = rep.findings[0];
  EXPECT_EQ(f.kind, "head_of_line");
  EXPECT_EQ(f.conn, 2u);
  EXPECT_GT(f.waited_ns, 20'000'000);
  EXPECT_EQ(f.culprit, 1u);
  EXPECT_EQ(f.culprit_what.rfind("sunionstore x", 0), 0u) << f.culprit_what;
  EXPECT_GT(f.culprit_share, 0.9);
  // conn 1's own pipeline waiting on itself is not a finding.
  for (const FairnessFinding& g : rep.findings) EXPECT_NE(g.conn, 1u);
}

TEST(FairnessTest, DebugSleepVictimIsHeadOfLineBlocked) {
  AnalysisInput in;
  std::string error;
  ASSERT_TRUE(LoadAnalysisInput(kTraces + "/debug_sleep_stall", &in, &error)) << error;
  FairnessReport rep = ComputeFairness(in, FairnessOptions{});
  ASSERT_EQ(rep.findings.size(), 1u);
  EXPECT_EQ(rep.findings[0].kind, "head_of_line");
  EXPECT_EQ(rep.findings[0].conn, 2u);
  EXPECT_EQ(rep.findings[0].culprit, 1u);
  EXPECT_EQ(rep.findings[0].culprit_what, "debug x1");
}

TEST(FairnessTest, PipelineBurstServesEveryoneInBatches) {
  AnalysisInput in;
  std::string error;
  ASSERT_TRUE(LoadAnalysisInput(kTraces + "/pipeline_burst", &in, &error)) << error;
  FairnessReport rep = ComputeFairness(in, FairnessOptions{});
  EXPECT_TRUE(rep.findings.empty());
  EXPECT_EQ(rep.connections.size(), 20u);
  // At least one epoll_wait returned several clients, each served in turn.
  size_t widest = 0;
  for (const Batch& b : rep.batches) widest = std::max(widest, b.service_order.size());
  EXPECT_GE(widest, 2u);
  for (const ConnFairness& c : rep.connections) {
    EXPECT_EQ(c.commands, 50u);
    EXPECT_EQ(c.ready_unserved, 0u);
  }
}

}  // namespace
}  // namespace reel::analyzers
