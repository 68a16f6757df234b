#include "analyzers/timeline_diff.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "analyzers/analyzer_commands.h"

namespace reel::analyzers {
namespace {

// Every committed trace with a golden timeline.
std::vector<std::string> TracesWithTimelines() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(REEL_TRACES_DIR))
    if (std::filesystem::exists(entry.path() / "timeline.golden.jsonl"))
      names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string TraceDir(const std::string& trace) {
  return std::string(REEL_TRACES_DIR) + "/" + trace;
}
std::string GoldenPath(const std::string& trace) {
  return TraceDir(trace) + "/timeline.golden.jsonl";
}

// A timeline as lines: [0] is the header, [i] is the event with seq i.
std::vector<std::string> Lines(const std::string& trace) {
  std::ifstream in(GoldenPath(trace));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Rewrites each event's seq to its position, as a replay that produced the
// edited sequence would have numbered it: the diff must not rely on seq.
std::string Text(std::vector<std::string> lines) {
  static const std::regex kSeq("^\\{\"seq\":[0-9]+,");
  std::string text = lines[0] + "\n";
  for (size_t i = 1; i < lines.size(); i++)
    text += std::regex_replace(lines[i], kSeq, "{\"seq\":" + std::to_string(i) + ",",
                               std::regex_constants::format_first_only) +
            "\n";
  return text;
}

// Moves the event with seq `from` so that it becomes seq `to`.
std::vector<std::string> Move(std::vector<std::string> lines, size_t from, size_t to) {
  std::string line = lines[from];
  lines.erase(lines.begin() + static_cast<long>(from));
  lines.insert(lines.begin() + static_cast<long>(to), line);
  return lines;
}

DiffResult DiffTexts(const std::string& a, const std::string& b, const DiffOptions& options = {}) {
  TimelineReader ra, rb;
  ra.OpenText(a);
  rb.OpenText(b);
  return DiffTimelines(ra, rb, options);
}

size_t FindLine(const std::vector<std::string>& lines, const std::string& needle, size_t from = 1) {
  for (size_t i = from; i < lines.size(); i++)
    if (lines[i].find(needle) != std::string::npos) return i;
  ADD_FAILURE() << "no line with " << needle;
  return 0;
}

// Every event is aligned in place, unaligned, or half of a reordered pair.
void ExpectBalanced(const DiffResult& d) {
  EXPECT_EQ(d.a_events, d.matched + d.totals.deleted + d.totals.reordered);
  EXPECT_EQ(d.b_events, d.matched + d.totals.inserted + d.totals.reordered);
}

TEST(TimelineDiffTest, EachBundleMatchesItsGoldenTimeline) {
  for (const std::string& trace : TracesWithTimelines()) {
    DiffResult d = DiffTimelinePaths(TraceDir(trace), GoldenPath(trace));
    ASSERT_TRUE(d.ok) << d.error;
    EXPECT_TRUE(d.identical()) << trace;
    EXPECT_EQ(d.a_events, Lines(trace).size() - 1) << trace;
    EXPECT_EQ(d.matched, d.a_events);
    EXPECT_EQ(d.timing.shifted, 0u);
  }
}

TEST(TimelineDiffTest, OneReorderedEventIsTheFirstDivergenceAndCountedOnce) {
  // two_clients_race: seq 26 is the serverCron timer that fired during
  // conn 3's DEBUG SLEEP; B has it three events later.
  std::vector<std::string> a = Lines("two_clients_race");
  ASSERT_NE(a[26].find("\"kind\":\"timer\""), std::string::npos);
  DiffResult d = DiffTexts(Text(a), Text(Move(a, 26, 29)));
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_FALSE(d.identical());
  EXPECT_EQ(d.totals, (ChangeCounts{0, 0, 1, 0}));
  EXPECT_EQ(d.by_kind["timer"].reordered, 1u);
  EXPECT_EQ(d.by_kind.size(), 1u);
  ASSERT_TRUE(d.first.found);
  EXPECT_EQ(d.first.change, Change::kReordered);
  EXPECT_EQ(d.first.side, 'a');
  EXPECT_EQ(d.first.a_seq, 26u);
  EXPECT_EQ(d.first.event.kind, "timer");
  EXPECT_EQ(d.first.counterpart_seq, 29u);
  EXPECT_EQ(d.first.matched_before, 25u);
  // Context: three events before, the divergence, three after, per side.
  ASSERT_EQ(d.first.context_a.size(), 7u);
  EXPECT_EQ(d.first.mark_a, 3u);
  EXPECT_EQ(d.first.context_a[3].kind, "timer");
  EXPECT_EQ(d.first.context_a[0].seq, 23u);
  EXPECT_EQ(d.first.context_b[3].kind, "write");
  EXPECT_EQ(d.matched, 51u);
  ExpectBalanced(d);
  EXPECT_TRUE(d.replies.empty());
}

TEST(TimelineDiffTest, AnEventMovedEarlierIsReportedFromB) {
  // pipeline_burst near its end: conn 19's close moves before conn 17's read.
  std::vector<std::string> a = Lines("pipeline_burst");
  size_t close19 = FindLine(a, "\"kind\":\"close\",\"fd\":25,\"conn\":19");
  DiffResult d = DiffTexts(Text(a), Text(Move(a, close19, close19 - 5)));
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_EQ(d.totals, (ChangeCounts{0, 0, 1, 0}));
  EXPECT_EQ(d.by_conn[19].reordered, 1u);
  EXPECT_EQ(d.first.change, Change::kReordered);
  EXPECT_EQ(d.first.side, 'b');
  EXPECT_EQ(d.first.b_seq, close19 - 5);
  EXPECT_EQ(d.first.counterpart_seq, close19);
  EXPECT_EQ(d.first.event.conn, 19u);
  ExpectBalanced(d);
}

TEST(TimelineDiffTest, AnInsertedCommonEventIsOneInsertion) {
  // An extra empty epoll_wait: the most common key there is, so aligning on
  // the next equal key (rather than re-synchronising) would mis-align.
  std::vector<std::string> a = Lines("pipeline_burst");
  size_t at = FindLine(a, "\"kind\":\"command\"", 1000);
  std::vector<std::string> b = a;
  b.insert(b.begin() + static_cast<long>(at),
           "{\"seq\":0,\"t_ns\":1,\"kind\":\"epoll_wait\",\"epfd\":5,\"maxevents\":10128,"
           "\"timeout_ms\":90,\"ret\":0,\"ready\":[],\"wait_ns\":0}");
  DiffResult d = DiffTexts(Text(a), Text(b));
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_EQ(d.totals, (ChangeCounts{1, 0, 0, 0}));
  EXPECT_EQ(d.by_kind["epoll_wait"].inserted, 1u);
  EXPECT_EQ(d.by_conn[0].inserted, 1u);
  EXPECT_EQ(d.first.change, Change::kInserted);
  EXPECT_EQ(d.first.side, 'b');
  EXPECT_EQ(d.first.b_seq, at);
  EXPECT_EQ(d.first.a_seq, at);  // A's event at that point is the command
  EXPECT_EQ(d.matched, a.size() - 1);
  // The events after it align in place although every seq moved by one.
  EXPECT_EQ(d.timing.shifted, 0u);
  ExpectBalanced(d);
}

TEST(TimelineDiffTest, ADeletedEventIsOneDeletion) {
  std::vector<std::string> a = Lines("set_get_session");
  size_t read = FindLine(a, "\"kind\":\"read\"", 20);
  std::vector<std::string> b = a;
  b.erase(b.begin() + static_cast<long>(read));
  DiffResult d = DiffTexts(Text(a), Text(b));
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_EQ(d.totals, (ChangeCounts{0, 1, 0, 0}));
  EXPECT_EQ(d.by_kind["read"].deleted, 1u);
  EXPECT_EQ(d.first.change, Change::kDeleted);
  EXPECT_EQ(d.first.side, 'a');
  EXPECT_EQ(d.first.a_seq, read);
  EXPECT_EQ(d.first.event.kind, "read");
  ExpectBalanced(d);
}

TEST(TimelineDiffTest, AChangedReplyIsListedWithItsCommandAndBothDigests) {
  std::vector<std::string> a = Lines("pipeline_burst");
  size_t reply = FindLine(a, "\"digest\":\"424120aaf4940b27\"");  // GET c17:k0 -> "v0"
  std::vector<std::string> b = a;
  b[reply] = std::regex_replace(b[reply], std::regex("424120aaf4940b27"), "0123456789abcdef");
  DiffResult d = DiffTexts(Text(a), Text(b));
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_EQ(d.totals, (ChangeCounts{0, 0, 0, 1}));
  EXPECT_EQ(d.by_kind["reply"].changed, 1u);
  EXPECT_EQ(d.matched, a.size() - 1);
  ASSERT_EQ(d.replies.size(), 1u);
  EXPECT_EQ(d.replies_total, 1u);
  const ReplyDifference& r = d.replies[0];
  EXPECT_EQ(r.change, Change::kChanged);
  EXPECT_FALSE(r.reordered);
  EXPECT_EQ(r.conn, 18u);
  EXPECT_EQ(r.command(), "get c17:k0");
  ASSERT_TRUE(r.a && r.b);
  EXPECT_EQ(r.a->seq, reply);
  EXPECT_EQ(r.a->digest, "424120aaf4940b27");
  EXPECT_EQ(r.b->digest, "0123456789abcdef");
  EXPECT_EQ(r.a->head, "$");
  EXPECT_EQ(d.first.change, Change::kChanged);
  EXPECT_EQ(d.first.a_seq, reply);
  EXPECT_EQ(d.first.b_seq, reply);
}

TEST(TimelineDiffTest, SeveralChangesFarApartAreEachCounted) {
  std::vector<std::string> a = Lines("pipeline_burst");
  std::vector<std::string> b = a;
  size_t changed = FindLine(b, "\"kind\":\"reply\"", 1800);
  b[changed] = std::regex_replace(b[changed], std::regex("\"bytes\":[0-9]+"), "\"bytes\":99");
  size_t deleted = FindLine(b, "\"kind\":\"write\"", 900);
  b.erase(b.begin() + static_cast<long>(deleted));
  ASSERT_NE(b[2].find("serverCron"), std::string::npos);
  b.insert(b.begin() + 400, b[2]);  // a second serverCron, between a command and its reply
  DiffResult d = DiffTexts(Text(a), Text(b));
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_EQ(d.totals, (ChangeCounts{1, 1, 0, 1}));
  EXPECT_EQ(d.by_kind["timer"].inserted, 1u);
  EXPECT_EQ(d.by_kind["write"].deleted, 1u);
  EXPECT_EQ(d.by_kind["reply"].changed, 1u);
  EXPECT_EQ(d.replies_total, 1u);
  EXPECT_EQ(d.first.change, Change::kInserted);
  EXPECT_EQ(d.first.event.kind, "timer");
  EXPECT_EQ(d.first.b_seq, 400u);
  ExpectBalanced(d);
}

TEST(TimelineDiffTest, TimeShiftsAloneAreDriftNotDivergence) {
  std::vector<std::string> a = Lines("two_clients_race");
  std::vector<std::string> b = a;
  static const std::regex kTime("\"t_ns\":([0-9]+)");
  for (size_t i = 1; i < b.size(); i++) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(b[i], m, kTime));
    int64_t t = std::stoll(m[1]) + (i == 30 ? 5000 : 1000);
    b[i] = std::regex_replace(b[i], kTime, "\"t_ns\":" + std::to_string(t));
  }
  DiffResult d = DiffTexts(Text(a), Text(b));
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_TRUE(d.identical());
  EXPECT_EQ(d.timing.shifted, a.size() - 1);
  EXPECT_EQ(d.timing.max_abs_dt_ns, 5000);
  EXPECT_EQ(d.timing.a_seq, 30u);
}

