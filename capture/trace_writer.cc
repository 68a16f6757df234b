#include "capture/trace_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <new>

#include "capture/crc32c.h"

namespace reel {

using trace::Kind;
using trace::PutAddr;
using trace::PutResult;
using trace::PutSvarint;
using trace::PutUvarint;

namespace {

// Upper bound of any record's fixed fields (the widest, accept4, needs
// 2 svarints + a result + 2 addresses < 80 bytes); variable parts come on top.
constexpr size_t kMaxFixedFields = 128;
// Kind byte + seq delta + ts delta.
constexpr size_t kMaxBodyPrefix = 1 + 2 * trace::kMaxVarint;
// Length prefix of a body below kMaxBodySize.
constexpr size_t kMaxLengthPrefix = 4;
constexpr size_t kMinBuffer = 4096;

// Blocks SIGPIPE and SIGXFSZ in the calling thread while the writer writes,
// so a write to a FIFO without a reader, or past RLIMIT_FSIZE, fails with
// EPIPE/EFBIG instead of killing the process through the signal's default
// action. A signal the write raised stays pending while blocked; Consume()
// takes it, unless it was already pending before the write (then it is not
// ours). The dispositions are never touched.
class WriteSignalGuard {
 public:
  WriteSignalGuard() {
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    sigaddset(&block, SIGXFSZ);
    pthread_sigmask(SIG_BLOCK, &block, &saved_mask_);
    sigpending(&pending_before_);
  }
  ~WriteSignalGuard() { pthread_sigmask(SIG_SETMASK, &saved_mask_, nullptr); }
  WriteSignalGuard(const WriteSignalGuard&) = delete;
  WriteSignalGuard& operator=(const WriteSignalGuard&) = delete;

  // After a write failed with err: discard the signal it raised.
  void Consume(int err) {
    int sig = err == EPIPE ? SIGPIPE : err == EFBIG ? SIGXFSZ : 0;
    if (sig == 0 || sigismember(&pending_before_, sig) || sigismember(&saved_mask_, sig)) return;
    sigset_t now;
    if (sigpending(&now) != 0 || !sigismember(&now, sig)) return;
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    timespec zero{};
    sigtimedwait(&one, nullptr, &zero);
  }

 private:
  sigset_t saved_mask_;
  sigset_t pending_before_;
};

// How many whole frames (length prefix, body, CRC) the first n bytes of an
// encoded buffer hold.
uint64_t WholeFrames(const uint8_t* p, size_t n) {
  uint64_t frames = 0;
  size_t pos = 0;
  while (pos < n) {
    uint64_t body = 0;
    size_t k = 0;
    for (int shift = 0; pos + k < n && shift < 64; shift += 7) {
      uint8_t b = p[pos + k++];
      body |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    uint64_t frame = k + body + trace::kCrcSize;
    if (frame > n - pos) break;
    pos += static_cast<size_t>(frame);
    frames++;
  }
  return frames;
}

}  // namespace

TraceWriter::~TraceWriter() {
  Close();
  std::free(buf_);
}

int TraceWriter::Open(const char* path, const trace::Header& header,
                      const TraceWriterOptions& options) {
  int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (fd_ < 0 && !closed_) stats_.write_errno = errno;
    return errno;
  }
  return OpenFd(fd, header, options);
}

int TraceWriter::OpenFd(int fd, const trace::Header& header, const TraceWriterOptions& options) {
  if (fd_ >= 0 || closed_) {
    ::close(fd);
    return EBUSY;  // one log per writer
  }
  options_ = options;
  if (options_.buffer_bytes < kMinBuffer) options_.buffer_bytes = kMinBuffer;
  struct stat st {};
  check_links_ =
      ::fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode)) && st.st_nlink > 0;
  uint8_t bytes[trace::kHeaderSize];
  trace::EncodeHeader(header, bytes);
  fd_ = fd;
  size_t done = 0;
  if (int err = WriteAll(bytes, sizeof bytes, &done); err != 0) {
    ::close(fd_);
    fd_ = -1;
    stats_ = TraceWriterStats{};
    stats_.write_errno = err;  // nothing was recorded yet: the caller may retry elsewhere
    return err;
  }
  prev_ts_ = header.start_mono_ns;
  // Allocated after the header, so a process short of memory still leaves a
  // valid (empty) log behind, and every record it makes is counted as lost.
  buf_ = static_cast<uint8_t*>(std::malloc(options_.buffer_bytes));
  if (buf_ == nullptr) {
    failed_ = true;
    stats_.write_errno = ENOMEM;
    stats_.stopped_at_ns = prev_ts_;
    ::close(fd_);
    fd_ = -1;
    closed_ = true;
    return ENOMEM;
  }
  return 0;
}

