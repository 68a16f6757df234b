// reel: tools for trace bundles (see docs/trace-format.md).
#include <CLI/CLI.hpp>

#include <string>

#include "capture/capture_command.h"
#include "capture/reel_commands.h"
#include "replay/replay_command.h"

int main(int argc, char** argv) {
  CLI::App app{"reel: inspect trace bundles recorded by reel-server --record"};
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
  CLI::App* capture = reel::cli::AddCaptureCommand(app, &capture_options);

  reel::cli::ReplayCommandOptions replay_options;
  CLI::App* replay = reel::cli::AddReplayCommand(app, &replay_options);

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
  return reel::cli::kExitBadInput;
}
