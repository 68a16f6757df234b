#include "analyzers/request_spans.h"

#include <gtest/gtest.h>

namespace reel::analyzers {
namespace {

constexpr const char* kHeader =
    R"({"timeline_version":"1.1","source":"synthetic","schedule":"recorded","start_mono_ns":0})"
    "\n";

RequestSpans Build(const std::string& events) {
  TimelineReader reader;
  // The raw strings below start with a newline for readability.
  reader.OpenText(kHeader + events.substr(events.find('{')));
  RequestSpans spans;
  std::string error;
  EXPECT_TRUE(BuildRequestSpans(reader, &spans, &error)) << error;
  return spans;
}

// Two clients. conn 1 pipelines SET+GET in one read; the GET's 10-byte reply
// goes out in two partial writes, the second one in the next iteration.
// conn 2 sends PING, which is answered, then closes with a reply unwritten.
constexpr const char* kTwoClients = R"(
{"seq":1,"t_ns":100,"kind":"epoll_wait","epfd":5,"maxevents":64,"timeout_ms":100,"ret":1,"ready":[{"fd":6,"conn":0,"mask":"IN"}],"wait_ns":100}
{"seq":2,"t_ns":110,"kind":"accept","listen_fd":6,"ret":7,"fd":7,"conn":1,"peer":"127.0.0.1:1000"}
{"seq":3,"t_ns":120,"kind":"accept","listen_fd":6,"ret":8,"fd":8,"conn":2,"peer":"127.0.0.1:2000"}
{"seq":4,"t_ns":200,"kind":"epoll_wait","epfd":5,"maxevents":64,"timeout_ms":100,"ret":2,"ready":[{"fd":7,"conn":1,"mask":"IN"},{"fd":8,"conn":2,"mask":"IN"}],"wait_ns":50}
{"seq":5,"t_ns":210,"kind":"read","fd":7,"conn":1,"requested":16384,"ret":40}
{"seq":6,"t_ns":210,"kind":"command","conn":1,"name":"set","argc":3,"args":["k","v"]}
{"seq":7,"t_ns":215,"kind":"reply","conn":1,"bytes":5,"head":"+OK","digest":"0"}
{"seq":8,"t_ns":210,"kind":"command","conn":1,"name":"get","argc":2,"args":["k"]}
{"seq":9,"t_ns":220,"kind":"reply","conn":1,"bytes":10,"head":"$","digest":"0"}
{"seq":10,"t_ns":230,"kind":"read","fd":8,"conn":2,"requested":16384,"ret":14}
{"seq":11,"t_ns":230,"kind":"command","conn":2,"name":"ping","argc":1,"args":[]}
{"seq":12,"t_ns":235,"kind":"reply","conn":2,"bytes":7,"head":"+PONG","digest":"0"}
{"seq":13,"t_ns":300,"kind":"write","fd":7,"conn":1,"requested":15,"ret":8}
{"seq":14,"t_ns":310,"kind":"write","fd":8,"conn":2,"requested":7,"ret":7}
{"seq":15,"t_ns":1000,"kind":"epoll_wait","epfd":5,"maxevents":64,"timeout_ms":100,"ret":2,"ready":[{"fd":7,"conn":1,"mask":"OUT"},{"fd":8,"conn":2,"mask":"IN"}],"wait_ns":600}
{"seq":16,"t_ns":1010,"kind":"write","fd":7,"conn":1,"requested":7,"ret":7}
{"seq":17,"t_ns":1020,"kind":"read","fd":8,"conn":2,"requested":16384,"ret":14}
{"seq":18,"t_ns":1020,"kind":"command","conn":2,"name":"ping","argc":1,"args":[]}
{"seq":19,"t_ns":1025,"kind":"reply","conn":2,"bytes":7,"head":"+PONG","digest":"0"}
{"seq":20,"t_ns":1030,"kind":"close","fd":8,"conn":2}
{"seq":21,"t_ns":1040,"kind":"end","verdict":"reproduced"}
)";

TEST(RequestSpansTest, RequestsFollowTheirReplyBytesThroughPartialWrites) {
  RequestSpans s = Build(kTwoClients);
  ASSERT_EQ(s.requests.size(), 4u);

  const RequestSpan& set = s.requests[0];
  EXPECT_EQ(set.command, "set");
  EXPECT_EQ(set.key, "k");
  EXPECT_EQ(set.conn, 1u);
  EXPECT_EQ(set.t_dispatch_ns, 210);
  EXPECT_EQ(set.reply_head, "+OK");
  EXPECT_EQ(set.t_reply_produced_ns, 215);
  // The first partial write (8 bytes) covers SET's 5 reply bytes.
  EXPECT_EQ(set.t_reply_written_ns, 300);
  EXPECT_EQ(set.latency_ns(), 90);
  EXPECT_EQ(set.iteration, 1);

  const RequestSpan& get = s.requests[1];
  EXPECT_EQ(get.command, "get");
  EXPECT_EQ(get.reply_bytes, 10u);
  // 8 of 15 bytes after the first write: GET's reply ends with the second.
  EXPECT_EQ(get.t_reply_written_ns, 1010);
  EXPECT_EQ(get.latency_ns(), 800);

  EXPECT_EQ(s.requests[2].command, "ping");
  EXPECT_EQ(s.requests[2].key, "");
  EXPECT_EQ(s.requests[2].t_reply_written_ns, 310);

  // The last PING's reply was produced but the connection closed first.
  EXPECT_TRUE(s.requests[3].replied);
  EXPECT_FALSE(s.requests[3].complete());
  EXPECT_EQ(s.requests[3].latency_ns(), kNoTime);
  EXPECT_EQ(s.requests[3].iteration, 2);
  EXPECT_EQ(s.verdict, "reproduced");
  EXPECT_EQ(s.unattributed_written_bytes, 0u);
}

TEST(RequestSpansTest, IterationsRunFromReturnToNextEntry) {
  RequestSpans s = Build(kTwoClients);
  ASSERT_EQ(s.iterations.size(), 3u);
  // Iteration 0 ends when the second epoll_wait was entered: 200 - 50.
  EXPECT_EQ(s.iterations[0].t_start_ns, 100);
  EXPECT_EQ(s.iterations[0].t_end_ns, 150);
  EXPECT_EQ(s.iterations[0].accepts, 2u);
  EXPECT_EQ(s.iterations[1].t_start_ns, 200);
  EXPECT_EQ(s.iterations[1].t_end_ns, 400);  // 1000 - 600
  EXPECT_EQ(s.iterations[1].busy_ns(), 200);
  EXPECT_EQ(s.iterations[1].ready_count(), 2u);
  EXPECT_EQ(s.iterations[1].requests, (std::vector<uint64_t>{0, 1, 2}));
  ASSERT_EQ(s.iterations[1].reads.size(), 2u);
  EXPECT_EQ(s.iterations[1].reads[0].conn, 1u);
  EXPECT_EQ(s.iterations[1].reads[1].conn, 2u);
  EXPECT_EQ(s.iterations[1].bytes_written, 15u);
  // Its longest step: from the last write (310) to the next wait's entry (400).
  EXPECT_EQ(s.iterations[1].longest_step_ns, 90);
  EXPECT_EQ(s.iterations[1].longest_step_kind, "end");
  // Iteration 2's: the first write, 10 ns after the wait returned.
  EXPECT_EQ(s.iterations[2].longest_step_ns, 10);
  EXPECT_EQ(s.iterations[2].longest_step_kind, "write");
  EXPECT_EQ(s.iterations[2].longest_step_conn, 1u);
  // The last iteration ends with the last event.
  EXPECT_EQ(s.iterations[2].t_end_ns, 1040);
  EXPECT_EQ(s.iterations[2].requests, (std::vector<uint64_t>{3}));
}

TEST(RequestSpansTest, ConnectionsHaveLifetimesAndCounts) {
  RequestSpans s = Build(kTwoClients);
  ASSERT_EQ(s.connections.size(), 2u);
  const ConnectionSpan& c1 = s.connections.at(1);
  EXPECT_EQ(c1.peer, "127.0.0.1:1000");
  EXPECT_EQ(c1.fd, 7);
  EXPECT_EQ(c1.t_accept_ns, 110);
  EXPECT_EQ(c1.t_close_ns, kNoTime);
  EXPECT_EQ(c1.bytes_read, 40u);
  EXPECT_EQ(c1.bytes_written, 15u);
  EXPECT_EQ(c1.requests, 2u);
  const ConnectionSpan& c2 = s.connections.at(2);
  EXPECT_EQ(c2.t_close_ns, 1030);
  EXPECT_EQ(c2.reply_bytes, 14u);
  EXPECT_EQ(c2.bytes_written, 7u);
}

TEST(RequestSpansTest, WritesBeyondEveryReplyAreCountedNotAttributed) {
  // A protocol error's reply has no reply event.
  RequestSpans s = Build(R"(
{"seq":1,"t_ns":10,"kind":"epoll_wait","ret":1,"ready":[],"wait_ns":0}
{"seq":2,"t_ns":20,"kind":"write","fd":7,"conn":1,"requested":30,"ret":30}
)");
  EXPECT_EQ(s.unattributed_written_bytes, 30u);
  EXPECT_TRUE(s.requests.empty());
}

TEST(RequestSpansTest, CommittedTraceDebugSleepRunsInOneLongIteration) {
  RequestSpans s;
  std::string error;
  ASSERT_TRUE(LoadRequestSpans(
      std::string(REEL_TRACES_DIR) + "/debug_sleep_stall/timeline.golden.jsonl", &s, &error))
      << error;
  const RequestSpan* sleep = nullptr;
  for (const RequestSpan& r : s.requests)
    if (r.command == "debug") sleep = &r;
  ASSERT_NE(sleep, nullptr);
  EXPECT_EQ(sleep->key, "SLEEP");
  // Golden values: dispatched at 13964012, its 5-byte reply written at 314239769.
  EXPECT_EQ(sleep->t_dispatch_ns, 13964012);
  EXPECT_EQ(sleep->t_reply_written_ns, 314239769);
  const LoopIteration& it = s.iterations.at(sleep->iteration);
  EXPECT_GT(it.busy_ns(), 300'000'000);  // DEBUG SLEEP 0.3
  EXPECT_EQ(s.connections.size(), 3u);
  for (const RequestSpan& r : s.requests) EXPECT_TRUE(r.complete()) << r.command;
}

}  // namespace
}  // namespace reel::analyzers
