#include "server/keyspace.h"

#include <cstdio>
#include <cstring>
#include <type_traits>

namespace reel {

namespace {

constexpr size_t kInitialBuckets = 16;

uint64_t Mix(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

uint64_t Read64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// A seeded multiply-mix hash over 8-byte words (wyhash-like in shape). Fast
// for short keys; the seed comes from the Kernel so replay reproduces the
// table layout exactly.
uint64_t SeededHash(std::string_view s, uint64_t seed) {
  constexpr uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull,
                     k2 = 0x8ebc6af09c88c6e3ull;
  uint64_t h = seed ^ k0 ^ (s.size() * k1);
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 16) {
    h = Mix(Read64(p) ^ k1 ^ h, Read64(p + 8) ^ k2);
    p += 16;
    n -= 16;
  }
  uint64_t a = 0, b = 0;
  if (n >= 8) {
    a = Read64(p);
    std::memcpy(&b, p + 8, n - 8);
  } else if (n > 0) {  // an empty key's data() may be null: no memcpy from it
    std::memcpy(&a, p, n);
  }
  return Mix(Mix(a ^ k1 ^ h, b ^ k2), s.size() ^ k0);
}

}  // namespace

uint64_t Keyspace::ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0f0f0f0f0f0f0f0full) | ((v & 0x0f0f0f0f0f0f0f0full) << 4);
  return __builtin_bswap64(v);
}

Keyspace::Keyspace(uint64_t hash_seed) : seed_(hash_seed), buckets_(kInitialBuckets, nullptr) {}

Keyspace::~Keyspace() {
  Clear();
}

uint64_t Keyspace::Hash(std::string_view key) const {
  return SeededHash(key, seed_);
}

Keyspace::Entry** Keyspace::Slot(std::string_view key, uint64_t h) {
  Entry** link = &buckets_[h & (buckets_.size() - 1)];
  while (*link && ((*link)->hash != h || (*link)->key != key)) link = &(*link)->next;
  return link;
}

Keyspace::Entry* Keyspace::Find(std::string_view key) {
  uint64_t h = Hash(key);
  Entry* e = *Slot(key, h);
  if (e && IsExpired(e)) {
    Delete(e);
    return nullptr;
  }
  return e;
}

Keyspace::Entry* Keyspace::Add(std::string_view key, Object value) {
  MaybeGrow();
  uint64_t h = Hash(key);
  auto* e = new Entry{std::string(key), std::move(value), -1, h, nullptr, 0};
  Entry** head = &buckets_[h & (buckets_.size() - 1)];
  // New entries go to the head of the chain, as dictAdd does.
  e->next = *head;
  *head = e;
  used_++;
  return e;
}

Keyspace::Entry* Keyspace::Set(std::string_view key, Object value, bool keep_ttl) {
  uint64_t h = Hash(key);
  Entry* e = *Slot(key, h);
  if (e == nullptr) return Add(key, std::move(value));
  e->value = std::move(value);
  if (!keep_ttl || IsExpired(e)) RemoveExpire(e);
  return e;
}

void Keyspace::Unlink(Entry* e) {
  Entry** link = &buckets_[e->hash & (buckets_.size() - 1)];
  while (*link != e) link = &(*link)->next;
  *link = e->next;
  used_--;
}

void Keyspace::Delete(Entry* e) {
  RemoveExpire(e);
  Unlink(e);
  delete e;
  MaybeShrink();
}

bool Keyspace::Delete(std::string_view key) {
  Entry* e = Find(key);
  if (!e) return false;
  Delete(e);
  return true;
}

void Keyspace::Rename(Entry* from, std::string_view to) {
  int64_t ttl = from->expire_ms;
  Object value = std::move(from->value);
  Delete(from);
  Entry* dst = Set(to, std::move(value));
  if (ttl >= 0) SetExpire(dst, ttl);
}

void Keyspace::SetExpire(Entry* e, int64_t when_ms) {
  if (e->expire_ms < 0) {
    e->expire_slot = expiring_.size();
    expiring_.push_back(e);
  }
  e->expire_ms = when_ms;
}

void Keyspace::RemoveExpire(Entry* e) {
  if (e->expire_ms < 0) return;
  // Swap-remove keeps the vector dense; the order change depends only on
  // the operation sequence.
  Entry* last = expiring_.back();
  expiring_[e->expire_slot] = last;
  last->expire_slot = e->expire_slot;
  expiring_.pop_back();
  e->expire_ms = -1;
}

