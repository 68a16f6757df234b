// Sorted set commands: replies are byte-for-byte what Debian's redis-server
// 7.0.15 sent for the same command sequences.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "server/commands/command_test_harness.h"
#include "server/commands/scan_test_support.h"

namespace reel {
namespace {

constexpr const char* kWrongType =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
constexpr const char* kNotInteger = "-ERR value is not an integer or out of range\r\n";
constexpr const char* kNotFloat = "-ERR value is not a valid float\r\n";
constexpr const char* kBadScoreRange = "-ERR min or max is not a float\r\n";
constexpr const char* kBadLexRange = "-ERR min or max not valid string range item\r\n";

std::string Bulks(const std::vector<std::string>& items) {
  std::string out = "*" + std::to_string(items.size()) + "\r\n";
  for (const std::string& s : items) out += "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
  return out;
}

class ZSetCommands : public ::testing::Test {
 protected:
  void SetUp() override { h.Run({"SET", "str", "v"}); }
  bool Exists(std::string_view key) { return h.db().Find(key) != nullptr; }
  // The sorted set used by Redis's session for the range tests below:
  // negzero 0, tenth 0.1, newm 1, c 3, b 3.1, e 4, d 5, hex 16.
  void MakeRangeSet() {
    h.Run({"ZADD", "z", "3", "c", "3.1", "b", "4", "e", "5", "d", "0x10", "hex", "-0", "negzero",
           "0.1", "tenth", "1", "newm"});
  }
  testing::CommandHarness h;
};

TEST_F(ZSetCommands, AddCountsNewMembersAndChCountsChanges) {
  EXPECT_EQ(h.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"}), ":3\r\n");
  EXPECT_EQ(h.Run({"ZADD", "z", "1.5", "a"}), ":0\r\n");
  EXPECT_EQ(h.Run({"ZADD", "z", "ch", "1.5", "a", "5", "d"}), ":1\r\n");
  EXPECT_EQ(h.Run({"ZADD", "z", "CH", "1.5", "a", "6", "d"}), ":1\r\n");
  EXPECT_EQ(h.Run({"ZADD", "z", "nx", "100", "a", "4", "e"}), ":1\r\n");
  EXPECT_EQ(h.Run({"ZADD", "z", "xx", "7", "a", "8", "zz"}), ":0\r\n");
  EXPECT_EQ(h.Run({"ZSCORE", "z", "a"}), "$1\r\n7\r\n");
  EXPECT_EQ(h.Run({"ZSCORE", "z", "zz"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"ZCARD", "z"}), ":5\r\n");
}

TEST_F(ZSetCommands, AddOptionErrors) {
  h.Run({"ZADD", "z", "1", "a"});
  EXPECT_EQ(h.Run({"ZADD", "z", "nx", "xx", "1", "a"}),
            "-ERR XX and NX options at the same time are not compatible\r\n");
  const std::string gt_lt_nx =
      "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n";
  EXPECT_EQ(h.Run({"ZADD", "z", "gt", "lt", "1", "a"}), gt_lt_nx);
  EXPECT_EQ(h.Run({"ZADD", "z", "gt", "nx", "1", "a"}), gt_lt_nx);
  EXPECT_EQ(h.Run({"ZADD", "z", "lt", "nx", "1", "a"}), gt_lt_nx);
  EXPECT_EQ(h.Run({"ZADD", "z", "incr", "1", "a", "2", "b"}),
            "-ERR INCR option supports a single increment-element pair\r\n");
  EXPECT_EQ(h.Run({"ZADD", "z", "1", "a", "2"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"ZADD", "z", "nx", "1"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"ZADD", "z", "nx"}), "-ERR wrong number of arguments for 'zadd' command\r\n");
  EXPECT_EQ(h.Run({"ZADD", "z", "abc", "a"}), kNotFloat);
  EXPECT_EQ(h.Run({"ZADD", "z", "nan", "a"}), kNotFloat);
  EXPECT_EQ(h.Run({"ZADD", "z", "1e400", "a"}), kNotFloat);
  // All scores are parsed before any change: nothing was added.
  EXPECT_EQ(h.Run({"ZADD", "z", "5", "new", "abc", "b"}), kNotFloat);
  EXPECT_EQ(h.Run({"ZCARD", "z"}), ":1\r\n");
  EXPECT_EQ(h.Run({"ZADD", "str", "1", "a"}), kWrongType);
  EXPECT_EQ(h.Run({"ZADD", "str", "x", "a"}), kNotFloat);
}

TEST_F(ZSetCommands, AddIncrGtLt) {
  h.Run({"ZADD", "z", "7", "a"});
  EXPECT_EQ(h.Run({"ZADD", "z", "incr", "2", "a"}), "$1\r\n9\r\n");
  EXPECT_EQ(h.Run({"ZADD", "z", "incr", "nx", "2", "a"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"ZADD", "z", "incr", "xx", "2", "nope"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"ZADD", "z", "gt", "1", "a"}), ":0\r\n");
  EXPECT_EQ(h.Run({"ZADD", "z", "gt", "ch", "100", "a"}), ":1\r\n");
  EXPECT_EQ(h.Run({"ZADD", "z", "lt", "ch", "100", "a"}), ":0\r\n");
  EXPECT_EQ(h.Run({"ZADD", "z", "lt", "ch", "1", "a"}), ":1\r\n");
  EXPECT_EQ(h.Run({"ZADD", "z", "gt", "incr", "-1", "a"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"ZADD", "z", "xx", "gt", "ch", "200", "a", "300", "nope"}), ":1\r\n");
  EXPECT_EQ(h.Run({"ZSCORE", "z", "a"}), "$3\r\n200\r\n");
  EXPECT_EQ(h.Run({"ZSCORE", "z", "nope"}), "$-1\r\n");
  // GT still adds new members.
  EXPECT_EQ(h.Run({"ZADD", "z", "gt", "-5", "fresh"}), ":1\r\n");
}

TEST_F(ZSetCommands, AddXxOnMissingKeyCreatesNothing) {
  EXPECT_EQ(h.Run({"ZADD", "z", "xx", "1", "a"}), ":0\r\n");
  EXPECT_FALSE(Exists("z"));
  EXPECT_EQ(h.Run({"ZADD", "z", "xx", "incr", "1", "a"}), "$-1\r\n");
  EXPECT_FALSE(Exists("z"));
  EXPECT_EQ(h.Run({"ZADD", "z", "nx", "ch", "1", "a"}), ":1\r\n");
}

TEST_F(ZSetCommands, ScoresFormatWithSeventeenDigits) {
  EXPECT_EQ(h.Run({"ZADD", "z", "0.1", "tenth", "0x10", "hex", "inf", "x", "-inf", "y"}), ":4\r\n");
  EXPECT_EQ(h.Run({"ZSCORE", "z", "tenth"}), "$19\r\n0.10000000000000001\r\n");
  EXPECT_EQ(h.Run({"ZSCORE", "z", "hex"}), "$2\r\n16\r\n");
  EXPECT_EQ(h.Run({"ZRANGE", "z", "0", "-1", "withscores"}),
            Bulks({"y", "-inf", "tenth", "0.10000000000000001", "hex", "16", "x", "inf"}));
  EXPECT_EQ(h.Run({"ZINCRBY", "z", "1.1", "b"}), "$18\r\n1.1000000000000001\r\n");
}

TEST_F(ZSetCommands, NegativeZeroFollowsRedisEncoding) {
  // A small sorted set is a listpack in Redis 7.0: -0 is stored as 0, but
  // the INCR reply is the computed score.
  EXPECT_EQ(h.Run({"ZADD", "z", "incr", "-0", "m"}), "$2\r\n-0\r\n");
  EXPECT_EQ(h.Run({"ZSCORE", "z", "m"}), "$1\r\n0\r\n");
  h.Run({"ZADD", "z", "1", "n"});
  EXPECT_EQ(h.Run({"ZADD", "z", "-0", "n"}), ":0\r\n");
  EXPECT_EQ(h.Run({"ZSCORE", "z", "n"}), "$1\r\n0\r\n");
  // A member over 64 bytes makes it a skiplist, which keeps the sign.
  std::string long_member(65, 'x');
  EXPECT_EQ(h.Run({"ZADD", "z3", "-0", long_member}), ":1\r\n");
  EXPECT_EQ(h.Run({"ZSCORE", "z3", long_member}), "$2\r\n-0\r\n");
  EXPECT_EQ(h.Run({"ZADD", "z3", "-0", "y"}), ":1\r\n");
  EXPECT_EQ(h.Run({"ZSCORE", "z3", "y"}), "$2\r\n-0\r\n");
  // So does growing past 128 members.
  std::vector<std::string> args = {"ZADD", "z4"};
  for (int i = 0; i < 129; i++) {
    args.push_back(std::to_string(i));
    args.push_back("m" + std::to_string(i));
  }
  EXPECT_EQ(h.Run(std::vector<std::string_view>(args.begin(), args.end())), ":129\r\n");
  EXPECT_EQ(h.Run({"ZADD", "z4", "-0", "neg"}), ":1\r\n");
  EXPECT_EQ(h.Run({"ZSCORE", "z4", "neg"}), "$2\r\n-0\r\n");
}

TEST_F(ZSetCommands, IncrBy) {
  h.Run({"ZADD", "z", "2", "b"});
  EXPECT_EQ(h.Run({"ZINCRBY", "z", "1.1", "b"}), "$18\r\n3.1000000000000001\r\n");
  EXPECT_EQ(h.Run({"ZINCRBY", "z", "abc", "b"}), kNotFloat);
  EXPECT_EQ(h.Run({"ZINCRBY", "z", "1", "newm"}), "$1\r\n1\r\n");
  EXPECT_EQ(h.Run({"ZINCRBY", "nokey", "5", "m"}), "$1\r\n5\r\n");
  // ZINCRBY shares ZADD's option scan, as in Redis.
  EXPECT_EQ(h.Run({"ZINCRBY", "z", "nx", "1"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"ZINCRBY", "z", "incr", "1"}), "-ERR syntax error\r\n");
  h.Run({"ZADD", "inf", "+inf", "m"});
  EXPECT_EQ(h.Run({"ZINCRBY", "inf", "-inf", "m"}),
            "-ERR resulting score is not a number (NaN)\r\n");
  EXPECT_EQ(h.Run({"ZSCORE", "inf", "m"}), "$3\r\ninf\r\n");
  EXPECT_EQ(h.Run({"ZINCRBY", "str", "1", "a"}), kWrongType);
}

TEST_F(ZSetCommands, RemScoreCardRank) {
  MakeRangeSet();
  h.Run({"ZADD", "z", "200", "a"});
  EXPECT_EQ(h.Run({"ZRANK", "z", "a"}), ":8\r\n");
  EXPECT_EQ(h.Run({"ZRANK", "z", "negzero"}), ":0\r\n");
  EXPECT_EQ(h.Run({"ZREVRANK", "z", "a"}), ":0\r\n");
  EXPECT_EQ(h.Run({"ZREVRANK", "z", "negzero"}), ":8\r\n");
  EXPECT_EQ(h.Run({"ZRANK", "z", "nope"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"ZRANK", "nokey", "a"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"ZREM", "z", "a", "nope"}), ":1\r\n");
  EXPECT_EQ(h.Run({"ZREM", "z", "nope"}), ":0\r\n");
  EXPECT_EQ(h.Run({"ZREM", "nokey", "a"}), ":0\r\n");
  EXPECT_EQ(h.Run({"ZSCORE", "nokey", "a"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"ZCARD", "nokey"}), ":0\r\n");
  EXPECT_EQ(h.Run({"ZMSCORE", "z", "c", "zz", "hex"}), "*3\r\n$1\r\n3\r\n$-1\r\n$2\r\n16\r\n");
  EXPECT_EQ(h.Run({"ZMSCORE", "nokey", "a"}), "*1\r\n$-1\r\n");
  EXPECT_EQ(h.Run({"ZREM", "z", "negzero", "tenth", "newm", "c", "b", "e", "d", "hex", "x"}),
            ":8\r\n");
  EXPECT_FALSE(Exists("z"));
}

TEST_F(ZSetCommands, RangeByIndex) {
  MakeRangeSet();
  EXPECT_EQ(h.Run({"ZRANGE", "z", "0", "2"}), Bulks({"negzero", "tenth", "newm"}));
  EXPECT_EQ(h.Run({"ZRANGE", "z", "-2", "-1", "withscores"}), Bulks({"d", "5", "hex", "16"}));
  EXPECT_EQ(h.Run({"ZRANGE", "z", "2", "1"}), "*0\r\n");
  EXPECT_EQ(h.Run({"ZRANGE", "z", "100", "200"}), "*0\r\n");
  EXPECT_EQ(h.Run({"ZRANGE", "z", "-100", "0"}), Bulks({"negzero"}));
  EXPECT_EQ(h.Run({"ZRANGE", "z", "0", "-1", "rev"}),
            Bulks({"hex", "d", "e", "b", "c", "newm", "tenth", "negzero"}));
  EXPECT_EQ(h.Run({"ZRANGE", "z", "0", "1", "REV", "WITHSCORES"}), Bulks({"hex", "16", "d", "5"}));
  EXPECT_EQ(h.Run({"ZREVRANGE", "z", "0", "1", "withscores"}), Bulks({"hex", "16", "d", "5"}));
  EXPECT_EQ(h.Run({"ZREVRANGE", "z", "-1", "-1"}), Bulks({"negzero"}));
  // LIMIT with the "unset" count -1 is accepted even for an index range.
  EXPECT_EQ(h.Run({"ZRANGE", "z", "0", "1", "limit", "0", "-1"}), Bulks({"negzero", "tenth"}));
  EXPECT_EQ(h.Run({"ZRANGE", "nokey", "0", "-1"}), "*0\r\n");
}

TEST_F(ZSetCommands, RangeOptionErrors) {
  MakeRangeSet();
  EXPECT_EQ(h.Run({"ZRANGE", "z", "0", "-1", "limit", "1", "2"}),
            "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or "
            "BYLEX\r\n");
  EXPECT_EQ(h.Run({"ZRANGE", "z", "0", "-1", "bylex", "withscores"}),
            "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n");
  EXPECT_EQ(h.Run({"ZRANGE", "z", "0", "-1", "foo"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"ZRANGE", "z", "x", "1"}), kNotInteger);
  EXPECT_EQ(h.Run({"ZRANGE", "z", "a", "b", "byscore"}), kBadScoreRange);
  EXPECT_EQ(h.Run({"ZRANGE", "z", "a", "b", "bylex"}), kBadLexRange);
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "0", "10", "limit", "x", "1"}), kNotInteger);
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "0", "10", "limit", "1"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "0", "10", "rev"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "0", "10", "byscore"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"ZREVRANGE", "z", "0", "1", "rev"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "1x", "3"}), kBadScoreRange);
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "nan", "3"}), kBadScoreRange);
  // Arguments are parsed before the key is looked up.
  EXPECT_EQ(h.Run({"ZRANGE", "str", "x", "1"}), kNotInteger);
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "str", "x", "1"}), kBadScoreRange);
  EXPECT_EQ(h.Run({"ZRANGE", "str", "0", "1"}), kWrongType);
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "str", "0", "1"}), kWrongType);
}

