#include "replay/client_script.h"

#include <algorithm>
#include <map>
#include <set>

namespace reel::replay {

namespace {

// The ports the recorded server listened on: a capture may hold other
// traffic on the interface, which never reached this server.
std::set<uint16_t> ListeningPorts(const Bundle& b) {
  std::map<int, uint16_t> bound;
  std::set<uint16_t> ports;
  for (const TraceRecord& r : b.log.records) {
    if (!r.result.ok()) continue;
    if (const auto* c = std::get_if<trace::BindRec>(&r.call)) bound[c->fd] = c->addr.port;
    if (const auto* c = std::get_if<trace::GetSockNameRec>(&r.call)) bound[c->fd] = c->addr.port;
    if (const auto* c = std::get_if<trace::ListenRec>(&r.call)) {
      if (bound.count(c->fd)) ports.insert(bound[c->fd]);
    }
    // getsockname after listen resolves a port-0 bind.
    if (const auto* c = std::get_if<trace::GetSockNameRec>(&r.call)) ports.insert(c->addr.port);
  }
  ports.erase(0);
  return ports;
}

// Server->client bytes captured before t (monotonic): what the client had
// been sent by then.
uint64_t RepliedBefore(const Bundle& b, const TcpFlow& f, int64_t t) {
  uint64_t n = 0;
  for (const StreamChunk& c : f.to_client.chunks)
    if (c.timestamp_ns - b.real_minus_mono_ns < t)
      n = std::max<uint64_t>(n, c.offset + c.bytes.size());
  return n;
}

}  // namespace

ClientScript ScriptFromBundle(const Bundle& b) {
  ClientScript script;
  script.start_mono_ns = b.start_mono_ns;
  script.real_minus_mono_ns = b.real_minus_mono_ns;
  script.end_mono_ns = b.log.records.empty() ? b.start_mono_ns : b.log.records.back().ts_ns;
  std::set<uint16_t> ports = ListeningPorts(b);
  std::map<uint32_t, size_t> index;  // flow id -> connections[i]
  for (const NetEvent& e : b.net) {
    const TcpFlow& f = b.streams.flows[e.flow];
    if (!ports.empty() && !ports.count(f.server.port)) continue;
    auto it = index.find(e.flow);
    if (it == index.end()) {
      ScriptConnection c;
      c.id = f.id;
      c.client = f.client;
      c.server = f.server;
      c.established_ns = e.t_ns;  // the first event of a flow: its handshake (or first data)
      it = index.emplace(e.flow, script.connections.size()).first;
      script.connections.push_back(std::move(c));
    }
    ScriptConnection& c = script.connections[it->second];
    switch (e.type) {
      case NetEvent::Type::kEstablished: c.established_ns = e.t_ns; break;
      case NetEvent::Type::kData: {
        auto bytes = f.to_server.Bytes(e.offset, e.bytes);
        if (!bytes) {
          if (script.problem.empty())
            script.problem = "flow " + f.client.ToString() + " -> " + f.server.ToString() + ": " +
                             std::to_string(e.bytes) + " bytes at offset " +
                             std::to_string(e.offset) + " are missing from the capture";
          break;
        }
        c.chunks.push_back({e.t_ns, std::move(*bytes), RepliedBefore(b, f, e.t_ns)});
        break;
      }
      case NetEvent::Type::kFin:
        c.fin_ns = e.t_ns;
        c.fin_after_reply_bytes = RepliedBefore(b, f, e.t_ns);
        break;
      case NetEvent::Type::kReset:
        c.reset_ns = e.t_ns;
        c.fin_after_reply_bytes = RepliedBefore(b, f, e.t_ns);
        break;
    }
  }
  return script;
}

int64_t LastInputNs(const ClientScript& script) {
  int64_t last = script.start_mono_ns;
  for (const ScriptConnection& c : script.connections) {
    last = std::max(last, c.established_ns);
    if (!c.chunks.empty()) last = std::max(last, c.chunks.back().t_ns);
    last = std::max({last, c.fin_ns, c.reset_ns});
  }
  return last;
}

}  // namespace reel::replay
