#include "server/command.h"

#include <cctype>

#include "server/keyspace.h"
#include "server/reply.h"

namespace reel {

CommandTable::CommandTable() {
  RegisterConnectionCommands(*this);
  RegisterServerCommands(*this);
  RegisterKeyCommands(*this);
  RegisterStringCommands(*this);
  RegisterListCommands(*this);
  RegisterHashCommands(*this);
  RegisterSetCommands(*this);
  RegisterZSetCommands(*this);
}

void CommandTable::Register(const CommandSpec& spec) {
  index_[spec.name] = specs_.size();
  specs_.push_back(spec);
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  char lower[64];
  if (name.size() >= sizeof lower) return nullptr;  // no command name is this long
  for (size_t i = 0; i < name.size(); i++)
    lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
  auto it = index_.find(std::string_view(lower, name.size()));
  return it == index_.end() ? nullptr : &specs_[it->second];
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

Object* LookupTyped(CommandContext& ctx, std::string_view key, ValueType type, bool* wrong_type) {
  *wrong_type = false;
  Object* o = ctx.db.Lookup(key);
  if (o == nullptr) return nullptr;
  if (TypeOf(*o) != type) {
    *wrong_type = true;
    ctx.reply.WrongType();
    return nullptr;
  }
  return o;
}

}  // namespace reel
