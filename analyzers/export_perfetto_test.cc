#include "analyzers/export_perfetto.h"

#include "analyzers/analysis_input.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace reel::analyzers {
namespace {

using nlohmann::json;

constexpr const char* kHeader =
    R"({"timeline_version":"1.1","source":"synthetic","schedule":"recorded","start_mono_ns":0})"
    "\n";

// Two clients. conn 1 pipelines SET+GET; GET's reply goes out in two partial
// writes (the second two iterations later), and INCR arrives while GET's
// reply is still pending and is written after it: GET and INCR overlap
// without nesting. conn 2 sends PING twice; the second is never answered.
constexpr const char* kTimeline = R"(
{"seq":1,"t_ns":100,"kind":"epoll_wait","epfd":5,"maxevents":64,"timeout_ms":100,"ret":1,"ready":[{"fd":6,"conn":0,"mask":"IN"}],"wait_ns":100}
{"seq":2,"t_ns":110,"kind":"accept","listen_fd":6,"ret":7,"fd":7,"conn":1,"peer":"127.0.0.1:1000"}
{"seq":3,"t_ns":120,"kind":"accept","listen_fd":6,"ret":8,"fd":8,"conn":2,"peer":"127.0.0.1:2000"}
{"seq":4,"t_ns":200,"kind":"epoll_wait","epfd":5,"maxevents":64,"timeout_ms":100,"ret":2,"ready":[{"fd":7,"conn":1,"mask":"IN"},{"fd":8,"conn":2,"mask":"IN"}],"wait_ns":50}
{"seq":5,"t_ns":210,"kind":"read","fd":7,"conn":1,"requested":16384,"ret":40}
{"seq":6,"t_ns":210,"kind":"command","conn":1,"name":"set","argc":3,"args":["k","v"]}
{"seq":7,"t_ns":215,"kind":"reply","conn":1,"bytes":5,"head":"+OK","digest":"0"}
{"seq":8,"t_ns":215,"kind":"command","conn":1,"name":"get","argc":2,"args":["k"]}
{"seq":9,"t_ns":220,"kind":"reply","conn":1,"bytes":10,"head":"$","digest":"0"}
{"seq":10,"t_ns":230,"kind":"read","fd":8,"conn":2,"requested":16384,"ret":14}
{"seq":11,"t_ns":230,"kind":"command","conn":2,"name":"ping","argc":1,"args":[]}
{"seq":12,"t_ns":235,"kind":"reply","conn":2,"bytes":7,"head":"+PONG","digest":"0"}
{"seq":13,"t_ns":300,"kind":"write","fd":7,"conn":1,"requested":15,"ret":8}
{"seq":14,"t_ns":310,"kind":"write","fd":8,"conn":2,"requested":7,"ret":7}
{"seq":15,"t_ns":500,"kind":"epoll_wait","epfd":5,"maxevents":64,"timeout_ms":100,"ret":1,"ready":[{"fd":7,"conn":1,"mask":"IN|OUT"}],"wait_ns":100}
{"seq":16,"t_ns":500,"kind":"read","fd":7,"conn":1,"requested":16384,"ret":14}
{"seq":17,"t_ns":500,"kind":"command","conn":1,"name":"incr","argc":2,"args":["n"]}
{"seq":18,"t_ns":505,"kind":"reply","conn":1,"bytes":4,"head":":1","digest":"0"}
{"seq":19,"t_ns":510,"kind":"write","fd":7,"conn":1,"requested":11,"ret":-1,"errno":"EAGAIN"}
{"seq":20,"t_ns":1000,"kind":"epoll_wait","epfd":5,"maxevents":64,"timeout_ms":100,"ret":2,"ready":[{"fd":7,"conn":1,"mask":"OUT"},{"fd":8,"conn":2,"mask":"IN"}],"wait_ns":400}
{"seq":21,"t_ns":1010,"kind":"write","fd":7,"conn":1,"requested":11,"ret":7}
{"seq":22,"t_ns":1020,"kind":"read","fd":8,"conn":2,"requested":16384,"ret":14}
{"seq":23,"t_ns":1020,"kind":"command","conn":2,"name":"ping","argc":1,"args":[]}
{"seq":24,"t_ns":1025,"kind":"reply","conn":2,"bytes":7,"head":"+PONG","digest":"0"}
{"seq":25,"t_ns":1030,"kind":"close","fd":8,"conn":2}
{"seq":26,"t_ns":1100,"kind":"epoll_wait","epfd":5,"maxevents":64,"timeout_ms":100,"ret":1,"ready":[{"fd":7,"conn":1,"mask":"OUT"}],"wait_ns":50}
{"seq":27,"t_ns":1100,"kind":"write","fd":7,"conn":1,"requested":4,"ret":4}
{"seq":28,"t_ns":1110,"kind":"end","verdict":"reproduced"}
)";

