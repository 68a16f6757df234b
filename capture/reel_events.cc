// `reel events DIR [--json]`: streams the event log, one record per line.
// With --json each line is a JSON object (docs/trace-format.md lists the
// fields); without it, "seq ts kind key=value ...".
#include <cstdio>
#include <string>

#include "capture/record_json.h"
#include "capture/reel_commands.h"
#include "capture/trace_reader.h"

namespace reel::cli {

namespace {

std::string TextLine(const nlohmann::json& j) {
  std::string line = std::to_string(j["seq"].get<uint64_t>()) + " " +
                     std::to_string(j["ts_ns"].get<int64_t>()) + " " + j["kind"].get<std::string>();
  for (const auto& [key, value] : j.items()) {
    if (key == "seq" || key == "ts_ns" || key == "kind") continue;
    line += " " + key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return line;
}

}  // namespace

int RunEvents(const std::string& path, bool json) {
  std::string data, error;
  if (!LoadEventLog(path, &data, &error)) {
    std::fprintf(stderr, "reel events: %s\n", error.c_str());
    return kExitBadInput;
  }
  // Streamed record by record: a long log is never held decoded in memory.
  TraceReader reader(data);
  if (!reader.ReadHeader()) {
    std::fprintf(stderr, "reel events: %s: %s\n", EventLogPath(path).c_str(),
                 reader.error().c_str());
    return kExitBadInput;
  }
  TraceRecord rec;
  while (reader.Next(&rec)) {
    nlohmann::json j = RecordToJson(rec);
    std::string line = json ? j.dump() : TextLine(j);
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  std::fflush(stdout);
  int rc = kExitOk;
  if (reader.damaged()) {
    std::fprintf(stderr, "reel events: warning: %s: %s; %llu bytes dropped\n",
                 EventLogPath(path).c_str(), reader.damage().c_str(),
                 static_cast<unsigned long long>(reader.dropped_bytes()));
    rc = kExitLosses;
  }
  nlohmann::json meta;
  LoadBundleMeta(path, &meta, &error);  // a bad meta.json is inspect's business
  if (uint64_t dropped = MetaDroppedRecords(meta); dropped > 0) {
    std::fprintf(stderr, "reel events: warning: the recorder dropped %llu records\n",
                 static_cast<unsigned long long>(dropped));
    rc = kExitLosses;
  }
  return rc;
}

}  // namespace reel::cli
