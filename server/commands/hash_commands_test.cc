// Hash commands: replies are byte-for-byte what Debian's redis-server 7.0.15
// sent for the same command sequences (small hashes, so Redis used a listpack
// and replied in insertion order).
#include <gtest/gtest.h>

#include <string>

#include "server/commands/command_test_harness.h"

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

}  // namespace
}  // namespace reel
