// Unit tests of the generic key commands. The scenario tests replay
// command sequences whose expected replies were recorded byte for byte from
// redis-server 7.0.15 (KEYS/SCAN replies compared with their key lists
// sorted, since table order differs); the KeyExpiry tests drive the fake
// clock, and the SCAN/RANDOMKEY tests check the iteration guarantees.
#include "server/commands/command_test_harness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "server/object.h"

namespace reel {
namespace {

using namespace std::literals;

// Non-string values are put in place directly, so these tests do not depend
// on the list/hash/set/zset command families.
void MakeList(testing::CommandHarness& h, std::string_view key) {
  h.db().Add(key, Object(ListValue{"x"}));
}
void MakeHash(testing::CommandHarness& h, std::string_view key) {
  HashValue v;
  v.Set("f", "v");
  h.db().Add(key, Object(std::move(v)));
}
void MakeSet(testing::CommandHarness& h, std::string_view key) {
  h.db().Add(key, Object(SetValue{"m"}));
}
void MakeZSet(testing::CommandHarness& h, std::string_view key) {
  ZSetValue z;
  z.Set("m", 1);
  h.db().Add(key, Object(std::move(z)));
}

// Re-encodes a RESP reply with the elements of every array made only of bulk
// strings sorted by content, so KEYS/SCAN replies compare independently of
// the table's iteration order.
std::string SortedNode(const std::string& r, size_t* pos) {
  size_t eol = r.find("\r\n", *pos);
  char type = r[*pos];
  std::string head = r.substr(*pos, eol + 2 - *pos);
  *pos = eol + 2;
  long n = (type == '$' || type == '*') ? std::stol(head.substr(1)) : -1;
  if (type == '$' && n >= 0) {
    head += r.substr(*pos, static_cast<size_t>(n) + 2);
    *pos += static_cast<size_t>(n) + 2;
  }
  if (type != '*' || n < 0) return head;
  std::vector<std::string> items;
  bool all_bulk = true;
  for (long i = 0; i < n; i++) {
    if (r[*pos] != '$' || r[*pos + 1] == '-') all_bulk = false;
    items.push_back(SortedNode(r, pos));
  }
  auto payload = [](const std::string& item) { return item.substr(item.find("\r\n") + 2); };
  if (all_bulk)
    std::sort(items.begin(), items.end(),
              [&](const std::string& a, const std::string& b) { return payload(a) < payload(b); });
  for (const std::string& item : items) head += item;
  return head;
}

std::string SortedArrays(const std::string& reply) {
  size_t pos = 0;
  return SortedNode(reply, &pos);
}

// Parses a SCAN reply into its cursor and keys.
struct ScanPage {
  std::string cursor;
  std::vector<std::string> keys;
};
ScanPage ParseScan(const std::string& r) {
  ScanPage page;
  size_t pos = r.find("\r\n") + 2;   // *2
  size_t eol = r.find("\r\n", pos);  // $n
  size_t len = std::stoul(r.substr(pos + 1, eol - pos - 1));
  page.cursor = r.substr(eol + 2, len);
  pos = eol + 2 + len + 2;
  eol = r.find("\r\n", pos);  // *count
  long count = std::stol(r.substr(pos + 1, eol - pos - 1));
  pos = eol + 2;
  for (long i = 0; i < count; i++) {
    eol = r.find("\r\n", pos);
    len = std::stoul(r.substr(pos + 1, eol - pos - 1));
    page.keys.push_back(r.substr(eol + 2, len));
    pos = eol + 2 + len + 2;
  }
  return page;
}

// Runs a full SCAN iteration and returns every key returned (with repeats).
std::vector<std::string> ScanAll(testing::CommandHarness& h, std::vector<std::string> options,
                                 int* calls = nullptr) {
  std::vector<std::string> keys;
  std::string cursor = "0";
  int n = 0;
  do {
    std::vector<std::string> args = {"SCAN", cursor};
    args.insert(args.end(), options.begin(), options.end());
    ScanPage page = ParseScan(h.Run(std::vector<std::string_view>(args.begin(), args.end())));
    keys.insert(keys.end(), page.keys.begin(), page.keys.end());
    cursor = page.cursor;
    n++;
  } while (cursor != "0" && n < 100000);
  if (calls) *calls = n;
  return keys;
}

// A key named twice counts twice for EXISTS and TOUCH, once for DEL.
TEST(KeyCommands, DelUnlinkExists) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"MSET", "a", "1", "b", "2", "c", "3"}), "+OK\r\n"s);
  MakeList(h, "l");
  EXPECT_EQ(h.Run({"EXISTS", "a", "a", "b", "nope", "l"}), ":4\r\n"s);
  EXPECT_EQ(h.Run({"TOUCH", "a", "a", "nope"}), ":2\r\n"s);
  EXPECT_EQ(h.Run({"DEL", "a", "a", "nope"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "a"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"UNLINK", "b", "l", "c", "b"}), ":3\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "b", "c", "l"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"DEL", "nothing"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"DEL"}), "-ERR wrong number of arguments for 'del' command\r\n"s);
  EXPECT_EQ(h.Run({"UNLINK"}), "-ERR wrong number of arguments for 'unlink' command\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS"}), "-ERR wrong number of arguments for 'exists' command\r\n"s);
}

