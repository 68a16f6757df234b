#include "replay/redaction_pcap.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include "replay/packet_decoder.h"
#include "replay/pcap_file.h"

namespace reel::replay {

namespace {

// One direction of a flow after redaction: chunk i of the reassembled
// direction became redacted[i] (same offset, same length).
struct RedactedDirection {
  const StreamDirection* original = nullptr;
  std::vector<std::string> redacted;
};

struct RedactedFlow {
  RedactedDirection to_server, to_client;
};

// The gap-free bytes at the start of a direction (offset 0 to the first gap).
std::string Prefix(const StreamDirection& d) {
  if (d.chunks.empty() || d.chunks.front().offset != 0) return std::string();
  uint64_t end = d.ContiguousEnd(0);
  return d.Bytes(0, end).value_or(std::string());
}

void Split(const StreamDirection& d, const std::string& prefix, PlaceholderTable* table,
           PcapRedactionStats* stats, RedactedDirection* out) {
  out->original = &d;
  out->redacted.reserve(d.chunks.size());
  for (const StreamChunk& c : d.chunks) {
    if (c.end() <= prefix.size()) {
      out->redacted.push_back(prefix.substr(c.offset, c.bytes.size()));
    } else {
      // After a gap the request/reply boundaries are unknown: fail closed.
      std::string r = c.bytes;
      table->Replace(r.data(), r.size());
      stats->gap_bytes += r.size();
      out->redacted.push_back(std::move(r));
    }
  }
}

RedactedFlow RedactFlow(const TcpFlow& f, PlaceholderTable* table, RedactMode mode,
                        RedactionCounts* counts, PcapRedactionStats* stats) {
  std::string requests = Prefix(f.to_server), replies = Prefix(f.to_client);
  const uint64_t before = counts->fail_closed_request_bytes + counts->fail_closed_reply_bytes +
                          counts->reply_fail_closed + stats->gap_bytes;
  ConnectionRedactor redactor(table, mode, counts);
  if (f.mid_stream) {
    // Taken up mid-stream (a flight-recorder window): the first bytes may be
    // the middle of a request, so nothing can be classified.
    stats->mid_stream_flows++;
    redactor.FailClosed(requests.data(), requests.size(), true);
    redactor.FailClosed(replies.data(), replies.size(), false);
  } else {
    redactor.RedactRequests(&requests);
    redactor.RedactReplies(&replies);
  }
  RedactedFlow out;
  Split(f.to_server, requests, table, stats, &out.to_server);
  Split(f.to_client, replies, table, stats, &out.to_client);
  if (counts->fail_closed_request_bytes + counts->fail_closed_reply_bytes +
          counts->reply_fail_closed + stats->gap_bytes >
      before)
    stats->fail_closed_clients.push_back(f.client.ToString());
  return out;
}

// ------------------------------------------------ packets -> flows, offsets

bool Less(const SockAddr& a, const SockAddr& b) {
  if (a.family != b.family) return a.family < b.family;
  if (a.addr != b.addr) return a.addr < b.addr;
  return a.port < b.port;
}

struct Endpoints {
  SockAddr low, high;
  bool operator<(const Endpoints& o) const {
    if (!(low == o.low)) return Less(low, o.low);
    if (!(high == o.high)) return Less(high, o.high);
    return false;
  }
};

Endpoints KeyOf(const SockAddr& a, const SockAddr& b) {
  return Less(a, b) ? Endpoints{a, b} : Endpoints{b, a};
}

// Follows the reassembler's flow assignment: a 4-tuple's packets belong to
// its first flow until a SYN with a new ISN starts the next one (port reuse).
class FlowTracker {
 public:
  explicit FlowTracker(const ReassemblyResult& r) : r_(r) {
    for (const TcpFlow& f : r.flows) by_key_[KeyOf(f.client, f.server)].push_back(f.id);
    max_end_.assign(r.flows.size() * 2, 0);
  }

  // The flow of a packet, or null.
  const TcpFlow* FlowOf(const TcpPacket& p) {
    auto it = by_key_.find(KeyOf(p.src, p.dst));
    if (it == by_key_.end()) return nullptr;
    size_t& cur = cursor_[it->first];
    const std::vector<uint32_t>& ids = it->second;
    if (p.syn() && !p.has_ack() && !p.rst() && cur + 1 < ids.size()) {
      const TcpFlow& now = r_.flows[ids[cur]];
      const TcpFlow& next = r_.flows[ids[cur + 1]];
      bool same = now.to_server.isn_seen && now.to_server.isn == p.seq;
      if (!same && next.to_server.isn_seen && next.to_server.isn == p.seq) cur++;
    }
    return &r_.flows[ids[cur]];
  }

