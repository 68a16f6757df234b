#include "server/request_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace reel {
namespace {

struct Parsed {
  std::vector<std::vector<std::string>> commands;
  std::string error;
  size_t consumed = 0;
  bool need_more = false;
};

// Feeds `input` in chunks of `chunk` bytes, as reads would deliver it,
// compacting consumed bytes the way the server's Buffer does.
Parsed ParseAll(const std::string& input, size_t chunk = SIZE_MAX,
                ParserLimits limits = ParserLimits()) {
  Parsed out;
  RequestParser parser;
  std::string buf;
  size_t fed = 0;
  std::vector<std::string_view> argv;
  while (true) {
    size_t n = std::min(chunk, input.size() - fed);
    buf.append(input, fed, n);
    fed += n;
    size_t pos = 0;
    while (true) {
      ParseStatus st = parser.Next(buf, &pos, limits, &argv, &out.error);
      if (st == ParseStatus::kCommand) {
        out.commands.emplace_back(argv.begin(), argv.end());
      } else if (st == ParseStatus::kError) {
        return out;
      } else if (st == ParseStatus::kNeedMore) {
        break;
      }
    }
    out.consumed += pos;
    buf.erase(0, pos);  // compaction: the parser resumes relative to pos
    if (fed == input.size()) {
      out.need_more = !buf.empty();
      return out;
    }
  }
}

using Cmds = std::vector<std::vector<std::string>>;

TEST(RequestParser, MultibulkCommand) {
  auto p = ParseAll("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n");
  EXPECT_EQ(p.commands, (Cmds{{"GET", "key"}}));
  EXPECT_FALSE(p.need_more);
}

TEST(RequestParser, PipelinedCommandsComeOutInOrder) {
  auto p = ParseAll("*1\r\n$4\r\nPING\r\nECHO a\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n");
  EXPECT_EQ(p.commands, (Cmds{{"PING"}, {"ECHO", "a"}, {"ECHO", ""}}));
}

TEST(RequestParser, EveryChunkingGivesTheSameCommands) {
  const std::string in = "*3\r\n$3\r\nSET\r\n$5\r\nhello\r\n$10\r\n0123456789\r\nPING\r\n";
  for (size_t chunk = 1; chunk <= in.size(); chunk++) {
    auto p = ParseAll(in, chunk);
    EXPECT_EQ(p.commands, (Cmds{{"SET", "hello", "0123456789"}, {"PING"}})) << "chunk " << chunk;
    EXPECT_TRUE(p.error.empty());
  }
}

TEST(RequestParser, BinarySafeBulkWithEmbeddedCrlf) {
  auto p = ParseAll(std::string("*2\r\n$4\r\nECHO\r\n$4\r\na\r\n\0\r\n", 24));
  ASSERT_EQ(p.commands.size(), 1u);
  EXPECT_EQ(p.commands[0][1], std::string("a\r\n\0", 4));
}

TEST(RequestParser, InlineWithQuotesAndEscapes) {
  auto p = ParseAll("SET \"a b\" 'c\\'d' \"\\x41\\n\"\r\n");
  EXPECT_EQ(p.commands, (Cmds{{"SET", "a b", "c'd", "A\n"}}));
}

TEST(RequestParser, InlineBareNewlinesAnswerTwice) {
  auto p = ParseAll("PING\nPING\n");
  EXPECT_EQ(p.commands, (Cmds{{"PING"}, {"PING"}}));
}

TEST(RequestParser, EmptyCommandsAreIgnored) {
  auto p = ParseAll("*0\r\n*-10\r\n\r\n   \r\nPING\r\n");
  EXPECT_EQ(p.commands, (Cmds{{"PING"}}));
  EXPECT_TRUE(p.error.empty());
}

TEST(RequestParser, IncompleteInputAsksForMore) {
  EXPECT_TRUE(ParseAll("*2\r\n$3\r\nGET\r\n$3\r\nke").need_more);
  EXPECT_TRUE(ParseAll("PIN").need_more);
  EXPECT_TRUE(ParseAll("*1").need_more);
  EXPECT_TRUE(ParseAll("*1\r").need_more);
}

struct ErrorCase {
  std::string input;
  std::string error;
};

class ParserErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParserErrors, GivesRedisExactText) {
  auto p = ParseAll(GetParam().input);
  EXPECT_EQ(p.error, GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Redis70Texts, ParserErrors,
    ::testing::Values(
        ErrorCase{"*abc\r\n", "Protocol error: invalid multibulk length"},
        ErrorCase{"*3000000000\r\n", "Protocol error: invalid multibulk length"},
        ErrorCase{"*+1\r\n", "Protocol error: invalid multibulk length"},
        ErrorCase{"*1\r\nx\r\n", "Protocol error: expected '$', got 'x'"},
        ErrorCase{"*1\r\n$-5\r\n", "Protocol error: invalid bulk length"},
        ErrorCase{"*1\r\n$600000000\r\n", "Protocol error: invalid bulk length"},
        ErrorCase{"*1\r\n$2147483648\r\n", "Protocol error: invalid bulk length"},
        ErrorCase{"*1\r\n$abc\r\n", "Protocol error: invalid bulk length"},
        ErrorCase{"SET \"unbalanced\r\n", "Protocol error: unbalanced quotes in request"},
        ErrorCase{"SET \"a\"b\r\n", "Protocol error: unbalanced quotes in request"},
        ErrorCase{std::string(70 * 1024, 'a'), "Protocol error: too big inline request"},
        ErrorCase{"*" + std::string(70 * 1024, '1'), "Protocol error: too big mbulk count string"},
        ErrorCase{"*1\r\n$" + std::string(70 * 1024, '1'),
                  "Protocol error: too big bulk count string"}));

TEST(RequestParser, UnauthenticatedLimits) {
  ParserLimits limits;
  limits.authenticated = false;
  auto many = ParseAll("*11\r\n", SIZE_MAX, limits);
  EXPECT_EQ(many.error, "Protocol error: unauthenticated multibulk length");
  auto big = ParseAll("*2\r\n$4\r\nAUTH\r\n$16385\r\n", SIZE_MAX, limits);
  EXPECT_EQ(big.error, "Protocol error: unauthenticated bulk length");
  auto ok = ParseAll("*2\r\n$4\r\nAUTH\r\n$3\r\npwd\r\n", SIZE_MAX, limits);
  EXPECT_EQ(ok.commands, (Cmds{{"AUTH", "pwd"}}));
}

TEST(RequestParser, ConfiguredMaxBulkLenIsEnforced) {
  ParserLimits limits;
  limits.proto_max_bulk_len = 10;
  EXPECT_EQ(ParseAll("*1\r\n$11\r\n", SIZE_MAX, limits).error,
            "Protocol error: invalid bulk length");
  EXPECT_TRUE(ParseAll("*1\r\n$10\r\n", SIZE_MAX, limits).error.empty());
}

TEST(SplitInlineArgs, MatchesSdssplitargs) {
  std::vector<std::string> out;
  ASSERT_TRUE(SplitInlineArgs("  a   b\tc  ", &out));
  EXPECT_EQ(out, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_TRUE(SplitInlineArgs("\"\"", &out));
  EXPECT_EQ(out, (std::vector<std::string>{""}));
  EXPECT_FALSE(SplitInlineArgs("'abc", &out));
  EXPECT_FALSE(SplitInlineArgs("'a'b", &out));
}

}  // namespace
}  // namespace reel
