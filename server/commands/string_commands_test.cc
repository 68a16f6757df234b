// Unit tests of the string commands. The scenario tests (StringCommands.*)
// replay command sequences whose expected replies were recorded byte for
// byte from redis-server 7.0.15; the StringExpiry tests drive the fake clock.
#include "server/commands/command_test_harness.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "server/object.h"

namespace reel {
namespace {

using namespace std::literals;

// A list value put in place directly, so these tests do not depend on the
// list command family.
void MakeList(testing::CommandHarness& h, std::string_view key) {
  h.db().Add(key, Object(ListValue{"x"}));
}

// SET replaces any value, whatever its type; GET refuses other types.
TEST(StringCommands, GetAndSetBasics) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"GET", "k"}), "$-1\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"GET", "k"}), "$1\r\nv\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", ""}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"GET", "k"}), "$0\r\n\r\n"s);
  MakeList(h, "l");
  EXPECT_EQ(h.Run({"GET", "l"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"s);
  EXPECT_EQ(h.Run({"SET", "l", "now a string"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"GET", "l"}), "$12\r\nnow a string\r\n"s);
  EXPECT_EQ(h.Run({"SET"sv, "bin"sv,
                   "a\x00"
                   "b\r\n"sv}),
            "+OK\r\n"s);
  EXPECT_EQ(h.Run({"GET", "bin"}),
            "$5\r\na\x00"
            "b\r\n\r\n"s);
  EXPECT_EQ(h.Run({"GET"}), "-ERR wrong number of arguments for 'get' command\r\n"s);
  EXPECT_EQ(h.Run({"GET", "a", "b"}), "-ERR wrong number of arguments for 'get' command\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k"}), "-ERR wrong number of arguments for 'set' command\r\n"s);
}

TEST(StringCommands, SetNxXx) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"SET", "k", "v1", "NX"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v2", "NX"}), "$-1\r\n"s);
  EXPECT_EQ(h.Run({"GET", "k"}), "$2\r\nv1\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v3", "XX"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"GET", "k"}), "$2\r\nv3\r\n"s);
  EXPECT_EQ(h.Run({"SET", "missing", "v", "XX"}), "$-1\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "missing"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v4", "nx", "nx"}), "$-1\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v5", "xX", "Xx"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"GET", "k"}), "$2\r\nv5\r\n"s);
}

// Conflicting or unknown options; repeating an expire option is allowed.
TEST(StringCommands, SetSyntaxErrors) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"SET", "k", "v", "NX", "XX"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "XX", "NX"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "10", "PX", "100"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "PX", "100", "EXAT", "10"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EXAT", "1", "PXAT", "10"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "KEEPTTL", "EX", "10"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "PXAT", "10", "KEEPTTL"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "PX"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "FOO"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "PERSIST"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "NXX"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "N"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "GETT"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SET"sv, "k"sv, "v"sv, "nx\x00junk"sv}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "k"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "10", "EX", "20"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "KEEPTTL", "KEEPTTL"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "GET", "GET"}), "$1\r\nv\r\n"s);
}

TEST(StringCommands, SetInvalidExpireTimes) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "0"}), "-ERR invalid expire time in 'set' command\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "-1"}), "-ERR invalid expire time in 'set' command\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "PX", "0"}), "-ERR invalid expire time in 'set' command\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EXAT", "0"}),
            "-ERR invalid expire time in 'set' command\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "PXAT", "-5"}),
            "-ERR invalid expire time in 'set' command\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "ten"}),
            "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "1.5"}),
            "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", " 10"}),
            "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "9223372036854775807"}),
            "-ERR invalid expire time in 'set' command\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "9223372036854775"}),
            "-ERR invalid expire time in 'set' command\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "PX", "9223372036854775807"}),
            "-ERR invalid expire time in 'set' command\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EXAT", "9223372036854776"}),
            "-ERR invalid expire time in 'set' command\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "PXAT", "9223372036854775808"}),
            "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "k"}), ":0\r\n"s);
  // Far-future absolute times are fine.
  EXPECT_EQ(h.Run({"SET", "k", "v", "EXAT", "9223372036854775"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v", "PXAT", "9223372036854775807"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"GET", "k"}), "$1\r\nv\r\n"s);
  EXPECT_EQ(h.Run({"PEXPIRETIME", "k"}), ":9223372036854775807\r\n"s);
}

// GET returns the old value (or nil) instead of OK; WRONGTYPE stops the SET.
TEST(StringCommands, SetGet) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"SET", "k", "v1", "GET"}), "$-1\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v2", "GET"}), "$2\r\nv1\r\n"s);
  EXPECT_EQ(h.Run({"GET", "k"}), "$2\r\nv2\r\n"s);
  MakeList(h, "l");
  EXPECT_EQ(h.Run({"SET", "l", "v", "GET"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"s);
  EXPECT_EQ(h.Run({"TYPE", "l"}), "+list\r\n"s);
  // NX/XX with GET: the old value is returned whether or not the SET happened.
  EXPECT_EQ(h.Run({"SET", "k", "v3", "NX", "GET"}), "$2\r\nv2\r\n"s);
  EXPECT_EQ(h.Run({"GET", "k"}), "$2\r\nv2\r\n"s);
  EXPECT_EQ(h.Run({"SET", "new", "n", "NX", "GET"}), "$-1\r\n"s);
  EXPECT_EQ(h.Run({"GET", "new"}), "$1\r\nn\r\n"s);
  EXPECT_EQ(h.Run({"SET", "nope", "n", "XX", "GET"}), "$-1\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "nope"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v4", "get", "XX"}), "$2\r\nv2\r\n"s);
  EXPECT_EQ(h.Run({"GET", "k"}), "$2\r\nv4\r\n"s);
  // The expire time is validated before GET replies.
  EXPECT_EQ(h.Run({"SET", "k", "v5", "GET", "EX", "0"}),
            "-ERR invalid expire time in 'set' command\r\n"s);
  EXPECT_EQ(h.Run({"GET", "k"}), "$2\r\nv4\r\n"s);
}

