// Each scenario runs twice — on real Linux epoll over loopback TCP sockets,
// and on the KernelModel — and every epoll_wait, accept and read result is
// compared. The model is tested against the kernel, not against itself.
#include "replay/kernel_model.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

namespace reel::model {
namespace {

std::string Describe(const std::vector<EpollEvent>& evs) {
  std::string s = "[";
  for (const auto& e : evs) {
    if (s.size() > 1) s += ", ";
    s += "h" + std::to_string(e.data) + ":";
    s += (e.events & EPOLLIN) ? "IN" : "";
    s += (e.events & EPOLLOUT) ? "|OUT" : "";
    s += (e.events & EPOLLRDHUP) ? "|RDHUP" : "";
    s += (e.events & EPOLLHUP) ? "|HUP" : "";
    s += (e.events & EPOLLERR) ? "|ERR" : "";
  }
  return s + "]";
}

// Drives a real listener + clients and the model in lockstep. Handles: the
// listener is handle 0; accepted connections get handles 1, 2, ... in
// accept order; epoll data is the handle, so results compare across sides.
class Lockstep {
 public:
  Lockstep() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(listen_fd_, 128), 0);
    socklen_t len = sizeof a;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    local_ = *SockAddr::FromHostPort("127.0.0.1", port_);
    model_.Listen(listen_fd_, local_, 128);
    handle_fd_[0] = listen_fd_;
  }
  ~Lockstep() {
    for (int fd : clients_) close(fd);
    for (auto& [h, fd] : handle_fd_) close(fd);
    for (auto& [k, fd] : epfds_) close(fd);
  }

  // A client connects; the handshake completes on loopback before connect returns.
  int Connect() {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in me{};
    socklen_t len = sizeof me;
    getsockname(c, reinterpret_cast<sockaddr*>(&me), &len);
    int id = static_cast<int>(clients_.size());
    clients_.push_back(c);
    model_.ConnectionEstablished(listen_fd_, static_cast<uint64_t>(id),
                                 *SockAddr::FromHostPort("127.0.0.1", ntohs(me.sin_port)), local_,
                                 0);
    Settle();
    return id;
  }

  // Accepts on both sides; returns the new handle, checking both took the same client.
  int Accept() {
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK);
    uint64_t conn = 0;
    SysResult m = model_.Accept(listen_fd_, fd, &conn);
    EXPECT_EQ(fd >= 0, m.ok());
    if (fd < 0) return -1;
    int h = next_handle_++;
    handle_fd_[h] = fd;
    handle_conn_[h] = conn;
    sockaddr_in me{};
    socklen_t l2 = sizeof me;
    getsockname(clients_[conn], reinterpret_cast<sockaddr*>(&me), &l2);
    EXPECT_EQ(me.sin_port, peer.sin_port) << "model accepted a different connection";
    return h;
  }

  void Send(int client, size_t n) {
    std::string data(n, 'x');
    EXPECT_EQ(write(clients_[client], data.data(), n), static_cast<ssize_t>(n));
    model_.DataArrived(static_cast<uint64_t>(client), n);
    Settle();
  }
  void ClientFin(int client) {
    shutdown(clients_[client], SHUT_WR);
    model_.PeerFin(static_cast<uint64_t>(client));
    Settle();
  }
  void ClientReset(int client) {
    linger lg{1, 0};
    setsockopt(clients_[client], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(clients_[client]);
    clients_[client] = -1;
    model_.PeerReset(static_cast<uint64_t>(client));
    Settle();
  }

  int EpollCreate(int key) {
    int e = epoll_create1(0);
    epfds_[key] = e;
    EXPECT_TRUE(model_.EpollCreate(e).ok());
    return e;
  }
  void Ctl(int ep, int op, int handle, uint32_t events) {
    int fd = handle_fd_.at(handle);
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = static_cast<uint64_t>(handle);
    int r = epoll_ctl(epfds_.at(ep), op, fd, &ev);
    int real_err = r < 0 ? errno : 0;
    SysResult m = model_.EpollCtl(epfds_.at(ep), op, fd, events, static_cast<uint64_t>(handle));
    EXPECT_EQ(real_err, m.ok() ? 0 : m.err) << "epoll_ctl op " << op << " on h" << handle;
  }
  // Non-blocking wait on both sides; returns the real result after checking
  // the model returned the same (data, events) list in the same order.
  std::vector<EpollEvent> Wait(int ep, int maxevents) {
    std::vector<epoll_event> buf(static_cast<size_t>(maxevents));
    int n = epoll_wait(epfds_.at(ep), buf.data(), maxevents, 0);
    std::vector<EpollEvent> real;
    for (int i = 0; i < n; i++) real.push_back({buf[i].events, buf[i].data.u64});
    std::vector<EpollEvent> modeled;
    model_.EpollWait(epfds_.at(ep), maxevents, &modeled);
    EXPECT_EQ(Describe(modeled), Describe(real)) << "model vs kernel, epoll " << ep;
    return real;
  }
  int64_t Read(int handle, size_t n) {
    std::string buf(n, '\0');
    ssize_t r = read(handle_fd_.at(handle), buf.data(), n);
    int64_t real = r < 0 ? -errno : r;
    SysResult m = model_.Read(handle_fd_.at(handle), n);
    int64_t modeled = m.ok() ? m.value : -m.err;
    EXPECT_EQ(modeled, real) << "read h" << handle;
    return real;
  }
  void CloseHandle(int handle) {
    close(handle_fd_.at(handle));
    model_.Close(handle_fd_.at(handle));
    handle_fd_.erase(handle);
  }
  KernelModel& model() { return model_; }
  int epfd(int key) { return epfds_.at(key); }

 private:
  // Loopback delivery runs in softirq right after the sender's syscall; a
  // short pause makes sure it has finished before we look.
  static void Settle() { usleep(2000); }

  KernelModel model_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  SockAddr local_;
  std::vector<int> clients_;
  std::map<int, int> handle_fd_;
  std::map<int, uint64_t> handle_conn_;
  std::map<int, int> epfds_;
  int next_handle_ = 1;
};

