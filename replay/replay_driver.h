// The replay driver: loads nothing itself — give it a Bundle — runs
// reel-server's own code on a RecordedKernel, writes the timeline, and
// returns the verdict: the recorded event order reproduced, every written
// byte equal to the capture, the final keyspace digest equal to the one
// recorded at shutdown.
#pragma once

#include <cstdint>
#include <string>

#include "replay/bundle.h"
#include "replay/progress_meter.h"
#include "replay/recorded_kernel.h"
#include "replay/redaction_verdict.h"
#include "replay/reel_replay.h"
#include "replay/timeline.h"

namespace reel::replay {

struct ReplayOptions {
  TimelineOptions timeline;
  // When set, every executed command and its reply bytes are appended here.
  std::vector<ReplayedCommand>* commands = nullptr;
  int64_t tolerance_ns = 1000000;  // see RecordedKernel
  // Ticked once per recorded call the server makes (null: none).
  ProgressSink* progress = nullptr;
};

struct ReplayVerdict {
  bool runnable = true;  // false: the bundle cannot be replayed (why in `problem`)
  std::string problem;
  bool order_reproduced = false;
  bool bytes_reproduced = false;
  bool digest_checked = false;  // false when the recording has no final digest (cut)
  bool digest_reproduced = false;
  std::string digest_recorded, digest_replayed;
  bool cut = false;  // the recording ends before the server stopped
  uint64_t commands = 0;
  uint64_t connections = 0;
  RecordedReport report;

  bool reproduced() const {
    return runnable && order_reproduced && bytes_reproduced &&
           (!digest_checked || digest_reproduced);
  }
  // A redacted bundle (meta.json "redaction"): which differences redaction
  // explains (replay/redaction_verdict.h).
  RedactionVerdict redaction;
  // Everything comparable reproduced, but some replies depend on bytes the
  // redaction replaced: `reel replay` exits 3.
  bool not_comparable() const {
    return runnable && !reproduced() && redaction.explains_differences &&
           (!digest_checked || digest_reproduced);
  }
  // One paragraph for people: what matched, and the first thing that did not.
  std::string Describe() const;
};

// True when the bundle was recorded from reel-server (its own code can run).
bool IsReelServerBundle(const Bundle& bundle);

// Runs the recorded schedule. timeline may be null.
ReplayVerdict ReplayRecorded(const Bundle& bundle, const ReplayOptions& options,
                             TimelineWriter* timeline);

}  // namespace reel::replay
