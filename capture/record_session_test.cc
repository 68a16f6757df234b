// RecordSession: the bundle directory, its event log and meta.json.
#include "capture/record_session.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

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
}

// Recording problems never stop the server: Open succeeds, says why on
// stderr in one line, and the session counts what it cannot record.
TEST(RecordSession, UnusableDirectoryRecordsNothingButCountsAndSaysSo) {
  ScratchDir dir;
  reel::testing::ClockOnlyKernel clock;
  std::string error;
  testing::WriteAll(dir.File("plainfile"), "x");
  RecordSession session;
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(session.Open(dir.File("plainfile"), clock, {}, &error));
  std::string err_text = ::testing::internal::GetCapturedStderr();
  EXPECT_FALSE(session.recording());
  EXPECT_EQ(session.stop_reason(), dir.File("plainfile") + " is not a directory");
  EXPECT_EQ(err_text, "reel-server: recording failed: " + dir.File("plainfile") +
                          " is not a directory; the server runs unrecorded and counts the events "
                          "it does not record\n");
  session.writer().Read(clock.mono_ns + 10, 5, 100, 0, SysResult::Ok(7));
  session.writer().Write(clock.mono_ns + 20, 5, 100, 0, SysResult::Ok(7));
  EXPECT_TRUE(session.Started("127.0.0.1:6379", &error));  // Open already reported it
  EXPECT_FALSE(session.Finish("digest", &error));
  EXPECT_EQ(error, "cannot write " + dir.File("plainfile") + "/meta.json: Not a directory");
  EXPECT_EQ(session.writer().stats().records, 2u);
  EXPECT_EQ(session.writer().stats().records_dropped, 2u);
  EXPECT_EQ(session.writer().stats().write_errno, ENOTDIR);  // reel-server's drop warning

  RecordSession missing;
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(missing.Open("/nonexistent/a/b", clock, {}, &error));
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(missing.stop_reason(), "cannot create /nonexistent/a/b: No such file or directory");
  EXPECT_EQ(missing.writer().stats().write_errno, ENOENT);

  RecordSession empty;
  EXPECT_FALSE(empty.Open("", clock, {}, &error));
}

