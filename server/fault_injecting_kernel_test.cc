// FaultInjectingKernel over an in-memory stream kernel: the spec parser,
// determinism for a seed, each fault kind, and that short reads and writes
// lose or duplicate no byte.
#include "server/fault_injecting_kernel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace reel {
namespace {

// Each fd is a byte stream: `input` is what a read can take, `output` what
// writes delivered. EAGAIN when there is nothing to read.
class StreamKernel : public Kernel {
 public:
  std::map<int, std::string> input, output;
  std::vector<std::pair<int, int>> shutdowns;  // (fd, how)
  int ready_events = 0;                        // how many fds epoll_wait reports
  int pending_accepts = 0;
  int inner_calls = 0;  // read/write/writev/accept4/epoll_wait that reached us
  int random_calls = 0;

  SysResult EpollCreate(int) override { return SysResult::Ok(3); }
  SysResult EpollCtl(int, int, int, uint32_t, uint64_t) override { return SysResult::Ok(0); }
  SysResult EpollWait(int, EpollEvent* events, int maxevents, int) override {
    inner_calls++;
    int n = std::min(maxevents, ready_events);
    for (int i = 0; i < n; i++) events[i] = {kEpollIn, static_cast<uint64_t>(100 + i)};
    return SysResult::Ok(n);
  }
  SysResult Socket(int, int, int) override { return SysResult::Ok(4); }
  SysResult SetSockOpt(int, int, int, int) override { return SysResult::Ok(0); }
  SysResult Bind(int, const SockAddr&) override { return SysResult::Ok(0); }
  SysResult Listen(int, int) override { return SysResult::Ok(0); }
  SysResult Accept4(int, SockAddr*, int) override {
    inner_calls++;
    if (pending_accepts == 0) return SysResult::Error(EAGAIN);
    pending_accepts--;
    return SysResult::Ok(next_fd_++);
  }
  SysResult GetSockName(int, SockAddr*) override { return SysResult::Ok(0); }
  SysResult Read(int fd, void* buf, size_t len) override {
    inner_calls++;
    std::string& in = input[fd];
    if (in.empty()) return SysResult::Error(EAGAIN);
    size_t n = std::min(len, in.size());
    std::memcpy(buf, in.data(), n);
    in.erase(0, n);
    return SysResult::Ok(static_cast<int64_t>(n));
  }
  SysResult Write(int fd, const void* buf, size_t len) override {
    inner_calls++;
    output[fd].append(static_cast<const char*>(buf), len);
    return SysResult::Ok(static_cast<int64_t>(len));
  }
  SysResult Writev(int fd, const IoVec* iov, int iovcnt) override {
    inner_calls++;
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
      output[fd].append(static_cast<const char*>(iov[i].base), iov[i].len);
      total += iov[i].len;
    }
    return SysResult::Ok(static_cast<int64_t>(total));
  }
  SysResult Close(int) override { return SysResult::Ok(0); }
  SysResult Shutdown(int fd, int how) override {
    shutdowns.emplace_back(fd, how);
    return SysResult::Ok(0);
  }
  int64_t MonotonicNs() override { return 0; }
  int64_t RealtimeNs() override { return 0; }
  void RandomBytes(void* buf, size_t len) override {
    random_calls++;
    std::memset(buf, 0, len);
  }
  void SleepNs(int64_t) override {}
  int64_t ProcessId() override { return 1; }
  bool StopRequested() override { return false; }

 private:
  int next_fd_ = 10;
};

FaultSpec Spec(const std::string& text) {
  FaultSpec spec;
  std::string error;
  EXPECT_TRUE(ParseFaultSpec(text, &spec, &error)) << error;
  return spec;
}

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i++) s[i] = static_cast<char>('a' + (i * 7) % 26);
  return s;
}

TEST(FaultSpecTest, ParsesTheDocumentedForm) {
  FaultSpec s = Spec("seed=7,rate=0.02,kinds=eagain,eintr,short,reset");
  EXPECT_EQ(s.seed, 7u);
  EXPECT_DOUBLE_EQ(s.rate, 0.02);
  EXPECT_TRUE(s.eagain && s.eintr && s.short_io && s.reset);
  EXPECT_EQ(s.ToString(), "seed=7,rate=0.02,kinds=eagain,eintr,short,reset");
}

