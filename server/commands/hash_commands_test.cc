// Hash commands: replies are byte-for-byte what Debian's redis-server 7.0.15
// sent for the same command sequences (small hashes, so Redis used a listpack
// and replied in insertion order).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "server/commands/command_test_harness.h"
#include "server/commands/scan_test_support.h"

namespace reel {
namespace {

constexpr const char* kWrongType =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
constexpr const char* kNotInteger = "-ERR value is not an integer or out of range\r\n";

class HashCommands : public ::testing::Test {
 protected:
  void SetUp() override { h.Run({"SET", "str", "v"}); }
  bool Exists(std::string_view key) { return h.db().Find(key) != nullptr; }
  testing::CommandHarness h;
};

TEST_F(HashCommands, SetCountsNewFieldsAndKeepsInsertionOrder) {
  EXPECT_EQ(h.Run({"HSET", "h", "a", "1", "b", "2"}), ":2\r\n");
  EXPECT_EQ(h.Run({"HSET", "h", "a", "3", "c", "4"}), ":1\r\n");
  EXPECT_EQ(h.Run({"HMSET", "h", "x", "1", "y", "2"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"HGETALL", "h"}),
            "*10\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n4\r\n"
            "$1\r\nx\r\n$1\r\n1\r\n$1\r\ny\r\n$1\r\n2\r\n");
  EXPECT_EQ(h.Run({"HKEYS", "h"}), "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nx\r\n$1\r\ny\r\n");
  EXPECT_EQ(h.Run({"HVALS", "h"}), "*5\r\n$1\r\n3\r\n$1\r\n2\r\n$1\r\n4\r\n$1\r\n1\r\n$1\r\n2\r\n");
  EXPECT_EQ(h.Run({"HLEN", "h"}), ":5\r\n");
}

TEST_F(HashCommands, DeletedFieldsLeaveAndReturnAtTheEnd) {
  // Redis 7.0: HSET h z 1 a 2 m 3; HSET h a 5; HDEL h z; HSET h z 9.
  h.Run({"HSET", "h", "z", "1", "a", "2", "m", "3"});
  h.Run({"HSET", "h", "a", "5"});
  h.Run({"HDEL", "h", "z"});
  h.Run({"HSET", "h", "z", "9"});
  EXPECT_EQ(h.Run({"HGETALL", "h"}),
            "*6\r\n$1\r\na\r\n$1\r\n5\r\n$1\r\nm\r\n$1\r\n3\r\n$1\r\nz\r\n$1\r\n9\r\n");
}

TEST_F(HashCommands, SetArityCountsPairs) {
  EXPECT_EQ(h.Run({"HSET", "h", "a"}), "-ERR wrong number of arguments for 'hset' command\r\n");
  EXPECT_EQ(h.Run({"HSET", "h", "a", "1", "b"}),
            "-ERR wrong number of arguments for 'hset' command\r\n");
  EXPECT_EQ(h.Run({"HMSET", "h", "a", "1", "b"}),
            "-ERR wrong number of arguments for 'hmset' command\r\n");
  EXPECT_FALSE(Exists("h"));
  EXPECT_EQ(h.Run({"HSET", "str", "a", "b"}), kWrongType);
  EXPECT_EQ(h.Run({"HMSET", "str", "a", "b"}), kWrongType);
}

TEST_F(HashCommands, GetAndMGet) {
  h.Run({"HSET", "h", "a", "3", "b", "2"});
  EXPECT_EQ(h.Run({"HGET", "h", "a"}), "$1\r\n3\r\n");
  EXPECT_EQ(h.Run({"HGET", "h", "zz"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"HGET", "nokey", "a"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"HMGET", "h", "a", "zz", "b"}), "*3\r\n$1\r\n3\r\n$-1\r\n$1\r\n2\r\n");
  EXPECT_EQ(h.Run({"HMGET", "nokey", "a", "b"}), "*2\r\n$-1\r\n$-1\r\n");
  EXPECT_EQ(h.Run({"HGET", "str", "a"}), kWrongType);
  EXPECT_EQ(h.Run({"HMGET", "str", "a"}), kWrongType);
}

TEST_F(HashCommands, SetNxOnlySetsNewFields) {
  h.Run({"HSET", "h", "a", "1"});
  EXPECT_EQ(h.Run({"HSETNX", "h", "a", "9"}), ":0\r\n");
  EXPECT_EQ(h.Run({"HSETNX", "h", "n", "9"}), ":1\r\n");
  EXPECT_EQ(h.Run({"HSETNX", "new", "f", "v"}), ":1\r\n");
  EXPECT_EQ(h.Run({"HGET", "h", "a"}), "$1\r\n1\r\n");
  EXPECT_EQ(h.Run({"HGET", "new", "f"}), "$1\r\nv\r\n");
  EXPECT_EQ(h.Run({"HSETNX", "str", "a", "1"}), kWrongType);
}

TEST_F(HashCommands, ExistsStrlenLen) {
  h.Run({"HSET", "h", "a", "hello"});
  EXPECT_EQ(h.Run({"HEXISTS", "h", "a"}), ":1\r\n");
  EXPECT_EQ(h.Run({"HEXISTS", "h", "zz"}), ":0\r\n");
  EXPECT_EQ(h.Run({"HEXISTS", "nokey", "a"}), ":0\r\n");
  EXPECT_EQ(h.Run({"HSTRLEN", "h", "a"}), ":5\r\n");
  EXPECT_EQ(h.Run({"HSTRLEN", "h", "zz"}), ":0\r\n");
  EXPECT_EQ(h.Run({"HSTRLEN", "nokey", "a"}), ":0\r\n");
  EXPECT_EQ(h.Run({"HLEN", "nokey"}), ":0\r\n");
  EXPECT_EQ(h.Run({"HEXISTS", "str", "a"}), kWrongType);
  EXPECT_EQ(h.Run({"HSTRLEN", "str", "a"}), kWrongType);
  EXPECT_EQ(h.Run({"HLEN", "str"}), kWrongType);
}

TEST_F(HashCommands, GetAllKeysValsOfMissingOrWrongKey) {
  EXPECT_EQ(h.Run({"HGETALL", "nokey"}), "*0\r\n");
  EXPECT_EQ(h.Run({"HKEYS", "nokey"}), "*0\r\n");
  EXPECT_EQ(h.Run({"HVALS", "nokey"}), "*0\r\n");
  EXPECT_EQ(h.Run({"HGETALL", "str"}), kWrongType);
  EXPECT_EQ(h.Run({"HKEYS", "str"}), kWrongType);
  EXPECT_EQ(h.Run({"HVALS", "str"}), kWrongType);
}

TEST_F(HashCommands, DelRemovesFieldsAndTheEmptyKey) {
  h.Run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  EXPECT_EQ(h.Run({"HDEL", "h", "a", "zz", "b"}), ":2\r\n");
  EXPECT_EQ(h.Run({"HGETALL", "h"}), "*2\r\n$1\r\nc\r\n$1\r\n3\r\n");
  EXPECT_EQ(h.Run({"HDEL", "h", "c", "c", "x"}), ":1\r\n");
  EXPECT_FALSE(Exists("h"));
  EXPECT_EQ(h.Run({"HDEL", "nokey", "a"}), ":0\r\n");
  EXPECT_EQ(h.Run({"HDEL", "str", "a"}), kWrongType);
}

TEST_F(HashCommands, IncrBy) {
  h.Run({"HSET", "h", "c", "4", "s", "foo", "spv", " 1"});
  EXPECT_EQ(h.Run({"HINCRBY", "h", "c", "10"}), ":14\r\n");
  EXPECT_EQ(h.Run({"HINCRBY", "h", "new", "-5"}), ":-5\r\n");
  EXPECT_EQ(h.Run({"HGET", "h", "new"}), "$2\r\n-5\r\n");
  EXPECT_EQ(h.Run({"HINCRBY", "h", "x", "abc"}), kNotInteger);
  EXPECT_EQ(h.Run({"HINCRBY", "h", "s", "1"}), "-ERR hash value is not an integer\r\n");
  EXPECT_EQ(h.Run({"HINCRBY", "h", "spv", "1"}), "-ERR hash value is not an integer\r\n");
  h.Run({"HSET", "h", "big", "9223372036854775807", "small", "-9223372036854775808"});
  EXPECT_EQ(h.Run({"HINCRBY", "h", "big", "1"}), "-ERR increment or decrement would overflow\r\n");
  EXPECT_EQ(h.Run({"HINCRBY", "h", "small", "-1"}),
            "-ERR increment or decrement would overflow\r\n");
  EXPECT_EQ(h.Run({"HINCRBY", "h", "small", "1"}), ":-9223372036854775807\r\n");
  EXPECT_EQ(h.Run({"HINCRBY", "nokey", "f", "5"}), ":5\r\n");
  EXPECT_EQ(h.Run({"HINCRBY", "str", "a", "1"}), kWrongType);
  // The increment is parsed before the key's type is checked.
  EXPECT_EQ(h.Run({"HINCRBY", "str", "a", "x"}), kNotInteger);
  EXPECT_FALSE(Exists("missing"));
  EXPECT_EQ(h.Run({"HINCRBY", "missing", "f", "x"}), kNotInteger);
  EXPECT_FALSE(Exists("missing"));
}

TEST_F(HashCommands, IncrByFloat) {
  h.Run({"HSET", "h", "c", "14", "s", "foo", "spv", " 1"});
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "c", "1.5"}), "$4\r\n15.5\r\n");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "c", "0.1"}), "$4\r\n15.6\r\n");
  EXPECT_EQ(h.Run({"HGET", "h", "c"}), "$4\r\n15.6\r\n");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "s", "1"}), "-ERR hash value is not a float\r\n");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "spv", "1"}), "-ERR hash value is not a float\r\n");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "f", "abc"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "f", "nan"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "f", " 1"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "f", "inf"}), "-ERR value is NaN or Infinity\r\n");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "e", "5.0e3"}), "$4\r\n5000\r\n");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "e", "-5000"}), "$1\r\n0\r\n");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "neg", "-0.0"}), "$1\r\n0\r\n");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "hf", "g", "10.5e-1"}), "$4\r\n1.05\r\n");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "hf", "f", "3.0"}), "$1\r\n3\r\n");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "hf", "f", "1.1"}), "$3\r\n4.1\r\n");
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "str", "a", "1"}), kWrongType);
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "str", "a", "x"}), "-ERR value is not a valid float\r\n");
}