TEST(TimelineDiffTest, AMoveBeyondTheWindowIsADeletionAndAnInsertion) {
  std::vector<std::string> a = Lines("pipeline_burst");
  size_t close19 = FindLine(a, "\"kind\":\"close\",\"fd\":25,\"conn\":19");
  std::string ta = Text(a), tb = Text(Move(a, close19, close19 - 40));
  DiffOptions narrow;
  narrow.window = 8;
  DiffResult d = DiffTexts(ta, tb, narrow);
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_EQ(d.totals, (ChangeCounts{1, 1, 0, 0}));
  ExpectBalanced(d);
  d = DiffTexts(ta, tb);  // the default window pairs them
  EXPECT_EQ(d.totals, (ChangeCounts{0, 0, 1, 0}));
}

TEST(TimelineDiffTest, UnrelatedTimelinesStayBalanced) {
  std::vector<std::string> traces = TracesWithTimelines();
  ASSERT_GE(traces.size(), 5u);
  for (const std::string& x : traces) {
    for (const std::string& y : traces) {
      DiffResult d = DiffTimelinePaths(GoldenPath(x), GoldenPath(y));
      ASSERT_TRUE(d.ok) << d.error;
      EXPECT_EQ(d.identical(), x == y) << x << " vs " << y;
      ExpectBalanced(d);
    }
  }
}