TEST(FaultSpecTest, KindsListEndsAtTheNextField) {
  FaultSpec s = Spec("kinds=short,reset,rate=1,seed=3");
  EXPECT_FALSE(s.eagain);
  EXPECT_FALSE(s.eintr);
  EXPECT_TRUE(s.short_io && s.reset);
  EXPECT_DOUBLE_EQ(s.rate, 1.0);
  EXPECT_EQ(s.seed, 3u);
}

TEST(FaultSpecTest, DefaultsToEveryKindAndSeedOne) {
  FaultSpec s = Spec("rate=0.5");
  EXPECT_EQ(s.ToString(), "seed=1,rate=0.5,kinds=eagain,eintr,short,reset");
}

TEST(FaultSpecTest, RejectsBadInputWithOneLine) {
  for (const char* bad : {"", "seed=7", "rate=2", "rate=-0.1", "rate=abc", "rate=nan",
                          "rate=0.1,kinds=eagain,bogus", "rate=0.1,kinds=", "rate=0.1,color=red",
                          "seed=-1,rate=0.1", "seed=x,rate=0.1", "rate=0.1,"}) {
    FaultSpec s;
    std::string error;
    EXPECT_FALSE(ParseFaultSpec(bad, &s, &error)) << bad;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    EXPECT_EQ(error.rfind("fault spec: ", 0), 0u) << error;
  }
}

// Runs a fixed call sequence and returns every result.
std::vector<std::pair<int64_t, int>> RunSequence(const FaultSpec& spec, FaultCounters* counters) {
  StreamKernel inner;
  inner.ready_events = 8;
  inner.pending_accepts = 1000;
  FaultInjectingKernel k(inner, spec);
  std::vector<std::pair<int64_t, int>> results;
  char buf[64];
  EpollEvent events[16];
  for (int i = 0; i < 2000; i++) {
    inner.input[5] += "0123456789";
    SysResult r;
    switch (i % 4) {
      case 0: r = k.Read(5, buf, sizeof buf); break;
      case 1: r = k.Write(6, "hello world", 11); break;
      case 2: r = k.EpollWait(3, events, 16, 0); break;
      default: {
        SockAddr peer;
        r = k.Accept4(4, &peer, 0);
      }
    }
    results.emplace_back(r.value, r.err);
  }
  *counters = k.counters();
  EXPECT_EQ(inner.random_calls, 0) << "the injector must not use the server's random source";
  return results;
}

TEST(FaultInjectingKernelTest, SameSeedSameFaults) {
  FaultCounters a, b, c;
  auto first = RunSequence(Spec("seed=7,rate=0.1"), &a);
  auto second = RunSequence(Spec("seed=7,rate=0.1"), &b);
  auto other = RunSequence(Spec("seed=8,rate=0.1"), &c);
  EXPECT_EQ(first, second);
  EXPECT_EQ(a.ToString(), b.ToString());
  EXPECT_NE(first, other);
  EXPECT_EQ(a.eligible_calls, 2000u);
  // rate 0.1 of 2000 calls: about 200 (binomial sd ~13).
  EXPECT_GT(a.total(), 140u);
  EXPECT_LT(a.total(), 260u);
  EXPECT_GT(a.eagain, 0u);
  EXPECT_GT(a.eintr, 0u);
  EXPECT_GT(a.short_reads, 0u);
  EXPECT_GT(a.short_writes, 0u);
  EXPECT_GT(a.short_waits, 0u);
  EXPECT_GT(a.resets, 0u);
}

TEST(FaultInjectingKernelTest, RateZeroForwardsEverything) {
  StreamKernel inner;
  FaultInjectingKernel k(inner, Spec("rate=0"));
  inner.input[5] = Pattern(1000);
  char buf[2000];
  EXPECT_EQ(k.Read(5, buf, sizeof buf).value, 1000);
  EXPECT_EQ(k.Write(6, buf, 1000).value, 1000);
  EXPECT_EQ(k.counters().total(), 0u);
  EXPECT_EQ(k.counters().eligible_calls, 2u);
}

