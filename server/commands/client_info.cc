#include "server/commands/client_info.h"

#include "server/client.h"
#include "server/numbers.h"
#include "server/server.h"

namespace reel {

namespace {

void Field(std::string& out, const char* name, std::string_view value) {
  out.append(name);
  out.push_back('=');
  out.append(value);
  out.push_back(' ');
}

void Field(std::string& out, const char* name, int64_t value) {
  out.append(name);
  out.push_back('=');
  AppendInt64(out, value);
  out.push_back(' ');
}

}  // namespace

void AppendClientInfo(std::string& out, Client& c, const CommandContext& ctx) {
  // Flags reel can have; a client with none shows N, as in Redis.
  char flags[4];
  size_t nflags = 0;
  if (c.HasFlag(kClientCloseAfterReply)) flags[nflags++] = 'c';
  if (c.HasFlag(kClientCloseAsap)) flags[nflags++] = 'A';
  if (nflags == 0) flags[nflags++] = 'N';

  // Redis keeps times in whole seconds (server.unixtime - c->ctime).
  int64_t now_s = ctx.now_ms / 1000;
  int64_t age = now_s - c.ctime_ms() / 1000;
  int64_t idle = now_s - c.last_interaction_ms() / 1000;

  // Arguments of the command in flight: only the caller has one; other
  // clients' argv views refer to input that is already consumed.
  int64_t argv_mem = 0;
  if (&c == ctx.client)
    for (std::string_view a : ctx.argv) argv_mem += static_cast<int64_t>(a.size());

  const Buffer& q = c.query();
  int64_t qbuf = static_cast<int64_t>(q.readable_size());
  int64_t qbuf_free =
      static_cast<int64_t>(q.capacity()) - static_cast<int64_t>(q.read_index() + q.readable_size());
  // reel's reply buffer is one growable string: rbs is its size, obl the
  // bytes still to send; there is no reply list (oll, omem).
  const std::string& reply = c.reply();
  int64_t rbs = static_cast<int64_t>(reply.capacity());
  int64_t obl = static_cast<int64_t>(c.PendingReplyBytes());
  int64_t tot_mem =
      static_cast<int64_t>(sizeof(Client)) + static_cast<int64_t>(q.capacity()) + rbs + argv_mem;

  std::string_view events = c.HasFlag(kClientWriteHandler) ? "rw" : "r";

  Field(out, "id", static_cast<int64_t>(c.id()));
  Field(out, "addr", c.peer().ToString());
  Field(out, "laddr", c.local().ToString());
  Field(out, "fd", c.fd());
  Field(out, "name", c.name());
  Field(out, "age", age);
  Field(out, "idle", idle);
  Field(out, "flags", std::string_view(flags, nflags));
  Field(out, "db", 0);
  Field(out, "sub", 0);
  Field(out, "psub", 0);
  Field(out, "ssub", 0);
  Field(out, "multi", -1);
  Field(out, "qbuf", qbuf);
  Field(out, "qbuf-free", qbuf_free);
  Field(out, "argv-mem", argv_mem);
  Field(out, "multi-mem", 0);
  Field(out, "rbs", rbs);
  Field(out, "rbp", rbs);
  Field(out, "obl", obl);
  Field(out, "oll", 0);
  Field(out, "omem", 0);
  Field(out, "tot-mem", tot_mem);
  Field(out, "events", events);
  Field(out, "cmd", c.last_command());
  Field(out, "user", "default");
  Field(out, "redir", -1);
  out.append("resp=");
  AppendInt64(out, c.resp());
}

}  // namespace reel
