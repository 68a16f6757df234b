#include "analyzers/latency.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "analyzers/wire_requests.h"

namespace reel::analyzers {
namespace {

std::string PeerOf(const AnalysisInput& in, uint64_t conn) {
  auto it = in.spans.connections.find(conn);
  if (it != in.spans.connections.end() && !it->second.peer.empty()) return it->second.peer;
  if (conn >= 1 && conn <= in.accepted.size()) return in.accepted[conn - 1].peer.ToString();
  return "";
}

// One measured request, whichever side measured it.
struct Sample {
  uint64_t conn;
  std::string peer;
  std::string command;
  std::string key;
  int64_t t_ns;
  int64_t latency_ns;
  int64_t iteration;
};

void SummarizeSide(std::vector<Sample> samples, size_t top, LatencySide* side) {
  std::map<std::string, std::vector<int64_t>> by_command;
  std::map<uint64_t, std::vector<int64_t>> by_conn;
  std::map<uint64_t, std::string> peers;
  std::vector<int64_t> all;
  for (const Sample& s : samples) {
    all.push_back(s.latency_ns);
    by_command[s.command].push_back(s.latency_ns);
    by_conn[s.conn].push_back(s.latency_ns);
    peers[s.conn] = s.peer;
  }
  side->all = Summarize(std::move(all));
  for (auto& [name, v] : by_command) {
    LatencyGroup g;
    g.command = name;
    g.stats = Summarize(std::move(v));
    side->by_command.push_back(std::move(g));
  }
  for (auto& [conn, v] : by_conn) {
    LatencyGroup g;
    g.conn = conn;
    g.peer = peers[conn];
    g.stats = Summarize(std::move(v));
    side->by_conn.push_back(std::move(g));
  }
  // Slowest first; ties by time, then connection: the same input always
  // lists the same requests.
  std::stable_sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) {
    return std::tie(b.latency_ns, a.t_ns, a.conn) < std::tie(a.latency_ns, b.t_ns, b.conn);
  });
  for (size_t i = 0; i < samples.size() && i < top; i++) {
    const Sample& s = samples[i];
    side->slowest.push_back({s.conn, s.peer, s.command, s.key, s.t_ns, s.latency_ns, s.iteration});
  }
}

void WireSide(const AnalysisInput& in, const WireRequests& wire, size_t top, LatencySide* side) {
  side->basis = "pcap: last request byte readable at the server -> last reply byte captured";
  if (!in.has_pcap) return;
  side->available = true;
  side->notes = wire.notes;
  std::vector<Sample> samples;
  for (const WireRequest& w : wire.requests) {
    side->requests++;
    if (!w.complete()) {
      side->incomplete++;
      continue;
    }
    samples.push_back({w.conn, w.peer, w.command, w.key, w.t_request_ns, w.latency_ns(), -1});
  }
  SummarizeSide(std::move(samples), top, side);
}

void ServerSide(const AnalysisInput& in, size_t top, LatencySide* side) {
  side->basis = "timeline: command dispatched -> write that completed its reply";
  if (!in.has_commands) return;
  side->available = true;
  std::vector<Sample> samples;
  for (const RequestSpan& r : in.spans.requests) {
    side->requests++;
    if (!r.complete()) {
      side->incomplete++;
      continue;
    }
    samples.push_back({r.conn, PeerOf(in, r.conn), r.command, r.key, r.t_dispatch_ns,
                       r.latency_ns(), r.iteration});
  }
  if (side->incomplete > 0)
    side->notes.push_back(std::to_string(side->incomplete) +
                          " request(s) never had their reply fully written (connection closed or "
                          "recording ended first)");
  SummarizeSide(std::move(samples), top, side);
}

// What ran in a stall iteration, from the timeline: commands and their run
// time (reply produced - dispatch), grouped by connection and name.
void CommandsFromTimeline(const AnalysisInput& in, const LoopIteration& it, Stall* stall) {
  std::map<std::pair<uint64_t, std::string>, StallCommand> groups;
  for (uint64_t index : it.requests) {
    const RequestSpan& r = in.spans.requests[index];
    StallCommand& g = groups[{r.conn, r.command}];
    if (g.count == 0) {
      g.conn = r.conn;
      g.command = r.command;
      g.key = r.key;
      g.cost_ns = 0;
    }
    g.count++;
    if (r.t_reply_produced_ns != kNoTime) g.cost_ns += r.t_reply_produced_ns - r.t_dispatch_ns;
    stall->command_count++;
  }
  for (auto& [k, g] : groups) stall->commands.push_back(std::move(g));
}

// Without a timeline: the wire requests whose last byte the iteration's
// reads consumed (their run time is unknown).
void CommandsFromWire(const WireRequests& wire,
                      const std::map<uint64_t, std::pair<uint64_t, uint64_t>>& consumed,
                      Stall* stall) {
  std::map<std::pair<uint64_t, std::string>, StallCommand> groups;
  for (const WireRequest& w : wire.requests) {
    auto it = consumed.find(w.conn);
    if (it == consumed.end()) continue;
    if (w.request_end <= it->second.first || w.request_end > it->second.second) continue;
    StallCommand& g = groups[{w.conn, w.command}];
    if (g.count == 0) {
      g.conn = w.conn;
      g.command = w.command;
      g.key = w.key;
    }
    g.count++;
    stall->command_count++;
  }
  for (auto& [k, g] : groups) stall->commands.push_back(std::move(g));
}

