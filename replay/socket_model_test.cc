// The send-buffer rules (docs/kernel-model.md, "Send buffer") against a real
// loopback TCP connection: the same writes and the same ACKs on both sides,
// and every epoll_wait compared. The client is the one traces/large_value
// uses — a 4 KB receive buffer and a 536-byte MSS — so the server's send
// buffer stays small and writes go short.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <string>
#include <vector>

#include "replay/kernel_model.h"
#include "replay/model_schedule.h"
#include "replay/send_side.h"

namespace reel::model {
namespace {

// ca_ops->sndbuf_expand of the host's default congestion control.
uint32_t HostExpandFactor() {
  std::ifstream f("/proc/sys/net/ipv4/tcp_congestion_control");
  std::string cc;
  f >> cc;
  return cc == "bbr" ? 3 : 2;
}

// The model assumes Linux's default tcp_wmem (4096 16384 4194304): a capture
// does not carry the recording host's sysctls. On a host tuned otherwise the
// live comparison would measure the tuning, not the model.
bool HostHasDefaultTcpWmem() {
  std::ifstream f("/proc/sys/net/ipv4/tcp_wmem");
  uint64_t lo = 0, def = 0, hi = 0;
  f >> lo >> def >> hi;
  return lo == 4096 && def == 16384 && hi == 4194304;
}

tcp_info Info(int fd) {
  tcp_info ti{};
  socklen_t len = sizeof ti;
  getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len);
  return ti;
}

std::string Describe(const std::vector<EpollEvent>& evs) {
  std::string s = "[";
  for (const auto& e : evs) s += (e.events & EPOLLOUT) ? "OUT " : "other ";
  return s + "]";
}

// One server socket on each side: the real one and the model's (conn 0).
class SendPair {
 public:
  explicit SendPair(int client_mss, int client_rcvbuf) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(l, 4), 0);
    socklen_t alen = sizeof a;
    getsockname(l, reinterpret_cast<sockaddr*>(&a), &alen);
    client_ = socket(AF_INET, SOCK_STREAM, 0);
    if (client_rcvbuf > 0)
      setsockopt(client_, SOL_SOCKET, SO_RCVBUF, &client_rcvbuf, sizeof client_rcvbuf);
    if (client_mss > 0)
      setsockopt(client_, IPPROTO_TCP, TCP_MAXSEG, &client_mss, sizeof client_mss);
    EXPECT_EQ(connect(client_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    server_ = accept4(l, nullptr, nullptr, SOCK_NONBLOCK);
    close(l);
    int one = 1;
    setsockopt(server_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    usleep(2000);

    // The model's socket, tuned from what the handshake told the server.
    SockAddr local = *SockAddr::FromHostPort("127.0.0.1", ntohs(a.sin_port));
    model_.Listen(100, local, 4);
    model_.ConnectionEstablished(100, 0, *SockAddr::FromHostPort("127.0.0.1", 1), local, 0);
    model_.Accept(100, server_, nullptr);
    tcp_info ti = Info(server_);
    SendTuning t;
    t.mss = ti.tcpi_snd_mss;                  // tp->mss_cache
    t.mss_clamp = Info(client_).tcpi_advmss;  // the MSS option of the client's SYN
    // tcp_xmit_size_goal from the peer's window (its largest so far: the SYN's).
    uint32_t half = std::min<uint32_t>(65536, ti.tcpi_snd_wnd / 2);
    t.size_goal = std::max(t.mss, half / t.mss * t.mss);
    t.expand_factor = HostExpandFactor();
    model_.TuneSendBuffer(0, t);

    epfd_ = epoll_create1(0);
    model_.EpollCreate(epfd_);
  }
  ~SendPair() {
    close(client_);
    close(server_);
    close(epfd_);
  }

  int server() const { return server_; }
  KernelModel& model() { return model_; }
  uint64_t real_sndbuf() const {
    int v = 0;
    socklen_t len = sizeof v;
    getsockopt(server_, SOL_SOCKET, SO_SNDBUF, &v, &len);
    return static_cast<uint64_t>(v);
  }

  void Register(uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = 1;
    ASSERT_EQ(epoll_ctl(epfd_, EPOLL_CTL_ADD, server_, &ev), 0);
    ASSERT_TRUE(model_.EpollCtl(epfd_, EPOLL_CTL_ADD, server_, events, 1).ok());
  }
  // Both sides' ready lists now; the test compares them.
  std::pair<std::string, std::string> Wait() {
    epoll_event buf[4];
    int n = epoll_wait(epfd_, buf, 4, 0);
    std::vector<EpollEvent> real;
    for (int i = 0; i < n; i++) real.push_back({buf[i].events, buf[i].data.u64});
    std::vector<EpollEvent> modeled;
    model_.EpollWait(epfd_, 4, &modeled);
    return {Describe(real), Describe(modeled)};
  }
  // A non-blocking write on both sides; the model is then put in step with
  // what the kernel accepted, as the replay driver does.
  std::pair<int64_t, int64_t> Write(size_t n) {
    std::string data(n, 'v');
    ssize_t r = write(server_, data.data(), n);
    int64_t real = r < 0 ? -errno : r;
    bool nospace_before = model_.SocketByFd(server_)->nospace;
    SysResult m = model_.Write(server_, n);
    written_ += r > 0 ? static_cast<uint64_t>(r) : 0;
    model_.SyncWritten(server_, written_, nospace_before || real < static_cast<int64_t>(n));
    usleep(5000);
    FeedAcks();
    return {real, m.ok() ? m.value : -m.err};
  }
  // The client reads up to n bytes; its ACKs reach both servers.
  size_t ClientRead(size_t n) {
    std::string buf(n, '\0');
    ssize_t r = recv(client_, buf.data(), n, MSG_DONTWAIT);
    usleep(5000);
    FeedAcks();
    return r > 0 ? static_cast<size_t>(r) : 0;
  }
  uint64_t written() const { return written_; }

 private:
  // What the server's TCP says was sent and acknowledged, given to the model
  // as the capture would give it (snd_nxt, then the cumulative ACK).
  void FeedAcks() {
    tcp_info ti = Info(server_);
    uint64_t acked = ti.tcpi_bytes_acked > 0 ? ti.tcpi_bytes_acked - 1 : 0;  // minus the SYN
    model_.DataSent(0, written_ - ti.tcpi_notsent_bytes);
    model_.PeerAcked(0, acked);
  }

  KernelModel model_;
  int client_ = -1, server_ = -1, epfd_ = -1;
  uint64_t written_ = 0;
};

TEST(SendBufferVsLinux, InitialSndbufIsTcpSndbufExpandOfTheHandshake) {
  if (!HostHasDefaultTcpWmem()) GTEST_SKIP() << "host tcp_wmem is not the default";
  // tcp_init_buffer_space -> tcp_sndbuf_expand: factor x TCP_INIT_CWND x per_mss.
  SendPair small(536, 4096);
  EXPECT_EQ(small.model().SocketByFd(small.server())->sndbuf, small.real_sndbuf());
  SendPair plain(0, 0);
  EXPECT_EQ(plain.model().SocketByFd(plain.server())->sndbuf, plain.real_sndbuf());
}

TEST(SendBufferVsLinux, ShortWriteThenEpolloutOnlyOnceTheAcksFreeEnough) {
  if (!HostHasDefaultTcpWmem()) GTEST_SKIP() << "host tcp_wmem is not the default";
  SendPair p(536, 4096);
  p.Register(EPOLLOUT);
  auto w0 = p.Wait();
  EXPECT_EQ(w0.second, w0.first) << "fresh socket";
  EXPECT_EQ(w0.first, "[OUT ]");

  // The buffer fills: both cut the write short (by truesize, not payload).
  auto [real, modeled] = p.Write(200000);
  ASSERT_GT(real, 0);
  ASSERT_LT(real, 200000);
  EXPECT_NEAR(static_cast<double>(modeled), static_cast<double>(real), 0.05 * real)
      << "the kernel accepted " << real << ", the model " << modeled;
  auto w1 = p.Wait();
  EXPECT_EQ(w1.second, w1.first) << "right after the short write";
  EXPECT_EQ(w1.first, "[]");

  // The client drains in small reads; after each, the ACKs have reached the
  // server and both sides are asked again. Then the buffer — grown by
  // tcp_new_space -> tcp_sndbuf_expand — is filled and drained twice more.
  for (int round = 0; round < 3; round++) {
    if (round > 0) {
      auto [r, m] = p.Write(400000);
      ASSERT_GT(r, 0);
      EXPECT_NEAR(static_cast<double>(m), static_cast<double>(r), 0.10 * r)
          << "write " << round << ": the kernel accepted " << r << ", the model " << m;
      auto w = p.Wait();
      EXPECT_EQ(w.second, w.first) << "right after write " << round;
      EXPECT_EQ(w.first, "[]") << "right after write " << round;
    }
    bool out = false;
    for (int step = 1; step <= 2000 && !out; step++) {
      size_t n = p.ClientRead(1024);
      auto w = p.Wait();
      EXPECT_EQ(w.second, w.first)
          << "round " << round << ", after read " << step << " (" << n << " bytes)";
      // sk_sndbuf follows the congestion window; the model's window is an
      // estimate from the ACKs (it misses, e.g., a tail-loss probe's
      // delivery), so allow two segments of the window: 2 x factor x per_mss,
      // per_mss = roundup_pow_of_two(536 + 320 + 320) + 256 = 2304.
      double real_sndbuf = static_cast<double>(p.real_sndbuf());
      EXPECT_NEAR(static_cast<double>(p.model().SocketByFd(p.server())->sndbuf), real_sndbuf,
                  2.0 * HostExpandFactor() * 2304)
          << "round " << round << ", after read " << step;
      out = w.first == "[OUT ]" || w.second == "[OUT ]";
    }
    EXPECT_TRUE(out) << "round " << round << ": never writeable again";
  }
}

// The driver's inputs from traces/large_value's capture: the handshake's
// numbers and the client's ACKs.
TEST(SendSideFromTheCapture, LargeValueGivesTheHandshakeNumbersAndTheAcks) {
  replay::Bundle b;
  std::string error;
  ASSERT_TRUE(replay::LoadBundle(std::string(REEL_TRACES_DIR) + "/large_value", &b, &error))
      << error;
  replay::SendSide send = replay::BuildSendSide(b);
  ASSERT_EQ(send.problem, "");
  const replay::TcpFlow* big = nullptr;  // the GET connection: the client with the 536-byte MSS
  for (const replay::TcpFlow& f : b.streams.flows)
    if (f.to_client.end_offset > 200000) big = &f;
  ASSERT_NE(big, nullptr);
  ASSERT_TRUE(send.tuning.count(big->id));
  const SendTuning& t = send.tuning.at(big->id);
  EXPECT_EQ(t.mss_clamp, 536u);   // the SYN's MSS option
  EXPECT_EQ(t.mss, 524u);         // less the timestamp option
  EXPECT_EQ(t.size_goal, 1572u);  // half of the SYN's 3752-byte window, in whole segments
  uint64_t last = 0, acks = 0;
  for (const replay::SendSideEvent& e : send.events) {
    if (e.flow != big->id || e.type != replay::SendSideEvent::Type::kAck) continue;
    EXPECT_GE(e.offset, last) << "cumulative ACKs never go back";
    last = e.offset;
    acks++;
  }
  EXPECT_EQ(last, 204823u);  // 204822 reply bytes and the server's FIN
  EXPECT_GT(acks, 70u);
  // And what the rules make of them: every epoll_wait as the kernel answered.
  replay::FidelityReport f = replay::RunModelSchedule(b);
  EXPECT_EQ(f.epoll_wait.matches, f.epoll_wait.calls) << f.first_mismatch;
  EXPECT_EQ(f.sndbuf_expand_factor, 3u) << f.sndbuf_calibration;
}

}  // namespace
}  // namespace reel::model
