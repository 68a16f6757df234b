// TCP reassembly: from captured packets to the two byte streams of each
// connection, with the time every byte arrived and an honest list of the bytes
// the capture does not hold.
//
//   Reassembler r;
//   for (const PcapRecord& rec : file.records()) r.Feed(rec);
//   ReassemblyResult result = r.Finish();
//   for (const TcpFlow& flow : result.flows) {
//     flow.to_server.chunks  // {offset, timestamp_ns, readable_ns, bytes} in stream order
//     flow.to_server.gaps    // {offset, length, reason} the capture lacks
//     flow.to_server.Bytes(0, 14)  // "*1\r\n$4\r\nPING\r\n" if no gap touches it
//   }
//
// Model (docs/reassembly.md has the details):
// - A flow is a 4-tuple; flows get ids 0, 1, 2, ... in order of their first
//   packet. A SYN that cannot belong to the current flow of its 4-tuple (a new
//   ISN) starts a new flow, so port reuse gives two flows.
// - The client is the SYN sender (or the SYN-ACK receiver). Without a
//   handshake the flow is taken up mid-stream: the endpoint on a configured
//   server port, else the one on the lower port, is the server.
// - Stream offset 0 is the first byte after the SYN. Mid-stream, it is the
//   first byte the capture shows for that direction (the peer's ACK if that
//   came first); `start_seq` gives its sequence number.
// - The first captured copy of a byte wins; retransmitted and overlapping
//   bytes are trimmed (and counted, and compared). Out-of-order bytes are
//   held until the hole before them fills.
// - Holes that never fill become gaps, never filled-in bytes: between
//   captured segments, after a snaplen-cut segment, up to a FIN, or up to what
//   the peer acknowledged.
// - Packets are taken in file order. Nothing here reads a clock, allocates
//   per byte, or depends on hash order: the same capture gives the same result.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/sock_addr.h"
#include "replay/packet_decoder.h"
#include "replay/pcap_file.h"

namespace reel::replay {

// Bytes of one packet, placed in the stream.
struct StreamChunk {
  uint64_t offset = 0;
  // When the packet that carried these bytes was captured (the first copy,
  // if the bytes were sent more than once).
  int64_t timestamp_ns = 0;
  // When these bytes became readable in order: the latest timestamp_ns of
  // this chunk and every chunk before it (an out-of-order chunk waits for the
  // hole before it to fill). Across a gap the count goes on over the bytes
  // captured: the receiver had the missing ones, at a time we cannot know.
  int64_t readable_ns = 0;
  std::string bytes;

  uint64_t end() const { return offset + bytes.size(); }
};

enum class GapReason {
  kNotCaptured,  // later bytes (or a FIN) were captured, these never were
  kSnaplen,      // the packet was captured but cut short by the snapshot length
  kAcked,        // the peer acknowledged them; the capture never saw them
};

const char* GapReasonName(GapReason r);

struct StreamGap {
  uint64_t offset = 0;
  uint64_t length = 0;
  GapReason reason = GapReason::kNotCaptured;
  // When the capture first showed bytes beyond the gap: the time of the chunk
  // after it, or for a gap at the end, of the packet that revealed the end.
  int64_t noticed_ns = 0;

  uint64_t end() const { return offset + length; }
};

// One direction of a connection.
struct StreamDirection {
  bool isn_seen = false;  // its SYN (or SYN-ACK) was captured
  uint32_t isn = 0;
  bool start_known = false;  // any packet fixed offset 0 (false: nothing was seen)
  uint32_t start_seq = 0;    // sequence number of stream offset 0

  std::vector<StreamChunk> chunks;  // stream order, never overlapping
  std::vector<StreamGap> gaps;      // stream order, between and after the chunks
  uint64_t end_offset = 0;          // one past the last byte known to exist

  std::optional<int64_t> fin_ns;  // first FIN
  uint64_t fin_offset = 0;        // stream length the FIN declared
  std::optional<int64_t> rst_ns;  // first RST
  // The peer acknowledged one sequence number past the data with no FIN
  // captured: most likely a FIN the capture missed (not reported as a gap).
  bool unseen_fin_acked = false;

  // Counters.
  uint64_t packets = 0;
  uint64_t bytes_captured = 0;         // distinct payload bytes in `chunks`
  uint64_t bytes_retransmitted = 0;    // payload bytes already held (trimmed)
  uint64_t bytes_conflicting = 0;      // of those, bytes that differed from the first copy
  uint64_t bytes_before_start = 0;     // mid-stream: bytes before offset 0 (dropped)
  uint64_t bytes_after_fin = 0;        // bytes past the FIN (dropped)
  uint64_t out_of_order_segments = 0;  // segments that arrived ahead of a hole

