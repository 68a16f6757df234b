#include "replay/progress_meter.h"

#include <algorithm>
#include <cstdio>

namespace reel::replay {

ProgressMeter::ProgressMeter(Clock clock, Output output, ProgressMeterOptions options)
    : clock_(std::move(clock)),
      output_(std::move(output)),
      options_(std::move(options)),
      start_ns_(options_.started_ns >= 0 ? options_.started_ns : clock_()) {
  options_.clock_every = std::max<uint64_t>(options_.clock_every, 1);
  options_.passes = std::max(options_.passes, 1);
}

void ProgressMeter::Progress(uint64_t done, uint64_t total) {
  if (finished_) return;
  // The last record of the last pass: erase at once, so whatever the caller
  // prints next (the verdict) starts on a clean line.
  if (done >= total && pass_ + 1 == options_.passes) {
    Finish();
    return;
  }
  if (++ticks_ == 1) first_tick_ns_ = clock_();
  if (ticks_ % options_.clock_every != 0) return;
  int64_t now = clock_();
  if (now - start_ns_ < options_.delay_ns) return;
  if (drawn_ && now - last_draw_ns_ < options_.interval_ns) return;
  Draw(now, done, total);
}

void ProgressMeter::NextPass() {
  if (pass_ + 1 < options_.passes) pass_++;
}

void ProgressMeter::Finish() {
  if (finished_) return;
  finished_ = true;
  if (drawn_) output_("\r\033[K");
}

void ProgressMeter::Draw(int64_t now, uint64_t done, uint64_t total) {
  // A run that goes past the recording (the model off the recorded
  // schedule) can make more calls than the log has records.
  done = std::min(done, total);
  double in_pass = total ? static_cast<double>(done) / static_cast<double>(total) : 0.0;
  double fraction = (pass_ + in_pass) / options_.passes;
  int64_t elapsed = now - first_tick_ns_;
  // Below 1% the rate is too young to extrapolate from.
  int64_t left = fraction >= 0.01 ? static_cast<int64_t>(elapsed * (1 - fraction) / fraction) : -1;
  std::string s = "\r";
  s += Line(fraction, done, total, left, pass_ + 1, options_.passes, options_.bar_cells,
            options_.unit);
  s += "\033[K";  // the previous line may have been longer
  output_(s);
  drawn_ = true;
  last_draw_ns_ = now;
  redraws_++;
}

std::string ProgressMeter::Line(double fraction, uint64_t done, uint64_t total, int64_t left_ns,
                                int pass, int passes, int bar_cells, std::string_view unit) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  int filled = static_cast<int>(fraction * bar_cells);
  // Floor, so 100% means every record is done, never 99.6% rounded up.
  int percent = static_cast<int>(fraction * 100);
  char pct[8];
  std::snprintf(pct, sizeof pct, "%3d%%", percent);
  std::string s = "[";
  s.append(static_cast<size_t>(filled), '#');
  s.append(static_cast<size_t>(bar_cells - filled), '.');
  s += "] ";
  s += pct;
  s += "  " + Count(done) + "/" + Count(total) + " ";
  s += unit;
  if (passes > 1) s += ", pass " + std::to_string(pass) + "/" + std::to_string(passes);
  s += "  ";
  s += left_ns < 0 ? std::string("?:??") : Duration(left_ns);
  s += " left";
  return s;
}

std::string ProgressMeter::Count(uint64_t n) {
  if (n < 1000) return std::to_string(n);
  static constexpr struct {
    double scale;
    const char* suffix;
  } kUnits[] = {{1e3, "k"}, {1e6, "M"}, {1e9, "G"}};
  size_t u = 0;
  while (u + 1 < std::size(kUnits) && static_cast<double>(n) >= kUnits[u + 1].scale * 0.9995) u++;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%s", static_cast<double>(n) / kUnits[u].scale,
                kUnits[u].suffix);
  return buf;
}

std::string ProgressMeter::Duration(int64_t ns) {
  int64_t s = std::max<int64_t>(ns, 0) / 1'000'000'000;
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  return buf;
}

}  // namespace reel::replay
