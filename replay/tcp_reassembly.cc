#include "replay/tcp_reassembly.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>
#include <map>

namespace reel::replay {

struct Reassembler::DirectionState {
  // Identity, FIN/RST, counters. Its `chunks` is the in-order prefix:
  // contiguous from offset 0 to contiguous_end, appended to as data arrives
  // in order (the common case costs no tree insertion).
  StreamDirection out;
  uint64_t contiguous_end = 0;
  // Chunks beyond a hole, by offset: disjoint, each starting after
  // contiguous_end. They move to `out.chunks` when the hole fills; the ones
  // left at Finish sit behind gaps.
  std::map<uint64_t, StreamChunk> pending;
  // Highest offset known to exist from this side's own packets (data,
  // including snaplen-cut data, and the FIN), and from the peer's ACKs.
  uint64_t max_end = 0;
  int64_t max_end_ns = 0;
  uint64_t acked_end = 0;
  int64_t acked_end_ns = 0;
  // Ranges sent but cut by snaplen: start -> end, merged, never overlapping.
  std::map<uint64_t, uint64_t> snaplen_cut;

  // The stream offset of a sequence number, unwrapped around the highest
  // offset seen so far. Negative: before offset 0.
  int64_t OffsetOf(uint32_t seq) const {
    uint32_t ref_seq = out.start_seq + static_cast<uint32_t>(max_end);
    int32_t diff = static_cast<int32_t>(seq - ref_seq);
    return static_cast<int64_t>(max_end) + diff;
  }
  void SetStart(uint32_t seq) {
    out.start_known = true;
    out.start_seq = seq;
  }
  void RaiseEnd(uint64_t end, int64_t ts) {
    if (end > max_end) {
      max_end = end;
      max_end_ns = ts;
    }
  }
  void AddSnaplenCut(uint64_t begin, uint64_t end);
};

struct Reassembler::FlowState {
  TcpFlow flow;  // identity and times; directions are assembled at Finish
  bool syn_seen = false;
  bool syn_ack_seen = false;
  DirectionState to_server;
  DirectionState to_client;

