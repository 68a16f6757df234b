// Model-driven replay: reel-server's own code on the ModelKernel, fed a
// ClientScript, under a policy (docs/replay.md, "reel-server on the model").
// With the default policy it should reproduce the recording — replay
// --schedule model reports whether it does; with a changed policy it is the
// engine of `reel whatif`; on an edited script it synthesizes new runs for
// `reel minimize`.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "replay/bundle.h"
#include "replay/client_script.h"
#include "replay/cost_model.h"
#include "replay/model_kernel.h"
#include "replay/progress_meter.h"
#include "replay/reel_replay.h"
#include "replay/timeline.h"

namespace reel::replay {

struct ModelReplayOptions {
  ModelPolicy policy;
  int hz = 0;         // > 0: the server's serverCron frequency instead of the recorded one
  int maxevents = 0;  // > 0: the server's epoll_wait maxevents (reactor policy)
  // Follow the bundle's recording while calls line up (false: the cost
  // model times everything from the start).
  bool follow_recording = true;
  // Wraps the ModelKernel before the server sees it (a RecordingKernel, to
  // write a synthesized bundle); empty: the server talks to it directly.
  std::function<Kernel&(Kernel& model)> wrap;
  // The timeline's last line, {"kind":"end","verdict":...}. Empty: the
  // caller writes it (at ModelReplayResult::end_ns) once it knows the verdict.
  std::string end_verdict = "model";
};

struct ModelReplayResult {
  bool ran = false;
  std::string problem;  // why it could not run
  std::vector<ReplayedCommand> commands;
  std::map<uint32_t, ModelOutput> outputs;  // per script connection
  std::string digest;                       // final keyspace digest
  ModelRunStats stats;
  int64_t end_ns = 0;  // virtual time the server stopped, since the recording's start
};

// Runs the server configured as the bundle's recorded command line on the
// script. `cost` times the server off the recording; timeline may be null.
ModelReplayResult ReplayOnModel(const Bundle& bundle, const ClientScript& script,
                                const CostModel& cost, const ModelReplayOptions& options,
                                TimelineWriter* timeline);

// Compares two runs' replies connection by connection (by the script's flow
// ids): the replies that differ, in a stable order.
struct ReplyChange {
  uint32_t flow = 0;
  uint64_t conn = 0;                    // in the base run
  size_t index = 0;                     // the n-th command on that connection (0-based)
  std::string command;                  // the command line, printable, truncated
  std::string base_reply, other_reply;  // printable, truncated; "(none)" when absent
};
std::vector<ReplyChange> CompareReplies(const ModelReplayResult& base,
                                        const ModelReplayResult& other);

// Printable, bounded form of a byte string for reports.
std::string PrintableBytes(std::string_view s, size_t max = 80);

}  // namespace reel::replay

namespace reel::replay {

// `reel replay --schedule model` on a reel-server bundle: does the server's
// own code on the model, unchanged policy, write what the capture holds?
struct OwnCodeCheck {
  bool ran = false;
  std::string problem;
  uint64_t commands = 0;
  uint64_t connections = 0;
  uint64_t connections_differing = 0;  // server->client bytes differ from the capture
  std::string first_difference;
  bool digest_checked = false;
  bool digest_matches = false;
  ModelRunStats stats;
  bool same() const {
    return ran && connections_differing == 0 && (!digest_checked || digest_matches);
  }
};
// timeline (may be null) gets that run's timeline: schedule "model", ending
// with verdict "reproduced" when same(), else "diverged". progress (may be
// null) is ticked by the cost model's calibration replay, then by the run:
// two passes.
OwnCodeCheck CheckOwnCodeOnModel(const Bundle& bundle, TimelineWriter* timeline = nullptr,
                                 ProgressSink* progress = nullptr);
// The comparison alone, for a run already made.
OwnCodeCheck CompareWithCapture(const Bundle& bundle, const ClientScript& script,
                                const ModelReplayResult& run);

}  // namespace reel::replay