// The clients whose request bytes had arrived and were still unread when
// the stall ended.
void DelayedFromPcap(const AnalysisInput& in, Stall* stall) {
  stall->delayed_basis = "pcap";
  for (const auto& [conn, arrived] : in.arrived) {
    if (stall->has_cause && conn == stall->cause.conn) continue;
    uint64_t got = arrived.At(stall->t_end_ns);
    auto r = in.read.find(conn);
    uint64_t read = r == in.read.end() ? 0 : r->second.At(stall->t_end_ns);
    if (got <= read) continue;
    DelayedClient d;
    d.conn = conn;
    d.peer = PeerOf(in, conn);
    d.pending_bytes = got - read;
    d.pending_since_ns = arrived.TimeExceeding(read);
    d.waited_ns = stall->t_end_ns - d.pending_since_ns;
    stall->delayed.push_back(std::move(d));
  }
  std::stable_sort(
      stall->delayed.begin(), stall->delayed.end(),
      [](const DelayedClient& a, const DelayedClient& b) { return a.waited_ns > b.waited_ns; });
}

// Without a pcap: the connections the next epoll_wait reported ready.
void DelayedFromNextWait(const AnalysisInput& in, Stall* stall) {
  stall->delayed_basis = "next_epoll_wait";
  if (stall->iteration + 1 >= in.spans.iterations.size()) return;
  for (const ReadyEntry& e : in.spans.iterations[stall->iteration + 1].ready) {
    if (e.conn == 0 || (stall->has_cause && e.conn == stall->cause.conn)) continue;
    DelayedClient d;
    d.conn = e.conn;
    d.peer = PeerOf(in, e.conn);
    stall->delayed.push_back(std::move(d));
  }
}

}  // namespace

LatencyReport ComputeLatency(const AnalysisInput& in, const LatencyOptions& options) {
  LatencyReport rep;
  rep.source = in.source;
  rep.missing = in.missing;
  rep.stall_threshold_ns = options.stall_ns;
  rep.iterations = in.spans.iterations.size();
  rep.iterations_basis =
      in.spans_source == AnalysisInput::SpansSource::kTimeline ? "timeline" : "event_log";

  WireRequests wire;
  if (in.has_pcap) wire = CollectWireRequests(in.bundle, in.accepted);
  WireSide(in, wire, options.top, &rep.wire);
  ServerSide(in, options.top, &rep.server);

  // Request bytes read per connection before each iteration, to know which
  // wire requests an iteration consumed.
  std::map<uint64_t, uint64_t> read_total;
  for (const LoopIteration& it : in.spans.iterations) {
    std::map<uint64_t, std::pair<uint64_t, uint64_t>> consumed;  // conn -> (before, after)
    for (const IterationRead& r : it.reads) {
      if (r.bytes <= 0 || r.conn == 0) continue;
      auto pos = consumed.try_emplace(r.conn, read_total[r.conn], read_total[r.conn]).first;
      read_total[r.conn] += static_cast<uint64_t>(r.bytes);
      pos->second.second = read_total[r.conn];
    }
    if (it.busy_ns() <= options.stall_ns) continue;
    Stall s;
    s.iteration = it.index;
    s.t_start_ns = it.t_start_ns;
    s.t_end_ns = it.t_end_ns;
    s.busy_ns = it.busy_ns();
    s.longest_step_ns = it.longest_step_ns;
    s.longest_step_kind = it.longest_step_kind;
    s.longest_step_conn = it.longest_step_conn;
    if (in.has_commands)
      CommandsFromTimeline(in, it, &s);
    else
      CommandsFromWire(wire, consumed, &s);
    // Costliest first; with unknown costs, the most numerous.
    std::stable_sort(s.commands.begin(), s.commands.end(),
                     [](const StallCommand& a, const StallCommand& b) {
                       if (a.cost_ns != b.cost_ns) return a.cost_ns > b.cost_ns;
                       return a.count > b.count;
                     });
    if (!s.commands.empty()) {
      const StallCommand& top = s.commands.front();
      double share = top.cost_ns >= 0 && s.busy_ns > 0
                         ? static_cast<double>(top.cost_ns) / static_cast<double>(s.busy_ns)
                         : 0;
      // A command is the cause when it filled most of the iteration; with
      // run times unknown (no timeline), the commands that ran are all we have.
      if (top.cost_ns < 0 || share >= kCauseShare) {
        s.has_cause = true;
        s.cause = top;
        s.cause_peer = PeerOf(in, top.conn);
        s.cause_share = share;
      }
    }
    if (in.has_pcap)
      DelayedFromPcap(in, &s);
    else
      DelayedFromNextWait(in, &s);
    rep.stalls.push_back(std::move(s));
  }
  return rep;
}

}  // namespace reel::analyzers
