// Test helpers for the HSCAN/SSCAN/ZSCAN unit tests: parse a scan reply and
// run a whole iteration, so the tests can check the cursor's guarantees.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "server/commands/command_test_harness.h"

namespace reel::testing {

struct ScanReply {
  std::string cursor;
  std::vector<std::string> items;  // flat: members, or field/member, value/score pairs
};

// Parses "*2 $cursor *n $item..." (every item a bulk string).
inline ScanReply ParseScanReply(const std::string& r) {
  ScanReply out;
  auto bulk = [&](size_t* pos) {
    size_t eol = r.find("\r\n", *pos);
    size_t len = std::stoul(r.substr(*pos + 1, eol - *pos - 1));
    std::string s = r.substr(eol + 2, len);
    *pos = eol + 2 + len + 2;
    return s;
  };
  size_t pos = r.find("\r\n") + 2;  // *2
  out.cursor = bulk(&pos);
  size_t eol = r.find("\r\n", pos);  // *n
  long n = std::stol(r.substr(pos + 1, eol - pos - 1));
  pos = eol + 2;
  for (long i = 0; i < n; i++) out.items.push_back(bulk(&pos));
  return out;
}

// Runs `command key cursor options...` from cursor 0 until the cursor comes
// back to 0, calling between(call number) after each call (to change the
// aggregate mid-scan). Returns every item seen, with repeats.
inline std::vector<std::string> ScanToEnd(CommandHarness& h, std::string_view command,
                                          std::string_view key,
                                          const std::vector<std::string>& options,
                                          int* calls = nullptr,
                                          const std::function<void(int)>& between = nullptr) {
  std::vector<std::string> items;
  std::string cursor = "0";
  int n = 0;
  do {
    std::vector<std::string_view> args = {command, key, cursor};
    args.insert(args.end(), options.begin(), options.end());
    ScanReply page = ParseScanReply(h.Run(args));
    items.insert(items.end(), page.items.begin(), page.items.end());
    cursor = page.cursor;
    n++;
    if (between) between(n);
  } while (cursor != "0" && n < 1000000);
  if (calls != nullptr) *calls = n;
  return items;
}

}  // namespace reel::testing
