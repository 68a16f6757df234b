// RESP framing for the wire side of the analyzers: where each request and
// each reply ends in a captured byte stream. It frames; it does not execute
// or validate beyond what framing needs, and it never allocates per byte.
//   - Requests: multibulk (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) and inline
//     (`PING\r\n`). Empty ones (`\r\n`, `*0\r\n`) get no reply from Redis and
//     are skipped, as the server skips them.
//   - Replies: RESP2 and RESP3, nested to any depth without recursion.
//     RESP3 pushes (`>`) are out-of-band and attributes (`|`) prefix a reply;
//     neither is a reply of its own.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace reel::analyzers {

enum class FrameStatus { kComplete, kNeedMore, kMalformed };

struct FramedRequest {
  uint64_t end = 0;     // offset one past the request's last byte
  bool empty = false;   // nothing to run (Redis sends no reply)
  std::string command;  // argv[0], lowercased (truncated to max_arg_bytes)
  std::string key;      // argv[1] as sent (truncated), "" if none
};

struct FramedReply {
  uint64_t end = 0;
  bool push = false;  // a RESP3 push: not the reply to a request
  char type = 0;      // the first byte of the reply proper
  std::string head;   // first line for + - : replies (like the timeline's head), else the type byte
};

inline constexpr size_t kMaxFramedArgBytes = 64;

// Frames the request that starts at data[pos].
FrameStatus FrameRequest(std::string_view data, uint64_t pos, FramedRequest* out);
// Frames the reply that starts at data[pos].
FrameStatus FrameReply(std::string_view data, uint64_t pos, FramedReply* out);

}  // namespace reel::analyzers