  DirectionState* From(const SockAddr& src) { return src == flow.client ? &to_server : &to_client; }
  DirectionState* Peer(DirectionState* d) { return d == &to_server ? &to_client : &to_server; }
};

namespace {

bool Less(const SockAddr& a, const SockAddr& b) {
  if (a.family != b.family) return a.family < b.family;
  if (a.addr != b.addr) return a.addr < b.addr;
  return a.port < b.port;
}

bool IsPureSyn(const TcpPacket& p) {
  return p.syn() && !p.has_ack() && !p.rst();
}
bool IsSynAck(const TcpPacket& p) {
  return p.syn() && p.has_ack() && !p.rst();
}

// Splits the hole [begin, end) into gaps, marking the parts that snaplen cut.
void AddGaps(const std::map<uint64_t, uint64_t>& cut, uint64_t begin, uint64_t end,
             GapReason otherwise, int64_t noticed_ns, std::vector<StreamGap>* gaps) {
  auto add = [&](uint64_t b, uint64_t e, GapReason r) {
    if (b >= e) return;
    if (!gaps->empty() && gaps->back().end() == b && gaps->back().reason == r) {
      gaps->back().length += e - b;
      return;
    }
    gaps->push_back(StreamGap{b, e - b, r, noticed_ns});
  };
  uint64_t cur = begin;
  auto it = cut.upper_bound(begin);
  if (it != cut.begin() && std::prev(it)->second > begin) --it;
  for (; it != cut.end() && it->first < end && cur < end; ++it) {
    uint64_t cb = std::max(it->first, cur);
    uint64_t ce = std::min(it->second, end);
    add(cur, cb, otherwise);
    add(cb, ce, GapReason::kSnaplen);
    cur = std::max(cur, ce);
  }
  add(cur, end, otherwise);
}

}  // namespace

void Reassembler::DirectionState::AddSnaplenCut(uint64_t begin, uint64_t end) {
  if (begin >= end) return;
  // Merge with every range that touches [begin, end).
  auto it = snaplen_cut.upper_bound(begin);
  if (it != snaplen_cut.begin() && std::prev(it)->second >= begin) --it;
  while (it != snaplen_cut.end() && it->first <= end) {
    begin = std::min(begin, it->first);
    end = std::max(end, it->second);
    it = snaplen_cut.erase(it);
  }
  snaplen_cut.emplace(begin, end);
}

const char* GapReasonName(GapReason r) {
  switch (r) {
    case GapReason::kNotCaptured: return "not-captured";
    case GapReason::kSnaplen: return "snaplen";
    case GapReason::kAcked: return "acked-not-captured";
  }
  return "?";
}

std::vector<StreamChunk>::const_iterator StreamDirection::ChunkAt(uint64_t offset) const {
  auto it = std::upper_bound(chunks.begin(), chunks.end(), offset,
                             [](uint64_t off, const StreamChunk& c) { return off < c.offset; });
  if (it == chunks.begin()) return chunks.end();
  --it;
  return it->end() > offset ? it : chunks.end();
}

bool StreamDirection::Holds(uint64_t offset, uint64_t length) const {
  if (length == 0) return true;
  auto it = ChunkAt(offset);
  if (it == chunks.end()) return false;
  uint64_t want = offset + length;
  for (uint64_t end = it->end(); end < want; end = it->end())
    if (++it == chunks.end() || it->offset != end) return false;
  return true;
}

template <typename Fn>
bool StreamDirection::EachPiece(uint64_t offset, uint64_t length, Fn fn) const {
  if (length == 0) return true;
  if (!Holds(offset, length)) return false;
  uint64_t end = offset + length;
  for (auto it = ChunkAt(offset); it != chunks.end() && it->offset < end; ++it) {
    uint64_t b = std::max(offset, it->offset);
    uint64_t e = std::min(end, it->end());
    if (!fn(std::string_view(it->bytes).substr(b - it->offset, e - b))) return false;
  }
  return true;
}

std::optional<std::string> StreamDirection::Bytes(uint64_t offset, uint64_t length) const {
  std::string out;
  out.reserve(length);
  bool held = EachPiece(offset, length, [&](std::string_view piece) {
    out.append(piece);
    return true;
  });
  if (!held) return std::nullopt;
  return out;
}

bool StreamDirection::CopyTo(uint64_t offset, uint64_t length, char* out) const {
  return EachPiece(offset, length, [&](std::string_view piece) {
    std::memcpy(out, piece.data(), piece.size());
    out += piece.size();
    return true;
  });
}

bool StreamDirection::Matches(uint64_t offset, uint64_t length, const char* data) const {
  return EachPiece(offset, length, [&](std::string_view piece) {
    if (std::memcmp(data, piece.data(), piece.size()) != 0) return false;
    data += piece.size();
    return true;
  });
}

uint64_t StreamDirection::ContiguousEnd(uint64_t offset) const {
  auto it = ChunkAt(offset);
  if (it == chunks.end()) return offset;
  uint64_t end = it->end();
  for (++it; it != chunks.end() && it->offset == end; ++it) end = it->end();
  return end;
}

std::string StreamDirection::CapturedBytes() const {
  std::string out;
  out.reserve(bytes_captured);
  for (const StreamChunk& c : chunks) out += c.bytes;
  return out;
}

const TcpFlow* ReassemblyResult::Find(const SockAddr& client, const SockAddr& server) const {
  for (auto it = flows.rbegin(); it != flows.rend(); ++it)
    if (it->client == client && it->server == server) return &*it;
  return nullptr;
}

uint64_t ReassemblyResult::gap_count() const {
  uint64_t n = 0;
  for (const TcpFlow& f : flows) n += f.to_server.gaps.size() + f.to_client.gaps.size();
  return n;
}

size_t Reassembler::FlowKeyHash::operator()(const FlowKey& k) const {
  // Only used to find a flow, never to order output.
  uint64_t h = 0x9e3779b97f4a7c15ull;
  auto mix = [&h](uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
  };
  for (const SockAddr* a : {&k.low, &k.high}) {
    uint64_t words[2];
    std::memcpy(words, a->addr.data(), sizeof words);
    mix(words[0]);
    mix(words[1]);
    mix((static_cast<uint64_t>(a->family) << 16) | a->port);
  }
  return static_cast<size_t>(h ^ (h >> 29));
}

Reassembler::Reassembler(ReassemblerOptions options) : options_(std::move(options)) {}
Reassembler::~Reassembler() = default;

void Reassembler::Feed(const PcapRecord& record) {
  records_++;
  TcpPacket p;
  DecodeStatus s = DecodePacket(record, &p);
  decode_.Add(s);
  if (s == DecodeStatus::kTcp) Feed(p);
}

Reassembler::FlowState* Reassembler::NewFlow(const FlowKey& key, const TcpPacket& p) {
  FlowState f;
  f.flow.id = static_cast<uint32_t>(flows_.size());
  f.flow.first_ns = p.timestamp_ns;
  f.flow.last_ns = p.timestamp_ns;
  bool src_is_client;
  if (IsPureSyn(p)) {
    src_is_client = true;
    f.flow.orientation = Orientation::kSyn;
  } else if (IsSynAck(p)) {
    src_is_client = false;
    f.flow.orientation = Orientation::kSynAck;
  } else {
    auto listed = [&](uint16_t port) {
      return std::find(options_.server_ports.begin(), options_.server_ports.end(), port) !=
             options_.server_ports.end();
    };
    bool src_listed = listed(p.src.port), dst_listed = listed(p.dst.port);
    if (src_listed != dst_listed) {
      src_is_client = dst_listed;
      f.flow.orientation = Orientation::kServerPort;
    } else {
      src_is_client = p.src.port >= p.dst.port;
      f.flow.orientation = Orientation::kLowerPort;
    }
  }
  f.flow.client = src_is_client ? p.src : p.dst;
  f.flow.server = src_is_client ? p.dst : p.src;
  by_key_[key] = flows_.size();
  flows_.push_back(std::move(f));
  return &flows_.back();
}

Reassembler::FlowState* Reassembler::FlowFor(const TcpPacket& p) {
  FlowKey key = Less(p.src, p.dst) ? FlowKey{p.src, p.dst} : FlowKey{p.dst, p.src};
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return NewFlow(key, p);
  FlowState* f = &flows_[it->second];
  if (!IsPureSyn(p)) return f;
  // A SYN belongs to the current flow only if it is that flow's SYN: the
  // same ISN again, or the ISN the flow's offset 0 already implies.
  DirectionState* d = f->From(p.src);
  if (d->out.isn_seen) {
    if (d->out.isn == p.seq) return f;
  } else if (p.src == f->flow.client && d->out.start_known && d->out.start_seq == p.seq + 1 &&
             d->out.chunks.empty() && d->pending.empty()) {
    return f;
  }
  return NewFlow(key, p);  // port reuse: a new connection on the same 4-tuple
}

void Reassembler::OnSyn(FlowState* f, const TcpPacket& p) {
  DirectionState* d = f->From(p.src);
  bool syn_ack = p.has_ack();
  if (d->out.isn_seen && d->out.isn == p.seq) {
    f->flow.syn_retransmits++;
    return;
  }
  if (d->out.isn_seen) return;  // a second, different ISN mid-flow: keep the first
  d->out.isn_seen = true;
  d->out.isn = p.seq;
  // Offset 0 is the byte after the SYN, unless data already fixed it.
  if (d->out.chunks.empty() && d->pending.empty() && d->max_end == 0) d->SetStart(p.seq + 1);
  if (syn_ack) {
    f->syn_ack_seen = true;
    f->flow.syn_ack_ns = p.timestamp_ns;
  } else {
    f->syn_seen = true;
    f->flow.syn_ns = p.timestamp_ns;
  }
}

void Reassembler::Feed(const TcpPacket& p) {
  FlowState* f = FlowFor(p);
  f->flow.last_ns = std::max(f->flow.last_ns, p.timestamp_ns);
  DirectionState* d = f->From(p.src);
  d->out.packets++;
  if (p.rst()) {
    // Linux ignores data on a RST and so do we; its ACK is not evidence either.
    if (!d->out.rst_ns) d->out.rst_ns = p.timestamp_ns;
    return;
  }
  if (p.syn()) OnSyn(f, p);
  OnSegment(f, p);
}

void Reassembler::OnSegment(FlowState* f, const TcpPacket& p) {
  DirectionState* d = f->From(p.src);
  DirectionState* peer = f->Peer(d);
  const int64_t ts = p.timestamp_ns;
  const uint32_t data_seq = p.seq + (p.syn() ? 1 : 0);

  if (p.has_ack()) {
    // The peer's offset 0, if nothing of the peer came first: everything
    // before this ACK was delivered before we could see it.
    if (!peer->out.start_known) peer->SetStart(p.ack);
    int64_t acked = peer->OffsetOf(p.ack);
    if (acked > 0) {
      uint64_t a = static_cast<uint64_t>(acked);
      if (peer->out.fin_ns && a > peer->out.fin_offset) a = peer->out.fin_offset;
      if (a > peer->acked_end) {
        peer->acked_end = a;
        peer->acked_end_ns = ts;
      }
    }
    // Handshake completion: the client's first ACK of the server's SYN.
    bool handshake_seen = f->syn_seen || f->syn_ack_seen;
    if (d == &f->to_server && !f->flow.established_ns && handshake_seen && !p.syn()) {
      bool acks_syn_ack = !f->to_client.out.isn_seen ||
                          static_cast<int32_t>(p.ack - (f->to_client.out.isn + 1)) >= 0;
      if (acks_syn_ack) f->flow.established_ns = ts;
    }
  }

  if (!d->out.start_known) d->SetStart(data_seq);
  int64_t begin = d->OffsetOf(data_seq);
  int64_t end = begin + static_cast<int64_t>(p.payload_length);
  std::string_view data = p.payload;
  if (begin < 0) {
    // Mid-stream: bytes from before offset 0 (a retransmission of data the
    // capture started after) are outside the stream, and so is a FIN there.
    uint64_t drop = static_cast<uint64_t>(std::min<int64_t>(-begin, end - begin));
    d->out.bytes_before_start += drop;
    data.remove_prefix(std::min<uint64_t>(drop, data.size()));
    if (end < 0) return;
    begin = 0;
  }
  uint64_t ubegin = static_cast<uint64_t>(begin), uend = static_cast<uint64_t>(end);
  if (d->out.fin_ns && uend > d->out.fin_offset) {
    uint64_t keep_end = std::max(ubegin, d->out.fin_offset);
    d->out.bytes_after_fin += uend - keep_end;
    uend = keep_end;
    if (data.size() > uend - ubegin) data = data.substr(0, uend - ubegin);
  }
  if (uend > ubegin) {
    d->RaiseEnd(uend, ts);
    uint64_t captured_end = ubegin + data.size();
    if (captured_end < uend) d->AddSnaplenCut(captured_end, uend);
    if (ubegin > d->contiguous_end) d->out.out_of_order_segments++;
    if (!data.empty()) InsertData(d, ubegin, data, ts);
  }
  if (p.fin() && !d->out.fin_ns) {
    d->out.fin_ns = ts;
    d->out.fin_offset = uend;
    d->RaiseEnd(uend, ts);
    if (d->acked_end > d->out.fin_offset) d->acked_end = d->out.fin_offset;
  }
}

void Reassembler::CompareHeld(DirectionState* d, uint64_t offset, std::string_view data) {
  // The first copy wins; count what this copy repeats and what differs.
  d->out.bytes_retransmitted += data.size();
  const std::vector<StreamChunk>& held = d->out.chunks;
  auto it = std::upper_bound(held.begin(), held.end(), offset,
                             [](uint64_t off, const StreamChunk& c) { return off < c.offset; });
  if (it == held.begin()) return;  // cannot happen: [0, contiguous_end) is held
  --it;
  const uint64_t end = offset + data.size();
  for (uint64_t cur = offset; cur < end && it != held.end(); ++it) {
    uint64_t n = std::min(end, it->end()) - cur;
    const char* mine = data.data() + (cur - offset);
    const char* theirs = it->bytes.data() + (cur - it->offset);
    if (std::memcmp(mine, theirs, n) != 0)
      for (uint64_t i = 0; i < n; i++) d->out.bytes_conflicting += mine[i] != theirs[i];
    cur += n;
  }
}

void Reassembler::InsertData(DirectionState* d, uint64_t offset, std::string_view data,
                             int64_t ts) {
  // Bytes before contiguous_end are held already.
  if (offset < d->contiguous_end) {
    uint64_t n = std::min<uint64_t>(data.size(), d->contiguous_end - offset);
    CompareHeld(d, offset, data.substr(0, n));
    data.remove_prefix(n);
    offset += n;
    if (data.empty()) return;
  }
  auto make_chunk = [ts](uint64_t at, std::string_view bytes) {
    StreamChunk c;
    c.offset = at;
    c.timestamp_ns = ts;
    c.bytes.assign(bytes.data(), bytes.size());
    return c;
  };
  // In order with nothing waiting: append.
  if (offset == d->contiguous_end && d->pending.empty()) {
    d->out.chunks.push_back(make_chunk(offset, data));
    d->out.bytes_captured += data.size();
    d->contiguous_end += data.size();
    return;
  }
  // Otherwise place the new bytes among the pending chunks, first copy winning.
  auto& pending = d->pending;
  const uint64_t end = offset + data.size();
  auto it = pending.upper_bound(offset);
  if (it != pending.begin() && std::prev(it)->second.end() > offset) --it;
  uint64_t cur = offset;
  while (cur < end) {
    if (it != pending.end() && it->first <= cur) {
      const StreamChunk& held = it->second;
      uint64_t n = std::min(end, held.end()) - cur;
      const char* mine = data.data() + (cur - offset);
      const char* theirs = held.bytes.data() + (cur - held.offset);
      if (std::memcmp(mine, theirs, n) != 0)
        for (uint64_t i = 0; i < n; i++) d->out.bytes_conflicting += mine[i] != theirs[i];
      d->out.bytes_retransmitted += n;
      cur += n;
      ++it;
      continue;
    }
    uint64_t next = it != pending.end() ? it->first : std::numeric_limits<uint64_t>::max();
    uint64_t n = std::min(end, next) - cur;
    it = std::next(pending.emplace_hint(it, cur, make_chunk(cur, data.substr(cur - offset, n))));
    d->out.bytes_captured += n;
    cur += n;
  }
  // Move what now continues the in-order prefix.
  while (!pending.empty() && pending.begin()->first == d->contiguous_end) {
    auto first = pending.begin();
    d->contiguous_end = first->second.end();
    d->out.chunks.push_back(std::move(first->second));
    pending.erase(first);
  }
}

void Reassembler::FinishDirection(DirectionState* d, StreamDirection* out) {
  *out = std::move(d->out);
  // How far the stream is known to go. An ACK one past the data with no FIN
  // captured is almost surely acknowledging a FIN we did not see.
  uint64_t data_end = d->max_end;
  uint64_t acked = d->acked_end;
  if (!out->fin_ns && acked == data_end + 1) {
    out->unseen_fin_acked = true;
    acked = data_end;
  }
  // The in-order prefix has no holes; each pending chunk has one before it.
  uint64_t cur = d->contiguous_end;
  out->chunks.reserve(out->chunks.size() + d->pending.size());
  for (auto& [offset, chunk] : d->pending) {
    AddGaps(d->snaplen_cut, cur, offset, GapReason::kNotCaptured, chunk.timestamp_ns, &out->gaps);
    cur = chunk.end();
    out->chunks.push_back(std::move(chunk));
  }
  d->pending.clear();
  if (data_end > cur)
    AddGaps(d->snaplen_cut, cur, data_end, GapReason::kNotCaptured, d->max_end_ns, &out->gaps);
  cur = std::max(cur, data_end);
  if (acked > cur) AddGaps({}, cur, acked, GapReason::kAcked, d->acked_end_ns, &out->gaps);
  out->end_offset = std::max(cur, acked);
  // A byte is readable once every byte before it arrived: the running
  // maximum of arrival times in stream order. Across a gap this keeps
  // counting the bytes we have (the receiver had the missing ones, at a time
  // the capture cannot tell).
  int64_t readable = std::numeric_limits<int64_t>::min();
  for (StreamChunk& chunk : out->chunks) {
    readable = std::max(readable, chunk.timestamp_ns);
    chunk.readable_ns = readable;
  }
}

ReassemblyResult Reassembler::Finish() {
  ReassemblyResult r;
  r.records = records_;
  r.decode = decode_;
  r.flows.reserve(flows_.size());
  for (FlowState& f : flows_) {
    TcpFlow flow = std::move(f.flow);
    flow.mid_stream = !f.syn_seen && !f.syn_ack_seen;
    FinishDirection(&f.to_server, &flow.to_server);
    FinishDirection(&f.to_client, &flow.to_client);
    r.flows.push_back(std::move(flow));
  }
  flows_.clear();
  by_key_.clear();
  records_ = 0;
  decode_ = DecodeCounts{};
  return r;
}

ReassemblyResult ReassemblePcap(std::string_view image, ReassemblerOptions options) {
  PcapParse parse = ParsePcap(image);
  Reassembler r(std::move(options));
  for (const PcapRecord& rec : parse.records) r.Feed(rec);
  ReassemblyResult result = r.Finish();
  result.pcap_error = parse.error;
  return result;
}

}  // namespace reel::replay
