#include <gtest/gtest.h>

#include "server/commands/command_test_harness.h"
#include "server/commands/server_test_peer.h"

namespace reel {
namespace {

using testing::CommandHarness;
using testing::ServerFixture;

TEST(ServerCommands, DbsizeAndFlush) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"DBSIZE"}), ":0\r\n");
  h.db().Set("a", Object(std::string("1")));
  h.db().Set("b", Object(std::string("2")));
  EXPECT_EQ(h.Run({"DBSIZE"}), ":2\r\n");
  EXPECT_EQ(h.Run({"FLUSHDB", "x"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"FLUSHDB", "sync", "async"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"DBSIZE"}), ":2\r\n");
  EXPECT_EQ(h.Run({"FLUSHDB", "ASYNC"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"DBSIZE"}), ":0\r\n");
  h.db().Set("c", Object(std::string("3")));
  EXPECT_EQ(h.Run({"FLUSHALL", "foo"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"FLUSHALL", "sync"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"DBSIZE"}), ":0\r\n");
  EXPECT_EQ(h.Run({"FLUSHALL"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"DBSIZE", "x"}), "-ERR wrong number of arguments for 'dbsize' command\r\n");
}

TEST(ServerCommands, TimeReadsTheKernelClock) {
  CommandHarness h;
  h.kernel().real_ns = 1'700'000'123'456'789'000;
  EXPECT_EQ(h.Run({"TIME"}), "*2\r\n$10\r\n1700000123\r\n$6\r\n456789\r\n");
  h.kernel().real_ns = 1'700'000'124'000'001'000;
  EXPECT_EQ(h.Run({"TIME"}), "*2\r\n$10\r\n1700000124\r\n$1\r\n1\r\n");
  EXPECT_EQ(h.Run({"TIME", "x"}), "-ERR wrong number of arguments for 'time' command\r\n");
}

TEST(ServerCommands, DebugSleepBlocksOnTheKernel) {
  CommandHarness h;
  int64_t before = h.kernel().mono_ns;
  EXPECT_EQ(h.Run({"DEBUG", "SLEEP", "0.25"}), "+OK\r\n");
  EXPECT_EQ(h.kernel().mono_ns - before, 250'000'000);
  EXPECT_EQ(h.Run({"DEBUG", "SLEEP", "abc"}), "+OK\r\n");  // strtod: 0
  EXPECT_EQ(h.Run({"DEBUG", "SLEEP", "-1"}), "+OK\r\n");
  EXPECT_EQ(h.kernel().mono_ns - before, 250'000'000);
}

TEST(ServerCommands, DebugDigest) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"DEBUG", "DIGEST"}), "+0000000000000000000000000000000000000000\r\n");
  h.db().Set("k", Object(std::string("v")));
  std::string d1 = h.Run({"DEBUG", "DIGEST"});
  ASSERT_EQ(d1.size(), 1 + 40 + 2u);
  EXPECT_NE(d1, "+0000000000000000000000000000000000000000\r\n");
  EXPECT_EQ(d1.substr(1, 40), std::string(8, '0') + h.db().Digest());
  h.db().Set("k", Object(std::string("w")));
  EXPECT_NE(h.Run({"DEBUG", "DIGEST"}), d1);
  h.db().Set("k", Object(std::string("v")));
  EXPECT_EQ(h.Run({"DEBUG", "DIGEST"}), d1);
}

TEST(ServerCommands, DebugErrorsAndHelp) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"DEBUG"}), "-ERR wrong number of arguments for 'debug' command\r\n");
  EXPECT_EQ(h.Run({"DEBUG", "foo"}),
            "-ERR unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP.\r\n");
  EXPECT_EQ(
      h.Run({"debug", "digest", "x"}),
      "-ERR unknown subcommand or wrong number of arguments for 'digest'. Try DEBUG HELP.\r\n");
  EXPECT_EQ(
      h.Run({"DEBUG", "SLEEP"}),
      "-ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG HELP.\r\n");
  EXPECT_EQ(h.Run({"debug", "help"}),
            "*7\r\n+DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
            "+DIGEST\r\n+    Output a hex signature representing the current DB content.\r\n"
            "+SLEEP <seconds>\r\n+    Stop the server for <seconds>. Decimals allowed.\r\n"
            "+HELP\r\n+    Prints this help.\r\n");
}