TEST_F(ZSetCommands, RangeByScore) {
  MakeRangeSet();
  const std::string all = Bulks({"negzero", "tenth", "newm", "c", "b", "e", "d", "hex"});
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "-inf", "+inf"}), all);
  EXPECT_EQ(h.Run({"ZRANGE", "z", "-inf", "+inf", "byscore"}), all);
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "-inf", "+inf", "withscores", "limit", "0", "2"}),
            Bulks({"negzero", "0", "tenth", "0.10000000000000001"}));
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "(1.1", "(4", "withscores"}),
            Bulks({"c", "3", "b", "3.1000000000000001"}));
  EXPECT_EQ(h.Run({"ZRANGE", "z", "(1", "3", "byscore"}), Bulks({"c"}));
  EXPECT_EQ(h.Run({"ZRANGE", "z", "3", "(1", "byscore", "rev"}), Bulks({"c"}));
  EXPECT_EQ(h.Run({"ZRANGE", "z", "-inf", "+inf", "byscore", "limit", "1", "2"}),
            Bulks({"tenth", "newm"}));
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "2", "1"}), "*0\r\n");
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "(2", "2"}), "*0\r\n");
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "(16", "+inf"}), "*0\r\n");
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "16", "+inf"}), Bulks({"hex"}));
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "-inf", "(0.1"}), Bulks({"negzero"}));
  // strtod rules: "" is 0, "(" alone is an exclusive 0, leading space is fine.
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "", ""}), Bulks({"negzero"}));
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "(", "100"}),
            Bulks({"tenth", "newm", "c", "b", "e", "d", "hex"}));
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", " 1", "3"}), Bulks({"newm", "c"}));
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "nokey", "0", "1"}), "*0\r\n");
}

