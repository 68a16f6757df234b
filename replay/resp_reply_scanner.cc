#include "replay/resp_reply_scanner.h"

#include <cstring>

namespace reel::replay {

namespace {

constexpr int64_t kMaxBulk = int64_t{1} << 40;
constexpr int64_t kMaxElements = int64_t{1} << 32;

// Parses the decimal after the type byte of the line [begin, end).
bool ParseLength(std::string_view line, int64_t* out) {
  if (line.empty() || line.size() > 20) return false;
  size_t i = 0;
  bool negative = line[0] == '-';
  if (negative) i = 1;
  if (i >= line.size()) return false;
  int64_t v = 0;
  for (; i < line.size(); i++) {
    if (line[i] < '0' || line[i] > '9') return false;
    v = v * 10 + (line[i] - '0');
    if (v > kMaxElements * 1024) return false;
  }
  *out = negative ? -v : v;
  return true;
}

}  // namespace

RespScan ScanReply(std::string_view buf, size_t pos, RespReply* out) {
  out->leaves.clear();
  out->begin = pos;
  out->type = 0;
  out->top_elements = -1;
  struct Frame {
    int64_t remaining;
    bool attribute;
  };
  std::vector<Frame> stack{{1, false}};
  size_t attribute_frames = 0;  // frames on the stack that are attributes
  int top_child = -1;
  size_t p = pos;
  while (!stack.empty()) {
    if (stack.back().remaining == 0) {
      if (stack.back().attribute) attribute_frames--;
      stack.pop_back();
      continue;
    }
    stack.back().remaining--;
    const bool in_attribute = attribute_frames > 0;
    const bool top_level_child = stack.size() == 2 && !in_attribute;
    if (top_level_child) top_child++;
    if (p >= buf.size()) return RespScan::kNeedMore;
    const char type = buf[p];
    const char* nl = static_cast<const char*>(std::memchr(buf.data() + p, '\n', buf.size() - p));
    if (nl == nullptr) return RespScan::kNeedMore;
    size_t line_end = static_cast<size_t>(nl - buf.data());  // at '\n'
    if (line_end == p || buf[line_end - 1] != '\r') return RespScan::kMalformed;
    std::string_view line = buf.substr(p + 1, line_end - 1 - (p + 1));
    size_t after_line = line_end + 1;
    if (stack.size() == 1 && out->type == 0 && type != '|') out->type = type;
    RespLeaf leaf;
    leaf.type = type;
    leaf.top_index = stack.size() >= 2 ? top_child : -1;
    leaf.in_attribute = in_attribute;
    switch (type) {
      case '+':
      case '-':
      case ':':
      case ',':
      case '#':
      case '(':
      case '_':
        leaf.offset = p + 1;
        leaf.length = line.size();
        out->leaves.push_back(leaf);
        p = after_line;
        break;
      case '$':
      case '=':
      case '!': {
        int64_t n = 0;
        if (!ParseLength(line, &n) || n > kMaxBulk) return RespScan::kMalformed;
        if (n < 0) {  // RESP2 null bulk
          leaf.type = '_';
          leaf.offset = p + 1;
          leaf.length = 0;
          out->leaves.push_back(leaf);
          p = after_line;
          break;
        }
        size_t len = static_cast<size_t>(n);
        if (buf.size() - after_line < len + 2) return RespScan::kNeedMore;
        if (buf[after_line + len] != '\r' || buf[after_line + len + 1] != '\n')
          return RespScan::kMalformed;
        leaf.offset = after_line;
        leaf.length = len;
        out->leaves.push_back(leaf);
        p = after_line + len + 2;
        break;
      }
      case '*':
      case '~':
      case '>':
      case '%':
      case '|': {
        int64_t n = 0;
        if (!ParseLength(line, &n) || n > kMaxElements) return RespScan::kMalformed;
        p = after_line;
        if (n < 0) {  // RESP2 null array
          leaf.type = '_';
          leaf.offset = after_line;
          leaf.length = 0;
          out->leaves.push_back(leaf);
          break;
        }
        int64_t elements = (type == '%' || type == '|') ? 2 * n : n;
        if (type == '|') {
          // An attribute precedes the element it annotates: that element is
          // still expected in this frame.
          stack.back().remaining++;
          if (top_level_child) top_child--;
          stack.push_back({elements, true});
          attribute_frames++;
          break;
        }
        if (stack.size() == 1) out->top_elements = static_cast<int>(elements);
        stack.push_back({elements, false});
        break;
      }
      default: return RespScan::kMalformed;
    }
  }
  out->end = p;
  return RespScan::kComplete;
}

}  // namespace reel::replay
