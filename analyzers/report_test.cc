#include "analyzers/report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

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
  // The headline names the stall's cause and the client it held up.
  ASSERT_FALSE(r.findings.empty());
  EXPECT_NE(r.findings[0].find("busy 300."), std::string::npos) << r.findings[0];
  EXPECT_NE(r.findings[0].find("cause: conn 1"), std::string::npos) << r.findings[0];
  EXPECT_NE(r.findings[0].find("debug SLEEP"), std::string::npos) << r.findings[0];
  bool hol = false;
  for (const std::string& f : r.findings)
    hol |=
        f.rfind("head_of_line: conn 2", 0) == 0 && f.find("caused by conn 1") != std::string::npos;
  EXPECT_TRUE(hol) << r.text;
  EXPECT_NE(r.text.find("findings:\n  - stall at"), std::string::npos) << r.text;
  EXPECT_EQ(r.json["kernel_model"]["epoll_wait"], 1.0) << r.text;
  EXPECT_TRUE(r.report_html_path.empty());  // only with --html
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
  // Its replies are checked against reel-server on the same client streams,
  // and the kernel model against its recorded calls.
  ASSERT_TRUE(r.json.contains("differential")) << r.text;
  EXPECT_EQ(r.json["differential"]["ran"], true) << r.text;
  // Every request framed from the pcap got its reply compared (7 in this trace).
  EXPECT_EQ(r.json["differential"]["replies_compared"], r.json["summary"]["requests"]) << r.text;
  EXPECT_EQ(r.json["summary"]["requests"], 7) << r.text;
  EXPECT_EQ(r.json["differential"]["replies_differing"], 0) << r.text;
  EXPECT_NE(r.text.find("differential replay (reel-server on the recorded streams): "),
            std::string::npos)
      << r.text;
  EXPECT_GE(r.json["kernel_model"]["epoll_wait"].get<double>(), 0.95) << r.text;
  ExpectNonEmptyFile(r.perfetto_path);
  ExpectNonEmptyFile(r.html_path);
  fs::remove_all(o.out_dir);
}

TEST(Report, HtmlPageHoldsTheSameSectionsEscaped) {
  ReportOptions o;
  o.input = std::string(REEL_TRACES_DIR) + "/hol_blocking";
  o.out_dir = TempDir("html");
  o.html = true;
  ReportResult r;
  std::string error;
  ASSERT_TRUE(BuildReport(o, &r, &error)) << error;
  ASSERT_FALSE(r.report_html_path.empty());
  std::ifstream f(r.report_html_path);
  std::string page((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  // Self-contained: nothing fetched from the network.
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_NE(page.find("id=\"verdict\" class=\"ok\""), std::string::npos);
  EXPECT_NE(page.find("href=\"timeline.html\""), std::string::npos);
  // Every finding is on the page, escaped the way the page needs it.
  for (const std::string& finding : r.findings) {
    std::string escaped;
    for (char c : finding) escaped += c == '>' ? std::string("&gt;") : std::string(1, c);
    EXPECT_NE(page.find(escaped), std::string::npos) << finding;
  }
  EXPECT_EQ(r.json["outputs"]["report_html"], r.report_html_path);
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
