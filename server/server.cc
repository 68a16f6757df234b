#include "server/server.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "server/reply.h"

namespace reel {

namespace {

constexpr size_t kReadChunk = 16 * 1024;  // PROTO_IOBUF_LEN
constexpr int kMaxAcceptsPerCall = 1000;  // MAX_ACCEPTS_PER_CALL
constexpr size_t kReplyShrinkThreshold = 64 * 1024;
constexpr size_t kQueryShrinkThreshold = 64 * 1024;

}  // namespace

Server::Server(Kernel& kernel, ServerConfig config)
    : kernel_(kernel), config_(std::move(config)), db_(kernel.RandomU64()) {
  run_id_ = kernel_.RandomU64();
  uint64_t more = kernel_.RandomU64();
  char hex[41];
  snprintf(hex, sizeof hex, "%016llx%016llx%08llx", static_cast<unsigned long long>(run_id_),
           static_cast<unsigned long long>(more), static_cast<unsigned long long>(more >> 32));
  run_id_hex_ = hex;
}

Server::~Server() {
  for (auto& [id, c] : clients_) kernel_.Close(c->fd());
  if (listen_fd_ >= 0) kernel_.Close(listen_fd_);
}

void Server::UpdateClockBases() {
  mono_base_ns_ = kernel_.MonotonicNs();
  real_base_ms_ = kernel_.RealtimeMs();
  cached_unix_s_ = real_base_ms_ / 1000;
}

bool Server::ResizeForMaxclients(int maxclients) {
  int setsize = maxclients + 128;
  if (!loop_) return true;
  if (setsize == loop_->setsize()) return true;
  if (!loop_->ResizeSetSize(setsize)) return false;
  for (size_t fd = static_cast<size_t>(setsize); fd < clients_by_fd_.size(); fd++)
    if (clients_by_fd_[fd] != nullptr) return false;  // unreachable: the loop checked
  clients_by_fd_.resize(static_cast<size_t>(setsize), nullptr);
  return true;
}

int64_t Server::NowMs() {
  // Unix time derived from the monotonic clock and the base the cron
  // refreshes: one clock read per use instead of two.
  return real_base_ms_ + (kernel_.MonotonicNs() - mono_base_ns_) / 1000000;
}

int Server::Start(std::string* error) {
  UpdateClockBases();
  start_realtime_ms_ = real_base_ms_;
  start_monotonic_ns_ = mono_base_ns_;
  int setsize = config_.maxclients + 128;  // CONFIG_FDSET_INCR headroom, as Redis
  loop_ = std::make_unique<EventLoop>(kernel_, setsize, config_.EffectiveMaxevents());
  clients_by_fd_.assign(static_cast<size_t>(setsize), nullptr);
  if (int e = loop_->Init(); e != 0) {
    *error = std::string("epoll_create1: ") + std::strerror(e);
    return e;
  }
  auto addr = SockAddr::FromHostPort(config_.bind, static_cast<uint16_t>(config_.port));
  if (!addr) {
    *error = "invalid bind address '" + config_.bind + "'";
    return EINVAL;
  }
  SysResult s = kernel_.Socket(addr->family, kSockStream | kNonblock | kCloexec, 0);
  if (!s.ok()) {
    *error = std::string("socket: ") + std::strerror(s.err);
    return s.err;
  }
  listen_fd_ = static_cast<int>(s.value);
  kernel_.SetSockOpt(listen_fd_, kSolSocket, kSoReuseAddr, 1);
  if (addr->family == kAfInet6) kernel_.SetSockOpt(listen_fd_, kIpProtoIpv6, kIpv6V6Only, 1);
  SysResult b = kernel_.Bind(listen_fd_, *addr);
  if (!b.ok()) {
    *error = "Could not create server TCP listening socket " + addr->ToString() +
             ": bind: " + std::strerror(b.err);
    return b.err;
  }
  SysResult l = kernel_.Listen(listen_fd_, config_.tcp_backlog);
  if (!l.ok()) {
    *error = std::string("listen: ") + std::strerror(l.err);
    return l.err;
  }
  SockAddr bound;
  if (kernel_.GetSockName(listen_fd_, &bound).ok()) bound_port_ = bound.port;
  if (int e = loop_->AddFileEvent(listen_fd_, kAeReadable, &Server::OnAcceptable, this); e != 0) {
    *error = std::string("registering the listener with epoll: ") + std::strerror(e);
    return e;
  }
  loop_->AddTimeEvent(1, &Server::OnCron, this);
  loop_->SetBeforeSleep(&Server::OnBeforeSleep, this);
  return 0;
}

void Server::Run() {
  loop_->Run();
  Shutdown();
}

void Server::Shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  // Stop accepting first, then give every client its buffered replies
  // (one non-blocking attempt each), then close.
  if (listen_fd_ >= 0) {
    loop_->DeleteFileEvent(listen_fd_, kAeReadable);
    kernel_.Close(listen_fd_);
    listen_fd_ = -1;
  }
  HandleClientsWithPendingWrites();
  while (!clients_.empty()) FreeClient(clients_.begin()->second.get());
}

