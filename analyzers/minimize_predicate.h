// The predicates `reel minimize` keeps true while it shrinks a bundle
// (docs/analyzers.md, "reel minimize"):
//   - the reply difference: under a what-if policy, reel-server's own code on
//     the kernel model still answers a given command (name + key)
//     differently than under the unchanged policy;
//   - a user command: the candidate is written out as a bundle and
//     `sh -c CMD` decides (exit 0 = the problem is still there).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "replay/bundle.h"
#include "replay/client_script.h"
#include "replay/cost_model.h"
#include "replay/model_replay.h"

namespace reel::analyzers {

// The command whose reply must keep changing.
struct ReplyTarget {
  std::string name;     // argv[0], lowercased
  std::string key;      // argv[1] as sent ("" if none)
  std::string command;  // printable command line, for reports
  std::string base_reply, other_reply;
};

// The difference a what-if shows on the original bundle, found as `reel
// whatif` finds it: with an explicit policy, that policy's run; without one
// (policy_given false), shuffle seeds 1..explore, the first seed that
// changes a reply fixing the policy. found is false when no reply changes.
struct OriginalDifference {
  bool ran = false;
  std::string problem;  // why the what-if could not run (bad input)
  bool found = false;
  replay::ModelReplayOptions policy;  // the policy minimization keeps
  std::string policy_text;            // DescribePolicy(policy)
  std::vector<uint64_t> seeds_changing;
  size_t changes = 0;  // reply changes on the original under policy
  ReplyTarget target;  // the first of them
};
OriginalDifference FindReplyDifference(const replay::Bundle& bundle,
                                       const replay::ModelReplayOptions& policy, bool policy_given,
                                       uint64_t explore);

// True when changes (from CompareReplies(base, other)) include target's command.
bool ChangesTarget(const replay::ModelReplayResult& base, const replay::ModelReplayResult& other,
                   const std::vector<replay::ReplyChange>& changes, const ReplyTarget& target);

// The reply-difference predicate on edited scripts: both runs time the
// server with the cost model from the start (follow_recording false — an
// edited script no longer lines up with the recording).
class ReplyChangePredicate {
 public:
  ReplyChangePredicate(const replay::Bundle& bundle, const replay::CostModel& cost,
                       const replay::ModelReplayOptions& policy, ReplyTarget target)
      : bundle_(bundle), cost_(cost), policy_(policy), target_(std::move(target)) {}
  bool operator()(const replay::ClientScript& candidate) const;

 private:
  const replay::Bundle& bundle_;
  const replay::CostModel& cost_;
  replay::ModelReplayOptions policy_;
  ReplyTarget target_;
};

// Runs `sh -c CMD` on a bundle directory: the directory is in $REEL_BUNDLE,
// and appended to CMD as its last argument unless CMD names $REEL_BUNDLE
// itself. The command's output goes to /dev/null unless show_output.
struct CommandOutcome {
  bool holds = false;  // exit status 0
  bool timed_out = false;
  int exit_status = -1;  // -1: killed by a signal or not started
  std::string problem;   // could not start
};
CommandOutcome RunPredicateCommand(const std::string& cmd, const std::string& bundle_dir,
                                   int64_t timeout_ms, bool show_output);

// The user-command predicate on edited scripts: each candidate is written
// (bundle_writer.h) to a fresh temporary directory, judged, and removed.
class CommandPredicate {
 public:
  CommandPredicate(const replay::Bundle& bundle, const replay::CostModel& cost, std::string cmd,
                   int64_t timeout_ms, bool show_output)
      : bundle_(bundle),
        cost_(cost),
        cmd_(std::move(cmd)),
        timeout_ms_(timeout_ms),
        show_output_(show_output) {}
  bool operator()(const replay::ClientScript& candidate);
  uint64_t timeouts() const { return timeouts_; }
  // The first candidate that could not be written or run, if any.
  const std::string& problem() const { return problem_; }

 private:
  const replay::Bundle& bundle_;
  const replay::CostModel& cost_;
  std::string cmd_;
  int64_t timeout_ms_;
  bool show_output_;
  uint64_t timeouts_ = 0;
  std::string problem_;
};

}  // namespace reel::analyzers
