// List commands: replies are byte-for-byte what Debian's redis-server 7.0.15
// sent for the same command sequences.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/commands/command_test_harness.h"

namespace reel {
namespace {

constexpr const char* kWrongType =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
constexpr const char* kNotInteger = "-ERR value is not an integer or out of range\r\n";

class ListCommands : public ::testing::Test {
 protected:
  // A string key for WRONGTYPE checks.
  void SetUp() override { h.Run({"SET", "str", "v"}); }
  bool Exists(std::string_view key) { return h.db().Find(key) != nullptr; }
  testing::CommandHarness h;
};

TEST_F(ListCommands, PushAddsAtEitherEndAndRepliesLength) {
  EXPECT_EQ(h.Run({"LPUSH", "l", "a", "b", "c"}), ":3\r\n");
  EXPECT_EQ(h.Run({"RPUSH", "l", "d", "e"}), ":5\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "l", "0", "-1"}),
            "*5\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n$1\r\ne\r\n");
  EXPECT_EQ(h.Run({"LLEN", "l"}), ":5\r\n");
  EXPECT_EQ(h.Run({"LLEN", "nokey"}), ":0\r\n");
  EXPECT_EQ(h.Run({"LPUSH", "str", "a"}), kWrongType);
  EXPECT_EQ(h.Run({"RPUSH", "str", "a"}), kWrongType);
  EXPECT_EQ(h.Run({"LLEN", "str"}), kWrongType);
  EXPECT_EQ(h.Run({"LPUSH", "l"}), "-ERR wrong number of arguments for 'lpush' command\r\n");
}

TEST_F(ListCommands, PushXOnlyPushesToExistingLists) {
  EXPECT_EQ(h.Run({"LPUSHX", "nokey", "a"}), ":0\r\n");
  EXPECT_EQ(h.Run({"RPUSHX", "nokey", "a"}), ":0\r\n");
  EXPECT_FALSE(Exists("nokey"));
  h.Run({"RPUSH", "l", "m"});
  EXPECT_EQ(h.Run({"LPUSHX", "l", "a", "b"}), ":3\r\n");
  EXPECT_EQ(h.Run({"RPUSHX", "l", "z"}), ":4\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "l", "0", "-1"}),
            "*4\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nm\r\n$1\r\nz\r\n");
  EXPECT_EQ(h.Run({"RPUSHX", "str", "z"}), kWrongType);
}

TEST_F(ListCommands, PopWithoutCountRepliesBulkAndDeletesEmptyList) {
  h.Run({"RPUSH", "l", "a", "b", "c"});
  EXPECT_EQ(h.Run({"LPOP", "l"}), "$1\r\na\r\n");
  EXPECT_EQ(h.Run({"RPOP", "l"}), "$1\r\nc\r\n");
  EXPECT_EQ(h.Run({"RPOP", "l"}), "$1\r\nb\r\n");
  EXPECT_FALSE(Exists("l"));
  EXPECT_EQ(h.Run({"LPOP", "l"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"RPOP", "nokey"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"LPOP", "str"}), kWrongType);
}

TEST_F(ListCommands, PopWithCount) {
  h.Run({"RPUSH", "l", "a", "b", "c", "d", "e"});
  EXPECT_EQ(h.Run({"LPOP", "l", "2"}), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(h.Run({"RPOP", "l", "2"}), "*2\r\n$1\r\ne\r\n$1\r\nd\r\n");
  EXPECT_EQ(h.Run({"LPOP", "l", "0"}), "*0\r\n");
  EXPECT_EQ(h.Run({"RPOP", "l", "5"}), "*1\r\n$1\r\nc\r\n");
  EXPECT_FALSE(Exists("l"));
  // A missing key with a count is a null array, even for count 0.
  EXPECT_EQ(h.Run({"LPOP", "nokey", "2"}), "*-1\r\n");
  EXPECT_EQ(h.Run({"LPOP", "nokey", "0"}), "*-1\r\n");
  EXPECT_EQ(h.Run({"LPOP", "str", "2"}), kWrongType);
}

TEST_F(ListCommands, PopCountErrors) {
  h.Run({"RPUSH", "l", "a"});
  const std::string out_of_range = "-ERR value is out of range, must be positive\r\n";
  EXPECT_EQ(h.Run({"LPOP", "l", "-1"}), out_of_range);
  // getPositiveLongFromObjectOrReply uses the same text for non-numbers.
  EXPECT_EQ(h.Run({"LPOP", "l", "abc"}), out_of_range);
  // The count is checked before the key's type.
  EXPECT_EQ(h.Run({"RPOP", "str", "-1"}), out_of_range);
  EXPECT_EQ(h.Run({"LPOP", "l", "1", "2"}),
            "-ERR wrong number of arguments for 'lpop' command\r\n");
  EXPECT_EQ(h.Run({"RPOP", "l", "1", "2"}),
            "-ERR wrong number of arguments for 'rpop' command\r\n");
  EXPECT_EQ(h.Run({"LPOP"}), "-ERR wrong number of arguments for 'lpop' command\r\n");
  EXPECT_EQ(h.Run({"LLEN", "l"}), ":1\r\n");
}

TEST_F(ListCommands, RangeNormalisesIndexes) {
  h.Run({"RPUSH", "l", "a", "b", "c"});
  EXPECT_EQ(h.Run({"LRANGE", "l", "0", "-1"}), "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "l", "-2", "100"}), "*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "l", "-100", "0"}), "*1\r\n$1\r\na\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "l", "5", "10"}), "*0\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "l", "1", "0"}), "*0\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "l", "-9223372036854775808", "9223372036854775807"}),
            "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "nokey", "0", "-1"}), "*0\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "str", "0", "1"}), kWrongType);
  // Indexes are parsed before the key is looked up.
  EXPECT_EQ(h.Run({"LRANGE", "str", "x", "1"}), kNotInteger);
  EXPECT_EQ(h.Run({"LRANGE", "nokey", "0", "x"}), kNotInteger);
}

