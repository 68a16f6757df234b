// RecordingKernel over a fake kernel: it must forward every call unchanged
// and record exactly the calls made, with their results.
#include "capture/recording_kernel.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "capture/trace_test_util.h"

namespace reel {
namespace {

using testing::Decode;
using testing::ReadAll;
using testing::ScratchDir;
using testing::TestHeader;

// A fake with scripted results and a log of what it was asked.
class FakeNetKernel : public Kernel {
 public:
  SysResult EpollCreate(int flags) override { return Log("epoll_create", SysResult::Ok(3)); }
  SysResult EpollCtl(int, int, int fd, uint32_t, uint64_t) override {
    return Log("epoll_ctl " + std::to_string(fd),
               fd == 99 ? SysResult::Error(EBADF) : SysResult::Ok(0));
  }
  SysResult EpollWait(int, EpollEvent* events, int maxevents, int timeout_ms) override {
    calls.push_back("epoll_wait " + std::to_string(timeout_ms));
    if (on_wait) on_wait();
    if (ready.empty()) {
      if (timeout_ms > 0) mono_ns += int64_t{timeout_ms} * 1000000;  // waited it out
      return SysResult::Ok(0);
    }
    std::vector<EpollEvent> batch = ready.front();
    ready.pop_front();
    for (size_t i = 0; i < batch.size() && static_cast<int>(i) < maxevents; i++)
      events[i] = batch[i];
    mono_ns += 1000;
    return SysResult::Ok(static_cast<int64_t>(batch.size()));
  }
  SysResult Socket(int, int, int) override { return Log("socket", SysResult::Ok(4)); }
  SysResult SetSockOpt(int, int, int, int) override { return Log("setsockopt", SysResult::Ok(0)); }
  SysResult Bind(int, const SockAddr&) override { return Log("bind", SysResult::Ok(0)); }
  SysResult Listen(int, int) override { return Log("listen", SysResult::Ok(0)); }
  SysResult Accept4(int, SockAddr* peer, int) override {
    if (next_accept_fd < 0) return Log("accept4", SysResult::Error(EAGAIN));
    *peer = *SockAddr::FromHostPort("127.0.0.1", 40000 + next_accept_fd);
    return Log("accept4", SysResult::Ok(next_accept_fd));
  }
  SysResult GetSockName(int fd, SockAddr* addr) override {
    *addr = *SockAddr::FromHostPort("127.0.0.1", 6379);
    return Log("getsockname " + std::to_string(fd), SysResult::Ok(0));
  }
  SysResult Read(int fd, void* buf, size_t len) override {
    SysResult r = reads.empty() ? SysResult::Error(EAGAIN) : reads.front();
    if (!reads.empty()) reads.pop_front();
    if (r.value > 0) std::memset(buf, 'r', static_cast<size_t>(r.value));
    return Log("read " + std::to_string(fd), r);
  }
  SysResult Write(int fd, const void*, size_t len) override {
    size_t n = std::min(len, write_limit);
    return Log("write " + std::to_string(fd), SysResult::Ok(static_cast<int64_t>(n)));
  }
  SysResult Writev(int fd, const IoVec* iov, int iovcnt) override {
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) total += iov[i].len;
    return Log("writev " + std::to_string(fd),
               SysResult::Ok(static_cast<int64_t>(std::min(total, write_limit))));
  }
  SysResult Close(int fd) override { return Log("close " + std::to_string(fd), SysResult::Ok(0)); }
  SysResult Shutdown(int, int) override { return Log("shutdown", SysResult::Error(ENOTCONN)); }
  int64_t MonotonicNs() override { return mono_ns; }
  int64_t RealtimeNs() override { return mono_ns + 1'700'000'000'000'000'000; }
  void RandomBytes(void* buf, size_t len) override {
    for (size_t i = 0; i < len; i++) static_cast<uint8_t*>(buf)[i] = static_cast<uint8_t>(i + 1);
  }
  void SleepNs(int64_t ns) override {
    calls.push_back("sleep");
    mono_ns += ns;
  }
  int64_t ProcessId() override { return 777; }
  bool StopRequested() override { return stop; }

  SysResult Log(std::string call, SysResult r) {
    calls.push_back(std::move(call));
    mono_ns += 100;  // every call takes a little time
    return r;
  }

