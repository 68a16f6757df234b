// Hash commands (Redis 7.0 t_hash.c semantics). HashValue keeps fields in
// insertion order, which is the order Redis's listpack-encoded hashes reply
// in. A hash whose last field is deleted is removed from the keyspace.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/kernel.h"
#include "server/command.h"
#include "server/commands/scan_support.h"
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

// Redis 7.0's hash-max-listpack-entries / hash-max-listpack-value defaults
// (512 fields, unlike sorted sets' 128).
constexpr size_t kMaxListpackEntries = 512;
constexpr size_t kMaxListpackValue = 64;

// Whether Redis would hold this hash in a listpack: at most 512 fields, no
// field or value longer than 64 bytes. (Redis never converts back, so a hash
// that once outgrew these limits and shrank again is a dict there; reel
// does not track that history and treats it as a listpack.)
bool FitsListpack(const HashValue& hash) {
  if (hash.size() > kMaxListpackEntries) return false;
  for (const HashValue::Field& f : hash)
    if (f.name.size() > kMaxListpackValue || f.value.size() > kMaxListpackValue) return false;
  return true;
}

using FieldRefs = std::vector<const HashValue::Field*>;

FieldRefs AllFields(const HashValue& hash) {
  FieldRefs out;
  out.reserve(hash.size());
  for (const HashValue::Field& f : hash) out.push_back(&f);
  return out;
}

// HSCAN key cursor [MATCH pattern] [COUNT count]. A listpack-sized hash is
// returned whole, in its order, with cursor 0, whatever the cursor, as
// Redis does; a bigger one pages in hash order (scan_support.h).
void HScanCommand(CommandContext& ctx) {
  uint64_t cursor = 0;
  ScanOptions options;
  Keyspace::Entry* e = BeginAggregateScan(ctx, ValueType::kHash, &cursor, &options);
  if (e == nullptr) return;
  const HashValue& hash = AsHash(e);
  FieldRefs fields;
  uint64_t next = 0;
  if (FitsListpack(hash)) {
    fields = AllFields(hash);
  } else {
    ScanBatch<HashValue::Field> batch =
        HashOrderScan(hash, cursor, options.count,
                      [](const HashValue::Field& f) -> std::string_view { return f.name; });
    fields = std::move(batch.items);
    next = batch.next_cursor;
  }
  std::erase_if(fields, [&](const HashValue::Field* f) { return !ScanMatches(options, f->name); });
  ctx.reply.ArrayLen(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayLen(static_cast<int64_t>(fields.size()) * 2);
  for (const HashValue::Field* f : fields) {
    ctx.reply.Bulk(f->name);
    ctx.reply.Bulk(f->value);
  }
}

void ReplyField(CommandContext& ctx, const HashValue::Field& f, bool withvalues) {
  ctx.reply.Bulk(f.name);
  if (withvalues) ctx.reply.Bulk(f.value);
}

// HRANDFIELD key count [WITHVALUES] (hrandfieldWithCountCommand). A
// negative count picks |count| fields independently (repeats allowed, in
// pick order); a positive one distinct fields: the whole hash in its order
// when count covers it, otherwise a uniform random subset chosen by
// selection sampling and listed in hash order (what Redis does for a
// listpack; its dict path lists them in an order that is random anyway).
// Randomness comes only from the Kernel.
void HRandFieldWithCount(CommandContext& ctx, int64_t l, bool withvalues) {
  bool wrong = false;
  Keyspace::Entry* e = FindHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr || l == 0) {
    ctx.reply.EmptyArray();
    return;
  }
  const HashValue& hash = AsHash(e);
  const uint64_t size = hash.size();
  const bool distinct = l > 0;
  const uint64_t count = distinct ? static_cast<uint64_t>(l) : static_cast<uint64_t>(-l);
  const int64_t per_field = withvalues ? 2 : 1;
  // Random access into the hash's list: one O(N) pass, then O(1) picks.
  FieldRefs fields = AllFields(hash);
  if (!distinct || count == 1) {
    ctx.reply.ArrayLen(static_cast<int64_t>(count) * per_field);
    for (uint64_t i = 0; i < count; i++)
      ReplyField(ctx, *fields[ctx.kernel.RandomU64() % size], withvalues);
    return;
  }
  if (count >= size) {
    ctx.reply.ArrayLen(static_cast<int64_t>(size) * per_field);
    for (const HashValue::Field* f : fields) ReplyField(ctx, *f, withvalues);
    return;
  }
  // Selection sampling: keep each field with probability
  // (still wanted) / (still unseen), which picks every subset equally.
  ctx.reply.ArrayLen(static_cast<int64_t>(count) * per_field);
  uint64_t wanted = count;
  for (uint64_t i = 0; i < size && wanted > 0; i++) {
    if (ctx.kernel.RandomU64() % (size - i) < wanted) {
      ReplyField(ctx, *fields[i], withvalues);
      wanted--;
    }
  }
}

// HRANDFIELD key [count [WITHVALUES]]
void HRandFieldCommand(CommandContext& ctx) {
  const size_t argc = ctx.argv.size();
  if (argc >= 3) {
    // getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX).
    std::optional<int64_t> l = ParseInt64(ctx.argv[2]);
    if (!l) {
      ctx.reply.NotInteger();
      return;
    }
    if (*l == INT64_MIN) {
      ctx.reply.Error(
          "value is out of range, value must between -9223372036854775807 and "
          "9223372036854775807");
      return;
    }
    std::string_view opt = argc == 4 ? ctx.argv[3].substr(0, ctx.argv[3].find('\0')) : "";
    if (argc > 4 || (argc == 4 && !EqualsIgnoreCase(opt, "withvalues"))) {
      ctx.reply.SyntaxError();
      return;
    }
    const bool withvalues = argc == 4;
    // Twice the count must fit in a reply length.
    if (withvalues && (*l < -INT64_MAX / 2 || *l > INT64_MAX / 2)) {
      ctx.reply.Error("value is out of range");
      return;
    }
    HRandFieldWithCount(ctx, *l, withvalues);
    return;
  }
  bool wrong = false;
  Keyspace::Entry* e = FindHash(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  const HashValue& hash = AsHash(e);
  auto it =
      std::next(hash.begin(), static_cast<std::ptrdiff_t>(ctx.kernel.RandomU64() % hash.size()));
  ctx.reply.Bulk(it->name);
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
  t.Register({"hrandfield", -2, HRandFieldCommand, kCmdReadonly, 1, 1, 1, "hash",
              "Get one or multiple random fields from a hash"});
  t.Register({"hscan", -3, HScanCommand, kCmdReadonly, 1, 1, 1, "hash",
              "Incrementally iterate hash fields and associated values"});
  t.Register({"hstrlen", 3, HStrLenCommand, kCmdReadonly | kCmdFast, 1, 1, 1, "hash",
              "Get the length of the value of a hash field"});
}

}  // namespace reel
