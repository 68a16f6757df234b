// shim_probe: a small host program for tests/integration/test_shim_transparency.py.
// It makes libc calls the LD_PRELOAD shim interposes — most of them failing
// — and prints one line per call with the result and errno, so a run under
// the shim can be compared line by line with a run without it.
//
//   shim_probe errors    failing and succeeding calls, errno after each
//   shim_probe signals   EINTR from epoll_wait (also swept across the shim's
//                        flush point), the host's own SIGPIPE
//                        handler, signal dispositions, and signal handlers
//                        making interposed calls while the main thread is
//                        inside the shim
//   shim_probe exec      records some calls, fails one exec, then execs
//                        itself ("exec-child") right away
//
// Every line is deterministic (fd numbers included: the shim keeps its own
// fds out of the host's way). Exit code 0 unless setup fails.
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <string>

namespace {

constexpr int kSentinelErrno = 7777;  // errno before each call: a success must keep it

void Report(const char* what, long ret) {
  int err = errno;
  printf("%-44s ret=%ld errno=%d\n", what, ret, err);
  fflush(stdout);
}

#define PROBE(what, call)     \
  do {                        \
    errno = kSentinelErrno;   \
    long ret_ = (long)(call); \
    Report(what, ret_);       \
  } while (0)

[[noreturn]] void Die(const char* what) {
  fprintf(stderr, "shim_probe: %s: %s\n", what, strerror(errno));
  exit(2);
}

// A listening TCP socket on 127.0.0.1 (ephemeral port) and its port.
int Listener(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Die("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) Die("bind");
  if (listen(fd, 16) != 0) Die("listen");
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) Die("connect");
  return fd;
}

int Errors() {
  char buf[64];
  int port = 0;
  int lfd = Listener(&port);
  PROBE("read(-1)", read(-1, buf, sizeof buf));
  PROBE("read(bad fd 900)", read(900, buf, sizeof buf));
  iovec iov{buf, sizeof buf};
  PROBE("readv(bad fd 900)", readv(900, &iov, 1));
  int plain = socket(AF_INET, SOCK_STREAM, 0);
  PROBE("socket() succeeds, errno untouched", plain);
  PROBE("accept(non-listening socket)", accept(plain, nullptr, nullptr));
  PROBE("accept4(listener, bad flags)", accept4(lfd, nullptr, nullptr, 0x7fff0000));
  PROBE("accept(bad fd)", accept(901, nullptr, nullptr));
  PROBE("recv(not connected)", recv(plain, buf, sizeof buf, 0));
  PROBE("shutdown(not connected)", shutdown(plain, SHUT_RDWR));
  PROBE("listen(bad fd)", listen(902, 1));
  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  PROBE("listen(udp socket)", listen(udp, 1));
  int one = 1;
  PROBE("setsockopt(bad level/name)", setsockopt(plain, 12345, 12345, &one, sizeof one));
  int pipefd[2];
  if (pipe(pipefd) != 0) Die("pipe");
  PROBE("setsockopt(pipe)", setsockopt(pipefd[0], SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
  PROBE("socket(bad domain)", socket(12345, SOCK_STREAM, 0));
  PROBE("socket(bad type)", socket(AF_INET, 12345, 0));
  sockaddr_in in_use{};
  in_use.sin_family = AF_INET;
  in_use.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  in_use.sin_port = htons(static_cast<uint16_t>(port));
  PROBE("bind(address in use)", bind(plain, reinterpret_cast<sockaddr*>(&in_use), sizeof in_use));
  PROBE("bind(bad fd)", bind(903, reinterpret_cast<sockaddr*>(&in_use), sizeof in_use));
  PROBE("epoll_create(0)", epoll_create(0));
  PROBE("epoll_create1(bad flags)", epoll_create1(0x1234));
  int ep = epoll_create1(EPOLL_CLOEXEC);
  PROBE("epoll_create1 succeeds", ep);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 42;
  PROBE("epoll_ctl(bad op)", epoll_ctl(ep, 99, lfd, &ev));
  PROBE("epoll_ctl(add) succeeds", epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev));
  PROBE("epoll_ctl(add twice)", epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev));
  PROBE("epoll_ctl(del unregistered)", epoll_ctl(ep, EPOLL_CTL_DEL, plain, &ev));
  PROBE("epoll_ctl(bad epfd)", epoll_ctl(904, EPOLL_CTL_ADD, lfd, &ev));
  epoll_event out[8];
  PROBE("epoll_wait(bad epfd 905)", epoll_wait(905, out, 8, 10));
  PROBE("epoll_wait(socket as epfd)", epoll_wait(plain, out, 8, 10));
  PROBE("epoll_wait(maxevents 0)", epoll_wait(ep, out, 0, 10));
  PROBE("epoll_pwait(bad epfd)", epoll_pwait(905, out, 8, 10, nullptr));
  PROBE("epoll_wait(timeout 0, nothing ready)", epoll_wait(ep, out, 8, 0));
  // Longer than the flush interval: the shim splits this wait around a flush.
  PROBE("epoll_wait(120 ms, nothing ready)", epoll_wait(ep, out, 8, 120));
  int c = Connect(port);
  PROBE("epoll_wait(listener ready)", epoll_wait(ep, out, 8, 1000));
  printf("%-44s events=%u data=%llu\n", "  ready entry", out[0].events,
         static_cast<unsigned long long>(out[0].data.u64));
  int s = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  PROBE("accept4 succeeded (fd)", s);
  PROBE("fcntl(O_NONBLOCK)", fcntl(s, F_SETFL, O_NONBLOCK));
  PROBE("read(empty non-blocking socket)", read(s, buf, sizeof buf));
  PROBE("recv(MSG_PEEK, empty)", recv(s, buf, sizeof buf, MSG_PEEK));
  PROBE("recvfrom(empty)", recvfrom(s, buf, sizeof buf, 0, nullptr, nullptr));
  PROBE("write(client, 5 bytes)", write(c, "hello", 5));
  usleep(20000);
  PROBE("read(5 bytes ready)", read(s, buf, sizeof buf));
  volatile int bad_iovcnt = -1;  // volatile: the compiler rejects a literal -1
  PROBE("writev(iovcnt -1)", writev(s, &iov, bad_iovcnt));
  PROBE("send(bad fd)", send(906, "x", 1, MSG_NOSIGNAL));
  PROBE("sendto(bad fd)", sendto(906, "x", 1, MSG_NOSIGNAL, nullptr, 0));
  PROBE("close(client)", close(c));
  usleep(20000);
  PROBE("read(peer closed: 0)", read(s, buf, sizeof buf));
  PROBE("send(peer closed, MSG_NOSIGNAL)", send(s, "abc", 3, MSG_NOSIGNAL));
  usleep(20000);
  PROBE("send(peer closed, again)", send(s, "abc", 3, MSG_NOSIGNAL));
  PROBE("close(tracked socket)", close(s));
  PROBE("close(same fd again)", close(s));
  PROBE("close(bad fd)", close(907));
  PROBE("close(epoll fd)", close(ep));
  PROBE("socket() after all that (fd number)", socket(AF_INET, SOCK_STREAM, 0));
  return 0;
}

// --- signals ---

volatile sig_atomic_t g_alarms = 0;
volatile int64_t g_alarm_ns = 0;  // when the last SIGALRM handler ran
volatile sig_atomic_t g_sigpipes = 0;
int g_handler_fd = -1;  // a connected socket the SIGALRM handler writes to

int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void OnAlarm(int) {
  int saved = errno;
  g_alarms = g_alarms + 1;
  g_alarm_ns = NowNs();
  // An interposed, recorded call from inside a signal handler.
  ssize_t ignored = write(g_handler_fd, "a", 1);
  (void)ignored;
  errno = saved;
}

void OnSigpipe(int) {
  g_sigpipes = g_sigpipes + 1;
}

void Install(int sig, void (*fn)(int)) {
  struct sigaction sa {};
  sa.sa_handler = fn;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: interrupted calls fail with EINTR
  sigaction(sig, &sa, nullptr);
}

void Timer(long first_us, long interval_us) {
  itimerval t{};
  t.it_value.tv_sec = first_us / 1000000;
  t.it_value.tv_usec = first_us % 1000000;
  t.it_interval.tv_sec = interval_us / 1000000;
  t.it_interval.tv_usec = interval_us % 1000000;
  setitimer(ITIMER_REAL, &t, nullptr);
}

const char* Disposition(int sig) {
  struct sigaction sa {};
  sigaction(sig, nullptr, &sa);
  if (sa.sa_handler == SIG_DFL) return "default";
  if (sa.sa_handler == SIG_IGN) return "ignored";
  return "handler";
}

int Signals() {
  int port = 0;
  int lfd = Listener(&port);
  int c = Connect(port);
  int s = accept(lfd, nullptr, nullptr);
  g_handler_fd = c;
  int ep = epoll_create1(0);
  printf("%-44s SIGPIPE=%s SIGXFSZ=%s\n", "dispositions after recorded calls", Disposition(SIGPIPE),
         Disposition(SIGXFSZ));
  Install(SIGALRM, OnAlarm);
  epoll_event out[4];
  // Interrupted before the shim's first flush deadline, and after it (the
  // shim has split the wait around a flush by then).
  Timer(30000, 0);
  PROBE("epoll_wait(2 s) interrupted at 30 ms", epoll_wait(ep, out, 4, 2000));
  Timer(90000, 0);
  PROBE("epoll_wait(2 s) interrupted at 90 ms", epoll_wait(ep, out, 4, 2000));
  Timer(90000, 0);
  PROBE("epoll_pwait(-1) interrupted at 90 ms", epoll_pwait(ep, out, 4, -1, nullptr));
  char buf[4096];
  usleep(10000);
  PROBE("read(the handler's bytes)", read(s, buf, sizeof buf));

  // Interrupts swept across the first milliseconds of a wait, where the
  // shim (with a short flush interval) splits it around a flush: each wait
  // must end with EINTR, none may sleep through to its timeout.
  // A signal that fired before the call was made (this thread preempted
  // between setitimer and epoll_wait on a loaded machine) cannot interrupt
  // it, with or without the shim: such waits are counted apart, on an
  // "info:" line the comparison ignores.
  int slept_through = 0, fired_before_the_call = 0;
  for (int i = 0; i < 200; i++) {
    g_alarm_ns = 0;
    Timer(500 + 5 * i, 0);
    int64_t called = NowNs();
    if (epoll_wait(ep, out, 4, 100) == -1 && errno == EINTR) continue;
    if (g_alarm_ns != 0 && g_alarm_ns < called)
      fired_before_the_call++;
    else
      slept_through++;
  }
  printf("%-44s %d\n", "EINTR sweep: waits not interrupted", slept_through);
  printf("info: %-38s %d\n", "EINTR sweep: signal before the call", fired_before_the_call);
  while (read(s, buf, sizeof buf) == -1 && errno == EINTR) {
  }

  // The host's own SIGPIPE handler still sees its SIGPIPE.
  Install(SIGPIPE, OnSigpipe);
  int port2 = 0;
  int l2 = Listener(&port2);
  int c2 = Connect(port2);
  int s2 = accept(l2, nullptr, nullptr);
  close(s2);
  usleep(20000);
  ssize_t ignored = write(c2, "x", 1);  // RST comes back
  (void)ignored;
  usleep(20000);
  PROBE("write(reset peer) with a SIGPIPE handler", write(c2, "x", 1));
  printf("%-44s %d\n", "SIGPIPE handler calls", static_cast<int>(g_sigpipes));

  // Re-entrancy: a 200 us timer whose handler makes a recorded call, while
  // this thread makes recorded calls in a loop (so handlers often land
  // while it is inside the shim). A deadlock would hang here.
  g_alarms = 0;
  Timer(200, 200);
  long moved = 0;
  for (int i = 0; i < 20000; i++) {
    ssize_t w = write(c, "0123456789", 10);
    if (w > 0) moved += w;
    ssize_t r;
    while ((r = read(s, buf, sizeof buf)) < 0 && errno == EINTR) {
    }
  }
  Timer(0, 0);
  printf("%-44s %s\n", "re-entrancy loop finished", moved > 0 && g_alarms > 10 ? "yes" : "no");
  close(c2);
  close(l2);
  close(ep);
  close(s);
  close(c);
  close(lfd);
  return 0;
}

// --- exec ---

int ExecParent(const char* self) {
  int port = 0;
  int lfd = Listener(&port);
  int c = Connect(port);
  int s = accept(lfd, nullptr, nullptr);
  static char big[12345];
  PROBE("write(12345 bytes) before exec", write(s, big, 12345));
  char* argv[] = {const_cast<char*>("x"), nullptr};
  PROBE("execv(/nonexistent)", execv("/nonexistent/program", argv));
  PROBE("write(777 bytes) after the failed exec", write(s, big, 777));
  PROBE("recv(client, 10 of those bytes)", recv(c, big, 10, MSG_DONTWAIT));
  fflush(stdout);
  // At once: the records above are still in the shim's buffer.
  execl("/proc/self/exe", self, "exec-child", static_cast<char*>(nullptr));
  Die("execl");
}

int ExecChild() {
  // The previous image's log must not be open here any more.
  int log_fds = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d)) {
      char link[300], target[4096];
      snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
      ssize_t n = readlink(link, target, sizeof target - 1);
      if (n <= 0) continue;
      target[n] = '\0';
      if (strstr(target, ".reel") != nullptr) log_fds++;
    }
    closedir(d);
  }
  printf("%-44s %d\n", "exec child: open .reel fds", log_fds);
  PROBE("exec child: socket()", socket(AF_INET, SOCK_STREAM, 0));
  printf("%-44s %d\n", "exec child: pid", static_cast<int>(getpid()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "errors") return Errors();
  if (mode == "signals") return Signals();
  if (mode == "exec") {
    printf("%-44s %d\n", "exec parent: pid", static_cast<int>(getpid()));
    return ExecParent(argv[0]);
  }
  if (mode == "exec-child") return ExecChild();
  fprintf(stderr, "usage: shim_probe errors|signals|exec\n");
  return 2;
}
