// What SCAN, HSCAN, SSCAN and ZSCAN share (Redis 7.0 db.c
// scanGenericCommand): the cursor and option parsing, with Redis's error
// texts and their order, and the cursor reel uses to page through an
// aggregate that Redis would keep in a hash table.
//
// Paging big aggregates. Redis walks a dict with a reverse-binary bucket
// cursor. reel's aggregates are std:: containers whose buckets cannot be
// walked that way (their bucket counts are primes), so the cursor is a
// position in *hash order* instead: each element has a fixed 64-bit hash of
// its name (ScanHash), a call returns the elements whose hash is >= the
// cursor, smallest hashes first, until COUNT are taken (always finishing a
// group of equal hashes), and the next cursor is one past the largest hash
// returned, or 0 when nothing is left. An element present for the whole scan
// has a hash that either lies below the cursor (returned by an earlier call)
// or at or above it (returned by this or a later call), whatever is added,
// removed or rehashed in between, so it is returned exactly once.
//
// The cost is O(N) per call instead of Redis's O(COUNT), because finding the
// next hashes means looking at every element. So that a whole iteration
// stays O(N) too (not O(N^2 / COUNT)), a call returns at least N /
// kMaxScanSteps elements: COUNT is only a hint in Redis as well (it returns
// small aggregates whole whatever COUNT says). With the default COUNT of
// 10, aggregates of up to 10 * kMaxScanSteps elements page exactly by COUNT.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "server/command.h"
#include "server/keyspace.h"

namespace reel {

// parseScanCursorOrReply's rules (strtoul): "+5", "007", "" (zero) and "-1"
// (2^64-1) are accepted; leading space, trailing junk and values past
// 2^64-1 are not. Only the bytes before a NUL count, as in C.
std::optional<uint64_t> ParseScanCursor(std::string_view arg);

struct ScanOptions {
  uint64_t count = 10;
  std::optional<std::string_view> pattern;  // unset when absent or "*"
};

// Parses [MATCH pattern] [COUNT n] from argv[first] on, as Redis does for
// HSCAN/SSCAN/ZSCAN (no TYPE). Replies the error and returns false on a bad
// option: a non-integer COUNT is "value is not an integer or out of range",
// COUNT < 1 and anything unknown (or missing its value) a syntax error.
bool ParseScanOptionsOrReply(CommandContext& ctx, size_t first, ScanOptions* options);

// Whether an element's name passes MATCH.
bool ScanMatches(const ScanOptions& options, std::string_view name);

// Redis's reply to a scan of a missing key: cursor 0, no elements.
void ReplyEmptyScan(CommandContext& ctx);

// The start HSCAN, SSCAN and ZSCAN share, with Redis's error order: the
// cursor (argv[2]), then the key (argv[1]) of `type` — wrong type replies
// WRONGTYPE, missing replies the empty scan — then the options (argv[3..]).
// Returns the key's entry, or nullptr once a reply has been written.
Keyspace::Entry* BeginAggregateScan(CommandContext& ctx, ValueType type, uint64_t* cursor,
                                    ScanOptions* options);

// The hash that orders a hash-order scan: fixed per name (libstdc++'s
// unseeded std::hash), so a cursor stays meaningful across calls.
inline uint64_t ScanHash(std::string_view name) {
  return std::hash<std::string_view>{}(name);
}

// A hash-order scan of N elements takes at most about this many calls.
inline constexpr uint64_t kMaxScanSteps = 64;

template <typename T>
struct ScanBatch {
  std::vector<const T*> items;  // in ascending hash order
  uint64_t next_cursor = 0;     // 0 when the scan is complete
};

// One step of a hash-order scan (see the file comment) over any container
// of T; name_of(const T&) gives the name an element is hashed by. Returns
// at least `count` elements unless the scan ends.
template <typename Container, typename NameOf,
          typename T = std::remove_cvref_t<decltype(*std::declval<const Container&>().begin())>>
ScanBatch<T> HashOrderScan(const Container& container, uint64_t cursor, uint64_t count,
                           NameOf name_of) {
  const uint64_t size = container.size();
  count = std::max(count, (size + kMaxScanSteps - 1) / kMaxScanSteps);
  std::vector<std::pair<uint64_t, const T*>> candidates;
  for (const T& item : container) {
    uint64_t h = ScanHash(name_of(item));
    if (h >= cursor) candidates.emplace_back(h, &item);
  }
  ScanBatch<T> batch;
  auto by_hash = [](const auto& a, const auto& b) { return a.first < b.first; };
  size_t take = candidates.size();
  if (count < candidates.size()) {
    // The count-th smallest hash bounds this batch; elements sharing it
    // come along, so the next cursor can skip past that hash.
    auto nth = candidates.begin() + static_cast<std::ptrdiff_t>(count - 1);
    std::nth_element(candidates.begin(), nth, candidates.end(), by_hash);
    const uint64_t last = nth->first;
    auto end = std::partition(candidates.begin(), candidates.end(),
                              [last](const auto& c) { return c.first <= last; });
    take = static_cast<size_t>(end - candidates.begin());
    // Everything left has a hash above `last`, so last + 1 cannot wrap.
    if (take < candidates.size()) batch.next_cursor = last + 1;
  }
  candidates.resize(take);
  std::sort(candidates.begin(), candidates.end(), by_hash);
  batch.items.reserve(take);
  for (const auto& c : candidates) batch.items.push_back(c.second);
  return batch;
}

}  // namespace reel
