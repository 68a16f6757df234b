#include "analyzers/minimize.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "analyzers/bundle_writer.h"
#include "analyzers/minimize_predicate.h"
#include "analyzers/whatif.h"
#include "replay/replay_driver.h"

namespace reel::analyzers {
namespace {

bool Contains(const std::vector<size_t>& s, size_t u) {
  return std::find(s.begin(), s.end(), u) != s.end();
}

std::vector<size_t> Range(size_t n) {
  std::vector<size_t> v(n);
  for (size_t i = 0; i < n; i++) v[i] = i;
  return v;
}

// Every single removal from result must make test fail.
void ExpectOneMinimal(const std::vector<size_t>& result, const SubsetTest& test) {
  ASSERT_TRUE(test(result));
  for (size_t i = 0; i < result.size(); i++) {
    std::vector<size_t> less = result;
    less.erase(less.begin() + static_cast<std::ptrdiff_t>(i));
    EXPECT_FALSE(test(less)) << "still holds without unit " << result[i];
  }
}

TEST(DeltaDebug, FindsTheThreeUnitsThatMatter) {
  size_t calls = 0;
  SubsetTest test = [&](const std::vector<size_t>& s) {
    calls++;
    return Contains(s, 3) && Contains(s, 7) && Contains(s, 12);
  };
  std::vector<size_t> result = DeltaDebug(Range(20), test);
  EXPECT_EQ(result, (std::vector<size_t>{3, 7, 12}));
  // ddmin's worst case is quadratic; three culprits in 20 take far fewer.
  EXPECT_LT(calls, 60u);
  ExpectOneMinimal(result, test);
}

TEST(DeltaDebug, AlternativesGiveAOneMinimalSet) {
  // Holds with 5 and either 8 or 9: {5, 8} and {5, 9} are both 1-minimal.
  SubsetTest test = [](const std::vector<size_t>& s) {
    return Contains(s, 5) && (Contains(s, 8) || Contains(s, 9));
  };
  std::vector<size_t> result = DeltaDebug(Range(16), test);
  EXPECT_EQ(result.size(), 2u);
  EXPECT_TRUE(Contains(result, 5));
  ExpectOneMinimal(result, test);
}

TEST(DeltaDebug, NeverAsksAboutTheEmptyOrTheWholeSet) {
  std::set<size_t> sizes;
  SubsetTest test = [&](const std::vector<size_t>& s) {
    sizes.insert(s.size());
    return !s.empty();  // anything non-empty holds: the answer is one unit
  };
  std::vector<size_t> result = DeltaDebug(Range(9), test);
  EXPECT_EQ(result.size(), 1u);
  EXPECT_FALSE(sizes.count(0));
  EXPECT_FALSE(sizes.count(9));
}

TEST(DeltaDebug, KeepsTheCallersOrder) {
  SubsetTest test = [](const std::vector<size_t>& s) { return Contains(s, 2) && Contains(s, 40); };
  EXPECT_EQ(DeltaDebug({40, 9, 2, 17}, test), (std::vector<size_t>{40, 2}));
}

replay::ClientScript TwoConnectionScript() {
  replay::ClientScript s;
  s.start_mono_ns = 1000;
  replay::ScriptConnection a;
  a.id = 0;
  a.established_ns = 1100;
  // SET and GET pipelined in one chunk, then a blank line and a PING split
  // across two chunks.
  a.chunks.push_back(
      {2000, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"});
  a.chunks.push_back({3000, "\r\n*1\r\n$4\r\nPI"});
  a.chunks.push_back({4000, "NG\r\n*2\r\n$3\r\nGE"});  // ends inside a command
  a.fin_ns = 5000;
  replay::ScriptConnection b;
  b.id = 1;
  b.established_ns = 1200;
  b.chunks.push_back({2500, "DEL k\r\n"});  // inline
  s.connections = {a, b};
  return s;
}

TEST(ScriptRequests, SplitsAsTheServerParses) {
  replay::ClientScript s = TwoConnectionScript();
  std::vector<ScriptRequest> r = SplitScriptRequests(s);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].command, "SET k v");
  EXPECT_EQ(r[0].name, "set");
  EXPECT_EQ(r[0].key, "k");
  EXPECT_EQ(r[1].command, "GET k");
  EXPECT_EQ(r[2].command, "PING");  // the blank line before it rides along
  EXPECT_EQ(r[2].begin, r[1].end);
  EXPECT_EQ(r[3].command, "");  // the partial GET at the end
  EXPECT_EQ(r[4].conn, 1u);
  EXPECT_EQ(r[4].command, "DEL k");
  // Together they cover each stream exactly.
  EXPECT_EQ(r[3].end, ScriptClientBytes(s) - 7);
}

TEST(ScriptRequests, EditKeepsEachPartsArrivalTime) {
  replay::ClientScript s = TwoConnectionScript();
  std::vector<ScriptRequest> r = SplitScriptRequests(s);
  ScriptSelection keep;
  keep.connections = {true, false};
  keep.requests = {false, true, true, false, true};
  replay::ClientScript e = EditScript(s, r, keep);
  ASSERT_EQ(e.connections.size(), 1u);
  const replay::ScriptConnection& c = e.connections[0];
  EXPECT_EQ(c.established_ns, 1100);
  EXPECT_EQ(c.fin_ns, 5000);
  ASSERT_EQ(c.chunks.size(), 3u);
  EXPECT_EQ(c.chunks[0].t_ns, 2000);
  EXPECT_EQ(c.chunks[0].bytes, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
  EXPECT_EQ(c.chunks[1].t_ns, 3000);
  EXPECT_EQ(c.chunks[1].bytes, "\r\n*1\r\n$4\r\nPI");
  EXPECT_EQ(c.chunks[2].t_ns, 4000);
  EXPECT_EQ(c.chunks[2].bytes, "NG\r\n");
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "reel-min-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) ? pattern : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The committed race: minimized under `--order reverse`, the kept requests
// are the racing SET and GET, and the output stands on its own.
TEST(MinimizeSetGetRace, KeepsTheRaceAndReplaysOnItsOwn) {
  replay::Bundle b;
  std::string error;
  ASSERT_TRUE(replay::LoadBundle(std::string(REEL_TRACES_DIR) + "/set_get_race", &b, &error))
      << error;
  replay::ModelReplayOptions reverse;
  reverse.policy.order = replay::ModelPolicy::Order::kReverse;
  OriginalDifference d = FindReplyDifference(b, reverse, true, 0);
  ASSERT_TRUE(d.found) << d.problem;
  EXPECT_EQ(d.target.name, "get");
  EXPECT_EQ(d.target.key, "race");

  replay::ClientScript script = replay::ScriptFromBundle(b);
  replay::CostModel cost = replay::CalibrateCostModel(b);
  ReplyChangePredicate holds(b, cost, d.policy, d.target);
  ASSERT_TRUE(holds(script));
  MinimizeResult m = MinimizeScript(script, holds);
  std::vector<std::string> kept;
  for (size_t i = 0; i < m.requests.size(); i++)
    if (m.kept.requests[i] && m.kept.connections[m.requests[i].conn])
      kept.push_back(m.requests[i].command);
  EXPECT_NE(std::find(kept.begin(), kept.end(), "SET race new"), kept.end());
  EXPECT_NE(std::find(kept.begin(), kept.end(), "GET race"), kept.end());
  EXPECT_LT(m.requests_after, m.requests_before);
  EXPECT_LT(m.bytes_after, m.bytes_before);
  EXPECT_EQ(m.requests_after, kept.size());

  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  SynthesizedBundle written;
  ASSERT_TRUE(
      WriteModelBundle(b, m.script, cost, nlohmann::json::object(), dir.path(), &written, &error))
      << error;
  replay::Bundle out;
  ASSERT_TRUE(replay::LoadBundle(dir.path(), &out, &error)) << error;
  replay::ReplayVerdict v = replay::ReplayRecorded(out, {}, nullptr);
  EXPECT_TRUE(v.reproduced()) << v.Describe();
  EXPECT_EQ(v.report.model_inconsistencies, 0u) << v.Describe();
  EXPECT_TRUE(v.digest_checked);

  // The synthesized pcap gives back the script it was made from.
  replay::ClientScript again = replay::ScriptFromBundle(out);
  ASSERT_EQ(again.connections.size(), m.script.connections.size());
  for (size_t i = 0; i < again.connections.size(); i++) {
    const replay::ScriptConnection& x = again.connections[i];
    const replay::ScriptConnection& y = m.script.connections[i];
    EXPECT_EQ(x.client, y.client);
    EXPECT_EQ(x.established_ns, y.established_ns);
    EXPECT_EQ(x.fin_ns, y.fin_ns);
    ASSERT_EQ(x.chunks.size(), y.chunks.size());
    for (size_t k = 0; k < x.chunks.size(); k++) {
      EXPECT_EQ(x.chunks[k].t_ns, y.chunks[k].t_ns);
      EXPECT_EQ(x.chunks[k].bytes, y.chunks[k].bytes);
    }
  }

  // `reel whatif OUT --order reverse` still changes the GET.
  WhatIfOptions o;
  o.model = reverse;
  WhatIfReport rep = RunWhatIf(out, o);
  ASSERT_TRUE(rep.ran) << rep.problem;
  EXPECT_TRUE(rep.base_check.same()) << rep.base_check.first_difference;
  ASSERT_EQ(rep.runs.size(), 1u);
  EXPECT_TRUE(ChangesTarget(rep.base.result, rep.runs[0].result, rep.runs[0].changes, d.target));

  // Deterministic: the same script gives the same bytes.
  TempDir dir2;
  SynthesizedBundle written2;
  ASSERT_TRUE(
      WriteModelBundle(b, m.script, cost, nlohmann::json::object(), dir2.path(), &written2, &error))
      << error;
  for (const char* f : {"events.reel", "packets.pcap", "meta.json"})
    EXPECT_EQ(ReadAll(dir.path() + "/" + f), ReadAll(dir2.path() + "/" + f)) << f;
}

// Every committed reel-server trace, unedited and written out, replays on
// its own: synthesis does not depend on what minimization removed (large
// values span several segments; debug_sleep_stall sleeps; two_clients_race
// interleaves).
TEST(BundleWriter, WholeTracesReplayOnTheirOwn) {
  for (const char* name : {"set_get_session", "pipeline_burst", "large_value", "debug_sleep_stall",
                           "two_clients_race", "set_get_race"}) {
    SCOPED_TRACE(name);
    replay::Bundle b;
    std::string error;
    ASSERT_TRUE(replay::LoadBundle(std::string(REEL_TRACES_DIR) + "/" + name, &b, &error)) << error;
    replay::ClientScript script = replay::ScriptFromBundle(b);
    replay::CostModel cost = replay::CalibrateCostModel(b);
    TempDir dir;
    SynthesizedBundle written;
    ASSERT_TRUE(
        WriteModelBundle(b, script, cost, nlohmann::json::object(), dir.path(), &written, &error))
        << error;
    replay::Bundle out;
    ASSERT_TRUE(replay::LoadBundle(dir.path(), &out, &error)) << error;
    replay::ReplayVerdict v = replay::ReplayRecorded(out, {}, nullptr);
    EXPECT_TRUE(v.reproduced()) << v.Describe();
    EXPECT_EQ(v.report.model_inconsistencies, 0u) << v.Describe();
    EXPECT_EQ(v.commands, written.run.commands.size());
    EXPECT_GT(v.commands, 0u);
  }
}

TEST(PredicateCommand, ExitStatusTimeoutAndBundleDir) {
  TempDir dir;
  EXPECT_TRUE(RunPredicateCommand("test -d", dir.path(), 5000, false).holds);
  EXPECT_TRUE(RunPredicateCommand("test -d \"$REEL_BUNDLE\"", dir.path(), 5000, false).holds);
  CommandOutcome no = RunPredicateCommand("exit 3;", dir.path(), 5000, false);
  EXPECT_FALSE(no.holds);
  EXPECT_EQ(no.exit_status, 3);
  CommandOutcome slow = RunPredicateCommand("sleep 5;", dir.path(), 100, false);
  EXPECT_TRUE(slow.timed_out);
  EXPECT_FALSE(slow.holds);
}

}  // namespace
}  // namespace reel::analyzers
