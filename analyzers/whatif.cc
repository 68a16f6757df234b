#include "analyzers/whatif.h"

#include <algorithm>

#include "analyzers/request_spans.h"
#include "analyzers/timeline_reader.h"
#include "replay/replay_driver.h"

namespace reel::analyzers {

namespace {

int64_t Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

WhatIfRun Run(const replay::Bundle& b, const replay::ClientScript& script,
              const replay::CostModel& cost, const replay::ModelReplayOptions& o) {
  WhatIfRun run;
  run.policy = DescribePolicy(o);
  run.seed = o.policy.order == replay::ModelPolicy::Order::kShuffle ? o.policy.shuffle_seed : 0;
  replay::TimelineWriter writer(&run.timeline);
  run.result = replay::ReplayOnModel(b, script, cost, o, &writer);
  run.latency = SummarizeLatency(run.timeline);
  return run;
}

}  // namespace

bool WhatIfReport::any_change() const {
  for (const WhatIfRun& r : runs)
    if (!r.changes.empty()) return true;
  return false;
}

std::string DescribePolicy(const replay::ModelReplayOptions& o) {
  std::vector<std::string> parts;
  if (o.maxevents > 0) parts.push_back("maxevents " + std::to_string(o.maxevents));
  if (o.policy.force_et) parts.push_back("trigger et");
  if (o.policy.order == replay::ModelPolicy::Order::kReverse) parts.push_back("order reverse");
  if (o.policy.order == replay::ModelPolicy::Order::kShuffle)
    parts.push_back("order shuffle:" + std::to_string(o.policy.shuffle_seed));
  if (o.policy.sndbuf > 0) parts.push_back("sndbuf " + std::to_string(o.policy.sndbuf));
  if (o.hz > 0) parts.push_back("hz " + std::to_string(o.hz));
  if (parts.empty()) return "unchanged";
  std::string s;
  for (const std::string& p : parts) s += (s.empty() ? "" : ", ") + p;
  return s;
}

LatencySummary SummarizeLatency(const std::string& timeline) {
  LatencySummary s;
  TimelineReader reader;
  reader.OpenText(timeline);
  RequestSpans spans;
  std::string error;
  if (!BuildRequestSpans(reader, &spans, &error)) return s;
  std::vector<int64_t> lat;
  for (const RequestSpan& r : spans.requests) {
    s.requests++;
    if (!r.complete()) continue;
    s.complete++;
    lat.push_back(r.latency_ns());
  }
  std::sort(lat.begin(), lat.end());
  s.p50_ns = Percentile(lat, 0.50);
  s.p99_ns = Percentile(lat, 0.99);
  s.max_ns = lat.empty() ? 0 : lat.back();
  for (const LoopIteration& it : spans.iterations)
    s.longest_iteration_ns = std::max(s.longest_iteration_ns, it.busy_ns());
  return s;
}

WhatIfReport RunWhatIf(const replay::Bundle& b, const WhatIfOptions& options) {
  WhatIfReport rep;
  rep.source = b.dir.substr(b.dir.find_last_of('/') + 1);
  if (!replay::IsReelServerBundle(b)) {
    rep.problem = "what-if replays run reel-server's own code; this bundle was recorded from '" +
                  (b.command_line.empty() ? std::string("?") : b.command_line[0]) + "'";
    return rep;
  }
  if (!b.has_pcap) {
    rep.problem = "what-if replays need the clients' packets: " + b.pcap_problem;
    return rep;
  }
  replay::ClientScript script = replay::ScriptFromBundle(b);
  if (!script.problem.empty()) {
    rep.problem = "the capture is incomplete: " + script.problem;
    return rep;
  }
  replay::CostModel cost = replay::CalibrateCostModel(b);
  rep.base = Run(b, script, cost, replay::ModelReplayOptions{});
  if (!rep.base.result.ran) {
    rep.problem = rep.base.result.problem;
    return rep;
  }
  rep.base_check = replay::CompareWithCapture(b, script, rep.base.result);
  rep.ran = true;
  std::vector<replay::ModelReplayOptions> policies;
  if (options.explore > 0) {
    for (uint64_t seed = 1; seed <= options.explore; seed++) {
      replay::ModelReplayOptions o = options.model;
      o.policy.order = replay::ModelPolicy::Order::kShuffle;
      o.policy.shuffle_seed = seed;
      policies.push_back(o);
    }
  } else {
    policies.push_back(options.model);
  }
  for (const replay::ModelReplayOptions& o : policies) {
    WhatIfRun run = Run(b, script, cost, o);
    if (!run.result.ran) {
      rep.ran = false;
      rep.problem = run.result.problem;
      return rep;
    }
    run.changes = replay::CompareReplies(rep.base.result, run.result);
    if (options.explore > 0) run.timeline.clear();  // N timelines would only cost memory
    if (!run.changes.empty() && options.explore > 0) rep.seeds_changing.push_back(run.seed);
    rep.runs.push_back(std::move(run));
  }
  return rep;
}

}  // namespace reel::analyzers
