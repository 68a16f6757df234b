// reel: tools for trace bundles (see docs/trace-format.md).
#include <CLI/CLI.hpp>

#include <string>

#include "analyzers/analyzer_commands.h"
#include "capture/capture_command.h"
#include "capture/reel_commands.h"
#include "replay/redact_bundle.h"
#include "replay/replay_command.h"

int main(int argc, char** argv) {
  CLI::App app{
      "reel: capture, replay and analyse traces of epoll servers (docs/ has one page per command)"};
  app.require_subcommand(1);

  std::string events_path;
  bool events_json = false;
  CLI::App* events = app.add_subcommand("events", "print every event-log record, one per line");
  events->add_option("DIR", events_path, "trace bundle directory (or an events.reel file)")
      ->required();
  events->add_flag("--json", events_json, "JSON Lines: one JSON object per record (for jq)");

  std::string inspect_path;
  CLI::App* inspect = app.add_subcommand("inspect", "summarise a trace bundle");
  inspect->add_option("DIR", inspect_path, "trace bundle directory (or an events.reel file)")
      ->required();

  reel::cli::CaptureOptions capture_options;
  capture_options.redactor = reel::replay::RedactBundleForCapture;  // --redact (replay/)
  CLI::App* capture = reel::cli::AddCaptureCommand(app, &capture_options);

  reel::cli::ReplayCommandOptions replay_options;
  CLI::App* replay = reel::cli::AddReplayCommand(app, &replay_options);

  // The analyzers run from their CLI11 callbacks and leave their exit code here.
  int analyzer_exit = reel::cli::kExitBadInput;
  CLI::App* analyzers[] = {
      reel::cli::AddDiffCommand(app, &analyzer_exit),
      reel::cli::AddLatencyCommand(app, &analyzer_exit),
      reel::cli::AddFairnessCommand(app, &analyzer_exit),
      reel::cli::AddExportCommand(app, &analyzer_exit),
      reel::cli::AddWhatIfCommand(app, &analyzer_exit),
      reel::cli::AddMinimizeCommand(app, &analyzer_exit),
      reel::cli::AddReportCommand(app, &analyzer_exit),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : reel::cli::kExitBadInput;
  }
  if (*events) return reel::cli::RunEvents(events_path, events_json);
  if (*inspect) return reel::cli::RunInspect(inspect_path);
  if (*capture) return reel::cli::RunCapture(capture_options);
  if (*replay) return reel::cli::RunReplay(replay_options);
  for (CLI::App* a : analyzers)
    if (*a) return analyzer_exit;
  return reel::cli::kExitBadInput;
}
