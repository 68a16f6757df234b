// `reel latency DIR [--json] [--top N] [--stall-ms MS]` (docs/analyzers.md):
// request latency from the pcap and from the timeline, the slowest requests,
// and the event-loop stalls with their cause and victims.
// Exit: 0 no stall, 1 at least one stall reported, 2 bad input.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "analyzers/analyzer_commands.h"
#include "analyzers/latency.h"

namespace reel::cli {
namespace {

struct LatencyArgs {
  std::string path;
  bool json = false;
  size_t top = 10;
  double stall_ms = static_cast<double>(analyzers::kDefaultStallNs) / 1e6;
};

int RunLatency(const LatencyArgs& args) {
  if (!(args.stall_ms > 0) || !std::isfinite(args.stall_ms)) {
    std::fprintf(stderr, "reel latency: --stall-ms must be a positive number of milliseconds\n");
    return 2;
  }
  analyzers::AnalysisInput input;
  std::string error;
  if (!analyzers::LoadAnalysisInput(args.path, &input, &error)) {
    std::fprintf(stderr, "reel latency: %s\n", error.c_str());
    return 2;
  }
  analyzers::LatencyOptions options;
  options.top = args.top;
  options.stall_ns = static_cast<int64_t>(std::llround(args.stall_ms * 1e6));
  analyzers::LatencyReport report = analyzers::ComputeLatency(input, options);
  std::string out =
      args.json ? analyzers::ToJson(report).dump(2) + "\n" : analyzers::FormatLatencyText(report);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return report.stalls.empty() ? 0 : 1;
}

}  // namespace

CLI::App* AddLatencyCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<LatencyArgs>();
  CLI::App* cmd = app.add_subcommand(
      "latency", "per-request latency (pcap and timeline), slowest requests, event-loop stalls");
  cmd->add_option("DIR", args->path, "trace bundle directory, or a timeline file")->required();
  cmd->add_flag("--json", args->json, "one JSON document (schema in docs/analyzers.md)");
  cmd->add_option("--top", args->top, "how many slowest requests to list (default 10)");
  cmd->add_option(
      "--stall-ms", args->stall_ms,
      "report loop iterations busier than this (default 10, Redis's slowlog threshold)");
  cmd->callback([args, exit_code] { *exit_code = RunLatency(*args); });
  return cmd;
}

}  // namespace reel::cli
