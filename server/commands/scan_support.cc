#include "server/commands/scan_support.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "server/glob.h"
#include "server/keyspace.h"
#include "server/numbers.h"
#include "server/reply.h"

namespace reel {

namespace {

// Redis compares option names with strcasecmp on NUL-terminated strings,
// so an argument counts only up to its first NUL byte.
std::string_view CString(std::string_view s) {
  return s.substr(0, s.find('\0'));
}

}  // namespace

std::optional<uint64_t> ParseScanCursor(std::string_view arg) {
  std::string text(CString(arg));
  if (!text.empty() && std::isspace(static_cast<unsigned char>(text[0]))) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return std::nullopt;
  return static_cast<uint64_t>(v);
}

bool ParseScanOptionsOrReply(CommandContext& ctx, size_t first, ScanOptions* options) {
  const Argv& argv = ctx.argv;
  for (size_t i = first; i < argv.size(); i += 2) {
    std::string_view opt = CString(argv[i]);
    const bool has_value = i + 1 < argv.size();
    if (EqualsIgnoreCase(opt, "count") && has_value) {
      std::optional<int64_t> n = ParseInt64(argv[i + 1]);
      if (!n) {
        ctx.reply.NotInteger();
        return false;
      }
      if (*n < 1) {
        ctx.reply.SyntaxError();
        return false;
      }
      options->count = static_cast<uint64_t>(*n);
    } else if (EqualsIgnoreCase(opt, "match") && has_value) {
      // "*" matches everything, so it is the same as no pattern.
      if (argv[i + 1] == "*") {
        options->pattern.reset();
      } else {
        options->pattern = argv[i + 1];
      }
    } else {
      ctx.reply.SyntaxError();
      return false;
    }
  }
  return true;
}

bool ScanMatches(const ScanOptions& options, std::string_view name) {
  return !options.pattern || GlobMatch(*options.pattern, name);
}

void ReplyEmptyScan(CommandContext& ctx) {
  ctx.reply.Raw("*2\r\n$1\r\n0\r\n*0\r\n");
}

Keyspace::Entry* BeginAggregateScan(CommandContext& ctx, ValueType type, uint64_t* cursor,
                                    ScanOptions* options) {
  std::optional<uint64_t> parsed = ParseScanCursor(ctx.argv[2]);
  if (!parsed) {
    ctx.reply.Error("invalid cursor");
    return nullptr;
  }
  *cursor = *parsed;
  Keyspace::Entry* e = ctx.db.Find(ctx.argv[1]);
  if (e != nullptr && TypeOf(e->value) != type) {
    ctx.reply.WrongType();
    return nullptr;
  }
  if (e == nullptr) {
    ReplyEmptyScan(ctx);
    return nullptr;
  }
  if (!ParseScanOptionsOrReply(ctx, 3, options)) return nullptr;
  return e;
}

}  // namespace reel
