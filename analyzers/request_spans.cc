#include "analyzers/request_spans.h"

#include <algorithm>

namespace reel::analyzers {

RequestSpanBuilder::RequestSpanBuilder(TimelineHeader header) {
  out_.header = std::move(header);
}

LoopIteration* RequestSpanBuilder::current() {
  return out_.iterations.empty() ? nullptr : &out_.iterations.back();
}

void RequestSpanBuilder::Step(int64_t t_ns, const std::string& kind, uint64_t conn) {
  LoopIteration* it = current();
  if (it == nullptr) return;
  if (t_ns - last_t_ns_ > it->longest_step_ns) {
    it->longest_step_ns = t_ns - last_t_ns_;
    it->longest_step_kind = kind;
    it->longest_step_conn = conn;
  }
  last_t_ns_ = std::max(last_t_ns_, t_ns);
}

void RequestSpanBuilder::Add(const TimelineEvent& e) {
  out_.t_last_ns = std::max(out_.t_last_ns, e.t_ns);
  LoopIteration* it = current();

  if (e.kind == "epoll_wait") {
    // The previous iteration ran until this call was entered.
    if (it != nullptr) {
      it->t_end_ns = std::max(it->t_start_ns, e.t_ns - e.wait_ns);
      Step(it->t_end_ns, "end", 0);
    }
    LoopIteration next;
    next.index = out_.iterations.size();
    next.seq = e.seq;
    next.t_start_ns = e.t_ns;
    next.t_end_ns = e.t_ns;
    next.wait_ns = e.wait_ns;
    next.maxevents = e.maxevents;
    next.ret = e.ret;
    next.ready = e.ready;
    out_.iterations.push_back(std::move(next));
    last_t_ns_ = e.t_ns;
    return;
  }
  Step(e.t_ns, e.kind, e.conn);
  if (e.kind == "accept") {
    if (it != nullptr) it->accepts++;
    if (e.ret >= 0 && e.conn != 0) {
      ConnectionSpan& c = out_.connections[e.conn];
      c.conn = e.conn;
      c.fd = e.fd;
      c.peer = e.peer;
      c.t_accept_ns = e.t_ns;
    }
  } else if (e.kind == "read") {
    if (it != nullptr) it->reads.push_back({e.conn, e.t_ns, e.ret});
    if (e.ret > 0 && e.conn != 0) {
      out_.connections[e.conn].bytes_read += e.ret;
      conns_[e.conn].last_read_ns = e.t_ns;
    }
  } else if (e.kind == "write") {
    OnWrite(e);
  } else if (e.kind == "close") {
    if (e.conn != 0) {
      ConnectionSpan& c = out_.connections[e.conn];
      c.conn = e.conn;
      c.t_close_ns = e.t_ns;
      // Replies still queued on a closed connection are never written; the
      // state goes so a (theoretical) reused id starts clean.
      conns_.erase(e.conn);
    }
  } else if (e.kind == "command") {
    RequestSpan r;
    r.index = out_.requests.size();
    r.seq = e.seq;
    r.conn = e.conn;
    r.command = e.name;
    r.argc = e.argc;
    if (!e.args.empty()) r.key = e.args[0];
    r.t_dispatch_ns = e.t_ns;
    int64_t last_read = conns_[e.conn].last_read_ns;
    r.t_arrival_ns = last_read == kNoTime ? e.t_ns : last_read;
    r.iteration = it == nullptr ? -1 : static_cast<int64_t>(it->index);
    if (it != nullptr) it->requests.push_back(r.index);
    conns_[e.conn].awaiting_reply.push_back(r.index);
    ConnectionSpan& c = out_.connections[e.conn];
    c.conn = e.conn;
    c.requests++;
    out_.requests.push_back(std::move(r));
  } else if (e.kind == "reply") {
    ConnState& cs = conns_[e.conn];
    cs.reply_end += e.bytes;
    out_.connections[e.conn].reply_bytes += e.bytes;
    // A command's reply follows it on its connection; the oldest command
    // still waiting for one is its owner.
    if (cs.awaiting_reply.empty()) return;
    uint64_t index = cs.awaiting_reply.front();
    cs.awaiting_reply.erase(cs.awaiting_reply.begin());
    RequestSpan& r = out_.requests[index];
    r.replied = true;
    r.t_reply_produced_ns = e.t_ns;
    r.reply_bytes = e.bytes;
    r.reply_head = e.head;
    if (cs.reply_end <= cs.written) {
      // Nothing to wait for: an empty reply (or bytes already out).
      r.t_reply_written_ns = e.t_ns;
    } else {
      cs.unwritten.emplace_back(index, cs.reply_end);
    }
  } else if (e.kind == "timer") {
    if (it != nullptr) it->timers++;
  } else if (e.kind == "end") {
    out_.verdict = e.verdict;
  }
}

void RequestSpanBuilder::OnWrite(const TimelineEvent& e) {
  if (e.ret <= 0) return;
  uint64_t n = static_cast<uint64_t>(e.ret);
  if (LoopIteration* it = current()) it->bytes_written += n;
  if (e.conn == 0) return;
  out_.connections[e.conn].bytes_written += n;
  ConnState& cs = conns_[e.conn];
  uint64_t before = cs.written;
  cs.written += n;
  if (cs.written > cs.reply_end) {
    out_.unattributed_written_bytes += cs.written - std::max(before, cs.reply_end);
  }
  // Every reply whose last byte is now out was completed by this write.
  size_t done = 0;
  while (done < cs.unwritten.size() && cs.unwritten[done].second <= cs.written) {
    out_.requests[cs.unwritten[done].first].t_reply_written_ns = e.t_ns;
    done++;
  }
  cs.unwritten.erase(cs.unwritten.begin(), cs.unwritten.begin() + done);
}

RequestSpans RequestSpanBuilder::Finish() {
  if (LoopIteration* it = current()) {
    it->t_end_ns = std::max(it->t_start_ns, out_.t_last_ns);
    Step(it->t_end_ns, "end", 0);
  }
  conns_.clear();
  RequestSpans done = std::move(out_);
  out_ = RequestSpans{};
  return done;
}

bool BuildRequestSpans(TimelineReader& reader, RequestSpans* out, std::string* error) {
  TimelineHeader header;
  if (!reader.ReadHeader(&header, error)) return false;
  RequestSpanBuilder builder(header);
  TimelineEvent e;
  while (reader.Next(&e, error)) builder.Add(e);
  if (!error->empty()) return false;
  *out = builder.Finish();
  return true;
}

bool LoadRequestSpans(const std::string& path, RequestSpans* out, std::string* error) {
  TimelineReader reader;
  if (!reader.Open(path, error)) return false;
  return BuildRequestSpans(reader, out, error);
}

}  // namespace reel::analyzers