// The raw strings below start with a newline for readability; a timeline
// has no blank lines.
RequestSpans BuildFromText(std::string text) {
  for (size_t p; (p = text.find("\n\n")) != std::string::npos;) text.erase(p, 1);
  TimelineReader reader;
  reader.OpenText(text);
  RequestSpans spans;
  std::string error;
  EXPECT_TRUE(BuildRequestSpans(reader, &spans, &error)) << error;
  return spans;
}

// A Trace Event time in ns the way Perfetto's JSON importer reads it:
// integers are µs, fractions are truncated after scaling.
int64_t PerfettoNs(const json& v) {
  if (v.is_number_integer()) return v.get<int64_t>() * 1000;
  return static_cast<int64_t>(v.get<double>() * 1000.0);
}

struct Slice {
  std::string name;
  int64_t ts = 0;
  int64_t end = 0;
  size_t order = 0;  // position in the file
  json event;
};

// What a viewer needs and what this exporter promises, checked on the parsed
// file. Returns the problems found; fills per-track slices and names.
struct Checked {
  std::vector<std::string> problems;
  std::map<int, std::vector<Slice>> slices;  // by tid, sorted as a viewer nests them
  std::map<int, std::string> thread_names;
  json other;
};

Checked CheckTrace(const std::string& text) {
  Checked c;
  json doc = json::parse(text, nullptr, false);
  if (!doc.is_object()) {
    c.problems.push_back("not a JSON object");
    return c;
  }
  if (doc.value("displayTimeUnit", "") != "ns") c.problems.push_back("displayTimeUnit is not ns");
  c.other = doc["otherData"];
  const json& events = doc["traceEvents"];
  if (!events.is_array()) {
    c.problems.push_back("no traceEvents array");
    return c;
  }
  for (size_t i = 0; i < events.size(); i++) {
    const json& e = events[i];
    std::string where = "event " + std::to_string(i) + " " + e.dump();
    for (const char* key : {"name", "ph", "pid", "tid"})
      if (!e.contains(key)) c.problems.push_back(where + ": no " + key);
    std::string ph = e.value("ph", "");
    if (ph != "M" && !(e.contains("ts") && e["ts"].is_number()))
      c.problems.push_back(where + ": no numeric ts");
    if (ph == "M") {
      if (!e.contains("args") || !e["args"].is_object())
        c.problems.push_back(where + ": M without args");
      if (e.value("name", "") == "thread_name")
        c.thread_names[e["tid"].get<int>()] = e["args"].value("name", "");
    } else if (ph == "X") {
      if (!e.contains("dur") || !e["dur"].is_number() || e["dur"].get<double>() < 0) {
        c.problems.push_back(where + ": X without a non-negative dur");
        continue;
      }
      int64_t ts = PerfettoNs(e["ts"]);
      c.slices[e["tid"].get<int>()].push_back(
          {e["name"].get<std::string>(), ts, ts + PerfettoNs(e["dur"]), i, e});
    } else if (ph != "i") {
      c.problems.push_back(where + ": unexpected phase " + ph);
    }
  }
  // Nesting: on one track, a slice that starts inside another must end
  // inside it too (ties at the end count as inside).
  for (auto& [tid, slices] : c.slices) {
    std::stable_sort(slices.begin(), slices.end(), [](const Slice& a, const Slice& b) {
      return a.ts != b.ts ? a.ts < b.ts : a.end > b.end;
    });
    std::vector<const Slice*> open;
    for (const Slice& s : slices) {
      while (!open.empty() && open.back()->end <= s.ts &&
             !(open.back()->end == s.ts && s.end == s.ts))
        open.pop_back();
      if (!open.empty() && s.end > open.back()->end) {
        c.problems.push_back("tid " + std::to_string(tid) + ": " + s.event.dump() +
                             " overlaps its parent " + open.back()->event.dump());
      }
      open.push_back(&s);
    }
  }
  return c;
}

