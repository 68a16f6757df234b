// Set commands: replies are byte-for-byte what Debian's redis-server 7.0.15
// sent for the same command sequences. Sets of integers reply in numeric
// order (Redis's intset); random picks are checked for their properties and
// for being reproducible from the Kernel's random numbers.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "server/commands/command_test_harness.h"
#include "server/commands/scan_test_support.h"

namespace reel {
namespace {

constexpr const char* kWrongType =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
constexpr const char* kNotInteger = "-ERR value is not an integer or out of range\r\n";

// Splits an array reply of bulk strings into its elements.
std::vector<std::string> Elements(const std::string& reply) {
  std::vector<std::string> out;
  size_t pos = reply.find("\r\n") + 2;
  while (pos < reply.size()) {
    EXPECT_EQ(reply[pos], '$');
    size_t eol = reply.find("\r\n", pos);
    size_t len = std::stoul(reply.substr(pos + 1, eol - pos - 1));
    out.push_back(reply.substr(eol + 2, len));
    pos = eol + 2 + len + 2;
  }
  return out;
}

std::string Bulks(const std::vector<std::string>& items) {
  std::string out = "*" + std::to_string(items.size()) + "\r\n";
  for (const std::string& s : items) out += "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
  return out;
}

class SetCommands : public ::testing::Test {
 protected:
  void SetUp() override { h.Run({"SET", "str", "v"}); }
  bool Exists(std::string_view key) { return h.db().Find(key) != nullptr; }
  testing::CommandHarness h;
};

TEST_F(SetCommands, AddRemCardAndIntegerOrder) {
  EXPECT_EQ(h.Run({"SADD", "s", "3", "1", "2", "1"}), ":3\r\n");
  EXPECT_EQ(h.Run({"SADD", "s", "10", "-5"}), ":2\r\n");
  EXPECT_EQ(h.Run({"SMEMBERS", "s"}), Bulks({"-5", "1", "2", "3", "10"}));
  EXPECT_EQ(h.Run({"SCARD", "s"}), ":5\r\n");
  EXPECT_EQ(h.Run({"SREM", "s", "1", "9"}), ":1\r\n");
  EXPECT_EQ(h.Run({"SREM", "nokey", "1"}), ":0\r\n");
  EXPECT_EQ(h.Run({"SMEMBERS", "nokey"}), "*0\r\n");
  EXPECT_EQ(h.Run({"SCARD", "nokey"}), ":0\r\n");
  EXPECT_EQ(h.Run({"SREM", "s", "-5", "2", "3", "10", "77"}), ":4\r\n");
  EXPECT_FALSE(Exists("s"));
}

TEST_F(SetCommands, NonIntegerMembersAreAllReturned) {
  h.Run({"SADD", "s", "b", "a", "c", "7"});
  std::vector<std::string> got = Elements(h.Run({"SMEMBERS", "s"}));
  EXPECT_EQ(std::multiset<std::string>(got.begin(), got.end()),
            (std::multiset<std::string>{"7", "a", "b", "c"}));
}

TEST_F(SetCommands, MembershipQueries) {
  h.Run({"SADD", "s", "1", "2"});
  EXPECT_EQ(h.Run({"SISMEMBER", "s", "1"}), ":1\r\n");
  EXPECT_EQ(h.Run({"SISMEMBER", "s", "9"}), ":0\r\n");
  EXPECT_EQ(h.Run({"SISMEMBER", "nokey", "1"}), ":0\r\n");
  EXPECT_EQ(h.Run({"SMISMEMBER", "s", "1", "9", "2"}), "*3\r\n:1\r\n:0\r\n:1\r\n");
  EXPECT_EQ(h.Run({"SMISMEMBER", "nokey", "1", "2"}), "*2\r\n:0\r\n:0\r\n");
}

TEST_F(SetCommands, WrongType) {
  for (auto args : std::vector<std::vector<std::string_view>>{
           {"SADD", "str", "a"},
           {"SREM", "str", "a"},
           {"SMEMBERS", "str"},
           {"SISMEMBER", "str", "a"},
           {"SMISMEMBER", "str", "a"},
           {"SCARD", "str"},
           {"SPOP", "str"},
           {"SPOP", "str", "1"},
           {"SRANDMEMBER", "str"},
           {"SRANDMEMBER", "str", "1"},
           {"SINTER", "str", "nokey"},
           {"SINTER", "nokey", "str"},
           {"SUNION", "nokey", "str"},
           {"SDIFF", "nokey", "str"},
       }) {
    EXPECT_EQ(h.Run(args), kWrongType) << args[0];
  }
}

TEST_F(SetCommands, PopAndRandMemberArgumentErrors) {
  h.Run({"SADD", "s", "1"});
  const std::string out_of_range = "-ERR value is out of range, must be positive\r\n";
  EXPECT_EQ(h.Run({"SPOP", "s", "-1"}), out_of_range);
  EXPECT_EQ(h.Run({"SPOP", "s", "abc"}), out_of_range);
  EXPECT_EQ(h.Run({"SPOP", "str", "-1"}), out_of_range);
  EXPECT_EQ(h.Run({"SPOP", "s", "1", "2"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"SRANDMEMBER", "s", "abc"}), kNotInteger);
  EXPECT_EQ(h.Run({"SRANDMEMBER", "s", "-0"}), kNotInteger);
  EXPECT_EQ(h.Run({"SRANDMEMBER", "str", "x"}), kNotInteger);
  EXPECT_EQ(h.Run({"SRANDMEMBER", "s", "-9223372036854775808"}),
            "-ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807\r\n");
  EXPECT_EQ(h.Run({"SRANDMEMBER", "s", "1", "2"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"SCARD", "s"}), ":1\r\n");
}

TEST_F(SetCommands, PopAndRandMemberOnMissingKeys) {
  EXPECT_EQ(h.Run({"SPOP", "nokey"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"SPOP", "nokey", "2"}), "*0\r\n");
  EXPECT_EQ(h.Run({"SPOP", "nokey", "0"}), "*0\r\n");
  EXPECT_EQ(h.Run({"SRANDMEMBER", "nokey"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"SRANDMEMBER", "nokey", "3"}), "*0\r\n");
  EXPECT_EQ(h.Run({"SRANDMEMBER", "nokey", "-3"}), "*0\r\n");
}

TEST_F(SetCommands, PopWholeSetRepliesInIntsetOrderAndDeletes) {
  h.Run({"SADD", "q", "2", "1"});
  EXPECT_EQ(h.Run({"SPOP", "q", "0"}), "*0\r\n");
  EXPECT_EQ(h.Run({"SRANDMEMBER", "q", "2"}), Bulks({"1", "2"}));
  EXPECT_EQ(h.Run({"SRANDMEMBER", "q", "5"}), Bulks({"1", "2"}));
  EXPECT_EQ(h.Run({"SPOP", "q", "2"}), Bulks({"1", "2"}));
  EXPECT_FALSE(Exists("q"));
  h.Run({"SADD", "p", "x"});
  EXPECT_EQ(h.Run({"SPOP", "p"}), "$1\r\nx\r\n");
  EXPECT_FALSE(Exists("p"));
}

TEST_F(SetCommands, PopRemovesDistinctMembers) {
  std::vector<std::string> args = {"SADD", "s"};
  for (int i = 0; i < 100; i++) args.push_back("m" + std::to_string(i));
  EXPECT_EQ(h.Run(std::vector<std::string_view>(args.begin(), args.end())), ":100\r\n");
  std::set<std::string> popped;
  // Few popped compared to the rest (one by one), then most of the rest
  // (the survivors are moved to a new set), then single pops.
  for (const std::string& m : Elements(h.Run({"SPOP", "s", "10"}))) popped.insert(m);
  for (const std::string& m : Elements(h.Run({"SPOP", "s", "80"}))) popped.insert(m);
  EXPECT_EQ(h.Run({"SCARD", "s"}), ":10\r\n");
  for (int i = 0; i < 10; i++) {
    std::string r = h.Run({"SPOP", "s"});
    ASSERT_EQ(r[0], '$');
    popped.insert(r.substr(r.find("\r\n") + 2, r.size() - r.find("\r\n") - 4));
  }
  EXPECT_EQ(popped.size(), 100u);
  EXPECT_EQ(*popped.begin(), "m0");
  EXPECT_FALSE(Exists("s"));
}

TEST_F(SetCommands, RandMemberCounts) {
  std::vector<std::string> args = {"SADD", "s"};
  for (int i = 0; i < 20; i++) args.push_back("m" + std::to_string(i));
  h.Run(std::vector<std::string_view>(args.begin(), args.end()));
  for (const char* count : {"3", "10", "19"}) {
    std::vector<std::string> got = Elements(h.Run({"SRANDMEMBER", "s", count}));
    EXPECT_EQ(got.size(), std::stoul(count));
    EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), got.size()) << count;
    for (const std::string& m : got) EXPECT_EQ(m[0], 'm');
  }
  // Negative counts may repeat: 200 picks from 20 members must.
  std::vector<std::string> many = Elements(h.Run({"SRANDMEMBER", "s", "-200"}));
  EXPECT_EQ(many.size(), 200u);
  EXPECT_LT(std::set<std::string>(many.begin(), many.end()).size(), 200u);
  EXPECT_EQ(h.Run({"SRANDMEMBER", "s", "0"}), "*0\r\n");
  EXPECT_EQ(Elements(h.Run({"SRANDMEMBER", "s", "-1"})).size(), 1u);
  EXPECT_EQ(h.Run({"SCARD", "s"}), ":20\r\n");
}

