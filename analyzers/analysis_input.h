// AnalysisInput: what `reel latency`, `reel fairness` (and report/whatif)
// analyze, loaded from one path:
//   - a bundle recorded from reel-server: replayed (recorded schedule) into
//     a timeline -> RequestSpans with commands; plus its pcap;
//   - a bundle from another server (Debian's redis-server via the shim):
//     replay cannot run its code, so the event log gives loop iterations,
//     reads and connections but no commands; the pcap gives the requests;
//   - a timeline file: RequestSpans only, no pcap.
// `missing` lists, one line each, what the input could not provide, so the
// tools say so instead of failing.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "analyzers/bundle_connections.h"
#include "analyzers/request_spans.h"
#include "replay/bundle.h"

namespace reel::analyzers {

// Cumulative bytes of one connection against time, for "how many bytes had
// arrived / been read by time t".
class ByteClock {
 public:
  // Points must come in time order with non-decreasing totals.
  void Add(int64_t t_ns, uint64_t total) { points_.push_back({t_ns, total}); }
  // Bytes by time t (inclusive).
  uint64_t At(int64_t t_ns) const;
  // The earliest time the total exceeded `bytes`, or kNoTime.
  int64_t TimeExceeding(uint64_t bytes) const;
  bool empty() const { return points_.empty(); }

 private:
  struct Point {
    int64_t t_ns;
    uint64_t total;
  };
  std::vector<Point> points_;
};

struct AnalysisInput {
  enum class SpansSource { kTimeline, kEventLog };

  AnalysisInput() = default;
  // The accepted connections point into bundle.streams: no copies.
  AnalysisInput(const AnalysisInput&) = delete;
  AnalysisInput& operator=(const AnalysisInput&) = delete;

  std::string path;
  std::string source;  // the bundle's (or timeline's) name
  bool has_bundle = false;
  replay::Bundle bundle;
  bool has_pcap = false;
  std::vector<AcceptedConnection> accepted;  // conn N at [N - 1]
  SpansSource spans_source = SpansSource::kTimeline;
  RequestSpans spans;
  bool has_commands = false;  // spans.requests come from a reel timeline
  std::vector<std::string> missing;

  // Request bytes that had become readable at the server (pcap), and that
  // the server had read (event log / timeline), per connection.
  std::map<uint64_t, ByteClock> arrived;
  std::map<uint64_t, ByteClock> read;
};

// False with a one-line *error when path is neither a usable bundle nor a
// timeline file.
bool LoadAnalysisInput(const std::string& path, AnalysisInput* out, std::string* error);
// From timeline text in memory (tests; a what-if replay's timeline).
bool AnalysisInputFromTimelineText(std::string text, AnalysisInput* out, std::string* error);

}  // namespace reel::analyzers
