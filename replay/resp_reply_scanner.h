// A scanner for server replies in RESP2 and RESP3: finds where one reply
// ends and where each of its scalar elements (bulk strings, simple strings,
// errors, numbers, ...) lies, without copying. The redaction pass uses it to
// pair replies with requests and rewrite the bulk strings that carry keys
// and values; the replay uses it to split a recorded reply stream.
//
// It is iterative (a deeply nested reply cannot exhaust the stack) and never
// reads past the buffer: a reply cut short is kNeedMore, nonsense is
// kMalformed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace reel::replay {

struct RespLeaf {
  // The RESP type byte: '$' bulk, '=' verbatim, '!' bulk error, '+' simple,
  // '-' error, ':' integer, ',' double, '#' boolean, '(' big number, '_' null
  // (also $-1 and *-1).
  char type = 0;
  size_t offset = 0;  // the content (a bulk's bytes, a simple string's text)
  size_t length = 0;
  // Which element of the top-level aggregate holds it (-1 when the reply is
  // itself a scalar); used to pair an EXEC reply's elements with commands.
  int top_index = -1;
  bool in_attribute = false;  // inside a RESP3 attribute, not the reply proper
};

enum class RespScan { kComplete, kNeedMore, kMalformed };

struct RespReply {
  char type = 0;  // the reply's own type byte ('*', '$', '-', '>', ...)
  size_t begin = 0, end = 0;
  int top_elements = -1;  // elements of a top-level aggregate (-1: scalar or null)
  std::vector<RespLeaf> leaves;
};

// Scans the reply that starts at buf[pos]. On kComplete fills *out.
RespScan ScanReply(std::string_view buf, size_t pos, RespReply* out);

}  // namespace reel::replay
