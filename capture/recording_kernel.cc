#include "capture/recording_kernel.h"

#include <climits>

namespace reel {

namespace {
constexpr int64_t kNsPerMs = 1000000;
// fds beyond this are not offset-tracked (no server has that many open; it
// keeps a bogus fd from growing the table without bound).
constexpr int kMaxTrackedFd = 1 << 22;
}  // namespace

RecordingKernel::Offsets& RecordingKernel::OffsetsOf(int fd) {
  if (fd < 0 || fd >= kMaxTrackedFd) {
    no_offsets_ = {};
    return no_offsets_;
  }
  if (static_cast<size_t>(fd) >= offsets_.size()) offsets_.resize(static_cast<size_t>(fd) + 64);
  return offsets_[static_cast<size_t>(fd)];
}

void RecordingKernel::ResetOffsets(int fd) {
  OffsetsOf(fd) = {};
}

// --- epoll ---

SysResult RecordingKernel::EpollCreate(int flags) {
  SysResult r = inner_.EpollCreate(flags);
  writer_.EpollCreate(Now(), flags, r);
  if (r.ok()) ResetOffsets(static_cast<int>(r.value));
  return r;
}

SysResult RecordingKernel::EpollCtl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
  SysResult r = inner_.EpollCtl(epfd, op, fd, events, data);
  writer_.EpollCtl(Now(), epfd, op, fd, events, data, r);
  return r;
}

SysResult RecordingKernel::WaitWithFlush(int epfd, EpollEvent* events, int maxevents,
                                         int timeout_ms, int64_t entry_ns) {
  int64_t deadline = writer_.flush_deadline_ns();
  if (timeout_ms == 0 || deadline == INT64_MAX)
    return inner_.EpollWait(epfd, events, maxevents, timeout_ms);
  if (entry_ns >= deadline) {
    writer_.Flush();
    return inner_.EpollWait(epfd, events, maxevents, timeout_ms);
  }
  int64_t until_deadline_ms = (deadline - entry_ns + kNsPerMs - 1) / kNsPerMs;
  if ((timeout_ms > 0 && until_deadline_ms >= timeout_ms) || until_deadline_ms > INT_MAX)
    return inner_.EpollWait(epfd, events, maxevents, timeout_ms);  // returns in time anyway
  // Wait until the deadline; if nothing happened by then, flush and wait for
  // the rest of the server's timeout.
  SysResult r = inner_.EpollWait(epfd, events, maxevents, static_cast<int>(until_deadline_ms));
  if (!r.ok() || r.value != 0) return r;
  writer_.Flush();
  if (timeout_ms < 0) return inner_.EpollWait(epfd, events, maxevents, -1);
  int64_t elapsed_ms = (Now() - entry_ns) / kNsPerMs;
  if (elapsed_ms >= timeout_ms) return r;
  return inner_.EpollWait(epfd, events, maxevents, static_cast<int>(timeout_ms - elapsed_ms));
}

SysResult RecordingKernel::EpollWait(int epfd, EpollEvent* events, int maxevents, int timeout_ms) {
  int64_t entry = Now();
  SysResult r = WaitWithFlush(epfd, events, maxevents, timeout_ms, entry);
  int64_t ret = Now();
  writer_.EpollWait(ret, epfd, maxevents, timeout_ms, ret - entry, r, events);
  return r;
}

// --- sockets ---

SysResult RecordingKernel::Socket(int domain, int type, int protocol) {
  SysResult r = inner_.Socket(domain, type, protocol);
  writer_.Socket(Now(), domain, type, protocol, r);
  if (r.ok()) ResetOffsets(static_cast<int>(r.value));
  return r;
}

SysResult RecordingKernel::SetSockOpt(int fd, int level, int name, int value) {
  SysResult r = inner_.SetSockOpt(fd, level, name, value);
  writer_.SetSockOpt(Now(), fd, level, name, value, r);
  return r;
}

SysResult RecordingKernel::Bind(int fd, const SockAddr& addr) {
  SysResult r = inner_.Bind(fd, addr);
  writer_.Bind(Now(), fd, addr, r);
  return r;
}

