// reel-server's own code on the kernel model (ModelKernel): unchanged, it
// writes exactly what each committed capture holds; under a changed policy
// it goes its own way, deterministically.
#include "replay/model_replay.h"

#include <gtest/gtest.h>

#include "replay/bundle.h"
#include "replay/replay_driver.h"

namespace reel::replay {
namespace {

Bundle Load(const std::string& name) {
  Bundle b;
  std::string error;
  EXPECT_TRUE(LoadBundle(std::string(REEL_TRACES_DIR) + "/" + name, &b, &error)) << error;
  return b;
}

class OwnCodeOnModel : public ::testing::TestWithParam<const char*> {};

TEST_P(OwnCodeOnModel, WritesWhatTheCaptureHoldsAndEndsWithTheRecordedDigest) {
  Bundle b = Load(GetParam());
  OwnCodeCheck c = CheckOwnCodeOnModel(b);
  ASSERT_TRUE(c.ran) << c.problem;
  EXPECT_GT(c.commands, 0u);
  EXPECT_EQ(c.connections_differing, 0u) << c.first_difference;
  EXPECT_TRUE(c.digest_checked);
  EXPECT_TRUE(c.digest_matches);
}

INSTANTIATE_TEST_SUITE_P(CommittedTraces, OwnCodeOnModel,
                         ::testing::Values("set_get_session", "pipeline_burst", "debug_sleep_stall",
                                           "two_clients_race", "large_value", "set_get_race"));

// `reel replay --schedule model --timeline`: the own-code run's timeline says
// which schedule made it and ends with the run's verdict.
TEST(OwnCodeTimeline, HeaderSaysModelAndTheEndSaysReproduced) {
  Bundle b = Load("two_clients_race");
  std::string text;
  TimelineWriter writer(&text);
  OwnCodeCheck c = CheckOwnCodeOnModel(b, &writer);
  ASSERT_TRUE(c.same()) << c.first_difference;
  ASSERT_FALSE(text.empty());
  std::string header = text.substr(0, text.find('\n'));
  EXPECT_NE(header.find("\"schedule\":\"model\""), std::string::npos) << header;
  EXPECT_NE(header.find("\"source\":\"two_clients_race\""), std::string::npos) << header;
  std::string last = text.substr(text.rfind('\n', text.size() - 2) + 1);
  EXPECT_NE(last.find("\"kind\":\"end\",\"verdict\":\"reproduced\""), std::string::npos) << last;
  EXPECT_EQ(text.find("\"verdict\":\"model\""), std::string::npos);
  // The same commands as the recorded schedule's timeline.
  std::string recorded;
  TimelineWriter rw(&recorded);
  ReplayRecorded(b, {}, &rw);
  auto count = [](const std::string& t, const char* what) {
    size_t n = 0;
    for (size_t i = t.find(what); i != std::string::npos; i = t.find(what, i + 1)) n++;
    return n;
  };
  EXPECT_EQ(count(text, "\"kind\":\"command\""), count(recorded, "\"kind\":\"command\""));
  EXPECT_EQ(count(text, "\"kind\":\"command\""), c.commands);
}

TEST(OwnCodeTimeline, ProgressDoesNotChangeTheTimeline) {
  struct Counter : ProgressSink {
    uint64_t ticks = 0, passes = 1, last_total = 0;
    void Progress(uint64_t, uint64_t total) override {
      ticks++;
      last_total = total;
    }
    void NextPass() override { passes++; }
  } counter;
  Bundle b = Load("pipeline_burst");
  std::string plain, ticked;
  TimelineWriter w1(&plain), w2(&ticked);
  OwnCodeCheck a = CheckOwnCodeOnModel(b, &w1);
  OwnCodeCheck c = CheckOwnCodeOnModel(b, &w2, &counter);
  EXPECT_TRUE(a.same() && c.same());
  EXPECT_EQ(plain, ticked);
  EXPECT_EQ(counter.passes, 2u);  // the calibration replay, then the run
  EXPECT_EQ(counter.last_total, b.log.records.size());
  // Both passes make about one call per record.
  EXPECT_GE(counter.ticks, b.log.records.size());
  EXPECT_LE(counter.ticks, 3 * b.log.records.size());
}

TEST(ModelReplay, ForeignBundleIsRefusedWithAReason) {
  Bundle b = Load("redis_shim_session");
  ModelReplayResult r = ReplayOnModel(b, ScriptFromBundle(b), CostModel{}, {}, nullptr);
  EXPECT_FALSE(r.ran);
  EXPECT_NE(r.problem.find("not reel-server"), std::string::npos) << r.problem;
}

TEST(ModelReplay, SameInputsAndPolicyGiveTheSameTimeline) {
  Bundle b = Load("pipeline_burst");
  ClientScript script = ScriptFromBundle(b);
  CostModel cost = CalibrateCostModel(b);
  ModelReplayOptions o;
  o.policy.order = ModelPolicy::Order::kShuffle;
  o.policy.shuffle_seed = 42;
  std::string t1, t2;
  TimelineWriter w1(&t1), w2(&t2);
  ModelReplayResult r1 = ReplayOnModel(b, script, cost, o, &w1);
  ModelReplayResult r2 = ReplayOnModel(b, script, cost, o, &w2);
  ASSERT_TRUE(r1.ran && r2.ran);
  EXPECT_EQ(t1, t2);
  EXPECT_GT(r1.stats.batches_reordered, 0u);
  EXPECT_TRUE(r1.stats.left_recording);
}

TEST(ModelReplay, ReversingTheRacingBatchChangesWhatTheGetSees) {
  Bundle b = Load("set_get_race");
  ClientScript script = ScriptFromBundle(b);
  CostModel cost = CalibrateCostModel(b);
  ModelReplayResult base = ReplayOnModel(b, script, cost, {}, nullptr);
  ModelReplayOptions o;
  o.policy.order = ModelPolicy::Order::kReverse;
  ModelReplayResult rev = ReplayOnModel(b, script, cost, o, nullptr);
  ASSERT_TRUE(base.ran && rev.ran);
  std::vector<ReplyChange> changes = CompareReplies(base, rev);
  // Only the racing GET changes: it now runs on the other side of the SET.
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].command, "GET race");
  EXPECT_NE(changes[0].base_reply, changes[0].other_reply);
  EXPECT_EQ(rev.stats.batches_reordered, 1u);
}

