#include "replay/pcap_file.h"

#include <gtest/gtest.h>

#include <string>

#include "replay/pcap_builder.h"

namespace reel::replay {
namespace {

// Three raw frames with distinct timestamps and sizes.
PcapBuilder ThreeFrames(uint32_t snaplen = 0) {
  PcapBuilder b(kLinkEthernet);
  b.set_snaplen(snaplen);
  b.AddFrame(1'700'000'000'123'456'789, std::string(60, 'a'));
  b.AddFrame(1'700'000'001'000'000'001, std::string(100, 'b'));
  b.AddFrame(1'700'000'002'999'999'000, std::string(14, 'c'));
  return b;
}

TEST(PcapFileTest, ClassicNanosecondLittleEndian) {
  std::string image = ThreeFrames().Bytes(/*nanosecond=*/true, /*big_endian=*/false);
  PcapParse p = ParsePcap(image);
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.format, PcapFormat::kPcap);
  EXPECT_TRUE(p.nanosecond);
  EXPECT_FALSE(p.swapped);
  EXPECT_EQ(p.link_type, kLinkEthernet);
  EXPECT_EQ(p.snaplen, 262144u);
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.records[0].timestamp_ns, 1'700'000'000'123'456'789);
  EXPECT_EQ(p.records[1].timestamp_ns, 1'700'000'001'000'000'001);
  EXPECT_EQ(p.records[0].bytes, std::string(60, 'a'));
  EXPECT_EQ(p.records[1].original_length, 100u);
  EXPECT_EQ(p.records[2].bytes, std::string(14, 'c'));
  EXPECT_EQ(p.records[2].link_type, kLinkEthernet);
}

TEST(PcapFileTest, ClassicMicrosecondBigEndian) {
  std::string image = ThreeFrames().Bytes(/*nanosecond=*/false, /*big_endian=*/true);
  // A big-endian microsecond file starts with the magic as written.
  EXPECT_EQ(image.substr(0, 4), std::string("\xa1\xb2\xc3\xd4", 4));
  PcapParse p = ParsePcap(image);
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_TRUE(p.swapped);
  EXPECT_FALSE(p.nanosecond);
  ASSERT_EQ(p.records.size(), 3u);
  // Microsecond resolution: the nanoseconds below a microsecond are gone.
  EXPECT_EQ(p.records[0].timestamp_ns, 1'700'000'000'123'456'000);
  EXPECT_EQ(p.records[2].timestamp_ns, 1'700'000'002'999'999'000);
  EXPECT_EQ(p.records[1].bytes, std::string(100, 'b'));
}

TEST(PcapFileTest, ClassicNanosecondBigEndianAndMicrosecondLittleEndian) {
  for (bool nano : {true, false}) {
    for (bool big : {true, false}) {
      PcapParse p = ParsePcap(ThreeFrames().Bytes(nano, big));
      ASSERT_TRUE(p.ok()) << p.error;
      EXPECT_EQ(p.nanosecond, nano);
      EXPECT_EQ(p.swapped, big);
      ASSERT_EQ(p.records.size(), 3u);
      EXPECT_EQ(p.records[1].timestamp_ns, 1'700'000'001'000'000'001 - (nano ? 0 : 1));
    }
  }
}

TEST(PcapFileTest, SnaplenKeepsOriginalLength) {
  PcapParse p = ParsePcap(ThreeFrames(/*snaplen=*/64).Bytes());
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.snaplen, 64u);
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_FALSE(p.records[0].truncated());
  EXPECT_TRUE(p.records[1].truncated());
  EXPECT_EQ(p.records[1].captured_length(), 64u);
  EXPECT_EQ(p.records[1].original_length, 100u);
}

TEST(PcapFileTest, PcapNgEnhancedPackets) {
  std::string image = ThreeFrames(/*snaplen=*/80).BytesNg();
  PcapParse p = ParsePcap(image);
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.format, PcapFormat::kPcapNg);
  EXPECT_EQ(p.link_type, kLinkEthernet);
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.records[0].timestamp_ns, 1'700'000'000'123'456'789);
  EXPECT_EQ(p.records[1].captured_length(), 80u);
  EXPECT_EQ(p.records[1].original_length, 100u);
  EXPECT_EQ(p.records[2].bytes, std::string(14, 'c'));
}

