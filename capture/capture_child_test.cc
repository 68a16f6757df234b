#include "capture/capture_child.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace reel {
namespace {

TEST(CaptureChild, ResolveCommandSearchesPath) {
  std::string sh = ResolveCommand("sh");
  ASSERT_FALSE(sh.empty());
  EXPECT_EQ(sh.front(), '/');
  EXPECT_EQ(access(sh.c_str(), X_OK), 0);
  EXPECT_EQ(ResolveCommand("/bin/sh"), "/bin/sh");
  EXPECT_EQ(ResolveCommand("no-such-command-reel-xyz"), "");
  EXPECT_EQ(ResolveCommand("/no/such/file"), "");
  char plain[] = "/tmp/reel-not-executable-XXXXXX";
  int fd = mkstemp(plain);  // mode 0600: no execute bit for anyone
  ASSERT_GE(fd, 0);
  close(fd);
  EXPECT_EQ(ResolveCommand(plain), "");
  unlink(plain);
  EXPECT_EQ(ResolveCommand(""), "");
}

TEST(CaptureChild, PortInUseSeesAListener) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  std::string detail;
  EXPECT_FALSE(PortInUse(port, &detail)) << "bound but not listening is free for a server";
  ASSERT_EQ(listen(fd, 1), 0);
  EXPECT_TRUE(PortInUse(port, &detail));
  EXPECT_NE(detail.find(std::to_string(port)), std::string::npos) << detail;
  close(fd);
  EXPECT_FALSE(PortInUse(port, &detail));
}

bool WaitReaped(SpawnedChild* c) {
  for (int i = 0; i < 500; i++) {
    if (ReapChild(c)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(CaptureChild, SpawnReportsExitCodeAndEnvironment) {
  SpawnedChild c;
  ASSERT_EQ(SpawnChild({"/bin/sh", "-c", "test \"$REEL_X\" = yes && exit 3"}, {"REEL_X=yes"}, &c),
            0);
  ASSERT_TRUE(WaitReaped(&c));
  EXPECT_EQ(c.exit_code, 3);
  EXPECT_EQ(c.term_signal, 0);
  EXPECT_EQ(DescribeExit(c), "exit code 3");
}

TEST(CaptureChild, SpawnedChildHasItsOwnProcessGroupAndDefaultSignals) {
  // Block SIGTERM here: the child must still get it at its default action.
  sigset_t mask, old;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &mask, &old);
  SpawnedChild c;
  ASSERT_EQ(SpawnChild({"/bin/sleep", "30"}, {}, &c), 0);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  for (int i = 0; i < 100 && getpgid(c.pid) != c.pid; i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(getpgid(c.pid), c.pid);
  EXPECT_FALSE(ReapChild(&c));
  EXPECT_EQ(DescribeExit(c), "still running");
  kill(c.pid, SIGTERM);
  ASSERT_TRUE(WaitReaped(&c));
  EXPECT_EQ(c.term_signal, SIGTERM);
  EXPECT_EQ(DescribeExit(c), "killed by SIGTERM");
}

TEST(CaptureChild, SpawnFailureIsAnErrno) {
  SpawnedChild c;
  EXPECT_EQ(SpawnChild({"/no/such/binary"}, {}, &c), ENOENT);
}

}  // namespace
}  // namespace reel
