#include "replay/timeline.h"

#include <cerrno>
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

void TimelineWriter::Escaped(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  line_.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': line_ += "\\\""; break;
      case '\\': line_ += "\\\\"; break;
      case '\n': line_ += "\\n"; break;
      case '\r': line_ += "\\r"; break;
      case '\t': line_ += "\\t"; break;
      default:
        // Bytes outside printable ASCII are escaped one by one, so any binary
        // argument still gives valid JSON (and stays byte-stable).
        if (c < 0x20 || c >= 0x7f) {
          line_ += "\\u00";
          line_.push_back(kHex[c >> 4]);
          line_.push_back(kHex[c & 15]);
        } else {
          line_.push_back(static_cast<char>(c));
        }
    }
  }
  line_.push_back('"');
}

void TimelineWriter::Str(std::string_view key, std::string_view value) {
  line_ += ",\"";
  line_ += key;
  line_ += "\":";
  Escaped(value);
}

void TimelineWriter::Int(std::string_view key, int64_t value) {
  line_ += ",\"";
  line_ += key;
  line_ += "\":";
  AppendInt64(line_, value);
}

void TimelineWriter::Uint(std::string_view key, uint64_t value) {
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

void TimelineWriter::Begin(int64_t t_ns, const char* kind) {
  line_.clear();
  line_ += "{\"seq\":";
  AppendInt64(line_, static_cast<int64_t>(++seq_));
  line_ += ",\"t_ns\":";
  AppendInt64(line_, t_ns);
  line_ += ",\"kind\":\"";
  line_ += kind;
  line_ += '"';
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
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
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
  char buf[20];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  Str("digest", buf);
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
