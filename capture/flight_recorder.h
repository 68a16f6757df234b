// The flight recorder behind `reel capture --ring SIZE`: instead of writing
// a bundle continuously, keep only the newest window of packets and events
// in memory and write a bundle when something interesting happens (SIGUSR1,
// the server dying from a signal, or an event-loop iteration longer than
// --trigger-stall MS). docs/capture.md has the user view.
//
// Events reach the ring through a FIFO: reel-server --record writes its
// events.reel into it, the LD_PRELOAD shim streams into it (REEL_TRACE_FILE
// naming a FIFO). EventRing reads whole framed records from it and keeps
// them raw. A dumped window needs no re-encoding: records store their seq and
// time as deltas from the previous record, so the window's file gets a header
// whose start time is the time of the record just before the window, and the
// window's records are copied byte for byte. Sequence numbers restart near 1;
// meta.json gives the offset back to the original numbering.
//
// A window starts at a clean cut (the later of the oldest event and the
// oldest packet still held): connections accepted before it are listed in
// meta.json as mid-stream, with their 4-tuple and the stream offsets of their
// first read and write inside the window, so replay can take them up.
#pragma once

#include <pcap/pcap.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "capture/trace_format.h"
#include "core/sock_addr.h"

namespace reel {

// Packets, newest last, at most budget bytes (headers included). Pushed by
// the capture thread, read by the dumping thread.
class PacketRing {
 public:
  explicit PacketRing(size_t budget_bytes) : budget_(budget_bytes) {}
  void Push(const pcap_pkthdr* h, const u_char* bytes);

  struct Packet {
    pcap_pkthdr header;
    std::string data;
  };
  // Copies of the packets with a timestamp at or after from_real_ns.
  std::vector<Packet> Since(int64_t from_real_ns) const;
  // Realtime ns of the oldest packet held; -1 when empty.
  int64_t oldest_real_ns() const;
  uint64_t evicted() const;

 private:
  mutable std::mutex mu_;
  std::deque<Packet> packets_;
  size_t bytes_ = 0;
  size_t budget_;
  uint64_t evicted_ = 0;
};

// Event-log records, raw, newest last, at most budget bytes.
class EventRing {
 public:
  // stall_ns > 0: on_stall(iteration_ns) is called (from the reading
  // thread) when the time from an epoll_wait's return to the next
  // epoll_wait's entry exceeds it.
  EventRing(size_t budget_bytes, int64_t stall_ns, std::function<void(int64_t)> on_stall)
      : budget_(budget_bytes), stall_ns_(stall_ns), on_stall_(std::move(on_stall)) {}

  // Appends bytes read from the stream. False once the stream is corrupt
  // (the ring then ignores the rest; error() says why).
  bool Feed(const char* data, size_t n);

  struct Dump {
    std::string log;  // a complete event log: header + the window's records
    uint64_t records = 0;
    uint64_t first_original_seq = 0;  // original seq of the window's first record
    uint64_t seq_base = 0;            // original seq = seq in the dumped log + seq_base
    nlohmann::json mid_stream = nlohmann::json::array();
    // epoll registrations in effect at the cut: [{epfd, fd, events, data}].
    nlohmann::json epoll_registrations = nlohmann::json::array();
  };
  // The records at or after cut_mono_ns.
  Dump Window(int64_t cut_mono_ns) const;
  // CLOCK_MONOTONIC time of the oldest record held; -1 when empty.
  int64_t oldest_mono_ns() const;
  uint64_t evicted() const;
  uint64_t received() const;
  bool have_header() const;
  std::string error() const;

 private:
  struct Frame {
    uint64_t seq = 0;
    int64_t ts = 0;
    uint8_t kind = 0;
    std::string bytes;  // length prefix + body + CRC, as in the stream
  };
  struct Conn {
    int fd = -1;
    SockAddr peer, local;
    int64_t accept_ts = 0;
    int64_t close_ts = -1;
  };
  struct Reg {
    uint32_t events = 0;
    uint64_t data = 0;
  };
  using RegMap = std::map<std::pair<int, int>, Reg>;  // (epfd, fd) -> registration
  bool ParseOne();  // one header or frame from pending_; false when incomplete
  void Observe(const Frame& f, int64_t prev_ts);
  // Applies an epoll_ctl or close frame to regs.
  static void ApplyToRegs(const Frame& f, int64_t prev_ts, RegMap* regs);

  mutable std::mutex mu_;
  std::string pending_;
  bool header_done_ = false;
  trace::Header header_;
  uint64_t prev_seq_ = 0;
  int64_t prev_ts_ = 0;
  std::deque<Frame> frames_;
  size_t bytes_ = 0;
  size_t budget_;
  uint64_t evicted_ = 0, received_ = 0;
  uint64_t last_evicted_seq_ = 0;
  int64_t last_evicted_ts_ = 0;
  std::vector<Conn> conns_;  // accepted within (or open across) the ring's span
  RegMap regs_before_ring_;  // registrations in effect just before frames_.front()
  int64_t last_wait_return_ = -1;
  int64_t stall_ns_;
  std::function<void(int64_t)> on_stall_;
  std::string error_;
};

// Writes packets as a pcap file (mode 0600). Returns "" or an error.
std::string WritePcapFile(const std::string& path, int link_type, int snaplen,
                          const std::vector<PacketRing::Packet>& packets);

class PcapCapture;

// One `reel capture --ring` session: the spool directory with the FIFO the
// recorder writes into, the two rings, the thread that reads the FIFO, and
// the dumps.
class FlightRecorder {
 public:
  FlightRecorder() = default;
  ~FlightRecorder();
  FlightRecorder(const FlightRecorder&) = delete;
  FlightRecorder& operator=(const FlightRecorder&) = delete;

  // Creates bundle/.spool/ and the FIFO bundle/.spool/events.reel, opened for
  // reading. ring_bytes is split: a quarter for events, the rest for packets.
  bool Setup(const std::string& bundle, size_t ring_bytes, int64_t stall_ms, std::string* error);
  const std::string& spool_dir() const { return spool_; }
  std::string fifo_path() const { return spool_ + "/" + trace::kEventsFileName; }
  PacketRing* packet_ring() { return packets_.get(); }

  // Starts reading the FIFO.
  void Start();
  // A stall seen since the last call: true with *reason set.
  bool TakeStall(std::string* reason);
  // Writes bundle/dump-<n>-<reason>/ with the current window. capture is
  // meta.json's "capture" object; pcap may be null (--no-pcap).
  std::string Dump(const std::string& reason, const nlohmann::json& capture,
                   const PcapCapture* pcap);
  // Waits until the recorder has closed the FIFO (its last records are in
  // the ring) or timeout_ms passed.
  void Drain(int timeout_ms);
  // Drain, then stops the reader and removes the spool directory.
  void Finish(int timeout_ms);

  const std::vector<std::string>& dumps() const { return dumps_; }
  uint64_t events_seen() const { return events_ ? events_->received() : 0; }
  std::string stream_error() const { return events_ ? events_->error() : ""; }

 private:
  void ReadLoop();

  std::string bundle_, spool_;
  int fifo_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  size_t ring_bytes_ = 0;
  int64_t stall_ms_ = 0;
  std::unique_ptr<PacketRing> packets_;
  std::unique_ptr<EventRing> events_;
  std::thread reader_;
  std::atomic<bool> writer_gone_{false};
  std::mutex stall_mu_;
  int64_t stall_pending_ns_ = 0;  // longest unreported stall
  int64_t last_stall_dump_ms_ = 0;
  std::vector<std::string> dumps_;
};

}  // namespace reel
