// meta.json for bundles made by `reel capture`. Two cases:
//  * reel-server --record wrote meta.json itself (RecordSession): capture
//    reads it and adds its own keys ("capture", "pcap", more clock pairs),
//    leaving every existing key as it was.
//  * a server recorded through libreel-preload.so: capture writes meta.json
//    with the same keys RecordSession uses, filled from the log header, the
//    shim's <log>.stats.json and the log itself, plus its own keys.
// Keys are listed in docs/capture.md.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "capture/pcap_capture.h"
#include "capture/trace_reader.h"

namespace reel {

struct ClockPair {
  int64_t monotonic_ns = 0;
  int64_t realtime_ns = 0;
};

// CLOCK_MONOTONIC and CLOCK_REALTIME read back to back.
ClockPair ReadClockPair();
nlohmann::json ClockPairJson(const ClockPair& p);

// The "pcap" object.
nlohmann::json PcapJson(const PcapOptions& options, const PcapStats& stats);

// The base meta.json of a shim-recorded bundle. stats is the parsed
// <log>.stats.json (null when the process never closed its log: killed).
nlohmann::json ShimBundleMeta(const std::string& log_file, const TraceFile& log,
                              const nlohmann::json& stats,
                              const std::vector<std::string>& command_line);

// Adds clock pairs to meta["clock_pairs"], keeping it sorted by monotonic time.
void MergeClockPairs(nlohmann::json* meta, const std::vector<ClockPair>& pairs);

// Reads a JSON file; null on a missing or unparsable file.
nlohmann::json ReadJsonFile(const std::string& path);
// Writes text to path through path.tmp + rename, mode 0600, fsynced; on a
// full disk in place instead (WriteBundleFile in record_session.h).
bool WriteFileAtomically0600(const std::string& path, const std::string& text, std::string* error);

}  // namespace reel
