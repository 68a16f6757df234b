#include "replay/packet_decoder.h"

#include <algorithm>
#include <cstring>

namespace reel::replay {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint16_t kEtherVlan = 0x8100;     // 802.1Q
constexpr uint16_t kEtherQinQ = 0x88a8;     // 802.1ad
constexpr uint16_t kEtherQinQOld = 0x9100;  // pre-standard double tagging
constexpr uint8_t kIpProtoTcp = 6;

uint16_t Be16(std::string_view b, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(b[at]) << 8) |
                               static_cast<uint8_t>(b[at + 1]));
}
uint32_t Be32(std::string_view b, size_t at) {
  return (static_cast<uint32_t>(Be16(b, at)) << 16) | Be16(b, at + 2);
}
uint8_t U8(std::string_view b, size_t at) {
  return static_cast<uint8_t>(b[at]);
}

// A frame: captured bytes plus how long it was on the wire.
struct Frame {
  std::string_view bytes;
  size_t wire_length;  // >= bytes.size()

  // When a header needs more bytes than were captured, the frame was cut by
  // snaplen if the wire had them, and is damaged if it never did.
  DecodeStatus Short(size_t needed) const {
    return needed <= wire_length ? DecodeStatus::kTruncated : DecodeStatus::kMalformed;
  }
};

// The network-layer protocol a link header announced.
enum class Network { kIpv4, kIpv6, kFromVersion, kOther };

Network FromEthertype(uint16_t type) {
  if (type == kEtherIpv4) return Network::kIpv4;
  if (type == kEtherIpv6) return Network::kIpv6;
  return Network::kOther;
}

bool IsVlanTag(uint16_t type) {
  return type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld;
}

// BSD loopback address families: AF_INET is 2 everywhere; AF_INET6 is 10 on
// Linux, 24 on NetBSD/OpenBSD, 28 on FreeBSD, 30 on macOS.
Network FromBsdFamily(uint32_t family) {
  if (family == 2) return Network::kIpv4;
  if (family == 10 || family == 24 || family == 28 || family == 30) return Network::kIpv6;
  return Network::kOther;
}

// Skips VLAN tags after an ethertype at `*type`, advancing *offset.
DecodeStatus SkipVlanTags(const Frame& f, size_t* offset, uint16_t* type) {
  while (IsVlanTag(*type)) {
    if (f.bytes.size() < *offset + 4) return f.Short(*offset + 4);
    *type = Be16(f.bytes, *offset + 2);
    *offset += 4;
  }
  return DecodeStatus::kTcp;
}

// Finds where the network header starts. kTcp means "go on".
DecodeStatus DecodeLink(const Frame& f, uint32_t link_type, size_t* offset, Network* net) {
  const std::string_view b = f.bytes;
  uint16_t type = 0;
  switch (link_type) {
    case kLinkEthernet:
      if (b.size() < 14) return f.Short(14);
      type = Be16(b, 12);
      *offset = 14;
      break;
    case kLinkLinuxSll:
      // packet type, ARPHRD type, address length, 8 address bytes, protocol.
      if (b.size() < 16) return f.Short(16);
      type = Be16(b, 14);
      *offset = 16;
      break;
    case kLinkLinuxSll2:
      // protocol, reserved, interface index, ARPHRD type, packet type,
      // address length, 8 address bytes.
      if (b.size() < 20) return f.Short(20);
      type = Be16(b, 0);
      *offset = 20;
      break;
    case kLinkNull: {
      if (b.size() < 4) return f.Short(4);
      // Host byte order of the machine that captured: a value that only
      // makes sense swapped was written big-endian.
      uint32_t family;
      std::memcpy(&family, b.data(), 4);
      if (family > 0xffff) family = __builtin_bswap32(family);
      *offset = 4;
      *net = FromBsdFamily(family);
      return DecodeStatus::kTcp;
    }
    case kLinkLoop:
      if (b.size() < 4) return f.Short(4);
      *offset = 4;
      *net = FromBsdFamily(Be32(b, 0));
      return DecodeStatus::kTcp;
    case kLinkRaw:
      *offset = 0;
      *net = Network::kFromVersion;
      return DecodeStatus::kTcp;
    case kLinkIpv4:
      *offset = 0;
      *net = Network::kIpv4;
      return DecodeStatus::kTcp;
    case kLinkIpv6:
      *offset = 0;
      *net = Network::kIpv6;
      return DecodeStatus::kTcp;
    default: return DecodeStatus::kUnsupportedLink;
  }
  DecodeStatus s = SkipVlanTags(f, offset, &type);
  if (s != DecodeStatus::kTcp) return s;
  *net = FromEthertype(type);
  return DecodeStatus::kTcp;
}