TEST_F(HashCommands, IncrByFloatOverflowIsAnError) {
  h.Run({"HSET", "h", "m", "1.7976931348623157e308"});
  // long double arithmetic: 2 * DBL_MAX does not overflow, it is stored.
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "m", "1.7976931348623157e308"}).substr(0, 12),
            "$309\r\n359538");
  h.Run({"HSET", "h", "ld", "1e4932"});
  EXPECT_EQ(h.Run({"HINCRBYFLOAT", "h", "ld", "1e4932"}),
            "-ERR increment would produce NaN or Infinity\r\n");
  EXPECT_EQ(h.Run({"HGET", "h", "ld"}), "$6\r\n1e4932\r\n");
}

TEST_F(HashCommands, CopiesOfAHashAreIndependent) {
  h.Run({"HSET", "h", "a", "1", "b", "2"});
  HashValue copy = std::get<HashValue>(*h.db().Lookup("h"));
  h.Run({"HDEL", "h", "a"});
  h.Run({"HSET", "h", "c", "3"});
  ASSERT_NE(copy.Find("a"), nullptr);
  EXPECT_EQ(*copy.Find("a"), "1");
  EXPECT_EQ(copy.Find("c"), nullptr);
  EXPECT_EQ(copy.size(), 2u);
  copy.Set("z", "26");
  EXPECT_EQ(h.Run({"HGET", "h", "z"}), "$-1\r\n");
  EXPECT_EQ(*copy.Find("z"), "26");
}

