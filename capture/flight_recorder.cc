#include "capture/flight_recorder.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "capture/capture_meta.h"
#include "capture/crc32c.h"
#include "capture/pcap_capture.h"
#include "capture/record_session.h"
#include "capture/trace_reader.h"
#include "core/kernel.h"

namespace reel {

namespace {

constexpr size_t kPacketOverhead = sizeof(pcap_pkthdr) + 32;  // deque/string bookkeeping
constexpr size_t kFrameOverhead = 48;

int64_t RealNs(const pcap_pkthdr& h) {
  return static_cast<int64_t>(h.ts.tv_sec) * 1000000000 + static_cast<int64_t>(h.ts.tv_usec) * 1000;
}

// Decodes one raw frame whose predecessor was at prev_ts: a header whose
// start time is prev_ts, then the frame, read back with TraceReader (the
// records' times are deltas from their predecessor's). rec->seq is the
// frame's seq delta.
bool DecodeFrame(const std::string& frame, int64_t prev_ts, TraceRecord* rec) {
  trace::Header h;
  h.start_mono_ns = prev_ts;
  std::string buf(trace::kHeaderSize, '\0');
  trace::EncodeHeader(h, reinterpret_cast<uint8_t*>(buf.data()));
  buf += frame;
  TraceReader reader(buf);
  return reader.ReadHeader() && reader.Next(rec);
}

}  // namespace

// ------------------------------------------------------------ PacketRing

void PacketRing::Push(const pcap_pkthdr* h, const u_char* bytes) {
  Packet p;
  p.header = *h;
  p.data.assign(reinterpret_cast<const char*>(bytes), h->caplen);
  std::lock_guard<std::mutex> lock(mu_);
  bytes_ += p.data.size() + kPacketOverhead;
  packets_.push_back(std::move(p));
  while (bytes_ > budget_ && packets_.size() > 1) {
    bytes_ -= packets_.front().data.size() + kPacketOverhead;
    packets_.pop_front();
    evicted_++;
  }
}

std::vector<PacketRing::Packet> PacketRing::Since(int64_t from_real_ns) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Packet> out;
  for (const Packet& p : packets_)
    if (RealNs(p.header) >= from_real_ns) out.push_back(p);
  return out;
}

int64_t PacketRing::oldest_real_ns() const {
  std::lock_guard<std::mutex> lock(mu_);
  return packets_.empty() ? -1 : RealNs(packets_.front().header);
}

uint64_t PacketRing::evicted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return evicted_;
}

// ------------------------------------------------------------- EventRing

bool EventRing::Feed(const char* data, size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!error_.empty()) return false;
  pending_.append(data, n);
  while (ParseOne()) {
  }
  return error_.empty();
}

