#include "server/linux_kernel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace reel {

// The seam's constants must be the kernel's own values: recorded traces store
// them verbatim and the model interprets them.
static_assert(kEpollIn == EPOLLIN && kEpollOut == EPOLLOUT && kEpollErr == EPOLLERR);
static_assert(kEpollHup == EPOLLHUP && kEpollRdHup == EPOLLRDHUP && kEpollPri == EPOLLPRI);
static_assert(kEpollEt == static_cast<uint32_t>(EPOLLET) && kEpollOneShot == EPOLLONESHOT);
static_assert(kEpollExclusive == EPOLLEXCLUSIVE && kEpollWakeup == EPOLLWAKEUP);
static_assert(kEpollCtlAdd == EPOLL_CTL_ADD && kEpollCtlDel == EPOLL_CTL_DEL &&
              kEpollCtlMod == EPOLL_CTL_MOD);
static_assert(kCloexec == SOCK_CLOEXEC && kCloexec == EPOLL_CLOEXEC && kNonblock == SOCK_NONBLOCK);
static_assert(kSockStream == SOCK_STREAM && kAfInet == AF_INET && kAfInet6 == AF_INET6);
static_assert(kSolSocket == SOL_SOCKET && kSoReuseAddr == SO_REUSEADDR &&
              kSoKeepAlive == SO_KEEPALIVE);
static_assert(kIpProtoTcp == IPPROTO_TCP && kTcpNoDelay == TCP_NODELAY);
static_assert(kIpProtoIpv6 == IPPROTO_IPV6 && kIpv6V6Only == IPV6_V6ONLY);
static_assert(kShutRd == SHUT_RD && kShutWr == SHUT_WR && kShutRdWr == SHUT_RDWR);
static_assert(sizeof(IoVec) == sizeof(struct iovec));

namespace {

volatile sig_atomic_t g_stop_requested = 0;  // written only by the signal handler

void OnStopSignal(int) {
  g_stop_requested = 1;
}

SysResult FromRet(int64_t ret) {
  return ret < 0 ? SysResult::Error(errno) : SysResult::Ok(ret);
}

socklen_t ToSockaddr(const SockAddr& a, sockaddr_storage* ss) {
  std::memset(ss, 0, sizeof *ss);
  if (a.family == kAfInet6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(a.port);
    std::memcpy(&s6->sin6_addr, a.addr.data(), 16);
    return sizeof(sockaddr_in6);
  }
  auto* s4 = reinterpret_cast<sockaddr_in*>(ss);
  s4->sin_family = AF_INET;
  s4->sin_port = htons(a.port);
  std::memcpy(&s4->sin_addr, a.addr.data(), 4);
  return sizeof(sockaddr_in);
}

void FromSockaddr(const sockaddr_storage& ss, SockAddr* a) {
  *a = SockAddr{};
  if (ss.ss_family == AF_INET6) {
    const auto* s6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    a->family = kAfInet6;
    a->port = ntohs(s6->sin6_port);
    std::memcpy(a->addr.data(), &s6->sin6_addr, 16);
  } else if (ss.ss_family == AF_INET) {
    const auto* s4 = reinterpret_cast<const sockaddr_in*>(&ss);
    a->family = kAfInet;
    a->port = ntohs(s4->sin_port);
    std::memcpy(a->addr.data(), &s4->sin_addr, 4);
  }
}

int64_t ClockNs(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

struct LinuxKernel::EpollBuffer {
  std::vector<epoll_event> events;
};

LinuxKernel::LinuxKernel() : scratch_(new EpollBuffer) {}
LinuxKernel::~LinuxKernel() {
  delete scratch_;
}

void LinuxKernel::InstallStopSignals() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: epoll_wait must return EINTR
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

SysResult LinuxKernel::EpollCreate(int flags) {
  return FromRet(epoll_create1(flags));
}

SysResult LinuxKernel::EpollCtl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = data;
  return FromRet(epoll_ctl(epfd, op, fd, &ev));
}

SysResult LinuxKernel::EpollWait(int epfd, EpollEvent* events, int maxevents, int timeout_ms) {
  if (maxevents <= 0) return SysResult::Error(EINVAL);
  auto& buf = scratch_->events;
  if (static_cast<int>(buf.size()) < maxevents) buf.resize(maxevents);
  int n = epoll_wait(epfd, buf.data(), maxevents, timeout_ms);
  if (n < 0) return SysResult::Error(errno);
  for (int i = 0; i < n; i++) {
    events[i].events = buf[i].events;
    events[i].data = buf[i].data.u64;
  }
  return SysResult::Ok(n);
}

SysResult LinuxKernel::Socket(int domain, int type, int protocol) {
  return FromRet(socket(domain, type, protocol));
}

SysResult LinuxKernel::SetSockOpt(int fd, int level, int name, int value) {
  return FromRet(setsockopt(fd, level, name, &value, sizeof value));
}

SysResult LinuxKernel::Bind(int fd, const SockAddr& addr) {
  sockaddr_storage ss;
  socklen_t len = ToSockaddr(addr, &ss);
  return FromRet(bind(fd, reinterpret_cast<sockaddr*>(&ss), len));
}

SysResult LinuxKernel::Listen(int fd, int backlog) {
  return FromRet(listen(fd, backlog));
}

SysResult LinuxKernel::Accept4(int fd, SockAddr* peer, int flags) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  int cfd = accept4(fd, reinterpret_cast<sockaddr*>(&ss), &len, flags);
  if (cfd < 0) return SysResult::Error(errno);
  if (peer) FromSockaddr(ss, peer);
  return SysResult::Ok(cfd);
}

SysResult LinuxKernel::GetSockName(int fd, SockAddr* addr) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return SysResult::Error(errno);
  FromSockaddr(ss, addr);
  return SysResult::Ok(0);
}

SysResult LinuxKernel::Read(int fd, void* buf, size_t len) {
  return FromRet(read(fd, buf, len));
}

SysResult LinuxKernel::Write(int fd, const void* buf, size_t len) {
  return FromRet(write(fd, buf, len));
}

SysResult LinuxKernel::Writev(int fd, const IoVec* iov, int iovcnt) {
  return FromRet(writev(fd, reinterpret_cast<const iovec*>(iov), iovcnt));
}

SysResult LinuxKernel::Close(int fd) {
  return FromRet(close(fd));
}

SysResult LinuxKernel::Shutdown(int fd, int how) {
  return FromRet(shutdown(fd, how));
}

int64_t LinuxKernel::MonotonicNs() {
  return ClockNs(CLOCK_MONOTONIC);
}
int64_t LinuxKernel::RealtimeNs() {
  return ClockNs(CLOCK_REALTIME);
}

void LinuxKernel::RandomBytes(void* buf, size_t len) {
  auto* p = static_cast<uint8_t*>(buf);
  while (len > 0) {
    ssize_t n = getrandom(p, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // getrandom cannot fail on Linux >= 3.17 for these sizes; fall back to
      // a clock-derived value rather than leaving the buffer uninitialised.
      uint64_t t = static_cast<uint64_t>(MonotonicNs());
      for (size_t i = 0; i < len; i++) p[i] = static_cast<uint8_t>(t >> ((i % 8) * 8));
      return;
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
}

void LinuxKernel::SleepNs(int64_t ns) {
  if (ns <= 0) return;
  timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  // Sleep the whole interval even if a signal interrupts it, as DEBUG SLEEP does.
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

int64_t LinuxKernel::ProcessId() {
  return getpid();
}

bool LinuxKernel::StopRequested() {
  return g_stop_requested != 0;
}

}  // namespace reel