TEST(KeyCommands, Type) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"TYPE", "nope"}), "+none\r\n"s);
  EXPECT_EQ(h.Run({"SET", "s", "v"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"TYPE", "s"}), "+string\r\n"s);
  MakeList(h, "l");
  EXPECT_EQ(h.Run({"TYPE", "l"}), "+list\r\n"s);
  MakeHash(h, "h");
  EXPECT_EQ(h.Run({"TYPE", "h"}), "+hash\r\n"s);
  MakeSet(h, "st");
  EXPECT_EQ(h.Run({"TYPE", "st"}), "+set\r\n"s);
  MakeZSet(h, "z");
  EXPECT_EQ(h.Run({"TYPE", "z"}), "+zset\r\n"s);
  EXPECT_EQ(h.Run({"TYPE"}), "-ERR wrong number of arguments for 'type' command\r\n"s);
}

// KEYS order is the table order, so replies are compared sorted.
TEST(KeyCommands, Keys) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"MSET", "hello", "1", "hallo", "2", "hxllo", "3", "hllo", "4", "heeeello", "5",
                   "h*llo", "6", "", "7"}),
            "+OK\r\n"s);
  MakeList(h, "hlist");
  EXPECT_EQ(
      SortedArrays(h.Run({"KEYS", "*"})),
      "*8\r\n$0\r\n\r\n$5\r\nh*llo\r\n$5\r\nhallo\r\n$8\r\nheeeello\r\n$5\r\nhello\r\n$5\r\nhlist\r\n$4\r\nhllo\r\n$5\r\nhxllo\r\n"s);
  EXPECT_EQ(SortedArrays(h.Run({"KEYS", "h?llo"})),
            "*4\r\n$5\r\nh*llo\r\n$5\r\nhallo\r\n$5\r\nhello\r\n$5\r\nhxllo\r\n"s);
  EXPECT_EQ(
      SortedArrays(h.Run({"KEYS", "h*llo"})),
      "*6\r\n$5\r\nh*llo\r\n$5\r\nhallo\r\n$8\r\nheeeello\r\n$5\r\nhello\r\n$4\r\nhllo\r\n$5\r\nhxllo\r\n"s);
  EXPECT_EQ(SortedArrays(h.Run({"KEYS", "h[ae]llo"})), "*2\r\n$5\r\nhallo\r\n$5\r\nhello\r\n"s);
  EXPECT_EQ(SortedArrays(h.Run({"KEYS", "h[^e]llo"})),
            "*3\r\n$5\r\nh*llo\r\n$5\r\nhallo\r\n$5\r\nhxllo\r\n"s);
  EXPECT_EQ(SortedArrays(h.Run({"KEYS", "h[a-b]llo"})), "*1\r\n$5\r\nhallo\r\n"s);
  EXPECT_EQ(SortedArrays(h.Run({"KEYS", "h\\*llo"})), "*1\r\n$5\r\nh*llo\r\n"s);
  EXPECT_EQ(
      SortedArrays(h.Run({"KEYS", "**"})),
      "*7\r\n$5\r\nh*llo\r\n$5\r\nhallo\r\n$8\r\nheeeello\r\n$5\r\nhello\r\n$5\r\nhlist\r\n$4\r\nhllo\r\n$5\r\nhxllo\r\n"s);
  EXPECT_EQ(SortedArrays(h.Run({"KEYS", ""})), "*1\r\n$0\r\n\r\n"s);
  EXPECT_EQ(SortedArrays(h.Run({"KEYS", "nomatch*"})), "*0\r\n"s);
  EXPECT_EQ(h.Run({"KEYS"}), "-ERR wrong number of arguments for 'keys' command\r\n"s);
  EXPECT_EQ(h.Run({"KEYS", "a", "b"}), "-ERR wrong number of arguments for 'keys' command\r\n"s);
}

