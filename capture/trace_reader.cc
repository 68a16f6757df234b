#include "capture/trace_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "capture/crc32c.h"

namespace reel {

using trace::Cursor;
using trace::Kind;

namespace {

uint16_t GetLe16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | p[1] << 8);
}
uint64_t GetLe64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

}  // namespace

bool TraceReader::ReadHeader() {
  const auto* p = reinterpret_cast<const uint8_t*>(data_.data());
  size_t n = data_.size();
  if (n < sizeof trace::kMagic || std::memcmp(p, trace::kMagic, sizeof trace::kMagic) != 0) {
    error_ = n < sizeof trace::kMagic && n > 0 && std::memcmp(p, trace::kMagic, n) == 0
                 ? "truncated header: " + std::to_string(n) + " bytes"
                 : "not a reel event log (bad magic)";
    if (n == 0) error_ = "empty file, not a reel event log";
    return false;
  }
  // The version comes first: a log from a newer major version must say so
  // even if the rest of its header looks different.
  if (n < 12) {
    error_ = "truncated header: " + std::to_string(n) + " bytes";
    return false;
  }
  header_.major = GetLe16(p + 8);
  header_.minor = GetLe16(p + 10);
  if (header_.major != trace::kMajorVersion) {
    error_ = "event log format version " + std::to_string(header_.major) + "." +
             std::to_string(header_.minor) + " is not supported (this reader reads version " +
             std::to_string(trace::kMajorVersion) + ".x)";
    return false;
  }
  if (n < 16) {
    error_ = "truncated header: " + std::to_string(n) + " bytes";
    return false;
  }
  header_.header_len = trace::GetLe32(p + 12);
  if (header_.header_len < trace::kHeaderSize || header_.header_len > trace::kMaxHeaderSize) {
    error_ = "corrupt header: header length " + std::to_string(header_.header_len);
    return false;
  }
  if (n < header_.header_len) {
    error_ = "truncated header: " + std::to_string(n) + " of " +
             std::to_string(header_.header_len) + " bytes";
    return false;
  }
  uint32_t stored = trace::GetLe32(p + header_.header_len - 4);
  if (verify_ && Crc32c(p, header_.header_len - 4) != stored) {
    error_ = "corrupt header: checksum mismatch";
    return false;
  }
  header_.start_mono_ns = static_cast<int64_t>(GetLe64(p + 16));
  header_.start_real_ns = static_cast<int64_t>(GetLe64(p + 24));
  header_.pid = trace::GetLe32(p + 32);
  pos_ = header_.header_len;
  prev_ts_ = header_.start_mono_ns;
  header_ok_ = true;
  return true;
}

bool TraceReader::Stop(std::string why) {
  damage_ = std::move(why);
  return false;
}

bool TraceReader::Next(TraceRecord* rec) {
  if (!header_ok_ || !damage_.empty() || pos_ >= data_.size()) return false;
  const auto* base = reinterpret_cast<const uint8_t*>(data_.data());
  const uint8_t* frame = base + pos_;
  size_t left = data_.size() - pos_;
  // Built only when a record is bad: formatting it for every record cost a
  // heap allocation per record on million-record logs.
  auto at = [&] { return " at offset " + std::to_string(pos_); };

  Cursor c(frame, left);
  uint64_t body_len = 0;
  if (!c.Uvarint(&body_len)) {
    if (left < 5) return Stop("torn record" + at() + " (length cut off)");
    return Stop("corrupt record" + at() + " (bad length)");
  }
  if (body_len == 0 || body_len > trace::kMaxBodySize) {
    bool all_zero = true;
    for (size_t i = 0; i < left && all_zero; i++) all_zero = frame[i] == 0;
    if (all_zero) return Stop("zero-filled tail" + at());
    return Stop("corrupt record" + at() + " (length " + std::to_string(body_len) + ")");
  }
  size_t prefix = static_cast<size_t>(c.pos() - frame);
  size_t total = prefix + static_cast<size_t>(body_len) + trace::kCrcSize;
  if (total > left)
    return Stop("torn record" + at() + " (needs " + std::to_string(total) + " bytes, " +
                std::to_string(left) + " left)");
  uint32_t stored = trace::GetLe32(frame + prefix + body_len);
  if (verify_ && Crc32c(frame, prefix + body_len) != stored)
    return Stop("corrupt record" + at() + " (checksum mismatch)");
  if (!DecodeBody(frame + prefix, static_cast<size_t>(body_len), rec)) {
    return Stop("malformed " + std::string(trace::KindName(rec->kind)) + " record" + at());
  }
  pos_ += total;
  count_++;
  return true;
}

