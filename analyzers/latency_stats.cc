#include "analyzers/latency_stats.h"

#include <algorithm>

namespace reel::analyzers {

int64_t NearestRank(const std::vector<int64_t>& sorted, int per_mille) {
  if (sorted.empty()) return 0;
  uint64_t n = sorted.size();
  // ceil(per_mille * n / 1000) in integers: no floating point rounding at
  // the boundaries (p50 of 10 values is the 5th, p999 of 1000 the 999th).
  uint64_t rank = (static_cast<uint64_t>(per_mille) * n + 999) / 1000;
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return sorted[rank - 1];
}

LatencyStats Summarize(std::vector<int64_t> values) {
  LatencyStats s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.count = values.size();
  s.p50_ns = NearestRank(values, 500);
  s.p90_ns = NearestRank(values, 900);
  s.p99_ns = NearestRank(values, 990);
  s.p999_ns = NearestRank(values, 999);
  s.max_ns = values.back();
  __int128 sum = 0;
  for (int64_t v : values) sum += v;
  s.mean_ns = static_cast<int64_t>(sum / static_cast<__int128>(values.size()));
  return s;
}

nlohmann::json StatsJson(const LatencyStats& s) {
  return {{"count", s.count},     {"p50_ns", s.p50_ns}, {"p90_ns", s.p90_ns},  {"p99_ns", s.p99_ns},
          {"p999_ns", s.p999_ns}, {"max_ns", s.max_ns}, {"mean_ns", s.mean_ns}};
}

}  // namespace reel::analyzers
