#include "replay/pcap_file.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

namespace reel::replay {
namespace {

constexpr uint32_t kMagicMicro = 0xa1b2c3d4;
constexpr uint32_t kMagicNano = 0xa1b23c4d;
constexpr uint32_t kNgSectionHeader = 0x0a0d0d0a;
constexpr uint32_t kNgByteOrderMagic = 0x1a2b3c4d;
constexpr uint32_t kNgInterfaceDescription = 1;
constexpr uint32_t kNgObsoletePacket = 2;
constexpr uint32_t kNgSimplePacket = 3;
constexpr uint32_t kNgEnhancedPacket = 6;
constexpr size_t kPcapHeaderSize = 24;
constexpr size_t kPcapRecordHeaderSize = 16;
// libpcap's MAXIMUM_SNAPLEN. A record claiming more than this (and more than
// the file's own snaplen) is corruption rather than a big packet.
constexpr uint32_t kMaxSnaplen = 262144;

uint32_t Swap32(uint32_t v) {
  return __builtin_bswap32(v);
}

// Little-endian or swapped reads from an image at a checked offset.
class Reader {
 public:
  Reader(std::string_view image, bool swapped) : image_(image), swapped_(swapped) {}
  uint16_t U16(size_t at) const {
    uint16_t v;
    std::memcpy(&v, image_.data() + at, 2);
    return swapped_ ? __builtin_bswap16(v) : v;
  }
  uint32_t U32(size_t at) const {
    uint32_t v;
    std::memcpy(&v, image_.data() + at, 4);
    return swapped_ ? Swap32(v) : v;
  }
  uint64_t U64(size_t at) const {
    uint64_t v;
    std::memcpy(&v, image_.data() + at, 8);
    return swapped_ ? __builtin_bswap64(v) : v;
  }
  uint8_t U8(size_t at) const { return static_cast<uint8_t>(image_[at]); }
  void set_swapped(bool s) { swapped_ = s; }

