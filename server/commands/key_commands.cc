// Generic key commands (Redis 7.0 db.c and expire.c): deletion and
// existence, KEYS/SCAN iteration, RENAME and COPY, RANDOMKEY, and TTL
// management.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/kernel.h"
#include "server/command.h"
#include "server/commands/admin_support.h"
#include "server/commands/scan_support.h"
#include "server/glob.h"
#include "server/keyspace.h"
#include "server/numbers.h"
#include "server/reply.h"

namespace reel {

namespace {

// Redis compares option names with C string functions on NUL-terminated
// sds strings, so an argument counts only up to its first NUL byte.
std::string_view CString(std::string_view s) {
  return s.substr(0, s.find('\0'));
}

void DelCommand(CommandContext& ctx) {
  int64_t deleted = 0;
  for (size_t j = 1; j < ctx.argv.size(); j++)
    if (ctx.db.Delete(ctx.argv[j])) deleted++;  // an expired key does not count
  ctx.reply.Integer(deleted);
}

// EXISTS and TOUCH: a key named twice is counted twice.
void ExistsCommand(CommandContext& ctx) {
  int64_t count = 0;
  for (size_t j = 1; j < ctx.argv.size(); j++)
    if (ctx.db.Find(ctx.argv[j]) != nullptr) count++;
  ctx.reply.Integer(count);
}

void TypeCommand(CommandContext& ctx) {
  Object* o = ctx.db.Lookup(ctx.argv[1]);
  ctx.reply.Status(o ? TypeName(TypeOf(*o)) : "none");
}

void KeysCommand(CommandContext& ctx) {
  std::string_view pattern = ctx.argv[1];
  bool all_keys = pattern == "*";
  // The count is known only at the end: collect the bulk strings aside
  // (Redis uses a deferred length). Expired keys are hidden, not deleted.
  std::string items;
  Reply item_reply(items);
  int64_t count = 0;
  ctx.db.ForEach([&](const Keyspace::Entry& e) {
    if ((all_keys || GlobMatch(pattern, e.key)) && !ctx.db.IsExpired(&e)) {
      item_reply.Bulk(e.key);
      count++;
    }
  });
  ctx.reply.ArrayLen(count);
  ctx.reply.Raw(items);
}

void ScanCommand(CommandContext& ctx) {
  const Argv& argv = ctx.argv;
  std::optional<uint64_t> cursor = ParseScanCursor(argv[1]);
  if (!cursor) {
    ctx.reply.Error("invalid cursor");
    return;
  }
  int64_t count = 10;
  std::optional<std::string_view> pattern;
  std::optional<std::string_view> type_name;
  for (size_t i = 2; i < argv.size(); i += 2) {
    std::string_view opt = CString(argv[i]);
    bool has_value = i + 1 < argv.size();
    if (EqualsIgnoreCase(opt, "count") && has_value) {
      std::optional<int64_t> n = ParseInt64(argv[i + 1]);
      if (!n) {
        ctx.reply.NotInteger();
        return;
      }
      if (*n < 1) {
        ctx.reply.SyntaxError();
        return;
      }
      count = *n;
    } else if (EqualsIgnoreCase(opt, "match") && has_value) {
      // "*" matches everything, so it is the same as no pattern.
      if (argv[i + 1] == "*") {
        pattern.reset();
      } else {
        pattern = argv[i + 1];
      }
    } else if (EqualsIgnoreCase(opt, "type") && has_value) {
      type_name = CString(argv[i + 1]);
    } else {
      ctx.reply.SyntaxError();
      return;
    }
  }

  // Visit buckets until COUNT keys are gathered, the scan completes, or ten
  // times COUNT buckets were visited (Redis's bound for sparse tables). The
  // bound is computed with Redis's wrapping arithmetic: a huge COUNT can wrap
  // it to a small number, or to a negative one that never reaches zero.
  std::vector<const Keyspace::Entry*> found;
  int64_t max_iterations = static_cast<int64_t>(static_cast<uint64_t>(count) * 10);
  uint64_t next = *cursor;
  do {
    next = ctx.db.Scan(next, [&](const Keyspace::Entry& e) { found.push_back(&e); });
  } while (next != 0 && max_iterations-- != 0 && found.size() < static_cast<uint64_t>(count));

  // Filters apply after the walk, so a reply may hold fewer than COUNT keys.
  std::string items;
  Reply item_reply(items);
  int64_t kept = 0;
  for (const Keyspace::Entry* e : found) {
    if (pattern && !GlobMatch(*pattern, e->key)) continue;
    if (type_name && !EqualsIgnoreCase(*type_name, TypeName(TypeOf(e->value)))) continue;
    item_reply.Bulk(e->key);
    kept++;
  }
  ctx.reply.ArrayLen(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayLen(kept);
  ctx.reply.Raw(items);
}

void RenameGeneric(CommandContext& ctx, bool nx) {
  std::string_view from = ctx.argv[1], to = ctx.argv[2];
  Keyspace::Entry* src = ctx.db.Find(from);
  if (src == nullptr) {
    ctx.reply.Error("no such key");
    return;
  }
  if (from == to) {  // renaming a key onto itself changes nothing
    if (nx) {
      ctx.reply.Integer(0);
    } else {
      ctx.reply.Ok();
    }
    return;
  }
  if (nx && ctx.db.Find(to) != nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.db.Rename(src, to);  // the value keeps its TTL; the old target's is dropped
  if (nx) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}

void RenameCommand(CommandContext& ctx) {
  RenameGeneric(ctx, false);
}
void RenamenxCommand(CommandContext& ctx) {
  RenameGeneric(ctx, true);
}

// COPY source destination [DB destination-db] [REPLACE] (copyCommand).
// reel has only database 0, so any other DB is out of range, as SELECT
// says. The copy is a deep one of the value, keeping its encoding (a
// sorted set's listpack/skiplist state travels with it) and its TTL.
void CopyCommand(CommandContext& ctx) {
  bool replace = false;
  for (size_t j = 3; j < ctx.argv.size(); j++) {
    std::string_view opt = CString(ctx.argv[j]);
    const bool has_value = j + 1 < ctx.argv.size();
    if (EqualsIgnoreCase(opt, "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(opt, "db") && has_value) {
      std::optional<int> db = ParseIntOrReply(ctx, ctx.argv[j + 1]);
      if (!db) return;
      if (*db != 0) {
        ctx.reply.Error("DB index is out of range");
        return;
      }
      j++;
    } else {
      ctx.reply.SyntaxError();
      return;
    }
  }
  std::string_view from = ctx.argv[1], to = ctx.argv[2];
  if (from == to) {
    ctx.reply.Error("source and destination objects are the same");
    return;
  }
  Keyspace::Entry* src = ctx.db.Find(from);
  if (src == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  Keyspace::Entry* dst = ctx.db.Find(to);
  if (dst != nullptr && !replace) {
    ctx.reply.Integer(0);
    return;
  }
  // Read the source before the keyspace changes under it.
  Object copy = src->value;
  const int64_t expire_ms = src->expire_ms;
  if (dst != nullptr) ctx.db.Delete(dst);
  Keyspace::Entry* added = ctx.db.Add(to, std::move(copy));
  if (expire_ms >= 0) ctx.db.SetExpire(added, expire_ms);
  ctx.reply.Integer(1);
}

// dbRandomKey: pick random entries until one is alive, deleting the expired
// ones met on the way. Terminates: each retry removes a key.
void RandomkeyCommand(CommandContext& ctx) {
  while (true) {
    Keyspace::Entry* e = ctx.db.RandomEntry(ctx.kernel.RandomU64());
    if (e == nullptr) {
      ctx.reply.Null();
      return;
    }
    if (ctx.db.IsExpired(e)) {
      ctx.db.Delete(e);
      continue;
    }
    ctx.reply.Bulk(e->key);
    return;
  }
}

enum ExpireFlag : uint32_t { kExpireNx = 1, kExpireXx = 2, kExpireGt = 4, kExpireLt = 8 };

// parseExtendedExpireArgumentsOrReply: NX | XX | GT | LT, in any case and
// order; repeats are fine, incompatible pairs are errors.
bool ParseExpireFlags(CommandContext& ctx, uint32_t* flags) {
  for (size_t j = 3; j < ctx.argv.size(); j++) {
    std::string_view opt = CString(ctx.argv[j]);
    if (EqualsIgnoreCase(opt, "nx")) {
      *flags |= kExpireNx;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      *flags |= kExpireXx;
    } else if (EqualsIgnoreCase(opt, "gt")) {
      *flags |= kExpireGt;
    } else if (EqualsIgnoreCase(opt, "lt")) {
      *flags |= kExpireLt;
    } else {
      // addReplyErrorFormat trims trailing CR/LF before the reply is built.
      while (!opt.empty() && (opt.back() == '\r' || opt.back() == '\n')) opt.remove_suffix(1);
      std::string msg = "Unsupported option ";
      msg.append(opt);
      ctx.reply.Error(msg);
      return false;
    }
  }
  if ((*flags & kExpireNx) && (*flags & (kExpireXx | kExpireGt | kExpireLt))) {
    ctx.reply.Error("NX and XX, GT or LT options at the same time are not compatible");
    return false;
  }
  if ((*flags & kExpireGt) && (*flags & kExpireLt)) {
    ctx.reply.Error("GT and LT options at the same time are not compatible");
    return false;
  }
  return true;
}

// expireGenericCommand. basetime_ms is now for EXPIRE/PEXPIRE and 0 for the
// absolute variants. A time at or before now deletes the key (and answers 1).
void ExpireGeneric(CommandContext& ctx, int64_t basetime_ms, bool unit_seconds,
                   std::string_view command) {
  uint32_t flags = 0;
  if (!ParseExpireFlags(ctx, &flags)) return;
  std::optional<int64_t> arg = ParseInt64(ctx.argv[2]);
  if (!arg) {
    ctx.reply.NotInteger();
    return;
  }
  int64_t when = *arg;
  auto invalid = [&] {
    std::string msg = "invalid expire time in '";
    msg.append(command);
    msg.append("' command");
    ctx.reply.Error(msg);
  };
  // Negative times are allowed (they delete); only overflow is an error.
  if (unit_seconds) {
    if (when > INT64_MAX / 1000 || when < INT64_MIN / 1000) return invalid();
    when *= 1000;
  }
  if (when > INT64_MAX - basetime_ms) return invalid();
  when += basetime_ms;

  Keyspace::Entry* e = ctx.db.Find(ctx.argv[1]);
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (flags != 0) {
    int64_t current = e->expire_ms;  // -1: no TTL, which GT/LT treat as infinite
    bool refused = ((flags & kExpireNx) && current != -1) ||
                   ((flags & kExpireXx) && current == -1) ||
                   ((flags & kExpireGt) && (current == -1 || when <= current)) ||
                   ((flags & kExpireLt) && current != -1 && when >= current);
    if (refused) {
      ctx.reply.Integer(0);
      return;
    }
  }
  if (when <= ctx.now_ms) {
    ctx.db.Delete(e);
  } else {
    ctx.db.SetExpire(e, when);
  }
  ctx.reply.Integer(1);
}

void ExpireCommand(CommandContext& ctx) {
  ExpireGeneric(ctx, ctx.now_ms, true, "expire");
}
void PexpireCommand(CommandContext& ctx) {
  ExpireGeneric(ctx, ctx.now_ms, false, "pexpire");
}
void ExpireatCommand(CommandContext& ctx) {
  ExpireGeneric(ctx, 0, true, "expireat");
}
void PexpireatCommand(CommandContext& ctx) {
  ExpireGeneric(ctx, 0, false, "pexpireat");
}

// ttlGenericCommand: -2 missing, -1 no TTL; seconds are rounded to nearest.
void TtlGeneric(CommandContext& ctx, bool output_ms, bool output_absolute) {
  Keyspace::Entry* e = ctx.db.Find(ctx.argv[1]);
  if (e == nullptr) {
    ctx.reply.Integer(-2);
    return;
  }
  if (e->expire_ms == -1) {
    ctx.reply.Integer(-1);
    return;
  }
  int64_t ttl = output_absolute ? e->expire_ms : e->expire_ms - ctx.now_ms;
  if (ttl < 0) ttl = 0;
  ctx.reply.Integer(output_ms ? ttl : (ttl + 500) / 1000);
}

void TtlCommand(CommandContext& ctx) {
  TtlGeneric(ctx, false, false);
}
void PttlCommand(CommandContext& ctx) {
  TtlGeneric(ctx, true, false);
}
void ExpiretimeCommand(CommandContext& ctx) {
  TtlGeneric(ctx, false, true);
}
void PexpiretimeCommand(CommandContext& ctx) {
  TtlGeneric(ctx, true, true);
}

void PersistCommand(CommandContext& ctx) {
  Keyspace::Entry* e = ctx.db.Find(ctx.argv[1]);
  if (e == nullptr || e->expire_ms == -1) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.db.RemoveExpire(e);
  ctx.reply.Integer(1);
}

}  // namespace

void RegisterKeyCommands(CommandTable& t) {
  constexpr uint32_t kWriteFast = kCmdWrite | kCmdFast;
  constexpr uint32_t kReadFast = kCmdReadonly | kCmdFast;
  t.Register({"del", -2, DelCommand, kCmdWrite, 1, -1, 1, "generic", "Delete a key"});
  t.Register({"unlink", -2, DelCommand, kWriteFast, 1, -1, 1, "generic",
              "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but "
              "non blocking."});
  t.Register(
      {"exists", -2, ExistsCommand, kReadFast, 1, -1, 1, "generic", "Determine if a key exists"});
  t.Register({"touch", -2, ExistsCommand, kReadFast, 1, -1, 1, "generic",
              "Alters the last access time of a key(s). Returns the number of existing keys "
              "specified."});
  t.Register(
      {"type", 2, TypeCommand, kReadFast, 1, 1, 1, "generic", "Determine the type stored at key"});
  t.Register({"keys", 2, KeysCommand, kCmdReadonly, 0, 0, 0, "generic",
              "Find all keys matching the given pattern"});
  t.Register({"scan", -2, ScanCommand, kCmdReadonly, 0, 0, 0, "generic",
              "Incrementally iterate the keys space"});
  t.Register({"rename", 3, RenameCommand, kCmdWrite, 1, 2, 1, "generic", "Rename a key"});
  t.Register({"renamenx", 3, RenamenxCommand, kWriteFast, 1, 2, 1, "generic",
              "Rename a key, only if the new key does not exist"});
  t.Register({"copy", -3, CopyCommand, kCmdWrite | kCmdDenyOom, 1, 2, 1, "generic", "Copy a key"});
  t.Register({"randomkey", 1, RandomkeyCommand, kCmdReadonly, 0, 0, 0, "generic",
              "Return a random key from the keyspace"});
  t.Register({"expire", -3, ExpireCommand, kWriteFast, 1, 1, 1, "generic",
              "Set a key's time to live in seconds"});
  t.Register({"pexpire", -3, PexpireCommand, kWriteFast, 1, 1, 1, "generic",
              "Set a key's time to live in milliseconds"});
  t.Register({"expireat", -3, ExpireatCommand, kWriteFast, 1, 1, 1, "generic",
              "Set the expiration for a key as a UNIX timestamp"});
  t.Register({"pexpireat", -3, PexpireatCommand, kWriteFast, 1, 1, 1, "generic",
              "Set the expiration for a key as a UNIX timestamp specified in milliseconds"});
  t.Register({"ttl", 2, TtlCommand, kReadFast, 1, 1, 1, "generic",
              "Get the time to live for a key in seconds"});
  t.Register({"pttl", 2, PttlCommand, kReadFast, 1, 1, 1, "generic",
              "Get the time to live for a key in milliseconds"});
  t.Register({"expiretime", 2, ExpiretimeCommand, kReadFast, 1, 1, 1, "generic",
              "Get the expiration Unix timestamp for a key"});
  t.Register({"pexpiretime", 2, PexpiretimeCommand, kReadFast, 1, 1, 1, "generic",
              "Get the expiration Unix timestamp for a key in milliseconds"});
  t.Register({"persist", 2, PersistCommand, kWriteFast, 1, 1, 1, "generic",
              "Remove the expiration from a key"});
}

}  // namespace reel
