// `reel inspect DIR`: a human summary of a trace bundle — what was recorded,
// when, the connections and their bytes each way, and anything lost.
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <string>

#include "capture/reel_commands.h"
#include "capture/trace_reader.h"
#include "capture/trace_summary.h"

namespace reel::cli {

namespace {

std::string WallClock(int64_t realtime_ns) {
  time_t secs = static_cast<time_t>(realtime_ns / 1000000000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%03d UTC", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>((realtime_ns % 1000000000) / 1000000));
  return buf;
}

std::string Seconds(int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f s", static_cast<double>(ns) / 1e9);
  return buf;
}

std::string MetaString(const nlohmann::json& meta, const char* key) {
  if (meta.is_object() && meta.contains(key) && meta[key].is_string())
    return meta[key].get<std::string>();
  return "?";
}

}  // namespace

int RunInspect(const std::string& path) {
  TraceFile log;
  std::string error;
  if (!ReadTraceFile(path, &log, &error)) {
    std::fprintf(stderr, "reel inspect: %s\n", error.c_str());
    return kExitBadInput;
  }
  nlohmann::json meta;
  std::string meta_error;
  bool have_meta = LoadBundleMeta(path, &meta, &meta_error);
  TraceSummary s = Summarize(log);
  auto wall = [&](int64_t mono_ns) {
    return WallClock(log.header.start_real_ns + (mono_ns - log.header.start_mono_ns));
  };

  std::printf("bundle:       %s\n", path.c_str());
  std::printf("event log:    %s, format %u.%u, %" PRIu64 " bytes, pid %u\n",
              EventLogPath(path).c_str(), log.header.major, log.header.minor, log.file_bytes,
              log.header.pid);
  if (have_meta) {
    std::printf("recorded by:  reel %s on %s (Linux %s), status %s\n",
                MetaString(meta, "reel_version").c_str(),
                meta.value("/host/hostname"_json_pointer, std::string("?")).c_str(),
                meta.value("/host/kernel_release"_json_pointer, std::string("?")).c_str(),
                MetaString(meta, "status").c_str());
    std::printf("listening on: %s\n", MetaString(meta, "listen_address").c_str());
  } else if (!meta_error.empty()) {
    std::printf("meta.json:    unreadable (%s)\n", meta_error.c_str());
  } else {
    std::printf("meta.json:    none\n");
  }
  std::printf("started:      %s\n", WallClock(log.header.start_real_ns).c_str());
  if (s.records > 0) {
    std::printf("events:       %s .. %s (span %s)\n", wall(s.first_ns).c_str(),
                wall(s.last_ns).c_str(), Seconds(s.last_ns - s.first_ns).c_str());
  }
  std::printf("records:      %" PRIu64 " (seq %" PRIu64 "..%" PRIu64 "), %" PRIu64
              " failed calls\n",
              s.records, s.first_seq, s.last_seq, s.failed_calls);
  for (const auto& [kind, n] : s.per_kind) std::printf("  %-16s %" PRIu64 "\n", kind.c_str(), n);
  std::printf("epoll_wait:   %" PRIu64 " calls, %" PRIu64 " ready events\n", s.epoll_waits,
              s.epoll_events);
  std::printf("connections:  %zu accepted\n", s.connections.size());
  for (const ConnectionSummary& c : s.connections) {
    std::printf("  fd %-4d %s -> %s  in %" PRIu64 " B (%" PRIu64 " reads)  out %" PRIu64
                " B (%" PRIu64 " writes)  %s\n",
                c.fd, c.peer.family ? c.peer.ToString().c_str() : "?",
                c.local.family ? c.local.ToString().c_str() : "?", c.bytes_in, c.reads, c.bytes_out,
                c.writes,
                c.close_ns >= 0 ? ("closed after " + Seconds(c.close_ns - c.accept_ns)).c_str()
                                : "open at end");
  }
  std::printf("bytes:        %" PRIu64 " client->server, %" PRIu64 " server->client\n", s.bytes_in,
              s.bytes_out);

  bool losses = false;
  std::string drops;
  if (!log.damage.empty()) {
    drops += "log damaged: " + log.damage + ", " + std::to_string(log.dropped_bytes) +
             " bytes dropped; ";
    losses = true;
  }
  if (uint64_t dropped = MetaDroppedRecords(meta); dropped > 0) {
    drops += "recorder dropped " + std::to_string(dropped) + " records (" +
             (meta["write_error"].is_string() ? meta["write_error"].get<std::string>()
                                              : std::string("no error recorded")) +
             "); ";
    losses = true;
  }
  if (s.seq_gaps > 0) {
    drops += std::to_string(s.seq_gaps) + " sequence numbers missing; ";
    losses = true;
  }
  // A log its recorder never closed (a killed server, or one still running)
  // lacks the records that were still in the recorder's buffer: up to one
  // flush interval. The file itself gives no sign of it (the writer writes
  // whole records), so say so: reel capture counts it as a loss too.
  if (have_meta && MetaString(meta, "status") == "recording") {
    drops += "log never closed (status recording): the records of its last flush interval";
    nlohmann::json flush =
        meta.value("/event_log/flush_interval_ns"_json_pointer, nlohmann::json());
    if (flush.is_number()) drops += " (" + std::to_string(flush.get<int64_t>() / 1000000) + " ms)";
    drops += " may be missing; ";
    losses = true;
  }
  if (losses) drops.resize(drops.size() - 2);
  std::printf("drops:        %s\n", losses ? drops.c_str() : "none");
  if (have_meta && meta.contains("final_keyspace_digest"))
    std::printf("keyspace:     digest %s at shutdown\n",
                MetaString(meta, "final_keyspace_digest").c_str());
  return losses ? kExitLosses : kExitOk;
}

}  // namespace reel::cli