// Where the TCP header starts and where the IP payload ends (both frame
// offsets; the end may lie beyond the captured bytes).
struct Transport {
  size_t begin = 0;
  size_t end = 0;
};

void SetAddress(SockAddr* a, int family, std::string_view b, size_t at, size_t len) {
  a->family = family;
  a->addr.fill(0);
  std::memcpy(a->addr.data(), b.data() + at, len);
}

DecodeStatus DecodeIpv4(const Frame& f, size_t off, TcpPacket* out, Transport* t) {
  const std::string_view b = f.bytes;
  if (b.size() < off + 20) return f.Short(off + 20);
  if ((U8(b, off) >> 4) != 4) return DecodeStatus::kMalformed;
  size_t header_len = static_cast<size_t>(U8(b, off) & 0x0f) * 4;
  if (header_len < 20) return DecodeStatus::kMalformed;
  if (b.size() < off + header_len) return f.Short(off + header_len);
  size_t total_len = Be16(b, off + 2);
  size_t wire_left = f.wire_length - off;
  // Total length 0 is what segmentation offload leaves in oversized packets
  // captured before the NIC split them: the frame length is the truth then.
  if (total_len == 0) total_len = wire_left;
  if (total_len < header_len) return DecodeStatus::kMalformed;
  uint16_t frag = Be16(b, off + 6);
  if ((frag & 0x2000) != 0 || (frag & 0x1fff) != 0) return DecodeStatus::kFragment;
  if (U8(b, off + 9) != kIpProtoTcp) return DecodeStatus::kNotTcp;
  SetAddress(&out->src, kAfInet, b, off + 12, 4);
  SetAddress(&out->dst, kAfInet, b, off + 16, 4);
  t->begin = off + header_len;
  t->end = off + std::min(total_len, wire_left);  // Ethernet padding lies past total_len
  return DecodeStatus::kTcp;
}

DecodeStatus DecodeIpv6(const Frame& f, size_t off, TcpPacket* out, Transport* t) {
  const std::string_view b = f.bytes;
  if (b.size() < off + 40) return f.Short(off + 40);
  if ((U8(b, off) >> 4) != 6) return DecodeStatus::kMalformed;
  size_t payload_len = Be16(b, off + 4);
  size_t wire_left = f.wire_length - off;
  // Payload length 0: a jumbogram or an offloaded super-packet (see IPv4).
  size_t end = payload_len == 0 ? f.wire_length : off + std::min(40 + payload_len, wire_left);
  uint8_t next = U8(b, off + 6);
  SetAddress(&out->src, kAfInet6, b, off + 8, 16);
  SetAddress(&out->dst, kAfInet6, b, off + 24, 16);
  size_t at = off + 40;
  // Each extension header is at least 8 bytes long, so the walk ends.
  while (next != kIpProtoTcp) {
    size_t len;
    switch (next) {
      case 0:    // hop-by-hop options
      case 43:   // routing
      case 60:   // destination options
      case 135:  // mobility
      case 139:  // host identity protocol
      case 140:  // shim6
      case 253:  // experimental
      case 254:
        if (b.size() < at + 2) return f.Short(at + 2);
        len = (static_cast<size_t>(U8(b, at + 1)) + 1) * 8;
        break;
      case 44: {  // fragment
        if (b.size() < at + 8) return f.Short(at + 8);
        uint16_t offset_and_more = Be16(b, at + 2);
        // An "atomic" fragment (offset 0, no more) is a whole packet.
        if ((offset_and_more & 0xfff9) != 0) return DecodeStatus::kFragment;
        len = 8;
        break;
      }
      case 51:  // authentication header: length in 4-byte units, minus 2
        if (b.size() < at + 2) return f.Short(at + 2);
        len = (static_cast<size_t>(U8(b, at + 1)) + 2) * 4;
        break;
      default:  // no next header (59), ESP (50), or another protocol
        return DecodeStatus::kNotTcp;
    }
    next = U8(b, at);
    at += len;
    if (at > end) return DecodeStatus::kMalformed;
  }
  t->begin = at;
  t->end = end;
  return DecodeStatus::kTcp;
}

