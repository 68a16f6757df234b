#include "capture/trace_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

// Exceeding RLIMIT_FSIZE raises SIGXFSZ, whose default action kills the
// process; with it ignored, write(2) fails with EFBIG and the writer stops.
void IgnoreSigxfszIfDefault() {
  struct sigaction old {};
  if (sigaction(SIGXFSZ, nullptr, &old) == 0 && old.sa_handler == SIG_DFL &&
      !(old.sa_flags & SA_SIGINFO)) {
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGXFSZ, &ign, nullptr);
  }
}

}  // namespace

TraceWriter::~TraceWriter() {
  Close();
  std::free(buf_);
}

int TraceWriter::Open(const char* path, const trace::Header& header,
                      const TraceWriterOptions& options) {
  int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  return OpenFd(fd, header, options);
}

int TraceWriter::OpenFd(int fd, const trace::Header& header, const TraceWriterOptions& options) {
  if (fd_ >= 0 || closed_) {
    ::close(fd);
    return EBUSY;  // one log per writer
  }
  options_ = options;
  if (options_.buffer_bytes < kMinBuffer) options_.buffer_bytes = kMinBuffer;
  buf_ = static_cast<uint8_t*>(std::malloc(options_.buffer_bytes));
  if (buf_ == nullptr) {
    ::close(fd);
    return ENOMEM;
  }
  IgnoreSigxfszIfDefault();
  uint8_t bytes[trace::kHeaderSize];
  trace::EncodeHeader(header, bytes);
  fd_ = fd;
  if (!WriteAll(bytes, sizeof bytes)) {
    int err = stats_.write_errno;
    ::close(fd_);
    fd_ = -1;
    std::free(buf_);
    buf_ = nullptr;
    stats_ = TraceWriterStats{};
    failed_ = false;
    return err;
  }
  prev_ts_ = header.start_mono_ns;
  return 0;
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
    if (!WriteAll(big_, total)) stats_.records_dropped++;
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
  if (!WriteAll(buf_, used_)) return;
  stats_.flushes++;
  used_ = 0;
  buffered_records_ = 0;
}

bool TraceWriter::WriteAll(const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd_, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      Fail(errno);
      return false;
    }
    if (w == 0) {  // not expected from a file; do not spin on it
      Fail(EIO);
      return false;
    }
    stats_.bytes_written += static_cast<uint64_t>(w);
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

void TraceWriter::Fail(int err) {
  failed_ = true;
  if (stats_.write_errno == 0) stats_.write_errno = err;
  // Some of these may have reached the file whole before a short write; the
  // reader's count is authoritative, this one is an upper bound.
  stats_.records_dropped += buffered_records_;
  buffered_records_ = 0;
  used_ = 0;
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