Client* Server::FindClient(uint64_t id) {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second.get();
}

// ---------------------------------------------------------------- accept

void Server::OnAcceptable(EventLoop&, int fd, void* data, int) {
  auto* self = static_cast<Server*>(data);
  for (int i = 0; i < kMaxAcceptsPerCall; i++) {
    SockAddr peer;
    SysResult r = self->kernel_.Accept4(fd, &peer, kNonblock | kCloexec);
    if (!r.ok()) {
      // EAGAIN: the accept queue is drained. Anything else (EMFILE, ...) is
      // logged by Redis and retried on the next readiness.
      return;
    }
    self->AcceptClient(static_cast<int>(r.value), peer);
  }
}

void Server::AcceptClient(int cfd, const SockAddr& peer) {
  stats_.total_connections_received++;
  if (clients_.size() >= static_cast<size_t>(config_.maxclients) ||
      cfd >= static_cast<int>(clients_by_fd_.size())) {
    // acceptCommonHandler: a best-effort direct write, then close.
    static constexpr char kErr[] = "-ERR max number of clients reached\r\n";
    kernel_.Write(cfd, kErr, sizeof kErr - 1);
    stats_.rejected_connections++;
    kernel_.Close(cfd);
    return;
  }
  kernel_.SetSockOpt(cfd, kIpProtoTcp, kTcpNoDelay, 1);
  kernel_.SetSockOpt(cfd, kSolSocket, kSoKeepAlive, 1);
  SockAddr local;
  kernel_.GetSockName(cfd, &local);
  if (loop_->AddFileEvent(cfd, kAeReadable, &Server::OnReadable, this) != 0) {
    kernel_.Close(cfd);
    return;
  }
  auto client = std::make_unique<Client>(next_client_id_++, cfd, peer, local, NowMs());
  client->set_authenticated(config_.requirepass.empty());
  clients_by_fd_[static_cast<size_t>(cfd)] = client.get();
  clients_.emplace(client->id(), std::move(client));
}

// ------------------------------------------------------------------ read

void Server::OnReadable(EventLoop&, int fd, void* data, int) {
  auto* self = static_cast<Server*>(data);
  Client* c = self->clients_by_fd_[static_cast<size_t>(fd)];
  if (c) self->ReadFromClient(c);
}

void Server::ReadFromClient(Client* c) {
  if (c->HasFlag(kClientCloseAfterReply | kClientCloseAsap)) return;
  Buffer& q = c->query();
  char* dst = q.PrepareWrite(kReadChunk);
  SysResult r = kernel_.Read(c->fd(), dst, kReadChunk);
  if (!r.ok()) {
    if (r.err == EAGAIN || r.err == EWOULDBLOCK || r.err == EINTR) return;
    FreeClient(c);  // ECONNRESET and friends
    return;
  }
  if (r.value == 0) {
    FreeClient(c);  // the client closed the connection
    return;
  }
  q.Commit(static_cast<size_t>(r.value));
  stats_.net_input_bytes += static_cast<uint64_t>(r.value);
  c->set_last_interaction_ms(cached_unix_s_ * 1000);
  if (static_cast<int64_t>(q.readable_size()) > config_.client_query_buffer_limit) {
    // Redis closes such a client without a reply.
    stats_.client_query_buffer_limit_disconnections++;
    FreeClient(c);
    return;
  }
  ProcessInputBuffer(c);
}