bool EventRing::ParseOne() {
  const auto* p = reinterpret_cast<const uint8_t*>(pending_.data());
  size_t n = pending_.size();
  if (!header_done_) {
    if (n < 16) return false;
    uint32_t len = trace::GetLe32(p + 12);
    if (len < trace::kHeaderSize || len > trace::kMaxHeaderSize) {
      error_ = "event stream: bad header length";
      return false;
    }
    if (n < len) return false;
    TraceReader reader(std::string_view(pending_.data(), len));
    if (!reader.ReadHeader()) {
      error_ = "event stream: " + reader.error();
      return false;
    }
    header_ = reader.header();
    header_done_ = true;
    prev_ts_ = last_evicted_ts_ = header_.start_mono_ns;
    pending_.erase(0, len);
    return true;
  }
  // A frame: uvarint body length, body, CRC32C of both.
  trace::Cursor c(p, n);
  uint64_t body_len;
  if (!c.Uvarint(&body_len)) {
    if (n >= trace::kMaxVarint) error_ = "event stream: bad record length";
    return false;
  }
  if (body_len == 0 || body_len > trace::kMaxBodySize) {
    error_ = "event stream: bad record length";
    return false;
  }
  size_t prefix = n - c.remaining();
  size_t total = prefix + body_len + trace::kCrcSize;
  if (n < total) return false;
  if (Crc32c(p, prefix + body_len) != trace::GetLe32(p + prefix + body_len)) {
    error_ = "event stream: checksum mismatch";
    return false;
  }
  trace::Cursor body(p + prefix, body_len);
  uint8_t kind;
  uint64_t seq_delta;
  int64_t ts_delta;
  if (!body.Byte(&kind) || !body.Uvarint(&seq_delta) || !body.Svarint(&ts_delta)) {
    error_ = "event stream: malformed record";
    return false;
  }
  Frame f;
  f.kind = kind;
  f.seq = prev_seq_ + seq_delta;
  f.ts = static_cast<int64_t>(static_cast<uint64_t>(prev_ts_) + static_cast<uint64_t>(ts_delta));
  f.bytes.assign(pending_.data(), total);
  pending_.erase(0, total);
  int64_t before = prev_ts_;
  prev_seq_ = f.seq;
  prev_ts_ = f.ts;
  received_++;
  Observe(f, before);
  bytes_ += f.bytes.size() + kFrameOverhead;
  frames_.push_back(std::move(f));
  bool evicted_any = false;
  while (bytes_ > budget_ && frames_.size() > 1) {
    const Frame& old = frames_.front();
    ApplyToRegs(old, last_evicted_ts_, &regs_before_ring_);
    bytes_ -= old.bytes.size() + kFrameOverhead;
    last_evicted_seq_ = old.seq;
    last_evicted_ts_ = old.ts;
    frames_.pop_front();
    evicted_++;
    evicted_any = true;
  }
  if (evicted_any) {
    // Connections closed before the oldest record held no longer matter.
    int64_t oldest = frames_.front().ts;
    std::erase_if(conns_, [&](const Conn& k) { return k.close_ts >= 0 && k.close_ts < oldest; });
  }
  return true;
}

void EventRing::Observe(const Frame& f, int64_t prev_ts) {
  auto kind = static_cast<trace::Kind>(f.kind);
  if (kind != trace::Kind::kAccept4 && kind != trace::Kind::kClose &&
      kind != trace::Kind::kEpollWait)
    return;
  TraceRecord rec;
  if (!DecodeFrame(f.bytes, prev_ts, &rec)) return;
  if (const auto* a = std::get_if<trace::Accept4Rec>(&rec.call); a && rec.result.ok()) {
    Conn k;
    k.fd = static_cast<int>(rec.result.value);
    k.peer = a->peer;
    k.local = a->local;
    k.accept_ts = f.ts;
    conns_.push_back(k);
  } else if (const auto* cl = std::get_if<trace::CloseRec>(&rec.call)) {
    for (Conn& k : conns_)
      if (k.fd == cl->fd && k.close_ts < 0) k.close_ts = f.ts;
  } else if (const auto* w = std::get_if<trace::EpollWaitRec>(&rec.call)) {
    int64_t entry = f.ts - w->wait_ns;
    if (stall_ns_ > 0 && last_wait_return_ >= 0 && entry - last_wait_return_ > stall_ns_ &&
        on_stall_)
      on_stall_(entry - last_wait_return_);
    last_wait_return_ = f.ts;
  }
}

void EventRing::ApplyToRegs(const Frame& f, int64_t prev_ts, RegMap* regs) {
  auto kind = static_cast<trace::Kind>(f.kind);
  if (kind != trace::Kind::kEpollCtl && kind != trace::Kind::kClose) return;
  TraceRecord rec;
  if (!DecodeFrame(f.bytes, prev_ts, &rec) || !rec.result.ok()) return;
  if (const auto* c = std::get_if<trace::EpollCtlRec>(&rec.call)) {
    if (c->op == kEpollCtlDel)
      regs->erase({c->epfd, c->fd});
    else
      (*regs)[{c->epfd, c->fd}] = Reg{c->events, c->data};
  } else if (const auto* cl = std::get_if<trace::CloseRec>(&rec.call)) {
    // Closing an fd drops its registrations (when it was the last reference).
    std::erase_if(*regs, [&](const auto& kv) {
      return kv.first.second == cl->fd || kv.first.first == cl->fd;
    });
  }
}