TEST(FaultInjectingKernelTest, EagainTouchesNothing) {
  StreamKernel inner;
  inner.pending_accepts = 1;
  inner.ready_events = 2;
  FaultInjectingKernel k(inner, Spec("rate=1,kinds=eagain"));
  inner.input[5] = "data";
  char buf[16];
  SockAddr peer;
  IoVec iov{"x", 1};
  EXPECT_EQ(k.Read(5, buf, sizeof buf).err, EAGAIN);
  EXPECT_EQ(k.Write(6, "abc", 3).err, EAGAIN);
  EXPECT_EQ(k.Writev(6, &iov, 1).err, EAGAIN);
  EXPECT_EQ(k.Accept4(4, &peer, 0).err, EAGAIN);
  EXPECT_EQ(inner.inner_calls, 0);
  EXPECT_EQ(inner.input[5], "data");  // still there for the next read
  EXPECT_EQ(inner.pending_accepts, 1);
  // epoll_wait never returns EAGAIN on Linux: with only eagain enabled it
  // is forwarded untouched.
  EpollEvent events[4];
  EXPECT_EQ(k.EpollWait(3, events, 4, 0).value, 2);
  EXPECT_EQ(k.counters().eagain, 4u);
}

TEST(FaultInjectingKernelTest, EintrOnEveryEligibleCall) {
  StreamKernel inner;
  inner.ready_events = 2;
  inner.pending_accepts = 1;
  FaultInjectingKernel k(inner, Spec("rate=1,kinds=eintr"));
  inner.input[5] = "data";
  char buf[16];
  SockAddr peer;
  EpollEvent events[4];
  IoVec iov{"x", 1};
  EXPECT_EQ(k.Read(5, buf, sizeof buf).err, EINTR);
  EXPECT_EQ(k.Write(6, "abc", 3).err, EINTR);
  EXPECT_EQ(k.Writev(6, &iov, 1).err, EINTR);
  EXPECT_EQ(k.Accept4(4, &peer, 0).err, EINTR);
  EXPECT_EQ(k.EpollWait(3, events, 4, 1000).err, EINTR);
  EXPECT_EQ(inner.inner_calls, 0);
  EXPECT_EQ(inner.input[5], "data");
  EXPECT_EQ(k.counters().eintr, 5u);
}

TEST(FaultInjectingKernelTest, ShortReadsLoseNoByte) {
  StreamKernel inner;
  FaultInjectingKernel k(inner, Spec("seed=11,rate=1,kinds=short"));
  const std::string sent = Pattern(100000);
  inner.input[5] = sent;
  std::string got;
  char buf[4096];
  int reads = 0;
  while (true) {
    SysResult r = k.Read(5, buf, sizeof buf);
    if (!r.ok()) {
      ASSERT_EQ(r.err, EAGAIN);  // the stream is drained
      break;
    }
    ASSERT_GE(r.value, 1);
    ASSERT_LT(r.value, static_cast<int64_t>(sizeof buf));  // every read is short
    got.append(buf, static_cast<size_t>(r.value));
    reads++;
  }
  EXPECT_EQ(got, sent);
  EXPECT_EQ(k.counters().short_reads, static_cast<uint64_t>(reads));
  // A one-byte read cannot be shorter: forwarded as is.
  inner.input[5] = "z";
  EXPECT_EQ(k.Read(5, buf, 1).value, 1);
}

TEST(FaultInjectingKernelTest, ShortWritesDeliverAPrefix) {
  StreamKernel inner;
  FaultInjectingKernel k(inner, Spec("seed=5,rate=1,kinds=short"));
  const std::string reply = Pattern(50000);
  size_t sent = 0;
  while (sent < reply.size()) {
    size_t left = reply.size() - sent;
    SysResult r = k.Write(6, reply.data() + sent, left);
    ASSERT_TRUE(r.ok());
    ASSERT_GE(r.value, 1);
    if (left > 1) {
      ASSERT_LT(static_cast<size_t>(r.value), left);
    }
    sent += static_cast<size_t>(r.value);
  }
  EXPECT_EQ(inner.output[6], reply);
}

