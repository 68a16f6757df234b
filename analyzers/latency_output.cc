// `reel latency`'s output: JSON (schema in docs/analyzers.md) and text.
#include <cstdio>

#include "analyzers/latency.h"
#include "analyzers/text_table.h"

namespace reel::analyzers {
namespace {

using nlohmann::json;

json SideJson(const LatencySide& side) {
  json j = {{"available", side.available}, {"basis", side.basis}};
  if (!side.available) return j;
  j["requests"] = side.requests;
  j["incomplete"] = side.incomplete;
  j["all"] = StatsJson(side.all);
  j["by_command"] = json::array();
  for (const LatencyGroup& g : side.by_command) {
    json e = {{"command", g.command}};
    e.update(StatsJson(g.stats));
    j["by_command"].push_back(std::move(e));
  }
  j["by_conn"] = json::array();
  for (const LatencyGroup& g : side.by_conn) {
    json e = {{"conn", g.conn}, {"peer", g.peer}};
    e.update(StatsJson(g.stats));
    j["by_conn"].push_back(std::move(e));
  }
  j["slowest"] = json::array();
  for (const SlowRequest& r : side.slowest) {
    json e = {{"conn", r.conn}, {"peer", r.peer}, {"command", r.command},
              {"key", r.key},   {"t_ns", r.t_ns}, {"latency_ns", r.latency_ns}};
    if (r.iteration >= 0) e["iteration"] = r.iteration;
    j["slowest"].push_back(std::move(e));
  }
  j["notes"] = side.notes;
  return j;
}

json StallCommandJson(const StallCommand& c) {
  return {{"conn", c.conn},
          {"command", c.command},
          {"key", c.key},
          {"count", c.count},
          {"cost_ns", c.cost_ns}};
}

void StatsCells(const LatencyStats& s, std::vector<std::string>* row) {
  row->push_back(std::to_string(s.count));
  for (int64_t v : {s.p50_ns, s.p90_ns, s.p99_ns, s.p999_ns, s.max_ns}) row->push_back(Ms(v));
}

std::string Percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", share * 100);
  return buf;
}

std::string CommandLabel(const std::string& command, const std::string& key) {
  return key.empty() ? command : command + " " + key;
}

std::string SideText(const char* title, const LatencySide& side) {
  std::string out = std::string(title) + " (" + side.basis + ")";
  if (!side.available) return out + ": unavailable\n";
  out += ": " + std::to_string(side.requests) + " requests";
  if (side.incomplete > 0) out += ", " + std::to_string(side.incomplete) + " without a reply";
  out += "\n";
  if (side.all.count == 0) return out;
  TextTable t({"", "count", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms"});
  std::vector<std::string> row = {"all"};
  StatsCells(side.all, &row);
  t.Row(row);
  for (const LatencyGroup& g : side.by_command) {
    row = {g.command};
    StatsCells(g.stats, &row);
    t.Row(row);
  }
  for (const LatencyGroup& g : side.by_conn) {
    row = {ConnLabel(g.conn, g.peer)};
    StatsCells(g.stats, &row);
    t.Row(row);
  }
  out += t.Render();
  for (const std::string& n : side.notes) out += "  note: " + n + "\n";
  return out;
}

std::string SlowestText(const char* title, const LatencySide& side) {
  if (!side.available || side.slowest.empty()) return "";
  std::string out =
      std::string("slowest ") + std::to_string(side.slowest.size()) + " (" + title + ")\n";
  TextTable t({"connection", "command", "latency ms", "at ms"}, 2);
  for (const SlowRequest& r : side.slowest)
    t.Row(
        {ConnLabel(r.conn, r.peer), CommandLabel(r.command, r.key), Ms(r.latency_ns), Ms(r.t_ns)});
  return out + t.Render();
}

std::string StepText(const Stall& s) {
  const std::string& k = s.longest_step_kind;
  std::string on = s.longest_step_conn ? " on conn " + std::to_string(s.longest_step_conn) : "";
  if (k == "end")
    return Ms(s.longest_step_ns) + " ms between the last event and the next epoll_wait";
  if (k == "read" || k == "write" || k == "accept" || k == "close")
    return "a " + k + on + " returned " + Ms(s.longest_step_ns) +
           " ms after the previous event (a slow system call or a descheduled thread)";
  return Ms(s.longest_step_ns) + " ms before a " + k + on;
}

}  // namespace

json ToJson(const LatencyReport& rep) {
  json j = {{"tool", "reel latency"},
            {"schema_version", 1},
            {"source", rep.source},
            {"missing", rep.missing},
            {"wire", SideJson(rep.wire)},
            {"server", SideJson(rep.server)},
            {"stall_threshold_ns", rep.stall_threshold_ns},
            {"iterations", rep.iterations},
            {"iterations_basis", rep.iterations_basis}};
  j["stalls"] = json::array();
  for (const Stall& s : rep.stalls) {
    json e = {{"iteration", s.iteration},
              {"t_start_ns", s.t_start_ns},
              {"t_end_ns", s.t_end_ns},
              {"busy_ns", s.busy_ns},
              {"command_count", s.command_count}};
    e["commands"] = json::array();
    for (const StallCommand& c : s.commands) e["commands"].push_back(StallCommandJson(c));
    if (s.has_cause) {
      e["cause"] = StallCommandJson(s.cause);
      e["cause"]["peer"] = s.cause_peer;
      e["cause"]["share"] = s.cause_share;
    } else {
      e["cause"] = nullptr;
    }
    e["longest_step"] = {
        {"kind", s.longest_step_kind}, {"conn", s.longest_step_conn}, {"ns", s.longest_step_ns}};
    e["delayed_basis"] = s.delayed_basis;
    e["delayed"] = json::array();
    for (const DelayedClient& d : s.delayed)
      e["delayed"].push_back({{"conn", d.conn},
                              {"peer", d.peer},
                              {"pending_bytes", d.pending_bytes},
                              {"pending_since_ns", d.pending_since_ns},
                              {"waited_ns", d.waited_ns}});
    j["stalls"].push_back(std::move(e));
  }
  return j;
}

std::string FormatLatencyText(const LatencyReport& rep) {
  std::string out = "reel latency: " + rep.source + "\n";
  for (const std::string& m : rep.missing) out += "missing: " + m + "\n";
  out += "\n" + SideText("wire latency", rep.wire);
  out += "\n" + SideText("server latency", rep.server);
  std::string slow = SlowestText("wire", rep.wire) + SlowestText("server", rep.server);
  if (!slow.empty()) out += "\n" + slow;

  out += "\nstalls: " + std::to_string(rep.stalls.size()) + " of " +
         std::to_string(rep.iterations) + " loop iterations (" + rep.iterations_basis +
         ") busier than " + Ms(rep.stall_threshold_ns) + " ms\n";
  for (const Stall& s : rep.stalls) {
    out += "  iteration " + std::to_string(s.iteration) + " at " + Ms(s.t_start_ns) + " ms: busy " +
           Ms(s.busy_ns) + " ms, " + std::to_string(s.command_count) + " command(s)\n";
    if (s.has_cause) {
      std::string cost = s.cause.cost_ns >= 0 ? Ms(s.cause.cost_ns) + " ms (" +
                                                    Percent(s.cause_share) + " of the iteration)"
                                              : "run time unknown without a timeline";
      out += "    cause: " + ConnLabel(s.cause.conn, s.cause_peer) + " " +
             CommandLabel(s.cause.command, s.cause.key) +
             (s.cause.count > 1 ? " x" + std::to_string(s.cause.count) : "") + ": " + cost + "\n";
    } else if (s.commands.empty()) {
      out += "    cause: no command ran in it\n";
    } else {
      out +=
          "    cause: no command filled most of it (the costliest: " + Ms(s.commands[0].cost_ns) +
          " ms)\n";
    }
    // When commands do not explain the time, say where it went.
    if (!s.has_cause) out += "    longest step: " + StepText(s) + "\n";
    for (size_t i = s.has_cause ? 1 : 0; i < s.commands.size() && i < 5; i++) {
      const StallCommand& c = s.commands[i];
      out += std::string(s.has_cause ? "    also: conn " : "    ran: conn ") +
             std::to_string(c.conn) + " " + CommandLabel(c.command, c.key) +
             (c.count > 1 ? " x" + std::to_string(c.count) : "") +
             (c.cost_ns >= 0 ? ": " + Ms(c.cost_ns) + " ms" : "") + "\n";
    }
    if (s.commands.size() > 5)
      out += "    ... " + std::to_string(s.commands.size() - 5) + " more command groups\n";
    if (s.delayed.empty()) out += "    delayed: none (no other client had data waiting)\n";
    for (const DelayedClient& d : s.delayed) {
      out += "    delayed: " + ConnLabel(d.conn, d.peer);
      if (d.waited_ns >= 0)
        out += " waited " + Ms(d.waited_ns) + " ms (" + std::to_string(d.pending_bytes) +
               " request bytes pending since " + Ms(d.pending_since_ns) + " ms)";
      else
        out += " (ready at the next epoll_wait)";
      out += "\n";
    }
  }
  return out;
}

}  // namespace reel::analyzers
