// RequestParser: turns a client's query buffer into commands, with Redis
// 7.0's rules and error texts (networking.c processInlineBuffer and
// processMultibulkBuffer). It is incremental: a command split across reads
// resumes where the previous scan stopped instead of rescanning, and the
// arguments of a multibulk command are views into the caller's buffer, so a
// pipelined burst is parsed without copying or allocating.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace reel {

struct ParserLimits {
  int64_t proto_max_bulk_len = 512ll * 1024 * 1024;  // proto-max-bulk-len
  size_t inline_max_size = 64 * 1024;                // PROTO_INLINE_MAX_SIZE
  bool authenticated = true;                         // false applies the unauthenticated limits
};

enum class ParseStatus {
  kNeedMore,  // the buffer ends inside a command; read more and call again
  kCommand,   // argv holds one command; *pos is past it
  kEmpty,     // an empty command (*0, *-1, a blank line) was consumed; call again
  kError,     // protocol error: error holds Redis's text (without "-ERR ")
};

class RequestParser {
 public:
  // Parses at most one command from buf starting at *pos. On kCommand,
  // argv's views point into buf (multibulk) or into the parser (inline) and
  // stay valid until the next call or until buf changes. On kNeedMore the
  // parser remembers its progress relative to *pos, so the caller may move
  // the unconsumed bytes to the front of its buffer (adjusting *pos) before
  // calling again.
  ParseStatus Next(std::string_view buf, size_t* pos, const ParserLimits& limits,
                   std::vector<std::string_view>* argv, std::string* error);

  // True while a multibulk command is partially parsed.
  bool in_progress() const { return type_ != Type::kUnknown; }
  // The bulk length being waited for (Redis uses it to size big reads), or -1.
  int64_t pending_bulk_len() const { return bulk_len_; }
  void Reset();

 private:
  enum class Type { kUnknown, kInline, kMultibulk };

  ParseStatus ParseInline(std::string_view buf, size_t* pos, const ParserLimits& limits,
                          std::vector<std::string_view>* argv, std::string* error);
  ParseStatus ParseMultibulk(std::string_view buf, size_t* pos, const ParserLimits& limits,
                             std::vector<std::string_view>* argv, std::string* error);

  Type type_ = Type::kUnknown;
  int64_t multibulk_len_ = 0;  // arguments still to read
  int64_t bulk_len_ = -1;      // length of the argument being read, or -1
  size_t cursor_ = 0;          // resume offset, relative to the command start
  // (offset, length) of each argument, relative to the command start.
  std::vector<std::pair<size_t, size_t>> spans_;
  std::vector<std::string> inline_args_;
};

// Splits an inline command line like Redis's sdssplitargs: spaces separate
// arguments; "double quotes" support \n \r \t \b \a \\ \" and \xHH;
// 'single quotes' support \'. Returns false on unbalanced quotes.
bool SplitInlineArgs(std::string_view line, std::vector<std::string>* out);

}  // namespace reel
