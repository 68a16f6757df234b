// The Kernel seam: every OS facility the server touches goes through this
// interface (leveldb's Env pattern). The server receives a Kernel& and never
// reaches the OS any other way, so the same server code can run on the real
// kernel (LinuxKernel), be recorded (RecordingKernel, a decorator), or be
// replayed deterministically on a model (ModelKernel).
//
// Every call returns a SysResult: the syscall's return value and, when it
// failed, its errno. Constants use the Linux ABI values so a recorded value
// means the same thing in every implementation; linux_kernel.cc checks them
// against the system headers at compile time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/sock_addr.h"

namespace reel {

struct SysResult {
  int64_t value = 0;  // the syscall's return value (-1 on failure)
  int err = 0;        // errno when value < 0, otherwise 0

  bool ok() const { return value >= 0; }
  static SysResult Ok(int64_t v) { return {v, 0}; }
  static SysResult Error(int e) { return {-1, e}; }
};

// epoll event bits (Linux ABI values, see <sys/epoll.h>).
inline constexpr uint32_t kEpollIn = 0x001;
inline constexpr uint32_t kEpollPri = 0x002;
inline constexpr uint32_t kEpollOut = 0x004;
inline constexpr uint32_t kEpollErr = 0x008;
inline constexpr uint32_t kEpollHup = 0x010;
inline constexpr uint32_t kEpollRdHup = 0x2000;
inline constexpr uint32_t kEpollExclusive = 1u << 28;
inline constexpr uint32_t kEpollWakeup = 1u << 29;
inline constexpr uint32_t kEpollOneShot = 1u << 30;
inline constexpr uint32_t kEpollEt = 1u << 31;

// epoll_ctl operations.
inline constexpr int kEpollCtlAdd = 1;
inline constexpr int kEpollCtlDel = 2;
inline constexpr int kEpollCtlMod = 3;

// Flags for epoll_create1 and accept4 / socket types.
inline constexpr int kCloexec = 02000000;  // EPOLL_CLOEXEC == SOCK_CLOEXEC == O_CLOEXEC
inline constexpr int kNonblock = 04000;    // SOCK_NONBLOCK == O_NONBLOCK
inline constexpr int kSockStream = 1;      // SOCK_STREAM

// Socket option levels and names used by the server.
inline constexpr int kSolSocket = 1;     // SOL_SOCKET
inline constexpr int kSoReuseAddr = 2;   // SO_REUSEADDR
inline constexpr int kSoKeepAlive = 9;   // SO_KEEPALIVE
inline constexpr int kIpProtoTcp = 6;    // IPPROTO_TCP
inline constexpr int kTcpNoDelay = 1;    // TCP_NODELAY
inline constexpr int kIpProtoIpv6 = 41;  // IPPROTO_IPV6
inline constexpr int kIpv6V6Only = 26;   // IPV6_V6ONLY

// shutdown() modes.
inline constexpr int kShutRd = 0;
inline constexpr int kShutWr = 1;
inline constexpr int kShutRdWr = 2;

// One entry of an epoll_wait result (struct epoll_event without packing
// concerns: the Linux implementation converts).
struct EpollEvent {
  uint32_t events = 0;
  uint64_t data = 0;
};

struct IoVec {
  const void* base = nullptr;
  size_t len = 0;
};

class Kernel {
 public:
  virtual ~Kernel() = default;

  // --- epoll ---
  virtual SysResult EpollCreate(int flags) = 0;
  virtual SysResult EpollCtl(int epfd, int op, int fd, uint32_t events, uint64_t data) = 0;
  // Fills events[0..result) and returns the count, like epoll_wait(2).
  virtual SysResult EpollWait(int epfd, EpollEvent* events, int maxevents, int timeout_ms) = 0;

  // --- sockets ---
  virtual SysResult Socket(int domain, int type, int protocol) = 0;
  virtual SysResult SetSockOpt(int fd, int level, int name, int value) = 0;
  virtual SysResult Bind(int fd, const SockAddr& addr) = 0;
  virtual SysResult Listen(int fd, int backlog) = 0;
  // accept4(2); on success *peer holds the client's address.
  virtual SysResult Accept4(int fd, SockAddr* peer, int flags) = 0;
  virtual SysResult GetSockName(int fd, SockAddr* addr) = 0;

  // --- byte streams ---
  virtual SysResult Read(int fd, void* buf, size_t len) = 0;
  virtual SysResult Write(int fd, const void* buf, size_t len) = 0;
  virtual SysResult Writev(int fd, const IoVec* iov, int iovcnt) = 0;
  virtual SysResult Close(int fd) = 0;
  virtual SysResult Shutdown(int fd, int how) = 0;

  // --- time and randomness ---
  virtual int64_t MonotonicNs() = 0;  // CLOCK_MONOTONIC
  virtual int64_t RealtimeNs() = 0;   // CLOCK_REALTIME
  virtual void RandomBytes(void* buf, size_t len) = 0;
  // Blocks the calling thread (DEBUG SLEEP). A model kernel advances its
  // virtual clock instead.
  virtual void SleepNs(int64_t ns) = 0;

  // --- process ---
  virtual int64_t ProcessId() = 0;
  // True once SIGINT/SIGTERM asked the process to stop. The reactor polls it
  // after every epoll_wait (which returns EINTR when a signal arrives).
  virtual bool StopRequested() = 0;

  // Convenience: one 64-bit random number from RandomBytes.
  uint64_t RandomU64() {
    uint64_t v = 0;
    RandomBytes(&v, sizeof v);
    return v;
  }
  int64_t MonotonicMs() { return MonotonicNs() / 1000000; }
  int64_t RealtimeMs() { return RealtimeNs() / 1000000; }
  int64_t RealtimeUs() { return RealtimeNs() / 1000; }
};

}  // namespace reel
