// `reel replay DIR [--schedule recorded|model] [--timeline FILE] [--json] [--quiet]`
// Exit codes: 0 reproduced, 1 diverged, 2 bad input (one line on stderr).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace reel::cli {

struct ReplayCommandOptions {
  std::string dir;
  std::string schedule = "recorded";
  std::string timeline_path;
  bool json = false;
  bool quiet = false;
  bool redact_args = false;
  size_t max_arg_bytes = 64;
};

CLI::App* AddReplayCommand(CLI::App& app, ReplayCommandOptions* options);
int RunReplay(const ReplayCommandOptions& options);

}  // namespace reel::cli
