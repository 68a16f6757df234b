// PLACEHOLDER: replaced by the real `reel export` (issue 5).
#include <cstdio>

#include "analyzers/analyzer_commands.h"

namespace reel::cli {

CLI::App* AddExportCommand(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand("export", "(not built yet)");
  cmd->allow_extras();
  cmd->callback([exit_code] {
    std::fprintf(stderr, "reel export: not built yet\n");
    *exit_code = 2;
  });
  return cmd;
}

}  // namespace reel::cli
