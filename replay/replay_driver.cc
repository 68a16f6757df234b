#include "replay/replay_driver.h"

#include "replay/progress_kernel.h"
#include "server/server.h"
#include "server/server_cli.h"

namespace reel::replay {

namespace {

// Writes the server's commands, replies and timers into the timeline, at the
// virtual time of the kernel call that preceded them.
class TimelineObserver final : public ServerObserver {
 public:
  TimelineObserver(RecordedKernel& kernel, TimelineWriter* timeline, uint64_t* commands,
                   std::vector<ReplayedCommand>* collected)
      : kernel_(kernel), timeline_(timeline), commands_(commands), collected_(collected) {}
  void OnCommand(const Client& client, const Argv& argv) override {
    (*commands_)++;
    if (timeline_) timeline_->Command(kernel_.now_ns(), kernel_.ConnOf(client.fd()), argv);
    if (collected_) {
      ReplayedCommand c;
      c.conn = kernel_.ConnOf(client.fd());
      c.t_ns = kernel_.now_ns();
      c.argv.assign(argv.begin(), argv.end());
      collected_->push_back(std::move(c));
    }
  }
  void OnReply(const Client& client, std::string_view reply) override {
    if (timeline_) timeline_->Reply(kernel_.now_ns(), kernel_.ConnOf(client.fd()), reply);
    if (collected_ && !collected_->empty()) collected_->back().reply.assign(reply);
  }
  void OnCron() override {
    if (timeline_) timeline_->Timer(kernel_.now_ns(), "serverCron");
  }

 private:
  RecordedKernel& kernel_;
  TimelineWriter* timeline_;
  uint64_t* commands_;
  std::vector<ReplayedCommand>* collected_;
};

bool IsReelServer(const std::vector<std::string>& cmd) {
  if (cmd.empty()) return false;
  const std::string& a0 = cmd[0];
  size_t slash = a0.rfind('/');
  return a0.substr(slash == std::string::npos ? 0 : slash + 1) == "reel-server";
}

}  // namespace

bool IsReelServerBundle(const Bundle& bundle) {
  return IsReelServer(bundle.command_line);
}

ReplayVerdict ReplayRecorded(const Bundle& bundle, const ReplayOptions& options,
                             TimelineWriter* timeline) {
  ReplayVerdict v;
  if (!IsReelServer(bundle.command_line)) {
    v.runnable = false;
    v.problem = "the bundle was recorded from '" +
                (bundle.command_line.empty() ? std::string("?") : bundle.command_line[0]) +
                "', not reel-server: its own code cannot run here (use the model schedule)";
    return v;
  }
  ServerConfig config;
  ServerProcessOptions process;
  std::string error;
  if (!ServerConfigFromArgs(bundle.command_line, &config, &process, &error)) {
    v.runnable = false;
    v.problem = error;
    return v;
  }
  if (timeline)
    timeline->Header(bundle.dir.substr(bundle.dir.find_last_of('/') + 1), "recorded",
                     bundle.start_mono_ns);
  RecordedKernel kernel(bundle, timeline, options.tolerance_ns);
  std::string digest;
  // A redacted bundle needs every reply to explain differences.
  std::vector<ReplayedCommand> for_redaction;
  std::vector<ReplayedCommand>* collected = options.commands;
  if (collected == nullptr && BundleIsRedacted(bundle)) collected = &for_redaction;
  ProgressKernel ticking(kernel, options.progress, bundle.log.records.size());
  {
    Server server(options.progress ? static_cast<Kernel&>(ticking) : kernel, config);
    TimelineObserver observer(kernel, timeline, &v.commands, collected);
    server.set_observer(&observer);
    if (server.Start(&error) != 0 && !kernel.report().diverged) {
      v.runnable = false;
      v.problem = "the recorded server failed to start: " + error;
      return v;
    }
    server.Run();
    digest = server.db().Digest();
  }  // the server's destructor makes its last recorded calls
  v.report = kernel.report();
  const RecordedReport& r = v.report;
  v.cut = r.log_ended || r.capture_ended || bundle.meta.value("status", "") != "complete";
  // A capture that ended first leaves records past the cut that cannot run.
  v.order_reproduced = !r.diverged && (r.records_used == r.records_total || r.capture_ended);
  v.bytes_reproduced = r.byte_mismatches == 0;
  v.digest_recorded = bundle.final_digest;
  v.digest_replayed = digest;
  v.digest_checked = !bundle.final_digest.empty() && !v.cut;
  v.digest_reproduced = v.digest_checked && digest == bundle.final_digest;
  if (collected != nullptr && BundleIsRedacted(bundle))
    ApplyRedactionVerdict(bundle, *collected, &v);
  if (timeline) timeline->End(kernel.now_ns(), v.reproduced() ? "reproduced" : "diverged");
  return v;
}

std::string ReplayVerdict::Describe() const {
  if (!runnable) return "cannot replay: " + problem;
  if (not_comparable()) return DescribeNotComparable(*this);
  std::string s;
  s += reproduced() ? "REPRODUCED" : "DIVERGED";
  s += ": " + std::to_string(report.records_used) + "/" + std::to_string(report.records_total) +
       " recorded calls matched in order; ";
  s += std::to_string(report.bytes_compared) + " written bytes compared with the capture, " +
       std::to_string(report.byte_mismatches) + " writes differ";
  if (report.bytes_unverifiable)
    s += " (" + std::to_string(report.bytes_unverifiable) + " not in the capture)";
  s += "; ";
  if (digest_checked) {
    s += digest_reproduced ? "final keyspace digest matches" : "final keyspace digest differs";
  } else {
    s += redaction.digest_not_comparable
             ? "final keyspace digest not comparable under redaction (recorded over the "
               "original bytes)"
             : "no final digest to compare (recording was cut)";
  }
  s += "; " + std::to_string(commands) + " commands.";
  if (!reproduced()) s += RedactionNote(*this);
  if (report.diverged) s += "\n  first divergence: " + report.divergence;
  if (!report.first_byte_mismatch.empty())
    s += "\n  first byte difference: " + report.first_byte_mismatch;
  if (digest_checked && !digest_reproduced)
    s += "\n  digest recorded " + digest_recorded + ", replayed " + digest_replayed;
  if (report.model_inconsistencies)
    s += "\n  model check: " + std::to_string(report.model_inconsistencies) + " of " +
         std::to_string(report.model_checks) +
         " recorded results disagree with the capture; first: " + report.first_inconsistency;
  if (report.capture_ended)
    s += "\n  the capture ends before the event log (reel capture stopped first); replay stopped "
         "at the cut: " +
         report.cut_at + "; the " + std::to_string(report.records_total - report.records_used) +
         " records after it were not replayed.";
  else if (cut)
    s += "\n  the recording ends before the server stopped; replay stopped at the cut" +
         (report.cut_at.empty() ? std::string(".") : ": " + report.cut_at + ".");
  return s;
}

}  // namespace reel::replay