  int64_t mono_ns = 5'000'000'000;
  std::vector<std::string> calls;
  std::deque<std::vector<EpollEvent>> ready;
  std::deque<SysResult> reads;
  size_t write_limit = SIZE_MAX;
  int next_accept_fd = 5;
  bool stop = false;
  std::function<void()> on_wait;
};

class RecordingKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("events.reel");
    TraceWriterOptions opt;
    opt.flush_interval_ns = int64_t{3600} * 1'000'000'000;  // no splitting unless a test asks
    ASSERT_EQ(writer_.Open(path_.c_str(), TestHeader(), opt), 0);
  }
  std::vector<TraceRecord> Records() {
    writer_.Close();
    auto d = Decode(ReadAll(path_));
    EXPECT_EQ(d.error, "");
    EXPECT_EQ(d.damage, "");
    return d.records;
  }

  ScratchDir dir_;
  std::string path_;
  TraceWriter writer_;
  FakeNetKernel fake_;
};

TEST_F(RecordingKernelTest, RecordsExactlyTheCallsMadeAndForwardsResults) {
  RecordingKernel k(fake_, writer_);
  SockAddr bind_addr = *SockAddr::FromHostPort("127.0.0.1", 6379);

  EXPECT_EQ(k.EpollCreate(kCloexec).value, 3);
  EXPECT_EQ(k.Socket(kAfInet, kSockStream, 0).value, 4);
  EXPECT_TRUE(k.SetSockOpt(4, kSolSocket, kSoReuseAddr, 1).ok());
  EXPECT_TRUE(k.Bind(4, bind_addr).ok());
  EXPECT_TRUE(k.Listen(4, 511).ok());
  SockAddr got;
  EXPECT_TRUE(k.GetSockName(4, &got).ok());
  EXPECT_EQ(got, bind_addr);
  EXPECT_TRUE(k.EpollCtl(3, kEpollCtlAdd, 4, kEpollIn, 4).ok());
  fake_.ready.push_back({{kEpollIn, 4}});
  EpollEvent out[8];
  SysResult w = k.EpollWait(3, out, 8, 100);
  ASSERT_EQ(w.value, 1);
  EXPECT_EQ(out[0].data, 4u);
  SockAddr peer;
  EXPECT_EQ(k.Accept4(4, &peer, kNonblock).value, 5);
  EXPECT_EQ(peer, *SockAddr::FromHostPort("127.0.0.1", 40005));
  char buf[64];
  fake_.reads = {SysResult::Ok(10), SysResult::Error(EAGAIN)};
  EXPECT_EQ(k.Read(5, buf, sizeof buf).value, 10);
  EXPECT_EQ(buf[0], 'r');
  EXPECT_EQ(k.Read(5, buf, sizeof buf).err, EAGAIN);
  EXPECT_EQ(k.Write(5, "+OK\r\n", 5).value, 5);
  EXPECT_EQ(k.EpollCtl(3, kEpollCtlDel, 99, 0, 99).err, EBADF);
  EXPECT_EQ(k.Shutdown(5, kShutRdWr).err, ENOTCONN);
  EXPECT_TRUE(k.Close(5).ok());
  int64_t before = fake_.mono_ns;
  EXPECT_EQ(k.MonotonicNs(), before);
  EXPECT_EQ(k.RealtimeNs(), before + 1'700'000'000'000'000'000);
  EXPECT_EQ(k.RandomU64(), 0x0807060504030201u);
  k.SleepNs(1000);
  EXPECT_EQ(k.ProcessId(), 777);
  EXPECT_FALSE(k.StopRequested());
  fake_.stop = true;
  EXPECT_TRUE(k.StopRequested());

  // The fake saw the calls once each, plus the recorder's getsockname for
  // the accepted fd's local address.
  std::vector<std::string> expected_calls = {
      "epoll_create", "socket",         "setsockopt", "bind",          "listen", "getsockname 4",
      "epoll_ctl 4",  "epoll_wait 100", "accept4",    "getsockname 5", "read 5", "read 5",
      "write 5",      "epoll_ctl 99",   "shutdown",   "close 5",       "sleep"};
  EXPECT_EQ(fake_.calls, expected_calls);

  auto recs = Records();
  std::vector<std::string> kinds;
  for (const auto& r : recs) kinds.push_back(r.kind_name());
  std::vector<std::string> expected_kinds = {
      "epoll_create", "socket",  "setsockopt", "bind",   "listen", "getsockname", "epoll_ctl",
      "epoll_wait",   "accept4", "read",       "read",   "write",  "epoll_ctl",   "shutdown",
      "close",        "clock",   "clock",      "random", "sleep",  "process_id",  "stop_requested"};
  EXPECT_EQ(kinds, expected_kinds);
  ASSERT_EQ(recs.size(), expected_kinds.size());
  for (size_t i = 0; i < recs.size(); i++) {
    EXPECT_EQ(recs[i].seq, i + 1);
    if (i > 0) {
      EXPECT_GE(recs[i].ts_ns, recs[i - 1].ts_ns);
    }
  }

  const auto& wait = std::get<trace::EpollWaitRec>(recs[7].call);
  EXPECT_EQ(wait.timeout_ms, 100);
  EXPECT_EQ(wait.maxevents, 8);
  ASSERT_EQ(wait.events.size(), 1u);
  EXPECT_EQ(wait.events[0].data, 4u);
  EXPECT_EQ(wait.wait_ns, 1000);
  const auto& acc = std::get<trace::Accept4Rec>(recs[8].call);
  EXPECT_EQ(recs[8].result.value, 5);
  EXPECT_EQ(acc.peer, *SockAddr::FromHostPort("127.0.0.1", 40005));
  EXPECT_EQ(acc.local, bind_addr);
  EXPECT_EQ(std::get<trace::IoRec>(recs[9].call).requested, 64u);
  EXPECT_EQ(recs[10].result.err, EAGAIN);
  EXPECT_EQ(std::get<trace::IoRec>(recs[10].call).stream_offset, 10u);
  EXPECT_EQ(recs[12].result.err, EBADF);
  const auto& mono = std::get<trace::ClockRec>(recs[15].call);
  EXPECT_EQ(mono.clock, trace::kClockMonotonic);
  EXPECT_EQ(mono.value, before);
  EXPECT_EQ(recs[15].ts_ns, before);
  const auto& real = std::get<trace::ClockRec>(recs[16].call);
  EXPECT_EQ(real.clock, trace::kClockRealtime);
  EXPECT_EQ(real.value, before + 1'700'000'000'000'000'000);
  EXPECT_EQ(std::get<trace::RandomRec>(recs[17].call).bytes, "\x01\x02\x03\x04\x05\x06\x07\x08");
  EXPECT_EQ(std::get<trace::SleepRec>(recs[18].call).requested_ns, 1000);
  EXPECT_EQ(std::get<trace::SleepRec>(recs[18].call).slept_ns, 1000);
  EXPECT_EQ(std::get<trace::ProcessIdRec>(recs[19].call).pid, 777);
}

