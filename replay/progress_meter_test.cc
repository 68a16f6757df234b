// The progress meter with a fake clock and a string sink: silent before the
// delay, rate-limited, the right percentage, erased when done.
#include "replay/progress_meter.h"

#include <gtest/gtest.h>

#include <string>

namespace reel::replay {
namespace {

constexpr int64_t kMs = 1'000'000;

struct Fixture {
  int64_t now = 1000 * kMs;  // any start: only differences count
  std::string out;
  ProgressMeter Make(ProgressMeterOptions o = {}) {
    o.clock_every = 1;  // read the fake clock on every tick
    return ProgressMeter([this] { return now; }, [this](std::string_view s) { out += s; }, o);
  }
};

TEST(ProgressMeter, DrawsNothingBeforeTheDelay) {
  Fixture f;
  ProgressMeter m = f.Make();
  for (uint64_t i = 1; i < 1000; i++) {
    f.now += kMs / 4;  // 999 ticks over ~250 ms
    m.Progress(i, 1000);
  }
  EXPECT_EQ(f.out, "");
  m.Finish();
  EXPECT_EQ(f.out, "") << "nothing drawn, nothing to erase";
}

TEST(ProgressMeter, FirstDrawAfterTheDelayShowsBarPercentCountsAndTimeLeft) {
  Fixture f;
  ProgressMeter m = f.Make();
  f.now += 299 * kMs;
  m.Progress(100, 1000);
  EXPECT_EQ(f.out, "");
  f.now += 2 * kMs;  // 301 ms in, 45% done: 301 * 55/45 = 367 ms left
  m.Progress(450, 1000);
  EXPECT_EQ(f.out, "\r[#########...........]  45%  450/1.0k records  0:00 left\033[K");
  EXPECT_EQ(m.redraws(), 1u);
}

TEST(ProgressMeter, RedrawsAtMostTenTimesASecond) {
  Fixture f;
  ProgressMeter m = f.Make();
  const uint64_t total = 100000;
  // 3 s of ticks, one per ms.
  for (uint64_t i = 1; i <= 3000; i++) {
    f.now += kMs;
    m.Progress(i, total);
  }
  // Drawing starts at 300 ms, then every 100 ms: 300, 400, ..., 3000.
  EXPECT_EQ(m.redraws(), 28u);
  size_t lines = 0;
  for (char c : f.out) lines += c == '\r';
  EXPECT_EQ(lines, 28u);
}

TEST(ProgressMeter, PercentIsFlooredAndTimeLeftExtrapolates) {
  Fixture f;
  ProgressMeter m = f.Make();
  m.Progress(1, 10'400'000);  // the rate counts from the first tick
  f.now += 10'000 * kMs;      // 10 s for 25%: 30 s left
  m.Progress(2'599'999, 10'400'000);
  EXPECT_EQ(f.out, "\r[####................]  24%  2.6M/10.4M records  0:30 left\033[K");
}

TEST(ProgressMeter, TheDelayCountsFromWhenTheWaitStarted) {
  Fixture f;
  ProgressMeterOptions o;
  o.started_ns = f.now;
  f.now += 500 * kMs;  // loading the bundle took 500 ms
  ProgressMeter m = f.Make(o);
  m.Progress(1, 100);
  EXPECT_NE(f.out.find("\r[....................]   1%  1/100 records  0:00 left"),
            std::string::npos)
      << f.out;
}

TEST(ProgressMeter, NoTimeLeftBelowOnePercent) {
  Fixture f;
  ProgressMeter m = f.Make();
  m.Progress(1, 1000);
  f.now += 400 * kMs;
  m.Progress(9, 1000);
  EXPECT_NE(f.out.find("   0%  9/1.0k records  ?:?? left"), std::string::npos) << f.out;
}

TEST(ProgressMeter, FinishErasesTheLineOnce) {
  Fixture f;
  ProgressMeter m = f.Make();
  f.now += 500 * kMs;
  m.Progress(10, 20);
  ASSERT_FALSE(f.out.empty());
  f.out.clear();
  m.Finish();
  EXPECT_EQ(f.out, "\r\033[K");
  m.Finish();
  f.now += 500 * kMs;
  m.Progress(15, 20);
  EXPECT_EQ(f.out, "\r\033[K") << "finished: no more drawing, no second erase";
}

TEST(ProgressMeter, TheLastRecordOfTheLastPassErasesAtOnce) {
  Fixture f;
  ProgressMeterOptions o;
  o.passes = 2;
  ProgressMeter m = f.Make(o);
  f.now += 400 * kMs;
  m.Progress(50, 100);  // pass 1, half way: 25% of the whole
  EXPECT_NE(f.out.find(" 25%  50/100 records, pass 1/2"), std::string::npos) << f.out;
  m.Progress(100, 100);  // end of pass 1: not the end
  EXPECT_EQ(f.out.find("\033[K\r\033[K"), std::string::npos);
  m.NextPass();
  f.now += 200 * kMs;
  m.Progress(50, 100);  // 75% of the whole after 600 ms: 200 ms left
  EXPECT_NE(f.out.find("[###############.....]  75%  50/100 records, pass 2/2  0:00 left"),
            std::string::npos)
      << f.out;
  f.out.clear();
  m.Progress(100, 100);
  EXPECT_EQ(f.out, "\r\033[K");
}

TEST(ProgressMeter, DestructorErasesADrawnLine) {
  Fixture f;
  {
    ProgressMeter m = f.Make();
    f.now += 400 * kMs;
    m.Progress(1, 3);
  }
  ASSERT_GE(f.out.size(), 4u);
  EXPECT_EQ(f.out.substr(f.out.size() - 4), "\r\033[K");
}

TEST(ProgressMeter, MoreCallsThanRecordsStayAtTheTotal) {
  Fixture f;
  ProgressMeterOptions o;
  o.passes = 2;
  ProgressMeter m = f.Make(o);
  f.now += 400 * kMs;
  m.Progress(150, 100);  // the model went past the recording
  EXPECT_NE(f.out.find(" 50%  100/100 records, pass 1/2"), std::string::npos) << f.out;
}

TEST(ProgressMeter, ReadsTheClockOnlyEveryNTicks) {
  int reads = 0;
  ProgressMeterOptions o;
  o.clock_every = 1024;
  ProgressMeter m([&] { return static_cast<int64_t>(reads++); }, [](std::string_view) {}, o);
  for (uint64_t i = 1; i <= 10240; i++) m.Progress(i, 1'000'000);
  EXPECT_EQ(reads, 1 + 1 + 10);  // the constructor's, the first tick's, one per 1024 ticks
}

TEST(ProgressMeter, CountsAndDurations) {
  EXPECT_EQ(ProgressMeter::Count(999), "999");
  EXPECT_EQ(ProgressMeter::Count(1000), "1.0k");
  EXPECT_EQ(ProgressMeter::Count(123456), "123.5k");
  EXPECT_EQ(ProgressMeter::Count(999'999), "1.0M");
  EXPECT_EQ(ProgressMeter::Count(1'200'000), "1.2M");
  EXPECT_EQ(ProgressMeter::Count(3'400'000'000), "3.4G");
  EXPECT_EQ(ProgressMeter::Duration(3'999'999'999), "0:03");
  EXPECT_EQ(ProgressMeter::Duration(754'000'000'000), "12:34");
  EXPECT_EQ(ProgressMeter::Duration(3723'000'000'000), "1:02:03");
  EXPECT_EQ(ProgressMeter::Line(0, 0, 5, -1, 1, 1, 4, "records"),
            "[....]   0%  0/5 records  ?:?? left");
}

}  // namespace
}  // namespace reel::replay