TEST(FaultInjectingKernelTest, ShortWritevDeliversAPrefixAcrossBuffers) {
  StreamKernel inner;
  FaultInjectingKernel k(inner, Spec("seed=9,rate=1,kinds=short"));
  const std::string a = Pattern(300), b = "-middle-", c = Pattern(700);
  const std::string all = a + b + c;
  size_t sent = 0;
  while (sent < all.size()) {
    // Rebuild the vector from the unsent tail, as a server would.
    std::vector<IoVec> iov;
    size_t skip = sent;
    for (const std::string* s : {&a, &b, &c}) {
      if (skip >= s->size()) {
        skip -= s->size();
        continue;
      }
      iov.push_back({s->data() + skip, s->size() - skip});
      skip = 0;
    }
    SysResult r = k.Writev(6, iov.data(), static_cast<int>(iov.size()));
    ASSERT_TRUE(r.ok());
    ASSERT_GE(r.value, 1);
    sent += static_cast<size_t>(r.value);
  }
  EXPECT_EQ(inner.output[6], all);
  EXPECT_GT(k.counters().short_writes, 1u);
}

TEST(FaultInjectingKernelTest, ShortEpollWaitAsksForFewerEvents) {
  StreamKernel inner;
  inner.ready_events = 10;
  FaultInjectingKernel k(inner, Spec("seed=3,rate=1,kinds=short"));
  EpollEvent events[10];
  for (int i = 0; i < 50; i++) {
    SysResult r = k.EpollWait(3, events, 10, 0);
    ASSERT_TRUE(r.ok());
    EXPECT_GE(r.value, 1);
    EXPECT_LT(r.value, 10);
  }
  EXPECT_EQ(k.counters().short_waits, 50u);
}

TEST(FaultInjectingKernelTest, ResetShutsTheConnectionDown) {
  StreamKernel inner;
  FaultInjectingKernel k(inner, Spec("rate=1,kinds=reset"));
  inner.input[5] = "pending";
  char buf[16];
  EXPECT_EQ(k.Read(5, buf, sizeof buf).err, ECONNRESET);
  EXPECT_EQ(k.Write(6, "reply", 5).err, ECONNRESET);
  IoVec iov{"reply", 5};
  EXPECT_EQ(k.Writev(7, &iov, 1).err, ECONNRESET);
  // Nothing was read or written; each socket was really shut down, so the
  // peer sees the connection end too.
  EXPECT_EQ(inner.inner_calls, 0);
  EXPECT_EQ(inner.output[6], "");
  std::vector<std::pair<int, int>> want{{5, kShutRdWr}, {6, kShutRdWr}, {7, kShutRdWr}};
  EXPECT_EQ(inner.shutdowns, want);
  EXPECT_EQ(k.counters().resets, 3u);
  // Accept and epoll_wait have no reset: forwarded.
  SockAddr peer;
  EXPECT_EQ(k.Accept4(4, &peer, 0).err, EAGAIN);  // the inner kernel's own answer
  EXPECT_EQ(inner.inner_calls, 1);
}

TEST(FaultInjectingKernelTest, OtherCallsPassThrough) {
  StreamKernel inner;
  FaultInjectingKernel k(inner, Spec("rate=1"));
  EXPECT_EQ(k.EpollCreate(0).value, 3);
  EXPECT_EQ(k.Socket(2, 1, 0).value, 4);
  EXPECT_TRUE(k.Close(9).ok());
  uint64_t v = 1;
  k.RandomBytes(&v, sizeof v);
  EXPECT_EQ(v, 0u);
  EXPECT_EQ(inner.random_calls, 1);
  EXPECT_EQ(k.counters().eligible_calls, 0u);
}

}  // namespace
}  // namespace reel
