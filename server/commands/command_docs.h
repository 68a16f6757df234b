// Redis 7.0's documented metadata for each command (summary, since,
// complexity, flags, ACL categories, tips, key specs, history, arguments),
// as COMMAND, COMMAND INFO and COMMAND DOCS report it. The table itself is
// generated from Redis's src/commands/*.json by command_docs_gen.py.
//
// The command table (server/command.h) stays the source of truth for what a
// command does (arity, key positions, the function). This table only adds
// the documentation clients read: redis-cli builds its help from COMMAND
// DOCS, cluster-aware clients read flags and key specs from COMMAND.
#pragma once

#include <span>
#include <string_view>

namespace reel {

struct KeySpecDoc {
  enum BeginSearch { kUnknownBegin, kIndex, kKeyword };
  enum FindKeys { kUnknownFind, kRange, kKeynum };

  const char* notes;  // null when none
  const char* flags;  // space-separated, output order: "RW access update"
  BeginSearch begin;
  int begin_arg;        // kIndex: pos; kKeyword: startfrom
  const char* keyword;  // kKeyword only
  FindKeys find;
  int find_a, find_b, find_c;  // kRange: lastkey, keystep, limit;
                               // kKeynum: keynumidx, firstkey, keystep
};

struct HistoryDoc {
  const char* since;
  const char* changes;
};

struct ArgDoc {
  const char* name;
  const char* type;    // "key", "string", "integer", "oneof", "block", "pure-token", ...
  int key_spec_index;  // -1 when not a key
  const char* token;
  const char* since;
  const char* deprecated_since;
  const char* flags;  // "optional multiple multiple_token", any subset; "" for none
  const ArgDoc* args;
  int num_args;
};

struct CommandDoc {
  const char* name;  // lowercase full name: "get", "client|list"
  int arity;
  const char* summary;
  const char* since;
  const char* group;       // "string", "sorted-set", "generic", ...
  const char* complexity;  // may be null
  const char* flags;       // COMMAND's flag words in Redis's order: "write denyoom"
  const char* acl;         // "@write @string @slow" (explicit and implicit categories)
  const char* tips;        // "nondeterministic_output request_policy:all_shards"
  const char* doc_flags;   // "deprecated", "syscmd" or ""
  const char* deprecated_since;
  const char* replaced_by;
  const KeySpecDoc* key_specs;
  int num_key_specs;
  const HistoryDoc* history;
  int num_history;
  const ArgDoc* args;
  int num_args;
};

// Every documented command, sorted by name.
std::span<const CommandDoc> AllCommandDocs();
// The doc of a command or subcommand by full name ("get", "client|list"),
// case-insensitive; null when Redis 7.0 (or this table's groups) has none.
const CommandDoc* FindCommandDoc(std::string_view full_name);

}  // namespace reel