EventRing::Dump EventRing::Window(int64_t cut) const {
  std::lock_guard<std::mutex> lock(mu_);
  Dump d;
  size_t first = 0;
  while (first < frames_.size() && frames_[first].ts < cut) first++;
  int64_t base_ts = first > 0 ? frames_[first - 1].ts : last_evicted_ts_;
  uint64_t base_seq = first > 0 ? frames_[first - 1].seq : last_evicted_seq_;
  trace::Header h = header_;
  h.start_mono_ns = base_ts;
  h.start_real_ns = base_ts + (header_.start_real_ns - header_.start_mono_ns);
  d.log.assign(trace::kHeaderSize, '\0');
  trace::EncodeHeader(h, reinterpret_cast<uint8_t*>(d.log.data()));
  for (size_t i = first; i < frames_.size(); i++) d.log += frames_[i].bytes;
  d.records = frames_.size() - first;
  RegMap regs = regs_before_ring_;
  for (size_t i = 0; i < first; i++)
    ApplyToRegs(frames_[i], i > 0 ? frames_[i - 1].ts : last_evicted_ts_, &regs);
  for (const auto& [key, reg] : regs)
    d.epoll_registrations.push_back(
        {{"epfd", key.first}, {"fd", key.second}, {"events", reg.events}, {"data", reg.data}});
  d.first_original_seq = first < frames_.size() ? frames_[first].seq : 0;
  d.seq_base = base_seq;

  // Connections open across the cut, with their first offsets inside it.
  for (const Conn& k : conns_) {
    if (k.accept_ts >= cut || (k.close_ts >= 0 && k.close_ts < cut)) continue;
    nlohmann::json read_off = nullptr, write_off = nullptr;
    for (size_t i = first; i < frames_.size(); i++) {
      auto kind = static_cast<trace::Kind>(frames_[i].kind);
      bool io =
          kind == trace::Kind::kRead || kind == trace::Kind::kWrite || kind == trace::Kind::kWritev;
      bool ends = kind == trace::Kind::kClose || kind == trace::Kind::kAccept4;
      if (!io && !ends) continue;
      TraceRecord rec;
      if (!DecodeFrame(frames_[i].bytes, i > 0 ? frames_[i - 1].ts : last_evicted_ts_, &rec))
        continue;
      if (const auto* r = std::get_if<trace::IoRec>(&rec.call); r && r->fd == k.fd) {
        auto& slot = kind == trace::Kind::kRead ? read_off : write_off;
        if (slot.is_null()) slot = r->stream_offset;
      } else if (const auto* c = std::get_if<trace::CloseRec>(&rec.call); c && c->fd == k.fd) {
        break;
      } else if (kind == trace::Kind::kAccept4 && rec.result.value == k.fd) {
        break;
      }
      if (!read_off.is_null() && !write_off.is_null()) break;
    }
    d.mid_stream.push_back({{"fd", k.fd},
                            {"peer", k.peer.ToString()},
                            {"local", k.local.ToString()},
                            {"accepted_monotonic_ns", k.accept_ts},
                            {"read_offset", read_off},
                            {"write_offset", write_off}});
  }
  return d;
}

int64_t EventRing::oldest_mono_ns() const {
  std::lock_guard<std::mutex> lock(mu_);
  return frames_.empty() ? -1 : frames_.front().ts;
}
uint64_t EventRing::evicted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return evicted_;
}
uint64_t EventRing::received() const {
  std::lock_guard<std::mutex> lock(mu_);
  return received_;
}
bool EventRing::have_header() const {
  std::lock_guard<std::mutex> lock(mu_);
  return header_done_;
}
std::string EventRing::error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

