#include "analyzers/analysis_input.h"

#include <sys/stat.h>

#include <algorithm>

#include "replay/replay_driver.h"
#include "replay/timeline.h"

namespace reel::analyzers {
namespace {

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string BaseName(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void IndexReads(AnalysisInput* in) {
  std::map<uint64_t, uint64_t> total;
  for (const LoopIteration& it : in->spans.iterations) {
    for (const IterationRead& r : it.reads) {
      if (r.bytes <= 0 || r.conn == 0) continue;
      total[r.conn] += static_cast<uint64_t>(r.bytes);
      in->read[r.conn].Add(r.t_ns, total[r.conn]);
    }
  }
}

void IndexArrivals(AnalysisInput* in) {
  for (const AcceptedConnection& a : in->accepted) {
    if (a.flow == nullptr) continue;
    ByteClock& clock = in->arrived[a.conn];
    for (const replay::StreamChunk& c : a.flow->to_server.chunks)
      clock.Add(PcapToTimelineNs(in->bundle, c.readable_ns), c.end());
  }
}

bool SpansFromReplay(AnalysisInput* in, std::string* error) {
  replay::ReplayOptions options;
  std::string text;
  replay::TimelineWriter writer(&text, options.timeline);
  replay::ReplayVerdict v = replay::ReplayRecorded(in->bundle, options, &writer);
  if (!v.runnable) {
    *error = in->path + ": " + v.problem;
    return false;
  }
  if (!v.reproduced())
    in->missing.push_back(
        "the replay did not reproduce the recording; spans after the divergence may be wrong");
  TimelineReader reader;
  reader.OpenText(std::move(text));
  return BuildRequestSpans(reader, &in->spans, error);
}

void TimelineOnly(AnalysisInput* out) {
  out->spans_source = AnalysisInput::SpansSource::kTimeline;
  out->has_commands = true;
  if (!out->spans.header.source.empty()) out->source = out->spans.header.source;
  out->missing.push_back(
      "a timeline alone has no pcap: wire latency and data-arrival times unavailable");
  IndexReads(out);
}

}  // namespace

bool AnalysisInputFromTimelineText(std::string text, AnalysisInput* out, std::string* error) {
  TimelineReader reader;
  reader.OpenText(std::move(text));
  if (!BuildRequestSpans(reader, &out->spans, error)) return false;
  TimelineOnly(out);
  return true;
}

bool LoadAnalysisInput(const std::string& path, AnalysisInput* out, std::string* error) {
  out->path = path;
  out->source = BaseName(path);
  if (!IsDirectory(path)) {
    TimelineReader reader;
    if (!reader.Open(path, error)) return false;  // the error names the path
    if (!BuildRequestSpans(reader, &out->spans, error)) {
      *error = path + ": " + *error;
      return false;
    }
    TimelineOnly(out);
    return true;
  }
  if (!replay::LoadBundle(path, &out->bundle, error)) return false;
  out->has_bundle = true;
  out->has_pcap = out->bundle.has_pcap;
  if (!out->has_pcap)
    out->missing.push_back("no usable pcap (" + out->bundle.pcap_problem +
                           "): wire latency and data-arrival times unavailable");
  out->accepted = AcceptedConnections(out->bundle);
  if (replay::IsReelServerBundle(out->bundle)) {
    if (!SpansFromReplay(out, error)) return false;
    out->spans_source = AnalysisInput::SpansSource::kTimeline;
    out->has_commands = true;
  } else {
    std::string server = out->bundle.command_line.empty() ? "an unknown server"
                                                          : BaseName(out->bundle.command_line[0]);
    RequestSpanBuilder builder;
    for (const TimelineEvent& e : EventLogAsTimeline(out->bundle)) builder.Add(e);
    out->spans = builder.Finish();
    out->spans.header.source = out->source;
    out->spans_source = AnalysisInput::SpansSource::kEventLog;
    out->missing.push_back("recorded from " + server +
                           ", not reel-server: no replay timeline, so no command dispatch/reply "
                           "events; loop iterations and reads come from the event log, commands "
                           "from the pcap");
  }
  IndexReads(out);
  if (out->has_pcap) IndexArrivals(out);
  return true;
}

uint64_t ByteClock::At(int64_t t_ns) const {
  auto it = std::upper_bound(points_.begin(), points_.end(), t_ns,
                             [](int64_t t, const Point& p) { return t < p.t_ns; });
  return it == points_.begin() ? 0 : std::prev(it)->total;
}

int64_t ByteClock::TimeExceeding(uint64_t bytes) const {
  auto it = std::upper_bound(points_.begin(), points_.end(), bytes,
                             [](uint64_t b, const Point& p) { return b < p.total; });
  return it == points_.end() ? kNoTime : it->t_ns;
}

}  // namespace reel::analyzers
