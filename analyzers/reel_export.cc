// `reel export DIR --format perfetto|html [--out FILE]` (docs/analyzers.md):
// writes a replay timeline (a timeline file, or a bundle replayed first) as a
// Perfetto / chrome://tracing trace or as a self-contained HTML page. With a
// bundle's pcap, requests start when their bytes reached the server.
#include <cstdio>
#include <memory>
#include <string>

#include "analyzers/analysis_input.h"
#include "analyzers/analyzer_commands.h"
#include "analyzers/export_html.h"
#include "analyzers/export_perfetto.h"
#include "analyzers/wire_requests.h"
#include "capture/reel_commands.h"

namespace reel::cli {
namespace {

struct ExportOptions {
  std::string input;
  std::string format;
  std::string out;
};

// Without --out the file goes to the current directory, named after the
// bundle: exporting never writes into a bundle (traces/ stays clean).
std::string DefaultOutPath(const std::string& source, const std::string& format) {
  std::string name = source.empty() ? "timeline" : source;
  return name + (format == "html" ? ".html" : ".perfetto.json");
}

bool WriteFile(const std::string& path, const std::string& text, std::string* error) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    *error = path + ": cannot create";
    return false;
  }
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok) *error = path + ": write failed";
  return ok;
}

int RunExport(const ExportOptions& o) {
  analyzers::AnalysisInput in;
  std::string error;
  if (!analyzers::LoadAnalysisInput(o.input, &in, &error)) {
    std::fprintf(stderr, "reel export: %s\n", error.c_str());
    return kExitBadInput;
  }
  const analyzers::RequestSpans& spans = in.spans;
  std::vector<int64_t> wire_arrivals;
  uint64_t mismatches = 0;
  if (in.has_pcap && in.has_commands) {
    analyzers::WireRequests wire = analyzers::CollectWireRequests(in.bundle, in.accepted);
    wire_arrivals = analyzers::WireArrivalsByRequest(spans, wire, &mismatches);
  }
  size_t with_wire = 0;
  for (size_t i = 0; i < wire_arrivals.size(); i++)
    if (wire_arrivals[i] != analyzers::kNoTime) with_wire++;
  const std::vector<int64_t>* wire = wire_arrivals.empty() ? nullptr : &wire_arrivals;

  std::string out = o.out.empty() ? DefaultOutPath(in.source, o.format) : o.out;
  std::string text, summary;
  if (o.format == "perfetto") {
    analyzers::PerfettoExportOptions options;
    options.wire_arrival_ns = wire;
    analyzers::PerfettoExportStats stats;
    text = analyzers::RenderPerfettoTrace(spans, options, &stats);
    summary = "perfetto: " + std::to_string(stats.events) + " trace events; " +
              std::to_string(spans.iterations.size()) + " iterations, " +
              std::to_string(spans.requests.size()) + " requests on " +
              std::to_string(stats.connection_tracks) + " connection tracks";
    if (stats.clamped_slices > 0)
      summary += "; " + std::to_string(stats.clamped_slices) + " slices clamped into their parent";
  } else {
    analyzers::HtmlExportOptions options;
    options.wire_arrival_ns = wire;
    analyzers::HtmlExportStats stats;
    text = analyzers::RenderHtmlPage(spans, options, &stats);
    summary = "html: " + std::to_string(stats.iterations_drawn) + " of " +
              std::to_string(spans.iterations.size()) + " iterations and " +
              std::to_string(stats.requests_drawn) + " of " +
              std::to_string(spans.requests.size()) + " requests drawn" +
              (stats.capped ? " (capped: the page says what was left out)" : "");
  }
  summary += "; arrival from the pcap for " + std::to_string(with_wire) + " of " +
             std::to_string(spans.requests.size()) + " requests";
  if (mismatches > 0)
    summary += " (" + std::to_string(mismatches) + " connections stopped matching the pcap)";
  if (!WriteFile(out, text, &error)) {
    std::fprintf(stderr, "reel export: %s\n", error.c_str());
    return kExitBadInput;
  }
  std::printf("reel export: wrote %s (%s)\n", out.c_str(), summary.c_str());
  // What the input could not provide (no pcap, no commands): said, not hidden.
  for (const std::string& m : in.missing) std::printf("  note: %s\n", m.c_str());
  return 0;
}

}  // namespace

CLI::App* AddExportCommand(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<ExportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "export", "write a replay timeline as a Perfetto/chrome://tracing trace or an HTML page");
  cmd->add_option("DIR", options->input, "bundle directory (replayed first) or a timeline file")
      ->required();
  cmd->add_option("--format", options->format,
                  "perfetto: Chrome Trace Event JSON for ui.perfetto.dev and chrome://tracing; "
                  "html: one self-contained page with the timeline and latency histograms")
      ->required()
      ->check(CLI::IsMember({"perfetto", "html"}));
  cmd->add_option("--out", options->out,
                  "output file (default: <bundle name>.perfetto.json or <bundle name>.html in the "
                  "current directory)");
  cmd->callback([options, exit_code] { *exit_code = RunExport(*options); });
  return cmd;
}

}  // namespace reel::cli
