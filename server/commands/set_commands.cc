// Set commands (Redis 7.0 t_set.c semantics). A set is a std::unordered_set;
// random members come from a random bucket (ctx.kernel.RandomU64() only), so
// SPOP/SRANDMEMBER are O(1) on average and reproducible given the random
// numbers. A set whose last member is removed is deleted from the keyspace.
#include <algorithm>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
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

// Redis's set-max-intset-entries default: a set of at most this many
// integers is an intset, which lists its members in numeric order.
constexpr size_t kMaxIntsetEntries = 512;

using Members = std::vector<const std::string*>;
using MemberViews = std::unordered_set<std::string_view, StringHash, StringEq>;

Keyspace::Entry* FindSet(CommandContext& ctx, std::string_view key, bool* wrong_type) {
  *wrong_type = false;
  Keyspace::Entry* e = ctx.db.Find(key);
  if (e != nullptr && TypeOf(e->value) != ValueType::kSet) {
    *wrong_type = true;
    ctx.reply.WrongType();
    return nullptr;
  }
  return e;
}

SetValue& AsSet(Keyspace::Entry* e) {
  return std::get<SetValue>(e->value);
}

// std::unordered_set never gives buckets back; after many removals a random
// bucket would mostly be empty. Shrinking below 10% fill (like Redis's dict)
// keeps the random walk O(1) on average.
void MaybeShrink(SetValue& set) {
  if (set.bucket_count() > 64 && set.size() * 10 < set.bucket_count()) set.rehash(0);
}

// Deletes the key when the set became empty; otherwise maybe shrinks it.
void AfterRemoval(CommandContext& ctx, Keyspace::Entry* e) {
  SetValue& set = AsSet(e);
  if (set.empty()) {
    ctx.db.Delete(e);
  } else {
    MaybeShrink(set);
  }
}

// A random member of a non-empty set: a random bucket, the next non-empty
// one from there, then a random element of its chain (dictGetRandomKey).
SetValue::const_iterator RandomMember(const SetValue& set, uint64_t r) {
  const size_t buckets = set.bucket_count();
  size_t b = r % buckets;
  while (set.begin(b) == set.end(b)) b = (b + 1) % buckets;
  const size_t chain = set.bucket_size(b);
  auto it = set.begin(b);
  for (size_t skip = (r >> 32) % chain; skip > 0; skip--) ++it;
  return set.find(*it);
}

// Redis 7.0 keeps a set of at most 512 integers as an intset, which lists
// its members in numeric order. If `members` could form one, stores them
// in that order in *sorted and returns true.
bool SortAsIntset(const Members& members, Members* sorted) {
  if (members.size() > kMaxIntsetEntries) return false;
  std::vector<std::pair<int64_t, const std::string*>> numeric;
  numeric.reserve(members.size());
  for (const std::string* m : members) {
    std::optional<int64_t> v = ParseInt64(*m);
    if (!v) return false;
    numeric.emplace_back(*v, m);
  }
  std::sort(numeric.begin(), numeric.end());
  sorted->clear();
  sorted->reserve(numeric.size());
  for (const auto& [value, m] : numeric) sorted->push_back(m);
  return true;
}

// Replies with members as an array. Members that could form an intset are
// sorted numerically: exactly Redis's reply when the set is an intset;
// any other set comes from a dict whose order depends on a per-process
// seed, so this is one of its possible replies.
void ReplyMembers(CommandContext& ctx, Members& members) {
  Members sorted;
  if (SortAsIntset(members, &sorted)) members = std::move(sorted);
  ctx.reply.ArrayLen(static_cast<int64_t>(members.size()));
  for (const std::string* m : members) ctx.reply.Bulk(*m);
}

Members AllMembers(const SetValue& set) {
  Members out;
  out.reserve(set.size());
  for (const std::string& m : set) out.push_back(&m);
  return out;
}

