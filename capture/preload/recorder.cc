#include "capture/preload/recorder.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "capture/preload/real_libc.h"
#include "capture/trace_format.h"

namespace reel::preload {

thread_local bool t_in_shim __attribute__((tls_model("initial-exec"))) = false;

namespace {

constinit Recorder g_recorder;

// Room reserved for <log>.stats.json (it is about 1 KiB).
constexpr off_t kStatsReserve = 8192;
// The log's fd goes at or above this (or 3/4 of RLIMIT_NOFILE if lower).
constexpr int kHighFd = 1000;

int64_t ClockNs(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// A positive integer from the environment, or fallback.
int64_t EnvInt(const char* name, int64_t fallback) {
  const char* s = getenv(name);
  if (s == nullptr || *s == '\0') return fallback;
  char* end = nullptr;
  long long v = strtoll(s, &end, 10);
  return (end != nullptr && *end == '\0' && v > 0) ? v : fallback;
}

// Appends s to the fixed-size buffer; false if it does not fit.
bool Append(char* buf, size_t cap, const char* s) {
  size_t used = strlen(buf), n = strlen(s);
  if (used + n + 1 > cap) return false;
  memcpy(buf + used, s, n + 1);
  return true;
}

// Appends s as a JSON string literal (quotes and escapes included).
bool AppendJsonString(char* buf, size_t cap, const char* s) {
  if (!Append(buf, cap, "\"")) return false;
  for (; *s != '\0'; s++) {
    char esc[8] = {*s, '\0'};
    unsigned char c = static_cast<unsigned char>(*s);
    if (c == '"' || c == '\\')
      snprintf(esc, sizeof esc, "\\%c", c);
    else if (c < 0x20)
      snprintf(esc, sizeof esc, "\\u%04x", c);
    if (!Append(buf, cap, esc)) return false;
  }
  return Append(buf, cap, "\"");
}

// Moves fd above the numbers the host program would use, so the shim's log
// does not shift the host's fd numbering (visible in its logs and in the
// recording). Keeps fd where it is if that fails.
int MoveFdHigh(int fd) {
  struct rlimit lim {};
  int floor = kHighFd;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
      lim.rlim_cur - lim.rlim_cur / 4 < static_cast<rlim_t>(floor))
    floor = static_cast<int>(lim.rlim_cur - lim.rlim_cur / 4);
  if (fd >= floor) return fd;
  int high = fcntl(fd, F_DUPFD_CLOEXEC, floor);
  if (high < 0) return fd;
  close(fd);
  return high;
}

}  // namespace

int64_t MonotonicNs() {
  return ClockNs(CLOCK_MONOTONIC);
}

Recorder& Recorder::Get() {
  return g_recorder;
}

void Recorder::Init() {
  const char* file = getenv("REEL_TRACE_FILE");
  const char* dir = getenv("REEL_TRACE_DIR");
  if (file != nullptr && *file != '\0') {
    if (!Append(base_path_, sizeof base_path_, file)) return Disable("REEL_TRACE_FILE too long", 0);
    base_is_dir_ = false;
  } else if (dir != nullptr && *dir != '\0') {
    if (!Append(base_path_, sizeof base_path_, dir) || !Append(base_path_, sizeof base_path_, "/"))
      return Disable("REEL_TRACE_DIR too long", 0);
    base_is_dir_ = true;
  } else {
    return;  // not configured: forward only
  }
  options_.buffer_bytes = static_cast<size_t>(EnvInt("REEL_TRACE_BUFFER_KB", 256)) * 1024;
  options_.flush_interval_ns = EnvInt("REEL_TRACE_FLUSH_MS", 50) * 1000000;
  options_.on_stop = &Recorder::OnWriterStopped;
  options_.on_stop_context = this;
  pthread_atfork(&Recorder::BeforeFork, &Recorder::AfterForkParent, &Recorder::AfterForkChild);
  active_.store(true, std::memory_order_relaxed);
}

bool Recorder::IsOwner() const {
  // A vfork child shares our memory but has its own pid.
  return writer_ != nullptr && !forked_child_ && getpid() == owner_pid_;
}

int Recorder::CreateLogFile(int* err) {
  char pid_text[32];
  snprintf(pid_text, sizeof pid_text, "%d", static_cast<int>(getpid()));
  if (base_is_dir_) {
    // The directory may not exist yet; 0700 like `reel capture` makes it.
    char d[sizeof base_path_];
    memcpy(d, base_path_, sizeof d);
    size_t n = strlen(d);
    if (n > 1) d[n - 1] = '\0';
    mkdir(d, 0700);
  }
  // events.reel (or path) first; then per-process names, in case another
  // process (or this pid's previous image, before an exec) holds one.
  for (int attempt = 0; attempt < 10; attempt++) {
    log_path_[0] = '\0';
    bool fits = Append(log_path_, sizeof log_path_, base_path_);
    if (base_is_dir_)
      fits = fits && Append(log_path_, sizeof log_path_, attempt == 0 ? "events" : "events.");
    else if (attempt > 0)
      fits = fits && Append(log_path_, sizeof log_path_, ".");
    if (attempt > 0) fits = fits && Append(log_path_, sizeof log_path_, pid_text);
    if (attempt > 1) {
      char suffix[16];
      snprintf(suffix, sizeof suffix, "-%d", attempt);
      fits = fits && Append(log_path_, sizeof log_path_, suffix);
    }
    if (base_is_dir_) fits = fits && Append(log_path_, sizeof log_path_, ".reel");
    if (!fits) {
      *err = ENAMETOOLONG;
      return -1;
    }
    struct stat st {};
    if (attempt == 0 && !base_is_dir_ && stat(log_path_, &st) == 0 && S_ISFIFO(st.st_mode)) {
      // A FIFO: stream the log to its reader (`reel capture --ring`).
      int fd = open(log_path_, O_WRONLY | O_CLOEXEC);
      if (fd < 0) *err = errno;
      return fd;
    }
    int fd = open(log_path_, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0 || errno != EEXIST) {
      if (fd < 0) *err = errno;
      return fd;
    }
  }
  *err = EEXIST;
  return -1;
}

void Recorder::OpenLog() {
  writer_ = new (writer_storage_) TraceWriter;
  owner_pid_ = getpid();
  start_mono_ns_ = ClockNs(CLOCK_MONOTONIC);
  start_real_ns_ = ClockNs(CLOCK_REALTIME);
  int err = 0;
  int fd = CreateLogFile(&err);
  if (fd < 0) {
    writer_->MarkUnavailable(err);
    snprintf(stop_reason_, sizeof stop_reason_, "cannot create %s: %s", log_path_, strerror(err));
  } else {
    fd = MoveFdHigh(fd);
    trace::Header header;
    header.start_mono_ns = start_mono_ns_;
    header.start_real_ns = start_real_ns_;
    header.pid = static_cast<uint32_t>(owner_pid_);
    err = writer_->OpenFd(fd, header, options_);
    if (err == ENOMEM)
      snprintf(stop_reason_, sizeof stop_reason_, "cannot allocate the %zu KiB event buffer: %s",
               options_.buffer_bytes / 1024, strerror(err));
    else if (err != 0)
      snprintf(stop_reason_, sizeof stop_reason_, "cannot write %s: %s", log_path_, strerror(err));
    ReserveStatsFile();
  }
  if (stop_reason_[0] != '\0') {
    char line[sizeof stop_reason_ + 128];
    snprintf(line, sizeof line,
             "recording failed: %s; the process runs unrecorded and counts the events it does "
             "not record",
             stop_reason_);
    Say(line);
  }
}

void Recorder::OnWriterStopped(void* recorder, int err) {
  auto* self = static_cast<Recorder*>(recorder);
  if (self->stop_reason_[0] != '\0') return;
  if (self->writer_->stats().log_removed)
    snprintf(self->stop_reason_, sizeof self->stop_reason_, "%s was removed while recording",
             self->log_path_);
  else
    snprintf(self->stop_reason_, sizeof self->stop_reason_, "cannot write %s: %s", self->log_path_,
             strerror(err));
  char line[sizeof self->stop_reason_ + 160];
  snprintf(line, sizeof line,
           "recording stopped after %" PRIu64
           " events: %s; the process keeps running and counts the events it does not record",
           self->writer_->stats().records_written, self->stop_reason_);
  self->Say(line);
}

void Recorder::Say(const char* text) {
  // stdio may be unusable this early or late; one raw line on stderr.
  char line[8400];
  int n =
      snprintf(line, sizeof line, "reel-preload: pid %d: %s\n", static_cast<int>(getpid()), text);
  if (n > 0) {
    ssize_t ignored = write(2, line, static_cast<size_t>(n) < sizeof line ? n : sizeof line - 1);
    (void)ignored;
  }
}

void Recorder::Disable(const char* why, int err) {
  active_.store(false, std::memory_order_relaxed);
  char line[4200];
  snprintf(line, sizeof line, "recording off: %s%s%s", why, err ? ": " : "",
           err ? strerror(err) : "");
  Say(line);
}

void Recorder::FlushIfDue(int64_t now_ns) {
  int saved_errno = errno;
  {
    Reentry guard;
    pthread_mutex_lock(&mu_);
    if (writer_ != nullptr && active_.load(std::memory_order_relaxed)) {
      writer_->FlushIfDue(now_ns);
      deadline_.store(writer_->flush_deadline_ns(), std::memory_order_relaxed);
    }
    pthread_mutex_unlock(&mu_);
  }
  errno = saved_errno;
}

EpollEvent* Recorder::Scratch(size_t n) {
  if (n > scratch_cap_) {
    void* p = realloc(scratch_, n * sizeof(EpollEvent));
    if (p == nullptr) return nullptr;
    scratch_ = static_cast<EpollEvent*>(p);
    scratch_cap_ = n;
  }
  return scratch_;
}

void Recorder::Finish() {
  int saved_errno = errno;
  {
    Reentry guard;
    pthread_mutex_lock(&mu_);
    if (IsOwner() && active_.load(std::memory_order_relaxed)) {
      writer_->Close();
      if (int err = WriteStatsFile("exit"); err != 0) {
        const TraceWriterStats& s = writer_->stats();
        char line[sizeof log_path_ + sizeof stop_reason_ + 256];
        snprintf(line, sizeof line,
                 "cannot write %s.stats.json: %s; %" PRIu64 " of %" PRIu64
                 " events were not recorded%s%s",
                 log_path_, strerror(err), s.records - s.records_written, s.records,
                 stop_reason_[0] ? " (" : "", stop_reason_);
        if (stop_reason_[0]) Append(line, sizeof line, ")");
        Say(line);
      }
    }
    // Calls made after this point (other threads still running during
    // exit) are forwarded unrecorded; the writer is kept so a late caller
    // that read active_ before this store finds a closed writer.
    active_.store(false, std::memory_order_relaxed);
    pthread_mutex_unlock(&mu_);
  }
  errno = saved_errno;
}

void Recorder::ReserveStatsFile() {
  char path[sizeof log_path_ + 32];
  snprintf(path, sizeof path, "%s.stats.json.tmp", log_path_);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, kStatsReserve);  // best effort
  close(fd);
}

