#include "capture/trace_summary.h"

#include <unordered_map>

namespace reel {

TraceSummary Summarize(const TraceFile& log) {
  TraceSummary s;
  std::unordered_map<int, size_t> open_by_fd;  // fd -> index in s.connections
  uint64_t prev_seq = 0;
  for (const TraceRecord& rec : log.records) {
    if (s.records == 0) {
      s.first_seq = rec.seq;
      s.first_ns = rec.ts_ns;
    } else if (rec.seq > prev_seq + 1) {
      s.seq_gaps += rec.seq - prev_seq - 1;
    }
    prev_seq = rec.seq;
    s.last_seq = rec.seq;
    s.last_ns = rec.ts_ns;
    s.records++;
    s.per_kind[rec.kind_name()]++;
    if (rec.result.value < 0) s.failed_calls++;

    if (const auto* a = std::get_if<trace::Accept4Rec>(&rec.call); a && rec.result.ok()) {
      ConnectionSummary c;
      c.fd = static_cast<int>(rec.result.value);
      c.accept_seq = rec.seq;
      c.accept_ns = rec.ts_ns;
      c.peer = a->peer;
      c.local = a->local;
      open_by_fd[c.fd] = s.connections.size();
      s.connections.push_back(c);
    } else if (const auto* io = std::get_if<trace::IoRec>(&rec.call)) {
      if (rec.result.value <= 0) continue;
      uint64_t n = static_cast<uint64_t>(rec.result.value);
      bool is_read = rec.kind_enum() == trace::Kind::kRead;
      (is_read ? s.bytes_in : s.bytes_out) += n;
      auto it = open_by_fd.find(io->fd);
      if (it == open_by_fd.end()) continue;
      ConnectionSummary& c = s.connections[it->second];
      if (is_read) {
        c.bytes_in += n;
        c.reads++;
      } else {
        c.bytes_out += n;
        c.writes++;
      }
    } else if (const auto* cl = std::get_if<trace::CloseRec>(&rec.call)) {
      auto it = open_by_fd.find(cl->fd);
      if (it != open_by_fd.end()) {
        s.connections[it->second].close_ns = rec.ts_ns;
        open_by_fd.erase(it);
      }
    } else if (const auto* w = std::get_if<trace::EpollWaitRec>(&rec.call)) {
      s.epoll_waits++;
      s.epoll_events += w->events.size();
    }
  }
  return s;
}

}  // namespace reel