TEST_F(ListCommands, IndexLooksUpTheKeyBeforeParsing) {
  h.Run({"RPUSH", "l", "a", "b", "c"});
  EXPECT_EQ(h.Run({"LINDEX", "l", "0"}), "$1\r\na\r\n");
  EXPECT_EQ(h.Run({"LINDEX", "l", "-1"}), "$1\r\nc\r\n");
  EXPECT_EQ(h.Run({"LINDEX", "l", "3"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"LINDEX", "l", "-4"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"LINDEX", "l", "x"}), kNotInteger);
  EXPECT_EQ(h.Run({"LINDEX", "l", "9223372036854775808"}), kNotInteger);
  EXPECT_EQ(h.Run({"LINDEX", "nokey", "x"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"LINDEX", "str", "x"}), kWrongType);
}

TEST_F(ListCommands, SetReplacesAnElement) {
  EXPECT_EQ(h.Run({"LSET", "nokey", "0", "v"}), "-ERR no such key\r\n");
  EXPECT_EQ(h.Run({"LSET", "nokey", "x", "v"}), "-ERR no such key\r\n");
  EXPECT_EQ(h.Run({"LSET", "str", "0", "v"}), kWrongType);
  h.Run({"RPUSH", "l", "a", "b"});
  EXPECT_EQ(h.Run({"LSET", "l", "x", "v"}), kNotInteger);
  EXPECT_EQ(h.Run({"LSET", "l", "2", "v"}), "-ERR index out of range\r\n");
  EXPECT_EQ(h.Run({"LSET", "l", "-3", "v"}), "-ERR index out of range\r\n");
  EXPECT_EQ(h.Run({"LSET", "l", "-1", "z"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"LSET", "l", "0", "y"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "l", "0", "-1"}), "*2\r\n$1\r\ny\r\n$1\r\nz\r\n");
}

