// Connection commands: PING, ECHO, SELECT, HELLO, AUTH, QUIT (CLIENT lives
// in client_command.cc).
#include "server/client.h"
#include "server/command.h"
#include "server/commands/admin_support.h"
#include "server/keyspace.h"
#include "server/reply.h"
#include "server/server.h"

namespace reel {

namespace {

void PingCommand(CommandContext& ctx) {
  if (ctx.argv.size() > 2) {
    ctx.reply.WrongArity("ping");
    return;
  }
  if (ctx.argv.size() == 1) {
    ctx.reply.Raw("+PONG\r\n");
  } else {
    ctx.reply.Bulk(ctx.argv[1]);
  }
}

void EchoCommand(CommandContext& ctx) {
  ctx.reply.Bulk(ctx.argv[1]);
}

void SelectCommand(CommandContext& ctx) {
  std::optional<int> id = ParseIntOrReply(ctx, ctx.argv[1]);
  if (!id) return;
  // reel has a single database (CONFIG GET databases says 1).
  if (*id != 0) {
    ctx.reply.Error("DB index is out of range");
    return;
  }
  ctx.reply.Ok();
}

// Compares without an early exit, so the time taken does not reveal how
// much of a guessed password was right (Redis compares SHA-256 digests).
bool SameSecret(std::string_view a, std::string_view b) {
  if (b.empty()) return a.empty();
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); i++) diff |= static_cast<unsigned char>(a[i] ^ b[i % b.size()]);
  return diff == 0 && !b.empty();
}

// ACLAuthenticateUser for the only user reel has: "default", which accepts
// any password when requirepass is unset (Redis's "nopass").
bool Authenticate(CommandContext& ctx, std::string_view user, std::string_view password) {
  if (user != "default") return false;
  const std::string& required = ctx.server->config().requirepass;
  if (!required.empty() && !SameSecret(password, required)) return false;
  ctx.client->set_authenticated(true);
  return true;
}

constexpr const char* kWrongPass = "-WRONGPASS invalid username-password pair or user is disabled.";

void AuthCommand(CommandContext& ctx) {
  if (!RequireConnection(ctx)) return;
  if (ctx.argv.size() > 3) {
    ctx.reply.SyntaxError();
    return;
  }
  std::string_view user = "default";
  std::string_view password = ctx.argv[1];
  if (ctx.argv.size() == 2) {
    if (ctx.server->config().requirepass.empty()) {
      ctx.reply.Error(
          "AUTH <password> called without any password configured for the default user. Are you "
          "sure your configuration is correct?");
      return;
    }
  } else {
    user = ctx.argv[1];
    password = ctx.argv[2];
  }
  if (Authenticate(ctx, user, password)) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Error(kWrongPass);
  }
}

void HelloCommand(CommandContext& ctx) {
  if (!RequireConnection(ctx)) return;
  size_t next = 1;
  int64_t version = 0;
  if (ctx.argv.size() >= 2) {
    std::optional<int64_t> v = ParseInt64OrReply(
        ctx, ctx.argv[next++], "Protocol version is not an integer or out of range");
    if (!v) return;
    // reel speaks RESP2 only, so HELLO 3 is refused the way Redis refuses
    // versions it does not know; clients then stay on RESP2.
    if (*v != 2) {
      ctx.reply.Error("-NOPROTO unsupported protocol version");
      return;
    }
    version = *v;
  }
  for (size_t j = next; j < ctx.argv.size(); j++) {
    size_t more = ctx.argv.size() - 1 - j;
    std::string_view opt = ctx.argv[j];
    if (EqualsIgnoreCase(opt, "AUTH") && more >= 2) {
      if (!Authenticate(ctx, ctx.argv[j + 1], ctx.argv[j + 2])) {
        ctx.reply.Error(kWrongPass);
        return;
      }
      j += 2;
    } else if (EqualsIgnoreCase(opt, "SETNAME") && more >= 1) {
      if (!SetClientNameOrReply(ctx, ctx.argv[j + 1])) return;
      j++;
    } else {
      ctx.reply.Error("Syntax error in HELLO option '" + std::string(opt) + "'");
      return;
    }
  }
  if (!ctx.client->authenticated()) {
    ctx.reply.Error(
        "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
        "AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
        "protocol version at the same time");
    return;
  }
  (void)version;           // always 2: the connection already speaks it
  ctx.reply.ArrayLen(14);  // a map of 7 pairs, flattened as RESP2 does
  ctx.reply.Bulk("server");
  ctx.reply.Bulk("redis");
  ctx.reply.Bulk("version");
  ctx.reply.Bulk(kRedisVersion);
  ctx.reply.Bulk("proto");
  ctx.reply.Integer(ctx.client->resp());
  ctx.reply.Bulk("id");
  ctx.reply.Integer(static_cast<int64_t>(ctx.client->id()));
  ctx.reply.Bulk("mode");
  ctx.reply.Bulk("standalone");
  ctx.reply.Bulk("role");
  ctx.reply.Bulk("master");
  ctx.reply.Bulk("modules");
  ctx.reply.EmptyArray();
}

// The server answers QUIT before looking the command up; this entry makes
// QUIT visible to COMMAND and behaves the same if reached.
void QuitCommand(CommandContext& ctx) {
  ctx.reply.Ok();
  if (ctx.client != nullptr) ctx.client->SetFlag(kClientCloseAfterReply);
}

}  // namespace

void RegisterConnectionCommands(CommandTable& t) {
  t.Register(
      {"ping", -1, PingCommand, kCmdFast | kCmdStale, 0, 0, 0, "connection", "Ping the server"});
  t.Register({"echo", 2, EchoCommand, kCmdFast, 0, 0, 0, "connection", "Echo the given string"});
  t.Register({"select", 2, SelectCommand, kCmdLoading | kCmdStale | kCmdFast, 0, 0, 0, "connection",
              "Change the selected database for the current connection"});
  t.Register({"hello", -1, HelloCommand,
              kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast | kCmdNoAuth, 0, 0, 0, "connection",
              "Handshake with Redis"});
  t.Register({"auth", -2, AuthCommand,
              kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast | kCmdNoAuth, 0, 0, 0, "connection",
              "Authenticate to the server"});
  t.Register({"quit", -1, QuitCommand,
              kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast | kCmdNoAuth, 0, 0, 0, "connection",
              "Close the connection"});
  RegisterClientCommand(t);
}

}  // namespace reel
