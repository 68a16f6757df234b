// The command table: name, arity, flags and key positions as Redis declares
// them (COMMAND INFO reports them), and the function that runs the command.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/object.h"

namespace reel {

class Client;
class Keyspace;
class Kernel;
class Reply;
class Server;

using Argv = std::vector<std::string_view>;

// Everything a command may touch. Family commands (strings, lists, ...) use
// db, reply, argv and now_ms; server commands also reach the Server.
struct CommandContext {
  Server* server;  // null in unit tests of pure keyspace commands
  Client* client;  // null in unit tests of pure keyspace commands
  Keyspace& db;
  Kernel& kernel;
  const Argv& argv;
  Reply& reply;
  int64_t now_ms;  // unix time in ms, read once for this command
};

using CommandProc = void (*)(CommandContext& ctx);

// Flags, a subset of Redis's command flags (reported by COMMAND INFO).
enum CommandFlag : uint32_t {
  kCmdWrite = 1u << 0,
  kCmdReadonly = 1u << 1,
  kCmdDenyOom = 1u << 2,
  kCmdAdmin = 1u << 3,
  kCmdPubsub = 1u << 4,
  kCmdNoscript = 1u << 5,
  kCmdRandom = 1u << 6,
  kCmdLoading = 1u << 7,
  kCmdStale = 1u << 8,
  kCmdFast = 1u << 9,
  kCmdNoAuth = 1u << 10,  // allowed before AUTH
};

struct CommandSpec {
  const char* name;  // lowercase
  int arity;         // >0 exact, <0 at least -arity (argv[0] included)
  CommandProc proc;
  uint32_t flags;
  int first_key;  // 0 if the command takes no keys
  int last_key;   // -1 = last argument
  int key_step;
  const char* group;  // "string", "list", "server", ... (COMMAND DOCS)
  const char* summary;
};

// Stats the server keeps per command (INFO commandstats).
struct CommandStats {
  uint64_t calls = 0;
  uint64_t usec = 0;
  uint64_t failed = 0;
};

class CommandTable {
 public:
  CommandTable();  // registers every family below

  void Register(const CommandSpec& spec);
  // Case-insensitive lookup without allocating.
  const CommandSpec* Find(std::string_view name) const;
  // In registration order per family, so COMMAND output is stable.
  const std::vector<CommandSpec>& all() const { return specs_; }

 private:
  std::vector<CommandSpec> specs_;
  std::unordered_map<std::string, size_t, StringHash, StringEq> index_;
};

// Each family registers its commands; one file per family.
void RegisterConnectionCommands(CommandTable& t);
void RegisterServerCommands(CommandTable& t);
void RegisterKeyCommands(CommandTable& t);
void RegisterStringCommands(CommandTable& t);
void RegisterListCommands(CommandTable& t);
void RegisterHashCommands(CommandTable& t);
void RegisterSetCommands(CommandTable& t);
void RegisterZSetCommands(CommandTable& t);

// Shared helpers for command implementations.
// Looks up key expecting `type`; on a type mismatch replies WRONGTYPE and
// sets *wrong_type. Returns null when the key is missing or of another type.
Object* LookupTyped(CommandContext& ctx, std::string_view key, ValueType type, bool* wrong_type);
// Case-insensitive comparison for option names (EX, NX, WITHSCORES, ...).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace reel
