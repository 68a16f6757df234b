#include <gtest/gtest.h>

#include "server/commands/server_test_peer.h"

namespace reel {
namespace {

using testing::ServerFixture;

std::string Pair(std::string_view name, std::string_view value) {
  return "*2\r\n$" + std::to_string(name.size()) + "\r\n" + std::string(name) + "\r\n$" +
         std::to_string(value.size()) + "\r\n" + std::string(value) + "\r\n";
}

std::string SetFailed(std::string_view arg, std::string_view why) {
  return "-ERR CONFIG SET failed (possibly related to argument '" + std::string(arg) + "') - " +
         std::string(why) + "\r\n";
}

TEST(ConfigCommand, GetDefaults) {
  ServerFixture f;
  Client* c = f.Connect();
  // What redis-benchmark asks for at startup.
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "save"}), Pair("save", ""));
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "appendonly"}), Pair("appendonly", "no"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "maxclients"}), Pair("maxclients", "10000"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "hz"}), Pair("hz", "10"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "port"}), Pair("port", "6379"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "bind"}), Pair("bind", "127.0.0.1"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "timeout"}), Pair("timeout", "0"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "requirepass"}), Pair("requirepass", ""));
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "proto-max-bulk-len"}),
            Pair("proto-max-bulk-len", "536870912"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "client-query-buffer-limit"}),
            Pair("client-query-buffer-limit", "1073741824"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "slowlog-log-slower-than"}),
            Pair("slowlog-log-slower-than", "10000"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "slowlog-max-len"}), Pair("slowlog-max-len", "128"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "maxmemory"}), Pair("maxmemory", "0"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "databases"}), Pair("databases", "1"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "loglevel"}), Pair("loglevel", "notice"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "tcp-backlog"}), Pair("tcp-backlog", "511"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "client-output-buffer-limit"}),
            Pair("client-output-buffer-limit",
                 "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"));
}

TEST(ConfigCommand, GetPatternsAndNames) {
  ServerFixture f;
  Client* c = f.Connect();
  // An exact name is echoed as typed; patterns match case-insensitively and
  // list each parameter once.
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "MAXCLIENTS"}), Pair("MAXCLIENTS", "10000"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "port", "Port"}), Pair("port", "6379"));
  EXPECT_EQ(
      f.Run(c, {"CONFIG", "GET", "slowlog-*"}),
      "*4\r\n$23\r\nslowlog-log-slower-than\r\n$5\r\n10000\r\n$15\r\nslowlog-max-len\r\n$3\r\n"
      "128\r\n");
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "SLOWLOG-MAX-*", "slowlog-max-len"}),
            "*2\r\n$15\r\nslowlog-max-len\r\n$3\r\n128\r\n");
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "h?"}), Pair("hz", "10"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "nosuch"}), "*0\r\n");
  std::string all = f.Run(c, {"CONFIG", "GET", "*"});
  EXPECT_EQ(all.rfind("*38\r\n$4\r\nbind\r\n", 0), 0u) << all;
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET"}),
            "-ERR wrong number of arguments for 'config|get' command\r\n");
}

