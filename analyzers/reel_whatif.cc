// `reel whatif DIR [--maxevents N] [--trigger et] [--order reverse|shuffle:SEED]
//                  [--sndbuf BYTES] [--hz N] [--explore N] [--json] [--timeline FILE]`
// (docs/analyzers.md). Exit 0: no reply changes; 1: some reply changes;
// 2: bad input.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "analyzers/analyzer_commands.h"
#include "analyzers/whatif.h"

namespace reel::cli {

namespace {

struct WhatIfArgs {
  std::string dir;
  int maxevents = 0;
  std::string trigger = "lt";
  std::string order = "kernel";
  uint64_t sndbuf = 0;
  int hz = 0;
  uint64_t explore = 0;
  bool json = false;
  std::string timeline_path;
  size_t show = 10;
};

std::string Us(int64_t ns) {
  char buf[32];
  if (ns >= 1'000'000)
    std::snprintf(buf, sizeof buf, "%.1fms", static_cast<double>(ns) / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%.1fus", static_cast<double>(ns) / 1e3);
  return buf;
}

nlohmann::ordered_json LatencyJson(const analyzers::LatencySummary& l) {
  return {{"requests", l.requests}, {"complete", l.complete},
          {"p50_ns", l.p50_ns},     {"p99_ns", l.p99_ns},
          {"max_ns", l.max_ns},     {"longest_iteration_ns", l.longest_iteration_ns}};
}

nlohmann::ordered_json RunJson(const analyzers::WhatIfRun& r) {
  nlohmann::ordered_json j;
  j["policy"] = r.policy;
  if (r.seed) j["seed"] = r.seed;
  j["commands"] = r.result.commands.size();
  j["batches_reordered"] = r.result.stats.batches_reordered;
  j["left_recording_at_seq"] = r.result.stats.left_at_seq;
  j["left_reason"] = r.result.stats.left_reason;
  j["input_left_unread"] = r.result.stats.input_left;
  j["latency"] = LatencyJson(r.latency);
  j["final_keyspace_digest"] = r.result.digest;
  nlohmann::ordered_json changes = nlohmann::ordered_json::array();
  for (const replay::ReplyChange& c : r.changes)
    changes.push_back({{"conn", c.conn},
                       {"command_index", c.index},
                       {"command", c.command},
                       {"base_reply", c.base_reply},
                       {"whatif_reply", c.other_reply}});
  j["reply_changes"] = changes;
  return j;
}

void PrintRun(const analyzers::WhatIfRun& r, const analyzers::WhatIfRun& base, size_t show) {
  std::printf("%s: %zu repl%s change\n", r.policy.c_str(), r.changes.size(),
              r.changes.size() == 1 ? "y" : "ies");
  for (size_t i = 0; i < r.changes.size() && i < show; i++) {
    const replay::ReplyChange& c = r.changes[i];
    std::printf("  conn %llu, command %zu `%s`: %s -> %s\n",
                static_cast<unsigned long long>(c.conn), c.index + 1, c.command.c_str(),
                c.base_reply.c_str(), c.other_reply.c_str());
  }
  if (r.changes.size() > show) std::printf("  ... %zu more\n", r.changes.size() - show);
  std::printf("  final keyspace: %s\n", r.result.digest == base.result.digest
                                             ? "the same as the base run"
                                             : "DIFFERS from the base run (another write won)");
  const analyzers::LatencySummary& a = base.latency;
  const analyzers::LatencySummary& b = r.latency;
  std::printf(
      "  latency (dispatch -> reply written): p50 %s -> %s, p99 %s -> %s, max %s -> %s; "
      "replies written %llu -> %llu of %llu -> %llu; longest loop turn %s -> %s\n",
      Us(a.p50_ns).c_str(), Us(b.p50_ns).c_str(), Us(a.p99_ns).c_str(), Us(b.p99_ns).c_str(),
      Us(a.max_ns).c_str(), Us(b.max_ns).c_str(), static_cast<unsigned long long>(a.complete),
      static_cast<unsigned long long>(b.complete), static_cast<unsigned long long>(a.requests),
      static_cast<unsigned long long>(b.requests), Us(a.longest_iteration_ns).c_str(),
      Us(b.longest_iteration_ns).c_str());
}

int Run(const WhatIfArgs& a) {
  analyzers::WhatIfOptions o;
  o.model.maxevents = a.maxevents;
  o.model.hz = a.hz;
  o.model.policy.force_et = a.trigger == "et";
  o.model.policy.sndbuf = a.sndbuf;
  o.explore = a.explore;
  if (a.order == "reverse") {
    o.model.policy.order = replay::ModelPolicy::Order::kReverse;
  } else if (a.order.rfind("shuffle:", 0) == 0) {
    const std::string seed = a.order.substr(8);
    if (seed.empty() || seed.find_first_not_of("0123456789") != std::string::npos) {
      std::fprintf(stderr, "reel whatif: --order shuffle:SEED needs a decimal seed\n");
      return kExitBadInput;
    }
    o.model.policy.order = replay::ModelPolicy::Order::kShuffle;
    o.model.policy.shuffle_seed = std::stoull(seed);
  } else if (a.order != "kernel") {
    std::fprintf(stderr, "reel whatif: --order is kernel, reverse or shuffle:SEED\n");
    return kExitBadInput;
  }
  if (a.explore == 0 && !o.model.policy.changed() && o.model.hz == 0 && o.model.maxevents == 0) {
    std::fprintf(stderr,
                 "reel whatif: no change asked for (give --maxevents, --trigger et, --order, "
                 "--sndbuf, --hz or --explore)\n");
    return kExitBadInput;
  }
  replay::Bundle bundle;
  std::string error;
  if (!replay::LoadBundle(a.dir, &bundle, &error)) {
    std::fprintf(stderr, "reel whatif: %s\n", error.c_str());
    return kExitBadInput;
  }
  analyzers::WhatIfReport rep = analyzers::RunWhatIf(bundle, o);
  if (!rep.ran) {
    std::fprintf(stderr, "reel whatif: %s\n", rep.problem.c_str());
    return kExitBadInput;
  }
  if (!a.timeline_path.empty() && !rep.runs.empty() && !rep.runs.front().timeline.empty()) {
    FILE* f = std::fopen(a.timeline_path.c_str(), "w");
    if (f == nullptr) {
      std::fprintf(stderr, "reel whatif: cannot write %s\n", a.timeline_path.c_str());
      return kExitBadInput;
    }
    std::fwrite(rep.runs.front().timeline.data(), 1, rep.runs.front().timeline.size(), f);
    std::fclose(f);
  }
  if (a.json) {
    nlohmann::ordered_json j;
    j["source"] = rep.source;
    j["base"] = {{"reproduces_capture", rep.base_check.same()},
                 {"first_difference", rep.base_check.first_difference},
                 {"commands", rep.base.result.commands.size()},
                 {"final_keyspace_digest", rep.base.result.digest},
                 {"latency", LatencyJson(rep.base.latency)}};
    if (a.explore > 0) {
      j["explored_seeds"] = a.explore;
      j["seeds_changing_replies"] = rep.seeds_changing;
    }
    nlohmann::ordered_json runs = nlohmann::ordered_json::array();
    for (const analyzers::WhatIfRun& r : rep.runs)
      if (a.explore == 0 || !r.changes.empty()) runs.push_back(RunJson(r));
    j["runs"] = runs;
    j["replies_change"] = rep.any_change();
    std::printf("%s\n", j.dump().c_str());
    return rep.any_change() ? 1 : 0;
  }
  std::printf("what-if on %s\n", rep.source.c_str());
  std::printf("base: reel-server on the model, unchanged policy: %s (%zu commands)\n",
              rep.base_check.same()
                  ? "reproduces the capture"
                  : ("differs from the capture: " + rep.base_check.first_difference).c_str(),
              rep.base.result.commands.size());
  if (a.explore > 0) {
    std::printf("explored shuffle seeds 1..%llu%s: %zu change a reply",
                static_cast<unsigned long long>(a.explore),
                analyzers::DescribePolicy(o.model) == "unchanged"
                    ? ""
                    : (" with " + analyzers::DescribePolicy(o.model)).c_str(),
                rep.seeds_changing.size());
    if (!rep.seeds_changing.empty()) {
      std::printf(":");
      for (uint64_t s : rep.seeds_changing)
        std::printf(" %llu", static_cast<unsigned long long>(s));
    }
    std::printf("\n");
    size_t printed = 0;
    for (const analyzers::WhatIfRun& r : rep.runs)
      if (!r.changes.empty() && printed++ < 3) PrintRun(r, rep.base, a.show);
  } else {
    PrintRun(rep.runs.front(), rep.base, a.show);
  }
  std::printf("%s\n", rep.any_change() ? "ORDER/TIMING-DEPENDENT: replies change under this policy"
                                       : "NO REPLY CHANGES under this policy");
  return rep.any_change() ? 1 : 0;
}

}  // namespace

CLI::App* AddWhatIfCommand(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<WhatIfArgs>();
  CLI::App* cmd = app.add_subcommand(
      "whatif",
      "replay the same inputs under a changed reactor or kernel policy; which replies change");
  cmd->add_option("DIR", a->dir, "trace bundle recorded from reel-server")->required();
  cmd->add_option("--maxevents", a->maxevents, "epoll_wait maxevents")
      ->check(CLI::Range(1, 1 << 24));
  cmd->add_option("--trigger", a->trigger,
                  "lt (as recorded) or et: register every fd edge-triggered")
      ->check(CLI::IsMember({"lt", "et"}));
  cmd->add_option("--order", a->order,
                  "order of each epoll_wait batch: kernel, reverse, shuffle:SEED");
  cmd->add_option("--sndbuf", a->sndbuf, "socket send buffer, bytes")
      ->check(CLI::Range(1, 1 << 30));
  cmd->add_option("--hz", a->hz, "serverCron frequency")->check(CLI::Range(1, 500));
  cmd->add_option("--explore", a->explore,
                  "try shuffle seeds 1..N; list every seed that changes a reply")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--timeline", a->timeline_path, "write the what-if run's timeline (JSON Lines)");
  cmd->add_option("--show", a->show, "reply changes to print per run (default 10)");
  cmd->add_flag("--json", a->json, "one JSON object (docs/analyzers.md)");
  cmd->callback([a, exit_code] { *exit_code = Run(*a); });
  return cmd;
}

}  // namespace reel::cli
