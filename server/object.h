// The values a key can hold. Aggregates use standard containers whose
// iteration order depends only on the sequence of operations applied to
// them (libstdc++'s std::hash for strings is unseeded and deterministic), so
// the same command stream yields the same replies on every run.
#pragma once

#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>

namespace reel {

enum class ValueType : uint8_t { kString = 0, kList = 1, kHash = 2, kSet = 3, kZSet = 4 };

// Heterogeneous lookup so commands can probe with string_view arguments
// without building a std::string.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
struct StringEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

using ListValue = std::deque<std::string>;
using HashValue = std::unordered_map<std::string, std::string, StringHash, StringEq>;
using SetValue = std::unordered_set<std::string, StringHash, StringEq>;

// Sorted set: member -> score, plus an order-statistics tree on
// (score, member) for ZRANK/ZRANGE in O(log n), Redis's ordering (score,
// then member bytes).
struct ZSetValue {
  using Tree = __gnu_pbds::tree<std::pair<double, std::string>, __gnu_pbds::null_type,
                                std::less<std::pair<double, std::string>>, __gnu_pbds::rb_tree_tag,
                                __gnu_pbds::tree_order_statistics_node_update>;
  std::unordered_map<std::string, double, StringHash, StringEq> scores;
  Tree tree;

  size_t size() const { return scores.size(); }
  // Inserts or updates; returns true if the member is new.
  bool Set(std::string_view member, double score);
  bool Remove(std::string_view member);
  // 0-based rank in ascending order, or -1.
  int64_t Rank(std::string_view member) const;
};

using Object = std::variant<std::string, ListValue, HashValue, SetValue, ZSetValue>;

inline ValueType TypeOf(const Object& o) { return static_cast<ValueType>(o.index()); }
// "string", "list", "hash", "set", "zset" as TYPE prints them.
const char* TypeName(ValueType t);

}  // namespace reel
