#include "analyzers/report.h"

#include <cinttypes>
#include <filesystem>
#include <fstream>

#include "analyzers/analysis_input.h"
#include "analyzers/export_html.h"
#include "analyzers/export_perfetto.h"
#include "analyzers/fairness.h"
#include "analyzers/latency.h"
#include "analyzers/report_html.h"
#include "analyzers/text_table.h"
#include "analyzers/wire_requests.h"
#include "capture/trace_summary.h"
#include "replay/differential.h"
#include "replay/model_schedule.h"
#include "replay/replay_driver.h"

namespace reel::analyzers {
namespace {

namespace fs = std::filesystem;

// How many stalls and starvation findings the headline names; the sections
// below it list them all.
constexpr size_t kHeadlineItems = 5;

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

// "300.3 ms": one decimal and the unit, for sentences (the tables use Ms()).
std::string MsWithUnit(int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", static_cast<double>(ns) / 1e6);
  return buf;
}

std::string Percent(const replay::FidelityCounts& c) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f%% (%" PRIu64 "/%" PRIu64 ")", 100.0 * c.fraction(),
                c.matches, c.calls);
  return buf;
}

std::string DescribeStall(const Stall& s) {
  std::string line = "stall at " + MsWithUnit(s.t_start_ns) + ": the event loop was busy " +
                     MsWithUnit(s.busy_ns) + "; ";
  if (s.has_cause) {
    line += "cause: " + ConnLabel(s.cause.conn, s.cause_peer) + " " + s.cause.command;
    if (!s.cause.key.empty()) line += " " + s.cause.key;
    if (s.cause.cost_ns >= 0) line += " (" + MsWithUnit(s.cause.cost_ns) + ")";
  } else {
    line += "no single command explains it (longest step: " + s.longest_step_kind + ", " +
            MsWithUnit(s.longest_step_ns) + ")";
  }
  if (!s.delayed.empty())
    line += "; " + std::to_string(s.delayed.size()) + " other client(s) delayed";
  return line;
}

std::string DescribeFinding(const FairnessFinding& f) {
  std::string line =
      f.kind + ": " + ConnLabel(f.conn, f.peer) + " waited " + MsWithUnit(f.waited_ns);
  if (f.culprit != 0) {
    line += ", caused by " + ConnLabel(f.culprit, f.culprit_peer);
    if (!f.culprit_what.empty()) line += " (" + f.culprit_what + ")";
  }
  return line;
}

void AddSection(ReportResult* out, std::string title, std::string text) {
  out->sections.push_back({std::move(title), std::move(text)});
}

// Whether the bundle replays, and how well the kernel model follows it.
void ReplaySections(const replay::Bundle& bundle, ReportResult* out) {
  nlohmann::json& j = out->json;
  std::string t;
  if (replay::IsReelServerBundle(bundle)) {
    replay::ReplayVerdict v = replay::ReplayRecorded(bundle, replay::ReplayOptions{}, nullptr);
    j["replay"] = {{"checked", true}, {"reproduced", v.reproduced()}, {"verdict", v.Describe()}};
    t += v.Describe() + "\n";
    if (!v.reproduced()) out->findings.push_back("replay does not reproduce: " + v.Describe());
  } else {
    // A foreign server's code cannot run here; reel-server stands in for it
    // on the recorded client streams instead (replay/differential.h).
    j["replay"] = {{"checked", false},
                   {"reproduced", nullptr},
                   {"verdict", "not a reel-server bundle: its own code cannot be replayed"}};
    t += "not a reel-server bundle: the recorded server's code cannot be replayed here.\n";
    replay::DifferentialReport d = replay::RunDifferential(bundle);
    nlohmann::json dj = {{"ran", d.ran},
                         {"replies_compared", d.replies_compared},
                         {"replies_differing", d.replies_differing},
                         {"nondeterministic_differing", d.nondeterministic_differing},
                         {"first_difference", d.first_difference}};
    if (!d.ran) dj["problem"] = d.problem;
    j["differential"] = dj;
    if (!d.ran) {
      t +=
          "differential replay (reel-server on the recorded streams): not run: " + d.problem + "\n";
    } else {
      t += "differential replay (reel-server on the recorded streams): " +
           std::to_string(d.replies_compared) + " replies compared, " +
           std::to_string(d.replies_differing) + " differ";
      if (d.nondeterministic_differing > 0)
        t += " (+" + std::to_string(d.nondeterministic_differing) +
             " from commands whose replies legitimately differ)";
      t += "\n";
      if (!d.first_difference.empty()) {
        t += "  first: " + d.first_difference + "\n";
        out->findings.push_back("reel-server answers differently from the recorded server: " +
                                d.first_difference);
      }
    }
  }
  replay::FidelityReport f = replay::RunModelSchedule(bundle);
  j["kernel_model"] = {{"epoll_wait", f.epoll_wait.fraction()},
                       {"read", f.read.fraction()},
                       {"write", f.write.fraction()},
                       {"accept", f.accept.fraction()},
                       {"first_mismatch", f.first_mismatch}};
  t += "kernel model (calls from the log): epoll_wait " + Percent(f.epoll_wait) + ", reads " +
       Percent(f.read) + ", writes " + Percent(f.write) + ", accepts " + Percent(f.accept) + "\n";
  if (!f.first_mismatch.empty()) t += "  first mismatch: " + f.first_mismatch + "\n";
  AddSection(out, "replay", t);
}