TEST(ServerCommands, SlowlogRecordsSlowCommands) {
  ServerConfig config;
  config.slowlog_log_slower_than = 100000;  // 100 ms
  ServerFixture f(config);
  Client* c = f.Connect(50000);
  EXPECT_EQ(f.Run(c, {"CLIENT", "SETNAME", "slowpoke"}), "+OK\r\n");
  EXPECT_EQ(f.Run(c, {"SLOWLOG", "LEN"}), ":0\r\n");
  EXPECT_EQ(f.Run(c, {"DEBUG", "SLEEP", "0.2"}), "+OK\r\n");
  EXPECT_EQ(f.Run(c, {"PING"}), "+PONG\r\n");  // fast: not logged
  EXPECT_EQ(f.Run(c, {"SLOWLOG", "LEN"}), ":1\r\n");
  int64_t when = f.server().NowMs() / 1000;
  EXPECT_EQ(f.Run(c, {"SLOWLOG", "GET"}),
            "*1\r\n*6\r\n:0\r\n:" + std::to_string(when) +
                "\r\n:200000\r\n*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$3\r\n0.2\r\n"
                "$15\r\n127.0.0.1:50000\r\n$8\r\nslowpoke\r\n");
  EXPECT_EQ(f.Run(c, {"DEBUG", "SLEEP", "0.3"}), "+OK\r\n");
  // Newest first; a count limits the reply; -1 means all.
  std::string one = f.Run(c, {"SLOWLOG", "GET", "1"});
  EXPECT_EQ(one.rfind("*1\r\n*6\r\n:1\r\n", 0), 0u) << one;
  EXPECT_EQ(f.Run(c, {"SLOWLOG", "GET", "-1"}).rfind("*2\r\n*6\r\n:1\r\n", 0), 0u);
  EXPECT_EQ(f.Run(c, {"SLOWLOG", "GET", "0"}), "*0\r\n");
  EXPECT_EQ(f.Run(c, {"SLOWLOG", "GET", "-2"}),
            "-ERR count should be greater than or equal to -1\r\n");
  EXPECT_EQ(f.Run(c, {"SLOWLOG", "GET", "x"}),
            "-ERR count should be greater than or equal to -1\r\n");
  EXPECT_EQ(f.Run(c, {"SLOWLOG", "RESET"}), "+OK\r\n");
  EXPECT_EQ(f.Run(c, {"SLOWLOG", "LEN"}), ":0\r\n");
  EXPECT_EQ(f.Run(c, {"SLOWLOG", "GET"}), "*0\r\n");
}

TEST(ServerCommands, SlowlogErrorsAndHelp) {
  ServerFixture f;
  Client* c = f.Connect();
  EXPECT_EQ(f.Run(c, {"SLOWLOG"}), "-ERR wrong number of arguments for 'slowlog' command\r\n");
  EXPECT_EQ(f.Run(c, {"SLOWLOG", "foo"}), "-ERR unknown subcommand 'foo'. Try SLOWLOG HELP.\r\n");
  EXPECT_EQ(f.Run(c, {"SLOWLOG", "LEN", "x"}),
            "-ERR wrong number of arguments for 'slowlog|len' command\r\n");
  EXPECT_EQ(f.Run(c, {"slowlog", "help"}),
            "*12\r\n+SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
            "+GET [<count>]\r\n"
            "+    Return top <count> entries from the slowlog (default: 10, -1 mean all).\r\n"
            "+    Entries are made of:\r\n"
            "+    id, timestamp, time in microseconds, arguments array, client IP and port,\r\n"
            "+    client name\r\n"
            "+LEN\r\n+    Return the length of the slowlog.\r\n"
            "+RESET\r\n+    Reset the slowlog.\r\n"
            "+HELP\r\n+    Prints this help.\r\n");
}

}  // namespace
}  // namespace reel
