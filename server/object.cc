#include "server/object.h"

namespace reel {

const char* TypeName(ValueType t) {
  switch (t) {
    case ValueType::kString: return "string";
    case ValueType::kList: return "list";
    case ValueType::kHash: return "hash";
    case ValueType::kSet: return "set";
    case ValueType::kZSet: return "zset";
  }
  return "none";
}

bool ZSetValue::Set(std::string_view member, double score) {
  auto it = scores.find(member);
  if (it != scores.end()) {
    if (it->second == score) return false;
    tree.erase({it->second, it->first});
    it->second = score;
    tree.insert({score, it->first});
    return false;
  }
  std::string m(member);
  tree.insert({score, m});
  scores.emplace(std::move(m), score);
  return true;
}

bool ZSetValue::Remove(std::string_view member) {
  auto it = scores.find(member);
  if (it == scores.end()) return false;
  tree.erase({it->second, it->first});
  scores.erase(it);
  return true;
}

int64_t ZSetValue::Rank(std::string_view member) const {
  auto it = scores.find(member);
  if (it == scores.end()) return -1;
  return static_cast<int64_t>(tree.order_of_key({it->second, it->first}));
}

}  // namespace reel
