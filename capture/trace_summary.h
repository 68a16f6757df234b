// TraceSummary: what `reel inspect` prints — counts per kind, the accepted
// connections with their bytes each way, the time span and any losses —
// computed from a decoded event log.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "capture/trace_reader.h"

namespace reel {

struct ConnectionSummary {
  int fd = -1;
  uint64_t accept_seq = 0;
  int64_t accept_ns = 0;
  int64_t close_ns = -1;  // -1: still open when the log ends
  SockAddr peer, local;
  uint64_t bytes_in = 0;   // read from the client
  uint64_t bytes_out = 0;  // written to the client
  uint64_t reads = 0, writes = 0;
};

struct TraceSummary {
  uint64_t records = 0;
  uint64_t first_seq = 0, last_seq = 0;
  uint64_t seq_gaps = 0;              // records the writer numbered but never wrote
  int64_t first_ns = 0, last_ns = 0;  // CLOCK_MONOTONIC
  std::map<std::string, uint64_t> per_kind;
  std::vector<ConnectionSummary> connections;  // in accept order
  uint64_t bytes_in = 0, bytes_out = 0;
  uint64_t epoll_waits = 0, epoll_events = 0;
  uint64_t failed_calls = 0;  // results with an errno
};

TraceSummary Summarize(const TraceFile& log);

}  // namespace reel