// Cursors are parsed with strtoul: sign, leading zeros and "" are accepted.
TEST(KeyCommands, ScanErrors) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"SCAN", "abc"}), "-ERR invalid cursor\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", " 0"}), "-ERR invalid cursor\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "0 "}), "-ERR invalid cursor\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "1x"}), "-ERR invalid cursor\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "18446744073709551616"}), "-ERR invalid cursor\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "0x1"}), "-ERR invalid cursor\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "+"}), "-ERR invalid cursor\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "-"}), "-ERR invalid cursor\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "0", "COUNT", "0"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "0", "COUNT", "-1"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "0", "COUNT", "x"}),
            "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "0", "COUNT"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "0", "MATCH"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "0", "TYPE"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "0", "FOO", "bar"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "0", "COUNT", "1", "x"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "x", "FOO"}), "-ERR invalid cursor\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "0", "FOO", "COUNT", "0"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "0", "COUNT", "0", "FOO"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "0"}), "*2\r\n$1\r\n0\r\n*0\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", ""}), "*2\r\n$1\r\n0\r\n*0\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "+0"}), "*2\r\n$1\r\n0\r\n*0\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "000"}), "*2\r\n$1\r\n0\r\n*0\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "-0"}), "*2\r\n$1\r\n0\r\n*0\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "18446744073709551615"}), "*2\r\n$1\r\n0\r\n*0\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "-1"}), "*2\r\n$1\r\n0\r\n*0\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "-18446744073709551615"}), "*2\r\n$1\r\n0\r\n*0\r\n"s);
  EXPECT_EQ(h.Run({"SCAN", "0", "count", "5", "match", "x*", "type", "list"}),
            "*2\r\n$1\r\n0\r\n*0\r\n"s);
  EXPECT_EQ(h.Run({"SCAN"sv, "0\x00junk"sv}), "*2\r\n$1\r\n0\r\n*0\r\n"s);
  EXPECT_EQ(h.Run({"SCAN"}), "-ERR wrong number of arguments for 'scan' command\r\n"s);
}

// One call with a large COUNT walks the whole small table.
TEST(KeyCommands, ScanFilters) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"MSET", "user:1", "a", "user:2", "b", "item:1", "c", "user:x", "d"}),
            "+OK\r\n"s);
  MakeList(h, "user:list");
  MakeHash(h, "h");
  MakeSet(h, "st");
  MakeZSet(h, "z");
  EXPECT_EQ(
      SortedArrays(h.Run({"SCAN", "0", "COUNT", "1000"})),
      "*2\r\n$1\r\n0\r\n*8\r\n$1\r\nh\r\n$6\r\nitem:1\r\n$2\r\nst\r\n$6\r\nuser:1\r\n$6\r\nuser:2\r\n$9\r\nuser:list\r\n$6\r\nuser:x\r\n$1\r\nz\r\n"s);
  EXPECT_EQ(
      SortedArrays(h.Run({"SCAN", "0", "COUNT", "1000", "MATCH", "user:*"})),
      "*2\r\n$1\r\n0\r\n*4\r\n$6\r\nuser:1\r\n$6\r\nuser:2\r\n$9\r\nuser:list\r\n$6\r\nuser:x\r\n"s);
  EXPECT_EQ(SortedArrays(h.Run({"SCAN", "0", "COUNT", "1000", "MATCH", "user:[0-9]"})),
            "*2\r\n$1\r\n0\r\n*2\r\n$6\r\nuser:1\r\n$6\r\nuser:2\r\n"s);
  EXPECT_EQ(
      SortedArrays(h.Run({"SCAN", "0", "COUNT", "1000", "TYPE", "string"})),
      "*2\r\n$1\r\n0\r\n*4\r\n$6\r\nitem:1\r\n$6\r\nuser:1\r\n$6\r\nuser:2\r\n$6\r\nuser:x\r\n"s);
  EXPECT_EQ(SortedArrays(h.Run({"SCAN", "0", "COUNT", "1000", "TYPE", "LIST"})),
            "*2\r\n$1\r\n0\r\n*1\r\n$9\r\nuser:list\r\n"s);
  EXPECT_EQ(SortedArrays(h.Run({"SCAN", "0", "COUNT", "1000", "TYPE", "hash"})),
            "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nh\r\n"s);
  EXPECT_EQ(SortedArrays(h.Run({"SCAN", "0", "COUNT", "1000", "TYPE", "set"})),
            "*2\r\n$1\r\n0\r\n*1\r\n$2\r\nst\r\n"s);
  EXPECT_EQ(SortedArrays(h.Run({"SCAN", "0", "COUNT", "1000", "TYPE", "zset"})),
            "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nz\r\n"s);
  EXPECT_EQ(SortedArrays(h.Run({"SCAN", "0", "COUNT", "1000", "TYPE", "none"})),
            "*2\r\n$1\r\n0\r\n*0\r\n"s);
  EXPECT_EQ(SortedArrays(h.Run({"SCAN", "0", "COUNT", "1000", "TYPE", "stream"})),
            "*2\r\n$1\r\n0\r\n*0\r\n"s);
  EXPECT_EQ(SortedArrays(h.Run({"SCAN", "0", "COUNT", "1000", "MATCH", "user:*", "TYPE", "list"})),
            "*2\r\n$1\r\n0\r\n*1\r\n$9\r\nuser:list\r\n"s);
  EXPECT_EQ(SortedArrays(h.Run({"SCAN", "0", "MATCH", "nope", "COUNT", "1000", "MATCH", "item*"})),
            "*2\r\n$1\r\n0\r\n*1\r\n$6\r\nitem:1\r\n"s);
}

