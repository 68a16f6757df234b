#include "server/request_parser.h"

#include <cstring>

#include "server/numbers.h"

namespace reel {

namespace {

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
bool IsSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

}  // namespace

bool SplitInlineArgs(std::string_view line, std::vector<std::string>* out) {
  out->clear();
  size_t i = 0, n = line.size();
  while (true) {
    while (i < n && IsSpace(line[i])) i++;
    if (i >= n) return true;
    bool in_dq = false, in_sq = false, done = false;
    std::string current;
    while (!done) {
      if (in_dq) {
        if (i >= n) return false;  // unterminated quotes
        char c = line[i];
        if (c == '\\' && i + 3 < n && line[i + 1] == 'x' && IsHexDigit(line[i + 2]) &&
            IsHexDigit(line[i + 3])) {
          current.push_back(static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
          i += 3;
        } else if (c == '\\' && i + 1 < n) {
          i++;
          switch (line[i]) {
            case 'n': current.push_back('\n'); break;
            case 'r': current.push_back('\r'); break;
            case 't': current.push_back('\t'); break;
            case 'b': current.push_back('\b'); break;
            case 'a': current.push_back('\a'); break;
            default: current.push_back(line[i]); break;
          }
        } else if (c == '"') {
          // The closing quote must be followed by a space or the end.
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          done = true;
        } else {
          current.push_back(c);
        }
      } else if (in_sq) {
        if (i >= n) return false;
        char c = line[i];
        if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
          i++;
          current.push_back('\'');
        } else if (c == '\'') {
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          done = true;
        } else {
          current.push_back(c);
        }
      } else {
        if (i >= n) {
          done = true;
          break;
        }
        char c = line[i];
        if (IsSpace(c)) {
          done = true;
        } else if (c == '"') {
          in_dq = true;
        } else if (c == '\'') {
          in_sq = true;
        } else {
          current.push_back(c);
        }
      }
      if (i < n) i++;
    }
    out->push_back(std::move(current));
  }
}

void RequestParser::Reset() {
  type_ = Type::kUnknown;
  multibulk_len_ = 0;
  bulk_len_ = -1;
  cursor_ = 0;
  spans_.clear();
}

ParseStatus RequestParser::Next(std::string_view buf, size_t* pos, const ParserLimits& limits,
                                std::vector<std::string_view>* argv, std::string* error) {
  if (*pos >= buf.size()) return ParseStatus::kNeedMore;
  if (type_ == Type::kUnknown) type_ = buf[*pos] == '*' ? Type::kMultibulk : Type::kInline;
  if (type_ == Type::kInline) return ParseInline(buf, pos, limits, argv, error);
  return ParseMultibulk(buf, pos, limits, argv, error);
}

ParseStatus RequestParser::ParseInline(std::string_view buf, size_t* pos,
                                       const ParserLimits& limits,
                                       std::vector<std::string_view>* argv, std::string* error) {
  const char* start = buf.data() + *pos;
  size_t avail = buf.size() - *pos;
  const char* newline = static_cast<const char*>(std::memchr(start, '\n', avail));
  if (newline == nullptr) {
    if (avail > limits.inline_max_size) {
      *error = "Protocol error: too big inline request";
      return ParseStatus::kError;
    }
    return ParseStatus::kNeedMore;
  }
  size_t line_len = static_cast<size_t>(newline - start);
  if (line_len > 0 && start[line_len - 1] == '\r') line_len--;
  if (!SplitInlineArgs(std::string_view(start, line_len), &inline_args_)) {
    *error = "Protocol error: unbalanced quotes in request";
    return ParseStatus::kError;
  }
  *pos += static_cast<size_t>(newline - start) + 1;
  Reset();
  if (inline_args_.empty()) return ParseStatus::kEmpty;
  argv->clear();
  for (const auto& a : inline_args_) argv->emplace_back(a);
  return ParseStatus::kCommand;
}

ParseStatus RequestParser::ParseMultibulk(std::string_view buf, size_t* pos,
                                          const ParserLimits& limits,
                                          std::vector<std::string_view>* argv, std::string* error) {
  const size_t base = *pos;  // command start; offsets below are relative to it
  size_t cur = base + cursor_;

  if (multibulk_len_ == 0) {
    // The "*<count>\r\n" line.
    const char* p = static_cast<const char*>(std::memchr(buf.data() + cur, '\r', buf.size() - cur));
    if (p == nullptr) {
      if (buf.size() - base > limits.inline_max_size) {
        *error = "Protocol error: too big mbulk count string";
        return ParseStatus::kError;
      }
      return ParseStatus::kNeedMore;
    }
    size_t nl = static_cast<size_t>(p - buf.data());
    if (nl + 1 >= buf.size()) return ParseStatus::kNeedMore;  // need the '\n' too
    auto count = ParseInt64(buf.substr(cur + 1, nl - (cur + 1)));
    if (!count || *count > INT32_MAX) {
      *error = "Protocol error: invalid multibulk length";
      return ParseStatus::kError;
    }
    if (*count > 10 && !limits.authenticated) {
      *error = "Protocol error: unauthenticated multibulk length";
      return ParseStatus::kError;
    }
    cur = nl + 2;
    if (*count <= 0) {
      *pos = cur;
      Reset();
      return ParseStatus::kEmpty;
    }
    multibulk_len_ = *count;
    spans_.clear();
    // Don't trust the announced count for preallocation beyond a sane cap.
    spans_.reserve(static_cast<size_t>(*count < 1024 ? *count : 1024));
  }

  while (multibulk_len_ > 0) {
    if (bulk_len_ == -1) {
      const char* p =
          static_cast<const char*>(std::memchr(buf.data() + cur, '\r', buf.size() - cur));
      if (p == nullptr) {
        if (buf.size() - cur > limits.inline_max_size) {
          *error = "Protocol error: too big bulk count string";
          return ParseStatus::kError;
        }
        break;
      }
      size_t nl = static_cast<size_t>(p - buf.data());
      if (nl + 1 >= buf.size()) break;
      if (buf[cur] != '$') {
        *error = "Protocol error: expected '$', got '";
        error->push_back(buf[cur]);
        error->push_back('\'');
        return ParseStatus::kError;
      }
      auto len = ParseInt64(buf.substr(cur + 1, nl - (cur + 1)));
      if (!len || *len < 0 || *len > limits.proto_max_bulk_len) {
        *error = "Protocol error: invalid bulk length";
        return ParseStatus::kError;
      }
      if (*len > 16384 && !limits.authenticated) {
        *error = "Protocol error: unauthenticated bulk length";
        return ParseStatus::kError;
      }
      cur = nl + 2;
      bulk_len_ = *len;
    }
    // The argument and its trailing CRLF (which, like Redis, we skip
    // without checking).
    if (buf.size() - cur < static_cast<size_t>(bulk_len_) + 2) break;
    spans_.emplace_back(cur - base, static_cast<size_t>(bulk_len_));
    cur += static_cast<size_t>(bulk_len_) + 2;
    bulk_len_ = -1;
    multibulk_len_--;
  }

  if (multibulk_len_ > 0) {
    cursor_ = cur - base;
    return ParseStatus::kNeedMore;
  }
  argv->clear();
  for (const auto& [off, len] : spans_) argv->emplace_back(buf.data() + base + off, len);
  *pos = cur;
  Reset();
  return ParseStatus::kCommand;
}

}  // namespace reel
