// Shared pieces of the connection and server command families: Redis 7.0's
// container commands (CLIENT, COMMAND, CONFIG, SLOWLOG) and their
// subcommands, the HELP reply format, and argument parsing with Redis's
// exact error texts.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "server/command.h"

namespace reel {

// One subcommand of a container command. Redis 7.0 treats "client|list" as
// a command of its own: its arity (which counts the container's name, so
// CLIENT LIST is -2) is checked before it runs, its name is what CLIENT LIST
// shows as cmd=, and COMMAND INFO lists it under the container.
struct SubcommandSpec {
  const char* name;  // lowercase: "list"
  int arity;
  CommandProc proc;
};

// Runs the subcommand argv[1] names, or replies Redis's error for an
// unknown subcommand or a wrong argument count. `container` is the
// lowercase container name.
void DispatchSubcommand(CommandContext& ctx, std::string_view container,
                        std::span<const SubcommandSpec> subcommands);

// The subcommands reel implements for a container ("client", "command",
// "config", "slowlog"); empty for any other command.
std::span<const SubcommandSpec> SubcommandsOf(std::string_view container);
std::span<const SubcommandSpec> ClientSubcommands();
std::span<const SubcommandSpec> CommandSubcommands();
std::span<const SubcommandSpec> ConfigSubcommands();
std::span<const SubcommandSpec> SlowlogSubcommands();

// CLIENT SETNAME's rule, shared with HELLO SETNAME: printable ASCII without
// spaces, so CLIENT LIST stays splittable on spaces; "" unsets the name.
// Replies the error and returns false for an invalid name.
bool SetClientNameOrReply(CommandContext& ctx, std::string_view name);

// The families' pieces that live in their own files.
void RegisterClientCommand(CommandTable& t);
void RegisterCommandCommand(CommandTable& t);
void RegisterConfigCommand(CommandTable& t);
void RegisterInfoCommand(CommandTable& t);

// addReplyHelp: "<CMD> <subcommand> [<arg> [value] [opt] ...]. Subcommands
// are:", the lines, then HELP's own two lines, all as status replies.
void ReplyHelp(CommandContext& ctx, std::initializer_list<const char*> lines);
// addReplySubcommandSyntaxError: used by commands that parse their
// subcommand themselves (DEBUG).
void ReplySubcommandSyntaxError(CommandContext& ctx);

// getLongLongFromObjectOrReply: replies `error` (Redis's generic "value is
// not an integer or out of range" when null) and returns nullopt on failure.
std::optional<int64_t> ParseInt64OrReply(CommandContext& ctx, std::string_view arg,
                                         const char* error = nullptr);
// getIntFromObjectOrReply, including its distinct out-of-int-range text.
std::optional<int> ParseIntOrReply(CommandContext& ctx, std::string_view arg);

// Commands that act on the server or the calling connection (CLIENT,
// CONFIG, INFO, ...) run with ctx.server and ctx.client set. Run without
// them (the keyspace-only unit-test harness, a fuzzer), they reply an
// error instead of crashing; this returns false after replying it.
bool RequireConnection(CommandContext& ctx);

// The version reel reports in HELLO and INFO. reel implements Redis 7.0's
// command semantics, and clients gate features on this string, so it is
// the Redis version reel matches rather than reel's own.
inline constexpr const char* kRedisVersion = "7.0.15";

std::string ToUpper(std::string_view s);
std::string ToLower(std::string_view s);

}  // namespace reel
