// Recorder: the shim's per-process state — one TraceWriter behind one mutex,
// the fd table, and the lifecycle around them (configuration from the
// environment, lazy log creation, failures, fork, exec, exit).
// docs/capture.md describes the behaviour for users; this header says how it
// is achieved.
//
//  * Configuration: REEL_TRACE_FILE=path or REEL_TRACE_DIR=dir (FILE wins).
//    Neither set: the shim forwards every call and records nothing.
//    REEL_TRACE_BUFFER_KB and REEL_TRACE_FLUSH_MS tune the writer.
//  * The log is created on the first recorded call, not at load time, so a
//    wrapper process (sh -c, env, a launcher script) that never touches a
//    socket or epoll leaves no file behind. It is created with O_EXCL and
//    mode 0600 (the directory 0700): the first process takes dir/events.reel
//    (or path); any other process that loads the shim (an exec'd program)
//    takes dir/events.<pid>.reel (or path.<pid>, then .<pid>-2 ...): one log
//    per process image, never two writers on one file. The log's fd is moved
//    to a high number so the host's own fds are numbered as without the shim.
//    REEL_TRACE_FILE may name an existing FIFO: the log is then streamed to
//    its reader (reel capture --ring); only one process may do that.
//  * Failures never reach the host: if the log cannot be created, its buffer
//    cannot be allocated, a write fails or the log is removed, the shim
//    prints one line on stderr, stops writing and keeps counting every call
//    it does not record (same lock, no I/O). <log>.stats.json reports the
//    loss; it is written into a file reserved (fallocate) when the log was
//    created, so a full disk still gets it; if it cannot be written at all,
//    one more line on stderr gives the counts.
//  * Thread safety: one mutex serialises every append (TraceWriter is not
//    thread-safe). The blocking call itself always runs outside the mutex.
//  * Re-entrancy: TraceWriter calls write(2)/fsync/close, which resolve to
//    the shim's own wrappers; a thread-local flag makes those forward
//    without recording (and without taking the mutex again). The same flag
//    makes a signal handler that interrupts the shim forward its calls.
//  * fork: the child does not record. The atfork handlers hold the mutex
//    across fork; the child's copy of the buffer is discarded, never
//    written, so the parent's log gets no duplicate or torn records.
//  * exec: the mutex is held across the exec call after a flush and a
//    statistics file, so a successful exec loses no record and leaves a
//    complete log; the log fd is close-on-exec. A failed exec resumes.
//  * exit: a library destructor closes the log (flush + fsync) and writes a
//    small statistics file beside it, <log>.stats.json.
#pragma once

#include <pthread.h>
#include <sys/types.h>

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
  // timestamps never go backwards in sequence order. After a failure the
  // writer no longer writes but still counts what fn appends as dropped.
  template <class Fn>
  void Record(Fn&& fn) {
    Reentry guard;
    pthread_mutex_lock(&mu_);
    if (active_.load(std::memory_order_relaxed)) {
      if (writer_ == nullptr) OpenLog();
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
  // FlushIfDue preserves errno.
  int64_t FlushDeadline() const { return deadline_.load(std::memory_order_relaxed); }
  void FlushIfDue(int64_t now_ns);

  // A scratch array of n entries for converting epoll_wait results; only
  // valid under the mutex (inside Record). nullptr if allocation fails.
  EpollEvent* Scratch(size_t n);

  // Around an exec* call (errno preserved): BeforeExec flushes the log,
  // writes the statistics file and keeps the mutex (and sets the
  // re-entrancy flag) until AfterFailedExec, which runs only if the exec
  // returned.
  struct ExecToken {
    bool saved_in_shim = false;
    bool locked = false;
  };
  ExecToken BeforeExec();
  void AfterFailedExec(const ExecToken& token);

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
  // Creates the writer and, if it can, the log file. Mutex held. A failure
  // prints one line and leaves a writer that counts drops.
  void OpenLog();
  // Opens the first free log name; fills log_path_. -1 with *err on failure.
  int CreateLogFile(int* err);
  // Creates <log>.stats.json.tmp with room reserved for the statistics.
  void ReserveStatsFile();
  // Writes <log>.stats.json (ended_by: "exit" or "exec"). 0 or errno.
  int WriteStatsFile(const char* ended_by);
  static void OnWriterStopped(void* recorder, int err);
  // One line on stderr: "reel-preload: pid N: " + text.
  void Say(const char* text);
  void Disable(const char* why, int err);
  bool IsOwner() const;

  pthread_mutex_t mu_ = PTHREAD_MUTEX_INITIALIZER;
  std::atomic<bool> active_{false};
  std::atomic<int64_t> deadline_{INT64_MAX};  // the writer's, after the last append
  bool forked_child_ = false;
  bool fork_locked_ = false;  // BeforeFork took the mutex
  // Constructed in place on first use and never destroyed: no allocation
  // that could fail, and a forked child never runs its destructor.
  alignas(TraceWriter) unsigned char writer_storage_[sizeof(TraceWriter)] = {};
  TraceWriter* writer_ = nullptr;
  pid_t owner_pid_ = 0;  // the process that created the log
  TraceWriterOptions options_;
  char base_path_[4096] = {};  // REEL_TRACE_FILE, or REEL_TRACE_DIR/events.reel
  bool base_is_dir_ = false;
  char log_path_[4096] = {};     // the file actually opened
  char stop_reason_[4200] = {};  // why recording stopped ("" while it runs)
  int64_t start_mono_ns_ = 0, start_real_ns_ = 0;
  EpollEvent* scratch_ = nullptr;
  size_t scratch_cap_ = 0;
  FdTable fds_;
};

}  // namespace reel::preload
