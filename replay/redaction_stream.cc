#include "replay/redaction_stream.h"

#include <cctype>

#include "replay/resp_reply_scanner.h"
#include "server/request_parser.h"

namespace reel::replay {

namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsOneOf(std::string_view name, std::initializer_list<const char*> list) {
  for (const char* n : list)
    if (name == n) return true;
  return false;
}

}  // namespace

void RedactionCounts::Add(const RedactionCounts& o) {
  commands += o.commands;
  replies += o.replies;
  keys += o.keys;
  values += o.values;
  credentials += o.credentials;
  patterns += o.patterns;
  range_bounds += o.range_bounds;
  unclassified += o.unclassified;
  reply_keys += o.reply_keys;
  reply_values += o.reply_values;
  reply_credentials += o.reply_credentials;
  reply_error_quotes += o.reply_error_quotes;
  reply_fail_closed += o.reply_fail_closed;
  for (const auto& [name, n] : o.fallback_commands) fallback_commands[name] += n;
  inline_commands += o.inline_commands;
  fail_closed_request_bytes += o.fail_closed_request_bytes;
  fail_closed_reply_bytes += o.fail_closed_reply_bytes;
}

nlohmann::json RedactionCounts::ToJson() const {
  nlohmann::json fallback = nlohmann::json::object();
  for (const auto& [name, n] : fallback_commands) fallback[name] = n;
  return {
      {"commands", commands},
      {"replies", replies},
      {"requests",
       {{"keys", keys},
        {"values", values},
        {"credentials", credentials},
        {"patterns", patterns},
        {"range_bounds", range_bounds},
        {"unclassified", unclassified}}},
      {"replies_redacted",
       {{"keys", reply_keys},
        {"values", reply_values},
        {"credentials", reply_credentials},
        {"error_quotes", reply_error_quotes},
        {"fail_closed", reply_fail_closed}}},
      {"fallback_commands", fallback},
      {"inline_commands", inline_commands},
      {"fail_closed_bytes",
       {{"requests", fail_closed_request_bytes}, {"replies", fail_closed_reply_bytes}}},
  };
}

void ConnectionRedactor::FailClosed(char* bytes, size_t length, bool requests) {
  if (length == 0) return;
  table_.Replace(bytes, length);
  (requests ? counts_.fail_closed_request_bytes : counts_.fail_closed_reply_bytes) += length;
}

// --------------------------------------------------------------- requests

void ConnectionRedactor::RedactRequests(std::string* requests) {
  std::string& b = *requests;
  RequestParser parser;
  ParserLimits limits;  // the authenticated limits: the most the server accepts
  std::vector<std::string_view> argv;
  std::string error;
  size_t pos = 0;
  while (pos < b.size()) {
    const size_t start = pos;
    const bool is_inline = !parser.in_progress() && b[pos] != '*';
    ParseStatus st = parser.Next(b, &pos, limits, &argv, &error);
    if (st == ParseStatus::kNeedMore) {
      // Cut off by the end of the capture (or a gap): cannot be classified.
      FailClosed(b.data() + start, b.size() - start, true);
      return;
    }
    if (st == ParseStatus::kError) {
      // The server answers with the protocol error and drops the rest.
      expected_.push_back(Expected{});
      FailClosed(b.data() + start, b.size() - start, true);
      return;
    }
    if (st == ParseStatus::kEmpty) continue;
    RedactCommand(&b, start, pos, argv, is_inline);
  }
}

bool ConnectionRedactor::InlineSpans(std::string_view line, size_t base, size_t argc,
                                     std::vector<std::pair<size_t, size_t>>* spans) const {
  if (line.find_first_of("\"'") != std::string_view::npos) return false;
  spans->clear();
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) i++;
    if (i >= line.size()) break;
    size_t s = i;
    while (i < line.size() && !IsSpace(line[i])) i++;
    spans->emplace_back(base + s, i - s);
  }
  return spans->size() == argc;
}

void ConnectionRedactor::RedactArg(char* at, size_t length, ArgRole role) {
  table_.Replace(at, length);
  switch (role) {
    case ArgRole::kKey: counts_.keys++; break;
    case ArgRole::kValue: counts_.values++; break;
    case ArgRole::kCredential: counts_.credentials++; break;
    case ArgRole::kPattern: counts_.patterns++; break;
    case ArgRole::kRangeBound: counts_.range_bounds++; break;
    default: counts_.unclassified++; break;
  }
}