bool TraceReader::DecodeBody(const uint8_t* body, size_t len, TraceRecord* rec) {
  Cursor c(body, len);
  uint8_t kind = 0;
  uint64_t seq_delta = 0;
  int64_t ts_delta = 0;
  rec->kind = 0;
  if (!c.Byte(&kind)) return false;
  rec->kind = kind;
  if (!c.Uvarint(&seq_delta) || !c.Svarint(&ts_delta)) return false;
  // Sequence numbers strictly increase; a gap means the writer dropped records.
  if (seq_delta == 0 || prev_seq_ + seq_delta < prev_seq_) return false;
  rec->seq = prev_seq_ + seq_delta;
  rec->ts_ns =
      static_cast<int64_t>(static_cast<uint64_t>(prev_ts_) + static_cast<uint64_t>(ts_delta));
  rec->result = SysResult{};

  auto result = [&]() { return c.Result(&rec->result.value, &rec->result.err); };
  bool ok = true;
  switch (static_cast<Kind>(kind)) {
    case Kind::kEpollCreate: {
      trace::EpollCreateRec r;
      ok = c.Int32(&r.flags) && result();
      rec->call = r;
      break;
    }
    case Kind::kEpollCtl: {
      trace::EpollCtlRec r;
      uint64_t events = 0;
      ok = c.Int32(&r.epfd) && c.Int32(&r.op) && c.Int32(&r.fd) && c.Uvarint(&events) &&
           events <= UINT32_MAX && c.Uvarint(&r.data) && result();
      r.events = static_cast<uint32_t>(events);
      rec->call = r;
      break;
    }
    case Kind::kEpollWait: {
      trace::EpollWaitRec r;
      ok = c.Int32(&r.epfd) && c.Int32(&r.maxevents) && c.Int32(&r.timeout_ms) &&
           c.Svarint(&r.wait_ns) && result();
      if (ok && rec->result.ok()) {
        // Each entry takes at least two bytes: bound the count before allocating.
        uint64_t n = static_cast<uint64_t>(rec->result.value);
        if (n > c.remaining() / 2) ok = false;
        if (ok) r.events.resize(static_cast<size_t>(n));
        for (size_t i = 0; ok && i < r.events.size(); i++) {
          uint64_t ev = 0;
          ok = c.Uvarint(&ev) && ev <= UINT32_MAX && c.Uvarint(&r.events[i].data);
          r.events[i].events = static_cast<uint32_t>(ev);
        }
      }
      rec->call = std::move(r);
      break;
    }
    case Kind::kSocket: {
      trace::SocketRec r;
      ok = c.Int32(&r.domain) && c.Int32(&r.type) && c.Int32(&r.protocol) && result();
      rec->call = r;
      break;
    }
    case Kind::kSetSockOpt: {
      trace::SetSockOptRec r;
      ok = c.Int32(&r.fd) && c.Int32(&r.level) && c.Int32(&r.name) && c.Int32(&r.value) && result();
      rec->call = r;
      break;
    }
    case Kind::kBind: {
      trace::BindRec r;
      ok = c.Int32(&r.fd) && c.Addr(&r.addr) && result();
      rec->call = r;
      break;
    }
    case Kind::kListen: {
      trace::ListenRec r;
      ok = c.Int32(&r.fd) && c.Int32(&r.backlog) && result();
      rec->call = r;
      break;
    }
    case Kind::kAccept4: {
      trace::Accept4Rec r;
      ok = c.Int32(&r.fd) && c.Int32(&r.flags) && result();
      if (ok && rec->result.ok()) ok = c.Addr(&r.peer) && c.Addr(&r.local);
      rec->call = r;
      break;
    }
    case Kind::kGetSockName: {
      trace::GetSockNameRec r;
      ok = c.Int32(&r.fd) && result();
      if (ok && rec->result.ok()) ok = c.Addr(&r.addr);
      rec->call = r;
      break;
    }
    case Kind::kRead:
    case Kind::kWrite: {
      trace::IoRec r;
      ok = c.Int32(&r.fd) && c.Uvarint(&r.requested) && c.Uvarint(&r.stream_offset) && result();
      rec->call = r;
      break;
    }
    case Kind::kWritev: {
      trace::IoRec r;
      ok = c.Int32(&r.fd) && c.Int32(&r.iovcnt) && c.Uvarint(&r.requested) &&
           c.Uvarint(&r.stream_offset) && result();
      rec->call = r;
      break;
    }
    case Kind::kClose: {
      trace::CloseRec r;
      ok = c.Int32(&r.fd) && result();
      rec->call = r;
      break;
    }
    case Kind::kShutdown: {
      trace::ShutdownRec r;
      ok = c.Int32(&r.fd) && c.Int32(&r.how) && result();
      rec->call = r;
      break;
    }
    case Kind::kClock: {
      trace::ClockRec r;
      uint64_t id = 0;
      int64_t rel = 0;
      ok = c.Uvarint(&id) && id <= 255 && c.Svarint(&rel);
      r.clock = static_cast<uint8_t>(id);
      r.value =
          static_cast<int64_t>(static_cast<uint64_t>(rec->ts_ns) + static_cast<uint64_t>(rel));
      rec->call = r;
      break;
    }
    case Kind::kRandom: {
      trace::RandomRec r;
      uint64_t n = 0;
      const uint8_t* bytes = nullptr;
      ok = c.Uvarint(&n) && n <= c.remaining() && c.Bytes(&bytes, static_cast<size_t>(n));
      if (ok) r.bytes.assign(reinterpret_cast<const char*>(bytes), static_cast<size_t>(n));
      rec->call = std::move(r);
      break;
    }
    case Kind::kSleep: {
      trace::SleepRec r;
      ok = c.Svarint(&r.requested_ns) && c.Svarint(&r.slept_ns);
      rec->call = r;
      break;
    }
    case Kind::kProcessId: {
      trace::ProcessIdRec r;
      ok = c.Svarint(&r.pid);
      rec->call = r;
      break;
    }
    case Kind::kStopRequested: rec->call = trace::StopRequestedRec{}; break;
    default: {
      // A newer minor version's kind: framing lets us step over it.
      trace::UnknownRec r;
      r.kind = kind;
      r.body.assign(reinterpret_cast<const char*>(c.pos()), c.remaining());
      rec->call = std::move(r);
      break;
    }
  }
  if (!ok) return false;
  // Bytes after the known fields are a newer minor version's additions.
  prev_seq_ = rec->seq;
  prev_ts_ = rec->ts_ns;
  return true;
}

