// The analyzers' subcommands of the `reel` CLI (docs/analyzers.md). Each
// Add*Command registers its subcommand on app; when the user selects it,
// CLI11 runs the command after parsing and stores its exit code in
// *exit_code: 0 ok / identical, 1 a difference or finding where that applies,
// 2 bad input (one line on stderr).
#pragma once

#include <CLI/CLI.hpp>

#include "capture/reel_commands.h"  // kExitOk, kExitLosses, kExitBadInput

namespace reel::cli {

CLI::App* AddDiffCommand(CLI::App& app, int* exit_code);
CLI::App* AddLatencyCommand(CLI::App& app, int* exit_code);
CLI::App* AddFairnessCommand(CLI::App& app, int* exit_code);
CLI::App* AddExportCommand(CLI::App& app, int* exit_code);
CLI::App* AddWhatIfCommand(CLI::App& app, int* exit_code);
CLI::App* AddMinimizeCommand(CLI::App& app, int* exit_code);
CLI::App* AddReportCommand(CLI::App& app, int* exit_code);

}  // namespace reel::cli
