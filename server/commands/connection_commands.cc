// Connection commands: PING, ECHO, SELECT, HELLO, AUTH, CLIENT.
#include "server/command.h"
#include "server/keyspace.h"
#include "server/reply.h"

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

void EchoCommand(CommandContext& ctx) { ctx.reply.Bulk(ctx.argv[1]); }

}  // namespace

void RegisterConnectionCommands(CommandTable& t) {
  t.Register({"ping", -1, PingCommand, kCmdFast | kCmdStale, 0, 0, 0, "connection",
              "Returns the server's liveliness response."});
  t.Register({"echo", 2, EchoCommand, kCmdFast, 0, 0, 0, "connection", "Returns the given string."});
}

}  // namespace reel
