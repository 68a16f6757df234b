// Sorted set commands (Redis 7.0 t_zset.c semantics). ZSetValue pairs a
// member -> score map with an order-statistics tree on (score, member), so
// lookups are O(1), updates and rank queries O(log n), and a range starts in
// O(log n) wherever it is. A sorted set whose last member is removed is
// deleted from the keyspace. Scores are replied with Reply::Double (%.17g).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/command.h"
#include "server/commands/scan_support.h"
#include "server/keyspace.h"
#include "server/numbers.h"
#include "server/reply.h"

namespace reel {

namespace {

using Tree = ZSetValue::Tree;
using TreeIt = Tree::const_iterator;

Keyspace::Entry* FindZSet(CommandContext& ctx, std::string_view key, bool* wrong_type) {
  *wrong_type = false;
  Keyspace::Entry* e = ctx.db.Find(key);
  if (e != nullptr && TypeOf(e->value) != ValueType::kZSet) {
    *wrong_type = true;
    ctx.reply.WrongType();
    return nullptr;
  }
  return e;
}

ZSetValue& AsZSet(Keyspace::Entry* e) {
  return std::get<ZSetValue>(e->value);
}

void DeleteIfEmpty(CommandContext& ctx, Keyspace::Entry* e) {
  if (AsZSet(e).size() == 0) ctx.db.Delete(e);
}

// ---------------------------------------------------------------- ZADD

// Redis's zset-max-listpack-entries / zset-max-listpack-value defaults.
constexpr size_t kMaxListpackEntries = 128;
constexpr size_t kMaxListpackValue = 64;

// The score as Redis stores it: a listpack keeps -0 as the integer 0.
double StoredScore(const ZSetValue& zset, double score) {
  return (!zset.skiplist && score == 0) ? 0.0 : score;
}

// zsetAdd of a new member: a listpack that would outgrow its limits
// becomes a skiplist first, so the member lands there with its exact score.
void AddNewMember(ZSetValue& zset, std::string_view member, double score) {
  if (zset.size() + 1 > kMaxListpackEntries || member.size() > kMaxListpackValue)
    zset.skiplist = true;
  zset.Set(member, StoredScore(zset, score));
}

// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...], and
// ZINCRBY key increment member (ZADD with INCR forced, as Redis does: its
// option scan applies to ZINCRBY's arguments too).
void ZAddGeneric(CommandContext& ctx, bool incr) {
  bool nx = false, xx = false, gt = false, lt = false, ch = false;
  size_t idx = 2;
  for (; idx < ctx.argv.size(); idx++) {
    std::string_view opt = ctx.argv[idx];
    if (EqualsIgnoreCase(opt, "nx")) {
      nx = true;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      xx = true;
    } else if (EqualsIgnoreCase(opt, "ch")) {
      ch = true;
    } else if (EqualsIgnoreCase(opt, "incr")) {
      incr = true;
    } else if (EqualsIgnoreCase(opt, "gt")) {
      gt = true;
    } else if (EqualsIgnoreCase(opt, "lt")) {
      lt = true;
    } else {
      break;
    }
  }
  const size_t args = ctx.argv.size() - idx;
  if (args == 0 || args % 2 != 0) {
    ctx.reply.SyntaxError();
    return;
  }
  const size_t pairs = args / 2;
  if (nx && xx) {
    ctx.reply.Error("XX and NX options at the same time are not compatible");
    return;
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    ctx.reply.Error("GT, LT, and/or NX options at the same time are not compatible");
    return;
  }
  if (incr && pairs > 1) {
    ctx.reply.Error("INCR option supports a single increment-element pair");
    return;
  }
  // Every score is parsed before anything changes: all or nothing.
  std::vector<double> scores(pairs);
  for (size_t j = 0; j < pairs; j++) {
    std::optional<double> s = ParseDouble(ctx.argv[idx + 2 * j]);
    if (!s) {
      ctx.reply.NotFloat();
      return;
    }
    scores[j] = *s;
  }

  bool wrong = false;
  Keyspace::Entry* e = FindZSet(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  int64_t added = 0, updated = 0, processed = 0;
  double last_score = 0;
  if (e == nullptr && !xx) e = ctx.db.Add(ctx.argv[1], Object(std::in_place_type<ZSetValue>));
  if (e != nullptr) {
    ZSetValue& zset = AsZSet(e);
    for (size_t j = 0; j < pairs; j++) {
      std::string_view member = ctx.argv[idx + 2 * j + 1];
      double score = scores[j];
      auto it = zset.scores.find(member);
      if (it == zset.scores.end()) {
        if (xx) continue;
        AddNewMember(zset, member, score);
        added++;
        processed++;
        last_score = score;
        continue;
      }
      if (nx) continue;
      const double current = it->second;
      if (incr) {
        score += current;
        if (std::isnan(score)) {
          ctx.reply.Error("resulting score is not a number (NaN)");
          return;
        }
      }
      if ((lt && score >= current) || (gt && score <= current)) continue;
      processed++;
      last_score = score;
      if (score != current) {
        zset.Set(member, StoredScore(zset, score));
        updated++;
      }
    }
  }
  if (incr) {
    if (processed > 0) {
      ctx.reply.Double(last_score);
    } else {
      ctx.reply.Null();
    }
  } else {
    ctx.reply.Integer(ch ? added + updated : added);
  }
}

void ZAddCommand(CommandContext& ctx) {
  ZAddGeneric(ctx, false);
}
void ZIncrByCommand(CommandContext& ctx) {
  ZAddGeneric(ctx, true);
}

// ---------------------------------------------------------- simple reads

// ZREM key member [member ...]
void ZRemCommand(CommandContext& ctx) {
  bool wrong = false;
  Keyspace::Entry* e = FindZSet(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  ZSetValue& zset = AsZSet(e);
  int64_t removed = 0;
  for (size_t i = 2; i < ctx.argv.size() && zset.size() > 0; i++)
    if (zset.Remove(ctx.argv[i])) removed++;
  DeleteIfEmpty(ctx, e);
  ctx.reply.Integer(removed);
}

// ZSCORE key member
void ZScoreCommand(CommandContext& ctx) {
  bool wrong = false;
  Keyspace::Entry* e = FindZSet(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  const ZSetValue& zset = AsZSet(e);
  auto it = zset.scores.find(ctx.argv[2]);
  if (it == zset.scores.end()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Double(it->second);
  }
}

// ZMSCORE key member [member ...]: a missing key is an empty sorted set.
void ZMScoreCommand(CommandContext& ctx) {
  bool wrong = false;
  Keyspace::Entry* e = FindZSet(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  ctx.reply.ArrayLen(static_cast<int64_t>(ctx.argv.size() - 2));
  for (size_t i = 2; i < ctx.argv.size(); i++) {
    if (e == nullptr) {
      ctx.reply.Null();
      continue;
    }
    const ZSetValue& zset = AsZSet(e);
    auto it = zset.scores.find(ctx.argv[i]);
    if (it == zset.scores.end()) {
      ctx.reply.Null();
    } else {
      ctx.reply.Double(it->second);
    }
  }
}

// ZCARD key
void ZCardCommand(CommandContext& ctx) {
  bool wrong = false;
  Keyspace::Entry* e = FindZSet(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  ctx.reply.Integer(e == nullptr ? 0 : static_cast<int64_t>(AsZSet(e).size()));
}

// ZRANK/ZREVRANK key member
void RankGeneric(CommandContext& ctx, bool reverse) {
  bool wrong = false;
  Keyspace::Entry* e = FindZSet(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  const ZSetValue& zset = AsZSet(e);
  int64_t rank = zset.Rank(ctx.argv[2]);
  if (rank < 0) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Integer(reverse ? static_cast<int64_t>(zset.size()) - 1 - rank : rank);
}

void ZRankCommand(CommandContext& ctx) {
  RankGeneric(ctx, false);
}
void ZRevRankCommand(CommandContext& ctx) {
  RankGeneric(ctx, true);
}

// ------------------------------------------------------- range specs

// zslParseRange: "(" makes a bound exclusive; the rest goes to strtod as a
// C string (so "inf", "-inf", leading spaces and "" (= 0) are accepted, as
// in Redis); trailing garbage or NaN is an error.
bool ParseScoreBound(std::string_view arg, double* value, bool* exclusive) {
  *exclusive = !arg.empty() && arg[0] == '(';
  if (*exclusive) arg.remove_prefix(1);
  std::string text(arg);
  char* end = nullptr;
  *value = std::strtod(text.c_str(), &end);
  return *end == '\0' && !std::isnan(*value);
}

struct ScoreRange {
  double min = 0, max = 0;
  bool minex = false, maxex = false;

  bool GteMin(double v) const { return minex ? v > min : v >= min; }
  bool LteMax(double v) const { return maxex ? v < max : v <= max; }
  bool Empty() const { return min > max || (min == max && (minex || maxex)); }
};

bool ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* r) {
  return ParseScoreBound(min, &r->min, &r->minex) && ParseScoreBound(max, &r->max, &r->maxex);
}

// A lexicographic bound: "[x" inclusive, "(x" exclusive, "-" and "+" the
// smallest and greatest strings (zslParseLexRangeItem).
struct LexBound {
  enum Kind { kValue, kMinusInf, kPlusInf } kind = kValue;
  std::string value;
  bool exclusive = false;
};

bool ParseLexBound(std::string_view arg, LexBound* b) {
  if (arg.empty()) return false;
  switch (arg[0]) {
    case '+':
    case '-':
      if (arg.size() != 1) return false;
      b->kind = arg[0] == '+' ? LexBound::kPlusInf : LexBound::kMinusInf;
      b->exclusive = true;
      return true;
    case '(':
    case '[':
      b->kind = LexBound::kValue;
      b->exclusive = arg[0] == '(';
      b->value.assign(arg.substr(1));
      return true;
    default: return false;
  }
}

// sdscmplex: a member against a bound.
int CompareLex(std::string_view member, const LexBound& b) {
  if (b.kind == LexBound::kMinusInf) return 1;
  if (b.kind == LexBound::kPlusInf) return -1;
  int c = member.compare(b.value);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

struct LexRange {
  LexBound min, max;

  bool GteMin(std::string_view m) const {
    int c = CompareLex(m, min);
    return min.exclusive ? c > 0 : c >= 0;
  }
  bool LteMax(std::string_view m) const {
    int c = CompareLex(m, max);
    return max.exclusive ? c < 0 : c <= 0;
  }
  bool Empty() const {
    int c;
    if (min.kind == max.kind && min.kind != LexBound::kValue) {
      c = 0;
    } else if (min.kind == LexBound::kMinusInf || max.kind == LexBound::kPlusInf) {
      c = -1;
    } else if (min.kind == LexBound::kPlusInf || max.kind == LexBound::kMinusInf) {
      c = 1;
    } else {
      c = min.value.compare(max.value);
    }
    return c > 0 || (c == 0 && (min.exclusive || max.exclusive));
  }
};

// ----------------------------------------------- locating range bounds

// The first element whose score is in range, or end().
TreeIt FirstInScoreRange(const Tree& tree, const ScoreRange& r) {
  if (r.Empty()) return tree.end();
  TreeIt it;
  if (!r.minex) {
    it = tree.lower_bound({r.min, std::string()});
  } else if (r.min == INFINITY) {
    return tree.end();
  } else {
    // The smallest double above min: no score lies strictly between.
    it = tree.lower_bound({std::nextafter(r.min, INFINITY), std::string()});
  }
  if (it == tree.end() || !r.LteMax(it->first)) return tree.end();
  return it;
}

// The last element whose score is in range, or end().
TreeIt LastInScoreRange(const Tree& tree, const ScoreRange& r) {
  if (r.Empty() || tree.empty()) return tree.end();
  TreeIt after;  // the first element above the range's top
  if (r.maxex) {
    after = tree.lower_bound({r.max, std::string()});
  } else if (r.max == INFINITY) {
    after = tree.end();
  } else {
    after = tree.lower_bound({std::nextafter(r.max, INFINITY), std::string()});
  }
  if (after == tree.begin()) return tree.end();
  TreeIt it = std::prev(after);
  if (!r.GteMin(it->first)) return tree.end();
  return it;
}

// zzlIsInLexRange / zslIsInLexRange: a range that cannot hold anything.
bool LexRangeMissesAll(const Tree& tree, const LexRange& r) {
  return r.Empty() || tree.empty() || !r.GteMin(std::prev(tree.end())->second) ||
         !r.LteMax(tree.begin()->second);
}

// Lex ranges are meant for sorted sets whose scores are all equal, where
// the order is the members' order; with mixed scores the answer depends on
// how the search walks. A small (listpack) sorted set is scanned linearly
// in Redis, which is cheap at <= 128 members, so it is reproduced exactly.
// A big one is searched in Redis's skiplist, whose shape depends on random
// levels; there the tree is searched within the first (or last) score.
TreeIt FirstInLexRange(const ZSetValue& zset, const LexRange& r) {
  const Tree& tree = zset.tree;
  if (LexRangeMissesAll(tree, r)) return tree.end();
  TreeIt it = tree.begin();
  if (!zset.skiplist) {
    while (it != tree.end() && !r.GteMin(it->second)) ++it;
  } else if (r.min.kind == LexBound::kValue) {
    it = tree.lower_bound({tree.begin()->first, r.min.value});
    if (r.min.exclusive && it != tree.end() && it->second == r.min.value) ++it;
  }
  if (it == tree.end() || !r.LteMax(it->second)) return tree.end();
  return it;
}

TreeIt LastInLexRange(const ZSetValue& zset, const LexRange& r) {
  const Tree& tree = zset.tree;
  if (LexRangeMissesAll(tree, r)) return tree.end();
  TreeIt it = std::prev(tree.end());
  if (!zset.skiplist) {
    while (!r.LteMax(it->second)) {
      if (it == tree.begin()) return tree.end();
      --it;
    }
  } else if (r.max.kind == LexBound::kValue) {
    TreeIt after = tree.lower_bound({it->first, r.max.value});
    if (!r.max.exclusive && after != tree.end() && after->second == r.max.value) {
      it = after;
    } else if (after == tree.begin()) {
      return tree.end();
    } else {
      it = std::prev(after);
    }
  }
  if (!r.GteMin(it->second)) return tree.end();
  return it;
}

// Elements from first onwards while they stay below the range's top: what
// ZREMRANGEBYLEX removes (both encodings) and ZLEXCOUNT counts (listpack).
int64_t CountLexForward(const Tree& tree, TreeIt first, const LexRange& r) {
  int64_t n = 0;
  for (TreeIt it = first; it != tree.end() && r.LteMax(it->second); ++it) n++;
  return n;
}

// ------------------------------------------------------------- ZRANGE

enum class RangeType { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

void ReplyElements(CommandContext& ctx, const std::vector<TreeIt>& items, bool withscores) {
  ctx.reply.ArrayLen(static_cast<int64_t>(items.size()) * (withscores ? 2 : 1));
  for (TreeIt it : items) {
    ctx.reply.Bulk(it->second);
    if (withscores) ctx.reply.Double(it->first);
  }
}

// Z[REV]RANGE by index: the elements from rank start to end (negative =
// from the end), in the requested direction.
std::vector<TreeIt> RangeByRank(const Tree& tree, int64_t start, int64_t end, bool reverse) {
  std::vector<TreeIt> out;
  const int64_t len = static_cast<int64_t>(tree.size());
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) return out;
  if (end >= len) end = len - 1;
  const int64_t n = end - start + 1;
  out.reserve(static_cast<size_t>(n));
  TreeIt it = tree.find_by_order(static_cast<size_t>(reverse ? len - 1 - start : start));
  for (int64_t i = 0; i < n; i++) {
    out.push_back(it);
    if (reverse) {
      if (it != tree.begin()) --it;
    } else {
      ++it;
    }
  }
  return out;
}

// The by-score and by-lex walk: skip `offset` elements from `first` without
// checking the range (as Redis does), then take up to `limit` (negative =
// all) while in_range holds. A negative offset walks off the end: empty.
template <typename InRange>
std::vector<TreeIt> WalkRange(const Tree& tree, TreeIt first, bool reverse, int64_t offset,
                              int64_t limit, InRange in_range) {
  std::vector<TreeIt> out;
  if (first == tree.end() || offset < 0) return out;
  if (offset > 0) {
    // Jump by rank in O(log n) instead of stepping.
    const int64_t rank = static_cast<int64_t>(tree.order_of_key(*first));
    const int64_t target = reverse ? rank - offset : rank + offset;
    if (target < 0 || target >= static_cast<int64_t>(tree.size())) return out;
    first = tree.find_by_order(static_cast<size_t>(target));
  }
  for (TreeIt it = first; limit != 0;) {
    if (!in_range(*it)) break;
    out.push_back(it);
    if (limit > 0) limit--;
    if (reverse) {
      if (it == tree.begin()) break;
      --it;
    } else {
      if (++it == tree.end()) break;
    }
  }
  return out;
}

void StoreRange(CommandContext& ctx, const std::vector<TreeIt>& items, bool by_rank);

// zrangeGenericCommand: ZRANGE with its BYSCORE/BYLEX/REV/LIMIT/WITHSCORES
// options, and the older ZREVRANGE / Z[REV]RANGEBY{SCORE,LEX} forms, which
// fix the type and direction (so those words are syntax errors there).
// ZRANGESTORE (store = true) reads its source at argv[2], takes no
// WITHSCORES, and stores the range at argv[1] instead of replying it.
void RangeGeneric(CommandContext& ctx, RangeType type, Direction direction, bool store = false) {
  const size_t key_index = store ? 2 : 1;
  bool withscores = false;
  int64_t offset = 0, limit = -1;
  for (size_t j = key_index + 3; j < ctx.argv.size(); j++) {
    const size_t left = ctx.argv.size() - j - 1;
    std::string_view opt = ctx.argv[j];
    if (!store && EqualsIgnoreCase(opt, "withscores")) {
      withscores = true;
    } else if (EqualsIgnoreCase(opt, "limit") && left >= 2) {
      std::optional<int64_t> o = ParseInt64(ctx.argv[j + 1]);
      std::optional<int64_t> l = o ? ParseInt64(ctx.argv[j + 2]) : std::nullopt;
      if (!o || !l) {
        ctx.reply.NotInteger();
        return;
      }
      offset = *o;
      limit = *l;
      j += 2;
    } else if (direction == Direction::kAuto && EqualsIgnoreCase(opt, "rev")) {
      direction = Direction::kReverse;
    } else if (type == RangeType::kAuto && EqualsIgnoreCase(opt, "bylex")) {
      type = RangeType::kLex;
    } else if (type == RangeType::kAuto && EqualsIgnoreCase(opt, "byscore")) {
      type = RangeType::kScore;
    } else {
      ctx.reply.SyntaxError();
      return;
    }
  }
  if (direction == Direction::kAuto) direction = Direction::kForward;
  if (type == RangeType::kAuto) type = RangeType::kRank;
  const bool reverse = direction == Direction::kReverse;

  // Redis tests the LIMIT count against its "unset" value -1.
  if (limit != -1 && type == RangeType::kRank) {
    ctx.reply.Error(
        "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return;
  }
  if (withscores && type == RangeType::kLex) {
    ctx.reply.Error("syntax error, WITHSCORES not supported in combination with BYLEX");
    return;
  }
  // Reversed score and lex ranges are written max first.
  std::string_view min_arg = ctx.argv[key_index + 1], max_arg = ctx.argv[key_index + 2];
  if (reverse && type != RangeType::kRank) std::swap(min_arg, max_arg);

  int64_t start = 0, end = 0;
  ScoreRange score_range;
  LexRange lex_range;
  if (type == RangeType::kRank) {
    std::optional<int64_t> s = ParseInt64(min_arg);
    std::optional<int64_t> e = s ? ParseInt64(max_arg) : std::nullopt;
    if (!s || !e) {
      ctx.reply.NotInteger();
      return;
    }
    start = *s;
    end = *e;
  } else if (type == RangeType::kScore) {
    if (!ParseScoreRange(min_arg, max_arg, &score_range)) {
      ctx.reply.Error("min or max is not a float");
      return;
    }
  } else if (!ParseLexBound(min_arg, &lex_range.min) || !ParseLexBound(max_arg, &lex_range.max)) {
    ctx.reply.Error("min or max not valid string range item");
    return;
  }

  bool wrong = false;
  Keyspace::Entry* e = FindZSet(ctx, ctx.argv[key_index], &wrong);
  if (wrong) return;
  std::vector<TreeIt> items;
  if (e != nullptr) {
    const ZSetValue& zset = AsZSet(e);
    const Tree& tree = zset.tree;
    if (type == RangeType::kRank) {
      items = RangeByRank(tree, start, end, reverse);
    } else if (type == RangeType::kScore) {
      TreeIt first =
          reverse ? LastInScoreRange(tree, score_range) : FirstInScoreRange(tree, score_range);
      auto in_range = [&](const std::pair<double, std::string>& el) {
        return reverse ? score_range.GteMin(el.first) : score_range.LteMax(el.first);
      };
      items = WalkRange(tree, first, reverse, offset, limit, in_range);
    } else {
      TreeIt first = reverse ? LastInLexRange(zset, lex_range) : FirstInLexRange(zset, lex_range);
      auto in_range = [&](const std::pair<double, std::string>& el) {
        return reverse ? lex_range.GteMin(el.second) : lex_range.LteMax(el.second);
      };
      items = WalkRange(tree, first, reverse, offset, limit, in_range);
    }
  }
  if (store) {
    StoreRange(ctx, items, type == RangeType::kRank);
  } else {
    ReplyElements(ctx, items, withscores);
  }
}

// Stores a ZRANGESTORE result at argv[1] (zrangeResultBeginStore and
// friends): an empty result deletes the destination. Redis starts a rank
// range of more than 128 elements as a skiplist and anything else as a
// listpack that converts as members are added, which decides whether a -0
// score keeps its sign.
void StoreRange(CommandContext& ctx, const std::vector<TreeIt>& items, bool by_rank) {
  if (items.empty()) {
    ctx.db.Delete(ctx.argv[1]);
    ctx.reply.Integer(0);
    return;
  }
  ZSetValue stored;
  stored.skiplist = by_rank && items.size() > kMaxListpackEntries;
  for (TreeIt it : items) AddNewMember(stored, it->second, it->first);
  ctx.db.Set(ctx.argv[1], Object(std::move(stored)));
  ctx.reply.Integer(static_cast<int64_t>(items.size()));
}

void ZRangeCommand(CommandContext& ctx) {
  RangeGeneric(ctx, RangeType::kAuto, Direction::kAuto);
}
// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
void ZRangeStoreCommand(CommandContext& ctx) {
  RangeGeneric(ctx, RangeType::kAuto, Direction::kAuto, true);
}
void ZRevRangeCommand(CommandContext& ctx) {
  RangeGeneric(ctx, RangeType::kRank, Direction::kReverse);
}
void ZRangeByScoreCommand(CommandContext& ctx) {
  RangeGeneric(ctx, RangeType::kScore, Direction::kForward);
}
void ZRevRangeByScoreCommand(CommandContext& ctx) {
  RangeGeneric(ctx, RangeType::kScore, Direction::kReverse);
}
void ZRangeByLexCommand(CommandContext& ctx) {
  RangeGeneric(ctx, RangeType::kLex, Direction::kForward);
}
void ZRevRangeByLexCommand(CommandContext& ctx) {
  RangeGeneric(ctx, RangeType::kLex, Direction::kReverse);
}

// Number of elements from first to last inclusive (both valid), by rank.
int64_t CountBetween(const Tree& tree, TreeIt first, TreeIt last) {
  if (first == tree.end() || last == tree.end()) return 0;
  int64_t n = static_cast<int64_t>(tree.order_of_key(*last)) -
              static_cast<int64_t>(tree.order_of_key(*first)) + 1;
  return n > 0 ? n : 0;
}

// ZCOUNT key min max
void ZCountCommand(CommandContext& ctx) {
  ScoreRange r;
  if (!ParseScoreRange(ctx.argv[2], ctx.argv[3], &r)) {
    ctx.reply.Error("min or max is not a float");
    return;
  }
  bool wrong = false;
  Keyspace::Entry* e = FindZSet(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  const Tree& tree = AsZSet(e).tree;
  ctx.reply.Integer(CountBetween(tree, FirstInScoreRange(tree, r), LastInScoreRange(tree, r)));
}

// ZLEXCOUNT key min max
void ZLexCountCommand(CommandContext& ctx) {
  LexRange r;
  if (!ParseLexBound(ctx.argv[2], &r.min) || !ParseLexBound(ctx.argv[3], &r.max)) {
    ctx.reply.Error("min or max not valid string range item");
    return;
  }
  bool wrong = false;
  Keyspace::Entry* e = FindZSet(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  const ZSetValue& zset = AsZSet(e);
  TreeIt first = FirstInLexRange(zset, r);
  // Redis counts a listpack by walking, a skiplist by ranks.
  ctx.reply.Integer(zset.skiplist ? CountBetween(zset.tree, first, LastInLexRange(zset, r))
                                  : CountLexForward(zset.tree, first, r));
}

// ZREMRANGEBYRANK/ZREMRANGEBYSCORE/ZREMRANGEBYLEX key min max
enum class RemoveBy { kRank, kScore, kLex };

void RemRangeGeneric(CommandContext& ctx, RemoveBy by) {
  int64_t start = 0, end = 0;
  ScoreRange score_range;
  LexRange lex_range;
  if (by == RemoveBy::kRank) {
    std::optional<int64_t> s = ParseInt64(ctx.argv[2]);
    std::optional<int64_t> e = s ? ParseInt64(ctx.argv[3]) : std::nullopt;
    if (!s || !e) {
      ctx.reply.NotInteger();
      return;
    }
    start = *s;
    end = *e;
  } else if (by == RemoveBy::kScore) {
    if (!ParseScoreRange(ctx.argv[2], ctx.argv[3], &score_range)) {
      ctx.reply.Error("min or max is not a float");
      return;
    }
  } else if (!ParseLexBound(ctx.argv[2], &lex_range.min) ||
             !ParseLexBound(ctx.argv[3], &lex_range.max)) {
    ctx.reply.Error("min or max not valid string range item");
    return;
  }
  bool wrong = false;
  Keyspace::Entry* e = FindZSet(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  ZSetValue& zset = AsZSet(e);
  const Tree& tree = zset.tree;
  // The ranks [first, first + n) to remove.
  int64_t first = 0, n = 0;
  if (by == RemoveBy::kRank) {
    const int64_t len = static_cast<int64_t>(tree.size());
    if (start < 0) start = len + start;
    if (end < 0) end = len + end;
    if (start < 0) start = 0;
    if (start <= end && start < len) {
      if (end >= len) end = len - 1;
      first = start;
      n = end - start + 1;
    }
  } else {
    TreeIt lo;
    if (by == RemoveBy::kScore) {
      lo = FirstInScoreRange(tree, score_range);
      n = CountBetween(tree, lo, LastInScoreRange(tree, score_range));
    } else {
      lo = FirstInLexRange(zset, lex_range);
      n = lo == tree.end() ? 0 : CountLexForward(tree, lo, lex_range);
    }
    if (n > 0) first = static_cast<int64_t>(tree.order_of_key(*lo));
  }
  for (int64_t i = 0; i < n; i++) {
    std::string member = tree.find_by_order(static_cast<size_t>(first))->second;
    zset.Remove(member);
  }
  DeleteIfEmpty(ctx, e);
  ctx.reply.Integer(n);
}

void ZRemRangeByRankCommand(CommandContext& ctx) {
  RemRangeGeneric(ctx, RemoveBy::kRank);
}
void ZRemRangeByScoreCommand(CommandContext& ctx) {
  RemRangeGeneric(ctx, RemoveBy::kScore);
}
void ZRemRangeByLexCommand(CommandContext& ctx) {
  RemRangeGeneric(ctx, RemoveBy::kLex);
}

// ---------------------------------------------------------------- ZPOP

// ZPOPMIN/ZPOPMAX key [count]: a flat array of member, score pairs.
void PopGeneric(CommandContext& ctx, bool max) {
  if (ctx.argv.size() > 3) {
    ctx.reply.SyntaxError();
    return;
  }
  int64_t count = 1;
  if (ctx.argv.size() == 3) {
    // getPositiveLongFromObjectOrReply: one message for garbage and negatives.
    std::optional<int64_t> c = ParseInt64(ctx.argv[2]);
    if (!c || *c < 0) {
      ctx.reply.Error("value is out of range, must be positive");
      return;
    }
    count = *c;
  }
  bool wrong = false;
  Keyspace::Entry* e = FindZSet(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  if (e == nullptr || count == 0) {
    ctx.reply.EmptyArray();
    return;
  }
  ZSetValue& zset = AsZSet(e);
  const int64_t n = std::min<int64_t>(count, static_cast<int64_t>(zset.size()));
  ctx.reply.ArrayLen(n * 2);
  for (int64_t i = 0; i < n; i++) {
    TreeIt it = max ? std::prev(zset.tree.end()) : zset.tree.begin();
    const double score = it->first;
    std::string member = it->second;
    ctx.reply.Bulk(member);
    ctx.reply.Double(score);
    zset.Remove(member);
  }
  DeleteIfEmpty(ctx, e);
}

void ZPopMinCommand(CommandContext& ctx) {
  PopGeneric(ctx, false);
}
void ZPopMaxCommand(CommandContext& ctx) {
  PopGeneric(ctx, true);
}

// ---------------------------------------------------------------- ZSCAN

// A score as a listpack stores it (zzlInsertAt): an integral value within
// +-2^62 as an integer, anything else as d2string writes it (%.17g, or
// "inf"/"-inf"). ZSCAN of a listpack replies these stored strings.
std::string ListpackScore(double score) {
  constexpr double kLimit = static_cast<double>(INT64_MAX / 2);
  if (score >= -kLimit && score <= kLimit) {
    const int64_t whole = static_cast<int64_t>(score);
    if (static_cast<double>(whole) == score) return std::to_string(whole);
  }
  return FormatDouble(score);
}

// ZSCAN key cursor [MATCH pattern] [COUNT count]. A listpack sorted set is
// returned whole, in score order, with cursor 0, whatever the cursor, as
// Redis does; a skiplist one pages in hash order (scan_support.h), its
// scores formatted as %.17Lg (identical to %.17g for a double).
void ZScanCommand(CommandContext& ctx) {
  uint64_t cursor = 0;
  ScanOptions options;
  Keyspace::Entry* e = BeginAggregateScan(ctx, ValueType::kZSet, &cursor, &options);
  if (e == nullptr) return;
  const ZSetValue& zset = AsZSet(e);
  std::vector<std::pair<std::string_view, std::string>> found;  // member, score text
  uint64_t next = 0;
  if (!zset.skiplist) {
    for (const auto& [score, member] : zset.tree)
      if (ScanMatches(options, member)) found.emplace_back(member, ListpackScore(score));
  } else {
    using Scored = std::pair<const std::string, double>;
    ScanBatch<Scored> batch =
        HashOrderScan(zset.scores, cursor, options.count,
                      [](const Scored& m) -> std::string_view { return m.first; });
    for (const Scored* m : batch.items)
      if (ScanMatches(options, m->first)) found.emplace_back(m->first, FormatDouble(m->second));
    next = batch.next_cursor;
  }
  ctx.reply.ArrayLen(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayLen(static_cast<int64_t>(found.size()) * 2);
  for (const auto& [member, score] : found) {
    ctx.reply.Bulk(member);
    ctx.reply.Bulk(score);
  }
}

// ------------------------------------------------ ZUNIONSTORE / ZINTERSTORE

// One input of ZUNIONSTORE/ZINTERSTORE: a sorted set, or a set whose
// members all score 1, or a missing key (empty).
struct OpSource {
  const ZSetValue* zset = nullptr;
  const SetValue* set = nullptr;
  double weight = 1.0;

  size_t size() const { return zset ? zset->size() : (set ? set->size() : 0); }
  // Calls visit(member, score) for every element.
  template <typename F>
  void ForEach(F&& visit) const {
    if (zset != nullptr) {
      for (const auto& [member, score] : zset->scores) visit(std::string_view(member), score);
    } else if (set != nullptr) {
      for (const std::string& member : *set) visit(std::string_view(member), 1.0);
    }
  }
  std::optional<double> Find(std::string_view member) const {
    if (zset != nullptr) {
      auto it = zset->scores.find(member);
      if (it != zset->scores.end()) return it->second;
    } else if (set != nullptr && set->count(member) != 0) {
      return 1.0;
    }
    return std::nullopt;
  }
};

enum class Aggregate { kSum, kMin, kMax };

// zunionInterAggregate: +inf plus -inf is taken as 0, not NaN.
void AggregateInto(double* target, double value, Aggregate aggregate) {
  switch (aggregate) {
    case Aggregate::kSum:
      *target += value;
      if (std::isnan(*target)) *target = 0.0;
      break;
    case Aggregate::kMin: *target = value < *target ? value : *target; break;
    case Aggregate::kMax: *target = value > *target ? value : *target; break;
  }
}

// A weighted input score; inf * 0 is taken as 0, not NaN.
double Weighted(double score, double weight) {
  double v = score * weight;
  return std::isnan(v) ? 0.0 : v;
}

// ZUNIONSTORE/ZINTERSTORE destination numkeys key [key ...] [WEIGHTS w ...]
// [AGGREGATE SUM|MIN|MAX] (zunionInterDiffGenericCommand): keys are looked
// up (WRONGTYPE for anything but a set or sorted set) before the options
// are parsed, as in Redis.
void UnionInterStore(CommandContext& ctx, bool is_union) {
  const char* name = is_union ? "zunionstore" : "zinterstore";
  const int64_t argc = static_cast<int64_t>(ctx.argv.size());
  std::optional<int64_t> setnum = ParseInt64(ctx.argv[2]);
  if (!setnum) {
    ctx.reply.NotInteger();
    return;
  }
  if (*setnum < 1) {
    ctx.reply.Error(std::string("at least 1 input key is needed for '") + name + "' command");
    return;
  }
  if (*setnum > argc - 3) {
    ctx.reply.SyntaxError();
    return;
  }
  const size_t n = static_cast<size_t>(*setnum);
  std::vector<OpSource> sources(n);
  for (size_t i = 0; i < n; i++) {
    Keyspace::Entry* e = ctx.db.Find(ctx.argv[3 + i]);
    if (e == nullptr) continue;
    if (TypeOf(e->value) == ValueType::kZSet) {
      sources[i].zset = &AsZSet(e);
    } else if (TypeOf(e->value) == ValueType::kSet) {
      sources[i].set = &std::get<SetValue>(e->value);
    } else {
      ctx.reply.WrongType();
      return;
    }
  }
  Aggregate aggregate = Aggregate::kSum;
  for (size_t j = 3 + n; j < ctx.argv.size();) {
    const size_t remaining = ctx.argv.size() - j;
    std::string_view opt = ctx.argv[j].substr(0, ctx.argv[j].find('\0'));
    if (remaining >= n + 1 && EqualsIgnoreCase(opt, "weights")) {
      j++;
      for (size_t i = 0; i < n; i++, j++) {
        std::optional<double> w = ParseDouble(ctx.argv[j]);
        if (!w) {
          ctx.reply.Error("weight value is not a float");
          return;
        }
        sources[i].weight = *w;
      }
    } else if (remaining >= 2 && EqualsIgnoreCase(opt, "aggregate")) {
      std::string_view how = ctx.argv[j + 1].substr(0, ctx.argv[j + 1].find('\0'));
      if (EqualsIgnoreCase(how, "sum")) {
        aggregate = Aggregate::kSum;
      } else if (EqualsIgnoreCase(how, "min")) {
        aggregate = Aggregate::kMin;
      } else if (EqualsIgnoreCase(how, "max")) {
        aggregate = Aggregate::kMax;
      } else {
        ctx.reply.SyntaxError();
        return;
      }
      j += 2;
    } else {
      ctx.reply.SyntaxError();
      return;
    }
  }
  // Smallest first, as Redis sorts (glibc's qsort is a stable merge sort
  // here), which also fixes the order a SUM adds its terms in.
  std::stable_sort(sources.begin(), sources.end(),
                   [](const OpSource& a, const OpSource& b) { return a.size() < b.size(); });

  // member -> aggregated score, members viewed in the sources (which stay
  // untouched until the result is stored).
  std::unordered_map<std::string_view, double, StringHash, StringEq> result;
  if (is_union) {
    for (const OpSource& src : sources) {
      src.ForEach([&](std::string_view member, double score) {
        double value = Weighted(score, src.weight);
        auto [it, inserted] = result.try_emplace(member, value);
        if (!inserted) AggregateInto(&it->second, value, aggregate);
      });
    }
  } else if (sources[0].size() > 0) {
    sources[0].ForEach([&](std::string_view member, double score) {
      double total = Weighted(score, sources[0].weight);
      for (size_t j = 1; j < n; j++) {
        std::optional<double> other = sources[j].Find(member);
        if (!other) return;
        AggregateInto(&total, *other * sources[j].weight, aggregate);
      }
      result.emplace(member, total);
    });
  }
  if (result.empty()) {
    ctx.db.Delete(ctx.argv[1]);
    ctx.reply.Integer(0);
    return;
  }
  // Redis builds a skiplist and converts it to a listpack when it fits
  // (zsetConvertToListpackIfNeeded); a listpack stores -0 as 0.
  ZSetValue stored;
  size_t longest = 0;
  for (const auto& [member, score] : result) longest = std::max(longest, member.size());
  stored.skiplist = result.size() > kMaxListpackEntries || longest > kMaxListpackValue;
  for (const auto& [member, score] : result) stored.Set(member, StoredScore(stored, score));
  const int64_t size = static_cast<int64_t>(stored.size());
  ctx.db.Set(ctx.argv[1], Object(std::move(stored)));
  ctx.reply.Integer(size);
}

void ZUnionStoreCommand(CommandContext& ctx) {
  UnionInterStore(ctx, true);
}
void ZInterStoreCommand(CommandContext& ctx) {
  UnionInterStore(ctx, false);
}

}  // namespace

void RegisterZSetCommands(CommandTable& t) {
  t.Register({"zadd", -4, ZAddCommand, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, "sorted-set",
              "Add one or more members to a sorted set, or update its score if it already "
              "exists"});
  t.Register({"zincrby", 4, ZIncrByCommand, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1,
              "sorted-set", "Increment the score of a member in a sorted set"});
  t.Register({"zrem", -3, ZRemCommand, kCmdWrite | kCmdFast, 1, 1, 1, "sorted-set",
              "Remove one or more members from a sorted set"});
  t.Register({"zscore", 3, ZScoreCommand, kCmdReadonly | kCmdFast, 1, 1, 1, "sorted-set",
              "Get the score associated with the given member in a sorted set"});
  t.Register({"zmscore", -3, ZMScoreCommand, kCmdReadonly | kCmdFast, 1, 1, 1, "sorted-set",
              "Get the score associated with the given members in a sorted set"});
  t.Register({"zcard", 2, ZCardCommand, kCmdReadonly | kCmdFast, 1, 1, 1, "sorted-set",
              "Get the number of members in a sorted set"});
  t.Register({"zrank", 3, ZRankCommand, kCmdReadonly | kCmdFast, 1, 1, 1, "sorted-set",
              "Determine the index of a member in a sorted set"});
  t.Register({"zrevrank", 3, ZRevRankCommand, kCmdReadonly | kCmdFast, 1, 1, 1, "sorted-set",
              "Determine the index of a member in a sorted set, with scores ordered from high "
              "to low"});
  t.Register({"zrange", -4, ZRangeCommand, kCmdReadonly, 1, 1, 1, "sorted-set",
              "Return a range of members in a sorted set"});
  t.Register({"zrevrange", -4, ZRevRangeCommand, kCmdReadonly, 1, 1, 1, "sorted-set",
              "Return a range of members in a sorted set, by index, with scores ordered from "
              "high to low"});
  t.Register({"zrangebyscore", -4, ZRangeByScoreCommand, kCmdReadonly, 1, 1, 1, "sorted-set",
              "Return a range of members in a sorted set, by score"});
  t.Register({"zrevrangebyscore", -4, ZRevRangeByScoreCommand, kCmdReadonly, 1, 1, 1, "sorted-set",
              "Return a range of members in a sorted set, by score, with scores ordered from "
              "high to low"});
  t.Register({"zrangebylex", -4, ZRangeByLexCommand, kCmdReadonly, 1, 1, 1, "sorted-set",
              "Return a range of members in a sorted set, by lexicographical range"});
  t.Register({"zrevrangebylex", -4, ZRevRangeByLexCommand, kCmdReadonly, 1, 1, 1, "sorted-set",
              "Return a range of members in a sorted set, by lexicographical range, ordered "
              "from higher to lower strings."});
  t.Register({"zcount", 4, ZCountCommand, kCmdReadonly | kCmdFast, 1, 1, 1, "sorted-set",
              "Count the members in a sorted set with scores within the given values"});
  t.Register({"zlexcount", 4, ZLexCountCommand, kCmdReadonly | kCmdFast, 1, 1, 1, "sorted-set",
              "Count the number of members in a sorted set between a given lexicographical "
              "range"});
  t.Register({"zremrangebyrank", 4, ZRemRangeByRankCommand, kCmdWrite, 1, 1, 1, "sorted-set",
              "Remove all members in a sorted set within the given indexes"});
  t.Register({"zremrangebyscore", 4, ZRemRangeByScoreCommand, kCmdWrite, 1, 1, 1, "sorted-set",
              "Remove all members in a sorted set within the given scores"});
  t.Register({"zremrangebylex", 4, ZRemRangeByLexCommand, kCmdWrite, 1, 1, 1, "sorted-set",
              "Remove all members in a sorted set between the given lexicographical range"});
  t.Register({"zrangestore", -5, ZRangeStoreCommand, kCmdWrite | kCmdDenyOom, 1, 2, 1, "sorted-set",
              "Store a range of members from sorted set into another key"});
  t.Register({"zunionstore", -4, ZUnionStoreCommand, kCmdWrite | kCmdDenyOom, 1, 1, 1, "sorted-set",
              "Add multiple sorted sets and store the resulting sorted set in a new key"});
  t.Register({"zinterstore", -4, ZInterStoreCommand, kCmdWrite | kCmdDenyOom, 1, 1, 1, "sorted-set",
              "Intersect multiple sorted sets and store the resulting sorted set in a new key"});
  t.Register({"zscan", -3, ZScanCommand, kCmdReadonly, 1, 1, 1, "sorted-set",
              "Incrementally iterate sorted sets elements and associated scores"});
  t.Register({"zpopmin", -2, ZPopMinCommand, kCmdWrite | kCmdFast, 1, 1, 1, "sorted-set",
              "Remove and return members with the lowest scores in a sorted set"});
  t.Register({"zpopmax", -2, ZPopMaxCommand, kCmdWrite | kCmdFast, 1, 1, 1, "sorted-set",
              "Remove and return members with the highest scores in a sorted set"});
}

}  // namespace reel
