#include "capture/flight_recorder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>

#include "capture/trace_reader.h"
#include "capture/trace_writer.h"

namespace reel {
namespace {

SockAddr Addr(const char* host, uint16_t port) {
  return *SockAddr::FromHostPort(host, port);
}

// A log as a recorder would stream it: epoll set-up, a long-lived
// connection (fd 8), then n short connections (fd 9) with traffic.
std::string MakeLog(int n) {
  char tmpl[] = "/tmp/reel-fr-test-XXXXXX";
  int fd = mkstemp(tmpl);
  TraceWriter w;
  trace::Header h;
  h.start_mono_ns = 1'000'000;
  h.start_real_ns = 9'000'000;
  h.pid = 7;
  EXPECT_EQ(w.OpenFd(fd, h), 0);
  int64_t t = 1'000'000;
  w.EpollCreate(t += 10, 0, SysResult::Ok(5));
  w.EpollCtl(t += 10, 5, kEpollCtlAdd, 6, kEpollIn, 6, SysResult::Ok(0));  // listener
  w.Accept4(t += 10, 6, 0, SysResult::Ok(8), Addr("127.0.0.1", 40000), Addr("127.0.0.1", 6379));
  w.EpollCtl(t += 10, 5, kEpollCtlAdd, 8, kEpollIn, 8, SysResult::Ok(0));
  w.Read(t += 10, 8, 16384, 0, SysResult::Ok(12));
  w.Write(t += 10, 8, 5, 0, SysResult::Ok(5));
  for (int i = 0; i < n; i++) {
    w.Accept4(t += 10, 6, 0, SysResult::Ok(9), Addr("127.0.0.1", 41000 + i),
              Addr("127.0.0.1", 6379));
    w.EpollCtl(t += 10, 5, kEpollCtlAdd, 9, kEpollIn, 9, SysResult::Ok(0));
    w.Read(t += 10, 9, 16384, 0, SysResult::Ok(20));
    w.Write(t += 10, 9, 7, 0, SysResult::Ok(7));
    w.EpollCtl(t += 10, 5, kEpollCtlDel, 9, 0, 0, SysResult::Ok(0));
    w.Close(t += 10, 9, SysResult::Ok(0));
  }
  w.Read(t += 10, 8, 16384, 12, SysResult::Ok(14));  // the long-lived one, late
  w.Close();
  std::ifstream f(tmpl, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  unlink(tmpl);
  return data;
}

TEST(FlightRecorder, WholeStreamInSmallChunksRoundTrips) {
  std::string log = MakeLog(3);
  EventRing ring(1 << 20, 0, nullptr);
  for (size_t i = 0; i < log.size(); i += 7)
    ASSERT_TRUE(ring.Feed(log.data() + i, std::min<size_t>(7, log.size() - i)));
  EXPECT_TRUE(ring.error().empty());
  EXPECT_EQ(ring.received(), 25u);
  EXPECT_EQ(ring.evicted(), 0u);
  EventRing::Dump d = ring.Window(0);  // everything
  TraceReader a(log), b(d.log);
  ASSERT_TRUE(a.ReadHeader());
  ASSERT_TRUE(b.ReadHeader());
  TraceRecord ra, rb;
  while (a.Next(&ra)) {
    ASSERT_TRUE(b.Next(&rb));
    EXPECT_EQ(rb.ts_ns, ra.ts_ns);
    EXPECT_EQ(rb.seq + d.seq_base, ra.seq);
    EXPECT_EQ(rb.kind, ra.kind);
  }
  EXPECT_FALSE(b.Next(&rb));
  EXPECT_FALSE(b.damaged()) << b.damage();
  EXPECT_EQ(d.records, 25u);
  EXPECT_TRUE(d.mid_stream.empty());
}

TEST(FlightRecorder, WindowAfterEvictionIsACleanReadableCut) {
  std::string log = MakeLog(200);
  EventRing ring(8 * 1024, 0, nullptr);  // far smaller than the log
  ASSERT_TRUE(ring.Feed(log.data(), log.size()));
  ASSERT_GT(ring.evicted(), 0u);
  int64_t cut = ring.oldest_mono_ns() + 55;  // inside the ring, mid-way in a connection
  EventRing::Dump d = ring.Window(cut);
  TraceReader r(d.log);
  ASSERT_TRUE(r.ReadHeader()) << r.error();
  TraceRecord rec;
  uint64_t n = 0;
  int64_t first_ts = -1;
  while (r.Next(&rec)) {
    if (first_ts < 0) first_ts = rec.ts_ns;
    n++;
  }
  EXPECT_FALSE(r.damaged()) << r.damage();
  EXPECT_EQ(n, d.records);
  EXPECT_GE(first_ts, cut);
  EXPECT_LT(first_ts, cut + 10 + 1);
  EXPECT_EQ(d.first_original_seq, d.seq_base + 1);

  // The long-lived connection (fd 8) was accepted long before the cut: it is
  // mid-stream, and its first read inside the window starts at offset 12.
  bool found = false;
  for (const auto& m : d.mid_stream) {
    if (m["fd"] == 8) {
      found = true;
      EXPECT_EQ(m["peer"], "127.0.0.1:40000");
      EXPECT_EQ(m["read_offset"], 12);
      EXPECT_TRUE(m["write_offset"].is_null());
    }
  }
  EXPECT_TRUE(found) << d.mid_stream.dump();
  // Registrations at the cut: the listener and fd 8 (fd 9 only if the cut
  // falls inside one of the short connections).
  std::set<int> fds;
  for (const auto& reg : d.epoll_registrations) fds.insert(reg["fd"].get<int>());
  EXPECT_TRUE(fds.count(6) && fds.count(8)) << d.epoll_registrations.dump();
}

TEST(FlightRecorder, StallCallbackAndCorruptStream) {
  char tmpl[] = "/tmp/reel-fr-test-XXXXXX";
  int fd = mkstemp(tmpl);
  TraceWriter w;
  trace::Header h;
  h.start_mono_ns = 0;
  ASSERT_EQ(w.OpenFd(fd, h), 0);
  EpollEvent ev{kEpollIn, 8};
  w.EpollWait(1'000'000, 5, 10, 100, 1'000, SysResult::Ok(1), &ev);    // returns at 1 ms
  w.EpollWait(2'000'000, 5, 10, 100, 500'000, SysResult::Ok(1), &ev);  // entry 1.5 ms: fast
  w.EpollWait(400'000'000, 5, 10, 100, 1'000, SysResult::Ok(1), &ev);  // entry ~400 ms: stall
  w.Close();
  std::ifstream f(tmpl, std::ios::binary);
  std::string log((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  unlink(tmpl);
  std::vector<int64_t> stalls;
  EventRing ring(1 << 20, 100'000'000, [&](int64_t ns) { stalls.push_back(ns); });
  ASSERT_TRUE(ring.Feed(log.data(), log.size()));
  ASSERT_EQ(stalls.size(), 1u);
  EXPECT_EQ(stalls[0], 400'000'000 - 1'000 - 2'000'000);

  std::string bad = log;
  bad[bad.size() - 1] ^= 0x55;  // the last record's CRC
  EventRing broken(1 << 20, 0, nullptr);
  EXPECT_FALSE(broken.Feed(bad.data(), bad.size()));
  EXPECT_NE(broken.error().find("checksum"), std::string::npos) << broken.error();
  EXPECT_EQ(broken.received(), 2u);  // the whole records before the damage
  EventRing wrong(1 << 20, 0, nullptr);
  EXPECT_FALSE(wrong.Feed("NOTAREELLOGATALL", 16));
  EXPECT_FALSE(wrong.error().empty());
}

TEST(FlightRecorder, PacketRingKeepsTheNewest) {
  PacketRing ring(2000);
  u_char data[300] = {};
  for (int i = 0; i < 20; i++) {
    pcap_pkthdr h{};
    h.ts.tv_sec = 100 + i;
    h.caplen = h.len = sizeof data;
    ring.Push(&h, data);
  }
  EXPECT_GT(ring.evicted(), 0u);
  auto all = ring.Since(0);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back().header.ts.tv_sec, 119);
  EXPECT_EQ(static_cast<uint64_t>(all.size()) + ring.evicted(), 20u);
  EXPECT_EQ(ring.oldest_real_ns(), static_cast<int64_t>(all.front().header.ts.tv_sec) * 1000000000);
  EXPECT_EQ(ring.Since(int64_t{119} * 1000000000).size(), 1u);
}

}  // namespace
}  // namespace reel
