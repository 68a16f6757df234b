#include "analyzers/latency.h"

#include <gtest/gtest.h>

#include <map>

#include "analyzers/wire_requests.h"
#include "replay/packet_decoder.h"
#include "replay/pcap_file.h"

namespace reel::analyzers {
namespace {

const std::string kTraces = REEL_TRACES_DIR;

TEST(LatencyStatsTest, NearestRankPicksMeasuredValues) {
  std::vector<int64_t> v;
  for (int i = 1; i <= 1000; i++) v.push_back(i);
  EXPECT_EQ(NearestRank(v, 500), 500);
  EXPECT_EQ(NearestRank(v, 990), 990);
  EXPECT_EQ(NearestRank(v, 999), 999);
  // Ten values: p50 is the 5th, p90 the 9th, p99 and p99.9 the 10th.
  LatencyStats s = Summarize({10, 1, 9, 2, 8, 3, 7, 4, 6, 5});
  EXPECT_EQ(s.count, 10u);
  EXPECT_EQ(s.p50_ns, 5);
  EXPECT_EQ(s.p90_ns, 9);
  EXPECT_EQ(s.p99_ns, 10);
  EXPECT_EQ(s.p999_ns, 10);
  EXPECT_EQ(s.max_ns, 10);
  EXPECT_EQ(s.mean_ns, 5);  // 55 / 10, rounded toward zero
  EXPECT_EQ(Summarize({}).count, 0u);
}

// A synthetic timeline: conn 1 runs GETs whose replies are written 1..20 us
// after dispatch (one per iteration); conn 2 runs one SET answered in
// 100 us. Then conn 1's DEBUG SLEEP holds an iteration for 50 ms while
// conn 2's next request waits: the next epoll_wait reports it.
std::string SyntheticTimeline() {
  std::string t =
      R"({"timeline_version":"1.1","source":"synthetic","schedule":"recorded","start_mono_ns":0})"
      "\n";
  uint64_t seq = 0;
  auto line = [&](int64_t t_ns, const std::string& rest) {
    t += R"({"seq":)" + std::to_string(++seq) + R"(,"t_ns":)" + std::to_string(t_ns) + "," + rest +
         "}\n";
  };
  line(
      0,
      R"("kind":"epoll_wait","epfd":3,"maxevents":64,"timeout_ms":100,"ret":1,"ready":[{"fd":4,"conn":0,"mask":"IN"}],"wait_ns":0)");
  line(10, R"("kind":"accept","listen_fd":4,"ret":5,"fd":5,"conn":1,"peer":"127.0.0.1:1001")");
  line(20, R"("kind":"accept","listen_fd":4,"ret":6,"fd":6,"conn":2,"peer":"127.0.0.1:1002")");
  int64_t now = 1'000'000;
  for (int i = 1; i <= 20; i++) {
    line(
        now,
        R"("kind":"epoll_wait","epfd":3,"maxevents":64,"timeout_ms":100,"ret":1,"ready":[{"fd":5,"conn":1,"mask":"IN"}],"wait_ns":1000)");
    line(now + 100, R"("kind":"read","fd":5,"conn":1,"requested":16384,"ret":23)");
    line(now + 100, R"("kind":"command","conn":1,"name":"get","argc":2,"args":["key)" +
                        std::to_string(i) + R"("])");
    line(now + 150, R"("kind":"reply","conn":1,"bytes":5,"head":"$","digest":"0")");
    line(now + 100 + i * 1000, R"("kind":"write","fd":5,"conn":1,"requested":5,"ret":5)");
    now += 1'000'000;
  }
  line(
      now,
      R"("kind":"epoll_wait","epfd":3,"maxevents":64,"timeout_ms":100,"ret":1,"ready":[{"fd":6,"conn":2,"mask":"IN"}],"wait_ns":1000)");
  line(now + 100, R"("kind":"read","fd":6,"conn":2,"requested":16384,"ret":30)");
  line(now + 100, R"("kind":"command","conn":2,"name":"set","argc":3,"args":["a","b"])");
  line(now + 200, R"("kind":"reply","conn":2,"bytes":5,"head":"+OK","digest":"0")");
  line(now + 100100, R"("kind":"write","fd":6,"conn":2,"requested":5,"ret":5)");
  now += 1'000'000;
  // The stall: 50 ms of DEBUG SLEEP.
  line(
      now,
      R"("kind":"epoll_wait","epfd":3,"maxevents":64,"timeout_ms":100,"ret":1,"ready":[{"fd":5,"conn":1,"mask":"IN"}],"wait_ns":1000)");
  line(now + 100, R"("kind":"read","fd":5,"conn":1,"requested":16384,"ret":35)");
  line(now + 100, R"("kind":"command","conn":1,"name":"debug","argc":3,"args":["SLEEP","0.05"])");
  line(now + 50'000'100, R"("kind":"reply","conn":1,"bytes":5,"head":"+OK","digest":"0")");
  line(now + 50'000'200, R"("kind":"write","fd":5,"conn":1,"requested":5,"ret":5)");
  now += 50'001'000;
  line(
      now,
      R"("kind":"epoll_wait","epfd":3,"maxevents":64,"timeout_ms":100,"ret":1,"ready":[{"fd":6,"conn":2,"mask":"IN"}],"wait_ns":500)");
  line(now + 100, R"("kind":"read","fd":6,"conn":2,"requested":16384,"ret":14)");
  line(now + 100, R"("kind":"command","conn":2,"name":"ping","argc":1,"args":[])");
  line(now + 120, R"("kind":"reply","conn":2,"bytes":7,"head":"+PONG","digest":"0")");
  line(now + 300, R"("kind":"write","fd":6,"conn":2,"requested":7,"ret":7)");
  line(now + 400, R"("kind":"end","verdict":"reproduced")");
  return t;
}