TEST_F(SetCommands, RandomPicksAreReproducibleFromTheRandomSource) {
  auto run = [](testing::CommandHarness& x) {
    std::vector<std::string> args = {"SADD", "s"};
    for (int i = 0; i < 50; i++) args.push_back("m" + std::to_string(i));
    x.Run(std::vector<std::string_view>(args.begin(), args.end()));
    std::string out = x.Run({"SRANDMEMBER", "s", "-7"}) + x.Run({"SPOP", "s", "5"});
    for (int i = 0; i < 5; i++) out += x.Run({"SPOP", "s"});
    return out;
  };
  testing::CommandHarness a, b, c;
  c.kernel().state = 12345;  // another random stream
  const std::string ra = run(a), rb = run(b), rc = run(c);
  EXPECT_EQ(ra, rb);
  EXPECT_NE(ra, rc);
}

TEST_F(SetCommands, PopStaysFastAfterTheSetShrinks) {
  // 20000 members popped down to 10: the random bucket walk must not scan
  // the 20000-bucket table each time (the set is rehashed smaller).
  std::vector<std::string> args = {"SADD", "s"};
  for (int i = 0; i < 20000; i++) args.push_back("m" + std::to_string(i));
  h.Run(std::vector<std::string_view>(args.begin(), args.end()));
  EXPECT_EQ(Elements(h.Run({"SPOP", "s", "3000"})).size(), 3000u);
  for (int i = 0; i < 16990; i++) h.Run({"SPOP", "s"});
  const SetValue& set = std::get<SetValue>(*h.db().Lookup("s"));
  EXPECT_EQ(set.size(), 10u);
  EXPECT_LT(set.bucket_count(), 200u);
}