SysResult RecordingKernel::Listen(int fd, int backlog) {
  SysResult r = inner_.Listen(fd, backlog);
  writer_.Listen(Now(), fd, backlog, r);
  return r;
}

SysResult RecordingKernel::Accept4(int fd, SockAddr* peer, int flags) {
  SockAddr peer_addr;
  SysResult r = inner_.Accept4(fd, &peer_addr, flags);
  SockAddr local;
  if (r.ok()) {
    int cfd = static_cast<int>(r.value);
    // The local half of the 4-tuple; a failure leaves it unset (family 0).
    if (!inner_.GetSockName(cfd, &local).ok()) local = SockAddr{};
    ResetOffsets(cfd);
    if (peer) *peer = peer_addr;
  }
  writer_.Accept4(Now(), fd, flags, r, peer_addr, local);
  return r;
}

SysResult RecordingKernel::GetSockName(int fd, SockAddr* addr) {
  SockAddr a;
  SysResult r = inner_.GetSockName(fd, &a);
  writer_.GetSockName(Now(), fd, r, a);
  if (r.ok() && addr) *addr = a;
  return r;
}

// --- byte streams ---

SysResult RecordingKernel::Read(int fd, void* buf, size_t len) {
  SysResult r = inner_.Read(fd, buf, len);
  Offsets& o = OffsetsOf(fd);
  writer_.Read(Now(), fd, len, o.in, r);
  if (r.value > 0) o.in += static_cast<uint64_t>(r.value);
  return r;
}

SysResult RecordingKernel::Write(int fd, const void* buf, size_t len) {
  SysResult r = inner_.Write(fd, buf, len);
  Offsets& o = OffsetsOf(fd);
  writer_.Write(Now(), fd, len, o.out, r);
  if (r.value > 0) o.out += static_cast<uint64_t>(r.value);
  return r;
}

SysResult RecordingKernel::Writev(int fd, const IoVec* iov, int iovcnt) {
  SysResult r = inner_.Writev(fd, iov, iovcnt);
  uint64_t requested = 0;
  for (int i = 0; i < iovcnt && iov != nullptr; i++) requested += iov[i].len;
  Offsets& o = OffsetsOf(fd);
  writer_.Writev(Now(), fd, iovcnt, requested, o.out, r);
  if (r.value > 0) o.out += static_cast<uint64_t>(r.value);
  return r;
}

SysResult RecordingKernel::Close(int fd) {
  SysResult r = inner_.Close(fd);
  writer_.Close(Now(), fd, r);
  ResetOffsets(fd);  // Linux releases the fd number even when close fails
  return r;
}

SysResult RecordingKernel::Shutdown(int fd, int how) {
  SysResult r = inner_.Shutdown(fd, how);
  writer_.Shutdown(Now(), fd, how, r);
  return r;
}

// --- time and randomness ---

int64_t RecordingKernel::MonotonicNs() {
  int64_t v = inner_.MonotonicNs();
  writer_.Clock(v, trace::kClockMonotonic, v);  // the reading is its own timestamp
  return v;
}

int64_t RecordingKernel::RealtimeNs() {
  int64_t v = inner_.RealtimeNs();
  writer_.Clock(Now(), trace::kClockRealtime, v);
  return v;
}

void RecordingKernel::RandomBytes(void* buf, size_t len) {
  inner_.RandomBytes(buf, len);
  writer_.Random(Now(), buf, len);
}

void RecordingKernel::SleepNs(int64_t ns) {
  int64_t entry = Now();
  // A sleep is rare (DEBUG SLEEP): flush first rather than hold records
  // across it.
  if (ns > 0 && writer_.flush_deadline_ns() - ns <= entry) writer_.Flush();
  inner_.SleepNs(ns);
  int64_t ret = Now();
  writer_.Sleep(ret, ns, ret - entry);
}

// --- process ---

int64_t RecordingKernel::ProcessId() {
  int64_t pid = inner_.ProcessId();
  writer_.ProcessId(Now(), pid);
  return pid;
}

bool RecordingKernel::StopRequested() {
  bool stop = inner_.StopRequested();
  if (stop) writer_.StopRequested(Now());
  return stop;
}

}  // namespace reel
