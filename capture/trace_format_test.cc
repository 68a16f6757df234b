#include "capture/trace_format.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace reel::trace {
namespace {

TEST(TraceFormat, UvarintRoundTripAndSize) {
  const uint64_t values[] = {
      0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX, 1ull << 56, UINT64_MAX - 1, UINT64_MAX};
  for (uint64_t v : values) {
    uint8_t buf[kMaxVarint];
    uint8_t* end = PutUvarint(buf, v);
    ASSERT_EQ(static_cast<size_t>(end - buf), UvarintSize(v)) << v;
    Cursor c(buf, static_cast<size_t>(end - buf));
    uint64_t out = 0;
    ASSERT_TRUE(c.Uvarint(&out));
    EXPECT_EQ(out, v);
    EXPECT_EQ(c.remaining(), 0u);
  }
  uint8_t buf[kMaxVarint];
  EXPECT_EQ(PutUvarint(buf, 300) - buf, 2);
  EXPECT_EQ(buf[0], 0xAC);
  EXPECT_EQ(buf[1], 0x02);
  EXPECT_EQ(UvarintSize(UINT64_MAX), 10u);
}

TEST(TraceFormat, SvarintZigZag) {
  EXPECT_EQ(ZigZag(0), 0u);
  EXPECT_EQ(ZigZag(-1), 1u);
  EXPECT_EQ(ZigZag(1), 2u);
  EXPECT_EQ(ZigZag(-2), 3u);
  const int64_t values[] = {0, -1, 1, -64, 64, INT32_MIN, INT32_MAX, INT64_MIN, INT64_MAX};
  for (int64_t v : values) {
    uint8_t buf[kMaxVarint];
    uint8_t* end = PutSvarint(buf, v);
    Cursor c(buf, static_cast<size_t>(end - buf));
    int64_t out = 0;
    ASSERT_TRUE(c.Svarint(&out));
    EXPECT_EQ(out, v);
  }
}

TEST(TraceFormat, MalformedVarintsAreRejected) {
  uint64_t v;
  // Cut off: continuation bit on the last byte.
  const uint8_t cut[] = {0x80, 0x80};
  Cursor c1(cut, sizeof cut);
  EXPECT_FALSE(c1.Uvarint(&v));
  // Eleven bytes.
  const uint8_t longer[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
  Cursor c2(longer, sizeof longer);
  EXPECT_FALSE(c2.Uvarint(&v));
  // Tenth byte carrying more than bit 63.
  const uint8_t overflow[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02};
  Cursor c3(overflow, sizeof overflow);
  EXPECT_FALSE(c3.Uvarint(&v));
  Cursor empty(nullptr, 0);
  EXPECT_FALSE(empty.Uvarint(&v));
  // An int32 field holding a value out of range.
  uint8_t buf[kMaxVarint];
  uint8_t* end = PutSvarint(buf, int64_t{1} << 40);
  Cursor c4(buf, static_cast<size_t>(end - buf));
  int32_t i32;
  EXPECT_FALSE(c4.Int32(&i32));
}

TEST(TraceFormat, AddressEncoding) {
  SockAddr v4 = *SockAddr::FromHostPort("127.0.0.1", 6379);
  uint8_t buf[kMaxAddrSize];
  uint8_t* end = PutAddr(buf, v4);
  ASSERT_EQ(end - buf, 7);
  const uint8_t expected[] = {2, 127, 0, 0, 1, 0x18, 0xEB};  // port big-endian
  EXPECT_EQ(0, memcmp(buf, expected, 7));
  Cursor c(buf, 7);
  SockAddr out;
  ASSERT_TRUE(c.Addr(&out));
  EXPECT_EQ(out, v4);

  SockAddr v6 = *SockAddr::FromHostPort("::1", 50000);
  end = PutAddr(buf, v6);
  ASSERT_EQ(end - buf, 19);
  Cursor c6(buf, 19);
  ASSERT_TRUE(c6.Addr(&out));
  EXPECT_EQ(out, v6);

  end = PutAddr(buf, SockAddr{});
  ASSERT_EQ(end - buf, 1);
  EXPECT_EQ(buf[0], 0);

  const uint8_t bad_family[] = {7, 1, 2, 3, 4, 5, 6};
  Cursor cb(bad_family, sizeof bad_family);
  EXPECT_FALSE(cb.Addr(&out));
  const uint8_t short_v4[] = {2, 127, 0};
  Cursor cs(short_v4, sizeof short_v4);
  EXPECT_FALSE(cs.Addr(&out));
}

TEST(TraceFormat, ResultEncoding) {
  uint8_t buf[2 * kMaxVarint];
  uint8_t* end = PutResult(buf, 42, 0);
  EXPECT_EQ(end - buf, 1);
  end = PutResult(buf, -1, 11);
  ASSERT_EQ(end - buf, 2);
  EXPECT_EQ(buf[0], 1);   // zigzag(-1)
  EXPECT_EQ(buf[1], 11);  // EAGAIN
  Cursor c(buf, 2);
  int64_t value;
  int err;
  ASSERT_TRUE(c.Result(&value, &err));
  EXPECT_EQ(value, -1);
  EXPECT_EQ(err, 11);
}

TEST(TraceFormat, HeaderLayout) {
  Header h;
  h.start_mono_ns = 0x0102030405060708;
  h.start_real_ns = 0x1112131415161718;
  h.pid = 0xAABBCCDD;
  uint8_t out[kHeaderSize];
  EncodeHeader(h, out);
  EXPECT_EQ(0, memcmp(out, "REELEVT\n", 8));
  EXPECT_EQ(out[8], 1);  // major 1, little-endian
  EXPECT_EQ(out[9], 0);
  EXPECT_EQ(out[10], 0);   // minor 0
  EXPECT_EQ(out[12], 40);  // header_len
  EXPECT_EQ(out[16], 0x08);
  EXPECT_EQ(out[23], 0x01);
  EXPECT_EQ(out[24], 0x18);
  EXPECT_EQ(out[32], 0xDD);
  EXPECT_EQ(out[35], 0xAA);
}

TEST(TraceFormat, KindNames) {
  EXPECT_STREQ(KindName(Kind::kEpollWait), "epoll_wait");
  EXPECT_STREQ(KindName(Kind::kAccept4), "accept4");
  EXPECT_STREQ(KindName(Kind::kStopRequested), "stop_requested");
  EXPECT_STREQ(KindName(uint8_t{0}), "unknown");
  EXPECT_STREQ(KindName(uint8_t{kMaxKind + 1}), "unknown");
  for (int k = 1; k <= kMaxKind; k++) EXPECT_STRNE(KindName(static_cast<uint8_t>(k)), "unknown");
}

}  // namespace
}  // namespace reel::trace
