// HTML export: one self-contained page (inline CSS, SVG and a small inline
// zoom script; nothing to fetch: no external scripts, fonts, images or links)
// with the replay's timeline drawn and a latency histogram per command.
// Built from RequestSpans.
//
// The drawing is plain SVG whose elements say what they are, so a browser,
// a test or a script can find them:
//   <g class="iteration" data-index=..>  an event-loop iteration: its busy
//       <rect class="busy"> and its commands <rect class="command">
//   <rect class="wait">                  an epoll_wait that blocked
//   <g class="connection" data-conn=..>  a connection's row, with one
//       <rect class="request"> per request (arrival to reply written)
//   <g class="activity">                 the loop's busy fraction over time,
//       <rect class="activity-bin"> per column (every iteration counts)
//   <div class="histogram" data-command=..> a command's latency histogram,
//       <rect class="bar"> per bucket
// Big timelines are capped (the longest iterations, the busiest connections,
// the slowest requests are drawn) and the page says what was left out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzers/request_spans.h"

namespace reel::analyzers {

struct HtmlExportOptions {
  size_t max_iterations_drawn = 5000;
  size_t max_commands_drawn = 5000;  // on the loop row
  size_t max_requests_drawn = 5000;  // on the connection rows
  size_t max_connections_drawn = 200;
  size_t activity_bins = 400;
  // Requests' wire arrivals by RequestSpan::index (RequestArrivalNs); null:
  // requests start at the read that delivered them.
  const std::vector<int64_t>* wire_arrival_ns = nullptr;
};

struct HtmlExportStats {
  size_t iterations_drawn = 0;
  size_t commands_drawn = 0;
  size_t requests_drawn = 0;
  size_t connections_drawn = 0;
  bool capped = false;  // something was left out of the drawing
};

// Latency buckets on a 1-2-5 scale of ns: [0,1) [1,2) [2,5) [5,10) [10,20) ...
// A histogram covers the buckets from the smallest latency's to the largest's
// (empty ones in between included).
struct LatencyBucket {
  int64_t lo_ns = 0;
  int64_t hi_ns = 0;  // exclusive
  uint64_t count = 0;
};
std::vector<LatencyBucket> LatencyHistogram(const std::vector<int64_t>& latencies_ns);

// What the page calls a request's latency: from its arrival
// (RequestArrivalNs: the pcap's, else the read that delivered it) to the
// write that completed its reply. kNoTime when the reply was never written.
int64_t RequestLatencyNs(const RequestSpan& r, const std::vector<int64_t>* wire_arrival_ns);

// "850 ns", "12.3 µs", "4.56 ms", "1.23 s".
std::string FormatDuration(int64_t ns);

// Page fragments, for embedding (`reel report`), and the whole page.
std::string RenderTimelineSection(const RequestSpans& spans, const HtmlExportOptions& options,
                                  HtmlExportStats* stats);
std::string RenderHistogramSection(const RequestSpans& spans,
                                   const std::vector<int64_t>* wire_arrival_ns);
// The CSS the fragments need, and the timeline's zoom/pan script (inline,
// optional: without it the drawing is the whole recording).
std::string HtmlExportStyle();
std::string HtmlExportScript();
std::string RenderHtmlPage(const RequestSpans& spans, const HtmlExportOptions& options = {},
                           HtmlExportStats* stats = nullptr);

}  // namespace reel::analyzers
