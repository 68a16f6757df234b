#include "replay/bundle.h"

#include <algorithm>
#include <tuple>

namespace reel::replay {

namespace {

// Turns the reassembled streams into the model's input events. Bytes become
// readable at their chunk's readable_ns (in order, after any hole before
// them filled), which is when the receiving socket could hand them out.
void BuildNetEvents(Bundle* b) {
  auto to_mono = [&](int64_t real_ns) { return real_ns - b->real_minus_mono_ns; };
  size_t count = 0;
  for (const TcpFlow& f : b->streams.flows) count += f.to_server.chunks.size() + 3;
  b->net.reserve(count);
  for (const TcpFlow& f : b->streams.flows) {
    if (f.established_ns)
      b->net.push_back({to_mono(*f.established_ns), NetEvent::Type::kEstablished, f.id, 0, 0});
    for (const StreamChunk& c : f.to_server.chunks)
      b->net.push_back(
          {to_mono(c.readable_ns), NetEvent::Type::kData, f.id, c.offset, c.bytes.size()});
    if (f.to_server.fin_ns)
      b->net.push_back({to_mono(*f.to_server.fin_ns), NetEvent::Type::kFin, f.id, 0, 0});
    if (f.to_server.rst_ns)
      b->net.push_back({to_mono(*f.to_server.rst_ns), NetEvent::Type::kReset, f.id, 0, 0});
  }
  // Equal times break ties by flow id, then by type (established < data <
  // fin < reset): a documented, stable order.
  std::stable_sort(b->net.begin(), b->net.end(), [](const NetEvent& x, const NetEvent& y) {
    return std::tie(x.t_ns, x.flow, x.type, x.offset) < std::tie(y.t_ns, y.flow, y.type, y.offset);
  });
}

}  // namespace

bool LoadBundle(const std::string& dir, Bundle* out, std::string* error) {
  out->dir = dir;
  std::string meta_text;
  if (!ReadWholeFile(dir + "/meta.json", &meta_text)) {
    *error = dir + ": no meta.json (not a reel bundle?)";
    return false;
  }
  out->meta = nlohmann::json::parse(meta_text, nullptr, /*allow_exceptions=*/false);
  if (out->meta.is_discarded() || !out->meta.is_object()) {
    *error = dir + "/meta.json: not valid JSON";
    return false;
  }
  const auto& meta = out->meta;
  if (meta.contains("start") && meta["start"].is_object()) {
    const auto& s = meta["start"];
    if (s.contains("monotonic_ns") && s.contains("realtime_ns") && s["monotonic_ns"].is_number() &&
        s["realtime_ns"].is_number()) {
      out->start_mono_ns = s["monotonic_ns"].get<int64_t>();
      out->real_minus_mono_ns = s["realtime_ns"].get<int64_t>() - out->start_mono_ns;
    }
  }
  if (meta.contains("command_line") && meta["command_line"].is_array())
    for (const auto& a : meta["command_line"])
      if (a.is_string()) out->command_line.push_back(a.get<std::string>());
  if (meta.contains("final_keyspace_digest") && meta["final_keyspace_digest"].is_string())
    out->final_digest = meta["final_keyspace_digest"].get<std::string>();

  if (!ReadTraceFile(dir, &out->log, error)) return false;
  if (out->start_mono_ns == 0) {
    // Older or partial meta: the log header holds the same pair.
    out->start_mono_ns = out->log.header.start_mono_ns;
    out->real_minus_mono_ns = out->log.header.start_real_ns - out->log.header.start_mono_ns;
  }

  std::string image;
  if (!ReadWholeFile(dir + "/packets.pcap", &image)) {
    out->pcap_problem = "no packets.pcap in the bundle";
    return true;
  }
  ReassemblerOptions options;
  for (const TraceRecord& r : out->log.records)
    if (const auto* b = std::get_if<trace::BindRec>(&r.call); b && r.result.ok())
      options.server_ports.push_back(b->addr.port);
  out->streams = ReassemblePcap(image, options);
  out->has_pcap = true;
  if (!out->streams.pcap_error.empty()) out->pcap_problem = out->streams.pcap_error;
  BuildNetEvents(out);
  return true;
}

}  // namespace reel::replay