std::string EventLogPath(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return path + "/" + trace::kEventsFileName;
  return path;
}

bool ReadWholeFile(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  // Sized from fstat and read straight into the string: no stream buffers
  // and no second copy (event logs and pcaps run to tens of MiB). A file
  // that is not regular, or grows meanwhile, is read on to its end.
  struct stat st {};
  size_t size = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) : 0;
  out->resize(size + 1);  // one spare byte: reading into it tells a grown file
  size_t have = 0;
  for (;;) {
    if (have == out->size()) out->resize(out->size() * 2 + 65536);
    ssize_t n = ::read(fd, out->data() + have, out->size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      errno = saved;
      return false;
    }
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  ::close(fd);
  out->resize(have);
  return true;
}

bool LoadEventLog(const std::string& path, std::string* data, std::string* error) {
  std::string file = EventLogPath(path);
  if (!ReadWholeFile(file, data)) {
    *error = file + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

namespace {

// How many record frames follow the header, by their length prefixes alone
// (no checksum, no decoding): lets ReadTraceFile size its vector once
// instead of moving millions of records through repeated reallocations.
// Damage only makes the count an estimate.
size_t CountFrames(std::string_view data, size_t pos) {
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = 0;
  while (pos < data.size()) {
    trace::Cursor c(p + pos, data.size() - pos);
    uint64_t body_len = 0;
    if (!c.Uvarint(&body_len) || body_len == 0 || body_len > trace::kMaxBodySize) break;
    uint64_t total = static_cast<uint64_t>(c.pos() - (p + pos)) + body_len + trace::kCrcSize;
    if (total > data.size() - pos) break;
    pos += static_cast<size_t>(total);
    n++;
  }
  return n;
}

}  // namespace

bool ReadTraceFile(const std::string& path, TraceFile* out, std::string* error) {
  std::string data;
  if (!LoadEventLog(path, &data, error)) return false;
  TraceReader reader(data);
  if (!reader.ReadHeader()) {
    *error = EventLogPath(path) + ": " + reader.error();
    return false;
  }
  *out = TraceFile{};
  out->header = reader.header();
  out->file_bytes = data.size();
  // +1: the slot the final, failing Next() decodes into.
  out->records.reserve(CountFrames(data, reader.header().header_len) + 1);
  // Decoded in place: a record is never moved once read.
  for (;;) {
    TraceRecord& rec = out->records.emplace_back();
    if (!reader.Next(&rec)) {
      out->records.pop_back();
      break;
    }
  }
  out->dropped_bytes = reader.dropped_bytes();
  out->damage = reader.damage();
  return true;
}

}  // namespace reel
