// `reel latency`'s calculation (docs/analyzers.md#reel-latency): request
// latency measured twice —
//   wire:   last request byte in -> last reply byte out, from the pcap
//           (WireRequests);
//   server: command dispatch -> reply written, from the timeline
//           (RequestSpans);
// summarized per command and per connection, the slowest requests, and the
// stalls: event-loop iterations busier than a threshold, with the commands
// that ran in them (the cause) and the clients whose data waited (the
// victims). A plain library: `reel report` and `reel whatif` call it too.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzers/analysis_input.h"
#include "analyzers/latency_stats.h"

namespace reel::analyzers {

// Redis's own slowlog threshold (slowlog-log-slower-than) is 10 ms: an
// iteration that long already shows as a latency spike in every client.
inline constexpr int64_t kDefaultStallNs = 10'000'000;

// A stall's cause must account for at least this share of its busy time.
inline constexpr double kCauseShare = 0.5;

struct LatencyOptions {
  size_t top = 10;
  int64_t stall_ns = kDefaultStallNs;
};

struct LatencyGroup {
  std::string command;  // per-command groups
  uint64_t conn = 0;    // per-connection groups
  std::string peer;
  LatencyStats stats;
};

struct SlowRequest {
  uint64_t conn = 0;
  std::string peer;
  std::string command;
  std::string key;
  int64_t t_ns = 0;  // when it started (request in / dispatch)
  int64_t latency_ns = 0;
  int64_t iteration = -1;  // server side: the loop iteration it ran in
};

struct LatencySide {
  bool available = false;
  std::string basis;  // what was measured, one line
  uint64_t requests = 0;
  uint64_t incomplete = 0;  // no reply captured / never written
  LatencyStats all;
  std::vector<LatencyGroup> by_command;  // by name
  std::vector<LatencyGroup> by_conn;     // by conn id
  std::vector<SlowRequest> slowest;      // slowest first
  std::vector<std::string> notes;
};

struct StallCommand {
  uint64_t conn = 0;
  std::string command;
  std::string key;
  uint64_t count = 0;    // commands of this name from this connection in the iteration
  int64_t cost_ns = -1;  // their summed run time; -1 when unknown (no timeline)
};

struct DelayedClient {
  uint64_t conn = 0;
  std::string peer;
  uint64_t pending_bytes = 0;     // unread request bytes when the stall ended
  int64_t pending_since_ns = -1;  // the first of them arrived; -1 when unknown
  int64_t waited_ns = -1;         // stall end - pending_since; -1 when unknown
};

struct Stall {
  uint64_t iteration = 0;
  int64_t t_start_ns = 0;
  int64_t t_end_ns = 0;
  int64_t busy_ns = 0;
  uint64_t command_count = 0;
  std::vector<StallCommand> commands;  // grouped by (conn, command), costliest first
  // commands[0], when it filled at least kCauseShare of the iteration (or
  // when run times are unknown); otherwise no command explains the stall and
  // longest_step says where the time went.
  bool has_cause = false;
  StallCommand cause;
  std::string cause_peer;
  double cause_share = 0;  // cause.cost_ns / busy_ns (0 when unknown)
  // The iteration's longest gap between two events and the event ending it
  // (LoopIteration::longest_step_*): where the time went when no command
  // accounts for it (a write that blocked, a descheduled thread).
  int64_t longest_step_ns = 0;
  std::string longest_step_kind;
  uint64_t longest_step_conn = 0;
  std::string delayed_basis;           // "pcap" (pending request bytes) or "next_epoll_wait"
  std::vector<DelayedClient> delayed;  // longest wait first
};

struct LatencyReport {
  std::string source;
  std::vector<std::string> missing;
  LatencySide wire;
  LatencySide server;
  int64_t stall_threshold_ns = kDefaultStallNs;
  uint64_t iterations = 0;
  std::string iterations_basis;  // "timeline" or "event_log"
  std::vector<Stall> stalls;     // in time order
};

LatencyReport ComputeLatency(const AnalysisInput& input, const LatencyOptions& options);

nlohmann::json ToJson(const LatencyReport& report);
std::string FormatLatencyText(const LatencyReport& report);

}  // namespace reel::analyzers