void TraceWriter::MarkUnavailable(int err) {
  if (fd_ >= 0) return;
  failed_ = true;
  closed_ = true;
  if (stats_.write_errno == 0) stats_.write_errno = err;
}

uint8_t* TraceWriter::Begin(Kind kind, int64_t ts_ns, size_t max_fields) {
  stats_.records++;
  stats_.per_kind[static_cast<uint8_t>(kind)]++;
  if (fd_ < 0 || failed_) {
    stats_.records_dropped++;
    return nullptr;
  }
  if (max_fields > trace::kMaxBodySize - kMaxBodyPrefix) {
    stats_.records_dropped++;  // a reader would take it for corruption
    return nullptr;
  }
  size_t max_frame = kMaxLengthPrefix + kMaxBodyPrefix + max_fields + trace::kCrcSize;
  if (used_ + max_frame > options_.buffer_bytes) {
    Flush();
    if (failed_) {
      stats_.records_dropped++;
      return nullptr;
    }
  }
  if (max_frame > options_.buffer_bytes) {
    // Rare (a huge random read or epoll_wait array): encode it on its own.
    big_ = new (std::nothrow) uint8_t[max_frame];
    if (big_ == nullptr) {
      stats_.records_dropped++;  // leaves a visible gap in the sequence numbers
      return nullptr;
    }
    frame_ = big_;
  } else {
    frame_ = buf_ + used_;
  }
  // The body goes after a one-byte length prefix; Commit moves it if the
  // body turns out to need a longer one.
  uint8_t* p = frame_ + 1;
  *p++ = static_cast<uint8_t>(kind);
  p = PutUvarint(p, stats_.records - prev_seq_);
  p = PutSvarint(p, ts_ns - prev_ts_);
  pending_ts_ = ts_ns;
  return p;
}

void TraceWriter::Commit(uint8_t* end) {
  size_t body_len = static_cast<size_t>(end - (frame_ + 1));
  size_t prefix = trace::UvarintSize(body_len);
  if (prefix > 1) std::memmove(frame_ + prefix, frame_ + 1, body_len);
  PutUvarint(frame_, body_len);
  size_t framed = prefix + body_len;
  trace::PutLe32(frame_ + framed, Crc32c(frame_, framed));
  size_t total = framed + trace::kCrcSize;
  prev_seq_ = stats_.records;
  prev_ts_ = pending_ts_;

  if (frame_ == big_) {
    // The buffer was flushed in Begin, so the file order is preserved.
    size_t done = 0;
    if (int err = WriteAll(big_, total, &done); err == 0) {
      stats_.records_written++;
    } else {
      stats_.records_dropped++;
      Fail(err);
    }
    delete[] big_;
    big_ = nullptr;
    return;
  }
  if (buffered_records_ == 0) oldest_buffered_ts_ = pending_ts_;
  used_ += total;
  buffered_records_++;
  FlushIfDue(pending_ts_);
}

int64_t TraceWriter::flush_deadline_ns() const {
  if (buffered_records_ == 0) return INT64_MAX;
  if (oldest_buffered_ts_ > INT64_MAX - options_.flush_interval_ns) return INT64_MAX;
  return oldest_buffered_ts_ + options_.flush_interval_ns;
}

void TraceWriter::FlushIfDue(int64_t now_ns) {
  if (buffered_records_ > 0 && now_ns >= flush_deadline_ns()) Flush();
}

void TraceWriter::Flush() {
  if (used_ == 0 || fd_ < 0 || failed_) return;
  size_t done = 0;
  int err = WriteAll(buf_, used_, &done);
  // After a short write (a full disk), the whole records in front of the
  // cut are in the file and readable: they count as written, not dropped.
  uint64_t whole = err == 0 ? buffered_records_ : WholeFrames(buf_, done);
  stats_.records_written += whole;
  buffered_records_ -= whole;
  if (err != 0) {
    Fail(err);  // drops the rest of the buffer
    return;
  }
  stats_.flushes++;
  used_ = 0;
  buffered_records_ = 0;
}

bool TraceWriter::LogRemoved() const {
  struct stat st {};
  return check_links_ && ::fstat(fd_, &st) == 0 && st.st_nlink == 0;
}

