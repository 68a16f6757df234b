// `reel replay DIR [--schedule recorded|model] [--timeline FILE] [--json] [--quiet]`
// Exit codes: 0 reproduced, 1 diverged, 2 bad input (one line on stderr).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
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
  // --schedule model
  std::string scan_at = "return";
  double delivery_delay_us = 4.0;
  double wakeup_latency_us = 10.0;
  bool verbose = false;
  // CLOCK_MONOTONIC ns when the command started, for the progress bar's
  // delay only (never in a timeline or verdict); < 0: when RunReplay starts.
  int64_t started_ns = -1;
};

CLI::App* AddReplayCommand(CLI::App& app, ReplayCommandOptions* options);
int RunReplay(const ReplayCommandOptions& options);

}  // namespace reel::cli
