// libreel-preload.so: the interposed libc entry points. Each wrapper calls
// the real function (RealLibc, or the raw syscall before it is resolved),
// saves errno, records the call through the Recorder when it should, and
// returns exactly what libc returned with errno restored.
//
// What is recorded (docs/capture.md has the user-facing version):
//  * epoll_create/epoll_create1/epoll_ctl/epoll_wait/epoll_pwait/epoll_pwait2
//    on every epoll instance; pwait/pwait2 are stored as epoll_wait records
//    (pwait2's timespec rounded up to ms, NULL = -1).
//  * socket/bind/listen/setsockopt/accept/accept4/shutdown on every fd.
//  * read/recv/recvfrom/readv (as read records) and write/send/sendto (as
//    write records) and writev only on fds the table knows as sockets;
//    close on sockets and epoll fds. recv/recvfrom with MSG_PEEK are not
//    recorded (they consume nothing, and the log's stream offsets count
//    consumed bytes).
//  * The exec family is interposed (not recorded) so the log is flushed and
//    complete before the process image is replaced (Recorder::BeforeExec).
#include <alloca.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <climits>
#include <cstdarg>
#include <cstring>

#include "capture/preload/real_libc.h"
#include "capture/preload/recorder.h"

#define REEL_EXPORT extern "C" __attribute__((visibility("default")))

