// Keyspace: database 0. A chained hash table of power-of-two size, written
// here (not std::unordered_map) because SCAN needs Redis's reverse-binary
// cursor, RANDOMKEY and active expiry need O(1) random buckets, and the hash
// must be seeded from the Kernel's random source (never from addresses), so
// a replay with the recorded seed iterates in the recorded order.
//
// Expiry is stored in the entry (-1 = none); the entries that have one are
// also kept in a dense vector so the active expire cycle can sample them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/object.h"

namespace reel {

class Keyspace {
 public:
  struct Entry {
    std::string key;
    Object value;
    int64_t expire_ms = -1;  // absolute unix time in ms, or -1
    uint64_t hash = 0;
    Entry* next = nullptr;   // bucket chain
    size_t expire_slot = 0;  // index in expiring_ when expire_ms >= 0
  };

  explicit Keyspace(uint64_t hash_seed);
  ~Keyspace();
  Keyspace(const Keyspace&) = delete;
  Keyspace& operator=(const Keyspace&) = delete;

  // The time used for lazy expiry. The server sets it once per command from
  // the Kernel's clock, so a command sees one consistent "now".
  void set_now_ms(int64_t now) { now_ms_ = now; }
  int64_t now_ms() const { return now_ms_; }

  // Finds a live key; an expired key is deleted on the way (lazy expiry).
  Entry* Find(std::string_view key);
  Object* Lookup(std::string_view key) {
    Entry* e = Find(key);
    return e ? &e->value : nullptr;
  }
  // Adds a key that must not exist (check with Find first).
  Entry* Add(std::string_view key, Object value);
  // SET semantics: create or replace the value and drop any TTL unless
  // keep_ttl is true.
  Entry* Set(std::string_view key, Object value, bool keep_ttl = false);
  bool Delete(std::string_view key);
  void Delete(Entry* e);
  // Moves the value and TTL of `from` to key `to` (replacing it); RENAME.
  void Rename(Entry* from, std::string_view to);

  void SetExpire(Entry* e, int64_t when_ms);
  void RemoveExpire(Entry* e);
  // Redis's keyIsExpired: a key lives through the very millisecond it expires at.
  bool IsExpired(const Entry* e) const { return e->expire_ms >= 0 && e->expire_ms < now_ms_; }

  size_t size() const { return used_; }
  size_t expires_size() const { return expiring_.size(); }
  void Clear();

  // One SCAN step with Redis's reverse-binary cursor: visits at least the
  // bucket the cursor names and returns the next cursor (0 when done).
  // Elements present for the whole scan are returned at least once, even if
  // the table is resized between calls. Expired keys are skipped, not deleted.
  template <typename F>
  uint64_t Scan(uint64_t cursor, F&& visit) const;

  // A random live-or-expired entry chosen by the caller's random number, or
  // nullptr when empty. Deterministic given r.
  Entry* RandomEntry(uint64_t r) const;
  // A random entry among those with a TTL.
  Entry* RandomExpiring(uint64_t r) const {
    return expiring_.empty() ? nullptr : expiring_[r % expiring_.size()];
  }

  // Visits every entry in bucket order.
  template <typename F>
  void ForEach(F&& visit) const {
    for (Entry* head : buckets_)
      for (Entry* e = head; e; e = e->next) visit(*e);
  }

  // Order-independent digest of the whole keyspace (like DEBUG DIGEST): equal
  // keyspaces give equal digests whatever their insertion history. Used by
  // capture and replay to compare final states.
  std::string Digest() const;

  uint64_t Hash(std::string_view key) const;
  static uint64_t ReverseBits(uint64_t v);

 private:
  Entry** Slot(std::string_view key, uint64_t h);
  void MaybeGrow();
  void MaybeShrink();
  void Resize(size_t new_size);
  void Unlink(Entry* e);

  uint64_t seed_;
  std::vector<Entry*> buckets_;
  size_t used_ = 0;
  std::vector<Entry*> expiring_;
  int64_t now_ms_ = 0;
};

template <typename F>
uint64_t Keyspace::Scan(uint64_t cursor, F&& visit) const {
  if (used_ == 0) return 0;
  uint64_t mask = buckets_.size() - 1;
  for (const Entry* e = buckets_[cursor & mask]; e; e = e->next)
    if (!IsExpired(e)) visit(*e);
  // Increment the reversed cursor: set unmasked bits so the increment
  // carries into the masked part, then reverse back (dictScan).
  cursor |= ~mask;
  cursor = ReverseBits(cursor);
  cursor++;
  cursor = ReverseBits(cursor);
  return cursor;
}

}  // namespace reel