TEST_F(ZSetCommands, RangeByScoreLimit) {
  MakeRangeSet();
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "0", "10", "limit", "-1", "2"}), "*0\r\n");
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "0", "10", "limit", "1", "-1"}),
            Bulks({"tenth", "newm", "c", "b", "e", "d"}));
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "0", "10", "limit", "1", "0"}), "*0\r\n");
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "0", "10", "limit", "100", "1"}), "*0\r\n");
  EXPECT_EQ(h.Run({"ZRANGEBYSCORE", "z", "0", "10", "limit", "6", "5"}), Bulks({"d"}));
  EXPECT_EQ(h.Run({"ZREVRANGEBYSCORE", "z", "10", "0", "withscores", "limit", "1", "2"}),
            Bulks({"e", "4", "b", "3.1000000000000001"}));
  EXPECT_EQ(h.Run({"ZREVRANGEBYSCORE", "z", "(4", "-inf"}),
            Bulks({"b", "c", "newm", "tenth", "negzero"}));
  EXPECT_EQ(h.Run({"ZREVRANGEBYSCORE", "z", "+inf", "(5"}), Bulks({"hex"}));
  EXPECT_EQ(h.Run({"ZREVRANGEBYSCORE", "z", "+inf", "-inf", "limit", "7", "3"}),
            Bulks({"negzero"}));
}

