#include "replay/resp_stream.h"

#include <charconv>
#include <string>

#include "server/request_parser.h"

namespace reel::replay {

size_t ReplyLength(std::string_view s, size_t pos) {
  if (pos >= s.size()) return 0;
  size_t eol = s.find("\r\n", pos);
  if (eol == std::string_view::npos) return 0;
  char type = s[pos];
  std::string_view head = s.substr(pos + 1, eol - pos - 1);
  size_t end = eol + 2;
  if (type == '+' || type == '-' || type == ':') return end - pos;
  long long n = 0;
  auto [ptr, ec] = std::from_chars(head.data(), head.data() + head.size(), n);
  if (ec != std::errc() || ptr != head.data() + head.size()) return 0;
  if (type == '$') {
    if (n < 0) return end - pos;
    if (end + static_cast<size_t>(n) + 2 > s.size()) return 0;
    return end + static_cast<size_t>(n) + 2 - pos;
  }
  if (type == '*') {
    size_t cur = end;
    for (long long i = 0; i < n; i++) {
      size_t l = ReplyLength(s, cur);
      if (l == 0) return 0;
      cur += l;
    }
    return cur - pos;
  }
  return 0;
}

std::vector<std::string> SplitReplies(std::string_view s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t l = ReplyLength(s, pos);
    if (l == 0) break;
    out.emplace_back(s.substr(pos, l));
    pos += l;
  }
  return out;
}

std::vector<std::vector<std::string>> SplitCommands(std::string_view s) {
  std::vector<std::vector<std::string>> out;
  RequestParser parser;
  ParserLimits limits;
  std::vector<std::string_view> argv;
  std::string error;
  size_t pos = 0;
  while (pos < s.size()) {
    ParseStatus st = parser.Next(s, &pos, limits, &argv, &error);
    if (st == ParseStatus::kCommand) out.emplace_back(argv.begin(), argv.end());
    if (st == ParseStatus::kNeedMore || st == ParseStatus::kError) break;
  }
  return out;
}

}  // namespace reel::replay