std::vector<const Slice*> Named(const std::vector<Slice>& slices, const std::string& cat) {
  std::vector<const Slice*> out;
  for (const Slice& s : slices)
    if (s.event.value("cat", "") == cat) out.push_back(&s);
  return out;
}

TEST(FormatTraceMicros, ReadsBackAsTheExactNanosecond) {
  EXPECT_EQ(FormatTraceMicros(0), "0");
  EXPECT_EQ(FormatTraceMicros(1000), "1");
  EXPECT_EQ(FormatTraceMicros(7953248), "7953.248");
  EXPECT_EQ(FormatTraceMicros(1500), "1.5");
  // Every ns up to 300 µs, and a spread up to ~2.8 hours, survives Perfetto's
  // truncating conversion; a naive "%.3f" would lose 1 ns on many of them.
  int naive_losses = 0;
  for (int64_t ns = 0; ns < 300000; ns++) {
    std::string text = FormatTraceMicros(ns);
    ASSERT_EQ(PerfettoNs(json::parse(text)), ns) << text;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ns) / 1000);
    if (PerfettoNs(json::parse(buf)) != ns) naive_losses++;
  }
  EXPECT_GT(naive_losses, 0) << "the nudge is not needed: simplify FormatTraceMicros";
  for (int64_t ns = 1; ns < 10'000'000'000'000; ns = ns * 7 + 12345) {
    ASSERT_EQ(PerfettoNs(json::parse(FormatTraceMicros(ns))), ns) << FormatTraceMicros(ns);
  }
}

