// LatencyStats: percentiles of a set of latencies, nearest-rank, so every
// reported value is one that was measured (docs/analyzers.md).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace reel::analyzers {

struct LatencyStats {
  uint64_t count = 0;
  int64_t p50_ns = 0;
  int64_t p90_ns = 0;
  int64_t p99_ns = 0;
  int64_t p999_ns = 0;
  int64_t max_ns = 0;
  int64_t mean_ns = 0;  // rounded toward zero
};

// The nearest-rank percentile of sorted values: the value at 1-based rank
// ceil(per_mille / 1000 * n). Empty input gives 0.
int64_t NearestRank(const std::vector<int64_t>& sorted, int per_mille);

// Sorts values and summarizes them.
LatencyStats Summarize(std::vector<int64_t> values);

// {count, p50_ns, p90_ns, p99_ns, p999_ns, max_ns, mean_ns}: the shape every
// analyzer's --json uses for a set of latencies (docs/analyzers.md).
nlohmann::json StatsJson(const LatencyStats& s);

}  // namespace reel::analyzers