void ConnectionRedactor::RedactCommand(std::string* buf, size_t begin, size_t end,
                                       const std::vector<std::string_view>& argv, bool is_inline) {
  std::string& b = *buf;
  counts_.commands++;
  if (is_inline) counts_.inline_commands++;
  // Copies: multibulk arguments are views into the bytes about to change.
  std::vector<std::string> original(argv.begin(), argv.end());
  std::vector<std::string_view> views(original.begin(), original.end());
  CommandRoles roles = ClassifyCommand(views);
  if (!roles.grammar_matched)
    counts_.fallback_commands[roles.documented ? roles.name : "(undocumented)"]++;
  Expected e;
  e.layout = roles.reply;

  std::vector<std::pair<size_t, size_t>> spans(argv.size());
  bool spans_ok = true;
  if (!is_inline) {
    for (size_t i = 0; i < argv.size(); i++)
      spans[i] = {static_cast<size_t>(argv[i].data() - b.data()), argv[i].size()};
  } else {
    spans_ok =
        InlineSpans(std::string_view(b).substr(begin, end - begin), begin, argv.size(), &spans);
  }
  if (!spans_ok) {
    // A quoted inline command: the quoting makes argument bytes differ from
    // the line's bytes. Every run of bytes between spaces and quotes is
    // replaced, except a documented command name.
    size_t i = begin;
    bool first = true;
    while (i < end) {
      while (i < end && (IsSpace(b[i]) || b[i] == '"' || b[i] == '\'' || b[i] == '\\')) i++;
      size_t s = i;
      while (i < end && !(IsSpace(b[i]) || b[i] == '"' || b[i] == '\'' || b[i] == '\\')) i++;
      if (i == s) break;
      if (!(first && roles.documented)) {
        table_.Replace(b.data() + s, i - s);
        counts_.unclassified++;
      }
      first = false;
    }
    Track(std::move(e), roles, views);
    return;
  }
  for (size_t i = 0; i < argv.size(); i++) {
    size_t keep = 0;
    if (!RoleRedacted(roles.roles[i], original[i], mode_, &keep)) continue;
    if (keep >= original[i].size()) continue;
    char* at = b.data() + spans[i].first + keep;
    RedactArg(at, original[i].size() - keep, roles.roles[i]);
    e.tokens.emplace_back(original[i], std::string(b.data() + spans[i].first, spans[i].second));
  }
  Track(std::move(e), roles, views);
}

void ConnectionRedactor::Track(Expected e, const CommandRoles& roles,
                               const std::vector<std::string_view>& argv) {
  const std::string name = roles.documented ? roles.name : Lower(argv.empty() ? "" : argv[0]);
  if (name == "client|reply" && argv.size() >= 3) {
    std::string mode = Lower(argv[2]);
    if (mode == "on") {
      reply_off_ = false;
      skip_next_ = false;
    } else if (mode == "off") {
      reply_off_ = true;
      e.replies = 0;
    } else if (mode == "skip") {
      if (!reply_off_) skip_next_ = true;
      e.replies = 0;
    }
    expected_.push_back(std::move(e));
    return;
  }
  if (reply_off_) {
    e.replies = 0;
  } else if (skip_next_) {
    e.replies = 0;
    skip_next_ = false;
  }
  if (name == "multi") {
    if (!in_multi_) queued_.clear();
    in_multi_ = true;
  } else if (name == "exec") {
    e.exec = in_multi_;
    e.queued = std::move(queued_);
    queued_.clear();
    in_multi_ = false;
  } else if (name == "discard" || name == "reset") {
    in_multi_ = false;
    queued_.clear();
    if (name == "reset") reply_off_ = skip_next_ = false;
  } else if (in_multi_ && !IsOneOf(name, {"watch", "quit"})) {
    // Answered +QUEUED now (or an error quoting its arguments); its real
    // reply is an element of EXEC's array.
    Expected queued = e;
    queued.replies = 1;
    queued_.push_back(std::move(queued));
    e.layout = ReplyLayout::kNothing;
  }
  if (IsOneOf(name, {"subscribe", "psubscribe", "ssubscribe", "monitor", "sync", "psync"}))
    e.unpaired_after = true;
  expected_.push_back(std::move(e));
}

// ---------------------------------------------------------------- replies

void ConnectionRedactor::RedactLeaf(std::string* buf, const RespLeaf& leaf, uint64_t* counter) {
  size_t skip = (leaf.type == '=' && leaf.length >= 4) ? 4 : 0;  // "txt:" of a verbatim string
  if (leaf.length <= skip) return;
  table_.Replace(buf->data() + leaf.offset + skip, leaf.length - skip);
  (*counter)++;
}

void ConnectionRedactor::RedactErrorQuotes(std::string* buf, const RespLeaf& leaf,
                                           const Expected& e) {
  if (e.tokens.empty()) return;
  for (const auto& t : e.tokens) {
    if (t.first.find('\'') != std::string::npos) {
      // Quotes inside an argument make the error's quoting ambiguous.
      RedactLeaf(buf, leaf, &counts_.reply_fail_closed);
      return;
    }
  }
  char* text = buf->data() + leaf.offset;
  size_t n = leaf.length;
  size_t next_token = 0;
  size_t i = 0;
  while (i < n) {
    size_t q1 = std::string_view(text, n).find('\'', i);
    if (q1 == std::string_view::npos) break;
    size_t q2 = std::string_view(text, n).find('\'', q1 + 1);
    if (q2 == std::string_view::npos) break;
    std::string_view segment(text + q1 + 1, q2 - q1 - 1);
    if (!segment.empty()) {
      // Error texts quote arguments in order, possibly truncated.
      for (size_t t = next_token; t < e.tokens.size(); t++) {
        const auto& [orig, red] = e.tokens[t];
        if (orig.size() >= segment.size() && orig.compare(0, segment.size(), segment) == 0) {
          std::copy(red.begin(), red.begin() + static_cast<long>(segment.size()), text + q1 + 1);
          counts_.reply_error_quotes++;
          next_token = t + 1;
          break;
        }
      }
    }
    i = q2 + 1;
  }
}

