// libFuzzer target for the packet path: pcap/pcapng parsing, frame decoding
// and TCP reassembly, all from one byte image. Beyond "no crash, no
// out-of-bounds read" (ASan, UBSan), it checks the invariants the replay
// relies on: every record views the image; chunks are in stream order and
// never overlap; gaps never overlap chunks; the stream accessors agree with the
// chunks.
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address -I. replay/tcp_reassembly_fuzz.cc \
//       replay/pcap_file.cc replay/packet_decoder.cc replay/tcp_reassembly.cc \
//       core/sock_addr.cc -o tcp_reassembly_fuzz
//   ./tcp_reassembly_fuzz tests/fuzz/corpus/tcp_reassembly
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "replay/pcap_file.h"
#include "replay/tcp_reassembly.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckDirection(const reel::replay::StreamDirection& d) {
  uint64_t prev_end = 0;
  uint64_t total = 0;
  for (size_t i = 0; i < d.chunks.size(); i++) {
    const auto& c = d.chunks[i];
    Check(!c.bytes.empty());
    Check(i == 0 || c.offset >= prev_end);
    Check(c.readable_ns >= c.timestamp_ns);
    if (i > 0) Check(c.readable_ns >= d.chunks[i - 1].readable_ns);
    prev_end = c.end();
    total += c.bytes.size();
    Check(d.ContiguousEnd(c.offset) >= c.end());
  }
  Check(total == d.bytes_captured);
  Check(d.end_offset >= prev_end);
  // Gaps: ordered, non-empty, and never over a captured byte.
  uint64_t gap_end = 0;
  for (const auto& g : d.gaps) {
    Check(g.length > 0);
    Check(g.offset >= gap_end);
    Check(g.end() <= d.end_offset);
    Check(d.ContiguousEnd(g.offset) == g.offset);
    gap_end = g.end();
  }
  // The accessor gives back the first gap-free run whole.
  if (!d.chunks.empty()) {
    uint64_t first = d.chunks.front().offset;
    auto whole = d.Bytes(first, d.ContiguousEnd(first) - first);
    Check(whole.has_value());
  }
  Check(d.CapturedBytes().size() == total);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view image(reinterpret_cast<const char*>(data), size);
  reel::replay::PcapParse parse = reel::replay::ParsePcap(image);
  for (const auto& r : parse.records) {
    Check(r.bytes.data() >= image.data());
    Check(r.bytes.data() + r.bytes.size() <= image.data() + image.size());
    Check(r.original_length >= r.bytes.size());
  }
  Check(parse.ok() ? parse.bytes_unread == 0 : parse.bytes_unread <= size);

  reel::replay::ReassemblerOptions options;
  options.server_ports = {6379};
  reel::replay::Reassembler reassembler(options);
  for (const auto& r : parse.records) reassembler.Feed(r);
  reel::replay::ReassemblyResult result = reassembler.Finish();
  Check(result.records == parse.records.size());
  Check(result.decode.total() == parse.records.size());
  for (size_t i = 0; i < result.flows.size(); i++) {
    const auto& f = result.flows[i];
    Check(f.id == i);
    Check(f.first_ns <= f.last_ns);
    CheckDirection(f.to_server);
    CheckDirection(f.to_client);
  }
  return 0;
}
