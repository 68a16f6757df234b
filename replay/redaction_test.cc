// Unit tests of the redaction pieces: placeholders, argument roles, the RESP
// reply scanner and one connection's request/reply rewrite.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "replay/redaction_placeholder.h"
#include "replay/redaction_roles.h"
#include "replay/redaction_stream.h"
#include "replay/resp_reply_scanner.h"

namespace reel::replay {
namespace {

RedactionSecret Secret(uint8_t fill) {
  RedactionSecret s;
  s.fill(fill);
  return s;
}

std::string Resp(const std::vector<std::string>& argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (const auto& a : argv) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

std::string Bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

// ------------------------------------------------------------ placeholders

TEST(RedactionPlaceholder, SipHashMatchesTheReferenceVector) {
  // The SipHash paper's test vector: key 00..0f, message 00..0e.
  RedactionSecret key;
  for (int i = 0; i < 16; i++) key[i] = static_cast<uint8_t>(i);
  std::string msg;
  for (int i = 0; i < 15; i++) msg.push_back(static_cast<char>(i));
  EXPECT_EQ(SipHash24(key, msg), 0xa129ca6149be45e5ull);
}

TEST(RedactionPlaceholder, DeterministicSameLengthAlphanumeric) {
  PlaceholderTable a(Secret(1)), b(Secret(1));
  const std::vector<std::string> inputs = {"x", "secret-value-1", std::string(1000, 'q'),
                                           std::string("\r\n\0z", 4)};
  for (const std::string& s : inputs) {
    std::string p = a.Get(s);
    EXPECT_EQ(p.size(), s.size());
    EXPECT_NE(p, s);
    EXPECT_EQ(p, a.Get(s)) << "same table, same input";
    EXPECT_EQ(p, b.Get(s)) << "same secret, another table";
    for (char c : p) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << p;
  }
  EXPECT_EQ(a.Get(""), "");
}

TEST(RedactionPlaceholder, DifferentSecretsGiveDifferentPlaceholders) {
  PlaceholderTable a(Secret(1)), b(Secret(2));
  EXPECT_NE(a.Get("hunter2-password"), b.Get("hunter2-password"));
  EXPECT_NE(a.Get("k1"), b.Get("k1"));
}

TEST(RedactionPlaceholder, DistinctShortStringsStayDistinct) {
  PlaceholderTable t(Secret(7));
  std::set<std::string> seen;
  for (int i = 0; i < 50; i++) seen.insert(t.Get(std::string(1, static_cast<char>('!' + i))));
  EXPECT_EQ(seen.size(), 50u) << "one-byte strings must not share placeholders";
  EXPECT_EQ(t.collisions(), 0u);
  // More distinct one-byte strings than the alphabet holds: counted, never kept.
  for (int i = 0; i < 256; i++) {
    std::string s(1, static_cast<char>(i));
    EXPECT_NE(t.Get(s), s);
  }
  EXPECT_GT(t.collisions(), 0u);
}

TEST(RedactionPlaceholder, NeverSpellsAReservedKeyword) {
  PlaceholderTable t(Secret(3));
  t.set_reserved_words({"NX", "XX", "EX", "PX", "GET"});
  for (int i = 0; i < 3000; i++) {
    std::string p = t.Get("v" + std::to_string(i % 100));
    for (char& c : p) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_TRUE(p != "NX" && p != "XX" && p != "EX" && p != "PX");
  }
}

// ------------------------------------------------------------------- roles

std::vector<ArgRole> Roles(std::vector<std::string_view> argv, bool* matched = nullptr) {
  CommandRoles r = ClassifyCommand(argv);
  if (matched) *matched = r.grammar_matched;
  return r.roles;
}

using R = ArgRole;

TEST(RedactionRoles, StringCommands) {
  bool matched = false;
  EXPECT_EQ(Roles({"SET", "k", "v"}, &matched),
            (std::vector<R>{R::kCommandName, R::kKey, R::kValue}));
  EXPECT_TRUE(matched);
  // Options in another order than the documentation lists them.
  EXPECT_EQ(Roles({"set", "k", "v", "EX", "10", "NX", "GET"}, &matched),
            (std::vector<R>{R::kCommandName, R::kKey, R::kValue, R::kKeyword, R::kNumber,
                            R::kKeyword, R::kKeyword}));
  EXPECT_TRUE(matched);
  EXPECT_EQ(Roles({"MSET", "a", "1", "b", "2"}),
            (std::vector<R>{R::kCommandName, R::kKey, R::kValue, R::kKey, R::kValue}));
  EXPECT_EQ(Roles({"INCRBY", "n", "5"}), (std::vector<R>{R::kCommandName, R::kKey, R::kNumber}));
  EXPECT_EQ(Roles({"GET", "k"}), (std::vector<R>{R::kCommandName, R::kKey}));
  EXPECT_EQ(Roles({"SETRANGE", "k", "3", "xyz"}),
            (std::vector<R>{R::kCommandName, R::kKey, R::kNumber, R::kValue}));
}

TEST(RedactionRoles, CollectionsAndScores) {
  EXPECT_EQ(Roles({"HSET", "h", "f1", "v1", "f2", "v2"}),
            (std::vector<R>{R::kCommandName, R::kKey, R::kValue, R::kValue, R::kValue, R::kValue}));
  EXPECT_EQ(Roles({"RPUSH", "l", "a", "b"}),
            (std::vector<R>{R::kCommandName, R::kKey, R::kValue, R::kValue}));
  EXPECT_EQ(Roles({"LRANGE", "l", "0", "-1"}),
            (std::vector<R>{R::kCommandName, R::kKey, R::kNumber, R::kNumber}));
  EXPECT_EQ(Roles({"ZADD", "z", "NX", "1.5", "m1", "2", "m2"}),
            (std::vector<R>{R::kCommandName, R::kKey, R::kKeyword, R::kNumber, R::kValue,
                            R::kNumber, R::kValue}));
  EXPECT_EQ(Roles({"ZRANGE", "z", "0", "-1", "WITHSCORES"}),
            (std::vector<R>{R::kCommandName, R::kKey, R::kNumber, R::kNumber, R::kKeyword}));
  EXPECT_EQ(Roles({"ZRANGEBYLEX", "z", "[a", "(c"}),
            (std::vector<R>{R::kCommandName, R::kKey, R::kRangeBound, R::kRangeBound}));
  EXPECT_EQ(Roles({"ZRANGEBYSCORE", "z", "(1", "+inf", "LIMIT", "0", "10"}),
            (std::vector<R>{R::kCommandName, R::kKey, R::kNumber, R::kNumber, R::kKeyword,
                            R::kNumber, R::kNumber}));
  EXPECT_EQ(Roles({"SISMEMBER", "s", "m"}), (std::vector<R>{R::kCommandName, R::kKey, R::kValue}));
  EXPECT_EQ(Roles({"ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"}),
            (std::vector<R>{R::kCommandName, R::kKey, R::kNumber, R::kKey, R::kKey, R::kKeyword,
                            R::kNumber, R::kNumber}));
}

// Valid commands must match the documented grammar: a fallback redacts
// numbers and options too, which would make their replies differ on replay.
TEST(RedactionRoles, CommonCommandsMatchTheGrammar) {
  const std::vector<std::vector<std::string_view>> commands = {
      {"PING"},
      {"PING", "hi"},
      {"ECHO", "x"},
      {"SELECT", "0"},
      {"DBSIZE"},
      {"FLUSHALL"},
      {"SET", "k", "v", "PX", "100"},
      {"SET", "k", "v", "KEEPTTL", "XX"},
      {"SETEX", "k", "10", "v"},
      {"SETNX", "k", "v"},
      {"GETEX", "k", "PERSIST"},
      {"GETSET", "k", "v"},
      {"GETDEL", "k"},
      {"APPEND", "k", "v"},
      {"STRLEN", "k"},
      {"INCR", "k"},
      {"DECRBY", "k", "3"},
      {"INCRBYFLOAT", "k", "1.5"},
      {"MGET", "a", "b"},
      {"MSETNX", "a", "1", "b", "2"},
      {"GETRANGE", "k", "0", "-1"},
      {"DEL", "a", "b"},
      {"EXISTS", "a"},
      {"EXPIRE", "k", "10"},
      {"EXPIRE", "k", "10", "NX"},
      {"PEXPIREAT", "k", "1700000000000"},
      {"TTL", "k"},
      {"PERSIST", "k"},
      {"TYPE", "k"},
      {"RENAME", "a", "b"},
      {"COPY", "a", "b", "REPLACE"},
      {"KEYS", "*"},
      {"SCAN", "0", "COUNT", "100"},
      {"SCAN", "0", "TYPE", "string"},
      {"RANDOMKEY"},
      {"LPUSH", "l", "a", "b"},
      {"LPOP", "l"},
      {"RPOP", "l", "2"},
      {"LRANGE", "l", "0", "99"},
      {"LINDEX", "l", "0"},
      {"LSET", "l", "0", "v"},
      {"LINSERT", "l", "BEFORE", "p", "v"},
      {"LREM", "l", "0", "v"},
      {"LTRIM", "l", "0", "9"},
      {"LPOS", "l", "v", "RANK", "1", "COUNT", "0"},
      {"LMOVE", "a", "b", "LEFT", "RIGHT"},
      {"RPOPLPUSH", "a", "b"},
      {"LLEN", "l"},
      {"SADD", "s", "a", "b"},
      {"SREM", "s", "a"},
      {"SMEMBERS", "s"},
      {"SCARD", "s"},
      {"SPOP", "s"},
      {"SPOP", "s", "2"},
      {"SRANDMEMBER", "s", "-3"},
      {"SMISMEMBER", "s", "a", "b"},
      {"SINTER", "a", "b"},
      {"SUNIONSTORE", "d", "a", "b"},
      {"SMOVE", "a", "b", "m"},
      {"SSCAN", "s", "0", "MATCH", "a*"},
      {"SINTERCARD", "2", "a", "b", "LIMIT", "5"},
      {"HSET", "h", "f", "v"},
      {"HMSET", "h", "f", "v"},
      {"HGET", "h", "f"},
      {"HMGET", "h", "a", "b"},
      {"HDEL", "h", "f"},
      {"HGETALL", "h"},
      {"HINCRBY", "h", "f", "2"},
      {"HINCRBYFLOAT", "h", "f", "0.5"},
      {"HSETNX", "h", "f", "v"},
      {"HRANDFIELD", "h", "2", "WITHVALUES"},
      {"HSCAN", "h", "0"},
      {"HSTRLEN", "h", "f"},
      {"ZADD", "z", "1", "a"},
      {"ZADD", "z", "GT", "CH", "1", "a", "2", "b"},
      {"ZINCRBY", "z", "1", "a"},
      {"ZINCRBY", "z", "1.5", "a"},
      {"ZSCORE", "z", "a"},
      {"ZMSCORE", "z", "a", "b"},
      {"ZRANK", "z", "a"},
      {"ZREM", "z", "a"},
      {"ZCARD", "z"},
      {"ZCOUNT", "z", "-inf", "+inf"},
      {"ZRANGE", "z", "0", "-1"},
      {"ZRANGE", "z", "(1", "5", "BYSCORE", "LIMIT", "0", "2"},
      {"ZRANGE", "z", "[a", "+", "BYLEX"},
      {"ZREVRANGE", "z", "0", "1", "WITHSCORES"},
      {"ZPOPMIN", "z"},
      {"ZPOPMAX", "z", "3"},
      {"ZRANDMEMBER", "z", "2", "WITHSCORES"},
      {"ZREMRANGEBYSCORE", "z", "0", "1"},
      {"ZSCAN", "z", "0"},
      {"ZINTERSTORE", "d", "2", "a", "b", "AGGREGATE", "MAX"},
      {"ZRANGESTORE", "d", "z", "0", "1"},
      {"AUTH", "pw"},
      {"HELLO", "3"},
      {"CLIENT", "SETNAME", "n"},
      {"CLIENT", "GETNAME"},
      {"CLIENT", "ID"},
      {"CLIENT", "LIST"},
      {"CLIENT", "REPLY", "ON"},
      {"CONFIG", "GET", "maxmemory"},
      {"CONFIG", "SET", "maxmemory", "100mb"},
      {"INFO"},
      {"INFO", "keyspace"},
      {"TIME"},
      {"COMMAND", "COUNT"},
      {"OBJECT", "ENCODING", "k"},
      {"MEMORY", "USAGE", "k"},
      {"SLOWLOG", "GET", "10"},
      {"DEBUG", "SLEEP", "0"},
      {"SORT", "l", "LIMIT", "0", "5", "ALPHA"},
      {"MULTI"},
      {"EXEC"},
      {"WATCH", "k"},
      {"QUIT"}};
  for (const auto& argv : commands) {
    CommandRoles r = ClassifyCommand(argv);
    std::string text;
    for (auto a : argv) text += std::string(a) + " ";
    EXPECT_TRUE(r.documented) << text;
    EXPECT_TRUE(r.grammar_matched) << text;
    for (size_t i = 0; i < argv.size(); i++)
      EXPECT_NE(r.roles[i], ArgRole::kUnclassified) << text << "arg " << i;
  }
}

TEST(RedactionRoles, KeysPatternsAndCredentials) {
  EXPECT_EQ(Roles({"SCAN", "0", "MATCH", "user:*", "COUNT", "10"}),
            (std::vector<R>{R::kCommandName, R::kNumber, R::kKeyword, R::kPattern, R::kKeyword,
                            R::kNumber}));
  EXPECT_EQ(Roles({"AUTH", "pw"}), (std::vector<R>{R::kCommandName, R::kCredential}));
  EXPECT_EQ(Roles({"AUTH", "default", "pw"}),
            (std::vector<R>{R::kCommandName, R::kOther, R::kCredential}));
  EXPECT_EQ(Roles({"HELLO", "3", "AUTH", "default", "pw"}),
            (std::vector<R>{R::kCommandName, R::kNumber, R::kKeyword, R::kOther, R::kCredential}));
  EXPECT_EQ(Roles({"CONFIG", "SET", "requirepass", "pw", "maxmemory", "10mb"}),
            (std::vector<R>{R::kCommandName, R::kSubcommand, R::kOther, R::kCredential, R::kOther,
                            R::kOther}));
  EXPECT_EQ(Roles({"OBJECT", "ENCODING", "k"}),
            (std::vector<R>{R::kCommandName, R::kSubcommand, R::kKey}));
  EXPECT_EQ(Roles({"ECHO", "hello"}), (std::vector<R>{R::kCommandName, R::kValue}));
  EXPECT_EQ(Roles({"CLIENT", "SETNAME", "worker-1"}),
            (std::vector<R>{R::kCommandName, R::kSubcommand, R::kOther}));
}

TEST(RedactionRoles, UnknownAndMalformedCommandsFailClosed) {
  bool matched = true;
  EXPECT_EQ(Roles({"NOSUCH", "a", "b"}, &matched),
            (std::vector<R>{R::kUnclassified, R::kUnclassified, R::kUnclassified}));
  EXPECT_FALSE(matched);
  // EXPIRE with a non-number: the grammar fails; the key spec still names
  // the key, the rest is unclassified.
  EXPECT_EQ(Roles({"EXPIRE", "k", "soon"}, &matched),
            (std::vector<R>{R::kCommandName, R::kKey, R::kUnclassified}));
  EXPECT_FALSE(matched);
  RedactMode keys_only{true, false};
  EXPECT_TRUE(RoleRedacted(R::kUnclassified, "soon", keys_only));
  EXPECT_TRUE(RoleRedacted(R::kCredential, "pw", keys_only));
  EXPECT_FALSE(RoleRedacted(R::kValue, "v", keys_only));
  EXPECT_FALSE(RoleRedacted(R::kPattern, "*", keys_only));
  EXPECT_TRUE(RoleRedacted(R::kPattern, "user:*", keys_only));
}

TEST(RedactionRoles, KeySpecsWithKeynumAndKeyword) {
  std::vector<size_t> pos;
  ASSERT_TRUE(
      KeyPositions({"ZUNIONSTORE", "d", "3", "a", "b", "c", "WEIGHTS", "1", "2", "3"}, &pos));
  EXPECT_EQ(pos, (std::vector<size_t>{1, 3, 4, 5}));
  ASSERT_TRUE(KeyPositions({"MSET", "a", "1", "b", "2"}, &pos));
  EXPECT_EQ(pos, (std::vector<size_t>{1, 3}));
  // SORT's STORE key is found by code in Redis, not by a key spec: the spec
  // list is incomplete, and the grammar's "key" argument supplies it.
  bool complete = true;
  ASSERT_TRUE(KeyPositions({"SORT", "l", "BY", "w_*", "STORE", "dst"}, &pos, &complete));
  EXPECT_EQ(pos, (std::vector<size_t>{1}));
  EXPECT_FALSE(complete);
  EXPECT_EQ(
      Roles({"SORT", "l", "BY", "w_*", "STORE", "dst"}),
      (std::vector<R>{R::kCommandName, R::kKey, R::kKeyword, R::kPattern, R::kKeyword, R::kKey}));
}

// ----------------------------------------------------------------- scanner

TEST(RespReplyScanner, ScalarsAggregatesAndPartialReplies) {
  RespReply r;
  std::string s = "+OK\r\n";
  ASSERT_EQ(ScanReply(s, 0, &r), RespScan::kComplete);
  EXPECT_EQ(r.end, s.size());
  EXPECT_EQ(r.leaves.size(), 1u);

  s = "*3\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n,1.5\r\n";
  ASSERT_EQ(ScanReply(s, 0, &r), RespScan::kComplete);
  EXPECT_EQ(r.end, s.size());
  EXPECT_EQ(r.top_elements, 3);
  ASSERT_EQ(r.leaves.size(), 4u);
  EXPECT_EQ(r.leaves[0].type, '$');
  EXPECT_EQ(s.substr(r.leaves[0].offset, r.leaves[0].length), "a");
  EXPECT_EQ(r.leaves[1].top_index, 1);
  EXPECT_EQ(r.leaves[2].type, '_');
  EXPECT_EQ(r.leaves[3].top_index, 2);

  // RESP3 map and an attribute before a reply.
  s = "|1\r\n+ttl\r\n:3\r\n%1\r\n$1\r\nf\r\n$1\r\nv\r\n";
  ASSERT_EQ(ScanReply(s, 0, &r), RespScan::kComplete);
  EXPECT_EQ(r.type, '%');
  ASSERT_EQ(r.leaves.size(), 4u);
  EXPECT_TRUE(r.leaves[0].in_attribute);
  EXPECT_FALSE(r.leaves[2].in_attribute);
  EXPECT_EQ(r.leaves[2].top_index, 0);

  EXPECT_EQ(ScanReply("$5\r\nab", 0, &r), RespScan::kNeedMore);
  EXPECT_EQ(ScanReply("*2\r\n$1\r\na\r\n", 0, &r), RespScan::kNeedMore);
  EXPECT_EQ(ScanReply("?x\r\n", 0, &r), RespScan::kMalformed);
  EXPECT_EQ(ScanReply("$2\r\nabc\r\n", 0, &r), RespScan::kMalformed);
}

TEST(RespReplyScanner, DeepNestingDoesNotRecurse) {
  std::string s;
  for (int i = 0; i < 200000; i++) s += "*1\r\n";
  s += ":1\r\n";
  RespReply r;
  ASSERT_EQ(ScanReply(s, 0, &r), RespScan::kComplete);
  EXPECT_EQ(r.end, s.size());
}

// -------------------------------------------------------------- connection

struct Redacted {
  std::string requests, replies;
  RedactionCounts counts;
};

Redacted RedactConn(const std::string& requests, const std::string& replies, RedactMode mode,
                    PlaceholderTable* table) {
  Redacted out{requests, replies, {}};
  ConnectionRedactor c(table, mode, &out.counts);
  c.RedactRequests(&out.requests);
  c.RedactReplies(&out.replies);
  return out;
}

TEST(RedactionStream, ValuesConsistentAcrossRequestsAndReplies) {
  PlaceholderTable t(Secret(9));
  const std::string secret = "s3cr3t-value";
  std::string req = Resp({"SET", "user:1", secret}) + Resp({"GET", "user:1"}) +
                    Resp({"RPUSH", "list", secret, "other"}) + Resp({"LRANGE", "list", "0", "-1"});
  std::string rep = "+OK\r\n" + Bulk(secret) + ":2\r\n*2\r\n" + Bulk(secret) + Bulk("other");
  Redacted r = RedactConn(req, rep, {false, true}, &t);
  ASSERT_EQ(r.requests.size(), req.size());
  ASSERT_EQ(r.replies.size(), rep.size());
  EXPECT_EQ(r.requests.find(secret), std::string::npos);
  EXPECT_EQ(r.replies.find(secret), std::string::npos);
  const std::string p = t.Get(secret);
  EXPECT_EQ(r.requests, Resp({"SET", "user:1", p}) + Resp({"GET", "user:1"}) +
                            Resp({"RPUSH", "list", p, t.Get("other")}) +
                            Resp({"LRANGE", "list", "0", "-1"}));
  EXPECT_EQ(r.replies, "+OK\r\n" + Bulk(p) + ":2\r\n*2\r\n" + Bulk(p) + Bulk(t.Get("other")));
  EXPECT_EQ(r.counts.values, 3u);
  EXPECT_EQ(r.counts.keys, 0u);
  EXPECT_EQ(r.counts.reply_values, 3u);
}

TEST(RedactionStream, KeysModeRedactsKeysInRequestsAndKeyReplies) {
  PlaceholderTable t(Secret(9));
  std::string req = Resp({"SET", "customer:42", "v"}) + Resp({"KEYS", "*"}) + Resp({"SCAN", "0"}) +
                    Resp({"GET", "customer:42"});
  std::string rep = "+OK\r\n*1\r\n" + Bulk("customer:42") + "*2\r\n" + Bulk("0") + "*1\r\n" +
                    Bulk("customer:42") + Bulk("v");
  Redacted r = RedactConn(req, rep, {true, false}, &t);
  const std::string k = t.Get("customer:42");
  EXPECT_EQ(r.requests,
            Resp({"SET", k, "v"}) + Resp({"KEYS", "*"}) + Resp({"SCAN", "0"}) + Resp({"GET", k}));
  EXPECT_EQ(r.replies,
            "+OK\r\n*1\r\n" + Bulk(k) + "*2\r\n" + Bulk("0") + "*1\r\n" + Bulk(k) + Bulk("v"))
      << "the SCAN cursor and GET's (unredacted) value are kept";
}

TEST(RedactionStream, ScoresCursorsAndCredentials) {
  PlaceholderTable t(Secret(4));
  std::string req = Resp({"ZADD", "z", "1.5", "alice"}) +
                    Resp({"ZRANGE", "z", "0", "-1", "WITHSCORES"}) + Resp({"AUTH", "pa55word"}) +
                    Resp({"CONFIG", "GET", "requirepass"});
  std::string rep = ":1\r\n*2\r\n" + Bulk("alice") + Bulk("1.5") + "+OK\r\n*2\r\n" +
                    Bulk("requirepass") + Bulk("pa55word");
  Redacted r = RedactConn(req, rep, {false, true}, &t);
  EXPECT_EQ(r.requests, Resp({"ZADD", "z", "1.5", t.Get("alice")}) +
                            Resp({"ZRANGE", "z", "0", "-1", "WITHSCORES"}) +
                            Resp({"AUTH", t.Get("pa55word")}) +
                            Resp({"CONFIG", "GET", "requirepass"}));
  EXPECT_EQ(r.replies, ":1\r\n*2\r\n" + Bulk(t.Get("alice")) + Bulk("1.5") + "+OK\r\n*2\r\n" +
                           Bulk("requirepass") + Bulk(t.Get("pa55word")));
}

TEST(RedactionStream, ErrorQuotesAndUnknownCommands) {
  PlaceholderTable t(Secret(5));
  std::string req = Resp({"FROBNICATE", "topsecret"});
  std::string rep = "-ERR unknown command 'FROBNICATE', with args beginning with: 'topsecret' \r\n";
  Redacted r = RedactConn(req, rep, {false, true}, &t);
  EXPECT_EQ(r.requests, Resp({t.Get("FROBNICATE"), t.Get("topsecret")}));
  EXPECT_EQ(r.replies, "-ERR unknown command '" + t.Get("FROBNICATE") +
                           "', with args beginning with: '" + t.Get("topsecret") + "' \r\n");
  EXPECT_EQ(r.counts.reply_error_quotes, 2u);
}

TEST(RedactionStream, MultiExecPairsQueuedCommands) {
  PlaceholderTable t(Secret(6));
  std::string req =
      Resp({"MULTI"}) + Resp({"SET", "k", "val-one"}) + Resp({"GET", "k"}) + Resp({"EXEC"});
  std::string rep = "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n" + Bulk("val-one");
  Redacted r = RedactConn(req, rep, {false, true}, &t);
  EXPECT_EQ(r.replies, "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n" + Bulk(t.Get("val-one")));
}

TEST(RedactionStream, ClientReplyOffAndSkipKeepPairing) {
  PlaceholderTable t(Secret(6));
  std::string req = Resp({"CLIENT", "REPLY", "SKIP"}) + Resp({"SET", "k", "x1"}) +
                    Resp({"GET", "k"}) + Resp({"CLIENT", "REPLY", "OFF"}) +
                    Resp({"SET", "k", "x2"}) + Resp({"CLIENT", "REPLY", "ON"}) + Resp({"GET", "k"});
  std::string rep = Bulk("x1") + "+OK\r\n" + Bulk("x2");
  Redacted r = RedactConn(req, rep, {false, true}, &t);
  EXPECT_EQ(r.replies, Bulk(t.Get("x1")) + "+OK\r\n" + Bulk(t.Get("x2")));
}

TEST(RedactionStream, InlineCommandsAndTruncationFailClosed) {
  PlaceholderTable t(Secret(8));
  std::string req =
      "SET k hello\r\nGET k\r\n" + Resp({"SET", "k2", "cut-off-secret"}).substr(0, 20);
  std::string rep = "+OK\r\n" + Bulk("hello") + "$5\r\nhel";
  Redacted r = RedactConn(req, rep, {false, true}, &t);
  EXPECT_EQ(r.requests.substr(0, 20), "SET k " + t.Get("hello") + "\r\nGET k\r\n");
  EXPECT_EQ(r.requests.find("cut-off"), std::string::npos);
  EXPECT_EQ(r.replies.substr(0, 16), "+OK\r\n" + Bulk(t.Get("hello")));
  EXPECT_EQ(r.replies.find("hel", 16), std::string::npos) << "a cut reply is replaced";
  EXPECT_EQ(r.counts.inline_commands, 2u);
  EXPECT_GT(r.counts.fail_closed_request_bytes, 0u);
  EXPECT_GT(r.counts.fail_closed_reply_bytes, 0u);
}

TEST(RedactionStream, UnpairableRepliesFailClosed) {
  PlaceholderTable t(Secret(8));
  std::string req = Resp({"GET", "k"});
  std::string rep = Bulk("value-a") + Bulk("extra-secret");  // more replies than requests
  Redacted r = RedactConn(req, rep, {false, true}, &t);
  EXPECT_EQ(r.replies.find("extra-secret"), std::string::npos);
  EXPECT_EQ(r.counts.reply_fail_closed, 1u);
}

}  // namespace
}  // namespace reel::replay
