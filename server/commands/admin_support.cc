#include "server/commands/admin_support.h"

#include <cctype>

#include "server/client.h"
#include "server/numbers.h"
#include "server/reply.h"

namespace reel {

std::string ToUpper(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

void DispatchSubcommand(CommandContext& ctx, std::string_view container,
                        std::span<const SubcommandSpec> subcommands) {
  std::string_view sub = ctx.argv[1];
  for (const SubcommandSpec& spec : subcommands) {
    if (!EqualsIgnoreCase(sub, spec.name)) continue;
    std::string full = std::string(container) + "|" + spec.name;
    int argc = static_cast<int>(ctx.argv.size());
    if ((spec.arity > 0 && spec.arity != argc) || argc < -spec.arity) {
      ctx.reply.WrongArity(full);
      return;
    }
    // CLIENT LIST shows the subcommand's full name as the last command.
    if (ctx.client != nullptr) ctx.client->set_last_command(full);
    spec.proc(ctx);
    return;
  }
  // commandCheckExistence: the name as typed, truncated to 128 bytes.
  std::string msg = "unknown subcommand '";
  msg.append(sub.substr(0, 128));
  msg.append("'. Try ");
  msg.append(ToUpper(ctx.argv[0]));
  msg.append(" HELP.");
  ctx.reply.Error(msg);
}

std::span<const SubcommandSpec> SubcommandsOf(std::string_view container) {
  if (EqualsIgnoreCase(container, "client")) return ClientSubcommands();
  if (EqualsIgnoreCase(container, "command")) return CommandSubcommands();
  if (EqualsIgnoreCase(container, "config")) return ConfigSubcommands();
  if (EqualsIgnoreCase(container, "slowlog")) return SlowlogSubcommands();
  return {};
}

void ReplyHelp(CommandContext& ctx, std::initializer_list<const char*> lines) {
  ctx.reply.ArrayLen(static_cast<int64_t>(lines.size()) + 3);
  ctx.reply.Status(ToUpper(ctx.argv[0]) +
                   " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (const char* line : lines) ctx.reply.Status(line);
  ctx.reply.Status("HELP");
  ctx.reply.Status("    Prints this help.");
}

void ReplySubcommandSyntaxError(CommandContext& ctx) {
  std::string msg = "unknown subcommand or wrong number of arguments for '";
  msg.append(ctx.argv[1].substr(0, 128));
  msg.append("'. Try ");
  msg.append(ToUpper(ctx.argv[0]));
  msg.append(" HELP.");
  ctx.reply.Error(msg);
}

bool RequireConnection(CommandContext& ctx) {
  if (ctx.server != nullptr && ctx.client != nullptr) return true;
  ctx.reply.Error("'" + ToLower(ctx.argv[0]) + "' needs a server and a client connection");
  return false;
}

std::optional<int64_t> ParseInt64OrReply(CommandContext& ctx, std::string_view arg,
                                         const char* error) {
  std::optional<int64_t> v = ParseInt64(arg);
  if (!v) {
    if (error != nullptr) {
      ctx.reply.Error(error);
    } else {
      ctx.reply.NotInteger();
    }
  }
  return v;
}

std::optional<int> ParseIntOrReply(CommandContext& ctx, std::string_view arg) {
  std::optional<int64_t> v = ParseInt64OrReply(ctx, arg);
  if (!v) return std::nullopt;
  if (*v < INT32_MIN || *v > INT32_MAX) {
    ctx.reply.Error("value is out of range, value must between -2147483648 and 2147483647");
    return std::nullopt;
  }
  return static_cast<int>(*v);
}

}  // namespace reel