namespace reel::preload {
namespace {

static_assert(kEpollCtlAdd == EPOLL_CTL_ADD && kCloexec == EPOLL_CLOEXEC);

Recorder& R() {
  return Recorder::Get();
}

SysResult Result(int64_t ret, int err) {
  return ret < 0 ? SysResult::Error(err) : SysResult::Ok(ret);
}

SockAddr FromSockaddr(const sockaddr* sa, socklen_t len) {
  SockAddr a;
  if (sa == nullptr) return a;
  if (sa->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    sockaddr_in s4;
    memcpy(&s4, sa, sizeof s4);
    a.family = kAfInet;
    a.port = ntohs(s4.sin_port);
    memcpy(a.addr.data(), &s4.sin_addr, 4);
  } else if (sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    sockaddr_in6 s6;
    memcpy(&s6, sa, sizeof s6);
    a.family = kAfInet6;
    a.port = ntohs(s6.sin6_port);
    memcpy(a.addr.data(), &s6.sin6_addr, 16);
  }
  return a;  // AF_UNIX and others: family 0 (the format carries no path)
}

SockAddr PeerOf(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  return FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

SockAddr LocalOf(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  return FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

bool IsSocket(int fd) {
  return R().fds().Kind(fd) == FdKind::kSocket;
}

uint64_t IovTotal(const iovec* iov, int iovcnt) {
  uint64_t total = 0;
  if (iov == nullptr) return 0;
  for (int i = 0; i < iovcnt; i++) total += iov[i].iov_len;
  return total;
}

// --- recording helpers (errno is saved by the callers) ---

void RecordRead(int fd, uint64_t requested, ssize_t ret, int err) {
  R().Record([&](TraceWriter& w, int64_t now) {
    FdTable::Entry* e = R().fds().Get(fd);
    uint64_t offset = e ? e->read_offset : 0;
    w.Read(now, fd, requested, offset, Result(ret, err));
    if (e && ret > 0) e->read_offset += static_cast<uint64_t>(ret);
  });
}

void RecordWrite(int fd, int iovcnt, uint64_t requested, ssize_t ret, int err) {
  R().Record([&](TraceWriter& w, int64_t now) {
    FdTable::Entry* e = R().fds().Get(fd);
    uint64_t offset = e ? e->write_offset : 0;
    if (iovcnt < 0)
      w.Write(now, fd, requested, offset, Result(ret, err));
    else
      w.Writev(now, fd, iovcnt, requested, offset, Result(ret, err));
    if (e && ret > 0) e->write_offset += static_cast<uint64_t>(ret);
  });
}

void RecordAccept(int lfd, int flags, int ret, int err, const sockaddr* addr, const socklen_t* len,
                  socklen_t given_len) {
  SockAddr peer, local;
  if (ret >= 0) {
    // The caller's buffer holds the peer unless it was absent or too short.
    if (addr != nullptr && len != nullptr && *len <= given_len)
      peer = FromSockaddr(addr, *len);
    else
      peer = PeerOf(ret);
    local = LocalOf(ret);
  }
  R().Record([&](TraceWriter& w, int64_t now) {
    w.Accept4(now, lfd, flags, Result(ret, err), peer, local);
    if (ret >= 0) R().fds().Created(ret, FdKind::kSocket);
  });
}

// The ms value stored for a timespec timeout: rounded up; NULL = infinite.
int TimespecToMs(const timespec* ts) {
  if (ts == nullptr) return -1;
  int64_t ms = static_cast<int64_t>(ts->tv_sec) * 1000 + (ts->tv_nsec + 999999) / 1000000;
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

// While a wait is split around a flush, a signal must still interrupt it as
// it would interrupt the single wait the host asked for; otherwise a signal
// arriving during the flush would run its handler while the host is
// "inside" epoll_wait and the call would sleep on for its whole timeout
// (forever with -1), although a handler that only sets a flag relies on the
// EINTR. So between the pieces every signal is blocked, and each piece is an
// epoll_pwait with the host's mask: a signal that arrives during the flush
// stays pending until the next piece starts, which it then interrupts (the
// pselect pattern). Synchronous fault signals are left unblocked.
class BlockSignalsBetweenWaits {
 public:
  BlockSignalsBetweenWaits() {
    sigset_t all;
    sigfillset(&all);
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS}) sigdelset(&all, sig);
    pthread_sigmask(SIG_BLOCK, &all, &host_mask_);
  }
  ~BlockSignalsBetweenWaits() {
    int saved_errno = errno;
    pthread_sigmask(SIG_SETMASK, &host_mask_, nullptr);
    errno = saved_errno;
  }
  BlockSignalsBetweenWaits(const BlockSignalsBetweenWaits&) = delete;
  BlockSignalsBetweenWaits& operator=(const BlockSignalsBetweenWaits&) = delete;
  const sigset_t* host_mask() const { return &host_mask_; }

 private:
  sigset_t host_mask_;
};

// Runs an epoll wait and records it. wait(timeout_ns, mask) performs one
// real wait (timeout_ns < 0: infinite; mask != nullptr: with that signal
// mask in effect during the wait, as epoll_pwait does) and returns its
// result with errno set.
// A wait that could block past the writer's flush deadline is split in two
// around a flush, so a log never sits in memory while the server idles.
template <class WaitFn>
int RecordedWait(int epfd, epoll_event* events, int maxevents, int timeout_ms_field,
                 int64_t timeout_ns, WaitFn wait) {
  if (!R().ShouldRecord()) return wait(timeout_ns, nullptr);
  const int64_t entry = MonotonicNs();
  const int64_t deadline = timeout_ns < 0 ? INT64_MAX : entry + timeout_ns;
  int64_t flush_at = timeout_ns == 0 ? INT64_MAX : R().FlushDeadline();
  int ret;
  if (flush_at >= deadline) {
    ret = wait(timeout_ns, nullptr);  // returns before the deadline anyway: one wait
  } else {
    BlockSignalsBetweenWaits blocked;
    int64_t now = entry;
    for (;;) {
      if (flush_at >= deadline) {
        ret = wait(deadline == INT64_MAX ? -1 : (deadline > now ? deadline - now : 0),
                   blocked.host_mask());
        break;
      }
      ret = wait(flush_at > now ? flush_at - now : 0, blocked.host_mask());
      if (ret != 0) break;
      now = MonotonicNs();
      R().FlushIfDue(now);
      if (now >= deadline) break;  // the whole timeout has elapsed: ret == 0
      flush_at = R().FlushDeadline();
    }
  }
  int err = errno;
  R().Record([&](TraceWriter& w, int64_t ts) {
    const EpollEvent* out = nullptr;
    if (ret > 0) {
      EpollEvent* s = R().Scratch(static_cast<size_t>(ret));
      if (s != nullptr) {
        for (int i = 0; i < ret; i++) {
          s[i].events = events[i].events;
          s[i].data = events[i].data.u64;
        }
        out = s;
      }
    }
    // Without scratch memory (out == nullptr) the writer stores an empty
    // array, which a consistency check then reports.
    w.EpollWait(ts, epfd, maxevents, timeout_ms_field, ts - entry, Result(ret, err), out);
  });
  errno = err;
  return ret;
}

// Runs an exec call between BeforeExec and AfterFailedExec (which only
// runs if it returned, i.e. failed), preserving its result and errno.
template <class ExecFn>
int AroundExec(ExecFn exec) {
  Recorder::ExecToken token = R().BeforeExec();
  int r = exec();
  int err = errno;
  R().AfterFailedExec(token);
  errno = err;
  return r;
}

int RealExecve(const char* path, char* const argv[], char* const envp[]) {
  return g_real.execve ? g_real.execve(path, argv, envp)
                       : static_cast<int>(syscall(SYS_execve, path, argv, envp));
}

int RealExecvp(const char* file, char* const argv[]) {
  if (g_real.execvp) return g_real.execvp(file, argv);
  errno = ENOSYS;
  return -1;
}

size_t ExeclArgCount(va_list* ap) {
  va_list copy;
  va_copy(copy, *ap);
  size_t count = 1;
  while (va_arg(copy, const char*) != nullptr) count++;
  va_end(copy);
  return count;
}

void FillExeclArgs(const char* arg0, va_list* ap, char** argv, size_t count) {
  argv[0] = const_cast<char*>(arg0);
  for (size_t i = 1; i <= count; i++) argv[i] = va_arg(*ap, char*);  // argv[count]: the NULL
}

int MsFromNs(int64_t ns) {
  if (ns < 0) return -1;
  int64_t ms = (ns + 999999) / 1000000;
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

}  // namespace
}  // namespace reel::preload

using namespace reel;
using namespace reel::preload;

// ------------------------------------------------------------------ epoll

REEL_EXPORT int epoll_create(int size) {
  int r = g_real.epoll_create ? g_real.epoll_create(size)
                              : static_cast<int>(syscall(SYS_epoll_create1, 0));
  if (!R().ShouldRecord()) return r;
  int err = errno;
  R().Record([&](TraceWriter& w, int64_t now) {
    w.EpollCreate(now, 0, Result(r, err));
    if (r >= 0) R().fds().Created(r, FdKind::kEpoll);
  });
  errno = err;
  return r;
}

REEL_EXPORT int epoll_create1(int flags) {
  int r = g_real.epoll_create1 ? g_real.epoll_create1(flags)
                               : static_cast<int>(syscall(SYS_epoll_create1, flags));
  if (!R().ShouldRecord()) return r;
  int err = errno;
  R().Record([&](TraceWriter& w, int64_t now) {
    w.EpollCreate(now, flags, Result(r, err));
    if (r >= 0) R().fds().Created(r, FdKind::kEpoll);
  });
  errno = err;
  return r;
}

REEL_EXPORT int epoll_ctl(int epfd, int op, int fd, epoll_event* ev) {
  int r = g_real.epoll_ctl ? g_real.epoll_ctl(epfd, op, fd, ev)
                           : static_cast<int>(syscall(SYS_epoll_ctl, epfd, op, fd, ev));
  if (!R().ShouldRecord()) return r;
  int err = errno;
  uint32_t events = ev ? ev->events : 0;
  uint64_t data = ev ? ev->data.u64 : 0;
  R().Record([&](TraceWriter& w, int64_t now) {
    w.EpollCtl(now, epfd, op, fd, events, data, Result(r, err));
  });
  errno = err;
  return r;
}

// One piece of a wait: epoll_pwait when a mask must be in effect during it.
int RealEpollPwait(int epfd, epoll_event* events, int maxevents, int ms, const sigset_t* mask) {
  return g_real.epoll_pwait
             ? g_real.epoll_pwait(epfd, events, maxevents, ms, mask)
             : static_cast<int>(syscall(SYS_epoll_pwait, epfd, events, maxevents, ms, mask, 8));
}

REEL_EXPORT int epoll_wait(int epfd, epoll_event* events, int maxevents, int timeout) {
  return RecordedWait(epfd, events, maxevents, timeout, timeout < 0 ? -1 : timeout * 1000000LL,
                      [&](int64_t ns, const sigset_t* mask) {
                        int ms = MsFromNs(ns);
                        if (mask != nullptr || g_real.epoll_wait == nullptr)
                          return RealEpollPwait(epfd, events, maxevents, ms, mask);
                        return g_real.epoll_wait(epfd, events, maxevents, ms);
                      });
}

REEL_EXPORT int epoll_pwait(int epfd, epoll_event* events, int maxevents, int timeout,
                            const sigset_t* sigmask) {
  return RecordedWait(epfd, events, maxevents, timeout, timeout < 0 ? -1 : timeout * 1000000LL,
                      [&](int64_t ns, const sigset_t* mask) {
                        // The host's own mask wins over ours during the wait.
                        return RealEpollPwait(epfd, events, maxevents, MsFromNs(ns),
                                              sigmask != nullptr ? sigmask : mask);
                      });
}

REEL_EXPORT int epoll_pwait2(int epfd, epoll_event* events, int maxevents, const timespec* timeout,
                             const sigset_t* sigmask) {
  int64_t timeout_ns = timeout == nullptr
                           ? -1
                           : static_cast<int64_t>(timeout->tv_sec) * 1000000000 + timeout->tv_nsec;
  return RecordedWait(epfd, events, maxevents, TimespecToMs(timeout), timeout_ns,
                      [&](int64_t ns, const sigset_t* mask) {
                        timespec ts{}, *tsp = nullptr;
                        if (ns >= 0) {
                          ts.tv_sec = ns / 1000000000;
                          ts.tv_nsec = ns % 1000000000;
                          tsp = &ts;
                        }
                        if (g_real.epoll_pwait2)
                          return g_real.epoll_pwait2(epfd, events, maxevents, tsp,
                                                     sigmask != nullptr ? sigmask : mask);
                        errno = ENOSYS;
                        return -1;
                      });
}

// ---------------------------------------------------------------- sockets

REEL_EXPORT int socket(int domain, int type, int protocol) {
  int r = g_real.socket ? g_real.socket(domain, type, protocol)
                        : static_cast<int>(syscall(SYS_socket, domain, type, protocol));
  if (!R().ShouldRecord()) return r;
  int err = errno;
  R().Record([&](TraceWriter& w, int64_t now) {
    w.Socket(now, domain, type, protocol, Result(r, err));
    if (r >= 0) R().fds().Created(r, FdKind::kSocket);
  });
  errno = err;
  return r;
}

REEL_EXPORT int bind(int fd, const sockaddr* addr, socklen_t len) {
  int r =
      g_real.bind ? g_real.bind(fd, addr, len) : static_cast<int>(syscall(SYS_bind, fd, addr, len));
  if (!R().ShouldRecord()) return r;
  int err = errno;
  SockAddr a = FromSockaddr(addr, len);
  R().Record([&](TraceWriter& w, int64_t now) { w.Bind(now, fd, a, Result(r, err)); });
  errno = err;
  return r;
}

REEL_EXPORT int listen(int fd, int backlog) {
  int r = g_real.listen ? g_real.listen(fd, backlog)
                        : static_cast<int>(syscall(SYS_listen, fd, backlog));
  if (!R().ShouldRecord()) return r;
  int err = errno;
  R().Record([&](TraceWriter& w, int64_t now) { w.Listen(now, fd, backlog, Result(r, err)); });
  errno = err;
  return r;
}

REEL_EXPORT int setsockopt(int fd, int level, int name, const void* val, socklen_t len) {
  int r = g_real.setsockopt ? g_real.setsockopt(fd, level, name, val, len)
                            : static_cast<int>(syscall(SYS_setsockopt, fd, level, name, val, len));
  if (!R().ShouldRecord()) return r;
  int err = errno;
  // The format stores one int: the option's value when it is an int, else 0
  // (struct options such as SO_LINGER or SO_RCVTIMEO lose their contents).
  int value = 0;
  if (val != nullptr && len >= sizeof(int)) memcpy(&value, val, sizeof value);
  R().Record([&](TraceWriter& w, int64_t now) {
    w.SetSockOpt(now, fd, level, name, value, Result(r, err));
  });
  errno = err;
  return r;
}

REEL_EXPORT int accept(int fd, sockaddr* addr, socklen_t* len) {
  socklen_t given = len ? *len : 0;
  int r = g_real.accept ? g_real.accept(fd, addr, len)
                        : static_cast<int>(syscall(SYS_accept, fd, addr, len));
  if (!R().ShouldRecord()) return r;
  int err = errno;
  RecordAccept(fd, 0, r, err, addr, len, given);
  errno = err;
  return r;
}

REEL_EXPORT int accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
  socklen_t given = len ? *len : 0;
  int r = g_real.accept4 ? g_real.accept4(fd, addr, len, flags)
                         : static_cast<int>(syscall(SYS_accept4, fd, addr, len, flags));
  if (!R().ShouldRecord()) return r;
  int err = errno;
  RecordAccept(fd, flags, r, err, addr, len, given);
  errno = err;
  return r;
}

REEL_EXPORT int shutdown(int fd, int how) {
  int r =
      g_real.shutdown ? g_real.shutdown(fd, how) : static_cast<int>(syscall(SYS_shutdown, fd, how));
  if (!R().ShouldRecord()) return r;
  int err = errno;
  R().Record([&](TraceWriter& w, int64_t now) { w.Shutdown(now, fd, how, Result(r, err)); });
  errno = err;
  return r;
}

REEL_EXPORT int close(int fd) {
  if (!R().ShouldRecord() || R().fds().Kind(fd) == FdKind::kUntracked)
    return g_real.close ? g_real.close(fd) : static_cast<int>(syscall(SYS_close, fd));
  // A tracked fd is closed under the mutex, so no other thread can be
  // handed the same number (and mark it) between the close and the record.
  int r = 0, err = 0;
  bool recorded = false;
  R().Record([&](TraceWriter& w, int64_t) {
    r = g_real.close ? g_real.close(fd) : static_cast<int>(syscall(SYS_close, fd));
    err = errno;
    w.Close(MonotonicNs(), fd, Result(r, err));
    R().fds().Closed(fd);  // closed even on EINTR (Linux releases the fd first)
    recorded = true;
  });
  if (!recorded) {  // recording stopped meanwhile
    r = g_real.close ? g_real.close(fd) : static_cast<int>(syscall(SYS_close, fd));
    err = errno;
  }
  errno = err;
  return r;
}

// ------------------------------------------------------------------- reads

REEL_EXPORT ssize_t read(int fd, void* buf, size_t n) {
  ssize_t r = g_real.read ? g_real.read(fd, buf, n) : syscall(SYS_read, fd, buf, n);
  if (!R().ShouldRecord() || !IsSocket(fd)) return r;
  int err = errno;
  RecordRead(fd, n, r, err);
  errno = err;
  return r;
}

REEL_EXPORT ssize_t __read_chk(int fd, void* buf, size_t n, size_t buflen) {
  ssize_t r = g_real.read_chk ? g_real.read_chk(fd, buf, n, buflen) : syscall(SYS_read, fd, buf, n);
  if (!R().ShouldRecord() || !IsSocket(fd)) return r;
  int err = errno;
  RecordRead(fd, n, r, err);
  errno = err;
  return r;
}

REEL_EXPORT ssize_t recv(int fd, void* buf, size_t n, int flags) {
  ssize_t r = g_real.recv ? g_real.recv(fd, buf, n, flags)
                          : syscall(SYS_recvfrom, fd, buf, n, flags, nullptr, nullptr);
  if (!R().ShouldRecord() || (flags & MSG_PEEK) || !IsSocket(fd)) return r;
  int err = errno;
  RecordRead(fd, n, r, err);
  errno = err;
  return r;
}

REEL_EXPORT ssize_t __recv_chk(int fd, void* buf, size_t n, size_t buflen, int flags) {
  ssize_t r = g_real.recv_chk ? g_real.recv_chk(fd, buf, n, buflen, flags)
                              : syscall(SYS_recvfrom, fd, buf, n, flags, nullptr, nullptr);
  if (!R().ShouldRecord() || (flags & MSG_PEEK) || !IsSocket(fd)) return r;
  int err = errno;
  RecordRead(fd, n, r, err);
  errno = err;
  return r;
}

REEL_EXPORT ssize_t recvfrom(int fd, void* buf, size_t n, int flags, sockaddr* addr,
                             socklen_t* len) {
  ssize_t r = g_real.recvfrom ? g_real.recvfrom(fd, buf, n, flags, addr, len)
                              : syscall(SYS_recvfrom, fd, buf, n, flags, addr, len);
  if (!R().ShouldRecord() || (flags & MSG_PEEK) || !IsSocket(fd)) return r;
  int err = errno;
  RecordRead(fd, n, r, err);
  errno = err;
  return r;
}

REEL_EXPORT ssize_t __recvfrom_chk(int fd, void* buf, size_t n, size_t buflen, int flags,
                                   sockaddr* addr, socklen_t* len) {
  ssize_t r = g_real.recvfrom_chk ? g_real.recvfrom_chk(fd, buf, n, buflen, flags, addr, len)
                                  : syscall(SYS_recvfrom, fd, buf, n, flags, addr, len);
  if (!R().ShouldRecord() || (flags & MSG_PEEK) || !IsSocket(fd)) return r;
  int err = errno;
  RecordRead(fd, n, r, err);
  errno = err;
  return r;
}

REEL_EXPORT ssize_t readv(int fd, const iovec* iov, int iovcnt) {
  ssize_t r = g_real.readv ? g_real.readv(fd, iov, iovcnt) : syscall(SYS_readv, fd, iov, iovcnt);
  if (!R().ShouldRecord() || !IsSocket(fd)) return r;
  int err = errno;
  RecordRead(fd, IovTotal(iov, iovcnt), r, err);
  errno = err;
  return r;
}

// ------------------------------------------------------------------ writes

REEL_EXPORT ssize_t write(int fd, const void* buf, size_t n) {
  ssize_t r = g_real.write ? g_real.write(fd, buf, n) : syscall(SYS_write, fd, buf, n);
  if (!R().ShouldRecord() || !IsSocket(fd)) return r;
  int err = errno;
  RecordWrite(fd, -1, n, r, err);
  errno = err;
  return r;
}

REEL_EXPORT ssize_t send(int fd, const void* buf, size_t n, int flags) {
  ssize_t r = g_real.send ? g_real.send(fd, buf, n, flags)
                          : syscall(SYS_sendto, fd, buf, n, flags, nullptr, 0);
  if (!R().ShouldRecord() || !IsSocket(fd)) return r;
  int err = errno;
  RecordWrite(fd, -1, n, r, err);
  errno = err;
  return r;
}

REEL_EXPORT ssize_t sendto(int fd, const void* buf, size_t n, int flags, const sockaddr* addr,
                           socklen_t len) {
  ssize_t r = g_real.sendto ? g_real.sendto(fd, buf, n, flags, addr, len)
                            : syscall(SYS_sendto, fd, buf, n, flags, addr, len);
  if (!R().ShouldRecord() || !IsSocket(fd)) return r;
  int err = errno;
  RecordWrite(fd, -1, n, r, err);
  errno = err;
  return r;
}

REEL_EXPORT ssize_t writev(int fd, const iovec* iov, int iovcnt) {
  ssize_t r = g_real.writev ? g_real.writev(fd, iov, iovcnt) : syscall(SYS_writev, fd, iov, iovcnt);
  if (!R().ShouldRecord() || !IsSocket(fd)) return r;
  int err = errno;
  RecordWrite(fd, iovcnt, IovTotal(iov, iovcnt), r, err);
  errno = err;
  return r;
}

// -------------------------------------------------------------------- exec

extern char** environ;

REEL_EXPORT int execve(const char* path, char* const argv[], char* const envp[]) {
  return AroundExec([&] { return RealExecve(path, argv, envp); });
}

REEL_EXPORT int execv(const char* path, char* const argv[]) {
  return AroundExec(
      [&] { return g_real.execv ? g_real.execv(path, argv) : RealExecve(path, argv, environ); });
}

REEL_EXPORT int execvp(const char* file, char* const argv[]) {
  return AroundExec([&] { return RealExecvp(file, argv); });
}

REEL_EXPORT int execvpe(const char* file, char* const argv[], char* const envp[]) {
  return AroundExec([&] {
    if (g_real.execvpe) return g_real.execvpe(file, argv, envp);
    errno = ENOSYS;
    return -1;
  });
}

REEL_EXPORT int fexecve(int fd, char* const argv[], char* const envp[]) {
  return AroundExec([&] {
    return g_real.fexecve
               ? g_real.fexecve(fd, argv, envp)
               : static_cast<int>(syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH));
  });
}