TEST_F(RecordingKernelTest, StreamOffsetsRunPerFdAndResetWhenTheFdIsReused) {
  RecordingKernel k(fake_, writer_);
  SockAddr peer;
  char buf[100];
  ASSERT_EQ(k.Accept4(4, &peer, 0).value, 5);
  fake_.reads = {SysResult::Ok(10), SysResult::Error(EAGAIN), SysResult::Ok(7), SysResult::Ok(0)};
  for (int i = 0; i < 4; i++) k.Read(5, buf, sizeof buf);
  fake_.write_limit = 3;
  k.Write(5, "abcdef", 6);  // partial: 3
  IoVec iov[2] = {{"xy", 2}, {"zzz", 3}};
  k.Writev(5, iov, 2);  // partial: 3 of 5
  k.Close(5);
  // The same fd number for a new connection starts again at zero.
  ASSERT_EQ(k.Accept4(4, &peer, 0).value, 5);
  fake_.reads = {SysResult::Ok(4)};
  k.Read(5, buf, sizeof buf);
  k.Write(5, "abcdef", 6);

  auto recs = Records();
  std::vector<std::pair<uint64_t, int64_t>> reads, writes;
  for (const auto& r : recs) {
    if (const auto* io = std::get_if<trace::IoRec>(&r.call)) {
      (r.kind_enum() == trace::Kind::kRead ? reads : writes)
          .push_back({io->stream_offset, r.result.value});
    }
  }
  std::vector<std::pair<uint64_t, int64_t>> want_reads = {
      {0, 10}, {10, -1}, {10, 7}, {17, 0}, {0, 4}};
  std::vector<std::pair<uint64_t, int64_t>> want_writes = {{0, 3}, {3, 3}, {0, 3}};
  EXPECT_EQ(reads, want_reads);
  EXPECT_EQ(writes, want_writes);
  const auto* wv = std::get_if<trace::IoRec>(&recs[6].call);
  ASSERT_NE(wv, nullptr);
  EXPECT_EQ(recs[6].kind_enum(), trace::Kind::kWritev);
  EXPECT_EQ(wv->iovcnt, 2);
  EXPECT_EQ(wv->requested, 5u);
}

