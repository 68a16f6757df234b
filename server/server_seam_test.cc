// Drives the real reactor, networking and command code through a scripted
// Kernel — no sockets, no epoll — proving that the server reaches the OS
// only through the seam: every readiness, byte and clock reading the server
// sees below comes from the script.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "server/server.h"

namespace reel {
namespace {

class ScriptedKernel : public Kernel {
 public:
  // One scripted result for a read(2): bytes, or an errno.
  struct ReadStep {
    std::string data;
    int err = 0;
  };
  // How much the next write(2) accepts: -1 = everything, else a byte count;
  // err != 0 fails the write with that errno.
  struct WriteStep {
    int64_t accept = -1;
    int err = 0;
  };

  SysResult EpollCreate(int) override {
    Log("epoll_create");
    return SysResult::Ok(kEpfd);
  }
  SysResult EpollCtl(int, int op, int fd, uint32_t events, uint64_t) override {
    Log("epoll_ctl " +
        std::string(op == kEpollCtlAdd   ? "ADD"
                    : op == kEpollCtlMod ? "MOD"
                                         : "DEL") +
        " " + std::to_string(fd) + " " + Mask(events));
    interest[fd] = op == kEpollCtlDel ? 0 : events;
    return SysResult::Ok(0);
  }
  SysResult EpollWait(int, EpollEvent* events, int maxevents, int) override {
    if (ready.empty()) {
      stop = true;  // script exhausted: let the loop end
      return SysResult::Ok(0);
    }
    auto batch = ready.front();
    ready.pop_front();
    int n = 0;
    for (auto& [fd, ev] : batch) {
      if (n == maxevents) break;
      events[n].data = static_cast<uint64_t>(fd);
      events[n].events = ev;
      n++;
    }
    Log("epoll_wait -> " + std::to_string(n));
    return SysResult::Ok(n);
  }
  SysResult Socket(int, int, int) override { return SysResult::Ok(kListenFd); }
  SysResult SetSockOpt(int, int, int, int) override { return SysResult::Ok(0); }
  SysResult Bind(int, const SockAddr&) override { return SysResult::Ok(0); }
  SysResult Listen(int, int) override { return SysResult::Ok(0); }
  SysResult Accept4(int fd, SockAddr* peer, int) override {
    if (pending_accepts.empty()) {
      Log("accept EAGAIN");
      return SysResult::Error(EAGAIN);
    }
    int cfd = pending_accepts.front();
    pending_accepts.pop_front();
    *peer = *SockAddr::FromHostPort("127.0.0.1", static_cast<uint16_t>(40000 + cfd));
    Log("accept " + std::to_string(cfd));
    return SysResult::Ok(cfd);
  }
  SysResult GetSockName(int, SockAddr* a) override {
    *a = *SockAddr::FromHostPort("127.0.0.1", 6379);
    return SysResult::Ok(0);
  }
  SysResult Read(int fd, void* buf, size_t len) override {
    auto& q = reads[fd];
    if (q.empty()) {
      Log("read " + std::to_string(fd) + " EAGAIN");
      return SysResult::Error(EAGAIN);
    }
    ReadStep step = q.front();
    q.pop_front();
    if (step.err) {
      Log("read " + std::to_string(fd) + " errno " + std::to_string(step.err));
      return SysResult::Error(step.err);
    }
    size_t n = std::min(len, step.data.size());
    std::memcpy(buf, step.data.data(), n);
    if (n < step.data.size()) q.push_front({step.data.substr(n), 0});
    Log("read " + std::to_string(fd) + " " + std::to_string(n));
    return SysResult::Ok(static_cast<int64_t>(n));
  }
  SysResult Write(int fd, const void* buf, size_t len) override {
    WriteStep step;
    if (!writes[fd].empty()) {
      step = writes[fd].front();
      writes[fd].pop_front();
    }
    if (step.err) {
      Log("write " + std::to_string(fd) + " errno " + std::to_string(step.err));
      return SysResult::Error(step.err);
    }
    size_t n = step.accept < 0 ? len : std::min(len, static_cast<size_t>(step.accept));
    written[fd].append(static_cast<const char*>(buf), n);
    Log("write " + std::to_string(fd) + " " + std::to_string(n) + "/" + std::to_string(len));
    return SysResult::Ok(static_cast<int64_t>(n));
  }
  SysResult Writev(int, const IoVec*, int) override { return SysResult::Error(ENOSYS); }
  SysResult Close(int fd) override {
    Log("close " + std::to_string(fd));
    return SysResult::Ok(0);
  }
  SysResult Shutdown(int, int) override { return SysResult::Ok(0); }
  int64_t MonotonicNs() override { return now_ns += 1000; }  // every reading moves 1 us
  int64_t RealtimeNs() override { return 1'700'000'000'000'000'000 + now_ns; }
  void RandomBytes(void* buf, size_t len) override { std::memset(buf, 7, len); }
  void SleepNs(int64_t ns) override { now_ns += ns; }
  int64_t ProcessId() override { return 1; }
  bool StopRequested() override { return stop; }

