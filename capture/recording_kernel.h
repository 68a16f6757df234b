// RecordingKernel: a Kernel decorator (leveldb's EnvWrapper pattern) that
// forwards every call to another Kernel and appends the call, its arguments
// and its result to an event log through a TraceWriter. reel-server --record
// wraps its LinuxKernel in one; replay reads the log back.
//
// What is recorded, beyond "every call" (docs/trace-format.md has details):
//  * Timestamps are the inner kernel's MonotonicNs() when the call returned
//    (epoll_wait and sleep also store how long they blocked). Those extra
//    clock reads are not recorded as clock records; the server's own are.
//  * accept4 also stores the accepted socket's local address, fetched with an
//    extra (unrecorded) inner GetSockName, so the fd joins a pcap 4-tuple.
//  * read/write/writev store the fd's stream offset: bytes moved in that
//    direction since the fd was created (accept4/socket/epoll_create) or since
//    recording began.
//  * StopRequested() is recorded only when it returns true; replay answers
//    false until it meets that record.
//  * To honour the writer's flush interval while the server is idle, an
//    epoll_wait that could block past the writer's flush deadline is split in
//    two inner waits with a flush between them; the server and the log see
//    one call with the original timeout and the final result.
//
// Not thread-safe: reel-server calls its Kernel from one thread.
#pragma once

#include <cstdint>
#include <vector>

#include "capture/trace_writer.h"
#include "core/kernel.h"

namespace reel {

class RecordingKernel final : public Kernel {
 public:
  RecordingKernel(Kernel& inner, TraceWriter& writer) : inner_(inner), writer_(writer) {}

  SysResult EpollCreate(int flags) override;
  SysResult EpollCtl(int epfd, int op, int fd, uint32_t events, uint64_t data) override;
  SysResult EpollWait(int epfd, EpollEvent* events, int maxevents, int timeout_ms) override;

  SysResult Socket(int domain, int type, int protocol) override;
  SysResult SetSockOpt(int fd, int level, int name, int value) override;
  SysResult Bind(int fd, const SockAddr& addr) override;
  SysResult Listen(int fd, int backlog) override;
  SysResult Accept4(int fd, SockAddr* peer, int flags) override;
  SysResult GetSockName(int fd, SockAddr* addr) override;

  SysResult Read(int fd, void* buf, size_t len) override;
  SysResult Write(int fd, const void* buf, size_t len) override;
  SysResult Writev(int fd, const IoVec* iov, int iovcnt) override;
  SysResult Close(int fd) override;
  SysResult Shutdown(int fd, int how) override;

  int64_t MonotonicNs() override;
  int64_t RealtimeNs() override;
  void RandomBytes(void* buf, size_t len) override;
  void SleepNs(int64_t ns) override;

  int64_t ProcessId() override;
  bool StopRequested() override;

  Kernel& inner() { return inner_; }

 private:
  struct Offsets {
    uint64_t in = 0;   // bytes read from the fd
    uint64_t out = 0;  // bytes written to the fd
  };
  Offsets& OffsetsOf(int fd);
  void ResetOffsets(int fd);
  int64_t Now() { return inner_.MonotonicNs(); }
  SysResult WaitWithFlush(int epfd, EpollEvent* events, int maxevents, int timeout_ms,
                          int64_t entry_ns);

  Kernel& inner_;
  TraceWriter& writer_;
  std::vector<Offsets> offsets_;  // indexed by fd
  Offsets no_offsets_;            // for negative fds
};

}  // namespace reel
