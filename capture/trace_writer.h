// TraceWriter: appends event-log records (docs/trace-format.md) to a file
// through an in-memory buffer.
//
// Flush policy (what a SIGKILL can lose): records are encoded into a buffer
// and handed to write(2) — after which they survive the death of the process —
// when
//   * the next record would not fit in the buffer (buffer_bytes),
//   * a record is appended and the oldest record still in the buffer is at
//     least flush_interval_ns older than it,
//   * FlushIfDue() finds the oldest buffered record past its flush deadline
//     (RecordingKernel splits a long epoll_wait or sleep at the deadline and
//     flushes there, so an idle server does not hold records back),
//   * Flush() or Close() is called (Close also fsyncs).
// So a SIGKILL loses at most the records of the last flush interval (plus,
// if the server computes for longer than that without any Kernel call, the
// records since its last call), never more than one buffer's worth; the
// reader detects the torn record at the end.
//
// Errors: a failed write (ENOSPC, EFBIG, EIO, EPIPE, ...) never crashes,
// retries or blocks the caller. The writer stops writing for good, and every
// record that was in the buffer or is appended later is counted in
// stats().records_dropped — except the whole records a short write put in
// the file before the error, which count as written (the reader finds them). Before each write it
// also checks that the log is still linked (fstat st_nlink): a log whose file or bundle directory
// was removed stops the writer the same way (write_errno ENOENT, log_removed) instead of filling an
// unlinked file. options.on_stop is called once when the writer stops. Each write runs with SIGPIPE
// and SIGXFSZ blocked in the calling thread, and a signal the write itself raised is consumed: a
// log on a FIFO whose reader died, or past RLIMIT_FSIZE, yields EPIPE/EFBIG instead of killing the
// process, and the process's signal dispositions are never changed (the LD_PRELOAD shim must not
// alter its host's behaviour). If the buffer cannot be allocated, Open writes the header anyway (a
// valid empty log), stops and returns ENOMEM; records are then counted as dropped.
//
// Built for reuse by the LD_PRELOAD shim: no exceptions, no allocation after
// Open() except for a single record larger than the whole buffer, and no
// locking — a multi-threaded caller serialises Append calls itself.
#pragma once

#include <cstddef>
#include <cstdint>

#include "capture/trace_format.h"
#include "core/kernel.h"
#include "core/sock_addr.h"

namespace reel {

struct TraceWriterOptions {
  size_t buffer_bytes = 256 * 1024;
  int64_t flush_interval_ns = 50'000'000;  // 50 ms
  // Called once, from inside the append/flush/close that hit the error, when
  // an open writer stops (not for an Open failure: Open returns it). err is
  // the errno (ENOENT when the log was removed). It must not append records.
  void (*on_stop)(void* context, int err) = nullptr;
  void* on_stop_context = nullptr;
};

struct TraceWriterStats {
  uint64_t records = 0;          // records appended, written or dropped (= last seq)
  uint64_t records_dropped = 0;  // records lost to a write error or a closed writer
  uint64_t bytes_written = 0;    // bytes that reached the file, header included
  uint64_t flushes = 0;
  uint64_t records_written = 0;  // records whose bytes write(2) accepted in full
  // The error that stopped the writer or made Open fail; 0 if none.
  int write_errno = 0;
  bool log_removed = false;                     // stopped because the log file was unlinked
  int64_t stopped_at_ns = 0;                    // time of the last record appended before the stop
  uint64_t per_kind[trace::kMaxKind + 1] = {};  // appended records by kind
};

class TraceWriter {
 public:
  TraceWriter() = default;
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  // Creates or truncates path (mode 0600) and writes the header
  // synchronously, so even a log whose process dies at once is a valid
  // (empty) log. Returns 0 or errno (also kept in stats().write_errno).
  int Open(const char* path, const trace::Header& header, const TraceWriterOptions& options = {});
  // Same on an fd opened for writing; the writer owns it from now on.
  int OpenFd(int fd, const trace::Header& header, const TraceWriterOptions& options = {});

