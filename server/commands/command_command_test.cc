#include <gtest/gtest.h>

#include <algorithm>

#include "server/commands/admin_support.h"
#include "server/commands/command_docs.h"
#include "server/commands/command_test_harness.h"

namespace reel {
namespace {

using testing::CommandHarness;

// Redis 7.0.15's replies, captured with redis-cli against redis-server.
constexpr const char* kGetInfo =
    "*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n"
    "+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\n"
    "begin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n"
    "$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n"
    ":0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";
constexpr const char* kGetDocs =
    "*2\r\n$3\r\nget\r\n*10\r\n$7\r\nsummary\r\n$22\r\nGet the value of a key\r\n$5\r\nsince\r\n"
    "$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\n"
    "arguments\r\n*1\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\n"
    "key_spec_index\r\n:0\r\n";
constexpr const char* kPingInfo =
    "*10\r\n$4\r\nping\r\n:-1\r\n*1\r\n+fast\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@fast\r\n"
    "+@connection\r\n*2\r\n$25\r\nrequest_policy:all_shards\r\n$29\r\nresponse_policy:all_"
    "succeeded\r\n*0\r\n*0\r\n";

TEST(CommandCommand, InfoMatchesRedis) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"COMMAND", "INFO", "get"}), std::string("*1\r\n") + kGetInfo);
  EXPECT_EQ(h.Run({"command", "info", "PING", "nosuch", "GET"}),
            std::string("*3\r\n") + kPingInfo + "$-1\r\n" + kGetInfo);
}

TEST(CommandCommand, DocsMatchRedis) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"COMMAND", "DOCS", "get"}), kGetDocs);
  EXPECT_EQ(h.Run({"COMMAND", "DOCS", "nosuch"}), "*0\r\n");
  // Tokens are uppercase, flags are status replies, history pairs arrays.
  std::string set = h.Run({"COMMAND", "DOCS", "set"});
  EXPECT_NE(set.find("$7\r\nhistory\r\n*4\r\n*2\r\n$6\r\n2.6.12\r\n"), std::string::npos) << set;
  EXPECT_NE(set.find("$5\r\ntoken\r\n$2\r\nNX\r\n"), std::string::npos) << set;
  EXPECT_NE(set.find("$5\r\nflags\r\n*1\r\n+optional\r\n"), std::string::npos) << set;
}

TEST(CommandCommand, ContainerListsItsSubcommands) {
  CommandHarness h;
  std::string info = h.Run({"COMMAND", "INFO", "config"});
  EXPECT_EQ(
      info.rfind("*1\r\n*10\r\n$6\r\nconfig\r\n:-2\r\n*0\r\n:0\r\n:0\r\n:0\r\n*1\r\n+@slow\r\n"
                 "*0\r\n*0\r\n*5\r\n",
                 0),
      0u)
      << info;
  EXPECT_NE(info.find("*10\r\n$10\r\nconfig|get\r\n:-3\r\n"), std::string::npos) << info;
  EXPECT_EQ(h.Run({"COMMAND", "INFO", "config|set"})
                .rfind("*1\r\n*10\r\n$10\r\nconfig|set\r\n:-4\r\n"
                       "*4\r\n+admin\r\n+noscript\r\n+loading\r\n"
                       "+stale\r\n",
                       0),
            0u);
  EXPECT_EQ(h.Run({"COMMAND", "INFO", "config|nosuch", "get|x", "config|get|x"}),
            "*3\r\n$-1\r\n$-1\r\n$-1\r\n");
  std::string docs = h.Run({"COMMAND", "DOCS", "slowlog"});
  EXPECT_NE(docs.find("$11\r\nsubcommands\r\n*8\r\n$11\r\nslowlog|get\r\n"), std::string::npos)
      << docs;
}

