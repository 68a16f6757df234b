// ClientScript: what the clients did, independent of the server — each
// connection's handshake time, the bytes it sent with their arrival times,
// its FIN or RST. It is the model-driven replay's input (ModelKernel): the
// server under test decides everything else. Taken from a bundle's pcap, or
// edited (a what-if, a minimized incident) and fed back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/sock_addr.h"
#include "replay/bundle.h"

namespace reel::replay {

struct ScriptChunk {
  int64_t t_ns = 0;  // CLOCK_MONOTONIC of the recording when these bytes arrived
  std::string bytes;
  // How many reply bytes the client had received when it sent these: a
  // client that waits for a reply before its next request waits for it in
  // a what-if run too, however late the reply comes (closed loop).
  uint64_t after_reply_bytes = 0;
};

struct ScriptConnection {
  uint32_t id = 0;  // the TCP flow's id in the bundle (kept so reports can name it)
  SockAddr client;
  SockAddr server;
  int64_t established_ns = 0;
  std::vector<ScriptChunk> chunks;     // in arrival order
  int64_t fin_ns = -1;                 // -1: the client never half-closed
  int64_t reset_ns = -1;               // -1: no RST
  uint64_t fin_after_reply_bytes = 0;  // as ScriptChunk::after_reply_bytes, for the FIN/RST
};

struct ClientScript {
  std::vector<ScriptConnection> connections;  // by handshake time
  int64_t start_mono_ns = 0;                  // the recording's start (time 0 of timelines)
  int64_t end_mono_ns = 0;                    // when the recording stopped the server
  int64_t real_minus_mono_ns = 0;
  std::string problem;  // non-empty: bytes missing from the capture (gaps)
};

// The clients' side of a bundle, from its reassembled pcap. Connections the
// capture holds but the server never saw (other ports) are left out when
// the log names the listening address.
ClientScript ScriptFromBundle(const Bundle& bundle);

// The time of the script's last input (handshake, data, FIN or RST).
int64_t LastInputNs(const ClientScript& script);

}  // namespace reel::replay
