// Presentation of a DiffResult: the text report and the JSON object of
// `reel diff` (docs/analyzers.md), and one-line event descriptions.
#include <cinttypes>
#include <nlohmann/json.hpp>

#include "analyzers/timeline_diff.h"

namespace reel::analyzers {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kMaxCommandText = 80;

// Printable ASCII as is, anything else as \xNN, so a report stays one line
// per event whatever the arguments hold.
void AppendPrintable(std::string* out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out->push_back(static_cast<char>(c));
    } else {
      *out += "\\x";
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    }
  }
}

std::string Result(const TimelineEvent& e) {
  std::string s = "ret=" + std::to_string(e.ret);
  if (!e.err.empty()) s += " " + e.err;
  return s;
}

std::string ReplyText(const ReplySide& r) {
  std::string s = std::to_string(r.bytes) + "B ";
  AppendPrintable(&s, r.head);
  return s + " " + r.digest;
}

Json CountsJson(const ChangeCounts& c) {
  return Json{{"inserted", c.inserted},
              {"deleted", c.deleted},
              {"reordered", c.reordered},
              {"changed", c.changed}};
}

Json EventJson(const TimelineEvent& e) {
  Json j{{"seq", e.seq}, {"t_ns", e.t_ns}, {"kind", e.kind}};
  const std::string& k = e.kind;
  if (k == "epoll_wait") {
    j["ret"] = e.ret;
    Json ready = Json::array();
    for (const ReadyEntry& r : e.ready)
      ready.push_back(Json{{"fd", r.fd}, {"conn", r.conn}, {"mask", r.mask}});
    j["ready"] = std::move(ready);
  } else if (k == "accept") {
    j["listen_fd"] = e.listen_fd;
    j["ret"] = e.ret;
    if (e.ret >= 0) {
      j["fd"] = e.fd;
      j["conn"] = e.conn;
      j["peer"] = e.peer;
    }
  } else if (k == "read" || k == "write") {
    j["fd"] = e.fd;
    j["conn"] = e.conn;
    j["requested"] = e.requested;
    j["ret"] = e.ret;
  } else if (k == "close") {
    j["fd"] = e.fd;
    j["conn"] = e.conn;
  } else if (k == "command") {
    j["conn"] = e.conn;
    j["name"] = e.name;
    j["args"] = e.args;
  } else if (k == "reply") {
    j["conn"] = e.conn;
    j["bytes"] = e.bytes;
    j["head"] = e.head;
    j["digest"] = e.digest;
  } else if (k == "timer") {
    j["name"] = e.name;
  } else if (k == "end") {
    j["verdict"] = e.verdict;
  }
  if (!e.err.empty()) j["errno"] = e.err;
  j["text"] = EventText(e);
  return j;
}

Json ReplySideJson(const std::optional<ReplySide>& r) {
  if (!r) return nullptr;
  return Json{{"seq", r->seq},   {"t_ns", r->t_ns},     {"bytes", r->bytes},
              {"head", r->head}, {"digest", r->digest}, {"command", r->command}};
}

Json InputJson(const std::string& label, const TimelineHeader& h, uint64_t events) {
  return Json{{"input", label}, {"source", h.source}, {"schedule", h.schedule}, {"events", events}};
}

std::string Describe(const FirstDivergence& f) {
  char buf[160];
  const char* side = f.side == 'a' ? "A" : "B";
  const char* other = f.side == 'a' ? "B" : "A";
  uint64_t seq = f.side == 'a' ? f.a_seq : f.b_seq;
  switch (f.change) {
    case Change::kReordered:
      snprintf(buf, sizeof buf, "%s seq %" PRIu64 " is reordered: it is %s seq %" PRIu64, side, seq,
               other, f.counterpart_seq);
      break;
    case Change::kDeleted:
      snprintf(buf, sizeof buf, "A seq %" PRIu64 " is deleted: B has no such event nearby", seq);
      break;
    case Change::kInserted:
      snprintf(buf, sizeof buf, "B seq %" PRIu64 " is inserted: A has no such event nearby", seq);
      break;
    case Change::kChanged:
      snprintf(buf, sizeof buf, "A seq %" PRIu64 " and B seq %" PRIu64 " align but differ", f.a_seq,
               f.b_seq);
      break;
  }
  return buf;
}