uint64_t Handle(const EpollEvent& e) {
  return e.data;
}

TEST(KernelModelVsLinux, ListenerReadableAndAcceptInHandshakeOrder) {
  Lockstep s;
  s.EpollCreate(0);
  s.Ctl(0, EPOLL_CTL_ADD, 0, EPOLLIN);
  s.Wait(0, 8);  // nothing yet
  s.Connect();
  s.Connect();
  auto evs = s.Wait(0, 8);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(Handle(evs[0]), 0u);
  EXPECT_EQ(s.Accept(), 1);
  EXPECT_EQ(s.Accept(), 2);
  EXPECT_EQ(s.Accept(), -1);  // EAGAIN on both sides
  s.Wait(0, 8);               // LT re-poll finds the queue empty: nothing
}

TEST(KernelModelVsLinux, LevelTriggeredReadyListIsWakeupOrderAndRequeuesAtTail) {
  Lockstep s;
  s.EpollCreate(0);
  int a = s.Connect(), b = s.Connect(), c = s.Connect();
  int ha = s.Accept(), hb = s.Accept(), hc = s.Accept();
  for (int h : {ha, hb, hc}) s.Ctl(0, EPOLL_CTL_ADD, h, EPOLLIN);
  // Wakeups in the order c, a, b: the ready list follows wakeup order, not fd order.
  s.Send(c, 10);
  s.Send(a, 10);
  s.Send(b, 10);
  auto first = s.Wait(0, 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(Handle(first[0]), static_cast<uint64_t>(hc));
  // maxevents=1 left a, b queued in front; c went back to the tail (LT).
  auto second = s.Wait(0, 2);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(Handle(second[0]), static_cast<uint64_t>(ha));
  EXPECT_EQ(Handle(second[1]), static_cast<uint64_t>(hb));
  s.Wait(0, 8);                    // c, a, b again: still unread
  EXPECT_EQ(s.Read(ha, 100), 10);  // drain a
  auto after = s.Wait(0, 8);       // a is dropped at its re-poll
  EXPECT_EQ(after.size(), 2u);
  s.Send(a, 5);  // a is woken again: appended behind the re-queued b, c
  s.Wait(0, 8);
}

TEST(KernelModelVsLinux, MaxeventsTruncationKeepsTheRestInOrder) {
  Lockstep s;
  s.EpollCreate(0);
  std::vector<int> hs;
  for (int i = 0; i < 5; i++) {
    s.Connect();
    hs.push_back(s.Accept());
    s.Ctl(0, EPOLL_CTL_ADD, hs.back(), EPOLLIN);
  }
  for (int i = 4; i >= 0; i--) s.Send(i, 3);
  s.Wait(0, 2);
  s.Wait(0, 2);
  s.Wait(0, 2);
  s.Wait(0, 16);
}

TEST(KernelModelVsLinux, WakeupOfAQueuedItemDoesNotMoveIt) {
  Lockstep s;
  s.EpollCreate(0);
  int a = s.Connect(), b = s.Connect();
  int ha = s.Accept(), hb = s.Accept();
  s.Ctl(0, EPOLL_CTL_ADD, ha, EPOLLIN);
  s.Ctl(0, EPOLL_CTL_ADD, hb, EPOLLIN);
  s.Send(a, 1);
  s.Send(b, 1);
  s.Send(a, 1);  // a is already linked: stays first
  s.Wait(0, 8);
}

TEST(KernelModelVsLinux, EdgeTriggeredReportsOncePerNewArrival) {
  Lockstep s;
  s.EpollCreate(0);
  int a = s.Connect();
  int ha = s.Accept();
  s.Ctl(0, EPOLL_CTL_ADD, ha, EPOLLIN | EPOLLET);
  s.Send(a, 4);
  EXPECT_EQ(s.Wait(0, 8).size(), 1u);
  EXPECT_EQ(s.Wait(0, 8).size(), 0u) << "ET: no new event, nothing reported";
  s.Send(a, 4);
  EXPECT_EQ(s.Wait(0, 8).size(), 1u);
  s.Read(ha, 3);
  EXPECT_EQ(s.Wait(0, 8).size(), 0u) << "ET: a partial read does not re-arm";
}

TEST(KernelModelVsLinux, OneshotDisarmsUntilMod) {
  Lockstep s;
  s.EpollCreate(0);
  int a = s.Connect();
  int ha = s.Accept();
  s.Ctl(0, EPOLL_CTL_ADD, ha, EPOLLIN | EPOLLONESHOT);
  s.Send(a, 4);
  EXPECT_EQ(s.Wait(0, 8).size(), 1u);
  s.Send(a, 4);
  EXPECT_EQ(s.Wait(0, 8).size(), 0u) << "disarmed: new data is not reported";
  s.Ctl(0, EPOLL_CTL_MOD, ha, EPOLLIN | EPOLLONESHOT);
  EXPECT_EQ(s.Wait(0, 8).size(), 1u) << "MOD re-arms and finds data queued";
  EXPECT_EQ(s.Wait(0, 8).size(), 0u);
}

TEST(KernelModelVsLinux, AddOfAnAlreadyReadableSocketQueuesItAtOnce) {
  Lockstep s;
  s.EpollCreate(0);
  int a = s.Connect();
  s.Send(a, 7);  // bytes arrive before accept: queued in the child socket
  int ha = s.Accept();
  s.Ctl(0, EPOLL_CTL_ADD, ha, EPOLLIN);
  EXPECT_EQ(s.Wait(0, 8).size(), 1u);
  EXPECT_EQ(s.Read(ha, 100), 7);
}

TEST(KernelModelVsLinux, DelRemovesFromTheReadyList) {
  Lockstep s;
  s.EpollCreate(0);
  int a = s.Connect(), b = s.Connect();
  int ha = s.Accept(), hb = s.Accept();
  s.Ctl(0, EPOLL_CTL_ADD, ha, EPOLLIN);
  s.Ctl(0, EPOLL_CTL_ADD, hb, EPOLLIN);
  s.Send(a, 1);
  s.Send(b, 1);
  s.Ctl(0, EPOLL_CTL_DEL, ha, 0);
  s.Ctl(0, EPOLL_CTL_DEL, ha, 0);        // ENOENT on both
  s.Ctl(0, EPOLL_CTL_ADD, hb, EPOLLIN);  // EEXIST on both
  s.Ctl(0, EPOLL_CTL_MOD, ha, EPOLLIN);  // ENOENT on both
  s.Wait(0, 8);
}

TEST(KernelModelVsLinux, FinGivesInAndRdhupThenEof) {
  Lockstep s;
  s.EpollCreate(0);
  int a = s.Connect();
  int ha = s.Accept();
  s.Ctl(0, EPOLL_CTL_ADD, ha, EPOLLIN | EPOLLRDHUP);
  s.Send(a, 3);
  s.ClientFin(a);
  s.Wait(0, 8);
  EXPECT_EQ(s.Read(ha, 100), 3);
  EXPECT_EQ(s.Read(ha, 100), 0);
  s.Wait(0, 8);
}

TEST(KernelModelVsLinux, ResetGivesErrHupThenEconnresetThenEof) {
  Lockstep s;
  s.EpollCreate(0);
  int a = s.Connect();
  int ha = s.Accept();
  s.Ctl(0, EPOLL_CTL_ADD, ha, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
  s.Wait(0, 8);  // writable
  s.ClientReset(a);
  s.Wait(0, 8);
  EXPECT_EQ(s.Read(ha, 100), -ECONNRESET);
  EXPECT_EQ(s.Read(ha, 100), 0);
}

TEST(KernelModelVsLinux, WritableSocketIsReportedAtOnceLevelTriggered) {
  Lockstep s;
  s.EpollCreate(0);
  s.Connect();
  int ha = s.Accept();
  s.Ctl(0, EPOLL_CTL_ADD, ha, EPOLLIN);
  s.Wait(0, 8);
  s.Ctl(0, EPOLL_CTL_MOD, ha, EPOLLIN | EPOLLOUT);  // Redis installs a write handler
  s.Wait(0, 8);
  s.Wait(0, 8);                          // LT: still writable
  s.Ctl(0, EPOLL_CTL_MOD, ha, EPOLLIN);  // ... and removes it
  s.Wait(0, 8);
}

TEST(KernelModelVsLinux, CloseRemovesTheItem) {
  Lockstep s;
  s.EpollCreate(0);
  int a = s.Connect(), b = s.Connect();
  int ha = s.Accept(), hb = s.Accept();
  s.Ctl(0, EPOLL_CTL_ADD, ha, EPOLLIN);
  s.Ctl(0, EPOLL_CTL_ADD, hb, EPOLLIN);
  s.Send(a, 1);
  s.Send(b, 1);
  s.CloseHandle(ha);
  s.Wait(0, 8);
}

TEST(KernelModelVsLinux, ExclusiveWithoutWaitersQueuesOnEveryInstance) {
  Lockstep s;
  s.EpollCreate(0);
  s.EpollCreate(1);
  s.Ctl(0, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLEXCLUSIVE);
  s.Ctl(1, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLEXCLUSIVE);
  s.Ctl(0, EPOLL_CTL_MOD, 0, EPOLLIN);  // EINVAL on both
  s.Connect();
  // No thread is blocked in epoll_wait, so no wakeup is "consumed": both see it.
  EXPECT_EQ(s.Wait(0, 8).size(), 1u);
  EXPECT_EQ(s.Wait(1, 8).size(), 1u);
}

TEST(KernelModelVsLinux, ExclusiveWakesOnlyTheFirstInstanceWithAWaiter) {
  Lockstep s;
  s.EpollCreate(0);
  s.EpollCreate(1);
  s.Ctl(0, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLEXCLUSIVE);
  s.Ctl(1, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLEXCLUSIVE);
  // A thread blocks on instance 0; the model is told the same.
  int real_seen = -1;
  std::thread waiter([&] {
    epoll_event ev{};
    real_seen = epoll_wait(s.epfd(0), &ev, 1, 2000);
  });
  usleep(50000);  // let it block
  s.model().Epoll(s.epfd(0))->waiters = 1;
  s.Connect();
  waiter.join();
  s.model().Epoll(s.epfd(0))->waiters = 0;
  EXPECT_EQ(real_seen, 1);
  std::vector<EpollEvent> m0;
  s.model().EpollWait(s.epfd(0), 8, &m0);
  EXPECT_EQ(m0.size(), 1u) << "the model queued it on the waiting instance";
  // Instance 1 was not woken by the exclusive wakeup, on both sides.
  EXPECT_EQ(s.Wait(1, 8).size(), 0u);
}

// ovflist cannot be provoked deterministically on a real kernel (it needs a
// wakeup during the copy-out), so this rule is pinned against the kernel's
// code path instead: wakeups during ep_send_events land on ovflist and are
// merged back, in wakeup order, behind the untransferred items and in front
// of the level-triggered re-queues.
TEST(EpollModelRules, WakeupsDuringTransferGoThroughOvflist) {
  KernelModel m;
  SockAddr local = *SockAddr::FromHostPort("127.0.0.1", 1);
  m.Listen(3, local, 16);
  m.EpollCreate(4);
  for (uint64_t c = 0; c < 4; c++) {
    m.ConnectionEstablished(3, c, local, local, 0);
    uint64_t id;
    ASSERT_TRUE(m.Accept(3, static_cast<int>(10 + c), &id).ok());
    ASSERT_TRUE(m.EpollCtl(4, kEpollCtlAdd, static_cast<int>(10 + c), kEpollIn, c).ok());
  }
  m.DataArrived(0, 1);
  m.DataArrived(1, 1);
  m.DataArrived(2, 1);
  EpollInstance* ep = m.Epoll(4);
  auto out = ep->SendEvents(2, [&](int index) {
    if (index == 0) {
      m.DataArrived(3, 1);  // new item: parked on ovflist
      m.DataArrived(2, 1);  // untransferred item: stays where it is
    }
  });
  ASSERT_EQ(out.size(), 2u);
  // rdllist: [2 (untransferred), 3 (ovflist), 0, 1 (LT re-queued)]
  EXPECT_EQ(ep->ReadyFds(), (std::vector<int>{12, 13, 10, 11}));
}

}  // namespace
}  // namespace reel::model