  // The bytes [offset, offset + length) if all were captured, else nullopt.
  std::optional<std::string> Bytes(uint64_t offset, uint64_t length) const;
  // Whether every byte of [offset, offset + length) was captured. Unlike
  // ContiguousEnd it stops at offset + length: replay asks this per read and
  // write, and a long connection has thousands of chunks after the offset.
  bool Holds(uint64_t offset, uint64_t length) const;
  // The same bytes copied to out / compared with data, without building a
  // string. CopyTo: false (nothing copied) when they are not all captured;
  // Matches: false when they are not, or when they differ from data.
  bool CopyTo(uint64_t offset, uint64_t length, char* out) const;
  bool Matches(uint64_t offset, uint64_t length, const char* data) const;
  // The end of the gap-free run of bytes that starts at `offset` (== offset
  // when the byte at `offset` is missing).
  uint64_t ContiguousEnd(uint64_t offset) const;
  // Every captured byte in stream order, gaps left out (tests, debugging).
  std::string CapturedBytes() const;
  bool complete() const { return gaps.empty(); }

 private:
  // The chunk holding `offset`, or chunks.end().
  std::vector<StreamChunk>::const_iterator ChunkAt(uint64_t offset) const;
  // Calls fn(chunk bytes piece) for each piece of a range Holds() accepted.
  template <typename Fn>
  bool EachPiece(uint64_t offset, uint64_t length, Fn fn) const;
};

// How the client end of a flow was decided.
enum class Orientation {
  kSyn,         // it sent the SYN
  kSynAck,      // it received the SYN-ACK (SYN not captured)
  kServerPort,  // the other end is on a configured server port
  kLowerPort,   // the other end has the lower port (ties: the first sender is the client)
};

struct TcpFlow {
  uint32_t id = 0;
  SockAddr client;
  SockAddr server;
  Orientation orientation = Orientation::kSyn;
  // Neither SYN nor SYN-ACK was captured: the connection began before the
  // capture and was taken up mid-stream (see StreamDirection::start_seq).
  bool mid_stream = false;

  std::optional<int64_t> syn_ns;          // first SYN from the client
  std::optional<int64_t> syn_ack_ns;      // first SYN-ACK from the server
  std::optional<int64_t> established_ns;  // the client's ACK completing the handshake
  int64_t first_ns = 0;                   // first and last packet of the flow
  int64_t last_ns = 0;
  uint32_t syn_retransmits = 0;  // SYNs and SYN-ACKs seen again with the same ISN

  StreamDirection to_server;  // client -> server
  StreamDirection to_client;  // server -> client
};

struct ReassemblyResult {
  std::vector<TcpFlow> flows;  // by id
  uint64_t records = 0;        // records fed
  DecodeCounts decode;         // what the records decoded to
  std::string pcap_error;      // set by ReassemblePcap when the file was damaged

  // The latest flow with this client and server, or nullptr.
  const TcpFlow* Find(const SockAddr& client, const SockAddr& server) const;
  uint64_t gap_count() const;
};

struct ReassemblerOptions {
  // Ports the capture knows servers listened on: decide mid-stream flows.
  std::vector<uint16_t> server_ports;
};

class Reassembler {
 public:
  explicit Reassembler(ReassemblerOptions options = {});
  ~Reassembler();
  Reassembler(const Reassembler&) = delete;
  Reassembler& operator=(const Reassembler&) = delete;

  // Decodes a record and feeds it if it is TCP; counts it either way.
  void Feed(const PcapRecord& record);
  // Feeds a decoded segment. Packets must come in capture order.
  void Feed(const TcpPacket& packet);

  // Turns the holes that never filled into gaps and hands over every flow.
  // The reassembler is empty afterwards.
  ReassemblyResult Finish();

 private:
  struct DirectionState;
  struct FlowState;
  struct FlowKey {
    SockAddr low, high;
    bool operator==(const FlowKey&) const = default;
  };
  struct FlowKeyHash {
    size_t operator()(const FlowKey& k) const;
  };

  FlowState* FlowFor(const TcpPacket& p);
  FlowState* NewFlow(const FlowKey& key, const TcpPacket& p);
  void OnSyn(FlowState* flow, const TcpPacket& p);
  void OnSegment(FlowState* flow, const TcpPacket& p);
  static void InsertData(DirectionState* d, uint64_t offset, std::string_view data, int64_t ts);
  static void CompareHeld(DirectionState* d, uint64_t offset, std::string_view data);
  static void FinishDirection(DirectionState* d, StreamDirection* out);

  ReassemblerOptions options_;
  // Lookup only (never iterated): the current flow of each 4-tuple.
  std::unordered_map<FlowKey, size_t, FlowKeyHash> by_key_;
  std::vector<FlowState> flows_;
  uint64_t records_ = 0;
  DecodeCounts decode_;
};

// Parses a capture image and reassembles every record in it.
ReassemblyResult ReassemblePcap(std::string_view image, ReassemblerOptions options = {});

}  // namespace reel::replay
