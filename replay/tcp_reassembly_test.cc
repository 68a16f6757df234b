#include "replay/tcp_reassembly.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "replay/pcap_builder.h"
#include "replay/pcap_file.h"

namespace reel::replay {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kT0 = 1'700'000'000'000'000'000;  // capture start, ns

SockAddr Addr(const char* host, uint16_t port) {
  return *SockAddr::FromHostPort(host, port);
}

const std::string kPing = "*1\r\n$4\r\nPING\r\n";
const std::string kPong = "+PONG\r\n";

ReassemblyResult Reassemble(const PcapBuilder& b, ReassemblerOptions options = {}) {
  ReassemblyResult r = ReassemblePcap(b.Bytes(), std::move(options));
  EXPECT_EQ(r.pcap_error, "");
  EXPECT_EQ(r.decode.tcp, b.size());
  return r;
}

std::string Describe(const std::vector<StreamGap>& gaps) {
  std::string s;
  for (const StreamGap& g : gaps)
    s += "[" + std::to_string(g.offset) + "+" + std::to_string(g.length) + " " +
         GapReasonName(g.reason) + "]";
  return s;
}

TEST(TcpReassemblyTest, HandshakeDataAndFin) {
  PcapBuilder b(kLinkEthernet);
  SockAddr client = Addr("127.0.0.1", 41000), server = Addr("127.0.0.1", 6379);
  TcpConversation c(&b, client, server, 1000, 5000);
  c.Handshake(kT0);
  c.ClientSends(kT0 + 2 * kMs, kPing);
  c.ServerSends(kT0 + 3 * kMs, kPong);
  c.ClientFin(kT0 + 4 * kMs);
  c.ServerFin(kT0 + 5 * kMs);
  c.ClientAck(kT0 + 6 * kMs);
  ReassemblyResult r = Reassemble(b);
  ASSERT_EQ(r.flows.size(), 1u);
  const TcpFlow& f = r.flows[0];
  EXPECT_EQ(f.id, 0u);
  EXPECT_EQ(f.client, client);
  EXPECT_EQ(f.server, server);
  EXPECT_EQ(f.orientation, Orientation::kSyn);
  EXPECT_FALSE(f.mid_stream);
  EXPECT_EQ(f.syn_ns, kT0);
  EXPECT_EQ(f.syn_ack_ns, kT0 + 10000);
  EXPECT_EQ(f.established_ns, kT0 + 20000);
  EXPECT_EQ(f.first_ns, kT0);
  EXPECT_EQ(f.last_ns, kT0 + 6 * kMs);

  const StreamDirection& up = f.to_server;
  EXPECT_TRUE(up.isn_seen);
  EXPECT_EQ(up.isn, 1000u);
  EXPECT_EQ(up.start_seq, 1001u);
  ASSERT_EQ(up.chunks.size(), 1u);
  EXPECT_EQ(up.chunks[0].offset, 0u);
  EXPECT_EQ(up.chunks[0].timestamp_ns, kT0 + 2 * kMs);
  EXPECT_EQ(up.chunks[0].readable_ns, kT0 + 2 * kMs);
  EXPECT_EQ(up.chunks[0].bytes, kPing);
  EXPECT_EQ(up.fin_ns, kT0 + 4 * kMs);
  EXPECT_EQ(up.fin_offset, kPing.size());
  EXPECT_FALSE(up.rst_ns.has_value());
  EXPECT_EQ(up.end_offset, kPing.size());
  EXPECT_TRUE(up.complete()) << Describe(up.gaps);
  EXPECT_EQ(up.Bytes(0, kPing.size()), kPing);
  EXPECT_EQ(up.Bytes(4, 4), "$4\r\n");
  EXPECT_EQ(up.Bytes(10, 100), std::nullopt);  // past the end

  const StreamDirection& down = f.to_client;
  EXPECT_EQ(down.isn, 5000u);
  EXPECT_EQ(down.CapturedBytes(), kPong);
  EXPECT_EQ(down.chunks[0].timestamp_ns, kT0 + 3 * kMs);
  EXPECT_EQ(down.fin_ns, kT0 + 5 * kMs);
  EXPECT_EQ(down.fin_offset, kPong.size());
  EXPECT_TRUE(down.complete()) << Describe(down.gaps);
  EXPECT_EQ(r.gap_count(), 0u);
}

TEST(TcpReassemblyTest, RetransmissionIsTrimmedAndTheFirstCopyKept) {
  PcapBuilder b;
  TcpConversation c(&b, Addr("10.0.0.1", 50000), Addr("10.0.0.2", 6379), 7, 9);
  c.Handshake(kT0);
  c.ClientSends(kT0 + 1 * kMs, "SET k v\r\n");
  c.ClientSegment(kT0 + 200 * kMs, 0, "SET k v\r\n");  // RTO retransmission
  c.ClientSends(kT0 + 201 * kMs, "GET k\r\n");
  ReassemblyResult r = Reassemble(b);
  const StreamDirection& up = r.flows.at(0).to_server;
  ASSERT_EQ(up.chunks.size(), 2u);
  EXPECT_EQ(up.chunks[0].timestamp_ns, kT0 + 1 * kMs);
  EXPECT_EQ(up.chunks[1].offset, 9u);
  EXPECT_EQ(up.CapturedBytes(), "SET k v\r\nGET k\r\n");
  EXPECT_EQ(up.bytes_retransmitted, 9u);
  EXPECT_EQ(up.bytes_conflicting, 0u);
  EXPECT_EQ(up.bytes_captured, 16u);
  EXPECT_TRUE(up.complete());
}

TEST(TcpReassemblyTest, OverlappingSegmentsAreTrimmed) {
  PcapBuilder b;
  TcpConversation c(&b, Addr("10.0.0.1", 50000), Addr("10.0.0.2", 6379), 7, 9);
  c.Handshake(kT0);
  c.ClientSegment(kT0 + 1 * kMs, 0, "0123456789");
  // Overlaps [5, 10) with different bytes, then brings [10, 15).
  c.ClientSegment(kT0 + 2 * kMs, 5, "5XYZ9abcde");
  // Wholly inside what is held.
  c.ClientSegment(kT0 + 3 * kMs, 2, "234");
  ReassemblyResult r = Reassemble(b);
  const StreamDirection& up = r.flows.at(0).to_server;
  ASSERT_EQ(up.chunks.size(), 2u);
  EXPECT_EQ(up.chunks[0].bytes, "0123456789");
  EXPECT_EQ(up.chunks[1].offset, 10u);
  EXPECT_EQ(up.chunks[1].bytes, "abcde");
  EXPECT_EQ(up.chunks[1].timestamp_ns, kT0 + 2 * kMs);
  EXPECT_EQ(up.bytes_retransmitted, 5u + 3u);
  EXPECT_EQ(up.bytes_conflicting, 3u);  // "XYZ" vs "678"
  EXPECT_EQ(up.Bytes(0, 15), "0123456789abcde");
}

TEST(TcpReassemblyTest, OutOfOrderSegmentsWaitForTheHole) {
  PcapBuilder b;
  TcpConversation c(&b, Addr("10.0.0.1", 50000), Addr("10.0.0.2", 6379), 7, 9);
  c.Handshake(kT0);
  c.ClientSegment(kT0 + 1 * kMs, 10, "klmnopqrst");  // arrives first
  c.ClientSegment(kT0 + 2 * kMs, 20, "uvwxyz");
  c.ClientSegment(kT0 + 3 * kMs, 0, "abcdefghij");  // fills the hole
  ReassemblyResult r = Reassemble(b);
  const StreamDirection& up = r.flows.at(0).to_server;
  ASSERT_EQ(up.chunks.size(), 3u);
  EXPECT_EQ(up.CapturedBytes(), "abcdefghijklmnopqrstuvwxyz");
  EXPECT_EQ(up.out_of_order_segments, 2u);
  // Each chunk keeps its own packet's time; none was readable before the hole filled.
  EXPECT_EQ(up.chunks[0].timestamp_ns, kT0 + 3 * kMs);
  EXPECT_EQ(up.chunks[1].timestamp_ns, kT0 + 1 * kMs);
  EXPECT_EQ(up.chunks[2].timestamp_ns, kT0 + 2 * kMs);
  for (const StreamChunk& ch : up.chunks) EXPECT_EQ(ch.readable_ns, kT0 + 3 * kMs);
  EXPECT_TRUE(up.complete()) << Describe(up.gaps);
}

TEST(TcpReassemblyTest, OverlapsAmongHeldOutOfOrderSegments) {
  PcapBuilder b;
  TcpConversation c(&b, Addr("10.0.0.1", 50000), Addr("10.0.0.2", 6379), 7, 9);
  c.Handshake(kT0);
  c.ClientSegment(kT0 + 1 * kMs, 10, "KLMNOPQRST");  // held: [10, 20)
  c.ClientSegment(kT0 + 2 * kMs, 25, "zz");          // held: [25, 27)
  // Overlaps the end of the first held chunk (differently), spans the hole
  // between them, and overlaps the second.
  c.ClientSegment(kT0 + 3 * kMs, 15, "pqrst_____ZZ");
  c.ClientSegment(kT0 + 4 * kMs, 0, "ABCDEFGHIJ");
  ReassemblyResult r = Reassemble(b);
  const StreamDirection& up = r.flows.at(0).to_server;
  EXPECT_EQ(up.Bytes(0, 27), "ABCDEFGHIJKLMNOPQRST_____zz");
  ASSERT_EQ(up.chunks.size(), 4u);
  EXPECT_EQ(up.chunks[2].offset, 20u);
  EXPECT_EQ(up.chunks[2].bytes, "_____");
  EXPECT_EQ(up.chunks[2].timestamp_ns, kT0 + 3 * kMs);
  EXPECT_EQ(up.bytes_retransmitted, 7u);
  EXPECT_EQ(up.bytes_conflicting, 7u);  // "pqrst" vs "PQRST", "ZZ" vs "zz"
  EXPECT_EQ(up.bytes_captured, 27u);
  EXPECT_TRUE(up.complete()) << Describe(up.gaps);
  for (const StreamChunk& ch : up.chunks) EXPECT_EQ(ch.readable_ns, kT0 + 4 * kMs);
}

TEST(TcpReassemblyTest, ResetIsRecordedPerDirection) {
  PcapBuilder b;
  TcpConversation c(&b, Addr("10.0.0.1", 50000), Addr("10.0.0.2", 6379), 7, 9);
  c.Handshake(kT0);
  c.ClientSends(kT0 + 1 * kMs, kPing);
  c.ServerRst(kT0 + 2 * kMs);
  ReassemblyResult r = Reassemble(b);
  const TcpFlow& f = r.flows.at(0);
  EXPECT_EQ(f.to_client.rst_ns, kT0 + 2 * kMs);
  EXPECT_FALSE(f.to_server.rst_ns.has_value());
  EXPECT_FALSE(f.to_client.fin_ns.has_value());
  EXPECT_EQ(f.to_server.CapturedBytes(), kPing);
  EXPECT_TRUE(f.to_client.chunks.empty());
  EXPECT_EQ(r.gap_count(), 0u);
}

TEST(TcpReassemblyTest, RefusedConnectionIsAFlowWithAReset) {
  PcapBuilder b;
  TcpConversation c(&b, Addr("10.0.0.1", 50000), Addr("10.0.0.2", 6379), 7, 9);
  c.Syn(kT0);
  TcpSegmentSpec rst;
  rst.timestamp_ns = kT0 + 5000;
  rst.src = Addr("10.0.0.2", 6379);
  rst.dst = Addr("10.0.0.1", 50000);
  rst.ack = 8;
  rst.flags = kTcpRst | kTcpAck;
  b.AddTcp(rst);
  ReassemblyResult r = Reassemble(b);
  ASSERT_EQ(r.flows.size(), 1u);
  EXPECT_EQ(r.flows[0].client, Addr("10.0.0.1", 50000));
  EXPECT_EQ(r.flows[0].to_client.rst_ns, kT0 + 5000);
  EXPECT_FALSE(r.flows[0].established_ns.has_value());
}

// Replay reads and compares bytes in place (CopyTo/Matches) instead of
// building strings with Bytes(); all of them must agree on what is held.
TEST(TcpReassemblyTest, RangeQueriesStopAtGapsAndAgreeWithBytes) {
  StreamDirection d;
  d.chunks = {{0, 0, 0, "abcd"}, {4, 0, 0, "efgh"}, {10, 0, 0, "kl"}};  // 8..10 missing
  EXPECT_TRUE(d.Holds(0, 8));
  EXPECT_TRUE(d.Holds(2, 5));   // across a chunk boundary
  EXPECT_FALSE(d.Holds(6, 4));  // runs into the gap
  EXPECT_FALSE(d.Holds(8, 1));
  EXPECT_TRUE(d.Holds(10, 2));
  EXPECT_FALSE(d.Holds(10, 3));  // past the end
  EXPECT_TRUE(d.Holds(9, 0));
  EXPECT_EQ(d.ContiguousEnd(1), 8u);
  EXPECT_EQ(d.ContiguousEnd(8), 8u);
  EXPECT_EQ(d.ContiguousEnd(10), 12u);

  std::string buf = "-----";
  EXPECT_TRUE(d.CopyTo(2, 5, buf.data()));
  EXPECT_EQ(buf, "cdefg");
  EXPECT_EQ(d.Bytes(2, 5), "cdefg");
  buf = "----";
  EXPECT_FALSE(d.CopyTo(6, 4, buf.data()));
  EXPECT_EQ(buf, "----");  // nothing copied
  EXPECT_EQ(d.Bytes(6, 4), std::nullopt);

  EXPECT_TRUE(d.Matches(2, 5, "cdefg"));
  EXPECT_FALSE(d.Matches(2, 5, "cdefX"));  // last byte differs, in the second chunk
  EXPECT_FALSE(d.Matches(6, 4, "ghij"));   // not held
}

TEST(TcpReassemblyTest, LostPacketIsAGapNeverFilled) {
  PcapBuilder b;
  TcpConversation c(&b, Addr("10.0.0.1", 50000), Addr("10.0.0.2", 6379), 7, 9);
  c.Handshake(kT0);
  c.ClientSends(kT0 + 1 * kMs, "aaaa");
  c.ClientSkips(4);  // "bbbb" went by uncaptured
  c.ClientSends(kT0 + 3 * kMs, "cccc");
  c.ServerAck(kT0 + 4 * kMs);
  ReassemblyResult r = Reassemble(b);
  const StreamDirection& up = r.flows.at(0).to_server;
  ASSERT_EQ(up.gaps.size(), 1u) << Describe(up.gaps);
  EXPECT_EQ(up.gaps[0].offset, 4u);
  EXPECT_EQ(up.gaps[0].length, 4u);
  EXPECT_EQ(up.gaps[0].reason, GapReason::kNotCaptured);
  EXPECT_EQ(up.gaps[0].noticed_ns, kT0 + 3 * kMs);
  EXPECT_EQ(up.CapturedBytes(), "aaaacccc");
  EXPECT_EQ(up.Bytes(0, 12), std::nullopt);
  EXPECT_EQ(up.Bytes(8, 4), "cccc");
  EXPECT_EQ(up.ContiguousEnd(0), 4u);
  EXPECT_EQ(up.ContiguousEnd(5), 5u);
  EXPECT_EQ(up.end_offset, 12u);
  // The bytes after the gap keep their own time: the receiver had the
  // missing ones, we cannot know when.
  EXPECT_EQ(up.chunks[1].readable_ns, kT0 + 3 * kMs);
}

TEST(TcpReassemblyTest, AcknowledgedButUncapturedTailIsAGap) {
  PcapBuilder b;
  TcpConversation c(&b, Addr("10.0.0.1", 50000), Addr("10.0.0.2", 6379), 7, 9);
  c.Handshake(kT0);
  c.ClientSends(kT0 + 1 * kMs, "aaaa");
  c.ClientSkips(6);
  c.ServerAck(kT0 + 2 * kMs);  // acknowledges all 10 bytes
  ReassemblyResult r = Reassemble(b);
  const StreamDirection& up = r.flows.at(0).to_server;
  ASSERT_EQ(up.gaps.size(), 1u);
  EXPECT_EQ(up.gaps[0].offset, 4u);
  EXPECT_EQ(up.gaps[0].length, 6u);
  EXPECT_EQ(up.gaps[0].reason, GapReason::kAcked);
  EXPECT_EQ(up.gaps[0].noticed_ns, kT0 + 2 * kMs);
  EXPECT_EQ(up.end_offset, 10u);
}

TEST(TcpReassemblyTest, BytesBeforeAnUncapturedFinAreAGap) {
  PcapBuilder b;
  TcpConversation c(&b, Addr("10.0.0.1", 50000), Addr("10.0.0.2", 6379), 7, 9);
  c.Handshake(kT0);
  c.ClientSends(kT0 + 1 * kMs, "aaaa");
  c.ClientSkips(3);
  c.ClientFin(kT0 + 2 * kMs);
  ReassemblyResult r = Reassemble(b);
  const StreamDirection& up = r.flows.at(0).to_server;
  EXPECT_EQ(up.fin_offset, 7u);
  EXPECT_EQ(Describe(up.gaps), "[4+3 not-captured]");
}

TEST(TcpReassemblyTest, AckOfAMissedFinIsNotAGap) {
  PcapBuilder b;
  TcpConversation c(&b, Addr("10.0.0.1", 50000), Addr("10.0.0.2", 6379), 7, 9);
  c.Handshake(kT0);
  c.ClientSends(kT0 + 1 * kMs, "aaaa");
  // The client's FIN was not captured; the server acknowledges it.
  TcpSegmentSpec ack;
  ack.timestamp_ns = kT0 + 2 * kMs;
  ack.src = Addr("10.0.0.2", 6379);
  ack.dst = Addr("10.0.0.1", 50000);
  ack.seq = c.ServerSeq(0);
  ack.ack = c.ClientSeq(4) + 1;
  b.AddTcp(ack);
  ReassemblyResult r = Reassemble(b);
  const StreamDirection& up = r.flows.at(0).to_server;
  EXPECT_TRUE(up.complete()) << Describe(up.gaps);
  EXPECT_TRUE(up.unseen_fin_acked);
  EXPECT_FALSE(up.fin_ns.has_value());
}

TEST(TcpReassemblyTest, SnaplenTruncationIsAGapWithItsReason) {
  PcapBuilder b;
  TcpConversation c(&b, Addr("10.0.0.1", 50000), Addr("10.0.0.2", 6379), 7, 9);
  c.Handshake(kT0);
  b.set_snaplen(14 + 20 + 20 + 100);  // Ethernet + IPv4 + TCP + 100 payload bytes
  c.ClientSends(kT0 + 1 * kMs, std::string(1000, 'v'));
  c.ClientSends(kT0 + 2 * kMs, "tail");
  ReassemblyResult r = Reassemble(b);
  const StreamDirection& up = r.flows.at(0).to_server;
  EXPECT_EQ(Describe(up.gaps), "[100+900 snaplen]");
  ASSERT_EQ(up.chunks.size(), 2u);
  EXPECT_EQ(up.chunks[0].bytes, std::string(100, 'v'));
  EXPECT_EQ(up.chunks[1].offset, 1000u);
  EXPECT_EQ(up.chunks[1].bytes, "tail");
  EXPECT_EQ(up.end_offset, 1004u);
}

TEST(TcpReassemblyTest, SnaplenCutAtTheEndOfTheStreamIsStillAGap) {
  PcapBuilder b;
  TcpConversation c(&b, Addr("10.0.0.1", 50000), Addr("10.0.0.2", 6379), 7, 9);
  c.Handshake(kT0);
  b.set_snaplen(14 + 20 + 20 + 10);
  c.ServerSends(kT0 + 1 * kMs, std::string(50, 'r'));
  ReassemblyResult r = Reassemble(b);
  EXPECT_EQ(Describe(r.flows.at(0).to_client.gaps), "[10+40 snaplen]");
}

TEST(TcpReassemblyTest, RetransmissionFillsASnaplenHole) {
  PcapBuilder b;
  TcpConversation c(&b, Addr("10.0.0.1", 50000), Addr("10.0.0.2", 6379), 7, 9);
  c.Handshake(kT0);
  b.set_snaplen(14 + 20 + 20 + 4);
  c.ClientSends(kT0 + 1 * kMs, "abcdefgh");   // only "abcd" kept
  c.ClientSegment(kT0 + 2 * kMs, 4, "efgh");  // a later copy of the rest fits
  ReassemblyResult r = Reassemble(b);
  const StreamDirection& up = r.flows.at(0).to_server;
  EXPECT_TRUE(up.complete()) << Describe(up.gaps);
  EXPECT_EQ(up.Bytes(0, 8), "abcdefgh");
}

TEST(TcpReassemblyTest, MidStreamFlowIsTakenUpAndFlagged) {
  PcapBuilder b;
  SockAddr client = Addr("10.0.0.1", 50000), server = Addr("10.0.0.2", 6379);
  // The connection began long before: sequence numbers far from any ISN.
  TcpConversation c(&b, client, server, 0x7ffffff0u, 0x12345678u);
  c.ClientSkips(100);
  c.ServerSkips(200);
  c.ServerSends(kT0 + 1 * kMs, kPong);  // the server's reply to a request before the capture
  c.ClientSends(kT0 + 2 * kMs, kPing);
  c.ClientSegment(kT0 + 3 * kMs, 90, std::string(10, 'o'));  // old bytes retransmitted
  ReassemblyResult r = Reassemble(b);
  ASSERT_EQ(r.flows.size(), 1u);
  const TcpFlow& f = r.flows[0];
  EXPECT_TRUE(f.mid_stream);
  EXPECT_EQ(f.orientation, Orientation::kLowerPort);
  EXPECT_EQ(f.client, client);
  EXPECT_EQ(f.server, server);
  EXPECT_FALSE(f.syn_ns.has_value());
  EXPECT_FALSE(f.established_ns.has_value());
  EXPECT_FALSE(f.to_server.isn_seen);
  // The server's ACK came first and fixed the client's offset 0.
  EXPECT_EQ(f.to_server.start_seq, c.ClientSeq(100));
  EXPECT_EQ(f.to_client.start_seq, c.ServerSeq(200));
  EXPECT_EQ(f.to_server.CapturedBytes(), kPing);
  EXPECT_EQ(f.to_server.chunks[0].offset, 0u);
  EXPECT_EQ(f.to_server.bytes_before_start, 10u);
  EXPECT_EQ(f.to_client.Bytes(0, kPong.size()), kPong);
  EXPECT_EQ(r.gap_count(), 0u);
}

TEST(TcpReassemblyTest, MidStreamOrientationFollowsConfiguredServerPorts) {
  PcapBuilder b;
  // The server listens on a high port, the client happens to have a lower one.
  TcpConversation c(&b, Addr("10.0.0.1", 1234), Addr("10.0.0.2", 40000), 1, 2);
  c.ClientSends(kT0, kPing);
  ReassemblerOptions by_port;
  EXPECT_EQ(Reassemble(b, by_port).flows.at(0).client, Addr("10.0.0.2", 40000));
  ReassemblerOptions told;
  told.server_ports = {40000};
  ReassemblyResult r = Reassemble(b, told);
  EXPECT_EQ(r.flows.at(0).client, Addr("10.0.0.1", 1234));
  EXPECT_EQ(r.flows.at(0).orientation, Orientation::kServerPort);
  EXPECT_EQ(r.flows.at(0).to_server.CapturedBytes(), kPing);
}

TEST(TcpReassemblyTest, SynAckWithoutSynStillOrientsAndEstablishes) {
  PcapBuilder b;
  TcpConversation c(&b, Addr("10.0.0.1", 50000), Addr("10.0.0.2", 6379), 100, 200);
  c.SynAck(kT0);
  c.HandshakeAck(kT0 + 1000);
  c.ClientSends(kT0 + 2000, kPing);
  ReassemblyResult r = Reassemble(b);
  const TcpFlow& f = r.flows.at(0);
  EXPECT_EQ(f.orientation, Orientation::kSynAck);
  EXPECT_FALSE(f.mid_stream);
  EXPECT_EQ(f.client, Addr("10.0.0.1", 50000));
  EXPECT_EQ(f.established_ns, kT0 + 1000);
  EXPECT_EQ(f.to_server.start_seq, 101u);
  EXPECT_EQ(f.to_server.Bytes(0, kPing.size()), kPing);
}

TEST(TcpReassemblyTest, SequenceNumbersWrapAround) {
  PcapBuilder b;
  TcpConversation c(&b, Addr("10.0.0.1", 50000), Addr("10.0.0.2", 6379), 0xfffffffau, 0xffffffffu);
  c.Handshake(kT0);
  c.ClientSends(kT0 + 1 * kMs, "0123456789");  // crosses 2^32
  c.ClientSends(kT0 + 2 * kMs, "abcdef");
  c.ServerSends(kT0 + 3 * kMs, "ok");  // the server's offset 0 is sequence number 0
  ReassemblyResult r = Reassemble(b);
  const TcpFlow& f = r.flows.at(0);
  EXPECT_EQ(f.to_server.Bytes(0, 16), "0123456789abcdef");
  EXPECT_EQ(f.to_client.start_seq, 0u);
  EXPECT_EQ(f.to_client.Bytes(0, 2), "ok");
  EXPECT_EQ(r.gap_count(), 0u);
}

TEST(TcpReassemblyTest, FlowIdsFollowFirstAppearanceAndPortReuseMakesANewFlow) {
  PcapBuilder b;
  SockAddr server = Addr("127.0.0.1", 6379);
  TcpConversation a(&b, Addr("127.0.0.1", 40002), server, 10, 20);
  TcpConversation z(&b, Addr("127.0.0.1", 40001), server, 30, 40);
  a.Handshake(kT0);
  z.Handshake(kT0 + 1 * kMs);
  z.ClientSends(kT0 + 2 * kMs, "z");
  a.ClientSends(kT0 + 3 * kMs, "a");
  a.Syn(kT0 + 3 * kMs + 1);  // a SYN retransmitted late: same ISN, same flow
  a.ClientFin(kT0 + 4 * kMs);
  a.ServerFin(kT0 + 4 * kMs);
  // The same 4-tuple again: a new connection with a new ISN.
  TcpConversation again(&b, Addr("127.0.0.1", 40002), server, 999, 888);
  again.Handshake(kT0 + 5 * kMs);
  again.ClientSends(kT0 + 6 * kMs, "again");
  ReassemblyResult r = Reassemble(b);
  ASSERT_EQ(r.flows.size(), 3u);
  EXPECT_EQ(r.flows[0].client.port, 40002);
  EXPECT_EQ(r.flows[0].to_server.CapturedBytes(), "a");
  EXPECT_EQ(r.flows[0].syn_retransmits, 1u);
  EXPECT_EQ(r.flows[1].client.port, 40001);
  EXPECT_EQ(r.flows[1].to_server.CapturedBytes(), "z");
  EXPECT_EQ(r.flows[2].id, 2u);
  EXPECT_EQ(r.flows[2].to_server.isn, 999u);
  EXPECT_EQ(r.flows[2].to_server.CapturedBytes(), "again");
  EXPECT_EQ(r.Find(Addr("127.0.0.1", 40002), server), &r.flows[2]);
  EXPECT_EQ(r.Find(server, Addr("127.0.0.1", 40002)), nullptr);
}

// The same conversation on every link type, over IPv4 and IPv6.
class ReassemblyLinkTest : public ::testing::TestWithParam<std::tuple<uint32_t, bool>> {};

TEST_P(ReassemblyLinkTest, Conversation) {
  auto [link, v6] = GetParam();
  PcapBuilder b(link);
  SockAddr client = v6 ? Addr("2001:db8::10", 51000) : Addr("192.0.2.10", 51000);
  SockAddr server = v6 ? Addr("2001:db8::1", 6379) : Addr("192.0.2.1", 6379);
  TcpConversation c(&b, client, server, 111, 222);
  c.Handshake(kT0);
  c.ClientSends(kT0 + 1 * kMs, "*3\r\n$3\r\nSET\r\n");
  c.ClientSends(kT0 + 2 * kMs, "$1\r\nk\r\n$1\r\nv\r\n");
  c.ServerSends(kT0 + 3 * kMs, "+OK\r\n");
  c.ClientFin(kT0 + 4 * kMs);
  c.ServerFin(kT0 + 4 * kMs);
  ReassemblyResult r = Reassemble(b);
  ASSERT_EQ(r.flows.size(), 1u);
  const TcpFlow& f = r.flows[0];
  EXPECT_EQ(f.client, client);
  EXPECT_EQ(f.server, server);
  EXPECT_EQ(f.to_server.Bytes(0, 27), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
  EXPECT_EQ(f.to_server.chunks.at(1).timestamp_ns, kT0 + 2 * kMs);
  EXPECT_EQ(f.to_client.Bytes(0, 5), "+OK\r\n");
  EXPECT_EQ(r.gap_count(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Links, ReassemblyLinkTest,
                         ::testing::Combine(::testing::Values(kLinkEthernet, kLinkLinuxSll,
                                                              kLinkLinuxSll2, kLinkNull, kLinkLoop,
                                                              kLinkRaw),
                                            ::testing::Bool()));

TEST(TcpReassemblyTest, VlanTaggedIpv6InPcapNg) {
  PcapBuilder b(kLinkEthernet);
  b.set_vlan_ids({42});
  TcpConversation c(&b, Addr("fd00::2", 60000), Addr("fd00::1", 6379), 5, 6);
  c.Handshake(kT0);
  c.ClientSends(kT0 + 1 * kMs, kPing);
  c.ServerSends(kT0 + 2 * kMs, kPong);
  ReassemblyResult r = ReassemblePcap(b.BytesNg());
  EXPECT_EQ(r.pcap_error, "");
  ASSERT_EQ(r.flows.size(), 1u);
  EXPECT_EQ(r.flows[0].client, Addr("fd00::2", 60000));
  EXPECT_EQ(r.flows[0].to_server.Bytes(0, kPing.size()), kPing);
  EXPECT_EQ(r.flows[0].to_client.Bytes(0, kPong.size()), kPong);
  EXPECT_EQ(r.flows[0].to_client.chunks[0].timestamp_ns, kT0 + 2 * kMs);
}

TEST(TcpReassemblyTest, NonTcpAndFragmentsAreCountedNotFed) {
  PcapBuilder b;
  TcpConversation c(&b, Addr("10.0.0.1", 50000), Addr("10.0.0.2", 6379), 7, 9);
  c.Handshake(kT0);
  TcpSegmentSpec frag;
  frag.src = Addr("10.0.0.1", 50000);
  frag.dst = Addr("10.0.0.2", 6379);
  frag.fragment = true;
  b.AddTcp(frag);
  b.AddFrame(kT0, std::string(12, '\x01') + std::string("\x08\x06", 2) + std::string(28, '\0'));
  ReassemblyResult r = ReassemblePcap(b.Bytes());
  EXPECT_EQ(r.records, 5u);
  EXPECT_EQ(r.decode.tcp, 3u);
  EXPECT_EQ(r.decode.fragments, 1u);
  EXPECT_EQ(r.decode.not_tcp, 1u);
  EXPECT_EQ(r.flows.size(), 1u);
}

TEST(TcpReassemblyTest, DamagedCaptureKeepsWhatIsWholeAndSaysWhy) {
  PcapBuilder b;
  TcpConversation c(&b, Addr("10.0.0.1", 50000), Addr("10.0.0.2", 6379), 7, 9);
  c.Handshake(kT0);
  c.ClientSends(kT0 + 1 * kMs, kPing);
  c.ServerSends(kT0 + 2 * kMs, kPong);
  std::string image = b.Bytes();
  ReassemblyResult r = ReassemblePcap(image.substr(0, image.size() - 3));
  EXPECT_NE(r.pcap_error.find("record is truncated"), std::string::npos) << r.pcap_error;
  ASSERT_EQ(r.flows.size(), 1u);
  EXPECT_EQ(r.flows[0].to_server.CapturedBytes(), kPing);
  EXPECT_TRUE(r.flows[0].to_client.chunks.empty());
}

// --- A real capture -------------------------------------------------------
//
// replay/testdata/redis_cli_session.pcap was recorded on loopback with
// tcpdump while redis-cli talked to Debian's redis-server 7.0, six runs of
// redis-cli, one connection each
// (replay/testdata/record_redis_cli_session.sh regenerates it). The expected
// streams are what redis-cli sends for those commands and what Redis 7.0
// answers, byte for byte.

std::string Resp(const std::vector<std::string>& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

TEST(TcpReassemblyRealCaptureTest, RedisCliSessionOnLoopback) {
  std::string error;
  std::optional<PcapFile> file =
      PcapFile::Open(std::string(REEL_REPLAY_TESTDATA) + "/redis_cli_session.pcap", &error);
  ASSERT_TRUE(file.has_value()) << error;
  ASSERT_TRUE(file->parse().ok()) << file->parse().error;
  EXPECT_EQ(file->parse().link_type, kLinkEthernet);
  ReassemblerOptions options;
  options.server_ports = {23911};
  Reassembler reassembler(options);
  for (const PcapRecord& rec : file->records()) reassembler.Feed(rec);
  ReassemblyResult r = reassembler.Finish();
  EXPECT_EQ(r.decode.tcp, file->records().size());

  const std::string big(5000, 'x');
  // One connection per redis-cli invocation, in the order the script ran them.
  struct Expected {
    std::string to_server, to_client;
  };
  const std::vector<Expected> expected = {
      {Resp({"SET", "greeting", "hello world"}), "+OK\r\n"},
      {Resp({"GET", "greeting"}), "$11\r\nhello world\r\n"},
      {Resp({"SET", "big", big}), "+OK\r\n"},
      {Resp({"GET", "big"}), "$5000\r\n" + big + "\r\n"},
      {Resp({"INCR", "counter"}) + Resp({"INCR", "counter"}) + Resp({"INCR", "counter"}),
       ":1\r\n:2\r\n:3\r\n"},
      {Resp({"INCR", "greeting"}), "-ERR value is not an integer or out of range\r\n"},
  };
  ASSERT_EQ(r.flows.size(), expected.size());
  for (size_t i = 0; i < expected.size(); i++) {
    SCOPED_TRACE("flow " + std::to_string(i));
    const TcpFlow& f = r.flows[i];
    EXPECT_EQ(f.server.port, 23911);
    EXPECT_EQ(f.orientation, Orientation::kSyn);
    EXPECT_FALSE(f.mid_stream);
    ASSERT_TRUE(f.syn_ns && f.syn_ack_ns && f.established_ns);
    EXPECT_LT(*f.syn_ns, *f.syn_ack_ns);
    EXPECT_LE(*f.syn_ack_ns, *f.established_ns);
    EXPECT_TRUE(f.to_server.complete()) << Describe(f.to_server.gaps);
    EXPECT_TRUE(f.to_client.complete()) << Describe(f.to_client.gaps);
    EXPECT_EQ(f.to_server.CapturedBytes(), expected[i].to_server);
    EXPECT_EQ(f.to_client.CapturedBytes(), expected[i].to_client);
    EXPECT_EQ(f.to_server.Bytes(0, expected[i].to_server.size()), expected[i].to_server);
    // redis-cli closes first; both sides' FINs are in the capture.
    ASSERT_TRUE(f.to_server.fin_ns && f.to_client.fin_ns);
    EXPECT_EQ(f.to_server.fin_offset, expected[i].to_server.size());
    EXPECT_EQ(f.to_client.fin_offset, expected[i].to_client.size());
    // Replies come after the requests that caused them.
    EXPECT_GT(f.to_client.chunks.front().timestamp_ns, f.to_server.chunks.front().timestamp_ns);
  }
  for (size_t i = 1; i < r.flows.size(); i++)
    EXPECT_LT(r.flows[i - 1].last_ns, r.flows[i].first_ns);
  // `-r 3`: three request/reply rounds on one connection, each request a
  // chunk of its own, each reply after its request.
  const TcpFlow& rounds = r.flows[4];
  ASSERT_EQ(rounds.to_server.chunks.size(), 3u);
  ASSERT_EQ(rounds.to_client.chunks.size(), 3u);
  for (size_t i = 0; i < 3; i++) {
    EXPECT_EQ(rounds.to_server.chunks[i].offset, 27 * i);
    EXPECT_EQ(rounds.to_client.chunks[i].bytes, ":" + std::to_string(i + 1) + "\r\n");
    EXPECT_LT(rounds.to_server.chunks[i].timestamp_ns, rounds.to_client.chunks[i].timestamp_ns);
    if (i > 0) {
      EXPECT_LT(rounds.to_client.chunks[i - 1].timestamp_ns,
                rounds.to_server.chunks[i].timestamp_ns);
    }
  }
}

}  // namespace
}  // namespace reel::replay
