#include "capture/record_session.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
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

// Room kept in each bundle file written by WriteBundleFile for a later
// rewrite in place: a final meta.json (reel capture adds its keys) fits.
constexpr off_t kBundleFileReserve = 16 * 1024;

// pwrite of all of text at offset 0; 0 or errno.
int WriteAllAt(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t w = ::pwrite(fd, text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return w < 0 ? errno : EIO;
    done += static_cast<size_t>(w);
  }
  return 0;
}

void Reserve(int fd, size_t text_size) {
  // Best effort: a file system without fallocate, or a full one, simply
  // gets no reservation.
  ::fallocate(fd, FALLOC_FL_KEEP_SIZE, 0,
              std::max<off_t>(kBundleFileReserve, static_cast<off_t>(text_size)));
}

// Rewrites an existing file in place (no new file, so no new inode; within
// the reserved blocks, no new space). 0 or errno.
int OverwriteInPlace(const std::string& path, const std::string& text, bool fsync_file) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = WriteAllAt(fd, text);
  if (err == 0 && ::ftruncate(fd, static_cast<off_t>(text.size())) != 0) err = errno;
  if (err == 0) Reserve(fd, text.size());  // truncation released the tail
  if (err == 0 && fsync_file && ::fsync(fd) != 0) err = errno;
  ::close(fd);
  return err;
}

// A positive integer from the environment, or 0.
int64_t EnvPositive(const char* name) {
  const char* s = std::getenv(name);
  if (s == nullptr || *s == '\0') return 0;
  char* end = nullptr;
  long long v = std::strtoll(s, &end, 10);
  return end != nullptr && *end == '\0' && v > 0 ? v : 0;
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
  if (int64_t kb = EnvPositive("REEL_TRACE_BUFFER_KB"); kb > 0)
    options_.buffer_bytes = static_cast<size_t>(kb) * 1024;
  if (int64_t ms = EnvPositive("REEL_TRACE_FLUSH_MS"); ms > 0)
    options_.flush_interval_ns = ms * 1000000;
  options_.on_stop = &RecordSession::OnWriterStopped;
  options_.on_stop_context = this;
  start_ = ReadClocks();
  pid_ = clock.ProcessId();
  if (dir.empty()) {
    *error = "--record needs a directory";
    return false;
  }
  std::string why;
  struct stat st {};
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    int err = errno;
    writer_.MarkUnavailable(err);
    why = "cannot create " + dir + ": " + std::strerror(err);
  } else if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    writer_.MarkUnavailable(ENOTDIR);
    why = dir + " is not a directory";
  } else {
    dir_usable_ = true;
    trace::Header header;
    header.start_mono_ns = start_.monotonic_ns;
    header.start_real_ns = start_.realtime_ns;
    header.pid = static_cast<uint32_t>(pid_);
    std::string path = dir + "/" + trace::kEventsFileName;
    if (int err = writer_.Open(path.c_str(), header, options_); err == ENOMEM) {
      why = "cannot allocate the " + std::to_string(options_.buffer_bytes / 1024) +
            " KiB event buffer: " + std::strerror(err);
    } else if (err != 0) {
      why = "cannot write " + path + ": " + std::strerror(err);
    }
  }
  if (!why.empty()) {
    stop_reason_ = why;
    std::fprintf(stderr,
                 "reel-server: recording failed: %s; the server runs unrecorded and counts the "
                 "events it does not record\n",
                 why.c_str());
  }
  return true;
}

void RecordSession::OnWriterStopped(void* session, int err) {
  auto* self = static_cast<RecordSession*>(session);
  std::string log = self->dir_ + "/" + trace::kEventsFileName;
  self->StopRecording(self->writer_.stats().log_removed
                          ? log + " was removed while recording"
                          : "cannot write " + log + ": " + std::strerror(err));
}

void RecordSession::StopRecording(const std::string& reason) {
  if (!stop_reason_.empty()) return;
  stop_reason_ = reason;
  // The loss goes into meta.json now, so a bundle whose server is killed
  // later still shows it; the final meta.json repeats it with full counts.
  std::string meta_note;
  if (started_) {
    std::string error;
    meta_note = WriteMeta("recording", &error) ? " (noted in meta.json)"
                                               : " (meta.json not updated: " + error + ")";
  }
  std::fprintf(stderr,
               "reel-server: recording stopped after %llu events: %s; the server keeps running "
               "and counts the events it does not record%s\n",
               static_cast<unsigned long long>(writer_.stats().records_written), reason.c_str(),
               meta_note.c_str());
}

bool RecordSession::Started(const std::string& listen_address, std::string* error) {
  listen_address_ = listen_address;
  started_ = true;
  // Without a directory the failure line of Open already said it all.
  return WriteMeta("recording", error) || !dir_usable_;
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
  meta["records"] = {
      {"total", s.records}, {"written", s.records_written},     {"dropped", s.records_dropped},
      {"by_kind", by_kind}, {"bytes_written", s.bytes_written}, {"flushes", s.flushes}};
  meta["write_error"] = s.write_errno == 0 ? json(nullptr) : json(std::strerror(s.write_errno));
  meta["recording_stopped"] = nullptr;
  if (!stop_reason_.empty()) {
    meta["recording_stopped"] = {
        {"reason", stop_reason_},
        {"monotonic_ns", s.stopped_at_ns != 0 ? s.stopped_at_ns : start_.monotonic_ns},
        {"records_written", s.records_written}};
  }
  if (!digest_.empty()) meta["final_keyspace_digest"] = digest_;
  return WriteBundleFile(dir_ + "/" + kMetaFileName, meta.dump(2) + "\n", false, error);
}

bool WriteBundleFile(const std::string& path, const std::string& text, bool fsync_file,
                     std::string* error) {
  std::string tmp = path + ".tmp";
  int err = 0;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    err = errno;
  } else {
    Reserve(fd, text.size());
    err = WriteAllAt(fd, text);
    if (err == 0 && fsync_file && ::fsync(fd) != 0) err = errno;
    if (::close(fd) != 0 && err == 0) err = errno;
    if (err == 0 && ::rename(tmp.c_str(), path.c_str()) == 0) return true;
    if (err == 0) err = errno;
    ::unlink(tmp.c_str());
  }
  // A full disk: the previous version's reserved blocks still have room.
  if ((err == ENOSPC || err == EDQUOT) && OverwriteInPlace(path, text, fsync_file) == 0)
    return true;
  *error = "cannot write " + path + ": " + std::strerror(err);
  return false;
}

}  // namespace reel