int Recorder::WriteStatsFile(const char* ended_by) {
  const TraceWriterStats& s = writer_->stats();
  const char* log_name = strrchr(log_path_, '/');
  log_name = log_name ? log_name + 1 : log_path_;
  char by_kind[2048] = "{";
  for (int k = 1; k <= trace::kMaxKind; k++) {
    if (s.per_kind[k] == 0) continue;
    char item[64];
    snprintf(item, sizeof item, "%s\"%s\": %" PRIu64, by_kind[1] ? ", " : "",
             trace::KindName(static_cast<uint8_t>(k)), s.per_kind[k]);
    Append(by_kind, sizeof by_kind, item);
  }
  Append(by_kind, sizeof by_kind, "}");
  char err_text[160] = "null";
  if (s.write_errno != 0) snprintf(err_text, sizeof err_text, "\"%s\"", strerror(s.write_errno));
  char stopped[sizeof stop_reason_ * 2 + 160] = "null";
  if (stop_reason_[0] != '\0') {
    snprintf(stopped, sizeof stopped, "{\"reason\": ");
    AppendJsonString(stopped, sizeof stopped, stop_reason_);
    char rest[96];
    snprintf(rest, sizeof rest,
             ", \"monotonic_ns\": %" PRId64 ", \"records_written\": %" PRIu64 "}",
             s.stopped_at_ns != 0 ? s.stopped_at_ns : start_mono_ns_, s.records_written);
    Append(stopped, sizeof stopped, rest);
  }
  char log_json[sizeof log_path_ * 2];
  log_json[0] = '\0';
  AppendJsonString(log_json, sizeof log_json, log_name);
  char text[16384];
  int n =
      snprintf(text, sizeof text,
               "{\n  \"recorder\": \"libreel-preload.so\",\n  \"pid\": %d,\n"
               "  \"log\": %s,\n  \"ended_by\": \"%s\",\n  \"start_monotonic_ns\": %" PRId64
               ",\n  \"start_realtime_ns\": %" PRId64 ",\n  \"stop_monotonic_ns\": %" PRId64
               ",\n  \"stop_realtime_ns\": %" PRId64 ",\n  \"records\": %" PRIu64
               ",\n  \"records_written\": %" PRIu64 ",\n  \"records_dropped\": %" PRIu64
               ",\n  \"bytes_written\": %" PRIu64 ",\n  \"flushes\": %" PRIu64
               ",\n  \"buffer_bytes\": %zu,\n  \"flush_interval_ns\": %" PRId64
               ",\n  \"write_error\": %s,\n  \"recording_stopped\": %s,\n  \"by_kind\": %s\n}\n",
               static_cast<int>(owner_pid_), log_json, ended_by, start_mono_ns_, start_real_ns_,
               ClockNs(CLOCK_MONOTONIC), ClockNs(CLOCK_REALTIME), s.records, s.records_written,
               s.records_dropped, s.bytes_written, s.flushes, options_.buffer_bytes,
               options_.flush_interval_ns, err_text, stopped, by_kind);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof text) return EOVERFLOW;
  char path[sizeof log_path_ + 32], tmp[sizeof log_path_ + 32];
  snprintf(path, sizeof path, "%s.stats.json", log_path_);
  snprintf(tmp, sizeof tmp, "%s.stats.json.tmp", log_path_);
  // Into the file reserved at log creation (no O_TRUNC: that would release
  // the reservation), then renamed: a full disk still takes it.
  int fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  int err = 0;
  for (size_t done = 0; done < static_cast<size_t>(n) && err == 0;) {
    ssize_t w = pwrite(fd, text + done, static_cast<size_t>(n) - done, static_cast<off_t>(done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0)
      err = w < 0 ? errno : EIO;
    else
      done += static_cast<size_t>(w);
  }
  if (err == 0 && ftruncate(fd, n) != 0) err = errno;
  close(fd);
  if (err == 0 && rename(tmp, path) != 0) err = errno;
  if (err != 0) unlink(tmp);
  return err;
}

