#include "analyzers/bundle_connections.h"

#include <map>
#include <variant>

#include "replay/timeline.h"

namespace reel::analyzers {

std::vector<AcceptedConnection> AcceptedConnections(const replay::Bundle& bundle) {
  std::vector<AcceptedConnection> out;
  for (const TraceRecord& r : bundle.log.records) {
    if (r.kind_enum() != trace::Kind::kAccept4 || !r.result.ok()) continue;
    const auto& a = std::get<trace::Accept4Rec>(r.call);
    AcceptedConnection c;
    c.conn = out.size() + 1;
    c.fd = static_cast<int>(r.result.value);
    c.peer = a.peer;
    c.local = a.local;
    c.t_ns = r.ts_ns - bundle.start_mono_ns;
    c.flow = bundle.FlowFor(a.peer, a.local);
    out.push_back(c);
  }
  return out;
}

int64_t PcapToTimelineNs(const replay::Bundle& bundle, int64_t pcap_ns) {
  return pcap_ns - bundle.real_minus_mono_ns - bundle.start_mono_ns;
}

std::vector<TimelineEvent> EventLogAsTimeline(const replay::Bundle& bundle) {
  std::vector<TimelineEvent> out;
  std::map<int, uint64_t> conn_of_fd;  // open accepted fds
  uint64_t accepted = 0;
  auto conn_of = [&conn_of_fd](int fd) {
    auto it = conn_of_fd.find(fd);
    return it == conn_of_fd.end() ? uint64_t{0} : it->second;
  };
  for (const TraceRecord& r : bundle.log.records) {
    TimelineEvent e;
    e.seq = out.size() + 1;
    e.t_ns = r.ts_ns - bundle.start_mono_ns;
    e.ret = r.result.value;
    switch (r.kind_enum()) {
      case trace::Kind::kEpollWait: {
        const auto& w = std::get<trace::EpollWaitRec>(r.call);
        e.kind = "epoll_wait";
        e.epfd = w.epfd;
        e.maxevents = w.maxevents;
        e.timeout_ms = w.timeout_ms;
        e.wait_ns = w.wait_ns;
        for (const EpollEvent& ev : w.events) {
          // Event loops of the ae family keep the fd in the data word.
          int fd = static_cast<int>(ev.data & 0xffffffffu);
          e.ready.push_back({fd, conn_of(fd), replay::MaskString(ev.events)});
        }
        break;
      }
      case trace::Kind::kAccept4: {
        const auto& a = std::get<trace::Accept4Rec>(r.call);
        e.kind = "accept";
        e.listen_fd = a.fd;
        if (r.result.ok()) {
          e.fd = static_cast<int>(r.result.value);
          e.conn = ++accepted;
          e.peer = a.peer.ToString();
          conn_of_fd[e.fd] = e.conn;
        }
        break;
      }
      case trace::Kind::kRead:
      case trace::Kind::kWrite:
      case trace::Kind::kWritev: {
        const auto& io = std::get<trace::IoRec>(r.call);
        e.fd = io.fd;
        e.conn = conn_of(io.fd);
        if (e.conn == 0) continue;  // pipes, files: not a client
        e.kind = r.kind_enum() == trace::Kind::kRead ? "read" : "write";
        e.requested = io.requested;
        break;
      }
      case trace::Kind::kClose: {
        const auto& c = std::get<trace::CloseRec>(r.call);
        e.fd = c.fd;
        e.conn = conn_of(c.fd);
        if (e.conn == 0) continue;
        e.kind = "close";
        conn_of_fd.erase(c.fd);
        break;
      }
      default: continue;
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace reel::analyzers
