#include "replay/packet_decoder.h"

#include <gtest/gtest.h>

#include <string>

#include "replay/pcap_builder.h"

namespace reel::replay {
namespace {

SockAddr V4(const char* host, uint16_t port) {
  return *SockAddr::FromHostPort(host, port);
}

TcpSegmentSpec Segment(SockAddr src, SockAddr dst, std::string payload = "hello") {
  TcpSegmentSpec s;
  s.timestamp_ns = 42;
  s.src = src;
  s.dst = dst;
  s.seq = 0xfffffff0;
  s.ack = 77;
  s.flags = kTcpAck | kTcpPsh;
  s.window = 512;
  s.payload = std::move(payload);
  return s;
}

PcapRecord Record(const std::string& frame, uint32_t link, size_t snaplen = 0) {
  PcapRecord r;
  r.timestamp_ns = 42;
  r.link_type = link;
  r.original_length = static_cast<uint32_t>(frame.size());
  r.bytes = snaplen ? std::string_view(frame).substr(0, snaplen) : std::string_view(frame);
  return r;
}

void ExpectHello(const TcpPacket& p, const TcpSegmentSpec& s) {
  EXPECT_EQ(p.src, s.src);
  EXPECT_EQ(p.dst, s.dst);
  EXPECT_EQ(p.seq, 0xfffffff0u);
  EXPECT_EQ(p.ack, 77u);
  EXPECT_EQ(p.flags, kTcpAck | kTcpPsh);
  EXPECT_EQ(p.window, 512);
  EXPECT_EQ(p.payload, "hello");
  EXPECT_EQ(p.payload_length, 5u);
  EXPECT_EQ(p.timestamp_ns, 42);
}

class EveryLinkTypeTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(EveryLinkTypeTest, DecodesIpv4AndIpv6) {
  uint32_t link = GetParam();
  for (bool v6 : {false, true}) {
    SCOPED_TRACE(v6 ? "IPv6" : "IPv4");
    TcpSegmentSpec s = v6 ? Segment(*SockAddr::FromHostPort("::1", 50000),
                                    *SockAddr::FromHostPort("fe80::1", 6379))
                          : Segment(V4("127.0.0.1", 50000), V4("10.1.2.3", 6379));
    std::string frame = BuildTcpFrame(link, s);
    TcpPacket p;
    ASSERT_EQ(DecodePacket(Record(frame, link), &p), DecodeStatus::kTcp);
    ExpectHello(p, s);
  }
}

INSTANTIATE_TEST_SUITE_P(Links, EveryLinkTypeTest,
                         ::testing::Values(kLinkEthernet, kLinkLinuxSll, kLinkLinuxSll2, kLinkNull,
                                           kLinkLoop, kLinkRaw));

TEST(PacketDecoderTest, VlanTagsSingleAndDouble) {
  TcpSegmentSpec s = Segment(V4("192.168.0.1", 40000), V4("192.168.0.2", 6379));
  for (std::vector<uint16_t> tags : {std::vector<uint16_t>{100}, std::vector<uint16_t>{10, 20}}) {
    std::string frame = BuildTcpFrame(kLinkEthernet, s, tags);
    EXPECT_EQ(frame.size(), 14 + 4 * tags.size() + 20 + 20 + 5);
    TcpPacket p;
    ASSERT_EQ(DecodePacket(Record(frame, kLinkEthernet), &p), DecodeStatus::kTcp);
    ExpectHello(p, s);
  }
}

TEST(PacketDecoderTest, Ipv4OptionsAreSkipped) {
  TcpSegmentSpec s = Segment(V4("127.0.0.1", 1), V4("127.0.0.1", 2));
  s.ipv4_options = std::string("\x01\x01\x01\x01\x01\x01\x01\x00", 8);  // NOPs, EOL
  TcpPacket p;
  std::string frame = BuildTcpFrame(kLinkEthernet, s);
  ASSERT_EQ(DecodePacket(Record(frame, kLinkEthernet), &p), DecodeStatus::kTcp);
  EXPECT_EQ(p.payload, "hello");
}

TEST(PacketDecoderTest, FragmentsAreReportedNotDecoded) {
  TcpSegmentSpec v4 = Segment(V4("127.0.0.1", 1), V4("127.0.0.1", 2));
  v4.fragment = true;
  TcpPacket p;
  std::string f4 = BuildTcpFrame(kLinkEthernet, v4);
  EXPECT_EQ(DecodePacket(Record(f4, kLinkEthernet), &p), DecodeStatus::kFragment);
  TcpSegmentSpec v6 = Segment(*SockAddr::FromHostPort("::1", 1), *SockAddr::FromHostPort("::1", 2));
  v6.fragment = true;
  std::string f6 = BuildTcpFrame(kLinkEthernet, v6);
  EXPECT_EQ(DecodePacket(Record(f6, kLinkEthernet), &p), DecodeStatus::kFragment);
  v6.ipv6_hop_by_hop = true;  // the fragment header behind another extension header
  std::string f6h = BuildTcpFrame(kLinkEthernet, v6);
  EXPECT_EQ(DecodePacket(Record(f6h, kLinkEthernet), &p), DecodeStatus::kFragment);
}

TEST(PacketDecoderTest, Ipv6ExtensionHeadersAreWalked) {
  TcpSegmentSpec s = Segment(*SockAddr::FromHostPort("2001:db8::1", 5555),
                             *SockAddr::FromHostPort("2001:db8::2", 6379));
  s.ipv6_hop_by_hop = true;
  std::string frame = BuildTcpFrame(kLinkLinuxSll2, s);
  TcpPacket p;
  ASSERT_EQ(DecodePacket(Record(frame, kLinkLinuxSll2), &p), DecodeStatus::kTcp);
  ExpectHello(p, s);
}

TEST(PacketDecoderTest, TcpOptions) {
  TcpSegmentSpec s = Segment(V4("127.0.0.1", 1), V4("127.0.0.1", 2), "");
  // MSS 1460, SACK permitted, timestamps 7/9, NOP, window scale 7, one SACK block.
  s.tcp_options = std::string(
      "\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x00\x00\x07\x00\x00\x00\x09"
      "\x01\x03\x03\x07\x05\x0a\x00\x00\x00\x01\x00\x00\x00\x02",
      30);
  std::string frame = BuildTcpFrame(kLinkEthernet, s);
  TcpPacket p;
  ASSERT_EQ(DecodePacket(Record(frame, kLinkEthernet), &p), DecodeStatus::kTcp);
  EXPECT_EQ(p.mss, 1460);
  EXPECT_TRUE(p.sack_permitted);
  EXPECT_TRUE(p.has_timestamps);
  EXPECT_EQ(p.ts_val, 7u);
  EXPECT_EQ(p.ts_ecr, 9u);
  EXPECT_EQ(p.window_scale, 7);
  EXPECT_EQ(p.sack_blocks, 1);
  EXPECT_EQ(p.payload_length, 0u);
}

TEST(PacketDecoderTest, EthernetPaddingIsNotPayload) {
  TcpSegmentSpec s = Segment(V4("127.0.0.1", 1), V4("127.0.0.1", 2), "");
  std::string frame = BuildTcpFrame(kLinkEthernet, s) + std::string(6, '\0');  // pad to 60
  TcpPacket p;
  ASSERT_EQ(DecodePacket(Record(frame, kLinkEthernet), &p), DecodeStatus::kTcp);
  EXPECT_EQ(p.payload_length, 0u);
  EXPECT_TRUE(p.payload.empty());
}

TEST(PacketDecoderTest, SnaplenCutPayloadKeepsItsLength) {
  TcpSegmentSpec s = Segment(V4("127.0.0.1", 1), V4("127.0.0.1", 2), std::string(1000, 'x'));
  std::string frame = BuildTcpFrame(kLinkEthernet, s);
  TcpPacket p;
  ASSERT_EQ(DecodePacket(Record(frame, kLinkEthernet, 14 + 20 + 20 + 100), &p), DecodeStatus::kTcp);
  EXPECT_EQ(p.payload_length, 1000u);
  EXPECT_EQ(p.payload, std::string(100, 'x'));
  // Cut inside the TCP options: sequence numbers survive, payload does not.
  s.tcp_options = std::string("\x01\x01\x01\x01", 4);
  frame = BuildTcpFrame(kLinkEthernet, s);
  ASSERT_EQ(DecodePacket(Record(frame, kLinkEthernet, 14 + 20 + 22), &p), DecodeStatus::kTcp);
  EXPECT_TRUE(p.options_truncated);
  EXPECT_EQ(p.payload_length, 1000u);
  EXPECT_TRUE(p.payload.empty());
  // Cut inside the TCP base header: nothing usable.
  EXPECT_EQ(DecodePacket(Record(frame, kLinkEthernet, 14 + 20 + 10), &p), DecodeStatus::kTruncated);
}

TEST(PacketDecoderTest, OtherProtocolsAndDamage) {
  TcpPacket p;
  // ARP over Ethernet.
  std::string arp = std::string(12, '\x01') + std::string("\x08\x06", 2) + std::string(28, '\0');
  EXPECT_EQ(DecodePacket(Record(arp, kLinkEthernet), &p), DecodeStatus::kNotTcp);
  // UDP over IPv4: flip the protocol byte of a TCP frame.
  std::string udp = BuildTcpFrame(kLinkEthernet, Segment(V4("1.2.3.4", 1), V4("1.2.3.4", 2)));
  udp[14 + 9] = 17;
  EXPECT_EQ(DecodePacket(Record(udp, kLinkEthernet), &p), DecodeStatus::kNotTcp);
  // An IPv4 header whose total length is shorter than its own header.
  std::string bad = BuildTcpFrame(kLinkEthernet, Segment(V4("1.2.3.4", 1), V4("1.2.3.4", 2)));
  bad[14 + 2] = 0;
  bad[14 + 3] = 10;
  EXPECT_EQ(DecodePacket(Record(bad, kLinkEthernet), &p), DecodeStatus::kMalformed);
  // A frame shorter than an Ethernet header, on the wire too.
  EXPECT_EQ(DecodePacket(Record(std::string(6, '\0'), kLinkEthernet), &p),
            DecodeStatus::kMalformed);
  // Unknown link type.
  EXPECT_EQ(DecodePacket(Record(udp, 147), &p), DecodeStatus::kUnsupportedLink);
  // Null link with a family that is not IP.
  std::string null_frame = std::string("\x07\0\0\0", 4) + std::string(40, '\0');
  EXPECT_EQ(DecodePacket(Record(null_frame, kLinkNull), &p), DecodeStatus::kNotTcp);
}

TEST(PacketDecoderTest, NullLinkWrittenBigEndian) {
  TcpSegmentSpec s = Segment(V4("127.0.0.1", 1), V4("127.0.0.1", 2));
  std::string frame = BuildTcpFrame(kLinkLoop, s);  // family 2 in network order
  TcpPacket p;
  ASSERT_EQ(DecodePacket(Record(frame, kLinkNull), &p), DecodeStatus::kTcp);
  EXPECT_EQ(p.payload, "hello");
}

TEST(PacketDecoderTest, CountsAddUp) {
  DecodeCounts c;
  c.Add(DecodeStatus::kTcp);
  c.Add(DecodeStatus::kTcp);
  c.Add(DecodeStatus::kFragment);
  c.Add(DecodeStatus::kNotTcp);
  EXPECT_EQ(c.tcp, 2u);
  EXPECT_EQ(c.fragments, 1u);
  EXPECT_EQ(c.total(), 4u);
  EXPECT_STREQ(DecodeStatusName(DecodeStatus::kUnsupportedLink), "unsupported-link");
}

}  // namespace
}  // namespace reel::replay
