// CONFIG GET / SET / RESETSTAT / REWRITE / HELP over the parameters reel
// has, with Redis 7.0's value formats and error texts (config.c).
//
// CONFIG SET is atomic as in Redis: every value is validated and applied to
// a copy of the configuration, which replaces the live one only if all of
// them succeed.
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <vector>

#include "server/command.h"
#include "server/commands/admin_support.h"
#include "server/config.h"
#include "server/glob.h"
#include "server/numbers.h"
#include "server/reply.h"
#include "server/server.h"

namespace reel {

namespace {

using Getter = std::string (*)(Server& s);
// Validates value and stores it in cfg; *err gets Redis's reason on failure.
using Setter = bool (*)(ServerConfig& cfg, std::string_view value, std::string* err);

struct ConfigParam {
  const char* name;
  Getter get;
  Setter set;  // null: "can't set immutable config"
};

// --- value parsing, Redis's rules ---------------------------------------

// util.c memtoull: digits with an optional b/k/kb/m/mb/g/gb unit.
std::optional<uint64_t> ParseMemory(std::string_view s) {
  if (!s.empty() && s[0] == '-') return std::nullopt;
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') digits++;
  std::string unit = ToLower(s.substr(digits));
  uint64_t mul;
  if (unit.empty() || unit == "b") {
    mul = 1;
  } else if (unit == "k") {
    mul = 1000;
  } else if (unit == "kb") {
    mul = 1024;
  } else if (unit == "m") {
    mul = 1000 * 1000;
  } else if (unit == "mb") {
    mul = 1024 * 1024;
  } else if (unit == "g") {
    mul = 1000ull * 1000 * 1000;
  } else if (unit == "gb") {
    mul = 1024ull * 1024 * 1024;
  } else {
    return std::nullopt;
  }
  // strtoull semantics: no digits reads as 0, overflow saturates.
  uint64_t v = 0;
  for (size_t i = 0; i < digits; i++) {
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) {
      v = UINT64_MAX;
      break;
    }
    v = v * 10 + d;
  }
  return v * mul;  // wraps like Redis's unchecked multiplication
}

bool CheckRange(int64_t v, int64_t lo, int64_t hi, std::string* err) {
  if (v >= lo && v <= hi) return true;
  *err = "argument must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
         " inclusive";
  return false;
}

// Unsigned parameters compare the parsed value as unsigned, so -1 is out of
// range rather than below it, exactly as numericBoundaryCheck does.
bool CheckRangeUnsigned(int64_t v, uint64_t lo, uint64_t hi, std::string* err) {
  auto u = static_cast<uint64_t>(v);
  if (u >= lo && u <= hi) return true;
  *err = "argument must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
         " inclusive";
  return false;
}

std::optional<int64_t> ParseIntegerArg(std::string_view v, std::string* err) {
  std::optional<int64_t> n = ParseInt64(v);
  if (!n) *err = "argument couldn't be parsed into an integer";
  return n;
}

std::optional<int64_t> ParseMemoryArg(std::string_view v, std::string* err) {
  std::optional<uint64_t> n = ParseMemory(v);
  if (!n) {
    *err = "argument must be a memory value";
    return std::nullopt;
  }
  return static_cast<int64_t>(*n);
}

// --- parameters -----------------------------------------------------------

constexpr const char* kLoopTooSmall =
    "The event loop API used by Redis is not able to handle the specified number of clients";

template <auto Field>
std::string GetNumber(Server& s) {
  return std::to_string(s.config().*Field);
}

template <auto Field, int64_t Lo, int64_t Hi>
bool SetSigned(ServerConfig& cfg, std::string_view v, std::string* err) {
  std::optional<int64_t> n = ParseIntegerArg(v, err);
  if (!n || !CheckRange(*n, Lo, Hi, err)) return false;
  cfg.*Field = static_cast<std::remove_reference_t<decltype(cfg.*Field)>>(*n);
  return true;
}

template <auto Field, uint64_t Lo, uint64_t Hi>
bool SetUnsigned(ServerConfig& cfg, std::string_view v, std::string* err) {
  std::optional<int64_t> n = ParseIntegerArg(v, err);
  if (!n || !CheckRangeUnsigned(*n, Lo, Hi, err)) return false;
  cfg.*Field = static_cast<std::remove_reference_t<decltype(cfg.*Field)>>(*n);
  return true;
}

template <auto Field, int64_t Lo, int64_t Hi>
bool SetMemory(ServerConfig& cfg, std::string_view v, std::string* err) {
  std::optional<int64_t> n = ParseMemoryArg(v, err);
  if (!n || !CheckRange(*n, Lo, Hi, err)) return false;
  cfg.*Field = *n;
  return true;
}

// hz: any non-negative int is accepted and capped to 1..500 (updateHZ).
bool SetHz(ServerConfig& cfg, std::string_view v, std::string* err) {
  std::optional<int64_t> n = ParseIntegerArg(v, err);
  if (!n || !CheckRange(*n, 0, INT_MAX, err)) return false;
  cfg.hz = static_cast<int>(std::clamp<int64_t>(*n, 1, 500));
  return true;
}

// maxclients is unsigned in Redis (1..4294967295); reel's field is an int,
// and anything beyond it is more than any event loop here can hold anyway.
bool SetMaxclients(ServerConfig& cfg, std::string_view v, std::string* err) {
  std::optional<int64_t> n = ParseIntegerArg(v, err);
  if (!n || !CheckRangeUnsigned(*n, 1, UINT_MAX, err)) return false;
  if (*n > INT_MAX) {
    *err = kLoopTooSmall;
    return false;
  }
  cfg.maxclients = static_cast<int>(*n);
  return true;
}

std::string GetPort(Server& s) {
  // With --port 0 reel listens on a port the kernel picked: report that one.
  return std::to_string(s.bound_port() != 0 ? s.bound_port() : s.config().port);
}

std::string GetBind(Server& s) {
  return s.config().bind;
}
std::string GetDatabases(Server&) {
  return "1";
}
std::string GetMaxevents(Server& s) {
  return std::to_string(s.config().EffectiveMaxevents());
}

std::string GetRequirepass(Server& s) {
  return s.config().requirepass;
}
bool SetRequirepass(ServerConfig& cfg, std::string_view v, std::string*) {
  cfg.requirepass.assign(v);  // "" turns authentication off for new clients
  return true;
}

std::string GetLoglevel(Server& s) {
  return LogLevelName(s.config().loglevel);
}
bool SetLoglevel(ServerConfig& cfg, std::string_view v, std::string* err) {
  if (!ParseLogLevel(ToLower(v), &cfg.loglevel)) {
    *err = "argument(s) must be one of the following: debug, verbose, notice, warning";
    return false;
  }
  return true;
}

// save "<seconds> <changes> ...": validated and kept as Redis prints it.
std::string GetSave(Server& s) {
  return s.config().save;
}
bool SetSave(ServerConfig& cfg, std::string_view v, std::string* err) {
  std::vector<std::string> parts;
  if (!v.empty()) {
    size_t start = 0;
    while (true) {
      size_t sp = v.find(' ', start);
      parts.emplace_back(v.substr(start, sp == std::string_view::npos ? sp : sp - start));
      if (sp == std::string_view::npos) break;
      start = sp + 1;
    }
  }
  if (parts.size() % 2 != 0) {
    *err = "Invalid save parameters";
    return false;
  }
  std::string out;
  for (size_t j = 0; j < parts.size(); j++) {
    char* end = nullptr;
    long long n = std::strtoll(parts[j].c_str(), &end, 10);
    if (*end != '\0' || (j % 2 == 0 && n < 1) || (j % 2 == 1 && n < 0)) {
      *err = "Invalid save parameters";
      return false;
    }
    if (j > 0) out.push_back(' ');
    out += std::to_string(j % 2 == 1 ? static_cast<int>(n) : n);
  }
  cfg.save = std::move(out);
  return true;
}

// reel keeps no AOF: "no" is the only value it can honour.
std::string GetAppendonly(Server&) {
  return "no";
}
bool SetAppendonly(ServerConfig&, std::string_view v, std::string* err) {
  if (EqualsIgnoreCase(v, "no")) return true;
  if (EqualsIgnoreCase(v, "yes")) {
    *err = "Unable to turn on AOF. Check server logs.";
  } else {
    *err = "argument must be 'yes' or 'no'";
  }
  return false;
}

// reel does not evict or refuse writes on a memory limit, so it accepts only
// the setting that matches that: no limit.
std::string GetMaxmemory(Server&) {
  return "0";
}
bool SetMaxmemory(ServerConfig&, std::string_view v, std::string* err) {
  std::optional<int64_t> n = ParseMemoryArg(v, err);
  if (!n) return false;
  if (*n != 0) {
    *err = "reel does not enforce a memory limit; only 0 is supported";
    return false;
  }
  return true;
}

std::string GetMaxmemoryPolicy(Server&) {
  return "noeviction";
}
bool SetMaxmemoryPolicy(ServerConfig&, std::string_view v, std::string* err) {
  static constexpr const char* kPolicies[] = {"volatile-lru",   "volatile-lfu", "volatile-random",
                                              "volatile-ttl",   "allkeys-lru",  "allkeys-lfu",
                                              "allkeys-random", "noeviction"};
  bool known = false;
  for (const char* p : kPolicies) known |= EqualsIgnoreCase(v, p);
  if (!known) {
    *err =
        "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, "
        "volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction";
    return false;
  }
  if (!EqualsIgnoreCase(v, "noeviction")) {
    *err = "reel does not evict keys; only noeviction is supported";
    return false;
  }
  return true;
}

// client-output-buffer-limit "<class> <hard> <soft> <soft-seconds> ...".
std::string GetOutputLimits(Server& s) {
  const ServerConfig& c = s.config();
  auto cls = [](const char* name, int64_t hard, int64_t soft, int64_t secs) {
    return std::string(name) + " " + std::to_string(static_cast<uint64_t>(hard)) + " " +
           std::to_string(static_cast<uint64_t>(soft)) + " " + std::to_string(secs);
  };
  return cls("normal", c.output_hard_limit, c.output_soft_limit, c.output_soft_seconds) + " " +
         cls("slave", c.replica_output_limits[0], c.replica_output_limits[1],
             c.replica_output_limits[2]) +
         " " +
         cls("pubsub", c.pubsub_output_limits[0], c.pubsub_output_limits[1],
             c.pubsub_output_limits[2]);
}

bool SetOutputLimits(ServerConfig& cfg, std::string_view v, std::string* err) {
  std::vector<std::string_view> args;
  for (size_t start = 0; !v.empty();) {
    size_t sp = v.find(' ', start);
    args.push_back(v.substr(start, sp == std::string_view::npos ? sp : sp - start));
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  if (args.size() % 4 != 0) {
    *err = "Wrong number of arguments in buffer limit configuration.";
    return false;
  }
  // Validate everything first: the whole value is accepted or refused.
  struct Limit {
    int64_t* dst;
    int64_t hard, soft, secs;
  };
  std::vector<Limit> limits;
  for (size_t j = 0; j < args.size(); j += 4) {
    std::string_view cls = args[j];
    int64_t* dst = nullptr;
    if (EqualsIgnoreCase(cls, "normal")) {
      dst = nullptr;  // the normal class lives in three named fields
    } else if (EqualsIgnoreCase(cls, "slave") || EqualsIgnoreCase(cls, "replica")) {
      dst = cfg.replica_output_limits;
    } else if (EqualsIgnoreCase(cls, "pubsub")) {
      dst = cfg.pubsub_output_limits;
    } else {
      *err = "Invalid client class specified in buffer limit configuration.";
      return false;
    }
    std::optional<uint64_t> hard = ParseMemory(args[j + 1]);
    std::optional<uint64_t> soft = ParseMemory(args[j + 2]);
    std::string secs_str(args[j + 3]);
    char* end = nullptr;
    long long secs = std::strtoll(secs_str.c_str(), &end, 10);
    if (!hard || !soft || secs < 0 || *end != '\0') {
      *err = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
      return false;
    }
    limits.push_back({dst, static_cast<int64_t>(*hard), static_cast<int64_t>(*soft),
                      static_cast<int64_t>(secs)});
  }
  for (const Limit& l : limits) {
    if (l.dst == nullptr) {
      cfg.output_hard_limit = l.hard;
      cfg.output_soft_limit = l.soft;
      cfg.output_soft_seconds = l.secs;
    } else {
      l.dst[0] = l.hard;
      l.dst[1] = l.soft;
      l.dst[2] = l.secs;
    }
  }
  return true;
}

constexpr int64_t kMinBulkLimit = 1024 * 1024;

// The parameters reel has, in the order CONFIG GET lists pattern matches.
const ConfigParam kParams[] = {
    {"bind", GetBind, nullptr},
    {"port", GetPort, nullptr},
    {"tcp-backlog", GetNumber<&ServerConfig::tcp_backlog>, nullptr},
    {"databases", GetDatabases, nullptr},
    {"maxevents", GetMaxevents, nullptr},
    {"maxclients", GetNumber<&ServerConfig::maxclients>, SetMaxclients},
    {"hz", GetNumber<&ServerConfig::hz>, SetHz},
    {"timeout", GetNumber<&ServerConfig::timeout>, SetSigned<&ServerConfig::timeout, 0, INT_MAX>},
    {"loglevel", GetLoglevel, SetLoglevel},
    {"requirepass", GetRequirepass, SetRequirepass},
    {"save", GetSave, SetSave},
    {"appendonly", GetAppendonly, SetAppendonly},
    {"maxmemory", GetMaxmemory, SetMaxmemory},
    {"maxmemory-policy", GetMaxmemoryPolicy, SetMaxmemoryPolicy},
    {"proto-max-bulk-len", GetNumber<&ServerConfig::proto_max_bulk_len>,
     SetMemory<&ServerConfig::proto_max_bulk_len, kMinBulkLimit, LONG_MAX>},
    {"client-query-buffer-limit", GetNumber<&ServerConfig::client_query_buffer_limit>,
     SetMemory<&ServerConfig::client_query_buffer_limit, kMinBulkLimit, LONG_MAX>},
    {"client-output-buffer-limit", GetOutputLimits, SetOutputLimits},
    {"slowlog-log-slower-than", GetNumber<&ServerConfig::slowlog_log_slower_than>,
     SetSigned<&ServerConfig::slowlog_log_slower_than, -1, LLONG_MAX>},
    {"slowlog-max-len", GetNumber<&ServerConfig::slowlog_max_len>,
     SetUnsigned<&ServerConfig::slowlog_max_len, 0, LONG_MAX>},
};

const ConfigParam* FindParam(std::string_view name) {
  for (const ConfigParam& p : kParams)
    if (EqualsIgnoreCase(p.name, name)) return &p;
  return nullptr;
}

// CONFIG GET <pattern> [<pattern> ...]: a map of name -> value. A name
// without glob characters is looked up (and echoed) as typed; patterns
// match case-insensitively. Each parameter appears once.
void ConfigGet(CommandContext& ctx) {
  if (!RequireConnection(ctx)) return;
  std::vector<std::pair<std::string, const ConfigParam*>> matches;
  auto seen = [&](const ConfigParam* p) {
    for (const auto& m : matches)
      if (m.second == p) return true;
    return false;
  };
  for (size_t i = 2; i < ctx.argv.size(); i++) {
    std::string_view pattern = ctx.argv[i];
    if (pattern.find_first_of("[*?") == std::string_view::npos) {
      const ConfigParam* p = FindParam(pattern);
      if (p != nullptr && !seen(p)) matches.emplace_back(std::string(pattern), p);
      continue;
    }
    for (const ConfigParam& p : kParams)
      if (!seen(&p) && GlobMatch(pattern, p.name, true)) matches.emplace_back(p.name, &p);
  }
  ctx.reply.ArrayLen(static_cast<int64_t>(matches.size()) * 2);
  for (const auto& [name, p] : matches) {
    ctx.reply.Bulk(name);
    ctx.reply.Bulk(p->get(*ctx.server));
  }
}

void ConfigSet(CommandContext& ctx) {
  if (!RequireConnection(ctx)) return;
  const Argv& argv = ctx.argv;
  if (argv.size() % 2 != 0) {
    ctx.reply.SyntaxError();
    return;
  }
  // First pass, as configSetCommand: names only. The first problem found
  // decides the error: an unknown, immutable or repeated parameter.
  std::vector<const ConfigParam*> params;
  bool has_unknown = false;
  std::string_view unknown;
  std::string error_arg, error;
  bool invalid = false;
  for (size_t i = 2; i < argv.size(); i += 2) {
    const ConfigParam* p = FindParam(argv[i]);
    if (p == nullptr) {
      if (!invalid) {
        unknown = argv[i];
        has_unknown = true;
        invalid = true;
      }
      continue;
    }
    if (invalid) continue;
    if (p->set == nullptr) {
      error = "can't set immutable config";
      error_arg = argv[i];
      invalid = true;
      continue;
    }
    for (const ConfigParam* prev : params) {
      if (prev == p) {
        error = "duplicate parameter";
        error_arg = argv[i];
        invalid = true;
        break;
      }
    }
    params.push_back(p);
  }
  if (!invalid) {
    ServerConfig next = ctx.server->config();
    for (size_t k = 0; k < params.size() && !invalid; k++) {
      if (!params[k]->set(next, argv[2 + 2 * k + 1], &error)) {
        error_arg = params[k]->name;
        invalid = true;
      }
    }
    // Redis resizes its event loop for a new maxclients; this is its error
    // when a connected fd would not fit in the smaller loop.
    if (!invalid && next.maxclients != ctx.server->config().maxclients &&
        !ctx.server->ResizeForMaxclients(next.maxclients)) {
      error = kLoopTooSmall;
      error_arg = "maxclients";
      invalid = true;
    }
    if (!invalid) {
      ctx.server->config() = std::move(next);
      ctx.reply.Ok();
      return;
    }
  }
  if (has_unknown) {
    ctx.reply.Error("Unknown option or number of arguments for CONFIG SET - '" +
                    std::string(unknown) + "'");
  } else {
    ctx.reply.Error("CONFIG SET failed (possibly related to argument '" + error_arg + "') - " +
                    error);
  }
}

void ConfigResetstat(CommandContext& ctx) {
  if (!RequireConnection(ctx)) return;
  // resetServerStats and resetCommandTableStats; the slowlog stays.
  ctx.server->stats() = ServerStats{};
  ctx.server->command_stats().clear();
  ctx.reply.Ok();
}

void ConfigRewrite(CommandContext& ctx) {
  // reel takes its settings from the command line only.
  ctx.reply.Error("The server is running without a config file");
}

void ConfigHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "GET <pattern>",
                     "    Return parameters matching the glob-like <pattern> and their values.",
                     "SET <directive> <value>",
                     "    Set the configuration <directive> to <value>.",
                     "RESETSTAT",
                     "    Reset statistics reported by the INFO command.",
                     "REWRITE",
                     "    Rewrite the configuration file.",
                 });
}

constexpr SubcommandSpec kConfigSubcommands[] = {
    {"get", -3, ConfigGet},        {"help", 2, ConfigHelp}, {"resetstat", 2, ConfigResetstat},
    {"rewrite", 2, ConfigRewrite}, {"set", -4, ConfigSet},
};

void ConfigCommand(CommandContext& ctx) {
  DispatchSubcommand(ctx, "config", kConfigSubcommands);
}

}  // namespace

std::span<const SubcommandSpec> ConfigSubcommands() {
  return kConfigSubcommands;
}

void RegisterConfigCommand(CommandTable& t) {
  t.Register({"config", -2, ConfigCommand, 0, 0, 0, 0, "server",
              "A container for server configuration commands"});
}

}  // namespace reel