TEST(KeyCommands, RenameAndRenamenx) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"RENAME", "nope", "x"}), "-ERR no such key\r\n"s);
  EXPECT_EQ(h.Run({"RENAME", "nope", "nope"}), "-ERR no such key\r\n"s);
  EXPECT_EQ(h.Run({"RENAMENX", "nope", "x"}), "-ERR no such key\r\n"s);
  EXPECT_EQ(h.Run({"SET", "a", "1"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"RENAME", "a", "a"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"RENAMENX", "a", "a"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"GET", "a"}), "$1\r\n1\r\n"s);
  EXPECT_EQ(h.Run({"RENAME", "a", "b"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "a"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"GET", "b"}), "$1\r\n1\r\n"s);
  EXPECT_EQ(h.Run({"SET", "c", "3"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"RENAMENX", "b", "c"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"GET", "b"}), "$1\r\n1\r\n"s);
  EXPECT_EQ(h.Run({"RENAME", "b", "c"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"GET", "c"}), "$1\r\n1\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "b"}), ":0\r\n"s);
  MakeList(h, "l");
  EXPECT_EQ(h.Run({"RENAME", "l", "c"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"TYPE", "c"}), "+list\r\n"s);
  EXPECT_EQ(h.Run({"RENAMENX", "c", "d"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"TYPE", "d"}), "+list\r\n"s);
  EXPECT_EQ(h.Run({"RENAME", "a"}), "-ERR wrong number of arguments for 'rename' command\r\n"s);
  EXPECT_EQ(h.Run({"RENAMENX", "a", "b", "c"}),
            "-ERR wrong number of arguments for 'renamenx' command\r\n"s);
}

TEST(KeyCommands, RandomkeyDeterministicCases) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"RANDOMKEY"}), "$-1\r\n"s);
  EXPECT_EQ(h.Run({"SET", "only", "1"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"RANDOMKEY"}), "$4\r\nonly\r\n"s);
  EXPECT_EQ(h.Run({"RANDOMKEY", "x"}),
            "-ERR wrong number of arguments for 'randomkey' command\r\n"s);
}

// Options are parsed before the time argument.
TEST(KeyCommands, ExpireOptionErrors) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"SET", "k", "v"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "10", "NX", "XX"}),
            "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "10", "XX", "NX"}),
            "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "10", "NX", "GT"}),
            "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "10", "LT", "NX"}),
            "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "10", "GT", "LT"}),
            "-ERR GT and LT options at the same time are not compatible\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "10", "gt", "lt", "nx"}),
            "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "10", "FOO"}), "-ERR Unsupported option FOO\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "10", "nx", "bar"}), "-ERR Unsupported option bar\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "abc", "FOO"}), "-ERR Unsupported option FOO\r\n"s);
  EXPECT_EQ(h.Run({"PEXPIRE", "k", "10", "Ex"}), "-ERR Unsupported option Ex\r\n"s);
  EXPECT_EQ(h.Run({"EXPIREAT", "k", "10", "foo\r\n"}), "-ERR Unsupported option foo\r\n"s);
  EXPECT_EQ(h.Run({"PEXPIREAT"sv, "k"sv, "10"sv,
                   "a\x00"
                   "b"sv}),
            "-ERR Unsupported option a\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "abc"}), "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "1.5"}), "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", ""}), "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "9223372036854775807"}),
            "-ERR invalid expire time in 'expire' command\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "9223372036854776"}),
            "-ERR invalid expire time in 'expire' command\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "-9223372036854776"}),
            "-ERR invalid expire time in 'expire' command\r\n"s);
  EXPECT_EQ(h.Run({"PEXPIRE", "k", "9223372036854775807"}),
            "-ERR invalid expire time in 'pexpire' command\r\n"s);
  EXPECT_EQ(h.Run({"EXPIREAT", "k", "9223372036854775807"}),
            "-ERR invalid expire time in 'expireat' command\r\n"s);
  EXPECT_EQ(h.Run({"EXPIREAT", "k", "-9223372036854775808"}),
            "-ERR invalid expire time in 'expireat' command\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "missing", "9223372036854775807"}),
            "-ERR invalid expire time in 'expire' command\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "missing", "10"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"TTL", "k"}), ":-1\r\n"s);
  // Repeated options are accepted.
  EXPECT_EQ(h.Run({"EXPIRE", "k", "100", "XX", "XX"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "100", "NX", "NX"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"TTL", "k"}), ":100\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k"}), "-ERR wrong number of arguments for 'expire' command\r\n"s);
  EXPECT_EQ(h.Run({"TTL"}), "-ERR wrong number of arguments for 'ttl' command\r\n"s);
  EXPECT_EQ(h.Run({"PERSIST"}), "-ERR wrong number of arguments for 'persist' command\r\n"s);
}

