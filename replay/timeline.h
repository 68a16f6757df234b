// Timeline: the replay's output, a versioned JSON Lines stream
// (docs/timeline.md): a header line, then one event per line. Everything in
// it derives from the bundle — recorded times, fds, bytes, commands — so the
// same bundle gives a byte-identical timeline on every run and machine.
// Lines are written by hand (fixed key order, no floating point) because
// replay emits millions of them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "core/kernel.h"

namespace reel::replay {

inline constexpr const char* kTimelineVersion = "1.1";

struct TimelineOptions {
  size_t max_arg_bytes = 64;  // command arguments are truncated to this many bytes
  bool redact_args = false;   // replace every argument after the name by its length
};

// Writes timeline lines to a FILE* or into a string (tests, diffs).
class TimelineWriter {
 public:
  TimelineWriter(FILE* out, TimelineOptions options) : out_(out), options_(options) {}
  explicit TimelineWriter(std::string* sink, TimelineOptions options = {})
      : sink_(sink), options_(options) {}

  void Header(std::string_view source, std::string_view schedule, int64_t start_mono_ns);

  // t_ns: virtual time, ns since the recording started (a call's return).
  // epoll_wait's wait_ns: how long the call blocked (entry = t_ns - wait_ns). conn: the stable
  // connection id (1, 2, ... in accept order; 0 = none).
  void Accept(int64_t t_ns, int listen_fd, SysResult r, uint64_t conn, std::string_view peer);
  void EpollWait(int64_t t_ns, int epfd, int maxevents, int timeout_ms,
                 const std::vector<EpollEvent>& ready, const std::vector<uint64_t>& conns,
                 SysResult r, int64_t wait_ns);
  void Read(int64_t t_ns, int fd, uint64_t conn, uint64_t requested, SysResult r);
  void Write(int64_t t_ns, int fd, uint64_t conn, uint64_t requested, SysResult r);
  void Close(int64_t t_ns, int fd, uint64_t conn);
  void Command(int64_t t_ns, uint64_t conn, const std::vector<std::string_view>& argv);
  void Reply(int64_t t_ns, uint64_t conn, std::string_view reply);
  void Timer(int64_t t_ns, std::string_view name);
  void End(int64_t t_ns, std::string_view verdict);

  uint64_t events() const { return seq_; }

 private:
  void Begin(int64_t t_ns, const char* kind);
  void Finish();
  void Str(std::string_view key, std::string_view value);
  void Int(std::string_view key, int64_t value);
  void Uint(std::string_view key, uint64_t value);
  void Result(SysResult r);
  void Mask(uint32_t events);
  void Escaped(std::string_view s);

  FILE* out_ = nullptr;
  std::string* sink_ = nullptr;
  TimelineOptions options_;
  std::string line_;
  uint64_t seq_ = 0;
};

// "IN|OUT|HUP" for an epoll mask (unknown bits as hex).
std::string MaskString(uint32_t events);

}  // namespace reel::replay