TEST(ConfigCommand, SetAppliesValues) {
  ServerFixture f;
  Client* c = f.Connect();
  ServerConfig& cfg = f.server().config();
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "hz", "20"}), "+OK\r\n");
  EXPECT_EQ(cfg.hz, 20);
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "hz", "1000"}), "+OK\r\n");  // capped, as updateHZ
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "hz"}), Pair("hz", "500"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "hz", "0"}), "+OK\r\n");
  EXPECT_EQ(cfg.hz, 1);
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "maxclients", "50", "timeout", "30"}), "+OK\r\n");
  EXPECT_EQ(cfg.maxclients, 50);
  EXPECT_EQ(cfg.timeout, 30);
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "proto-max-bulk-len", "2mb"}), "+OK\r\n");
  EXPECT_EQ(cfg.proto_max_bulk_len, 2 * 1024 * 1024);
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "client-query-buffer-limit", "1G"}), "+OK\r\n");
  EXPECT_EQ(cfg.client_query_buffer_limit, 1000 * 1000 * 1000);
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "slowlog-log-slower-than", "-1"}), "+OK\r\n");
  EXPECT_EQ(cfg.slowlog_log_slower_than, -1);
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "slowlog-max-len", "0"}), "+OK\r\n");
  EXPECT_EQ(cfg.slowlog_max_len, 0);
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "loglevel", "WARNING"}), "+OK\r\n");
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "loglevel"}), Pair("loglevel", "warning"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "save", "+900 01 300 10"}), "+OK\r\n");
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "save"}), Pair("save", "900 1 300 10"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "save", ""}), "+OK\r\n");
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "save"}), Pair("save", ""));
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "appendonly", "NO", "maxmemory", "0"}), "+OK\r\n");
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 2kb 3"}),
            "+OK\r\n");
  EXPECT_EQ(cfg.output_hard_limit, 1024 * 1024);
  EXPECT_EQ(cfg.output_soft_limit, 2048);
  EXPECT_EQ(cfg.output_soft_seconds, 3);
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "client-output-buffer-limit", "pubsub 1 2 3 replica 4 5 6"}),
            "+OK\r\n");
  EXPECT_EQ(f.Run(c, {"CONFIG", "GET", "client-output-buffer-limit"}),
            Pair("client-output-buffer-limit", "normal 1048576 2048 3 slave 4 5 6 pubsub 1 2 3"));
}

TEST(ConfigCommand, SetRequirepassAffectsNewClients) {
  ServerFixture f;
  Client* c = f.Connect(50000);
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "requirepass", "pw"}), "+OK\r\n");
  EXPECT_TRUE(c->authenticated());  // already connected clients stay in
  Client* d = f.Connect(50001);
  EXPECT_EQ(f.Run(d, {"GET", "x"}), "-NOAUTH Authentication required.\r\n");
  EXPECT_EQ(f.Run(d, {"AUTH", "pw"}), "+OK\r\n");
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "requirepass", ""}), "+OK\r\n");
  EXPECT_TRUE(f.Connect(50002)->authenticated());
}

TEST(ConfigCommand, SetErrors) {
  ServerFixture f;
  Client* c = f.Connect();
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "foo", "bar"}),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n");
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "hz"}),
            "-ERR wrong number of arguments for 'config|set' command\r\n");
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "hz", "1", "timeout"}), "-ERR syntax error\r\n");
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "hz", "abc"}),
            SetFailed("hz", "argument couldn't be parsed into an integer"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "maxclients", "0"}),
            SetFailed("maxclients", "argument must be between 1 and 4294967295 inclusive"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "maxclients", "-1"}),
            SetFailed("maxclients", "argument must be between 1 and 4294967295 inclusive"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "timeout", "-1"}),
            SetFailed("timeout", "argument must be between 0 and 2147483647 inclusive"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "loglevel", "foo"}),
            SetFailed("loglevel",
                      "argument(s) must be one of the following: debug, verbose, notice, warning"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "appendonly", "maybe"}),
            SetFailed("appendonly", "argument must be 'yes' or 'no'"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "appendonly", "yes"}),
            SetFailed("appendonly", "Unable to turn on AOF. Check server logs."));
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "save", "1 2 3"}),
            SetFailed("save", "Invalid save parameters"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "save", "0 1"}),
            SetFailed("save", "Invalid save parameters"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "tcp-backlog", "5"}),
            SetFailed("tcp-backlog", "can't set immutable config"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "PORT", "5"}),
            SetFailed("PORT", "can't set immutable config"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "proto-max-bulk-len", "100"}),
            SetFailed("proto-max-bulk-len",
                      "argument must be between 1048576 and 9223372036854775807 inclusive"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "proto-max-bulk-len", "1x"}),
            SetFailed("proto-max-bulk-len", "argument must be a memory value"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "slowlog-log-slower-than", "-2"}),
            SetFailed("slowlog-log-slower-than",
                      "argument must be between -1 and 9223372036854775807 inclusive"));
  EXPECT_EQ(
      f.Run(c, {"CONFIG", "SET", "slowlog-max-len", "-1"}),
      SetFailed("slowlog-max-len", "argument must be between 0 and 9223372036854775807 inclusive"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "hz", "10", "HZ", "11"}),
            SetFailed("HZ", "duplicate parameter"));
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "client-output-buffer-limit", "normal 1 2"}),
            SetFailed("client-output-buffer-limit",
                      "Wrong number of arguments in buffer limit configuration."));
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "client-output-buffer-limit", "master 1 2 3"}),
            SetFailed("client-output-buffer-limit",
                      "Invalid client class specified in buffer limit configuration."));
  EXPECT_EQ(
      f.Run(c, {"CONFIG", "SET", "client-output-buffer-limit", "normal 1x 2 3"}),
      SetFailed("client-output-buffer-limit",
                "Error in hard, soft or soft_seconds setting in buffer limit configuration."));
  // Names are checked before values, and the first bad name decides the
  // error (configSetCommand's first pass).
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "hz", "x", "foo", "1"}),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n");
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "foo", "1", "tcp-backlog", "1"}),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n");
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "tcp-backlog", "1", "foo", "1"}),
            SetFailed("tcp-backlog", "can't set immutable config"));
}