// A key without TTL counts as an infinite TTL for GT and LT.
TEST(KeyCommands, ExpireFlagsAgainstNoTtl) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"SET", "k", "v"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "100", "XX"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "100", "GT"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"TTL", "k"}), ":-1\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "100", "LT"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"TTL", "k"}), ":100\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "200", "NX"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "200", "GT"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"TTL", "k"}), ":200\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "300", "LT"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "50", "LT"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"TTL", "k"}), ":50\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "51", "GT"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "60", "XX", "GT"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"TTL", "k"}), ":60\r\n"s);
  EXPECT_EQ(h.Run({"PERSIST", "k"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"PERSIST", "k"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"TTL", "k"}), ":-1\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "k", "10", "NX"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"TTL", "k"}), ":10\r\n"s);
  EXPECT_EQ(h.Run({"PERSIST", "nope"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"TTL", "nope"}), ":-2\r\n"s);
  EXPECT_EQ(h.Run({"PTTL", "nope"}), ":-2\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRETIME", "nope"}), ":-2\r\n"s);
  EXPECT_EQ(h.Run({"PEXPIRETIME", "nope"}), ":-2\r\n"s);
  EXPECT_EQ(h.Run({"SET", "p", "v"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"PTTL", "p"}), ":-1\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRETIME", "p"}), ":-1\r\n"s);
  EXPECT_EQ(h.Run({"PEXPIRETIME", "p"}), ":-1\r\n"s);
}

// A time at or before now deletes the key and answers 1.
TEST(KeyCommands, NonPositiveTtlDeletes) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"SET", "a", "v"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "a", "0"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "a"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"SET", "b", "v"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"PEXPIRE", "b", "-1000"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "b"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"SET", "c", "v"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"EXPIREAT", "c", "1"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "c"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"SET", "d", "v"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"PEXPIREAT", "d", "0"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "d"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"SET", "e", "v"}), "+OK\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "e", "-1", "GT"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "e"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "e", "-1", "LT"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "e"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "e", "-1"}), ":0\r\n"s);
  MakeList(h, "l");
  EXPECT_EQ(h.Run({"EXPIRE", "l", "100"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"TTL", "l"}), ":100\r\n"s);
  EXPECT_EQ(h.Run({"EXPIRE", "l", "-100"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"TYPE", "l"}), "+none\r\n"s);
}

TEST(KeyCommands, ScanVisitsEveryKeyWithSmallCounts) {
  testing::CommandHarness h;
  std::set<std::string> all;
  for (int i = 0; i < 1000; i++) {
    std::string key = "key:" + std::to_string(i);
    all.insert(key);
    EXPECT_EQ(h.Run({"SET", key, "v"}), "+OK\r\n");
  }
  int calls = 0;
  std::vector<std::string> got = ScanAll(h, {"COUNT", "7"}, &calls);
  // Without resizes during the scan no key is returned twice.
  EXPECT_EQ(got.size(), all.size());
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), all);
  EXPECT_GT(calls, 100);  // COUNT 7 over 1000 keys takes many calls

  std::vector<std::string> tens = ScanAll(h, {"MATCH", "key:*0", "COUNT", "3"});
  EXPECT_EQ(tens.size(), 100u);
  for (const std::string& k : tens) EXPECT_EQ(k.back(), '0');
}

TEST(KeyCommands, ScanReturnsKeysPresentThroughoutDespiteResizes) {
  testing::CommandHarness h;
  std::set<std::string> stable;
  for (int i = 0; i < 100; i++) {
    std::string key = "stable:" + std::to_string(i);
    stable.insert(key);
    h.Run({"SET", key, "v"});
  }
  // Grow the table a lot mid-scan, then shrink it again.
  std::set<std::string> seen;
  std::string cursor = "0";
  int step = 0;
  do {
    ScanPage page = ParseScan(h.Run({"SCAN", cursor, "COUNT", "5"}));
    seen.insert(page.keys.begin(), page.keys.end());
    cursor = page.cursor;
    if (step == 3)
      for (int i = 0; i < 3000; i++) h.Run({"SET", "temp:" + std::to_string(i), "v"});
    if (step == 40)
      for (int i = 0; i < 3000; i++) h.Run({"DEL", "temp:" + std::to_string(i)});
    step++;
  } while (cursor != "0" && step < 100000);
  for (const std::string& key : stable) EXPECT_TRUE(seen.count(key)) << key;
}

TEST(KeyCommands, ScanTypeAndMatchFilterAfterTheWalk) {
  testing::CommandHarness h;
  for (int i = 0; i < 50; i++) {
    std::string key = "s" + std::to_string(i);
    h.Run({"SET", key, "v"});
    MakeList(h, "l" + std::to_string(i));
  }
  std::vector<std::string> lists = ScanAll(h, {"TYPE", "list", "COUNT", "4"});
  EXPECT_EQ(lists.size(), 50u);
  for (const std::string& k : lists) EXPECT_EQ(k[0], 'l');
  std::vector<std::string> none = ScanAll(h, {"TYPE", "string", "MATCH", "l*"});
  EXPECT_TRUE(none.empty());
}

TEST(KeyCommands, ScanWithAHugeCountWrapsItsBucketBudgetLikeRedis) {
  testing::CommandHarness h;
  for (int i = 0; i < 1000; i++) h.Run({"SET", "k" + std::to_string(i), "v"});
  // 10 * 1844674407370955162 wraps to 4 in 64 bits: Redis then visits at
  // most five buckets, so a 1000-key table is not finished in one call
  // (checked against redis-server 7.0.15, which answers a non-zero cursor).
  ScanPage page = ParseScan(h.Run({"SCAN", "0", "COUNT", "1844674407370955162"}));
  EXPECT_NE(page.cursor, "0");
  EXPECT_LT(page.keys.size(), 30u);
  // A COUNT that does not wrap finishes the table in one call.
  page = ParseScan(h.Run({"SCAN", "0", "COUNT", "100000"}));
  EXPECT_EQ(page.cursor, "0");
  EXPECT_EQ(page.keys.size(), 1000u);
}

