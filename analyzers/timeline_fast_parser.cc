// The fast path of ParseTimelineEvent: timeline lines are flat objects of
// integers, ASCII strings and two small arrays, so a direct scan parses one
// in a fraction of the time a DOM parser takes (diffing two million-event
// timelines is mostly parsing). It accepts a strict subset of JSON and
// declines (returns false) on anything else, leaving the verdict to the JSON
// library; it never accepts what the library would reject or read
// differently, which the fuzz target checks line by line.
#include <string>
#include <string_view>

#include "analyzers/timeline_reader.h"

namespace reel::analyzers {
namespace {

constexpr int kMaxSkipDepth = 8;

class Scanner {
 public:
  explicit Scanner(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  bool AtEnd() const { return p_ == end_; }
  bool Peek(char c) const { return p_ != end_ && *p_ == c; }
  bool Eat(char c) {
    if (!Peek(c)) return false;
    ++p_;
    return true;
  }

  // An integer without fraction or exponent, at most 18 digits (so it fits
  // int64 exactly; longer ones go to the library).
  bool Int(int64_t* out) {
    bool negative = Eat('-');
    const char* digits = p_;
    int64_t v = 0;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
      if (p_ - digits == 18) return false;
      v = v * 10 + (*p_++ - '0');
    }
    size_t n = static_cast<size_t>(p_ - digits);
    if (n == 0 || (n > 1 && *digits == '0')) return false;
    if (p_ != end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    *out = negative ? -v : v;
    return true;
  }
  template <typename T>
  bool IntAs(T* out) {
    int64_t v;
    if (!Int(&v)) return false;
    *out = static_cast<T>(v);  // the same narrowing the library's get<T>() does
    return true;
  }

  // A string of printable ASCII and escapes; \u escapes decode to UTF-8 as
  // the library does (surrogates are left to it).
  bool Str(std::string* out) {
    out->clear();
    if (!Eat('"')) return false;
    for (;;) {
      const char* run = p_;
      while (p_ != end_ && *p_ != '"' && *p_ != '\\' && *p_ >= 0x20 && *p_ < 0x7f) ++p_;
      if (p_ == end_) return false;
      out->append(run, static_cast<size_t>(p_ - run));
      char c = *p_++;
      if (c == '"') return true;
      if (c != '\\') return false;  // a control byte or non-ASCII: the library decides
      if (p_ == end_) return false;
      switch (*p_++) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u':
          if (!Unicode(out)) return false;
          break;
        default: return false;
      }
    }
  }

  // A key: a plain string with no escapes, as a view into the line.
  bool Key(std::string_view* key) {
    if (!Eat('"')) return false;
    const char* start = p_;
    while (p_ != end_ && *p_ != '"' && *p_ != '\\' && *p_ >= 0x20 && *p_ < 0x7f) ++p_;
    if (!Eat('"')) return false;
    *key = std::string_view(start, static_cast<size_t>(p_ - start - 1));
    return Eat(':');
  }

  // Skips a value of a key this reader does not know (a later minor
  // version's addition).
  bool Skip(int depth) {
    if (depth > kMaxSkipDepth || AtEnd()) return false;
    if (Peek('"')) return Str(&scratch_);
    if (Eat('[')) {
      if (Eat(']')) return true;
      do {
        if (!Skip(depth + 1)) return false;
      } while (Eat(','));
      return Eat(']');
    }
    if (Eat('{')) {
      if (Eat('}')) return true;
      std::string_view key;
      do {
        if (!Key(&key) || !Skip(depth + 1)) return false;
      } while (Eat(','));
      return Eat('}');
    }
    if (Literal("true") || Literal("false")) return true;
    int64_t v;
    return Int(&v);  // null is declined: the library's Get() treats it specially
  }

 private:
  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word)
      return false;
    p_ += word.size();
    return true;
  }

  bool Unicode(std::string* out) {
    if (end_ - p_ < 4) return false;
    unsigned code = 0;
    for (int i = 0; i < 4; i++) {
      char h = *p_++;
      unsigned d;
      if (h >= '0' && h <= '9')
        d = static_cast<unsigned>(h - '0');
      else if (h >= 'a' && h <= 'f')
        d = static_cast<unsigned>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F')
        d = static_cast<unsigned>(h - 'A' + 10);
      else
        return false;
      code = code * 16 + d;
    }
    if (code >= 0xD800 && code <= 0xDFFF) return false;
    if (code < 0x80) {
      out->push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (code >> 6)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xE0 | (code >> 12)));
      out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
    return true;
  }

  const char* p_;
  const char* end_;
  std::string scratch_;
};

