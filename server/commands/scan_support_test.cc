// The hash-order cursor behind HSCAN/SSCAN/ZSCAN of big aggregates, and the
// scan cursor parser shared with SCAN.
#include "server/commands/scan_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace reel {
namespace {

std::string_view Self(const std::string& s) {
  return s;
}

// Runs a whole hash-order scan of `items` with `count`; `between` may change
// the container after each step.
template <typename Container, typename Between>
std::vector<std::string> ScanAll(Container& items, uint64_t count, Between between,
                                 int* steps = nullptr) {
  std::vector<std::string> seen;
  uint64_t cursor = 0;
  int n = 0;
  do {
    ScanBatch<std::string> batch = HashOrderScan(items, cursor, count, Self);
    uint64_t previous = 0;
    for (const std::string* s : batch.items) {
      EXPECT_GE(ScanHash(*s), cursor) << "an element below the cursor came back";
      EXPECT_GE(ScanHash(*s), previous) << "a batch is in hash order";
      previous = ScanHash(*s);
      seen.push_back(*s);
    }
    cursor = batch.next_cursor;
    between(++n);
  } while (cursor != 0 && n < 100000);
  if (steps != nullptr) *steps = n;
  return seen;
}

TEST(HashOrderScan, ReturnsEveryElementExactlyOnce) {
  std::set<std::string> items;
  for (int i = 0; i < 1000; i++) items.insert("m" + std::to_string(i));
  for (uint64_t count : {1u, 7u, 10u, 999u, 1000u, 5000u}) {
    int steps = 0;
    std::vector<std::string> seen = ScanAll(
        items, count, [](int) {}, &steps);
    EXPECT_EQ(seen.size(), items.size()) << "count " << count;
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), items) << "count " << count;
    // COUNT elements a step (no two of these names share a hash), but at
    // least 1/kMaxScanSteps of the whole.
    const uint64_t per_step = std::max<uint64_t>(count, (1000 + kMaxScanSteps - 1) / kMaxScanSteps);
    EXPECT_EQ(steps, static_cast<int>((items.size() + per_step - 1) / per_step))
        << "count " << count;
  }
}

TEST(HashOrderScan, EmptyAndSmallFinishAtOnce) {
  std::vector<std::string> none;
  ScanBatch<std::string> batch = HashOrderScan(none, 0, 10, Self);
  EXPECT_TRUE(batch.items.empty());
  EXPECT_EQ(batch.next_cursor, 0u);
  std::vector<std::string> three = {"a", "b", "c"};
  batch = HashOrderScan(three, 0, 3, Self);
  EXPECT_EQ(batch.items.size(), 3u);
  EXPECT_EQ(batch.next_cursor, 0u);
  batch = HashOrderScan(three, 0, 2, Self);
  EXPECT_EQ(batch.items.size(), 2u);
  EXPECT_NE(batch.next_cursor, 0u);
}

// Elements present for the whole scan come back exactly once, whatever is
// added or removed between steps; removed ones never come back after their
// removal.
TEST(HashOrderScan, SurvivesChangesBetweenSteps) {
  std::set<std::string> items;
  for (int i = 0; i < 500; i++) items.insert("k" + std::to_string(i));
  std::set<std::string> stable = items;
  std::set<std::string> removed;
  int added = 0;
  std::vector<std::string> seen = ScanAll(items, 5, [&](int step) {
    for (int j = 0; j < 20; j++) items.insert("new" + std::to_string(added++));
    std::string victim = "k" + std::to_string(step * 3);
    if (items.erase(victim) != 0) {
      removed.insert(victim);
      stable.erase(victim);
    }
  });
  std::map<std::string, int> times;
  for (const std::string& s : seen) times[s]++;
  for (const std::string& s : stable) EXPECT_EQ(times[s], 1) << s;
  for (const auto& [s, n] : times) EXPECT_EQ(n, 1) << s << " returned twice";
}

// Elements sharing a hash are returned in the same step, so the cursor can
// move past that hash without losing any of them. Copies of one name share
// its hash.
TEST(HashOrderScan, KeepsEqualHashesTogether) {
  std::multiset<std::string> items = {"a", "a", "b", "b", "b", "c"};
  std::string first = "a";
  for (const char* name : {"b", "c"})
    if (ScanHash(name) < ScanHash(first)) first = name;
  ScanBatch<std::string> batch = HashOrderScan(items, 0, 1, Self);
  ASSERT_EQ(batch.items.size(), items.count(first));
  for (const std::string* s : batch.items) EXPECT_EQ(*s, first);
  EXPECT_EQ(batch.next_cursor, ScanHash(first) + 1);
  std::vector<std::string> seen = ScanAll(items, 1, [](int) {});
  EXPECT_EQ(std::multiset<std::string>(seen.begin(), seen.end()), items);
}

TEST(ScanCursor, ParsesLikeStrtoul) {
  EXPECT_EQ(ParseScanCursor("0"), 0u);
  EXPECT_EQ(ParseScanCursor("17"), 17u);
  EXPECT_EQ(ParseScanCursor("+5"), 5u);
  EXPECT_EQ(ParseScanCursor("007"), 7u);
  EXPECT_EQ(ParseScanCursor(""), 0u);
  EXPECT_EQ(ParseScanCursor("-1"), UINT64_MAX);
  EXPECT_EQ(ParseScanCursor("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(ParseScanCursor(std::string_view("3\0junk", 6)), 3u);
  EXPECT_EQ(ParseScanCursor("18446744073709551616"), std::nullopt);
  EXPECT_EQ(ParseScanCursor(" 1"), std::nullopt);
  EXPECT_EQ(ParseScanCursor("1 "), std::nullopt);
  EXPECT_EQ(ParseScanCursor("abc"), std::nullopt);
}

}  // namespace
}  // namespace reel