TEST(KeyCommands, KeysMatchesLikeStringmatchlen) {
  testing::CommandHarness h;
  h.Run({"MSET", "a[b", "1", "a\\b", "2", "ab", "3", "\xff", "4"});
  EXPECT_EQ(SortedArrays(h.Run({"KEYS", "a\\[b"})), "*1\r\n$3\r\na[b\r\n");
  EXPECT_EQ(SortedArrays(h.Run({"KEYS", "a\\\\b"})), "*1\r\n$3\r\na\\b\r\n");
  EXPECT_EQ(SortedArrays(h.Run({"KEYS", "a?b"})), "*2\r\n$3\r\na[b\r\n$3\r\na\\b\r\n");
  EXPECT_EQ(SortedArrays(h.Run({"KEYS", "[\x01-a]"})), "*0\r\n");  // bytes compare signed
}

TEST(KeyCommands, RandomkeyIsDeterministicAndCoversTheKeyspace) {
  testing::CommandHarness a, b;
  for (int i = 0; i < 20; i++) {
    std::string key = "k" + std::to_string(i);
    a.Run({"SET", key, "v"});
    b.Run({"SET", key, "v"});
  }
  std::set<std::string> distinct;
  for (int i = 0; i < 2000; i++) {
    std::string ra = a.Run({"RANDOMKEY"});
    EXPECT_EQ(ra, b.Run({"RANDOMKEY"}));  // same seed, same picks
    distinct.insert(ra);
  }
  EXPECT_EQ(distinct.size(), 20u);
}

TEST(KeyCommands, RandomkeyDeletesExpiredKeysItMeets) {
  testing::CommandHarness h;
  for (int i = 0; i < 50; i++) h.Run({"SET", "gone" + std::to_string(i), "v", "PX", "10"});
  h.Run({"SET", "live", "v"});
  h.AdvanceMs(11);
  for (int i = 0; i < 5; i++) EXPECT_EQ(h.Run({"RANDOMKEY"}), "$4\r\nlive\r\n");
  EXPECT_LT(h.db().size(), 51u);
  EXPECT_EQ(h.Run({"DEL", "live"}), ":1\r\n");
  // Only expired keys left: RANDOMKEY deletes them all and answers nil.
  EXPECT_EQ(h.Run({"RANDOMKEY"}), "$-1\r\n");
  EXPECT_EQ(h.db().size(), 0u);
}

TEST(KeyExpiry, ExpireAndPexpireCountFromNow) {
  testing::CommandHarness h;
  h.Run({"SET", "k", "v"});
  EXPECT_EQ(h.Run({"EXPIRE", "k", "10"}), ":1\r\n");
  EXPECT_EQ(h.Run({"PTTL", "k"}), ":10000\r\n");
  EXPECT_EQ(h.Run({"PEXPIRE", "k", "1500"}), ":1\r\n");
  EXPECT_EQ(h.Run({"TTL", "k"}), ":2\r\n");
  EXPECT_EQ(h.Run({"PEXPIRETIME", "k"}), ":" + std::to_string(h.NowMs() + 1500) + "\r\n");
  // EXPIRETIME rounds to the nearest second, like TTL.
  EXPECT_EQ(h.Run({"EXPIRETIME", "k"}), ":" + std::to_string((h.NowMs() + 2000) / 1000) + "\r\n");
  h.AdvanceMs(1500);
  EXPECT_EQ(h.Run({"PTTL", "k"}), ":0\r\n");
  EXPECT_EQ(h.Run({"EXISTS", "k"}), ":1\r\n");
  h.AdvanceMs(1);
  EXPECT_EQ(h.Run({"EXISTS", "k"}), ":0\r\n");
}

TEST(KeyExpiry, AbsoluteTimesAndTheExactPresent) {
  testing::CommandHarness h;
  h.Run({"MSET", "a", "1", "b", "2", "c", "3"});
  std::string in_10s = std::to_string(h.NowMs() / 1000 + 10);
  EXPECT_EQ(h.Run({"EXPIREAT", "a", in_10s}), ":1\r\n");
  EXPECT_EQ(h.Run({"TTL", "a"}), ":10\r\n");
  EXPECT_EQ(h.Run({"EXPIRETIME", "a"}), ":" + in_10s + "\r\n");
  std::string in_1ms = std::to_string(h.NowMs() + 1);
  EXPECT_EQ(h.Run({"PEXPIREAT", "b", in_1ms}), ":1\r\n");
  EXPECT_EQ(h.Run({"PTTL", "b"}), ":1\r\n");
  // A time equal to now counts as already expired: the key is deleted.
  std::string now = std::to_string(h.NowMs());
  EXPECT_EQ(h.Run({"PEXPIREAT", "c", now}), ":1\r\n");
  EXPECT_EQ(h.Run({"EXISTS", "c"}), ":0\r\n");
}

