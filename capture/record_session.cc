#include "capture/record_session.h"

#include <sys/stat.h>
#include <sys/utsname.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

#include "capture/trace_format.h"

#ifndef REEL_VERSION
#define REEL_VERSION "unknown"
#endif

namespace reel {

namespace {

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

bool WriteFileAtomically(const std::string& path, const std::string& text, std::string* error) {
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) {
    *error = tmp + ": " + std::strerror(errno);
    return false;
  }
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  int err = errno;
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = path + ": " + std::strerror(ok ? errno : err);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace

RecordSession::ClockPair RecordSession::ReadClocks() {
  ClockPair p;
  p.monotonic_ns = clock_->MonotonicNs();
  p.realtime_ns = clock_->RealtimeNs();
  return p;
}

bool RecordSession::Open(const std::string& dir, Kernel& clock,
                         std::vector<std::string> command_line, std::string* error,
                         const TraceWriterOptions& options) {
  dir_ = dir;
  clock_ = &clock;
  command_line_ = std::move(command_line);
  options_ = options;
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    *error = "cannot create " + dir + ": " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    *error = dir + " is not a directory";
    return false;
  }
  start_ = ReadClocks();
  pid_ = clock.ProcessId();
  trace::Header header;
  header.start_mono_ns = start_.monotonic_ns;
  header.start_real_ns = start_.realtime_ns;
  header.pid = static_cast<uint32_t>(pid_);
  std::string path = dir + "/" + trace::kEventsFileName;
  if (int err = writer_.Open(path.c_str(), header, options); err != 0) {
    *error = "cannot write " + path + ": " + std::strerror(err);
    return false;
  }
  return true;
}

bool RecordSession::Started(const std::string& listen_address, std::string* error) {
  listen_address_ = listen_address;
  return WriteMeta("recording", error);
}

bool RecordSession::Finish(const std::string& keyspace_digest, std::string* error) {
  digest_ = keyspace_digest;
  writer_.Close();
  stop_ = ReadClocks();
  return WriteMeta("complete", error);
}

bool RecordSession::Fail(const std::string& reason, std::string* error) {
  failure_ = reason;
  writer_.Close();
  stop_ = ReadClocks();
  return WriteMeta("failed", error);
}

bool RecordSession::WriteMeta(const char* status, std::string* error) {
  bool stopped = std::strcmp(status, "recording") != 0;
  using nlohmann::json;
  struct utsname un {};
  ::uname(&un);
  auto pair_json = [](const ClockPair& p) {
    return json{{"monotonic_ns", p.monotonic_ns},
                {"realtime_ns", p.realtime_ns},
                {"realtime", Iso8601Utc(p.realtime_ns)}};
  };
  const TraceWriterStats& s = writer_.stats();
  json by_kind = json::object();
  for (int k = 1; k <= trace::kMaxKind; k++)
    if (s.per_kind[k] > 0) by_kind[trace::KindName(static_cast<uint8_t>(k))] = s.per_kind[k];

  json meta;
  meta["bundle_format_version"] = kBundleFormatVersion;
  meta["status"] = status;
  if (!failure_.empty()) meta["failure"] = failure_;
  meta["reel_version"] = REEL_VERSION;
  meta["recorder"] = "reel-server --record";
  meta["host"] = {{"hostname", un.nodename},
                  {"kernel", un.sysname},
                  {"kernel_release", un.release},
                  {"machine", un.machine}};
  meta["pid"] = pid_;
  meta["command_line"] = command_line_;
  meta["listen_address"] = listen_address_;
  meta["event_log"] = {
      {"file", trace::kEventsFileName},
      {"format_version",
       std::to_string(trace::kMajorVersion) + "." + std::to_string(trace::kMinorVersion)},
      {"buffer_bytes", options_.buffer_bytes},
      {"flush_interval_ns", options_.flush_interval_ns},
  };
  meta["start"] = pair_json(start_);
  json pairs = json::array({pair_json(start_)});
  if (stopped) {
    meta["stop"] = pair_json(stop_);
    pairs.push_back(pair_json(stop_));
  }
  meta["clock_pairs"] = pairs;
  meta["records"] = {{"total", s.records},
                     {"dropped", s.records_dropped},
                     {"by_kind", by_kind},
                     {"bytes_written", s.bytes_written},
                     {"flushes", s.flushes}};
  meta["write_error"] = s.write_errno == 0 ? json(nullptr) : json(std::strerror(s.write_errno));
  if (!digest_.empty()) meta["final_keyspace_digest"] = digest_;
  return WriteFileAtomically(dir_ + "/" + kMetaFileName, meta.dump(2) + "\n", error);
}

}  // namespace reel
