// Redaction of one TCP connection's two byte streams: the client's requests
// (parsed with reel-server's own RequestParser, arguments classified by
// redaction_roles.h) and the server's replies (split with the RESP reply
// scanner and paired with the requests in order, MULTI/EXEC and CLIENT
// REPLY OFF/SKIP included). Every redacted string becomes its placeholder
// of the same length, in place, so stream offsets — and the event log's
// read/write sizes — stay valid.
//
// Fail closed: bytes the redactor cannot account for — a request cut off
// by the end of the capture, anything after a protocol error, a reply that
// cannot be paired with a request (MONITOR, SUBSCRIBE, RESP3 pushes), a
// reply the scanner cannot read — are replaced by a placeholder wholesale.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "replay/redaction_placeholder.h"
#include "replay/redaction_roles.h"
#include "replay/resp_reply_scanner.h"

namespace reel::replay {

// What was redacted, for meta.json (counts of strings, not bytes, unless
// the name says bytes).
struct RedactionCounts {
  uint64_t commands = 0;
  uint64_t replies = 0;
  // Request arguments, by role.
  uint64_t keys = 0, values = 0, credentials = 0, patterns = 0, range_bounds = 0;
  uint64_t unclassified = 0;  // arguments (and unknown command names) redacted fail-closed
  // Reply strings.
  uint64_t reply_keys = 0, reply_values = 0, reply_credentials = 0;
  uint64_t reply_error_quotes = 0;  // quoted arguments inside error replies
  uint64_t reply_fail_closed = 0;   // strings of replies that could not be paired or modelled
  // Commands whose arguments the grammar could not classify, by name.
  std::map<std::string, uint64_t> fallback_commands;
  uint64_t inline_commands = 0;
  uint64_t fail_closed_request_bytes = 0;
  uint64_t fail_closed_reply_bytes = 0;

  void Add(const RedactionCounts& o);
  nlohmann::json ToJson() const;
};

class ConnectionRedactor {
 public:
  ConnectionRedactor(PlaceholderTable* table, RedactMode mode, RedactionCounts* counts)
      : table_(*table), mode_(mode), counts_(*counts) {}

  // Rewrites the client->server bytes (stream offset 0 to the first gap) in
  // place. Call before RedactReplies: replies are paired with these.
  void RedactRequests(std::string* requests);
  // Rewrites the server->client bytes (offset 0 to the first gap) in place.
  void RedactReplies(std::string* replies);

  // Replaces bytes wholesale (fail closed), counted as request or reply bytes.
  void FailClosed(char* bytes, size_t length, bool requests);

 private:
  // One reply the server owes, in request order.
  struct Expected {
    int replies = 1;  // 0: CLIENT REPLY OFF/SKIP suppressed it
    ReplyLayout layout = ReplyLayout::kNothing;
    // (original, placeholder) of each redacted argument, for error replies
    // that quote arguments ("unknown command 'x', with args beginning with").
    std::vector<std::pair<std::string, std::string>> tokens;
    bool unpaired_after = false;  // SUBSCRIBE, MONITOR: later replies cannot be paired
    bool exec = false;            // EXEC: its array pairs with `queued`
    std::vector<Expected> queued;
  };

  void RedactCommand(std::string* buf, size_t begin, size_t end,
                     const std::vector<std::string_view>& argv, bool is_inline);
  bool InlineSpans(std::string_view line, size_t base, size_t argc,
                   std::vector<std::pair<size_t, size_t>>* spans) const;
  void RedactArg(char* at, size_t length, ArgRole role);
  void ApplyLayout(std::string* buf, const RespReply& reply, const Expected& e, int element);
  void RedactLeaf(std::string* buf, const RespLeaf& leaf, uint64_t* counter);
  void RedactErrorQuotes(std::string* buf, const RespLeaf& leaf, const Expected& e);
  void Track(Expected e, const CommandRoles& roles, const std::vector<std::string_view>& argv);

  PlaceholderTable& table_;
  RedactMode mode_;
  RedactionCounts& counts_;
  std::vector<Expected> expected_;
  // Connection state that changes how replies pair with requests.
  bool in_multi_ = false;
  std::vector<Expected> queued_;
  bool reply_off_ = false;
  bool skip_next_ = false;
};

}  // namespace reel::replay