TEST(KeyExpiry, GtAndLtCompareAgainstTheCurrentExpireTime) {
  testing::CommandHarness h;
  h.Run({"SET", "k", "v", "EX", "100"});
  EXPECT_EQ(h.Run({"PEXPIRE", "k", "100000", "GT"}), ":0\r\n");  // equal is not greater
  EXPECT_EQ(h.Run({"PEXPIRE", "k", "100000", "LT"}), ":0\r\n");  // nor less
  EXPECT_EQ(h.Run({"PEXPIRE", "k", "100001", "GT"}), ":1\r\n");
  EXPECT_EQ(h.Run({"PTTL", "k"}), ":100001\r\n");
  EXPECT_EQ(h.Run({"PEXPIRE", "k", "99999", "LT", "XX"}), ":1\r\n");
  EXPECT_EQ(h.Run({"PTTL", "k"}), ":99999\r\n");
  EXPECT_EQ(h.Run({"EXPIRE", "k", "5", "NX"}), ":0\r\n");
  EXPECT_EQ(h.Run({"PTTL", "k"}), ":99999\r\n");
}

TEST(KeyExpiry, ExpiredKeysAreInvisibleToKeyCommands) {
  testing::CommandHarness h;
  for (const char* key : {"del", "exists", "type", "ttl", "persist", "expire", "rename", "touch"})
    h.Run({"SET", key, "v", "PX", "5"});
  h.Run({"SET", "keep", "v"});
  h.AdvanceMs(6);
  EXPECT_EQ(SortedArrays(h.Run({"KEYS", "*"})), "*1\r\n$4\r\nkeep\r\n");
  EXPECT_EQ(h.db().size(), 9u);  // KEYS hides expired keys but leaves them in place
  EXPECT_EQ(SortedArrays(h.Run({"SCAN", "0", "COUNT", "100"})),
            "*2\r\n$1\r\n0\r\n*1\r\n$4\r\nkeep\r\n");
  EXPECT_EQ(h.Run({"DEL", "del"}), ":0\r\n");
  EXPECT_EQ(h.Run({"EXISTS", "exists"}), ":0\r\n");
  EXPECT_EQ(h.Run({"TYPE", "type"}), "+none\r\n");
  EXPECT_EQ(h.Run({"TTL", "ttl"}), ":-2\r\n");
  EXPECT_EQ(h.Run({"PERSIST", "persist"}), ":0\r\n");
  EXPECT_EQ(h.Run({"EXPIRE", "expire", "100"}), ":0\r\n");
  EXPECT_EQ(h.Run({"RENAME", "rename", "x"}), "-ERR no such key\r\n");
  EXPECT_EQ(h.Run({"TOUCH", "touch", "keep"}), ":1\r\n");
  EXPECT_EQ(h.db().size(), 1u);  // each lookup deleted the expired key it met
}

TEST(KeyExpiry, RenameMovesTheSourceTtlAndDropsTheTargets) {
  testing::CommandHarness h;
  h.Run({"SET", "a", "1", "EX", "100"});
  h.Run({"SET", "b", "2", "EX", "50"});
  EXPECT_EQ(h.Run({"RENAME", "a", "b"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"TTL", "b"}), ":100\r\n");
  EXPECT_EQ(h.Run({"GET", "b"}), "$1\r\n1\r\n");
  h.Run({"SET", "c", "3"});
  h.Run({"SET", "d", "4", "EX", "50"});
  EXPECT_EQ(h.Run({"RENAME", "c", "d"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"TTL", "d"}), ":-1\r\n");
  EXPECT_EQ(h.Run({"RENAMENX", "b", "e"}), ":1\r\n");
  EXPECT_EQ(h.Run({"TTL", "e"}), ":100\r\n");
  // An expired target does not block RENAMENX.
  h.Run({"SET", "f", "6", "PX", "1"});
  h.AdvanceMs(2);
  EXPECT_EQ(h.Run({"RENAMENX", "e", "f"}), ":1\r\n");
  EXPECT_EQ(h.Run({"GET", "f"}), "$1\r\n1\r\n");
}

