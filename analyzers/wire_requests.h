// WireRequests: request/reply pairs seen on the wire. Each connection's
// client->server stream is framed into RESP requests and its server->client
// stream into replies; the n-th request is answered by the n-th reply (RESP
// is in order per connection). Times are those of the captured packets,
// converted to timeline time (ns since the recording started):
//   t_request_ns: the request's last byte became readable at the server
//                 (StreamChunk::readable_ns of the chunk holding it);
//   t_reply_ns:   the packet carrying the reply's last byte was captured.
// A capture gap, a mid-stream flow or unparsable bytes end a connection's
// measurement at that point; `notes` says where, never silently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzers/bundle_connections.h"
#include "analyzers/request_spans.h"
#include "replay/bundle.h"

namespace reel::analyzers {

struct WireRequest {
  uint64_t conn = 0;  // timeline connection id; 0 when no accept in the log matches the flow
  uint32_t flow = 0;  // the pcap flow id
  std::string peer;   // client address
  uint64_t index_in_conn = 0;
  std::string command;  // lowercased, truncated to 64 bytes
  std::string key;
  uint64_t request_end = 0;  // stream offsets one past the last byte
  uint64_t reply_end = 0;
  int64_t t_request_ns = 0;
  int64_t t_reply_ns = kNoTime;  // kNoTime: no reply captured
  std::string reply_head;

  bool complete() const { return t_reply_ns != kNoTime; }
  int64_t latency_ns() const { return complete() ? t_reply_ns - t_request_ns : kNoTime; }
};

struct WireRequests {
  std::vector<WireRequest> requests;  // by t_request_ns, then connection
  std::vector<std::string> notes;     // what could not be measured, one line each
  uint64_t flows = 0;
  uint64_t unanswered = 0;  // requests with no reply captured
};

WireRequests CollectWireRequests(const replay::Bundle& bundle,
                                 const std::vector<AcceptedConnection>& accepted);

}  // namespace reel::analyzers