void Server::ProcessInputBuffer(Client* c) {
  Buffer& q = c->query();
  ParserLimits limits;
  limits.proto_max_bulk_len = config_.proto_max_bulk_len;
  std::string error;
  while (q.readable_size() > 0 && !c->HasFlag(kClientCloseAfterReply | kClientCloseAsap)) {
    limits.authenticated = c->authenticated();
    size_t pos = q.read_index();
    ParseStatus st = c->parser().Next(q.All(), &pos, limits, &c->argv(), &error);
    if (st == ParseStatus::kNeedMore) break;
    if (st == ParseStatus::kError) {
      Reply(c->reply()).Error(error);
      stats_.total_error_replies++;
      c->SetFlag(kClientCloseAfterReply);
      QueueWrite(c);
      q.ConsumeTo(q.read_index() + q.readable_size());  // drop the rest, as Redis does
      c->parser().Reset();
      break;
    }
    if (st == ParseStatus::kCommand) {
      if (observer_ == nullptr) {
        ExecuteCommand(c);
      } else {
        size_t before = c->reply().size();
        observer_->OnCommand(*c, c->argv());
        ExecuteCommand(c);
        observer_->OnReply(*c, std::string_view(c->reply()).substr(before));
      }
    }
    // The command ran with views into the buffer; only now consume it.
    q.ConsumeTo(pos);
    if (c->HasFlag(kClientCloseAsap)) break;
  }
  if (q.readable_size() == 0) q.ShrinkIfIdle(kQueryShrinkThreshold);
}

// --------------------------------------------------------------- execute

void Server::RejectUnknownCommand(Client* c) {
  const Argv& argv = c->argv();
  std::string args;
  for (size_t i = 1; i < argv.size() && args.size() < 128; i++) {
    size_t room = 128 - args.size();
    args.push_back('\'');
    args.append(argv[i].substr(0, room));
    args.append("' ");
  }
  std::string msg = "unknown command '";
  msg.append(argv[0].substr(0, 128));
  msg.append("', with args beginning with: ");
  msg.append(args);
  Reply(c->reply()).Error(msg);
}

void Server::ExecuteCommand(Client* c) {
  const Argv& argv = c->argv();
  Reply reply(c->reply());
  int64_t start_ns = kernel_.MonotonicNs();
  int64_t now_ms = real_base_ms_ + (start_ns - mono_base_ns_) / 1000000;
  c->set_last_interaction_ms(now_ms);
  QueueWrite(c);

  if (EqualsIgnoreCase(argv[0], "quit")) {
    reply.Ok();
    c->SetFlag(kClientCloseAfterReply);
    return;
  }
  const CommandSpec* cmd = commands_.Find(argv[0]);
  if (cmd == nullptr) {
    RejectUnknownCommand(c);
    stats_.total_error_replies++;
    return;
  }
  int argc = static_cast<int>(argv.size());
  if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity) {
    reply.WrongArity(cmd->name);
    stats_.total_error_replies++;
    command_stats_[cmd->name].failed++;
    return;
  }
  if (!c->authenticated() && !(cmd->flags & kCmdNoAuth)) {
    reply.Error("-NOAUTH Authentication required.");
    stats_.total_error_replies++;
    command_stats_[cmd->name].failed++;
    return;
  }
  c->set_last_command(cmd->name);
  db_.set_now_ms(now_ms);
  size_t reply_before = c->reply().size();
  CommandContext ctx{this, c, db_, kernel_, argv, reply, now_ms};
  cmd->proc(ctx);
  int64_t duration_us = (kernel_.MonotonicNs() - start_ns) / 1000;
  // Keyed by the name the command ran as: a container's subcommand records
  // its full name ("config|get"), as INFO commandstats shows in Redis 7.0.
  CommandStats& cs = command_stats_[c->last_command()];
  cs.calls++;
  cs.usec += static_cast<uint64_t>(duration_us);
  if (c->reply().size() > reply_before && c->reply()[reply_before] == '-') {
    stats_.total_error_replies++;
    cs.failed++;
  }
  stats_.total_commands_processed++;
  RecordSlowlog(c, duration_us);
  if (OutputBufferLimitReached(c)) {
    stats_.client_output_buffer_limit_disconnections++;
    CloseClientAsap(c);
  }
}