TEST(StringCommands, SetnxSetexPsetex) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"SETNX", "k", "a"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"SETNX", "k", "b"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"GET", "k"}), "$1\r\na\r\n"s);
  EXPECT_EQ(h.Run({"SETEX", "k", "100", "c"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"GET", "k"}), "$1\r\nc\r\n"s);
  EXPECT_EQ(h.Run({"TTL", "k"}), ":100\r\n"s);
  EXPECT_EQ(h.Run({"PSETEX", "k", "100000", "d"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"GET", "k"}), "$1\r\nd\r\n"s);
  EXPECT_EQ(h.Run({"TTL", "k"}), ":100\r\n"s);
  EXPECT_EQ(h.Run({"SETEX", "k", "0", "x"}), "-ERR invalid expire time in 'setex' command\r\n"s);
  EXPECT_EQ(h.Run({"SETEX", "k", "-10", "x"}), "-ERR invalid expire time in 'setex' command\r\n"s);
  EXPECT_EQ(h.Run({"SETEX", "k", "abc", "x"}), "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"PSETEX", "k", "0", "x"}), "-ERR invalid expire time in 'psetex' command\r\n"s);
  EXPECT_EQ(h.Run({"SETEX", "k", "9223372036854775807", "x"}),
            "-ERR invalid expire time in 'setex' command\r\n"s);
  EXPECT_EQ(h.Run({"PSETEX", "k", "9223372036854775807", "x"}),
            "-ERR invalid expire time in 'psetex' command\r\n"s);
  EXPECT_EQ(h.Run({"GET", "k"}), "$1\r\nd\r\n"s);
  MakeList(h, "l");
  EXPECT_EQ(h.Run({"SETNX", "l", "x"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"SETEX", "l", "10", "x"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"GET", "l"}), "$1\r\nx\r\n"s);
  EXPECT_EQ(h.Run({"SETNX", "k"}), "-ERR wrong number of arguments for 'setnx' command\r\n"s);
  EXPECT_EQ(h.Run({"SETEX", "k", "10"}), "-ERR wrong number of arguments for 'setex' command\r\n"s);
  EXPECT_EQ(h.Run({"PSETEX", "k", "10", "v", "extra"}),
            "-ERR wrong number of arguments for 'psetex' command\r\n"s);
}