TEST_F(ZSetCommands, RangeByLex) {
  h.Run({"ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"});
  EXPECT_EQ(h.Run({"ZRANGEBYLEX", "lex", "-", "+"}), Bulks({"a", "b", "c", "d", "e"}));
  EXPECT_EQ(h.Run({"ZRANGEBYLEX", "lex", "[b", "(d"}), Bulks({"b", "c"}));
  EXPECT_EQ(h.Run({"ZRANGEBYLEX", "lex", "(b", "[d"}), Bulks({"c", "d"}));
  EXPECT_EQ(h.Run({"ZRANGE", "lex", "(b", "[d", "bylex"}), Bulks({"c", "d"}));
  EXPECT_EQ(h.Run({"ZREVRANGEBYLEX", "lex", "[d", "(b"}), Bulks({"d", "c"}));
  EXPECT_EQ(h.Run({"ZRANGE", "lex", "+", "[c", "bylex", "rev"}), Bulks({"e", "d", "c"}));
  EXPECT_EQ(h.Run({"ZRANGEBYLEX", "lex", "-", "+", "limit", "1", "2"}), Bulks({"b", "c"}));
  EXPECT_EQ(h.Run({"ZRANGEBYLEX", "lex", "[bb", "[dd"}), Bulks({"c", "d"}));
  EXPECT_EQ(h.Run({"ZRANGEBYLEX", "lex", "+", "-"}), "*0\r\n");
  EXPECT_EQ(h.Run({"ZRANGEBYLEX", "lex", "(c", "(c"}), "*0\r\n");
  EXPECT_EQ(h.Run({"ZRANGEBYLEX", "lex", "[c", "[c"}), Bulks({"c"}));
  EXPECT_EQ(h.Run({"ZRANGEBYLEX", "lex", "b", "d"}), kBadLexRange);
  EXPECT_EQ(h.Run({"ZRANGEBYLEX", "lex", "-x", "+"}), kBadLexRange);
  EXPECT_EQ(h.Run({"ZLEXCOUNT", "lex", "[b", "+"}), ":4\r\n");
  EXPECT_EQ(h.Run({"ZLEXCOUNT", "lex", "-", "(c"}), ":2\r\n");
  EXPECT_EQ(h.Run({"ZLEXCOUNT", "lex", "(e", "+"}), ":0\r\n");
  EXPECT_EQ(h.Run({"ZLEXCOUNT", "lex", "x", "y"}), kBadLexRange);
  EXPECT_EQ(h.Run({"ZLEXCOUNT", "nokey", "-", "+"}), ":0\r\n");
}

