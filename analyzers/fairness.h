// `reel fairness`'s calculation (docs/analyzers.md#reel-fairness): how the
// event loop shares itself between connections.
//   - per epoll_wait (a batch): how many fds it returned, whether it was
//     full (ret == maxevents), the order the loop then served connections;
//   - per connection: readiness -> service (the epoll_wait return that
//     reported it -> its first read in that iteration), data arrival ->
//     service (pcap), turns ready but unserved (returned and not read, or
//     data pending and not returned: a full batch truncated it), bytes
//     served per turn;
//   - findings: a turn whose data waited at least `wait_ns`, classified
//       starvation   - at least one iteration began after the data arrived
//                      and did not serve the connection;
//       head_of_line - the first iteration that could serve it did, but
//                      other connections' work came first;
//     and attributed to the connection whose work filled the wait.
// A plain library: `reel report` and `reel whatif` call it too.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzers/analysis_input.h"
#include "analyzers/latency_stats.h"

namespace reel::analyzers {

struct FairnessOptions {
  // A wait this long is a finding: the same 10 ms as `reel latency`'s stall.
  int64_t wait_ns = 10'000'000;
  // Data captured this long before an epoll_wait returned must have been
  // readable to it (capture and socket see a packet microseconds apart).
  int64_t arrival_tolerance_ns = 1'000'000;
};

struct Batch {
  uint64_t iteration = 0;
  int64_t t_ns = 0;  // the epoll_wait returned
  int64_t busy_ns = 0;
  int maxevents = 0;
  uint64_t ready = 0;                    // fds returned (listener included)
  bool full = false;                     // ready == maxevents: more may have been ready
  std::vector<uint64_t> service_order;   // connections in the order of their first read
  std::vector<uint64_t> ready_unserved;  // returned readable, not read
  std::vector<uint64_t> missed;          // data pending, not returned
};

struct ConnFairness {
  uint64_t conn = 0;
  std::string peer;
  uint64_t ready_turns = 0;   // epoll_waits that returned it readable
  uint64_t served_turns = 0;  // iterations that read from it
  uint64_t ready_unserved = 0;
  uint64_t missed = 0;                // data pending >= tolerance before a return that omitted it
  uint64_t missed_in_full_batch = 0;  // of those, the batch was full (maxevents truncation)
  LatencyStats ready_to_service;      // ns
  LatencyStats arrival_to_service;    // ns; count 0 without a pcap
  uint64_t bytes_read = 0;
  uint64_t max_bytes_per_turn = 0;
  uint64_t mean_bytes_per_turn = 0;
  uint64_t commands = 0;   // run for it (timeline)
  int64_t command_ns = 0;  // their summed run time (timeline)
};

struct FairnessFinding {
  std::string kind;   // "starvation" or "head_of_line"
  uint64_t conn = 0;  // the victim
  std::string peer;
  uint64_t iteration = 0;          // the one that finally served it
  int64_t t_waiting_since_ns = 0;  // data arrived (pcap) or first reported ready
  int64_t t_served_ns = 0;
  int64_t waited_ns = 0;
  uint64_t passed_over = 0;  // iterations that began after it waited and did not serve it
  uint64_t culprit = 0;      // 0: no other connection worked during the wait
  std::string culprit_peer;
  std::string culprit_what;  // "sunionstore x100", or "1234 bytes read" without a timeline
  int64_t culprit_ns = -1;   // the culprit's command time inside the wait; -1 unknown
  double culprit_share = 0;  // culprit_ns / waited_ns
};

struct FairnessReport {
  std::string source;
  std::vector<std::string> missing;
  std::string waiting_basis;  // "pcap" (data arrival) or "readiness" (epoll_wait report)
  int64_t wait_threshold_ns = 0;
  bool commands_known = false;  // a timeline gave the commands (else commands/command_ns are 0)
  uint64_t iterations = 0;
  std::vector<uint64_t> batch_sizes;  // [n] = epoll_waits that returned n fds (n < 64; last = 64+)
  std::vector<Batch> batches;         // those that returned or missed a client connection
  std::vector<ConnFairness> connections;
  std::vector<FairnessFinding> findings;  // longest wait first
};

FairnessReport ComputeFairness(const AnalysisInput& input, const FairnessOptions& options);

nlohmann::json ToJson(const FairnessReport& report);
std::string FormatFairnessText(const FairnessReport& report);

}  // namespace reel::analyzers
