#include "replay/cost_model.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "replay/replay_driver.h"

namespace reel::replay {

namespace {

constexpr int64_t kMaxCostNs = 1'000'000'000;

int64_t Clamp(double v) {
  if (!(v > 0)) return 0;
  return v > kMaxCostNs ? kMaxCostNs : static_cast<int64_t>(v);
}

int64_t Median(std::vector<int64_t> v) {
  if (v.empty()) return -1;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Iteration {
  int64_t begin_ns = 0;  // epoll_wait return
  int64_t end_ns = 0;    // the next epoll_wait's entry
  uint64_t calls = 0;    // socket calls in between (read, write, accept, close, ...)
  std::vector<const ReplayedCommand*> commands;
  uint64_t bytes = 0;
  int64_t slept_ns = 0;  // DEBUG SLEEP and the like: the model's SleepNs advances time itself
  int64_t busy() const { return end_ns - begin_ns - slept_ns; }
};

bool IsSocketCall(trace::Kind k) {
  switch (k) {
    case trace::Kind::kRead:
    case trace::Kind::kWrite:
    case trace::Kind::kWritev:
    case trace::Kind::kAccept4:
    case trace::Kind::kClose:
    case trace::Kind::kShutdown:
    case trace::Kind::kSetSockOpt:
    case trace::Kind::kEpollCtl: return true;
    default: return false;
  }
}

}  // namespace

int64_t CostModel::CommandNs(std::string_view name, uint64_t bytes) const {
  auto it = base_ns.find(std::string(name));
  int64_t base = it == base_ns.end() ? default_base_ns : it->second;
  return base + Clamp(per_byte_ns * static_cast<double>(bytes));
}

std::string CostModel::Describe() const {
  std::string s = "cost model (" + std::to_string(samples) + " iterations): per call " +
                  std::to_string(per_call_ns) + " ns, per byte " + std::to_string(per_byte_ns) +
                  " ns, default command " + std::to_string(default_base_ns) + " ns";
  for (const auto& [name, ns] : base_ns) s += "\n  " + name + ": " + std::to_string(ns) + " ns";
  return s;
}

CostModel CalibrateCostModel(const Bundle& b, ProgressSink* progress) {
  CostModel model;
  std::vector<ReplayedCommand> commands;
  ReplayOptions options;
  options.commands = &commands;
  options.progress = progress;
  ReplayVerdict v = ReplayRecorded(b, options, nullptr);
  if (!v.runnable) return model;

  // Iterations from the log; commands land in the iteration whose busy span
  // holds the time of the read that delivered them.
  std::vector<Iteration> its;
  bool open = false;
  for (const TraceRecord& r : b.log.records) {
    int64_t t = r.ts_ns - b.start_mono_ns;
    if (const auto* w = std::get_if<trace::EpollWaitRec>(&r.call)) {
      if (open) its.back().end_ns = t - w->wait_ns;
      its.push_back({t, t, 0, {}, 0, 0});
      open = true;
    } else if (const auto* sl = std::get_if<trace::SleepRec>(&r.call); sl && open) {
      its.back().slept_ns += sl->slept_ns;
    } else if (open && IsSocketCall(r.kind_enum())) {
      its.back().calls++;
    }
  }
  if (open) its.pop_back();  // the last iteration has no end
  size_t k = 0;
  for (const ReplayedCommand& c : commands) {
    while (k < its.size() && its[k].end_ns < c.t_ns) k++;
    if (k == its.size()) break;
    if (c.t_ns < its[k].begin_ns) continue;
    its[k].commands.push_back(&c);
    uint64_t bytes = c.reply.size();
    for (const std::string& a : c.argv) bytes += a.size();
    its[k].bytes += bytes;
  }

  std::vector<int64_t> idle_per_call;
  for (const Iteration& it : its)
    if (it.commands.empty() && it.calls > 0)
      idle_per_call.push_back(it.busy() / static_cast<int64_t>(it.calls));
  if (int64_t m = Median(idle_per_call); m >= 0) model.per_call_ns = Clamp(static_cast<double>(m));

  // Per-command residuals: (busy - calls * per_call) / commands, with bytes per command.
  struct Sample {
    double residual, bytes;
    const Iteration* it;
  };
  std::vector<Sample> samples;
  for (const Iteration& it : its) {
    if (it.commands.empty()) continue;
    double n = static_cast<double>(it.commands.size());
    double busy = static_cast<double>(it.busy()) -
                  static_cast<double>(it.calls) * static_cast<double>(model.per_call_ns);
    samples.push_back({busy / n, static_cast<double>(it.bytes) / n, &it});
  }
  model.samples = idle_per_call.size() + samples.size();
  if (samples.empty()) return model;
  double mx = 0, my = 0;
  for (const Sample& s : samples) {
    mx += s.bytes;
    my += s.residual;
  }
  mx /= static_cast<double>(samples.size());
  my /= static_cast<double>(samples.size());
  double sxx = 0, sxy = 0;
  for (const Sample& s : samples) {
    sxx += (s.bytes - mx) * (s.bytes - mx);
    sxy += (s.bytes - mx) * (s.residual - my);
  }
  model.per_byte_ns = sxx > 0 ? std::clamp(sxy / sxx, 0.0, 1000.0) : 0.0;

  std::map<std::string, std::vector<int64_t>> by_name;
  std::vector<int64_t> all;
  for (const Sample& s : samples) {
    int64_t base = Clamp(s.residual - model.per_byte_ns * s.bytes);
    all.push_back(base);
    std::string name =
        Lower(s.it->commands.front()->argv.empty() ? std::string()
                                                   : s.it->commands.front()->argv.front());
    bool uniform =
        std::all_of(s.it->commands.begin(), s.it->commands.end(), [&](const ReplayedCommand* c) {
          return !c->argv.empty() && Lower(c->argv.front()) == name;
        });
    if (uniform && !name.empty()) by_name[name].push_back(base);
  }
  model.default_base_ns = Median(all);
  for (auto& [name, costs] : by_name) model.base_ns[name] = Median(std::move(costs));
  return model;
}

}  // namespace reel::replay
