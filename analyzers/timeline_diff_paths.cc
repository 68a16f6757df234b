// DiffTimelinePaths: opens both sides (a bundle is replayed first) and diffs
// them. Kept apart from timeline_diff.cc so the diff itself builds without
// the replay library.
#include "analyzers/timeline_diff.h"
#include "analyzers/timeline_reader.h"

namespace reel::analyzers {

DiffResult DiffTimelinePaths(const std::string& a, const std::string& b,
                             const DiffOptions& options) {
  DiffResult r;
  TimelineReader ra, rb;
  if (!ra.Open(a, &r.error) || !rb.Open(b, &r.error)) return r;
  return DiffTimelines(ra, rb, options, a, b);
}

}  // namespace reel::analyzers
