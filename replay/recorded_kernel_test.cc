// A damaged event log must give a verdict, never a buffer overrun: a read or
// write result larger than the call's own buffer is something only damage can
// produce (the kernel never returns more than it was asked for).
#include "replay/recorded_kernel.h"

#include <gtest/gtest.h>

#include "replay/bundle.h"
#include "replay/replay_driver.h"

namespace reel::replay {
namespace {

Bundle LoadTrace(const std::string& name) {
  Bundle b;
  std::string error;
  EXPECT_TRUE(LoadBundle(std::string(REEL_TRACES_DIR) + "/" + name, &b, &error)) << error;
  return b;
}

// Makes the first successful call of `kind` claim `extra` more bytes than it asked for.
uint64_t Inflate(Bundle* b, trace::Kind kind, int64_t extra) {
  for (TraceRecord& r : b->log.records) {
    if (r.kind_enum() != kind || !r.result.ok() || r.result.value <= 0) continue;
    const auto& io = std::get<trace::IoRec>(r.call);
    r.result.value = static_cast<int64_t>(io.requested) + extra;
    return r.seq;
  }
  return 0;
}

TEST(RecordedKernelDamage, ReadLongerThanTheBufferDivergesWithoutOverrun) {
  Bundle b = LoadTrace("set_get_session");
  uint64_t seq = Inflate(&b, trace::Kind::kRead, 1 << 20);
  ASSERT_NE(seq, 0u);
  ReplayVerdict v = ReplayRecorded(b, ReplayOptions{}, nullptr);
  EXPECT_FALSE(v.reproduced());
  EXPECT_TRUE(v.report.diverged);
  EXPECT_EQ(v.report.divergence_seq, seq) << v.report.divergence;
  EXPECT_NE(v.report.divergence.find("in the recording"), std::string::npos) << v.report.divergence;
}

TEST(RecordedKernelDamage, WriteLongerThanTheRepliesDivergesWithoutOverread) {
  Bundle b = LoadTrace("set_get_session");
  uint64_t seq = Inflate(&b, trace::Kind::kWrite, 4096);
  if (seq == 0) seq = Inflate(&b, trace::Kind::kWritev, 4096);
  ASSERT_NE(seq, 0u);
  ReplayVerdict v = ReplayRecorded(b, ReplayOptions{}, nullptr);
  EXPECT_FALSE(v.reproduced());
  EXPECT_TRUE(v.report.diverged);
  EXPECT_EQ(v.report.divergence_seq, seq) << v.report.divergence;
}

}  // namespace
}  // namespace reel::replay