TEST(StringCommands, GetsetGetdel) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"GETSET", "k", "a"}), "$-1\r\n"s);
  EXPECT_EQ(h.Run({"GETSET", "k", "b"}), "$1\r\na\r\n"s);
  EXPECT_EQ(h.Run({"GET", "k"}), "$1\r\nb\r\n"s);
  EXPECT_EQ(h.Run({"GETDEL", "k"}), "$1\r\nb\r\n"s);
  EXPECT_EQ(h.Run({"GETDEL", "k"}), "$-1\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "k"}), ":0\r\n"s);
  MakeList(h, "l");
  EXPECT_EQ(h.Run({"GETSET", "l", "x"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"s);
  EXPECT_EQ(h.Run({"GETDEL", "l"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"s);
  EXPECT_EQ(h.Run({"TYPE", "l"}), "+list\r\n"s);
}

// GETEX options are parsed first; the expire is checked only for an existing string.
TEST(StringCommands, Getex) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"GETEX", "missing"}), "$-1\r\n"s);
  EXPECT_EQ(h.Run({"GETEX", "missing", "EX", "0"}), "$-1\r\n"s);
  EXPECT_EQ(h.Run({"GETEX", "missing", "FOO"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SET", "k", "v"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"GETEX", "k"}), "$1\r\nv\r\n"s);
  EXPECT_EQ(h.Run({"GETEX", "k", "EX", "0"}), "-ERR invalid expire time in 'getex' command\r\n"s);
  EXPECT_EQ(h.Run({"GETEX", "k", "PX", "abc"}),
            "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"GETEX", "k", "EX", "100"}), "$1\r\nv\r\n"s);
  EXPECT_EQ(h.Run({"TTL", "k"}), ":100\r\n"s);
  EXPECT_EQ(h.Run({"GETEX", "k", "PERSIST"}), "$1\r\nv\r\n"s);
  EXPECT_EQ(h.Run({"TTL", "k"}), ":-1\r\n"s);
  EXPECT_EQ(h.Run({"GETEX", "k", "PERSIST", "EX", "10"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"GETEX", "k", "EX", "10", "PERSIST"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"GETEX", "k", "KEEPTTL"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"GETEX", "k", "NX"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"GETEX", "k", "GET"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"GETEX", "k", "EX"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"GETEX", "k", "PERSIST", "PERSIST"}), "$1\r\nv\r\n"s);
  EXPECT_EQ(h.Run({"GETEX", "k", "EXAT", "1"}), "$1\r\nv\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "k"}), ":0\r\n"s);
  MakeList(h, "l");
  EXPECT_EQ(h.Run({"GETEX", "l"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"s);
  EXPECT_EQ(h.Run({"GETEX", "l", "EX", "0"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"s);
}

TEST(StringCommands, AppendStrlen) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"STRLEN", "k"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"APPEND", "k", "Hello"}), ":5\r\n"s);
  EXPECT_EQ(h.Run({"APPEND", "k", " World"}), ":11\r\n"s);
  EXPECT_EQ(h.Run({"GET", "k"}), "$11\r\nHello World\r\n"s);
  EXPECT_EQ(h.Run({"STRLEN", "k"}), ":11\r\n"s);
  EXPECT_EQ(h.Run({"APPEND", "k", ""}), ":11\r\n"s);
  EXPECT_EQ(h.Run({"APPEND", "e", ""}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "e"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"STRLEN", "e"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"SET", "n", "10"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"APPEND", "n", "5"}), ":3\r\n"s);
  EXPECT_EQ(h.Run({"INCR", "n"}), ":106\r\n"s);
  MakeList(h, "l");
  EXPECT_EQ(h.Run({"APPEND", "l", "x"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"s);
  EXPECT_EQ(h.Run({"STRLEN", "l"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"s);
}

TEST(StringCommands, IncrDecr) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"INCR", "c"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"INCR", "c"}), ":2\r\n"s);
  EXPECT_EQ(h.Run({"DECR", "c"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"DECR", "d"}), ":-1\r\n"s);
  EXPECT_EQ(h.Run({"INCRBY", "c", "10"}), ":11\r\n"s);
  EXPECT_EQ(h.Run({"INCRBY", "c", "-20"}), ":-9\r\n"s);
  EXPECT_EQ(h.Run({"DECRBY", "c", "5"}), ":-14\r\n"s);
  EXPECT_EQ(h.Run({"DECRBY", "c", "-100"}), ":86\r\n"s);
  EXPECT_EQ(h.Run({"GET", "c"}), "$2\r\n86\r\n"s);
  EXPECT_EQ(h.Run({"SET", "c", "-0"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"INCR", "c"}), "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"SET", "c", "007"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"INCR", "c"}), "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"SET", "c", " 1"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"INCR", "c"}), "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"SET", "c", "1 "}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"INCR", "c"}), "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"SET", "c", "+1"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"INCR", "c"}), "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"SET", "c", "1.0"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"INCR", "c"}), "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"SET", "c", "abc"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"INCR", "c"}), "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"SET", "c", ""}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"INCR", "c"}), "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"SET", "c", "99999999999999999999"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"INCR", "c"}), "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"SET", "c", "-1"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"INCR", "c"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"GET", "c"}), "$1\r\n0\r\n"s);
  EXPECT_EQ(h.Run({"INCRBY", "c", "abc"}), "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"INCRBY", "c", "1.5"}), "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"INCRBY", "c", "9223372036854775808"}),
            "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"DECRBY", "c", "x"}), "-ERR value is not an integer or out of range\r\n"s);
}

TEST(StringCommands, IncrDecrOverflow) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"SET", "c", "9223372036854775807"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"INCR", "c"}), "-ERR increment or decrement would overflow\r\n"s);
  EXPECT_EQ(h.Run({"INCRBY", "c", "1"}), "-ERR increment or decrement would overflow\r\n"s);
  EXPECT_EQ(h.Run({"INCRBY", "c", "0"}), ":9223372036854775807\r\n"s);
  EXPECT_EQ(h.Run({"DECR", "c"}), ":9223372036854775806\r\n"s);
  EXPECT_EQ(h.Run({"SET", "c", "-9223372036854775808"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"DECR", "c"}), "-ERR increment or decrement would overflow\r\n"s);
  EXPECT_EQ(h.Run({"DECRBY", "c", "1"}), "-ERR increment or decrement would overflow\r\n"s);
  EXPECT_EQ(h.Run({"INCRBY", "c", "-9223372036854775808"}),
            "-ERR increment or decrement would overflow\r\n"s);
  EXPECT_EQ(h.Run({"INCR", "c"}), ":-9223372036854775807\r\n"s);
  EXPECT_EQ(h.Run({"SET", "c", "1"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"INCRBY", "c", "9223372036854775807"}),
            "-ERR increment or decrement would overflow\r\n"s);
  EXPECT_EQ(h.Run({"DECRBY", "c", "-9223372036854775808"}), "-ERR decrement would overflow\r\n"s);
  EXPECT_EQ(h.Run({"INCRBY", "c", "-9223372036854775808"}), ":-9223372036854775807\r\n"s);
  EXPECT_EQ(h.Run({"SET", "z", "0"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"DECRBY", "z", "-9223372036854775808"}), "-ERR decrement would overflow\r\n"s);
  EXPECT_EQ(h.Run({"INCRBY", "z", "-9223372036854775808"}), ":-9223372036854775808\r\n"s);
  EXPECT_EQ(h.Run({"GET", "z"}), "$20\r\n-9223372036854775808\r\n"s);
  EXPECT_EQ(h.Run({"DECRBY", "z", "9223372036854775807"}),
            "-ERR increment or decrement would overflow\r\n"s);
}