TEST_F(RecordingKernelTest, IdleEpollWaitIsSplitAtTheFlushDeadline) {
  // Reopen the writer with a 50 ms interval.
  writer_.Close();
  TraceWriter writer;
  TraceWriterOptions opt;
  opt.flush_interval_ns = 50'000'000;
  ASSERT_EQ(writer.Open(path_.c_str(), TestHeader(), opt), 0);
  RecordingKernel k(fake_, writer);
  k.MonotonicNs();  // one buffered record
  std::vector<size_t> records_on_disk;
  fake_.on_wait = [&] { records_on_disk.push_back(Decode(ReadAll(path_)).records.size()); };
  EpollEvent out[4];
  int64_t entry = fake_.mono_ns;
  SysResult r = k.EpollWait(3, out, 4, 1000);
  EXPECT_EQ(r.value, 0);
  // Two inner waits (to the deadline, then the rest), and the buffered record
  // reached the file between them.
  ASSERT_EQ(fake_.calls.size(), 2u);
  EXPECT_EQ(fake_.calls[0], "epoll_wait 50");
  EXPECT_EQ(fake_.calls[1], "epoll_wait 950");
  EXPECT_EQ(records_on_disk, (std::vector<size_t>{0, 1}));
  // A busy wait (events ready before the deadline) is one inner call.
  fake_.calls.clear();
  k.MonotonicNs();
  fake_.ready.push_back({{kEpollIn, 7}});
  EXPECT_EQ(k.EpollWait(3, out, 4, 1000).value, 1);
  EXPECT_EQ(fake_.calls, (std::vector<std::string>{"epoll_wait 50"}));
  // A wait that ends before the deadline anyway is not split.
  fake_.calls.clear();
  EXPECT_EQ(k.EpollWait(3, out, 4, 10).value, 0);
  EXPECT_EQ(fake_.calls, (std::vector<std::string>{"epoll_wait 10"}));
  writer.Close();

  auto d = Decode(ReadAll(path_));
  ASSERT_EQ(d.records.size(), 5u);
  // The log shows the server's call: one epoll_wait with its own timeout.
  const auto& first = std::get<trace::EpollWaitRec>(d.records[1].call);
  EXPECT_EQ(first.timeout_ms, 1000);
  EXPECT_EQ(first.wait_ns, 1000 * 1'000'000);
  EXPECT_EQ(d.records[1].ts_ns, entry + first.wait_ns);
  EXPECT_EQ(d.records[1].result.value, 0);
  EXPECT_EQ(std::get<trace::EpollWaitRec>(d.records[3].call).timeout_ms, 1000);
  EXPECT_EQ(std::get<trace::EpollWaitRec>(d.records[3].call).events.size(), 1u);
}

TEST_F(RecordingKernelTest, FailedAcceptStoresNoAddresses) {
  RecordingKernel k(fake_, writer_);
  fake_.next_accept_fd = -1;
  SockAddr peer;
  EXPECT_EQ(k.Accept4(4, &peer, 0).err, EAGAIN);
  EXPECT_EQ(fake_.calls, (std::vector<std::string>{"accept4"}));  // no getsockname
  auto recs = Records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].result.err, EAGAIN);
  EXPECT_EQ(std::get<trace::Accept4Rec>(recs[0].call).peer.family, 0);
}

}  // namespace
}  // namespace reel
