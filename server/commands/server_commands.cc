// Server commands: DBSIZE, FLUSHDB, FLUSHALL, TIME, DEBUG, SLOWLOG. COMMAND,
// CONFIG and INFO live in their own files and register from here.
#include <algorithm>
#include <cstdlib>
#include <string>

#include "server/command.h"
#include "server/commands/admin_support.h"
#include "server/keyspace.h"
#include "server/numbers.h"
#include "server/reply.h"
#include "server/server.h"

namespace reel {

namespace {

void DbsizeCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.db.size()));
}

// FLUSHDB / FLUSHALL [ASYNC|SYNC]. reel frees synchronously either way:
// the difference is only when memory is returned, which clients cannot see.
void FlushCommand(CommandContext& ctx) {
  if (ctx.argv.size() > 2 || (ctx.argv.size() == 2 && !EqualsIgnoreCase(ctx.argv[1], "async") &&
                              !EqualsIgnoreCase(ctx.argv[1], "sync"))) {
    ctx.reply.SyntaxError();
    return;
  }
  ctx.db.Clear();  // one database: FLUSHALL and FLUSHDB do the same
  ctx.reply.Ok();
}

void TimeCommand(CommandContext& ctx) {
  int64_t us = ctx.kernel.RealtimeUs();
  ctx.reply.ArrayLen(2);
  ctx.reply.BulkInt(us / 1000000);
  ctx.reply.BulkInt(us % 1000000);
}

// DEBUG DIGEST: Redis prints a 40-digit SHA-1 and all zeros for an empty
// keyspace. reel's digest is a different, 128-bit function (Keyspace::
// Digest), so it is shown zero-extended to Redis's width: empty still reads
// as forty zeros and equal keyspaces still give equal strings.
void DebugDigest(CommandContext& ctx) {
  std::string digest = ctx.db.Digest();
  if (digest.size() < 40) digest.insert(0, 40 - digest.size(), '0');
  ctx.reply.Status(digest);
}

// DEBUG SLEEP <seconds>: blocks the whole server on purpose (tests use it
// to stall the event loop). Like Redis, an unparsable value means 0.
void DebugSleep(CommandContext& ctx) {
  std::string arg(ctx.argv[2]);
  double seconds = std::strtod(arg.c_str(), nullptr);
  auto us = static_cast<int64_t>(seconds * 1000000);
  if (us > 0) ctx.kernel.SleepNs(us * 1000);
  ctx.reply.Ok();
}

void DebugCommand(CommandContext& ctx) {
  const Argv& argv = ctx.argv;
  if (argv.size() == 2 && EqualsIgnoreCase(argv[1], "help")) {
    // Redis 7.0's help lines for the subcommands reel implements.
    ReplyHelp(ctx, {
                       "DIGEST",
                       "    Output a hex signature representing the current DB content.",
                       "SLEEP <seconds>",
                       "    Stop the server for <seconds>. Decimals allowed.",
                   });
  } else if (argv.size() == 2 && EqualsIgnoreCase(argv[1], "digest")) {
    DebugDigest(ctx);
  } else if (argv.size() == 3 && EqualsIgnoreCase(argv[1], "sleep")) {
    DebugSleep(ctx);
  } else {
    ReplySubcommandSyntaxError(ctx);
  }
}

void SlowlogGet(CommandContext& ctx) {
  if (!RequireConnection(ctx)) return;
  const auto& log = ctx.server->slowlog();
  int64_t count = 10;
  if (ctx.argv.size() == 3) {
    std::optional<int64_t> v = ParseInt64(ctx.argv[2]);
    if (!v || *v < -1) {
      ctx.reply.Error("count should be greater than or equal to -1");
      return;
    }
    count = *v == -1 ? static_cast<int64_t>(log.size()) : *v;
  }
  size_t n = std::min(log.size(), static_cast<size_t>(count));
  ctx.reply.ArrayLen(static_cast<int64_t>(n));
  for (size_t i = 0; i < n; i++) {  // newest first
    const SlowlogEntry& e = log[i];
    ctx.reply.ArrayLen(6);
    ctx.reply.Integer(e.id);
    ctx.reply.Integer(e.time_s);
    ctx.reply.Integer(e.duration_us);
    ctx.reply.ArrayLen(static_cast<int64_t>(e.args.size()));
    for (const std::string& a : e.args) ctx.reply.Bulk(a);
    ctx.reply.Bulk(e.peer);
    ctx.reply.Bulk(e.client_name);
  }
}

void SlowlogLen(CommandContext& ctx) {
  if (!RequireConnection(ctx)) return;
  ctx.reply.Integer(static_cast<int64_t>(ctx.server->slowlog().size()));
}

void SlowlogReset(CommandContext& ctx) {
  if (!RequireConnection(ctx)) return;
  ctx.server->ResetSlowlog();
  ctx.reply.Ok();
}

void SlowlogHelp(CommandContext& ctx) {
  ReplyHelp(ctx,
            {
                "GET [<count>]",
                "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
                "    Entries are made of:",
                "    id, timestamp, time in microseconds, arguments array, client IP and port,",
                "    client name",
                "LEN",
                "    Return the length of the slowlog.",
                "RESET",
                "    Reset the slowlog.",
            });
}

constexpr SubcommandSpec kSlowlogSubcommands[] = {
    {"get", -2, SlowlogGet},
    {"help", 2, SlowlogHelp},
    {"len", 2, SlowlogLen},
    {"reset", 2, SlowlogReset},
};

void SlowlogCommand(CommandContext& ctx) {
  DispatchSubcommand(ctx, "slowlog", kSlowlogSubcommands);
}

}  // namespace

std::span<const SubcommandSpec> SlowlogSubcommands() {
  return kSlowlogSubcommands;
}

void RegisterServerCommands(CommandTable& t) {
  t.Register({"dbsize", 1, DbsizeCommand, kCmdReadonly | kCmdFast, 0, 0, 0, "server",
              "Return the number of keys in the selected database"});
  t.Register({"flushdb", -1, FlushCommand, kCmdWrite, 0, 0, 0, "server",
              "Remove all keys from the current database"});
  t.Register({"flushall", -1, FlushCommand, kCmdWrite, 0, 0, 0, "server",
              "Remove all keys from all databases"});
  t.Register({"time", 1, TimeCommand, kCmdLoading | kCmdStale | kCmdFast | kCmdRandom, 0, 0, 0,
              "server", "Return the current server time"});
  t.Register({"debug", -2, DebugCommand, kCmdAdmin | kCmdNoscript | kCmdLoading | kCmdStale, 0, 0,
              0, "server", "A container for debugging commands"});
  t.Register(
      {"slowlog", -2, SlowlogCommand, 0, 0, 0, 0, "server", "A container for slow log commands"});
  RegisterCommandCommand(t);
  RegisterConfigCommand(t);
  RegisterInfoCommand(t);
}

}  // namespace reel