// INCRBY checks its argument before the key; the key type before its value.
TEST(StringCommands, IncrWrongType) {
  testing::CommandHarness h;
  MakeList(h, "l");
  EXPECT_EQ(h.Run({"INCR", "l"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"s);
  EXPECT_EQ(h.Run({"DECR", "l"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"s);
  EXPECT_EQ(h.Run({"INCRBY", "l", "1"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"s);
  EXPECT_EQ(h.Run({"INCRBY", "l", "x"}), "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"DECRBY", "l", "-9223372036854775808"}), "-ERR decrement would overflow\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "l", "x"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "l", "1"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"s);
}

// Replies are formatted with %.17Lf, trailing zeros stripped.
TEST(StringCommands, Incrbyfloat) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "10.5"}), "$4\r\n10.5\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "0.1"}), "$4\r\n10.6\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "-5.6"}), "$1\r\n5\r\n"s);
  EXPECT_EQ(h.Run({"GET", "f"}), "$1\r\n5\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "5.0e3"}), "$4\r\n5005\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "-5005"}), "$1\r\n0\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "-0.0"}), "$1\r\n0\r\n"s);
  EXPECT_EQ(h.Run({"SET", "f", "0.1"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "0.2"}), "$3\r\n0.3\r\n"s);
  EXPECT_EQ(h.Run({"SET", "f", "3"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "1e20"}), "$21\r\n100000000000000000000\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "g", "1.5e-3"}), "$6\r\n0.0015\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "h", "-0"}), "$1\r\n0\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "i", "0x10"}), "$2\r\n16\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "j", "1e-20"}), "$1\r\n0\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "k2", "123456789012345678901234567890"}),
            "$30\r\n123456789012345678899921813504\r\n"s);
  EXPECT_EQ(h.Run({"SET", "f", "1"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "inf"}),
            "-ERR increment would produce NaN or Infinity\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "-inf"}),
            "-ERR increment would produce NaN or Infinity\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "nan"}), "-ERR value is not a valid float\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "abc"}), "-ERR value is not a valid float\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", ""}), "-ERR value is not a valid float\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", " 1"}), "-ERR value is not a valid float\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "1 "}), "-ERR value is not a valid float\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "1e5000"}), "-ERR value is not a valid float\r\n"s);
  EXPECT_EQ(h.Run({"GET", "f"}), "$1\r\n1\r\n"s);
  EXPECT_EQ(h.Run({"SET", "f", "abc"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "1"}), "-ERR value is not a valid float\r\n"s);
  EXPECT_EQ(h.Run({"SET", "f", "inf"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "1"}), "-ERR increment would produce NaN or Infinity\r\n"s);
  EXPECT_EQ(h.Run({"SET", "f", " 2"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "1"}), "-ERR value is not a valid float\r\n"s);
}

