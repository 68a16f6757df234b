#include "replay/model_replay.h"

#include <algorithm>
#include <optional>

#include "replay/progress_kernel.h"
#include "replay/replay_driver.h"
#include "server/server.h"
#include "server/server_cli.h"

namespace reel::replay {

namespace {

// Commands, replies and timers into the timeline and the result; each
// command's cost into the kernel's clock.
class ModelObserver final : public ServerObserver {
 public:
  ModelObserver(ModelKernel& kernel, TimelineWriter* timeline,
                std::vector<ReplayedCommand>* commands)
      : kernel_(kernel), timeline_(timeline), commands_(commands) {}

  void OnCommand(const Client& client, const Argv& argv) override {
    uint64_t conn = kernel_.ConnOf(client.fd());
    if (timeline_) timeline_->Command(kernel_.now_ns(), conn, argv);
    ReplayedCommand c;
    c.conn = conn;
    c.t_ns = kernel_.now_ns();
    c.argv.assign(argv.begin(), argv.end());
    commands_->push_back(std::move(c));
  }
  void OnReply(const Client& client, std::string_view reply) override {
    if (timeline_) timeline_->Reply(kernel_.now_ns(), kernel_.ConnOf(client.fd()), reply);
    if (commands_->empty()) return;
    ReplayedCommand& c = commands_->back();
    c.reply.assign(reply);
    uint64_t bytes = reply.size();
    for (const std::string& a : c.argv) bytes += a.size();
    kernel_.ChargeCommand(c.argv.empty() ? std::string_view() : c.argv[0], bytes);
  }
  void OnCron() override {
    if (timeline_) timeline_->Timer(kernel_.now_ns(), "serverCron");
  }

 private:
  ModelKernel& kernel_;
  TimelineWriter* timeline_;
  std::vector<ReplayedCommand>* commands_;
};

std::string CommandLine(const std::vector<std::string>& argv) {
  std::string s;
  for (const std::string& a : argv) s += (s.empty() ? "" : " ") + PrintableBytes(a, 40);
  return s;
}

}  // namespace

std::string PrintableBytes(std::string_view s, size_t max) {
  std::string out;
  for (unsigned char c : s.substr(0, max)) {
    if (c == '\r')
      out += "\\r";
    else if (c == '\n')
      out += "\\n";
    else if (c < 0x20 || c >= 0x7f)
      out += '?';
    else
      out.push_back(static_cast<char>(c));
  }
  return s.size() > max ? out + "..." : out;
}

ModelReplayResult ReplayOnModel(const Bundle& bundle, const ClientScript& script,
                                const CostModel& cost, const ModelReplayOptions& options,
                                TimelineWriter* timeline) {
  ModelReplayResult res;
  if (!IsReelServerBundle(bundle)) {
    res.problem = "the bundle was recorded from '" +
                  (bundle.command_line.empty() ? std::string("?") : bundle.command_line[0]) +
                  "', not reel-server: only reel-server's own code runs on the model";
    return res;
  }
  ServerConfig config;
  ServerProcessOptions process;
  std::string error;
  if (!ServerConfigFromArgs(bundle.command_line, &config, &process, &error)) {
    res.problem = error;
    return res;
  }
  if (options.hz > 0) config.hz = options.hz;
  if (options.maxevents > 0) config.maxevents = options.maxevents;
  ModelPolicy policy = options.policy;
  // A changed server configuration cannot line up with the recording.
  policy.follow_recording = options.follow_recording && options.hz == 0 && options.maxevents == 0;
  if (timeline)
    timeline->Header(bundle.dir.substr(bundle.dir.find_last_of('/') + 1), "model",
                     bundle.start_mono_ns);
  ModelKernel kernel(script, policy, cost, &bundle.log, timeline);
  Kernel& server_kernel = options.wrap ? options.wrap(kernel) : kernel;
  {
    Server server(server_kernel, config);
    ModelObserver observer(kernel, timeline, &res.commands);
    server.set_observer(&observer);
    if (server.Start(&error) != 0) {
      res.problem = "reel-server did not start on the model: " + error;
      return res;
    }
    server.Run();
    res.digest = server.db().Digest();
  }
  res.ran = true;
  res.stats = kernel.stats();
  res.outputs = kernel.outputs();
  res.end_ns = kernel.now_ns();
  if (timeline && !options.end_verdict.empty()) timeline->End(kernel.now_ns(), options.end_verdict);
  return res;
}

std::vector<ReplyChange> CompareReplies(const ModelReplayResult& base,
                                        const ModelReplayResult& other) {
  // Per run: flow -> its commands in order.
  auto by_flow = [](const ModelReplayResult& r) {
    std::map<uint64_t, uint32_t> flow_of;
    for (const auto& [flow, out] : r.outputs) flow_of[out.conn] = flow;
    std::map<uint32_t, std::vector<const ReplayedCommand*>> m;
    for (const ReplayedCommand& c : r.commands)
      if (flow_of.count(c.conn)) m[flow_of[c.conn]].push_back(&c);
    return m;
  };
  auto a = by_flow(base), b = by_flow(other);
  std::vector<ReplyChange> changes;
  std::set<uint32_t> flows;
  for (const auto& [f, v] : a) flows.insert(f);
  for (const auto& [f, v] : b) flows.insert(f);
  for (uint32_t f : flows) {
    const auto& va = a[f];
    const auto& vb = b[f];
    for (size_t i = 0; i < std::max(va.size(), vb.size()); i++) {
      const ReplayedCommand* ca = i < va.size() ? va[i] : nullptr;
      const ReplayedCommand* cb = i < vb.size() ? vb[i] : nullptr;
      if (ca && cb && ca->reply == cb->reply && ca->argv == cb->argv) continue;
      ReplyChange ch;
      ch.flow = f;
      ch.conn = ca ? ca->conn : cb->conn;
      ch.index = i;
      ch.command = CommandLine(ca ? ca->argv : cb->argv);
      ch.base_reply = ca ? PrintableBytes(ca->reply) : "(none)";
      ch.other_reply = cb ? PrintableBytes(cb->reply) : "(none)";
      changes.push_back(std::move(ch));
    }
  }
  return changes;
}

}  // namespace reel::replay

