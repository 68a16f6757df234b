// The reader on damaged logs: torn tails, corruption, bad headers. It must
// never crash, must keep every whole record before the damage, and must say
// what it dropped.
#include <gtest/gtest.h>

#include <cerrno>
#include <random>
#include <string>

#include "capture/crc32c.h"
#include "capture/trace_reader.h"
#include "capture/trace_test_util.h"
#include "capture/trace_writer.h"

namespace reel {
namespace {

using testing::Decode;
using testing::ReadAll;
using testing::ScratchDir;
using testing::TestHeader;

// A small log with a mix of kinds; returns its bytes and the file offset
// where each record ends.
std::string SmallLog(std::vector<size_t>* record_ends) {
  ScratchDir dir;
  std::string path = dir.File("events.reel");
  TraceWriter w;
  TraceWriterOptions opt;
  opt.buffer_bytes = 4096;
  EXPECT_EQ(w.Open(path.c_str(), TestHeader(), opt), 0);
  EpollEvent ready[2] = {{kEpollIn, 4}, {kEpollIn, 5}};
  const char rnd[16] = "0123456789abcde";
  SockAddr a = *SockAddr::FromHostPort("127.0.0.1", 6379);
  SockAddr b = *SockAddr::FromHostPort("127.0.0.1", 40001);
  int64_t t = 5'000'001'000;
  std::vector<size_t> ends;
  auto mark = [&] {
    w.Flush();
    ends.push_back(w.stats().bytes_written);
  };
  w.EpollCreate(t++, kCloexec, SysResult::Ok(3)), mark();
  w.Bind(t++, 4, a, SysResult::Ok(0)), mark();
  w.EpollWait(t += 1000, 3, 64, 100, 900, SysResult::Ok(2), ready), mark();
  w.Accept4(t++, 4, kNonblock, SysResult::Ok(5), b, a), mark();
  w.Read(t++, 5, 16384, 0, SysResult::Ok(300)), mark();
  w.Write(t++, 5, 5, 0, SysResult::Error(EAGAIN)), mark();
  w.Random(t++, rnd, sizeof rnd), mark();
  w.Clock(t++, trace::kClockRealtime, 1'700'000'000'000'000'000), mark();
  w.Close(t++, 5, SysResult::Ok(0)), mark();
  w.Close();
  *record_ends = ends;
  return ReadAll(path);
}

TEST(TraceReaderDamage, TruncationAtEveryOffsetKeepsEveryWholeRecord) {
  std::vector<size_t> ends;
  std::string full = SmallLog(&ends);
  ASSERT_EQ(ends.size(), 9u);
  ASSERT_EQ(ends.back(), full.size());
  auto whole = Decode(full);
  ASSERT_EQ(whole.records.size(), 9u);

  for (size_t cut = 0; cut <= full.size(); cut++) {
    auto d = Decode(full.substr(0, cut));
    if (cut < trace::kHeaderSize) {
      EXPECT_FALSE(d.error.empty()) << cut;
      continue;
    }
    ASSERT_EQ(d.error, "") << cut;
    size_t expect = 0;
    while (expect < ends.size() && ends[expect] <= cut) expect++;
    ASSERT_EQ(d.records.size(), expect) << "cut at " << cut;
    for (size_t i = 0; i < expect; i++) {
      EXPECT_EQ(d.records[i].seq, whole.records[i].seq);
      EXPECT_EQ(d.records[i].ts_ns, whole.records[i].ts_ns);
      EXPECT_EQ(d.records[i].kind, whole.records[i].kind);
    }
    size_t clean_end = expect == 0 ? trace::kHeaderSize : ends[expect - 1];
    EXPECT_EQ(d.valid_bytes, clean_end) << cut;
    EXPECT_EQ(d.dropped_bytes, cut - clean_end) << cut;
    if (cut == clean_end) {
      EXPECT_EQ(d.damage, "") << cut;
    } else {
      EXPECT_EQ(d.damage.rfind("torn record at offset " + std::to_string(clean_end), 0), 0u)
          << cut << ": " << d.damage;
    }
  }
}

TEST(TraceReaderDamage, RandomCorruptionNeverCrashesAndKeepsThePrefix) {
  std::vector<size_t> ends;
  std::string full = SmallLog(&ends);
  auto whole = Decode(full);
  std::mt19937 rng(12345);
  for (int iter = 0; iter < 20000; iter++) {
    std::string data = full;
    // Damage 1-3 bytes after the header.
    size_t first = data.size();
    int n = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < n; k++) {
      size_t at = trace::kHeaderSize + rng() % (data.size() - trace::kHeaderSize);
      uint8_t flip = static_cast<uint8_t>(1 + rng() % 255);
      data[at] = static_cast<char>(data[at] ^ flip);
      first = std::min(first, at);
    }
    if (rng() % 4 == 0) data.resize(first + rng() % (data.size() - first + 1));
    auto d = Decode(data);
    ASSERT_EQ(d.error, "");
    // Every record that ends before the first damaged byte is kept, unchanged.
    size_t intact = 0;
    while (intact < ends.size() && ends[intact] <= first) intact++;
    ASSERT_GE(d.records.size(), intact) << iter;
    for (size_t i = 0; i < d.records.size() && i < whole.records.size(); i++) {
      if (i < intact) {
        ASSERT_EQ(d.records[i].seq, whole.records[i].seq);
        ASSERT_EQ(d.records[i].ts_ns, whole.records[i].ts_ns);
      }
    }
    // CRC32C catches every 1-3 byte error within a record, so nothing damaged
    // is returned.
    ASSERT_EQ(d.records.size(), intact) << iter << ": " << d.damage;
    // Unless the cut removed every damaged byte at a record boundary.
    if (data.size() > first) {
      ASSERT_FALSE(d.damage.empty()) << iter;
    }
    ASSERT_EQ(d.valid_bytes + d.dropped_bytes, data.size());
  }
}

TEST(TraceReaderDamage, UncheckedBodiesOfRandomBytesNeverCrash) {
  // With checksums off (the fuzz mode), random bodies reach the decoder.
  std::vector<size_t> ends;
  std::string full = SmallLog(&ends);
  std::mt19937 rng(777);
  for (int iter = 0; iter < 20000; iter++) {
    std::string data = full.substr(0, trace::kHeaderSize);
    size_t len = rng() % 200;
    for (size_t i = 0; i < len; i++) data += static_cast<char>(rng());
    auto d = Decode(data, /*verify=*/false);
    ASSERT_EQ(d.error, "");
    ASSERT_EQ(d.valid_bytes + d.dropped_bytes, data.size());
  }
}

TEST(TraceReaderDamage, ChecksumMismatchIsReportedWithItsOffset) {
  std::vector<size_t> ends;
  std::string data = SmallLog(&ends);
  // Flip a bit in the last byte of the third record (its CRC).
  data[ends[2] - 1] ^= 0x01;
  auto d = Decode(data);
  EXPECT_EQ(d.records.size(), 2u);
  EXPECT_EQ(d.damage,
            "corrupt record at offset " + std::to_string(ends[1]) + " (checksum mismatch)");
  EXPECT_EQ(d.dropped_bytes, data.size() - ends[1]);
}

TEST(TraceReaderDamage, ZeroFilledTail) {
  std::vector<size_t> ends;
  std::string data = SmallLog(&ends);
  data += std::string(4096, '\0');  // what a filesystem may show after a crash
  auto d = Decode(data);
  EXPECT_EQ(d.records.size(), 9u);
  EXPECT_EQ(d.damage, "zero-filled tail at offset " + std::to_string(ends.back()));
  EXPECT_EQ(d.dropped_bytes, 4096u);
}

TEST(TraceReaderDamage, HeaderErrorsAreOneClearLine) {
  std::vector<size_t> ends;
  std::string good = SmallLog(&ends);

  EXPECT_EQ(Decode("").error, "empty file, not a reel event log");
  EXPECT_EQ(Decode("GET / HTTP/1.1\r\n\r\n").error, "not a reel event log (bad magic)");
  EXPECT_EQ(Decode(good.substr(0, 5)).error, "truncated header: 5 bytes");
  EXPECT_EQ(Decode(good.substr(0, 20)).error, "truncated header: 20 of 40 bytes");

  std::string v2 = good;
  v2[8] = 2;
  v2[10] = 3;
  EXPECT_EQ(Decode(v2).error,
            "event log format version 2.3 is not supported (this reader reads version 1.x)");
  std::string v0 = good;
  v0[8] = 0;
  EXPECT_NE(Decode(v0).error.find("version 0.0 is not supported"), std::string::npos);

  std::string bad_crc = good;
  bad_crc[20] ^= 0x40;  // inside start_mono_ns
  EXPECT_EQ(Decode(bad_crc).error, "corrupt header: checksum mismatch");

  std::string bad_len = good;
  bad_len[12] = 8;
  EXPECT_EQ(Decode(bad_len).error, "corrupt header: header length 8");
}

// Appends a hand-made frame (length, body, CRC) to data.
void AppendFrame(std::string* data, const std::string& body) {
  uint8_t len[trace::kMaxVarint];
  uint8_t* end = trace::PutUvarint(len, body.size());
  std::string frame(reinterpret_cast<char*>(len), static_cast<size_t>(end - len));
  frame += body;
  uint8_t crc[4];
  trace::PutLe32(crc, Crc32c(frame.data(), frame.size()));
  frame.append(reinterpret_cast<char*>(crc), 4);
  *data += frame;
}

TEST(TraceReaderDamage, NewerMinorVersionsAreRead) {
  // A 1.7 log with a longer header, a kind this reader does not know and an
  // extra trailing field on a known kind: all compatible changes.
  std::vector<size_t> ends;
  std::string old = SmallLog(&ends);
  std::string data(old.data(), 8);
  data += std::string("\x01\x00\x07\x00", 4);  // version 1.7
  data += std::string("\x30\x00\x00\x00", 4);  // header_len 48
  data += old.substr(16, 20);                  // times and pid
  data += std::string(8, '\x5A');              // a future header field
  uint8_t crc[4];
  trace::PutLe32(crc, Crc32c(data.data(), data.size()));
  data.append(reinterpret_cast<char*>(crc), 4);
  ASSERT_EQ(data.size(), 48u);
  AppendFrame(&data, std::string("\xC8\x01\x02\xAB\xCD", 5));      // kind 200, seq 1, ts +1
  AppendFrame(&data, std::string("\x0D\x01\x02\x0A\x00\x63", 6));  // close fd 5 -> 0, + 0x63
  auto d = Decode(data);
  ASSERT_EQ(d.error, "");
  ASSERT_EQ(d.records.size(), 2u) << d.damage;
  EXPECT_EQ(d.damage, "");
  EXPECT_EQ(d.records[0].kind, 200);
  EXPECT_STREQ(d.records[0].kind_name(), "unknown");
  EXPECT_EQ(std::get<trace::UnknownRec>(d.records[0].call).body, "\xAB\xCD");
  EXPECT_EQ(d.records[1].seq, 2u);
  EXPECT_EQ(d.records[1].ts_ns, TestHeader().start_mono_ns + 2);
  EXPECT_EQ(std::get<trace::CloseRec>(d.records[1].call).fd, 5);
  EXPECT_EQ(d.records[1].result.value, 0);
}

TEST(TraceReaderDamage, StructurallyInvalidBodiesStopTheLog) {
  std::vector<size_t> ends;
  std::string old = SmallLog(&ends);
  std::string header = old.substr(0, trace::kHeaderSize);
  struct Case {
    std::string body;
    std::string damage;
  } cases[] = {
      {std::string("\x0D\x00\x02\x0A\x00", 5), "malformed close record"},  // seq delta 0
      {std::string("\x0D\x01\x02\x0A", 4), "malformed close record"},      // result missing
      // epoll_wait claiming 100 entries with none present.
      {std::string("\x03\x01\x02\x06\x80\x01\xC8\x01\x00\xC8\x01", 11),
       "malformed epoll_wait record"},
      {std::string("\x10\x01\x02\x20\x01", 5), "malformed random record"},    // 32 bytes promised
      {std::string("\x06\x01\x02\x08\x07\x01", 6), "malformed bind record"},  // family 7
  };
  for (const Case& c : cases) {
    std::string data = header;
    AppendFrame(&data, std::string("\x0D\x01\x02\x0A\x00", 5));  // one good close
    AppendFrame(&data, c.body);
    auto d = Decode(data);
    EXPECT_EQ(d.records.size(), 1u) << c.damage;
    EXPECT_EQ(d.damage, c.damage + " at offset " + std::to_string(trace::kHeaderSize + 10));
  }
}

TEST(TraceReaderDamage, ReadTraceFileErrors) {
  ScratchDir dir;
  TraceFile log;
  std::string error;
  EXPECT_FALSE(ReadTraceFile(dir.File("missing"), &log, &error));
  EXPECT_EQ(error, dir.File("missing") + ": No such file or directory");
  // A bundle directory without an event log.
  EXPECT_FALSE(ReadTraceFile(dir.path(), &log, &error));
  EXPECT_EQ(error, dir.File("events.reel") + ": No such file or directory");
  testing::WriteAll(dir.File("events.reel"), std::string("REELEVT\n\x09\x00\x00\x00", 12));
  EXPECT_FALSE(ReadTraceFile(dir.path(), &log, &error));
  EXPECT_EQ(error, dir.File("events.reel") +
                       ": event log format version 9.0 is not supported (this reader reads "
                       "version 1.x)");
}

}  // namespace
}  // namespace reel
