// The pcap rewrite of --redact on synthetic captures: payload replaced at
// the same stream offsets (retransmissions included), lengths and record
// layout unchanged, checksums recomputed where they verified and left where
// they were offloaded, nothing of the secrets left anywhere in the file.
#include "replay/redaction_pcap.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "replay/packet_decoder.h"
#include "replay/pcap_builder.h"
#include "replay/pcap_file.h"
#include "replay/tcp_reassembly.h"

namespace reel::replay {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kT0 = 1'700'000'000'000'000'000;

SockAddr Addr(const char* host, uint16_t port) {
  return *SockAddr::FromHostPort(host, port);
}

std::string Resp(const std::vector<std::string>& argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (const auto& a : argv) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

std::string Bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

RedactionSecret Secret() {
  RedactionSecret s;
  for (size_t i = 0; i < s.size(); i++) s[i] = static_cast<uint8_t>(i * 7 + 1);
  return s;
}

// The TCP checksum of an Ethernet + IPv4 (no options) frame verifies.
bool TcpChecksumValid(std::string_view frame) {
  const auto* f = reinterpret_cast<const uint8_t*>(frame.data());
  const size_t ip = 14, tcp = 34;
  size_t ip_len = static_cast<size_t>(f[ip + 2]) << 8 | f[ip + 3];
  size_t tcp_len = ip_len - 20;
  uint64_t sum = 0;
  auto add = [&](const uint8_t* p, size_t n) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint64_t>(p[i]) << 8 | p[i + 1];
    if (n % 2) sum += static_cast<uint64_t>(p[n - 1]) << 8;
  };
  add(f + ip + 12, 8);  // source and destination addresses
  sum += 6 + tcp_len;
  add(f + tcp, tcp_len);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

struct Fixture {
  SockAddr client = Addr("127.0.0.1", 41000), client2 = Addr("127.0.0.1", 41001);
  SockAddr server = Addr("127.0.0.1", 6379);
  std::string secret_value = "card-4111-1111-1111-1111";
  std::string secret_key = "customer:alice";
  std::string requests, replies;
  PcapBuilder pcap{kLinkEthernet};

  Fixture() {
    requests = Resp({"SET", secret_key, secret_value}) + Resp({"GET", secret_key});
    replies = "+OK\r\n" + Bulk(secret_value);
    TcpConversation c(&pcap, client, server, 1000, 5000);
    c.Handshake(kT0);
    // The requests in two segments; the first is retransmitted.
    std::string first = requests.substr(0, 30), second = requests.substr(30);
    c.ClientSends(kT0 + 1 * kMs, first);
    c.ClientSegment(kT0 + 2 * kMs, 0, first);
    c.ClientSends(kT0 + 3 * kMs, second);
    c.ServerSends(kT0 + 4 * kMs, replies);
    c.ClientFin(kT0 + 5 * kMs);
    c.ServerFin(kT0 + 6 * kMs);
    // A second connection whose server checksum is left "offloaded" (wrong):
    // as the loopback interface captures outgoing segments.
    TcpConversation d(&pcap, client2, server, 9000, 7000);
    d.Handshake(kT0 + 7 * kMs);
    d.ClientSends(kT0 + 8 * kMs, Resp({"GET", secret_key}));
    TcpSegmentSpec s;
    s.timestamp_ns = kT0 + 9 * kMs;
    s.src = server;
    s.dst = client2;
    s.seq = 7001;
    s.ack = 9001 + static_cast<uint32_t>(Resp({"GET", secret_key}).size());
    s.flags = kTcpAck | kTcpPsh;
    s.payload = Bulk(secret_value);
    std::string frame = BuildTcpFrame(kLinkEthernet, s);
    frame[34 + 16] = 0x12;  // a pseudo-header-only (partial) checksum
    frame[34 + 17] = 0x34;
    pcap.AddFrame(s.timestamp_ns, frame);
  }
};

TEST(RedactionPcap, RewritesPayloadConsistentlyAndKeepsTheFileValid) {
  Fixture fx;
  const std::string image = fx.pcap.Bytes();
  PlaceholderTable table(Secret());
  RedactionCounts counts;
  PcapRedactionStats stats;
  std::string out, error;
  ASSERT_TRUE(
      RedactPcapImage(image, &table, RedactMode{true, true}, {}, &out, &counts, &stats, &error))
      << error;
  ASSERT_EQ(out.size(), image.size());
  EXPECT_EQ(out.find(fx.secret_value), std::string::npos);
  EXPECT_EQ(out.find(fx.secret_key), std::string::npos);
  EXPECT_EQ(out.find("alice"), std::string::npos);

  // Still a capture of the same packets, reassembling to the redacted streams.
  PcapParse before = ParsePcap(image), after = ParsePcap(out);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after.records.size(), before.records.size());
  ReassemblyResult r = ReassemblePcap(out);
  ASSERT_EQ(r.flows.size(), 2u);
  const std::string k = table.Get(fx.secret_key), v = table.Get(fx.secret_value);
  EXPECT_EQ(r.flows[0].to_server.CapturedBytes(), Resp({"SET", k, v}) + Resp({"GET", k}));
  EXPECT_EQ(r.flows[0].to_client.CapturedBytes(), "+OK\r\n" + Bulk(v));
  EXPECT_EQ(r.flows[0].to_server.bytes_conflicting, 0u)
      << "the retransmission was rewritten like the original";
  EXPECT_EQ(r.flows[1].to_client.CapturedBytes(), Bulk(v))
      << "the same value gets the same placeholder on another connection";

  // Checksums: every rewritten segment that verified still verifies; the
  // offloaded one kept its bytes.
  for (size_t i = 0; i + 1 < after.records.size(); i++) {
    EXPECT_TRUE(TcpChecksumValid(after.records[i].bytes)) << "record " << i;
  }
  std::string_view last = after.records.back().bytes;
  EXPECT_EQ(static_cast<uint8_t>(last[34 + 16]), 0x12);
  EXPECT_EQ(static_cast<uint8_t>(last[34 + 17]), 0x34);
  EXPECT_EQ(stats.checksums_offloaded, 1u);
  EXPECT_EQ(stats.checksums_recomputed, stats.segments_changed - 1);
  EXPECT_EQ(stats.segments_changed, 6u);  // 2 + 1 retransmission + 1 reply + GET + reply
  EXPECT_EQ(counts.keys, 3u);
  EXPECT_EQ(counts.values, 1u);
  EXPECT_EQ(counts.reply_values, 2u);
  EXPECT_EQ(stats.unmapped_bytes + stats.conflicting_bytes + stats.gap_bytes, 0u);
}

TEST(RedactionPcap, SameSecretSameOutputOtherSecretOtherOutput) {
  Fixture fx;
  const std::string image = fx.pcap.Bytes(/*nanosecond=*/false, /*big_endian=*/true);
  auto run = [&](RedactionSecret secret) {
    PlaceholderTable table(secret);
    RedactionCounts counts;
    PcapRedactionStats stats;
    std::string out, error;
    EXPECT_TRUE(
        RedactPcapImage(image, &table, RedactMode{false, true}, {}, &out, &counts, &stats, &error));
    return out;
  };
  RedactionSecret other = Secret();
  other[0] ^= 1;
  EXPECT_EQ(run(Secret()), run(Secret()));
  EXPECT_NE(run(Secret()), run(other));
  // values mode: keys stay.
  EXPECT_NE(run(Secret()).find(fx.secret_key), std::string::npos);
  EXPECT_EQ(run(Secret()).find(fx.secret_value), std::string::npos);
}

TEST(RedactionPcap, GapsMidStreamAndForeignFramesFailClosed) {
  SockAddr client = Addr("10.0.0.1", 50000), server = Addr("10.0.0.2", 6379);
  PcapBuilder pcap(kLinkEthernet);
  TcpConversation c(&pcap, client, server, 100, 200);
  c.Handshake(kT0);
  c.ClientSends(kT0 + kMs, Resp({"SET", "a", "before-gap"}));
  c.ClientSkips(10);  // a lost segment
  c.ClientSends(kT0 + 2 * kMs, Resp({"SET", "b", "after-gap-secret"}));
  // A connection taken up mid-stream (no handshake captured).
  TcpConversation m(&pcap, Addr("10.0.0.3", 50001), server, 300, 400);
  m.ClientSends(kT0 + 3 * kMs, "ue\r\n" + Resp({"SET", "c", "mid-stream-secret"}));
  // A UDP datagram in the capture: cannot be placed in a stream.
  TcpSegmentSpec spec;
  spec.timestamp_ns = kT0;
  spec.src = client;
  spec.dst = server;
  spec.payload = "udp-secret";
  std::string udp = BuildTcpFrame(kLinkEthernet, spec);
  udp[14 + 9] = 17;  // IPv4 protocol UDP
  pcap.AddFrame(kT0 + 4 * kMs, udp);
  std::string image = pcap.Bytes();
  image += "garbage-tail-secret";  // a damaged tail

  PlaceholderTable table(Secret());
  RedactionCounts counts;
  PcapRedactionStats stats;
  std::string out, error;
  ASSERT_TRUE(
      RedactPcapImage(image, &table, RedactMode{false, true}, {}, &out, &counts, &stats, &error));
  for (const char* s :
       {"before-gap", "after-gap-secret", "mid-stream-secret", "udp-secret", "garbage-tail-secret"})
    EXPECT_EQ(out.find(s), std::string::npos) << s;
  EXPECT_GT(stats.gap_bytes, 0u);
  EXPECT_EQ(stats.mid_stream_flows, 1u);
  EXPECT_EQ(stats.non_tcp_records, 1u);
  EXPECT_EQ(stats.damaged_tail_bytes, std::string("garbage-tail-secret").size());
  EXPECT_EQ(stats.fail_closed_clients.size(), 2u);
}

TEST(RedactionPcap, RejectsWhatIsNotACapture) {
  PlaceholderTable table(Secret());
  RedactionCounts counts;
  PcapRedactionStats stats;
  std::string out, error;
  EXPECT_FALSE(RedactPcapImage("not a pcap at all", &table, RedactMode{true, true}, {}, &out,
                               &counts, &stats, &error));
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace reel::replay
