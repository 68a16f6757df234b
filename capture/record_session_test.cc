// RecordSession: the bundle directory, its event log and meta.json.
#include "capture/record_session.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "capture/trace_test_util.h"
#include "server/commands/command_test_harness.h"

namespace reel {
namespace {

using testing::ReadAll;
using testing::ScratchDir;

TEST(RecordSession, WritesEventLogAndMetaThroughItsLifetime) {
  ScratchDir dir;
  std::string bundle = dir.File("bundle");
  reel::testing::ClockOnlyKernel clock;
  RecordSession session;
  std::string error;
  ASSERT_TRUE(session.Open(bundle, clock, {"reel-server", "--record", bundle}, &error)) << error;
  session.writer().Read(clock.mono_ns + 10, 5, 100, 0, SysResult::Ok(7));
  ASSERT_TRUE(session.Started("127.0.0.1:6379", &error)) << error;

  auto meta = nlohmann::json::parse(ReadAll(bundle + "/meta.json"));
  EXPECT_EQ(meta["status"], "recording");
  EXPECT_EQ(meta["listen_address"], "127.0.0.1:6379");
  EXPECT_EQ(meta["command_line"], nlohmann::json({"reel-server", "--record", bundle}));
  EXPECT_EQ(meta["pid"], 4242);
  EXPECT_EQ(meta["start"]["monotonic_ns"], clock.mono_ns);
  EXPECT_EQ(meta["start"]["realtime_ns"], clock.real_ns);
  EXPECT_EQ(meta["start"]["realtime"], "2023-11-14T22:13:20.000000Z");
  EXPECT_EQ(meta["clock_pairs"].size(), 1u);
  EXPECT_FALSE(meta.contains("stop"));
  EXPECT_EQ(meta["event_log"]["file"], "events.reel");
  EXPECT_EQ(meta["event_log"]["format_version"], "1.0");
  EXPECT_FALSE(meta["host"]["kernel_release"].get<std::string>().empty());

  clock.mono_ns += 2'000'000'000;
  clock.real_ns += 2'000'000'000;
  ASSERT_TRUE(session.Finish("0123456789abcdef0123456789abcdef", &error)) << error;
  meta = nlohmann::json::parse(ReadAll(bundle + "/meta.json"));
  EXPECT_EQ(meta["status"], "complete");
  EXPECT_EQ(meta["stop"]["realtime"], "2023-11-14T22:13:22.000000Z");
  EXPECT_EQ(meta["clock_pairs"].size(), 2u);
  EXPECT_EQ(meta["records"]["total"], 1);
  EXPECT_EQ(meta["records"]["dropped"], 0);
  EXPECT_EQ(meta["records"]["by_kind"], nlohmann::json({{"read", 1}}));
  EXPECT_EQ(meta["write_error"], nullptr);
  EXPECT_EQ(meta["final_keyspace_digest"], "0123456789abcdef0123456789abcdef");

  TraceFile log;
  ASSERT_TRUE(ReadTraceFile(bundle, &log, &error)) << error;
  ASSERT_EQ(log.records.size(), 1u);
  EXPECT_EQ(log.header.pid, 4242u);
  EXPECT_EQ(log.header.start_real_ns, 1'700'000'000'000'000'000);
}

TEST(RecordSession, FailedStartAndUnusableDirectory) {
  ScratchDir dir;
  reel::testing::ClockOnlyKernel clock;
  std::string error;
  {
    RecordSession session;
    ASSERT_TRUE(session.Open(dir.path(), clock, {"reel-server"}, &error)) << error;
    ASSERT_TRUE(session.Fail("bind: Address already in use", &error));
    auto meta = nlohmann::json::parse(ReadAll(dir.File("meta.json")));
    EXPECT_EQ(meta["status"], "failed");
    EXPECT_EQ(meta["failure"], "bind: Address already in use");
    EXPECT_FALSE(meta.contains("final_keyspace_digest"));
  }
  testing::WriteAll(dir.File("plainfile"), "x");
  RecordSession session;
  EXPECT_FALSE(session.Open(dir.File("plainfile"), clock, {}, &error));
  EXPECT_EQ(error, dir.File("plainfile") + " is not a directory");
  EXPECT_FALSE(session.Open("/nonexistent/a/b", clock, {}, &error));
  EXPECT_EQ(error, "cannot create /nonexistent/a/b: No such file or directory");
}

}  // namespace
}  // namespace reel