TEST(StringCommands, MgetMsetMsetnx) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"MSET", "a", "1", "b", "2", "a", "3"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"MGET", "a", "b", "c", "a"}), "*4\r\n$1\r\n3\r\n$1\r\n2\r\n$-1\r\n$1\r\n3\r\n"s);
  MakeList(h, "l");
  EXPECT_EQ(h.Run({"MGET", "l", "a"}), "*2\r\n$-1\r\n$1\r\n3\r\n"s);
  EXPECT_EQ(h.Run({"MSET", "a"}), "-ERR wrong number of arguments for 'mset' command\r\n"s);
  EXPECT_EQ(h.Run({"MSET", "a", "1", "b"}),
            "-ERR wrong number of arguments for 'mset' command\r\n"s);
  EXPECT_EQ(h.Run({"MSETNX", "x", "1", "y"}),
            "-ERR wrong number of arguments for 'msetnx' command\r\n"s);
  EXPECT_EQ(h.Run({"MSETNX", "x", "1", "a", "9"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "x"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"GET", "a"}), "$1\r\n3\r\n"s);
  EXPECT_EQ(h.Run({"MSETNX", "x", "1", "y", "2"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"MGET", "x", "y"}), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"s);
  EXPECT_EQ(h.Run({"MSETNX", "l", "v"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"MSET", "l", "v"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"GET", "l"}), "$1\r\nv\r\n"s);
  EXPECT_EQ(h.Run({"MSETNX", "p", "1", "p", "2"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"GET", "p"}), "$1\r\n2\r\n"s);
  EXPECT_EQ(h.Run({"MGET"}), "-ERR wrong number of arguments for 'mget' command\r\n"s);
}