TEST_F(ZSetCommands, LexRangesOverMixedScoresScanLikeAListpack) {
  // Not what lex ranges are for, but Redis answers deterministically for a
  // small sorted set: a linear scan in (score, member) order.
  h.Run({"ZADD", "m", "1", "b", "2", "a", "3", "c", "4", "a2"});
  EXPECT_EQ(h.Run({"ZRANGEBYLEX", "m", "[a", "(b"}), "*0\r\n");
  EXPECT_EQ(h.Run({"ZRANGEBYLEX", "m", "[a", "+"}), Bulks({"b", "a", "c", "a2"}));
  EXPECT_EQ(h.Run({"ZREVRANGEBYLEX", "m", "+", "[a"}), Bulks({"a2", "c", "a", "b"}));
  EXPECT_EQ(h.Run({"ZRANGEBYLEX", "m", "-", "[a"}), "*0\r\n");
  EXPECT_EQ(h.Run({"ZLEXCOUNT", "m", "[a", "+"}), ":4\r\n");
  EXPECT_EQ(h.Run({"ZLEXCOUNT", "m", "-", "[b"}), ":2\r\n");
  EXPECT_EQ(h.Run({"ZRANGEBYLEX", "m", "[b", "[c"}), "*0\r\n");
  EXPECT_EQ(h.Run({"ZREMRANGEBYLEX", "m", "[b", "[b"}), ":0\r\n");
  EXPECT_EQ(h.Run({"ZCARD", "m"}), ":4\r\n");
}

TEST_F(ZSetCommands, Count) {
  MakeRangeSet();
  EXPECT_EQ(h.Run({"ZCOUNT", "z", "-inf", "+inf"}), ":8\r\n");
  EXPECT_EQ(h.Run({"ZCOUNT", "z", "(1", "3"}), ":1\r\n");
  EXPECT_EQ(h.Run({"ZCOUNT", "z", "3", "(1"}), ":0\r\n");
  EXPECT_EQ(h.Run({"ZCOUNT", "z", "x", "3"}), kBadScoreRange);
  EXPECT_EQ(h.Run({"ZCOUNT", "nokey", "0", "1"}), ":0\r\n");
  EXPECT_EQ(h.Run({"ZCOUNT", "str", "0", "1"}), kWrongType);
}

TEST_F(ZSetCommands, RemRange) {
  h.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});
  EXPECT_EQ(h.Run({"ZREMRANGEBYRANK", "z", "0", "1"}), ":2\r\n");
  EXPECT_EQ(h.Run({"ZREMRANGEBYRANK", "z", "5", "10"}), ":0\r\n");
  EXPECT_EQ(h.Run({"ZREMRANGEBYRANK", "z", "x", "1"}), kNotInteger);
  EXPECT_EQ(h.Run({"ZREMRANGEBYSCORE", "z", "(3", "4"}), ":1\r\n");
  EXPECT_EQ(h.Run({"ZREMRANGEBYSCORE", "z", "x", "1"}), kBadScoreRange);
  EXPECT_EQ(h.Run({"ZRANGE", "z", "0", "-1", "withscores"}), Bulks({"c", "3", "e", "5"}));
  EXPECT_EQ(h.Run({"ZREMRANGEBYSCORE", "z", "-inf", "+inf"}), ":2\r\n");
  EXPECT_FALSE(Exists("z"));
  h.Run({"ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d"});
  EXPECT_EQ(h.Run({"ZREMRANGEBYLEX", "lex", "[b", "(d"}), ":2\r\n");
  EXPECT_EQ(h.Run({"ZREMRANGEBYLEX", "lex", "x", "y"}), kBadLexRange);
  EXPECT_EQ(h.Run({"ZRANGE", "lex", "0", "-1"}), Bulks({"a", "d"}));
  EXPECT_EQ(h.Run({"ZREMRANGEBYRANK", "nokey", "0", "1"}), ":0\r\n");
  EXPECT_EQ(h.Run({"ZREMRANGEBYRANK", "str", "0", "1"}), kWrongType);
  EXPECT_EQ(h.Run({"ZREMRANGEBYRANK", "str", "x", "1"}), kNotInteger);
  EXPECT_EQ(h.Run({"ZREMRANGEBYLEX", "lex", "-", "+"}), ":2\r\n");
  EXPECT_FALSE(Exists("lex"));
  h.Run({"ZADD", "r", "1", "a", "2", "b", "3", "c"});
  EXPECT_EQ(h.Run({"ZREMRANGEBYRANK", "r", "-2", "-1"}), ":2\r\n");
  EXPECT_EQ(h.Run({"ZRANGE", "r", "0", "-1"}), Bulks({"a"}));
}

TEST_F(ZSetCommands, PopMinMax) {
  MakeRangeSet();
  EXPECT_EQ(h.Run({"ZPOPMIN", "z"}), Bulks({"negzero", "0"}));
  EXPECT_EQ(h.Run({"ZPOPMAX", "z", "2"}), Bulks({"hex", "16", "d", "5"}));
  const std::string out_of_range = "-ERR value is out of range, must be positive\r\n";
  EXPECT_EQ(h.Run({"ZPOPMIN", "z", "-1"}), out_of_range);
  EXPECT_EQ(h.Run({"ZPOPMIN", "z", "x"}), out_of_range);
  EXPECT_EQ(h.Run({"ZPOPMIN", "z", "0"}), "*0\r\n");
  EXPECT_EQ(h.Run({"ZPOPMIN", "nokey"}), "*0\r\n");
  EXPECT_EQ(h.Run({"ZPOPMIN", "nokey", "0"}), "*0\r\n");
  EXPECT_EQ(h.Run({"ZPOPMIN", "z", "1", "2"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"ZPOPMAX", "z", "100"}), Bulks({"e", "4", "b", "3.1000000000000001", "c", "3",
                                                   "newm", "1", "tenth", "0.10000000000000001"}));
  EXPECT_FALSE(Exists("z"));
  EXPECT_EQ(h.Run({"ZPOPMIN", "str"}), kWrongType);
  EXPECT_EQ(h.Run({"ZPOPMAX", "str", "1"}), kWrongType);
}