TEST(PerfettoExport, TracksSlicesAndNesting) {
  RequestSpans spans = BuildFromText(std::string(kHeader) + kTimeline);
  PerfettoExportStats stats;
  std::string text = RenderPerfettoTrace(spans, {}, &stats);
  Checked c = CheckTrace(text);
  EXPECT_TRUE(c.problems.empty()) << c.problems.front();
  EXPECT_EQ(stats.clamped_slices, 0u);

  // Track names: the loop, conn 1 twice (GET and INCR overlap), conn 2 once.
  EXPECT_EQ(c.thread_names[1], "event loop");
  EXPECT_EQ(c.thread_names[2], "conn 1 127.0.0.1:1000");
  EXPECT_EQ(c.thread_names[3], "conn 1 127.0.0.1:1000 (2)");
  EXPECT_EQ(c.thread_names[4], "conn 2 127.0.0.1:2000");
  EXPECT_EQ(c.thread_names.size(), 4u);
  EXPECT_EQ(stats.connection_tracks, 3u);

  // The loop: 5 iterations, 5 waits, 5 commands, each inside its iteration.
  const std::vector<Slice>& loop = c.slices[1];
  auto iterations = Named(loop, "loop");
  auto waits = Named(loop, "wait");
  auto commands = Named(loop, "command");
  ASSERT_EQ(iterations.size(), 5u);
  EXPECT_EQ(waits.size(), 5u);
  ASSERT_EQ(commands.size(), 5u);
  EXPECT_EQ(iterations[1]->ts, 200);
  EXPECT_EQ(iterations[1]->end, 400);  // the next epoll_wait was entered at 500 - 100
  EXPECT_EQ(waits[3]->ts, 600);        // 1000 - 400
  EXPECT_EQ(waits[3]->end, 1000);
  EXPECT_EQ(commands[0]->name, "set");
  EXPECT_EQ(commands[0]->ts, 210);
  EXPECT_EQ(commands[0]->end, 215);
  EXPECT_EQ(commands[1]->name, "get");
  EXPECT_EQ(commands[1]->ts, 215);
  EXPECT_EQ(commands[1]->end, 220);

  // Requests: from the read to the write that finished the reply.
  auto conn1 = Named(c.slices[2], "request");
  auto conn1b = Named(c.slices[3], "request");
  auto conn2 = Named(c.slices[4], "request");
  ASSERT_EQ(conn1.size(), 2u);
  ASSERT_EQ(conn1b.size(), 1u);
  ASSERT_EQ(conn2.size(), 2u);
  EXPECT_EQ(conn1[0]->name, "get");  // the longer one encloses SET
  EXPECT_EQ(conn1[0]->ts, 210);      // arrived with SET's read, not at its dispatch (215)
  EXPECT_EQ(conn1[0]->end, 1010);
  EXPECT_EQ(conn1[1]->name, "set");
  EXPECT_EQ(conn1[1]->end, 300);
  EXPECT_EQ(conn1b[0]->name, "incr");
  EXPECT_EQ(conn1b[0]->ts, 500);
  EXPECT_EQ(conn1b[0]->end, 1100);
  EXPECT_EQ(conn1[0]->event["args"]["queued_ns"], 5);
  EXPECT_EQ(conn1[0]->event["args"]["run_ns"], 5);
  EXPECT_EQ(conn1[0]->event["args"]["write_ns"], 790);
  // The unanswered PING ends at the close and says so.
  EXPECT_EQ(conn2[1]->ts, 1020);
  EXPECT_EQ(conn2[1]->end, 1030);
  EXPECT_EQ(conn2[1]->event["args"]["reply_written"], false);

  // Every request's flow arrow ends at its command.
  std::map<int64_t, int> flows;
  for (const auto& [tid, slices] : c.slices)
    for (const Slice& s : slices) {
      if (s.event.contains("flow_out")) flows[s.event["bind_id"].get<int64_t>()] += 1;
      if (s.event.contains("flow_in")) flows[s.event["bind_id"].get<int64_t>()] += 10;
    }
  EXPECT_EQ(flows.size(), 5u);
  for (const auto& [id, n] : flows) EXPECT_EQ(n, 11) << "bind_id " << id;

  // Accept and close instants on the connection's first track.
  json doc = json::parse(text);
  int instants = 0;
  for (const json& e : doc["traceEvents"])
    if (e["ph"] == "i") {
      instants++;
      EXPECT_EQ(e["s"], "t");
    }
  EXPECT_EQ(instants, 3);  // 2 accepts, 1 close
  EXPECT_EQ(c.other["iterations"], 5);
  EXPECT_EQ(c.other["requests"], 5);
  EXPECT_EQ(c.other["verdict"], "reproduced");
}

TEST(PerfettoExport, OutOfOrderTimesAreClampedAndCounted) {
  // A command whose reply time runs past the iteration's end (not something
  // a replay writes, but a hand-edited timeline can): it is cut to fit.
  std::string text = std::string(kHeader) + R"(
{"seq":1,"t_ns":100,"kind":"epoll_wait","epfd":5,"maxevents":64,"timeout_ms":1,"ret":1,"ready":[{"fd":7,"conn":1,"mask":"IN"}],"wait_ns":10}
{"seq":2,"t_ns":110,"kind":"read","fd":7,"conn":1,"requested":16384,"ret":14}
{"seq":3,"t_ns":110,"kind":"command","conn":1,"name":"ping","argc":1,"args":[]}
{"seq":4,"t_ns":900,"kind":"reply","conn":1,"bytes":7,"head":"+PONG","digest":"0"}
{"seq":5,"t_ns":300,"kind":"epoll_wait","epfd":5,"maxevents":64,"timeout_ms":1,"ret":0,"ready":[],"wait_ns":100}
)";
  PerfettoExportStats stats;
  Checked c = CheckTrace(RenderPerfettoTrace(BuildFromText(text), {}, &stats));
  EXPECT_TRUE(c.problems.empty()) << c.problems.front();
  EXPECT_EQ(stats.clamped_slices, 1u);
  EXPECT_EQ(c.other["clamped_slices"], 1);
}

