#include "analyzers/report.h"

#include <filesystem>
#include <fstream>

#include "analyzers/analysis_input.h"
#include "analyzers/export_html.h"
#include "analyzers/export_perfetto.h"
#include "analyzers/fairness.h"
#include "analyzers/latency.h"
#include "analyzers/wire_requests.h"
#include "capture/trace_summary.h"
#include "replay/replay_driver.h"

namespace reel::analyzers {
namespace {

namespace fs = std::filesystem;

bool WriteText(const std::string& path, const std::string& text, std::string* error) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) {
    *error = path + ": write failed";
    return false;
  }
  return true;
}

std::string Ms(int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", static_cast<double>(ns) / 1e6);
  return buf;
}

}  // namespace

std::string DefaultReportDir(const std::string& input) {
  fs::path p = fs::path(input).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return "./reel-report-" + p.filename().string();
}

bool BuildReport(const ReportOptions& options, ReportResult* out, std::string* error) {
  AnalysisInput in;
  if (!LoadAnalysisInput(options.input, &in, error)) return false;
  if (!in.has_bundle) {
    *error = options.input + ": not a trace bundle directory";
    return false;
  }
  std::string dir = options.out_dir.empty() ? DefaultReportDir(options.input) : options.out_dir;
  // Never write into the bundle: it is evidence.
  std::error_code ec;
  fs::path bundle_abs = fs::weakly_canonical(options.input, ec);
  fs::path out_abs = fs::weakly_canonical(dir, ec);
  auto rel = out_abs.lexically_relative(bundle_abs);
  if (!rel.empty() && *rel.begin() != "..") {
    *error = dir + ": out-dir is inside the bundle; choose another --out-dir";
    return false;
  }
  fs::create_directories(dir, ec);
  if (ec) {
    *error = dir + ": " + ec.message();
    return false;
  }

  std::string& t = out->text;
  nlohmann::json& j = out->json;
  j["bundle"] = in.source;

  // Summary: the same numbers `reel inspect` prints.
  TraceSummary s = Summarize(in.bundle.log);
  uint64_t packets = in.bundle.net.size();
  nlohmann::json losses =
      in.bundle.meta.value("/capture/losses"_json_pointer, nlohmann::json::array());
  std::vector<std::string> cmdline = in.bundle.command_line;
  std::string server = cmdline.empty() ? "?" : cmdline[0];
  bool reel_server = replay::IsReelServerBundle(in.bundle);
  j["summary"] = {{"server", server},
                  {"duration_ns", s.last_ns - s.first_ns},
                  {"connections", s.connections.size()},
                  {"requests", in.spans.requests.size()},
                  {"net_events", packets},
                  {"losses", losses}};
  t += "reel report: " + in.source + "\n";
  t += "  server:      " + server + "\n";
  t += "  duration:    " + Ms(s.last_ns - s.first_ns) + ", " +
       std::to_string(s.connections.size()) + " connections, " +
       std::to_string(in.spans.requests.size()) + " requests, " + std::to_string(packets) +
       " packet events, " + std::to_string(losses.size()) + " losses\n";

  // Replays?
  if (reel_server) {
    replay::ReplayVerdict v = replay::ReplayRecorded(in.bundle, replay::ReplayOptions{}, nullptr);
    j["replay"] = {{"checked", true}, {"reproduced", v.reproduced()}, {"verdict", v.Describe()}};
    t += "\nreplay: " + v.Describe() + "\n";
  } else {
    // Foreign server: its code cannot run here; fidelity needs `reel diff`.
    j["replay"] = {{"checked", false},
                   {"reproduced", nullptr},
                   {"verdict", "not a reel-server bundle: recorded-schedule replay not run"}};
    t += "\nreplay: not a reel-server bundle; not replayed here (see `reel diff`)\n";
  }

  LatencyReport lat = ComputeLatency(in, LatencyOptions{});
  j["latency"] = ToJson(lat);
  t += "\n" + FormatLatencyText(lat);
  FairnessReport fair = ComputeFairness(in, FairnessOptions{});
  j["fairness"] = ToJson(fair);
  t += "\n" + FormatFairnessText(fair);

  // Timelines, exactly as `reel export` renders them.
  std::vector<int64_t> arrivals;
  uint64_t mismatches = 0;
  if (in.has_pcap && in.has_commands) {
    WireRequests wire = CollectWireRequests(in.bundle, in.accepted);
    arrivals = WireArrivalsByRequest(in.spans, wire, &mismatches);
  }
  const std::vector<int64_t>* wa = arrivals.empty() ? nullptr : &arrivals;
  PerfettoExportOptions po;
  po.wire_arrival_ns = wa;
  PerfettoExportStats ps;
  HtmlExportOptions ho;
  ho.wire_arrival_ns = wa;
  HtmlExportStats hs;
  out->perfetto_path = (fs::path(dir) / "timeline.perfetto.json").string();
  out->html_path = (fs::path(dir) / "timeline.html").string();
  if (!WriteText(out->perfetto_path, RenderPerfettoTrace(in.spans, po, &ps), error) ||
      !WriteText(out->html_path, RenderHtmlPage(in.spans, ho, &hs), error))
    return false;
  j["outputs"] = {{"perfetto", out->perfetto_path}, {"html", out->html_path}};
  j["missing"] = in.missing;
  t += "\ntimelines:\n  " + out->perfetto_path + "  (open in ui.perfetto.dev)\n  " +
       out->html_path + "\n";
  for (const std::string& m : in.missing) t += "  note: " + m + "\n";
  return true;
}

}  // namespace reel::analyzers
