#include "replay/send_side.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include "replay/packet_decoder.h"
#include "replay/pcap_file.h"

namespace reel::replay {

namespace {

// What one flow's packets say about the server's send side.
struct FlowHeaders {
  uint16_t client_mss = 0;  // MSS option of the client's SYN (0 = none seen)
  int client_wscale = -1;
  int server_wscale = -1;
  bool client_syn = false;
  bool client_ts = false;
  bool server_ts = false;
  uint64_t max_window = 0;  // the client's largest advertised window (scaled)
  bool have_ack = false;
  uint64_t last_ack = 0;  // unwrapped stream offset
};

// Stream offset of a 32-bit sequence number, the one nearest `last`.
uint64_t Unwrap(uint32_t seq, uint32_t start_seq, uint64_t last, bool have_last) {
  uint64_t off32 = static_cast<uint32_t>(seq - start_seq);
  if (!have_last) return off32 > 0x80000000u ? 0 : off32;  // an ACK from before offset 0
  uint64_t base = last & ~uint64_t{0xffffffff};
  uint64_t best = base | off32;
  if (best + 0x80000000u < last) best += uint64_t{1} << 32;
  if (best > last + 0x80000000u && best >= (uint64_t{1} << 32)) best -= uint64_t{1} << 32;
  return best;
}

// tcp_xmit_size_goal: payload per skb is a whole number of segments, at most
// the device's GSO size (65536 on loopback) and half the peer's largest
// window (tcp_bound_to_half_wnd), at least one segment.
uint32_t SizeGoal(uint32_t mss, uint64_t max_window) {
  constexpr uint64_t kGsoMaxSize = 65536;
  uint64_t cutoff = max_window > 536 ? max_window / 2 : max_window;
  uint64_t bound = std::min(kGsoMaxSize, cutoff == 0 ? kGsoMaxSize : cutoff);
  uint64_t goal = bound / mss * mss;
  return static_cast<uint32_t>(std::max<uint64_t>(goal, mss));
}

}  // namespace

SendSide BuildSendSide(const Bundle& b) {
  SendSide out;
  if (!b.has_pcap) {
    out.problem = "no packets";
    return out;
  }
  std::string error;
  std::optional<PcapFile> file = PcapFile::Open(b.dir + "/packets.pcap", &error);
  if (!file) {
    out.problem = error;
    return out;
  }
  auto to_mono = [&](int64_t real_ns) { return real_ns - b.real_minus_mono_ns; };
  // (client, server) -> the flows with that 4-tuple, in id order.
  std::map<std::pair<std::string, std::string>, std::vector<uint32_t>> by_tuple;
  for (const TcpFlow& f : b.streams.flows)
    by_tuple[{f.client.ToString(), f.server.ToString()}].push_back(f.id);
  std::vector<FlowHeaders> heads(b.streams.flows.size());

  auto find_flow = [&](const SockAddr& client, const SockAddr& server,
                       int64_t t) -> const TcpFlow* {
    auto it = by_tuple.find({client.ToString(), server.ToString()});
    if (it == by_tuple.end()) return nullptr;
    const TcpFlow* found = nullptr;
    for (uint32_t id : it->second) {
      const TcpFlow& f = b.streams.flows[id];
      if (f.first_ns <= t) found = &f;  // the latest flow begun by t (port reuse)
    }
    return found;
  };

  for (const PcapRecord& rec : file->parse().records) {
    TcpPacket p;
    if (DecodePacket(rec, &p) != DecodeStatus::kTcp) continue;
    bool from_client = true;
    const TcpFlow* f = find_flow(p.src, p.dst, p.timestamp_ns);
    if (f == nullptr) {
      from_client = false;
      f = find_flow(p.dst, p.src, p.timestamp_ns);
    }
    if (f == nullptr) continue;
    FlowHeaders& h = heads[f->id];
    if (p.syn()) {
      if (from_client && !p.has_ack()) {
        h.client_syn = true;
        h.client_mss = p.mss;
        h.client_wscale = p.window_scale;
        h.client_ts = p.has_timestamps;
        h.max_window = std::max<uint64_t>(h.max_window, p.window);  // never scaled on a SYN
      } else if (!from_client) {
        h.server_wscale = p.window_scale;
        h.server_ts = p.has_timestamps;
      }
      continue;
    }
    if (!from_client || !p.has_ack() || !f->to_client.start_known) continue;
    int shift = (h.client_wscale >= 0 && h.server_wscale >= 0) ? h.client_wscale : 0;
    h.max_window = std::max(h.max_window, uint64_t{p.window} << shift);
    uint64_t acked = Unwrap(p.ack, f->to_client.start_seq, h.last_ack, h.have_ack);
    if (h.have_ack && acked <= h.last_ack) {
      // Acknowledges nothing new (a window update or a duplicate): the
      // kernel still runs tcp_check_space on it.
      acked = h.last_ack;
    }
    h.have_ack = true;
    h.last_ack = acked;
    out.events.push_back({to_mono(p.timestamp_ns), SendSideEvent::Type::kAck, f->id, acked});
  }

  for (const TcpFlow& f : b.streams.flows) {
    for (const StreamChunk& c : f.to_client.chunks)
      out.events.push_back({to_mono(c.timestamp_ns), SendSideEvent::Type::kSent, f.id, c.end()});
    const FlowHeaders& h = heads[f.id];
    if (!h.client_syn) continue;  // taken up mid-stream: the handshake's numbers are unknown
    model::SendTuning t;
    t.mss_clamp = h.client_mss ? h.client_mss : 536;  // TCP_MSS_DEFAULT without the option
    // tp->mss_cache: the timestamp option takes 12 bytes of every segment.
    t.mss = t.mss_clamp - ((h.client_ts && h.server_ts) ? 12 : 0);
    t.size_goal = SizeGoal(t.mss, h.max_window);
    out.tuning[f.id] = t;
  }
  std::stable_sort(out.events.begin(), out.events.end(),
                   [](const SendSideEvent& x, const SendSideEvent& y) {
                     return std::tie(x.t_ns, x.flow, x.type, x.offset) <
                            std::tie(y.t_ns, y.flow, y.type, y.offset);
                   });
  return out;
}

}  // namespace reel::replay