TEST_F(SetCommands, InterUnionDiff) {
  h.Run({"SADD", "a", "1", "2", "3", "4"});
  h.Run({"SADD", "b", "3", "4", "5"});
  h.Run({"SADD", "c", "4", "5", "6"});
  EXPECT_EQ(h.Run({"SINTER", "a", "b"}), Bulks({"3", "4"}));
  EXPECT_EQ(h.Run({"SINTER", "a", "b", "c"}), Bulks({"4"}));
  EXPECT_EQ(h.Run({"SINTER", "a", "nokey"}), "*0\r\n");
  EXPECT_EQ(h.Run({"SINTER", "a"}), Bulks({"1", "2", "3", "4"}));
  EXPECT_EQ(h.Run({"SUNION", "a", "b", "c"}), Bulks({"1", "2", "3", "4", "5", "6"}));
  EXPECT_EQ(h.Run({"SUNION", "a", "nokey"}), Bulks({"1", "2", "3", "4"}));
  EXPECT_EQ(h.Run({"SDIFF", "a", "b", "c"}), Bulks({"1", "2"}));
  EXPECT_EQ(h.Run({"SDIFF", "a", "a"}), "*0\r\n");
  EXPECT_EQ(h.Run({"SDIFF", "a", "nokey"}), Bulks({"1", "2", "3", "4"}));
  EXPECT_EQ(h.Run({"SDIFF", "nokey", "a"}), "*0\r\n");
  h.Run({"SADD", "w", "x", "y"});
  std::vector<std::string> u = Elements(h.Run({"SUNION", "w", "a"}));
  EXPECT_EQ(std::set<std::string>(u.begin(), u.end()),
            (std::set<std::string>{"1", "2", "3", "4", "x", "y"}));
}

