#include "replay/redaction_placeholder.h"

#include <sys/random.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <functional>

namespace reel::replay {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr unsigned kAlphabetSize = 62;
// Bytes at or above this are rejected so every character is equally likely.
constexpr unsigned kRejectFrom = 248;  // 4 * 62
// Strings shorter than this are remembered to detect collisions.
constexpr size_t kTrackedLength = 16;
constexpr uint32_t kMaxTweaks = 64;

uint64_t Rotl(uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

uint64_t Le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

void SipRound(uint64_t& v0, uint64_t& v1, uint64_t& v2, uint64_t& v3) {
  v0 += v1;
  v1 = Rotl(v1, 13);
  v1 ^= v0;
  v0 = Rotl(v0, 32);
  v2 += v3;
  v3 = Rotl(v3, 16);
  v3 ^= v2;
  v0 += v3;
  v3 = Rotl(v3, 21);
  v3 ^= v0;
  v2 += v1;
  v1 = Rotl(v1, 17);
  v1 ^= v2;
  v2 = Rotl(v2, 32);
}

}  // namespace

uint64_t SipHash24(const RedactionSecret& key, std::string_view data) {
  const uint64_t k0 = Le64(key.data()), k1 = Le64(key.data() + 8);
  uint64_t v0 = 0x736f6d6570736575ull ^ k0;
  uint64_t v1 = 0x646f72616e646f6dull ^ k1;
  uint64_t v2 = 0x6c7967656e657261ull ^ k0;
  uint64_t v3 = 0x7465646279746573ull ^ k1;
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  const size_t n = data.size();
  const size_t whole = n - n % 8;
  for (size_t i = 0; i < whole; i += 8) {
    uint64_t m = Le64(p + i);
    v3 ^= m;
    SipRound(v0, v1, v2, v3);
    SipRound(v0, v1, v2, v3);
    v0 ^= m;
  }
  uint64_t last = static_cast<uint64_t>(n & 0xff) << 56;
  for (size_t i = 0; i < n % 8; i++) last |= static_cast<uint64_t>(p[whole + i]) << (8 * i);
  v3 ^= last;
  SipRound(v0, v1, v2, v3);
  SipRound(v0, v1, v2, v3);
  v0 ^= last;
  v2 ^= 0xff;
  for (int i = 0; i < 4; i++) SipRound(v0, v1, v2, v3);
  return v0 ^ v1 ^ v2 ^ v3;
}

bool NewRedactionSecret(RedactionSecret* out) {
  size_t got = 0;
  while (got < out->size()) {
    ssize_t n = ::getrandom(out->data() + got, out->size() - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

PlaceholderTable::PlaceholderTable(const RedactionSecret& secret) : secret_(secret) {}

std::string PlaceholderTable::Derive(std::string_view original, uint32_t tweak) const {
  // seed = H(tweak || original); the characters come from H(seed || counter),
  // so a long string costs one pass over it plus one short hash per 8 bytes.
  std::string head(4, '\0');
  std::memcpy(head.data(), &tweak, 4);
  head.append(original);
  const uint64_t seed = SipHash24(secret_, head);
  std::string out;
  out.reserve(original.size());
  uint8_t block[16];
  std::memcpy(block, &seed, 8);
  for (uint64_t counter = 0; out.size() < original.size(); counter++) {
    std::memcpy(block + 8, &counter, 8);
    uint64_t h = SipHash24(secret_, std::string_view(reinterpret_cast<char*>(block), 16));
    for (int i = 0; i < 8 && out.size() < original.size(); i++) {
      unsigned b = static_cast<unsigned>((h >> (8 * i)) & 0xff);
      if (b < kRejectFrom) out.push_back(kAlphabet[b % kAlphabetSize]);
    }
  }
  return out;
}

bool PlaceholderTable::Acceptable(std::string_view original, const std::string& candidate) const {
  if (candidate == original) return false;
  if (!reserved_.empty() && candidate.size() <= 24) {
    std::string upper = candidate;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (reserved_.count(upper)) return false;
  }
  auto it = taken_.find(candidate);
  return it == taken_.end() || it->second == original;
}

std::string PlaceholderTable::Get(std::string_view original) {
  if (original.empty()) return std::string();
  if (original.size() >= kTrackedLength) return Derive(original, 0);
  if (auto it = forward_.find(original); it != forward_.end()) return it->second;
  std::string key(original);
  std::string chosen;
  for (uint32_t tweak = 0; tweak < kMaxTweaks; tweak++) {
    std::string candidate = Derive(original, tweak);
    if (Acceptable(original, candidate)) {
      chosen = std::move(candidate);
      break;
    }
  }
  if (chosen.empty()) {
    // Every retry was taken (e.g. more than 62 distinct one-byte strings):
    // share a placeholder rather than keep the original.
    collisions_++;
    for (uint32_t tweak = 0; chosen.empty() || chosen == original; tweak++)
      chosen = Derive(original, tweak);
  }
  taken_.emplace(chosen, key);
  forward_.emplace(std::move(key), chosen);
  return chosen;
}

void PlaceholderTable::Replace(char* bytes, size_t length) {
  std::string_view original(bytes, length);
  if (length > 0 && length < kTrackedLength) {
    if (auto it = forward_.find(original); it != forward_.end()) {
      std::memcpy(bytes, it->second.data(), length);
      return;
    }
  }
  std::string p = Get(original);
  std::memcpy(bytes, p.data(), length);
}

}  // namespace reel::replay