TEST_F(ZSetCommands, WrongType) {
  for (auto args : std::vector<std::vector<std::string_view>>{
           {"ZREM", "str", "a"},
           {"ZSCORE", "str", "a"},
           {"ZMSCORE", "str", "a"},
           {"ZCARD", "str"},
           {"ZRANK", "str", "a"},
           {"ZREVRANK", "str", "a"},
           {"ZREVRANGE", "str", "0", "1"},
           {"ZRANGEBYLEX", "str", "-", "+"},
           {"ZLEXCOUNT", "str", "-", "+"},
       }) {
    EXPECT_EQ(h.Run(args), kWrongType) << args[0];
  }
}

TEST_F(ZSetCommands, TiesAreOrderedByMemberBytes) {
  h.Run({"ZADD", "z", "1", "b", "1", "a", "1", "\xff", "1", "B", "0", "z"});
  EXPECT_EQ(h.Run({"ZRANGE", "z", "0", "-1"}), Bulks({"z", "B", "a", "b", "\xff"}));
  EXPECT_EQ(h.Run({"ZRANK", "z", "\xff"}), ":4\r\n");
}

TEST_F(ZSetCommands, RegisteredWithRedisMetadata) {
  const CommandSpec* zadd = h.table().Find("zadd");
  ASSERT_NE(zadd, nullptr);
  EXPECT_EQ(zadd->arity, -4);
  EXPECT_EQ(zadd->flags, kCmdWrite | kCmdDenyOom | kCmdFast);
  EXPECT_STREQ(zadd->group, "sorted-set");
  EXPECT_EQ(h.table().Find("zrange")->arity, -4);
  EXPECT_EQ(h.table().Find("zrange")->flags, kCmdReadonly);
  EXPECT_EQ(h.table().Find("zpopmin")->flags, kCmdWrite | kCmdFast);
  EXPECT_EQ(h.table().Find("zincrby")->arity, 4);
  EXPECT_EQ(h.table().Find("zcount")->flags, kCmdReadonly | kCmdFast);
}

// ZSCAN of a listpack sorted set: all of it in score order with cursor 0,
// scores as the listpack stores them (integers within 2^62 as integers, so
// 123456789012345678 reads back as 123456789012345680 and -0 as 0).
TEST_F(ZSetCommands, ScanOfListpackReturnsStoredScores) {
  h.Run({"ZADD", "z", "1.5", "a", "123456789012345678", "b", "-0", "c", "1e20", "d", "0.1", "e",
         "inf", "f"});
  EXPECT_EQ(
      h.Run({"ZSCAN", "z", "0"}),
      "*2\r\n$1\r\n0\r\n*12\r\n$1\r\nc\r\n$1\r\n0\r\n$1\r\ne\r\n$19\r\n0.10000000000000001\r\n"
      "$1\r\na\r\n$3\r\n1.5\r\n$1\r\nb\r\n$18\r\n123456789012345680\r\n$1\r\nd\r\n$5\r\n1e+20"
      "\r\n$1\r\nf\r\n$3\r\ninf\r\n");
  EXPECT_EQ(
      h.Run({"ZSCAN", "z", "7", "MATCH", "[a-c]"}),
      "*2\r\n$1\r\n0\r\n*6\r\n$1\r\nc\r\n$1\r\n0\r\n$1\r\na\r\n$3\r\n1.5\r\n$1\r\nb\r\n$18\r\n"
      "123456789012345680\r\n");
  EXPECT_EQ(h.Run({"ZSCAN", "str", "0"}), kWrongType);
  EXPECT_EQ(h.Run({"ZSCAN", "nokey", "0"}), "*2\r\n$1\r\n0\r\n*0\r\n");
  EXPECT_EQ(h.Run({"ZSCAN", "z", "x"}), "-ERR invalid cursor\r\n");
  EXPECT_EQ(h.Run({"ZSCAN", "z", "0", "COUNT", "-1"}), "-ERR syntax error\r\n");
}

// A skiplist sorted set pages; scores come as %.17g, -0 keeping its sign.
TEST_F(ZSetCommands, ScanOfSkiplistPages) {
  for (int i = 0; i < 130; i++)
    h.Run({"ZADD", "z", std::to_string(i) + ".5", "m" + std::to_string(i)});
  h.Run({"ZADD", "z", "-0", "neg", "123456789012345678", "big"});
  int calls = 0;
  std::vector<std::string> items = testing::ScanToEnd(h, "ZSCAN", "z", {"COUNT", "20"}, &calls);
  EXPECT_EQ(calls, 7);
  ASSERT_EQ(items.size(), 264u);
  std::map<std::string, std::string> scores;
  for (size_t i = 0; i < items.size(); i += 2) scores[items[i]] = items[i + 1];
  EXPECT_EQ(scores.size(), 132u);
  EXPECT_EQ(scores["m7"], "7.5");
  EXPECT_EQ(scores["neg"], "-0");
  EXPECT_EQ(scores["big"], "1.2345678901234568e+17");
}

