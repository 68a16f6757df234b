// Perfetto / chrome://tracing export: a replay timeline as Chrome Trace Event
// JSON (the JSON object format), built from RequestSpans.
//
//   pid 1        the replayed server
//   tid 1        "event loop": each iteration an "iteration" slice (epoll_wait
//                return to the next epoll_wait's entry) with its commands as
//                child slices (dispatch to reply produced), and an
//                "epoll_wait" slice for each blocking wait between them
//   tid 2, 3...  one track per connection ("conn 3 127.0.0.1:4242"): each
//                request from its arrival (RequestArrivalNs) to the write
//                that completed its reply; accept and close as instants. A request
//                that would overlap another without nesting in it goes to an
//                extra track of the same connection ("... (2)"), so every
//                track nests properly.
//
// A flow arrow (bind_id) links each request to the command slice that ran it.
// Times are µs since the recording started (ts, dur: numbers with ns
// precision). The output depends only on the spans: same timeline, same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzers/request_spans.h"
#include "analyzers/wire_requests.h"

namespace reel::analyzers {

// A time in ns as Trace Event µs ("7953.248"). Perfetto converts a fractional
// ts to ns by truncating double(ts) * 1000, so when the plain decimal would
// come back 1 ns short a sub-ns digit is appended: the value read back is
// always exactly ns and children never poke out of their parents.
std::string FormatTraceMicros(int64_t ns);

// When a request arrived: its wire arrival (from the pcap: its last byte
// became readable at the server) when known, else the read that delivered
// it. wire_arrival_ns is indexed by RequestSpan::index (kNoTime: unknown)
// and may be null. A wire time after the read (the pcap/monotonic clock join
// is off) is not believed: the read wins.
int64_t RequestArrivalNs(const RequestSpan& r, const std::vector<int64_t>* wire_arrival_ns);

// Joins the pcap's requests (WireRequests) to the timeline's: the n-th on a
// connection in both (RESP answers in order), while the command names agree;
// a disagreement ends the join on that connection (counted in *mismatches).
// Returns wire arrival times by RequestSpan::index, kNoTime where unknown.
std::vector<int64_t> WireArrivalsByRequest(const RequestSpans& spans, const WireRequests& wire,
                                           uint64_t* mismatches);

struct PerfettoExportOptions {
  const std::vector<int64_t>* wire_arrival_ns = nullptr;  // see RequestArrivalNs
};

struct PerfettoExportStats {
  uint64_t events = 0;             // entries in traceEvents
  uint64_t connection_tracks = 0;  // including overflow tracks
  uint64_t wire_arrivals = 0;      // requests that start at their pcap arrival
  // Slices shortened to fit in their parent (times the timeline gives out of
  // order); 0 on every committed trace.
  uint64_t clamped_slices = 0;
};

// The whole trace file. stats may be null.
std::string RenderPerfettoTrace(const RequestSpans& spans,
                                const PerfettoExportOptions& options = {},
                                PerfettoExportStats* stats = nullptr);

}  // namespace reel::analyzers
