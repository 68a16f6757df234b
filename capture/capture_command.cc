#include "capture/capture_command.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "capture/capture_child.h"
#include "capture/capture_meta.h"
#include "capture/flight_recorder.h"
#include "capture/pcap_capture.h"
#include "capture/record_session.h"
#include "capture/reel_commands.h"
#include "capture/trace_reader.h"
#include "capture/trace_summary.h"

extern char** environ;

namespace reel::cli {

namespace {

using nlohmann::json;

constexpr int kExitClean = kExitOk;
constexpr int kExitSetup = kExitBadInput;
constexpr const char* kPcapFile = "packets.pcap";
constexpr const char* kPreloadName = "libreel-preload.so";
constexpr int64_t kClockPairPeriodMs = 10'000;
// After the server exits, how long the capture keeps reading so the last
// packets (its FINs, the clients' final ACKs) reach the file.
constexpr int kPcapGraceMs = 100;
// Flight recorder: delay from a trigger to the dump (> the recorders' 50 ms
// flush interval).
constexpr int kRingSettleMs = 150;

int SetupError(const std::string& message) {
  std::fprintf(stderr, "reel capture: %s\n", message.c_str());
  return kExitSetup;
}

void Warn(const std::string& message) {
  std::fprintf(stderr, "reel capture: WARNING: %s\n", message.c_str());
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Creates the bundle directory (0700) or accepts an existing empty one.
// *created tells whether it is ours to remove on a setup failure.
bool PrepareBundleDir(const std::string& out, std::string* abs, bool* created, std::string* error) {
  *created = false;
  if (::mkdir(out.c_str(), 0700) == 0) {
    *created = true;
  } else if (errno == EEXIST) {
    struct stat st {};
    if (::stat(out.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      *error = out + " exists and is not a directory";
      return false;
    }
    if (!ListFiles(out).empty()) {
      *error = out + " exists and is not empty (use a new bundle directory)";
      return false;
    }
  } else {
    *error = "cannot create " + out + ": " + std::strerror(errno);
    return false;
  }
  ::chmod(out.c_str(), 0700);
  char buf[PATH_MAX];
  if (::realpath(out.c_str(), buf) == nullptr) {
    *error = "cannot resolve " + out + ": " + std::strerror(errno);
    return false;
  }
  *abs = buf;
  return true;
}

// The shim: --preload, else $REEL_PRELOAD, else beside the reel executable.
std::string FindPreload(const CaptureOptions& o, std::string* looked) {
  std::vector<std::string> candidates;
  if (!o.preload.empty()) {
    candidates.push_back(o.preload);
  } else {
    if (const char* env = std::getenv("REEL_PRELOAD"); env && *env) candidates.push_back(env);
    std::string self = SelfDir();
    if (!self.empty()) {
      candidates.push_back(self + "/" + kPreloadName);
      candidates.push_back(self + "/../lib/reel/" + kPreloadName);
    }
  }
  for (const auto& c : candidates) {
    char buf[PATH_MAX];
    if (FileExists(c) && ::realpath(c.c_str(), buf) != nullptr) return buf;
  }
  for (const auto& c : candidates) *looked += (looked->empty() ? "" : ", ") + c;
  return "";
}

// The child's environment: ours, with the recording variables replaced.
std::vector<std::string> ChildEnvironment(bool use_shim, const std::string& preload,
                                          const std::string& trace_var) {
  std::vector<std::string> env;
  std::string old_preload;
  for (char** e = environ; *e != nullptr; e++) {
    std::string kv = *e;
    if (kv.rfind("LD_PRELOAD=", 0) == 0) {
      old_preload = kv.substr(11);
      continue;
    }
    if (kv.rfind("REEL_TRACE_FILE=", 0) == 0 || kv.rfind("REEL_TRACE_DIR=", 0) == 0) continue;
    env.push_back(kv);
  }
  if (use_shim) {
    // First in the list, so its definitions are the ones the server binds to.
    env.push_back("LD_PRELOAD=" + preload + (old_preload.empty() ? "" : ":" + old_preload));
    env.push_back(trace_var);
  } else if (!old_preload.empty()) {
    env.push_back("LD_PRELOAD=" + old_preload);
  }
  return env;
}

std::string HumanBytes(uint64_t n) {
  char buf[32];
  if (n < 1024)
    std::snprintf(buf, sizeof buf, "%" PRIu64 " B", n);
  else if (n < 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f KiB", n / 1024.0);
  else if (n < 1024ull * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f MiB", n / (1024.0 * 1024));
  else
    std::snprintf(buf, sizeof buf, "%.2f GiB", n / (1024.0 * 1024 * 1024));
  return buf;
}

// Blocks the signals reel capture handles and returns a signalfd for them.
// Must run before any thread starts, so every thread inherits the mask.
int BlockCaptureSignals() {
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGUSR1}) sigaddset(&mask, s);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  return ::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

struct RunOutcome {
  SpawnedChild child;
  std::string stop_reason = "server exited";
  bool sent_term = false, sent_kill = false;
  std::vector<ClockPair> clock_pairs;
  ClockPair start, stop;
};

// Waits for the child, turning our stop requests and the duration into
// SIGTERM, then SIGKILL after the stop timeout.
// on_trigger(reason) runs for SIGUSR1 and for each stall the flight
// recorder reports (ring mode only; null otherwise).
void Supervise(const CaptureOptions& o, int sigfd, RunOutcome* run, FlightRecorder* ring,
               const std::function<void(const std::string&)>& on_trigger) {
  const int64_t start = NowMs();
  const int64_t duration_end =
      o.duration_s > 0 ? start + static_cast<int64_t>(o.duration_s * 1000) : INT64_MAX;
  int64_t kill_at = INT64_MAX;
  int64_t next_pair = start + kClockPairPeriodMs;
  auto terminate = [&](const std::string& why) {
    if (!run->sent_term) {
      run->stop_reason = why;
      run->sent_term = true;
      ::kill(run->child.pid, SIGTERM);
      kill_at = NowMs() + static_cast<int64_t>(o.stop_timeout_s * 1000);
    } else if (!run->sent_kill) {  // asked twice: do not wait any longer
      run->sent_kill = true;
      ::kill(-run->child.pid, SIGKILL);
    }
  };
  while (!ReapChild(&run->child)) {
    int64_t now = NowMs();
    if (now >= duration_end && !run->sent_term) terminate("duration ended");
    if (run->sent_term && !run->sent_kill && now >= kill_at) {
      char secs[32];
      std::snprintf(secs, sizeof secs, "%g", o.stop_timeout_s);
      Warn(std::string("the server did not exit within ") + secs +
           " s of SIGTERM; sent SIGKILL to its process group");
      run->sent_kill = true;
      // The whole group: a forced stop must not leave the server's own
      // children behind (it runs as the leader of a group of its own).
      ::kill(-run->child.pid, SIGKILL);
    }
    if (now >= next_pair) {
      run->clock_pairs.push_back(ReadClockPair());
      next_pair += kClockPairPeriodMs;
    }
    int64_t wake = next_pair;
    if (!run->sent_term) wake = std::min(wake, duration_end);
    if (run->sent_term && !run->sent_kill) wake = std::min(wake, kill_at);
    if (ring != nullptr) {
      if (std::string reason; ring->TakeStall(&reason)) on_trigger(reason);
    }
    int64_t wait = std::clamp<int64_t>(wake - now, 0, ring != nullptr ? 50 : 1000);
    pollfd p{sigfd, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(wait));
    signalfd_siginfo si;
    while (::read(sigfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      int sig = static_cast<int>(si.ssi_signo);
      if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP)
        terminate(std::string("SIG") + sigabbrev_np(sig) + " received");
      else if (sig == SIGUSR1 && ring != nullptr)
        on_trigger("sigusr1");
    }
  }
}

// "64M", "512k", "1G", "1048576" -> bytes; 0 when malformed.
size_t ParseSize(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || v <= 0) return 0;
  std::string unit = end;
  double mult = 1;
  if (unit == "k" || unit == "K" || unit == "KiB")
    mult = 1024.0;
  else if (unit == "m" || unit == "M" || unit == "MiB")
    mult = 1024.0 * 1024;
  else if (unit == "g" || unit == "G" || unit == "GiB")
    mult = 1024.0 * 1024 * 1024;
  else if (!unit.empty())
    return 0;
  return static_cast<size_t>(v * mult);
}

// meta.json's records.dropped (0 when absent or null: unknown).
uint64_t DroppedRecords(const json& meta) {
  const json* r = meta.contains("records") ? &meta["records"] : nullptr;
  if (r == nullptr || !r->is_object() || !r->contains("dropped")) return 0;
  const json& d = (*r)["dropped"];
  return d.is_number_unsigned() ? d.get<uint64_t>() : 0;
}

struct LogInfo {
  bool present = false;
  TraceFile file;
  std::string error;
};

}  // namespace

// The end of a --ring run: a dump if the server died from a signal we did
// not send, the run's meta.json (what was dumped), the summary line.
static int FinishRing(const CaptureOptions& o, const std::string& bundle, bool builtin,
                      const RunOutcome& run, FlightRecorder& ring, const PcapCapture& pcap,
                      const std::function<void(const std::string&)>& dump, json capture) {
  ring.Drain(2000);  // the recorder's last records, until it closes the FIFO
  if (run.child.term_signal != 0 && !run.sent_term) {
    const char* abbrev = sigabbrev_np(run.child.term_signal);
    dump(std::string("signal-SIG") + (abbrev ? abbrev : "UNKNOWN"));
  }
  ring.Finish(0);
  bool losses = false;
  std::vector<std::string> drops;
  if (!o.no_pcap) {
    const PcapStats& ps = pcap.stats();
    if (uint64_t n = ps.dropped_kernel + ps.dropped_interface; n > 0) {
      Warn("pcap dropped " + std::to_string(n) + " packets");
      drops.push_back(std::to_string(n) + " packets");
      losses = true;
    }
  }
  if (std::string e = ring.stream_error(); !e.empty()) {
    Warn(e + ": events after it were not kept");
    drops.push_back("event stream damaged");
    losses = true;
  }
  if (run.child.term_signal != 0 && !run.sent_term)
    Warn("the server was " + DescribeExit(run.child));
  capture["stop"] = ClockPairJson(run.stop);
  capture["stop_reason"] = run.stop_reason;
  capture["server_exit"] = DescribeExit(run.child);
  capture["losses"] = drops;
  json dumps = json::array();
  for (const auto& d : ring.dumps()) dumps.push_back(Basename(d));
  json meta = {{"bundle_format_version", kBundleFormatVersion},
               {"status", "flight recorder"},
               {"recorder", builtin ? "reel-server --record" : "libreel-preload.so"},
               {"capture", capture},
               {"flight_recorder",
                {{"ring", o.ring}, {"dumps", dumps}, {"events_seen", ring.events_seen()}}}};
  if (!o.no_pcap) meta["pcap"] = PcapJson(pcap.options(), pcap.stats());
  std::string error;
  if (!WriteFileAtomically0600(bundle + "/" + kMetaFileName, meta.dump(2) + "\n", &error)) {
    Warn("cannot write meta.json: " + error);
    losses = true;
  }
  std::string names;
  for (const auto& d : dumps) names += (names.empty() ? "" : ", ") + d.get<std::string>();
  std::printf("reel capture: %s: flight recorder, %zu dumps%s%s, %" PRIu64 " events and %" PRIu64
              " packets seen, drops: %s (%s; server %s)\n",
              o.out.c_str(), ring.dumps().size(), names.empty() ? "" : ": ", names.c_str(),
              ring.events_seen(), o.no_pcap ? uint64_t{0} : pcap.stats().captured,
              drops.empty() ? "none" : "see warnings", run.stop_reason.c_str(),
              DescribeExit(run.child).c_str());
  std::fflush(stdout);
  return losses ? kExitLosses : kExitClean;
}

CLI::App* AddCaptureCommand(CLI::App& app, CaptureOptions* o) {
  CLI::App* c = app.add_subcommand(
      "capture", "launch a server and record it into a trace bundle (event log + pcap)");
  c->add_option("--out", o->out, "bundle directory to create (new or empty)")->required();
  c->add_option("--port", o->port, "the server's TCP port (checked free before launch)")
      ->required()
      ->check(CLI::Range(1, 65535));
  c->add_option("--iface", o->iface, "interface to capture on")->capture_default_str();
  c->add_option("--filter", o->filter, "BPF capture filter (default: tcp port P)");
  c->add_option("--duration", o->duration_s, "stop the server after S seconds (0: no limit)")
      ->check(CLI::NonNegativeNumber);
  c->add_flag("--no-pcap", o->no_pcap, "record the event log only");
  c->add_flag("--pcap-buffered", o->pcap_buffered,
              "buffered packet delivery instead of immediate mode: fewer drops at high "
              "packet rates, packets reach the file up to 20 ms later");
  c->add_option("--pcap-buffer-kb", o->pcap_buffer_kb, "kernel capture buffer in KiB")
      ->check(CLI::Range(64, 1024 * 1024))
      ->capture_default_str();
  c->add_option("--stop-timeout", o->stop_timeout_s, "seconds from SIGTERM to SIGKILL")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  c->add_option("--preload", o->preload,
                "libreel-preload.so to use (default: $REEL_PRELOAD, or beside reel)");
  c->add_option("--ring", o->ring,
                "flight recorder: keep the newest SIZE (e.g. 64M) of packets and events in "
                "memory, write DIR/dump-N-REASON/ on SIGUSR1, on a signal death or a stall");
  c->add_option("--trigger-stall", o->trigger_stall_ms,
                "with --ring: dump when one event-loop iteration takes longer than MS")
      ->check(CLI::Range(1, 3600000));
  c->add_option("--redact", o->redact,
                "replace keys, values or both (and credentials) in the bundle by same-length "
                "placeholders once it is written (docs/capture.md, Redaction)")
      ->check(CLI::IsMember({"keys", "values", "all"}));
  c->add_option("command", o->command, "-- COMMAND ARGS...: the server to run")->required();
  return c;
}

int RunCapture(const CaptureOptions& o) {
  // --- everything that can fail is checked before the server starts ---
  std::string exe = ResolveCommand(o.command[0]);
  if (exe.empty()) return SetupError("command not found: " + o.command[0]);
  const bool builtin = Basename(exe) == "reel-server";
  for (const auto& a : o.command)
    if (builtin && (a == "--record" || a.rfind("--record=", 0) == 0))
      return SetupError("do not pass --record to reel-server; reel capture adds it");
  std::string preload;
  if (!builtin) {
    std::string looked;
    preload = FindPreload(o, &looked);
    if (preload.empty())
      return SetupError(std::string("cannot find ") + kPreloadName + " (looked at " + looked +
                        "; use --preload PATH)");
  }
  size_t ring_bytes = 0;
  if (!o.ring.empty()) {
    ring_bytes = ParseSize(o.ring);
    if (ring_bytes < (1u << 20))
      return SetupError("bad --ring size \"" + o.ring + "\" (at least 1M, e.g. 64M)");
  } else if (o.trigger_stall_ms > 0) {
    return SetupError("--trigger-stall needs --ring");
  }
  // One secret per capture, never written: the bundle and every flight
  // recorder dump get the same placeholders.
  std::array<uint8_t, 16> redact_secret{};
  if (!o.redact.empty()) {
    if (!o.redactor) return SetupError("--redact is not available in this build");
    if (::getrandom(redact_secret.data(), redact_secret.size(), 0) !=
        static_cast<ssize_t>(redact_secret.size()))
      return SetupError(std::string("getrandom: ") + std::strerror(errno));
  }
  bool redaction_failed = false;  // a flight-recorder dump's pass failed: exit 1
  auto redact = [&](const std::string& dir) {
    std::string summary, err;
    if (!o.redactor(dir, o.redact, redact_secret, &summary, &err)) {
      Warn("redaction of " + dir + " failed: " + err);
      redaction_failed = true;
      return false;
    }
    std::printf("reel capture: %s: %s\n", dir.c_str(), summary.c_str());
    std::fflush(stdout);
    return true;
  };
  if (std::string detail; PortInUse(o.port, &detail))
    return SetupError("port " + std::to_string(o.port) + " is already in use (" + detail + ")");

  std::string bundle, error;
  bool created_dir = false;
  if (!PrepareBundleDir(o.out, &bundle, &created_dir, &error)) return SetupError(error);
  FlightRecorder ring;
  auto undo_bundle = [&] {
    ring.Finish(0);
    for (const auto& f : ListFiles(bundle)) ::unlink((bundle + "/" + f).c_str());
    if (created_dir) ::rmdir(bundle.c_str());
  };
  if (ring_bytes > 0 && !ring.Setup(bundle, ring_bytes, o.trigger_stall_ms, &error)) {
    undo_bundle();
    return SetupError(error);
  }

  PcapCapture pcap;
  PcapOptions popts;
  if (!o.no_pcap) {
    popts.iface = o.iface;
    popts.filter = o.filter.empty() ? "tcp port " + std::to_string(o.port) : o.filter;
    popts.buffer_bytes = o.pcap_buffer_kb * 1024;
    popts.immediate = !o.pcap_buffered;
    popts.path = bundle + "/" + kPcapFile;
    popts.server_port = o.port;
    if (ring_bytes > 0) popts.ring = ring.packet_ring();
    bool permission = false;
    if (!pcap.Open(popts, &error, &permission)) {
      undo_bundle();
      return SetupError(error);
    }
  }

  int sigfd = BlockCaptureSignals();
  if (sigfd < 0) {
    undo_bundle();
    return SetupError(std::string("signalfd: ") + std::strerror(errno));
  }
  if (!o.no_pcap) pcap.Start();

  std::vector<std::string> argv = o.command;
  argv[0] = exe;
  if (builtin) {
    argv.push_back("--record");
    argv.push_back(ring_bytes > 0 ? ring.spool_dir() : bundle);
  }
  const std::string trace_var =
      ring_bytes > 0 ? "REEL_TRACE_FILE=" + ring.fifo_path() : "REEL_TRACE_DIR=" + bundle;
  RunOutcome run;
  run.start = ReadClockPair();
  {
    // A first meta.json, so a bundle whose `reel capture` is killed still
    // says what was being recorded (reel-server --record replaces it with
    // its own once listening; the final merge below completes either).
    json initial = {{"bundle_format_version", kBundleFormatVersion},
                    {"status", "recording"},
                    {"command_line", argv},
                    {"capture",
                     {{"tool", "reel capture"},
                      {"recorder", builtin ? "reel-server --record" : "libreel-preload.so"},
                      {"command_line", argv},
                      {"port", o.port},
                      {"start", ClockPairJson(run.start)}}},
                    {"clock_pairs", json::array({ClockPairJson(run.start)})}};
    if (!o.no_pcap) initial["pcap"] = PcapJson(popts, PcapStats{});
    if (!WriteFileAtomically0600(bundle + "/" + kMetaFileName, initial.dump(2) + "\n", &error)) {
      pcap.Stop();
      undo_bundle();
      return SetupError("cannot write meta.json: " + error);
    }
  }
  if (ring_bytes > 0) ring.Start();
  if (int err = SpawnChild(argv, ChildEnvironment(!builtin, preload, trace_var), &run.child);
      err != 0) {
    pcap.Stop();
    undo_bundle();
    return SetupError("cannot start " + exe + ": " + std::strerror(err));
  }

  // --- recording ---
  auto capture_info = [&] {
    return json{{"tool", "reel capture"},
                {"recorder", builtin ? "reel-server --record" : "libreel-preload.so"},
                {"command_line", argv},
                {"port", o.port},
                {"start", ClockPairJson(run.start)}};
  };
  auto dump = [&](const std::string& reason) {
    // The recorder hands its buffer over every 50 ms (and splits long
    // waits to do so): wait that long, so the events leading up to the
    // trigger have reached the ring.
    std::this_thread::sleep_for(std::chrono::milliseconds(kRingSettleMs));
    size_t before = ring.dumps().size();
    std::string err = ring.Dump(reason, capture_info(), o.no_pcap ? nullptr : &pcap);
    if (!err.empty()) Warn("flight recorder dump (" + reason + "): " + err);
    if (ring.dumps().size() > before) {
      std::fprintf(stderr, "reel capture: flight recorder: wrote %s\n",
                   ring.dumps().back().c_str());
      if (!o.redact.empty()) redact(ring.dumps().back());
    }
  };
  Supervise(o, sigfd, &run, ring_bytes > 0 ? &ring : nullptr, dump);
  run.stop = ReadClockPair();
  if (!o.no_pcap) {
    std::this_thread::sleep_for(std::chrono::milliseconds(kPcapGraceMs));
    pcap.Stop();
  }
  if (ring_bytes > 0) {
    int rc = FinishRing(o, bundle, builtin, run, ring, pcap, dump, capture_info());
    // The run's own meta.json holds the command line (--requirepass).
    if (!o.redact.empty() && !redact(bundle)) rc = std::max(rc, kExitLosses);
    if (redaction_failed) rc = std::max(rc, kExitLosses);
    return rc;
  }

  // --- the bundle: read back what was recorded, complete meta.json ---
  bool losses = false;
  std::vector<std::string> drops;
  LogInfo log;
  const std::string log_path = bundle + "/" + trace::kEventsFileName;
  if (FileExists(log_path)) {
    log.present = ReadTraceFile(log_path, &log.file, &log.error);
  } else {
    log.error = "no event log was written";
  }
  const std::string meta_path = bundle + "/" + kMetaFileName;
  json meta;
  json shim_logs = json::array();
  if (builtin) {
    meta = ReadJsonFile(meta_path);
    // Still ours: reel-server never got as far as writing its own.
    if (meta.is_object() && meta.value("/capture/tool"_json_pointer, std::string()) != "")
      meta = nullptr;
  } else {
    // Each process the shim recorded left <log> and, if it exited cleanly,
    // <log>.stats.json; the statistics move into meta.json.
    for (const auto& name : ListFiles(bundle)) {
      if (!EndsWith(name, ".reel")) continue;
      json stats = ReadJsonFile(bundle + "/" + name + ".stats.json");
      ::unlink((bundle + "/" + name + ".stats.json").c_str());
      // The space the shim reserved for its statistics (left if it was killed).
      ::unlink((bundle + "/" + name + ".stats.json.tmp").c_str());
      if (name == trace::kEventsFileName && log.present)
        meta = ShimBundleMeta(name, log.file, stats, argv);
      shim_logs.push_back(
          {{"file", name}, {"closed_cleanly", stats.is_object()}, {"stats", stats}});
    }
  }
  if (!meta.is_object()) {
    meta = json::object();
    meta["bundle_format_version"] = kBundleFormatVersion;
    meta["status"] = "no event log";
    meta["command_line"] = argv;
  }
  MergeClockPairs(&meta, {run.start});
  MergeClockPairs(&meta, run.clock_pairs);
  MergeClockPairs(&meta, {run.stop});
  meta["capture"] = {
      {"tool", "reel capture"},
      {"recorder", builtin ? "reel-server --record" : "libreel-preload.so"},
      {"command_line", argv},
      {"port", o.port},
      {"start", ClockPairJson(run.start)},
      {"stop", ClockPairJson(run.stop)},
      {"stop_reason", run.stop_reason},
      {"sent_sigterm", run.sent_term},
      {"sent_sigkill", run.sent_kill},
      {"server_exit", DescribeExit(run.child)},
      {"server_exit_code", run.child.term_signal ? json(nullptr) : json(run.child.exit_code)},
      {"server_signal", run.child.term_signal ? json(run.child.term_signal) : json(nullptr)},
  };
  if (!builtin) meta["capture"]["preload"] = {{"library", preload}, {"logs", shim_logs}};

  // Losses, each a visible warning.
  if (!o.no_pcap) {
    const PcapStats& ps = pcap.stats();
    meta["pcap"] = PcapJson(popts, ps);
    uint64_t pdrops = ps.dropped_kernel + ps.dropped_interface;
    if (pdrops > 0) {
      Warn("pcap dropped " + std::to_string(pdrops) + " packets (" +
           std::to_string(ps.dropped_kernel) + " by the kernel, " +
           std::to_string(ps.dropped_interface) + " by the interface); raise --pcap-buffer-kb");
      drops.push_back(std::to_string(pdrops) + " packets");
      losses = true;
    }
    if (!ps.error.empty()) {
      Warn("pcap: " + ps.error);
      drops.push_back("pcap error");
      losses = true;
    }
  }
  TraceSummary summary;
  if (log.present) {
    summary = Summarize(log.file);
    if (log.file.dropped_bytes > 0) {
      Warn("event log damaged at its end (" + log.file.damage + "): " +
           std::to_string(log.file.dropped_bytes) + " bytes dropped, every whole record kept");
      drops.push_back(std::to_string(log.file.dropped_bytes) + " damaged log bytes");
      losses = true;
    }
    if (summary.seq_gaps > 0) {
      Warn(std::to_string(summary.seq_gaps) + " event records missing (sequence gaps)");
      drops.push_back(std::to_string(summary.seq_gaps) + " records");
      losses = true;
    }
    if (uint64_t d = DroppedRecords(meta); d > 0) {
      // The recorder's own account of why it stopped, else the errno text.
      const json& stopped = meta.value("recording_stopped", json(nullptr));
      Warn("the recorder dropped " + std::to_string(d) + " records (" +
           (stopped.is_object() ? stopped.value("reason", std::string("unknown"))
                                : meta.value("write_error", json("unknown error")).dump()) +
           ")");
      drops.push_back(std::to_string(d) + " records dropped by the recorder");
      losses = true;
    }
    if (meta.value("status", std::string()) != "complete") {
      Warn("the server never closed its event log (" + DescribeExit(run.child) +
           "): records of its last flush interval may be missing");
      drops.push_back("unflushed tail possible");
      losses = true;
    }
  } else {
    Warn(log.error.empty() ? "no event log" : log.error);
    if (!builtin)
      Warn("is " + Basename(exe) +
           " dynamically linked against libc? (LD_PRELOAD does not reach static or setuid "
           "programs)");
    drops.push_back("no event log");
    losses = true;
  }
  if (run.child.term_signal != 0 && !run.sent_term)
    Warn("the server was " + DescribeExit(run.child));
  else if (!run.sent_term && run.child.exit_code != 0)
    Warn("the server ended with " + DescribeExit(run.child));
  meta["capture"]["losses"] = drops;

  if (!WriteFileAtomically0600(meta_path, meta.dump(2) + "\n", &error)) {
    Warn("cannot write meta.json: " + error);
    losses = true;
  }
  if (!o.redact.empty() && !redact(bundle)) losses = true;

  // Private by default: traces hold whatever crossed the wire.
  uint64_t bundle_bytes = 0;
  for (const auto& name : ListFiles(bundle)) {
    std::string path = bundle + "/" + name;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    ::chmod(path.c_str(), 0600);
    bundle_bytes += static_cast<uint64_t>(st.st_size);
  }
  ::chmod(bundle.c_str(), 0700);

  std::string packets =
      o.no_pcap ? std::string("no pcap") : std::to_string(pcap.stats().captured) + " packets";
  std::string drop_text = "none";
  if (!drops.empty()) {
    drop_text.clear();
    for (const auto& d : drops) drop_text += (drop_text.empty() ? "" : ", ") + d;
  }
  std::printf("reel capture: %s: %zu connections, %s, %" PRIu64 " events, %" PRIu64
              " B in, %" PRIu64 " B out, drops: %s, bundle %s (%s; server %s)\n",
              o.out.c_str(), summary.connections.size(), packets.c_str(), summary.records,
              summary.bytes_in, summary.bytes_out, drop_text.c_str(),
              HumanBytes(bundle_bytes).c_str(), run.stop_reason.c_str(),
              DescribeExit(run.child).c_str());
  std::fflush(stdout);
  return losses ? kExitLosses : kExitClean;
}

}  // namespace reel::cli