// getRangeLongFromObjectOrReply with Redis's generic out-of-range text.
std::optional<int64_t> RangeArgOrReply(CommandContext& ctx, std::string_view arg, int64_t min,
                                       int64_t max) {
  std::optional<int64_t> v = ParseInt64(arg);
  if (!v) {
    ctx.reply.NotInteger();
    return std::nullopt;
  }
  if (*v < min || *v > max) {
    ctx.reply.Error("value is out of range, value must between " + std::to_string(min) + " and " +
                    std::to_string(max));
    return std::nullopt;
  }
  return v;
}

// getPositiveLongFromObjectOrReply: one message for garbage and negatives.
std::optional<int64_t> CountArgOrReply(CommandContext& ctx, std::string_view arg) {
  std::optional<int64_t> v = ParseInt64(arg);
  if (!v || *v < 0) {
    ctx.reply.Error("value is out of range, must be positive");
    return std::nullopt;
  }
  return v;
}

// SADD key member [member ...]
void SAddCommand(CommandContext& ctx) {
  bool wrong = false;
  Keyspace::Entry* e = FindSet(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) e = ctx.db.Add(ctx.argv[1], Object(std::in_place_type<SetValue>));
  SetValue& set = AsSet(e);
  int64_t added = 0;
  for (size_t i = 2; i < ctx.argv.size(); i++)
    if (set.find(ctx.argv[i]) == set.end() && set.emplace(ctx.argv[i]).second) added++;
  ctx.reply.Integer(added);
}

