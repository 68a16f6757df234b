// What-if replays: the same client inputs replayed through reel-server's
// own code on the kernel model under a changed reactor or kernel policy
// (maxevents, edge-triggering, the order of each epoll_wait batch, the send
// buffer, serverCron's frequency), compared with the unchanged run, which
// reproduces the recording. Reports the replies that change — behaviour that
// depends on the order or timing of events — and how latency moves.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "replay/bundle.h"
#include "replay/model_replay.h"

namespace reel::analyzers {

struct LatencySummary {
  uint64_t requests = 0;
  uint64_t complete = 0;  // replies fully written
  int64_t p50_ns = 0, p99_ns = 0, max_ns = 0;
  int64_t longest_iteration_ns = 0;  // the longest event-loop turn
};

struct WhatIfRun {
  std::string policy;  // "order shuffle:7", ...
  uint64_t seed = 0;   // for shuffle runs
  replay::ModelReplayResult result;
  std::vector<replay::ReplyChange> changes;  // against the base run
  LatencySummary latency;
  std::string timeline;  // JSON Lines
};

struct WhatIfOptions {
  replay::ModelReplayOptions model;  // the changed policy
  uint64_t explore = 0;              // > 0: try shuffle seeds 1..explore (with the rest of model)
};

struct WhatIfReport {
  bool ran = false;
  std::string problem;  // why it could not run (bad input)
  std::string source;
  replay::OwnCodeCheck base_check;  // does the unchanged run reproduce the capture?
  WhatIfRun base;
  std::vector<WhatIfRun> runs;           // one, or one per explored seed
  std::vector<uint64_t> seeds_changing;  // explore: seeds whose run changes a reply
  bool any_change() const;
};

// Describes a policy for people ("order reverse, maxevents 1").
std::string DescribePolicy(const replay::ModelReplayOptions& o);

WhatIfReport RunWhatIf(const replay::Bundle& bundle, const WhatIfOptions& options);

// The latency summary of a timeline (via RequestSpans).
LatencySummary SummarizeLatency(const std::string& timeline);

}  // namespace reel::analyzers
