// The joins between a bundle's event log, its pcap and the timeline's
// connection ids: conn N is the N-th successful accept in the log (the
// numbering replay gives the timeline), and its TCP flow is the one with
// the accepted peer and local address.
//
// For bundles replay cannot run (a server other than reel-server), the event
// log is also turned into timeline-style events (epoll_wait, accept, read,
// write, close; no commands) so loop iterations and reads can be analyzed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzers/timeline_reader.h"
#include "core/sock_addr.h"
#include "replay/bundle.h"

namespace reel::analyzers {

struct AcceptedConnection {
  uint64_t conn = 0;
  int fd = -1;
  SockAddr peer;
  SockAddr local;
  int64_t t_ns = 0;                       // timeline time of the accept
  const replay::TcpFlow* flow = nullptr;  // into bundle.streams; null when not captured
};

// Every successful accept of the log, in order (conn 1, 2, ...).
std::vector<AcceptedConnection> AcceptedConnections(const replay::Bundle& bundle);

// Timeline time (ns since the recording started) of a pcap timestamp.
int64_t PcapToTimelineNs(const replay::Bundle& bundle, int64_t pcap_ns);

// The event log as timeline events, numbered like replay would number them.
std::vector<TimelineEvent> EventLogAsTimeline(const replay::Bundle& bundle);

}  // namespace reel::analyzers