  // One method per record kind. ts_ns is the CLOCK_MONOTONIC time the call
  // returned; the fields are documented in docs/trace-format.md.
  void EpollCreate(int64_t ts_ns, int flags, SysResult r);
  void EpollCtl(int64_t ts_ns, int epfd, int op, int fd, uint32_t events, uint64_t data,
                SysResult r);
  // events[0..r.value) is the returned array (only read when r.ok()).
  void EpollWait(int64_t ts_ns, int epfd, int maxevents, int timeout_ms, int64_t wait_ns,
                 SysResult r, const EpollEvent* events);
  void Socket(int64_t ts_ns, int domain, int type, int protocol, SysResult r);
  void SetSockOpt(int64_t ts_ns, int fd, int level, int name, int value, SysResult r);
  void Bind(int64_t ts_ns, int fd, const SockAddr& addr, SysResult r);
  void Listen(int64_t ts_ns, int fd, int backlog, SysResult r);
  // peer and local are only stored when r.ok().
  void Accept4(int64_t ts_ns, int fd, int flags, SysResult r, const SockAddr& peer,
               const SockAddr& local);
  void GetSockName(int64_t ts_ns, int fd, SysResult r, const SockAddr& addr);
  // stream_offset: bytes read from (written to) this fd before this call.
  void Read(int64_t ts_ns, int fd, uint64_t requested, uint64_t stream_offset, SysResult r);
  void Write(int64_t ts_ns, int fd, uint64_t requested, uint64_t stream_offset, SysResult r);
  void Writev(int64_t ts_ns, int fd, int iovcnt, uint64_t requested, uint64_t stream_offset,
              SysResult r);
  void Close(int64_t ts_ns, int fd, SysResult r);
  void Shutdown(int64_t ts_ns, int fd, int how, SysResult r);
  void Clock(int64_t ts_ns, uint8_t clock_id, int64_t value);
  void Random(int64_t ts_ns, const void* bytes, size_t len);
  void Sleep(int64_t ts_ns, int64_t requested_ns, int64_t slept_ns);
  void ProcessId(int64_t ts_ns, int64_t pid);
  void StopRequested(int64_t ts_ns);

  // For a log that could not even be created: records err as the reason
  // (stats().write_errno) and counts every record appended from now on as
  // dropped. Only before Open; a no-op on an open writer.
  void MarkUnavailable(int err);

  // When the buffer must be written at the latest (CLOCK_MONOTONIC ns):
  // the oldest buffered record's time plus the flush interval; INT64_MAX when
  // the buffer is empty.
  int64_t flush_deadline_ns() const;
  // Writes the buffer if now_ns has reached flush_deadline_ns().
  void FlushIfDue(int64_t now_ns);
  // Writes the buffer now.
  void Flush();
  // Flushes, fsyncs and closes. Returns 0 or the first write error. Records
  // appended after Close are counted as dropped.
  int Close();

  bool is_open() const { return fd_ >= 0; }
  bool failed() const { return failed_; }
  int64_t flush_interval_ns() const { return options_.flush_interval_ns; }
  const TraceWriterStats& stats() const { return stats_; }

 private:
  // Reserves room for a record whose body has at most max_body bytes and
  // writes the common body prefix (kind, seq delta, ts delta). Returns where
  // the kind-specific fields go, or nullptr if the record is dropped.
  uint8_t* Begin(trace::Kind kind, int64_t ts_ns, size_t max_fields);
  // Frames the record that ends at end (length prefix, CRC) and applies the
  // flush policy.
  void Commit(uint8_t* end);
  // Writes n bytes; 0 or the errno that stopped it (ENOENT: the log was
  // removed). *done: the bytes write(2) accepted.
  int WriteAll(const uint8_t* p, size_t n, size_t* done);
  bool LogRemoved() const;
  void Fail(int err);

  int fd_ = -1;
  bool check_links_ = false;  // the log is a named file or FIFO: watch st_nlink
  bool failed_ = false;
  bool closed_ = false;
  TraceWriterOptions options_;
  uint8_t* buf_ = nullptr;  // options_.buffer_bytes
  size_t used_ = 0;
  uint64_t buffered_records_ = 0;
  int64_t oldest_buffered_ts_ = 0;
  // A record larger than the whole buffer is encoded here and written alone.
  uint8_t* big_ = nullptr;
  // The record being encoded: where its frame starts and its delta bases.
  uint8_t* frame_ = nullptr;
  uint64_t prev_seq_ = 0;
  int64_t prev_ts_ = 0;
  int64_t pending_ts_ = 0;
  TraceWriterStats stats_;
};

}  // namespace reel