void PrintContext(FILE* out, const char* name, const std::vector<TimelineEvent>& events,
                  size_t mark) {
  fprintf(out, "  %s:\n", name);
  for (size_t i = 0; i < events.size(); i++)
    fprintf(out, "  %s %8" PRIu64 "  %s\n", i == mark ? ">" : " ", events[i].seq,
            EventText(events[i]).c_str());
  if (mark == events.size()) fprintf(out, "  >           (end of %s)\n", name);
}

template <typename Key>
void PrintCounts(FILE* out, const char* title, const std::map<Key, ChangeCounts>& rows) {
  fprintf(out, "\n%-16s %9s %9s %9s %9s\n", title, "inserted", "deleted", "reordered", "changed");
  for (const auto& [key, c] : rows) {
    if (c.total() == 0) continue;
    std::string name;
    if constexpr (std::is_same_v<Key, std::string>)
      name = key;
    else
      name = key == 0 ? "(none)" : std::to_string(key);
    fprintf(out, "  %-14s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 "\n", name.c_str(),
            c.inserted, c.deleted, c.reordered, c.changed);
  }
}

}  // namespace

std::string CommandText(const TimelineEvent& command) {
  std::string s;
  AppendPrintable(&s, command.name);
  for (const std::string& a : command.args) {
    if (s.size() >= kMaxCommandText) break;
    s.push_back(' ');
    AppendPrintable(&s, a);
  }
  if (s.size() > kMaxCommandText) s = s.substr(0, kMaxCommandText - 3) + "...";
  return s;
}

std::string EventText(const TimelineEvent& e) {
  const std::string& k = e.kind;
  std::string s = k;
  if (k == "epoll_wait") {
    s += " " + Result(e) + " [";
    for (size_t i = 0; i < e.ready.size(); i++) {
      if (i) s += ", ";
      s += "fd " + std::to_string(e.ready[i].fd) + " conn " + std::to_string(e.ready[i].conn) +
           " " + e.ready[i].mask;
    }
    s += "]";
  } else if (k == "accept") {
    s += " listen_fd=" + std::to_string(e.listen_fd) + " " + Result(e);
    if (e.ret >= 0) s += " conn=" + std::to_string(e.conn) + " peer=" + e.peer;
  } else if (k == "read" || k == "write") {
    s += " fd=" + std::to_string(e.fd) + " conn=" + std::to_string(e.conn) +
         " requested=" + std::to_string(e.requested) + " " + Result(e);
  } else if (k == "close") {
    s += " fd=" + std::to_string(e.fd) + " conn=" + std::to_string(e.conn);
  } else if (k == "command") {
    s += " conn=" + std::to_string(e.conn) + " " + CommandText(e);
  } else if (k == "reply") {
    s += " conn=" + std::to_string(e.conn) + " ";
    s += ReplyText(ReplySide{e.seq, e.t_ns, e.bytes, e.head, e.digest, ""});
  } else if (k == "timer") {
    s += " " + e.name;
  } else if (k == "end") {
    s += " " + e.verdict;
  } else {
    s += " conn=" + std::to_string(e.conn);
  }
  return s;
}

