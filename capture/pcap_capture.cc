#include "capture/pcap_capture.h"

#include "capture/flight_recorder.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace reel {

namespace {

uint16_t Be16(const u_char* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

PcapCapture::~PcapCapture() {
  Stop();
  if (pcap_ != nullptr) pcap_close(pcap_);
}

bool PcapCapture::Open(const PcapOptions& options, std::string* error, bool* permission) {
  options_ = options;
  *permission = false;
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_ = pcap_create(options.iface.c_str(), errbuf);
  if (pcap_ == nullptr) {
    *error = "cannot open interface " + options.iface + ": " + errbuf;
    return false;
  }
  pcap_set_snaplen(pcap_, options.snaplen);
  pcap_set_promisc(pcap_, 0);
  // Immediate mode: packets are handed over as they arrive, not when a
  // kernel block fills, so the file is current when a flush happens.
  if (options.immediate)
    pcap_set_immediate_mode(pcap_, 1);
  else
    pcap_set_timeout(pcap_, options.block_timeout_ms);
  pcap_set_buffer_size(pcap_, options.buffer_bytes);
  int rc = pcap_activate(pcap_);
  if (rc < 0) {
    *permission = rc == PCAP_ERROR_PERM_DENIED;
    const char* detail = pcap_geterr(pcap_);
    if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
      *error = "no such interface: " + options.iface;
    else if (*permission)
      *error = "no permission to capture on " + options.iface +
               " (run as root or give reel CAP_NET_RAW): " + detail;
    else
      *error = "cannot capture on " + options.iface + ": " + detail;
    pcap_close(pcap_);
    pcap_ = nullptr;
    return false;
  }
  link_type_ = pcap_datalink(pcap_);
  bpf_program prog{};
  if (pcap_compile(pcap_, &prog, options.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    *error = "bad capture filter \"" + options.filter + "\": " + pcap_geterr(pcap_);
    return false;
  }
  rc = pcap_setfilter(pcap_, &prog);
  pcap_freecode(&prog);
  if (rc != 0) {
    *error = std::string("cannot install capture filter: ") + pcap_geterr(pcap_);
    return false;
  }
  if (pcap_setnonblock(pcap_, 1, errbuf) != 0) {
    *error = std::string("cannot make the capture non-blocking: ") + errbuf;
    return false;
  }
  if (::pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  if (options.ring != nullptr) return true;  // no file: packets go to the ring
  int fd = ::open(options.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  FILE* f = fd >= 0 ? fdopen(fd, "wb") : nullptr;
  if (f == nullptr) {
    *error = "cannot create " + options.path + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return false;
  }
  // Larger than stdio's default so a burst is one write, not dozens.
  // (glibc ignores the size when it allocates the buffer itself.)
  stdio_buffer_ = std::make_unique<char[]>(kStdioBuffer);
  setvbuf(f, stdio_buffer_.get(), _IOFBF, kStdioBuffer);
  dumper_ = pcap_dump_fopen(pcap_, f);
  if (dumper_ == nullptr) {
    *error = std::string("cannot write pcap header: ") + pcap_geterr(pcap_);
    fclose(f);
    return false;
  }
  pcap_dump_flush(dumper_);  // the 24-byte header: even an empty capture is a valid file
  return true;
}

void PcapCapture::Start() {
  thread_ = std::thread([this] { Run(); });
}

void PcapCapture::OnPacket(u_char* user, const pcap_pkthdr* h, const u_char* bytes) {
  auto* self = reinterpret_cast<PcapCapture*>(user);
  if (self->options_.ring != nullptr) {
    self->options_.ring->Push(h, bytes);
    self->stats_.captured++;
    self->stats_.captured_bytes += h->caplen;
    if (h->caplen < h->len) self->stats_.truncated++;
    if (self->options_.server_port != 0) self->CountPayload(h, bytes);
    return;
  }
  // Flush before stdio would: its own flush of a full buffer can split a
  // packet, and a kill right then would leave a torn record in the file.
  size_t record = sizeof(uint32_t) * 4 + h->caplen;
  if (self->unflushed_ + record > kStdioBuffer) {
    pcap_dump_flush(self->dumper_);
    self->unflushed_ = 0;
  }
  pcap_dump(reinterpret_cast<u_char*>(self->dumper_), h, bytes);
  self->unflushed_ += record;
  self->stats_.captured++;
  self->stats_.captured_bytes += h->caplen;
  if (h->caplen < h->len) self->stats_.truncated++;
  self->captured_live_.store(self->stats_.captured, std::memory_order_relaxed);
  if (self->options_.server_port != 0) self->CountPayload(h, bytes);
}

// Payload bytes per direction, for the summary and as a cross-check of the
// event log's byte counts. Understands the link types a capture on lo, an
// Ethernet device or "any" produces.
void PcapCapture::CountPayload(const pcap_pkthdr* h, const u_char* p) {
  size_t n = h->caplen, off = 0;
  uint16_t ethertype = 0;
  switch (link_type_) {
    case DLT_EN10MB:
      if (n < 14) return;
      ethertype = Be16(p + 12);
      off = 14;
      while ((ethertype == 0x8100 || ethertype == 0x88a8) && n >= off + 4) {
        ethertype = Be16(p + off + 2);
        off += 4;
      }
      break;
    case DLT_LINUX_SLL:
      if (n < 16) return;
      ethertype = Be16(p + 14);
      off = 16;
      break;
    case DLT_LINUX_SLL2:
      if (n < 20) return;
      ethertype = Be16(p);
      off = 20;
      break;
    case DLT_RAW:
      if (n < 1) return;
      ethertype = (p[0] >> 4) == 6 ? 0x86dd : 0x0800;
      break;
    default: return;
  }
  size_t tcp = 0, ip_payload_end = 0;
  if (ethertype == 0x0800) {
    if (n < off + 20 || p[off + 9] != 6) return;
    size_t ihl = static_cast<size_t>(p[off] & 0x0f) * 4;
    tcp = off + ihl;
    ip_payload_end = off + Be16(p + off + 2);
  } else if (ethertype == 0x86dd) {
    if (n < off + 40 || p[off + 6] != 6) return;  // no extension headers on TCP here
    tcp = off + 40;
    ip_payload_end = tcp + Be16(p + off + 4);
  } else {
    return;
  }
  if (n < tcp + 20) return;
  uint16_t sport = Be16(p + tcp), dport = Be16(p + tcp + 2);
  size_t data_off = static_cast<size_t>(p[tcp + 12] >> 4) * 4;
  uint8_t flags = p[tcp + 13];
  // The IP length (not caplen) gives the payload size even when truncated.
  uint64_t payload = ip_payload_end > tcp + data_off ? ip_payload_end - tcp - data_off : 0;
  auto port = static_cast<uint16_t>(options_.server_port);
  if (dport == port) {
    stats_.payload_to_server += payload;
    if ((flags & 0x12) == 0x02) stats_.syn_to_server++;
  } else if (sport == port) {
    stats_.payload_from_server += payload;
  }
}

void PcapCapture::Drain() {
  for (;;) {
    int n = pcap_dispatch(pcap_, -1, &PcapCapture::OnPacket, reinterpret_cast<u_char*>(this));
    if (n > 0) continue;
    if (n < 0 && n != PCAP_ERROR_BREAK && stats_.error.empty())
      stats_.error = std::string("capture read error: ") + pcap_geterr(pcap_);
    return;
  }
}

void PcapCapture::Run() {
  int64_t next_flush = NowMs() + options_.flush_interval_ms;
  pollfd fds[2] = {{pcap_get_selectable_fd(pcap_), POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
  for (;;) {
    int64_t wait = next_flush - NowMs();
    int rc = ::poll(fds, 2, wait < 0 ? 0 : static_cast<int>(wait));
    if (rc < 0 && errno != EINTR) {
      stats_.error = std::string("poll: ") + std::strerror(errno);
      break;
    }
    if (rc > 0 && (fds[0].revents & (POLLIN | POLLERR))) Drain();
    if (NowMs() >= next_flush && dumper_ != nullptr) {
      if (pcap_dump_flush(dumper_) != 0 && stats_.error.empty())
        stats_.error = std::string("cannot write packets: ") + std::strerror(errno);
      unflushed_ = 0;
    }
    if (NowMs() >= next_flush) next_flush = NowMs() + options_.flush_interval_ms;
    if (rc > 0 && (fds[1].revents & POLLIN)) break;
  }
  Drain();  // whatever the kernel still buffers
}

void PcapCapture::Stop() {
  if (stopped_ || pcap_ == nullptr) return;
  stopped_ = true;
  if (thread_.joinable()) {
    char c = 1;
    ssize_t ignored = ::write(stop_pipe_[1], &c, 1);
    (void)ignored;
    thread_.join();
  }
  pcap_stat ps{};
  if (pcap_stats(pcap_, &ps) == 0) {
    stats_.have_kernel_stats = true;
    stats_.received = ps.ps_recv;
    stats_.dropped_kernel = ps.ps_drop;
    stats_.dropped_interface = ps.ps_ifdrop;
  }
  if (dumper_ != nullptr) {
    if (pcap_dump_flush(dumper_) != 0 && stats_.error.empty())
      stats_.error = std::string("cannot write packets: ") + std::strerror(errno);
    // The bundle should survive a power cut as well as a kill.
    if (FILE* f = pcap_dump_file(dumper_)) ::fsync(fileno(f));
    pcap_dump_close(dumper_);
    dumper_ = nullptr;
  }
  for (int& fd : stop_pipe_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

}  // namespace reel