// SREM key member [member ...]
void SRemCommand(CommandContext& ctx) {
  bool wrong = false;
  Keyspace::Entry* e = FindSet(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  SetValue& set = AsSet(e);
  int64_t removed = 0;
  for (size_t i = 2; i < ctx.argv.size() && !set.empty(); i++) {
    auto it = set.find(ctx.argv[i]);
    if (it == set.end()) continue;
    set.erase(it);
    removed++;
  }
  AfterRemoval(ctx, e);
  ctx.reply.Integer(removed);
}

// SISMEMBER key member
void SIsMemberCommand(CommandContext& ctx) {
  bool wrong = false;
  Keyspace::Entry* e = FindSet(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  ctx.reply.Integer(e != nullptr && AsSet(e).count(ctx.argv[2]) ? 1 : 0);
}

// SMISMEMBER key member [member ...]: a missing key is an empty set.
void SMIsMemberCommand(CommandContext& ctx) {
  bool wrong = false;
  Keyspace::Entry* e = FindSet(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  ctx.reply.ArrayLen(static_cast<int64_t>(ctx.argv.size() - 2));
  for (size_t i = 2; i < ctx.argv.size(); i++)
    ctx.reply.Integer(e != nullptr && AsSet(e).count(ctx.argv[i]) ? 1 : 0);
}

// SCARD key
void SCardCommand(CommandContext& ctx) {
  bool wrong = false;
  Keyspace::Entry* e = FindSet(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  ctx.reply.Integer(e == nullptr ? 0 : static_cast<int64_t>(AsSet(e).size()));
}

// SPOP key count (count given).
void SPopWithCount(CommandContext& ctx) {
  std::optional<int64_t> parsed = CountArgOrReply(ctx, ctx.argv[2]);
  if (!parsed) return;
  const uint64_t count = static_cast<uint64_t>(*parsed);
  bool wrong = false;
  Keyspace::Entry* e = FindSet(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr || count == 0) {
    ctx.reply.EmptyArray();
    return;
  }
  SetValue& set = AsSet(e);
  const uint64_t size = set.size();
  if (count >= size) {
    // The whole set: Redis replies through SUNION, then deletes the key.
    Members all = AllMembers(set);
    ReplyMembers(ctx, all);
    ctx.db.Delete(e);
    return;
  }
  const uint64_t remaining = size - count;
  if (remaining * 5 > count) {
    // Few elements popped compared to those left: pop them one by one.
    ctx.reply.ArrayLen(static_cast<int64_t>(count));
    for (uint64_t i = 0; i < count; i++) {
      auto node = set.extract(RandomMember(set, ctx.kernel.RandomU64()));
      ctx.reply.Bulk(node.value());
    }
    MaybeShrink(set);
    return;
  }
  // Most of the set goes: move the survivors to a new set and reply with
  // what is left of the old one, as Redis does.
  SetValue survivors;
  for (uint64_t i = 0; i < remaining; i++)
    survivors.insert(set.extract(RandomMember(set, ctx.kernel.RandomU64())));
  Members popped = AllMembers(set);
  ReplyMembers(ctx, popped);
  set = std::move(survivors);
}

// SPOP key [count]
void SPopCommand(CommandContext& ctx) {
  if (ctx.argv.size() == 3) {
    SPopWithCount(ctx);
    return;
  }
  if (ctx.argv.size() > 3) {
    ctx.reply.SyntaxError();
    return;
  }
  bool wrong = false;
  Keyspace::Entry* e = FindSet(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  SetValue& set = AsSet(e);
  auto node = set.extract(RandomMember(set, ctx.kernel.RandomU64()));
  ctx.reply.Bulk(node.value());
  AfterRemoval(ctx, e);
}

// SRANDMEMBER key count (count given): positive = distinct members, negative
// = |count| independent picks that may repeat.
void SRandMemberWithCount(CommandContext& ctx) {
  std::optional<int64_t> l = RangeArgOrReply(ctx, ctx.argv[2], -INT64_MAX, INT64_MAX);
  if (!l) return;
  const bool distinct = *l >= 0;
  const uint64_t count = distinct ? static_cast<uint64_t>(*l) : static_cast<uint64_t>(-*l);
  bool wrong = false;
  Keyspace::Entry* e = FindSet(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr || count == 0) {
    ctx.reply.EmptyArray();
    return;
  }
  const SetValue& set = AsSet(e);
  const uint64_t size = set.size();
  if (!distinct || count == 1) {
    ctx.reply.ArrayLen(static_cast<int64_t>(count));
    for (uint64_t i = 0; i < count; i++) ctx.reply.Bulk(*RandomMember(set, ctx.kernel.RandomU64()));
    return;
  }
  if (count >= size) {
    Members all = AllMembers(set);
    ReplyMembers(ctx, all);
    return;
  }
  Members chosen;
  if (count * 3 > size) {
    // Close to the whole set: drop random members until count are left.
    chosen = AllMembers(set);
    while (chosen.size() > count) {
      size_t victim = ctx.kernel.RandomU64() % chosen.size();
      chosen[victim] = chosen.back();
      chosen.pop_back();
    }
  } else {
    // Far fewer than the set: draw until count distinct members are found.
    MemberViews seen;
    seen.reserve(count);
    chosen.reserve(count);
    while (chosen.size() < count) {
      const std::string& m = *RandomMember(set, ctx.kernel.RandomU64());
      if (seen.insert(m).second) chosen.push_back(&m);
    }
  }
  ctx.reply.ArrayLen(static_cast<int64_t>(chosen.size()));
  for (const std::string* m : chosen) ctx.reply.Bulk(*m);
}

// SRANDMEMBER key [count]
void SRandMemberCommand(CommandContext& ctx) {
  if (ctx.argv.size() == 3) {
    SRandMemberWithCount(ctx);
    return;
  }
  if (ctx.argv.size() > 3) {
    ctx.reply.SyntaxError();
    return;
  }
  bool wrong = false;
  Keyspace::Entry* e = FindSet(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(*RandomMember(AsSet(e), ctx.kernel.RandomU64()));
}

// Looks up the keys argv[first..end); a missing key is null (an empty
// set). Returns false after a WRONGTYPE reply.
bool LookupSets(CommandContext& ctx, size_t first, size_t end, std::vector<const SetValue*>* sets) {
  sets->reserve(end - first);
  for (size_t i = first; i < end; i++) {
    bool wrong = false;
    Keyspace::Entry* e = FindSet(ctx, ctx.argv[i], &wrong);
    if (wrong) return false;
    sets->push_back(e == nullptr ? nullptr : &AsSet(e));
  }
  return true;
}

// The members of the intersection, in the order of the smallest set.
Members Intersect(std::vector<const SetValue*> sets) {
  for (const SetValue* s : sets)
    if (s == nullptr) return {};
  std::stable_sort(sets.begin(), sets.end(),
                   [](const SetValue* a, const SetValue* b) { return a->size() < b->size(); });
  Members out;
  for (const std::string& m : *sets[0]) {
    bool everywhere = true;
    for (size_t j = 1; j < sets.size() && everywhere; j++)
      if (sets[j] != sets[0] && sets[j]->count(m) == 0) everywhere = false;
    if (everywhere) out.push_back(&m);
  }
  return out;
}

Members Union(const std::vector<const SetValue*>& sets) {
  Members out;
  MemberViews seen;
  for (const SetValue* s : sets) {
    if (s == nullptr) continue;
    for (const std::string& m : *s)
      if (seen.insert(m).second) out.push_back(&m);
  }
  return out;
}

// Members of the first set found in none of the others.
Members Difference(const std::vector<const SetValue*>& sets) {
  Members out;
  if (sets[0] == nullptr) return out;
  for (const std::string& m : *sets[0]) {
    bool elsewhere = false;
    for (size_t j = 1; j < sets.size() && !elsewhere; j++)
      if (sets[j] != nullptr && sets[j]->count(m) != 0) elsewhere = true;
    if (!elsewhere) out.push_back(&m);
  }
  return out;
}

enum class SetOp { kInter, kUnion, kDiff };

Members Combine(SetOp op, const std::vector<const SetValue*>& sets) {
  switch (op) {
    case SetOp::kInter: return Intersect(sets);
    case SetOp::kUnion: return Union(sets);
    case SetOp::kDiff: return Difference(sets);
  }
  return {};
}

// SINTER/SUNION/SDIFF key [key ...]
void CombineCommand(CommandContext& ctx, SetOp op) {
  std::vector<const SetValue*> sets;
  if (!LookupSets(ctx, 1, ctx.argv.size(), &sets)) return;
  Members result = Combine(op, sets);
  ReplyMembers(ctx, result);
}

// SINTERSTORE/SUNIONSTORE/SDIFFSTORE destination key [key ...]: the
// destination is overwritten whatever its type (and loses its TTL), or
// deleted when the result is empty.
void CombineStoreCommand(CommandContext& ctx, SetOp op) {
  std::vector<const SetValue*> sets;
  if (!LookupSets(ctx, 2, ctx.argv.size(), &sets)) return;
  Members result = Combine(op, sets);
  if (result.empty()) {
    ctx.db.Delete(ctx.argv[1]);
    ctx.reply.Integer(0);
    return;
  }
  // Copy before Set: the destination may be one of the sources.
  SetValue stored;
  stored.reserve(result.size());
  for (const std::string* m : result) stored.insert(*m);
  ctx.db.Set(ctx.argv[1], Object(std::move(stored)));
  ctx.reply.Integer(static_cast<int64_t>(result.size()));
}

void SMembersCommand(CommandContext& ctx) {
  CombineCommand(ctx, SetOp::kInter);
}
void SInterCommand(CommandContext& ctx) {
  CombineCommand(ctx, SetOp::kInter);
}
void SUnionCommand(CommandContext& ctx) {
  CombineCommand(ctx, SetOp::kUnion);
}
void SDiffCommand(CommandContext& ctx) {
  CombineCommand(ctx, SetOp::kDiff);
}
void SInterStoreCommand(CommandContext& ctx) {
  CombineStoreCommand(ctx, SetOp::kInter);
}
void SUnionStoreCommand(CommandContext& ctx) {
  CombineStoreCommand(ctx, SetOp::kUnion);
}
void SDiffStoreCommand(CommandContext& ctx) {
  CombineStoreCommand(ctx, SetOp::kDiff);
}

// SINTERCARD numkeys key [key ...] [LIMIT limit]: the size of the
// intersection, counted up to LIMIT (0 = no limit).
void SInterCardCommand(CommandContext& ctx) {
  const size_t argc = ctx.argv.size();
  // getRangeLongFromObjectOrReply with one message for garbage and < 1.
  std::optional<int64_t> numkeys = ParseInt64(ctx.argv[1]);
  if (!numkeys || *numkeys < 1) {
    ctx.reply.Error("numkeys should be greater than 0");
    return;
  }
  if (*numkeys > static_cast<int64_t>(argc) - 2) {
    ctx.reply.Error("Number of keys can't be greater than number of args");
    return;
  }
  const size_t end = 2 + static_cast<size_t>(*numkeys);
  uint64_t limit = 0;
  for (size_t j = end; j < argc; j++) {
    std::string_view opt = ctx.argv[j].substr(0, ctx.argv[j].find('\0'));
    if (EqualsIgnoreCase(opt, "limit") && j + 1 < argc) {
      std::optional<int64_t> l = ParseInt64(ctx.argv[++j]);
      if (!l || *l < 0) {
        ctx.reply.Error("LIMIT can't be negative");
        return;
      }
      limit = static_cast<uint64_t>(*l);
    } else {
      ctx.reply.SyntaxError();
      return;
    }
  }
  std::vector<const SetValue*> sets;
  if (!LookupSets(ctx, 2, end, &sets)) return;
  for (const SetValue* s : sets) {
    if (s == nullptr) {
      ctx.reply.Integer(0);
      return;
    }
  }
  std::stable_sort(sets.begin(), sets.end(),
                   [](const SetValue* a, const SetValue* b) { return a->size() < b->size(); });
  uint64_t cardinality = 0;
  for (const std::string& m : *sets[0]) {
    bool everywhere = true;
    for (size_t j = 1; j < sets.size() && everywhere; j++)
      if (sets[j] != sets[0] && sets[j]->count(m) == 0) everywhere = false;
    if (!everywhere) continue;
    if (++cardinality == limit) break;
  }
  ctx.reply.Integer(static_cast<int64_t>(cardinality));
}

// SSCAN key cursor [MATCH pattern] [COUNT count]. A set Redis would keep as
// an intset (at most 512 integers) is returned whole, in numeric order,
// with cursor 0, whatever the cursor; any other set is a dict in Redis 7.0
// (listpack sets came in 7.2) and pages in hash order (scan_support.h).
void SScanCommand(CommandContext& ctx) {
  uint64_t cursor = 0;
  ScanOptions options;
  Keyspace::Entry* e = BeginAggregateScan(ctx, ValueType::kSet, &cursor, &options);
  if (e == nullptr) return;
  const SetValue& set = AsSet(e);
  Members members;
  uint64_t next = 0;
  if (!SortAsIntset(AllMembers(set), &members)) {
    ScanBatch<std::string> batch = HashOrderScan(
        set, cursor, options.count, [](const std::string& m) -> std::string_view { return m; });
    members = std::move(batch.items);
    next = batch.next_cursor;
  }
  std::erase_if(members, [&](const std::string* m) { return !ScanMatches(options, *m); });
  ctx.reply.ArrayLen(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayLen(static_cast<int64_t>(members.size()));
  for (const std::string* m : members) ctx.reply.Bulk(*m);
}

// SMOVE source destination member
void SMoveCommand(CommandContext& ctx) {
  Keyspace::Entry* src = ctx.db.Find(ctx.argv[1]);
  Keyspace::Entry* dst = ctx.db.Find(ctx.argv[2]);
  if (src == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (TypeOf(src->value) != ValueType::kSet ||
      (dst != nullptr && TypeOf(dst->value) != ValueType::kSet)) {
    ctx.reply.WrongType();
    return;
  }
  SetValue& from = AsSet(src);
  if (src == dst) {
    ctx.reply.Integer(from.count(ctx.argv[3]) ? 1 : 0);
    return;
  }
  auto it = from.find(ctx.argv[3]);
  if (it == from.end()) {
    ctx.reply.Integer(0);
    return;
  }
  auto node = from.extract(it);
  AfterRemoval(ctx, src);  // may delete src; dst's entry stays valid
  if (dst == nullptr) dst = ctx.db.Add(ctx.argv[2], Object(std::in_place_type<SetValue>));
  AsSet(dst).insert(std::move(node));
  ctx.reply.Integer(1);
}

}  // namespace

void RegisterSetCommands(CommandTable& t) {
  t.Register({"sadd", -3, SAddCommand, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, "set",
              "Add one or more members to a set"});
  t.Register({"srem", -3, SRemCommand, kCmdWrite | kCmdFast, 1, 1, 1, "set",
              "Remove one or more members from a set"});
  t.Register({"smembers", 2, SMembersCommand, kCmdReadonly, 1, 1, 1, "set",
              "Get all the members in a set"});
  t.Register({"sismember", 3, SIsMemberCommand, kCmdReadonly | kCmdFast, 1, 1, 1, "set",
              "Determine if a given value is a member of a set"});
  t.Register({"smismember", -3, SMIsMemberCommand, kCmdReadonly | kCmdFast, 1, 1, 1, "set",
              "Returns the membership associated with the given elements for a set"});
  t.Register({"scard", 2, SCardCommand, kCmdReadonly | kCmdFast, 1, 1, 1, "set",
              "Get the number of members in a set"});
  t.Register({"spop", -2, SPopCommand, kCmdWrite | kCmdFast, 1, 1, 1, "set",
              "Remove and return one or multiple random members from a set"});
  t.Register({"srandmember", -2, SRandMemberCommand, kCmdReadonly, 1, 1, 1, "set",
              "Get one or multiple random members from a set"});
  t.Register(
      {"sinter", -2, SInterCommand, kCmdReadonly, 1, -1, 1, "set", "Intersect multiple sets"});
  t.Register({"sunion", -2, SUnionCommand, kCmdReadonly, 1, -1, 1, "set", "Add multiple sets"});
  t.Register({"sdiff", -2, SDiffCommand, kCmdReadonly, 1, -1, 1, "set", "Subtract multiple sets"});
  t.Register({"sinterstore", -3, SInterStoreCommand, kCmdWrite | kCmdDenyOom, 1, -1, 1, "set",
              "Intersect multiple sets and store the resulting set in a key"});
  t.Register({"sunionstore", -3, SUnionStoreCommand, kCmdWrite | kCmdDenyOom, 1, -1, 1, "set",
              "Add multiple sets and store the resulting set in a key"});
  t.Register({"sdiffstore", -3, SDiffStoreCommand, kCmdWrite | kCmdDenyOom, 1, -1, 1, "set",
              "Subtract multiple sets and store the resulting set in a key"});
  t.Register({"sintercard", -3, SInterCardCommand, kCmdReadonly, 0, 0, 0, "set",
              "Intersect multiple sets and return the cardinality of the result"});
  t.Register({"sscan", -3, SScanCommand, kCmdReadonly, 1, 1, 1, "set",
              "Incrementally iterate Set elements"});
  t.Register({"smove", 4, SMoveCommand, kCmdWrite | kCmdFast, 1, 2, 1, "set",
              "Move a member from one set to another"});
}

}  // namespace reel