REEL_EXPORT int execveat(int dirfd, const char* path, char* const argv[], char* const envp[],
                         int flags) {
  return AroundExec([&] {
    return g_real.execveat
               ? g_real.execveat(dirfd, path, argv, envp, flags)
               : static_cast<int>(syscall(SYS_execveat, dirfd, path, argv, envp, flags));
  });
}

// execl, execlp, execle: the variadic list (arg0, ..., NULL[, envp]) is
// collected on the stack (no allocation: these may run in a vfork child).
// ExeclArgCount counts arg0 and what follows up to the NULL; FillExeclArgs
// then reads them (and the NULL) from *ap into argv[0..count].

REEL_EXPORT int execl(const char* path, const char* arg, ...) {
  va_list ap;
  va_start(ap, arg);
  size_t count = ExeclArgCount(&ap);
  char** argv = static_cast<char**>(alloca((count + 1) * sizeof(char*)));
  FillExeclArgs(arg, &ap, argv, count);
  va_end(ap);
  return AroundExec(
      [&] { return g_real.execv ? g_real.execv(path, argv) : RealExecve(path, argv, environ); });
}

REEL_EXPORT int execlp(const char* file, const char* arg, ...) {
  va_list ap;
  va_start(ap, arg);
  size_t count = ExeclArgCount(&ap);
  char** argv = static_cast<char**>(alloca((count + 1) * sizeof(char*)));
  FillExeclArgs(arg, &ap, argv, count);
  va_end(ap);
  return AroundExec([&] { return RealExecvp(file, argv); });
}

REEL_EXPORT int execle(const char* path, const char* arg, ...) {
  va_list ap;
  va_start(ap, arg);
  size_t count = ExeclArgCount(&ap);
  char** argv = static_cast<char**>(alloca((count + 1) * sizeof(char*)));
  FillExeclArgs(arg, &ap, argv, count);
  char* const* envp = va_arg(ap, char* const*);
  va_end(ap);
  return AroundExec([&] { return RealExecve(path, argv, envp); });
}

// -------------------------------------------------------------- lifecycle

// Priority 101: before ordinary constructors of the program and of libraries
// loaded after us, so their calls are forwarded through resolved pointers.
// Both keep errno as they found it: the host must not see the shim's
// dlsym/getenv/file work.
__attribute__((constructor(101))) static void ReelPreloadInit() {
  int saved_errno = errno;
  ResolveRealLibc();
  Recorder::Get().Init();
  errno = saved_errno;
}

__attribute__((destructor(101))) static void ReelPreloadFini() {
  Recorder::Get().Finish();  // preserves errno itself
}