std::string WritePcapFile(const std::string& path, int link_type, int snaplen,
                          const std::vector<PacketRing::Packet>& packets) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot create " + path + ": " + std::strerror(errno);
  FILE* f = fdopen(fd, "wb");
  if (f == nullptr) {
    ::close(fd);
    return "cannot open " + path;
  }
  pcap_t* dead = pcap_open_dead(link_type, snaplen);
  pcap_dumper_t* d = dead ? pcap_dump_fopen(dead, f) : nullptr;
  if (d == nullptr) {
    if (dead) pcap_close(dead);
    fclose(f);
    return "cannot write pcap header to " + path;
  }
  for (const auto& p : packets)
    pcap_dump(reinterpret_cast<u_char*>(d), &p.header,
              reinterpret_cast<const u_char*>(p.data.data()));
  bool ok = pcap_dump_flush(d) == 0;
  ::fsync(fileno(pcap_dump_file(d)));
  pcap_dump_close(d);
  pcap_close(dead);
  return ok ? "" : "cannot write " + path;
}

// ---------------------------------------------------------- FlightRecorder

namespace {
int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
// One stall dump per this interval at most: a stuck server must not fill the disk.
constexpr int64_t kStallCooldownMs = 1000;
}  // namespace

FlightRecorder::~FlightRecorder() {
  Finish(0);
}

bool FlightRecorder::Setup(const std::string& bundle, size_t ring_bytes, int64_t stall_ms,
                           std::string* error) {
  bundle_ = bundle;
  spool_ = bundle + "/.spool";
  ring_bytes_ = ring_bytes;
  stall_ms_ = stall_ms;
  if (::mkdir(spool_.c_str(), 0700) != 0) {
    *error = "cannot create " + spool_ + ": " + std::strerror(errno);
    return false;
  }
  std::string fifo = fifo_path();
  if (::mkfifo(fifo.c_str(), 0600) != 0) {
    *error = "cannot create the FIFO " + fifo + ": " + std::strerror(errno);
    return false;
  }
  // Opened before the recorder starts, so its open for writing never blocks.
  fifo_fd_ = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo_fd_ < 0 || ::pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    *error = "cannot open " + fifo + ": " + std::strerror(errno);
    return false;
  }
  // A larger pipe absorbs bursts; the recorder blocks only when it is full.
  ::fcntl(fifo_fd_, F_SETPIPE_SZ, 1 << 20);
  packets_ = std::make_unique<PacketRing>(ring_bytes - ring_bytes / 4);
  events_ = std::make_unique<EventRing>(ring_bytes / 4, stall_ms * 1000000, [this](int64_t ns) {
    std::lock_guard<std::mutex> lock(stall_mu_);
    stall_pending_ns_ = std::max(stall_pending_ns_, ns);
  });
  return true;
}

void FlightRecorder::Start() {
  reader_ = std::thread([this] { ReadLoop(); });
}

