// Test-only access to a Server that was never Started: connection and
// server commands need a real Server and real Clients, but unit tests have
// no sockets or event loop. ServerTestPeer does what Start() and
// AcceptClient() would do to the server's state, and nothing else; commands
// then run through the real Server::ExecuteCommand.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/commands/command_test_harness.h"
#include "server/server.h"

namespace reel {

class ServerTestPeer {
 public:
  explicit ServerTestPeer(Server& s) : s_(s) {}

  // The clock setup Start() performs.
  void InitClocks() {
    s_.UpdateClockBases();
    s_.start_realtime_ms_ = s_.real_base_ms_;
    s_.start_monotonic_ns_ = s_.mono_base_ns_;
  }

  // AcceptClient's bookkeeping for a connection from peer to local.
  Client* AddClient(int fd, const SockAddr& peer, const SockAddr& local) {
    auto c = std::make_unique<Client>(s_.next_client_id_++, fd, peer, local, s_.NowMs());
    c->set_authenticated(s_.config_.requirepass.empty());
    Client* raw = c.get();
    s_.clients_.emplace(raw->id(), std::move(c));
    return raw;
  }

 private:
  Server& s_;
};

namespace testing {

// A Server on the clock-only kernel, clients attached through the peer, and
// Run() to execute one command the way the server does for a request.
class ServerFixture {
 public:
  explicit ServerFixture(ServerConfig config = {}) : server_(kernel_, std::move(config)) {
    ServerTestPeer(server_).InitClocks();
  }

  // A client connected from 127.0.0.1:<peer_port> to 127.0.0.1:6379.
  Client* Connect(uint16_t peer_port = 50000) {
    SockAddr peer = *SockAddr::FromHostPort("127.0.0.1", peer_port);
    SockAddr local = *SockAddr::FromHostPort("127.0.0.1", 6379);
    return ServerTestPeer(server_).AddClient(next_fd_++, peer, local);
  }

  std::string Run(Client* c, std::initializer_list<std::string_view> args) {
    return Run(c, std::vector<std::string_view>(args));
  }
  std::string Run(Client* c, const std::vector<std::string_view>& args) {
    // The client's argv views its query buffer in the server; here it views
    // copies that live until the next Run.
    storage_.assign(args.begin(), args.end());
    c->argv().assign(storage_.begin(), storage_.end());
    c->reply().clear();
    c->set_sent(0);
    server_.ExecuteCommand(c);
    return c->reply();
  }

  void AdvanceMs(int64_t ms) {
    kernel_.mono_ns += ms * 1000000;
    kernel_.real_ns += ms * 1000000;
  }
  Server& server() { return server_; }
  ClockOnlyKernel& kernel() { return kernel_; }

 private:
  ClockOnlyKernel kernel_;
  Server server_;
  int next_fd_ = 10;
  std::vector<std::string> storage_;
};

}  // namespace testing

}  // namespace reel