TEST(TimelineDiffTest, IgnoredKindsAreLeftOutOnBothSides) {
  std::vector<std::string> a = Lines("two_clients_race");
  DiffOptions options;
  options.ignore_kinds = {"timer"};
  DiffResult d = DiffTexts(Text(a), Text(Move(a, 26, 29)), options);
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_TRUE(d.identical());
  EXPECT_EQ(d.a_events, 50u);  // 52 events, two of them timers
}

TEST(TimelineDiffTest, MalformedInputNamesTheSideAndLine) {
  std::vector<std::string> a = Lines("two_clients_race");
  std::vector<std::string> b = a;
  b[40] = "{\"seq\":40,\"t_ns\":";
  DiffResult d = DiffTexts(Text(a), Text(b));
  EXPECT_FALSE(d.ok);
  EXPECT_EQ(d.error.rfind("B: line 41: ", 0), 0u) << d.error;
  d = DiffTexts("", Text(a));
  EXPECT_FALSE(d.ok);
  EXPECT_EQ(d.error.rfind("A: ", 0), 0u) << d.error;
}

TEST(TimelineDiffTest, JsonHasTheDocumentedSchema) {
  std::vector<std::string> a = Lines("pipeline_burst");
  std::vector<std::string> b = a;
  size_t reply = FindLine(a, "\"digest\":\"424120aaf4940b27\"");
  b[reply] = std::regex_replace(b[reply], std::regex("424120aaf4940b27"), "0123456789abcdef");
  DiffResult d = DiffTexts(Text(a), Text(b));
  nlohmann::json j = nlohmann::json::parse(DiffToJson(d, "a.jsonl", "b.jsonl"));
  EXPECT_EQ(j["identical"], false);
  EXPECT_EQ(j["a"]["input"], "a.jsonl");
  EXPECT_EQ(j["a"]["source"], "pipeline_burst");
  EXPECT_EQ(j["a"]["events"], a.size() - 1);
  EXPECT_EQ(j["aligned"], a.size() - 1);
  EXPECT_EQ(j["totals"]["changed"], 1);
  EXPECT_EQ(j["by_kind"]["reply"]["changed"], 1);
  EXPECT_EQ(j["by_conn"]["18"]["changed"], 1);
  EXPECT_EQ(j["first_divergence"]["change"], "changed");
  EXPECT_EQ(j["first_divergence"]["a_seq"], reply);
  EXPECT_EQ(j["first_divergence"]["event"]["kind"], "reply");
  EXPECT_EQ(j["first_divergence"]["context"]["a"].size(), 7u);
  EXPECT_EQ(j["first_divergence"]["context"]["a_mark"], 3);
  EXPECT_EQ(j["replies"][0]["command"], "get c17:k0");
  EXPECT_EQ(j["replies"][0]["a"]["digest"], "424120aaf4940b27");
  EXPECT_EQ(j["replies"][0]["b"]["digest"], "0123456789abcdef");
  EXPECT_EQ(j["replies_total"], 1);
  EXPECT_EQ(j["timing"]["max_abs_dt_ns"], 0);
}

