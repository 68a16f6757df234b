// TimelineReader: streams a replay timeline (docs/timeline.md, JSON Lines)
// event by event, so analyzers work on million-event timelines without
// holding them. A timeline comes from a file, or from a bundle directory,
// which is replayed first (recorded schedule) to produce one.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace reel::analyzers {

struct TimelineHeader {
  std::string version;  // "1.1"
  std::string source;   // the bundle's name
  std::string schedule;
  int64_t start_mono_ns = 0;
};

struct ReadyEntry {
  int fd = -1;
  uint64_t conn = 0;
  std::string mask;  // "IN|OUT"

  bool operator==(const ReadyEntry&) const = default;
};

// One timeline line. Fields a kind does not have keep their defaults.
struct TimelineEvent {
  uint64_t seq = 0;
  int64_t t_ns = 0;
  std::string kind;  // epoll_wait, accept, read, write, close, command, reply, timer, end

  int fd = -1;  // accept: the new fd; read/write/close: the fd
  uint64_t conn = 0;
  int64_t ret = 0;
  std::string err;  // errno name when ret < 0
  uint64_t requested = 0;

  // epoll_wait
  int epfd = -1;
  int maxevents = 0;
  int timeout_ms = 0;
  int64_t wait_ns = 0;
  std::vector<ReadyEntry> ready;
  // accept
  int listen_fd = -1;
  std::string peer;
  // command: name lowercased; args as written (a redacted one reads "<len N>")
  std::string name;  // also timer's name
  uint64_t argc = 0;
  std::vector<std::string> args;
  // reply
  uint64_t bytes = 0;
  std::string head;
  std::string digest;
  // end
  std::string verdict;

  bool operator==(const TimelineEvent&) const = default;
};

class TimelineReader {
 public:
  // Opens a timeline file, or replays the bundle directory at path.
  // False with a one-line *error when neither works.
  // (timeline_reader_open.cc: it needs the replay library.)
  bool Open(const std::string& path, std::string* error);
  // Opens a timeline file only.
  bool OpenFile(const std::string& path, std::string* error);
  // Reads from an in-memory timeline (tests; a replay's ReplayResult::timeline).
  void OpenText(std::string text);
  ~TimelineReader();

  // The header line. False with *error when missing, malformed or of an
  // unsupported major version.
  bool ReadHeader(TimelineHeader* header, std::string* error);
  // The next event. False at the end (error empty) or on a malformed line
  // (*error names the line number).
  bool Next(TimelineEvent* event, std::string* error);

  uint64_t line_number() const { return line_no_; }

 private:
  bool NextLine(std::string_view* line);
  bool NextFileLine(std::string_view* line);

  FILE* file_ = nullptr;
  // File input is read in large blocks; a line is a view into the block
  // unless it straddles two, when it is assembled in line_buf_.
  std::vector<char> block_;
  size_t block_pos_ = 0;
  size_t block_len_ = 0;
  bool read_failed_ = false;
  std::string text_;
  size_t text_pos_ = 0;
  std::string line_buf_;
  uint64_t line_no_ = 0;
};

// Parses one event line (exposed for the fuzz target and tests): the fast
// path below, and the JSON library for any line it declines. Fields the
// line does not have keep their defaults; *event's string capacity is reused.
bool ParseTimelineEvent(std::string_view line, TimelineEvent* event, std::string* error);

// The fast path alone: a hand-rolled parser for lines shaped as the writer
// writes them (no whitespace, integers, ASCII strings, any key order).
// False when it declines a line -- never an error by itself: the caller then
// asks ParseTimelineEventJson, which accepts every valid JSON spelling and
// words the error. When it returns true, *event equals what
// ParseTimelineEventJson gives (the fuzz target checks this).
bool ParseTimelineEventFast(std::string_view line, TimelineEvent* event);

// The reference parser (nlohmann::json).
bool ParseTimelineEventJson(std::string_view line, TimelineEvent* event, std::string* error);

}  // namespace reel::analyzers
