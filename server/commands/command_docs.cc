#include "server/commands/command_docs.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace reel {

const CommandDoc* FindCommandDoc(std::string_view full_name) {
  std::string lower(full_name);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::span<const CommandDoc> docs = AllCommandDocs();
  auto it = std::lower_bound(
      docs.begin(), docs.end(), lower,
      [](const CommandDoc& d, const std::string& name) { return std::string_view(d.name) < name; });
  if (it == docs.end() || lower != it->name) return nullptr;
  return &*it;
}

}  // namespace reel