  void Log(std::string s) { calls.push_back(std::move(s)); }
  static std::string Mask(uint32_t ev) {
    std::string m;
    if (ev & kEpollIn) m += "IN";
    if (ev & kEpollOut) m += m.empty() ? "OUT" : "|OUT";
    return m.empty() ? "0" : m;
  }
  bool Called(const std::string& s) const {
    return std::find(calls.begin(), calls.end(), s) != calls.end();
  }

  static constexpr int kEpfd = 3;
  static constexpr int kListenFd = 4;
  std::deque<std::vector<std::pair<int, uint32_t>>> ready;
  std::deque<int> pending_accepts;
  std::map<int, std::deque<ReadStep>> reads;
  std::map<int, std::deque<WriteStep>> writes;
  std::map<int, std::string> written;
  std::map<int, uint32_t> interest;
  std::vector<std::string> calls;
  int64_t now_ns = 0;
  bool stop = false;
};

// Runs loop iterations until the script is exhausted, without the graceful
// shutdown Server::Run() ends with, so tests can inspect live state.
void RunScript(Server& server, ScriptedKernel& k) {
  for (int i = 0; i < 1000 && !k.stop; i++) server.loop().ProcessEvents();
}

ServerConfig TestConfig() {
  ServerConfig c;
  c.port = 6379;
  c.maxclients = 16;
  return c;
}

TEST(ServerSeam, AcceptReadPingWritesPong) {
  ScriptedKernel k;
  Server server(k, TestConfig());
  std::string err;
  ASSERT_EQ(server.Start(&err), 0) << err;
  k.ready.push_back({{ScriptedKernel::kListenFd, kEpollIn}});
  k.pending_accepts.push_back(7);
  k.ready.push_back({{7, kEpollIn}});
  k.reads[7].push_back({"PING\r\n"});
  server.Run();
  EXPECT_EQ(k.written[7], "+PONG\r\n");
  EXPECT_TRUE(k.Called("accept 7"));
  EXPECT_TRUE(k.Called("accept EAGAIN")) << "accept loop must stop at EAGAIN";
  EXPECT_TRUE(k.Called("epoll_ctl ADD 7 IN"));
  // The reply is written in before-sleep, without installing a write handler.
  EXPECT_FALSE(k.Called("epoll_ctl MOD 7 IN|OUT"));
}

TEST(ServerSeam, ReadEagainLeavesClientConnectedAndQuiet) {
  ScriptedKernel k;
  Server server(k, TestConfig());
  std::string err;
  ASSERT_EQ(server.Start(&err), 0) << err;
  k.ready.push_back({{ScriptedKernel::kListenFd, kEpollIn}});
  k.pending_accepts.push_back(7);
  k.ready.push_back({{7, kEpollIn}});  // spurious readiness: the read returns EAGAIN
  k.ready.push_back({{7, kEpollIn}});
  k.reads[7].push_back({"", EAGAIN});
  k.reads[7].push_back({"PI"});  // a command split across two reads
  k.ready.push_back({{7, kEpollIn}});
  k.reads[7].push_back({"NG\r\n"});
  RunScript(server, k);
  EXPECT_TRUE(k.Called("read 7 errno " + std::to_string(EAGAIN)));
  EXPECT_EQ(k.written[7], "+PONG\r\n");
  EXPECT_FALSE(k.Called("close 7")) << "EAGAIN must not close the client";
  EXPECT_EQ(server.clients().size(), 1u);
}

TEST(ServerSeam, PartialWriteInstallsWritableHandlerUntilDrained) {
  ScriptedKernel k;
  Server server(k, TestConfig());
  std::string err;
  ASSERT_EQ(server.Start(&err), 0) << err;
  k.ready.push_back({{ScriptedKernel::kListenFd, kEpollIn}});
  k.pending_accepts.push_back(9);
  k.ready.push_back({{9, kEpollIn}});
  k.reads[9].push_back({"ECHO hello-world\r\n"});
  // The first write takes 5 bytes (socket buffer full); the server must not
  // spin but wait for writability.
  k.writes[9].push_back({5, 0});
  k.ready.push_back({{9, kEpollOut}});  // spurious: this write gets EAGAIN
  k.writes[9].push_back({0, EAGAIN});
  k.ready.push_back({{9, kEpollOut}});  // now the rest fits
  RunScript(server, k);
  EXPECT_EQ(k.written[9], "$11\r\nhello-world\r\n");
  EXPECT_TRUE(k.Called("epoll_ctl MOD 9 IN|OUT")) << "partial write must install the handler";
  EXPECT_TRUE(k.Called("epoll_ctl MOD 9 IN")) << "drained output must remove the handler";
  EXPECT_EQ(k.interest[9], kEpollIn);
}

TEST(ServerSeam, PipelinedCommandsRunInOrderAndReplyInOneWrite) {
  ScriptedKernel k;
  Server server(k, TestConfig());
  std::string err;
  ASSERT_EQ(server.Start(&err), 0) << err;
  k.ready.push_back({{ScriptedKernel::kListenFd, kEpollIn}});
  k.pending_accepts.push_back(7);
  k.ready.push_back({{7, kEpollIn}});
  k.reads[7].push_back(
      {"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n"});
  server.Run();
  EXPECT_EQ(k.written[7], "+OK\r\n$1\r\nv\r\n+PONG\r\n");
  EXPECT_EQ(std::count_if(k.calls.begin(), k.calls.end(),
                          [](const std::string& c) { return c.rfind("write 7", 0) == 0; }),
            1);
}

TEST(ServerSeam, EofAndResetCloseTheClient) {
  ScriptedKernel k;
  Server server(k, TestConfig());
  std::string err;
  ASSERT_EQ(server.Start(&err), 0) << err;
  k.ready.push_back({{ScriptedKernel::kListenFd, kEpollIn}});
  k.pending_accepts.push_back(7);
  k.pending_accepts.push_back(8);
  k.ready.push_back({{7, kEpollIn}, {8, kEpollIn | kEpollHup}});
  k.reads[7].push_back({""});  // EOF
  k.reads[8].push_back({"", ECONNRESET});
  server.Run();
  EXPECT_TRUE(k.Called("close 7"));
  EXPECT_TRUE(k.Called("close 8"));
  EXPECT_TRUE(server.clients().empty());
}

TEST(ServerSeam, QuitRepliesOkThenCloses) {
  ScriptedKernel k;
  Server server(k, TestConfig());
  std::string err;
  ASSERT_EQ(server.Start(&err), 0) << err;
  k.ready.push_back({{ScriptedKernel::kListenFd, kEpollIn}});
  k.pending_accepts.push_back(7);
  k.ready.push_back({{7, kEpollIn}});
  k.reads[7].push_back({"QUIT\r\nPING\r\n"});
  k.ready.push_back({});
  server.Run();
  EXPECT_EQ(k.written[7], "+OK\r\n") << "nothing after QUIT is executed";
  EXPECT_TRUE(k.Called("close 7"));
}

TEST(ServerSeam, MaxclientsRejectsWithRedisErrorAndCloses) {
  ScriptedKernel k;
  ServerConfig c = TestConfig();
  c.maxclients = 1;
  Server server(k, c);
  std::string err;
  ASSERT_EQ(server.Start(&err), 0) << err;
  k.ready.push_back({{ScriptedKernel::kListenFd, kEpollIn}});
  k.pending_accepts.push_back(7);
  k.pending_accepts.push_back(8);
  server.Run();
  EXPECT_EQ(k.written[8], "-ERR max number of clients reached\r\n");
  EXPECT_TRUE(k.Called("close 8"));
  EXPECT_EQ(server.stats().rejected_connections, 1u);
}

TEST(ServerSeam, ClockAndRandomnessComeFromTheKernel) {
  ScriptedKernel k;
  Server a(k, TestConfig());
  ScriptedKernel k2;
  Server b(k2, TestConfig());
  // Same random bytes from the kernel -> same run id and same hash seed.
  EXPECT_EQ(a.run_id(), b.run_id());
  EXPECT_EQ(a.db().Hash("key"), b.db().Hash("key"));
}

}  // namespace
}  // namespace reel