TEST(PerfettoExport, RequestsStartAtTheirWireArrivalWhenKnown) {
  RequestSpans spans = BuildFromText(std::string(kHeader) + kTimeline);
  // Wire requests as the pcap would give them: conn 1 SET, GET, INCR; conn 2
  // PING then a request the timeline calls something else.
  WireRequests wire;
  auto add = [&](uint64_t conn, uint64_t n, const char* command, int64_t t) {
    WireRequest w;
    w.conn = conn;
    w.index_in_conn = n;
    w.command = command;
    w.t_request_ns = t;
    wire.requests.push_back(w);
  };
  add(1, 0, "set", 195);
  add(1, 1, "get", 196);
  add(1, 2, "incr", 600);  // after its read (500): a bad clock join, not believed
  add(2, 0, "ping", 228);
  add(2, 1, "quit", 1010);  // not the timeline's PING: the join stops here
  uint64_t mismatches = 0;
  std::vector<int64_t> arrivals = WireArrivalsByRequest(spans, wire, &mismatches);
  EXPECT_EQ(mismatches, 1u);
  ASSERT_EQ(arrivals.size(), 5u);  // requests: set, get, ping, incr, ping
  EXPECT_EQ(arrivals, (std::vector<int64_t>{195, 196, 228, 600, kNoTime}));
  EXPECT_EQ(RequestArrivalNs(spans.requests[0], &arrivals), 195);
  EXPECT_EQ(RequestArrivalNs(spans.requests[3], &arrivals), 500);  // the read wins
  EXPECT_EQ(RequestArrivalNs(spans.requests[4], &arrivals), 1020);
  EXPECT_EQ(RequestArrivalNs(spans.requests[0], nullptr), 210);

  PerfettoExportOptions options;
  options.wire_arrival_ns = &arrivals;
  PerfettoExportStats stats;
  Checked c = CheckTrace(RenderPerfettoTrace(spans, options, &stats));
  EXPECT_TRUE(c.problems.empty()) << c.problems.front();
  EXPECT_EQ(stats.wire_arrivals, 3u);
  // SET and GET now start apart (195, 196) and GET outlives SET: they no
  // longer nest, so GET takes the second track and INCR (500) follows SET.
  auto conn1 = Named(c.slices[2], "request");
  auto conn1b = Named(c.slices[3], "request");
  ASSERT_EQ(conn1.size(), 2u);
  ASSERT_EQ(conn1b.size(), 1u);
  EXPECT_EQ(conn1[0]->name, "set");
  EXPECT_EQ(conn1[0]->ts, 195);
  EXPECT_EQ(conn1[0]->event["args"]["arrival"], "pcap");
  EXPECT_EQ(conn1[0]->event["args"]["unread_ns"], 15);
  EXPECT_EQ(conn1[1]->name, "incr");
  EXPECT_EQ(conn1[1]->ts, 500);
  EXPECT_EQ(conn1[1]->event["args"]["arrival"], "read");
  EXPECT_EQ(conn1b[0]->name, "get");
  EXPECT_EQ(conn1b[0]->ts, 196);
  EXPECT_EQ(conn1b[0]->end, 1010);
}

// Counts taken from the timeline file itself, independently of RequestSpans.
struct TimelineCounts {
  size_t epoll_waits = 0;
  size_t commands = 0;
  std::map<uint64_t, size_t> commands_per_conn;
  std::map<uint64_t, std::string> peers;
};

