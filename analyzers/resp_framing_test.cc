#include "analyzers/resp_framing.h"

#include <gtest/gtest.h>

namespace reel::analyzers {
namespace {

TEST(RespFramingTest, MultibulkAndInlineRequests) {
  std::string s = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\nPING\r\n\r\n*0\r\n*1\r\n$4\r\nQU";
  FramedRequest r;
  ASSERT_EQ(FrameRequest(s, 0, &r), FrameStatus::kComplete);
  EXPECT_EQ(r.command, "get");
  EXPECT_EQ(r.key, "key");
  EXPECT_EQ(r.end, 22u);
  ASSERT_EQ(FrameRequest(s, r.end, &r), FrameStatus::kComplete);
  EXPECT_EQ(r.command, "ping");
  EXPECT_EQ(r.end, 28u);
  ASSERT_EQ(FrameRequest(s, r.end, &r), FrameStatus::kComplete);  // "\r\n": nothing to run
  EXPECT_TRUE(r.empty);
  ASSERT_EQ(FrameRequest(s, r.end, &r), FrameStatus::kComplete);  // "*0\r\n" likewise
  EXPECT_TRUE(r.empty);
  EXPECT_EQ(FrameRequest(s, r.end, &r), FrameStatus::kNeedMore);
  EXPECT_EQ(FrameRequest("*1\r\n+GET\r\n", 0, &r), FrameStatus::kMalformed);
  EXPECT_EQ(FrameRequest("*1\r\n$3\r\nGETX\r\n", 0, &r), FrameStatus::kMalformed);
}

TEST(RespFramingTest, NestedRepliesAndResp3) {
  FramedReply r;
  std::string nested = "*2\r\n*2\r\n:1\r\n$-1\r\n$3\r\nabc\r\n+OK\r\n";
  ASSERT_EQ(FrameReply(nested, 0, &r), FrameStatus::kComplete);
  EXPECT_EQ(r.end, nested.size() - 5);
  EXPECT_EQ(r.head, "*");
  ASSERT_EQ(FrameReply(nested, r.end, &r), FrameStatus::kComplete);
  EXPECT_EQ(r.head, "+OK");
  // RESP3: a map, a push (not a reply), an attribute before a value.
  std::string map = "%1\r\n+k\r\n,1.5\r\n";
  ASSERT_EQ(FrameReply(map, 0, &r), FrameStatus::kComplete);
  EXPECT_EQ(r.end, map.size());
  std::string push = ">2\r\n$7\r\nmessage\r\n_\r\n";
  ASSERT_EQ(FrameReply(push, 0, &r), FrameStatus::kComplete);
  EXPECT_TRUE(r.push);
  std::string attr = "|1\r\n+ttl\r\n:3\r\n:42\r\n";
  ASSERT_EQ(FrameReply(attr, 0, &r), FrameStatus::kComplete);
  EXPECT_EQ(r.end, attr.size());
  EXPECT_EQ(r.head, ":42");
  EXPECT_EQ(FrameReply("*3\r\n:1\r\n", 0, &r), FrameStatus::kNeedMore);
  EXPECT_EQ(FrameReply("$5\r\nab", 0, &r), FrameStatus::kNeedMore);
  EXPECT_EQ(FrameReply("?\r\n", 0, &r), FrameStatus::kMalformed);
  // A huge declared count with few bytes is incomplete, not a hang.
  EXPECT_EQ(FrameReply("*1099511627776\r\n:1\r\n", 0, &r), FrameStatus::kNeedMore);
}

}  // namespace
}  // namespace reel::analyzers