int TraceWriter::WriteAll(const uint8_t* p, size_t n, size_t* done) {
  *done = 0;
  // One fstat per flush: writing on into an unlinked file would fill the
  // disk with data nobody can read.
  if (LogRemoved()) {
    stats_.log_removed = true;
    return ENOENT;
  }
  WriteSignalGuard signals;
  while (*done < n) {
    ssize_t w = ::write(fd_, p + *done, n - *done);
    if (w < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      signals.Consume(err);
      return err;
    }
    if (w == 0) return EIO;  // not expected from a file; do not spin on it
    stats_.bytes_written += static_cast<uint64_t>(w);
    *done += static_cast<size_t>(w);
  }
  return 0;
}

void TraceWriter::Fail(int err) {
  bool first = !failed_;
  failed_ = true;
  if (stats_.write_errno == 0) stats_.write_errno = err;
  stats_.records_dropped += buffered_records_;
  buffered_records_ = 0;
  used_ = 0;
  if (first) {
    stats_.stopped_at_ns = prev_ts_;
    if (options_.on_stop != nullptr) options_.on_stop(options_.on_stop_context, err);
  }
}

int TraceWriter::Close() {
  if (fd_ < 0) return stats_.write_errno;
  Flush();
  if (!failed_ && ::fsync(fd_) < 0 && errno != EINVAL && errno != EROFS) Fail(errno);
  ::close(fd_);
  fd_ = -1;
  closed_ = true;
  return stats_.write_errno;
}

// --- one encoder per kind; field order is the format (docs/trace-format.md) ---

void TraceWriter::EpollCreate(int64_t ts, int flags, SysResult r) {
  uint8_t* p = Begin(Kind::kEpollCreate, ts, kMaxFixedFields);
  if (!p) return;
  p = PutSvarint(p, flags);
  Commit(PutResult(p, r.value, r.err));
}

void TraceWriter::EpollCtl(int64_t ts, int epfd, int op, int fd, uint32_t events, uint64_t data,
                           SysResult r) {
  uint8_t* p = Begin(Kind::kEpollCtl, ts, kMaxFixedFields);
  if (!p) return;
  p = PutSvarint(p, epfd);
  p = PutSvarint(p, op);
  p = PutSvarint(p, fd);
  p = PutUvarint(p, events);
  p = PutUvarint(p, data);
  Commit(PutResult(p, r.value, r.err));
}

void TraceWriter::EpollWait(int64_t ts, int epfd, int maxevents, int timeout_ms, int64_t wait_ns,
                            SysResult r, const EpollEvent* events) {
  size_t n = r.ok() && events != nullptr ? static_cast<size_t>(r.value) : 0;
  uint8_t* p = Begin(Kind::kEpollWait, ts, kMaxFixedFields + n * (5 + trace::kMaxVarint));
  if (!p) return;
  p = PutSvarint(p, epfd);
  p = PutSvarint(p, maxevents);
  p = PutSvarint(p, timeout_ms);
  p = PutSvarint(p, wait_ns);
  // A successful result is followed by exactly that many entries.
  p = PutResult(p, r.ok() ? static_cast<int64_t>(n) : r.value, r.err);
  for (size_t i = 0; i < n; i++) {
    p = PutUvarint(p, events[i].events);
    p = PutUvarint(p, events[i].data);
  }
  Commit(p);
}

void TraceWriter::Socket(int64_t ts, int domain, int type, int protocol, SysResult r) {
  uint8_t* p = Begin(Kind::kSocket, ts, kMaxFixedFields);
  if (!p) return;
  p = PutSvarint(p, domain);
  p = PutSvarint(p, type);
  p = PutSvarint(p, protocol);
  Commit(PutResult(p, r.value, r.err));
}

void TraceWriter::SetSockOpt(int64_t ts, int fd, int level, int name, int value, SysResult r) {
  uint8_t* p = Begin(Kind::kSetSockOpt, ts, kMaxFixedFields);
  if (!p) return;
  p = PutSvarint(p, fd);
  p = PutSvarint(p, level);
  p = PutSvarint(p, name);
  p = PutSvarint(p, value);
  Commit(PutResult(p, r.value, r.err));
}

void TraceWriter::Bind(int64_t ts, int fd, const SockAddr& addr, SysResult r) {
  uint8_t* p = Begin(Kind::kBind, ts, kMaxFixedFields);
  if (!p) return;
  p = PutSvarint(p, fd);
  p = PutAddr(p, addr);
  Commit(PutResult(p, r.value, r.err));
}

void TraceWriter::Listen(int64_t ts, int fd, int backlog, SysResult r) {
  uint8_t* p = Begin(Kind::kListen, ts, kMaxFixedFields);
  if (!p) return;
  p = PutSvarint(p, fd);
  p = PutSvarint(p, backlog);
  Commit(PutResult(p, r.value, r.err));
}