void PrintDiff(const DiffResult& d, const std::string& a, const std::string& b, FILE* out) {
  const TimingDrift& t = d.timing;
  if (d.identical()) {
    fprintf(out, "identical (%" PRIu64 " events)", d.a_events);
    if (t.shifted > 0)
      fprintf(out,
              "; timing drift: %" PRIu64 " events at other times, max |dt| %" PRId64
              " ns (A seq %" PRIu64 ")",
              t.shifted, t.max_abs_dt_ns, t.a_seq);
    fprintf(out, "\n");
    return;
  }
  fprintf(out, "A: %s (%s, %s schedule, %" PRIu64 " events)\n", a.c_str(),
          d.a_header.source.c_str(), d.a_header.schedule.c_str(), d.a_events);
  fprintf(out, "B: %s (%s, %s schedule, %" PRIu64 " events)\n", b.c_str(),
          d.b_header.source.c_str(), d.b_header.schedule.c_str(), d.b_events);
  const ChangeCounts& c = d.totals;
  fprintf(out,
          "DIFFERENT: %" PRIu64 " events aligned in place; %" PRIu64 " inserted, %" PRIu64
          " deleted, %" PRIu64 " reordered, %" PRIu64 " changed\n",
          d.matched, c.inserted, c.deleted, c.reordered, c.changed);

  const FirstDivergence& f = d.first;
  if (f.found) {
    fprintf(out, "\nfirst divergence, after %" PRIu64 " aligned events: %s\n", f.matched_before,
            Describe(f).c_str());
    fprintf(out, "    %s\n", EventText(f.event).c_str());
    PrintContext(out, "A", f.context_a, f.mark_a);
    PrintContext(out, "B", f.context_b, f.mark_b);
  }
  PrintCounts(out, "by kind", d.by_kind);
  PrintCounts(out, "by connection", d.by_conn);

  if (d.replies_total > 0) {
    fprintf(out, "\nreplies that differ: %" PRIu64 "\n", d.replies_total);
    fprintf(out, "  %-5s %-10s %-24s %8s  %-34s %8s  %s\n", "conn", "change", "command", "A seq",
            "A reply", "B seq", "B reply");
    for (const ReplyDifference& r : d.replies) {
      std::string change = ChangeName(r.change);
      if (r.reordered) change += "+moved";
      fprintf(out, "  %-5" PRIu64 " %-10s %-24s %8s  %-34s %8s  %s\n", r.conn, change.c_str(),
              r.command().c_str(), r.a ? std::to_string(r.a->seq).c_str() : "-",
              r.a ? ReplyText(*r.a).c_str() : "-", r.b ? std::to_string(r.b->seq).c_str() : "-",
              r.b ? ReplyText(*r.b).c_str() : "-");
    }
    if (d.replies.size() < d.replies_total)
      fprintf(out, "  (%" PRIu64 " more not listed; --max-replies)\n",
              d.replies_total - d.replies.size());
  }
  fprintf(out,
          "\ntiming: %" PRIu64 " of %" PRIu64 " aligned events at other times, max |dt| %" PRId64
          " ns",
          t.shifted, d.matched, t.max_abs_dt_ns);
  if (t.shifted > 0) fprintf(out, " (A seq %" PRIu64 ", B seq %" PRIu64 ")", t.a_seq, t.b_seq);
  fprintf(out, "\n");
}

std::string DiffToJson(const DiffResult& d, const std::string& a, const std::string& b) {
  Json j;
  j["identical"] = d.identical();
  j["a"] = InputJson(a, d.a_header, d.a_events);
  j["b"] = InputJson(b, d.b_header, d.b_events);
  j["aligned"] = d.matched;
  j["totals"] = CountsJson(d.totals);
  Json by_kind = Json::object();
  for (const auto& [kind, c] : d.by_kind) by_kind[kind] = CountsJson(c);
  j["by_kind"] = std::move(by_kind);
  Json by_conn = Json::object();
  for (const auto& [conn, c] : d.by_conn) by_conn[std::to_string(conn)] = CountsJson(c);
  j["by_conn"] = std::move(by_conn);

  const FirstDivergence& f = d.first;
  if (f.found) {
    Json context_a = Json::array(), context_b = Json::array();
    for (const TimelineEvent& e : f.context_a) context_a.push_back(EventJson(e));
    for (const TimelineEvent& e : f.context_b) context_b.push_back(EventJson(e));
    j["first_divergence"] = Json{{"change", ChangeName(f.change)},
                                 {"side", std::string(1, f.side)},
                                 {"a_seq", f.a_seq},
                                 {"b_seq", f.b_seq},
                                 {"counterpart_seq", f.counterpart_seq},
                                 {"aligned_before", f.matched_before},
                                 {"event", EventJson(f.event)},
                                 {"context", Json{{"a", std::move(context_a)},
                                                  {"a_mark", f.mark_a},
                                                  {"b", std::move(context_b)},
                                                  {"b_mark", f.mark_b}}}};
  } else {
    j["first_divergence"] = nullptr;
  }

  Json replies = Json::array();
  for (const ReplyDifference& r : d.replies)
    replies.push_back(Json{{"change", ChangeName(r.change)},
                           {"reordered", r.reordered},
                           {"conn", r.conn},
                           {"command", r.command()},
                           {"a", ReplySideJson(r.a)},
                           {"b", ReplySideJson(r.b)}});
  j["replies"] = std::move(replies);
  j["replies_total"] = d.replies_total;
  j["timing"] = Json{{"shifted", d.timing.shifted},
                     {"max_abs_dt_ns", d.timing.max_abs_dt_ns},
                     {"a_seq", d.timing.a_seq},
                     {"b_seq", d.timing.b_seq}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace reel::analyzers
