// The event log's wire format: constants, record kinds and the primitive
// encoders/decoders shared by TraceWriter and TraceReader. The byte-by-byte
// specification is docs/trace-format.md; keep the two in step.
//
// Everything here is allocation-free and exception-free so the LD_PRELOAD
// shim can link it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/sock_addr.h"

namespace reel::trace {

// "REELEVT\n": the newline catches text-mode mangling, as PNG's magic does.
inline constexpr uint8_t kMagic[8] = {'R', 'E', 'E', 'L', 'E', 'V', 'T', '\n'};
inline constexpr uint16_t kMajorVersion = 1;  // incompatible changes: readers refuse others
inline constexpr uint16_t kMinorVersion = 0;  // compatible additions (new kinds, trailing fields)

// Header of a 1.0 file; later minor versions may make it longer (header_len).
inline constexpr size_t kHeaderSize = 40;
inline constexpr size_t kMaxHeaderSize = 4096;
// A record body larger than this is treated as corruption by the reader.
inline constexpr uint64_t kMaxBodySize = 16u << 20;
inline constexpr size_t kCrcSize = 4;
inline constexpr size_t kMaxVarint = 10;

// The event log's default file name inside a trace bundle directory.
inline constexpr const char* kEventsFileName = "events.reel";

// Record kinds. Values are part of the format: never renumber, only append.
enum class Kind : uint8_t {
  kEpollCreate = 1,
  kEpollCtl = 2,
  kEpollWait = 3,
  kSocket = 4,
  kSetSockOpt = 5,
  kBind = 6,
  kListen = 7,
  kAccept4 = 8,
  kGetSockName = 9,
  kRead = 10,
  kWrite = 11,
  kWritev = 12,
  kClose = 13,
  kShutdown = 14,
  kClock = 15,
  kRandom = 16,
  kSleep = 17,
  kProcessId = 18,
  kStopRequested = 19,
};
inline constexpr int kMaxKind = 19;

// "epoll_wait", "accept4", ...; "unknown" for values this build does not know.
const char* KindName(Kind k);
const char* KindName(uint8_t k);

// Clock ids stored in clock records (the Linux clockid_t values).
inline constexpr uint8_t kClockRealtime = 0;
inline constexpr uint8_t kClockMonotonic = 1;

// The fixed file header.
struct Header {
  uint16_t major = kMajorVersion;
  uint16_t minor = kMinorVersion;
  uint32_t header_len = kHeaderSize;
  int64_t start_mono_ns = 0;  // CLOCK_MONOTONIC when the log was opened
  int64_t start_real_ns = 0;  // CLOCK_REALTIME read right after it
  uint32_t pid = 0;
};

// Writes the 1.0 header (kHeaderSize bytes, including its CRC) to out.
void EncodeHeader(const Header& h, uint8_t out[kHeaderSize]);

// --- primitive encoders: write at p, return the end ---

inline uint8_t* PutUvarint(uint8_t* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}
inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}
inline uint8_t* PutSvarint(uint8_t* p, int64_t v) {
  return PutUvarint(p, ZigZag(v));
}
inline size_t UvarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}
inline void PutLe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline uint32_t GetLe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

// A syscall result: svarint value, then uvarint errno when value < 0.
uint8_t* PutResult(uint8_t* p, int64_t value, int err);
// A socket address: u8 family (0, 2 or 10), then for 2: 4 address bytes, for
// 10: 16 address bytes, each followed by the port as 2 bytes big-endian.
uint8_t* PutAddr(uint8_t* p, const SockAddr& a);
inline constexpr size_t kMaxAddrSize = 1 + 16 + 2;

// --- primitive decoders: bounds-checked; false on truncated or malformed input ---

class Cursor {
 public:
  Cursor(const uint8_t* p, size_t n) : p_(p), end_(p + n) {}
  bool Uvarint(uint64_t* v);
  bool Svarint(int64_t* v);
  // Reads an svarint that must fit an int32 (fds, flags, option names).
  bool Int32(int32_t* v);
  bool Byte(uint8_t* v);
  bool Bytes(const uint8_t** data, size_t n);
  bool Result(int64_t* value, int* err);
  bool Addr(SockAddr* a);
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  const uint8_t* pos() const { return p_; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace reel::trace
