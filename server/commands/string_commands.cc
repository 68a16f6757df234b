// String commands (Redis 7.0 t_string.c): GET/SET and their variants,
// counters, multi-key MGET/MSET and the byte-range commands.
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/command.h"
#include "server/config.h"
#include "server/keyspace.h"
#include "server/numbers.h"
#include "server/reply.h"
#include "server/server.h"

namespace reel {

namespace {

// Redis compares option names with C string functions on NUL-terminated
// sds strings, so an argument counts only up to its first NUL byte.
std::string_view CString(std::string_view s) {
  return s.substr(0, s.find('\0'));
}

void ReplyInvalidExpireTime(CommandContext& ctx, std::string_view command) {
  std::string msg = "invalid expire time in '";
  msg.append(command);
  msg.append("' command");
  ctx.reply.Error(msg);
}

// The biggest string a client may build (APPEND, SETRANGE). Unit tests run
// without a Server and get the default.
int64_t ProtoMaxBulkLen(const CommandContext& ctx) {
  return ctx.server ? ctx.server->config().proto_max_bulk_len : ServerConfig{}.proto_max_bulk_len;
}

bool CheckStringLength(CommandContext& ctx, int64_t size, int64_t append) {
  // Both operands are non-negative, but an offset may be near INT64_MAX:
  // compare without forming a sum that could overflow.
  int64_t limit = ProtoMaxBulkLen(ctx);
  if (append > limit || size > limit - append) {
    ctx.reply.Error("string exceeds maximum allowed size (proto-max-bulk-len)");
    return false;
  }
  return true;
}

// Options of SET and GETEX, as parseExtendedStringArgumentsOrReply knows them.
enum ExtendedFlag : uint32_t {
  kSetNx = 1u << 0,
  kSetXx = 1u << 1,
  kExpireEx = 1u << 2,
  kExpirePx = 1u << 3,
  kKeepTtl = 1u << 4,
  kSetGet = 1u << 5,
  kExpireExat = 1u << 6,
  kExpirePxat = 1u << 7,
  kPersist = 1u << 8,
};
constexpr uint32_t kAnyExpire = kExpireEx | kExpirePx | kExpireExat | kExpirePxat;

enum class ExtendedFor { kGetex, kSet };

struct ExtendedArgs {
  uint32_t flags = 0;
  bool unit_ms = false;
  std::optional<std::string_view> expire;  // the EX/PX/EXAT/PXAT argument
};

// Parses SET's [NX|XX] [GET] [EX|PX|EXAT|PXAT n|KEEPTTL] or GETEX's
// [EX|PX|EXAT|PXAT n|PERSIST]. Like Redis, an option that conflicts with one
// already given is a syntax error, while repeating the same option is not
// (the last value wins), and a trailing EX without a value is a syntax error.
bool ParseExtendedArgs(CommandContext& ctx, ExtendedFor kind, ExtendedArgs* out) {
  const Argv& argv = ctx.argv;
  const bool is_set = kind == ExtendedFor::kSet;
  uint32_t& f = out->flags;
  for (size_t j = is_set ? 3 : 2; j < argv.size(); j++) {
    std::string_view opt = CString(argv[j]);
    bool has_next = j + 1 < argv.size();
    // One expire option excludes the others, KEEPTTL and PERSIST.
    auto expire_allowed = [&](uint32_t self) {
      return !(f & (kKeepTtl | kPersist)) && !(f & (kAnyExpire & ~self)) && has_next;
    };
    if (is_set && EqualsIgnoreCase(opt, "nx") && !(f & kSetXx)) {
      f |= kSetNx;
    } else if (is_set && EqualsIgnoreCase(opt, "xx") && !(f & kSetNx)) {
      f |= kSetXx;
    } else if (is_set && EqualsIgnoreCase(opt, "get")) {
      f |= kSetGet;
    } else if (is_set && EqualsIgnoreCase(opt, "keepttl") && !(f & (kPersist | kAnyExpire))) {
      f |= kKeepTtl;
    } else if (!is_set && EqualsIgnoreCase(opt, "persist") && !(f & (kKeepTtl | kAnyExpire))) {
      f |= kPersist;
    } else if (EqualsIgnoreCase(opt, "ex") && expire_allowed(kExpireEx)) {
      f |= kExpireEx;
      out->expire = argv[++j];
    } else if (EqualsIgnoreCase(opt, "px") && expire_allowed(kExpirePx)) {
      f |= kExpirePx;
      out->unit_ms = true;
      out->expire = argv[++j];
    } else if (EqualsIgnoreCase(opt, "exat") && expire_allowed(kExpireExat)) {
      f |= kExpireExat;
      out->expire = argv[++j];
    } else if (EqualsIgnoreCase(opt, "pxat") && expire_allowed(kExpirePxat)) {
      f |= kExpirePxat;
      out->unit_ms = true;
      out->expire = argv[++j];
    } else {
      ctx.reply.SyntaxError();
      return false;
    }
  }
  return true;
}

// Turns an expire argument into an absolute unix time in ms
// (getExpireMillisecondsOrReply). Relative times (EX/PX) are added to now.
std::optional<int64_t> ExpireAtMsOrReply(CommandContext& ctx, std::string_view arg, uint32_t flags,
                                         bool unit_ms, std::string_view command) {
  std::optional<int64_t> v = ParseInt64(arg);
  if (!v) {
    ctx.reply.NotInteger();
    return std::nullopt;
  }
  int64_t ms = *v;
  if (ms <= 0 || (!unit_ms && ms > INT64_MAX / 1000)) {
    ReplyInvalidExpireTime(ctx, command);
    return std::nullopt;
  }
  if (!unit_ms) ms *= 1000;
  if (flags & (kExpireEx | kExpirePx)) {
    // Redis lets the sum wrap and then rejects the non-positive result.
    if (ms > INT64_MAX - ctx.now_ms) {
      ReplyInvalidExpireTime(ctx, command);
      return std::nullopt;
    }
    ms += ctx.now_ms;
  }
  return ms;
}

// GET's reply for key: the value, nil, or WRONGTYPE (then returns false).
bool ReplyGet(CommandContext& ctx, std::string_view key) {
  bool wrong_type = false;
  Object* o = LookupTyped(ctx, key, ValueType::kString, &wrong_type);
  if (wrong_type) return false;
  if (o == nullptr) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(std::get<std::string>(*o));
  }
  return true;
}

// setGenericCommand: the shared body of SET, SETNX, SETEX and PSETEX.
// ok_reply / abort_reply are what the caller answers when the value was set
// or when NX/XX prevented it; with GET the old value is the only reply.
void SetGeneric(CommandContext& ctx, uint32_t flags, std::string_view key, std::string_view value,
                std::optional<std::string_view> expire, bool unit_ms, std::string_view command,
                std::string_view ok_reply = "+OK\r\n", std::string_view abort_reply = "$-1\r\n") {
  int64_t when_ms = 0;
  if (expire) {
    std::optional<int64_t> when = ExpireAtMsOrReply(ctx, *expire, flags, unit_ms, command);
    if (!when) return;
    when_ms = *when;
  }
  if ((flags & kSetGet) && !ReplyGet(ctx, key)) return;

  bool found = ctx.db.Find(key) != nullptr;
  if (((flags & kSetNx) && found) || ((flags & kSetXx) && !found)) {
    if (!(flags & kSetGet)) ctx.reply.Raw(abort_reply);
    return;
  }
  Keyspace::Entry* e = ctx.db.Set(key, Object(std::string(value)), (flags & kKeepTtl) != 0);
  // An EXAT/PXAT in the past is stored as is: the key is gone at next access.
  if (expire) ctx.db.SetExpire(e, when_ms);
  if (!(flags & kSetGet)) ctx.reply.Raw(ok_reply);
}

void GetCommand(CommandContext& ctx) {
  ReplyGet(ctx, ctx.argv[1]);
}

void SetCommand(CommandContext& ctx) {
  ExtendedArgs args;
  if (!ParseExtendedArgs(ctx, ExtendedFor::kSet, &args)) return;
  SetGeneric(ctx, args.flags, ctx.argv[1], ctx.argv[2], args.expire, args.unit_ms, "set");
}

void SetnxCommand(CommandContext& ctx) {
  SetGeneric(ctx, kSetNx, ctx.argv[1], ctx.argv[2], std::nullopt, false, "setnx", ":1\r\n",
             ":0\r\n");
}

void SetexCommand(CommandContext& ctx) {
  SetGeneric(ctx, kExpireEx, ctx.argv[1], ctx.argv[3], ctx.argv[2], false, "setex");
}

void PsetexCommand(CommandContext& ctx) {
  SetGeneric(ctx, kExpirePx, ctx.argv[1], ctx.argv[3], ctx.argv[2], true, "psetex");
}

void GetsetCommand(CommandContext& ctx) {
  if (!ReplyGet(ctx, ctx.argv[1])) return;
  ctx.db.Set(ctx.argv[1], Object(std::string(ctx.argv[2])));  // drops any TTL, like SET
}

void GetdelCommand(CommandContext& ctx) {
  if (!ReplyGet(ctx, ctx.argv[1])) return;
  ctx.db.Delete(ctx.argv[1]);
}

void GetexCommand(CommandContext& ctx) {
  ExtendedArgs args;
  if (!ParseExtendedArgs(ctx, ExtendedFor::kGetex, &args)) return;
  Keyspace::Entry* e = ctx.db.Find(ctx.argv[1]);
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  if (TypeOf(e->value) != ValueType::kString) {
    ctx.reply.WrongType();
    return;
  }
  // The expire is validated only once the key is known to be a string.
  int64_t when_ms = 0;
  if (args.expire) {
    std::optional<int64_t> when =
        ExpireAtMsOrReply(ctx, *args.expire, args.flags, args.unit_ms, "getex");
    if (!when) return;
    when_ms = *when;
  }
  ctx.reply.Bulk(std::get<std::string>(e->value));
  if ((args.flags & (kExpireExat | kExpirePxat)) && when_ms <= ctx.now_ms) {
    ctx.db.Delete(e);  // an absolute time already past deletes at once
  } else if (args.expire) {
    ctx.db.SetExpire(e, when_ms);
  } else if (args.flags & kPersist) {
    ctx.db.RemoveExpire(e);
  }
}

void AppendCommand(CommandContext& ctx) {
  std::string_view key = ctx.argv[1], tail = ctx.argv[2];
  Keyspace::Entry* e = ctx.db.Find(key);
  if (e == nullptr) {
    ctx.db.Add(key, Object(std::string(tail)));
    ctx.reply.Integer(static_cast<int64_t>(tail.size()));
    return;
  }
  if (TypeOf(e->value) != ValueType::kString) {
    ctx.reply.WrongType();
    return;
  }
  std::string& s = std::get<std::string>(e->value);
  if (!CheckStringLength(ctx, static_cast<int64_t>(s.size()), static_cast<int64_t>(tail.size())))
    return;
  s.append(tail);
  ctx.reply.Integer(static_cast<int64_t>(s.size()));
}

void StrlenCommand(CommandContext& ctx) {
  bool wrong_type = false;
  Object* o = LookupTyped(ctx, ctx.argv[1], ValueType::kString, &wrong_type);
  if (wrong_type) return;
  ctx.reply.Integer(o ? static_cast<int64_t>(std::get<std::string>(*o).size()) : 0);
}

// incrDecrCommand: a missing key counts as 0; the TTL is kept.
void IncrDecr(CommandContext& ctx, int64_t incr) {
  std::string_view key = ctx.argv[1];
  Keyspace::Entry* e = ctx.db.Find(key);
  int64_t value = 0;
  if (e != nullptr) {
    if (TypeOf(e->value) != ValueType::kString) {
      ctx.reply.WrongType();
      return;
    }
    std::optional<int64_t> v = ParseInt64(std::get<std::string>(e->value));
    if (!v) {
      ctx.reply.NotInteger();
      return;
    }
    value = *v;
  }
  if ((incr < 0 && value < 0 && incr < INT64_MIN - value) ||
      (incr > 0 && value > 0 && incr > INT64_MAX - value)) {
    ctx.reply.Error("increment or decrement would overflow");
    return;
  }
  value += incr;
  std::string text;
  AppendInt64(text, value);
  if (e != nullptr) {
    std::get<std::string>(e->value) = std::move(text);
  } else {
    ctx.db.Add(key, Object(std::move(text)));
  }
  ctx.reply.Integer(value);
}

void IncrCommand(CommandContext& ctx) {
  IncrDecr(ctx, 1);
}
void DecrCommand(CommandContext& ctx) {
  IncrDecr(ctx, -1);
}

void IncrbyCommand(CommandContext& ctx) {
  std::optional<int64_t> incr = ParseInt64(ctx.argv[2]);
  if (!incr) {
    ctx.reply.NotInteger();
    return;
  }
  IncrDecr(ctx, *incr);
}

void DecrbyCommand(CommandContext& ctx) {
  std::optional<int64_t> decr = ParseInt64(ctx.argv[2]);
  if (!decr) {
    ctx.reply.NotInteger();
    return;
  }
  if (*decr == INT64_MIN) {  // its negation does not fit
    ctx.reply.Error("decrement would overflow");
    return;
  }
  IncrDecr(ctx, -*decr);
}

void IncrbyfloatCommand(CommandContext& ctx) {
  std::string_view key = ctx.argv[1];
  Keyspace::Entry* e = ctx.db.Find(key);
  if (e != nullptr && TypeOf(e->value) != ValueType::kString) {
    ctx.reply.WrongType();
    return;
  }
  // The stored value is checked before the increment, as Redis does.
  std::optional<long double> value =
      e ? ParseLongDouble(std::get<std::string>(e->value)) : std::optional<long double>(0);
  std::optional<long double> incr = value ? ParseLongDouble(ctx.argv[2]) : std::nullopt;
  if (!value || !incr) {
    ctx.reply.NotFloat();
    return;
  }
  long double sum = *value + *incr;
  if (std::isnan(sum) || std::isinf(sum)) {
    ctx.reply.Error("increment would produce NaN or Infinity");
    return;
  }
  std::string text = FormatLongDoubleHuman(sum);
  ctx.reply.Bulk(text);
  if (e != nullptr) {
    std::get<std::string>(e->value) = std::move(text);  // keeps the TTL
  } else {
    ctx.db.Add(key, Object(std::move(text)));
  }
}

void MgetCommand(CommandContext& ctx) {
  ctx.reply.ArrayLen(static_cast<int64_t>(ctx.argv.size() - 1));
  for (size_t j = 1; j < ctx.argv.size(); j++) {
    Object* o = ctx.db.Lookup(ctx.argv[j]);
    if (o == nullptr || TypeOf(*o) != ValueType::kString) {
      ctx.reply.Null();  // MGET answers nil for other types instead of failing
    } else {
      ctx.reply.Bulk(std::get<std::string>(*o));
    }
  }
}

void MsetGeneric(CommandContext& ctx, bool nx) {
  const Argv& argv = ctx.argv;
  if (argv.size() % 2 == 0) {
    ctx.reply.WrongArity(nx ? "msetnx" : "mset");
    return;
  }
  if (nx) {
    for (size_t j = 1; j < argv.size(); j += 2) {
      if (ctx.db.Find(argv[j]) != nullptr) {
        ctx.reply.Integer(0);
        return;
      }
    }
  }
  for (size_t j = 1; j < argv.size(); j += 2) ctx.db.Set(argv[j], Object(std::string(argv[j + 1])));
  if (nx) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}

void MsetCommand(CommandContext& ctx) {
  MsetGeneric(ctx, false);
}
void MsetnxCommand(CommandContext& ctx) {
  MsetGeneric(ctx, true);
}

void GetrangeCommand(CommandContext& ctx) {
  std::optional<int64_t> start = ParseInt64(ctx.argv[2]);
  std::optional<int64_t> end = start ? ParseInt64(ctx.argv[3]) : std::nullopt;
  if (!start || !end) {
    ctx.reply.NotInteger();
    return;
  }
  bool wrong_type = false;
  Object* o = LookupTyped(ctx, ctx.argv[1], ValueType::kString, &wrong_type);
  if (wrong_type) return;
  if (o == nullptr) {
    ctx.reply.Bulk("");
    return;
  }
  const std::string& s = std::get<std::string>(*o);
  int64_t len = static_cast<int64_t>(s.size());
  int64_t from = *start, to = *end;
  if (from < 0 && to < 0 && from > to) {
    ctx.reply.Bulk("");
    return;
  }
  if (from < 0) from += len;
  if (to < 0) to += len;
  if (from < 0) from = 0;
  if (to < 0) to = 0;
  if (to >= len) to = len - 1;
  if (len == 0 || from > to) {
    ctx.reply.Bulk("");
    return;
  }
  ctx.reply.Bulk(
      std::string_view(s).substr(static_cast<size_t>(from), static_cast<size_t>(to - from + 1)));
}

void SetrangeCommand(CommandContext& ctx) {
  std::string_view key = ctx.argv[1], patch = ctx.argv[3];
  std::optional<int64_t> offset = ParseInt64(ctx.argv[2]);
  if (!offset) {
    ctx.reply.NotInteger();
    return;
  }
  if (*offset < 0) {
    ctx.reply.Error("offset is out of range");
    return;
  }
  Keyspace::Entry* e = ctx.db.Find(key);
  if (e == nullptr) {
    if (patch.empty()) {  // nothing to write: the key is not created
      ctx.reply.Integer(0);
      return;
    }
    if (!CheckStringLength(ctx, *offset, static_cast<int64_t>(patch.size()))) return;
    e = ctx.db.Add(key, Object(std::string()));
  } else {
    if (TypeOf(e->value) != ValueType::kString) {
      ctx.reply.WrongType();
      return;
    }
    if (patch.empty()) {
      ctx.reply.Integer(static_cast<int64_t>(std::get<std::string>(e->value).size()));
      return;
    }
    if (!CheckStringLength(ctx, *offset, static_cast<int64_t>(patch.size()))) return;
  }
  std::string& s = std::get<std::string>(e->value);
  size_t at = static_cast<size_t>(*offset);
  if (s.size() < at + patch.size()) s.resize(at + patch.size(), '\0');
  s.replace(at, patch.size(), patch);
  ctx.reply.Integer(static_cast<int64_t>(s.size()));
}

}  // namespace

