// List commands (Redis 7.0 t_list.c semantics). A list is a std::deque, so
// pushes and pops at either end are O(1) and LINDEX/LSET/LRANGE reach any
// index in O(1). A list whose last element is removed is deleted, as Redis
// never keeps empty aggregates.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/command.h"
#include "server/keyspace.h"
#include "server/numbers.h"
#include "server/reply.h"

namespace reel {

namespace {

enum class End { kHead, kTail };

// getLongFromObjectOrReply: a strict 64-bit integer or the standard error.
std::optional<int64_t> IntArgOrReply(CommandContext& ctx, std::string_view arg) {
  std::optional<int64_t> v = ParseInt64(arg);
  if (!v) ctx.reply.NotInteger();
  return v;
}

// The entry of a list key, or null when the key is missing or (after a
// WRONGTYPE reply) holds another type.
Keyspace::Entry* FindList(CommandContext& ctx, std::string_view key, bool* wrong_type) {
  *wrong_type = false;
  Keyspace::Entry* e = ctx.db.Find(key);
  if (e != nullptr && TypeOf(e->value) != ValueType::kList) {
    *wrong_type = true;
    ctx.reply.WrongType();
    return nullptr;
  }
  return e;
}

ListValue& AsList(Keyspace::Entry* e) {
  return std::get<ListValue>(e->value);
}

// Deletes the key when its list became empty.
void DeleteIfEmpty(CommandContext& ctx, Keyspace::Entry* e) {
  if (AsList(e).empty()) ctx.db.Delete(e);
}

// Redis's index normalisation for LRANGE/LTRIM: negative indexes count from
// the tail; returns false when the range [start, end] is empty.
bool NormaliseRange(int64_t len, int64_t* start, int64_t* end) {
  if (*start < 0) *start = len + *start;
  if (*end < 0) *end = len + *end;
  if (*start < 0) *start = 0;
  if (*start > *end || *start >= len) return false;
  if (*end >= len) *end = len - 1;
  return true;
}

// LPUSH/RPUSH/LPUSHX/RPUSHX key element [element ...]
void PushGeneric(CommandContext& ctx, End where, bool only_if_exists) {
  bool wrong = false;
  Keyspace::Entry* e = FindList(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    if (only_if_exists) {
      ctx.reply.Integer(0);
      return;
    }
    e = ctx.db.Add(ctx.argv[1], Object(std::in_place_type<ListValue>));
  }
  ListValue& list = AsList(e);
  for (size_t i = 2; i < ctx.argv.size(); i++) {
    if (where == End::kHead) {
      list.emplace_front(ctx.argv[i]);
    } else {
      list.emplace_back(ctx.argv[i]);
    }
  }
  ctx.reply.Integer(static_cast<int64_t>(list.size()));
}

void LPushCommand(CommandContext& ctx) {
  PushGeneric(ctx, End::kHead, false);
}
void RPushCommand(CommandContext& ctx) {
  PushGeneric(ctx, End::kTail, false);
}
void LPushXCommand(CommandContext& ctx) {
  PushGeneric(ctx, End::kHead, true);
}
void RPushXCommand(CommandContext& ctx) {
  PushGeneric(ctx, End::kTail, true);
}

// LPOP/RPOP key [count]: a bulk without count, an array with it.
void PopGeneric(CommandContext& ctx, End where) {
  const bool has_count = ctx.argv.size() == 3;
  if (ctx.argv.size() > 3) {
    ctx.reply.WrongArity(where == End::kHead ? "lpop" : "rpop");
    return;
  }
  int64_t count = 0;
  if (has_count) {
    // getPositiveLongFromObjectOrReply: one message for garbage and negatives.
    std::optional<int64_t> c = ParseInt64(ctx.argv[2]);
    if (!c || *c < 0) {
      ctx.reply.Error("value is out of range, must be positive");
      return;
    }
    count = *c;
  }
  bool wrong = false;
  Keyspace::Entry* e = FindList(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    if (has_count) {
      ctx.reply.NullArray();
    } else {
      ctx.reply.Null();
    }
    return;
  }
  if (has_count && count == 0) {
    ctx.reply.EmptyArray();
    return;
  }
  ListValue& list = AsList(e);
  const int64_t n = has_count ? std::min<int64_t>(count, static_cast<int64_t>(list.size())) : 1;
  if (has_count) ctx.reply.ArrayLen(n);
  for (int64_t i = 0; i < n; i++) {
    if (where == End::kHead) {
      ctx.reply.Bulk(list.front());
      list.pop_front();
    } else {
      ctx.reply.Bulk(list.back());
      list.pop_back();
    }
  }
  DeleteIfEmpty(ctx, e);
}

void LPopCommand(CommandContext& ctx) {
  PopGeneric(ctx, End::kHead);
}
void RPopCommand(CommandContext& ctx) {
  PopGeneric(ctx, End::kTail);
}

// LLEN key
void LLenCommand(CommandContext& ctx) {
  bool wrong = false;
  Keyspace::Entry* e = FindList(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  ctx.reply.Integer(e == nullptr ? 0 : static_cast<int64_t>(AsList(e).size()));
}

// LRANGE key start stop
void LRangeCommand(CommandContext& ctx) {
  std::optional<int64_t> start = IntArgOrReply(ctx, ctx.argv[2]);
  if (!start) return;
  std::optional<int64_t> end = IntArgOrReply(ctx, ctx.argv[3]);
  if (!end) return;
  bool wrong = false;
  Keyspace::Entry* e = FindList(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.reply.EmptyArray();
    return;
  }
  const ListValue& list = AsList(e);
  int64_t from = *start, to = *end;
  if (!NormaliseRange(static_cast<int64_t>(list.size()), &from, &to)) {
    ctx.reply.EmptyArray();
    return;
  }
  ctx.reply.ArrayLen(to - from + 1);
  auto it = list.begin() + from;
  for (int64_t i = from; i <= to; i++, ++it) ctx.reply.Bulk(*it);
}

// LINDEX key index: the key is looked up before the index is parsed.
void LIndexCommand(CommandContext& ctx) {
  bool wrong = false;
  Keyspace::Entry* e = FindList(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  std::optional<int64_t> index = IntArgOrReply(ctx, ctx.argv[2]);
  if (!index) return;
  const ListValue& list = AsList(e);
  int64_t i = *index < 0 ? static_cast<int64_t>(list.size()) + *index : *index;
  if (i < 0 || i >= static_cast<int64_t>(list.size())) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(list[static_cast<size_t>(i)]);
}

// LSET key index element
void LSetCommand(CommandContext& ctx) {
  bool wrong = false;
  Keyspace::Entry* e = FindList(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.reply.Error("no such key");
    return;
  }
  std::optional<int64_t> index = IntArgOrReply(ctx, ctx.argv[2]);
  if (!index) return;
  ListValue& list = AsList(e);
  int64_t i = *index < 0 ? static_cast<int64_t>(list.size()) + *index : *index;
  if (i < 0 || i >= static_cast<int64_t>(list.size())) {
    ctx.reply.Error("index out of range");
    return;
  }
  list[static_cast<size_t>(i)].assign(ctx.argv[3]);
  ctx.reply.Ok();
}

// LREM key count element: count > 0 removes from the head, < 0 from the
// tail, 0 removes all. One compaction pass, so removing many is O(n).
void LRemCommand(CommandContext& ctx) {
  std::optional<int64_t> count = IntArgOrReply(ctx, ctx.argv[2]);
  if (!count) return;
  bool wrong = false;
  Keyspace::Entry* e = FindList(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  ListValue& list = AsList(e);
  const std::string_view element = ctx.argv[3];
  // |INT64_MIN| does not fit: any limit beyond the list's size means "all".
  const uint64_t limit = *count == 0 ? UINT64_MAX
                                     : (*count > 0 ? static_cast<uint64_t>(*count)
                                                   : 0 - static_cast<uint64_t>(*count));
  uint64_t removed = 0;
  if (*count >= 0) {
    auto out = list.begin();
    for (auto in = list.begin(); in != list.end(); ++in) {
      if (removed < limit && *in == element) {
        removed++;
        continue;
      }
      if (out != in) *out = std::move(*in);
      ++out;
    }
    list.erase(out, list.end());
  } else {
    auto out = list.rbegin();
    for (auto in = list.rbegin(); in != list.rend(); ++in) {
      if (removed < limit && *in == element) {
        removed++;
        continue;
      }
      if (out != in) *out = std::move(*in);
      ++out;
    }
    list.erase(list.begin(), out.base());
  }
  DeleteIfEmpty(ctx, e);
  ctx.reply.Integer(static_cast<int64_t>(removed));
}

// LTRIM key start stop
void LTrimCommand(CommandContext& ctx) {
  std::optional<int64_t> start = IntArgOrReply(ctx, ctx.argv[2]);
  if (!start) return;
  std::optional<int64_t> end = IntArgOrReply(ctx, ctx.argv[3]);
  if (!end) return;
  bool wrong = false;
  Keyspace::Entry* e = FindList(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.reply.Ok();
    return;
  }
  ListValue& list = AsList(e);
  int64_t from = *start, to = *end;
  if (!NormaliseRange(static_cast<int64_t>(list.size()), &from, &to)) {
    list.clear();
  } else {
    list.erase(list.begin() + to + 1, list.end());
    list.erase(list.begin(), list.begin() + from);
  }
  DeleteIfEmpty(ctx, e);
  ctx.reply.Ok();
}

// LINSERT key BEFORE|AFTER pivot element: the new length, 0 for a missing
// key, -1 when the pivot is not found.
void LInsertCommand(CommandContext& ctx) {
  bool after;
  if (EqualsIgnoreCase(ctx.argv[2], "after")) {
    after = true;
  } else if (EqualsIgnoreCase(ctx.argv[2], "before")) {
    after = false;
  } else {
    ctx.reply.SyntaxError();
    return;
  }
  bool wrong = false;
  Keyspace::Entry* e = FindList(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  ListValue& list = AsList(e);
  auto pivot = std::find(list.begin(), list.end(), ctx.argv[3]);
  if (pivot == list.end()) {
    ctx.reply.Integer(-1);
    return;
  }
  if (after) ++pivot;
  list.emplace(pivot, ctx.argv[4]);
  ctx.reply.Integer(static_cast<int64_t>(list.size()));
}

// LMOVE/RPOPLPUSH: pops from one end of source, pushes to one end of the
// destination (possibly the same list) and replies with the element.
void MoveGeneric(CommandContext& ctx, End from, End to) {
  bool wrong = false;
  Keyspace::Entry* src = FindList(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (src == nullptr) {
    ctx.reply.Null();
    return;
  }
  Keyspace::Entry* dst = FindList(ctx, ctx.argv[2], &wrong);
  if (wrong) return;
  ListValue& source = AsList(src);
  std::string value;
  if (from == End::kHead) {
    value = std::move(source.front());
    source.pop_front();
  } else {
    value = std::move(source.back());
    source.pop_back();
  }
  ctx.reply.Bulk(value);
  if (dst == nullptr) dst = ctx.db.Add(ctx.argv[2], Object(std::in_place_type<ListValue>));
  ListValue& destination = AsList(dst);
  if (to == End::kHead) {
    destination.push_front(std::move(value));
  } else {
    destination.push_back(std::move(value));
  }
  DeleteIfEmpty(ctx, src);  // never the destination: it just got an element
}

bool ParseEnd(CommandContext& ctx, std::string_view arg, End* end) {
  if (EqualsIgnoreCase(arg, "right")) {
    *end = End::kTail;
  } else if (EqualsIgnoreCase(arg, "left")) {
    *end = End::kHead;
  } else {
    ctx.reply.SyntaxError();
    return false;
  }
  return true;
}

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
void LMoveCommand(CommandContext& ctx) {
  End from, to;
  if (!ParseEnd(ctx, ctx.argv[3], &from) || !ParseEnd(ctx, ctx.argv[4], &to)) return;
  MoveGeneric(ctx, from, to);
}

// RPOPLPUSH source destination
void RPopLPushCommand(CommandContext& ctx) {
  MoveGeneric(ctx, End::kTail, End::kHead);
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
void LPosCommand(CommandContext& ctx) {
  int64_t rank = 1, count = -1, maxlen = 0;  // count -1: no COUNT option
  for (size_t j = 3; j < ctx.argv.size(); j++) {
    std::string_view opt = ctx.argv[j];
    const bool more = j + 1 < ctx.argv.size();
    if (EqualsIgnoreCase(opt, "rank") && more) {
      std::optional<int64_t> r = IntArgOrReply(ctx, ctx.argv[++j]);
      if (!r) return;
      if (*r == 0) {
        ctx.reply.Error(
            "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or "
            "use negative to start from the end of the list");
        return;
      }
      rank = *r;
    } else if (EqualsIgnoreCase(opt, "count") && more) {
      std::optional<int64_t> c = ParseInt64(ctx.argv[++j]);
      if (!c || *c < 0) {
        ctx.reply.Error("COUNT can't be negative");
        return;
      }
      count = *c;
    } else if (EqualsIgnoreCase(opt, "maxlen") && more) {
      std::optional<int64_t> m = ParseInt64(ctx.argv[++j]);
      if (!m || *m < 0) {
        ctx.reply.Error("MAXLEN can't be negative");
        return;
      }
      maxlen = *m;
    } else {
      ctx.reply.SyntaxError();
      return;
    }
  }
  const bool from_tail = rank < 0;
  // Redis negates a negative rank in a C long: INT64_MIN stays negative, so
  // every match qualifies and COUNT never stops the scan.
  const bool any_match = rank == INT64_MIN;
  const uint64_t skip = any_match ? 0 : static_cast<uint64_t>(from_tail ? -rank : rank) - 1;

  bool wrong = false;
  Keyspace::Entry* e = FindList(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    if (count != -1) {
      ctx.reply.EmptyArray();
    } else {
      ctx.reply.Null();
    }
    return;
  }
  const ListValue& list = AsList(e);
  const int64_t len = static_cast<int64_t>(list.size());
  const int64_t scan = (maxlen == 0 || maxlen > len) ? len : maxlen;
  std::vector<int64_t> found;
  uint64_t matches = 0;
  for (int64_t i = 0; i < scan; i++) {
    const int64_t index = from_tail ? len - 1 - i : i;
    if (list[static_cast<size_t>(index)] != ctx.argv[2]) continue;
    if (matches++ < skip) continue;
    found.push_back(index);
    if (count == -1) break;
    if (count != 0 && !any_match && static_cast<int64_t>(found.size()) >= count) break;
  }
  if (count == -1) {
    if (found.empty()) {
      ctx.reply.Null();
    } else {
      ctx.reply.Integer(found[0]);
    }
    return;
  }
  ctx.reply.ArrayLen(static_cast<int64_t>(found.size()));
  for (int64_t index : found) ctx.reply.Integer(index);
}

}  // namespace

void RegisterListCommands(CommandTable& t) {
  t.Register({"lpush", -3, LPushCommand, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, "list",
              "Prepend one or multiple elements to a list"});
  t.Register({"rpush", -3, RPushCommand, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, "list",
              "Append one or multiple elements to a list"});
  t.Register({"lpushx", -3, LPushXCommand, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, "list",
              "Prepend an element to a list, only if the list exists"});
  t.Register({"rpushx", -3, RPushXCommand, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, "list",
              "Append an element to a list, only if the list exists"});
  t.Register({"lpop", -2, LPopCommand, kCmdWrite | kCmdFast, 1, 1, 1, "list",
              "Remove and get the first elements in a list"});
  t.Register({"rpop", -2, RPopCommand, kCmdWrite | kCmdFast, 1, 1, 1, "list",
              "Remove and get the last elements in a list"});
  t.Register({"llen", 2, LLenCommand, kCmdReadonly | kCmdFast, 1, 1, 1, "list",
              "Get the length of a list"});
  t.Register({"lrange", 4, LRangeCommand, kCmdReadonly, 1, 1, 1, "list",
              "Get a range of elements from a list"});
  t.Register({"lindex", 3, LIndexCommand, kCmdReadonly, 1, 1, 1, "list",
              "Get an element from a list by its index"});
  t.Register({"lset", 4, LSetCommand, kCmdWrite | kCmdDenyOom, 1, 1, 1, "list",
              "Set the value of an element in a list by its index"});
  t.Register({"lrem", 4, LRemCommand, kCmdWrite, 1, 1, 1, "list", "Remove elements from a list"});
  t.Register(
      {"ltrim", 4, LTrimCommand, kCmdWrite, 1, 1, 1, "list", "Trim a list to the specified range"});
  t.Register({"lpos", -3, LPosCommand, kCmdReadonly, 1, 1, 1, "list",
              "Return the index of matching elements on a list"});
  t.Register({"lmove", 5, LMoveCommand, kCmdWrite | kCmdDenyOom, 1, 2, 1, "list",
              "Pop an element from a list, push it to another list and return it"});
  t.Register({"rpoplpush", 3, RPopLPushCommand, kCmdWrite | kCmdDenyOom, 1, 2, 1, "list",
              "Remove the last element in a list, prepend it to another list and return it"});
  t.Register({"linsert", 5, LInsertCommand, kCmdWrite | kCmdDenyOom, 1, 1, 1, "list",
              "Insert an element before or after another element in a list"});
}

}  // namespace reel