// Clears *e to its defaults, keeping the strings' and vectors' capacity so a
// reader reusing one event allocates little per line.
void Reset(TimelineEvent* e) {
  e->seq = 0;
  e->t_ns = 0;
  e->kind.clear();
  e->fd = -1;
  e->conn = 0;
  e->ret = 0;
  e->err.clear();
  e->requested = 0;
  e->epfd = -1;
  e->maxevents = 0;
  e->timeout_ms = 0;
  e->wait_ns = 0;
  e->ready.clear();
  e->listen_fd = -1;
  e->peer.clear();
  e->name.clear();
  e->argc = 0;
  e->args.clear();
  e->bytes = 0;
  e->head.clear();
  e->digest.clear();
  e->verdict.clear();
}

bool ReadyEntryValue(Scanner& s, ReadyEntry* r) {
  if (!s.Eat('{')) return false;
  if (s.Eat('}')) return true;
  std::string_view key;
  do {
    if (!s.Key(&key)) return false;
    bool ok = key == "fd"     ? s.IntAs(&r->fd)
              : key == "conn" ? s.IntAs(&r->conn)
              : key == "mask" ? s.Str(&r->mask)
                              : s.Skip(1);
    if (!ok) return false;
  } while (s.Eat(','));
  return s.Eat('}');
}

bool ReadyValue(Scanner& s, std::vector<ReadyEntry>* ready) {
  ready->clear();  // a repeated key replaces, as in the library
  if (!s.Eat('[')) return false;
  if (s.Eat(']')) return true;
  do {
    if (!ReadyEntryValue(s, &ready->emplace_back())) return false;
  } while (s.Eat(','));
  return s.Eat(']');
}

// One argument: a string, or {"len":N} when the timeline is redacted.
bool ArgValue(Scanner& s, std::string* arg) {
  if (s.Peek('"')) return s.Str(arg);
  if (!s.Eat('{')) return false;
  bool has_len = false;
  uint64_t len = 0;
  std::string_view key;
  if (!s.Peek('}')) {
    do {
      if (!s.Key(&key)) return false;
      if (key == "len") {
        if (!s.IntAs(&len)) return false;
        has_len = true;
      } else if (!s.Skip(1)) {
        return false;
      }
    } while (s.Eat(','));
  }
  if (!s.Eat('}') || !has_len) return false;
  *arg = "<len " + std::to_string(len) + ">";
  return true;
}

bool ArgsValue(Scanner& s, std::vector<std::string>* args) {
  args->clear();
  if (!s.Eat('[')) return false;
  if (s.Eat(']')) return true;
  do {
    if (!ArgValue(s, &args->emplace_back())) return false;
  } while (s.Eat(','));
  return s.Eat(']');
}

bool Field(Scanner& s, std::string_view key, TimelineEvent* e) {
  // Ordered by how often a key occurs in a timeline.
  if (key == "seq") return s.IntAs(&e->seq);
  if (key == "t_ns") return s.IntAs(&e->t_ns);
  if (key == "kind") return s.Str(&e->kind);
  if (key == "conn") return s.IntAs(&e->conn);
  if (key == "fd") return s.IntAs(&e->fd);
  if (key == "ret") return s.IntAs(&e->ret);
  if (key == "requested") return s.IntAs(&e->requested);
  if (key == "name") return s.Str(&e->name);
  if (key == "argc") return s.IntAs(&e->argc);
  if (key == "args") return ArgsValue(s, &e->args);
  if (key == "bytes") return s.IntAs(&e->bytes);
  if (key == "head") return s.Str(&e->head);
  if (key == "digest") return s.Str(&e->digest);
  if (key == "epfd") return s.IntAs(&e->epfd);
  if (key == "maxevents") return s.IntAs(&e->maxevents);
  if (key == "timeout_ms") return s.IntAs(&e->timeout_ms);
  if (key == "ready") return ReadyValue(s, &e->ready);
  if (key == "wait_ns") return s.IntAs(&e->wait_ns);
  if (key == "errno") return s.Str(&e->err);
  if (key == "listen_fd") return s.IntAs(&e->listen_fd);
  if (key == "peer") return s.Str(&e->peer);
  if (key == "verdict") return s.Str(&e->verdict);
  return s.Skip(0);
}

}  // namespace

bool ParseTimelineEventFast(std::string_view line, TimelineEvent* e) {
  Reset(e);
  Scanner s(line);
  if (!s.Eat('{') || s.Eat('}')) return false;
  std::string_view key;
  do {
    if (!s.Key(&key) || !Field(s, key, e)) return false;
  } while (s.Eat(','));
  return s.Eat('}') && s.AtEnd() && !e->kind.empty();
}

}  // namespace reel::analyzers