void RegisterStringCommands(CommandTable& t) {
  constexpr uint32_t kWriteOom = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kWriteOomFast = kCmdWrite | kCmdDenyOom | kCmdFast;
  constexpr uint32_t kReadFast = kCmdReadonly | kCmdFast;
  t.Register({"get", 2, GetCommand, kReadFast, 1, 1, 1, "string", "Get the value of a key"});
  t.Register(
      {"set", -3, SetCommand, kWriteOom, 1, 1, 1, "string", "Set the string value of a key"});
  t.Register({"setnx", 3, SetnxCommand, kWriteOomFast, 1, 1, 1, "string",
              "Set the value of a key, only if the key does not exist"});
  t.Register({"setex", 4, SetexCommand, kWriteOom, 1, 1, 1, "string",
              "Set the value and expiration of a key"});
  t.Register({"psetex", 4, PsetexCommand, kWriteOom, 1, 1, 1, "string",
              "Set the value and expiration in milliseconds of a key"});
  t.Register({"getset", 3, GetsetCommand, kWriteOomFast, 1, 1, 1, "string",
              "Set the string value of a key and return its old value"});
  t.Register({"getdel", 2, GetdelCommand, kCmdWrite | kCmdFast, 1, 1, 1, "string",
              "Get the value of a key and delete the key"});
  t.Register({"getex", -2, GetexCommand, kCmdWrite | kCmdFast, 1, 1, 1, "string",
              "Get the value of a key and optionally set its expiration"});
  t.Register(
      {"append", 3, AppendCommand, kWriteOomFast, 1, 1, 1, "string", "Append a value to a key"});
  t.Register({"strlen", 2, StrlenCommand, kReadFast, 1, 1, 1, "string",
              "Get the length of the value stored in a key"});
  t.Register({"incr", 2, IncrCommand, kWriteOomFast, 1, 1, 1, "string",
              "Increment the integer value of a key by one"});
  t.Register({"decr", 2, DecrCommand, kWriteOomFast, 1, 1, 1, "string",
              "Decrement the integer value of a key by one"});
  t.Register({"incrby", 3, IncrbyCommand, kWriteOomFast, 1, 1, 1, "string",
              "Increment the integer value of a key by the given amount"});
  t.Register({"decrby", 3, DecrbyCommand, kWriteOomFast, 1, 1, 1, "string",
              "Decrement the integer value of a key by the given number"});
  t.Register({"incrbyfloat", 3, IncrbyfloatCommand, kWriteOomFast, 1, 1, 1, "string",
              "Increment the float value of a key by the given amount"});
  t.Register({"mget", -2, MgetCommand, kReadFast, 1, -1, 1, "string",
              "Get the values of all the given keys"});
  t.Register({"mset", -3, MsetCommand, kWriteOom, 1, -1, 2, "string",
              "Set multiple keys to multiple values"});
  t.Register({"msetnx", -3, MsetnxCommand, kWriteOom, 1, -1, 2, "string",
              "Set multiple keys to multiple values, only if none of the keys exist"});
  t.Register({"getrange", 4, GetrangeCommand, kCmdReadonly, 1, 1, 1, "string",
              "Get a substring of the string stored at a key"});
  t.Register({"substr", 4, GetrangeCommand, kCmdReadonly, 1, 1, 1, "string",
              "Get a substring of the string stored at a key"});
  t.Register({"setrange", 4, SetrangeCommand, kWriteOom, 1, 1, 1, "string",
              "Overwrite part of a string at key starting at the specified offset"});
}

}  // namespace reel