TEST(StringCommands, Getrange) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"SET", "s", "Hello World"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"GETRANGE", "s", "0", "4"}), "$5\r\nHello\r\n"s);
  EXPECT_EQ(h.Run({"GETRANGE", "s", "-5", "-1"}), "$5\r\nWorld\r\n"s);
  EXPECT_EQ(h.Run({"GETRANGE", "s", "0", "-1"}), "$11\r\nHello World\r\n"s);
  EXPECT_EQ(h.Run({"GETRANGE", "s", "0", "100"}), "$11\r\nHello World\r\n"s);
  EXPECT_EQ(h.Run({"GETRANGE", "s", "-100", "2"}), "$3\r\nHel\r\n"s);
  EXPECT_EQ(h.Run({"GETRANGE", "s", "5", "3"}), "$0\r\n\r\n"s);
  EXPECT_EQ(h.Run({"GETRANGE", "s", "-1", "-5"}), "$0\r\n\r\n"s);
  EXPECT_EQ(h.Run({"GETRANGE", "s", "100", "200"}), "$0\r\n\r\n"s);
  EXPECT_EQ(h.Run({"GETRANGE", "s", "-1", "0"}), "$0\r\n\r\n"s);
  EXPECT_EQ(h.Run({"GETRANGE", "s", "3", "-100"}), "$0\r\n\r\n"s);
  EXPECT_EQ(h.Run({"GETRANGE", "s", "-9223372036854775808", "9223372036854775807"}),
            "$11\r\nHello World\r\n"s);
  EXPECT_EQ(h.Run({"GETRANGE", "s", "10", "10"}), "$1\r\nd\r\n"s);
  EXPECT_EQ(h.Run({"GETRANGE", "s", "11", "11"}), "$0\r\n\r\n"s);
  EXPECT_EQ(h.Run({"GETRANGE", "missing", "0", "-1"}), "$0\r\n\r\n"s);
  EXPECT_EQ(h.Run({"GETRANGE", "s", "a", "1"}),
            "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"GETRANGE", "s", "0", "b"}),
            "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"GETRANGE", "missing", "a", "1"}),
            "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"SET", "e", ""}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"GETRANGE", "e", "0", "-1"}), "$0\r\n\r\n"s);
  EXPECT_EQ(h.Run({"GETRANGE", "e", "0", "0"}), "$0\r\n\r\n"s);
  EXPECT_EQ(h.Run({"SET", "n", "12345"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"SUBSTR", "n", "1", "3"}), "$3\r\n234\r\n"s);
  MakeList(h, "l");
  EXPECT_EQ(h.Run({"GETRANGE", "l", "0", "1"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"s);
  EXPECT_EQ(h.Run({"GETRANGE", "l", "x", "1"}),
            "-ERR value is not an integer or out of range\r\n"s);
}

TEST(StringCommands, Setrange) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"SET", "s", "Hello World"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"SETRANGE", "s", "6", "Redis"}), ":11\r\n"s);
  EXPECT_EQ(h.Run({"GET", "s"}), "$11\r\nHello Redis\r\n"s);
  EXPECT_EQ(h.Run({"SETRANGE", "s", "20", "!"}), ":21\r\n"s);
  EXPECT_EQ(h.Run({"GET", "s"}), "$21\r\nHello Redis\x00\x00\x00\x00\x00\x00\x00\x00\x00!\r\n"s);
  EXPECT_EQ(h.Run({"SETRANGE", "s", "0", ""}), ":21\r\n"s);
  EXPECT_EQ(h.Run({"SETRANGE", "s", "100", ""}), ":21\r\n"s);
  EXPECT_EQ(h.Run({"STRLEN", "s"}), ":21\r\n"s);
  EXPECT_EQ(h.Run({"SETRANGE", "n", "3", "ab"}), ":5\r\n"s);
  EXPECT_EQ(h.Run({"GET", "n"}),
            "$5\r\n\x00\x00\x00"
            "ab\r\n"s);
  EXPECT_EQ(h.Run({"SETRANGE", "e", "5", ""}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "e"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"SETRANGE", "e", "536870911", ""}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "e"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"SETRANGE", "s", "-1", "x"}), "-ERR offset is out of range\r\n"s);
  EXPECT_EQ(h.Run({"SETRANGE", "s", "x", "x"}),
            "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"SETRANGE", "s", "536870912", "x"}),
            "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"s);
  EXPECT_EQ(h.Run({"SETRANGE", "s", "536870911", "xy"}),
            "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"s);
  EXPECT_EQ(h.Run({"SETRANGE", "m", "536870912", "x"}),
            "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "m"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"SETRANGE", "s", "9223372036854775807", "x"}),
            "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"s);
  EXPECT_EQ(h.Run({"SET", "i", "1234"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"SETRANGE", "i", "1", "9"}), ":4\r\n"s);
  EXPECT_EQ(h.Run({"INCR", "i"}), ":1935\r\n"s);
  MakeList(h, "l");
  EXPECT_EQ(h.Run({"SETRANGE", "l", "0", "x"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"s);
  EXPECT_EQ(h.Run({"SETRANGE", "l", "0", ""}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"s);
  EXPECT_EQ(h.Run({"SETRANGE", "l", "-1", "x"}), "-ERR offset is out of range\r\n"s);
}

TEST(StringExpiry, KeyLivesThroughItsLastMillisecond) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "10"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"TTL", "k"}), ":10\r\n");
  EXPECT_EQ(h.Run({"PTTL", "k"}), ":10000\r\n");
  h.AdvanceMs(9999);
  EXPECT_EQ(h.Run({"PTTL", "k"}), ":1\r\n");
  h.AdvanceMs(1);
  // Redis expires a key only once now > its expire time.
  EXPECT_EQ(h.Run({"PTTL", "k"}), ":0\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "$1\r\nv\r\n");
  h.AdvanceMs(1);
  EXPECT_EQ(h.Run({"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"TTL", "k"}), ":-2\r\n");
  EXPECT_EQ(h.db().size(), 0u);
}

TEST(StringExpiry, TtlRoundsToTheNearestSecond) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"SET", "k", "v", "PX", "1500"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"TTL", "k"}), ":2\r\n");
  h.AdvanceMs(1000);
  EXPECT_EQ(h.Run({"PTTL", "k"}), ":500\r\n");
  EXPECT_EQ(h.Run({"TTL", "k"}), ":1\r\n");
  h.AdvanceMs(1);
  EXPECT_EQ(h.Run({"TTL", "k"}), ":0\r\n");
}

TEST(StringExpiry, ExatAndPxatAreAbsolute) {
  testing::CommandHarness h;
  const int64_t now_s = h.NowMs() / 1000;  // the harness clock is on a whole second
  std::string at = std::to_string(now_s + 5);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EXAT", at}), "+OK\r\n");
  EXPECT_EQ(h.Run({"PTTL", "k"}), ":5000\r\n");
  std::string pat = std::to_string(h.NowMs() + 500);
  EXPECT_EQ(h.Run({"SET", "k", "v", "PXAT", pat}), "+OK\r\n");
  EXPECT_EQ(h.Run({"PTTL", "k"}), ":500\r\n");
  EXPECT_EQ(h.Run({"PEXPIRETIME", "k"}), ":" + pat + "\r\n");
  // A time in the past is accepted and the key is gone at once.
  EXPECT_EQ(h.Run({"SET", "k", "v", "PXAT", "1"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"EXISTS", "k"}), ":0\r\n");
}