void ConnectionRedactor::ApplyLayout(std::string* buf, const RespReply& reply, const Expected& e,
                                     int element) {
  int index = 0;
  for (const RespLeaf& leaf : reply.leaves) {
    if (element >= 0 && leaf.top_index != element) continue;
    if (leaf.in_attribute) {
      if (leaf.type == '$' || leaf.type == '=' || leaf.type == '+' || leaf.type == '-')
        RedactLeaf(buf, leaf, &counts_.reply_fail_closed);
      continue;
    }
    const int i = index++;
    if (leaf.type == '-' || leaf.type == '!') {
      if (e.layout == ReplyLayout::kEverything)
        RedactLeaf(buf, leaf, &counts_.reply_fail_closed);
      else
        RedactErrorQuotes(buf, leaf, e);
      continue;
    }
    if (e.layout == ReplyLayout::kEverything) {
      if (leaf.type == '$' || leaf.type == '=' || leaf.type == '+')
        RedactLeaf(buf, leaf, &counts_.reply_fail_closed);
      continue;
    }
    if (leaf.type != '$' && leaf.type != '=') continue;  // numbers, nulls, status
    bool key = false, value = false, credential = false;
    switch (e.layout) {
      case ReplyLayout::kValues: value = true; break;
      case ReplyLayout::kKeys: key = true; break;
      case ReplyLayout::kValueScore: value = i % 2 == 0; break;
      case ReplyLayout::kCursorKeys: key = i >= 1; break;
      case ReplyLayout::kCursorValues: value = i >= 1; break;
      case ReplyLayout::kCursorValueScore: value = i >= 1 && (i - 1) % 2 == 0; break;
      case ReplyLayout::kKeyValues:
        key = i == 0;
        value = i >= 1;
        break;
      case ReplyLayout::kKeyValueScore:
        key = i == 0;
        value = i >= 1 && (i - 1) % 2 == 0;
        break;
      case ReplyLayout::kConfigPairs:
        if (i % 2 == 1) {
          // The previous leaf of this reply is the parameter name.
          const RespLeaf* name = nullptr;
          int seen = 0;
          for (const RespLeaf& l : reply.leaves) {
            if (l.in_attribute || (element >= 0 && l.top_index != element)) continue;
            if (seen++ == i - 1) {
              name = &l;
              break;
            }
          }
          if (name != nullptr) {
            std::string n = Lower(std::string_view(*buf).substr(name->offset, name->length));
            credential = n == "requirepass" || n == "masterauth" || n == "masteruser";
          }
        }
        break;
      default: break;
    }
    if (credential) {
      RedactLeaf(buf, leaf, &counts_.reply_credentials);
    } else if (key && mode_.keys) {
      RedactLeaf(buf, leaf, &counts_.reply_keys);
    } else if (value && mode_.values) {
      RedactLeaf(buf, leaf, &counts_.reply_values);
    }
  }
}

void ConnectionRedactor::RedactReplies(std::string* replies) {
  std::string& b = *replies;
  size_t pos = 0;
  size_t next = 0;
  bool unpaired = false;
  Expected everything;
  everything.layout = ReplyLayout::kEverything;
  RespReply r;  // reused: its leaves keep their capacity
  while (pos < b.size()) {
    if (ScanReply(b, pos, &r) != RespScan::kComplete) {
      FailClosed(b.data() + pos, b.size() - pos, false);
      return;
    }
    counts_.replies++;
    const Expected* e = nullptr;
    if (!unpaired && r.type != '>') {
      while (next < expected_.size() && expected_[next].replies == 0) next++;
      if (next < expected_.size()) e = &expected_[next++];
    }
    if (e == nullptr) {
      ApplyLayout(&b, r, everything, -1);
    } else {
      if (e->unpaired_after) unpaired = true;
      if (e->exec && r.type == '*') {
        if (r.top_elements == static_cast<int>(e->queued.size())) {
          for (size_t k = 0; k < e->queued.size(); k++)
            ApplyLayout(&b, r, e->queued[k], static_cast<int>(k));
        } else {
          ApplyLayout(&b, r, everything, -1);
        }
      } else {
        ApplyLayout(&b, r, *e, -1);
      }
    }
    pos = r.end;
  }
}

}  // namespace reel::replay
