// A deterministic estimate of the memory reel uses, for INFO memory.
//
// Redis reports what its allocator says; reel must not (allocator
// statistics differ from run to run, and replay has to reproduce every
// reply). So the numbers here are computed from the data alone, with
// per-structure costs modelled on Redis's encodings: equal keyspaces and
// client states give equal numbers on every run.
#pragma once

#include <cstdint>

namespace reel {

class Keyspace;
class Server;

struct MemoryEstimate {
  uint64_t startup = 0;   // the server's fixed structures (used_memory_startup)
  uint64_t clients = 0;   // connection buffers (mem_clients_normal)
  uint64_t keyspace = 0;  // hash-table overhead of the keyspace
  uint64_t dataset = 0;   // keys and values
  uint64_t total() const { return startup + clients + keyspace + dataset; }
  uint64_t overhead() const { return startup + clients + keyspace; }
};

// Visits every key: O(number of keys), sampling at most a few elements of
// each aggregate value.
MemoryEstimate EstimateMemory(Server& server);
// The dataset part only (keys and values), for tests.
uint64_t EstimateDatasetBytes(const Keyspace& db);

}  // namespace reel
