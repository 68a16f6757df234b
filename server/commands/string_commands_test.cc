#include "server/commands/command_test_harness.h"

#include <gtest/gtest.h>

namespace reel {
namespace {

TEST(StringCommands, SetThenGetReturnsTheValue) {
  testing::CommandHarness h;
  EXPECT_EQ(h.Run({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(h.Run({"get", "missing"}), "$-1\r\n");
}

}  // namespace
}  // namespace reel
