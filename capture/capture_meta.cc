#include "capture/capture_meta.h"

#include <fcntl.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "capture/record_session.h"
#include "capture/trace_format.h"

#ifndef REEL_VERSION
#define REEL_VERSION "unknown"
#endif

namespace reel {

using nlohmann::json;

namespace {

int64_t ClockNs(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string Iso8601Utc(int64_t realtime_ns) {
  time_t secs = static_cast<time_t>(realtime_ns / 1000000000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>((realtime_ns % 1000000000) / 1000));
  return buf;
}

// The address the server listens on: the bind of the first fd that then
// listened successfully.
std::string ListenAddress(const TraceFile& log) {
  std::vector<std::pair<int, SockAddr>> binds;
  for (const TraceRecord& r : log.records) {
    if (const auto* b = std::get_if<trace::BindRec>(&r.call); b && r.result.ok())
      binds.emplace_back(b->fd, b->addr);
    if (const auto* l = std::get_if<trace::ListenRec>(&r.call); l && r.result.ok()) {
      for (auto it = binds.rbegin(); it != binds.rend(); ++it)
        if (it->first == l->fd && it->second.family != 0) return it->second.ToString();
    }
  }
  return "";
}

}  // namespace

ClockPair ReadClockPair() {
  ClockPair p;
  p.monotonic_ns = ClockNs(CLOCK_MONOTONIC);
  p.realtime_ns = ClockNs(CLOCK_REALTIME);
  return p;
}

json ClockPairJson(const ClockPair& p) {
  return json{{"monotonic_ns", p.monotonic_ns},
              {"realtime_ns", p.realtime_ns},
              {"realtime", Iso8601Utc(p.realtime_ns)}};
}

json PcapJson(const PcapOptions& o, const PcapStats& s) {
  json j = {
      {"file", "packets.pcap"},
      {"interface", o.iface},
      {"filter", o.filter},
      {"snaplen", o.snaplen},
      {"buffer_bytes", o.buffer_bytes},
      {"immediate_mode", o.immediate},
      {"block_timeout_ms", o.immediate ? json(nullptr) : json(o.block_timeout_ms)},
      {"flush_interval_ms", o.flush_interval_ms},
      {"captured", s.captured},
      {"captured_bytes", s.captured_bytes},
      {"truncated", s.truncated},
      {"payload_bytes_to_server", s.payload_to_server},
      {"payload_bytes_from_server", s.payload_from_server},
      {"syn_to_server", s.syn_to_server},
  };
  if (s.have_kernel_stats) {
    j["received"] = s.received;
    j["dropped_by_kernel"] = s.dropped_kernel;
    j["dropped_by_interface"] = s.dropped_interface;
  } else {
    j["received"] = nullptr;
    j["dropped_by_kernel"] = nullptr;
    j["dropped_by_interface"] = nullptr;
  }
  j["error"] = s.error.empty() ? json(nullptr) : json(s.error);
  return j;
}

json ShimBundleMeta(const std::string& log_file, const TraceFile& log, const json& stats,
                    const std::vector<std::string>& command_line) {
  struct utsname un {};
  ::uname(&un);
  bool closed = stats.is_object();
  json meta;
  meta["bundle_format_version"] = kBundleFormatVersion;
  // Same meaning as RecordSession's: "complete" once the recorder closed the
  // log; "recording" if it never did (the server was killed).
  meta["status"] = closed ? "complete" : "recording";
  meta["reel_version"] = REEL_VERSION;
  meta["recorder"] = "libreel-preload.so";
  meta["host"] = {{"hostname", un.nodename},
                  {"kernel", un.sysname},
                  {"kernel_release", un.release},
                  {"machine", un.machine}};
  meta["pid"] = log.header.pid;
  meta["command_line"] = command_line;
  meta["listen_address"] = ListenAddress(log);
  meta["event_log"] = {
      {"file", log_file},
      {"format_version", std::to_string(log.header.major) + "." + std::to_string(log.header.minor)},
      {"buffer_bytes", closed ? stats.value("buffer_bytes", json(nullptr)) : json(nullptr)},
      {"flush_interval_ns",
       closed ? stats.value("flush_interval_ns", json(nullptr)) : json(nullptr)},
  };
  ClockPair start{log.header.start_mono_ns, log.header.start_real_ns};
  meta["start"] = ClockPairJson(start);
  json pairs = json::array({ClockPairJson(start)});
  if (closed) {
    ClockPair stop{stats.value("stop_monotonic_ns", int64_t{0}),
                   stats.value("stop_realtime_ns", int64_t{0})};
    meta["stop"] = ClockPairJson(stop);
    pairs.push_back(ClockPairJson(stop));
  }
  meta["clock_pairs"] = pairs;
  if (closed) {
    meta["records"] = {{"total", stats.value("records", uint64_t{0})},
                       {"written", stats.value("records_written", json(nullptr))},
                       {"dropped", stats.value("records_dropped", uint64_t{0})},
                       {"by_kind", stats.value("by_kind", json::object())},
                       {"bytes_written", stats.value("bytes_written", uint64_t{0})},
                       {"flushes", stats.value("flushes", uint64_t{0})}};
    meta["write_error"] = stats.value("write_error", json(nullptr));
    // Same shape as RecordSession's: why the shim stopped writing, if it did.
    meta["recording_stopped"] = stats.value("recording_stopped", json(nullptr));
  } else {
    // The recorder never reported: count what the log holds.
    json by_kind = json::object();
    for (const TraceRecord& r : log.records) {
      std::string name = r.kind_name();
      by_kind[name] = by_kind.value(name, uint64_t{0}) + 1;
    }
    meta["records"] = {
        {"total", log.records.size()}, {"written", log.records.size()},   {"dropped", nullptr},
        {"by_kind", by_kind},          {"bytes_written", log.file_bytes}, {"flushes", nullptr}};
    meta["write_error"] = nullptr;
    meta["recording_stopped"] = nullptr;
  }
  return meta;
}

void MergeClockPairs(json* meta, const std::vector<ClockPair>& pairs) {
  json all = meta->contains("clock_pairs") && (*meta)["clock_pairs"].is_array()
                 ? (*meta)["clock_pairs"]
                 : json::array();
  for (const ClockPair& p : pairs) all.push_back(ClockPairJson(p));
  std::vector<json> v(all.begin(), all.end());
  std::stable_sort(v.begin(), v.end(), [](const json& a, const json& b) {
    return a.value("monotonic_ns", int64_t{0}) < b.value("monotonic_ns", int64_t{0});
  });
  (*meta)["clock_pairs"] = v;
}

json ReadJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json(nullptr) : j;
}

bool WriteFileAtomically0600(const std::string& path, const std::string& text, std::string* error) {
  // Shared with reel-server's RecordSession: also survives a full disk.
  return WriteBundleFile(path, text, /*fsync_file=*/true, error);
}

}  // namespace reel
