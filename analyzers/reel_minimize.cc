// `reel minimize DIR --out DIR2 [--predicate CMD [--timeout S]]
//                [--order reverse|shuffle:SEED] [--maxevents N] [--trigger et]
//                [--sndbuf BYTES] [--hz N] [--explore N] [--json]`
// (docs/analyzers.md, "reel minimize"). Shrinks a bundle by delta debugging
// over connections and requests while the predicate holds, writes the
// result as a bundle that replays on its own, and checks that it does.
// Exit 0: minimized and verified; 1: the predicate does not hold on the
// original (or the output failed its check); 2: bad input, or nothing to
// minimize.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "analyzers/analyzer_commands.h"
#include "analyzers/bundle_writer.h"
#include "analyzers/minimize.h"
#include "analyzers/minimize_predicate.h"
#include "analyzers/whatif.h"
#include "capture/reel_commands.h"
#include "replay/replay_driver.h"

namespace reel::cli {

namespace {

struct MinimizeArgs {
  std::string dir, out;
  std::string predicate;
  double timeout_s = 60;
  bool show_predicate_output = false;
  int maxevents = 0;
  std::string trigger = "lt";
  std::string order = "kernel";
  uint64_t sndbuf = 0;
  int hz = 0;
  uint64_t explore = 16;
  bool json = false;
  size_t show = 20;
};

int BadInput(const std::string& why) {
  std::fprintf(stderr, "reel minimize: %s\n", why.c_str());
  return kExitBadInput;
}

// What is being kept true, for the report and the final check.
struct Goal {
  bool command = false;  // --predicate
  analyzers::OriginalDifference difference;
};

std::string ReplyGoalText(const analyzers::OriginalDifference& d) {
  return "under " + d.policy_text + " the reply to `" + d.target.command + "` changes (" +
         d.target.base_reply + " -> " + d.target.other_reply + ")";
}

// The predicate on the written, re-loaded output: what a user would run.
bool CheckOutput(const MinimizeArgs& a, const Goal& goal, const replay::Bundle& out,
                 std::string* how) {
  if (goal.command) {
    analyzers::CommandOutcome o = analyzers::RunPredicateCommand(
        a.predicate, a.out, static_cast<int64_t>(a.timeout_s * 1000), a.show_predicate_output);
    *how = o.timed_out ? "the predicate timed out"
                       : "the predicate exited " + std::to_string(o.exit_status);
    return o.holds;
  }
  analyzers::WhatIfOptions o;
  o.model = goal.difference.policy;
  analyzers::WhatIfReport rep = analyzers::RunWhatIf(out, o);
  if (!rep.ran || rep.runs.empty()) {
    *how = "the what-if did not run: " + rep.problem;
    return false;
  }
  const analyzers::WhatIfRun& run = rep.runs.front();
  bool holds =
      analyzers::ChangesTarget(rep.base.result, run.result, run.changes, goal.difference.target);
  *how = "reel whatif with " + goal.difference.policy_text + ": " +
         std::to_string(run.changes.size()) + " reply change" +
         (run.changes.size() == 1 ? "" : "s") + (holds ? ", `" : ", none to `") +
         goal.difference.target.command + "`" + (holds ? " among them" : "");
  return holds;
}

int Run(const MinimizeArgs& a) {
  replay::ModelReplayOptions policy;
  policy.maxevents = a.maxevents;
  policy.hz = a.hz;
  policy.policy.force_et = a.trigger == "et";
  policy.policy.sndbuf = a.sndbuf;
  if (a.order == "reverse") {
    policy.policy.order = replay::ModelPolicy::Order::kReverse;
  } else if (a.order.rfind("shuffle:", 0) == 0) {
    const std::string seed = a.order.substr(8);
    if (seed.empty() || seed.find_first_not_of("0123456789") != std::string::npos)
      return BadInput("--order shuffle:SEED needs a decimal seed");
    policy.policy.order = replay::ModelPolicy::Order::kShuffle;
    policy.policy.shuffle_seed = std::stoull(seed);
  } else if (a.order != "kernel") {
    return BadInput("--order is kernel, reverse or shuffle:SEED");
  }
  const bool policy_given = policy.policy.changed() || policy.hz > 0 || policy.maxevents > 0;
  if (!a.predicate.empty() && policy_given)
    return BadInput("--predicate and what-if policy flags exclude each other");

  std::error_code ec;
  if (std::filesystem::equivalent(a.dir, a.out, ec))
    return BadInput("--out must not be the bundle being minimized");
  replay::Bundle bundle;
  std::string error;
  if (!replay::LoadBundle(a.dir, &bundle, &error)) return BadInput(error);
  if (!replay::IsReelServerBundle(bundle))
    return BadInput("minimizing runs reel-server's own code; this bundle was recorded from '" +
                    (bundle.command_line.empty() ? std::string("?") : bundle.command_line[0]) +
                    "'");
  if (!bundle.has_pcap)
    return BadInput("minimizing needs the clients' packets: " + bundle.pcap_problem);
  replay::ClientScript script = replay::ScriptFromBundle(bundle);
  if (!script.problem.empty()) return BadInput("the capture is incomplete: " + script.problem);
  replay::CostModel cost = replay::CalibrateCostModel(bundle);

  // 1. The problem, on the original.
  Goal goal;
  goal.command = !a.predicate.empty();
  const int64_t timeout_ms = static_cast<int64_t>(a.timeout_s * 1000);
  if (goal.command) {
    analyzers::CommandOutcome o =
        analyzers::RunPredicateCommand(a.predicate, a.dir, timeout_ms, a.show_predicate_output);
    if (!o.problem.empty()) return BadInput(o.problem);
    if (!o.holds) {
      std::fprintf(
          stderr, "reel minimize: the predicate does not hold on the original: %s\n",
          o.timed_out ? "it timed out" : ("it exited " + std::to_string(o.exit_status)).c_str());
      return 1;
    }
  } else {
    goal.difference = analyzers::FindReplyDifference(bundle, policy, policy_given, a.explore);
    const analyzers::OriginalDifference& d = goal.difference;
    if (!d.ran) return BadInput(d.problem);
    if (!d.found && !policy_given)
      return BadInput("nothing to minimize: no shuffle seed in 1.." + std::to_string(a.explore) +
                      " changes a reply on the original (give a policy or --predicate)");
    if (!d.found) {
      std::fprintf(stderr,
                   "reel minimize: the predicate does not hold on the original: %s changes no "
                   "reply\n",
                   d.policy_text.c_str());
      return 1;
    }
  }

  // 2. The same predicate on candidate scripts (each a model run or a
  // written bundle). The whole script first: its model re-run must show it.
  analyzers::ReplyChangePredicate reply_predicate(bundle, cost, goal.difference.policy,
                                                  goal.difference.target);
  analyzers::CommandPredicate command_predicate(bundle, cost, a.predicate, timeout_ms,
                                                a.show_predicate_output);
  analyzers::ScriptPredicate holds = [&](const replay::ClientScript& candidate) {
    return goal.command ? command_predicate(candidate) : reply_predicate(candidate);
  };
  if (!holds(script)) {
    std::fprintf(
        stderr,
        "reel minimize: the predicate holds on the original but not on its re-run on "
        "the model with cost-model timing (%s): the difference depends on the "
        "recording's exact timing%s\n",
        goal.command ? "the predicate, on a synthesized bundle" : "reply-change check",
        command_predicate.problem().empty() ? "" : ("; " + command_predicate.problem()).c_str());
    return 1;
  }
  analyzers::MinimizeResult m = analyzers::MinimizeScript(script, holds);
  m.evaluations++;  // the whole script's check above

  // 3. The output bundle, then the checks a user would make on it.
  nlohmann::json extra;
  extra["minimized_from"] = a.dir;
  extra["minimize"] = {
      {"predicate", goal.command ? "command: " + a.predicate : ReplyGoalText(goal.difference)},
      {"connections", {{"original", m.connections_before}, {"kept", m.connections_after}}},
      {"requests", {{"original", m.requests_before}, {"kept", m.requests_after}}},
      {"bytes", {{"original", m.bytes_before}, {"kept", m.bytes_after}}}};
  analyzers::SynthesizedBundle written;
  if (!analyzers::WriteModelBundle(bundle, m.script, cost, extra, a.out, &written, &error)) {
    std::fprintf(stderr, "reel minimize: %s\n", error.c_str());
    return 1;
  }
  replay::Bundle out;
  if (!replay::LoadBundle(a.out, &out, &error)) {
    std::fprintf(stderr, "reel minimize: the output does not load: %s\n", error.c_str());
    return 1;
  }
  replay::ReplayVerdict verdict = replay::ReplayRecorded(out, {}, nullptr);
  std::string check_how;
  bool still_holds = CheckOutput(a, goal, out, &check_how);
  bool ok = verdict.reproduced() && verdict.report.model_inconsistencies == 0 && still_holds;

  // 4. The report.
  std::vector<const analyzers::ScriptRequest*> kept;
  for (size_t i = 0; i < m.requests.size(); i++)
    if (m.kept.requests[i] && m.kept.connections[m.requests[i].conn])
      kept.push_back(&m.requests[i]);
  auto peer = [&](const analyzers::ScriptRequest& r) {
    return script.connections[r.conn].client.ToString();
  };
  if (a.json) {
    nlohmann::ordered_json j;
    j["source"] = a.dir;
    j["out"] = a.out;
    nlohmann::ordered_json p;
    if (goal.command) {
      p["kind"] = "command";
      p["command"] = a.predicate;
      p["timeout_s"] = a.timeout_s;
      p["timeouts"] = command_predicate.timeouts();
    } else {
      const analyzers::OriginalDifference& d = goal.difference;
      p["kind"] = "reply_change";
      p["policy"] = d.policy_text;
      if (!policy_given) {
        p["explored_seeds"] = a.explore;
        p["seeds_changing_replies"] = d.seeds_changing;
      }
      p["command"] = d.target.command;
      p["name"] = d.target.name;
      p["key"] = d.target.key;
      p["base_reply"] = d.target.base_reply;
      p["whatif_reply"] = d.target.other_reply;
    }
    j["predicate"] = p;
    j["connections"] = {{"original", m.connections_before}, {"kept", m.connections_after}};
    j["requests"] = {{"original", m.requests_before}, {"kept", m.requests_after}};
    j["bytes"] = {{"original", m.bytes_before}, {"kept", m.bytes_after}};
    j["evaluations"] = m.evaluations;
    nlohmann::ordered_json reqs = nlohmann::ordered_json::array();
    for (const analyzers::ScriptRequest* r : kept)
      reqs.push_back({{"conn", r->conn + 1}, {"peer", peer(*r)}, {"command", r->command}});
    j["kept_requests"] = reqs;
    j["output"] = {{"events", written.records},
                   {"packets", written.packets},
                   {"replay_reproduced", verdict.reproduced()},
                   {"replay", verdict.Describe()},
                   {"model_inconsistencies", verdict.report.model_inconsistencies},
                   {"predicate_holds", still_holds},
                   {"predicate_check", check_how}};
    j["ok"] = ok;
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("minimize %s -> %s\n", a.dir.c_str(), a.out.c_str());
    if (goal.command)
      std::printf("predicate: `%s` exits 0 (timeout %gs)\n", a.predicate.c_str(), a.timeout_s);
    else
      std::printf("predicate: %s\n", ReplyGoalText(goal.difference).c_str());
    std::printf(
        "connections %llu -> %llu, requests %llu -> %llu, bytes %llu -> %llu; %llu "
        "predicate evaluations\n",
        static_cast<unsigned long long>(m.connections_before),
        static_cast<unsigned long long>(m.connections_after),
        static_cast<unsigned long long>(m.requests_before),
        static_cast<unsigned long long>(m.requests_after),
        static_cast<unsigned long long>(m.bytes_before),
        static_cast<unsigned long long>(m.bytes_after),
        static_cast<unsigned long long>(m.evaluations));
    if (kept.size() <= a.show) {
      std::printf("kept requests:\n");
      for (const analyzers::ScriptRequest* r : kept)
        std::printf("  conn %zu (%s): %s\n", r->conn + 1, peer(*r).c_str(),
                    r->command.empty() ? "(unparsed bytes)" : r->command.c_str());
    }
    std::printf("output: %llu events, %llu packets\n",
                static_cast<unsigned long long>(written.records),
                static_cast<unsigned long long>(written.packets));
    std::printf("replay: %s\n", verdict.Describe().c_str());
    std::printf("predicate on the output: %s\n", check_how.c_str());
    std::printf("%s\n", ok ? "MINIMIZED" : "NOT VERIFIED: the output does not stand on its own");
  }
  return ok ? 0 : 1;
}

}  // namespace

CLI::App* AddMinimizeCommand(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<MinimizeArgs>();
  CLI::App* cmd =
      app.add_subcommand("minimize",
                         "shrink a bundle (delta debugging over connections and requests) while a "
                         "predicate holds; write the result as a bundle");
  cmd->add_option("DIR", a->dir, "trace bundle recorded from reel-server")->required();
  cmd->add_option("--out", a->out, "directory for the minimized bundle")->required();
  cmd->add_option("--predicate", a->predicate,
                  "shell command judging a candidate bundle (its directory appended, and in "
                  "$REEL_BUNDLE); exit 0 = the problem is still there");
  cmd->add_option("--timeout", a->timeout_s, "seconds per predicate run (default 60)")
      ->check(CLI::Range(0.01, 86400.0));
  cmd->add_flag("--show-predicate-output", a->show_predicate_output,
                "let the predicate's output through (on stderr)");
  cmd->add_option("--maxevents", a->maxevents, "what-if policy: epoll_wait maxevents")
      ->check(CLI::Range(1, 1 << 24));
  cmd->add_option("--trigger", a->trigger, "what-if policy: lt or et")
      ->check(CLI::IsMember({"lt", "et"}));
  cmd->add_option("--order", a->order, "what-if policy: kernel, reverse, shuffle:SEED");
  cmd->add_option("--sndbuf", a->sndbuf, "what-if policy: socket send buffer, bytes")
      ->check(CLI::Range(1, 1 << 30));
  cmd->add_option("--hz", a->hz, "what-if policy: serverCron frequency")->check(CLI::Range(1, 500));
  cmd->add_option("--explore", a->explore,
                  "without a policy: shuffle seeds 1..N to find the difference (default 16)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--show", a->show, "print the kept requests when at most this many (default 20)");
  cmd->add_flag("--json", a->json, "one JSON object (docs/analyzers.md)");
  cmd->callback([a, exit_code] { *exit_code = Run(*a); });
  return cmd;
}

}  // namespace reel::cli
