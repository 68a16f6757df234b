#include "analyzers/fairness.h"

#include <algorithm>
#include <map>
#include <set>

namespace reel::analyzers {
namespace {

bool Readable(const std::string& mask) {
  // Any of these makes the loop's read handler run.
  for (const char* bit : {"IN", "HUP", "ERR", "RDHUP"}) {
    size_t at = 0;
    while ((at = mask.find(bit, at)) != std::string::npos) {
      bool start = at == 0 || mask[at - 1] == '|';
      size_t end = at + std::string(bit).size();
      if (start && (end == mask.size() || mask[end] == '|')) return true;
      at = end;
    }
  }
  return false;
}

std::string PeerOf(const AnalysisInput& in, uint64_t conn) {
  auto it = in.spans.connections.find(conn);
  if (it != in.spans.connections.end() && !it->second.peer.empty()) return it->second.peer;
  if (conn >= 1 && conn <= in.accepted.size()) return in.accepted[conn - 1].peer.ToString();
  return "";
}

bool OpenAt(const AnalysisInput& in, uint64_t conn, int64_t t_ns) {
  auto it = in.spans.connections.find(conn);
  if (it == in.spans.connections.end()) return false;
  const ConnectionSpan& c = it->second;
  if (c.t_accept_ns == kNoTime || c.t_accept_ns > t_ns) return false;
  return c.t_close_ns == kNoTime || c.t_close_ns > t_ns;
}

// Per-connection accumulators (samples are summarized at the end).
struct ConnAcc {
  ConnFairness out;
  std::vector<int64_t> ready_to_service;
  std::vector<int64_t> arrival_to_service;
  uint64_t turns_with_data = 0;
  int64_t ready_since = kNoTime;  // first unserved report since the last read
};

// Who worked while `victim` waited in [from, to]: with a timeline, command
// run time overlapping the window; without, bytes read. Returns the other
// connections' total command time (0 without a timeline).
int64_t Attribute(const AnalysisInput& in, uint64_t served_iteration, uint64_t victim, int64_t from,
                  int64_t to, FairnessFinding* f) {
  std::map<uint64_t, int64_t> ns;
  std::map<uint64_t, std::map<std::string, uint64_t>> names;
  std::map<uint64_t, uint64_t> bytes;
  for (uint64_t i = served_iteration + 1; i-- > 0;) {
    const LoopIteration& it = in.spans.iterations[i];
    if (it.t_end_ns < from) break;
    for (uint64_t index : it.requests) {
      const RequestSpan& r = in.spans.requests[index];
      if (r.conn == victim || r.t_reply_produced_ns == kNoTime) continue;
      int64_t overlap = std::min(r.t_reply_produced_ns, to) - std::max(r.t_dispatch_ns, from);
      if (overlap <= 0 && !(r.t_dispatch_ns >= from && r.t_dispatch_ns <= to)) continue;
      ns[r.conn] += std::max<int64_t>(overlap, 0);
      names[r.conn][r.command]++;
    }
    for (const IterationRead& r : it.reads)
      if (r.conn != victim && r.conn != 0 && r.bytes > 0 && r.t_ns >= from && r.t_ns <= to)
        bytes[r.conn] += static_cast<uint64_t>(r.bytes);
  }
  if (in.has_commands && !ns.empty()) {
    auto top = std::max_element(ns.begin(), ns.end(), [](const auto& a, const auto& b) {
      return a.second < b.second || (a.second == b.second && a.first > b.first);
    });
    f->culprit = top->first;
    f->culprit_ns = top->second;
    f->culprit_share = f->waited_ns > 0 ? static_cast<double>(top->second) / f->waited_ns : 0;
    for (const auto& [name, count] : names[top->first]) {
      if (!f->culprit_what.empty()) f->culprit_what += ", ";
      f->culprit_what += name + " x" + std::to_string(count);
    }
  } else if (!bytes.empty()) {
    auto top = std::max_element(bytes.begin(), bytes.end(), [](const auto& a, const auto& b) {
      return a.second < b.second || (a.second == b.second && a.first > b.first);
    });
    f->culprit = top->first;
    f->culprit_what = std::to_string(top->second) + " request bytes read";
  }
  if (f->culprit != 0) f->culprit_peer = PeerOf(in, f->culprit);
  int64_t total = 0;
  for (const auto& [conn, t] : ns) total += t;
  return total;
}

}  // namespace

FairnessReport ComputeFairness(const AnalysisInput& in, const FairnessOptions& options) {
  FairnessReport rep;
  rep.source = in.source;
  rep.missing = in.missing;
  rep.waiting_basis = in.has_pcap ? "pcap" : "readiness";
  rep.wait_threshold_ns = options.wait_ns;
  rep.commands_known = in.has_commands;
  rep.iterations = in.spans.iterations.size();
  rep.batch_sizes.assign(65, 0);

  std::map<uint64_t, ConnAcc> acc;
  for (const auto& [conn, c] : in.spans.connections) {
    if (conn == 0) continue;
    acc[conn].out.conn = conn;
    acc[conn].out.peer = PeerOf(in, conn);
  }
  std::map<uint64_t, uint64_t> read_total;

  for (const LoopIteration& it : in.spans.iterations) {
    Batch b;
    b.iteration = it.index;
    b.t_ns = it.t_start_ns;
    b.busy_ns = it.busy_ns();
    b.maxevents = it.maxevents;
    b.ready = it.ready.size();
    b.full = it.maxevents > 0 && static_cast<int64_t>(it.ready.size()) >= it.maxevents;
    rep.batch_sizes[std::min<size_t>(it.ready.size(), 64)]++;

    std::set<uint64_t> ready;
    for (const ReadyEntry& e : it.ready)
      if (e.conn != 0 && Readable(e.mask)) ready.insert(e.conn);

    // The loop's service order, the first read's time, and bytes per connection.
    std::map<uint64_t, int64_t> first_read;
    std::map<uint64_t, uint64_t> bytes;
    for (const IterationRead& r : it.reads) {
      if (r.conn == 0) continue;
      if (first_read.emplace(r.conn, r.t_ns).second) b.service_order.push_back(r.conn);
      if (r.bytes > 0) bytes[r.conn] += static_cast<uint64_t>(r.bytes);
    }

    for (uint64_t conn : ready) {
      ConnAcc& a = acc[conn];
      a.out.conn = conn;
      a.out.ready_turns++;
      auto fr = first_read.find(conn);
      if (fr != first_read.end()) {
        a.ready_to_service.push_back(fr->second - it.t_start_ns);
      } else {
        a.out.ready_unserved++;
        b.ready_unserved.push_back(conn);
        if (a.ready_since == kNoTime) a.ready_since = it.t_start_ns;
      }
    }

    // Data pending well before the wait returned, yet not returned.
    for (const auto& [conn, arrived] : in.arrived) {
      if (ready.count(conn) || !OpenAt(in, conn, it.t_start_ns)) continue;
      auto r = in.read.find(conn);
      uint64_t consumed = r == in.read.end() ? 0 : r->second.At(it.t_start_ns - 1);
      if (arrived.At(it.t_start_ns - options.arrival_tolerance_ns) <= consumed) continue;
      ConnAcc& a = acc[conn];
      a.out.missed++;
      if (b.full) a.out.missed_in_full_batch++;
      b.missed.push_back(conn);
    }

    // Every turn that read data: how long that data had waited.
    for (const auto& [conn, n] : bytes) {
      ConnAcc& a = acc[conn];
      a.out.served_turns++;
      a.out.bytes_read += n;
      a.out.max_bytes_per_turn = std::max(a.out.max_bytes_per_turn, n);
      a.turns_with_data++;
      int64_t t_read = first_read[conn];
      int64_t since = kNoTime;
      if (in.has_pcap) {
        auto arr = in.arrived.find(conn);
        if (arr != in.arrived.end()) since = arr->second.TimeExceeding(read_total[conn]);
      }
      bool from_pcap = since != kNoTime;
      if (!from_pcap) since = a.ready_since != kNoTime ? a.ready_since : it.t_start_ns;
      int64_t waited = std::max<int64_t>(0, t_read - since);
      if (from_pcap) a.arrival_to_service.push_back(waited);
      if (waited >= options.wait_ns) {
        FairnessFinding f;
        f.conn = conn;
        f.peer = a.out.peer;
        f.iteration = it.index;
        f.t_waiting_since_ns = since;
        f.t_served_ns = t_read;
        f.waited_ns = waited;
        int64_t after = since + (from_pcap ? options.arrival_tolerance_ns : 0);
        for (uint64_t j = it.index; j-- > 0 && in.spans.iterations[j].t_start_ns > after;)
          f.passed_over++;
        f.kind = f.passed_over > 0 ? "starvation" : "head_of_line";
        int64_t others_ns = Attribute(in, it.index, conn, since, t_read, &f);
        // A wait filled by the connection's own earlier commands (its big
        // pipeline served 16 KB a turn) is not unfairness: head-of-line
        // blocking needs other connections' work to fill most of it.
        bool others_filled = in.has_commands ? others_ns * 2 >= waited : f.culprit != 0;
        if (f.passed_over > 0 || others_filled) rep.findings.push_back(std::move(f));
      }
    }
    // A read (data, EOF or error) ends a wait for readiness.
    for (const auto& [conn, t] : first_read) acc[conn].ready_since = kNoTime;
    for (const auto& [conn, n] : bytes) read_total[conn] += n;

    for (uint64_t index : it.requests) {
      const RequestSpan& r = in.spans.requests[index];
      ConnAcc& a = acc[r.conn];
      a.out.commands++;
      if (r.t_reply_produced_ns != kNoTime)
        a.out.command_ns += r.t_reply_produced_ns - r.t_dispatch_ns;
    }
    if (!ready.empty() || !b.service_order.empty() || !b.missed.empty())
      rep.batches.push_back(std::move(b));
  }

  for (auto& [conn, a] : acc) {
    if (conn == 0) continue;
    a.out.ready_to_service = Summarize(std::move(a.ready_to_service));
    a.out.arrival_to_service = Summarize(std::move(a.arrival_to_service));
    if (a.turns_with_data > 0) a.out.mean_bytes_per_turn = a.out.bytes_read / a.turns_with_data;
    if (a.out.peer.empty()) a.out.peer = PeerOf(in, conn);
    rep.connections.push_back(std::move(a.out));
  }
  std::stable_sort(
      rep.findings.begin(), rep.findings.end(),
      [](const FairnessFinding& a, const FairnessFinding& b) { return a.waited_ns > b.waited_ns; });
  return rep;
}

}  // namespace reel::analyzers
