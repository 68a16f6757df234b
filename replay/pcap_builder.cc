#include "replay/pcap_builder.h"

#include <algorithm>

namespace reel::replay {
namespace {

void Put16(std::string* s, uint16_t v) {
  s->push_back(static_cast<char>(v >> 8));
  s->push_back(static_cast<char>(v & 0xff));
}
void Put32(std::string* s, uint32_t v) {
  Put16(s, static_cast<uint16_t>(v >> 16));
  Put16(s, static_cast<uint16_t>(v & 0xffff));
}
void Set16(std::string* s, size_t at, uint16_t v) {
  (*s)[at] = static_cast<char>(v >> 8);
  (*s)[at + 1] = static_cast<char>(v & 0xff);
}
// Writes a 32-bit value in the file's byte order.
void PutFile32(std::string* s, uint32_t v, bool big_endian) {
  if (big_endian) {
    Put32(s, v);
  } else {
    for (int i = 0; i < 4; i++) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
}
void PutFile16(std::string* s, uint16_t v, bool big_endian) {
  if (big_endian) {
    Put16(s, v);
  } else {
    s->push_back(static_cast<char>(v & 0xff));
    s->push_back(static_cast<char>(v >> 8));
  }
}

// The Internet checksum (RFC 1071) over `data`, continuing from `sum`.
uint32_t SumWords(std::string_view data, uint32_t sum) {
  for (size_t i = 0; i + 1 < data.size(); i += 2)
    sum += (static_cast<uint8_t>(data[i]) << 8) | static_cast<uint8_t>(data[i + 1]);
  if (data.size() % 2) sum += static_cast<uint8_t>(data.back()) << 8;
  return sum;
}
uint16_t Fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

std::string Padded(std::string bytes, char pad) {
  while (bytes.size() % 4) bytes.push_back(pad);
  return bytes;
}

std::string TcpHeaderAndPayload(const TcpSegmentSpec& s) {
  std::string opts = Padded(s.tcp_options, 1);
  std::string t;
  Put16(&t, s.src.port);
  Put16(&t, s.dst.port);
  Put32(&t, s.seq);
  Put32(&t, s.ack);
  t.push_back(static_cast<char>(((20 + opts.size()) / 4) << 4));
  t.push_back(static_cast<char>(s.flags));
  Put16(&t, s.window);
  Put16(&t, 0);  // checksum, filled by the caller
  Put16(&t, 0);  // urgent pointer
  t += opts;
  t += s.payload;
  return t;
}

std::string Ipv4Packet(const TcpSegmentSpec& s) {
  std::string tcp = TcpHeaderAndPayload(s);
  std::string pseudo(s.src.addr.begin(), s.src.addr.begin() + 4);
  pseudo.append(s.dst.addr.begin(), s.dst.addr.begin() + 4);
  Put16(&pseudo, 6);
  Put16(&pseudo, static_cast<uint16_t>(tcp.size()));
  Set16(&tcp, 16, Fold(SumWords(tcp, SumWords(pseudo, 0))));

  std::string opts = Padded(s.ipv4_options, 0);
  std::string ip;
  ip.push_back(static_cast<char>(0x40 | ((20 + opts.size()) / 4)));
  ip.push_back(0);  // DSCP/ECN
  Put16(&ip, static_cast<uint16_t>(20 + opts.size() + tcp.size()));
  Put16(&ip, 0x1234);                        // identification
  Put16(&ip, s.fragment ? 0x2000 : 0x4000);  // MF, or DF
  ip.push_back(64);                          // TTL
  ip.push_back(6);                           // TCP
  Put16(&ip, 0);                             // checksum
  ip.append(s.src.addr.begin(), s.src.addr.begin() + 4);
  ip.append(s.dst.addr.begin(), s.dst.addr.begin() + 4);
  ip += opts;
  Set16(&ip, 10, Fold(SumWords(ip, 0)));
  return ip + tcp;
}

std::string Ipv6Packet(const TcpSegmentSpec& s) {
  std::string tcp = TcpHeaderAndPayload(s);
  std::string pseudo(s.src.addr.begin(), s.src.addr.end());
  pseudo.append(s.dst.addr.begin(), s.dst.addr.end());
  Put32(&pseudo, static_cast<uint32_t>(tcp.size()));
  Put32(&pseudo, 6);
  Set16(&tcp, 16, Fold(SumWords(tcp, SumWords(pseudo, 0))));

  std::string ext;
  uint8_t first = 6;
  if (s.ipv6_hop_by_hop) {
    // Next header, length 0 (8 bytes), one PadN option filling the rest.
    uint8_t next = s.fragment ? 44 : 6;
    ext += std::string{static_cast<char>(next), 0, 1, 4, 0, 0, 0, 0};
    first = 0;
  }
  if (s.fragment) {
    // First fragment, more to come.
    ext += std::string{6, 0, 0, 1, 0, 0, 0, 42};
    if (!s.ipv6_hop_by_hop) first = 44;
  }
  std::string ip;
  Put32(&ip, 0x60000000);
  Put16(&ip, static_cast<uint16_t>(ext.size() + tcp.size()));
  ip.push_back(static_cast<char>(first));
  ip.push_back(64);  // hop limit
  ip.append(s.src.addr.begin(), s.src.addr.end());
  ip.append(s.dst.addr.begin(), s.dst.addr.end());
  return ip + ext + tcp;
}

}  // namespace

std::string BuildTcpFrame(uint32_t link_type, const TcpSegmentSpec& s,
                          const std::vector<uint16_t>& vlan_ids) {
  bool v6 = s.src.family == kAfInet6;
  std::string ip = v6 ? Ipv6Packet(s) : Ipv4Packet(s);
  uint16_t ethertype = v6 ? 0x86dd : 0x0800;
  std::string f;
  switch (link_type) {
    case kLinkEthernet:
      f = std::string("\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
      for (uint16_t id : vlan_ids) {
        Put16(&f, 0x8100);
        Put16(&f, id & 0x0fff);
      }
      Put16(&f, ethertype);
      break;
    case kLinkLinuxSll:
      Put16(&f, 0);    // packet type: to us
      Put16(&f, 772);  // ARPHRD_LOOPBACK
      Put16(&f, 6);    // address length
      f.append(8, '\0');
      Put16(&f, ethertype);
      break;
    case kLinkLinuxSll2:
      Put16(&f, ethertype);
      Put16(&f, 0);    // reserved
      Put32(&f, 1);    // interface index
      Put16(&f, 772);  // ARPHRD_LOOPBACK
      f.push_back(0);  // packet type
      f.push_back(6);  // address length
      f.append(8, '\0');
      break;
    case kLinkNull: {
      // Host byte order of the capturing machine; this one is little-endian.
      uint32_t family = v6 ? 30 : 2;
      for (int i = 0; i < 4; i++) f.push_back(static_cast<char>((family >> (8 * i)) & 0xff));
      break;
    }
    case kLinkLoop: Put32(&f, v6 ? 24 : 2); break;
    default:  // raw IP
      break;
  }
  return f + ip;
}

void PcapBuilder::AddFrame(int64_t timestamp_ns, std::string frame) {
  frames_.push_back(Frame{timestamp_ns, std::move(frame), snaplen_});
}

std::string PcapBuilder::Bytes(bool nanosecond, bool big_endian) const {
  std::string out;
  PutFile32(&out, nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, big_endian);
  PutFile16(&out, 2, big_endian);
  PutFile16(&out, 4, big_endian);
  PutFile32(&out, 0, big_endian);  // thiszone
  PutFile32(&out, 0, big_endian);  // sigfigs
  PutFile32(&out, snaplen_ ? snaplen_ : 262144, big_endian);
  PutFile32(&out, link_type_, big_endian);
  for (const Frame& f : frames_) {
    size_t caplen = f.snaplen ? std::min<size_t>(f.snaplen, f.bytes.size()) : f.bytes.size();
    int64_t sec = f.timestamp_ns / 1000000000;
    int64_t frac = f.timestamp_ns % 1000000000;
    if (!nanosecond) frac /= 1000;
    PutFile32(&out, static_cast<uint32_t>(sec), big_endian);
    PutFile32(&out, static_cast<uint32_t>(frac), big_endian);
    PutFile32(&out, static_cast<uint32_t>(caplen), big_endian);
    PutFile32(&out, static_cast<uint32_t>(f.bytes.size()), big_endian);
    out.append(f.bytes, 0, caplen);
  }
  return out;
}

std::string PcapBuilder::BytesNg() const {
  std::string out;
  auto block = [&out](uint32_t type, const std::string& body) {
    std::string padded = Padded(body, 0);
    uint32_t total = static_cast<uint32_t>(12 + padded.size());
    PutFile32(&out, type, false);
    PutFile32(&out, total, false);
    out += padded;
    PutFile32(&out, total, false);
  };
  std::string shb;
  PutFile32(&shb, 0x1a2b3c4d, false);
  PutFile16(&shb, 1, false);
  PutFile16(&shb, 0, false);
  PutFile32(&shb, 0xffffffff, false);  // section length unknown
  PutFile32(&shb, 0xffffffff, false);
  block(0x0a0d0d0a, shb);
  std::string idb;
  PutFile16(&idb, static_cast<uint16_t>(link_type_), false);
  PutFile16(&idb, 0, false);
  PutFile32(&idb, snaplen_ ? snaplen_ : 262144, false);
  PutFile16(&idb, 9, false);  // if_tsresol: 10^-9
  PutFile16(&idb, 1, false);
  idb += std::string("\x09\0\0\0", 4);
  PutFile32(&idb, 0, false);  // opt_endofopt
  block(1, idb);
  for (const Frame& f : frames_) {
    size_t caplen = f.snaplen ? std::min<size_t>(f.snaplen, f.bytes.size()) : f.bytes.size();
    uint64_t ticks = static_cast<uint64_t>(f.timestamp_ns);
    std::string epb;
    PutFile32(&epb, 0, false);  // interface 0
    PutFile32(&epb, static_cast<uint32_t>(ticks >> 32), false);
    PutFile32(&epb, static_cast<uint32_t>(ticks & 0xffffffff), false);
    PutFile32(&epb, static_cast<uint32_t>(caplen), false);
    PutFile32(&epb, static_cast<uint32_t>(f.bytes.size()), false);
    epb.append(f.bytes, 0, caplen);
    block(6, epb);
  }
  return out;
}

void TcpConversation::Syn(int64_t ts) {
  TcpSegmentSpec s;
  s.timestamp_ns = ts;
  s.src = client_;
  s.dst = server_;
  s.seq = client_isn_;
  s.flags = kTcpSyn;
  s.tcp_options = std::string("\x02\x04\xff\xd7\x04\x02\x01\x03\x03\x07", 10);  // MSS, SACK, WS
  out_->AddTcp(s);
}

void TcpConversation::SynAck(int64_t ts) {
  TcpSegmentSpec s;
  s.timestamp_ns = ts;
  s.src = server_;
  s.dst = client_;
  s.seq = server_isn_;
  s.ack = client_isn_ + 1;
  s.flags = kTcpSyn | kTcpAck;
  s.tcp_options = std::string("\x02\x04\xff\xd7\x04\x02\x01\x03\x03\x07", 10);
  out_->AddTcp(s);
}

void TcpConversation::HandshakeAck(int64_t ts) {
  Segment(true, ts, 0, "", kTcpAck);
}

void TcpConversation::Send(bool from_client, int64_t ts, const std::string& data) {
  Segment(from_client, ts, from_client ? client_next_ : server_next_, data, kTcpAck | kTcpPsh);
}

void TcpConversation::Segment(bool from_client, int64_t ts, uint64_t offset,
                              const std::string& data, uint8_t flags) {
  TcpSegmentSpec s;
  s.timestamp_ns = ts;
  s.src = from_client ? client_ : server_;
  s.dst = from_client ? server_ : client_;
  s.seq = from_client ? ClientSeq(offset) : ServerSeq(offset);
  // Acknowledge everything the other side sent, its FIN included.
  s.ack = from_client ? ServerSeq(server_next_) + (server_fin_ ? 1 : 0)
                      : ClientSeq(client_next_) + (client_fin_ ? 1 : 0);
  s.flags = flags;
  s.payload = data;
  out_->AddTcp(s);
  uint64_t& next = from_client ? client_next_ : server_next_;
  next = std::max<uint64_t>(next, offset + data.size());
}

void TcpConversation::Fin(bool from_client, int64_t ts) {
  Segment(from_client, ts, from_client ? client_next_ : server_next_, "", kTcpFin | kTcpAck);
  (from_client ? client_fin_ : server_fin_) = true;
}

void TcpConversation::Rst(bool from_client, int64_t ts) {
  Segment(from_client, ts, from_client ? client_next_ : server_next_, "", kTcpRst | kTcpAck);
}

}  // namespace reel::replay