void Headline(const LatencyReport& lat, const FairnessReport& fair, ReportResult* out) {
  for (size_t i = 0; i < lat.stalls.size() && i < kHeadlineItems; ++i)
    out->findings.push_back(DescribeStall(lat.stalls[i]));
  if (lat.stalls.size() > kHeadlineItems)
    out->findings.push_back(std::to_string(lat.stalls.size() - kHeadlineItems) +
                            " more stalls (see latency)");
  for (size_t i = 0; i < fair.findings.size() && i < kHeadlineItems; ++i)
    out->findings.push_back(DescribeFinding(fair.findings[i]));
  if (fair.findings.size() > kHeadlineItems)
    out->findings.push_back(std::to_string(fair.findings.size() - kHeadlineItems) +
                            " more waits (see fairness)");
  if (!lat.wire.slowest.empty()) {
    const SlowRequest& s = lat.wire.slowest.front();
    out->findings.push_back("slowest request: " + ConnLabel(s.conn, s.peer) + " " + s.command +
                            (s.key.empty() ? "" : " " + s.key) + ", " + MsWithUnit(s.latency_ns) +
                            " (wire)");
  }
  if (lat.stalls.empty() && fair.findings.empty())
    out->findings.push_back("no event-loop stall over " + MsWithUnit(lat.stall_threshold_ns) +
                            " and no client waited " + MsWithUnit(fair.wait_threshold_ns) +
                            " or more");
}

std::string RenderText(const ReportResult& r) {
  std::string t;
  for (size_t i = 0; i < r.sections.size(); ++i) {
    const ReportSection& s = r.sections[i];
    if (i > 0) t += "\n";
    if (!s.title.empty() && s.title != "latency" && s.title != "fairness")
      t += s.title + ":\n";  // latency and fairness print their own heading
    t += s.text;
    if (i == 0) {
      t += "\nfindings:\n";
      for (const std::string& f : r.findings) t += "  - " + f + "\n";
    }
  }
  return t;
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

  nlohmann::json& j = out->json;
  j["bundle"] = in.source;

  // Summary: the same numbers `reel inspect` prints.
  TraceSummary s = Summarize(in.bundle.log);
  uint64_t packets = in.bundle.net.size();
  nlohmann::json losses =
      in.bundle.meta.value("/capture/losses"_json_pointer, nlohmann::json::array());
  std::vector<std::string> cmdline = in.bundle.command_line;
  std::string server = cmdline.empty() ? "?" : cmdline[0];
  LatencyReport lat = ComputeLatency(in, LatencyOptions{});
  // A foreign server's bundle has no replay timeline: its requests are the
  // ones framed from the pcap.
  uint64_t requests = in.has_commands ? in.spans.requests.size() : lat.wire.requests;
  j["summary"] = {{"server", server},
                  {"duration_ns", s.last_ns - s.first_ns},
                  {"connections", s.connections.size()},
                  {"requests", requests},
                  {"net_events", packets},
                  {"losses", losses}};
  std::string head = "reel report: " + in.source + "\n";
  head += "  server:      " + server + "\n";
  head += "  duration:    " + MsWithUnit(s.last_ns - s.first_ns) + ", " +
          std::to_string(s.connections.size()) + " connections, " + std::to_string(requests) +
          " requests, " + std::to_string(packets) + " packet events, " +
          std::to_string(losses.size()) + " losses\n";
  AddSection(out, "", head);
  for (const auto& l : losses)
    out->findings.push_back("the capture lost data: " +
                            (l.is_string() ? l.get<std::string>() : l.dump()));

  ReplaySections(in.bundle, out);

  j["latency"] = ToJson(lat);
  AddSection(out, "latency", FormatLatencyText(lat));
  FairnessReport fair = ComputeFairness(in, FairnessOptions{});
  j["fairness"] = ToJson(fair);
  AddSection(out, "fairness", FormatFairnessText(fair));
  Headline(lat, fair, out);
  j["findings"] = out->findings;

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
  std::string tl =
      "  " + out->perfetto_path + "  (open in ui.perfetto.dev)\n  " + out->html_path + "\n";
  if (options.html) {
    out->report_html_path = (fs::path(dir) / "report.html").string();
    j["outputs"]["report_html"] = out->report_html_path;
    tl += "  " + out->report_html_path + "  (this report as one page)\n";
  }
  for (const std::string& m : in.missing) tl += "  note: " + m + "\n";
  AddSection(out, "timelines", tl);
  out->text = RenderText(*out);
  if (options.html && !WriteText(out->report_html_path, RenderReportHtml(*out), error))
    return false;
  return true;
}

}  // namespace reel::analyzers
