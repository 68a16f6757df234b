// TraceReader: decodes an event log (docs/trace-format.md) record by record.
//
// Damaged input never crashes it. A bad header (not a reel log, unknown
// major version, checksum mismatch) is an error with a one-line message.
// Damage after the header — a torn record at the end after a crash, a
// checksum mismatch, a malformed body — ends the log there: every whole
// record before it is returned, and the reader reports where it stopped, why,
// and how many bytes it dropped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "capture/trace_format.h"
#include "core/kernel.h"
#include "core/sock_addr.h"

namespace reel {

namespace trace {

// One struct per record kind; field meanings are in docs/trace-format.md.
struct EpollCreateRec {
  int32_t flags = 0;
};
struct EpollCtlRec {
  int32_t epfd = -1, op = 0, fd = -1;
  uint32_t events = 0;
  uint64_t data = 0;
};
struct EpollWaitRec {
  int32_t epfd = -1, maxevents = 0, timeout_ms = 0;
  int64_t wait_ns = 0;             // from entry to return; entry = ts_ns - wait_ns
  std::vector<EpollEvent> events;  // the returned array, in order
};
struct SocketRec {
  int32_t domain = 0, type = 0, protocol = 0;
};
struct SetSockOptRec {
  int32_t fd = -1, level = 0, name = 0, value = 0;
};
struct BindRec {
  int32_t fd = -1;
  SockAddr addr;
};
struct ListenRec {
  int32_t fd = -1, backlog = 0;
};
struct Accept4Rec {
  int32_t fd = -1, flags = 0;  // the listening fd; the new fd is the result
  SockAddr peer, local;        // set when the call succeeded
};
struct GetSockNameRec {
  int32_t fd = -1;
  SockAddr addr;
};
// read, write and writev (iovcnt is 0 for read/write).
struct IoRec {
  int32_t fd = -1, iovcnt = 0;
  uint64_t requested = 0;
  uint64_t stream_offset = 0;  // bytes moved on this fd in this direction before the call
};
struct CloseRec {
  int32_t fd = -1;
};
struct ShutdownRec {
  int32_t fd = -1, how = 0;
};
struct ClockRec {
  uint8_t clock = 0;  // kClockRealtime or kClockMonotonic
  int64_t value = 0;
};
struct RandomRec {
  std::string bytes;
};
struct SleepRec {
  int64_t requested_ns = 0, slept_ns = 0;
};
struct ProcessIdRec {
  int64_t pid = 0;
};
struct StopRequestedRec {};
// A kind added by a newer minor version: kept raw so a tool can count it.
struct UnknownRec {
  uint8_t kind = 0;
  std::string body;  // the kind-specific bytes
};

}  // namespace trace

struct TraceRecord {
  uint8_t kind = 0;  // a trace::Kind value, or an unknown one (then call is UnknownRec)
  uint64_t seq = 0;
  int64_t ts_ns = 0;  // CLOCK_MONOTONIC when the call returned
  SysResult result;   // for syscall kinds; {0, 0} for clock/random/sleep/pid/stop
  std::variant<trace::EpollCreateRec, trace::EpollCtlRec, trace::EpollWaitRec, trace::SocketRec,
               trace::SetSockOptRec, trace::BindRec, trace::ListenRec, trace::Accept4Rec,
               trace::GetSockNameRec, trace::IoRec, trace::CloseRec, trace::ShutdownRec,
               trace::ClockRec, trace::RandomRec, trace::SleepRec, trace::ProcessIdRec,
               trace::StopRequestedRec, trace::UnknownRec>
      call;

  trace::Kind kind_enum() const { return static_cast<trace::Kind>(kind); }
  const char* kind_name() const { return trace::KindName(kind); }
};

class TraceReader {
 public:
  // data must outlive the reader. verify_checksums=false is for fuzzing the
  // body decoder (random bytes almost never pass a CRC).
  explicit TraceReader(std::string_view data, bool verify_checksums = true)
      : data_(data), verify_(verify_checksums) {}

  // Parses the header. False: error() says why, in one line.
  bool ReadHeader();
  const trace::Header& header() const { return header_; }
  const std::string& error() const { return error_; }

  // The next whole record. False at the end of the log or at damage.
  bool Next(TraceRecord* rec);

  // After Next returned false:
  bool damaged() const { return !damage_.empty(); }
  const std::string& damage() const { return damage_; }  // where and why reading stopped
  uint64_t dropped_bytes() const { return damaged() ? data_.size() - pos_ : 0; }
  uint64_t valid_bytes() const { return pos_; }  // end of the last whole record
  uint64_t records_read() const { return count_; }

 private:
  bool Stop(std::string why);
  bool DecodeBody(const uint8_t* body, size_t len, TraceRecord* rec);

  std::string_view data_;
  bool verify_;
  size_t pos_ = 0;
  bool header_ok_ = false;
  trace::Header header_;
  std::string error_;
  std::string damage_;
  uint64_t prev_seq_ = 0;
  int64_t prev_ts_ = 0;
  uint64_t count_ = 0;
};

// The whole log of a file, for tools and tests.
struct TraceFile {
  trace::Header header;
  std::vector<TraceRecord> records;
  uint64_t file_bytes = 0;
  uint64_t dropped_bytes = 0;  // after the last whole record
  std::string damage;          // empty when the log ended cleanly
};

// Reads path (a log file, or a bundle directory holding events.reel). False
// on a missing/unreadable file or a bad header, with *error set to one line.
bool ReadTraceFile(const std::string& path, TraceFile* out, std::string* error);

// Resolves a bundle directory to its event log path; a file path is returned as is.
std::string EventLogPath(const std::string& path);

// Reads a whole file into *out with one read() of its size. False with errno
// set when it cannot be opened or read.
bool ReadWholeFile(const std::string& path, std::string* out);

// Loads the bytes of the event log at path (a file or a bundle directory),
// for streaming through a TraceReader. False with a one-line *error.
bool LoadEventLog(const std::string& path, std::string* data, std::string* error);

}  // namespace reel
