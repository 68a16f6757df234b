#include "capture/preload/recorder.h"

#include <errno.h>
#include <fcntl.h>
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
  pthread_atfork(&Recorder::BeforeFork, &Recorder::AfterForkParent, &Recorder::AfterForkChild);
  active_.store(true, std::memory_order_relaxed);
}

bool Recorder::OpenLog() {
  char pid_text[32];
  snprintf(pid_text, sizeof pid_text, "%d", static_cast<int>(getpid()));
  int fd = -1;
  // First choice, then the per-process name when another process has it.
  for (int attempt = 0; attempt < 2 && fd < 0; attempt++) {
    log_path_[0] = '\0';
    bool fits = Append(log_path_, sizeof log_path_, base_path_);
    if (base_is_dir_) {
      if (attempt == 0) {
        fits = fits && Append(log_path_, sizeof log_path_, trace::kEventsFileName);
      } else {
        fits = fits && Append(log_path_, sizeof log_path_, "events.") &&
               Append(log_path_, sizeof log_path_, pid_text) &&
               Append(log_path_, sizeof log_path_, ".reel");
      }
      if (attempt == 0) {
        // The directory may not exist yet; 0700 like `reel capture` makes it.
        char d[sizeof base_path_];
        memcpy(d, base_path_, sizeof d);
        size_t n = strlen(d);
        if (n > 1) d[n - 1] = '\0';
        mkdir(d, 0700);
      }
    } else if (attempt == 1) {
      fits = fits && Append(log_path_, sizeof log_path_, ".") &&
             Append(log_path_, sizeof log_path_, pid_text);
    }
    if (!fits) {
      Disable("trace path too long", 0);
      return false;
    }
    struct stat st {};
    if (attempt == 0 && !base_is_dir_ && stat(log_path_, &st) == 0 && S_ISFIFO(st.st_mode)) {
      // A FIFO: stream the log to its reader (`reel capture --ring`).
      fd = open(log_path_, O_WRONLY | O_CLOEXEC);
      break;
    }
    fd = open(log_path_, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    Disable(log_path_, errno);
    return false;
  }
  start_mono_ns_ = ClockNs(CLOCK_MONOTONIC);
  start_real_ns_ = ClockNs(CLOCK_REALTIME);
  trace::Header header;
  header.start_mono_ns = start_mono_ns_;
  header.start_real_ns = start_real_ns_;
  header.pid = static_cast<uint32_t>(getpid());
  auto* w = new (std::nothrow) TraceWriter;
  if (w == nullptr) {
    close(fd);
    Disable("out of memory", ENOMEM);
    return false;
  }
  if (int err = w->OpenFd(fd, header, options_); err != 0) {
    delete w;
    Disable(log_path_, err);
    return false;
  }
  writer_ = w;
  return true;
}

void Recorder::Disable(const char* why, int err) {
  active_.store(false, std::memory_order_relaxed);
  // stdio may be unusable this early or late; one raw line on stderr.
  char line[4200];
  int n = snprintf(line, sizeof line, "reel-preload: recording off: %s%s%s\n", why, err ? ": " : "",
                   err ? strerror(err) : "");
  if (n > 0) {
    ssize_t ignored = write(2, line, static_cast<size_t>(n) < sizeof line ? n : sizeof line - 1);
    (void)ignored;
  }
}

void Recorder::FlushIfDue(int64_t now_ns) {
  Reentry guard;
  pthread_mutex_lock(&mu_);
  if (writer_ != nullptr && active_.load(std::memory_order_relaxed)) {
    writer_->FlushIfDue(now_ns);
    deadline_.store(writer_->flush_deadline_ns(), std::memory_order_relaxed);
  }
  pthread_mutex_unlock(&mu_);
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
  Reentry guard;
  pthread_mutex_lock(&mu_);
  if (!forked_child_ && writer_ != nullptr) {
    writer_->Close();
    WriteStatsFile(ClockNs(CLOCK_MONOTONIC), ClockNs(CLOCK_REALTIME));
  }
  // Calls made after this point (other threads still running during exit)
  // are forwarded unrecorded; the writer is kept so a late caller that read
  // active_ before this store finds a closed writer, not freed memory.
  active_.store(false, std::memory_order_relaxed);
  pthread_mutex_unlock(&mu_);
}

void Recorder::WriteStatsFile(int64_t stop_mono_ns, int64_t stop_real_ns) {
  char path[sizeof log_path_ + 16];
  snprintf(path, sizeof path, "%s.stats.json", log_path_);
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
  char text[4096];
  int n = snprintf(text, sizeof text,
                   "{\n  \"recorder\": \"libreel-preload.so\",\n  \"pid\": %d,\n"
                   "  \"log\": \"%s\",\n  \"start_monotonic_ns\": %" PRId64
                   ",\n  \"start_realtime_ns\": %" PRId64 ",\n  \"stop_monotonic_ns\": %" PRId64
                   ",\n  \"stop_realtime_ns\": %" PRId64 ",\n  \"records\": %" PRIu64
                   ",\n  \"records_dropped\": %" PRIu64 ",\n  \"bytes_written\": %" PRIu64
                   ",\n  \"flushes\": %" PRIu64
                   ",\n  \"buffer_bytes\": %zu,\n  \"flush_interval_ns\": %" PRId64
                   ",\n  \"write_error\": %s,\n  \"by_kind\": %s\n}\n",
                   static_cast<int>(getpid()), log_name, start_mono_ns_, start_real_ns_,
                   stop_mono_ns, stop_real_ns, s.records, s.records_dropped, s.bytes_written,
                   s.flushes, options_.buffer_bytes, options_.flush_interval_ns, err_text, by_kind);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof text) return;
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  ssize_t ignored = write(fd, text, static_cast<size_t>(n));
  (void)ignored;
  close(fd);
}

void Recorder::BeforeFork() {
  Recorder& r = Get();
  // Holding the mutex across fork guarantees no other thread is half-way
  // through an append in the child's copy of the buffer.
  if (r.active_.load(std::memory_order_relaxed)) pthread_mutex_lock(&r.mu_);
}

void Recorder::AfterForkParent() {
  Recorder& r = Get();
  if (r.active_.load(std::memory_order_relaxed)) pthread_mutex_unlock(&r.mu_);
}

void Recorder::AfterForkChild() {
  Recorder& r = Get();
  r.forked_child_ = true;
  r.active_.store(false, std::memory_order_relaxed);
  // The parent's thread that locked it does not exist here.
  pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
  r.mu_ = fresh;
}

}  // namespace reel::preload
