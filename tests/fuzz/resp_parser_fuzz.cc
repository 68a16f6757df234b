// libFuzzer target for the RESP request parser. The first byte picks a read
// chunk size so the fuzzer also explores commands split across reads; the
// parser must never crash, never read outside the buffer (ASan), never
// report consuming more than it was given, and must give the same commands
// whatever the chunking.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "server/request_parser.h"

namespace {

std::vector<std::vector<std::string>> Parse(const std::string& input, size_t chunk,
                                            std::string* error) {
  reel::RequestParser parser;
  reel::ParserLimits limits;
  limits.inline_max_size = 256;  // small limits reach the error paths quickly
  limits.proto_max_bulk_len = 4096;
  std::vector<std::vector<std::string>> out;
  std::vector<std::string_view> argv;
  std::string buf;
  size_t fed = 0;
  while (fed < input.size()) {
    size_t n = std::min(chunk, input.size() - fed);
    buf.append(input, fed, n);
    fed += n;
    size_t pos = 0;
    while (true) {
      reel::ParseStatus st = parser.Next(buf, &pos, limits, &argv, error);
      if (pos > buf.size()) std::abort();
      if (st == reel::ParseStatus::kCommand) {
        // Copying the views reads every argument byte: ASan flags any view
        // that points outside live memory.
        out.emplace_back(argv.begin(), argv.end());
      } else if (st == reel::ParseStatus::kError) {
        return out;
      } else if (st == reel::ParseStatus::kNeedMore) {
        break;
      }
    }
    buf.erase(0, pos);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t chunk = static_cast<size_t>(data[0] % 64) + 1;
  std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string e1, e2;
  auto whole = Parse(input, input.size() + 1, &e1);
  auto split = Parse(input, chunk, &e2);
  // Chunking may only change how far we got before an error, never which
  // commands were produced before it.
  size_t n = std::min(whole.size(), split.size());
  for (size_t i = 0; i < n; i++)
    if (whole[i] != split[i]) std::abort();
  if (e1.empty() && e2.empty() && whole != split) std::abort();
  return 0;
}