TEST(LatencyTest, SyntheticTimelineGivesExactPercentiles) {
  AnalysisInput in;
  std::string error;
  ASSERT_TRUE(AnalysisInputFromTimelineText(SyntheticTimeline(), &in, &error)) << error;
  LatencyReport rep = ComputeLatency(in, LatencyOptions{});
  EXPECT_FALSE(rep.wire.available);
  ASSERT_TRUE(rep.server.available);
  EXPECT_EQ(rep.server.requests, 23u);
  EXPECT_EQ(rep.server.incomplete, 0u);

  // The 20 GETs: 1000, 2000, ..., 20000 ns.
  ASSERT_EQ(rep.server.by_command.size(), 4u);  // debug, get, ping, set (by name)
  const LatencyStats& get = rep.server.by_command[1].stats;
  EXPECT_EQ(rep.server.by_command[1].command, "get");
  EXPECT_EQ(get.count, 20u);
  EXPECT_EQ(get.p50_ns, 10000);  // rank ceil(0.5 * 20) = 10
  EXPECT_EQ(get.p90_ns, 18000);  // rank 18
  EXPECT_EQ(get.p99_ns, 20000);  // rank ceil(19.8) = 20
  EXPECT_EQ(get.p999_ns, 20000);
  EXPECT_EQ(get.max_ns, 20000);
  EXPECT_EQ(get.mean_ns, 10500);

  // All 23: 20 GETs, SET 100000, DEBUG 50000100, PING 200.
  EXPECT_EQ(rep.server.all.count, 23u);
  EXPECT_EQ(rep.server.all.p50_ns, 11000);     // rank 12: 200, 1000, 2000, ... puts 11000 there
  EXPECT_EQ(rep.server.all.p90_ns, 20000);     // rank ceil(20.7) = 21
  EXPECT_EQ(rep.server.all.p99_ns, 50000100);  // rank 23
  EXPECT_EQ(rep.server.all.max_ns, 50000100);

  // Per connection: conn 2 has SET (100000) and PING (200).
  ASSERT_EQ(rep.server.by_conn.size(), 2u);
  EXPECT_EQ(rep.server.by_conn[1].conn, 2u);
  EXPECT_EQ(rep.server.by_conn[1].peer, "127.0.0.1:1002");
  EXPECT_EQ(rep.server.by_conn[1].stats.p50_ns, 200);
  EXPECT_EQ(rep.server.by_conn[1].stats.max_ns, 100000);

  ASSERT_EQ(rep.server.slowest.size(), 10u);
  EXPECT_EQ(rep.server.slowest[0].command, "debug");
  EXPECT_EQ(rep.server.slowest[1].command, "set");
  EXPECT_EQ(rep.server.slowest[2].key, "key20");
  EXPECT_EQ(rep.server.slowest[2].latency_ns, 20000);
}

