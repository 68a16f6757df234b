// `reel report DIR [--out-dir DIR] [--html] [--json]` (docs/analyzers.md): the first
// command to run on an incident bundle. Exit: 0 report written (whatever the
// findings), 2 bad input.
#include <cstdio>
#include <memory>

#include "analyzers/analyzer_commands.h"
#include "analyzers/report.h"

namespace reel::cli {
namespace {

struct ReportArgs {
  analyzers::ReportOptions options;
  bool json = false;
};

int RunReport(const ReportArgs& args) {
  analyzers::ReportResult result;
  std::string error;
  if (!analyzers::BuildReport(args.options, &result, &error)) {
    std::fprintf(stderr, "reel report: %s\n", error.c_str());
    return kExitBadInput;
  }
  std::string out = args.json ? result.json.dump(2) + "\n" : result.text;
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace

CLI::App* AddReportCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "report", "one page on a bundle: summary, replay verdict, stalls, fairness, timelines");
  cmd->add_option("DIR", args->options.input, "trace bundle directory")->required();
  cmd->add_option("--out-dir", args->options.out_dir,
                  "where timelines go (default ./reel-report-<bundle name>/, never the bundle)");
  cmd->add_flag("--html", args->options.html,
                "also write the report as one self-contained page, <out-dir>/report.html");
  cmd->add_flag("--json", args->json, "one JSON document (keys in docs/analyzers.md)");
  cmd->callback([args, exit_code] { *exit_code = RunReport(*args); });
  return cmd;
}

}  // namespace reel::cli
