// `reel fairness`'s output: JSON (schema in docs/analyzers.md) and text.
#include <cstdio>

#include "analyzers/fairness.h"
#include "analyzers/text_table.h"

namespace reel::analyzers {
namespace {

using nlohmann::json;

std::string List(const std::vector<uint64_t>& conns) {
  std::string s;
  for (uint64_t c : conns) s += (s.empty() ? "" : " ") + std::to_string(c);
  return s.empty() ? "-" : s;
}

std::string Percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", share * 100);
  return buf;
}

constexpr size_t kTextBatches = 20;
constexpr size_t kTextFindings = 10;

}  // namespace

json ToJson(const FairnessReport& rep) {
  json j = {{"tool", "reel fairness"},
            {"schema_version", 1},
            {"source", rep.source},
            {"missing", rep.missing},
            {"waiting_basis", rep.waiting_basis},
            {"wait_threshold_ns", rep.wait_threshold_ns},
            {"commands_known", rep.commands_known},
            {"iterations", rep.iterations}};
  json sizes = json::object();
  for (size_t n = 0; n < rep.batch_sizes.size(); n++)
    if (rep.batch_sizes[n] > 0) sizes[n == 64 ? "64+" : std::to_string(n)] = rep.batch_sizes[n];
  j["batch_sizes"] = sizes;
  j["batches"] = json::array();
  for (const Batch& b : rep.batches)
    j["batches"].push_back({{"iteration", b.iteration},
                            {"t_ns", b.t_ns},
                            {"busy_ns", b.busy_ns},
                            {"maxevents", b.maxevents},
                            {"ready", b.ready},
                            {"full", b.full},
                            {"service_order", b.service_order},
                            {"ready_unserved", b.ready_unserved},
                            {"missed", b.missed}});
  j["connections"] = json::array();
  for (const ConnFairness& c : rep.connections)
    j["connections"].push_back({{"conn", c.conn},
                                {"peer", c.peer},
                                {"ready_turns", c.ready_turns},
                                {"served_turns", c.served_turns},
                                {"ready_unserved", c.ready_unserved},
                                {"missed", c.missed},
                                {"missed_in_full_batch", c.missed_in_full_batch},
                                {"ready_to_service", StatsJson(c.ready_to_service)},
                                {"arrival_to_service", StatsJson(c.arrival_to_service)},
                                {"bytes_read", c.bytes_read},
                                {"max_bytes_per_turn", c.max_bytes_per_turn},
                                {"mean_bytes_per_turn", c.mean_bytes_per_turn},
                                {"commands", c.commands},
                                {"command_ns", c.command_ns}});
  j["findings"] = json::array();
  for (const FairnessFinding& f : rep.findings) {
    json e = {{"kind", f.kind},
              {"conn", f.conn},
              {"peer", f.peer},
              {"iteration", f.iteration},
              {"t_waiting_since_ns", f.t_waiting_since_ns},
              {"t_served_ns", f.t_served_ns},
              {"waited_ns", f.waited_ns},
              {"passed_over", f.passed_over}};
    if (f.culprit != 0)
      e["culprit"] = {{"conn", f.culprit},
                      {"peer", f.culprit_peer},
                      {"what", f.culprit_what},
                      {"ns", f.culprit_ns},
                      {"share", f.culprit_share}};
    else
      e["culprit"] = nullptr;
    j["findings"].push_back(std::move(e));
  }
  return j;
}

