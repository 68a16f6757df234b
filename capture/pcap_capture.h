// PcapCapture: records a bundle's packets.pcap with libpcap — one interface
// (default lo), a BPF filter (default "tcp port P"), immediate mode, snaplen
// 262144, a configurable kernel buffer — on a thread of its own, so `reel
// capture` can supervise the server meanwhile.
//
// Crash safety: the dump file is flushed every flush_interval_ms (and at
// Stop), so a SIGKILL of `reel capture` loses at most that much. Flushes
// happen only between packets (see OnPacket), so the file on disk always
// ends with a whole packet and the pcap format needs no trailer: a killed
// capture's file is complete up to its last flush.
#pragma once

#include <pcap/pcap.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace reel {

class PacketRing;  // flight_recorder.h

struct PcapOptions {
  std::string iface = "lo";
  std::string filter;  // BPF expression; required (the caller defaults it to "tcp port P")
  int snaplen = 262144;
  // Kernel capture buffer (pcap_set_buffer_size). Immediate mode makes
  // libpcap use TPACKET_V2, whose ring has one fixed-size slot per packet,
  // sized for the interface MTU: on lo (MTU 65536) a slot takes 128 KiB, so
  // 32 MiB holds 256 packets in flight.
  int buffer_bytes = 32 << 20;
  // Immediate mode (the default) hands each packet over as it arrives.
  // false: buffered delivery (libpcap's TPACKET_V3 ring, packets packed
  // densely in blocks handed over when full or after block_timeout_ms):
  // far fewer kernel drops at high packet rates on lo, at the price of up
  // to block_timeout_ms of extra delay before a packet reaches the file.
  bool immediate = true;
  int block_timeout_ms = 20;
  int flush_interval_ms = 100;
  std::string path;  // the .pcap file to create (mode 0600)
  // TCP port whose payload bytes are counted per direction (0: don't count).
  int server_port = 0;
  // Flight recorder mode: packets go to this in-memory ring instead of a
  // file (path is then unused).
  PacketRing* ring = nullptr;
};

struct PcapStats {
  uint64_t captured = 0;        // packets written to the file
  uint64_t captured_bytes = 0;  // their captured lengths
  uint64_t truncated = 0;       // packets longer than snaplen (cut in the file)
  // pcap_stats(): packets the filter accepted, dropped for lack of buffer
  // space, and dropped by the interface or its driver.
  uint64_t received = 0, dropped_kernel = 0, dropped_interface = 0;
  bool have_kernel_stats = false;
  // TCP payload bytes towards server_port and from it (retransmissions
  // counted again; on loopback there are normally none).
  uint64_t payload_to_server = 0, payload_from_server = 0;
  uint64_t syn_to_server = 0;  // connection attempts seen (SYN without ACK)
  std::string error;           // a read or write error that ended the capture early
};

class PcapCapture {
 public:
  PcapCapture() = default;
  ~PcapCapture();
  PcapCapture(const PcapCapture&) = delete;
  PcapCapture& operator=(const PcapCapture&) = delete;

  // Opens and activates the device, installs the filter and creates the
  // dump file. On failure returns false with a one-line *error;
  // *permission is set when the cause is a missing privilege.
  bool Open(const PcapOptions& options, std::string* error, bool* permission);
  // Starts the capture thread.
  void Start();
  // Drains what the kernel still holds, stops the thread, reads
  // pcap_stats, flushes and closes the file. Idempotent.
  void Stop();

  // Valid after Stop (counters are also updated live, but unsynchronised).
  const PcapStats& stats() const { return stats_; }
  const PcapOptions& options() const { return options_; }
  int link_type() const { return link_type_; }
  uint64_t captured_so_far() const { return captured_live_.load(std::memory_order_relaxed); }

 private:
  static void OnPacket(u_char* user, const pcap_pkthdr* h, const u_char* bytes);
  void Run();
  void Drain();
  void CountPayload(const pcap_pkthdr* h, const u_char* bytes);

  // stdio buffer of the dump file; larger than any record (snaplen + 16).
  static constexpr size_t kStdioBuffer = 1 << 20;

  PcapOptions options_;
  size_t unflushed_ = 0;                  // bytes handed to stdio since the last flush
  std::unique_ptr<char[]> stdio_buffer_;  // outlives the dump FILE (closed in Stop)
  pcap_t* pcap_ = nullptr;
  pcap_dumper_t* dumper_ = nullptr;
  int link_type_ = 0;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
  std::atomic<uint64_t> captured_live_{0};
  PcapStats stats_;
  bool stopped_ = false;
};

}  // namespace reel