namespace reel::replay {

OwnCodeCheck CheckOwnCodeOnModel(const Bundle& b, TimelineWriter* timeline,
                                 ProgressSink* progress) {
  OwnCodeCheck check;
  if (!b.has_pcap) {
    check.problem = "no packets: " + b.pcap_problem;
    return check;
  }
  ClientScript script = ScriptFromBundle(b);
  CostModel cost = CalibrateCostModel(b, progress);
  if (progress) progress->NextPass();
  ModelReplayOptions options;
  // The verdict is known only once the run is compared with the capture.
  options.end_verdict.clear();
  std::optional<ProgressKernel> ticking;
  if (progress)
    options.wrap = [&](Kernel& model) -> Kernel& {
      return ticking.emplace(model, progress, b.log.records.size());
    };
  ModelReplayResult run = ReplayOnModel(b, script, cost, options, timeline);
  check = CompareWithCapture(b, script, run);
  if (timeline && run.ran) timeline->End(run.end_ns, check.same() ? "reproduced" : "diverged");
  return check;
}

OwnCodeCheck CompareWithCapture(const Bundle& b, const ClientScript& script,
                                const ModelReplayResult& r) {
  OwnCodeCheck check;
  if (!r.ran) {
    check.problem = r.problem;
    return check;
  }
  check.ran = true;
  check.stats = r.stats;
  check.commands = r.commands.size();
  for (const ScriptConnection& c : script.connections) {
    check.connections++;
    const TcpFlow& f = b.streams.flows[c.id];
    std::string captured = f.to_client.CapturedBytes();
    auto it = r.outputs.find(c.id);
    std::string produced = it == r.outputs.end() ? std::string() : it->second.bytes;
    if (produced == captured) continue;
    check.connections_differing++;
    if (!check.first_difference.empty()) continue;
    size_t i = 0;
    while (i < produced.size() && i < captured.size() && produced[i] == captured[i]) i++;
    size_t from = i > 20 ? i - 20 : 0;
    check.first_difference = "connection " + c.client.ToString() + ", byte " + std::to_string(i) +
                             ": the capture has \"" +
                             PrintableBytes(std::string_view(captured).substr(from), 60) +
                             "\", the model run wrote \"" +
                             PrintableBytes(std::string_view(produced).substr(from), 60) + "\"";
  }
  check.digest_checked = !b.final_digest.empty();
  check.digest_matches = r.digest == b.final_digest;
  return check;
}

}  // namespace reel::replay
