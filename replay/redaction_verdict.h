// Replay of a redacted bundle (meta.json has "redaction"): which reply
// differences redaction explains.
//
// Placeholders keep every string's length and identity, so most commands
// replay to exactly the recorded (redacted) bytes. Some cannot:
//   * arithmetic on a redacted number (INCR, HINCRBY, INCRBYFLOAT...): the
//     placeholder is not a number;
//   * partial content (APPEND, SETRANGE, GETRANGE, LCS, bit operations): the
//     placeholder of a part is not a part of the placeholder;
//   * order that depends on the bytes: hash-table order (KEYS, SCAN,
//     SMEMBERS, HGETALL, SRANDMEMBER, SPOP, RANDOMKEY — reel-server's tables
//     are seeded, and other bytes hash elsewhere), lexicographic order (SORT
//     ALPHA, ZRANGEBYLEX, members with equal scores in ZRANGE/ZPOPMIN),
//     glob patterns (KEYS, SCAN MATCH) that no longer match;
//   * encodings (OBJECT ENCODING, MEMORY USAGE, DUMP): a number is stored
//     as an integer, its placeholder as a string;
//   * a key such a command changed (SPOP removed another member, INCR
//     failed instead of storing): later replies about that key;
//   * commands whose arguments were redacted fail-closed, and connections
//     the redaction could not fully parse (meta.json lists both).
// The recorded replies are split per connection and paired with the
// replayed ones; a difference on such a command is "not comparable under
// redaction" (named, with its connection); any other difference is a real
// divergence. The final keyspace digest was computed over the original
// bytes, so it is not comparable once anything stored was redacted.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "replay/bundle.h"
#include "replay/reel_replay.h"

namespace reel::replay {

struct RedactionVerdict {
  bool redacted = false;
  std::string mode;
  bool digest_comparable = true;  // nothing stored was redacted
  uint64_t replies_compared = 0;
  uint64_t replies_not_comparable = 0;
  std::map<std::string, uint64_t> not_comparable_by_command;  // upper-case names
  std::string first_not_comparable;  // "INCR on conn 2 (its 3rd command): arithmetic ..."
  uint64_t replies_diverging = 0;    // differences redaction does not explain
  std::string first_diverging;
  uint64_t last_conn = 0;       // the connection of the last replayed command
  bool last_explained = false;  // the last replayed command's reply differed, explained
  // Set by ApplyRedactionVerdict: every byte difference (and a divergence at
  // a write, where the replay stopped) is explained by redaction.
  bool explains_differences = false;
  bool digest_not_comparable = false;  // the digest differed and is not comparable
};

struct ReplayVerdict;

// True when meta.json says the bundle was redacted.
bool BundleIsRedacted(const Bundle& bundle);

// Decides, command by command in execution order, whether a reply
// difference is explained by redaction, tracking the keys that commands
// redaction cannot follow have changed. Built from meta.json's "redaction".
class RedactionExplainer {
 public:
  explicit RedactionExplainer(const nlohmann::json& redaction_meta);

  // One executed command (argv as replayed: placeholders) and whether its
  // reply differed from the recording; client is the connection's client
  // address ("127.0.0.1:41000"). Returns why redaction explains the
  // difference, or "" (no difference, or a real one). *name gets the
  // command's upper-case name for reports.
  std::string Observe(const std::vector<std::string>& argv, bool reply_differs,
                      const std::string& client, std::string* name);

  // Nothing that reaches the keyspace was redacted.
  bool digest_comparable() const { return digest_comparable_; }

 private:
  std::set<std::string> fallback_;
  std::set<std::string> fail_closed_clients_;
  std::unordered_set<std::string> tainted_;  // keys, as replayed (placeholders)
  bool digest_comparable_ = true;
};

// Pairs every replayed reply with the recorded one on its connection and
// classifies the differences.
RedactionVerdict ExplainUnderRedaction(const Bundle& bundle,
                                       const std::vector<ReplayedCommand>& commands);

// Folds the explanation into a recorded-schedule verdict: fills
// verdict->redaction, stops counting a digest that is not comparable as
// checked, and marks byte differences (and a divergence at a write) that
// redaction explains.
void ApplyRedactionVerdict(const Bundle& bundle, const std::vector<ReplayedCommand>& commands,
                           ReplayVerdict* verdict);

// The verdict text when everything comparable reproduced and some replies
// were not comparable (ReplayVerdict::not_comparable()).
std::string DescribeNotComparable(const ReplayVerdict& verdict);
// Extra lines for a diverged replay of a redacted bundle.
std::string RedactionNote(const ReplayVerdict& verdict);

}  // namespace reel::replay
