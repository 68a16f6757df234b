// Synthesizing a trace bundle from a model run: the script is replayed
// through reel-server's own code on the ModelKernel (unchanged policy),
// wrapped in a RecordingKernel, so events.reel is what reel-server --record
// would have written had the kernel behaved like the model; packets.pcap is
// built from the script and the server's writes on the model; meta.json
// carries the original's command line and clocks. The result replays with
// `reel replay` like a recorded bundle (docs/analyzers.md, "reel minimize").
//
// Deterministic: the same inputs give the same bytes (the model's clock and
// random source are virtual; nothing reads the wall clock).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "replay/bundle.h"
#include "replay/client_script.h"
#include "replay/cost_model.h"
#include "replay/model_replay.h"

namespace reel::analyzers {

struct SynthesizedBundle {
  replay::ModelReplayResult run;  // the recorded base run
  uint64_t records = 0;           // event-log records written
  uint64_t packets = 0;           // pcap frames written
};

// Writes dir (created 0700 if missing; events.reel, packets.pcap and
// meta.json are replaced). extra_meta's keys are added to meta.json. False
// with a one-line *error when the run or a write fails.
bool WriteModelBundle(const replay::Bundle& original, const replay::ClientScript& script,
                      const replay::CostModel& cost, const nlohmann::json& extra_meta,
                      const std::string& dir, SynthesizedBundle* out, std::string* error);

// The pcap of a script and the server's side of a run of it: per connection
// a handshake completing at its established time, the client's chunks at
// their arrival times, the server's writes at their times, the client's FIN
// or RST, and the server's FIN at close_ns (flow -> monotonic ns) when it
// closed. Timestamps are monotonic + script.real_minus_mono_ns, as a capture
// stamps them. *frames gets the number of frames.
std::string SynthesizePcap(const replay::ClientScript& script,
                           const std::map<uint32_t, replay::ModelOutput>& outputs,
                           const std::map<uint32_t, int64_t>& close_ns, uint64_t* frames);

}  // namespace reel::analyzers