TEST_F(ZSetCommands, UnionAndInterStore) {
  h.Run({"ZADD", "za", "1", "a", "2", "b", "3", "c"});
  h.Run({"ZADD", "zb", "10", "b", "20", "c", "30", "d"});
  h.Run({"SADD", "sx", "a", "b", "x"});
  EXPECT_EQ(h.Run({"ZUNIONSTORE", "out", "2", "za", "zb", "WEIGHTS", "2", "3"}), ":4\r\n");
  EXPECT_EQ(h.Run({"ZRANGE", "out", "0", "-1", "WITHSCORES"}),
            Bulks({"a", "2", "b", "34", "c", "66", "d", "90"}));
  EXPECT_EQ(h.Run({"ZINTERSTORE", "out", "2", "za", "zb", "AGGREGATE", "MAX"}), ":2\r\n");
  EXPECT_EQ(h.Run({"ZRANGE", "out", "0", "-1", "WITHSCORES"}), Bulks({"b", "10", "c", "20"}));
  // A set takes part with every score 1.
  EXPECT_EQ(h.Run({"ZUNIONSTORE", "out", "2", "za", "sx", "AGGREGATE", "MIN"}), ":4\r\n");
  EXPECT_EQ(h.Run({"ZRANGE", "out", "0", "-1", "WITHSCORES"}),
            Bulks({"a", "1", "b", "1", "x", "1", "c", "3"}));
  EXPECT_EQ(h.Run({"ZINTERSTORE", "out", "2", "sx", "za", "WEIGHTS", "5", "2"}), ":2\r\n");
  EXPECT_EQ(h.Run({"ZRANGE", "out", "0", "-1", "WITHSCORES"}), Bulks({"a", "7", "b", "9"}));
  // inf + -inf and inf * 0 are 0, not NaN.
  h.Run({"ZADD", "zi", "inf", "a"});
  h.Run({"ZADD", "zn", "-inf", "a"});
  EXPECT_EQ(h.Run({"ZUNIONSTORE", "out", "2", "zi", "zn"}), ":1\r\n");
  EXPECT_EQ(h.Run({"ZRANGE", "out", "0", "-1", "WITHSCORES"}), Bulks({"a", "0"}));
  EXPECT_EQ(h.Run({"ZUNIONSTORE", "out", "1", "zi", "WEIGHTS", "0"}), ":1\r\n");
  EXPECT_EQ(h.Run({"ZRANGE", "out", "0", "-1", "WITHSCORES"}), Bulks({"a", "0"}));
  // An empty result deletes the destination, whatever it held.
  h.Run({"SET", "out", "x"});
  EXPECT_EQ(h.Run({"ZINTERSTORE", "out", "2", "za", "nokey"}), ":0\r\n");
  EXPECT_FALSE(Exists("out"));
  // The destination may be a source.
  EXPECT_EQ(h.Run({"ZUNIONSTORE", "za", "2", "za", "zb"}), ":4\r\n");
  EXPECT_EQ(h.Run({"ZRANGE", "za", "0", "-1", "WITHSCORES"}),
            Bulks({"a", "1", "b", "12", "c", "23", "d", "30"}));
}

TEST_F(ZSetCommands, UnionAndInterStoreErrors) {
  h.Run({"ZADD", "za", "1", "a"});
  h.Run({"ZADD", "zb", "1", "b"});
  const std::string syntax = "-ERR syntax error\r\n";
  EXPECT_EQ(h.Run({"ZUNIONSTORE", "out", "0", "za"}),
            "-ERR at least 1 input key is needed for 'zunionstore' command\r\n");
  EXPECT_EQ(h.Run({"ZINTERSTORE", "out", "-1", "za"}),
            "-ERR at least 1 input key is needed for 'zinterstore' command\r\n");
  EXPECT_EQ(h.Run({"ZUNIONSTORE", "out", "abc", "za"}), kNotInteger);
  EXPECT_EQ(h.Run({"ZUNIONSTORE", "out", "3", "za", "zb"}), syntax);
  EXPECT_EQ(h.Run({"ZUNIONSTORE", "out", "2", "za", "zb", "WEIGHTS", "1"}), syntax);
  EXPECT_EQ(h.Run({"ZUNIONSTORE", "out", "2", "za", "zb", "WEIGHTS", "1", "x"}),
            "-ERR weight value is not a float\r\n");
  EXPECT_EQ(h.Run({"ZUNIONSTORE", "out", "2", "za", "zb", "AGGREGATE", "avg"}), syntax);
  EXPECT_EQ(h.Run({"ZUNIONSTORE", "out", "2", "za", "zb", "WITHSCORES"}), syntax);
  // Keys are type-checked before the options are read.
  EXPECT_EQ(h.Run({"ZUNIONSTORE", "out", "2", "za", "str", "WEIGHTS", "x"}), kWrongType);
  EXPECT_FALSE(Exists("out"));
}

