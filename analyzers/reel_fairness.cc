// `reel fairness DIR [--json] [--wait-ms MS]` (docs/analyzers.md): how the
// event loop shared itself: batches, service order, per-connection waits,
// starvation and head-of-line blocking with the connection that caused them.
// Exit: 0 no finding, 1 at least one finding, 2 bad input.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "analyzers/analyzer_commands.h"
#include "analyzers/fairness.h"

namespace reel::cli {
namespace {

struct FairnessArgs {
  std::string path;
  bool json = false;
  double wait_ms = 10;
};

int RunFairness(const FairnessArgs& args) {
  if (!(args.wait_ms > 0) || !std::isfinite(args.wait_ms)) {
    std::fprintf(stderr, "reel fairness: --wait-ms must be a positive number of milliseconds\n");
    return 2;
  }
  analyzers::AnalysisInput input;
  std::string error;
  if (!analyzers::LoadAnalysisInput(args.path, &input, &error)) {
    std::fprintf(stderr, "reel fairness: %s\n", error.c_str());
    return 2;
  }
  analyzers::FairnessOptions options;
  options.wait_ns = static_cast<int64_t>(std::llround(args.wait_ms * 1e6));
  analyzers::FairnessReport report = analyzers::ComputeFairness(input, options);
  std::string out =
      args.json ? analyzers::ToJson(report).dump(2) + "\n" : analyzers::FormatFairnessText(report);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return report.findings.empty() ? 0 : 1;
}

}  // namespace

CLI::App* AddFairnessCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<FairnessArgs>();
  CLI::App* cmd = app.add_subcommand(
      "fairness",
      "epoll batches, service order, per-connection waits, starvation and head-of-line blocking");
  cmd->add_option("DIR", args->path, "trace bundle directory, or a timeline file")->required();
  cmd->add_flag("--json", args->json, "one JSON document (schema in docs/analyzers.md)");
  cmd->add_option("--wait-ms", args->wait_ms,
                  "a wait this long is a finding (default 10, as reel latency's --stall-ms)");
  cmd->callback([args, exit_code] { *exit_code = RunFairness(*args); });
  return cmd;
}

}  // namespace reel::cli