// The registered `reel diff` command: exit codes and output shape.
struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

CliRun RunCli(std::vector<std::string> args) {
  CLI::App app;
  CliRun run;
  reel::cli::AddDiffCommand(app, &run.exit_code);
  args.insert(args.begin(), {"reel", "diff"});
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  app.parse(static_cast<int>(argv.size()), argv.data());
  run.out = testing::internal::GetCapturedStdout();
  run.err = testing::internal::GetCapturedStderr();
  return run;
}

std::string TempFile(const std::string& name, const std::string& content) {
  std::string path = testing::TempDir() + "/timeline_diff_test_" + name;
  std::ofstream(path) << content;
  return path;
}

TEST(ReelDiffCommandTest, BundleVersusItsTimelineIsIdenticalExitZero) {
  CliRun run = RunCli({TraceDir("two_clients_race"), GoldenPath("two_clients_race")});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "identical (52 events)\n");
  EXPECT_EQ(run.err, "");
}

TEST(ReelDiffCommandTest, ADifferenceExitsOneWithTableOrJson) {
  std::vector<std::string> a = Lines("two_clients_race");
  std::string moved = TempFile("moved.jsonl", Text(Move(a, 26, 29)));
  CliRun run = RunCli({GoldenPath("two_clients_race"), moved});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.out.find("A seq 26 is reordered: it is B seq 29"), std::string::npos) << run.out;
  run = RunCli({GoldenPath("two_clients_race"), moved, "--json", "--context", "1"});
  EXPECT_EQ(run.exit_code, 1);
  nlohmann::json j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["totals"]["reordered"], 1);
  EXPECT_EQ(j["first_divergence"]["context"]["a"].size(), 3u);
}

