#include "server/commands/memory_estimate.h"

#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "server/client.h"
#include "server/keyspace.h"
#include "server/server.h"

namespace reel {

namespace {

// Costs modelled on Redis 7.0 on a 64-bit build.
constexpr uint64_t kDictEntry = 24;          // dictEntry
constexpr uint64_t kBucket = 8;              // one slot of a dict's table
constexpr uint64_t kRobj = 16;               // robj header
constexpr uint64_t kSmallEncodingMax = 128;  // listpack limits (*-max-listpack-entries)
constexpr uint64_t kListpackEntry = 4;       // per-entry header and backlen, roughly
constexpr uint64_t kSampleSize = 16;         // elements sampled per aggregate

// An sds string: header, bytes and terminator, in jemalloc-like 8-byte steps.
uint64_t SdsBytes(uint64_t len) {
  return (len + 4 + 7) / 8 * 8;
}

template <typename E>
uint64_t ElementBytes(const E& e) {
  if constexpr (std::is_convertible_v<const E&, std::string_view>) {
    return std::string_view(e).size();
  } else if constexpr (requires {
                         e.first;
                         e.second;
                       }) {
    return ElementBytes(e.first) + ElementBytes(e.second);
  } else if constexpr (requires {
                         e.name;
                         e.value;
                       }) {
    return ElementBytes(e.name) + ElementBytes(e.value);
  } else {
    return sizeof(E);
  }
}

// Average element size from the first kSampleSize elements, times the
// count: iteration order is deterministic, so the estimate is too.
template <typename C>
uint64_t SampledBytes(const C& c, uint64_t n) {
  if (n == 0) return 0;
  uint64_t sampled = 0, bytes = 0;
  for (const auto& e : c) {
    bytes += ElementBytes(e);
    if (++sampled == kSampleSize) break;
  }
  return sampled == 0 ? 0 : bytes * n / sampled;
}

// Small aggregates are one listpack; big ones a dict (or a quicklist for
// lists) with a node per element.
uint64_t AggregateBytes(uint64_t n, uint64_t payload, uint64_t big_overhead) {
  uint64_t per = n <= kSmallEncodingMax ? kListpackEntry : big_overhead;
  return kRobj + payload + n * per;
}

uint64_t ValueBytes(const Object& value) {
  return std::visit(
      [](const auto& v) -> uint64_t {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return kRobj + SdsBytes(v.size());
        } else if constexpr (requires { v.scores; }) {
          uint64_t n = v.size();
          // dict entry + skiplist node (score, links) per member when big
          return AggregateBytes(n, SampledBytes(v.scores, n), kDictEntry + kBucket + 48);
        } else {
          uint64_t n = v.size();
          uint64_t overhead = std::is_same_v<T, ListValue> ? kListpackEntry : kDictEntry + kBucket;
          return AggregateBytes(n, SampledBytes(v, n), overhead);
        }
      },
      value);
}

uint64_t TableBytes(uint64_t n) {
  uint64_t buckets = 4;
  while (buckets < n) buckets *= 2;
  return buckets * kBucket;
}

}  // namespace

uint64_t EstimateDatasetBytes(const Keyspace& db) {
  uint64_t bytes = 0;
  db.ForEach([&](const Keyspace::Entry& e) {
    bytes += kDictEntry + SdsBytes(e.key.size()) + ValueBytes(e.value);
    if (e.expire_ms >= 0) bytes += kDictEntry;  // the expires dict's entry
  });
  return bytes;
}

MemoryEstimate EstimateMemory(Server& server) {
  MemoryEstimate m;
  // Fixed structures: the server object, the event loop's per-fd slots and
  // the command table.
  m.startup = sizeof(Server) + static_cast<uint64_t>(server.event_loop_setsize()) * 32 +
              server.commands().all().size() * sizeof(CommandSpec);
  for (const auto& [id, c] : server.clients())
    m.clients += sizeof(Client) + c->query().capacity() + c->reply().capacity();
  m.keyspace = TableBytes(server.db().size()) + TableBytes(server.db().expires_size());
  m.dataset = EstimateDatasetBytes(server.db());
  return m;
}

}  // namespace reel
