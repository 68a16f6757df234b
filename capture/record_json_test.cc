// The JSON shape of `reel events --json` and the summary `reel inspect`
// prints, on a small hand-written log.
#include "capture/record_json.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "capture/trace_summary.h"
#include "capture/trace_test_util.h"

namespace reel {
namespace {

using testing::ScratchDir;
using testing::TestHeader;

TraceFile SampleLog(const std::string& path) {
  TraceWriter w;
  EXPECT_EQ(w.Open(path.c_str(), TestHeader()), 0);
  SockAddr local = *SockAddr::FromHostPort("127.0.0.1", 6379);
  SockAddr peer = *SockAddr::FromHostPort("127.0.0.1", 40001);
  EpollEvent ready[1] = {{kEpollIn, 6}};
  const uint8_t rnd[2] = {0xAB, 0x01};
  int64_t t = TestHeader().start_mono_ns;
  w.EpollCtl(t + 1, 3, kEpollCtlAdd, 4, kEpollIn, 4, SysResult::Ok(0));  // 1
  w.Accept4(t + 2, 4, kNonblock, SysResult::Ok(6), peer, local);         // 2
  w.EpollWait(t + 10, 3, 64, 100, 5, SysResult::Ok(1), ready);           // 3
  w.Read(t + 11, 6, 16384, 0, SysResult::Ok(14));                        // 4
  w.Read(t + 12, 6, 16384, 14, SysResult::Error(EAGAIN));                // 5
  w.Writev(t + 13, 6, 2, 9, 0, SysResult::Ok(9));                        // 6
  w.Clock(t + 14, trace::kClockRealtime, 1'700'000'000'000'000'000);     // 7
  w.Random(t + 15, rnd, 2);                                              // 8
  w.Read(t + 16, 6, 16384, 14, SysResult::Ok(0));                        // 9
  w.Close(t + 17, 6, SysResult::Ok(0));                                  // 10
  w.Accept4(t + 18, 4, kNonblock, SysResult::Ok(6), peer, local);        // 11: fd reused
  w.Read(t + 19, 6, 16384, 0, SysResult::Ok(5));                         // 12
  w.Close();
  TraceFile log;
  std::string error;
  EXPECT_TRUE(ReadTraceFile(path, &log, &error)) << error;
  return log;
}

TEST(RecordJson, OneObjectPerKindWithDocumentedKeys) {
  ScratchDir dir;
  TraceFile log = SampleLog(dir.File("events.reel"));
  ASSERT_EQ(log.records.size(), 12u);
  int64_t t = TestHeader().start_mono_ns;
  EXPECT_EQ(RecordToJson(log.records[0]).dump(),
            R"({"data":4,"epfd":3,"events":1,"fd":4,"kind":"epoll_ctl","op":"add","ret":0,)"
            R"("seq":1,"ts_ns":)" +
                std::to_string(t + 1) + "}");
  EXPECT_EQ(RecordToJson(log.records[1]).dump(),
            R"({"fd":4,"flags":2048,"kind":"accept4","local":"127.0.0.1:6379",)"
            R"("peer":"127.0.0.1:40001","ret":6,"seq":2,"ts_ns":)" +
                std::to_string(t + 2) + "}");
  EXPECT_EQ(RecordToJson(log.records[2]).dump(),
            R"({"entry_ns":)" + std::to_string(t + 5) +
                R"(,"epfd":3,"kind":"epoll_wait","maxevents":64,"ready":[{"data":6,"events":1}],)"
                R"("ret":1,"seq":3,"timeout_ms":100,"ts_ns":)" +
                std::to_string(t + 10) + R"(,"wait_ns":5})");
  EXPECT_EQ(RecordToJson(log.records[4]).dump(),
            R"({"errno":11,"error":"EAGAIN","fd":6,"kind":"read","offset":14,"requested":16384,)"
            R"("ret":-1,"seq":5,"ts_ns":)" +
                std::to_string(t + 12) + "}");
  EXPECT_EQ(RecordToJson(log.records[5]).dump(),
            R"({"fd":6,"iovcnt":2,"kind":"writev","offset":0,"requested":9,"ret":9,"seq":6,)"
            R"("ts_ns":)" +
                std::to_string(t + 13) + "}");
  EXPECT_EQ(RecordToJson(log.records[6]).dump(),
            R"({"clock":"realtime","kind":"clock","seq":7,"ts_ns":)" + std::to_string(t + 14) +
                R"(,"value":1700000000000000000})");
  EXPECT_EQ(
      RecordToJson(log.records[7]).dump(),
      R"({"bytes":"ab01","kind":"random","len":2,"seq":8,"ts_ns":)" + std::to_string(t + 15) + "}");
}

TEST(TraceSummary, CountsConnectionsBytesAndKinds) {
  ScratchDir dir;
  TraceFile log = SampleLog(dir.File("events.reel"));
  TraceSummary s = Summarize(log);
  EXPECT_EQ(s.records, 12u);
  EXPECT_EQ(s.first_seq, 1u);
  EXPECT_EQ(s.last_seq, 12u);
  EXPECT_EQ(s.seq_gaps, 0u);
  EXPECT_EQ(s.last_ns - s.first_ns, 18);
  EXPECT_EQ(s.per_kind["read"], 4u);
  EXPECT_EQ(s.per_kind["accept4"], 2u);
  EXPECT_EQ(s.failed_calls, 1u);
  EXPECT_EQ(s.epoll_waits, 1u);
  EXPECT_EQ(s.epoll_events, 1u);
  ASSERT_EQ(s.connections.size(), 2u);
  EXPECT_EQ(s.connections[0].fd, 6);
  EXPECT_EQ(s.connections[0].bytes_in, 14u);
  EXPECT_EQ(s.connections[0].bytes_out, 9u);
  EXPECT_EQ(s.connections[0].reads, 1u);
  EXPECT_EQ(s.connections[0].close_ns, TestHeader().start_mono_ns + 17);
  EXPECT_EQ(s.connections[0].peer.ToString(), "127.0.0.1:40001");
  EXPECT_EQ(s.connections[1].bytes_in, 5u);
  EXPECT_EQ(s.connections[1].close_ns, -1);
  EXPECT_EQ(s.bytes_in, 19u);
  EXPECT_EQ(s.bytes_out, 9u);
}

TEST(RecordJson, ErrnoNames) {
  EXPECT_EQ(ErrnoName(EAGAIN), "EAGAIN");
  EXPECT_EQ(ErrnoName(ECONNRESET), "ECONNRESET");
  EXPECT_EQ(ErrnoName(4000), "4000");
}

}  // namespace
}  // namespace reel
