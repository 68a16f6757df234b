// Recorder: the shim's per-process state — one TraceWriter behind one mutex,
// the fd table, and the lifecycle around them (configuration from the
// environment, lazy log creation, fork, exit). docs/capture.md describes the
// behaviour for users; this header says how it is achieved.
//
//  * Configuration: REEL_TRACE_FILE=path or REEL_TRACE_DIR=dir (FILE wins).
//    Neither set: the shim forwards every call and records nothing.
//    REEL_TRACE_BUFFER_KB and REEL_TRACE_FLUSH_MS tune the writer.
//  * The log is created on the first recorded call, not at load time, so a
//    wrapper process (sh -c, env, a launcher script) that never touches a
//    socket or epoll leaves no file behind. It is created with O_EXCL and
//    mode 0600: the first process takes dir/events.reel (or path); any other
//    process that loads the shim (an exec'd child) takes
//    dir/events.<pid>.reel (or path.<pid>): one log per process, never two
//    writers on one file.
//    REEL_TRACE_FILE may name an existing FIFO: the log is then streamed to
//    its reader (reel capture --ring); only one process may do that.
//  * Thread safety: one mutex serialises every append (TraceWriter is not
//    thread-safe). The blocking call itself always runs outside the mutex.
//  * Re-entrancy: TraceWriter calls write(2)/fsync/close, which resolve to
//    the shim's own wrappers; a thread-local flag makes those forward
//    without recording (and without taking the mutex again).
//  * fork: the child stops recording. Its copy of the buffer is discarded,
//    never written, so the parent's log gets no duplicate records.
//  * exit: a library destructor closes the log (flush + fsync) and writes a
//    small statistics file beside it, <log>.stats.json.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>

#include "capture/preload/fd_table.h"
#include "capture/trace_writer.h"
#include "core/kernel.h"

namespace reel::preload {

// True while this thread is inside the shim's own code.
extern thread_local bool t_in_shim __attribute__((tls_model("initial-exec")));

// CLOCK_MONOTONIC in ns, through the vDSO.
int64_t MonotonicNs();

class Recorder {
 public:
  // The process's recorder (static storage, usable before constructors ran).
  static Recorder& Get();

  // Reads the environment; registers the fork handlers. Called once from
  // the shim's constructor.
  void Init();
  // Closes the log and writes the statistics file. From the destructor.
  void Finish();

  // Cheap check made before recording anything: configured, not closed,
  // not a forked child, and not re-entered from the shim itself.
  bool ShouldRecord() const { return active_.load(std::memory_order_relaxed) && !t_in_shim; }

  FdTable& fds() { return fds_; }

  // Runs fn(writer, now_ns) under the mutex if recording is still on,
  // creating the log on first use. now_ns is read under the mutex so record
  // timestamps never go backwards in sequence order.
  template <class Fn>
  void Record(Fn&& fn) {
    Reentry guard;
    pthread_mutex_lock(&mu_);
    if (active_.load(std::memory_order_relaxed) && (writer_ != nullptr || OpenLog())) {
      fn(*writer_, MonotonicNs());
      deadline_.store(writer_->flush_deadline_ns(), std::memory_order_relaxed);
    }
    pthread_mutex_unlock(&mu_);
  }

  // The writer's flush deadline (INT64_MAX when nothing is buffered), and a
  // flush if it is due: an epoll_wait that would block past the deadline is
  // split around a flush, as RecordingKernel does. FlushDeadline is a
  // lock-free read of the value the last append or flush left: another
  // thread's append can only keep the true deadline or make it later.
  int64_t FlushDeadline() const { return deadline_.load(std::memory_order_relaxed); }
  void FlushIfDue(int64_t now_ns);

  // A scratch array of n entries for converting epoll_wait results; only
  // valid under the mutex (inside Record). nullptr if allocation fails.
  EpollEvent* Scratch(size_t n);

  // pthread_atfork handlers.
  static void BeforeFork();
  static void AfterForkParent();
  static void AfterForkChild();

 private:
  struct Reentry {
    bool saved = t_in_shim;
    Reentry() { t_in_shim = true; }
    ~Reentry() { t_in_shim = saved; }
  };
  // Creates the log file and the writer. Mutex held. On failure prints one
  // line to stderr and turns recording off.
  bool OpenLog();
  void WriteStatsFile(int64_t stop_mono_ns, int64_t stop_real_ns);
  void Disable(const char* why, int err);

  pthread_mutex_t mu_ = PTHREAD_MUTEX_INITIALIZER;
  std::atomic<bool> active_{false};
  std::atomic<int64_t> deadline_{INT64_MAX};  // the writer's, after the last append
  bool forked_child_ = false;
  TraceWriter* writer_ = nullptr;  // heap: a forked child must never run its destructor
  TraceWriterOptions options_;
  char base_path_[4096] = {};  // REEL_TRACE_FILE, or REEL_TRACE_DIR/events.reel
  bool base_is_dir_ = false;
  char log_path_[4096] = {};  // the file actually opened
  int64_t start_mono_ns_ = 0, start_real_ns_ = 0;
  EpollEvent* scratch_ = nullptr;
  size_t scratch_cap_ = 0;
  FdTable fds_;
};

}  // namespace reel::preload