void Keyspace::Clear() {
  for (Entry*& head : buckets_) {
    while (head) {
      Entry* next = head->next;
      delete head;
      head = next;
    }
  }
  buckets_.assign(kInitialBuckets, nullptr);
  expiring_.clear();
  used_ = 0;
}

void Keyspace::MaybeGrow() {
  // Load factor 1, as Redis's dict (without its incremental rehash: a resize
  // is done at once, which costs a pause on very large keyspaces).
  if (used_ + 1 > buckets_.size()) Resize(buckets_.size() * 2);
}

void Keyspace::MaybeShrink() {
  // Shrink below 10% fill, as htNeedsResize.
  if (buckets_.size() > kInitialBuckets && used_ * 10 < buckets_.size()) {
    size_t target = kInitialBuckets;
    while (target < used_) target *= 2;
    Resize(target);
  }
}

void Keyspace::Resize(size_t new_size) {
  std::vector<Entry*> fresh(new_size, nullptr);
  // Walk old buckets in order and push onto the heads of new chains: the
  // resulting layout depends only on the old layout and the hashes.
  for (Entry* head : buckets_) {
    while (head) {
      Entry* next = head->next;
      Entry** slot = &fresh[head->hash & (new_size - 1)];
      head->next = *slot;
      *slot = head;
      head = next;
    }
  }
  buckets_.swap(fresh);
}

Keyspace::Entry* Keyspace::RandomEntry(uint64_t r) const {
  if (used_ == 0) return nullptr;
  // Random non-empty bucket, then a random element of its chain (dictGetRandomKey).
  size_t mask = buckets_.size() - 1;
  size_t idx = r & mask;
  uint64_t step = r >> 32;
  while (buckets_[idx] == nullptr) idx = (idx + 1) & mask;
  size_t len = 0;
  for (Entry* e = buckets_[idx]; e; e = e->next) len++;
  Entry* e = buckets_[idx];
  for (size_t i = step % len; i > 0; i--) e = e->next;
  return e;
}

}  // namespace reel

namespace reel {

namespace {

// Fixed-seed content hash for the digest: it must not depend on the table's
// seed, so two servers with different seeds agree on equal contents.
struct Digester {
  uint64_t a = 0, b = 0;
  void Add(std::string_view s) {
    a = Mix(a ^ SeededHash(s, 0x243f6a8885a308d3ull), 0x9e3779b97f4a7c15ull);
    b = Mix(b ^ SeededHash(s, 0x13198a2e03707344ull), 0xc2b2ae3d27d4eb4full);
  }
  void AddInt(int64_t v) { Add(std::string_view(reinterpret_cast<const char*>(&v), sizeof v)); }
};

// Unordered collections: XOR of per-element digests, so the result does not
// depend on iteration order.
template <typename Fn>
void XorInto(Digester& d, Fn&& each) {
  uint64_t xa = 0, xb = 0;
  each([&](std::string_view x, std::string_view y) {
    Digester e;
    e.Add(x);
    e.Add(y);
    xa ^= e.a;
    xb ^= e.b;
  });
  d.a ^= xa;
  d.b ^= xb;
  d.AddInt(0);  // mix the XOR into the chain
}

}  // namespace

std::string Keyspace::Digest() const {
  uint64_t total_a = 0, total_b = 0;
  ForEach([&](const Entry& e) {
    Digester d;
    d.Add(e.key);
    d.AddInt(static_cast<int64_t>(TypeOf(e.value)));
    d.AddInt(e.expire_ms);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            d.Add(v);
          } else if constexpr (std::is_same_v<T, ListValue>) {
            for (const auto& item : v) d.Add(item);
          } else if constexpr (std::is_same_v<T, HashValue>) {
            XorInto(d, [&](auto&& f) {
              for (const auto& [field, val] : v) f(field, val);
            });
          } else if constexpr (std::is_same_v<T, SetValue>) {
            XorInto(d, [&](auto&& f) {
              for (const auto& m : v) f(m, {});
            });
          } else {
            for (const auto& [score, member] : v.tree) {
              d.Add(member);
              d.Add(std::string_view(reinterpret_cast<const char*>(&score), sizeof score));
            }
          }
        },
        e.value);
    total_a ^= d.a;
    total_b ^= d.b;
  });
  if (used_ == 0) return std::string(32, '0');
  char buf[33];
  snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(total_a),
           static_cast<unsigned long long>(total_b));
  return buf;
}

}  // namespace reel