TEST(RecordSession, BundleIsPrivate) {
  ScratchDir dir;
  std::string bundle = dir.File("bundle");
  reel::testing::ClockOnlyKernel clock;
  RecordSession session;
  std::string error;
  ASSERT_TRUE(session.Open(bundle, clock, {"reel-server"}, &error)) << error;
  ASSERT_TRUE(session.Started("127.0.0.1:6379", &error)) << error;
  ASSERT_TRUE(session.Finish("d", &error)) << error;
  struct stat st {};
  ASSERT_EQ(::stat(bundle.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((bundle + "/events.reel").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((bundle + "/meta.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(RecordSession, RemovedBundleStopsRecordingAndIsReported) {
  ScratchDir dir;
  std::string bundle = dir.File("bundle");
  reel::testing::ClockOnlyKernel clock;
  RecordSession session;
  std::string error;
  ASSERT_TRUE(session.Open(bundle, clock, {"reel-server"}, &error)) << error;
  ASSERT_TRUE(session.Started("127.0.0.1:6379", &error)) << error;
  for (int i = 0; i < 5; i++)
    session.writer().Read(clock.mono_ns + 10 + i, 5, 100, 7u * i, SysResult::Ok(7));
  session.writer().Flush();
  ASSERT_EQ(std::system(("rm -rf '" + bundle + "'").c_str()), 0);
  session.writer().Read(clock.mono_ns + 100, 5, 100, 35, SysResult::Ok(7));
  ::testing::internal::CaptureStderr();
  session.writer().Flush();
  std::string err_text = ::testing::internal::GetCapturedStderr();
  EXPECT_FALSE(session.recording());
  EXPECT_EQ(err_text, "reel-server: recording stopped after 5 events: " + bundle +
                          "/events.reel was removed while recording; the server keeps running "
                          "and counts the events it does not record (meta.json not updated: "
                          "cannot write " +
                          bundle + "/meta.json: No such file or directory)\n");
  session.writer().Read(clock.mono_ns + 200, 5, 100, 42, SysResult::Ok(7));
  EXPECT_FALSE(session.Finish("d", &error));
  EXPECT_EQ(session.writer().stats().records_dropped, 2u);
  struct stat st {};
  EXPECT_NE(::stat(bundle.c_str(), &st), 0);  // not re-created
}

TEST(RecordSession, WriteFailureIsNotedInMetaJson) {
  ScratchDir dir;
  std::string bundle = dir.File("bundle");
  reel::testing::ClockOnlyKernel clock;
  RecordSession session;
  std::string error;
  ASSERT_TRUE(session.Open(bundle, clock, {"reel-server"}, &error)) << error;
  ASSERT_TRUE(session.Started("127.0.0.1:6379", &error)) << error;
  session.writer().Read(clock.mono_ns + 10, 5, 100, 0, SysResult::Ok(7));
  session.writer().Flush();
  // Swap the log for /dev/full: the next flush fails with ENOSPC.
  int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(full, 0);
  std::string log = bundle + "/events.reel";
  for (int cand = 3; cand < 1024; cand++) {
    char link[64], target[512];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", cand);
    ssize_t n = ::readlink(link, target, sizeof target - 1);
    if (n > 0 && std::string(target, static_cast<size_t>(n)) == log) ::dup2(full, cand);
  }
  ::close(full);
  session.writer().Read(clock.mono_ns + 20, 5, 100, 7, SysResult::Ok(7));
  ::testing::internal::CaptureStderr();
  session.writer().Flush();
  std::string err_text = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err_text.find("recording stopped after 1 events: cannot write " + log +
                          ": No space left on device"),
            std::string::npos)
      << err_text;
  EXPECT_NE(err_text.find("(noted in meta.json)"), std::string::npos) << err_text;
  auto meta = nlohmann::json::parse(ReadAll(bundle + "/meta.json"));
  EXPECT_EQ(meta["status"], "recording");
  EXPECT_EQ(meta["write_error"], "No space left on device");
  EXPECT_EQ(meta["recording_stopped"]["records_written"], 1);
  ASSERT_TRUE(session.Finish("d", &error)) << error;
  meta = nlohmann::json::parse(ReadAll(bundle + "/meta.json"));
  EXPECT_EQ(meta["status"], "complete");
  EXPECT_EQ(meta["records"]["total"], 2);
  EXPECT_EQ(meta["records"]["written"], 1);
  EXPECT_EQ(meta["records"]["dropped"], 1);
  EXPECT_EQ(meta["recording_stopped"]["reason"],
            "cannot write " + log + ": No space left on device");
  EXPECT_EQ(meta["recording_stopped"]["monotonic_ns"], clock.mono_ns + 20);  // the last append
}

TEST(RecordSession, BufferSizeFromTheEnvironmentAndItsAllocationFailure) {
  ScratchDir dir;
  std::string bundle = dir.File("bundle");
  reel::testing::ClockOnlyKernel clock;
  std::string error;
  ::setenv("REEL_TRACE_BUFFER_KB", "1099511627776", 1);  // 1 PiB
  RecordSession session;
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(session.Open(bundle, clock, {"reel-server"}, &error)) << error;
  std::string err_text = ::testing::internal::GetCapturedStderr();
  ::unsetenv("REEL_TRACE_BUFFER_KB");
  EXPECT_EQ(session.stop_reason(),
            "cannot allocate the 1099511627776 KiB event buffer: Cannot allocate memory");
  EXPECT_NE(err_text.find("recording failed: cannot allocate"), std::string::npos) << err_text;
  session.writer().Read(clock.mono_ns + 10, 5, 100, 0, SysResult::Ok(7));
  ASSERT_TRUE(session.Started("127.0.0.1:6379", &error)) << error;
  ASSERT_TRUE(session.Finish("d", &error)) << error;
  auto meta = nlohmann::json::parse(ReadAll(bundle + "/meta.json"));
  EXPECT_EQ(meta["records"]["dropped"], 1);
  EXPECT_EQ(meta["write_error"], "Cannot allocate memory");
  EXPECT_EQ(meta["event_log"]["buffer_bytes"], 1099511627776ull * 1024);
  TraceFile log;
  ASSERT_TRUE(ReadTraceFile(bundle, &log, &error)) << error;  // a valid, empty log
  EXPECT_EQ(log.records.size(), 0u);
}

}  // namespace
}  // namespace reel
