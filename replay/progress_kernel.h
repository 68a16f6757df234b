// A Kernel that forwards every call to another and ticks a ProgressSink
// once per call: progress for a replay whose loop is reel-server's own
// (the recorded schedule, reel-server on the model), without touching the
// kernels that answer. The total is the event log's record count; on the
// recorded schedule every call consumes one record, on the model it is the
// recording the run follows. It adds nothing to what the server sees.
#pragma once

#include <cstdint>

#include "core/kernel.h"
#include "replay/progress_meter.h"

namespace reel::replay {

class ProgressKernel final : public Kernel {
 public:
  ProgressKernel(Kernel& inner, ProgressSink* sink, uint64_t total)
      : inner_(inner), sink_(sink), total_(total) {}

  SysResult EpollCreate(int flags) override { return Tick(), inner_.EpollCreate(flags); }
  SysResult EpollCtl(int epfd, int op, int fd, uint32_t events, uint64_t data) override {
    return Tick(), inner_.EpollCtl(epfd, op, fd, events, data);
  }
  SysResult EpollWait(int epfd, EpollEvent* events, int maxevents, int timeout_ms) override {
    return Tick(), inner_.EpollWait(epfd, events, maxevents, timeout_ms);
  }
  SysResult Socket(int domain, int type, int protocol) override {
    return Tick(), inner_.Socket(domain, type, protocol);
  }
  SysResult SetSockOpt(int fd, int level, int name, int value) override {
    return Tick(), inner_.SetSockOpt(fd, level, name, value);
  }
  SysResult Bind(int fd, const SockAddr& addr) override { return Tick(), inner_.Bind(fd, addr); }
  SysResult Listen(int fd, int backlog) override { return Tick(), inner_.Listen(fd, backlog); }
  SysResult Accept4(int fd, SockAddr* peer, int flags) override {
    return Tick(), inner_.Accept4(fd, peer, flags);
  }
  SysResult GetSockName(int fd, SockAddr* addr) override {
    return Tick(), inner_.GetSockName(fd, addr);
  }
  SysResult Read(int fd, void* buf, size_t len) override {
    return Tick(), inner_.Read(fd, buf, len);
  }
  SysResult Write(int fd, const void* buf, size_t len) override {
    return Tick(), inner_.Write(fd, buf, len);
  }
  SysResult Writev(int fd, const IoVec* iov, int iovcnt) override {
    return Tick(), inner_.Writev(fd, iov, iovcnt);
  }
  SysResult Close(int fd) override { return Tick(), inner_.Close(fd); }
  SysResult Shutdown(int fd, int how) override { return Tick(), inner_.Shutdown(fd, how); }
  int64_t MonotonicNs() override { return Tick(), inner_.MonotonicNs(); }
  int64_t RealtimeNs() override { return Tick(), inner_.RealtimeNs(); }
  void RandomBytes(void* buf, size_t len) override {
    Tick();
    inner_.RandomBytes(buf, len);
  }
  void SleepNs(int64_t ns) override {
    Tick();
    inner_.SleepNs(ns);
  }
  int64_t ProcessId() override { return Tick(), inner_.ProcessId(); }
  // Not ticked: the reactor polls it after every epoll_wait, and the log
  // holds a record for it only when a stop was requested.
  bool StopRequested() override { return inner_.StopRequested(); }

  uint64_t calls() const { return calls_; }

 private:
  void Tick() {
    if (sink_) sink_->Progress(++calls_, total_);
  }

  Kernel& inner_;
  ProgressSink* sink_;
  uint64_t total_;
  uint64_t calls_ = 0;
};

}  // namespace reel::replay
