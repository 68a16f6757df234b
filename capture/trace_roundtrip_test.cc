// Writer -> reader round trip of every record kind, and the writer's flush
// policy as seen in the file.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "capture/trace_reader.h"
#include "capture/trace_test_util.h"
#include "capture/trace_writer.h"

namespace reel {
namespace {

using testing::Decode;
using testing::ReadAll;
using testing::ScratchDir;
using testing::TestHeader;

template <typename T>
const T& As(const TraceRecord& r) {
  const T* p = std::get_if<T>(&r.call);
  EXPECT_NE(p, nullptr) << "record " << r.seq << " is a " << r.kind_name();
  static const T empty{};
  return p ? *p : empty;
}

TEST(TraceRoundTrip, EveryKindComesBackExactly) {
  ScratchDir dir;
  std::string path = dir.File("events.reel");
  TraceWriter w;
  ASSERT_EQ(w.Open(path.c_str(), TestHeader()), 0);
  SockAddr local = *SockAddr::FromHostPort("127.0.0.1", 6379);
  SockAddr peer = *SockAddr::FromHostPort("127.0.0.1", 51234);
  SockAddr peer6 = *SockAddr::FromHostPort("::1", 40000);
  EpollEvent ready[3] = {{kEpollIn, 5}, {kEpollIn | kEpollOut, 0xFFFFFFFFFFFFull}, {kEpollHup, 7}};
  const uint8_t random[8] = {1, 2, 3, 250, 0, 255, 9, 10};

  int64_t t = 5'000'000'100;
  w.EpollCreate(t, kCloexec, SysResult::Ok(3));
  w.Socket(t += 10, kAfInet, kSockStream | kNonblock | kCloexec, 0, SysResult::Ok(4));
  w.SetSockOpt(t += 10, 4, kSolSocket, kSoReuseAddr, 1, SysResult::Ok(0));
  w.Bind(t += 10, 4, local, SysResult::Ok(0));
  w.Listen(t += 10, 4, 511, SysResult::Ok(0));
  w.GetSockName(t += 10, 4, SysResult::Ok(0), local);
  w.EpollCtl(t += 10, 3, kEpollCtlAdd, 4, kEpollIn, 4, SysResult::Ok(0));
  w.EpollWait(t += 5000, 3, 10128, 100, 4990, SysResult::Ok(3), ready);
  w.Accept4(t += 10, 4, kNonblock | kCloexec, SysResult::Ok(5), peer, local);
  w.Accept4(t += 10, 4, kNonblock | kCloexec, SysResult::Ok(6), peer6, SockAddr{});
  w.Accept4(t += 10, 4, kNonblock | kCloexec, SysResult::Error(EAGAIN), SockAddr{}, SockAddr{});
  w.Read(t += 10, 5, 16384, 0, SysResult::Ok(27));
  w.Read(t += 10, 5, 16384, 27, SysResult::Error(EAGAIN));
  w.Write(t += 10, 5, 5, 0, SysResult::Ok(5));
  w.Writev(t += 10, 5, 3, 70000, 5, SysResult::Ok(65536));
  w.Shutdown(t += 10, 5, kShutWr, SysResult::Error(ENOTCONN));
  w.Close(t += 10, 5, SysResult::Ok(0));
  t += 10;
  w.Clock(t, trace::kClockMonotonic, t);
  w.Clock(t += 10, trace::kClockRealtime, 1'700'000'000'123'456'789);
  w.Random(t += 10, random, sizeof random);
  w.Sleep(t += 2'000'000, 2'000'000, 2'000'123);
  w.ProcessId(t - 50, 4242);  // time may step back between threads: signed delta
  w.EpollWait(t += 10, 3, 16, 0, 0, SysResult::Ok(0), nullptr);
  w.EpollWait(t += 10, 3, 16, -1, 7, SysResult::Error(EINTR), nullptr);
  w.StopRequested(t += 10);
  w.EpollCtl(t += 10, 3, kEpollCtlDel, 9, 0, 9, SysResult::Error(EBADF));
  ASSERT_EQ(w.Close(), 0);
  EXPECT_EQ(w.stats().records, 26u);
  EXPECT_EQ(w.stats().records_dropped, 0u);
  EXPECT_EQ(w.stats().per_kind[static_cast<int>(trace::Kind::kAccept4)], 3u);

  std::string data = ReadAll(path);
  EXPECT_EQ(w.stats().bytes_written, data.size());
  TraceReader reader(data);
  ASSERT_TRUE(reader.ReadHeader()) << reader.error();
  EXPECT_EQ(reader.header().major, 1);
  EXPECT_EQ(reader.header().minor, 0);
  EXPECT_EQ(reader.header().start_mono_ns, 5'000'000'000);
  EXPECT_EQ(reader.header().start_real_ns, 1'700'000'000'000'000'000);
  EXPECT_EQ(reader.header().pid, 4242u);
  std::vector<TraceRecord> recs;
  TraceRecord rec;
  while (reader.Next(&rec)) recs.push_back(rec);
  EXPECT_FALSE(reader.damaged()) << reader.damage();
  EXPECT_EQ(reader.dropped_bytes(), 0u);
  ASSERT_EQ(recs.size(), 26u);
  for (size_t i = 0; i < recs.size(); i++) EXPECT_EQ(recs[i].seq, i + 1);

  int64_t ts = 5'000'000'100;
  size_t i = 0;
  auto next = [&](trace::Kind k) -> const TraceRecord& {
    const TraceRecord& r = recs[i++];
    EXPECT_EQ(r.kind_enum(), k) << "record " << i << " is " << r.kind_name();
    return r;
  };
  {
    const auto& r = next(trace::Kind::kEpollCreate);
    EXPECT_EQ(r.ts_ns, ts);
    EXPECT_EQ(As<trace::EpollCreateRec>(r).flags, kCloexec);
    EXPECT_EQ(r.result.value, 3);
  }
  {
    const auto& r = next(trace::Kind::kSocket);
    EXPECT_EQ(r.ts_ns, ts + 10);
    EXPECT_EQ(As<trace::SocketRec>(r).domain, kAfInet);
    EXPECT_EQ(As<trace::SocketRec>(r).type, kSockStream | kNonblock | kCloexec);
    EXPECT_EQ(As<trace::SocketRec>(r).protocol, 0);
    EXPECT_EQ(r.result.value, 4);
  }
  {
    const auto& o = As<trace::SetSockOptRec>(next(trace::Kind::kSetSockOpt));
    EXPECT_EQ(o.fd, 4);
    EXPECT_EQ(o.level, kSolSocket);
    EXPECT_EQ(o.name, kSoReuseAddr);
    EXPECT_EQ(o.value, 1);
  }
  {
    const auto& b = As<trace::BindRec>(next(trace::Kind::kBind));
    EXPECT_EQ(b.fd, 4);
    EXPECT_EQ(b.addr, local);
  }
  {
    const auto& l = As<trace::ListenRec>(next(trace::Kind::kListen));
    EXPECT_EQ(l.fd, 4);
    EXPECT_EQ(l.backlog, 511);
  }
  EXPECT_EQ(As<trace::GetSockNameRec>(next(trace::Kind::kGetSockName)).addr, local);
  {
    const auto& c = As<trace::EpollCtlRec>(next(trace::Kind::kEpollCtl));
    EXPECT_EQ(c.epfd, 3);
    EXPECT_EQ(c.op, kEpollCtlAdd);
    EXPECT_EQ(c.fd, 4);
    EXPECT_EQ(c.events, kEpollIn);
    EXPECT_EQ(c.data, 4u);
  }
  {
    const auto& r = next(trace::Kind::kEpollWait);
    const auto& e = As<trace::EpollWaitRec>(r);
    EXPECT_EQ(r.ts_ns, ts + 60 + 5000);
    EXPECT_EQ(e.epfd, 3);
    EXPECT_EQ(e.maxevents, 10128);
    EXPECT_EQ(e.timeout_ms, 100);
    EXPECT_EQ(e.wait_ns, 4990);
    EXPECT_EQ(r.result.value, 3);
    ASSERT_EQ(e.events.size(), 3u);
    for (int k = 0; k < 3; k++) {
      EXPECT_EQ(e.events[k].events, ready[k].events);
      EXPECT_EQ(e.events[k].data, ready[k].data);
    }
  }
  {
    const auto& r = next(trace::Kind::kAccept4);
    const auto& a = As<trace::Accept4Rec>(r);
    EXPECT_EQ(a.fd, 4);
    EXPECT_EQ(a.flags, kNonblock | kCloexec);
    EXPECT_EQ(r.result.value, 5);
    EXPECT_EQ(a.peer, peer);
    EXPECT_EQ(a.local, local);
  }
  {
    const auto& a = As<trace::Accept4Rec>(next(trace::Kind::kAccept4));
    EXPECT_EQ(a.peer, peer6);
    EXPECT_EQ(a.local.family, 0);
  }
  {
    const auto& r = next(trace::Kind::kAccept4);
    EXPECT_EQ(r.result.value, -1);
    EXPECT_EQ(r.result.err, EAGAIN);
    EXPECT_EQ(As<trace::Accept4Rec>(r).peer.family, 0);
  }
  {
    const auto& r = next(trace::Kind::kRead);
    const auto& io = As<trace::IoRec>(r);
    EXPECT_EQ(io.fd, 5);
    EXPECT_EQ(io.requested, 16384u);
    EXPECT_EQ(io.stream_offset, 0u);
    EXPECT_EQ(r.result.value, 27);
  }
  {
    const auto& r = next(trace::Kind::kRead);
    EXPECT_EQ(As<trace::IoRec>(r).stream_offset, 27u);
    EXPECT_EQ(r.result.err, EAGAIN);
  }
  {
    const auto& r = next(trace::Kind::kWrite);
    EXPECT_EQ(As<trace::IoRec>(r).requested, 5u);
    EXPECT_EQ(r.result.value, 5);
  }
  {
    const auto& r = next(trace::Kind::kWritev);
    const auto& io = As<trace::IoRec>(r);
    EXPECT_EQ(io.iovcnt, 3);
    EXPECT_EQ(io.requested, 70000u);
    EXPECT_EQ(io.stream_offset, 5u);
    EXPECT_EQ(r.result.value, 65536);
  }
  {
    const auto& r = next(trace::Kind::kShutdown);
    EXPECT_EQ(As<trace::ShutdownRec>(r).how, kShutWr);
    EXPECT_EQ(r.result.err, ENOTCONN);
  }
  EXPECT_EQ(As<trace::CloseRec>(next(trace::Kind::kClose)).fd, 5);
  {
    const auto& r = next(trace::Kind::kClock);
    EXPECT_EQ(As<trace::ClockRec>(r).clock, trace::kClockMonotonic);
    EXPECT_EQ(As<trace::ClockRec>(r).value, r.ts_ns);
  }
  {
    const auto& c = As<trace::ClockRec>(next(trace::Kind::kClock));
    EXPECT_EQ(c.clock, trace::kClockRealtime);
    EXPECT_EQ(c.value, 1'700'000'000'123'456'789);
  }
  EXPECT_EQ(As<trace::RandomRec>(next(trace::Kind::kRandom)).bytes,
            std::string(reinterpret_cast<const char*>(random), sizeof random));
  {
    const auto& s = As<trace::SleepRec>(next(trace::Kind::kSleep));
    EXPECT_EQ(s.requested_ns, 2'000'000);
    EXPECT_EQ(s.slept_ns, 2'000'123);
  }
  {
    const auto& r = next(trace::Kind::kProcessId);
    EXPECT_EQ(As<trace::ProcessIdRec>(r).pid, 4242);
    EXPECT_EQ(r.ts_ns, recs[i - 2].ts_ns - 50);
  }
  {
    const auto& r = next(trace::Kind::kEpollWait);
    EXPECT_EQ(r.result.value, 0);
    EXPECT_TRUE(As<trace::EpollWaitRec>(r).events.empty());
    EXPECT_EQ(As<trace::EpollWaitRec>(r).timeout_ms, 0);
  }
  {
    const auto& r = next(trace::Kind::kEpollWait);
    EXPECT_EQ(r.result.err, EINTR);
    EXPECT_EQ(As<trace::EpollWaitRec>(r).timeout_ms, -1);
  }
  next(trace::Kind::kStopRequested);
  {
    const auto& r = next(trace::Kind::kEpollCtl);
    EXPECT_EQ(As<trace::EpollCtlRec>(r).op, kEpollCtlDel);
    EXPECT_EQ(r.result.err, EBADF);
  }
}

TEST(TraceRoundTrip, EmptyLogIsJustAHeader) {
  ScratchDir dir;
  std::string path = dir.File("events.reel");
  TraceWriter w;
  ASSERT_EQ(w.Open(path.c_str(), TestHeader()), 0);
  // The header is on disk before any record or Close (a server killed at
  // once still leaves a readable log).
  EXPECT_EQ(ReadAll(path).size(), trace::kHeaderSize);
  ASSERT_EQ(w.Close(), 0);
  auto d = Decode(ReadAll(path));
  EXPECT_EQ(d.error, "");
  EXPECT_TRUE(d.records.empty());
  EXPECT_EQ(d.damage, "");
}

TEST(TraceRoundTrip, RecordsLargerThanTheBufferAndLongLengthPrefixes) {
  ScratchDir dir;
  std::string path = dir.File("events.reel");
  TraceWriter w;
  TraceWriterOptions opt;
  opt.buffer_bytes = 4096;
  ASSERT_EQ(w.Open(path.c_str(), TestHeader(), opt), 0);
  std::string big(100000, '\0');
  for (size_t i = 0; i < big.size(); i++) big[i] = static_cast<char>(i * 7);
  std::string mid(200, 'x');  // body > 127 bytes: two-byte length prefix
  std::vector<EpollEvent> many(1000);
  for (size_t i = 0; i < many.size(); i++) many[i] = {kEpollIn, i + 100};
  w.Read(5'000'000'001, 5, 10, 0, SysResult::Ok(10));
  w.Random(5'000'000'002, mid.data(), mid.size());
  w.Random(5'000'000'003, big.data(), big.size());
  w.EpollWait(5'000'000'004, 3, 1000, 10, 1, SysResult::Ok(1000), many.data());
  w.Read(5'000'000'005, 5, 10, 10, SysResult::Ok(3));
  ASSERT_EQ(w.Close(), 0);
  auto d = Decode(ReadAll(path));
  ASSERT_EQ(d.records.size(), 5u) << d.damage;
  EXPECT_EQ(std::get<trace::RandomRec>(d.records[1].call).bytes, mid);
  EXPECT_EQ(std::get<trace::RandomRec>(d.records[2].call).bytes, big);
  const auto& e = std::get<trace::EpollWaitRec>(d.records[3].call);
  ASSERT_EQ(e.events.size(), 1000u);
  EXPECT_EQ(e.events[999].data, 1099u);
  EXPECT_EQ(std::get<trace::IoRec>(d.records[4].call).stream_offset, 10u);
  EXPECT_EQ(d.records[4].ts_ns, 5'000'000'005);
}

TEST(TraceRoundTrip, FlushPolicyBySizeAndByInterval) {
  ScratchDir dir;
  std::string path = dir.File("events.reel");
  TraceWriter w;
  TraceWriterOptions opt;
  opt.buffer_bytes = 4096;
  opt.flush_interval_ns = 1'000'000;  // 1 ms
  ASSERT_EQ(w.Open(path.c_str(), TestHeader(), opt), 0);
  int64_t t = 5'000'000'000;
  w.Read(t, 5, 10, 0, SysResult::Ok(10));
  w.Read(t + 500'000, 5, 10, 10, SysResult::Ok(10));
  // Still buffered: younger than the interval.
  EXPECT_EQ(Decode(ReadAll(path)).records.size(), 0u);
  EXPECT_EQ(w.flush_deadline_ns(), t + 1'000'000);
  w.FlushIfDue(t + 999'999);
  EXPECT_EQ(Decode(ReadAll(path)).records.size(), 0u);
  // The append that finds the oldest record past the interval writes them all.
  w.Read(t + 1'000'000, 5, 10, 20, SysResult::Ok(10));
  EXPECT_EQ(Decode(ReadAll(path)).records.size(), 3u);
  EXPECT_EQ(w.flush_deadline_ns(), INT64_MAX);
  // FlushIfDue on its own (what RecordingKernel does while idle).
  w.Read(t + 2'000'000, 5, 10, 30, SysResult::Ok(10));
  w.FlushIfDue(t + 3'000'000);
  EXPECT_EQ(Decode(ReadAll(path)).records.size(), 4u);
  // Filling the buffer writes it without waiting for the interval.
  uint64_t before = w.stats().flushes;
  for (int i = 0; i < 1000; i++) w.Read(t + 3'000'000, 5, 10, 40, SysResult::Ok(1));
  EXPECT_GT(w.stats().flushes, before);
  EXPECT_GT(Decode(ReadAll(path)).records.size(), 4u + 500u);
  ASSERT_EQ(w.Close(), 0);
  EXPECT_EQ(Decode(ReadAll(path)).records.size(), 1004u);
}

TEST(TraceFormat, DocumentedExampleBytes) {
  // The worked example of docs/trace-format.md section 2.4, byte for byte.
  ScratchDir dir;
  std::string path = dir.File("events.reel");
  TraceWriter w;
  ASSERT_EQ(w.Open(path.c_str(), TestHeader()), 0);
  w.Read(TestHeader().start_mono_ns + 1500, 5, 16384, 0, SysResult::Ok(27));
  ASSERT_EQ(w.Close(), 0);
  std::string data = ReadAll(path);
  ASSERT_EQ(data.size(), trace::kHeaderSize + 15);
  EXPECT_EQ(data.substr(0, 8), "REELEVT\n");
  const uint8_t expected[15] = {0x0A, 0x0A, 0x01, 0xB8, 0x17, 0x0A, 0x80, 0x80,
                                0x01, 0x00, 0x36, 0x9E, 0xDA, 0x3D, 0x46};
  EXPECT_EQ(data.substr(trace::kHeaderSize),
            std::string(reinterpret_cast<const char*>(expected), sizeof expected));
}

}  // namespace
}  // namespace reel