TEST_F(HashCommands, RegisteredWithRedisMetadata) {
  const CommandSpec* hset = h.table().Find("hset");
  ASSERT_NE(hset, nullptr);
  EXPECT_EQ(hset->arity, -4);
  EXPECT_EQ(hset->flags, kCmdWrite | kCmdDenyOom | kCmdFast);
  EXPECT_STREQ(hset->group, "hash");
  EXPECT_EQ(h.table().Find("hgetall")->flags, kCmdReadonly);
  EXPECT_EQ(h.table().Find("hdel")->flags, kCmdWrite | kCmdFast);
  EXPECT_EQ(h.table().Find("hincrbyfloat")->arity, 4);
  EXPECT_EQ(h.table().Find("hmget")->arity, -3);
}

// HSCAN of a listpack-sized hash: everything, in insertion order, with
// cursor 0, whatever cursor and COUNT were given (Redis 7.0.15's replies).
TEST_F(HashCommands, ScanOfSmallHashReturnsAllInOrder) {
  h.Run({"HSET", "h", "z", "1", "a", "2", "m", "3"});
  const std::string all =
      "*2\r\n$1\r\n0\r\n*6\r\n$1\r\nz\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nm\r\n$1\r\n3\r\n";
  EXPECT_EQ(h.Run({"HSCAN", "h", "0"}), all);
  EXPECT_EQ(h.Run({"HSCAN", "h", "12345", "COUNT", "1"}), all);
  EXPECT_EQ(h.Run({"HSCAN", "h", "0", "MATCH", "[am]"}),
            "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nm\r\n$1\r\n3\r\n");
  EXPECT_EQ(h.Run({"HSCAN", "h", "0", "MATCH", "*", "COUNT", "2"}), all);
  // 512 short fields are still a listpack in Redis 7.0.
  for (int i = 0; i < 509; i++) h.Run({"HSET", "h", "f" + std::to_string(i), "v"});
  testing::ScanReply page = testing::ParseScanReply(h.Run({"HSCAN", "h", "0", "COUNT", "1"}));
  EXPECT_EQ(page.cursor, "0");
  ASSERT_EQ(page.items.size(), 1024u);
  EXPECT_EQ(page.items[0], "z");
  EXPECT_EQ(page.items[1022], "f508");
}

