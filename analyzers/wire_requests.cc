#include "analyzers/wire_requests.h"

#include <algorithm>
#include <map>

#include "analyzers/resp_framing.h"

namespace reel::analyzers {
namespace {

// The chunk holding the byte at offset (chunks are in stream order).
const replay::StreamChunk* ChunkAt(const replay::StreamDirection& d, uint64_t offset) {
  auto it =
      std::upper_bound(d.chunks.begin(), d.chunks.end(), offset,
                       [](uint64_t off, const replay::StreamChunk& c) { return off < c.offset; });
  if (it == d.chunks.begin()) return nullptr;
  --it;
  return offset < it->end() ? &*it : nullptr;
}

// The captured bytes from offset 0 up to the first gap.
std::string ContiguousPrefix(const replay::StreamDirection& d) {
  if (!d.start_known) return {};
  uint64_t end = d.ContiguousEnd(0);
  return d.Bytes(0, end).value_or(std::string());
}

std::string Label(const replay::TcpFlow& f, uint64_t conn) {
  std::string s = conn != 0 ? "conn " + std::to_string(conn) : "flow " + std::to_string(f.id);
  return s + " (" + f.client.ToString() + ")";
}

void CollectFlow(const replay::Bundle& bundle, const replay::TcpFlow& f, uint64_t conn,
                 WireRequests* out) {
  if (f.mid_stream) {
    out->notes.push_back(Label(f, conn) +
                         ": taken up mid-stream, request boundaries unknown; not measured");
    return;
  }
  std::string in = ContiguousPrefix(f.to_server);
  std::string replies = ContiguousPrefix(f.to_client);
  uint64_t in_pos = 0, out_pos = 0, n = 0;
  std::string stop;
  while (true) {
    FramedRequest req;
    FrameStatus st = FrameRequest(in, in_pos, &req);
    if (st == FrameStatus::kMalformed) {
      stop = "unparsable request bytes at offset " + std::to_string(in_pos);
      break;
    }
    if (st == FrameStatus::kNeedMore) break;
    in_pos = req.end;
    if (req.empty) continue;
    WireRequest w;
    w.conn = conn;
    w.flow = f.id;
    w.peer = f.client.ToString();
    w.index_in_conn = n++;
    w.command = req.command;
    w.key = req.key;
    w.request_end = req.end;
    const replay::StreamChunk* last_in = ChunkAt(f.to_server, req.end - 1);
    w.t_request_ns = PcapToTimelineNs(bundle, last_in ? last_in->readable_ns : 0);
    // Its reply: the next one on the connection that is not a push.
    FramedReply rep;
    FrameStatus rs;
    while ((rs = FrameReply(replies, out_pos, &rep)) == FrameStatus::kComplete && rep.push)
      out_pos = rep.end;
    if (rs == FrameStatus::kComplete) {
      out_pos = rep.end;
      w.reply_end = rep.end;
      w.reply_head = rep.head;
      const replay::StreamChunk* last_out = ChunkAt(f.to_client, rep.end - 1);
      if (last_out != nullptr) w.t_reply_ns = PcapToTimelineNs(bundle, last_out->timestamp_ns);
    } else {
      out->unanswered++;
      if (rs == FrameStatus::kMalformed && stop.empty())
        stop = "unparsable reply bytes at offset " + std::to_string(out_pos);
    }
    out->requests.push_back(std::move(w));
  }
  if (!f.to_server.gaps.empty() && f.to_server.gaps.front().offset <= in.size())
    out->notes.push_back(Label(f, conn) + ": capture gap in the requests at offset " +
                         std::to_string(f.to_server.gaps.front().offset) +
                         "; later requests not measured");
  if (!f.to_client.gaps.empty() && f.to_client.gaps.front().offset <= replies.size())
    out->notes.push_back(Label(f, conn) + ": capture gap in the replies at offset " +
                         std::to_string(f.to_client.gaps.front().offset) +
                         "; later replies not measured");
  if (!stop.empty()) out->notes.push_back(Label(f, conn) + ": " + stop + "; the rest not measured");
}

}  // namespace

WireRequests CollectWireRequests(const replay::Bundle& bundle,
                                 const std::vector<AcceptedConnection>& accepted) {
  WireRequests out;
  if (!bundle.has_pcap) return out;
  std::map<uint32_t, uint64_t> conn_of_flow;
  for (const AcceptedConnection& a : accepted)
    if (a.flow != nullptr) conn_of_flow[a.flow->id] = a.conn;
  for (const replay::TcpFlow& f : bundle.streams.flows) {
    out.flows++;
    auto it = conn_of_flow.find(f.id);
    CollectFlow(bundle, f, it == conn_of_flow.end() ? 0 : it->second, &out);
  }
  std::stable_sort(out.requests.begin(), out.requests.end(),
                   [](const WireRequest& a, const WireRequest& b) {
                     if (a.t_request_ns != b.t_request_ns) return a.t_request_ns < b.t_request_ns;
                     return a.conn < b.conn;
                   });
  return out;
}

}  // namespace reel::analyzers