TEST_F(SetCommands, StoreVariantsOverwriteOrDeleteTheDestination) {
  h.Run({"SADD", "a", "1", "2", "3", "4"});
  h.Run({"SADD", "b", "3", "4", "5"});
  h.Run({"SADD", "c", "4", "5", "6"});
  EXPECT_EQ(h.Run({"SINTERSTORE", "d", "a", "b"}), ":2\r\n");
  EXPECT_EQ(h.Run({"SMEMBERS", "d"}), Bulks({"3", "4"}));
  EXPECT_EQ(h.Run({"SUNIONSTORE", "d", "a", "c"}), ":6\r\n");
  EXPECT_EQ(h.Run({"SMEMBERS", "d"}), Bulks({"1", "2", "3", "4", "5", "6"}));
  EXPECT_EQ(h.Run({"SDIFFSTORE", "d", "a", "a"}), ":0\r\n");
  EXPECT_FALSE(Exists("d"));
  // The destination may have any type; it may also be a source.
  EXPECT_EQ(h.Run({"SINTERSTORE", "str", "a", "b"}), ":2\r\n");
  EXPECT_EQ(h.Run({"SMEMBERS", "str"}), Bulks({"3", "4"}));
  EXPECT_EQ(h.Run({"SDIFFSTORE", "a", "a", "b"}), ":2\r\n");
  EXPECT_EQ(h.Run({"SMEMBERS", "a"}), Bulks({"1", "2"}));
  EXPECT_EQ(h.Run({"SINTERSTORE", "a", "a", "nokey"}), ":0\r\n");
  EXPECT_FALSE(Exists("a"));
  h.Run({"SET", "s2", "v"});
  EXPECT_EQ(h.Run({"SUNIONSTORE", "d", "b", "s2"}), kWrongType);
}

