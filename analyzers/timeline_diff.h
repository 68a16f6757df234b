// Semantic diff of two replay timelines (docs/analyzers.md, `reel diff`).
//
// Events are aligned on what they are, not on seq or t_ns: each event has a
// key (kind + connection + fd + readiness masks; a command's name and
// arguments; a reply's connection and the command it answers) and a content
// (the rest of its non-timing fields: byte counts, return values, a reply's
// bytes/head/digest). Equal keys align; aligned events whose content differs
// are "changed". Unaligned events are "deleted" (only in A) or "inserted"
// (only in B), and a deleted and an inserted event with the same key within
// the look-ahead window pair up as one "reordered" event. Times never count
// as a difference; their drift is reported separately.
//
// Both inputs stream: the diff holds a bounded window of events per side
// (DiffOptions::window), so memory does not grow with the timelines.
//
// Typical use (whatif compares a recorded replay with a what-if replay):
//
//   TimelineReader a, b;
//   a.OpenText(recorded.timeline);
//   b.OpenText(whatif.timeline);
//   DiffResult d = DiffTimelines(a, b);
//   if (!d.ok) ...d.error...
//   for (const ReplyDifference& r : d.replies) ...r.conn, r.command, r.a->digest...
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analyzers/timeline_reader.h"

namespace reel::analyzers {

struct DiffOptions {
  // Events shown before the first divergence, and after it (the divergent
  // event itself is shown too).
  size_t context = 3;
  // Events of look-ahead per side used to re-synchronise after a difference
  // and to pair a moved event with its new place. A move farther than this
  // reads as a deletion plus an insertion. Memory and the worst-case cost
  // per difference grow with it.
  size_t window = 512;
  // Reply differences kept in DiffResult::replies (all are counted).
  size_t max_replies = 100;
  // Event kinds left out on both sides (e.g. "timer" when comparing runs
  // whose clocks advance differently).
  std::vector<std::string> ignore_kinds;
};

enum class Change { kInserted, kDeleted, kReordered, kChanged };
const char* ChangeName(Change change);  // "inserted", "deleted", "reordered", "changed"

struct ChangeCounts {
  uint64_t inserted = 0;   // only in B
  uint64_t deleted = 0;    // only in A
  uint64_t reordered = 0;  // in both, at a different place (counted once per pair)
  uint64_t changed = 0;    // aligned (in place or reordered) with different content
  uint64_t total() const { return inserted + deleted + reordered + changed; }
  bool operator==(const ChangeCounts&) const = default;
};

// One side of a reply difference.
struct ReplySide {
  uint64_t seq = 0;
  int64_t t_ns = 0;
  uint64_t bytes = 0;
  std::string head;
  std::string digest;
  std::string command;  // the command it answers on its connection ("get k"), "" if none
};

// A reply present on one side only, or present on both with different bytes.
struct ReplyDifference {
  Change change = Change::kChanged;  // kChanged: both set; kDeleted: only a; kInserted: only b
  bool reordered = false;            // kChanged and also at a different place
  uint64_t conn = 0;
  std::optional<ReplySide> a, b;
  // The command that produced it: A's (B's for an insertion).
  const std::string& command() const { return a ? a->command : b->command; }
};

struct FirstDivergence {
  bool found = false;
  // What the divergent event turned out to be. kChanged: the events at
  // a_seq and b_seq align but differ; otherwise the event at `side`.
  Change change = Change::kChanged;
  char side = 'a';     // 'a' or 'b': whose event diverges (kChanged: 'a', with b_seq its partner)
  uint64_t a_seq = 0;  // the events each side had at the divergence (0: that side had ended)
  uint64_t b_seq = 0;
  uint64_t matched_before = 0;           // events aligned in order before it
  TimelineEvent event;                   // the divergent event (from `side`)
  uint64_t counterpart_seq = 0;          // kReordered: its seq on the other side; kChanged: b_seq
  std::vector<TimelineEvent> context_a;  // up to `context` events before, then the
  std::vector<TimelineEvent> context_b;  // event at the divergence and `context` after
  size_t mark_a = 0;  // index of the divergence point in context_a (== size: A had ended)
  size_t mark_b = 0;
};

struct TimingDrift {
  uint64_t shifted = 0;  // events aligned in place whose t_ns differ
  int64_t max_abs_dt_ns = 0;
  uint64_t a_seq = 0;  // where the largest |Δt| is
  uint64_t b_seq = 0;
};

struct DiffResult {
  bool ok = false;    // false: an input could not be read (error says which and where)
  std::string error;  // one line
  TimelineHeader a_header, b_header;
  uint64_t a_events = 0;  // events compared (after DiffOptions::ignore_kinds)
  uint64_t b_events = 0;
  uint64_t matched = 0;  // aligned in place (including changed ones)
  ChangeCounts totals;
  std::map<std::string, ChangeCounts> by_kind;
  std::map<uint64_t, ChangeCounts> by_conn;  // 0: events of no connection (epoll_wait, timer)
  FirstDivergence first;
  std::vector<ReplyDifference> replies;  // in order of discovery, at most max_replies
  uint64_t replies_total = 0;
  TimingDrift timing;

  bool identical() const { return ok && !first.found && totals.total() == 0; }
};

// Diffs two freshly opened readers (the headers are read here). Streams
// both; never holds more than about 2 * options.window events.
DiffResult DiffTimelines(TimelineReader& a, TimelineReader& b, const DiffOptions& options = {},
                         const std::string& name_a = "A", const std::string& name_b = "B");
// Opens each path as a timeline file or bundle directory (TimelineReader::Open).
DiffResult DiffTimelinePaths(const std::string& a, const std::string& b,
                             const DiffOptions& options = {});

// One line per event for people: "reply conn=1 7B +PONG ee77ab5309931065".
std::string EventText(const TimelineEvent& e);
// A command as people type it, "get k", bytes outside printable ASCII as
// \xNN and cut at 80 characters.
std::string CommandText(const TimelineEvent& command);
// The human report (docs/analyzers.md shows one); a and b label the inputs.
void PrintDiff(const DiffResult& d, const std::string& a, const std::string& b, FILE* out);
// One JSON object (schema in docs/analyzers.md).
std::string DiffToJson(const DiffResult& d, const std::string& a, const std::string& b);

}  // namespace reel::analyzers