TEST(ReelDiffCommandTest, IgnoreKindTakesOneValuePerUse) {
  std::vector<std::string> a = Lines("two_clients_race");
  std::string moved = TempFile("moved2.jsonl", Text(Move(a, 26, 29)));
  CliRun run = RunCli({"--ignore-kind", "timer", GoldenPath("two_clients_race"), moved});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "identical (50 events)\n");
  run = RunCli({GoldenPath("two_clients_race"), moved, "--ignore-kind=epoll_wait,timer"});
  EXPECT_EQ(run.out, "identical (39 events)\n");
}

TEST(ReelDiffCommandTest, MalformedInputExitsTwoWithOneLine) {
  std::string bad = TempFile("bad.jsonl", Lines("two_clients_race")[0] + "\n{\"seq\":1,\n");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{GoldenPath("two_clients_race"), bad},
        std::vector<std::string>{"/nonexistent.jsonl", bad},
        std::vector<std::string>{TempFile("empty.jsonl", ""), bad}}) {
    CliRun run = RunCli(args);
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.out, "");
    ASSERT_FALSE(run.err.empty());
    EXPECT_EQ(run.err.find('\n'), run.err.size() - 1) << run.err;  // exactly one line
    EXPECT_EQ(run.err.rfind("reel diff: ", 0), 0u) << run.err;
  }
}

}  // namespace
}  // namespace reel::analyzers
