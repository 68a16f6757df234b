// INFO [section ...]: Redis 7.0's sections, field names and order
// (server.c genRedisInfoString), filled from reel's own state. Fields for
// machinery reel does not have (persistence, replication, CPU accounting,
// Lua, defragmentation, ...) are present with the values an idle Redis
// without that activity shows, so parsers find every field they expect.
//
// Everything comes from the Server, the Keyspace and the command's clock:
// no OS calls, so a replayed INFO prints what the recorded one printed.
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <string>
#include <vector>

#include "server/client.h"
#include "server/command.h"
#include "server/commands/admin_support.h"
#include "server/commands/memory_estimate.h"
#include "server/reply.h"
#include "server/server.h"

namespace reel {

namespace {

void Appendf(std::string& out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void Appendf(std::string& out, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (static_cast<size_t>(n) < sizeof buf) {
    out.append(buf, static_cast<size_t>(n));
    return;
  }
  std::string big(static_cast<size_t>(n) + 1, '\0');
  va_start(ap, fmt);
  std::vsnprintf(big.data(), big.size(), fmt, ap);
  va_end(ap);
  big.resize(static_cast<size_t>(n));
  out += big;
}

// bytesToHuman: 100B, 1.50K, 2.00M, ...
std::string Human(uint64_t n) {
  char buf[64];
  const double d = static_cast<double>(n);
  if (n < 1024) {
    snprintf(buf, sizeof buf, "%" PRIu64 "B", n);
  } else if (n < (1ull << 20)) {
    snprintf(buf, sizeof buf, "%.2fK", d / 1024);
  } else if (n < (1ull << 30)) {
    snprintf(buf, sizeof buf, "%.2fM", d / (1ull << 20));
  } else if (n < (1ull << 40)) {
    snprintf(buf, sizeof buf, "%.2fG", d / (1ull << 30));
  } else if (n < (1ull << 50)) {
    snprintf(buf, sizeof buf, "%.2fT", d / (1ull << 40));
  } else if (n < (1ull << 60)) {
    snprintf(buf, sizeof buf, "%.2fP", d / (1ull << 50));
  } else {
    snprintf(buf, sizeof buf, "%" PRIu64 "B", n);
  }
  return buf;
}

#if defined(__x86_64__)
constexpr const char* kMachine = "x86_64";
#elif defined(__aarch64__)
constexpr const char* kMachine = "aarch64";
#else
constexpr const char* kMachine = "unknown";
#endif

void ServerSection(std::string& out, CommandContext& ctx) {
  Server& s = *ctx.server;
  int64_t now_s = ctx.now_ms / 1000;
  int64_t uptime = now_s - s.start_realtime_ms() / 1000;
  Appendf(out,
          "# Server\r\n"
          "redis_version:%s\r\n"
          "redis_git_sha1:00000000\r\n"
          "redis_git_dirty:0\r\n"
          "redis_build_id:0\r\n"
          "redis_mode:standalone\r\n"
          // The kernel release would need uname(2), which the Kernel seam
          // does not offer; the build's machine is known at compile time.
          "os:Linux %s\r\n"
          "arch_bits:%d\r\n"
          "monotonic_clock:POSIX clock_gettime\r\n"
          "multiplexing_api:epoll\r\n"
          "atomicvar_api:c11-builtin\r\n"
          "gcc_version:%d.%d.%d\r\n"
          "process_id:%" PRId64
          "\r\n"
          "process_supervised:no\r\n"
          "run_id:%s\r\n"
          "tcp_port:%d\r\n"
          "server_time_usec:%" PRId64
          "\r\n"
          "uptime_in_seconds:%" PRId64
          "\r\n"
          "uptime_in_days:%" PRId64
          "\r\n"
          "hz:%d\r\n"
          "configured_hz:%d\r\n"
          "lru_clock:%" PRId64
          "\r\n"
          "executable:\r\n"
          "config_file:\r\n"
          "io_threads_active:0\r\n",
          kRedisVersion, kMachine, static_cast<int>(sizeof(void*) * 8),
#ifdef __GNUC__
          __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__,
#else
          0, 0, 0,
#endif
          ctx.kernel.ProcessId(), s.run_id().c_str(),
          s.bound_port() != 0 ? s.bound_port() : s.config().port, ctx.now_ms * 1000, uptime,
          uptime / (3600 * 24), s.config().hz, s.config().hz,
          now_s & ((1 << 24) - 1));  // LRU_CLOCK_MAX, in seconds
}

void ClientsSection(std::string& out, CommandContext& ctx) {
  Server& s = *ctx.server;
  size_t max_in = 0, max_out = 0;
  for (const auto& [id, c] : s.clients()) {
    max_in = std::max(max_in, c->query().capacity());
    max_out = std::max(max_out, c->reply().capacity());
  }
  Appendf(out,
          "# Clients\r\n"
          "connected_clients:%zu\r\n"
          "cluster_connections:0\r\n"
          "maxclients:%d\r\n"
          "client_recent_max_input_buffer:%zu\r\n"
          "client_recent_max_output_buffer:%zu\r\n"
          "blocked_clients:0\r\n"
          "tracking_clients:0\r\n"
          "clients_in_timeout_table:0\r\n",
          s.clients().size(), s.config().maxclients, max_in, max_out);
}

void MemorySection(std::string& out, CommandContext& ctx) {
  Server& s = *ctx.server;
  MemoryEstimate m = EstimateMemory(s);
  uint64_t used = m.total();
  uint64_t peak = s.NoteMemoryUsage(used);
  double peak_perc = peak ? 100.0 * static_cast<double>(used) / static_cast<double>(peak) : 0;
  uint64_t net = used > m.startup ? used - m.startup : 0;
  double dataset_perc = net ? 100.0 * static_cast<double>(m.dataset) / static_cast<double>(net) : 0;
  // There is no allocator or RSS to ask (see memory_estimate.h): allocator
  // and RSS figures equal the estimate, so every ratio reads 1.00.
  Appendf(out,
          "# Memory\r\n"
          "used_memory:%" PRIu64
          "\r\n"
          "used_memory_human:%s\r\n"
          "used_memory_rss:%" PRIu64
          "\r\n"
          "used_memory_rss_human:%s\r\n"
          "used_memory_peak:%" PRIu64
          "\r\n"
          "used_memory_peak_human:%s\r\n"
          "used_memory_peak_perc:%.2f%%\r\n"
          "used_memory_overhead:%" PRIu64
          "\r\n"
          "used_memory_startup:%" PRIu64
          "\r\n"
          "used_memory_dataset:%" PRIu64
          "\r\n"
          "used_memory_dataset_perc:%.2f%%\r\n"
          "allocator_allocated:%" PRIu64
          "\r\n"
          "allocator_active:%" PRIu64
          "\r\n"
          "allocator_resident:%" PRIu64
          "\r\n"
          "total_system_memory:0\r\n"
          "total_system_memory_human:0B\r\n"
          "used_memory_lua:0\r\n"
          "used_memory_vm_eval:0\r\n"
          "used_memory_lua_human:0B\r\n"
          "used_memory_scripts_eval:0\r\n"
          "number_of_cached_scripts:0\r\n"
          "number_of_functions:0\r\n"
          "number_of_libraries:0\r\n"
          "used_memory_vm_functions:0\r\n"
          "used_memory_vm_total:0\r\n"
          "used_memory_vm_total_human:0B\r\n"
          "used_memory_functions:0\r\n"
          "used_memory_scripts:0\r\n"
          "used_memory_scripts_human:0B\r\n"
          "maxmemory:0\r\n"
          "maxmemory_human:0B\r\n"
          "maxmemory_policy:noeviction\r\n"
          "allocator_frag_ratio:1.00\r\n"
          "allocator_frag_bytes:0\r\n"
          "allocator_rss_ratio:1.00\r\n"
          "allocator_rss_bytes:0\r\n"
          "rss_overhead_ratio:1.00\r\n"
          "rss_overhead_bytes:0\r\n"
          "mem_fragmentation_ratio:1.00\r\n"
          "mem_fragmentation_bytes:0\r\n"
          "mem_not_counted_for_evict:0\r\n"
          "mem_replication_backlog:0\r\n"
          "mem_total_replication_buffers:0\r\n"
          "mem_clients_slaves:0\r\n"
          "mem_clients_normal:%" PRIu64
          "\r\n"
          "mem_cluster_links:0\r\n"
          "mem_aof_buffer:0\r\n"
          "mem_allocator:libc\r\n"
          "active_defrag_running:0\r\n"
          "lazyfree_pending_objects:0\r\n"
          "lazyfreed_objects:0\r\n",
          used, Human(used).c_str(), used, Human(used).c_str(), peak, Human(peak).c_str(),
          peak_perc, m.overhead(), m.startup, m.dataset, dataset_perc, used, used, used, m.clients);
}

void PersistenceSection(std::string& out, CommandContext& ctx) {
  // reel keeps no RDB or AOF: nothing is ever saved, loaded or rewritten.
  Appendf(out,
          "# Persistence\r\n"
          "loading:0\r\n"
          "async_loading:0\r\n"
          "current_cow_peak:0\r\n"
          "current_cow_size:0\r\n"
          "current_cow_size_age:0\r\n"
          "current_fork_perc:0.00\r\n"
          "current_save_keys_processed:0\r\n"
          "current_save_keys_total:0\r\n"
          "rdb_changes_since_last_save:0\r\n"
          "rdb_bgsave_in_progress:0\r\n"
          "rdb_last_save_time:%" PRId64
          "\r\n"
          "rdb_last_bgsave_status:ok\r\n"
          "rdb_last_bgsave_time_sec:-1\r\n"
          "rdb_current_bgsave_time_sec:-1\r\n"
          "rdb_saves:0\r\n"
          "rdb_last_cow_size:0\r\n"
          "rdb_last_load_keys_expired:0\r\n"
          "rdb_last_load_keys_loaded:0\r\n"
          "aof_enabled:0\r\n"
          "aof_rewrite_in_progress:0\r\n"
          "aof_rewrite_scheduled:0\r\n"
          "aof_last_rewrite_time_sec:-1\r\n"
          "aof_current_rewrite_time_sec:-1\r\n"
          "aof_last_bgrewrite_status:ok\r\n"
          "aof_rewrites:0\r\n"
          "aof_rewrites_consecutive_failures:0\r\n"
          "aof_last_write_status:ok\r\n"
          "aof_last_cow_size:0\r\n"
          "module_fork_in_progress:0\r\n"
          "module_fork_last_cow_size:0\r\n",
          ctx.server->start_realtime_ms() / 1000);  // Redis's lastsave starts at startup
}

void StatsSection(std::string& out, CommandContext& ctx) {
  const ServerStats& st = ctx.server->stats();
  // Instantaneous rates need the cron's sampling, which reel does not do.
  Appendf(out,
          "# Stats\r\n"
          "total_connections_received:%" PRIu64
          "\r\n"
          "total_commands_processed:%" PRIu64
          "\r\n"
          "instantaneous_ops_per_sec:0\r\n"
          "total_net_input_bytes:%" PRIu64
          "\r\n"
          "total_net_output_bytes:%" PRIu64
          "\r\n"
          "total_net_repl_input_bytes:0\r\n"
          "total_net_repl_output_bytes:0\r\n"
          "instantaneous_input_kbps:0.00\r\n"
          "instantaneous_output_kbps:0.00\r\n"
          "instantaneous_input_repl_kbps:0.00\r\n"
          "instantaneous_output_repl_kbps:0.00\r\n"
          "rejected_connections:%" PRIu64
          "\r\n"
          "sync_full:0\r\n"
          "sync_partial_ok:0\r\n"
          "sync_partial_err:0\r\n"
          "expired_keys:%" PRIu64
          "\r\n"
          "expired_stale_perc:0.00\r\n"
          "expired_time_cap_reached_count:0\r\n"
          "expire_cycle_cpu_milliseconds:0\r\n"
          "evicted_keys:0\r\n"
          "evicted_clients:0\r\n"
          "total_eviction_exceeded_time:0\r\n"
          "current_eviction_exceeded_time:0\r\n"
          "keyspace_hits:%" PRIu64
          "\r\n"
          "keyspace_misses:%" PRIu64
          "\r\n"
          "pubsub_channels:0\r\n"
          "pubsub_patterns:0\r\n"
          "pubsubshard_channels:0\r\n"
          "latest_fork_usec:0\r\n"
          "total_forks:0\r\n"
          "migrate_cached_sockets:0\r\n"
          "slave_expires_tracked_keys:0\r\n"
          "active_defrag_hits:0\r\n"
          "active_defrag_misses:0\r\n"
          "active_defrag_key_hits:0\r\n"
          "active_defrag_key_misses:0\r\n"
          "total_active_defrag_time:0\r\n"
          "current_active_defrag_time:0\r\n"
          "tracking_total_keys:0\r\n"
          "tracking_total_items:0\r\n"
          "tracking_total_prefixes:0\r\n"
          "unexpected_error_replies:%" PRIu64
          "\r\n"
          "total_error_replies:%" PRIu64
          "\r\n"
          "dump_payload_sanitizations:0\r\n"
          "total_reads_processed:0\r\n"
          "total_writes_processed:0\r\n"
          "io_threaded_reads_processed:0\r\n"
          "io_threaded_writes_processed:0\r\n"
          "reply_buffer_shrinks:0\r\n"
          "reply_buffer_expands:0\r\n",
          st.total_connections_received, st.total_commands_processed, st.net_input_bytes,
          st.net_output_bytes, st.rejected_connections, st.expired_keys, st.keyspace_hits,
          st.keyspace_misses, st.unexpected_error_replies, st.total_error_replies);
}

void ReplicationSection(std::string& out, CommandContext& ctx) {
  // A master without replicas; the replication id is the run id.
  Appendf(out,
          "# Replication\r\n"
          "role:master\r\n"
          "connected_slaves:0\r\n"
          "master_failover_state:no-failover\r\n"
          "master_replid:%s\r\n"
          "master_replid2:0000000000000000000000000000000000000000\r\n"
          "master_repl_offset:0\r\n"
          "second_repl_offset:-1\r\n"
          "repl_backlog_active:0\r\n"
          "repl_backlog_size:1048576\r\n"
          "repl_backlog_first_byte_offset:0\r\n"
          "repl_backlog_histlen:0\r\n",
          ctx.server->run_id().c_str());
}

void CpuSection(std::string& out, CommandContext&) {
  // CPU time would need getrusage(2), which the Kernel seam does not offer.
  out +=
      "# CPU\r\n"
      "used_cpu_sys:0.000000\r\n"
      "used_cpu_user:0.000000\r\n"
      "used_cpu_sys_children:0.000000\r\n"
      "used_cpu_user_children:0.000000\r\n"
      "used_cpu_sys_main_thread:0.000000\r\n"
      "used_cpu_user_main_thread:0.000000\r\n";
}

void ModulesSection(std::string& out, CommandContext&) {
  out += "# Modules\r\n";
}

void CommandstatsSection(std::string& out, CommandContext& ctx) {
  out += "# Commandstats\r\n";
  for (const auto& [name, cs] : ctx.server->command_stats()) {
    if (cs.calls == 0 && cs.failed == 0) continue;
    double per_call = cs.calls ? static_cast<double>(cs.usec) / static_cast<double>(cs.calls) : 0;
    // reel counts one "failed" figure for rejected and failed calls alike.
    Appendf(out,
            "cmdstat_%s:calls=%" PRIu64 ",usec=%" PRIu64
            ",usec_per_call=%.2f,rejected_calls=0,failed_calls=%" PRIu64 "\r\n",
            name.c_str(), cs.calls, cs.usec, per_call, cs.failed);
  }
}

// reel counts errors in total but not per error code.
void ErrorstatsSection(std::string& out, CommandContext&) {
  out += "# Errorstats\r\n";
}
void LatencystatsSection(std::string& out, CommandContext&) {
  out += "# Latencystats\r\n";
}
void ClusterSection(std::string& out, CommandContext&) {
  out += "# Cluster\r\ncluster_enabled:0\r\n";
}

void KeyspaceSection(std::string& out, CommandContext& ctx) {
  out += "# Keyspace\r\n";
  size_t keys = ctx.db.size(), expires = ctx.db.expires_size();
  if (keys || expires) Appendf(out, "db0:keys=%zu,expires=%zu,avg_ttl=0\r\n", keys, expires);
}

struct Section {
  const char* name;
  bool in_default;
  void (*fill)(std::string& out, CommandContext& ctx);
};

// In the order Redis prints them.
constexpr Section kSections[] = {
    {"server", true, ServerSection},
    {"clients", true, ClientsSection},
    {"memory", true, MemorySection},
    {"persistence", true, PersistenceSection},
    {"stats", true, StatsSection},
    {"replication", true, ReplicationSection},
    {"cpu", true, CpuSection},
    {"modules", true, ModulesSection},  // also asked for as "module_list"
    {"commandstats", false, CommandstatsSection},
    {"errorstats", true, ErrorstatsSection},
    {"latencystats", false, LatencystatsSection},
    {"cluster", true, ClusterSection},
    {"keyspace", true, KeyspaceSection},
};

void InfoCommand(CommandContext& ctx) {
  if (!RequireConnection(ctx)) return;
  bool all = false, defaults = ctx.argv.size() == 1;
  std::vector<std::string> asked;
  for (size_t i = 1; i < ctx.argv.size(); i++) {
    std::string name = ToLower(ctx.argv[i]);
    if (name == "default") {
      defaults = true;
    } else if (name == "all" || name == "everything") {
      all = true;
    } else {
      asked.push_back(name == "module_list" ? "modules" : name);
    }
  }
  std::string out;
  for (const Section& s : kSections) {
    bool want = all || (defaults && s.in_default);
    for (const std::string& a : asked) want |= a == s.name;
    if (!want) continue;
    if (!out.empty()) out += "\r\n";
    s.fill(out, ctx);
  }
  ctx.reply.Bulk(out);  // a verbatim "txt" string in RESP3, a bulk string in RESP2
}

}  // namespace

void RegisterInfoCommand(CommandTable& t) {
  t.Register({"info", -1, InfoCommand, kCmdLoading | kCmdStale, 0, 0, 0, "server",
              "Get information and statistics about the server"});
}

}  // namespace reel
