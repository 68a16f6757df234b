// `reel diff A B`: a semantic diff of two timelines or bundles
// (docs/analyzers.md). Exit 0 identical, 1 different, 2 bad input.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "analyzers/analyzer_commands.h"
#include "analyzers/timeline_diff.h"

namespace reel::cli {
namespace {

struct DiffArgs {
  std::string a;
  std::string b;
  bool json = false;
  analyzers::DiffOptions options;
};

int RunDiff(const DiffArgs& args) {
  analyzers::DiffResult d = analyzers::DiffTimelinePaths(args.a, args.b, args.options);
  if (!d.ok) {
    // One line, whatever a replayed bundle's error text holds.
    for (char& c : d.error)
      if (c == '\n') c = ' ';
    std::fprintf(stderr, "reel diff: %s\n", d.error.c_str());
    return 2;
  }
  if (args.json)
    std::printf("%s\n", analyzers::DiffToJson(d, args.a, args.b).c_str());
  else
    analyzers::PrintDiff(d, args.a, args.b, stdout);
  std::fflush(stdout);
  return d.identical() ? 0 : 1;
}

}  // namespace

CLI::App* AddDiffCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<DiffArgs>();
  CLI::App* cmd = app.add_subcommand(
      "diff",
      "compare two timelines (or bundles, replayed first) event by event: the first divergence, "
      "inserted/deleted/reordered events per kind and connection, replies that differ");
  cmd->add_option("A", args->a, "timeline file (JSON Lines) or bundle directory")->required();
  cmd->add_option("B", args->b, "timeline file (JSON Lines) or bundle directory")->required();
  cmd->add_flag("--json", args->json, "one JSON object instead of the table");
  cmd->add_option("--context", args->options.context,
                  "events shown before and after the first divergence (default 3)")
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--window", args->options.window,
                  "look-ahead per side for re-synchronising and pairing moved events "
                  "(default 512); a move farther than this reads as deleted + inserted")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--max-replies", args->options.max_replies,
                  "differing replies listed (all are counted; default 100)");
  cmd->add_option("--ignore-kind", args->options.ignore_kinds,
                  "leave out events of this kind on both sides (repeatable, or comma-separated), "
                  "e.g. timer")
      ->allow_extra_args(false)  // one value per use, so A and B stay positionals
      ->delimiter(',');
  cmd->callback([args, exit_code] { *exit_code = RunDiff(*args); });
  return cmd;
}

}  // namespace reel::cli