TEST(CommandCommand, CountListAndAll) {
  CommandHarness h;
  int64_t n = static_cast<int64_t>(h.table().all().size());
  EXPECT_EQ(h.Run({"COMMAND", "COUNT"}), ":" + std::to_string(n) + "\r\n");
  std::string all = h.Run({"COMMAND"});
  EXPECT_EQ(all.rfind("*" + std::to_string(n) + "\r\n*10\r\n", 0), 0u);
  EXPECT_EQ(h.Run({"COMMAND", "INFO"}), all);
  std::string list = h.Run({"COMMAND", "LIST"});
  EXPECT_NE(list.find("$6\r\nclient\r\n$14\r\nclient|getname\r\n"), std::string::npos);
  EXPECT_EQ(
      h.Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "slowlog*"}),
      "*5\r\n$7\r\nslowlog\r\n$11\r\nslowlog|get\r\n$12\r\nslowlog|help\r\n$11\r\nslowlog|len\r\n"
      "$13\r\nslowlog|reset\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "CONFIG|G?T"}),
            "*1\r\n$10\r\nconfig|get\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "LIST", "FILTERBY", "MODULE", "x"}), "*0\r\n");
  std::string conn = h.Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection"});
  EXPECT_NE(conn.find("$4\r\nping\r\n"), std::string::npos) << conn;
  EXPECT_EQ(conn.find("$3\r\nget\r\n"), std::string::npos) << conn;
  EXPECT_EQ(h.Run({"COMMAND", "LIST", "FILTERBY", "foo", "x"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "LIST", "FILTERBY", "PATTERN"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "LIST", "x"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "COUNT", "x"}),
            "-ERR wrong number of arguments for 'command|count' command\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "foo"}), "-ERR unknown subcommand 'foo'. Try COMMAND HELP.\r\n");
}

TEST(CommandCommand, Getkeys) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "GET", "k"}), "*1\r\n$1\r\nk\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "SET", "k", "v", "EX", "10"}), "*1\r\n$1\r\nk\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "nosuch", "a"}), "-ERR Invalid command specified\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "PING", "x"}),
            "-ERR The command has no key arguments\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "GET", "a", "b"}),
            "-ERR Invalid number of arguments specified for command\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "GET"}),
            "-ERR wrong number of arguments for 'command|getkeys' command\r\n");
}

TEST(CommandCommand, Help) {
  CommandHarness h;
  std::string help = h.Run({"COMMAND", "HELP"});
  EXPECT_EQ(
      help.rfind("*19\r\n+COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
                 "+(no subcommand)\r\n",
                 0),
      0u)
      << help;
}

TEST(CommandDocs, TableIsSortedAndSearchable) {
  auto docs = AllCommandDocs();
  ASSERT_GT(docs.size(), 100u);
  EXPECT_TRUE(std::is_sorted(
      docs.begin(), docs.end(),
      [](const CommandDoc& a, const CommandDoc& b) { return std::string_view(a.name) < b.name; }));
  ASSERT_NE(FindCommandDoc("GET"), nullptr);
  EXPECT_STREQ(FindCommandDoc("Client|List")->name, "client|list");
  EXPECT_EQ(FindCommandDoc("nosuch"), nullptr);
  EXPECT_EQ(FindCommandDoc("client|"), nullptr);
}

// Every command and subcommand reel registers takes the arguments Redis 7.0
// documents: an arity mismatch would make COMMAND lie to clients.
TEST(CommandDocs, AritiesMatchRedis) {
  CommandHarness h;
  for (const CommandSpec& spec : h.table().all()) {
    const CommandDoc* doc = FindCommandDoc(spec.name);
    if (doc == nullptr) continue;  // reel-only command: no Redis contract
    EXPECT_EQ(spec.arity, doc->arity) << spec.name;
    for (const SubcommandSpec& sub : SubcommandsOf(spec.name)) {
      std::string full = std::string(spec.name) + "|" + sub.name;
      const CommandDoc* sub_doc = FindCommandDoc(full);
      ASSERT_NE(sub_doc, nullptr) << full;
      EXPECT_EQ(sub.arity, sub_doc->arity) << full;
    }
  }
}

}  // namespace
}  // namespace reel