TEST_F(HashCommands, ScanErrorsComeInRedisOrder) {
  h.Run({"HSET", "h", "a", "1"});
  // The cursor is checked first, then the key, then the options.
  EXPECT_EQ(h.Run({"HSCAN", "nokey", "x"}), "-ERR invalid cursor\r\n");
  EXPECT_EQ(h.Run({"HSCAN", "nokey", "0", "COUNT", "abc"}), "*2\r\n$1\r\n0\r\n*0\r\n");
  EXPECT_EQ(h.Run({"HSCAN", "str", "0"}), kWrongType);
  EXPECT_EQ(h.Run({"HSCAN", "h", "0", "COUNT", "abc"}), kNotInteger);
  EXPECT_EQ(h.Run({"HSCAN", "h", "0", "COUNT", "0"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"HSCAN", "h", "0", "TYPE", "hash"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"HSCAN", "h", "0", "MATCH"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"HSCAN", "h"}), "-ERR wrong number of arguments for 'hscan' command\r\n");
}

// A hash Redis keeps as a dict (more than 512 fields, or a field or value
// over 64 bytes) pages: every field comes back once, with its value, and
// a step returns COUNT fields.
TEST_F(HashCommands, ScanOfBigHashPagesThroughEveryField) {
  for (int i = 0; i < 600; i++) h.Run({"HSET", "big", "f" + std::to_string(i), std::to_string(i)});
  int calls = 0;
  std::vector<std::string> items = testing::ScanToEnd(h, "HSCAN", "big", {"COUNT", "10"}, &calls);
  EXPECT_EQ(calls, 60);
  ASSERT_EQ(items.size(), 1200u);
  std::set<std::string> fields;
  for (size_t i = 0; i < items.size(); i += 2) {
    fields.insert(items[i]);
    EXPECT_EQ("f" + items[i + 1], items[i]);
  }
  EXPECT_EQ(fields.size(), 600u);
  // A small COUNT still ends in about kMaxScanSteps calls: each call costs
  // O(N), so it returns at least N / 64 fields.
  items = testing::ScanToEnd(h, "HSCAN", "big", {"COUNT", "1"}, &calls);
  EXPECT_EQ(calls, 60);
  EXPECT_EQ(items.size(), 1200u);

  h.Run({"HSET", "long", "a", "1", "b", std::string(65, 'x'), "c", "3"});
  testing::ScanReply page = testing::ParseScanReply(h.Run({"HSCAN", "long", "0", "COUNT", "1"}));
  EXPECT_NE(page.cursor, "0");
  EXPECT_EQ(page.items.size(), 2u);
  items = testing::ScanToEnd(h, "HSCAN", "long", {"COUNT", "1", "MATCH", "[ab]"});
  EXPECT_EQ(items.size(), 4u);
}

