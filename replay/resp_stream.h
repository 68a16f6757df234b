// RESP stream splitting for captured byte streams: a server->client stream
// into whole replies, a client->server stream into commands. Used wherever
// a capture's bytes are read as requests and replies (differential replay,
// latency from the pcap, redaction).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace reel::replay {

// Length of the whole RESP2 reply starting at pos, or 0 when the stream
// holds only part of it (or it is not RESP).
size_t ReplyLength(std::string_view s, size_t pos);

// The whole replies in s, in order; a trailing partial reply is left out.
std::vector<std::string> SplitReplies(std::string_view s);

// The whole commands in s (inline or multibulk, as reel-server parses them).
std::vector<std::vector<std::string>> SplitCommands(std::string_view s);

}  // namespace reel::replay