TEST_F(ListCommands, RemFromHeadTailOrAll) {
  h.Run({"RPUSH", "l", "a", "b", "a", "c", "a", "d", "a"});
  EXPECT_EQ(h.Run({"LREM", "l", "2", "a"}), ":2\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "l", "0", "-1"}),
            "*5\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nd\r\n$1\r\na\r\n");
  EXPECT_EQ(h.Run({"LREM", "l", "-1", "a"}), ":1\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "l", "0", "-1"}),
            "*4\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nd\r\n");
  EXPECT_EQ(h.Run({"LREM", "l", "0", "a"}), ":1\r\n");
  EXPECT_EQ(h.Run({"LREM", "l", "0", "zz"}), ":0\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "l", "0", "-1"}), "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n");
  EXPECT_EQ(h.Run({"LREM", "l", "x", "a"}), kNotInteger);
  EXPECT_EQ(h.Run({"LREM", "nokey", "x", "a"}), kNotInteger);
  EXPECT_EQ(h.Run({"LREM", "nokey", "1", "a"}), ":0\r\n");
  EXPECT_EQ(h.Run({"LREM", "str", "1", "a"}), kWrongType);
  // INT64_MIN cannot be negated: it means "all, from the tail".
  EXPECT_EQ(h.Run({"LREM", "l", "-9223372036854775808", "b"}), ":1\r\n");
  EXPECT_EQ(h.Run({"LREM", "l", "0", "c"}), ":1\r\n");
  EXPECT_EQ(h.Run({"LREM", "l", "0", "d"}), ":1\r\n");
  EXPECT_FALSE(Exists("l"));
}

TEST_F(ListCommands, RemNegativeCountKeepsTheHeadMatches) {
  h.Run({"RPUSH", "l", "x", "1", "x", "2", "x", "3"});
  EXPECT_EQ(h.Run({"LREM", "l", "-2", "x"}), ":2\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "l", "0", "-1"}),
            "*4\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
}

TEST_F(ListCommands, TrimKeepsARangeAndDeletesWhenEmpty) {
  h.Run({"RPUSH", "l", "1", "2", "3", "4", "5"});
  EXPECT_EQ(h.Run({"LTRIM", "l", "1", "-2"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "l", "0", "-1"}), "*3\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n");
  EXPECT_EQ(h.Run({"LTRIM", "l", "-100", "100"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"LLEN", "l"}), ":3\r\n");
  EXPECT_EQ(h.Run({"LTRIM", "l", "5", "10"}), "+OK\r\n");
  EXPECT_FALSE(Exists("l"));
  EXPECT_EQ(h.Run({"LTRIM", "nokey", "0", "1"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"LTRIM", "nokey", "x", "1"}), kNotInteger);
  EXPECT_EQ(h.Run({"LTRIM", "str", "0", "1"}), kWrongType);
  EXPECT_EQ(h.Run({"LTRIM", "str", "x", "1"}), kNotInteger);
}

TEST_F(ListCommands, InsertBeforeOrAfterThePivot) {
  h.Run({"RPUSH", "l", "a", "b", "c"});
  EXPECT_EQ(h.Run({"LINSERT", "l", "before", "b", "x"}), ":4\r\n");
  EXPECT_EQ(h.Run({"LINSERT", "l", "AFTER", "c", "y"}), ":5\r\n");
  EXPECT_EQ(h.Run({"LINSERT", "l", "after", "zz", "y"}), ":-1\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "l", "0", "-1"}),
            "*5\r\n$1\r\na\r\n$1\r\nx\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\ny\r\n");
  EXPECT_EQ(h.Run({"LINSERT", "l", "middle", "b", "y"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"LINSERT", "nokey", "before", "a", "b"}), ":0\r\n");
  EXPECT_EQ(h.Run({"LINSERT", "nokey", "middle", "a", "b"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"LINSERT", "str", "before", "a", "b"}), kWrongType);
  EXPECT_FALSE(Exists("nokey"));
}

TEST_F(ListCommands, PosFindsMatches) {
  h.Run({"RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"});
  EXPECT_EQ(h.Run({"LPOS", "l", "c"}), ":2\r\n");
  EXPECT_EQ(h.Run({"LPOS", "l", "c", "RANK", "2"}), ":6\r\n");
  EXPECT_EQ(h.Run({"LPOS", "l", "c", "rank", "-1"}), ":7\r\n");
  EXPECT_EQ(h.Run({"LPOS", "l", "c", "rank", "-2"}), ":6\r\n");
  EXPECT_EQ(h.Run({"LPOS", "l", "c", "count", "0"}), "*3\r\n:2\r\n:6\r\n:7\r\n");
  EXPECT_EQ(h.Run({"LPOS", "l", "c", "count", "2"}), "*2\r\n:2\r\n:6\r\n");
  EXPECT_EQ(h.Run({"LPOS", "l", "c", "rank", "2", "count", "0"}), "*2\r\n:6\r\n:7\r\n");
  EXPECT_EQ(h.Run({"LPOS", "l", "c", "rank", "-1", "count", "2"}), "*2\r\n:7\r\n:6\r\n");
  EXPECT_EQ(h.Run({"LPOS", "l", "c", "maxlen", "3"}), ":2\r\n");
  EXPECT_EQ(h.Run({"LPOS", "l", "c", "maxlen", "2"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"LPOS", "l", "c", "count", "0", "maxlen", "7"}), "*2\r\n:2\r\n:6\r\n");
  EXPECT_EQ(h.Run({"LPOS", "l", "zz"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"LPOS", "l", "zz", "count", "1"}), "*0\r\n");
  EXPECT_EQ(h.Run({"LPOS", "l", "c", "rank", "9"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"LPOS", "nokey", "a"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"LPOS", "nokey", "a", "count", "1"}), "*0\r\n");
  // Redis negates the rank in a C long: INT64_MIN means "every match from
  // the tail", and COUNT then never stops the scan.
  EXPECT_EQ(h.Run({"LPOS", "l", "c", "rank", "-9223372036854775808"}), ":7\r\n");
  EXPECT_EQ(h.Run({"LPOS", "l", "c", "rank", "-9223372036854775808", "count", "1"}),
            "*3\r\n:7\r\n:6\r\n:2\r\n");
}

TEST_F(ListCommands, PosErrors) {
  h.Run({"RPUSH", "l", "c"});
  const std::string rank_zero =
      "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or "
      "use negative to start from the end of the list\r\n";
  EXPECT_EQ(h.Run({"LPOS", "l", "c", "rank", "0"}), rank_zero);
  EXPECT_EQ(h.Run({"LPOS", "l", "c", "rank", "x"}), kNotInteger);
  EXPECT_EQ(h.Run({"LPOS", "l", "c", "count", "-1"}), "-ERR COUNT can't be negative\r\n");
  EXPECT_EQ(h.Run({"LPOS", "l", "c", "count", "x"}), "-ERR COUNT can't be negative\r\n");
  EXPECT_EQ(h.Run({"LPOS", "l", "c", "maxlen", "-1"}), "-ERR MAXLEN can't be negative\r\n");
  EXPECT_EQ(h.Run({"LPOS", "l", "c", "foo"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"LPOS", "l", "c", "rank"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"LPOS", "str", "a"}), kWrongType);
  EXPECT_EQ(h.Run({"LPOS", "str", "a", "rank", "0"}), rank_zero);
}

TEST_F(ListCommands, MoveAndRPopLPush) {
  h.Run({"RPUSH", "src", "1", "2", "3"});
  EXPECT_EQ(h.Run({"LMOVE", "src", "dst", "left", "RIGHT"}), "$1\r\n1\r\n");
  EXPECT_EQ(h.Run({"LMOVE", "src", "dst", "right", "left"}), "$1\r\n3\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "dst", "0", "-1"}), "*2\r\n$1\r\n3\r\n$1\r\n1\r\n");
  EXPECT_EQ(h.Run({"LMOVE", "src", "dst", "up", "left"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"LMOVE", "src", "str", "left", "left"}), kWrongType);
  EXPECT_EQ(h.Run({"LMOVE", "nokey", "str", "left", "left"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"LMOVE", "str", "src", "left", "left"}), kWrongType);
  EXPECT_EQ(h.Run({"LMOVE", "src", "src", "left", "right"}), "$1\r\n2\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "src", "0", "-1"}), "*1\r\n$1\r\n2\r\n");
  EXPECT_EQ(h.Run({"RPOPLPUSH", "src", "dst"}), "$1\r\n2\r\n");
  EXPECT_FALSE(Exists("src"));
  EXPECT_EQ(h.Run({"LRANGE", "dst", "0", "-1"}), "*3\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n1\r\n");
  EXPECT_EQ(h.Run({"RPOPLPUSH", "nokey", "dst"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"RPOPLPUSH", "dst", "dst"}), "$1\r\n1\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "dst", "0", "-1"}), "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
  h.Run({"RPUSH", "one", "x"});
  EXPECT_EQ(h.Run({"RPOPLPUSH", "one", "one"}), "$1\r\nx\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "one", "0", "-1"}), "*1\r\n$1\r\nx\r\n");
}

TEST_F(ListCommands, LargeListsStayConsistent) {
  // Mirrors redis-benchmark's LRANGE_600 set-up: 600 pushes, then ranges.
  std::vector<std::string> args = {"RPUSH", "big"};
  for (int i = 0; i < 600; i++) args.push_back("e" + std::to_string(i));
  std::vector<std::string_view> argv(args.begin(), args.end());
  EXPECT_EQ(h.Run(argv), ":600\r\n");
  std::string expected = "*100\r\n";
  for (int i = 0; i < 100; i++) {
    std::string e = "e" + std::to_string(i);
    expected += "$" + std::to_string(e.size()) + "\r\n" + e + "\r\n";
  }
  EXPECT_EQ(h.Run({"LRANGE", "big", "0", "99"}), expected);
  EXPECT_EQ(h.Run({"LINDEX", "big", "599"}), "$4\r\ne599\r\n");
  EXPECT_EQ(h.Run({"LINDEX", "big", "-600"}), "$2\r\ne0\r\n");
}

TEST_F(ListCommands, RegisteredWithRedisMetadata) {
  const CommandSpec* lpush = h.table().Find("LPUSH");
  ASSERT_NE(lpush, nullptr);
  EXPECT_EQ(lpush->arity, -3);
  EXPECT_EQ(lpush->flags, kCmdWrite | kCmdDenyOom | kCmdFast);
  EXPECT_EQ(lpush->first_key, 1);
  EXPECT_EQ(lpush->last_key, 1);
  EXPECT_EQ(lpush->key_step, 1);
  EXPECT_STREQ(lpush->group, "list");
  const CommandSpec* lrange = h.table().Find("lrange");
  ASSERT_NE(lrange, nullptr);
  EXPECT_EQ(lrange->arity, 4);
  EXPECT_EQ(lrange->flags, kCmdReadonly);
  EXPECT_EQ(h.table().Find("lpop")->arity, -2);
  EXPECT_EQ(h.table().Find("linsert")->arity, 5);
}

}  // namespace
}  // namespace reel
