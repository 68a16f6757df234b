// CostModel: how long reel-server's own work takes, learned from a
// recording, so a model-driven replay can advance its virtual clock once the
// server's calls no longer line up with the recording (a what-if run).
//
// The recording has the time every kernel call returned. Between an
// epoll_wait's return and the next one's entry the event loop is busy:
//
//   busy(iteration) = calls * per_call_ns + sum over commands (base_ns[name] + per_byte_ns * bytes)
//
// where bytes are the command's argument bytes plus its reply's. Fitted
// (docs/replay.md, "Cost model"):
//   per_call_ns   median of busy/calls over iterations that ran no command;
//   per_byte_ns   least-squares slope of the per-command residual against
//                 bytes per command, over iterations that ran commands;
//   base_ns[name] median per-command residual, less the byte cost, over the
//                 iterations whose commands all had that name;
//   default_base  the median over every command, for names never seen.
// Every value is clamped to >= 0 and to 1 s, so a noisy recording cannot
// produce a negative or absurd cost.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "replay/bundle.h"
#include "replay/progress_meter.h"

namespace reel::replay {

struct CostModel {
  int64_t per_call_ns = 1000;
  double per_byte_ns = 0.0;
  int64_t default_base_ns = 2000;
  std::map<std::string, int64_t> base_ns;  // lowercased command name -> cost
  uint64_t samples = 0;                    // iterations the fit used

  int64_t CommandNs(std::string_view name, uint64_t bytes) const;
  std::string Describe() const;  // one line per parameter, for --verbose and docs
};

// Fits the cost model to a reel-server bundle (replays it with the recorded
// schedule to learn which commands ran in which iteration). A bundle it
// cannot replay gives the defaults above. progress (may be null) is ticked
// by that replay.
CostModel CalibrateCostModel(const Bundle& bundle, ProgressSink* progress = nullptr);

}  // namespace reel::replay