TEST(PcapFileTest, PcapNgMicrosecondDefaultAndUnknownBlocksSkipped) {
  // Hand-made: SHB, an IDB without options (microsecond default), a custom
  // block the reader does not know, and one EPB.
  auto u32 = [](uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [](uint16_t v) { return std::string(reinterpret_cast<const char*>(&v), 2); };
  std::string image;
  image +=
      u32(0x0a0d0d0a) + u32(28) + u32(0x1a2b3c4d) + u16(1) + u16(0) + u32(~0u) + u32(~0u) + u32(28);
  image += u32(1) + u32(20) + u16(kLinkLinuxSll2) + u16(0) + u32(0) + u32(20);
  image += u32(0x00000bad) + u32(16) + u32(7) + u32(16);
  uint64_t ticks = 1'500'000'000'250'000ull;  // microseconds
  image += u32(6) + u32(36) + u32(0) + u32(static_cast<uint32_t>(ticks >> 32)) +
           u32(static_cast<uint32_t>(ticks)) + u32(3) + u32(3) + "xyz" + std::string(1, '\0') +
           u32(36);
  PcapParse p = ParsePcap(image);
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.blocks_skipped, 1u);
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_EQ(p.records[0].link_type, kLinkLinuxSll2);
  EXPECT_EQ(p.records[0].timestamp_ns, 1'500'000'000'250'000'000);
  EXPECT_EQ(p.records[0].bytes, "xyz");
}

TEST(PcapFileTest, TruncatedRecordKeepsWholeOnes) {
  std::string image = ThreeFrames().Bytes();
  // Cut the last record in the middle of its data.
  std::string cut = image.substr(0, image.size() - 5);
  PcapParse p = ParsePcap(cut);
  EXPECT_FALSE(p.ok());
  ASSERT_EQ(p.records.size(), 2u);
  EXPECT_EQ(p.records[1].bytes, std::string(100, 'b'));
  size_t third_at = 24 + 16 + 60 + 16 + 100;
  EXPECT_EQ(p.error, "pcap: record is truncated at byte " + std::to_string(third_at) +
                         " (record 2 needs 14 bytes, 9 remain)");
  EXPECT_EQ(p.bytes_unread, cut.size() - third_at);
}

TEST(PcapFileTest, TruncatedRecordHeader) {
  std::string image = ThreeFrames().Bytes();
  size_t third_at = 24 + 16 + 60 + 16 + 100;
  PcapParse p = ParsePcap(image.substr(0, third_at + 7));
  ASSERT_EQ(p.records.size(), 2u);
  EXPECT_EQ(p.error, "pcap: record header is truncated at byte " + std::to_string(third_at) +
                         " (record 2, 7 of 16 bytes)");
}

TEST(PcapFileTest, CorruptLengthStopsWithoutReadingGarbage) {
  std::string image = ThreeFrames().Bytes();
  // Record 1's captured length becomes 0x7fffffff.
  size_t second_at = 24 + 16 + 60;
  image[second_at + 8] = '\xff';
  image[second_at + 9] = '\xff';
  image[second_at + 10] = '\xff';
  image[second_at + 11] = '\x7f';
  PcapParse p = ParsePcap(image);
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_EQ(p.error,
            "pcap: record header is corrupt at byte 100 (record 1 claims 2147483647 "
            "captured bytes; the limit is 262144)");
}

TEST(PcapFileTest, NotACaptureFile) {
  EXPECT_EQ(ParsePcap("").error, "not a capture file: 0 bytes, too short for a magic");
  EXPECT_EQ(ParsePcap("hello world").error,
            "not a pcap or pcapng file (first four bytes 0x6c6c6568)");
  PcapParse header_only = ParsePcap(ThreeFrames().Bytes().substr(0, 10));
  EXPECT_EQ(header_only.error, "pcap: file header is truncated (10 of 24 bytes)");
  EXPECT_TRUE(header_only.records.empty());
}

TEST(PcapFileTest, EmptyCaptureIsFine) {
  PcapBuilder b(kLinkLinuxSll);
  PcapParse p = ParsePcap(b.Bytes());
  EXPECT_TRUE(p.ok());
  EXPECT_TRUE(p.records.empty());
  EXPECT_EQ(p.link_type, kLinkLinuxSll);
}

TEST(PcapFileTest, PcapNgTruncatedBlock) {
  std::string image = ThreeFrames().BytesNg();
  PcapParse p = ParsePcap(image.substr(0, image.size() - 3));
  EXPECT_EQ(p.records.size(), 2u);
  EXPECT_NE(p.error.find("pcapng: block is truncated at byte"), std::string::npos) << p.error;
}

TEST(PcapFileTest, OpenReadsAFileAndReportsAMissingOne) {
  std::string error;
  EXPECT_FALSE(PcapFile::Open("/nonexistent/x.pcap", &error).has_value());
  EXPECT_EQ(error, "/nonexistent/x.pcap: cannot open");

  std::string image = ThreeFrames().Bytes();
  std::string path = ::testing::TempDir() + "pcap_file_test.pcap";
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(image.data(), 1, image.size(), f);
  std::fclose(f);
  std::optional<PcapFile> file = PcapFile::Open(path, &error);
  ASSERT_TRUE(file.has_value()) << error;
  PcapFile moved = std::move(*file);  // records stay valid across a move
  ASSERT_EQ(moved.records().size(), 3u);
  EXPECT_EQ(moved.records()[1].bytes, std::string(100, 'b'));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace reel::replay
