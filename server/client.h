// Client: one connection's state — query buffer and parser, the reply
// buffer and how much of it is sent, identity (CLIENT ID/SETNAME), flags.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/sock_addr.h"
#include "server/buffer.h"
#include "server/command.h"
#include "server/request_parser.h"

namespace reel {

enum ClientFlag : uint32_t {
  kClientCloseAfterReply = 1u << 0,  // QUIT or a protocol error: close once replies are out
  kClientCloseAsap = 1u << 1,        // close at the next safe point, without flushing
  kClientPendingWrite = 1u << 2,     // queued in the server's pending-writes list
  kClientWriteHandler = 1u << 3,     // a writable handler is installed
};

class Client {
 public:
  Client(uint64_t id, int fd, const SockAddr& peer, const SockAddr& local, int64_t now_ms)
      : id_(id),
        fd_(fd),
        peer_(peer),
        local_(local),
        ctime_ms_(now_ms),
        last_interaction_ms_(now_ms) {}

  uint64_t id() const { return id_; }
  int fd() const { return fd_; }
  const SockAddr& peer() const { return peer_; }
  const SockAddr& local() const { return local_; }
  int64_t ctime_ms() const { return ctime_ms_; }

  Buffer& query() { return query_; }
  RequestParser& parser() { return parser_; }
  Argv& argv() { return argv_; }

  std::string& reply() { return reply_; }
  size_t sent() const { return sent_; }
  void set_sent(size_t n) { sent_ = n; }
  bool HasPendingReplies() const { return sent_ < reply_.size(); }
  size_t PendingReplyBytes() const { return reply_.size() - sent_; }

  uint32_t flags() const { return flags_; }
  void SetFlag(uint32_t f) { flags_ |= f; }
  void ClearFlag(uint32_t f) { flags_ &= ~f; }
  bool HasFlag(uint32_t f) const { return (flags_ & f) != 0; }

  const std::string& name() const { return name_; }
  void set_name(std::string n) { name_ = std::move(n); }
  bool authenticated() const { return authenticated_; }
  void set_authenticated(bool a) { authenticated_ = a; }
  const std::string& last_command() const { return last_command_; }
  void set_last_command(std::string_view c) { last_command_.assign(c); }
  int64_t last_interaction_ms() const { return last_interaction_ms_; }
  void set_last_interaction_ms(int64_t t) { last_interaction_ms_ = t; }
  int resp() const { return resp_; }
  // When the reply buffer first went over the soft output limit, or -1.
  int64_t soft_limit_since_s() const { return soft_limit_since_s_; }
  void set_soft_limit_since_s(int64_t t) { soft_limit_since_s_ = t; }

 private:
  uint64_t id_;
  int fd_;
  SockAddr peer_;
  SockAddr local_;
  int64_t ctime_ms_;
  int64_t last_interaction_ms_;
  Buffer query_;
  RequestParser parser_;
  Argv argv_;
  std::string reply_;
  size_t sent_ = 0;
  uint32_t flags_ = 0;
  std::string name_;
  bool authenticated_ = true;
  std::string last_command_ = "NULL";
  int resp_ = 2;
  int64_t soft_limit_since_s_ = -1;
};

}  // namespace reel