TEST(ConfigCommand, SetIsAtomic) {
  ServerFixture f;
  Client* c = f.Connect();
  EXPECT_EQ(f.Run(c, {"CONFIG", "SET", "hz", "42", "timeout", "-5"}),
            SetFailed("timeout", "argument must be between 0 and 2147483647 inclusive"));
  EXPECT_EQ(f.server().config().hz, 10);  // the valid half was not applied either
  EXPECT_EQ(
      f.Run(c, {"CONFIG", "SET", "client-output-buffer-limit", "normal 1 2 3 pubsub x 1 1"}),
      SetFailed("client-output-buffer-limit",
                "Error in hard, soft or soft_seconds setting in buffer limit configuration."));
  EXPECT_EQ(f.server().config().output_hard_limit, 0);
}

TEST(ConfigCommand, ResetstatRewriteHelp) {
  ServerFixture f;
  Client* c = f.Connect();
  EXPECT_EQ(f.Run(c, {"PING"}), "+PONG\r\n");
  EXPECT_EQ(f.Run(c, {"NOSUCHCMD"}).rfind("-ERR unknown command", 0), 0u);
  EXPECT_GT(f.server().stats().total_commands_processed, 0u);
  EXPECT_GT(f.server().stats().total_error_replies, 0u);
  EXPECT_EQ(f.Run(c, {"CONFIG", "RESETSTAT"}), "+OK\r\n");
  // The RESETSTAT call itself is counted after the reset, as in Redis.
  EXPECT_EQ(f.server().stats().total_commands_processed, 1u);
  EXPECT_EQ(f.server().stats().total_error_replies, 0u);
  EXPECT_EQ(f.server().command_stats().size(), 1u);
  EXPECT_EQ(f.server().command_stats().begin()->first, "config|resetstat");
  EXPECT_EQ(f.Run(c, {"CONFIG", "RESETSTAT", "x"}),
            "-ERR wrong number of arguments for 'config|resetstat' command\r\n");
  EXPECT_EQ(f.Run(c, {"CONFIG", "REWRITE"}),
            "-ERR The server is running without a config file\r\n");
  EXPECT_EQ(f.Run(c, {"CONFIG", "foo"}), "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n");
  EXPECT_EQ(f.Run(c, {"CONFIG"}), "-ERR wrong number of arguments for 'config' command\r\n");
  EXPECT_EQ(f.Run(c, {"config", "help"}),
            "*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
            "+GET <pattern>\r\n"
            "+    Return parameters matching the glob-like <pattern> and their values.\r\n"
            "+SET <directive> <value>\r\n+    Set the configuration <directive> to <value>.\r\n"
            "+RESETSTAT\r\n+    Reset statistics reported by the INFO command.\r\n"
            "+REWRITE\r\n+    Rewrite the configuration file.\r\n"
            "+HELP\r\n+    Prints this help.\r\n");
}

}  // namespace
}  // namespace reel
