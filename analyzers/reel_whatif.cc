// PLACEHOLDER: replaced by the real `reel whatif` (issue 5).
#include <cstdio>

#include "analyzers/analyzer_commands.h"

namespace reel::cli {

CLI::App* AddWhatIfCommand(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand("whatif", "(not built yet)");
  cmd->allow_extras();
  cmd->callback([exit_code] {
    std::fprintf(stderr, "reel whatif: not built yet\n");
    *exit_code = 2;
  });
  return cmd;
}

}  // namespace reel::cli
