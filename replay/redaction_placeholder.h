// Placeholders for `reel capture --redact`: every redacted byte string is
// replaced by a placeholder of the same length, derived from the bytes and a
// per-capture secret with a keyed hash (SipHash-2-4, written here: no new
// dependency). The same bytes get the same placeholder everywhere in a
// capture — a SET's value and the GET reply that returns it, a key in a
// request and in a KEYS reply — so a redacted bundle still replays; without
// the secret (never stored in the bundle) a placeholder cannot be checked
// against a guess of the original, which a plain hash would allow.
//
// Placeholders use the 62 characters [A-Za-z0-9]: safe inside inline
// commands, simple strings and quoted error texts, readable in tshark.
// Two distinct strings of the same length could map to one placeholder
// (likely only for 1-3 byte strings); the table retries with a tweak,
// also when a placeholder would equal its original or a command keyword,
// and counts what it could not separate (`collisions`).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace reel::replay {

using RedactionSecret = std::array<uint8_t, 16>;

// SipHash-2-4 of data under a 128-bit key (the reference algorithm).
uint64_t SipHash24(const RedactionSecret& key, std::string_view data);

// A fresh random secret (getrandom). False if the kernel gives no entropy.
bool NewRedactionSecret(RedactionSecret* out);

class PlaceholderTable {
 public:
  explicit PlaceholderTable(const RedactionSecret& secret);

  // Upper-case words a placeholder must not spell (command keywords such as
  // NX, EX, LIMIT: a placeholder "EX" in an option position would change
  // how the server parses the command).
  void set_reserved_words(std::unordered_set<std::string> words) { reserved_ = std::move(words); }

  // The placeholder of `original`: same length, deterministic for this table.
  std::string Get(std::string_view original);
  // Writes the placeholder over `bytes` in place (same length).
  void Replace(char* bytes, size_t length);

  uint64_t collisions() const { return collisions_; }

 private:
  // The raw derivation: tweak 0 is the first choice, later tweaks retries.
  std::string Derive(std::string_view original, uint32_t tweak) const;
  bool Acceptable(std::string_view original, const std::string& candidate) const;

  RedactionSecret secret_;
  std::unordered_set<std::string> reserved_;
  // Transparent hashing: lookups by string_view allocate nothing (the hot
  // path: millions of short reply strings).
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Short strings only (longer ones cannot realistically collide: 62^16 >
  // 2^95): original -> placeholder, and the reverse to spot collisions.
  std::unordered_map<std::string, std::string, Hash, std::equal_to<>> forward_;
  std::unordered_map<std::string, std::string> taken_;
  uint64_t collisions_ = 0;
};

}  // namespace reel::replay
