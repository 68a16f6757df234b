// String commands.
#include "server/command.h"
#include "server/keyspace.h"
#include "server/reply.h"

namespace reel {

namespace {

void GetCommand(CommandContext& ctx) {
  bool wrong = false;
  Object* o = LookupTyped(ctx, ctx.argv[1], ValueType::kString, &wrong);
  if (wrong) return;
  if (o == nullptr) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(std::get<std::string>(*o));
}

void SetCommand(CommandContext& ctx) {
  ctx.db.Set(ctx.argv[1], Object(std::string(ctx.argv[2])));
  ctx.reply.Ok();
}

}  // namespace

void RegisterStringCommands(CommandTable& t) {
  t.Register({"get", 2, GetCommand, kCmdReadonly | kCmdFast, 1, 1, 1, "string",
              "Returns the string value of a key."});
  t.Register({"set", -3, SetCommand, kCmdWrite | kCmdDenyOom, 1, 1, 1, "string",
              "Sets the string value of a key, ignoring its type."});
}

}  // namespace reel