  // The stream offset of the segment's first payload byte (unwrapped the
  // way the reassembler does, around the highest offset seen so far).
  int64_t OffsetOf(const TcpFlow& f, bool to_server, const TcpPacket& p) {
    const StreamDirection& d = to_server ? f.to_server : f.to_client;
    uint64_t& max_end = max_end_[f.id * 2 + (to_server ? 0 : 1)];
    uint32_t data_seq = p.seq + (p.syn() ? 1 : 0);
    uint32_t ref = d.start_seq + static_cast<uint32_t>(max_end);
    int64_t offset = static_cast<int64_t>(max_end) + static_cast<int32_t>(data_seq - ref);
    int64_t end = offset + static_cast<int64_t>(p.payload_length);
    if (end > static_cast<int64_t>(max_end)) max_end = static_cast<uint64_t>(end);
    return offset;
  }

 private:
  const ReassemblyResult& r_;
  std::map<Endpoints, std::vector<uint32_t>> by_key_;
  std::map<Endpoints, size_t> cursor_;
  std::vector<uint64_t> max_end_;
};

// Writes the redacted bytes of [offset, offset + payload.size()) into out,
// filling what no stream byte (or only a differing copy) covers.
void RedactPayload(const RedactedDirection& d, int64_t offset, std::string_view payload, char* out,
                   PlaceholderTable* table, PcapRedactionStats* stats) {
  const size_t n = payload.size();
  std::vector<bool> done(n, false);
  const std::vector<StreamChunk>& chunks = d.original->chunks;
  int64_t end = offset + static_cast<int64_t>(n);
  if (end > 0) {
    uint64_t begin = offset < 0 ? 0 : static_cast<uint64_t>(offset);
    auto it = std::upper_bound(chunks.begin(), chunks.end(), begin,
                               [](uint64_t off, const StreamChunk& c) { return off < c.offset; });
    if (it != chunks.begin()) --it;
    for (; it != chunks.end() && static_cast<int64_t>(it->offset) < end; ++it) {
      uint64_t b = std::max(begin, it->offset);
      uint64_t e = std::min(static_cast<uint64_t>(end), it->end());
      if (b >= e) continue;
      size_t in_packet = static_cast<size_t>(static_cast<int64_t>(b) - offset);
      size_t in_chunk = static_cast<size_t>(b - it->offset);
      size_t len = static_cast<size_t>(e - b);
      if (std::memcmp(payload.data() + in_packet, it->bytes.data() + in_chunk, len) != 0) {
        stats->conflicting_bytes += len;
        continue;  // left for the fill below
      }
      const std::string& red = d.redacted[static_cast<size_t>(it - chunks.begin())];
      std::memcpy(out + in_packet, red.data() + in_chunk, len);
      std::fill(done.begin() + static_cast<long>(in_packet),
                done.begin() + static_cast<long>(in_packet + len), true);
    }
  }
  for (size_t i = 0; i < n;) {
    if (done[i]) {
      i++;
      continue;
    }
    size_t j = i;
    while (j < n && !done[j]) j++;
    std::memcpy(out + i, payload.data() + i, j - i);
    table->Replace(out + i, j - i);
    stats->unmapped_bytes += j - i;
    i = j;
  }
}

// ----------------------------------------------------------------- checksums

uint64_t SumWords(const uint8_t* p, size_t n, uint64_t sum) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint64_t>(p[i]) << 8 | p[i + 1];
  if (n % 2) sum += static_cast<uint64_t>(p[n - 1]) << 8;
  return sum;
}

uint16_t Fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

uint64_t PseudoHeaderSum(const TcpPacket& p, uint32_t tcp_length) {
  uint64_t sum = 0;
  if (p.src.family == kAfInet) {
    sum = SumWords(p.src.addr.data(), 4, sum);
    sum = SumWords(p.dst.addr.data(), 4, sum);
    sum += 6;
    sum += tcp_length;
  } else {
    sum = SumWords(p.src.addr.data(), 16, sum);
    sum = SumWords(p.dst.addr.data(), 16, sum);
    sum += tcp_length >> 16;
    sum += tcp_length & 0xffff;
    sum += 6;
  }
  return sum;
}

// Finds the TCP header in front of the payload: the decoder gives the
// payload's position; the header is the one whose ports, sequence number
// and data offset agree with the decoded segment.
bool FindTcpHeader(std::string_view frame, size_t payload_off, const TcpPacket& p,
                   size_t* tcp_off) {
  auto be16 = [&](size_t at) {
    return static_cast<uint16_t>(static_cast<uint8_t>(frame[at]) << 8 |
                                 static_cast<uint8_t>(frame[at + 1]));
  };
  for (size_t hlen = 20; hlen <= 60 && hlen <= payload_off; hlen += 4) {
    size_t t = payload_off - hlen;
    if (be16(t) != p.src.port || be16(t + 2) != p.dst.port) continue;
    uint32_t seq = static_cast<uint32_t>(be16(t + 4)) << 16 | be16(t + 6);
    if (seq != p.seq) continue;
    if (static_cast<size_t>(static_cast<uint8_t>(frame[t + 12]) >> 4) * 4 != hlen) continue;
    *tcp_off = t;
    return true;
  }
  return false;
}

void FixChecksum(std::string_view original_frame, char* frame, size_t payload_off,
                 const TcpPacket& p, PcapRedactionStats* stats) {
  size_t tcp_off = 0;
  if (p.payload.size() != p.payload_length ||
      !FindTcpHeader(original_frame, payload_off, p, &tcp_off)) {
    stats->checksums_not_computable++;
    return;
  }
  const uint32_t tcp_length = static_cast<uint32_t>(payload_off - tcp_off) + p.payload_length;
  const uint64_t pseudo = PseudoHeaderSum(p, tcp_length);
  const auto* orig = reinterpret_cast<const uint8_t*>(original_frame.data() + tcp_off);
  if (Fold(SumWords(orig, tcp_length, pseudo)) != 0xffff) {
    stats->checksums_offloaded++;  // never covered the payload: leave it
    return;
  }
  auto* seg = reinterpret_cast<uint8_t*>(frame + tcp_off);
  seg[16] = seg[17] = 0;
  uint16_t sum = static_cast<uint16_t>(~Fold(SumWords(seg, tcp_length, pseudo)));
  seg[16] = static_cast<uint8_t>(sum >> 8);
  seg[17] = static_cast<uint8_t>(sum & 0xff);
  stats->checksums_recomputed++;
}

}  // namespace

