// CLIENT and the subcommands reel implements: ID, INFO, LIST, KILL,
// SETNAME, GETNAME, HELP. Redis 7.0's others (PAUSE, REPLY, TRACKING, ...)
// need server features reel does not have, so they stay unknown
// subcommands rather than pretending to work.
#include "server/client.h"
#include "server/command.h"
#include "server/commands/admin_support.h"
#include "server/commands/client_info.h"
#include "server/numbers.h"
#include "server/reply.h"
#include "server/server.h"

namespace reel {

namespace {

// getClientTypeByName. Every reel client is a normal one.
enum class ClientType { kUnknown, kNormal, kOther };

ClientType ParseClientType(std::string_view name) {
  if (EqualsIgnoreCase(name, "normal")) return ClientType::kNormal;
  if (EqualsIgnoreCase(name, "slave") || EqualsIgnoreCase(name, "replica") ||
      EqualsIgnoreCase(name, "pubsub") || EqualsIgnoreCase(name, "master"))
    return ClientType::kOther;
  return ClientType::kUnknown;
}

void ClientIdCommand(CommandContext& ctx) {
  if (!RequireConnection(ctx)) return;
  ctx.reply.Integer(static_cast<int64_t>(ctx.client->id()));
}

void ClientInfoCommand(CommandContext& ctx) {
  if (!RequireConnection(ctx)) return;
  std::string line;
  AppendClientInfo(line, *ctx.client, ctx);
  line.push_back('\n');
  ctx.reply.Bulk(line);  // a verbatim "txt" string in RESP3, a bulk string in RESP2
}

void ClientListCommand(CommandContext& ctx) {
  if (!RequireConnection(ctx)) return;
  const Argv& argv = ctx.argv;
  std::string out;
  bool by_id = false;
  bool only_other_types = false;
  if (argv.size() == 4 && EqualsIgnoreCase(argv[2], "type")) {
    ClientType type = ParseClientType(argv[3]);
    if (type == ClientType::kUnknown) {
      ctx.reply.Error("Unknown client type '" + std::string(argv[3]) + "'");
      return;
    }
    only_other_types = type == ClientType::kOther;
  } else if (argv.size() > 3 && EqualsIgnoreCase(argv[2], "id")) {
    by_id = true;
    for (size_t j = 3; j < argv.size(); j++) {
      std::optional<int64_t> id = ParseInt64OrReply(ctx, argv[j], "Invalid client ID");
      if (!id) return;
      Client* c = *id > 0 ? ctx.server->FindClient(static_cast<uint64_t>(*id)) : nullptr;
      if (c == nullptr) continue;
      AppendClientInfo(out, *c, ctx);
      out.push_back('\n');
    }
  } else if (argv.size() != 2) {
    ctx.reply.SyntaxError();
    return;
  }
  if (!by_id && !only_other_types) {
    for (const auto& [id, c] : ctx.server->clients()) {
      AppendClientInfo(out, *c, ctx);
      out.push_back('\n');
    }
  }
  ctx.reply.Bulk(out);
}

void ClientKillCommand(CommandContext& ctx) {
  if (!RequireConnection(ctx)) return;
  const Argv& argv = ctx.argv;
  std::string_view addr, laddr;
  bool has_addr = false, has_laddr = false;
  bool other_type = false;  // TYPE other than normal: matches no reel client
  uint64_t id = 0;
  bool skipme = true;
  if (argv.size() == 3) {
    // Old form, CLIENT KILL ip:port: may kill the caller itself.
    addr = argv[2];
    has_addr = true;
    skipme = false;
  } else {
    for (size_t i = 2; i < argv.size(); i += 2) {
      bool more = i + 1 < argv.size();
      std::string_view opt = argv[i];
      if (EqualsIgnoreCase(opt, "id") && more) {
        std::optional<int64_t> v = ParseInt64(argv[i + 1]);
        if (!v || *v < 1) {
          ctx.reply.Error("client-id should be greater than 0");
          return;
        }
        id = static_cast<uint64_t>(*v);
      } else if (EqualsIgnoreCase(opt, "type") && more) {
        ClientType type = ParseClientType(argv[i + 1]);
        if (type == ClientType::kUnknown) {
          ctx.reply.Error("Unknown client type '" + std::string(argv[i + 1]) + "'");
          return;
        }
        other_type = type == ClientType::kOther;
      } else if (EqualsIgnoreCase(opt, "addr") && more) {
        addr = argv[i + 1];
        has_addr = true;
      } else if (EqualsIgnoreCase(opt, "laddr") && more) {
        laddr = argv[i + 1];
        has_laddr = true;
      } else if (EqualsIgnoreCase(opt, "user") && more) {
        // reel has one user, "default"; every client is authenticated as it.
        if (argv[i + 1] != "default") {
          ctx.reply.Error("No such user '" + std::string(argv[i + 1]) + "'");
          return;
        }
      } else if (EqualsIgnoreCase(opt, "skipme") && more) {
        if (EqualsIgnoreCase(argv[i + 1], "yes")) {
          skipme = true;
        } else if (EqualsIgnoreCase(argv[i + 1], "no")) {
          skipme = false;
        } else {
          ctx.reply.SyntaxError();
          return;
        }
      } else {
        ctx.reply.SyntaxError();
        return;
      }
    }
  }

  int64_t killed = 0;
  bool close_self = false;
  if (!other_type) {
    for (const auto& [cid, owned] : ctx.server->clients()) {
      Client* c = owned.get();
      if (has_addr && c->peer().ToString() != addr) continue;
      if (has_laddr && c->local().ToString() != laddr) continue;
      if (id != 0 && c->id() != id) continue;
      if (c == ctx.client && skipme) continue;
      if (c == ctx.client) {
        close_self = true;  // after this reply is sent
      } else {
        ctx.server->CloseClientAsap(c);
      }
      killed++;
    }
  }
  if (argv.size() == 3) {
    if (killed == 0) {
      ctx.reply.Error("No such client");
    } else {
      ctx.reply.Ok();
    }
  } else {
    ctx.reply.Integer(killed);
  }
  if (close_self) ctx.client->SetFlag(kClientCloseAfterReply);
}

void ClientSetnameCommand(CommandContext& ctx) {
  if (!RequireConnection(ctx)) return;
  if (SetClientNameOrReply(ctx, ctx.argv[2])) ctx.reply.Ok();
}

void ClientGetnameCommand(CommandContext& ctx) {
  if (!RequireConnection(ctx)) return;
  if (ctx.client->name().empty()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(ctx.client->name());
  }
}

void ClientHelpCommand(CommandContext& ctx) {
  // Redis 7.0's help lines for the subcommands reel implements.
  ReplyHelp(ctx, {
                     "GETNAME",
                     "    Return the name of the current connection.",
                     "ID",
                     "    Return the ID of the current connection.",
                     "INFO",
                     "    Return information about the current client connection.",
                     "KILL <ip:port>",
                     "    Kill connection made from <ip:port>.",
                     "KILL <option> <value> [<option> <value> [...]]",
                     "    Kill connections. Options are:",
                     "    * ADDR (<ip:port>|<unixsocket>:0)",
                     "      Kill connections made from the specified address",
                     "    * LADDR (<ip:port>|<unixsocket>:0)",
                     "      Kill connections made to specified local address",
                     "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                     "      Kill connections by type.",
                     "    * USER <username>",
                     "      Kill connections authenticated by <username>.",
                     "    * SKIPME (YES|NO)",
                     "      Skip killing current connection (default: yes).",
                     "LIST [options ...]",
                     "    Return information about client connections. Options:",
                     "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                     "      Return clients of specified type.",
                     "SETNAME <name>",
                     "    Assign the name <name> to the current connection.",
                 });
}

// Arities as Redis 7.0 declares them (src/commands/client-*.json).
constexpr SubcommandSpec kClientSubcommands[] = {
    {"getname", 2, ClientGetnameCommand}, {"help", 2, ClientHelpCommand},
    {"id", 2, ClientIdCommand},           {"info", 2, ClientInfoCommand},
    {"kill", -3, ClientKillCommand},      {"list", -2, ClientListCommand},
    {"setname", 3, ClientSetnameCommand},
};

void ClientCommand(CommandContext& ctx) {
  DispatchSubcommand(ctx, "client", kClientSubcommands);
}

}  // namespace

bool SetClientNameOrReply(CommandContext& ctx, std::string_view name) {
  for (char ch : name) {
    if (ch < '!' || ch > '~') {
      ctx.reply.Error("Client names cannot contain spaces, newlines or special characters.");
      return false;
    }
  }
  ctx.client->set_name(std::string(name));  // "" leaves the client unnamed
  return true;
}

std::span<const SubcommandSpec> ClientSubcommands() {
  return kClientSubcommands;
}

void RegisterClientCommand(CommandTable& t) {
  t.Register({"client", -2, ClientCommand, 0, 0, 0, 0, "connection",
              "A container for client connection commands"});
}

}  // namespace reel
