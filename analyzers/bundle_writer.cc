#include "analyzers/bundle_writer.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>

#include "capture/record_session.h"
#include "capture/recording_kernel.h"
#include "capture/trace_format.h"
#include "capture/trace_reader.h"
#include "capture/trace_writer.h"
#include "replay/pcap_builder.h"

namespace reel::analyzers {

namespace {

// TCP payload per synthesized segment: an IPv4 datagram holds at most
// 65535 bytes with its headers.
constexpr size_t kMaxSegmentPayload = 65000;

std::string Iso8601Utc(int64_t realtime_ns) {
  time_t secs = static_cast<time_t>(realtime_ns / 1000000000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>((realtime_ns % 1000000000) / 1000));
  return buf;
}

nlohmann::json ClockPair(int64_t mono_ns, int64_t real_minus_mono_ns) {
  return {{"monotonic_ns", mono_ns},
          {"realtime_ns", mono_ns + real_minus_mono_ns},
          {"realtime", Iso8601Utc(mono_ns + real_minus_mono_ns)}};
}

// One packet-worthy thing on one connection, at its time.
struct WireEvent {
  enum class Type { kHandshake, kClientData, kServerData, kClientFin, kClientRst, kServerFin };
  int64_t t = 0;  // monotonic
  size_t conn = 0;
  Type type = Type::kClientData;
  std::string data;
};

// When the server closed each accepted connection, from the log just written
// (accept4 gives fd -> client address -> flow; close ends it).
std::map<uint32_t, int64_t> CloseTimes(const TraceFile& log, const replay::ClientScript& script) {
  std::map<int, uint32_t> open;
  std::map<uint32_t, int64_t> closed;
  std::map<uint32_t, bool> accepted;
  for (const TraceRecord& r : log.records) {
    if (const auto* a = std::get_if<trace::Accept4Rec>(&r.call); a && r.result.ok()) {
      for (const replay::ScriptConnection& c : script.connections) {
        if (!(c.client == a->peer) || accepted[c.id]) continue;
        accepted[c.id] = true;
        open[static_cast<int>(r.result.value)] = c.id;
        break;
      }
    } else if (const auto* c = std::get_if<trace::CloseRec>(&r.call)) {
      auto it = open.find(c->fd);
      if (it == open.end()) continue;
      closed[it->second] = r.ts_ns;
      open.erase(it);
    }
  }
  return closed;
}

}  // namespace

std::string SynthesizePcap(const replay::ClientScript& script,
                           const std::map<uint32_t, replay::ModelOutput>& outputs,
                           const std::map<uint32_t, int64_t>& close_ns, uint64_t* frames) {
  std::vector<WireEvent> events;
  auto add = [&](int64_t t, size_t conn, WireEvent::Type type, std::string data = {}) {
    events.push_back({t, conn, type, std::move(data)});
  };
  for (size_t i = 0; i < script.connections.size(); i++) {
    const replay::ScriptConnection& c = script.connections[i];
    add(c.established_ns, i, WireEvent::Type::kHandshake);
    for (const replay::ScriptChunk& ch : c.chunks)
      for (size_t at = 0; at < ch.bytes.size(); at += kMaxSegmentPayload)
        add(ch.t_ns, i, WireEvent::Type::kClientData, ch.bytes.substr(at, kMaxSegmentPayload));
    if (auto it = outputs.find(c.id); it != outputs.end()) {
      uint64_t offset = 0;
      for (const auto& [t, n] : it->second.writes) {
        for (uint64_t at = 0; at < n; at += kMaxSegmentPayload)
          add(t, i, WireEvent::Type::kServerData,
              it->second.bytes.substr(offset + at, std::min<uint64_t>(kMaxSegmentPayload, n - at)));
        offset += n;
      }
    }
    if (c.fin_ns >= 0) add(c.fin_ns, i, WireEvent::Type::kClientFin);
    if (c.reset_ns >= 0) add(c.reset_ns, i, WireEvent::Type::kClientRst);
    if (auto it = close_ns.find(c.id); it != close_ns.end())
      add(it->second, i, WireEvent::Type::kServerFin);
  }
  // One timeline for the whole capture; equal times keep each connection's
  // own order (handshake, data, FIN), so sequence numbers stay consistent.
  std::stable_sort(events.begin(), events.end(),
                   [](const WireEvent& a, const WireEvent& b) { return a.t < b.t; });

  replay::PcapBuilder pcap(replay::kLinkEthernet);
  std::vector<replay::TcpConversation> convs;
  for (size_t i = 0; i < script.connections.size(); i++) {
    const replay::ScriptConnection& c = script.connections[i];
    // Fixed, distinct initial sequence numbers: the same script gives the same file.
    uint32_t isn = 0x10000000u + static_cast<uint32_t>(i) * 0x00100000u;
    convs.emplace_back(&pcap, c.client, c.server, isn, isn + 0x00080000u);
  }
  const int64_t shift = script.real_minus_mono_ns;
  for (const WireEvent& e : events) {
    replay::TcpConversation& conv = convs[e.conn];
    const int64_t ts = e.t + shift;
    switch (e.type) {
      case WireEvent::Type::kHandshake:
        // The client's ACK completes the handshake at the established time,
        // which is what reassembly reads back.
        conv.Syn(ts - 20000);
        conv.SynAck(ts - 10000);
        conv.HandshakeAck(ts);
        break;
      case WireEvent::Type::kClientData: conv.ClientSends(ts, e.data); break;
      case WireEvent::Type::kServerData: conv.ServerSends(ts, e.data); break;
      case WireEvent::Type::kClientFin: conv.ClientFin(ts); break;
      case WireEvent::Type::kClientRst: conv.ClientRst(ts); break;
      case WireEvent::Type::kServerFin: conv.ServerFin(ts); break;
    }
  }
  if (frames) *frames = pcap.size();
  return pcap.Bytes(/*nanosecond=*/true);
}

bool WriteModelBundle(const replay::Bundle& original, const replay::ClientScript& script,
                      const replay::CostModel& cost, const nlohmann::json& extra_meta,
                      const std::string& dir, SynthesizedBundle* out, std::string* error) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    *error = "cannot create " + dir + ": " + std::strerror(errno);
    return false;
  }
  // 1. The event log: the base run, recorded as reel-server --record would.
  trace::Header header;
  header.start_mono_ns = script.start_mono_ns;
  header.start_real_ns = script.start_mono_ns + script.real_minus_mono_ns;
  header.pid = 1;  // the ModelKernel's getpid off the recording
  TraceWriterOptions wo;
  // No time-based flushing: RecordingKernel would split an idle epoll_wait
  // at each flush deadline, and the model would see two waits where the
  // unrecorded run sees one.
  wo.flush_interval_ns = INT64_MAX;
  TraceWriter writer;
  const std::string log_path = dir + "/" + trace::kEventsFileName;
  if (int err = writer.Open(log_path.c_str(), header, wo); err != 0) {
    *error = "cannot write " + log_path + ": " + std::strerror(err);
    return false;
  }
  std::optional<RecordingKernel> recorder;
  replay::ModelReplayOptions o;
  o.follow_recording = false;  // the script is not the recording's any more
  o.wrap = [&](Kernel& model) -> Kernel& {
    recorder.emplace(model, writer);
    return *recorder;
  };
  out->run = replay::ReplayOnModel(original, script, cost, o, nullptr);
  int close_err = writer.Close();
  if (!out->run.ran) {
    *error = out->run.problem;
    return false;
  }
  if (out->run.stats.runaway) {
    *error = "the model run did not finish (runaway guard after " +
             std::to_string(out->run.stats.calls) + " calls)";
    return false;
  }
  if (close_err != 0 || writer.stats().records_dropped > 0) {
    *error = "cannot write " + log_path + ": " + std::strerror(close_err ? close_err : EIO);
    return false;
  }
  out->records = writer.stats().records;
  TraceFile log;
  if (!ReadTraceFile(dir, &log, error)) return false;

  // 2. The packets.
  std::string image =
      SynthesizePcap(script, out->run.outputs, CloseTimes(log, script), &out->packets);
  if (!WriteBundleFile(dir + "/packets.pcap", image, false, error)) return false;

  // 3. meta.json: the fields a recording writes (capture/record_session.cc),
  // with the original's command line and clocks.
  const TraceWriterStats& s = writer.stats();
  nlohmann::json by_kind = nlohmann::json::object();
  for (int k = 1; k <= trace::kMaxKind; k++)
    if (s.per_kind[k] > 0) by_kind[trace::KindName(static_cast<uint8_t>(k))] = s.per_kind[k];
  const int64_t start = script.start_mono_ns;
  const int64_t stop = log.records.empty() ? start : log.records.back().ts_ns;
  const int64_t shift = script.real_minus_mono_ns;
  nlohmann::json meta;
  meta["bundle_format_version"] = kBundleFormatVersion;
  meta["status"] = "complete";
  meta["recorder"] = "reel-server on the kernel model (synthesized)";
  if (original.meta.contains("reel_version")) meta["reel_version"] = original.meta["reel_version"];
  // Not recorded on any host: the kernel that ran it was the model.
  meta["host"] = {{"hostname", "reel-kernel-model"},
                  {"kernel", "reel kernel model"},
                  {"kernel_release", "model"},
                  {"machine", original.meta.value("/host/machine"_json_pointer, std::string("?"))}};
  meta["pid"] = header.pid;
  meta["command_line"] = original.command_line;
  if (original.meta.contains("listen_address"))
    meta["listen_address"] = original.meta["listen_address"];
  meta["event_log"] = {{"file", trace::kEventsFileName},
                       {"format_version", std::to_string(trace::kMajorVersion) + "." +
                                              std::to_string(trace::kMinorVersion)},
                       {"buffer_bytes", wo.buffer_bytes},
                       {"flush_interval_ns", wo.flush_interval_ns}};
  meta["start"] = ClockPair(start, shift);
  meta["stop"] = ClockPair(stop, shift);
  meta["clock_pairs"] = nlohmann::json::array({ClockPair(start, shift), ClockPair(stop, shift)});
  meta["records"] = {
      {"total", s.records}, {"written", s.records_written},     {"dropped", s.records_dropped},
      {"by_kind", by_kind}, {"bytes_written", s.bytes_written}, {"flushes", s.flushes}};
  meta["write_error"] = nullptr;
  meta["recording_stopped"] = nullptr;
  meta["final_keyspace_digest"] = out->run.digest;
  meta["pcap"] = {{"file", "packets.pcap"},
                  {"synthesized", true},
                  {"captured", out->packets},
                  {"file_bytes", image.size()}};
  for (const auto& [key, value] : extra_meta.items()) meta[key] = value;
  return WriteBundleFile(dir + "/" + kMetaFileName, meta.dump(2) + "\n", false, error);
}

}  // namespace reel::analyzers