// Redis builds the result as a skiplist and converts it to a listpack when
// it fits (128 members of 64 bytes), and a listpack stores -0 as 0; ZSCORE
// shows which one was built (Redis 7.0.15's replies).
TEST_F(ZSetCommands, StoredResultsKeepRedisEncoding) {
  for (int i = 0; i < 130; i++) h.Run({"ZADD", "src", std::to_string(i), "m" + std::to_string(i)});
  h.Run({"ZADD", "src", "-0", "neg"});
  h.Run({"ZADD", "small", "-0", "a", "1", "b"});
  EXPECT_EQ(h.Run({"ZUNIONSTORE", "d", "1", "src"}), ":131\r\n");
  EXPECT_EQ(h.Run({"ZSCORE", "d", "neg"}), "$2\r\n-0\r\n");
  EXPECT_EQ(h.Run({"ZINTERSTORE", "d", "1", "src", "WEIGHTS", "1"}), ":131\r\n");
  EXPECT_EQ(h.Run({"ZSCORE", "d", "neg"}), "$2\r\n-0\r\n");
  EXPECT_EQ(h.Run({"ZUNIONSTORE", "d", "1", "small"}), ":2\r\n");
  EXPECT_EQ(h.Run({"ZSCORE", "d", "a"}), "$1\r\n0\r\n");
  // ZRANGESTORE: a rank range over 128 starts as a skiplist; a score range
  // starts as a listpack and converts only when it outgrows it.
  EXPECT_EQ(h.Run({"ZRANGESTORE", "d", "src", "0", "-1"}), ":131\r\n");
  EXPECT_EQ(h.Run({"ZSCORE", "d", "neg"}), "$2\r\n-0\r\n");
  EXPECT_EQ(h.Run({"ZRANGESTORE", "d", "src", "0", "10"}), ":11\r\n");
  EXPECT_EQ(h.Run({"ZSCORE", "d", "neg"}), "$1\r\n0\r\n");
  EXPECT_EQ(h.Run({"ZRANGESTORE", "d", "src", "-inf", "+inf", "BYSCORE"}), ":131\r\n");
  EXPECT_EQ(h.Run({"ZSCORE", "d", "neg"}), "$1\r\n0\r\n");
}

TEST_F(ZSetCommands, RangeStore) {
  h.Run({"ZADD", "zr", "1", "a", "2", "b", "3", "c", "4", "d"});
  EXPECT_EQ(h.Run({"ZRANGESTORE", "dst", "zr", "1", "2", "REV"}), ":2\r\n");
  EXPECT_EQ(h.Run({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}), Bulks({"b", "2", "c", "3"}));
  EXPECT_EQ(h.Run({"ZRANGESTORE", "dst", "zr", "(1", "+inf", "BYSCORE", "LIMIT", "1", "1"}),
            ":1\r\n");
  EXPECT_EQ(h.Run({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}), Bulks({"c", "3"}));
  EXPECT_EQ(h.Run({"ZRANGESTORE", "dst", "zr", "[b", "+", "BYLEX"}), ":3\r\n");
  EXPECT_EQ(h.Run({"ZRANGE", "dst", "0", "-1"}), Bulks({"b", "c", "d"}));
  EXPECT_EQ(h.Run({"ZRANGESTORE", "dst", "zr", "0", "-1", "WITHSCORES"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"ZRANGESTORE", "dst", "zr", "0", "-1", "LIMIT", "0", "1"}),
            "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or "
            "BYLEX\r\n");
  EXPECT_EQ(h.Run({"ZRANGESTORE", "dst", "str", "0", "-1"}), kWrongType);
  EXPECT_EQ(h.Run({"ZRANGESTORE", "dst", "zr", "a", "b"}), kNotInteger);
  EXPECT_EQ(h.Run({"ZRANGESTORE", "dst", "zr", "0"}),
            "-ERR wrong number of arguments for 'zrangestore' command\r\n");
  // Empty ranges and missing sources delete the destination.
  EXPECT_EQ(h.Run({"ZRANGESTORE", "dst", "zr", "10", "20"}), ":0\r\n");
  EXPECT_FALSE(Exists("dst"));
  h.Run({"SET", "dst", "x"});
  EXPECT_EQ(h.Run({"ZRANGESTORE", "dst", "nokey", "0", "-1"}), ":0\r\n");
  EXPECT_FALSE(Exists("dst"));
  // The source may be the destination.
  EXPECT_EQ(h.Run({"ZRANGESTORE", "zr", "zr", "1", "2"}), ":2\r\n");
  EXPECT_EQ(h.Run({"ZRANGE", "zr", "0", "-1", "WITHSCORES"}), Bulks({"b", "2", "c", "3"}));
}

TEST_F(ZSetCommands, StoreAndScanRegisteredWithRedisMetadata) {
  for (const char* name : {"zunionstore", "zinterstore"}) {
    const CommandSpec* spec = h.table().Find(name);
    ASSERT_NE(spec, nullptr) << name;
    EXPECT_EQ(spec->arity, -4);
    EXPECT_EQ(spec->flags, kCmdWrite | kCmdDenyOom);
    EXPECT_EQ(spec->first_key, 1);
    EXPECT_EQ(spec->last_key, 1);
  }
  const CommandSpec* zrangestore = h.table().Find("zrangestore");
  ASSERT_NE(zrangestore, nullptr);
  EXPECT_EQ(zrangestore->arity, -5);
  EXPECT_EQ(zrangestore->last_key, 2);
  EXPECT_EQ(h.table().Find("zscan")->flags, kCmdReadonly);
}

}  // namespace
}  // namespace reel
