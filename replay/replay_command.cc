#include "replay/replay_command.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "replay/bundle.h"
#include "replay/differential.h"
#include "replay/model_replay.h"
#include "replay/model_schedule.h"
#include "replay/progress_meter.h"
#include "replay/redaction_verdict.h"
#include "replay/replay_driver.h"

namespace reel::cli {

CLI::App* AddReplayCommand(CLI::App& app, ReplayCommandOptions* o) {
  CLI::App* cmd = app.add_subcommand(
      "replay", "replay a trace bundle deterministically and say whether it reproduces");
  cmd->add_option("DIR", o->dir, "trace bundle directory")->required();
  cmd->add_option("--schedule", o->schedule,
                  "recorded: the server's own code on the recorded kernel results; "
                  "model: the kernel model decides, compared with the recording")
      ->check(CLI::IsMember({"recorded", "model"}));
  cmd->add_option("--timeline", o->timeline_path,
                  "write the timeline (JSON Lines) to FILE; with --schedule model, that of "
                  "reel-server's own code on the model");
  cmd->add_flag("--json", o->json, "print the verdict as one JSON object");
  cmd->add_flag("--quiet", o->quiet, "print nothing; the exit code tells");
  cmd->add_flag("--redact-args", o->redact_args, "timeline: replace arguments by their length");
  cmd->add_option("--max-arg-bytes", o->max_arg_bytes, "timeline: truncate arguments (default 64)");
  cmd->add_option("--scan-at", o->scan_at,
                  "model: collect epoll_wait's ready list at the call's recorded return, or at "
                  "its entry plus the wakeup latency")
      ->check(CLI::IsMember({"return", "entry"}));
  cmd->add_option("--delivery-delay-us", o->delivery_delay_us,
                  "model: capture stamp to socket-visible delay (default 4)");
  cmd->add_option("--wakeup-latency-us", o->wakeup_latency_us,
                  "model, --scan-at entry: wakeup to ready-list collection (default 10)");
  cmd->add_flag("--verbose", o->verbose, "model: print every mismatch on stderr");
  return cmd;
}

namespace {

// The progress bar's clock, read only here in the command layer: replay
// itself only counts records, so nothing timed reaches a timeline.
int64_t MonotonicNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The progress bar on stderr (replay/progress_meter.h), for a person at a
// terminal only: null with --quiet, --json, --verbose (which prints on
// stderr itself) or when stderr is not a terminal.
std::unique_ptr<replay::ProgressMeter> MakeProgressMeter(const ReplayCommandOptions& o,
                                                         int passes) {
  if (o.quiet || o.json || o.verbose || !isatty(STDERR_FILENO)) return nullptr;
  replay::ProgressMeterOptions mo;
  mo.passes = passes;
  mo.started_ns = o.started_ns;
  return std::make_unique<replay::ProgressMeter>(
      MonotonicNowNs,
      [](std::string_view text) {
        std::fwrite(text.data(), 1, text.size(), stderr);
        std::fflush(stderr);
      },
      mo);
}

// --timeline FILE, opened before the replay runs so an unwritable path is
// bad input (exit 2) rather than a lost run.
FILE* OpenTimeline(const ReplayCommandOptions& o, bool* failed) {
  *failed = false;
  if (o.timeline_path.empty()) return nullptr;
  FILE* tl = std::fopen(o.timeline_path.c_str(), "w");
  if (tl == nullptr) {
    std::fprintf(stderr, "reel replay: cannot write %s\n", o.timeline_path.c_str());
    *failed = true;
    return nullptr;
  }
  // A big buffer: a 1M-request replay writes ~2M lines (~230 MB); the
  // default 4 KiB one costs a write() every ~40 lines.
  std::setvbuf(tl, nullptr, _IOFBF, 1 << 20);
  return tl;
}

// Closes --timeline FILE; false (with one line on stderr) when any write
// failed (a full disk, a file-size limit): a truncated timeline must not pass
// for a whole one.
bool CloseTimeline(FILE* tl, const std::string& path) {
  bool failed = std::ferror(tl) != 0;
  int error = errno;
  if (std::fclose(tl) != 0) {
    failed = true;
    error = errno;
  }
  if (failed)
    std::fprintf(stderr, "reel replay: writing %s failed: %s\n", path.c_str(),
                 std::strerror(error));
  return !failed;
}

replay::TimelineOptions TimelineOptionsOf(const ReplayCommandOptions& o) {
  replay::TimelineOptions t;
  t.redact_args = o.redact_args;
  t.max_arg_bytes = o.max_arg_bytes;
  return t;
}

int RunRecordedSchedule(const ReplayCommandOptions& o, const replay::Bundle& bundle) {
  replay::ReplayOptions ro;
  ro.timeline = TimelineOptionsOf(o);
  bool failed = false;
  FILE* tl = OpenTimeline(o, &failed);
  if (failed) return 2;
  replay::TimelineWriter writer(tl, ro.timeline);
  std::unique_ptr<replay::ProgressMeter> meter = MakeProgressMeter(o, 1);
  ro.progress = meter.get();
  replay::ReplayVerdict v = replay::ReplayRecorded(bundle, ro, tl ? &writer : nullptr);
  if (meter) meter->Finish();  // before anything is printed
  if (tl && !CloseTimeline(tl, o.timeline_path)) return 2;
  if (!v.runnable) {
    std::fprintf(stderr, "reel replay: %s\n", v.problem.c_str());
    return 2;
  }
  if (o.json) {
    nlohmann::ordered_json j;
    j["verdict"] = v.reproduced()       ? "reproduced"
                   : v.not_comparable() ? "not-comparable-under-redaction"
                                        : "diverged";
    j["schedule"] = "recorded";
    j["order_reproduced"] = v.order_reproduced;
    j["bytes_reproduced"] = v.bytes_reproduced;
    j["digest_checked"] = v.digest_checked;
    j["digest_reproduced"] = v.digest_reproduced;
    j["cut"] = v.cut;
    j["records_total"] = v.report.records_total;
    j["records_matched"] = v.report.records_used;
    j["commands"] = v.commands;
    j["bytes_compared"] = v.report.bytes_compared;
    j["byte_mismatches"] = v.report.byte_mismatches;
    j["first_divergence"] = v.report.divergence;
    j["first_byte_mismatch"] = v.report.first_byte_mismatch;
    j["model_checks"] = v.report.model_checks;
    j["model_inconsistencies"] = v.report.model_inconsistencies;
    j["first_inconsistency"] = v.report.first_inconsistency;
    if (v.redaction.redacted) {
      j["redaction"] = {{"mode", v.redaction.mode},
                        {"replies_compared", v.redaction.replies_compared},
                        {"replies_not_comparable", v.redaction.replies_not_comparable},
                        {"not_comparable_by_command", v.redaction.not_comparable_by_command},
                        {"first_not_comparable", v.redaction.first_not_comparable},
                        {"replies_diverging", v.redaction.replies_diverging},
                        {"first_diverging", v.redaction.first_diverging},
                        {"digest_not_comparable", v.redaction.digest_not_comparable}};
    }
    std::printf("%s\n", j.dump().c_str());
  } else if (!o.quiet) {
    std::printf("%s\n", v.Describe().c_str());
  }
  // 3: reproduced as far as comparable; some replies depend on redacted bytes.
  return v.reproduced() ? 0 : v.not_comparable() ? 3 : 1;
}

// A bundle of another server: its recorded schedule is checked against the
// kernel model, and its client streams are fed through reel-server's code
// (differential replay).
int RunForeignBundle(const ReplayCommandOptions& o, const replay::Bundle& bundle) {
  replay::DifferentialReport d = replay::RunDifferential(bundle);
  if (!d.ran) {
    std::fprintf(stderr, "reel replay: %s\n", d.problem.c_str());
    return 2;
  }
  std::unique_ptr<replay::ProgressMeter> meter = MakeProgressMeter(o, 1);
  replay::ModelScheduleOptions fo;
  fo.progress = meter.get();
  replay::FidelityReport f = replay::RunModelSchedule(bundle, fo);
  if (meter) meter->Finish();
  bool same = d.replies_differing == 0;
  // Every reply that could be compared matched, but some depend on bytes the
  // redaction replaced.
  bool not_comparable = same && d.not_comparable_under_redaction > 0;
  if (o.json) {
    nlohmann::ordered_json j;
    j["verdict"] = not_comparable ? "not-comparable-under-redaction"
                   : same         ? "same-replies"
                                  : "replies-differ";
    j["schedule"] = "differential";
    j["server"] = bundle.command_line.empty() ? "" : bundle.command_line[0];
    j["connections"] = d.connections;
    j["commands"] = d.commands;
    j["replies_compared"] = d.replies_compared;
    j["replies_differing"] = d.replies_differing;
    j["nondeterministic_differing"] = d.nondeterministic_differing;
    j["first_difference"] = d.first_difference;
    if (replay::BundleIsRedacted(bundle)) {
      j["not_comparable_under_redaction"] = d.not_comparable_under_redaction;
      j["first_not_comparable"] = d.first_not_comparable;
    }
    j["model_epoll_wait_fidelity"] = f.epoll_wait.fraction();
    std::printf("%s\n", j.dump().c_str());
  } else if (!o.quiet) {
    std::printf(
        "%s: recorded from %s; %llu replies on %llu connections fed through reel-server, "
        "%llu differ",
        not_comparable ? "NOT COMPARABLE UNDER REDACTION"
        : same         ? "SAME REPLIES"
                       : "REPLIES DIFFER",
        bundle.command_line.empty() ? "?" : bundle.command_line[0].c_str(),
        static_cast<unsigned long long>(d.replies_compared),
        static_cast<unsigned long long>(d.connections),
        static_cast<unsigned long long>(d.replies_differing));
    if (d.nondeterministic_differing)
      std::printf(" (%llu replies of server-specific commands like INFO/TIME differ as expected)",
                  static_cast<unsigned long long>(d.nondeterministic_differing));
    if (d.not_comparable_under_redaction)
      std::printf(" (%llu replies not comparable under redaction)",
                  static_cast<unsigned long long>(d.not_comparable_under_redaction));
    std::printf(".\n");
    if (!d.first_difference.empty())
      std::printf("  first difference: %s\n", d.first_difference.c_str());
    if (!d.first_not_comparable.empty())
      std::printf("  first not comparable under redaction: %s\n", d.first_not_comparable.c_str());
    std::printf(
        "  recorded schedule vs the kernel model: epoll_wait %.1f%%, read %.1f%%, accept %.1f%%\n",
        100 * f.epoll_wait.fraction(), 100 * f.read.fraction(), 100 * f.accept.fraction());
  }
  if (!same) return 1;
  return d.not_comparable_under_redaction > 0 ? 3 : 0;  // 3: see docs/replay.md
}

// --schedule model. For a reel-server bundle: the cost model's calibration
// (a recorded replay), reel-server's own code on the model — whose timeline
// --timeline writes — and the kernel model re-answering every recorded call;
// the progress bar covers the three passes. Otherwise the last pass alone.
int RunModelSchedule(const ReplayCommandOptions& o, replay::ModelScheduleOptions mo,
                     const replay::Bundle& bundle) {
  if (!replay::IsReelServerBundle(bundle) || !bundle.has_pcap) {
    std::unique_ptr<replay::ProgressMeter> meter = MakeProgressMeter(o, 1);
    mo.progress = meter.get();
    return replay::RunModelScheduleCommand(bundle, mo, o.json, o.quiet);
  }
  bool failed = false;
  FILE* tl = OpenTimeline(o, &failed);
  if (failed) return 2;
  replay::TimelineWriter writer(tl, TimelineOptionsOf(o));
  std::unique_ptr<replay::ProgressMeter> meter = MakeProgressMeter(o, 3);
  replay::OwnCodeCheck own =
      replay::CheckOwnCodeOnModel(bundle, tl ? &writer : nullptr, meter.get());
  if (tl && !CloseTimeline(tl, o.timeline_path)) {
    if (meter) meter->Finish();
    return 2;
  }
  if (tl && !own.ran) {
    if (meter) meter->Finish();
    std::remove(o.timeline_path.c_str());
    std::fprintf(stderr,
                 "reel replay: no model timeline: reel-server did not run on the model: %s\n",
                 own.problem.c_str());
    return 2;
  }
  if (meter) meter->NextPass();
  mo.progress = meter.get();
  return replay::RunModelScheduleCommand(bundle, mo, o.json, o.quiet, &own);
}

}  // namespace

int RunReplay(const ReplayCommandOptions& options) {
  ReplayCommandOptions o = options;
  // The progress bar's delay counts from here, loading included: a person
  // has been waiting since the command started.
  if (o.started_ns < 0) o.started_ns = MonotonicNowNs();
  replay::Bundle bundle;
  std::string error;
  if (!replay::LoadBundle(o.dir, &bundle, &error)) {
    std::fprintf(stderr, "reel replay: %s\n", error.c_str());
    return 2;
  }
  // Another server's bundle: neither schedule runs its code, and the
  // differential run is a feed of its input, not a run on a kernel with a
  // schedule — there is no timeline to write (docs/replay.md).
  if (!o.timeline_path.empty() && !replay::IsReelServerBundle(bundle)) {
    std::fprintf(stderr,
                 "reel replay: --timeline: no timeline for a bundle recorded from '%s': a "
                 "timeline is reel-server's own code running on a kernel, and this server's "
                 "code cannot run here\n",
                 bundle.command_line.empty() ? "?" : bundle.command_line[0].c_str());
    return 2;
  }
  if (o.schedule == "model") {
    replay::ModelScheduleOptions mo;
    mo.scan_at_return = o.scan_at == "return";
    mo.delivery_delay_ns = static_cast<int64_t>(o.delivery_delay_us * 1000);
    mo.wakeup_latency_ns = static_cast<int64_t>(o.wakeup_latency_us * 1000);
    mo.verbose = o.verbose;
    if (mo.delivery_delay_ns < 0 || mo.wakeup_latency_ns < 0) {
      std::fprintf(stderr, "reel replay: delays must not be negative\n");
      return 2;
    }
    return RunModelSchedule(o, mo, bundle);
  }
  if (!replay::IsReelServerBundle(bundle)) return RunForeignBundle(o, bundle);
  return RunRecordedSchedule(o, bundle);
}

}  // namespace reel::cli
