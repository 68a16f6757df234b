// Hash commands (Redis 7.0 t_hash.c semantics). HashValue keeps fields in
// insertion order, which is the order Redis's listpack-encoded hashes reply
// in. A hash whose last field is deleted is removed from the keyspace.
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include "server/command.h"
#include "server/keyspace.h"
#include "server/numbers.h"
#include "server/reply.h"

namespace reel {

namespace {

// The entry of a hash key, or null when missing or (after a WRONGTYPE
// reply) of another type.
Keyspace::Entry* FindHash(CommandContext& ctx, std::string_view key, bool* wrong_type) {
  *wrong_type = false;
  Keyspace::Entry* e = ctx.db.Find(key);
  if (e != nullptr && TypeOf(e->value) != ValueType::kHash) {
    *wrong_type = true;
    ctx.reply.WrongType();
    return nullptr;
  }
  return e;
}

HashValue& AsHash(Keyspace::Entry* e) {
  return std::get<HashValue>(e->value);
}

// hashTypeLookupWriteOrCreate: the hash at key, created empty if missing;
// null after a WRONGTYPE reply. Callers always store a field in a new hash,
// so no empty hash is left behind.
HashValue* HashForWrite(CommandContext& ctx) {
  bool wrong = false;
  Keyspace::Entry* e = FindHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return nullptr;
  if (e == nullptr) e = ctx.db.Add(ctx.argv[1], Object(std::in_place_type<HashValue>));
  return &AsHash(e);
}

// HSET key field value [field value ...] / HMSET: the arity check counts
// pairs, so an odd argument count is a wrong-arity error.
void SetGeneric(CommandContext& ctx, const char* name, bool reply_ok) {
  if (ctx.argv.size() % 2 == 1) {
    ctx.reply.WrongArity(name);
    return;
  }
  HashValue* hash = HashForWrite(ctx);
  if (hash == nullptr) return;
  int64_t created = 0;
  for (size_t i = 2; i < ctx.argv.size(); i += 2)
    if (hash->Set(ctx.argv[i], ctx.argv[i + 1])) created++;
  if (reply_ok) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Integer(created);
  }
}

void HSetCommand(CommandContext& ctx) {
  SetGeneric(ctx, "hset", false);
}
void HMSetCommand(CommandContext& ctx) {
  SetGeneric(ctx, "hmset", true);
}

// HSETNX key field value
void HSetNxCommand(CommandContext& ctx) {
  HashValue* hash = HashForWrite(ctx);
  if (hash == nullptr) return;
  if (hash->Find(ctx.argv[2]) != nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  hash->Set(ctx.argv[2], ctx.argv[3]);
  ctx.reply.Integer(1);
}

// HGET key field
void HGetCommand(CommandContext& ctx) {
  bool wrong = false;
  Keyspace::Entry* e = FindHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  const std::string* v = e == nullptr ? nullptr : AsHash(e).Find(ctx.argv[2]);
  if (v == nullptr) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(*v);
  }
}

// HMGET key field [field ...]: a missing key is an empty hash.
void HMGetCommand(CommandContext& ctx) {
  bool wrong = false;
  Keyspace::Entry* e = FindHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  ctx.reply.ArrayLen(static_cast<int64_t>(ctx.argv.size() - 2));
  for (size_t i = 2; i < ctx.argv.size(); i++) {
    const std::string* v = e == nullptr ? nullptr : AsHash(e).Find(ctx.argv[i]);
    if (v == nullptr) {
      ctx.reply.Null();
    } else {
      ctx.reply.Bulk(*v);
    }
  }
}

// HGETALL / HKEYS / HVALS key
void GetAllGeneric(CommandContext& ctx, bool keys, bool values) {
  bool wrong = false;
  Keyspace::Entry* e = FindHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.reply.EmptyArray();
    return;
  }
  const HashValue& hash = AsHash(e);
  ctx.reply.ArrayLen(static_cast<int64_t>(hash.size()) * ((keys && values) ? 2 : 1));
  for (const HashValue::Field& f : hash) {
    if (keys) ctx.reply.Bulk(f.name);
    if (values) ctx.reply.Bulk(f.value);
  }
}

void HGetAllCommand(CommandContext& ctx) {
  GetAllGeneric(ctx, true, true);
}
void HKeysCommand(CommandContext& ctx) {
  GetAllGeneric(ctx, true, false);
}
void HValsCommand(CommandContext& ctx) {
  GetAllGeneric(ctx, false, true);
}

// HDEL key field [field ...]
void HDelCommand(CommandContext& ctx) {
  bool wrong = false;
  Keyspace::Entry* e = FindHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  HashValue& hash = AsHash(e);
  int64_t deleted = 0;
  for (size_t i = 2; i < ctx.argv.size(); i++) {
    if (hash.Remove(ctx.argv[i])) {
      deleted++;
      if (hash.empty()) {
        ctx.db.Delete(e);
        break;
      }
    }
  }
  ctx.reply.Integer(deleted);
}

// HLEN key
void HLenCommand(CommandContext& ctx) {
  bool wrong = false;
  Keyspace::Entry* e = FindHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  ctx.reply.Integer(e == nullptr ? 0 : static_cast<int64_t>(AsHash(e).size()));
}