void DecodeTcpOptions(std::string_view opts, TcpPacket* out) {
  size_t i = 0;
  while (i < opts.size()) {
    uint8_t kind = U8(opts, i);
    if (kind == 0) return;  // end of option list
    if (kind == 1) {        // no-operation
      i++;
      continue;
    }
    if (i + 2 > opts.size()) return;
    size_t len = U8(opts, i + 1);
    if (len < 2 || i + len > opts.size()) return;  // damaged: ignore the rest
    if (kind == 2 && len == 4) {
      out->mss = Be16(opts, i + 2);
    } else if (kind == 3 && len == 3) {
      out->window_scale = U8(opts, i + 2);
    } else if (kind == 4 && len == 2) {
      out->sack_permitted = true;
    } else if (kind == 5 && len >= 10 && (len - 2) % 8 == 0) {
      out->sack_blocks = static_cast<uint8_t>((len - 2) / 8);
    } else if (kind == 8 && len == 10) {
      out->has_timestamps = true;
      out->ts_val = Be32(opts, i + 2);
      out->ts_ecr = Be32(opts, i + 6);
    }
    i += len;
  }
}

DecodeStatus DecodeTcp(const Frame& f, const Transport& t, TcpPacket* out) {
  const std::string_view b = f.bytes;
  if (t.end < t.begin + 20) return DecodeStatus::kMalformed;
  if (b.size() < t.begin + 20) return f.Short(t.begin + 20);
  out->src.port = Be16(b, t.begin);
  out->dst.port = Be16(b, t.begin + 2);
  out->seq = Be32(b, t.begin + 4);
  out->ack = Be32(b, t.begin + 8);
  size_t header_len = static_cast<size_t>(U8(b, t.begin + 12) >> 4) * 4;
  out->flags = U8(b, t.begin + 13);
  out->window = Be16(b, t.begin + 14);
  if (header_len < 20 || t.begin + header_len > t.end) return DecodeStatus::kMalformed;
  size_t data = t.begin + header_len;
  out->payload_length = static_cast<uint32_t>(t.end - data);
  if (b.size() < data) {
    // The sequence numbers and flags are still good; the payload is lost.
    out->options_truncated = true;
    out->payload = {};
    return DecodeStatus::kTcp;
  }
  DecodeTcpOptions(b.substr(t.begin + 20, header_len - 20), out);
  out->payload = b.substr(data, std::min(t.end, b.size()) - data);
  return DecodeStatus::kTcp;
}

}  // namespace

const char* DecodeStatusName(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::kTcp: return "tcp";
    case DecodeStatus::kNotTcp: return "not-tcp";
    case DecodeStatus::kFragment: return "fragment";
    case DecodeStatus::kTruncated: return "truncated";
    case DecodeStatus::kMalformed: return "malformed";
    case DecodeStatus::kUnsupportedLink: return "unsupported-link";
  }
  return "?";
}

DecodeStatus DecodePacket(const PcapRecord& record, TcpPacket* out) {
  *out = TcpPacket{};
  out->timestamp_ns = record.timestamp_ns;
  Frame f{record.bytes, std::max<size_t>(record.original_length, record.bytes.size())};
  size_t offset = 0;
  Network net = Network::kOther;
  DecodeStatus s = DecodeLink(f, record.link_type, &offset, &net);
  if (s != DecodeStatus::kTcp) return s;
  if (net == Network::kFromVersion) {
    if (f.bytes.size() < offset + 1) return f.Short(offset + 1);
    uint8_t version = U8(f.bytes, offset) >> 4;
    net = version == 4 ? Network::kIpv4 : version == 6 ? Network::kIpv6 : Network::kOther;
  }
  Transport t;
  if (net == Network::kIpv4) {
    s = DecodeIpv4(f, offset, out, &t);
  } else if (net == Network::kIpv6) {
    s = DecodeIpv6(f, offset, out, &t);
  } else {
    return DecodeStatus::kNotTcp;
  }
  if (s != DecodeStatus::kTcp) return s;
  return DecodeTcp(f, t, out);
}

void DecodeCounts::Add(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::kTcp: tcp++; break;
    case DecodeStatus::kNotTcp: not_tcp++; break;
    case DecodeStatus::kFragment: fragments++; break;
    case DecodeStatus::kTruncated: truncated++; break;
    case DecodeStatus::kMalformed: malformed++; break;
    case DecodeStatus::kUnsupportedLink: unsupported_link++; break;
  }
}

}  // namespace reel::replay