Recorder::ExecToken Recorder::BeforeExec() {
  int saved_errno = errno;
  ExecToken token;
  token.saved_in_shim = t_in_shim;
  t_in_shim = true;  // a signal handler during the exec must not lock again
  if (active_.load(std::memory_order_relaxed)) {
    pthread_mutex_lock(&mu_);
    if (IsOwner()) {
      token.locked = true;
      writer_->Flush();
      WriteStatsFile("exec");
    } else {
      pthread_mutex_unlock(&mu_);  // no log yet, or a vfork child's: not ours
    }
  }
  errno = saved_errno;
  return token;
}

void Recorder::AfterFailedExec(const ExecToken& token) {
  int saved_errno = errno;
  if (token.locked) {
    ReserveStatsFile();  // the exec's statistics file used the reservation
    pthread_mutex_unlock(&mu_);
  }
  t_in_shim = token.saved_in_shim;
  errno = saved_errno;
}

void Recorder::BeforeFork() {
  Recorder& r = Get();
  // Holding the mutex across fork guarantees no other thread is half-way
  // through an append in the child's copy of the buffer.
  if (r.active_.load(std::memory_order_relaxed)) {
    pthread_mutex_lock(&r.mu_);
    r.fork_locked_ = true;
  }
}

void Recorder::AfterForkParent() {
  Recorder& r = Get();
  if (r.fork_locked_) {
    r.fork_locked_ = false;
    pthread_mutex_unlock(&r.mu_);
  }
}

void Recorder::AfterForkChild() {
  Recorder& r = Get();
  r.forked_child_ = true;
  r.fork_locked_ = false;
  r.active_.store(false, std::memory_order_relaxed);
  // The parent's thread that locked it does not exist here.
  pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
  r.mu_ = fresh;
}

}  // namespace reel::preload
