// Bundle: a trace bundle loaded for replay — meta.json, the event log, and
// the pcap reassembled into per-connection byte streams — plus the joins the
// replay needs: event time <-> packet time, and accepted fd <-> TCP flow.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "capture/trace_reader.h"
#include "replay/pcap_file.h"
#include "replay/tcp_reassembly.h"

namespace reel::replay {

// What happens on the network side of the server, in time order: the
// model's inputs.
struct NetEvent {
  enum class Type : uint8_t { kEstablished = 0, kData = 1, kFin = 2, kReset = 3 };
  int64_t t_ns = 0;  // CLOCK_MONOTONIC of the recording
  Type type = Type::kData;
  uint32_t flow = 0;
  uint64_t offset = 0;  // kData: stream offset of the first byte
  uint64_t bytes = 0;   // kData: how many bytes became readable
};

struct Bundle {
  std::string dir;
  nlohmann::json meta;
  TraceFile log;
  bool has_pcap = false;
  std::string pcap_problem;  // why there are no packets, or what was damaged
  ReassemblyResult streams;
  std::vector<NetEvent> net;  // sorted by (t_ns, flow, type)
  // CLOCK_REALTIME - CLOCK_MONOTONIC at the start of the recording: pcap
  // timestamps minus this are event-log times.
  int64_t real_minus_mono_ns = 0;
  int64_t start_mono_ns = 0;
  std::vector<std::string> command_line;
  std::string final_digest;  // empty when the recording did not finish

  // The flow an accepted connection belongs to (peer = client, local = server):
  // the latest one with that 4-tuple that had begun by accepted_mono_ns. A
  // client port is reused once the old connection is in TIME_WAIT, so one
  // 4-tuple can name several flows in a capture.
  const TcpFlow* FlowFor(const SockAddr& peer, const SockAddr& local,
                         int64_t accepted_mono_ns = INT64_MAX) const {
    constexpr int64_t kSlackNs = 1000000;  // pcap stamps vs event clock (see RecordedKernel)
    for (auto it = streams.flows.rbegin(); it != streams.flows.rend(); ++it) {
      if (!(it->client == peer && it->server == local)) continue;
      if (accepted_mono_ns == INT64_MAX ||
          it->first_ns - real_minus_mono_ns <= accepted_mono_ns + kSlackNs)
        return &*it;
    }
    return nullptr;
  }
};

// Loads DIR. False with a one-line *error when the bundle cannot be used at
// all (no event log, unreadable meta.json); a missing or damaged pcap is not
// fatal here: has_pcap/pcap_problem say so and the replay decides.
bool LoadBundle(const std::string& dir, Bundle* out, std::string* error);

}  // namespace reel::replay
