// Reading packet capture files from memory: classic pcap (both byte orders,
// microsecond and nanosecond magic) and pcapng (section header, interface
// description, enhanced and simple packet blocks; other blocks are skipped).
//
// Parsing works on a byte image so the fuzzer and the tests need no files.
// A damaged file never makes the reader fail as a whole: every record that is
// whole is kept, parsing stops at the first damage, and `error` says what and
// where. Nothing here allocates per packet: records are views into the image.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace reel::replay {

// LINKTYPE_* values (https://www.tcpdump.org/linktypes.html) that the packet
// decoder understands. The file stores whatever the capture used; records of
// other link types are kept and counted as unsupported by the decoder.
inline constexpr uint32_t kLinkNull = 0;         // BSD loopback, host-order family
inline constexpr uint32_t kLinkEthernet = 1;     // Ethernet II, optional 802.1Q tags
inline constexpr uint32_t kLinkRaw = 101;        // raw IPv4/IPv6, version from the header
inline constexpr uint32_t kLinkLoop = 108;       // OpenBSD loopback, network-order family
inline constexpr uint32_t kLinkLinuxSll = 113;   // Linux cooked v1 (tcpdump -i any, old)
inline constexpr uint32_t kLinkIpv4 = 228;       // raw IPv4
inline constexpr uint32_t kLinkIpv6 = 229;       // raw IPv6
inline constexpr uint32_t kLinkLinuxSll2 = 276;  // Linux cooked v2 (tcpdump -i any)

enum class PcapFormat { kUnknown, kPcap, kPcapNg };

// One captured packet.
struct PcapRecord {
  int64_t timestamp_ns = 0;      // since the Unix epoch, as the capture stamped it
  uint32_t link_type = 0;        // LINKTYPE_* of the interface it was captured on
  uint32_t original_length = 0;  // length on the wire; > bytes.size() when snaplen cut it
  std::string_view bytes;        // the captured bytes (a view into the parsed image)

  uint32_t captured_length() const { return static_cast<uint32_t>(bytes.size()); }
  bool truncated() const { return original_length > bytes.size(); }
};

// What a parse found. `records` point into the image given to ParsePcap (or
// owned by PcapFile), so they live as long as it does.
struct PcapParse {
  PcapFormat format = PcapFormat::kUnknown;
  uint32_t snaplen = 0;     // classic pcap: the header's snaplen; pcapng: first interface's
  uint32_t link_type = 0;   // classic pcap: the file's link type; pcapng: first interface's
  bool nanosecond = false;  // classic pcap: the nanosecond magic was used
  bool swapped = false;     // the file's byte order differs from little-endian
  std::vector<PcapRecord> records;
  // Empty when the whole image was read. Otherwise one line naming the byte
  // offset and the damage; the records before it are still in `records`.
  std::string error;
  uint64_t bytes_unread = 0;    // bytes from the damage to the end of the image
  uint64_t blocks_skipped = 0;  // pcapng blocks of kinds that carry no packets

  bool ok() const { return error.empty(); }
};

// Parses a whole capture file image. Never fails outright: see PcapParse.
PcapParse ParsePcap(std::string_view image);

// A capture file loaded into memory with its records. Move-only: the records
// are views into `image_`, whose heap buffer a move keeps in place.
class PcapFile {
 public:
  PcapFile() = default;
  PcapFile(PcapFile&&) = default;
  PcapFile& operator=(PcapFile&&) = default;
  PcapFile(const PcapFile&) = delete;
  PcapFile& operator=(const PcapFile&) = delete;

  // Takes ownership of a file image and parses it.
  static PcapFile FromBytes(std::vector<char> image);
  // Reads and parses `path`. nullopt (with *error set) only when the file
  // cannot be read at all; a damaged file loads with parse().error set.
  static std::optional<PcapFile> Open(const std::string& path, std::string* error);

  const PcapParse& parse() const { return parse_; }
  const std::vector<PcapRecord>& records() const { return parse_.records; }

 private:
  std::vector<char> image_;
  PcapParse parse_;
};

}  // namespace reel::replay
