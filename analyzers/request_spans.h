// RequestSpans: the structure the analyzers share, built in one pass over a
// replay timeline (docs/timeline.md):
//   - requests: every command, from its dispatch to the write that put the
//     last byte of its reply on the socket;
//   - iterations: every turn of the event loop, from an epoll_wait's return
//     to the next epoll_wait's entry, with what ran in it;
//   - connections: accept to close.
// A plain library: no printing, no policy. `reel latency`, `reel fairness`,
// `reel export` and `reel report` read these.
//
//   RequestSpans spans;
//   std::string error;
//   if (!LoadRequestSpans("traces/debug_sleep_stall", &spans, &error)) ...
//   for (const RequestSpan& r : spans.requests) r.latency_ns() ...
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "analyzers/timeline_reader.h"

namespace reel::analyzers {

inline constexpr int64_t kNoTime = -1;

struct RequestSpan {
  uint64_t index = 0;  // position among the timeline's commands (0, 1, 2, ...)
  uint64_t seq = 0;    // the command event's seq
  uint64_t conn = 0;
  std::string command;  // lowercased name
  std::string key;      // first argument as the timeline holds it (may be truncated); "" if none
  uint64_t argc = 0;
  int64_t t_dispatch_ns = 0;  // the command event (the read that completed it)
  // The last read on this connection with data before the command: when its
  // bytes were read (a pipelined command's t_dispatch_ns is later: it waits
  // for the commands ahead of it). t_dispatch_ns when there was none.
  int64_t t_arrival_ns = 0;
  // The write on this connection that completed the reply's last byte;
  // kNoTime when it never was (connection closed first, or the timeline
  // ended). A reply of 0 bytes counts as written when it was produced.
  int64_t t_reply_written_ns = kNoTime;
  bool replied = false;  // a reply event was seen for it
  // The reply event: the command had run and its reply was queued. Minus
  // t_dispatch_ns, roughly the command's own run time (the timeline's clock
  // moves at kernel calls, such as the clock reads around a command).
  int64_t t_reply_produced_ns = kNoTime;
  uint64_t reply_bytes = 0;
  std::string reply_head;  // "+OK", "-ERR ...", ":1", or the type byte ("$", "*")
  // The event-loop iteration the command ran in; -1 before the first
  // epoll_wait returned.
  int64_t iteration = -1;

  bool complete() const { return t_reply_written_ns != kNoTime; }
  int64_t latency_ns() const { return complete() ? t_reply_written_ns - t_dispatch_ns : kNoTime; }
};

// One read the loop made in an iteration (the order they appear is the
// order the loop served connections).
struct IterationRead {
  uint64_t conn = 0;
  int64_t t_ns = 0;
  int64_t bytes = 0;  // ret: > 0 data, 0 EOF, < 0 error (EAGAIN, ...)
};

struct LoopIteration {
  uint64_t index = 0;      // 0, 1, 2, ... in loop order
  uint64_t seq = 0;        // the epoll_wait event's seq
  int64_t t_start_ns = 0;  // the epoll_wait returned
  // The next epoll_wait was entered (its t_ns - wait_ns); for the last
  // iteration, the time of the last event seen.
  int64_t t_end_ns = 0;
  int64_t wait_ns = 0;  // how long the epoll_wait that started it blocked
  int maxevents = 0;
  int64_t ret = 0;
  std::vector<ReadyEntry> ready;   // as the kernel returned them
  std::vector<uint64_t> requests;  // indices into RequestSpans::requests
  std::vector<IterationRead> reads;
  uint64_t bytes_written = 0;
  uint64_t accepts = 0;
  uint64_t timers = 0;
  // The longest time between two consecutive events of the iteration (its
  // start, its events, its end), and the event that ended it: a command's
  // reply (the command ran that long), a write or read (the call blocked, or
  // the thread was descheduled), "end" (up to the next epoll_wait's entry).
  int64_t longest_step_ns = 0;
  std::string longest_step_kind;
  uint64_t longest_step_conn = 0;

  int64_t busy_ns() const { return t_end_ns - t_start_ns; }
  size_t ready_count() const { return ready.size(); }
};

struct ConnectionSpan {
  uint64_t conn = 0;
  int fd = -1;
  std::string peer;  // "127.0.0.1:46296"
  int64_t t_accept_ns = kNoTime;
  int64_t t_close_ns = kNoTime;  // kNoTime: still open at the end
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  uint64_t requests = 0;
  // Reply bytes produced vs written: a difference at the end is output the
  // client never got.
  uint64_t reply_bytes = 0;
};

struct RequestSpans {
  TimelineHeader header;
  std::vector<RequestSpan> requests;  // dispatch order
  std::vector<LoopIteration> iterations;
  std::map<uint64_t, ConnectionSpan> connections;  // by conn id
  int64_t t_last_ns = 0;                           // the last event's time
  std::string verdict;                             // the end event's, "" when the timeline has none
  // Written bytes on a connection beyond every reply the timeline reported
  // (a protocol-error reply has no reply event): counted, never attributed.
  uint64_t unattributed_written_bytes = 0;
};

// Builds RequestSpans event by event; Finish() closes the last iteration.
class RequestSpanBuilder {
 public:
  explicit RequestSpanBuilder(TimelineHeader header = {});
  void Add(const TimelineEvent& e);
  RequestSpans Finish();

 private:
  struct ConnState {
    uint64_t reply_end = 0;  // cumulative reply bytes produced
    uint64_t written = 0;    // cumulative bytes written
    // Requests whose reply is produced but not yet fully written, with the
    // cumulative offset their reply ends at; oldest first.
    std::vector<std::pair<uint64_t, uint64_t>> unwritten;  // (request index, reply end)
    std::vector<uint64_t> awaiting_reply;                  // request indices, oldest first
    int64_t last_read_ns = kNoTime;                        // the last read that returned data
  };
  void OnWrite(const TimelineEvent& e);
  LoopIteration* current();

  void Step(int64_t t_ns, const std::string& kind, uint64_t conn);

  RequestSpans out_;
  std::map<uint64_t, ConnState> conns_;
  int64_t last_t_ns_ = 0;  // the current iteration's previous event
};

// Reads the header and every event of an opened reader.
bool BuildRequestSpans(TimelineReader& reader, RequestSpans* out, std::string* error);
// Opens a timeline file or replays a bundle directory (TimelineReader::Open).
bool LoadRequestSpans(const std::string& path, RequestSpans* out, std::string* error);

}  // namespace reel::analyzers
