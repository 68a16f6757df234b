#include "capture/crc32c.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace reel {
namespace {

TEST(Crc32c, KnownVectors) {
  // The check value of CRC-32C (RFC 3720 appendix B.4 test patterns).
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(Crc32cPortable("123456789", 9), 0xE3069283u);
  uint8_t zeros[32] = {};
  EXPECT_EQ(Crc32c(zeros, 32), 0x8A9136AAu);
  uint8_t ones[32];
  std::memset(ones, 0xFF, sizeof ones);
  EXPECT_EQ(Crc32c(ones, 32), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(nullptr, 0), 0u);
}

TEST(Crc32c, HardwareAndTableAgreeOnEveryLengthAndAlignment) {
  std::string data;
  for (int i = 0; i < 300; i++) data += static_cast<char>((i * 131 + 7) & 0xFF);
  for (size_t start = 0; start < 9; start++) {
    for (size_t len = 0; start + len <= data.size(); len += 7) {
      ASSERT_EQ(Crc32c(data.data() + start, len), Crc32cPortable(data.data() + start, len))
          << start << "+" << len;
    }
  }
}

TEST(Crc32c, ContinuesAcrossChunks) {
  const char* s = "hello, event log";
  size_t n = std::strlen(s);
  EXPECT_EQ(Crc32c(s + 5, n - 5, Crc32c(s, 5)), Crc32c(s, n));
  EXPECT_EQ(Crc32cPortable(s + 5, n - 5, Crc32cPortable(s, 5)), Crc32c(s, n));
}

}  // namespace
}  // namespace reel
