// COMMAND and its subcommands COUNT, INFO, DOCS, LIST, GETKEYS, HELP, in
// Redis 7.0's reply formats (server.c addReplyCommandInfo/Docs). What a
// command does (arity, key positions) comes from reel's command table; what
// Redis documents about it (flags, ACL categories, tips, key specs,
// arguments, ...) comes from command_docs.h.
#include <string>
#include <vector>

#include "server/command.h"
#include "server/commands/admin_support.h"
#include "server/commands/command_docs.h"
#include "server/glob.h"
#include "server/numbers.h"
#include "server/reply.h"
#include "server/server.h"

namespace reel {

namespace {

// One command or subcommand as COMMAND reports it.
struct CommandView {
  std::string name;  // full name: "get", "client|list"
  int arity = 0;
  const CommandSpec* spec;  // the top-level entry (for a subcommand: its container)
  bool is_subcommand = false;
  const CommandDoc* doc = nullptr;
};

CommandView ViewOf(const CommandSpec& spec) {
  return {spec.name, spec.arity, &spec, false, FindCommandDoc(spec.name)};
}

CommandView ViewOf(const CommandSpec& container, const SubcommandSpec& sub) {
  std::string full = std::string(container.name) + "|" + sub.name;
  const CommandDoc* doc = FindCommandDoc(full);
  return {std::move(full), sub.arity, &container, true, doc};
}

// The command table to read: the server's, or in unit tests run without a
// server, one built on first use (the same registrations).
const CommandTable& Table(CommandContext& ctx) {
  if (ctx.server != nullptr) return ctx.server->commands();
  static const CommandTable* table = new CommandTable();
  return *table;
}

// lookupCommandBySds: "get" or "container|sub"; null if unknown.
std::optional<CommandView> Lookup(CommandContext& ctx, std::string_view name) {
  size_t bar = name.find('|');
  if (bar == std::string_view::npos) {
    const CommandSpec* spec = Table(ctx).Find(name);
    if (spec == nullptr) return std::nullopt;
    return ViewOf(*spec);
  }
  std::string_view sub_name = name.substr(bar + 1);
  if (sub_name.find('|') != std::string_view::npos) return std::nullopt;
  const CommandSpec* spec = Table(ctx).Find(name.substr(0, bar));
  if (spec == nullptr) return std::nullopt;
  for (const SubcommandSpec& sub : SubcommandsOf(spec->name))
    if (EqualsIgnoreCase(sub.name, sub_name)) return ViewOf(*spec, sub);
  return std::nullopt;
}

std::vector<std::string_view> Words(const char* s) {
  std::vector<std::string_view> out;
  std::string_view rest = s == nullptr ? "" : s;
  while (!rest.empty()) {
    size_t sp = rest.find(' ');
    std::string_view w = rest.substr(0, sp);
    if (!w.empty()) out.push_back(w);
    if (sp == std::string_view::npos) break;
    rest.remove_prefix(sp + 1);
  }
  return out;
}

void StatusSet(CommandContext& ctx, const std::vector<std::string>& items) {
  ctx.reply.ArrayLen(static_cast<int64_t>(items.size()));
  for (const std::string& s : items) ctx.reply.Status(s);
}

void StatusSet(CommandContext& ctx, const char* words) {
  std::vector<std::string_view> w = Words(words);
  ctx.reply.ArrayLen(static_cast<int64_t>(w.size()));
  for (std::string_view s : w) ctx.reply.Status(s);
}

// For a command reel has but Redis 7.0 does not document (none today),
// flags and categories follow from reel's own flags, as Redis derives the
// implicit ones (setImplicitACLCategories).
std::vector<std::string> DerivedFlags(uint32_t f) {
  std::vector<std::string> out;
  if (f & kCmdWrite) out.push_back("write");
  if (f & kCmdReadonly) out.push_back("readonly");
  if (f & kCmdDenyOom) out.push_back("denyoom");
  if (f & kCmdAdmin) out.push_back("admin");
  if (f & kCmdPubsub) out.push_back("pubsub");
  if (f & kCmdNoscript) out.push_back("noscript");
  if (f & kCmdLoading) out.push_back("loading");
  if (f & kCmdStale) out.push_back("stale");
  if (f & kCmdFast) out.push_back("fast");
  if (f & kCmdNoAuth) out.push_back("no_auth");
  return out;
}

std::vector<std::string> DerivedCategories(uint32_t f, std::string_view group) {
  std::vector<std::string> out;
  if (group == "generic") out.push_back("@keyspace");
  if (f & kCmdReadonly) out.push_back("@read");
  if (f & kCmdWrite) out.push_back("@write");
  for (std::string_view g : {"set", "list", "hash", "string"})
    if (group == g) out.push_back("@" + std::string(g));
  if (group == "sorted-set" || group == "zset") out.push_back("@sortedset");
  if (f & kCmdPubsub) out.push_back("@pubsub");
  if (f & kCmdAdmin) out.push_back("@admin");
  out.push_back((f & kCmdFast) ? "@fast" : "@slow");
  if (f & kCmdAdmin) out.push_back("@dangerous");
  if (group == "connection") out.push_back("@connection");
  return out;
}

void ReplyKeySpecs(CommandContext& ctx, const CommandDoc& doc) {
  ctx.reply.ArrayLen(doc.num_key_specs);
  for (int i = 0; i < doc.num_key_specs; i++) {
    const KeySpecDoc& ks = doc.key_specs[i];
    ctx.reply.ArrayLen(ks.notes ? 8 : 6);
    if (ks.notes) {
      ctx.reply.Bulk("notes");
      ctx.reply.Bulk(ks.notes);
    }
    ctx.reply.Bulk("flags");
    StatusSet(ctx, ks.flags);
    ctx.reply.Bulk("begin_search");
    ctx.reply.ArrayLen(4);
    ctx.reply.Bulk("type");
    switch (ks.begin) {
      case KeySpecDoc::kIndex:
        ctx.reply.Bulk("index");
        ctx.reply.Bulk("spec");
        ctx.reply.ArrayLen(2);
        ctx.reply.Bulk("index");
        ctx.reply.Integer(ks.begin_arg);
        break;
      case KeySpecDoc::kKeyword:
        ctx.reply.Bulk("keyword");
        ctx.reply.Bulk("spec");
        ctx.reply.ArrayLen(4);
        ctx.reply.Bulk("keyword");
        ctx.reply.Bulk(ks.keyword);
        ctx.reply.Bulk("startfrom");
        ctx.reply.Integer(ks.begin_arg);
        break;
      case KeySpecDoc::kUnknownBegin:
        ctx.reply.Bulk("unknown");
        ctx.reply.Bulk("spec");
        ctx.reply.EmptyArray();
        break;
    }
    ctx.reply.Bulk("find_keys");
    ctx.reply.ArrayLen(4);
    ctx.reply.Bulk("type");
    switch (ks.find) {
      case KeySpecDoc::kRange:
        ctx.reply.Bulk("range");
        ctx.reply.Bulk("spec");
        ctx.reply.ArrayLen(6);
        ctx.reply.Bulk("lastkey");
        ctx.reply.Integer(ks.find_a);
        ctx.reply.Bulk("keystep");
        ctx.reply.Integer(ks.find_b);
        ctx.reply.Bulk("limit");
        ctx.reply.Integer(ks.find_c);
        break;
      case KeySpecDoc::kKeynum:
        ctx.reply.Bulk("keynum");
        ctx.reply.Bulk("spec");
        ctx.reply.ArrayLen(6);
        ctx.reply.Bulk("keynumidx");
        ctx.reply.Integer(ks.find_a);
        ctx.reply.Bulk("firstkey");
        ctx.reply.Integer(ks.find_b);
        ctx.reply.Bulk("keystep");
        ctx.reply.Integer(ks.find_c);
        break;
      case KeySpecDoc::kUnknownFind:
        ctx.reply.Bulk("unknown");
        ctx.reply.Bulk("spec");
        ctx.reply.EmptyArray();
        break;
    }
  }
}

// A key spec equivalent to reel's (first, last, step) for an undocumented
// command.
void ReplyDerivedKeySpec(CommandContext& ctx, const CommandSpec& spec) {
  if (spec.first_key <= 0) {
    ctx.reply.EmptyArray();
    return;
  }
  ctx.reply.ArrayLen(1);
  ctx.reply.ArrayLen(6);
  ctx.reply.Bulk("flags");
  ctx.reply.EmptyArray();
  ctx.reply.Bulk("begin_search");
  ctx.reply.ArrayLen(4);
  ctx.reply.Bulk("type");
  ctx.reply.Bulk("index");
  ctx.reply.Bulk("spec");
  ctx.reply.ArrayLen(2);
  ctx.reply.Bulk("index");
  ctx.reply.Integer(spec.first_key);
  ctx.reply.Bulk("find_keys");
  ctx.reply.ArrayLen(4);
  ctx.reply.Bulk("type");
  ctx.reply.Bulk("range");
  ctx.reply.Bulk("spec");
  ctx.reply.ArrayLen(6);
  ctx.reply.Bulk("lastkey");
  ctx.reply.Integer(spec.last_key < 0 ? spec.last_key : spec.last_key - spec.first_key);
  ctx.reply.Bulk("keystep");
  ctx.reply.Integer(spec.key_step);
  ctx.reply.Bulk("limit");
  ctx.reply.Integer(0);
}

void ReplyCommandInfo(CommandContext& ctx, const CommandView& v) {
  ctx.reply.ArrayLen(10);
  ctx.reply.Bulk(v.name);
  ctx.reply.Integer(v.arity);
  if (v.doc != nullptr) {
    StatusSet(ctx, v.doc->flags);
  } else {
    StatusSet(ctx, v.is_subcommand ? std::vector<std::string>{} : DerivedFlags(v.spec->flags));
  }
  // Key positions: a subcommand of reel's containers takes no keys.
  int first = v.is_subcommand ? 0 : v.spec->first_key;
  ctx.reply.Integer(first);
  ctx.reply.Integer(first == 0 ? 0 : v.spec->last_key);
  ctx.reply.Integer(first == 0 ? 0 : v.spec->key_step);
  if (v.doc != nullptr) {
    StatusSet(ctx, v.doc->acl);
  } else {
    StatusSet(ctx, DerivedCategories(v.is_subcommand ? 0 : v.spec->flags, v.spec->group));
  }
  std::vector<std::string_view> tips = Words(v.doc ? v.doc->tips : nullptr);
  ctx.reply.ArrayLen(static_cast<int64_t>(tips.size()));
  for (std::string_view t : tips) ctx.reply.Bulk(t);
  if (v.doc != nullptr) {
    ReplyKeySpecs(ctx, *v.doc);
  } else if (v.is_subcommand) {
    ctx.reply.EmptyArray();
  } else {
    ReplyDerivedKeySpec(ctx, *v.spec);
  }
  if (v.is_subcommand) {
    ctx.reply.EmptyArray();
    return;
  }
  std::span<const SubcommandSpec> subs = SubcommandsOf(v.spec->name);
  ctx.reply.ArrayLen(static_cast<int64_t>(subs.size()));
  for (const SubcommandSpec& sub : subs) ReplyCommandInfo(ctx, ViewOf(*v.spec, sub));
}

void ReplyArgs(CommandContext& ctx, const ArgDoc* args, int n) {
  ctx.reply.ArrayLen(n);
  for (int i = 0; i < n; i++) {
    const ArgDoc& a = args[i];
    bool has_flags = a.flags != nullptr && a.flags[0] != '\0';
    bool nested = std::string_view(a.type) == "oneof" || std::string_view(a.type) == "block";
    int pairs = 2 + (a.key_spec_index != -1) + (a.token != nullptr) + (a.since != nullptr) +
                (a.deprecated_since != nullptr) + has_flags + nested;
    ctx.reply.ArrayLen(pairs * 2);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(a.name);
    ctx.reply.Bulk("type");
    ctx.reply.Bulk(a.type);
    if (a.key_spec_index != -1) {
      ctx.reply.Bulk("key_spec_index");
      ctx.reply.Integer(a.key_spec_index);
    }
    if (a.token != nullptr) {
      ctx.reply.Bulk("token");
      ctx.reply.Bulk(a.token);
    }
    if (a.since != nullptr) {
      ctx.reply.Bulk("since");
      ctx.reply.Bulk(a.since);
    }
    if (a.deprecated_since != nullptr) {
      ctx.reply.Bulk("deprecated_since");
      ctx.reply.Bulk(a.deprecated_since);
    }
    if (has_flags) {
      ctx.reply.Bulk("flags");
      StatusSet(ctx, a.flags);
    }
    if (nested) {
      ctx.reply.Bulk("arguments");
      ReplyArgs(ctx, a.args, a.num_args);
    }
  }
}

void ReplyCommandDocs(CommandContext& ctx, const CommandView& v) {
  std::span<const SubcommandSpec> subs =
      v.is_subcommand ? std::span<const SubcommandSpec>{} : SubcommandsOf(v.spec->name);
  const CommandDoc* d = v.doc;
  if (d == nullptr) {
    // Undocumented in Redis: what reel's table says, and the group, which
    // Redis always includes (redis-cli relies on it).
    ctx.reply.ArrayLen(4);
    ctx.reply.Bulk("summary");
    ctx.reply.Bulk(v.spec->summary ? v.spec->summary : "");
    ctx.reply.Bulk("group");
    ctx.reply.Bulk(v.spec->group ? v.spec->group : "server");
    return;
  }
  bool has_doc_flags = d->doc_flags[0] != '\0';
  int pairs = 3 + (d->complexity != nullptr) + has_doc_flags + (d->deprecated_since != nullptr) +
              (d->replaced_by != nullptr) + (d->num_history > 0) + (d->num_args > 0) +
              !subs.empty();
  ctx.reply.ArrayLen(pairs * 2);
  ctx.reply.Bulk("summary");
  ctx.reply.Bulk(d->summary);
  ctx.reply.Bulk("since");
  ctx.reply.Bulk(d->since);
  ctx.reply.Bulk("group");
  ctx.reply.Bulk(d->group);
  if (d->complexity != nullptr) {
    ctx.reply.Bulk("complexity");
    ctx.reply.Bulk(d->complexity);
  }
  if (has_doc_flags) {
    ctx.reply.Bulk("doc_flags");
    StatusSet(ctx, d->doc_flags);
  }
  if (d->deprecated_since != nullptr) {
    ctx.reply.Bulk("deprecated_since");
    ctx.reply.Bulk(d->deprecated_since);
  }
  if (d->replaced_by != nullptr) {
    ctx.reply.Bulk("replaced_by");
    ctx.reply.Bulk(d->replaced_by);
  }
  if (d->num_history > 0) {
    ctx.reply.Bulk("history");
    ctx.reply.ArrayLen(d->num_history);
    for (int i = 0; i < d->num_history; i++) {
      ctx.reply.ArrayLen(2);
      ctx.reply.Bulk(d->history[i].since);
      ctx.reply.Bulk(d->history[i].changes);
    }
  }
  if (d->num_args > 0) {
    ctx.reply.Bulk("arguments");
    ReplyArgs(ctx, d->args, d->num_args);
  }
  if (!subs.empty()) {
    ctx.reply.Bulk("subcommands");
    ctx.reply.ArrayLen(static_cast<int64_t>(subs.size()) * 2);
    for (const SubcommandSpec& sub : subs) {
      CommandView sv = ViewOf(*v.spec, sub);
      ctx.reply.Bulk(sv.name);
      ReplyCommandDocs(ctx, sv);
    }
  }
}

void CommandAll(CommandContext& ctx) {
  const auto& all = Table(ctx).all();
  ctx.reply.ArrayLen(static_cast<int64_t>(all.size()));
  for (const CommandSpec& spec : all) ReplyCommandInfo(ctx, ViewOf(spec));
}

void CommandCount(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(Table(ctx).all().size()));
}

void CommandInfo(CommandContext& ctx) {
  if (ctx.argv.size() == 2) {
    CommandAll(ctx);
    return;
  }
  ctx.reply.ArrayLen(static_cast<int64_t>(ctx.argv.size()) - 2);
  for (size_t i = 2; i < ctx.argv.size(); i++) {
    std::optional<CommandView> v = Lookup(ctx, ctx.argv[i]);
    if (v) {
      ReplyCommandInfo(ctx, *v);
    } else {
      ctx.reply.Null();
    }
  }
}

void CommandDocs(CommandContext& ctx) {
  std::vector<CommandView> views;
  if (ctx.argv.size() == 2) {
    for (const CommandSpec& spec : Table(ctx).all()) views.push_back(ViewOf(spec));
  } else {
    for (size_t i = 2; i < ctx.argv.size(); i++)
      if (std::optional<CommandView> v = Lookup(ctx, ctx.argv[i])) views.push_back(*v);
  }
  ctx.reply.ArrayLen(static_cast<int64_t>(views.size()) * 2);  // a map, flattened in RESP2
  for (const CommandView& v : views) {
    ctx.reply.Bulk(v.name);
    ReplyCommandDocs(ctx, v);
  }
}

// COMMAND LIST [FILTERBY (MODULE name|ACLCAT category|PATTERN pattern)]
void CommandList(CommandContext& ctx) {
  enum class Filter { kNone, kModule, kAclcat, kPattern } filter = Filter::kNone;
  std::string_view arg;
  for (size_t i = 2; i < ctx.argv.size(); i++) {
    size_t more = ctx.argv.size() - 1 - i;
    if (EqualsIgnoreCase(ctx.argv[i], "filterby") && more == 2) {
      std::string_view type = ctx.argv[i + 1];
      if (EqualsIgnoreCase(type, "module")) {
        filter = Filter::kModule;
      } else if (EqualsIgnoreCase(type, "aclcat")) {
        filter = Filter::kAclcat;
      } else if (EqualsIgnoreCase(type, "pattern")) {
        filter = Filter::kPattern;
      } else {
        ctx.reply.SyntaxError();
        return;
      }
      arg = ctx.argv[i + 2];
      i += 2;
    } else {
      ctx.reply.SyntaxError();
      return;
    }
  }
  auto keep = [&](const CommandView& v) {
    switch (filter) {
      case Filter::kNone: return true;
      case Filter::kModule: return false;  // reel loads no modules
      case Filter::kPattern: return GlobMatch(arg, v.name, true);
      case Filter::kAclcat: {
        std::string want = "@" + ToLower(arg);
        if (v.doc != nullptr) {
          for (std::string_view c : Words(v.doc->acl))
            if (c == want) return true;
          return false;
        }
        for (const std::string& c :
             DerivedCategories(v.is_subcommand ? 0 : v.spec->flags, v.spec->group))
          if (c == want) return true;
        return false;
      }
    }
    return false;
  };
  std::vector<std::string> names;
  for (const CommandSpec& spec : Table(ctx).all()) {
    CommandView v = ViewOf(spec);
    if (keep(v)) names.push_back(v.name);
    for (const SubcommandSpec& sub : SubcommandsOf(spec.name)) {
      CommandView sv = ViewOf(spec, sub);
      if (keep(sv)) names.push_back(sv.name);
    }
  }
  ctx.reply.ArrayLen(static_cast<int64_t>(names.size()));
  for (const std::string& n : names) ctx.reply.Bulk(n);
}

// COMMAND GETKEYS <command> [args...]: the key positions the command's key
// specs name (db.c getKeysUsingKeySpecs).
void CommandGetkeys(CommandContext& ctx) {
  Argv cmd_argv(ctx.argv.begin() + 2, ctx.argv.end());
  int argc = static_cast<int>(cmd_argv.size());
  std::optional<CommandView> v = Lookup(ctx, cmd_argv[0]);
  if (v && argc >= 2 && !SubcommandsOf(v->spec->name).empty()) {
    if (std::optional<CommandView> sub =
            Lookup(ctx, std::string(v->spec->name) + "|" + std::string(cmd_argv[1])))
      v = sub;
  }
  if (!v) {
    ctx.reply.Error("Invalid command specified");
    return;
  }
  const CommandDoc* doc = v->doc;
  bool has_keys = false;
  if (doc != nullptr) {
    for (int i = 0; i < doc->num_key_specs; i++) {
      bool not_key = false;
      for (std::string_view f : Words(doc->key_specs[i].flags)) not_key |= f == "not_key";
      has_keys |= !not_key;
    }
  } else {
    has_keys = !v->is_subcommand && v->spec->first_key > 0;
  }
  if (!has_keys) {
    ctx.reply.Error("The command has no key arguments");
    return;
  }
  if ((v->arity > 0 && v->arity != argc) || argc < -v->arity) {
    ctx.reply.Error("Invalid number of arguments specified for command");
    return;
  }
  std::vector<int> keys;
  bool ok = true;
  auto add_range = [&](int first, int last, int step) {
    if (last >= argc || last < first || first >= argc) return false;
    for (int i = first; i <= last; i += step) keys.push_back(i);
    return true;
  };
  if (doc == nullptr) {
    const CommandSpec& s = *v->spec;
    int last = s.last_key < 0 ? argc + s.last_key : s.last_key;
    ok = add_range(s.first_key, last, s.key_step);
  } else {
    for (int j = 0; j < doc->num_key_specs && ok; j++) {
      const KeySpecDoc& ks = doc->key_specs[j];
      std::vector<std::string_view> flags = Words(ks.flags);
      bool not_key = false, incomplete = false;
      for (std::string_view f : flags) {
        not_key |= f == "not_key";
        incomplete |= f == "incomplete";
      }
      if (not_key) continue;
      int first = 0;
      if (ks.begin == KeySpecDoc::kIndex) {
        first = ks.begin_arg;
      } else if (ks.begin == KeySpecDoc::kKeyword) {
        int start = ks.begin_arg > 0 ? ks.begin_arg : argc + ks.begin_arg;
        int end = ks.begin_arg > 0 ? argc - 1 : 1;
        for (int i = start; i != end; i = start <= end ? i + 1 : i - 1) {
          if (i >= argc || i < 1) break;
          if (EqualsIgnoreCase(cmd_argv[static_cast<size_t>(i)], ks.keyword)) {
            first = i + 1;
            break;
          }
        }
        if (first == 0) continue;  // keyword absent: this spec names no key
      } else {
        ok = false;
        break;
      }
      int last = 0, step = 1;
      if (ks.find == KeySpecDoc::kRange) {
        step = ks.find_b;
        if (ks.find_a >= 0) {
          last = first + ks.find_a;
        } else if (ks.find_c == 0) {
          last = argc + ks.find_a;
        } else {
          last = first + ((argc - first) / ks.find_c + ks.find_a);
        }
      } else if (ks.find == KeySpecDoc::kKeynum) {
        step = ks.find_c;
        int idx = first + ks.find_a;
        std::optional<int64_t> numkeys =
            idx < argc ? ParseInt64(cmd_argv[static_cast<size_t>(idx)]) : std::nullopt;
        if (!numkeys || *numkeys < 0) {
          ok = false;
          break;
        }
        first += ks.find_b;
        last = first + static_cast<int>(*numkeys) - 1;
      } else {
        ok = false;
        break;
      }
      if (!add_range(first, last, step) || incomplete) ok = false;
    }
  }
  if (!ok || keys.empty()) {
    bool no_mandatory = false;
    if (doc != nullptr)
      for (std::string_view f : Words(doc->flags)) no_mandatory |= f == "no_mandatory_keys";
    if (no_mandatory) {
      ctx.reply.EmptyArray();
    } else {
      ctx.reply.Error("Invalid arguments specified for command");
    }
    return;
  }
  ctx.reply.ArrayLen(static_cast<int64_t>(keys.size()));
  for (int k : keys) ctx.reply.Bulk(cmd_argv[static_cast<size_t>(k)]);
}

void CommandHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "(no subcommand)",
                     "    Return details about all Redis commands.",
                     "COUNT",
                     "    Return the total number of commands in this Redis server.",
                     "LIST",
                     "    Return a list of all commands in this Redis server.",
                     "INFO [<command-name> ...]",
                     "    Return details about multiple Redis commands.",
                     "    If no command names are given, documentation details for all",
                     "    commands are returned.",
                     "DOCS [<command-name> ...]",
                     "    Return documentation details about multiple Redis commands.",
                     "    If no command names are given, documentation details for all",
                     "    commands are returned.",
                     "GETKEYS <full-command>",
                     "    Return the keys from a full Redis command.",
                 });
}

constexpr SubcommandSpec kCommandSubcommands[] = {
    {"count", 2, CommandCount}, {"docs", -2, CommandDocs}, {"getkeys", -4, CommandGetkeys},
    {"help", 2, CommandHelp},   {"info", -2, CommandInfo}, {"list", -2, CommandList},
};

void CommandCommand(CommandContext& ctx) {
  if (ctx.argv.size() == 1) {
    CommandAll(ctx);
    return;
  }
  DispatchSubcommand(ctx, "command", kCommandSubcommands);
}

}  // namespace

std::span<const SubcommandSpec> CommandSubcommands() {
  return kCommandSubcommands;
}

void RegisterCommandCommand(CommandTable& t) {
  t.Register({"command", -1, CommandCommand, kCmdLoading | kCmdStale, 0, 0, 0, "server",
              "Get array of Redis command details"});
}

}  // namespace reel