TEST_F(SetCommands, MoveBetweenSets) {
  h.Run({"SADD", "a", "1", "2", "3", "4"});
  h.Run({"SADD", "b", "3", "4", "5"});
  EXPECT_EQ(h.Run({"SMOVE", "a", "b", "1"}), ":1\r\n");
  EXPECT_EQ(h.Run({"SMOVE", "a", "b", "1"}), ":0\r\n");
  EXPECT_EQ(h.Run({"SMOVE", "nokey", "str", "1"}), ":0\r\n");
  EXPECT_EQ(h.Run({"SMOVE", "a", "str", "2"}), kWrongType);
  EXPECT_EQ(h.Run({"SMOVE", "str", "a", "2"}), kWrongType);
  EXPECT_EQ(h.Run({"SMOVE", "a", "a", "2"}), ":1\r\n");
  EXPECT_EQ(h.Run({"SMOVE", "a", "a", "99"}), ":0\r\n");
  EXPECT_EQ(h.Run({"SMEMBERS", "a"}), Bulks({"2", "3", "4"}));
  EXPECT_EQ(h.Run({"SMEMBERS", "b"}), Bulks({"1", "3", "4", "5"}));
  h.Run({"SADD", "m", "1"});
  EXPECT_EQ(h.Run({"SMOVE", "m", "newset", "1"}), ":1\r\n");
  EXPECT_FALSE(Exists("m"));
  EXPECT_EQ(h.Run({"SMEMBERS", "newset"}), Bulks({"1"}));
}

TEST_F(SetCommands, RegisteredWithRedisMetadata) {
  const CommandSpec* sadd = h.table().Find("sadd");
  ASSERT_NE(sadd, nullptr);
  EXPECT_EQ(sadd->arity, -3);
  EXPECT_EQ(sadd->flags, kCmdWrite | kCmdDenyOom | kCmdFast);
  EXPECT_STREQ(sadd->group, "set");
  const CommandSpec* sinter = h.table().Find("sinter");
  EXPECT_EQ(sinter->arity, -2);
  EXPECT_EQ(sinter->last_key, -1);
  EXPECT_EQ(h.table().Find("spop")->flags, kCmdWrite | kCmdFast);
  EXPECT_EQ(h.table().Find("srandmember")->flags, kCmdReadonly);
  EXPECT_EQ(h.table().Find("smove")->last_key, 2);
}

TEST_F(SetCommands, InterCardCountsUpToTheLimit) {
  h.Run({"SADD", "A", "1", "2", "3", "4"});
  h.Run({"SADD", "B", "2", "3", "4", "5"});
  EXPECT_EQ(h.Run({"SINTERCARD", "2", "A", "B"}), ":3\r\n");
  EXPECT_EQ(h.Run({"SINTERCARD", "2", "A", "B", "LIMIT", "2"}), ":2\r\n");
  EXPECT_EQ(h.Run({"SINTERCARD", "2", "A", "B", "limit", "0"}), ":3\r\n");
  EXPECT_EQ(h.Run({"SINTERCARD", "2", "A", "B", "LIMIT", "10"}), ":3\r\n");
  EXPECT_EQ(h.Run({"SINTERCARD", "1", "A"}), ":4\r\n");
  EXPECT_EQ(h.Run({"SINTERCARD", "2", "A", "A"}), ":4\r\n");
  EXPECT_EQ(h.Run({"SINTERCARD", "2", "A", "nokey"}), ":0\r\n");
  EXPECT_EQ(h.Run({"SINTERCARD", "1", "A", "LIMIT", "3", "LIMIT", "1"}), ":1\r\n");
}

TEST_F(SetCommands, InterCardErrors) {
  h.Run({"SADD", "A", "1"});
  // A missing key does not stop the type check of the keys after it.
  EXPECT_EQ(h.Run({"SINTERCARD", "2", "nokey", "str"}), kWrongType);
  EXPECT_EQ(h.Run({"SINTERCARD", "0", "A"}), "-ERR numkeys should be greater than 0\r\n");
  EXPECT_EQ(h.Run({"SINTERCARD", "abc", "A"}), "-ERR numkeys should be greater than 0\r\n");
  EXPECT_EQ(h.Run({"SINTERCARD", "3", "A", "B"}),
            "-ERR Number of keys can't be greater than number of args\r\n");
  EXPECT_EQ(h.Run({"SINTERCARD", "2", "A", "B", "LIMIT", "-1"}),
            "-ERR LIMIT can't be negative\r\n");
  EXPECT_EQ(h.Run({"SINTERCARD", "2", "A", "B", "LIMIT", "x"}), "-ERR LIMIT can't be negative\r\n");
  EXPECT_EQ(h.Run({"SINTERCARD", "2", "A", "B", "LIMIT"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"SINTERCARD", "1", "A", "B"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"SINTERCARD", "1"}),
            "-ERR wrong number of arguments for 'sintercard' command\r\n");
}

