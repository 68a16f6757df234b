#include "replay/timeline.h"

#include <cerrno>
#include <charconv>
#include <cstring>

#include "server/numbers.h"

namespace reel::replay {

std::string MaskString(uint32_t ev) {
  static constexpr struct {
    uint32_t bit;
    const char* name;
  } kNames[] = {{kEpollIn, "IN"},
                {kEpollPri, "PRI"},
                {kEpollOut, "OUT"},
                {kEpollErr, "ERR"},
                {kEpollHup, "HUP"},
                {0x040, "RDNORM"},
                {0x080, "RDBAND"},
                {0x100, "WRNORM"},
                {0x200, "WRBAND"},
                {kEpollRdHup, "RDHUP"},
                {kEpollExclusive, "EXCLUSIVE"},
                {kEpollWakeup, "WAKEUP"},
                {kEpollOneShot, "ONESHOT"},
                {kEpollEt, "ET"}};
  std::string s;
  uint32_t rest = ev;
  for (const auto& n : kNames) {
    if (ev & n.bit) {
      if (!s.empty()) s += '|';
      s += n.name;
      rest &= ~n.bit;
    }
  }
  if (rest) {
    char buf[16];
    snprintf(buf, sizeof buf, "0x%x", rest);
    if (!s.empty()) s += '|';
    s += buf;
  }
  return s.empty() ? "0" : s;
}

namespace {

// Assembles the fixed parts of a line (keys, punctuation, numbers) on the
// stack and appends them to the line in one go: appending piece by piece,
// with a capacity check each, was a large share of the writer's time at two
// million lines. Flushes early rather than overflow, so any length is safe.
class Piece {
 public:
  explicit Piece(std::string& line) : line_(line) {}
  ~Piece() { Flush(); }
  [[gnu::always_inline]] Piece& Text(std::string_view s) {
    if (s.size() > Room()) Flush();
    if (s.size() > Room()) {
      line_.append(s);
    } else {
      std::memcpy(p_, s.data(), s.size());
      p_ += s.size();
    }
    return *this;
  }
  [[gnu::always_inline]] Piece& Number(int64_t v) {
    if (Room() < 20) Flush();
    p_ = std::to_chars(p_, buf_ + sizeof buf_, v).ptr;
    return *this;
  }
  void Flush() {
    line_.append(buf_, static_cast<size_t>(p_ - buf_));  // (ptr, len): the iterator form is slower
    p_ = buf_;
  }

