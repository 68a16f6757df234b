// LinuxKernel: the real syscalls behind the Kernel seam. This is the only
// server file that includes the OS headers for epoll, sockets, clocks and
// randomness; everything else reaches the OS through a Kernel&.
#pragma once

#include "core/kernel.h"

namespace reel {

class LinuxKernel final : public Kernel {
 public:
  LinuxKernel();

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

  // Installs SIGINT/SIGTERM handlers that make StopRequested() true, and
  // ignores SIGPIPE (writes to closed peers return EPIPE instead).
  // Process-wide by nature: a signal handler can only reach static state.
  static void InstallStopSignals();

  ~LinuxKernel() override;
  LinuxKernel(const LinuxKernel&) = delete;
  LinuxKernel& operator=(const LinuxKernel&) = delete;

 private:
  struct EpollBuffer;
  EpollBuffer* scratch_ = nullptr;  // reused epoll_event array (no OS types in this header)
};

}  // namespace reel
