// ServerConfig: the settings reel-server accepts on its command line and
// through CONFIG GET/SET, with Redis 7.0's defaults.
#pragma once

#include <cstdint>
#include <string>

namespace reel {

enum class LogLevel { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3 };

struct ServerConfig {
  std::string bind = "127.0.0.1";
  int port = 6379;
  int tcp_backlog = 511;
  int maxclients = 10000;
  int hz = 10;
  int maxevents = 0;  // 0: maxclients + 128, Redis's event-array size
  LogLevel loglevel = LogLevel::kNotice;
  int64_t client_query_buffer_limit = 1024ll * 1024 * 1024;  // client-query-buffer-limit
  int64_t proto_max_bulk_len = 512ll * 1024 * 1024;          // proto-max-bulk-len
  std::string requirepass;                                   // empty: no AUTH needed
  int64_t slowlog_log_slower_than = 10000;                   // microseconds; <0 disables
  int64_t slowlog_max_len = 128;
  // client-output-buffer-limit normal <hard> <soft> <soft-seconds>; 0 = unlimited.
  int64_t output_hard_limit = 0;
  int64_t output_soft_limit = 0;
  int64_t output_soft_seconds = 0;
  int64_t timeout = 0;  // idle client timeout in seconds; 0 = never
  // CONFIG SET save is accepted and reported like Redis, but reel keeps no
  // snapshots, so the schedule has no effect.
  std::string save;
  // client-output-buffer-limit for the replica and pubsub classes: reported
  // and settable; reel has no such clients, so they have no effect.
  int64_t replica_output_limits[3] = {256ll * 1024 * 1024, 64ll * 1024 * 1024, 60};
  int64_t pubsub_output_limits[3] = {32ll * 1024 * 1024, 8ll * 1024 * 1024, 60};

  int EffectiveMaxevents() const { return maxevents > 0 ? maxevents : maxclients + 128; }
};

const char* LogLevelName(LogLevel l);
bool ParseLogLevel(const std::string& s, LogLevel* out);

}  // namespace reel
