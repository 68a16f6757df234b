#include "replay/redaction_verdict.h"

#include <cctype>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "replay/redaction_roles.h"
#include "replay/replay_driver.h"
#include "replay/resp_reply_scanner.h"

namespace reel::replay {

namespace {

// Why redaction can change a command's reply; empty when it cannot.
const char* Sensitivity(const std::string& name) {
  static const std::unordered_map<std::string, const char*> kReasons = [] {
    std::unordered_map<std::string, const char*> m;
    for (const char* n :
         {"incr", "decr", "incrby", "decrby", "incrbyfloat", "hincrby", "hincrbyfloat"})
      m[n] = "arithmetic on a redacted value (a placeholder is not a number)";
    for (const char* n : {"append", "setrange", "getrange", "substr", "lcs", "setbit", "getbit",
                          "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro"})
      m[n] = "works on part of a redacted value";
    for (const char* n : {"keys", "scan", "randomkey", "smembers", "sscan", "srandmember", "spop",
                          "sinter", "sunion", "sdiff", "hgetall", "hkeys", "hvals", "hscan",
                          "hrandfield", "zrandmember", "zscan"})
      m[n] = "hash-table order or choice depends on the redacted bytes";
    for (const char* n : {"sort",          "sort_ro",          "zrange",      "zrevrange",
                          "zrangebyscore", "zrevrangebyscore", "zrangebylex", "zrevrangebylex",
                          "zlexcount",     "zremrangebylex",   "zrank",       "zrevrank",
                          "zpopmin",       "zpopmax",          "bzpopmin",    "bzpopmax",
                          "zmpop",         "bzmpop",           "zrangestore", "zremrangebyrank",
                          "zunion",        "zinter",           "zdiff"})
      m[n] = "lexicographic order of redacted members (SORT, lex ranges, equal scores)";
    for (const char* n : {"object|encoding", "memory|usage", "debug", "dump", "restore"})
      m[n] = "the encoding depends on the redacted bytes (numbers are stored as integers)";
    return m;
  }();
  auto it = kReasons.find(name);
  return it == kReasons.end() ? "" : it->second;
}

// Commands that change a key in a way placeholders do not follow (even
// when their own reply still matches): later replies about it may differ.
bool Transforms(const std::string& name) {
  static const std::unordered_set<std::string> kNames = {
      "append", "setrange",        "setbit",         "bitop",       "bitfield", "incr",
      "decr",   "incrby",          "decrby",         "incrbyfloat", "hincrby",  "hincrbyfloat",
      "spop",   "zpopmin",         "zpopmax",        "bzpopmin",    "bzpopmax", "zmpop",
      "bzmpop", "zremrangebyrank", "zremrangebylex", "zrangestore", "sort",     "restore"};
  return kNames.count(name) > 0;
}

// Commands after which a key holds only what the command wrote.
bool Overwrites(const std::string& name) {
  static const std::unordered_set<std::string> kNames = {"set", "setex",  "psetex", "mset",
                                                         "del", "unlink", "getdel"};
  return kNames.count(name) > 0;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string Ordinal(uint64_t n) {
  std::string suffix = "th";
  if (n % 100 < 11 || n % 100 > 13) {
    if (n % 10 == 1) suffix = "st";
    if (n % 10 == 2) suffix = "nd";
    if (n % 10 == 3) suffix = "rd";
  }
  return std::to_string(n) + suffix;
}

// Splits a recorded reply stream into whole replies.
std::vector<std::string_view> SplitReplies(std::string_view stream) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  RespReply r;
  while (pos < stream.size() && ScanReply(stream, pos, &r) == RespScan::kComplete) {
    out.push_back(stream.substr(pos, r.end - pos));
    pos = r.end;
  }
  return out;
}

size_t CountReplies(std::string_view bytes) {
  return SplitReplies(bytes).size();
}

}  // namespace

bool BundleIsRedacted(const Bundle& bundle) {
  return bundle.meta.contains("redaction") && bundle.meta["redaction"].is_object();
}

RedactionExplainer::RedactionExplainer(const nlohmann::json& meta) {
  if (meta.contains("redacted") && meta["redacted"].is_object()) {
    const auto& red = meta["redacted"];
    if (red.contains("fallback_commands") && red["fallback_commands"].is_object())
      for (const auto& item : red["fallback_commands"].items()) fallback_.insert(item.key());
    if (red.contains("requests") && red["requests"].is_object()) {
      const auto& q = red["requests"];
      uint64_t stored = q.value("keys", uint64_t{0}) + q.value("values", uint64_t{0}) +
                        q.value("unclassified", uint64_t{0}) + q.value("range_bounds", uint64_t{0});
      digest_comparable_ = stored == 0;
    }
  }
  if (meta.contains("pcap") && meta["pcap"].is_object() &&
      meta["pcap"].contains("fail_closed_connections") &&
      meta["pcap"]["fail_closed_connections"].is_array())
    for (const auto& c : meta["pcap"]["fail_closed_connections"])
      if (c.is_string()) fail_closed_clients_.insert(c.get<std::string>());
}

std::string RedactionExplainer::Observe(const std::vector<std::string>& argv, bool reply_differs,
                                        const std::string& client, std::string* name) {
  std::vector<std::string_view> views(argv.begin(), argv.end());
  CommandRoles roles = ClassifyCommand(views);
  *name = Upper(roles.documented ? roles.name : std::string("(undocumented)"));
  std::vector<std::string> keys;
  for (size_t i = 0; i < roles.roles.size(); i++)
    if (roles.roles[i] == ArgRole::kKey) keys.push_back(argv[i]);
  bool touches_taint = false;
  for (const auto& k : keys) touches_taint |= tainted_.count(k) > 0;

  std::string why;
  if (reply_differs) {
    why = Sensitivity(roles.name);
    if (why.empty() && touches_taint)
      why = "its key was changed earlier by a command redaction cannot follow";
    if (why.empty() && fallback_.count(roles.documented ? roles.name : "(undocumented)"))
      why = "its arguments were redacted fail-closed (not classified)";
    if (why.empty() && fail_closed_clients_.count(client))
      why = "the redaction could not parse all of this connection (failed closed)";
  }
  if (!why.empty()) {
    // Explained, but the command may have stored something else than the
    // recording did: its keys are no longer comparable either.
    if (roles.write)
      for (const auto& k : keys) tainted_.insert(k);
  } else if (roles.name == "flushall" || roles.name == "flushdb") {
    tainted_.clear();
  } else if (Transforms(roles.name) || (roles.write && touches_taint)) {
    for (const auto& k : keys) tainted_.insert(k);
  } else if (Overwrites(roles.name)) {
    for (const auto& k : keys) tainted_.erase(k);
  }
  return why;
}

RedactionVerdict ExplainUnderRedaction(const Bundle& bundle,
                                       const std::vector<ReplayedCommand>& commands) {
  RedactionVerdict v;
  if (!BundleIsRedacted(bundle)) return v;
  v.redacted = true;
  const nlohmann::json& meta = bundle.meta["redaction"];
  v.mode = meta.value("mode", std::string("?"));
  RedactionExplainer explainer(meta);
  v.digest_comparable = explainer.digest_comparable();

  // conn n is the n-th successful accept, as RecordedKernel numbers them.
  struct Conn {
    const TcpFlow* flow = nullptr;
    std::string client;
    std::vector<std::string_view> recorded;
    size_t next = 0;
    uint64_t commands = 0;
  };
  std::vector<Conn> conns(1);
  std::vector<std::string> streams;  // keep the recorded bytes alive
  streams.reserve(bundle.log.records.size());
  for (const TraceRecord& r : bundle.log.records) {
    const auto* a = std::get_if<trace::Accept4Rec>(&r.call);
    if (a == nullptr || !r.result.ok()) continue;
    Conn c;
    c.flow = bundle.FlowFor(a->peer, a->local);
    if (c.flow != nullptr) {
      const StreamDirection& d = c.flow->to_client;
      streams.push_back(d.Bytes(0, d.ContiguousEnd(0)).value_or(std::string()));
      c.client = c.flow->client.ToString();
    }
    conns.push_back(std::move(c));
  }
  // Bind the views only now: `streams` no longer reallocates.
  for (size_t i = 1, s = 0; i < conns.size(); i++)
    if (conns[i].flow != nullptr) conns[i].recorded = SplitReplies(streams[s++]);

  for (const ReplayedCommand& c : commands) {
    if (c.conn == 0 || c.conn >= conns.size()) continue;
    Conn& conn = conns[c.conn];
    conn.commands++;
    v.last_conn = c.conn;
    v.last_explained = false;
    bool differs = false;
    size_t n = CountReplies(c.reply);
    if (n > 0 && conn.next + n <= conn.recorded.size()) {
      std::string recorded;
      for (size_t i = 0; i < n; i++) recorded.append(conn.recorded[conn.next + i]);
      conn.next += n;
      v.replies_compared++;
      differs = recorded != c.reply;
    }
    std::string name;
    std::string why = explainer.Observe(c.argv, differs, conn.client, &name);
    if (!differs) continue;
    std::string where = name + " on conn " + std::to_string(c.conn) + " (its " +
                        Ordinal(conn.commands) + " command)";
    if (!why.empty()) {
      v.replies_not_comparable++;
      v.not_comparable_by_command[name]++;
      if (v.first_not_comparable.empty()) v.first_not_comparable = where + ": " + why;
      v.last_explained = true;
    } else {
      v.replies_diverging++;
      if (v.first_diverging.empty()) v.first_diverging = where;
    }
  }
  return v;
}

namespace {

// Whether the record the replay diverged at is a write (a reply of another
// size: the replay stops there).
bool DivergedAtWrite(const Bundle& bundle, const RecordedReport& r) {
  if (!r.diverged) return false;
  for (const TraceRecord& rec : bundle.log.records) {
    if (rec.seq != r.divergence_seq) continue;
    return rec.kind_enum() == trace::Kind::kWrite || rec.kind_enum() == trace::Kind::kWritev;
  }
  return false;
}

std::string ByCommand(const RedactionVerdict& rv) {
  std::string s;
  for (const auto& [name, n] : rv.not_comparable_by_command)
    s += (s.empty() ? "" : ", ") + name + " x" + std::to_string(n);
  return s;
}

}  // namespace

void ApplyRedactionVerdict(const Bundle& bundle, const std::vector<ReplayedCommand>& commands,
                           ReplayVerdict* v) {
  RedactionVerdict rv = ExplainUnderRedaction(bundle, commands);
  if (!rv.redacted) return;
  if (v->digest_checked && !v->digest_reproduced && !rv.digest_comparable) {
    // Recorded over the original bytes: a different digest says nothing.
    v->digest_checked = false;
    rv.digest_not_comparable = true;
  }
  // The redaction removed the digest (it hashed the original bytes).
  if (bundle.meta["redaction"].value("final_keyspace_digest_removed", false) && !v->cut)
    rv.digest_not_comparable = true;
  const RecordedReport& r = v->report;
  const bool write_divergence = DivergedAtWrite(bundle, r);
  const bool other_divergence = r.diverged && !write_divergence;
  const bool differences = r.byte_mismatches > 0 || write_divergence;
  rv.explains_differences = differences && !other_divergence && rv.replies_diverging == 0 &&
                            rv.replies_not_comparable > 0 &&
                            (!write_divergence || rv.last_explained);
  v->redaction = std::move(rv);
}

std::string DescribeNotComparable(const ReplayVerdict& v) {
  const RedactionVerdict& rv = v.redaction;
  const RecordedReport& r = v.report;
  std::string s = "NOT COMPARABLE UNDER REDACTION: " + std::to_string(r.records_used) + "/" +
                  std::to_string(r.records_total) + " recorded calls matched in order";
  if (r.diverged) s += " (the replay stopped at the first reply whose size redaction changed)";
  s += "; " + std::to_string(r.bytes_compared) + " written bytes compared with the capture, " +
       std::to_string(r.byte_mismatches) + " writes differ; " +
       std::to_string(rv.replies_compared) + " replies compared, " +
       std::to_string(rv.replies_not_comparable) + " not comparable under redaction (" +
       ByCommand(rv) + "), none diverges; ";
  if (v.digest_checked)
    s += v.digest_reproduced ? "final keyspace digest matches" : "final keyspace digest differs";
  else if (rv.digest_not_comparable)
    s += "final keyspace digest not comparable under redaction";
  else
    s += "no final digest to compare";
  s += "; " + std::to_string(v.commands) + " commands.";
  s += "\n  first not comparable: " + rv.first_not_comparable;
  s += "\n  the bundle was redacted (mode " + rv.mode +
       "): these replies depend on the original bytes; docs/capture.md, Redaction, lists why.";
  return s;
}

std::string RedactionNote(const ReplayVerdict& v) {
  const RedactionVerdict& rv = v.redaction;
  if (!rv.redacted) return "";
  std::string s = "\n  the bundle was redacted (mode " + rv.mode + ")";
  if (rv.replies_diverging > 0)
    s += "; first reply difference redaction does not explain: " + rv.first_diverging;
  if (rv.replies_not_comparable > 0)
    s += "; " + std::to_string(rv.replies_not_comparable) +
         " replies not comparable under redaction (" + ByCommand(rv) +
         "), first: " + rv.first_not_comparable;
  return s;
}

}  // namespace reel::replay