// Fields present for the whole scan come back exactly once even when the
// hash changes between calls.
TEST_F(HashCommands, ScanOfBigHashSurvivesChanges) {
  for (int i = 0; i < 700; i++) h.Run({"HSET", "big", "f" + std::to_string(i), "v"});
  std::set<std::string> stable;
  for (int i = 0; i < 700; i++) stable.insert("f" + std::to_string(i));
  std::vector<std::string> items =
      testing::ScanToEnd(h, "HSCAN", "big", {"COUNT", "7"}, nullptr, [&](int call) {
        for (int j = 0; j < 10; j++)
          h.Run({"HSET", "big", "n" + std::to_string(call) + "_" + std::to_string(j), "v"});
        std::string victim = "f" + std::to_string(call * 2);
        h.Run({"HDEL", "big", victim});
        stable.erase(victim);
      });
  std::map<std::string, int> times;
  for (size_t i = 0; i < items.size(); i += 2) times[items[i]]++;
  for (const std::string& f : stable) EXPECT_EQ(times[f], 1) << f;
}

TEST_F(HashCommands, RandFieldArgumentErrors) {
  h.Run({"HSET", "h", "z", "1"});
  EXPECT_EQ(h.Run({"HRANDFIELD", "h", "abc"}), kNotInteger);
  EXPECT_EQ(h.Run({"HRANDFIELD", "h", "-9223372036854775808"}),
            "-ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807\r\n");
  EXPECT_EQ(h.Run({"HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"}),
            "-ERR value is out of range\r\n");
  EXPECT_EQ(h.Run({"HRANDFIELD", "h", "1", "WITHSCORES"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"HRANDFIELD", "h", "1", "WITHVALUES", "x"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"HRANDFIELD", "str"}), kWrongType);
  EXPECT_EQ(h.Run({"HRANDFIELD", "str", "2"}), kWrongType);
  EXPECT_EQ(h.Run({"HRANDFIELD", "nokey"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"HRANDFIELD", "nokey", "2"}), "*0\r\n");
  EXPECT_EQ(h.Run({"HRANDFIELD", "h", "0"}), "*0\r\n");
}

