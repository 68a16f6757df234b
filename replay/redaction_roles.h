// What each argument of a Redis command is, for `reel capture --redact`:
// a key, a value, a credential, a keyword, a number... and which parts of
// the command's reply carry keys or values.
//
// The authority is Redis 7.0's own command metadata, which reel-server
// carries (server/commands/command_docs_table.cc, generated from Redis's
// src/commands/*.json):
//   * key positions come from the command's key specs, evaluated as Redis's
//     getKeysUsingKeySpecs does (index/keyword begin search, range/keynum);
//   * the other arguments are matched against the documented argument
//     grammar (tokens, oneof, block, optional, multiple), with token-led
//     options accepted in any order as the server accepts them; the
//     argument's documented type and name give its role:
//       "string" args of data commands (value, member, field, element,
//       pivot, message, serialized-value, ...)      -> value
//       "password" (AUTH, HELLO AUTH, MIGRATE AUTH), CONFIG SET
//       requirepass/masterauth values, ACL SETUSER rules -> credential
//       "pattern" (KEYS, SCAN MATCH, SORT BY/GET)   -> pattern
//       lexicographic range bounds ([a (a - +)      -> range bound
//       integer / double / unix-time                -> number (kept)
//       tokens (NX, EX, LIMIT, WITHSCORES, ...)     -> keyword (kept)
//   * when the grammar does not match (a syntax error, or a form the
//     documentation does not describe), every argument that is not a key
//     position or a documented keyword is "unclassified" and redacted in
//     every mode — fail closed; the command is counted as a fallback.
//   * a command Redis 7.0 does not document: its name and every argument
//     are unclassified.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace reel::replay {

enum class ArgRole : uint8_t {
  kCommandName,   // argv[0] of a documented command (kept)
  kSubcommand,    // argv[1] of a container command (CONFIG SET, OBJECT ENCODING)
  kKeyword,       // a documented token: NX, EX, LIMIT, ...
  kNumber,        // integer, double, unix-time arguments
  kOther,         // documented strings that are not user data: CONFIG parameter, SCAN TYPE
  kKey,           // redacted in keys mode
  kValue,         // redacted in values mode
  kRangeBound,    // ZRANGEBYLEX-style bound: its first character is kept, the rest is a value
  kPattern,       // a glob: redacted in every mode unless it is only '*'
  kCredential,    // a password: redacted in every mode
  kUnclassified,  // could not be classified: redacted in every mode
};

const char* ArgRoleName(ArgRole r);

struct RedactMode {
  bool keys = false;
  bool values = false;
  bool any() const { return keys || values; }
};

// Parses "keys", "values" or "all". False on anything else.
bool ParseRedactMode(std::string_view text, RedactMode* out);
std::string RedactModeName(const RedactMode& m);

// How a command's reply carries keys and values. Leaves are the reply's
// scalar elements (bulk, simple, integer, double, null, ...) in order, flat.
enum class ReplyLayout : uint8_t {
  kNothing,           // no user data: status, integers, server-generated text
  kValues,            // every bulk leaf is a value (GET, HGETALL, LRANGE, SMEMBERS, ECHO)
  kKeys,              // every bulk leaf is a key (KEYS, RANDOMKEY)
  kValueScore,        // value, score, value, score, ... (WITHSCORES, ZPOPMIN)
  kCursorKeys,        // cursor, then keys (SCAN)
  kCursorValues,      // cursor, then values (SSCAN, HSCAN)
  kCursorValueScore,  // cursor, then value, score pairs (ZSCAN)
  kKeyValues,         // key, then values (BLPOP, LMPOP)
  kKeyValueScore,     // key, then value, score pairs (BZPOPMIN, ZMPOP)
  kConfigPairs,       // CONFIG GET: name, value pairs; credential values redacted
  kEverything,        // unknown reply shape: every text leaf is redacted (fail closed)
};

struct CommandRoles {
  std::string name;             // lowercase; "config|set" for subcommands
  bool documented = false;      // Redis 7.0 documents the command
  bool grammar_matched = true;  // false: the fallback classified the arguments
  bool write = false;           // the command's flags include "write"
  std::vector<ArgRole> roles;   // one per argv element
  ReplyLayout reply = ReplyLayout::kNothing;
};

// Classifies argv (argv[0] is the command name).
CommandRoles ClassifyCommand(const std::vector<std::string_view>& argv);

// True when an argument of this role is redacted in this mode. Patterns
// made only of '*' are kept (they name nothing). *keep_prefix (if given) is
// how many leading bytes stay (1 for a "[member" range bound).
bool RoleRedacted(ArgRole role, std::string_view arg, const RedactMode& mode,
                  size_t* keep_prefix = nullptr);

// Key positions per the command's key specs (Redis's getKeysUsingKeySpecs).
// False when the specs cannot be applied to argv (a malformed command).
// *complete (if given) is false when a spec is found by code rather than
// described (SORT's STORE key): positions may then be missing.
bool KeyPositions(const std::vector<std::string_view>& argv, std::vector<size_t>* positions,
                  bool* complete = nullptr);

// Every documented keyword, upper case (placeholders must not spell one).
std::unordered_set<std::string> AllKeywords();

}  // namespace reel::replay