void TraceWriter::Accept4(int64_t ts, int fd, int flags, SysResult r, const SockAddr& peer,
                          const SockAddr& local) {
  uint8_t* p = Begin(Kind::kAccept4, ts, kMaxFixedFields);
  if (!p) return;
  p = PutSvarint(p, fd);
  p = PutSvarint(p, flags);
  p = PutResult(p, r.value, r.err);
  if (r.ok()) {
    p = PutAddr(p, peer);
    p = PutAddr(p, local);
  }
  Commit(p);
}

void TraceWriter::GetSockName(int64_t ts, int fd, SysResult r, const SockAddr& addr) {
  uint8_t* p = Begin(Kind::kGetSockName, ts, kMaxFixedFields);
  if (!p) return;
  p = PutSvarint(p, fd);
  p = PutResult(p, r.value, r.err);
  if (r.ok()) p = PutAddr(p, addr);
  Commit(p);
}

void TraceWriter::Read(int64_t ts, int fd, uint64_t requested, uint64_t offset, SysResult r) {
  uint8_t* p = Begin(Kind::kRead, ts, kMaxFixedFields);
  if (!p) return;
  p = PutSvarint(p, fd);
  p = PutUvarint(p, requested);
  p = PutUvarint(p, offset);
  Commit(PutResult(p, r.value, r.err));
}

void TraceWriter::Write(int64_t ts, int fd, uint64_t requested, uint64_t offset, SysResult r) {
  uint8_t* p = Begin(Kind::kWrite, ts, kMaxFixedFields);
  if (!p) return;
  p = PutSvarint(p, fd);
  p = PutUvarint(p, requested);
  p = PutUvarint(p, offset);
  Commit(PutResult(p, r.value, r.err));
}

void TraceWriter::Writev(int64_t ts, int fd, int iovcnt, uint64_t requested, uint64_t offset,
                         SysResult r) {
  uint8_t* p = Begin(Kind::kWritev, ts, kMaxFixedFields);
  if (!p) return;
  p = PutSvarint(p, fd);
  p = PutSvarint(p, iovcnt);
  p = PutUvarint(p, requested);
  p = PutUvarint(p, offset);
  Commit(PutResult(p, r.value, r.err));
}

void TraceWriter::Close(int64_t ts, int fd, SysResult r) {
  uint8_t* p = Begin(Kind::kClose, ts, kMaxFixedFields);
  if (!p) return;
  p = PutSvarint(p, fd);
  Commit(PutResult(p, r.value, r.err));
}

void TraceWriter::Shutdown(int64_t ts, int fd, int how, SysResult r) {
  uint8_t* p = Begin(Kind::kShutdown, ts, kMaxFixedFields);
  if (!p) return;
  p = PutSvarint(p, fd);
  p = PutSvarint(p, how);
  Commit(PutResult(p, r.value, r.err));
}

void TraceWriter::Clock(int64_t ts, uint8_t clock_id, int64_t value) {
  uint8_t* p = Begin(Kind::kClock, ts, kMaxFixedFields);
  if (!p) return;
  p = PutUvarint(p, clock_id);
  // Relative to the record time: a monotonic reading is usually the record
  // time itself and costs one byte.
  Commit(PutSvarint(
      p, static_cast<int64_t>(static_cast<uint64_t>(value) - static_cast<uint64_t>(ts))));
}

void TraceWriter::Random(int64_t ts, const void* bytes, size_t len) {
  uint8_t* p = Begin(Kind::kRandom, ts, kMaxFixedFields + len);
  if (!p) return;
  p = PutUvarint(p, len);
  if (len > 0) std::memcpy(p, bytes, len);
  Commit(p + len);
}

void TraceWriter::Sleep(int64_t ts, int64_t requested_ns, int64_t slept_ns) {
  uint8_t* p = Begin(Kind::kSleep, ts, kMaxFixedFields);
  if (!p) return;
  p = PutSvarint(p, requested_ns);
  Commit(PutSvarint(p, slept_ns));
}

void TraceWriter::ProcessId(int64_t ts, int64_t pid) {
  uint8_t* p = Begin(Kind::kProcessId, ts, kMaxFixedFields);
  if (!p) return;
  Commit(PutSvarint(p, pid));
}

void TraceWriter::StopRequested(int64_t ts) {
  uint8_t* p = Begin(Kind::kStopRequested, ts, kMaxFixedFields);
  if (!p) return;
  Commit(p);
}

}  // namespace reel