 private:
  std::string_view image_;
  bool swapped_;
};

uint32_t RawU32(std::string_view image, size_t at) {
  uint32_t v;
  std::memcpy(&v, image.data() + at, 4);
  return v;
}

std::string At(const char* what, uint64_t offset) {
  return std::string(what) + " at byte " + std::to_string(offset);
}

void Fail(PcapParse* out, size_t image_size, size_t offset, std::string message) {
  out->error = std::move(message);
  out->bytes_unread = image_size - offset;
}

void ParseClassic(std::string_view image, uint32_t magic, PcapParse* out) {
  out->format = PcapFormat::kPcap;
  out->swapped = magic == Swap32(kMagicMicro) || magic == Swap32(kMagicNano);
  out->nanosecond = magic == kMagicNano || magic == Swap32(kMagicNano);
  Reader r(image, out->swapped);
  if (image.size() < kPcapHeaderSize) {
    Fail(out, image.size(), 0,
         "pcap: file header is truncated (" + std::to_string(image.size()) + " of 24 bytes)");
    return;
  }
  out->snaplen = r.U32(16);
  // The upper bits of the link-type field carry FCS information, not the type.
  out->link_type = r.U32(20) & 0xffff;
  const int64_t frac_to_ns = out->nanosecond ? 1 : 1000;
  const uint32_t max_len = out->snaplen > kMaxSnaplen ? out->snaplen : kMaxSnaplen;
  size_t pos = kPcapHeaderSize;
  while (pos < image.size()) {
    size_t index = out->records.size();
    if (image.size() - pos < kPcapRecordHeaderSize) {
      Fail(out, image.size(), pos,
           At("pcap: record header is truncated", pos) + " (record " + std::to_string(index) +
               ", " + std::to_string(image.size() - pos) + " of 16 bytes)");
      return;
    }
    uint32_t sec = r.U32(pos);
    uint32_t frac = r.U32(pos + 4);
    uint32_t incl = r.U32(pos + 8);
    uint32_t orig = r.U32(pos + 12);
    if (incl > max_len) {
      Fail(out, image.size(), pos,
           At("pcap: record header is corrupt", pos) + " (record " + std::to_string(index) +
               " claims " + std::to_string(incl) + " captured bytes; the limit is " +
               std::to_string(max_len) + ")");
      return;
    }
    size_t data_at = pos + kPcapRecordHeaderSize;
    if (image.size() - data_at < incl) {
      Fail(out, image.size(), pos,
           At("pcap: record is truncated", pos) + " (record " + std::to_string(index) + " needs " +
               std::to_string(incl) + " bytes, " + std::to_string(image.size() - data_at) +
               " remain)");
      return;
    }
    PcapRecord rec;
    rec.timestamp_ns = static_cast<int64_t>(sec) * 1000000000 + frac * frac_to_ns;
    rec.link_type = out->link_type;
    // A record can claim fewer bytes on the wire than it holds only if it is
    // damaged; the captured bytes are the better evidence.
    rec.original_length = orig < incl ? incl : orig;
    rec.bytes = image.substr(data_at, incl);
    out->records.push_back(rec);
    pos = data_at + incl;
  }
}

// An interface of a pcapng section: its link type and clock.
struct NgInterface {
  uint32_t link_type = 0;
  uint32_t snaplen = 0;
  bool resolution_is_power_of_two = false;
  uint8_t resolution_exponent = 6;  // default: microseconds
  int64_t offset_seconds = 0;
};

int64_t NgTimestampNs(const NgInterface& iface, uint64_t ticks) {
  using u128 = unsigned __int128;
  // Unsigned arithmetic: a hostile if_tsoffset wraps instead of overflowing.
  const uint64_t offset_ns = static_cast<uint64_t>(iface.offset_seconds) * 1000000000u;
  u128 ns = 0;
  if (iface.resolution_is_power_of_two) {
    if (iface.resolution_exponent <= 63)
      ns = (static_cast<u128>(ticks) * 1000000000u) >> iface.resolution_exponent;
  } else if (iface.resolution_exponent <= 38) {
    u128 units = 1;
    for (int i = 0; i < iface.resolution_exponent; i++) units *= 10;
    ns = static_cast<u128>(ticks) * 1000000000u / units;
  }
  // Wraps (modulo, as GCC and Clang define it) only for timestamps past 2262.
  return static_cast<int64_t>(static_cast<uint64_t>(ns) + offset_ns);
}

// Reads the options of an interface description block that change how its
// packets' timestamps are read. Malformed options end the option list.
void ReadInterfaceOptions(const Reader& r, size_t at, size_t end, NgInterface* iface) {
  while (end - at >= 4) {
    uint16_t code = r.U16(at);
    uint16_t len = r.U16(at + 2);
    size_t value = at + 4;
    if (code == 0 || end - value < len) return;  // opt_endofopt, or damaged
    if (code == 9 && len >= 1) {                 // if_tsresol: one byte, no byte order
      uint8_t v = r.U8(value);
      iface->resolution_is_power_of_two = (v & 0x80) != 0;
      iface->resolution_exponent = v & 0x7f;
    } else if (code == 14 && len >= 8) {  // if_tsoffset: seconds to add
      iface->offset_seconds = static_cast<int64_t>(r.U64(value));
    }
    size_t padded = (len + 3u) & ~3u;
    if (end - value < padded) return;  // the last option's padding is missing
    at = value + padded;
  }
}

void ParseNg(std::string_view image, PcapParse* out) {
  out->format = PcapFormat::kPcapNg;
  Reader r(image, false);
  std::vector<NgInterface> interfaces;
  bool have_section = false;
  size_t pos = 0;
  while (pos < image.size()) {
    size_t index = out->records.size();
    if (image.size() - pos < 12) {
      Fail(out, image.size(), pos,
           At("pcapng: block header is truncated", pos) + " (" +
               std::to_string(image.size() - pos) + " bytes remain)");
      return;
    }
    uint32_t type = RawU32(image, pos);
    if (type == kNgSectionHeader) {
      // The byte-order magic decides how this section, including this
      // block's length, is read.
      uint32_t bom = RawU32(image, pos + 8);
      if (bom == kNgByteOrderMagic) {
        r.set_swapped(false);
      } else if (bom == Swap32(kNgByteOrderMagic)) {
        r.set_swapped(true);
      } else {
        Fail(out, image.size(), pos, At("pcapng: section header has a bad byte-order magic", pos));
        return;
      }
      if (!have_section) out->swapped = bom != kNgByteOrderMagic;
      have_section = true;
      interfaces.clear();
    } else {
      type = r.U32(pos);
      if (!have_section) {
        Fail(out, image.size(), pos, At("pcapng: block before the section header", pos));
        return;
      }
    }
    uint32_t total = r.U32(pos + 4);
    if (total < 12 || total % 4 != 0) {
      Fail(out, image.size(), pos,
           At("pcapng: block length is corrupt", pos) + " (" + std::to_string(total) + ")");
      return;
    }
    if (image.size() - pos < total) {
      Fail(out, image.size(), pos,
           At("pcapng: block is truncated", pos) + " (needs " + std::to_string(total) + " bytes, " +
               std::to_string(image.size() - pos) + " remain)");
      return;
    }
    if (r.U32(pos + total - 4) != total) {
      Fail(out, image.size(), pos, At("pcapng: block's trailing length does not match", pos));
      return;
    }
    const size_t body = pos + 8;
    const size_t body_end = pos + total - 4;
    const size_t body_len = body_end - body;
    auto packet = [&](uint32_t iface_id, uint64_t ticks, uint32_t caplen, uint32_t origlen,
                      size_t data_at) -> bool {
      if (iface_id >= interfaces.size()) {
        Fail(out, image.size(), pos,
             At("pcapng: packet names an undeclared interface", pos) + " (" +
                 std::to_string(iface_id) + ")");
        return false;
      }
      if (caplen > body_end - data_at) {
        Fail(out, image.size(), pos,
             At("pcapng: packet block is corrupt", pos) + " (record " + std::to_string(index) +
                 " claims " + std::to_string(caplen) + " captured bytes in a block of " +
                 std::to_string(total) + ")");
        return false;
      }
      const NgInterface& iface = interfaces[iface_id];
      PcapRecord rec;
      rec.timestamp_ns = NgTimestampNs(iface, ticks);
      rec.link_type = iface.link_type;
      rec.original_length = origlen < caplen ? caplen : origlen;
      rec.bytes = image.substr(data_at, caplen);
      out->records.push_back(rec);
      return true;
    };
    switch (type) {
      case kNgSectionHeader:
        if (body_len < 16) {
          Fail(out, image.size(), pos, At("pcapng: section header is too short", pos));
          return;
        }
        break;
      case kNgInterfaceDescription: {
        if (body_len < 8) {
          Fail(out, image.size(), pos, At("pcapng: interface description is too short", pos));
          return;
        }
        NgInterface iface;
        iface.link_type = r.U16(body);
        iface.snaplen = r.U32(body + 4);
        ReadInterfaceOptions(r, body + 8, body_end, &iface);
        if (interfaces.empty() && out->records.empty() && out->link_type == 0) {
          out->link_type = iface.link_type;
          out->snaplen = iface.snaplen;
        }
        interfaces.push_back(iface);
        break;
      }
      case kNgEnhancedPacket: {
        if (body_len < 20) {
          Fail(out, image.size(), pos, At("pcapng: enhanced packet block is too short", pos));
          return;
        }
        uint64_t ticks = (static_cast<uint64_t>(r.U32(body + 4)) << 32) | r.U32(body + 8);
        if (!packet(r.U32(body), ticks, r.U32(body + 12), r.U32(body + 16), body + 20)) return;
        break;
      }
      case kNgObsoletePacket: {
        if (body_len < 20) {
          Fail(out, image.size(), pos, At("pcapng: packet block is too short", pos));
          return;
        }
        uint64_t ticks = (static_cast<uint64_t>(r.U32(body + 4)) << 32) | r.U32(body + 8);
        if (!packet(r.U16(body), ticks, r.U32(body + 12), r.U32(body + 16), body + 20)) return;
        break;
      }
      case kNgSimplePacket: {
        if (body_len < 4) {
          Fail(out, image.size(), pos, At("pcapng: simple packet block is too short", pos));
          return;
        }
        // A simple packet has no timestamp and belongs to interface 0; its
        // captured length is what fits the block and the interface's snaplen.
        uint32_t origlen = r.U32(body);
        uint32_t caplen = static_cast<uint32_t>(body_len - 4);
        if (origlen < caplen) caplen = origlen;
        if (!interfaces.empty() && interfaces[0].snaplen != 0 && interfaces[0].snaplen < caplen)
          caplen = interfaces[0].snaplen;
        if (!packet(0, 0, caplen, origlen, body + 4)) return;
        break;
      }
      default: out->blocks_skipped++; break;
    }
    pos += total;
  }
}

}  // namespace

PcapParse ParsePcap(std::string_view image) {
  PcapParse out;
  if (image.size() < 4) {
    Fail(&out, image.size(), 0,
         "not a capture file: " + std::to_string(image.size()) + " bytes, too short for a magic");
    return out;
  }
  uint32_t magic = RawU32(image, 0);
  if (magic == kMagicMicro || magic == kMagicNano || magic == Swap32(kMagicMicro) ||
      magic == Swap32(kMagicNano)) {
    ParseClassic(image, magic, &out);
  } else if (magic == kNgSectionHeader) {
    ParseNg(image, &out);
  } else {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08x", magic);
    Fail(&out, image.size(), 0,
         std::string("not a pcap or pcapng file (first four bytes 0x") + hex + ")");
  }
  return out;
}

PcapFile PcapFile::FromBytes(std::vector<char> image) {
  PcapFile f;
  f.image_ = std::move(image);
  f.parse_ = ParsePcap(std::string_view(f.image_.data(), f.image_.size()));
  return f;
}

std::optional<PcapFile> PcapFile::Open(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot open";
    return std::nullopt;
  }
  std::vector<char> image((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    *error = path + ": read error";
    return std::nullopt;
  }
  return FromBytes(std::move(image));
}

}  // namespace reel::replay
