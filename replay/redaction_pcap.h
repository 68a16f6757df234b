// Rewriting a capture file with its TCP payload redacted. The file is
// reassembled into connections (tcp_reassembly.h), each connection's streams
// are redacted (redaction_stream.h), and every captured segment's payload
// bytes are replaced by the redacted bytes at the same stream offsets —
// retransmissions included, since they map to the same offsets. Lengths do
// not change, so sequence numbers, the file's record layout (classic pcap
// or pcapng, either byte order) and the event log's offsets stay valid.
//
// Checksums: a TCP checksum that verified before is recomputed over the new
// payload. One that did not — a loopback capture of outgoing segments,
// whose checksum the kernel leaves to the (virtual) NIC, so the field holds
// only the pseudo-header sum — is left as it was: it never covered the
// payload. IPv4 header checksums do not cover payload and do not change.
//
// Fail closed: payload bytes that map to no reassembled stream byte (before
// a mid-stream start, past a FIN, on a RST), copies that differ from the
// stream's first copy, streams of connections taken up mid-stream (their
// first request may be cut), bytes after a gap, and frames that do not
// decode to TCP (fragments, other protocols, damaged frames) are replaced
// by placeholder bytes. A damaged file tail is dropped.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "replay/redaction_placeholder.h"
#include "replay/redaction_roles.h"
#include "replay/redaction_stream.h"
#include "replay/tcp_reassembly.h"

namespace reel::replay {

struct PcapRedactionStats {
  uint64_t records = 0;
  uint64_t tcp_segments_with_payload = 0;
  uint64_t segments_changed = 0;
  uint64_t checksums_recomputed = 0;
  uint64_t checksums_offloaded = 0;       // did not verify before: left as they were
  uint64_t checksums_not_computable = 0;  // snaplen-cut segments
  uint64_t flows = 0;
  uint64_t mid_stream_flows = 0;    // redacted wholesale
  uint64_t unmapped_bytes = 0;      // payload outside the reassembled streams
  uint64_t conflicting_bytes = 0;   // a copy that differed from the stream's first copy
  uint64_t gap_bytes = 0;           // stream bytes after a gap
  uint64_t non_tcp_records = 0;     // frames redacted wholesale
  uint64_t damaged_tail_bytes = 0;  // dropped
  // Client addresses ("127.0.0.1:41000") of connections with stream bytes
  // failed closed: replay cannot compare their replies byte for byte.
  std::vector<std::string> fail_closed_clients;

  nlohmann::json ToJson() const;
};

// Redacts the capture image into *out. False only when the image is not a
// capture file at all (*error says why).
bool RedactPcapImage(std::string_view image, PlaceholderTable* table, RedactMode mode,
                     const ReassemblerOptions& options, std::string* out, RedactionCounts* counts,
                     PcapRedactionStats* stats, std::string* error);

}  // namespace reel::replay
