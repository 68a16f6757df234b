#include "capture/trace_format.h"

#include <cstring>

#include "capture/crc32c.h"

namespace reel::trace {

const char* KindName(Kind k) {
  return KindName(static_cast<uint8_t>(k));
}

const char* KindName(uint8_t k) {
  switch (static_cast<Kind>(k)) {
    case Kind::kEpollCreate: return "epoll_create";
    case Kind::kEpollCtl: return "epoll_ctl";
    case Kind::kEpollWait: return "epoll_wait";
    case Kind::kSocket: return "socket";
    case Kind::kSetSockOpt: return "setsockopt";
    case Kind::kBind: return "bind";
    case Kind::kListen: return "listen";
    case Kind::kAccept4: return "accept4";
    case Kind::kGetSockName: return "getsockname";
    case Kind::kRead: return "read";
    case Kind::kWrite: return "write";
    case Kind::kWritev: return "writev";
    case Kind::kClose: return "close";
    case Kind::kShutdown: return "shutdown";
    case Kind::kClock: return "clock";
    case Kind::kRandom: return "random";
    case Kind::kSleep: return "sleep";
    case Kind::kProcessId: return "process_id";
    case Kind::kStopRequested: return "stop_requested";
  }
  return "unknown";
}

namespace {
void PutLe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
void PutLe64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
}  // namespace

void EncodeHeader(const Header& h, uint8_t out[kHeaderSize]) {
  std::memcpy(out, kMagic, 8);
  PutLe16(out + 8, h.major);
  PutLe16(out + 10, h.minor);
  PutLe32(out + 12, static_cast<uint32_t>(kHeaderSize));
  PutLe64(out + 16, static_cast<uint64_t>(h.start_mono_ns));
  PutLe64(out + 24, static_cast<uint64_t>(h.start_real_ns));
  PutLe32(out + 32, h.pid);
  PutLe32(out + 36, Crc32c(out, 36));
}

uint8_t* PutResult(uint8_t* p, int64_t value, int err) {
  p = PutSvarint(p, value);
  if (value < 0) p = PutUvarint(p, static_cast<uint64_t>(err < 0 ? 0 : err));
  return p;
}

uint8_t* PutAddr(uint8_t* p, const SockAddr& a) {
  size_t n = a.family == kAfInet ? 4 : a.family == kAfInet6 ? 16 : 0;
  if (n == 0) {
    *p++ = 0;  // unset or a family the format does not carry
    return p;
  }
  *p++ = static_cast<uint8_t>(a.family);
  std::memcpy(p, a.addr.data(), n);
  p += n;
  *p++ = static_cast<uint8_t>(a.port >> 8);
  *p++ = static_cast<uint8_t>(a.port);
  return p;
}

bool Cursor::Uvarint(uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p_ == end_) return false;
    uint8_t b = *p_++;
    // The 10th byte may only carry the top bit of a 64-bit value.
    if (shift == 63 && b > 1) return false;
    result |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

bool Cursor::Svarint(int64_t* v) {
  uint64_t u;
  if (!Uvarint(&u)) return false;
  *v = UnZigZag(u);
  return true;
}

bool Cursor::Int32(int32_t* v) {
  int64_t s;
  if (!Svarint(&s) || s < INT32_MIN || s > INT32_MAX) return false;
  *v = static_cast<int32_t>(s);
  return true;
}

bool Cursor::Byte(uint8_t* v) {
  if (p_ == end_) return false;
  *v = *p_++;
  return true;
}

bool Cursor::Bytes(const uint8_t** data, size_t n) {
  if (remaining() < n) return false;
  *data = p_;
  p_ += n;
  return true;
}

bool Cursor::Result(int64_t* value, int* err) {
  if (!Svarint(value)) return false;
  *err = 0;
  if (*value < 0) {
    uint64_t e;
    if (!Uvarint(&e) || e > 4095) return false;  // errno values are < 4096 on Linux
    *err = static_cast<int>(e);
  }
  return true;
}

bool Cursor::Addr(SockAddr* a) {
  *a = SockAddr{};
  uint8_t family;
  if (!Byte(&family)) return false;
  size_t n = family == kAfInet ? 4 : family == kAfInet6 ? 16 : 0;
  if (family == 0) return true;
  if (n == 0) return false;
  const uint8_t* bytes;
  if (!Bytes(&bytes, n + 2)) return false;
  a->family = family;
  std::memcpy(a->addr.data(), bytes, n);
  a->port = static_cast<uint16_t>(bytes[n] << 8 | bytes[n + 1]);
  return true;
}

}  // namespace reel::trace
