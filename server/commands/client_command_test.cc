#include <gtest/gtest.h>

#include <regex>

#include "server/commands/command_test_harness.h"
#include "server/commands/server_test_peer.h"

namespace reel {
namespace {

using testing::ServerFixture;

// A bulk reply's payload.
std::string BulkBody(const std::string& reply) {
  size_t eol = reply.find("\r\n");
  EXPECT_EQ(reply[0], '$');
  size_t len = std::stoul(reply.substr(1, eol - 1));
  EXPECT_EQ(reply.size(), eol + 2 + len + 2);
  return reply.substr(eol + 2, len);
}

TEST(ClientCommand, IdSetnameGetname) {
  ServerFixture f;
  Client* a = f.Connect(50000);
  Client* b = f.Connect(50001);
  EXPECT_EQ(f.Run(a, {"CLIENT", "ID"}), ":1\r\n");
  EXPECT_EQ(f.Run(b, {"client", "id"}), ":2\r\n");
  EXPECT_EQ(f.Run(a, {"CLIENT", "GETNAME"}), "$-1\r\n");
  EXPECT_EQ(f.Run(a, {"CLIENT", "SETNAME", "worker-1"}), "+OK\r\n");
  EXPECT_EQ(f.Run(a, {"CLIENT", "GETNAME"}), "$8\r\nworker-1\r\n");
  for (const char* bad : {"a b", "a\nb", "caf\xc3\xa9", "tab\t"}) {
    EXPECT_EQ(f.Run(a, {"CLIENT", "SETNAME", bad}),
              "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  }
  EXPECT_EQ(f.Run(a, {"CLIENT", "GETNAME"}), "$8\r\nworker-1\r\n");
  EXPECT_EQ(f.Run(a, {"CLIENT", "SETNAME", ""}), "+OK\r\n");  // unsets
  EXPECT_EQ(f.Run(a, {"CLIENT", "GETNAME"}), "$-1\r\n");
}

TEST(ClientCommand, SubcommandErrors) {
  ServerFixture f;
  Client* c = f.Connect();
  EXPECT_EQ(f.Run(c, {"CLIENT"}), "-ERR wrong number of arguments for 'client' command\r\n");
  EXPECT_EQ(f.Run(c, {"CLIENT", "foo"}), "-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n");
  EXPECT_EQ(f.Run(c, {"client", "pause", "10"}),
            "-ERR unknown subcommand 'pause'. Try CLIENT HELP.\r\n");
  EXPECT_EQ(f.Run(c, {"CLIENT", "ID", "x"}),
            "-ERR wrong number of arguments for 'client|id' command\r\n");
  EXPECT_EQ(f.Run(c, {"CLIENT", "SETNAME"}),
            "-ERR wrong number of arguments for 'client|setname' command\r\n");
  EXPECT_EQ(f.Run(c, {"CLIENT", "KILL"}),
            "-ERR wrong number of arguments for 'client|kill' command\r\n");
  // The subcommand name is echoed as typed, at most 128 bytes of it.
  std::string long_name(200, 'x');
  EXPECT_EQ(f.Run(c, {"CLIENT", long_name}),
            "-ERR unknown subcommand '" + std::string(128, 'x') + "'. Try CLIENT HELP.\r\n");
}

TEST(ClientCommand, ListLineFormat) {
  ServerFixture f;
  Client* a = f.Connect(50000);
  Client* b = f.Connect(50001);
  EXPECT_EQ(f.Run(b, {"CLIENT", "SETNAME", "bee"}), "+OK\r\n");
  f.AdvanceMs(3000);
  std::string list = BulkBody(f.Run(a, {"CLIENT", "LIST"}));
  // One line per client, in connection order, each ending in a newline.
  std::regex line(
      "id=(\\d+) addr=127\\.0\\.0\\.1:(\\d+) laddr=127\\.0\\.0\\.1:6379 fd=(\\d+) name=(\\S*) "
      "age=(\\d+) idle=(\\d+) flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=\\d+ qbuf-free=\\d+ "
      "argv-mem=(\\d+) multi-mem=0 rbs=\\d+ rbp=\\d+ obl=(\\d+) oll=0 omem=0 tot-mem=\\d+ events=r "
      "cmd=(\\S+) user=default redir=-1 resp=2\n");
  // Groups: 1 id, 2 peer port, 3 fd, 4 name, 5 age, 6 idle, 7 argv-mem,
  // 8 obl (reply bytes not yet written), 9 cmd.
  std::smatch m;
  std::string rest = list;
  ASSERT_TRUE(std::regex_search(rest, m, line, std::regex_constants::match_continuous)) << list;
  EXPECT_EQ(m[1], "1");
  EXPECT_EQ(m[2], "50000");
  EXPECT_EQ(m[3], "10");
  EXPECT_EQ(m[4], "");
  EXPECT_EQ(m[5], "3");
  EXPECT_EQ(m[6], "0");            // a is running this very command
  EXPECT_EQ(m[7], "10");           // "client" + "list"
  EXPECT_EQ(m[8], "0");            // its reply is being built, not yet queued
  EXPECT_EQ(m[9], "client|list");  // the subcommand's full name
  rest = m.suffix();
  ASSERT_TRUE(std::regex_search(rest, m, line, std::regex_constants::match_continuous)) << list;
  EXPECT_EQ(m[1], "2");
  EXPECT_EQ(m[4], "bee");
  EXPECT_EQ(m[6], "3");  // idle since its SETNAME
  EXPECT_EQ(m[7], "0");  // no command in flight
  EXPECT_EQ(m[8], "5");  // "+OK\r\n", never written: there is no socket here
  EXPECT_EQ(m[9], "client|setname");
  EXPECT_EQ(m.suffix(), "");
}

TEST(ClientCommand, ListFilters) {
  ServerFixture f;
  Client* a = f.Connect(50000);
  f.Connect(50001);
  // Every reel client is a normal one.
  std::string normal = BulkBody(f.Run(a, {"CLIENT", "LIST", "TYPE", "normal"}));
  EXPECT_EQ(normal.rfind("id=1 ", 0), 0u) << normal;
  EXPECT_NE(normal.find("\nid=2 "), std::string::npos) << normal;
  EXPECT_EQ(std::count(normal.begin(), normal.end(), '\n'), 2);
  EXPECT_EQ(f.Run(a, {"CLIENT", "LIST", "TYPE", "pubsub"}), "$0\r\n\r\n");
  EXPECT_EQ(f.Run(a, {"CLIENT", "LIST", "TYPE", "replica"}), "$0\r\n\r\n");
  EXPECT_EQ(f.Run(a, {"CLIENT", "LIST", "TYPE", "foo"}), "-ERR Unknown client type 'foo'\r\n");
  std::string only2 = BulkBody(f.Run(a, {"CLIENT", "LIST", "ID", "2", "99"}));
  EXPECT_EQ(only2.rfind("id=2 addr=127.0.0.1:50001 ", 0), 0u) << only2;
  EXPECT_EQ(std::count(only2.begin(), only2.end(), '\n'), 1);
  EXPECT_EQ(f.Run(a, {"CLIENT", "LIST", "ID", "abc"}), "-ERR Invalid client ID\r\n");
  EXPECT_EQ(f.Run(a, {"CLIENT", "LIST", "ID", "999"}), "$0\r\n\r\n");
  EXPECT_EQ(f.Run(a, {"CLIENT", "LIST", "x"}), "-ERR syntax error\r\n");
  std::string info = BulkBody(f.Run(a, {"CLIENT", "INFO"}));
  EXPECT_EQ(info.rfind("id=1 addr=127.0.0.1:50000 ", 0), 0u) << info;
  EXPECT_NE(info.find(" cmd=client|info "), std::string::npos) << info;
}

TEST(ClientCommand, KillById) {
  ServerFixture f;
  Client* a = f.Connect(50000);
  Client* b = f.Connect(50001);
  EXPECT_EQ(f.Run(a, {"CLIENT", "KILL", "ID", "2"}), ":1\r\n");
  EXPECT_TRUE(b->HasFlag(kClientCloseAsap));
  EXPECT_FALSE(a->HasFlag(kClientCloseAsap | kClientCloseAfterReply));
  EXPECT_EQ(f.Run(a, {"CLIENT", "KILL", "ID", "99"}), ":0\r\n");
  // The new form skips the caller unless SKIPME no.
  EXPECT_EQ(f.Run(a, {"CLIENT", "KILL", "ID", "1"}), ":0\r\n");
  EXPECT_FALSE(a->HasFlag(kClientCloseAfterReply));
  EXPECT_EQ(f.Run(a, {"CLIENT", "KILL", "ID", "1", "SKIPME", "no"}), ":1\r\n");
  EXPECT_TRUE(a->HasFlag(kClientCloseAfterReply));  // after this reply, not before
  EXPECT_FALSE(a->HasFlag(kClientCloseAsap));
}

TEST(ClientCommand, KillByAddressAndErrors) {
  ServerFixture f;
  Client* a = f.Connect(50000);
  Client* b = f.Connect(50001);
  Client* c = f.Connect(50002);
  // Old form: OK or an error, and it may kill the caller.
  EXPECT_EQ(f.Run(a, {"CLIENT", "KILL", "1.2.3.4:5"}), "-ERR No such client\r\n");
  EXPECT_EQ(f.Run(a, {"CLIENT", "KILL", "127.0.0.1:50001"}), "+OK\r\n");
  EXPECT_TRUE(b->HasFlag(kClientCloseAsap));
  EXPECT_EQ(f.Run(a, {"CLIENT", "KILL", "ADDR", "127.0.0.1:50002"}), ":1\r\n");
  EXPECT_TRUE(c->HasFlag(kClientCloseAsap));
  EXPECT_EQ(f.Run(a, {"CLIENT", "KILL", "LADDR", "127.0.0.1:1"}), ":0\r\n");
  EXPECT_EQ(f.Run(a, {"CLIENT", "KILL", "TYPE", "master"}), ":0\r\n");
  EXPECT_EQ(f.Run(a, {"CLIENT", "KILL", "ID", "0"}), "-ERR client-id should be greater than 0\r\n");
  EXPECT_EQ(f.Run(a, {"CLIENT", "KILL", "ID", "abc"}),
            "-ERR client-id should be greater than 0\r\n");
  EXPECT_EQ(f.Run(a, {"CLIENT", "KILL", "TYPE", "foo"}), "-ERR Unknown client type 'foo'\r\n");
  EXPECT_EQ(f.Run(a, {"CLIENT", "KILL", "USER", "bob"}), "-ERR No such user 'bob'\r\n");
  EXPECT_EQ(f.Run(a, {"CLIENT", "KILL", "foo", "bar"}), "-ERR syntax error\r\n");
  EXPECT_EQ(f.Run(a, {"CLIENT", "KILL", "ID", "5", "SKIPME"}), "-ERR syntax error\r\n");
  EXPECT_EQ(f.Run(a, {"CLIENT", "KILL", "SKIPME", "maybe", "ID", "5"}), "-ERR syntax error\r\n");
  EXPECT_EQ(f.Run(a, {"CLIENT", "KILL", "127.0.0.1:50000"}), "+OK\r\n");
  EXPECT_TRUE(a->HasFlag(kClientCloseAfterReply));
}

TEST(ClientCommand, Help) {
  ServerFixture f;
  Client* c = f.Connect();
  std::string help = f.Run(c, {"client", "help"});
  EXPECT_EQ(help.rfind("*29\r\n+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
                       "+GETNAME\r\n",
                       0),
            0u)
      << help;
  EXPECT_NE(help.find("+KILL <option> <value> [<option> <value> [...]]\r\n"), std::string::npos);
  EXPECT_TRUE(
      help.ends_with("+SETNAME <name>\r\n+    Assign the name <name> to the current "
                     "connection.\r\n+HELP\r\n+    Prints this help.\r\n"))
      << help;
}

}  // namespace
}  // namespace reel