nlohmann::json PcapRedactionStats::ToJson() const {
  return {{"records", records},
          {"tcp_segments_with_payload", tcp_segments_with_payload},
          {"segments_changed", segments_changed},
          {"tcp_checksums_recomputed", checksums_recomputed},
          {"tcp_checksums_offloaded_left_as_captured", checksums_offloaded},
          {"tcp_checksums_not_computable", checksums_not_computable},
          {"flows", flows},
          {"mid_stream_flows_redacted_wholesale", mid_stream_flows},
          {"fail_closed_bytes",
           {{"unmapped", unmapped_bytes},
            {"conflicting_copies", conflicting_bytes},
            {"after_gaps", gap_bytes}}},
          {"non_tcp_frames_redacted", non_tcp_records},
          {"fail_closed_connections", fail_closed_clients},
          {"damaged_tail_bytes_dropped", damaged_tail_bytes}};
}

bool RedactPcapImage(std::string_view image, PlaceholderTable* table, RedactMode mode,
                     const ReassemblerOptions& options, std::string* out, RedactionCounts* counts,
                     PcapRedactionStats* stats, std::string* error) {
  PcapParse parse = ParsePcap(image);
  if (parse.format == PcapFormat::kUnknown) {
    *error = parse.error.empty() ? "not a capture file" : parse.error;
    return false;
  }
  stats->records = parse.records.size();
  stats->damaged_tail_bytes = parse.bytes_unread;
  out->assign(image.substr(0, image.size() - parse.bytes_unread));

  Reassembler reassembler(options);
  for (const PcapRecord& rec : parse.records) reassembler.Feed(rec);
  ReassemblyResult streams = reassembler.Finish();
  stats->flows = streams.flows.size();
  std::vector<RedactedFlow> redacted;
  redacted.reserve(streams.flows.size());
  for (const TcpFlow& f : streams.flows)
    redacted.push_back(RedactFlow(f, table, mode, counts, stats));

  FlowTracker tracker(streams);
  std::string payload_out;
  for (const PcapRecord& rec : parse.records) {
    const size_t rec_off = static_cast<size_t>(rec.bytes.data() - image.data());
    char* frame = out->data() + rec_off;
    TcpPacket p;
    DecodeStatus s = DecodePacket(rec, &p);
    if (s != DecodeStatus::kTcp) {
      // A fragment, another protocol, a damaged frame: its bytes cannot be
      // placed in a stream, so none of them is kept.
      if (!rec.bytes.empty()) {
        table->Replace(frame, rec.bytes.size());
        stats->non_tcp_records++;
      }
      continue;
    }
    const TcpFlow* f = tracker.FlowOf(p);
    if (p.payload.empty()) continue;
    stats->tcp_segments_with_payload++;
    const size_t payload_off = static_cast<size_t>(p.payload.data() - rec.bytes.data());
    payload_out.assign(p.payload.size(), '\0');
    if (f == nullptr || p.rst()) {
      payload_out.assign(p.payload);
      table->Replace(payload_out.data(), payload_out.size());
      stats->unmapped_bytes += payload_out.size();
    } else {
      const bool to_server = p.src == f->client;
      const RedactedFlow& rf = redacted[f->id];
      int64_t offset = tracker.OffsetOf(*f, to_server, p);
      RedactPayload(to_server ? rf.to_server : rf.to_client, offset, p.payload, payload_out.data(),
                    table, stats);
    }
    if (payload_out == p.payload) continue;
    std::memcpy(frame + payload_off, payload_out.data(), payload_out.size());
    stats->segments_changed++;
    FixChecksum(rec.bytes, frame, payload_off, p, stats);
  }
  return true;
}

}  // namespace reel::replay
