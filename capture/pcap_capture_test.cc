#include "capture/pcap_capture.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>

namespace reel {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/reel-pcap-test-XXXXXX";
  char* d = mkdtemp(tmpl);
  return d ? d : "/tmp";
}

// A loopback listener on an ephemeral port.
int Listener(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  listen(fd, 4);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

class PcapCaptureTest : public ::testing::TestWithParam<bool> {};

TEST_P(PcapCaptureTest, CapturesLoopbackTrafficAndCountsPayload) {
  std::string dir = TempDir();
  int port = 0;
  int lfd = Listener(&port);
  PcapOptions o;
  o.filter = "tcp port " + std::to_string(port);
  o.path = dir + "/packets.pcap";
  o.server_port = port;
  o.immediate = GetParam();
  o.buffer_bytes = 4 << 20;
  PcapCapture cap;
  std::string error;
  bool permission = false;
  if (!cap.Open(o, &error, &permission)) {
    close(lfd);
    if (permission) GTEST_SKIP() << error;
    FAIL() << error;
  }
  cap.Start();
  int c = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  ASSERT_EQ(connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  int s = accept(lfd, nullptr, nullptr);
  ASSERT_GE(s, 0);
  std::string up(5000, 'u'), down(123, 'd');
  ASSERT_EQ(write(c, up.data(), up.size()), static_cast<ssize_t>(up.size()));
  ASSERT_EQ(write(s, down.data(), down.size()), static_cast<ssize_t>(down.size()));
  char buf[8192];
  size_t got = 0;
  while (got < up.size()) got += static_cast<size_t>(read(s, buf, sizeof buf));
  ASSERT_EQ(read(c, buf, sizeof buf), 123);
  close(c);
  close(s);
  close(lfd);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  cap.Stop();
  const PcapStats& st = cap.stats();
  EXPECT_TRUE(st.error.empty()) << st.error;
  EXPECT_EQ(st.payload_to_server, up.size());
  EXPECT_EQ(st.payload_from_server, down.size());
  EXPECT_EQ(st.syn_to_server, 1u);
  EXPECT_GE(st.captured, 6u);  // handshake, data, FINs
  EXPECT_TRUE(st.have_kernel_stats);
  EXPECT_EQ(st.dropped_kernel, 0u);

  // The file: a pcap header and exactly the captured packets, all whole.
  std::ifstream f(o.path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ASSERT_GE(data.size(), 24u);
  uint32_t magic;
  memcpy(&magic, data.data(), 4);
  EXPECT_EQ(magic, 0xA1B2C3D4u);
  size_t off = 24, packets = 0;
  while (off + 16 <= data.size()) {
    uint32_t caplen;
    memcpy(&caplen, data.data() + off + 8, 4);
    off += 16 + caplen;
    packets++;
  }
  EXPECT_EQ(off, data.size());
  EXPECT_EQ(packets, st.captured);
  struct stat sb {};
  ASSERT_EQ(stat(o.path.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  std::system(("rm -rf " + dir).c_str());
}

INSTANTIATE_TEST_SUITE_P(ImmediateAndBuffered, PcapCaptureTest, ::testing::Bool());

TEST(PcapCapture, SetupErrorsAreOneLine) {
  std::string dir = TempDir();
  PcapOptions o;
  o.path = dir + "/p.pcap";
  o.filter = "tcp port 1";
  o.iface = "no-such-if0";
  PcapCapture a;
  std::string error;
  bool permission = false;
  EXPECT_FALSE(a.Open(o, &error, &permission));
  EXPECT_NE(error.find("no-such-if0"), std::string::npos) << error;
  if (permission) GTEST_SKIP() << error;

  o.iface = "lo";
  o.filter = "tcp port";  // incomplete expression
  PcapCapture b;
  EXPECT_FALSE(b.Open(o, &error, &permission));
  EXPECT_NE(error.find("bad capture filter"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos);

  o.filter = "tcp port 1";
  o.path = dir + "/no/such/dir/p.pcap";
  PcapCapture c;
  EXPECT_FALSE(c.Open(o, &error, &permission));
  EXPECT_NE(error.find("cannot create"), std::string::npos) << error;
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace reel