TEST(ModelReplay, ReversingPipelinedRacersChangesOnlyTheFinalState) {
  // two_clients_race: each client pipelines "SET race me; GET race", so each
  // GET sees its own SET whatever the order; only who wins the key changes.
  Bundle b = Load("two_clients_race");
  ClientScript script = ScriptFromBundle(b);
  CostModel cost = CalibrateCostModel(b);
  ModelReplayResult base = ReplayOnModel(b, script, cost, {}, nullptr);
  ModelReplayOptions o;
  o.policy.order = ModelPolicy::Order::kReverse;
  ModelReplayResult rev = ReplayOnModel(b, script, cost, o, nullptr);
  ASSERT_TRUE(base.ran && rev.ran);
  EXPECT_TRUE(CompareReplies(base, rev).empty());
  EXPECT_NE(base.digest, rev.digest);
}

TEST(CostModel, LearnsThatDebugSleepIsNotACommandCost) {
  Bundle b = Load("debug_sleep_stall");
  CostModel m = CalibrateCostModel(b);
  EXPECT_GT(m.samples, 0u);
  // The 0.3 s sleep is the model's SleepNs, not DEBUG's cost.
  auto it = m.base_ns.find("debug");
  if (it != m.base_ns.end()) {
    EXPECT_LT(it->second, 10'000'000);
  }
  EXPECT_LT(m.default_base_ns, 10'000'000);
}

}  // namespace
}  // namespace reel::replay