TEST(KeyCommands, CommandTableEntriesMatchRedis) {
  testing::CommandHarness h;
  struct Expected {
    const char* name;
    int arity;
    uint32_t flags;
    int first, last, step;
  };
  const uint32_t rf = kCmdReadonly | kCmdFast, wf = kCmdWrite | kCmdFast;
  // From COMMAND INFO of redis-server 7.0.15.
  const Expected expected[] = {
      {"del", -2, kCmdWrite, 1, -1, 1},
      {"unlink", -2, wf, 1, -1, 1},
      {"exists", -2, rf, 1, -1, 1},
      {"touch", -2, rf, 1, -1, 1},
      {"type", 2, rf, 1, 1, 1},
      {"keys", 2, kCmdReadonly, 0, 0, 0},
      {"scan", -2, kCmdReadonly, 0, 0, 0},
      {"rename", 3, kCmdWrite, 1, 2, 1},
      {"renamenx", 3, wf, 1, 2, 1},
      {"randomkey", 1, kCmdReadonly, 0, 0, 0},
      {"expire", -3, wf, 1, 1, 1},
      {"pexpire", -3, wf, 1, 1, 1},
      {"expireat", -3, wf, 1, 1, 1},
      {"pexpireat", -3, wf, 1, 1, 1},
      {"ttl", 2, rf, 1, 1, 1},
      {"pttl", 2, rf, 1, 1, 1},
      {"expiretime", 2, rf, 1, 1, 1},
      {"pexpiretime", 2, rf, 1, 1, 1},
      {"persist", 2, wf, 1, 1, 1},
  };
  for (const Expected& e : expected) {
    const CommandSpec* spec = h.table().Find(e.name);
    ASSERT_NE(spec, nullptr) << e.name;
    EXPECT_EQ(spec->arity, e.arity) << e.name;
    EXPECT_EQ(spec->flags, e.flags) << e.name;
    EXPECT_EQ(spec->first_key, e.first) << e.name;
    EXPECT_EQ(spec->last_key, e.last) << e.name;
    EXPECT_EQ(spec->key_step, e.step) << e.name;
    EXPECT_STREQ(spec->group, "generic") << e.name;
  }
}

// COPY: replies recorded from redis-server 7.0.15, except DB: reel has
// only database 0, so any other DB is out of range (as SELECT says).
TEST(KeyCommands, CopyStringsAndOptions) {
  testing::CommandHarness h;
  h.Run({"SET", "k", "v"});
  EXPECT_EQ(h.Run({"COPY", "k", "k2"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"GET", "k2"}), "$1\r\nv\r\n"s);
  EXPECT_EQ(h.Run({"COPY", "k", "k2"}), ":0\r\n"s);
  h.Run({"SET", "k", "new"});
  EXPECT_EQ(h.Run({"COPY", "k", "k2", "REPLACE"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"GET", "k2"}), "$3\r\nnew\r\n"s);
  EXPECT_EQ(h.Run({"COPY", "k", "k"}), "-ERR source and destination objects are the same\r\n"s);
  EXPECT_EQ(h.Run({"COPY", "nokey", "x"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "x"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"COPY", "k", "k3", "DB", "0"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"COPY", "k", "k4", "DB", "1"}), "-ERR DB index is out of range\r\n"s);
  EXPECT_EQ(h.Run({"COPY", "k", "k4", "DB", "abc"}),
            "-ERR value is not an integer or out of range\r\n"s);
  EXPECT_EQ(h.Run({"COPY", "k", "k4", "DB", "4294967296"}),
            "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"s);
  EXPECT_EQ(h.Run({"COPY", "k", "k4", "DB"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"COPY", "k", "k4", "FOO"}), "-ERR syntax error\r\n"s);
  EXPECT_EQ(h.Run({"COPY", "k"}), "-ERR wrong number of arguments for 'copy' command\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "k4"}), ":0\r\n"s);
}

TEST(KeyCommands, CopyIsDeepAndKeepsTheTtl) {
  testing::CommandHarness h;
  MakeHash(h, "h");
  EXPECT_EQ(h.Run({"COPY", "h", "h2"}), ":1\r\n"s);
  // Changing the copy leaves the original alone.
  std::get<HashValue>(*h.db().Lookup("h2")).Set("f", "changed");
  EXPECT_EQ(*std::get<HashValue>(*h.db().Lookup("h")).Find("f"), "v");
  ZSetValue big;
  big.Set("m", -0.0);
  big.skiplist = true;
  h.db().Add("z", Object(std::move(big)));
  EXPECT_EQ(h.Run({"COPY", "z", "z2"}), ":1\r\n"s);
  EXPECT_TRUE(std::get<ZSetValue>(*h.db().Lookup("z2")).skiplist);

  h.Run({"SET", "t", "v", "EX", "100"});
  EXPECT_EQ(h.Run({"COPY", "t", "t2"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"TTL", "t2"}), ":100\r\n"s);
  // REPLACE drops the destination's own TTL and type.
  h.Run({"SET", "plain", "x"});
  MakeList(h, "l");
  h.Run({"EXPIRE", "l", "50"});
  EXPECT_EQ(h.Run({"COPY", "plain", "l", "REPLACE"}), ":1\r\n"s);
  EXPECT_EQ(h.Run({"TYPE", "l"}), "+string\r\n"s);
  EXPECT_EQ(h.Run({"TTL", "l"}), ":-1\r\n"s);
  // An expired source is gone.
  h.Run({"SET", "soon", "v", "PX", "10"});
  h.AdvanceMs(20);
  EXPECT_EQ(h.Run({"COPY", "soon", "later"}), ":0\r\n"s);
  EXPECT_EQ(h.Run({"EXISTS", "later"}), ":0\r\n"s);
}

}  // namespace
}  // namespace reel