std::string FormatFairnessText(const FairnessReport& rep) {
  std::string out = "reel fairness: " + rep.source + "\n";
  for (const std::string& m : rep.missing) out += "missing: " + m + "\n";

  out += "\nepoll_wait batches: " + std::to_string(rep.iterations) + " (fds returned: ";
  bool first = true;
  for (size_t n = 0; n < rep.batch_sizes.size(); n++) {
    if (rep.batch_sizes[n] == 0) continue;
    out += (first ? "" : ", ") + (n == 64 ? std::string("64+") : std::to_string(n)) + " x" +
           std::to_string(rep.batch_sizes[n]);
    first = false;
  }
  out += ")\n";
  // The batches worth reading: several connections, or a connection left out.
  std::vector<const Batch*> shown;
  size_t interesting = 0;
  for (const Batch& b : rep.batches) {
    if (b.service_order.size() < 2 && b.ready_unserved.empty() && b.missed.empty()) continue;
    interesting++;
    if (shown.size() < kTextBatches) shown.push_back(&b);
  }
  if (!shown.empty()) {
    out +=
        "batches serving several connections or leaving one out: " + std::to_string(interesting) +
        (interesting > shown.size() ? " (first " + std::to_string(shown.size()) + ")" : "") + "\n";
    TextTable t(
        {"iteration", "at ms", "busy ms", "ready", "full", "service order", "unserved", "missed"},
        0);
    for (const Batch* b : shown)
      t.Row({std::to_string(b->iteration), Ms(b->t_ns), Ms(b->busy_ns), std::to_string(b->ready),
             b->full ? "yes" : "no", List(b->service_order), List(b->ready_unserved),
             List(b->missed)});
    out += t.Render();
  }

  out += "\nconnections (waiting measured from " +
         std::string(rep.waiting_basis == "pcap" ? "data arrival in the pcap"
                                                 : "the epoll_wait that reported it") +
         ")\n";
  TextTable c({"connection", "ready", "served", "unserved", "missed", "ready->read p50/max ms",
               "arrival->read p50/max ms", "bytes/turn mean/max", "commands", "cmd ms"});
  for (const ConnFairness& f : rep.connections) {
    c.Row({ConnLabel(f.conn, f.peer), std::to_string(f.ready_turns), std::to_string(f.served_turns),
           std::to_string(f.ready_unserved),
           std::to_string(f.missed) +
               (f.missed_in_full_batch ? " (" + std::to_string(f.missed_in_full_batch) + " full)"
                                       : ""),
           f.ready_to_service.count
               ? Ms(f.ready_to_service.p50_ns) + " / " + Ms(f.ready_to_service.max_ns)
               : "-",
           f.arrival_to_service.count
               ? Ms(f.arrival_to_service.p50_ns) + " / " + Ms(f.arrival_to_service.max_ns)
               : "-",
           std::to_string(f.mean_bytes_per_turn) + " / " + std::to_string(f.max_bytes_per_turn),
           rep.commands_known ? std::to_string(f.commands) : "-",
           rep.commands_known ? Ms(f.command_ns) : "-"});
  }
  out += c.Render();

  out += "\nfindings (waits of " + Ms(rep.wait_threshold_ns) +
         " ms or more): " + std::to_string(rep.findings.size()) + "\n";
  for (size_t i = 0; i < rep.findings.size() && i < kTextFindings; i++) {
    const FairnessFinding& f = rep.findings[i];
    out += "  " + f.kind + ": " + ConnLabel(f.conn, f.peer) + " waited " + Ms(f.waited_ns) +
           " ms (from " + Ms(f.t_waiting_since_ns) + " to " + Ms(f.t_served_ns) +
           " ms, served in iteration " + std::to_string(f.iteration);
    if (f.passed_over > 0)
      out += ", passed over by " + std::to_string(f.passed_over) + " iteration(s)";
    out += ")\n";
    if (f.culprit != 0) {
      out += "    caused by " + ConnLabel(f.culprit, f.culprit_peer) + ": " + f.culprit_what;
      if (f.culprit_ns >= 0)
        out += ", " + Ms(f.culprit_ns) + " ms (" + Percent(f.culprit_share) + " of the wait)";
      out += "\n";
    } else {
      out += "    no other connection worked during the wait\n";
    }
  }
  if (rep.findings.size() > kTextFindings)
    out += "  ... " + std::to_string(rep.findings.size() - kTextFindings) +
           " more (--json lists all)\n";
  return out;
}

}  // namespace reel::analyzers