void FlightRecorder::ReadLoop() {
  std::string buf(1 << 20, '\0');
  pollfd fds[2] = {{fifo_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
  for (;;) {
    int rc = ::poll(fds, 2, 100);
    if (rc < 0 && errno != EINTR) return;
    bool hup = fds[0].revents & POLLHUP;
    for (;;) {
      ssize_t n = ::read(fifo_fd_, buf.data(), buf.size());
      if (n > 0) {
        events_->Feed(buf.data(), static_cast<size_t>(n));
        continue;
      }
      // 0 with POLLHUP: the recorder closed the FIFO (server gone). Before
      // any writer has opened it, read also returns 0, but without POLLHUP.
      if (n == 0 && hup) {
        writer_gone_ = true;
        return;
      }
      break;
    }
    if (fds[1].revents & POLLIN) return;
  }
}

bool FlightRecorder::TakeStall(std::string* reason) {
  std::lock_guard<std::mutex> lock(stall_mu_);
  if (stall_pending_ns_ == 0) return false;
  int64_t now = SteadyMs();
  if (now - last_stall_dump_ms_ < kStallCooldownMs) return false;
  *reason = "stall-" + std::to_string(stall_pending_ns_ / 1000000) + "ms";
  stall_pending_ns_ = 0;
  last_stall_dump_ms_ = now;
  return true;
}

std::string FlightRecorder::Dump(const std::string& reason, const nlohmann::json& capture,
                                 const PcapCapture* pcap) {
  using nlohmann::json;
  ClockPair now = ReadClockPair();
  int64_t real_minus_mono = now.realtime_ns - now.monotonic_ns;
  // The clean cut: the later of the oldest event and the oldest packet held.
  int64_t cut = events_->oldest_mono_ns();
  if (int64_t p = packets_->oldest_real_ns(); pcap != nullptr && p >= 0)
    cut = std::max(cut, p - real_minus_mono);
  if (cut < 0) cut = now.monotonic_ns;
  EventRing::Dump window = events_->Window(cut);

  std::string dir = bundle_ + "/dump-" + std::to_string(dumps_.size() + 1) + "-" + reason;
  if (::mkdir(dir.c_str(), 0700) != 0) return "cannot create " + dir + ": " + std::strerror(errno);
  std::string error;
  int fd = ::open((dir + "/" + trace::kEventsFileName).c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot write the event log in " + dir;
  size_t done = 0;
  while (done < window.log.size()) {
    ssize_t w = ::write(fd, window.log.data() + done, window.log.size() - done);
    if (w <= 0) break;
    done += static_cast<size_t>(w);
  }
  ::fsync(fd);
  ::close(fd);
  size_t packet_count = 0;
  if (pcap != nullptr) {
    std::vector<PacketRing::Packet> pk = packets_->Since(cut + real_minus_mono);
    packet_count = pk.size();
    error = WritePcapFile(dir + "/packets.pcap", pcap->link_type(), pcap->options().snaplen, pk);
  }
  // meta.json: the recorder's own (reel-server writes one in the spool) as
  // the base, then the flight recorder's account of the window.
  json meta = ReadJsonFile(spool_ + "/" + kMetaFileName);
  if (!meta.is_object() || meta.value("/capture/tool"_json_pointer, std::string()) != "")
    meta = {{"bundle_format_version", kBundleFormatVersion}};
  meta["status"] = "window";
  meta.erase("records");  // the recorder's totals; the window's are below
  meta["capture"] = capture;
  meta["flight_recorder"] = {
      {"reason", reason},
      {"trigger", ClockPairJson(now)},
      {"ring_bytes", ring_bytes_},
      {"trigger_stall_ms", stall_ms_ > 0 ? json(stall_ms_) : json(nullptr)},
      {"window_start_monotonic_ns", cut},
      {"records", window.records},
      {"first_original_seq", window.first_original_seq},
      {"seq_base", window.seq_base},
      {"events_evicted_before", events_->evicted()},
      {"packets", packet_count},
      {"packets_evicted_before", packets_->evicted()},
      {"mid_stream", window.mid_stream},
      {"epoll_registrations", window.epoll_registrations},
  };
  if (pcap != nullptr) {
    meta["pcap"] = PcapJson(pcap->options(), pcap->stats());
    meta["pcap"]["captured"] = packet_count;
    meta["pcap"]["note"] =
        "captured = packets in this window; the kernel counters cover the whole run so far";
  }
  MergeClockPairs(&meta, {now});
  if (std::string e; !WriteFileAtomically0600(dir + "/" + kMetaFileName, meta.dump(2) + "\n", &e))
    error = e;
  dumps_.push_back(dir);
  return error;
}

void FlightRecorder::Drain(int timeout_ms) {
  if (!reader_.joinable()) return;
  int64_t until = SteadyMs() + timeout_ms;
  while (!writer_gone_ && SteadyMs() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

void FlightRecorder::Finish(int timeout_ms) {
  if (reader_.joinable()) {
    Drain(timeout_ms);
    char c = 1;
    ssize_t ignored = ::write(stop_pipe_[1], &c, 1);
    (void)ignored;
    reader_.join();
  }
  for (int* fd : {&fifo_fd_, &stop_pipe_[0], &stop_pipe_[1]}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
  if (!spool_.empty()) {
    // The FIFO, reel-server's meta.json, the shim's statistics file.
    if (DIR* d = ::opendir(spool_.c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") ::unlink((spool_ + "/" + n).c_str());
      }
      ::closedir(d);
    }
    ::rmdir(spool_.c_str());
    spool_.clear();
  }
}

}  // namespace reel