bool Server::OutputBufferLimitReached(Client* c) {
  // checkClientOutputBufferLimits for the normal class: over the hard limit
  // at once, or over the soft limit for longer than soft_seconds.
  const int64_t used = static_cast<int64_t>(c->PendingReplyBytes());
  if (config_.output_hard_limit > 0 && used >= config_.output_hard_limit) return true;
  if (config_.output_soft_limit > 0 && used >= config_.output_soft_limit) {
    if (c->soft_limit_since_s() < 0) {
      c->set_soft_limit_since_s(cached_unix_s_);
      return false;
    }
    return cached_unix_s_ - c->soft_limit_since_s() > config_.output_soft_seconds;
  }
  c->set_soft_limit_since_s(-1);
  return false;
}

void Server::RecordSlowlog(Client* c, int64_t duration_us) {
  if (config_.slowlog_log_slower_than < 0 || duration_us < config_.slowlog_log_slower_than) return;
  SlowlogEntry e;
  e.id = next_slowlog_id_++;
  e.time_s = NowMs() / 1000;
  e.duration_us = duration_us;
  const Argv& argv = c->argv();
  // SLOWLOG_ENTRY_MAX_ARGC / SLOWLOG_ENTRY_MAX_STRING, as Redis truncates.
  size_t n = std::min<size_t>(argv.size(), 32);
  for (size_t i = 0; i < n; i++) {
    if (i == 31 && argv.size() > 32) {
      e.args.push_back("... (" + std::to_string(argv.size() - 31) + " more arguments)");
      break;
    }
    if (argv[i].size() > 128) {
      e.args.push_back(std::string(argv[i].substr(0, 128)) + "... (" +
                       std::to_string(argv[i].size() - 128) + " more bytes)");
    } else {
      e.args.emplace_back(argv[i]);
    }
  }
  e.peer = c->peer().ToString();
  e.client_name = c->name();
  slowlog_.push_front(std::move(e));
  while (static_cast<int64_t>(slowlog_.size()) > config_.slowlog_max_len) slowlog_.pop_back();
}

// ----------------------------------------------------------------- write

void Server::QueueWrite(Client* c) {
  // Replies are written in before-sleep (handleClientsWithPendingWrites);
  // a client with a writable handler already installed waits for it.
  if (c->HasFlag(kClientPendingWrite | kClientWriteHandler)) return;
  c->SetFlag(kClientPendingWrite);
  pending_writes_.push_back(c);
}

bool Server::WriteToClient(Client* c, bool from_handler) {
  while (c->HasPendingReplies()) {
    const std::string& out = c->reply();
    SysResult r = kernel_.Write(c->fd(), out.data() + c->sent(), out.size() - c->sent());
    if (!r.ok()) {
      if (r.err == EAGAIN || r.err == EWOULDBLOCK) break;
      if (r.err == EINTR) continue;
      FreeClient(c);  // EPIPE, ECONNRESET
      return false;
    }
    stats_.net_output_bytes += static_cast<uint64_t>(r.value);
    c->set_sent(c->sent() + static_cast<size_t>(r.value));
    c->set_last_interaction_ms(cached_unix_s_ * 1000);
    // A short write means the socket buffer is full: stop and wait for
    // writability rather than spinning on EAGAIN.
    if (c->HasPendingReplies()) break;
  }
  if (!c->HasPendingReplies()) {
    c->reply().clear();
    c->set_sent(0);
    if (c->reply().capacity() > kReplyShrinkThreshold) std::string().swap(c->reply());
    if (c->HasFlag(kClientWriteHandler)) {
      loop_->DeleteFileEvent(c->fd(), kAeWritable);
      c->ClearFlag(kClientWriteHandler);
    }
    if (c->HasFlag(kClientCloseAfterReply)) {
      FreeClient(c);
      return false;
    }
  } else if (!from_handler && !c->HasFlag(kClientWriteHandler)) {
    if (loop_->AddFileEvent(c->fd(), kAeWritable, &Server::OnWritable, this) == 0)
      c->SetFlag(kClientWriteHandler);
  }
  return true;
}

void Server::OnWritable(EventLoop&, int fd, void* data, int) {
  auto* self = static_cast<Server*>(data);
  Client* c = self->clients_by_fd_[static_cast<size_t>(fd)];
  if (c) self->WriteToClient(c, true);
}

