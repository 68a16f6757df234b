#include "analyzers/report.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace reel::analyzers {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("reel-report-test-" + name);
  fs::remove_all(p);
  return p.string();
}

void ExpectNonEmptyFile(const std::string& path) {
  std::error_code ec;
  EXPECT_TRUE(fs::exists(path)) << path;
  EXPECT_GT(fs::file_size(path, ec), 0u) << path;
}

TEST(Report, DebugSleepStallNamesTheStall) {
  ReportOptions o;
  o.input = std::string(REEL_TRACES_DIR) + "/debug_sleep_stall";
  o.out_dir = TempDir("dss");
  ReportResult r;
  std::string error;
  ASSERT_TRUE(BuildReport(o, &r, &error)) << error;
  // The stall section names the command that filled the iteration.
  EXPECT_NE(r.text.find("debug SLEEP: 300.2"), std::string::npos) << r.text;
  EXPECT_EQ(r.json["replay"]["reproduced"], true) << r.text;
  for (const char* key :
       {"bundle", "summary", "replay", "latency", "fairness", "outputs", "missing"})
    EXPECT_TRUE(r.json.contains(key)) << key;
  EXPECT_FALSE(r.json["latency"]["stalls"].empty());
  ExpectNonEmptyFile(r.perfetto_path);
  ExpectNonEmptyFile(r.html_path);
  fs::remove_all(o.out_dir);
}

TEST(Report, ForeignBundleWorks) {
  ReportOptions o;
  o.input = std::string(REEL_TRACES_DIR) + "/redis_shim_session";
  o.out_dir = TempDir("shim");
  ReportResult r;
  std::string error;
  ASSERT_TRUE(BuildReport(o, &r, &error)) << error;
  EXPECT_EQ(r.json["replay"]["checked"], false);
  EXPECT_GT(r.json["summary"]["connections"].get<int>(), 0);
  ExpectNonEmptyFile(r.perfetto_path);
  ExpectNonEmptyFile(r.html_path);
  fs::remove_all(o.out_dir);
}

TEST(Report, RejectsBadInputAndOutDirInsideBundle) {
  ReportResult r;
  std::string error;
  ReportOptions bad;
  bad.input = "/nonexistent/bundle";
  bad.out_dir = TempDir("bad");
  EXPECT_FALSE(BuildReport(bad, &r, &error));
  ReportOptions inside;
  inside.input = std::string(REEL_TRACES_DIR) + "/set_get_session";
  inside.out_dir = inside.input + "/report";
  EXPECT_FALSE(BuildReport(inside, &r, &error));
  EXPECT_NE(error.find("inside the bundle"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(inside.out_dir));
}

}  // namespace
}  // namespace reel::analyzers
