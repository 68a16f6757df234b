// The server's send side as the capture shows it, for the kernel model: when
// the client acknowledged which bytes (the ACKs that free the send buffer),
// when the server put which bytes on the wire (what is in flight), and the
// handshake's parameters that size the send buffer (the client's MSS option,
// window scaling, timestamps, its largest window). The reassembly keeps only
// payload; this reads the packets again for their headers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "replay/bundle.h"
#include "replay/socket_model.h"

namespace reel::replay {

struct SendSideEvent {
  enum class Type : uint8_t { kSent = 0, kAck = 1 };
  int64_t t_ns = 0;  // CLOCK_MONOTONIC of the recording (the capture stamp)
  Type type = Type::kAck;
  uint32_t flow = 0;
  uint64_t offset = 0;  // kSent: end of the bytes sent; kAck: bytes acknowledged
};

struct SendSide {
  std::vector<SendSideEvent> events;  // sorted by (t_ns, flow, type, offset)
  // Flows whose handshake was captured: the kernel's send-buffer parameters
  // for the server's socket (expand_factor is left to the caller).
  std::map<uint32_t, model::SendTuning> tuning;
  std::string problem;  // why there are no events (no pcap, unreadable), else empty
};

// Reads DIR/packets.pcap again; flows are the bundle's reassembled ones.
SendSide BuildSendSide(const Bundle& bundle);

}  // namespace reel::replay