void Server::HandleClientsWithPendingWrites() {
  // FreeClient may remove entries while we iterate, so take the list.
  std::vector<Client*> pending;
  pending.swap(pending_writes_);
  for (Client* c : pending) {
    if (c == nullptr) continue;  // freed after it was queued
    c->ClearFlag(kClientPendingWrite);
    if (c->HasFlag(kClientCloseAsap)) continue;
    if (c->HasFlag(kClientWriteHandler)) continue;
    WriteToClient(c, false);
  }
  // Hand the (now processed) vector back so its capacity is reused next
  // iteration, unless a write was queued meanwhile.
  if (pending_writes_.empty()) {
    pending.clear();
    pending_writes_.swap(pending);
  }
}

// ------------------------------------------------------------- lifecycle

void Server::FreeClient(Client* c) {
  int fd = c->fd();
  if (c->HasFlag(kClientPendingWrite))
    std::replace(pending_writes_.begin(), pending_writes_.end(), c, static_cast<Client*>(nullptr));
  std::replace(close_asap_.begin(), close_asap_.end(), c, static_cast<Client*>(nullptr));
  loop_->DeleteFileEvent(fd, kAeReadable | kAeWritable);
  kernel_.Close(fd);
  clients_by_fd_[static_cast<size_t>(fd)] = nullptr;
  clients_.erase(c->id());
}

void Server::CloseClientAsap(Client* c) {
  if (c->HasFlag(kClientCloseAsap)) return;
  c->SetFlag(kClientCloseAsap);
  close_asap_.push_back(c);
}

void Server::FreeClientsInAsyncQueue() {
  std::vector<Client*> q;
  q.swap(close_asap_);
  for (Client* c : q)
    if (c) FreeClient(c);
}

void Server::OnBeforeSleep(EventLoop&, void* data) {
  auto* self = static_cast<Server*>(data);
  self->HandleClientsWithPendingWrites();
  self->FreeClientsInAsyncQueue();
}

// ------------------------------------------------------------------ cron

int64_t Server::OnCron(EventLoop&, int64_t, void* data) {
  auto* self = static_cast<Server*>(data);
  self->cron_loops_++;
  if (self->observer_) self->observer_->OnCron();
  self->UpdateClockBases();
  self->ClientsCron();
  self->ActiveExpireCycle();
  self->FreeClientsInAsyncQueue();
  int hz = self->config_.hz > 0 ? self->config_.hz : 10;
  return 1000 / hz;
}

void Server::ClientsCron() {
  // clientsCronHandleTimeout: close clients idle longer than `timeout`
  // seconds. Like Redis, idleness is measured in whole cached seconds.
  if (config_.timeout <= 0) return;
  for (auto& [id, c] : clients_) {
    if (c->HasFlag(kClientCloseAsap)) continue;
    if (cached_unix_s_ - c->last_interaction_ms() / 1000 > config_.timeout)
      CloseClientAsap(c.get());
  }
}

void Server::ActiveExpireCycle() {
  // activeExpireCycle, simplified: sample 20 keys with a TTL; repeat while
  // more than a quarter of the sample was expired, within 25% of a cron
  // period. Randomness comes from the Kernel so replay samples the same keys.
  constexpr int kSample = 20;
  int hz = config_.hz > 0 ? config_.hz : 10;
  int64_t budget_ns = 1000000000ll / hz / 4;
  int64_t start = kernel_.MonotonicNs();
  int64_t now_ms = NowMs();
  db_.set_now_ms(now_ms);
  for (int round = 0; round < 16 && db_.expires_size() > 0; round++) {
    int expired = 0;
    int sampled = std::min<int>(kSample, static_cast<int>(db_.expires_size()));
    for (int i = 0; i < sampled && db_.expires_size() > 0; i++) {
      Keyspace::Entry* e = db_.RandomExpiring(kernel_.RandomU64());
      if (e && db_.IsExpired(e)) {
        db_.Delete(e);
        stats_.expired_keys++;
        expired++;
      }
    }
    if (expired * 4 <= sampled) break;
    if (kernel_.MonotonicNs() - start > budget_ns) break;
  }
}

}  // namespace reel
