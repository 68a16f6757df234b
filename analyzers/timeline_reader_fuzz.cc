// libFuzzer target for the timeline reader and the diff built on it: any
// text must read without crashing, reading out of bounds or allocating
// without bound, and
//   - every line the fast parser accepts reads exactly as the JSON library
//     reads it (the fast path may decline, never disagree);
//   - a timeline diffed against itself is identical, and any diff balances
//     (each event aligned in place, unaligned, or half of a reordered pair).
//
// Standalone build:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I. \
//     analyzers/timeline_reader_fuzz.cc analyzers/timeline_reader.cc \
//     analyzers/timeline_fast_parser.cc analyzers/timeline_diff.cc \
//     analyzers/timeline_diff_format.cc -o timeline_reader_fuzz
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "analyzers/timeline_diff.h"
#include "analyzers/timeline_reader.h"

namespace {

using reel::analyzers::DiffResult;
using reel::analyzers::TimelineEvent;

void CheckLines(std::string_view text) {
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    TimelineEvent fast, reference;
    std::string error;
    bool fast_ok = reel::analyzers::ParseTimelineEventFast(line, &fast);
    bool json_ok = reel::analyzers::ParseTimelineEventJson(line, &reference, &error);
    if (fast_ok && !(json_ok && fast == reference)) __builtin_trap();
    if (!json_ok && error.empty()) __builtin_trap();  // a refusal always says why
    pos = nl + 1;
  }
}

void CheckBalanced(const DiffResult& d) {
  if (d.a_events != d.matched + d.totals.deleted + d.totals.reordered) __builtin_trap();
  if (d.b_events != d.matched + d.totals.inserted + d.totals.reordered) __builtin_trap();
}

DiffResult Diff(std::string a, std::string b) {
  reel::analyzers::TimelineReader ra, rb;
  ra.OpenText(std::move(a));
  rb.OpenText(std::move(b));
  reel::analyzers::DiffOptions options;
  options.window = 16;  // small, so short inputs exercise re-synchronisation and expiry
  DiffResult d = reel::analyzers::DiffTimelines(ra, rb, options);
  if (!d.ok && d.error.empty()) __builtin_trap();
  // Rendering must cope with whatever was read.
  if (d.ok) {
    (void)reel::analyzers::DiffToJson(d, "a", "b");
    for (const TimelineEvent& e : d.first.context_a) (void)reel::analyzers::EventText(e);
  }
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckLines(input);

  DiffResult self = Diff(std::string(input), std::string(input));
  if (self.ok) {
    if (!self.identical()) __builtin_trap();
    CheckBalanced(self);
  }
  // The input against itself with the second half of its lines dropped and
  // the first event line repeated at the end: unaligned events of both sides.
  size_t half = input.find('\n', input.size() / 2);
  if (half != std::string_view::npos) {
    std::string b(input.substr(0, half + 1));
    size_t first = input.find('\n');
    size_t second = input.find('\n', first + 1);
    if (first != std::string_view::npos && second != std::string_view::npos)
      b += std::string(input.substr(first + 1, second - first));
    DiffResult d = Diff(std::string(input), b);
    if (d.ok) CheckBalanced(d);
  }
  return 0;
}
