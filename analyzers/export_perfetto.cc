#include "analyzers/export_perfetto.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

namespace reel::analyzers {
namespace {

constexpr int kPid = 1;
constexpr int kLoopTid = 1;

// A JSON string literal. Replacing invalid UTF-8 (never in a timeline the
// reader accepted, but cheap insurance) keeps the file loadable.
std::string Quote(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool ReadsBackAs(const std::string& text, int64_t ns) {
  double d = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  return static_cast<int64_t>(d * 1000.0) == ns;
}

// One Trace Event line under construction: `{"name":...,"ph":...,` + fields.
class Event {
 public:
  Event(const std::string& name, char ph, int tid) {
    text_ = "{\"name\":" + Quote(name) + ",\"ph\":\"" + ph + "\",\"pid\":" + std::to_string(kPid) +
            ",\"tid\":" + std::to_string(tid);
  }
  Event& Raw(const char* key, const std::string& json_value) {
    text_ += ",\"";
    text_ += key;
    text_ += "\":";
    text_ += json_value;
    return *this;
  }
  Event& Time(const char* key, int64_t ns) { return Raw(key, FormatTraceMicros(ns)); }
  // args: an object built by Args below.
  std::string Done(const std::string& args) {
    if (!args.empty()) Raw("args", "{" + args + "}");
    return text_ + "}";
  }

 private:
  std::string text_;
};

// The inside of an args object: "k":v,"k2":v2.
class Args {
 public:
  Args& Str(const char* key, const std::string& v) { return Add(key, Quote(v)); }
  Args& Int(const char* key, int64_t v) { return Add(key, std::to_string(v)); }
  Args& Bool(const char* key, bool v) { return Add(key, v ? "true" : "false"); }
  const std::string& text() const { return text_; }

 private:
  Args& Add(const char* key, const std::string& v) {
    if (!text_.empty()) text_ += ",";
    text_ += "\"";
    text_ += key;
    text_ += "\":";
    text_ += v;
    return *this;
  }
  std::string text_;
};

class TraceWriter {
 public:
  void Add(std::string line) { lines_.push_back(std::move(line)); }
  size_t size() const { return lines_.size(); }
  std::string Finish(const std::string& other_data) const {
    std::string out =
        "{\"displayTimeUnit\":\"ns\",\"otherData\":{" + other_data + "},\n\"traceEvents\":[\n";
    for (size_t i = 0; i < lines_.size(); i++) {
      out += lines_[i];
      out += i + 1 < lines_.size() ? ",\n" : "\n";
    }
    out += "]}\n";
    return out;
  }

 private:
  std::vector<std::string> lines_;
};

void AddThreadName(TraceWriter& w, int tid, const std::string& name, int sort_index) {
  w.Add(Event("thread_name", 'M', tid).Done(Args().Str("name", name).text()));
  w.Add(Event("thread_sort_index", 'M', tid).Done(Args().Int("sort_index", sort_index).text()));
}

std::string ConnectionName(const ConnectionSpan& c) {
  std::string name = "conn " + std::to_string(c.conn);
  if (!c.peer.empty()) name += " " + c.peer;
  return name;
}

// A request as drawn: from arrival to the reply's last byte written (or, if
// never written, to the close or the end of the timeline).
struct RequestSlice {
  const RequestSpan* request = nullptr;
  int64_t start = 0;
  int64_t end = 0;
};

RequestSlice MakeRequestSlice(const RequestSpan& r, const ConnectionSpan* conn, int64_t t_last,
                              const std::vector<int64_t>* wire) {
  RequestSlice s;
  s.request = &r;
  s.start = RequestArrivalNs(r, wire);
  if (r.complete()) {
    s.end = r.t_reply_written_ns;
  } else if (conn != nullptr && conn->t_close_ns != kNoTime) {
    s.end = conn->t_close_ns;
  } else {
    s.end = t_last;
  }
  s.end = std::max(s.end, s.start);
  return s;
}

// Splits one connection's requests into tracks on which every slice either
// follows or nests in the slices before it (the Trace Event format's rule for
// one thread). Pipelined requests read and answered together have the same
// interval and nest; a request that overlaps another partially moves on.
std::vector<std::vector<RequestSlice>> AssignLanes(std::vector<RequestSlice> slices) {
  std::stable_sort(slices.begin(), slices.end(), [](const RequestSlice& a, const RequestSlice& b) {
    if (a.start != b.start) return a.start < b.start;
    return a.end > b.end;
  });
  std::vector<std::vector<RequestSlice>> lanes;
  std::vector<std::vector<int64_t>> open_ends;  // per lane: ends of the slices still open
  for (const RequestSlice& s : slices) {
    size_t lane = 0;
    for (; lane < lanes.size(); lane++) {
      std::vector<int64_t>& open = open_ends[lane];
      while (!open.empty() && open.back() <= s.start) open.pop_back();
      if (open.empty() || s.end <= open.back()) break;
    }
    if (lane == lanes.size()) {
      lanes.emplace_back();
      open_ends.emplace_back();
    }
    lanes[lane].push_back(s);
    open_ends[lane].push_back(s.end);
  }
  return lanes;
}

// The request's life in steps: arrived (wire) -> read -> dispatched -> reply
// produced -> reply written.
std::string RequestArgs(const RequestSpan& r, int64_t start) {
  Args a;
  a.Int("request", static_cast<int64_t>(r.index)).Int("conn", static_cast<int64_t>(r.conn));
  if (!r.key.empty()) a.Str("key", r.key);
  a.Int("argc", static_cast<int64_t>(r.argc));
  a.Str("arrival", start < r.t_arrival_ns ? "pcap" : "read");
  if (start < r.t_arrival_ns) a.Int("unread_ns", r.t_arrival_ns - start);
  a.Int("queued_ns", r.t_dispatch_ns - r.t_arrival_ns);
  if (r.t_reply_produced_ns != kNoTime) a.Int("run_ns", r.t_reply_produced_ns - r.t_dispatch_ns);
  if (r.complete() && r.t_reply_produced_ns != kNoTime)
    a.Int("write_ns", r.t_reply_written_ns - r.t_reply_produced_ns);
  if (r.replied)
    a.Str("reply", r.reply_head).Int("reply_bytes", static_cast<int64_t>(r.reply_bytes));
  if (!r.complete()) a.Bool("reply_written", false);
  a.Int("iteration", r.iteration);
  return a.text();
}

void AddConnectionTracks(const RequestSpans& spans, const PerfettoExportOptions& options,
                         TraceWriter& w, PerfettoExportStats& stats) {
  std::map<uint64_t, std::vector<RequestSlice>> by_conn;
  for (const RequestSpan& r : spans.requests) {
    auto it = spans.connections.find(r.conn);
    RequestSlice s = MakeRequestSlice(r, it == spans.connections.end() ? nullptr : &it->second,
                                      spans.t_last_ns, options.wire_arrival_ns);
    if (s.start < r.t_arrival_ns) stats.wire_arrivals++;
    by_conn[r.conn].push_back(s);
  }
  int next_tid = kLoopTid + 1;
  std::map<uint64_t, ConnectionSpan> conns = spans.connections;
  for (const auto& [conn, slices] : by_conn) {
    if (!conns.count(conn)) conns[conn].conn = conn;
  }
  for (const auto& [conn, c] : conns) {
    std::vector<std::vector<RequestSlice>> lanes = AssignLanes(by_conn[conn]);
    if (lanes.empty()) lanes.emplace_back();  // a connection without requests still gets its track
    for (size_t lane = 0; lane < lanes.size(); lane++) {
      int tid = next_tid++;
      std::string name = ConnectionName(c);
      if (lane > 0) name += " (" + std::to_string(lane + 1) + ")";
      AddThreadName(w, tid, name, tid);
      stats.connection_tracks++;
      if (lane == 0 && c.t_accept_ns != kNoTime) {
        w.Add(Event("accept", 'i', tid)
                  .Time("ts", c.t_accept_ns)
                  .Raw("s", "\"t\"")
                  .Raw("cat", "\"connection\"")
                  .Done(Args().Int("fd", c.fd).Str("peer", c.peer).text()));
      }
      for (const RequestSlice& s : lanes[lane]) {
        const RequestSpan& r = *s.request;
        w.Add(Event(r.command, 'X', tid)
                  .Time("ts", s.start)
                  .Time("dur", s.end - s.start)
                  .Raw("cat", "\"request\"")
                  .Raw("bind_id", std::to_string(r.index + 1))
                  .Raw("flow_out", "true")
                  .Done(RequestArgs(r, s.start)));
      }
      if (lane == 0 && c.t_close_ns != kNoTime) {
        w.Add(Event("close", 'i', tid)
                  .Time("ts", c.t_close_ns)
                  .Raw("s", "\"t\"")
                  .Raw("cat", "\"connection\"")
                  .Done(Args()
                            .Int("requests", static_cast<int64_t>(c.requests))
                            .Int("bytes_read", static_cast<int64_t>(c.bytes_read))
                            .Int("bytes_written", static_cast<int64_t>(c.bytes_written))
                            .text()));
      }
    }
  }
}

void AddCommand(const RequestSpan& r, int64_t lo, int64_t hi, int64_t* prev_end, TraceWriter& w,
                PerfettoExportStats& stats) {
  int64_t start = r.t_dispatch_ns;
  int64_t end = r.t_reply_produced_ns == kNoTime ? start : std::max(start, r.t_reply_produced_ns);
  // Fit inside the iteration and after the previous command: a viewer drops
  // or mis-parents a slice that overlaps its siblings.
  int64_t fit_start = std::clamp(std::max(start, *prev_end), lo, hi);
  int64_t fit_end = std::clamp(end, fit_start, hi);
  if (fit_start != start || fit_end != end) stats.clamped_slices++;
  *prev_end = fit_end;
  Args a;
  a.Int("request", static_cast<int64_t>(r.index)).Int("conn", static_cast<int64_t>(r.conn));
  if (!r.key.empty()) a.Str("key", r.key);
  if (r.replied) a.Str("reply", r.reply_head);
  w.Add(Event(r.command, 'X', kLoopTid)
            .Time("ts", fit_start)
            .Time("dur", fit_end - fit_start)
            .Raw("cat", "\"command\"")
            .Raw("bind_id", std::to_string(r.index + 1))
            .Raw("flow_in", "true")
            .Done(a.text()));
}

void AddLoopTrack(const RequestSpans& spans, TraceWriter& w, PerfettoExportStats& stats) {
  AddThreadName(w, kLoopTid, "event loop", 0);
  // Commands before the first epoll_wait returned have no iteration.
  int64_t prev_end = INT64_MIN;
  for (const RequestSpan& r : spans.requests) {
    if (r.iteration < 0) AddCommand(r, INT64_MIN, INT64_MAX, &prev_end, w, stats);
  }
  int64_t prev_iteration_end = INT64_MIN;
  for (const LoopIteration& it : spans.iterations) {
    int64_t wait_start = std::max(it.t_start_ns - it.wait_ns, prev_iteration_end);
    if (wait_start < it.t_start_ns) {
      w.Add(Event("epoll_wait", 'X', kLoopTid)
                .Time("ts", wait_start)
                .Time("dur", it.t_start_ns - wait_start)
                .Raw("cat", "\"wait\"")
                .Done(Args().Int("wait_ns", it.wait_ns).Int("ret", it.ret).text()));
    }
    w.Add(Event("iteration", 'X', kLoopTid)
              .Time("ts", it.t_start_ns)
              .Time("dur", it.busy_ns())
              .Raw("cat", "\"loop\"")
              .Done(Args()
                        .Int("index", static_cast<int64_t>(it.index))
                        .Int("ready", static_cast<int64_t>(it.ready_count()))
                        .Int("commands", static_cast<int64_t>(it.requests.size()))
                        .Int("reads", static_cast<int64_t>(it.reads.size()))
                        .Int("accepts", static_cast<int64_t>(it.accepts))
                        .Int("timers", static_cast<int64_t>(it.timers))
                        .Int("bytes_written", static_cast<int64_t>(it.bytes_written))
                        .text()));
    int64_t prev_command_end = it.t_start_ns;
    for (uint64_t index : it.requests) {
      AddCommand(spans.requests[index], it.t_start_ns, it.t_end_ns, &prev_command_end, w, stats);
    }
    prev_iteration_end = it.t_end_ns;
  }
}

}  // namespace

std::string FormatTraceMicros(int64_t ns) {
  uint64_t magnitude = ns < 0 ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  std::string whole = (ns < 0 ? "-" : "") + std::to_string(magnitude / 1000);
  uint64_t frac = magnitude % 1000;
  char digits[4] = {static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                    static_cast<char>('0' + frac % 10), 0};
  std::string full = whole + "." + digits;
  std::string shortest = full;
  while (shortest.back() == '0') shortest.pop_back();
  if (shortest.back() == '.') shortest.pop_back();
  if (ReadsBackAs(shortest, ns)) return shortest;
  for (const char* nudge : {"1", "5"}) {
    std::string nudged = full + nudge;
    if (ReadsBackAs(nudged, ns)) return nudged;
  }
  return shortest;
}

std::vector<int64_t> WireArrivalsByRequest(const RequestSpans& spans, const WireRequests& wire,
                                           uint64_t* mismatches) {
  std::map<uint64_t, std::vector<const WireRequest*>> by_conn;
  for (const WireRequest& w : wire.requests)
    if (w.conn != 0) by_conn[w.conn].push_back(&w);
  for (auto& [conn, v] : by_conn)
    std::stable_sort(v.begin(), v.end(), [](const WireRequest* a, const WireRequest* b) {
      return a->index_in_conn < b->index_in_conn;
    });
  std::vector<int64_t> out(spans.requests.size(), kNoTime);
  std::map<uint64_t, uint64_t> next;  // conn -> requests seen
  std::map<uint64_t, bool> broken;
  for (const RequestSpan& r : spans.requests) {
    uint64_t n = next[r.conn]++;
    const std::vector<const WireRequest*>& v = by_conn[r.conn];
    if (broken[r.conn] || n >= v.size()) continue;
    if (v[n]->index_in_conn != n || v[n]->command != r.command) {
      broken[r.conn] = true;
      if (mismatches != nullptr) (*mismatches)++;
      continue;
    }
    out[r.index] = v[n]->t_request_ns;
  }
  return out;
}

int64_t RequestArrivalNs(const RequestSpan& r, const std::vector<int64_t>* wire_arrival_ns) {
  if (wire_arrival_ns == nullptr || r.index >= wire_arrival_ns->size()) return r.t_arrival_ns;
  int64_t wire = (*wire_arrival_ns)[r.index];
  return wire == kNoTime ? r.t_arrival_ns : std::min(wire, r.t_arrival_ns);
}

std::string RenderPerfettoTrace(const RequestSpans& spans, const PerfettoExportOptions& options,
                                PerfettoExportStats* stats_out) {
  PerfettoExportStats stats;
  TraceWriter w;
  std::string process = "reel replay: " + spans.header.source;
  w.Add(Event("process_name", 'M', kLoopTid).Done(Args().Str("name", process).text()));
  // Requests before commands: a viewer reading the file in order sees each
  // flow's start (the request) before its end (the command) at equal times.
  AddConnectionTracks(spans, options, w, stats);
  AddLoopTrack(spans, w, stats);

  Args other;
  other.Str("generator", "reel export")
      .Str("source", spans.header.source)
      .Str("schedule", spans.header.schedule)
      .Str("timeline_version", spans.header.version)
      .Int("start_mono_ns", spans.header.start_mono_ns)
      .Int("iterations", static_cast<int64_t>(spans.iterations.size()))
      .Int("requests", static_cast<int64_t>(spans.requests.size()))
      .Int("connections", static_cast<int64_t>(spans.connections.size()))
      .Int("clamped_slices", static_cast<int64_t>(stats.clamped_slices))
      .Int("requests_with_pcap_arrival", static_cast<int64_t>(stats.wire_arrivals));
  if (!spans.verdict.empty()) other.Str("verdict", spans.verdict);
  stats.events = w.size();
  if (stats_out != nullptr) *stats_out = stats;
  return w.Finish(other.text());
}

}  // namespace reel::analyzers
