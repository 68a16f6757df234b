#include "analyzers/minimize_predicate.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "analyzers/bundle_writer.h"
#include "analyzers/whatif.h"

namespace reel::analyzers {

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The index-th command the server ran on a script connection (by flow).
const ReplayedCommand* CommandAt(const replay::ModelReplayResult& r, uint32_t flow, size_t index) {
  auto it = r.outputs.find(flow);
  if (it == r.outputs.end()) return nullptr;
  size_t i = 0;
  for (const ReplayedCommand& c : r.commands)
    if (c.conn == it->second.conn && i++ == index) return &c;
  return nullptr;
}

const ReplayedCommand* CommandOf(const replay::ModelReplayResult& base,
                                 const replay::ModelReplayResult& other,
                                 const replay::ReplyChange& ch) {
  const ReplayedCommand* c = CommandAt(base, ch.flow, ch.index);
  return c ? c : CommandAt(other, ch.flow, ch.index);
}

}  // namespace

OriginalDifference FindReplyDifference(const replay::Bundle& bundle,
                                       const replay::ModelReplayOptions& policy, bool policy_given,
                                       uint64_t explore) {
  OriginalDifference d;
  WhatIfOptions o;
  o.model = policy;
  o.explore = policy_given ? 0 : explore;
  WhatIfReport rep = RunWhatIf(bundle, o);
  if (!rep.ran) {
    d.problem = rep.problem;
    return d;
  }
  d.ran = true;
  d.seeds_changing = rep.seeds_changing;
  d.policy = policy;
  const WhatIfRun* run = nullptr;
  for (const WhatIfRun& r : rep.runs) {
    if (r.changes.empty()) continue;
    run = &r;
    break;
  }
  if (!policy_given) {
    // The first changing seed's policy stays fixed while the script shrinks.
    d.policy.policy.order = replay::ModelPolicy::Order::kShuffle;
    d.policy.policy.shuffle_seed = run ? run->seed : 0;
  }
  d.policy_text = DescribePolicy(d.policy);
  if (run == nullptr) return d;
  d.found = true;
  d.changes = run->changes.size();
  const replay::ReplyChange& ch = run->changes.front();
  const ReplayedCommand* c = CommandOf(rep.base.result, run->result, ch);
  if (c && !c->argv.empty()) d.target.name = Lower(c->argv[0]);
  if (c && c->argv.size() > 1) d.target.key = c->argv[1];
  d.target.command = ch.command;
  d.target.base_reply = ch.base_reply;
  d.target.other_reply = ch.other_reply;
  return d;
}

bool ChangesTarget(const replay::ModelReplayResult& base, const replay::ModelReplayResult& other,
                   const std::vector<replay::ReplyChange>& changes, const ReplyTarget& target) {
  for (const replay::ReplyChange& ch : changes) {
    const ReplayedCommand* c = CommandOf(base, other, ch);
    if (c == nullptr || c->argv.empty()) continue;
    std::string key = c->argv.size() > 1 ? c->argv[1] : std::string();
    if (Lower(c->argv[0]) == target.name && key == target.key) return true;
  }
  return false;
}

bool ReplyChangePredicate::operator()(const replay::ClientScript& candidate) const {
  replay::ModelReplayOptions unchanged;
  unchanged.follow_recording = false;
  replay::ModelReplayResult base =
      replay::ReplayOnModel(bundle_, candidate, cost_, unchanged, nullptr);
  if (!base.ran || base.stats.runaway) return false;
  replay::ModelReplayOptions changed = policy_;
  changed.follow_recording = false;
  replay::ModelReplayResult other =
      replay::ReplayOnModel(bundle_, candidate, cost_, changed, nullptr);
  if (!other.ran || other.stats.runaway) return false;
  return ChangesTarget(base, other, replay::CompareReplies(base, other), target_);
}

CommandOutcome RunPredicateCommand(const std::string& cmd, const std::string& bundle_dir,
                                   int64_t timeout_ms, bool show_output) {
  CommandOutcome out;
  std::string line = cmd;
  if (cmd.find("REEL_BUNDLE") == std::string::npos) line += " \"$REEL_BUNDLE\"";
  pid_t pid = ::fork();
  if (pid < 0) {
    out.problem = "cannot start the predicate: fork failed";
    return out;
  }
  if (pid == 0) {
    // Its own process group, so a timeout ends the command and its children.
    ::setpgid(0, 0);
    ::setenv("REEL_BUNDLE", bundle_dir.c_str(), 1);
    int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
      ::dup2(null_fd, 0);
      // Its output never mixes into ours (--json): shown on stderr, or dropped.
      ::dup2(show_output ? 2 : null_fd, 1);
      if (!show_output) ::dup2(null_fd, 2);
    }
    ::execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from here: no race with the child's own call
  // The timeout is the only wall-clock reading in `reel minimize`; it bounds
  // the run and never reaches the output bundle.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0) {
      out.problem = "lost the predicate process";
      return out;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      out.timed_out = true;
      return out;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFEXITED(status)) out.exit_status = WEXITSTATUS(status);
  out.holds = out.exit_status == 0;
  return out;
}

bool CommandPredicate::operator()(const replay::ClientScript& candidate) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/reel-minimize-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    if (problem_.empty()) problem_ = "cannot create a temporary directory under " + pattern;
    return false;
  }
  const std::string dir = pattern;
  SynthesizedBundle written;
  std::string error;
  bool holds = false;
  if (WriteModelBundle(bundle_, candidate, cost_, nlohmann::json{{"minimized_from", bundle_.dir}},
                       dir, &written, &error)) {
    CommandOutcome o = RunPredicateCommand(cmd_, dir, timeout_ms_, show_output_);
    if (o.timed_out) timeouts_++;
    if (!o.problem.empty() && problem_.empty()) problem_ = o.problem;
    holds = o.holds;
  } else if (problem_.empty()) {
    problem_ = error;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return holds;
}

}  // namespace reel::analyzers
