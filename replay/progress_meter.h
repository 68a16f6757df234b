// Progress of a long replay, for people watching a terminal.
//
// Two halves, so replay stays deterministic: the replay library only ever
// sees a ProgressSink — a count of records done out of a total, never a
// clock — and ticks it from its loop. The ProgressMeter is a sink the
// command layer builds (replay/replay_command.cc) with a monotonic clock and
// an output it owns (stderr, when stderr is a terminal). Nothing the meter
// does reaches a timeline or a verdict.
//
// The meter draws nothing for the first ~300 ms (a quick replay prints only
// its verdict), then redraws one line at most ~10 times a second:
//   \r[#########...........]  45%  1.2M/2.6M records  0:03 left\033[K
// and erases it (\r\033[K) when finished, so the verdict that follows starts
// on a clean line.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace reel::replay {

// What the replay loops tick. `done` of `total` units of the current pass
// (records of the event log, or calls made against it).
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void Progress(uint64_t done, uint64_t total) = 0;
  // The current pass over the log is over; later ticks count in the next.
  virtual void NextPass() {}
};

struct ProgressMeterOptions {
  int64_t delay_ns = 300'000'000;     // draw nothing before this much time has passed
  int64_t interval_ns = 100'000'000;  // at most one redraw per interval
  int bar_cells = 20;
  // Progress() is called once per record; reading the clock that often would
  // cost more than the tick, so it is read every this many ticks.
  uint64_t clock_every = 1024;
  // Passes over the log (the model schedule makes two: the kernel model, then
  // reel-server's own code on it). The bar and the time left cover them all.
  int passes = 1;
  std::string unit = "records";
  // When the person started waiting (the command's start, before the bundle
  // was loaded): the delay counts from there. < 0: the meter's construction.
  int64_t started_ns = -1;
};

class ProgressMeter final : public ProgressSink {
 public:
  using Clock = std::function<int64_t()>;  // monotonic ns
  using Output = std::function<void(std::string_view)>;

  // The delay counts from options.started_ns (or now); the rate, for the
  // time left, from the first tick.
  ProgressMeter(Clock clock, Output output, ProgressMeterOptions options = {});
  ~ProgressMeter() override { Finish(); }
  ProgressMeter(const ProgressMeter&) = delete;
  ProgressMeter& operator=(const ProgressMeter&) = delete;

  void Progress(uint64_t done, uint64_t total) override;
  void NextPass() override;
  // Erases the line if one was drawn; later ticks draw nothing. Idempotent.
  // The tick that completes the last pass finishes the meter by itself.
  void Finish();

  uint64_t redraws() const { return redraws_; }

  // The text of one redraw (without the leading \r and trailing erase), for
  // tests: fraction of all passes, this pass's counts, time left (< 0: not
  // known yet).
  static std::string Line(double fraction, uint64_t done, uint64_t total, int64_t left_ns, int pass,
                          int passes, int bar_cells, std::string_view unit);
  // 999, 12.3k, 1.2M, 3.4G.
  static std::string Count(uint64_t n);
  // 0:03, 12:34, 1:02:03.
  static std::string Duration(int64_t ns);

 private:
  void Draw(int64_t now, uint64_t done, uint64_t total);

  Clock clock_;
  Output output_;
  ProgressMeterOptions options_;
  int64_t start_ns_;
  int64_t first_tick_ns_ = 0;
  int64_t last_draw_ns_ = 0;
  uint64_t ticks_ = 0;
  int pass_ = 0;
  bool drawn_ = false;
  bool finished_ = false;
  uint64_t redraws_ = 0;
};

}  // namespace reel::replay