// SSCAN of a set Redis keeps as an intset: all of it, in numeric order,
// with cursor 0, whatever the cursor (Redis 7.0.15's replies).
TEST_F(SetCommands, ScanOfIntsetReturnsAllInNumericOrder) {
  h.Run({"SADD", "ints", "10", "-5", "3"});
  EXPECT_EQ(h.Run({"SSCAN", "ints", "99"}),
            "*2\r\n$1\r\n0\r\n*3\r\n$2\r\n-5\r\n$1\r\n3\r\n$2\r\n10\r\n");
  EXPECT_EQ(h.Run({"SSCAN", "ints", "0", "MATCH", "-*"}), "*2\r\n$1\r\n0\r\n*1\r\n$2\r\n-5\r\n");
  EXPECT_EQ(h.Run({"SSCAN", "nokey", "0"}), "*2\r\n$1\r\n0\r\n*0\r\n");
  EXPECT_EQ(h.Run({"SSCAN", "str", "0"}), kWrongType);
  EXPECT_EQ(h.Run({"SSCAN", "ints", "x"}), "-ERR invalid cursor\r\n");
  EXPECT_EQ(h.Run({"SSCAN", "ints", "0", "COUNT", "0"}), "-ERR syntax error\r\n");
  for (int i = 0; i < 509; i++) h.Run({"SADD", "ints", std::to_string(1000 + i)});
  testing::ScanReply page = testing::ParseScanReply(h.Run({"SSCAN", "ints", "0", "COUNT", "1"}));
  EXPECT_EQ(page.cursor, "0");
  ASSERT_EQ(page.items.size(), 512u);
  EXPECT_EQ(page.items.front(), "-5");
  EXPECT_EQ(page.items.back(), "1508");
}

// Any other set is a dict in Redis 7.0: it pages, every member once.
TEST_F(SetCommands, ScanOfOtherSetsPages) {
  for (int i = 0; i < 50; i++) h.Run({"SADD", "s", "m" + std::to_string(i)});
  int calls = 0;
  std::vector<std::string> got = testing::ScanToEnd(h, "SSCAN", "s", {}, &calls);
  EXPECT_EQ(calls, 5);  // COUNT defaults to 10
  EXPECT_EQ(got.size(), 50u);
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), 50u);
  got = testing::ScanToEnd(h, "SSCAN", "s", {"MATCH", "m1*", "COUNT", "3"});
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()),
            (std::set<std::string>{"m1", "m10", "m11", "m12", "m13", "m14", "m15", "m16", "m17",
                                   "m18", "m19"}));
  // 513 integers are past the intset limit.
  for (int i = 0; i < 513; i++) h.Run({"SADD", "many", std::to_string(i)});
  testing::ScanReply page = testing::ParseScanReply(h.Run({"SSCAN", "many", "0"}));
  EXPECT_NE(page.cursor, "0");
  EXPECT_EQ(page.items.size(), 10u);
}

TEST_F(SetCommands, ScanAndInterCardRegisteredWithRedisMetadata) {
  const CommandSpec* sscan = h.table().Find("sscan");
  ASSERT_NE(sscan, nullptr);
  EXPECT_EQ(sscan->arity, -3);
  EXPECT_EQ(sscan->flags, kCmdReadonly);
  const CommandSpec* sintercard = h.table().Find("sintercard");
  ASSERT_NE(sintercard, nullptr);
  EXPECT_EQ(sintercard->arity, -3);
  // Keys are found through numkeys (movablekeys): no legacy key range.
  EXPECT_EQ(sintercard->first_key, 0);
}

}  // namespace
}  // namespace reel
