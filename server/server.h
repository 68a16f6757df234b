// Server: reel-server's networking on top of the EventLoop — the listener,
// accepting clients, reading and parsing requests, dispatching commands,
// buffering replies and writing them in the before-sleep phase (Redis's
// networking.c and server.c, in their 7.0 shape). All OS access goes
// through the Kernel passed to the constructor.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/kernel.h"
#include "server/client.h"
#include "server/command.h"
#include "server/config.h"
#include "server/event_loop.h"
#include "server/keyspace.h"

namespace reel {

struct ServerStats {
  uint64_t total_connections_received = 0;
  uint64_t total_commands_processed = 0;
  uint64_t rejected_connections = 0;
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  uint64_t expired_keys = 0;
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  uint64_t total_error_replies = 0;
  uint64_t unexpected_error_replies = 0;
  uint64_t client_query_buffer_limit_disconnections = 0;
  uint64_t client_output_buffer_limit_disconnections = 0;
};

struct SlowlogEntry {
  int64_t id;
  int64_t time_s;  // unix time the command ran
  int64_t duration_us;
  std::vector<std::string> args;  // truncated like Redis (32 args, 128 bytes each)
  std::string peer;
  std::string client_name;
};

class ServerTestPeer;  // unit tests: drives a Server that was never Started

// Hooks for tools that watch the server run (replay's timeline). Called on
// the loop thread; a null observer costs one branch per command.
class ServerObserver {
 public:
  virtual ~ServerObserver() = default;
  // A parsed command is about to run (after QUIT/lookup/arity/auth checks
  // too: rejected commands are reported, with their error reply).
  virtual void OnCommand(const Client& client, const Argv& argv) {}
  // The bytes that command appended to the client's reply buffer.
  virtual void OnReply(const Client& client, std::string_view reply) {}
  // serverCron ran.
  virtual void OnCron() {}
};

class Server {
 public:
  Server(Kernel& kernel, ServerConfig config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Creates the event loop and the listening socket. Returns 0 or an errno;
  // *error gets a one-line description.
  int Start(std::string* error);
  // Runs the event loop until a stop is requested, then shuts down gracefully.
  void Run();
  // Graceful stop: close the listener, flush pending replies, close clients.
  void Shutdown();
  // The port actually bound (differs from config when port 0 was asked).
  int bound_port() const { return bound_port_; }

  Kernel& kernel() { return kernel_; }
  EventLoop& loop() { return *loop_; }
  Keyspace& db() { return db_; }
  ServerConfig& config() { return config_; }
  const CommandTable& commands() const { return commands_; }
  ServerStats& stats() { return stats_; }
  std::map<std::string, CommandStats>& command_stats() { return command_stats_; }
  const std::map<uint64_t, std::unique_ptr<Client>>& clients() const { return clients_; }
  Client* FindClient(uint64_t id);
  // The event loop's capacity (maxclients + 128), 0 before Start.
  int event_loop_setsize() const { return loop_ ? loop_->setsize() : 0; }
  // Grows or shrinks the event loop for a new maxclients, as Redis's
  // CONFIG SET maxclients does. False if a connected fd would not fit.
  bool ResizeForMaxclients(int maxclients);
  // INFO memory: records an estimate of used memory and returns the highest
  // one seen (used_memory_peak).
  uint64_t NoteMemoryUsage(uint64_t used) { return memory_peak_ = std::max(memory_peak_, used); }
  std::deque<SlowlogEntry>& slowlog() { return slowlog_; }
  void ResetSlowlog() { slowlog_.clear(); }
  void set_observer(ServerObserver* observer) { observer_ = observer; }

  // Times derived from the Kernel's clocks (see UpdateClockBases).
  int64_t NowMs();
  int64_t start_realtime_ms() const { return start_realtime_ms_; }
  int64_t start_monotonic_ns() const { return start_monotonic_ns_; }
  uint64_t cron_loops() const { return cron_loops_; }
  uint64_t run_id_hash() const { return run_id_; }
  const std::string& run_id() const { return run_id_hex_; }

  // Closes a client at the next safe point (CLIENT KILL, limits).
  void CloseClientAsap(Client* c);
  // Executes one parsed command for c (public for the seam tests).
  void ExecuteCommand(Client* c);
  // Flushes replies of every client with pending output (before-sleep).
  void HandleClientsWithPendingWrites();

 private:
  static void OnAcceptable(EventLoop& loop, int fd, void* data, int mask);
  static void OnReadable(EventLoop& loop, int fd, void* data, int mask);
  static void OnWritable(EventLoop& loop, int fd, void* data, int mask);
  static int64_t OnCron(EventLoop& loop, int64_t id, void* data);
  static void OnBeforeSleep(EventLoop& loop, void* data);

  void AcceptClient(int cfd, const SockAddr& peer);
  void ReadFromClient(Client* c);
  void ProcessInputBuffer(Client* c);
  // Writes as much as the socket takes. Returns false if the client was freed.
  bool WriteToClient(Client* c, bool from_handler);
  void QueueWrite(Client* c);
  void FreeClient(Client* c);
  void FreeClientsInAsyncQueue();
  void ActiveExpireCycle();
  void ClientsCron();
  // client-output-buffer-limit for normal clients (checkClientOutputBufferLimits).
  bool OutputBufferLimitReached(Client* c);
  void UpdateClockBases();
  void RecordSlowlog(Client* c, int64_t duration_us);
  void RejectUnknownCommand(Client* c);

  friend class ServerTestPeer;

  Kernel& kernel_;
  ServerConfig config_;
  std::unique_ptr<EventLoop> loop_;
  Keyspace db_;
  CommandTable commands_;
  ServerStats stats_;
  std::map<std::string, CommandStats> command_stats_;  // ordered: INFO prints sorted
  int listen_fd_ = -1;
  int bound_port_ = 0;
  uint64_t next_client_id_ = 1;
  // Keyed by id: CLIENT LIST and shutdown iterate in connection order.
  std::map<uint64_t, std::unique_ptr<Client>> clients_;
  std::vector<Client*> clients_by_fd_;
  std::vector<Client*> pending_writes_;
  std::vector<Client*> close_asap_;
  std::deque<SlowlogEntry> slowlog_;
  int64_t next_slowlog_id_ = 0;
  int64_t mono_base_ns_ = 0;
  int64_t real_base_ms_ = 0;
  int64_t start_realtime_ms_ = 0;
  int64_t start_monotonic_ns_ = 0;
  uint64_t cron_loops_ = 0;
  int64_t cached_unix_s_ = 0;  // server.unixtime: refreshed by the cron, no clock read per use
  uint64_t run_id_ = 0;
  std::string run_id_hex_;
  bool shutting_down_ = false;
  ServerObserver* observer_ = nullptr;
  uint64_t memory_peak_ = 0;
};

}  // namespace reel