// HSTRLEN key field: 0 for a missing key or field.
void HStrLenCommand(CommandContext& ctx) {
  bool wrong = false;
  Keyspace::Entry* e = FindHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  const std::string* v = e == nullptr ? nullptr : AsHash(e).Find(ctx.argv[2]);
  ctx.reply.Integer(v == nullptr ? 0 : static_cast<int64_t>(v->size()));
}

// HEXISTS key field
void HExistsCommand(CommandContext& ctx) {
  bool wrong = false;
  Keyspace::Entry* e = FindHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  ctx.reply.Integer(e != nullptr && AsHash(e).Find(ctx.argv[2]) != nullptr ? 1 : 0);
}

// HINCRBY key field increment
void HIncrByCommand(CommandContext& ctx) {
  std::optional<int64_t> incr = ParseInt64(ctx.argv[3]);
  if (!incr) {
    ctx.reply.NotInteger();
    return;
  }
  bool wrong = false;
  Keyspace::Entry* e = FindHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  int64_t old = 0;
  const std::string* current = e == nullptr ? nullptr : AsHash(e).Find(ctx.argv[2]);
  if (current != nullptr) {
    std::optional<int64_t> v = ParseInt64(*current);
    if (!v) {
      ctx.reply.Error("hash value is not an integer");
      return;
    }
    old = *v;
  }
  int64_t result;
  if (__builtin_add_overflow(old, *incr, &result)) {
    ctx.reply.Error("increment or decrement would overflow");
    return;
  }
  if (e == nullptr) e = ctx.db.Add(ctx.argv[1], Object(std::in_place_type<HashValue>));
  std::string text;
  AppendInt64(text, result);
  AsHash(e).Set(ctx.argv[2], text);
  ctx.reply.Integer(result);
}

// HINCRBYFLOAT key field increment: long double arithmetic, the result
// stored and replied in Redis's human format (%.17Lf, trailing zeros cut).
void HIncrByFloatCommand(CommandContext& ctx) {
  std::optional<long double> incr = ParseLongDouble(ctx.argv[3]);
  if (!incr) {
    ctx.reply.NotFloat();
    return;
  }
  if (std::isnan(*incr) || std::isinf(*incr)) {
    ctx.reply.Error("value is NaN or Infinity");
    return;
  }
  bool wrong = false;
  Keyspace::Entry* e = FindHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  long double value = 0;
  const std::string* current = e == nullptr ? nullptr : AsHash(e).Find(ctx.argv[2]);
  if (current != nullptr) {
    std::optional<long double> v = ParseLongDouble(*current);
    if (!v) {
      ctx.reply.Error("hash value is not a float");
      return;
    }
    value = *v;
  }
  value += *incr;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.reply.Error("increment would produce NaN or Infinity");
    return;
  }
  if (e == nullptr) e = ctx.db.Add(ctx.argv[1], Object(std::in_place_type<HashValue>));
  std::string text = FormatLongDoubleHuman(value);
  AsHash(e).Set(ctx.argv[2], text);
  ctx.reply.Bulk(text);
}

}  // namespace

void RegisterHashCommands(CommandTable& t) {
  t.Register({"hset", -4, HSetCommand, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, "hash",
              "Set the string value of a hash field"});
  t.Register({"hsetnx", 4, HSetNxCommand, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, "hash",
              "Set the value of a hash field, only if the field does not exist"});
  t.Register({"hget", 3, HGetCommand, kCmdReadonly | kCmdFast, 1, 1, 1, "hash",
              "Get the value of a hash field"});
  t.Register({"hmget", -3, HMGetCommand, kCmdReadonly | kCmdFast, 1, 1, 1, "hash",
              "Get the values of all the given hash fields"});
  t.Register({"hmset", -4, HMSetCommand, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, "hash",
              "Set multiple hash fields to multiple values"});
  t.Register({"hgetall", 2, HGetAllCommand, kCmdReadonly, 1, 1, 1, "hash",
              "Get all the fields and values in a hash"});
  t.Register({"hdel", -3, HDelCommand, kCmdWrite | kCmdFast, 1, 1, 1, "hash",
              "Delete one or more hash fields"});
  t.Register({"hlen", 2, HLenCommand, kCmdReadonly | kCmdFast, 1, 1, 1, "hash",
              "Get the number of fields in a hash"});
  t.Register({"hexists", 3, HExistsCommand, kCmdReadonly | kCmdFast, 1, 1, 1, "hash",
              "Determine if a hash field exists"});
  t.Register({"hincrby", 4, HIncrByCommand, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, "hash",
              "Increment the integer value of a hash field by the given number"});
  t.Register({"hincrbyfloat", 4, HIncrByFloatCommand, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1,
              "hash", "Increment the float value of a hash field by the given amount"});
  t.Register(
      {"hkeys", 2, HKeysCommand, kCmdReadonly, 1, 1, 1, "hash", "Get all the fields in a hash"});
  t.Register(
      {"hvals", 2, HValsCommand, kCmdReadonly, 1, 1, 1, "hash", "Get all the values in a hash"});
  t.Register({"hstrlen", 3, HStrLenCommand, kCmdReadonly | kCmdFast, 1, 1, 1, "hash",
              "Get the length of the value of a hash field"});
}

}  // namespace reel
