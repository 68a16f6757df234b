// Decoding one captured frame down to its TCP segment: the link layer
// (Ethernet with 802.1Q/802.1ad tags, Linux cooked SLL and SLL2, BSD
// loopback/null and LOOP, raw IP), IPv4 (options skipped; fragments are not
// reassembled but reported) and IPv6 (extension headers walked), then the TCP
// header with its options.
//
// Checksums are not verified: captures taken on the sending host carry
// checksums the NIC (or nobody, on loopback) fills in later.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/sock_addr.h"
#include "replay/pcap_file.h"

namespace reel::replay {

// TCP header flag bits, as on the wire.
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;
inline constexpr uint8_t kTcpUrg = 0x20;

// A decoded TCP segment. `payload` views the record's bytes.
struct TcpPacket {
  int64_t timestamp_ns = 0;
  SockAddr src;  // family, address and port of the sender
  SockAddr dst;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;  // unscaled, as in the header
  // Options (only the ones a reader of the trace cares about).
  uint16_t mss = 0;       // 0 = absent
  int window_scale = -1;  // -1 = absent
  bool sack_permitted = false;
  uint8_t sack_blocks = 0;  // number of SACK blocks carried
  bool has_timestamps = false;
  uint32_t ts_val = 0;
  uint32_t ts_ecr = 0;
  bool options_truncated = false;  // snaplen cut the TCP options; payload is all missing
  // Payload: `payload_length` bytes were sent (from the IP length); the first
  // payload.size() of them were captured. Fewer captured means snaplen
  // truncation: the rest is unknown, not zero.
  uint32_t payload_length = 0;
  std::string_view payload;

  bool syn() const { return flags & kTcpSyn; }
  bool fin() const { return flags & kTcpFin; }
  bool rst() const { return flags & kTcpRst; }
  bool has_ack() const { return flags & kTcpAck; }
};

enum class DecodeStatus {
  kTcp,              // *out holds the segment
  kNotTcp,           // a well-formed frame of another protocol (ARP, UDP, ICMP, ...)
  kFragment,         // an IPv4 or IPv6 fragment: not reassembled, counted
  kTruncated,        // snaplen cut the frame before the end of the TCP base header
  kMalformed,        // header fields contradict themselves or the frame
  kUnsupportedLink,  // a link type this decoder does not know
};

const char* DecodeStatusName(DecodeStatus s);

// Decodes one record. On kTcp fills *out; on anything else *out is unspecified.
DecodeStatus DecodePacket(const PcapRecord& record, TcpPacket* out);

// Tallies of decode outcomes, for reports.
struct DecodeCounts {
  uint64_t tcp = 0;
  uint64_t not_tcp = 0;
  uint64_t fragments = 0;
  uint64_t truncated = 0;
  uint64_t malformed = 0;
  uint64_t unsupported_link = 0;

  void Add(DecodeStatus s);
  uint64_t total() const {
    return tcp + not_tcp + fragments + truncated + malformed + unsupported_link;
  }
};

}  // namespace reel::replay
