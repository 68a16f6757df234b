#include "capture/capture_meta.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "capture/trace_writer.h"

namespace reel {
namespace {

using nlohmann::json;

std::string TempDir() {
  char tmpl[] = "/tmp/reel-capture-meta-XXXXXX";
  char* d = mkdtemp(tmpl);
  return d ? d : "/tmp";
}

SockAddr Addr(const char* host, uint16_t port) {
  return *SockAddr::FromHostPort(host, port);
}

TEST(CaptureMeta, MergeClockPairsKeepsThemSorted) {
  json meta = {
      {"clock_pairs", json::array({ClockPairJson({300, 1300}), ClockPairJson({100, 1100})})}};
  MergeClockPairs(&meta, {{200, 1200}, {50, 1050}});
  std::vector<int64_t> mono;
  for (const auto& p : meta["clock_pairs"]) mono.push_back(p["monotonic_ns"].get<int64_t>());
  EXPECT_EQ(mono, (std::vector<int64_t>{50, 100, 200, 300}));
  json empty = json::object();
  MergeClockPairs(&empty, {{7, 8}});
  ASSERT_EQ(empty["clock_pairs"].size(), 1u);
  EXPECT_EQ(empty["clock_pairs"][0]["realtime_ns"], 8);
  EXPECT_EQ(empty["clock_pairs"][0]["realtime"], "1970-01-01T00:00:00.000000Z");
}

TEST(CaptureMeta, PcapJsonCarriesTheStatistics) {
  PcapOptions o;
  o.iface = "lo";
  o.filter = "tcp port 7";
  PcapStats s;
  s.captured = 10;
  s.received = 20;
  s.dropped_kernel = 1;
  s.have_kernel_stats = true;
  json j = PcapJson(o, s);
  EXPECT_EQ(j["interface"], "lo");
  EXPECT_EQ(j["filter"], "tcp port 7");
  EXPECT_EQ(j["snaplen"], 262144);
  EXPECT_EQ(j["immediate_mode"], true);
  EXPECT_EQ(j["captured"], 10);
  EXPECT_EQ(j["received"], 20);
  EXPECT_EQ(j["dropped_by_kernel"], 1);
  EXPECT_EQ(j["dropped_by_interface"], 0);
  EXPECT_TRUE(j["error"].is_null());
  s.have_kernel_stats = false;
  EXPECT_TRUE(PcapJson(o, s)["dropped_by_kernel"].is_null());
}

TEST(CaptureMeta, ShimBundleMetaFromTheLogAndStats) {
  std::string dir = TempDir();
  std::string path = dir + "/events.reel";
  {
    TraceWriter w;
    trace::Header h;
    h.start_mono_ns = 1000;
    h.start_real_ns = 5000;
    h.pid = 42;
    ASSERT_EQ(w.Open(path.c_str(), h), 0);
    w.Socket(1100, 2, 1, 0, SysResult::Ok(7));
    w.Bind(1200, 7, Addr("127.0.0.1", 6399), SysResult::Ok(0));
    w.Listen(1300, 7, 511, SysResult::Ok(0));
    w.Close();
  }
  TraceFile log;
  std::string error;
  ASSERT_TRUE(ReadTraceFile(path, &log, &error)) << error;

  json killed = ShimBundleMeta("events.reel", log, nullptr, {"redis-server", "--port", "6399"});
  EXPECT_EQ(killed["status"], "recording");
  EXPECT_EQ(killed["recorder"], "libreel-preload.so");
  EXPECT_EQ(killed["pid"], 42);
  EXPECT_EQ(killed["listen_address"], "127.0.0.1:6399");
  EXPECT_EQ(killed["start"]["monotonic_ns"], 1000);
  EXPECT_EQ(killed["records"]["total"], 3);
  EXPECT_EQ(killed["records"]["by_kind"]["bind"], 1);
  EXPECT_TRUE(killed["records"]["dropped"].is_null());
  EXPECT_FALSE(killed.contains("stop"));

  json stats = {{"records", 3},
                {"records_dropped", 0},
                {"bytes_written", 99},
                {"flushes", 1},
                {"buffer_bytes", 4096},
                {"flush_interval_ns", 5},
                {"stop_monotonic_ns", 9000},
                {"stop_realtime_ns", 13000},
                {"write_error", nullptr},
                {"by_kind", {{"socket", 1}, {"bind", 1}, {"listen", 1}}}};
  json done = ShimBundleMeta("events.reel", log, stats, {"redis-server"});
  EXPECT_EQ(done["status"], "complete");
  EXPECT_EQ(done["records"]["dropped"], 0);
  EXPECT_EQ(done["stop"]["monotonic_ns"], 9000);
  EXPECT_EQ(done["clock_pairs"].size(), 2u);
  EXPECT_EQ(done["event_log"]["buffer_bytes"], 4096);
  std::system(("rm -rf " + dir).c_str());
}

TEST(CaptureMeta, AtomicWriteIsPrivate) {
  std::string dir = TempDir();
  std::string path = dir + "/meta.json";
  std::string error;
  ASSERT_TRUE(WriteFileAtomically0600(path, "{\"a\": 1}\n", &error)) << error;
  EXPECT_EQ(ReadJsonFile(path)["a"], 1);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(ReadJsonFile(dir + "/missing.json").is_null());
  std::ofstream(dir + "/bad.json") << "{not json";
  EXPECT_TRUE(ReadJsonFile(dir + "/bad.json").is_null());
  EXPECT_FALSE(WriteFileAtomically0600("/no/such/dir/meta.json", "{}", &error));
  EXPECT_NE(error.find("/no/such/dir"), std::string::npos);
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace reel