TEST(StringExpiry, RelativeExpireOverflowIsRejectedAgainstTheClock) {
  testing::CommandHarness h;
  // INT64_MAX - now is the largest PX that does not overflow.
  std::string max_px = std::to_string(INT64_MAX - h.NowMs());
  std::string over_px = std::to_string(INT64_MAX - h.NowMs() + 1);
  EXPECT_EQ(h.Run({"SET", "k", "v", "PX", over_px}),
            "-ERR invalid expire time in 'set' command\r\n");
  EXPECT_EQ(h.Run({"SET", "k", "v", "PX", max_px}), "+OK\r\n");
  EXPECT_EQ(h.Run({"PEXPIRETIME", "k"}), ":9223372036854775807\r\n");
}

TEST(StringExpiry, KeepttlKeepsTheTtlAndPlainSetDropsIt) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "100"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"SET", "k", "v2", "KEEPTTL"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"TTL", "k"}), ":100\r\n");
  EXPECT_EQ(h.Run({"SET", "k", "v3", "XX", "KEEPTTL", "GET"}), "$2\r\nv2\r\n");
  EXPECT_EQ(h.Run({"TTL", "k"}), ":100\r\n");
  EXPECT_EQ(h.Run({"SET", "k", "v4"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"TTL", "k"}), ":-1\r\n");
  EXPECT_EQ(h.Run({"SET", "new", "v", "KEEPTTL"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"TTL", "new"}), ":-1\r\n");
}

TEST(StringExpiry, InPlaceUpdatesKeepTheTtl) {
  testing::CommandHarness h;
  for (const char* key : {"i", "f", "a", "r"})
    EXPECT_EQ(h.Run({"SET", key, "10", "EX", "100"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"INCR", "i"}), ":11\r\n");
  EXPECT_EQ(h.Run({"DECRBY", "i", "5"}), ":6\r\n");
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "0.5"}), "$4\r\n10.5\r\n");
  EXPECT_EQ(h.Run({"APPEND", "a", "x"}), ":3\r\n");
  EXPECT_EQ(h.Run({"SETRANGE", "r", "0", "2"}), ":2\r\n");
  for (const char* key : {"i", "f", "a", "r"}) EXPECT_EQ(h.Run({"TTL", key}), ":100\r\n") << key;
}

TEST(StringExpiry, ReplacingCommandsDropTheTtl) {
  testing::CommandHarness h;
  for (const char* key : {"gs", "m1", "m2"})
    EXPECT_EQ(h.Run({"SET", key, "v", "EX", "100"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"GETSET", "gs", "w"}), "$1\r\nv\r\n");
  EXPECT_EQ(h.Run({"MSET", "m1", "w", "m2", "w"}), "+OK\r\n");
  for (const char* key : {"gs", "m1", "m2"}) EXPECT_EQ(h.Run({"TTL", key}), ":-1\r\n") << key;
}

TEST(StringExpiry, ExpiredKeysBehaveAsMissing) {
  testing::CommandHarness h;
  const char* keys[] = {"incr",  "setnx",  "append", "strlen", "range", "setrange", "msetnx",
                        "setxx", "getset", "getdel", "setget", "float", "mget"};
  for (const char* key : keys) EXPECT_EQ(h.Run({"SET", key, "5", "PX", "100"}), "+OK\r\n");
  h.AdvanceMs(101);
  EXPECT_EQ(h.Run({"INCR", "incr"}), ":1\r\n");
  EXPECT_EQ(h.Run({"SETNX", "setnx", "x"}), ":1\r\n");
  EXPECT_EQ(h.Run({"APPEND", "append", "xy"}), ":2\r\n");
  EXPECT_EQ(h.Run({"STRLEN", "strlen"}), ":0\r\n");
  EXPECT_EQ(h.Run({"GETRANGE", "range", "0", "-1"}), "$0\r\n\r\n");
  EXPECT_EQ(h.Run({"SETRANGE", "setrange", "1", "x"}), ":2\r\n");
  EXPECT_EQ(h.Run({"MSETNX", "msetnx", "x"}), ":1\r\n");
  EXPECT_EQ(h.Run({"SET", "setxx", "x", "XX"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"GETSET", "getset", "x"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"GETDEL", "getdel"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"SET", "setget", "x", "GET"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "float", "1.5"}), "$3\r\n1.5\r\n");
  EXPECT_EQ(h.Run({"MGET", "mget"}), "*1\r\n$-1\r\n");
  // The new values carry no TTL from the expired ones.
  EXPECT_EQ(h.Run({"TTL", "incr"}), ":-1\r\n");
  EXPECT_EQ(h.Run({"TTL", "append"}), ":-1\r\n");
}