TEST_F(HashCommands, RandFieldForcedReplies) {
  h.Run({"HSET", "h", "z", "1", "a", "2", "m", "3"});
  // A count covering the hash returns it whole, in its order.
  EXPECT_EQ(h.Run({"HRANDFIELD", "h", "3"}), "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\nm\r\n");
  EXPECT_EQ(h.Run({"HRANDFIELD", "h", "5", "WITHVALUES"}),
            "*6\r\n$1\r\nz\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nm\r\n$1\r\n3\r\n");
  h.Run({"HSET", "one", "f", "v"});
  EXPECT_EQ(h.Run({"HRANDFIELD", "one"}), "$1\r\nf\r\n");
  EXPECT_EQ(h.Run({"HRANDFIELD", "one", "-3", "WITHVALUES"}),
            "*6\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nf\r\n$1\r\nv\r\n");
}

std::vector<std::string> BulkItems(const std::string& reply) {
  std::vector<std::string> out;
  size_t pos = reply.find("\r\n") + 2;
  while (pos < reply.size()) {
    size_t eol = reply.find("\r\n", pos);
    size_t len = std::stoul(reply.substr(pos + 1, eol - pos - 1));
    out.push_back(reply.substr(eol + 2, len));
    pos = eol + 2 + len + 2;
  }
  return out;
}

TEST_F(HashCommands, RandFieldPicksFromTheKernelsRandomness) {
  for (int i = 0; i < 20; i++) h.Run({"HSET", "h", "f" + std::to_string(i), std::to_string(i)});
  // Distinct picks: the requested number, all different, each with its value,
  // listed in the hash's order.
  for (std::string_view count : {"2", "5", "7", "19"}) {
    std::vector<std::string> got = BulkItems(h.Run({"HRANDFIELD", "h", count, "WITHVALUES"}));
    ASSERT_EQ(got.size(), 2 * std::stoul(std::string(count)));
    std::set<std::string> fields;
    int last = -1;
    for (size_t i = 0; i < got.size(); i += 2) {
      EXPECT_EQ("f" + got[i + 1], got[i]);
      EXPECT_GT(std::stoi(got[i + 1]), last);
      last = std::stoi(got[i + 1]);
      fields.insert(got[i]);
    }
    EXPECT_EQ(fields.size(), got.size() / 2);
  }
  // Repeated picks: the requested number, varied.
  std::vector<std::string> picks = BulkItems(h.Run({"HRANDFIELD", "h", "-200"}));
  ASSERT_EQ(picks.size(), 200u);
  EXPECT_GT(std::set<std::string>(picks.begin(), picks.end()).size(), 10u);
  // The same random numbers give the same picks.
  testing::CommandHarness other;
  for (int i = 0; i < 20; i++) other.Run({"HSET", "h", "f" + std::to_string(i), std::to_string(i)});
  testing::CommandHarness again;
  for (int i = 0; i < 20; i++) again.Run({"HSET", "h", "f" + std::to_string(i), std::to_string(i)});
  EXPECT_EQ(other.Run({"HRANDFIELD", "h", "-5"}), again.Run({"HRANDFIELD", "h", "-5"}));
  EXPECT_EQ(other.Run({"HRANDFIELD", "h", "4"}), again.Run({"HRANDFIELD", "h", "4"}));
  EXPECT_EQ(other.Run({"HRANDFIELD", "h"}), again.Run({"HRANDFIELD", "h"}));
  // And different random numbers, different picks.
  again.kernel().state ^= 0x5555;
  EXPECT_NE(other.Run({"HRANDFIELD", "h", "-8"}), again.Run({"HRANDFIELD", "h", "-8"}));
}

TEST_F(HashCommands, ScanAndRandFieldRegisteredWithRedisMetadata) {
  const CommandSpec* hscan = h.table().Find("hscan");
  ASSERT_NE(hscan, nullptr);
  EXPECT_EQ(hscan->arity, -3);
  EXPECT_EQ(hscan->flags, kCmdReadonly);
  const CommandSpec* hrandfield = h.table().Find("hrandfield");
  ASSERT_NE(hrandfield, nullptr);
  EXPECT_EQ(hrandfield->arity, -2);
  EXPECT_EQ(hrandfield->flags, kCmdReadonly);
  EXPECT_EQ(hrandfield->first_key, 1);
}

}  // namespace
}  // namespace reel
