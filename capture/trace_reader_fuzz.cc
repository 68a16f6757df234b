// libFuzzer target for the event-log reader: any byte string must decode
// without crashing, reading out of bounds or allocating without bound.
//
// Each input is read twice: as given (checksums verified — the path real
// damaged files take) and with checksums ignored, so that random bodies
// reach the per-kind decoders, which a CRC would otherwise shield.
//
// Standalone build:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I. \
//     capture/trace_reader_fuzz.cc capture/trace_reader.cc capture/trace_format.cc \
//     capture/crc32c.cc core/sock_addr.cc -o trace_reader_fuzz
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "capture/trace_reader.h"

namespace {

void ReadEverything(std::string_view data, bool verify) {
  reel::TraceReader reader(data, verify);
  if (!reader.ReadHeader()) {
    if (reader.error().empty()) __builtin_trap();  // a refusal always says why
    return;
  }
  reel::TraceRecord rec;
  uint64_t last_seq = 0;
  while (reader.Next(&rec)) {
    if (rec.seq <= last_seq) __builtin_trap();  // sequence numbers strictly increase
    last_seq = rec.seq;
  }
  if (reader.valid_bytes() + reader.dropped_bytes() != data.size()) __builtin_trap();
  if (reader.damaged() == (reader.dropped_bytes() == 0)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  ReadEverything(input, /*verify=*/true);
  ReadEverything(input, /*verify=*/false);
  return 0;
}
