#include "analyzers/resp_framing.h"

#include <cctype>

namespace reel::analyzers {
namespace {

// The line at data[pos] up to "\r\n": its text and the offset after it.
bool Line(std::string_view data, uint64_t pos, std::string_view* text, uint64_t* next) {
  size_t cr = data.find("\r\n", pos);
  if (cr == std::string_view::npos) return false;
  *text = data.substr(pos, cr - pos);
  *next = cr + 2;
  return true;
}

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  bool neg = s[0] == '-';
  size_t i = neg ? 1 : 0;
  if (i == s.size()) return false;
  int64_t v = 0;
  for (; i < s.size(); i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    if (v > (INT64_MAX - 9) / 10) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = neg ? -v : v;
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s.substr(0, kMaxFramedArgBytes));
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

FrameStatus FrameInline(std::string_view data, uint64_t pos, FramedRequest* out) {
  size_t nl = data.find('\n', pos);
  if (nl == std::string_view::npos) return FrameStatus::kNeedMore;
  std::string_view line = data.substr(pos, nl - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  out->end = nl + 1;
  // Whitespace-separated words; the first is the command.
  auto word = [&line](size_t* at) {
    while (*at < line.size() && std::isspace(static_cast<unsigned char>(line[*at]))) (*at)++;
    size_t start = *at;
    while (*at < line.size() && !std::isspace(static_cast<unsigned char>(line[*at]))) (*at)++;
    return line.substr(start, *at - start);
  };
  size_t at = 0;
  std::string_view name = word(&at);
  out->empty = name.empty();
  out->command = Lower(name);
  out->key = std::string(word(&at).substr(0, kMaxFramedArgBytes));
  return FrameStatus::kComplete;
}

}  // namespace

FrameStatus FrameRequest(std::string_view data, uint64_t pos, FramedRequest* out) {
  *out = FramedRequest{};
  if (pos >= data.size()) return FrameStatus::kNeedMore;
  if (data[pos] != '*') return FrameInline(data, pos, out);
  std::string_view text;
  uint64_t next;
  if (!Line(data, pos + 1, &text, &next)) return FrameStatus::kNeedMore;
  int64_t argc;
  if (!ParseInt(text, &argc) || argc > 1024 * 1024) return FrameStatus::kMalformed;
  out->empty = argc <= 0;
  for (int64_t i = 0; i < argc; i++) {
    if (next >= data.size()) return FrameStatus::kNeedMore;
    if (data[next] != '$') return FrameStatus::kMalformed;
    int64_t len;
    if (!Line(data, next + 1, &text, &next)) return FrameStatus::kNeedMore;
    if (!ParseInt(text, &len) || len < 0) return FrameStatus::kMalformed;
    uint64_t body_end = next + static_cast<uint64_t>(len);
    if (body_end + 2 > data.size()) return FrameStatus::kNeedMore;
    if (data.substr(body_end, 2) != "\r\n") return FrameStatus::kMalformed;
    std::string_view arg = data.substr(next, static_cast<size_t>(len));
    if (i == 0) out->command = Lower(arg);
    if (i == 1) out->key = std::string(arg.substr(0, kMaxFramedArgBytes));
    next = body_end + 2;
  }
  out->end = next;
  return FrameStatus::kComplete;
}

namespace {

// One value's header at data[pos]: its type, first line, where its body
// ends (blob types) and how many nested values follow it.
FrameStatus ValueHeader(std::string_view data, uint64_t pos, char* type, std::string_view* text,
                        uint64_t* next, uint64_t* children) {
  if (pos >= data.size()) return FrameStatus::kNeedMore;
  *type = data[pos];
  if (!Line(data, pos + 1, text, next)) return FrameStatus::kNeedMore;
  int64_t n = 0;
  *children = 0;
  switch (*type) {
    case '+':
    case '-':
    case ':':
    case '_':
    case ',':
    case '#':
    case '(': return FrameStatus::kComplete;
    case '$':
    case '!':
    case '=':  // blob string, blob error, verbatim string
      if (!ParseInt(*text, &n)) return FrameStatus::kMalformed;
      if (n < 0) return FrameStatus::kComplete;  // a null
      if (*next + static_cast<uint64_t>(n) + 2 > data.size()) return FrameStatus::kNeedMore;
      if (data.substr(*next + n, 2) != "\r\n") return FrameStatus::kMalformed;
      *next += static_cast<uint64_t>(n) + 2;
      return FrameStatus::kComplete;
    case '*':
    case '~':
    case '>':
    case '%':
    case '|':
      if (!ParseInt(*text, &n) || n > (int64_t{1} << 40)) return FrameStatus::kMalformed;
      if (n < 0) n = 0;  // a null array
      *children = static_cast<uint64_t>(n) * ((*type == '%' || *type == '|') ? 2 : 1);
      return FrameStatus::kComplete;
    default: return FrameStatus::kMalformed;
  }
}

// Frames `count` whole values from *pos; nesting is a counter, not a
// recursion, so hostile depth cannot exhaust the stack.
FrameStatus SkipValues(std::string_view data, uint64_t* pos, uint64_t count) {
  while (count > 0) {
    char type;
    std::string_view text;
    uint64_t next, children;
    FrameStatus st = ValueHeader(data, *pos, &type, &text, &next, &children);
    if (st != FrameStatus::kComplete) return st;
    count = count - 1 + children;
    *pos = next;
  }
  return FrameStatus::kComplete;
}

}  // namespace

FrameStatus FrameReply(std::string_view data, uint64_t pos, FramedReply* out) {
  *out = FramedReply{};
  char type;
  std::string_view text;
  uint64_t next, children;
  while (true) {
    FrameStatus st = ValueHeader(data, pos, &type, &text, &next, &children);
    if (st != FrameStatus::kComplete) return st;
    if (type != '|') break;
    // An attribute annotates the value after it: skip its pairs.
    pos = next;
    if ((st = SkipValues(data, &pos, children)) != FrameStatus::kComplete) return st;
  }
  out->type = type;
  out->push = type == '>';
  // As the timeline writes it: the first line (128 bytes at most) for
  // statuses, errors and integers, the type byte otherwise.
  out->head = std::string(1, type);
  if (type == '+' || type == '-' || type == ':') out->head.append(text.substr(0, 127));
  pos = next;
  FrameStatus st = SkipValues(data, &pos, children);
  if (st != FrameStatus::kComplete) return st;
  out->end = pos;
  return FrameStatus::kComplete;
}

}  // namespace reel::analyzers