 private:
  size_t Room() const { return static_cast<size_t>(buf_ + sizeof buf_ - p_); }
  std::string& line_;
  char buf_[128];
  char* p_ = buf_;
};

bool NeedsEscape(unsigned char c) {
  return c == '"' || c == '\\' || c < 0x20 || c >= 0x7f;
}

}  // namespace

void TimelineWriter::Escaped(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  line_.push_back('"');
  // Runs of plain bytes (nearly all of a timeline) are appended whole; only
  // the bytes that need it go through the switch below.
  size_t i = 0;
  while (i < s.size()) {
    size_t plain = i;
    while (plain < s.size() && !NeedsEscape(static_cast<unsigned char>(s[plain]))) plain++;
    line_.append(s.data() + i, plain - i);
    if (plain == s.size()) break;
    i = plain + 1;
    unsigned char c = static_cast<unsigned char>(s[plain]);
    switch (c) {
      case '"': line_ += "\\\""; break;
      case '\\': line_ += "\\\\"; break;
      case '\n': line_ += "\\n"; break;
      case '\r': line_ += "\\r"; break;
      case '\t': line_ += "\\t"; break;
      default:
        // Bytes outside printable ASCII are escaped one by one, so any binary
        // argument still gives valid JSON (and stays byte-stable).
        line_ += "\\u00";
        line_.push_back(kHex[c >> 4]);
        line_.push_back(kHex[c & 15]);
    }
  }
  line_.push_back('"');
}

// Str, Int, Uint and Begin are inlined into the event writers, so the
// literal keys' lengths are constants where they are copied (measured: about
// 0.2 s less CPU for a 2M-line timeline).
[[gnu::always_inline]] inline void TimelineWriter::Str(std::string_view key,
                                                       std::string_view value) {
  Piece(line_).Text(",\"").Text(key).Text("\":");
  Escaped(value);
}

[[gnu::always_inline]] inline void TimelineWriter::Int(std::string_view key, int64_t value) {
  Piece(line_).Text(",\"").Text(key).Text("\":").Number(value);
}

[[gnu::always_inline]] inline void TimelineWriter::Uint(std::string_view key, uint64_t value) {
  Int(key, static_cast<int64_t>(value));
}

void TimelineWriter::Result(SysResult r) {
  if (r.ok()) {
    Int("ret", r.value);
  } else {
    Int("ret", -1);
    Str("errno", strerrorname_np(r.err) ? strerrorname_np(r.err) : "E?");
  }
}

[[gnu::always_inline]] inline void TimelineWriter::Begin(int64_t t_ns, const char* kind) {
  line_.clear();
  Piece(line_)
      .Text("{\"seq\":")
      .Number(static_cast<int64_t>(++seq_))
      .Text(",\"t_ns\":")
      .Number(t_ns)
      .Text(",\"kind\":\"")
      .Text(kind)
      .Text("\"");
}

void TimelineWriter::Finish() {
  line_ += "}\n";
  if (out_) fwrite(line_.data(), 1, line_.size(), out_);
  if (sink_) sink_->append(line_);
}

void TimelineWriter::Header(std::string_view source, std::string_view schedule,
                            int64_t start_mono_ns) {
  line_ = "{\"timeline_version\":\"";
  line_ += kTimelineVersion;
  line_ += '"';
  Str("source", source);
  Str("schedule", schedule);
  Int("start_mono_ns", start_mono_ns);
  Int("max_arg_bytes", static_cast<int64_t>(options_.max_arg_bytes));
  line_ += options_.redact_args ? ",\"args_redacted\":true" : ",\"args_redacted\":false";
  Finish();
}

void TimelineWriter::Accept(int64_t t_ns, int listen_fd, SysResult r, uint64_t conn,
                            std::string_view peer) {
  Begin(t_ns, "accept");
  Int("listen_fd", listen_fd);
  Result(r);
  if (r.ok()) {
    Int("fd", r.value);
    Uint("conn", conn);
    Str("peer", peer);
  }
  Finish();
}

void TimelineWriter::EpollWait(int64_t t_ns, int epfd, int maxevents, int timeout_ms,
                               const std::vector<EpollEvent>& ready,
                               const std::vector<uint64_t>& conns, SysResult r, int64_t wait_ns) {
  Begin(t_ns, "epoll_wait");
  Int("epfd", epfd);
  Int("maxevents", maxevents);
  Int("timeout_ms", timeout_ms);
  Result(r);
  line_ += ",\"ready\":[";
  for (size_t i = 0; i < ready.size(); i++) {
    if (i) line_.push_back(',');
    line_ += "{\"fd\":";
    AppendInt64(line_, static_cast<int64_t>(ready[i].data));
    line_ += ",\"conn\":";
    AppendInt64(line_, static_cast<int64_t>(i < conns.size() ? conns[i] : 0));
    line_ += ",\"mask\":\"";
    line_ += MaskString(ready[i].events);
    line_ += "\"}";
  }
  line_ += ']';
  Int("wait_ns", wait_ns);
  Finish();
}

void TimelineWriter::Read(int64_t t_ns, int fd, uint64_t conn, uint64_t requested, SysResult r) {
  Begin(t_ns, "read");
  Int("fd", fd);
  Uint("conn", conn);
  Uint("requested", requested);
  Result(r);
  Finish();
}

void TimelineWriter::Write(int64_t t_ns, int fd, uint64_t conn, uint64_t requested, SysResult r) {
  Begin(t_ns, "write");
  Int("fd", fd);
  Uint("conn", conn);
  Uint("requested", requested);
  Result(r);
  Finish();
}

void TimelineWriter::Close(int64_t t_ns, int fd, uint64_t conn) {
  Begin(t_ns, "close");
  Int("fd", fd);
  Uint("conn", conn);
  Finish();
}

void TimelineWriter::Command(int64_t t_ns, uint64_t conn,
                             const std::vector<std::string_view>& argv) {
  Begin(t_ns, "command");
  Uint("conn", conn);
  std::string name(argv.empty() ? std::string_view() : argv[0]);
  // ASCII only, as std::tolower does in the "C" locale reel runs in, but
  // without a libc call per byte.
  for (char& c : name)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  Str("name", name);
  Uint("argc", argv.size());
  line_ += ",\"args\":[";
  for (size_t i = 1; i < argv.size(); i++) {
    if (i > 1) line_.push_back(',');
    if (options_.redact_args) {
      line_ += "{\"len\":";
      AppendInt64(line_, static_cast<int64_t>(argv[i].size()));
      line_ += '}';
    } else {
      Escaped(argv[i].substr(0, options_.max_arg_bytes));
    }
  }
  line_ += ']';
  Finish();
}

void TimelineWriter::Reply(int64_t t_ns, uint64_t conn, std::string_view reply) {
  Begin(t_ns, "reply");
  Uint("conn", conn);
  Uint("bytes", reply.size());
  // The reply's type byte and, for errors and statuses, its first line:
  // enough to diff behaviour without storing every value.
  std::string_view head = reply.substr(0, reply.find("\r\n"));
  if (!head.empty() && (head[0] == '-' || head[0] == '+' || head[0] == ':')) {
    Str("head", head.substr(0, 128));
  } else {
    Str("head", head.substr(0, 1));
  }
  // A stable digest of the whole reply, so two timelines differ when any
  // byte of a reply does.
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : reply) h = (h ^ c) * 1099511628211ull;
  // "%016llx" by hand: snprintf was a visible share of a million replies.
  static const char kHex[] = "0123456789abcdef";
  char buf[16];
  for (int i = 15; i >= 0; i--, h >>= 4) buf[i] = kHex[h & 15];
  Str("digest", std::string_view(buf, sizeof buf));
  Finish();
}

void TimelineWriter::Timer(int64_t t_ns, std::string_view name) {
  Begin(t_ns, "timer");
  Str("name", name);
  Finish();
}

void TimelineWriter::End(int64_t t_ns, std::string_view verdict) {
  Begin(t_ns, "end");
  Str("verdict", verdict);
  Finish();
}

}  // namespace reel::replay