TEST(LatencyTest, SyntheticStallNamesItsCauseAndTheClientReadyAfterIt) {
  AnalysisInput in;
  std::string error;
  ASSERT_TRUE(AnalysisInputFromTimelineText(SyntheticTimeline(), &in, &error)) << error;
  LatencyReport rep = ComputeLatency(in, LatencyOptions{});
  ASSERT_EQ(rep.stalls.size(), 1u);
  const Stall& s = rep.stalls[0];
  EXPECT_EQ(s.busy_ns, 50'001'000 - 500);  // to the next epoll_wait's entry
  ASSERT_TRUE(s.has_cause);
  EXPECT_EQ(s.cause.conn, 1u);
  EXPECT_EQ(s.cause.command, "debug");
  EXPECT_EQ(s.cause.key, "SLEEP");
  EXPECT_EQ(s.cause.cost_ns, 50'000'000);
  EXPECT_EQ(s.delayed_basis, "next_epoll_wait");
  ASSERT_EQ(s.delayed.size(), 1u);
  EXPECT_EQ(s.delayed[0].conn, 2u);
  // A higher threshold: no stall.
  LatencyOptions high;
  high.stall_ns = 60'000'000;
  EXPECT_TRUE(ComputeLatency(in, high).stalls.empty());
}

TEST(LatencyTest, StallWithoutACostlyCommandPointsAtTheSlowCall) {
  // A PING runs in 20 ns, then the write of its reply returns 30 ms later.
  AnalysisInput in;
  std::string error;
  ASSERT_TRUE(AnalysisInputFromTimelineText(
      R"({"timeline_version":"1.1","source":"x","schedule":"recorded","start_mono_ns":0}
{"seq":1,"t_ns":1000,"kind":"epoll_wait","epfd":3,"maxevents":64,"timeout_ms":100,"ret":1,"ready":[{"fd":6,"conn":2,"mask":"IN"}],"wait_ns":0}
{"seq":2,"t_ns":1100,"kind":"read","fd":6,"conn":2,"requested":16384,"ret":14}
{"seq":3,"t_ns":1100,"kind":"command","conn":2,"name":"ping","argc":1,"args":[]}
{"seq":4,"t_ns":1120,"kind":"reply","conn":2,"bytes":7,"head":"+PONG","digest":"0"}
{"seq":5,"t_ns":30001120,"kind":"write","fd":6,"conn":2,"requested":7,"ret":7}
{"seq":6,"t_ns":30002000,"kind":"epoll_wait","epfd":3,"maxevents":64,"timeout_ms":100,"ret":0,"ready":[],"wait_ns":100}
)",
      &in, &error))
      << error;
  LatencyReport rep = ComputeLatency(in, LatencyOptions{});
  ASSERT_EQ(rep.stalls.size(), 1u);
  const Stall& s = rep.stalls[0];
  EXPECT_FALSE(s.has_cause);
  ASSERT_EQ(s.commands.size(), 1u);
  EXPECT_EQ(s.commands[0].cost_ns, 20);
  EXPECT_EQ(s.longest_step_kind, "write");
  EXPECT_EQ(s.longest_step_conn, 2u);
  EXPECT_EQ(s.longest_step_ns, 30'000'000);
  EXPECT_NE(FormatLatencyText(rep).find("longest step: a write on conn 2"), std::string::npos);
}

TEST(LatencyTest, DebugSleepStallTraceNamesDebugSleepAndItsVictim) {
  AnalysisInput in;
  std::string error;
  ASSERT_TRUE(LoadAnalysisInput(kTraces + "/debug_sleep_stall", &in, &error)) << error;
  LatencyReport rep = ComputeLatency(in, LatencyOptions{});
  ASSERT_EQ(rep.stalls.size(), 1u);
  const Stall& s = rep.stalls[0];
  EXPECT_GT(s.busy_ns, 300'000'000);
  ASSERT_TRUE(s.has_cause);
  EXPECT_EQ(s.cause.command, "debug");
  EXPECT_EQ(s.cause.key, "SLEEP");
  EXPECT_EQ(s.cause.conn, 1u);
  EXPECT_GT(s.cause_share, 0.99);
  // conn 2's GET arrived during the sleep and waited for its end; conn 3
  // sent its PING only after GET's reply, so the stall never held it.
  EXPECT_EQ(s.delayed_basis, "pcap");
  ASSERT_EQ(s.delayed.size(), 1u);
  EXPECT_EQ(s.delayed[0].conn, 2u);
  EXPECT_GT(s.delayed[0].waited_ns, 200'000'000);
  EXPECT_EQ(s.delayed[0].pending_bytes, 20u);  // *2 $3 GET $1 k
  // On the wire, that GET took the stall's length; in the server, microseconds.
  ASSERT_TRUE(rep.wire.available);
  EXPECT_EQ(rep.wire.slowest[1].command, "get");
  EXPECT_GT(rep.wire.slowest[1].latency_ns, 200'000'000);
}

