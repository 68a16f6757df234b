// Writing pcap and pcapng images in memory from hand-made TCP segments, for
// tests, fuzz seeds and synthetic traces. Frames carry correct IPv4 and TCP
// checksums so tcpdump and tshark read the output as real traffic.
//
//   PcapBuilder pcap(kLinkEthernet);
//   TcpConversation c(&pcap, client, server, /*client_isn=*/1000, /*server_isn=*/5000);
//   c.Handshake(1'000'000);
//   c.ClientSends(2'000'000, "*1\r\n$4\r\nPING\r\n");
//   c.ServerSends(3'000'000, "+PONG\r\n");
//   std::string image = pcap.Bytes();
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/sock_addr.h"
#include "replay/packet_decoder.h"
#include "replay/pcap_file.h"

namespace reel::replay {

// One TCP segment to put on the wire.
struct TcpSegmentSpec {
  int64_t timestamp_ns = 0;
  SockAddr src;
  SockAddr dst;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = kTcpAck;
  uint16_t window = 65535;
  std::string payload;
  std::string tcp_options;       // raw option bytes; padded with NOPs to 4
  std::string ipv4_options;      // raw option bytes; padded with EOLs to 4
  bool ipv6_hop_by_hop = false;  // put an (empty) hop-by-hop header before TCP
  bool fragment = false;         // mark it as the first fragment of a larger datagram
};

// Encodes a segment as a frame of `link_type` (Ethernet may carry VLAN tags).
std::string BuildTcpFrame(uint32_t link_type, const TcpSegmentSpec& s,
                          const std::vector<uint16_t>& vlan_ids = {});

class PcapBuilder {
 public:
  explicit PcapBuilder(uint32_t link_type = kLinkEthernet) : link_type_(link_type) {}

  // Each record keeps at most this many bytes of its frame (0 = no limit).
  void set_snaplen(uint32_t snaplen) { snaplen_ = snaplen; }
  // Ethernet only: 802.1Q tags put on every frame from now on.
  void set_vlan_ids(std::vector<uint16_t> ids) { vlan_ids_ = std::move(ids); }
  uint32_t link_type() const { return link_type_; }

  void AddTcp(const TcpSegmentSpec& s) {
    AddFrame(s.timestamp_ns, BuildTcpFrame(link_type_, s, vlan_ids_));
  }
  // A raw frame; captured up to the snaplen.
  void AddFrame(int64_t timestamp_ns, std::string frame);

  // Classic pcap. `nanosecond` picks the magic; `big_endian` writes the file
  // as a big-endian machine would.
  std::string Bytes(bool nanosecond = true, bool big_endian = false) const;
  // pcapng: one section, one interface (nanosecond resolution), enhanced
  // packet blocks.
  std::string BytesNg() const;
  size_t size() const { return frames_.size(); }

 private:
  struct Frame {
    int64_t timestamp_ns;
    std::string bytes;  // whole frame; cut to snaplen_ when written
    uint32_t snaplen;
  };
  uint32_t link_type_;
  uint32_t snaplen_ = 0;
  std::vector<uint16_t> vlan_ids_;
  std::vector<Frame> frames_;
};

// Keeps sequence numbers for one connection so tests read like a story.
// Offsets are stream offsets (0 = first byte after the SYN).
class TcpConversation {
 public:
  TcpConversation(PcapBuilder* out, SockAddr client, SockAddr server, uint32_t client_isn,
                  uint32_t server_isn)
      : out_(out),
        client_(client),
        server_(server),
        client_isn_(client_isn),
        server_isn_(server_isn) {}

  void Syn(int64_t ts);
  void SynAck(int64_t ts);
  void HandshakeAck(int64_t ts);
  void Handshake(int64_t ts) {  // SYN, SYN-ACK 10 µs later, ACK 10 µs after that
    Syn(ts);
    SynAck(ts + 10000);
    HandshakeAck(ts + 20000);
  }
  // Data at the next offset of that side, acking all the other side sent.
  void ClientSends(int64_t ts, const std::string& data) { Send(true, ts, data); }
  void ServerSends(int64_t ts, const std::string& data) { Send(false, ts, data); }
  // A segment at an explicit offset (retransmissions, overlaps, reordering);
  // does not move the next offset unless it goes past it.
  void ClientSegment(int64_t ts, uint64_t offset, const std::string& data,
                     uint8_t flags = kTcpAck | kTcpPsh) {
    Segment(true, ts, offset, data, flags);
  }
  void ServerSegment(int64_t ts, uint64_t offset, const std::string& data,
                     uint8_t flags = kTcpAck | kTcpPsh) {
    Segment(false, ts, offset, data, flags);
  }
  // Skips `n` bytes of a side without putting them on the wire (lost packet).
  void ClientSkips(uint64_t n) { client_next_ += n; }
  void ServerSkips(uint64_t n) { server_next_ += n; }
  void ClientFin(int64_t ts) { Fin(true, ts); }
  void ServerFin(int64_t ts) { Fin(false, ts); }
  void ClientRst(int64_t ts) { Rst(true, ts); }
  void ServerRst(int64_t ts) { Rst(false, ts); }
  // A pure ACK from one side of everything the other side sent so far.
  void ClientAck(int64_t ts) { Segment(true, ts, client_next_, "", kTcpAck); }
  void ServerAck(int64_t ts) { Segment(false, ts, server_next_, "", kTcpAck); }

  uint64_t client_next() const { return client_next_; }
  uint64_t server_next() const { return server_next_; }
  // Sequence number of a stream offset.
  uint32_t ClientSeq(uint64_t offset) const {
    return client_isn_ + 1 + static_cast<uint32_t>(offset);
  }
  uint32_t ServerSeq(uint64_t offset) const {
    return server_isn_ + 1 + static_cast<uint32_t>(offset);
  }

 private:
  void Send(bool from_client, int64_t ts, const std::string& data);
  void Segment(bool from_client, int64_t ts, uint64_t offset, const std::string& data,
               uint8_t flags);
  void Fin(bool from_client, int64_t ts);
  void Rst(bool from_client, int64_t ts);

  PcapBuilder* out_;
  SockAddr client_, server_;
  uint32_t client_isn_, server_isn_;
  uint64_t client_next_ = 0, server_next_ = 0;
  bool client_fin_ = false, server_fin_ = false;
};

}  // namespace reel::replay
