// FaultInjectingKernel: a Kernel decorator that forwards every call to an
// inner Kernel and, at a seeded rate, turns some of them into the failures a
// real kernel can produce on a loaded machine: EAGAIN, EINTR, short reads and
// writes, and a connection reset. It exists to test the server's error paths
// under a real workload (reel-server --inject-faults, docs/server.md).
//
// Rules that keep every injected fault something Linux could have done:
//  * Which call faults is decided by the decorator's own PRNG (splitmix64),
//    seeded from the spec, never from the inner kernel's random source: the
//    same seed and the same sequence of calls give the same faults, and the
//    server's own randomness (hash seed, RANDOMKEY, ...) is left untouched.
//  * EAGAIN/EINTR are returned without calling the inner kernel, so nothing
//    is consumed or sent: the bytes or the connection wait for the next call.
//    epoll_wait gets EINTR only (it never returns EAGAIN). EINTR from a
//    non-blocking socket call is allowed by POSIX though rare on Linux;
//    Redis's connection layer treats it like EAGAIN, and so must reel.
//  * A short read asks the inner kernel for fewer bytes, so the rest stays in
//    the socket and no byte is lost. A short write hands the inner kernel a
//    prefix, so the result is exactly what a full socket buffer would give.
//    A short epoll_wait asks for fewer events (level-triggered readiness
//    that is not reported now is reported by the next wait).
//  * A reset (ECONNRESET from read/write/writev) really ends the connection:
//    the decorator shuts the socket down in both directions through the
//    inner kernel before returning the error. The peer then sees the
//    connection closed (EOF, or RST once the server closes it with unread
//    data), just as after a real reset it could no longer talk to the
//    server; and any further call the server makes on that fd gets the real
//    kernel's answer for a dead socket (read 0, write EPIPE). Returning the
//    error while leaving the socket open would let a server that does not
//    close at once keep serving a peer it believes is gone.
//
// Placement: reel-server puts it under the RecordingKernel
// (LinuxKernel -> FaultInjectingKernel -> RecordingKernel -> Server), so a
// recording contains the faults as the server saw them and replays exactly.
//
// Not thread-safe: reel-server calls its Kernel from one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/kernel.h"

namespace reel {

// What --inject-faults asks for: "seed=7,rate=0.02,kinds=eagain,eintr,short,reset".
struct FaultSpec {
  uint64_t seed = 1;
  double rate = 0;  // probability that an eligible call faults, 0..1
  bool eagain = true;
  bool eintr = true;
  bool short_io = true;
  bool reset = true;

  std::string ToString() const;
};

// Parses a spec. Fields: seed=N (default 1), rate=R (required, 0..1),
// kinds=K[,K...] with K in eagain|eintr|short|reset (default: all). The
// kinds list runs to the next key=value field. False with a one-line *error.
bool ParseFaultSpec(std::string_view text, FaultSpec* spec, std::string* error);

// How many calls could have faulted, and how many did, by kind.
struct FaultCounters {
  uint64_t eligible_calls = 0;
  uint64_t eagain = 0;
  uint64_t eintr = 0;
  uint64_t short_reads = 0;
  uint64_t short_writes = 0;
  uint64_t short_waits = 0;  // epoll_wait asked for fewer events
  uint64_t resets = 0;

  uint64_t total() const {
    return eagain + eintr + short_reads + short_writes + short_waits + resets;
  }
  // "123 faults in 4567 eligible calls: eagain 30, eintr 31, ..."
  std::string ToString() const;
};

class FaultInjectingKernel final : public Kernel {
 public:
  FaultInjectingKernel(Kernel& inner, const FaultSpec& spec);

  SysResult EpollCreate(int flags) override { return inner_.EpollCreate(flags); }
  SysResult EpollCtl(int epfd, int op, int fd, uint32_t events, uint64_t data) override {
    return inner_.EpollCtl(epfd, op, fd, events, data);
  }
  SysResult EpollWait(int epfd, EpollEvent* events, int maxevents, int timeout_ms) override;

  SysResult Socket(int domain, int type, int protocol) override {
    return inner_.Socket(domain, type, protocol);
  }
  SysResult SetSockOpt(int fd, int level, int name, int value) override {
    return inner_.SetSockOpt(fd, level, name, value);
  }
  SysResult Bind(int fd, const SockAddr& addr) override { return inner_.Bind(fd, addr); }
  SysResult Listen(int fd, int backlog) override { return inner_.Listen(fd, backlog); }
  SysResult Accept4(int fd, SockAddr* peer, int flags) override;
  SysResult GetSockName(int fd, SockAddr* addr) override { return inner_.GetSockName(fd, addr); }

  SysResult Read(int fd, void* buf, size_t len) override;
  SysResult Write(int fd, const void* buf, size_t len) override;
  SysResult Writev(int fd, const IoVec* iov, int iovcnt) override;
  SysResult Close(int fd) override { return inner_.Close(fd); }
  SysResult Shutdown(int fd, int how) override { return inner_.Shutdown(fd, how); }

  int64_t MonotonicNs() override { return inner_.MonotonicNs(); }
  int64_t RealtimeNs() override { return inner_.RealtimeNs(); }
  void RandomBytes(void* buf, size_t len) override { inner_.RandomBytes(buf, len); }
  void SleepNs(int64_t ns) override { inner_.SleepNs(ns); }

  int64_t ProcessId() override { return inner_.ProcessId(); }
  bool StopRequested() override { return inner_.StopRequested(); }

  const FaultCounters& counters() const { return counters_; }
  const FaultSpec& spec() const { return spec_; }

 private:
  enum class Fault { kNone, kEagain, kEintr, kShort, kReset };
  // Rolls the dice for one eligible call: first whether it faults (one draw
  // for every eligible call, so the decision sequence depends only on the
  // call sequence), then which of the kinds this call may get, among those
  // the spec enables. kNone most of the time.
  Fault Pick(bool eagain, bool eintr, bool short_io, bool reset);
  uint64_t Next();  // splitmix64
  // A length in [1, len) for a short read/write; len must be > 1.
  size_t ShortLength(size_t len);
  SysResult Reset(int fd);

  Kernel& inner_;
  FaultSpec spec_;
  uint64_t state_;
  FaultCounters counters_;
  std::vector<IoVec> short_iov_;  // reused prefix of a writev's iovecs
};

}  // namespace reel