// The independent calculation: straight from the packets. In these traces
// every request and every reply travels in one packet, so the n-th data
// packet a client sends is its n-th request and the n-th it receives the
// reply. (Checked below; the analyzer reassembles and frames RESP instead.)
void CheckWireLatencyAgainstPackets(const std::string& trace) {
  SCOPED_TRACE(trace);
  AnalysisInput in;
  std::string error;
  ASSERT_TRUE(LoadAnalysisInput(kTraces + "/" + trace, &in, &error)) << error;
  WireRequests wire = CollectWireRequests(in.bundle, in.accepted);
  ASSERT_TRUE(wire.notes.empty());

  auto pcap = replay::PcapFile::Open(kTraces + "/" + trace + "/packets.pcap", &error);
  ASSERT_TRUE(pcap.has_value()) << error;
  uint16_t server_port = in.bundle.meta["capture"]["port"].get<uint16_t>();
  std::map<uint16_t, std::vector<int64_t>> sent, received;  // by client port
  for (const replay::PcapRecord& rec : pcap->records()) {
    replay::TcpPacket p;
    if (replay::DecodePacket(rec, &p) != replay::DecodeStatus::kTcp || p.payload.empty()) continue;
    ASSERT_EQ(p.payload.substr(p.payload.size() - 2), "\r\n");
    if (p.dst.port == server_port)
      sent[p.src.port].push_back(p.timestamp_ns);
    else
      received[p.dst.port].push_back(p.timestamp_ns);
  }
  std::map<uint16_t, size_t> next;
  size_t checked = 0;
  for (const WireRequest& w : wire.requests) {
    uint16_t port = in.accepted.at(w.conn - 1).peer.port;
    size_t i = next[port]++;
    ASSERT_LT(i, sent[port].size());
    ASSERT_LT(i, received[port].size());
    EXPECT_EQ(w.latency_ns(), received[port][i] - sent[port][i]) << w.command << " #" << i;
    checked++;
  }
  size_t packets = 0;
  for (const auto& [port, v] : sent) packets += v.size();
  EXPECT_EQ(checked, packets);
  EXPECT_GT(checked, 0u);
}

TEST(LatencyTest, WireLatencyMatchesPacketTimes) {
  CheckWireLatencyAgainstPackets("set_get_session");
  CheckWireLatencyAgainstPackets("debug_sleep_stall");
}

TEST(LatencyTest, ForeignBundleHasWireLatencyAndSaysWhatIsMissing) {
  AnalysisInput in;
  std::string error;
  ASSERT_TRUE(LoadAnalysisInput(kTraces + "/redis_shim_session", &in, &error)) << error;
  LatencyReport rep = ComputeLatency(in, LatencyOptions{});
  EXPECT_TRUE(rep.wire.available);
  EXPECT_EQ(rep.wire.requests, 7u);
  EXPECT_EQ(rep.wire.incomplete, 0u);
  EXPECT_FALSE(rep.server.available);
  ASSERT_FALSE(rep.missing.empty());
  EXPECT_NE(rep.missing[0].find("not reel-server"), std::string::npos);
  EXPECT_EQ(rep.iterations_basis, "event_log");
  EXPECT_GT(rep.iterations, 0u);
}

TEST(LatencyTest, JsonCarriesTheStall) {
  AnalysisInput in;
  std::string error;
  ASSERT_TRUE(AnalysisInputFromTimelineText(SyntheticTimeline(), &in, &error)) << error;
  nlohmann::json j = ToJson(ComputeLatency(in, LatencyOptions{}));
  EXPECT_EQ(j["tool"], "reel latency");
  EXPECT_EQ(j["server"]["all"]["p99_ns"], 50000100);
  EXPECT_EQ(j["stalls"][0]["cause"]["command"], "debug");
  EXPECT_EQ(j["stalls"][0]["delayed"][0]["conn"], 2);
  EXPECT_EQ(j["wire"]["available"], false);
}

}  // namespace
}  // namespace reel::analyzers
