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
#include <iterator>
#include <list>
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

// Hash: field -> value, iterated in the order fields were first set. Redis
// 7.0 keeps hashes of up to 512 fields (Debian 7.0.15 default hash-max-listpack-entries) in a
// listpack, so HGETALL/HKEYS/HVALS list them in insertion order (an update keeps the field's
// place); bigger hashes use a dict whose order depends on a per-process random seed, so insertion
// order is a faithful choice for every size.
class HashValue {
 public:
  struct Field {
    std::string name;
    std::string value;
  };
  using Fields = std::list<Field>;

  HashValue() = default;
  HashValue(const HashValue& other) { CopyFrom(other); }
  HashValue& operator=(const HashValue& other) {
    if (this != &other) {
      clear();
      CopyFrom(other);
    }
    return *this;
  }
  // Moving a std::list keeps its nodes, so the index stays valid.
  HashValue(HashValue&&) noexcept = default;
  HashValue& operator=(HashValue&&) noexcept = default;

  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  void clear() {
    index_.clear();
    fields_.clear();
  }
  Fields::const_iterator begin() const { return fields_.begin(); }
  Fields::const_iterator end() const { return fields_.end(); }

  // The field's value, or null.
  std::string* Find(std::string_view field) {
    auto it = index_.find(field);
    return it == index_.end() ? nullptr : &it->second->value;
  }
  const std::string* Find(std::string_view field) const {
    auto it = index_.find(field);
    return it == index_.end() ? nullptr : &it->second->value;
  }
  // Sets a field; returns true if it is new. An existing field keeps its place.
  bool Set(std::string_view field, std::string_view value) {
    if (std::string* v = Find(field)) {
      v->assign(value);
      return false;
    }
    fields_.push_back(Field{std::string(field), std::string(value)});
    auto last = std::prev(fields_.end());
    index_.emplace(std::string_view(last->name), last);
    return true;
  }
  bool Remove(std::string_view field) {
    auto it = index_.find(field);
    if (it == index_.end()) return false;
    auto node = it->second;
    index_.erase(it);  // before the node: the key views the node's name
    fields_.erase(node);
    return true;
  }

 private:
  void CopyFrom(const HashValue& other) {
    for (const Field& f : other.fields_) Set(f.name, f.value);
  }

  Fields fields_;
  // Keys view the names stored in fields_ (list nodes never move).
  std::unordered_map<std::string_view, Fields::iterator, StringHash, StringEq> index_;
};

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
  // Redis 7.0 keeps a small sorted set (at most 128 members of at most 64
  // bytes) in a listpack, which stores a -0 score as the integer 0; once
  // converted to a skiplist (never back) a -0 score keeps its sign. ZADD
  // tracks the conversion so ZSCORE replies "0" or "-0" as Redis does.
  bool skiplist = false;

  size_t size() const { return scores.size(); }
  // Inserts or updates; returns true if the member is new.
  bool Set(std::string_view member, double score);
  bool Remove(std::string_view member);
  // 0-based rank in ascending order, or -1.
  int64_t Rank(std::string_view member) const;
};

using Object = std::variant<std::string, ListValue, HashValue, SetValue, ZSetValue>;

inline ValueType TypeOf(const Object& o) {
  return static_cast<ValueType>(o.index());
}
// "string", "list", "hash", "set", "zset" as TYPE prints them.
const char* TypeName(ValueType t);

}  // namespace reel
