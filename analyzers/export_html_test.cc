#include "analyzers/export_html.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

namespace reel::analyzers {
namespace {

constexpr const char* kHeader =
    R"({"timeline_version":"1.1","source":"synthetic","schedule":"recorded","start_mono_ns":0})"
    "\n";

// conn 1: SET and GET pipelined in one read, both written at 300; a key with
// markup in it. conn 2: PING answered, then a PING never answered (close).
constexpr const char* kTimeline = R"(
{"seq":1,"t_ns":100,"kind":"epoll_wait","epfd":5,"maxevents":64,"timeout_ms":100,"ret":1,"ready":[{"fd":6,"conn":0,"mask":"IN"}],"wait_ns":100}
{"seq":2,"t_ns":110,"kind":"accept","listen_fd":6,"ret":7,"fd":7,"conn":1,"peer":"127.0.0.1:1000"}
{"seq":3,"t_ns":120,"kind":"accept","listen_fd":6,"ret":8,"fd":8,"conn":2,"peer":"127.0.0.1:2000"}
{"seq":4,"t_ns":200,"kind":"epoll_wait","epfd":5,"maxevents":64,"timeout_ms":100,"ret":2,"ready":[{"fd":7,"conn":1,"mask":"IN"},{"fd":8,"conn":2,"mask":"IN"}],"wait_ns":50}
{"seq":5,"t_ns":210,"kind":"read","fd":7,"conn":1,"requested":16384,"ret":40}
{"seq":6,"t_ns":210,"kind":"command","conn":1,"name":"set","argc":3,"args":["<script>x</script>","v"]}
{"seq":7,"t_ns":215,"kind":"reply","conn":1,"bytes":5,"head":"+OK","digest":"0"}
{"seq":8,"t_ns":215,"kind":"command","conn":1,"name":"get","argc":2,"args":["k"]}
{"seq":9,"t_ns":220,"kind":"reply","conn":1,"bytes":10,"head":"$","digest":"0"}
{"seq":10,"t_ns":230,"kind":"read","fd":8,"conn":2,"requested":16384,"ret":14}
{"seq":11,"t_ns":230,"kind":"command","conn":2,"name":"ping","argc":1,"args":[]}
{"seq":12,"t_ns":235,"kind":"reply","conn":2,"bytes":7,"head":"+PONG","digest":"0"}
{"seq":13,"t_ns":300,"kind":"write","fd":7,"conn":1,"requested":15,"ret":15}
{"seq":14,"t_ns":310,"kind":"write","fd":8,"conn":2,"requested":7,"ret":7}
{"seq":15,"t_ns":1000,"kind":"epoll_wait","epfd":5,"maxevents":64,"timeout_ms":100,"ret":1,"ready":[{"fd":8,"conn":2,"mask":"IN"}],"wait_ns":600}
{"seq":16,"t_ns":1020,"kind":"read","fd":8,"conn":2,"requested":16384,"ret":14}
{"seq":17,"t_ns":1020,"kind":"command","conn":2,"name":"ping","argc":1,"args":[]}
{"seq":18,"t_ns":1025,"kind":"reply","conn":2,"bytes":7,"head":"+PONG","digest":"0"}
{"seq":19,"t_ns":1030,"kind":"close","fd":8,"conn":2}
{"seq":20,"t_ns":1040,"kind":"end","verdict":"reproduced"}
)";

// The raw strings below start with a newline for readability; a timeline
// has no blank lines.
RequestSpans BuildFromText(std::string text) {
  for (size_t p; (p = text.find("\n\n")) != std::string::npos;) text.erase(p, 1);
  TimelineReader reader;
  reader.OpenText(text);
  RequestSpans spans;
  std::string error;
  EXPECT_TRUE(BuildRequestSpans(reader, &spans, &error)) << error;
  return spans;
}

size_t Count(const std::string& text, const std::string& pattern) {
  std::regex re(pattern);
  return static_cast<size_t>(
      std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

// The part of the page between the element that opens with `open` and the
// next `close`.
std::string Between(const std::string& text, const std::string& open, const std::string& close) {
  size_t a = text.find(open);
  if (a == std::string::npos) return "";
  size_t b = text.find(close, a);
  return text.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

TEST(LatencyHistogram, BucketsOnA125ScaleFromSmallestToLargest) {
  EXPECT_TRUE(LatencyHistogram({}).empty());
  std::vector<LatencyBucket> one = LatencyHistogram({0});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].lo_ns, 0);
  EXPECT_EQ(one[0].hi_ns, 1);

  // 1 -> [1,2); 2, 3 -> [2,5); 7 -> [5,10); 12 -> [10,20); nothing in
  // [20,50); 5000 -> [5000,10000).
  std::vector<LatencyBucket> h = LatencyHistogram({3, 1, 2, 7, 12, 5000});
  ASSERT_EQ(h.size(), 12u);  // [1,2) ... [5000,10000)
  EXPECT_EQ(h.front().lo_ns, 1);
  EXPECT_EQ(h.back().lo_ns, 5000);
  EXPECT_EQ(h.back().hi_ns, 10000);
  std::vector<uint64_t> counts;
  for (const LatencyBucket& b : h) counts.push_back(b.count);
  EXPECT_EQ(counts, (std::vector<uint64_t>{1, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1}));
  // Edges are exact: 10 goes to [10,20), 9 to [5,10).
  EXPECT_EQ(LatencyHistogram({10})[0].lo_ns, 10);
  EXPECT_EQ(LatencyHistogram({9})[0].lo_ns, 5);
}

TEST(FormatDuration, PicksAUnit) {
  EXPECT_EQ(FormatDuration(850), "850 ns");
  EXPECT_EQ(FormatDuration(12345), "12.3 µs");
  EXPECT_EQ(FormatDuration(4560000), "4.56 ms");
  EXPECT_EQ(FormatDuration(1230000000), "1.23 s");
}

TEST(HtmlExport, DrawsIterationsRequestsAndHistograms) {
  RequestSpans spans = BuildFromText(std::string(kHeader) + kTimeline);
  HtmlExportStats stats;
  std::string page = RenderHtmlPage(spans, {}, &stats);

  EXPECT_EQ(Count(page, "<g class=\"iteration\""), 3u);
  EXPECT_EQ(Count(page, "<rect class=\"command\""), 4u);
  EXPECT_EQ(Count(page, "<rect class=\"wait\""), 3u);
  EXPECT_EQ(Count(page, "<g class=\"connection\""), 2u);
  std::string conn1 = Between(page, "<g class=\"connection\" data-conn=\"1\"", "</g>");
  std::string conn2 = Between(page, "<g class=\"connection\" data-conn=\"2\"", "</g>");
  EXPECT_EQ(Count(conn1, "<rect class=\"request\""), 2u);
  EXPECT_EQ(Count(conn2, "<rect class=\"request\""), 1u);
  EXPECT_EQ(Count(conn2, "<rect class=\"request unanswered\""), 1u);
  // The unanswered PING is drawn from its read (1020) to the close (1030).
  EXPECT_NE(conn2.find("data-s=\"1020\" data-e=\"1030\""), std::string::npos);
  EXPECT_NE(conn1.find(">conn 1 127.0.0.1:1000<"), std::string::npos);
  // GET's latency is from SET's read (210) to the write (300), not from its
  // dispatch (215).
  EXPECT_NE(conn1.find("data-command=\"get\" data-latency-ns=\"90\""), std::string::npos);
  EXPECT_FALSE(stats.capped);
  EXPECT_EQ(page.find("class=\"cap-note\""), std::string::npos);

  // One histogram per command; GET's single 90 ns falls in [50,100).
  EXPECT_EQ(Count(page, "<div class=\"histogram\""), 3u);
  std::string get = Between(page, "<div class=\"histogram\" data-command=\"get\"", "</div>");
  EXPECT_EQ(Count(get, "<rect class=\"bar\""), 1u);
  EXPECT_NE(get.find("data-lo-ns=\"50\" data-hi-ns=\"100\" data-count=\"1\""), std::string::npos);
  // PING: 80 ns answered ([50,100)), one never answered (not in the bars).
  std::string ping = Between(page, "<div class=\"histogram\" data-command=\"ping\"", "</div>");
  EXPECT_EQ(Count(ping, "<rect class=\"bar\""), 1u);
  EXPECT_NE(ping.find("1 never answered"), std::string::npos);

  // Self-contained, and the key's markup is text, not markup.
  EXPECT_EQ(page.find("<script src"), std::string::npos);
  EXPECT_EQ(page.find("<script"), page.rfind("<script")) << "one inline script (zoom) only";
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find(" src="), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;x&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(page, RenderHtmlPage(spans)) << "not deterministic";
}

TEST(HtmlExport, BigTimelinesAreCappedAndSaySo) {
  std::ifstream f(std::string(REEL_TRACES_DIR) + "/pipeline_burst/timeline.golden.jsonl");
  ASSERT_TRUE(f.good());
  std::stringstream buf;
  buf << f.rdbuf();
  RequestSpans spans = BuildFromText(buf.str());
  ASSERT_EQ(spans.requests.size(), 1000u);

  HtmlExportOptions options;
  options.max_iterations_drawn = 3;
  options.max_requests_drawn = 100;
  options.max_commands_drawn = 40;
  options.max_connections_drawn = 5;
  HtmlExportStats stats;
  std::string page = RenderHtmlPage(spans, options, &stats);
  EXPECT_TRUE(stats.capped);
  EXPECT_EQ(Count(page, "<g class=\"iteration\""), 3u);
  EXPECT_EQ(Count(page, "<g class=\"connection\""), 5u);
  EXPECT_EQ(Count(page, "<rect class=\"request"), 100u);
  EXPECT_EQ(Count(page, "<rect class=\"command\""), 40u);
  EXPECT_EQ(stats.commands_drawn, 40u);
  EXPECT_NE(page.find("the 40 longest-running of 1000 commands"), std::string::npos);
  EXPECT_NE(page.find("class=\"cap-note\""), std::string::npos);
  EXPECT_NE(
      page.find("the 3 longest of " + std::to_string(spans.iterations.size()) + " iterations"),
      std::string::npos);
  // The drawn iterations are the longest ones.
  int64_t third_longest = 0;
  {
    std::vector<int64_t> busy;
    for (const LoopIteration& it : spans.iterations) busy.push_back(it.busy_ns());
    std::sort(busy.rbegin(), busy.rend());
    third_longest = busy[2];
  }
  std::regex iter_re(
      "<g class=\"iteration\" data-index=\"\\d+\" data-start-ns=\"(\\d+)\" "
      "data-end-ns=\"(\\d+)\"");
  for (auto it = std::sregex_iterator(page.begin(), page.end(), iter_re);
       it != std::sregex_iterator(); ++it) {
    EXPECT_GE(std::stoll((*it)[2]) - std::stoll((*it)[1]), third_longest);
  }
  // Histograms still count every request: 500 SETs and 500 GETs.
  EXPECT_NE(page.find("data-command=\"get\" data-requests=\"500\""), std::string::npos);
  EXPECT_NE(page.find("data-command=\"set\" data-requests=\"500\""), std::string::npos);
  // The busy strip is drawn over all iterations.
  EXPECT_EQ(Count(page, "<rect class=\"activity-bin\""), options.activity_bins);
}

}  // namespace
}  // namespace reel::analyzers