TEST(StringExpiry, SetexPsetexAndGetex) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"SETEX", "k", "5", "v"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"PTTL", "k"}), ":5000\r\n");
  EXPECT_EQ(h.Run({"PSETEX", "k", "1500", "v"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"PTTL", "k"}), ":1500\r\n");
  EXPECT_EQ(h.Run({"GETEX", "k", "PX", "200"}), "$1\r\nv\r\n");
  EXPECT_EQ(h.Run({"PTTL", "k"}), ":200\r\n");
  std::string in_100s = std::to_string(h.NowMs() / 1000 + 100);
  EXPECT_EQ(h.Run({"GETEX", "k", "EXAT", in_100s}), "$1\r\nv\r\n");
  EXPECT_EQ(h.Run({"TTL", "k"}), ":100\r\n");
  EXPECT_EQ(h.Run({"GETEX", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(h.Run({"TTL", "k"}), ":100\r\n");
  EXPECT_EQ(h.Run({"GETEX", "k", "PERSIST"}), "$1\r\nv\r\n");
  EXPECT_EQ(h.Run({"TTL", "k"}), ":-1\r\n");
  // An absolute time equal to now deletes the key after replying its value.
  std::string now = std::to_string(h.NowMs());
  EXPECT_EQ(h.Run({"GETEX", "k", "PXAT", now}), "$1\r\nv\r\n");
  EXPECT_EQ(h.Run({"EXISTS", "k"}), ":0\r\n");
  EXPECT_EQ(h.Run({"SETEX", "k", "1", "v"}), "+OK\r\n");
  h.AdvanceMs(1001);
  EXPECT_EQ(h.Run({"GETEX", "k", "PERSIST"}), "$-1\r\n");
}

TEST(StringCommands, CommandTableEntriesMatchRedis) {
  testing::CommandHarness h;
  struct Expected {
    const char* name;
    int arity;
    uint32_t flags;
    int first, last, step;
  };
  // From COMMAND INFO of redis-server 7.0.15.
  const Expected expected[] = {
      {"get", 2, kCmdReadonly | kCmdFast, 1, 1, 1},
      {"set", -3, kCmdWrite | kCmdDenyOom, 1, 1, 1},
      {"setnx", 3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1},
      {"setex", 4, kCmdWrite | kCmdDenyOom, 1, 1, 1},
      {"psetex", 4, kCmdWrite | kCmdDenyOom, 1, 1, 1},
      {"getset", 3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1},
      {"getdel", 2, kCmdWrite | kCmdFast, 1, 1, 1},
      {"getex", -2, kCmdWrite | kCmdFast, 1, 1, 1},
      {"append", 3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1},
      {"strlen", 2, kCmdReadonly | kCmdFast, 1, 1, 1},
      {"incr", 2, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1},
      {"decr", 2, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1},
      {"incrby", 3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1},
      {"decrby", 3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1},
      {"incrbyfloat", 3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1},
      {"mget", -2, kCmdReadonly | kCmdFast, 1, -1, 1},
      {"mset", -3, kCmdWrite | kCmdDenyOom, 1, -1, 2},
      {"msetnx", -3, kCmdWrite | kCmdDenyOom, 1, -1, 2},
      {"getrange", 4, kCmdReadonly, 1, 1, 1},
      {"substr", 4, kCmdReadonly, 1, 1, 1},
      {"setrange", 4, kCmdWrite | kCmdDenyOom, 1, 1, 1},
  };
  for (const Expected& e : expected) {
    const CommandSpec* spec = h.table().Find(e.name);
    ASSERT_NE(spec, nullptr) << e.name;
    EXPECT_EQ(spec->arity, e.arity) << e.name;
    EXPECT_EQ(spec->flags, e.flags) << e.name;
    EXPECT_EQ(spec->first_key, e.first) << e.name;
    EXPECT_EQ(spec->last_key, e.last) << e.name;
    EXPECT_EQ(spec->key_step, e.step) << e.name;
    EXPECT_STREQ(spec->group, "string") << e.name;
  }
}

}  // namespace
}  // namespace reel