TimelineCounts CountTimeline(const std::string& text) {
  TimelineCounts n;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    json e = json::parse(line);
    if (e["kind"] == "epoll_wait") n.epoll_waits++;
    if (e["kind"] == "command") {
      n.commands++;
      n.commands_per_conn[e["conn"].get<uint64_t>()]++;
    }
    if (e["kind"] == "accept" && e.contains("peer"))
      n.peers[e["conn"].get<uint64_t>()] = e["peer"].get<std::string>();
  }
  return n;
}

TEST(PerfettoExport, CommittedTracesExportValidTraces) {
  for (const char* name : {"set_get_session", "pipeline_burst", "large_value", "debug_sleep_stall",
                           "two_clients_race"}) {
    SCOPED_TRACE(name);
    std::ifstream f(std::string(REEL_TRACES_DIR) + "/" + name + "/timeline.golden.jsonl");
    ASSERT_TRUE(f.good());
    std::stringstream buf;
    buf << f.rdbuf();
    TimelineCounts want = CountTimeline(buf.str());

    PerfettoExportStats stats;
    std::string text = RenderPerfettoTrace(BuildFromText(buf.str()), {}, &stats);
    EXPECT_EQ(text, RenderPerfettoTrace(BuildFromText(buf.str()))) << "not deterministic";
    EXPECT_EQ(stats.clamped_slices, 0u);
    Checked c = CheckTrace(text);
    EXPECT_TRUE(c.problems.empty())
        << c.problems.size() << " problems, first: " << c.problems.front();

    EXPECT_EQ(Named(c.slices[1], "loop").size(), want.epoll_waits);
    EXPECT_EQ(Named(c.slices[1], "command").size(), want.commands);
    // Requests per connection, over all of a connection's tracks.
    std::map<uint64_t, size_t> got;
    for (const auto& [tid, tname] : c.thread_names) {
      if (tname.rfind("conn ", 0) != 0) continue;
      uint64_t conn = std::stoull(tname.substr(5));
      got[conn] += Named(c.slices[tid], "request").size();
      std::string peer = want.peers[conn];
      EXPECT_EQ(tname.substr(0, 5 + std::to_string(conn).size() + 1 + peer.size()),
                "conn " + std::to_string(conn) + " " + peer);
    }
    for (auto& [conn, n] : want.commands_per_conn) EXPECT_EQ(got[conn], n) << "conn " << conn;
    for (auto& [conn, n] : got) {
      if (n > 0) {
        EXPECT_TRUE(want.commands_per_conn.count(conn)) << "conn " << conn;
      }
    }
  }
}

TEST(PerfettoExport, CommittedBundlesJoinEveryRequestToThePcap) {
  for (const char* name : {"set_get_session", "pipeline_burst", "large_value", "debug_sleep_stall",
                           "two_clients_race"}) {
    SCOPED_TRACE(name);
    AnalysisInput in;
    std::string error;
    ASSERT_TRUE(LoadAnalysisInput(std::string(REEL_TRACES_DIR) + "/" + name, &in, &error)) << error;
    ASSERT_TRUE(in.has_pcap);
    ASSERT_TRUE(in.has_commands);
    uint64_t mismatches = 0;
    std::vector<int64_t> arrivals =
        WireArrivalsByRequest(in.spans, CollectWireRequests(in.bundle, in.accepted), &mismatches);
    EXPECT_EQ(mismatches, 0u);
    for (const RequestSpan& r : in.spans.requests) {
      ASSERT_NE(arrivals[r.index], kNoTime) << "request " << r.index;
      // The bytes reached the server before the read that took them.
      EXPECT_LE(arrivals[r.index], r.t_arrival_ns) << "request " << r.index;
    }
    PerfettoExportOptions options;
    options.wire_arrival_ns = &arrivals;
    PerfettoExportStats stats;
    Checked c = CheckTrace(RenderPerfettoTrace(in.spans, options, &stats));
    EXPECT_TRUE(c.problems.empty()) << c.problems.front();
    EXPECT_EQ(stats.wire_arrivals, in.spans.requests.size());
    EXPECT_EQ(stats.clamped_slices, 0u);
  }
}

}  // namespace
}  // namespace reel::analyzers
