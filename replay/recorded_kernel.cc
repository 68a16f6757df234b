#include "replay/recorded_kernel.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace reel::replay {

namespace {

std::string Printable(std::string_view s, size_t max = 48) {
  std::string out;
  for (unsigned char c : s.substr(0, max)) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

bool SameEndpoint(const SockAddr& bound, const SockAddr& actual) {
  if (bound.port != actual.port) return false;
  // A wildcard bind (0.0.0.0 / ::) accepts any local address.
  static const std::array<uint8_t, 16> kZero{};
  return bound.addr == kZero || (bound.family == actual.family && bound.addr == actual.addr);
}

// True when the capture had stopped before `at`: no packet of any connection
// is stamped after the call, and every byte this direction captured lies
// before `offset` (nothing beyond the missing bytes). Such a bundle is cut at
// the capture's end; its replay has not diverged.
bool CaptureEndedBefore(const Bundle& b, const TcpFlow* flow, uint64_t offset,
                        const TraceRecord& at) {
  if (!b.has_pcap) return false;
  if (flow && !flow->to_server.chunks.empty() &&
      flow->to_server.chunks.back().end() > flow->to_server.ContiguousEnd(offset))
    return false;
  int64_t last_packet_ns = INT64_MIN;
  for (const TcpFlow& f : b.streams.flows) last_packet_ns = std::max(last_packet_ns, f.last_ns);
  return last_packet_ns != INT64_MIN && last_packet_ns - b.real_minus_mono_ns < at.ts_ns;
}

}  // namespace

RecordedKernel::RecordedKernel(const Bundle& bundle, TimelineWriter* timeline, int64_t tolerance_ns)
    : b_(bundle),
      timeline_(timeline),
      tolerance_ns_(tolerance_ns),
      model_(model::ModelOptions{UINT64_MAX / 4}) {
  report_.records_total = b_.log.records.size();
}

std::string RecordedKernel::Context(const TraceRecord& r) const {
  return "seq " + std::to_string(r.seq) + " (" + r.kind_name() +
         ", t=" + std::to_string((r.ts_ns - b_.start_mono_ns) / 1000) + "us)";
}

void RecordedKernel::Diverge(const std::string& why, const TraceRecord* at) {
  if (!report_.diverged) {
    report_.diverged = true;
    report_.divergence = why;
    report_.divergence_seq = at ? at->seq : 0;
  }
  stopped_ = true;
}

void RecordedKernel::LogEnded() {
  report_.log_ended = true;
  if (report_.cut_at.empty() && !b_.log.records.empty())
    report_.cut_at = "after the last record, " + Context(b_.log.records.back());
  stopped_ = true;
}

void RecordedKernel::Inconsistent(const std::string& why, const TraceRecord& at) {
  report_.model_inconsistencies++;
  if (report_.first_inconsistency.empty()) report_.first_inconsistency = Context(at) + ": " + why;
}

const TraceRecord* RecordedKernel::Take(trace::Kind kind, const char* call_desc) {
  if (stopped_) return nullptr;
  if (next_ >= b_.log.records.size()) {
    LogEnded();
    return nullptr;
  }
  const TraceRecord& r = b_.log.records[next_];
  if (r.kind_enum() != kind) {
    Diverge(
        std::string("the server called ") + call_desc + " where the recording has " + Context(r),
        &r);
    return nullptr;
  }
  next_++;
  report_.records_used++;
  now_ns_ = r.ts_ns - b_.start_mono_ns;
  AdvanceNetwork(r.ts_ns);
  return &r;
}

void RecordedKernel::AdvanceNetwork(int64_t t_mono) {
  while (net_next_ < b_.net.size() && b_.net[net_next_].t_ns <= t_mono + tolerance_ns_) {
    const NetEvent& e = b_.net[net_next_++];
    const TcpFlow& f = b_.streams.flows[e.flow];
    switch (e.type) {
      case NetEvent::Type::kEstablished: {
        for (const auto& [fd, addr] : bound_) {
          if (SameEndpoint(addr, f.server)) {
            model_.ConnectionEstablished(fd, f.id, f.client, f.server, e.t_ns);
            listener_of_flow_[f.id] = fd;
            break;
          }
        }
        break;
      }
      case NetEvent::Type::kData: model_.DataArrived(f.id, e.bytes); break;
      case NetEvent::Type::kFin: model_.PeerFin(f.id); break;
      case NetEvent::Type::kReset: model_.PeerReset(f.id); break;
    }
  }
}

uint64_t RecordedKernel::ConnOf(int fd) const {
  auto it = fds_.find(fd);
  return it == fds_.end() ? 0 : it->second.conn;
}

// ------------------------------------------------------------------ epoll

SysResult RecordedKernel::EpollCreate(int flags) {
  const TraceRecord* r = Take(trace::Kind::kEpollCreate, "epoll_create1");
  if (!r) return SysResult::Ok(1000);  // any fd: the run is ending
  if (r->result.ok()) model_.EpollCreate(static_cast<int>(r->result.value));
  return r->result;
}

SysResult RecordedKernel::EpollCtl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
  const TraceRecord* r = Take(trace::Kind::kEpollCtl, "epoll_ctl");
  if (!r) return SysResult::Ok(0);
  const auto& c = std::get<trace::EpollCtlRec>(r->call);
  if (c.epfd != epfd || c.op != op || c.fd != fd || c.events != events || c.data != data) {
    Diverge("epoll_ctl(" + std::to_string(epfd) + ", op " + std::to_string(op) + ", fd " +
                std::to_string(fd) + ", " + MaskString(events) + ") differs from the recorded " +
                "epoll_ctl(" + std::to_string(c.epfd) + ", op " + std::to_string(c.op) + ", fd " +
                std::to_string(c.fd) + ", " + MaskString(c.events) + ") at " + Context(*r),
            r);
    return r->result;
  }
  model_.EpollCtl(epfd, op, fd, events, data);
  return r->result;
}

SysResult RecordedKernel::EpollWait(int epfd, EpollEvent* events, int maxevents, int timeout_ms) {
  const TraceRecord* r = Take(trace::Kind::kEpollWait, "epoll_wait");
  if (!r) return SysResult::Ok(0);
  const auto& w = std::get<trace::EpollWaitRec>(r->call);
  if (w.epfd != epfd || w.maxevents != maxevents) {
    Diverge("epoll_wait(epfd " + std::to_string(epfd) + ", maxevents " + std::to_string(maxevents) +
                ") differs from the recorded one at " + Context(*r),
            r);
    return SysResult::Ok(0);
  }
  if (w.timeout_ms != timeout_ms) {
    // The timeout derives from timers and recorded clocks, so it should
    // match; a difference means the server's timers diverged.
    Diverge("epoll_wait timeout " + std::to_string(timeout_ms) + " ms differs from the recorded " +
                std::to_string(w.timeout_ms) + " ms at " + Context(*r),
            r);
    return SysResult::Ok(0);
  }
  std::vector<uint64_t> conns;
  int n = r->result.ok() ? static_cast<int>(w.events.size()) : 0;
  for (int i = 0; i < n && i < maxevents; i++) {
    events[i] = w.events[static_cast<size_t>(i)];
    int fd = static_cast<int>(events[i].data);  // reel-server registers fd as data
    conns.push_back(ConnOf(fd));
    // The model must agree that this fd had something to report.
    report_.model_checks++;
    model::ModelSocket* s = model_.SocketByFd(fd);
    if (s != nullptr && b_.has_pcap) {
      uint32_t mask = s->Poll() & (events[i].events | kEpollErr | kEpollHup);
      if ((events[i].events & (kEpollIn | kEpollOut)) && mask == 0)
        Inconsistent("epoll_wait reported fd " + std::to_string(fd) + " " +
                         MaskString(events[i].events) +
                         " but the model has nothing ready on it (no data, FIN or connection "
                         "arrived in the capture by then)",
                     *r);
    }
  }
  if (timeline_)
    timeline_->EpollWait(now_ns_, epfd, maxevents, timeout_ms,
                         std::vector<EpollEvent>(events, events + n), conns, r->result, w.wait_ns);
  return r->result.ok() ? SysResult::Ok(n) : r->result;
}

// ---------------------------------------------------------------- sockets

SysResult RecordedKernel::Socket(int domain, int type, int protocol) {
  const TraceRecord* r = Take(trace::Kind::kSocket, "socket");
  if (!r) return SysResult::Error(EMFILE);
  return r->result;
}

SysResult RecordedKernel::SetSockOpt(int fd, int level, int name, int value) {
  const TraceRecord* r = Take(trace::Kind::kSetSockOpt, "setsockopt");
  if (!r) return SysResult::Ok(0);
  const auto& c = std::get<trace::SetSockOptRec>(r->call);
  if (c.fd != fd || c.level != level || c.name != name || c.value != value)
    Diverge("setsockopt on fd " + std::to_string(fd) + " differs from " + Context(*r), r);
  return r->result;
}

SysResult RecordedKernel::Bind(int fd, const SockAddr& addr) {
  const TraceRecord* r = Take(trace::Kind::kBind, "bind");
  if (!r) return SysResult::Error(EADDRINUSE);
  const auto& c = std::get<trace::BindRec>(r->call);
  // The port may differ when the recording asked for port 0; the recorded
  // address is the truth for joining flows.
  if (c.fd != fd) Diverge("bind on fd " + std::to_string(fd) + " differs from " + Context(*r), r);
  if (r->result.ok()) bound_[fd] = c.addr;
  (void)addr;
  return r->result;
}

SysResult RecordedKernel::Listen(int fd, int backlog) {
  const TraceRecord* r = Take(trace::Kind::kListen, "listen");
  if (!r) return SysResult::Error(EBADF);
  if (r->result.ok()) model_.Listen(fd, bound_[fd], backlog);
  return r->result;
}

SysResult RecordedKernel::GetSockName(int fd, SockAddr* addr) {
  const TraceRecord* r = Take(trace::Kind::kGetSockName, "getsockname");
  if (!r) return SysResult::Error(EBADF);
  const auto& c = std::get<trace::GetSockNameRec>(r->call);
  if (c.fd != fd)
    Diverge("getsockname on fd " + std::to_string(fd) + " differs from " + Context(*r), r);
  if (r->result.ok() && addr) *addr = c.addr;
  if (r->result.ok() && bound_.count(fd)) bound_[fd] = c.addr;  // port 0 resolved
  return r->result;
}

SysResult RecordedKernel::Accept4(int fd, SockAddr* peer, int flags) {
  const TraceRecord* r = Take(trace::Kind::kAccept4, "accept4");
  if (!r) return SysResult::Error(EAGAIN);
  const auto& c = std::get<trace::Accept4Rec>(r->call);
  if (c.fd != fd) {
    Diverge("accept4 on fd " + std::to_string(fd) + " differs from " + Context(*r), r);
    return SysResult::Error(EAGAIN);
  }
  if (!r->result.ok()) {
    if (timeline_) timeline_->Accept(now_ns_, fd, r->result, 0, "");
    return r->result;
  }
  int cfd = static_cast<int>(r->result.value);
  if (peer) *peer = c.peer;
  FdState st;
  st.conn = next_conn_++;
  st.flow = b_.FlowFor(c.peer, c.local, r->ts_ns);
  fds_[cfd] = st;
  if (b_.has_pcap) {
    report_.model_checks++;
    if (st.flow == nullptr) {
      Inconsistent("accepted " + c.peer.ToString() + " but the capture has no such connection", *r);
    } else {
      size_t position = 0;
      SysResult m = model_.AcceptConnection(fd, cfd, st.flow->id, &position);
      if (!m.ok())
        Inconsistent(
            "accepted " + c.peer.ToString() + " before its handshake completed in the capture", *r);
    }
  }
  if (timeline_) timeline_->Accept(now_ns_, fd, r->result, st.conn, c.peer.ToString());
  return r->result;
}

// ------------------------------------------------------------ byte streams

SysResult RecordedKernel::Read(int fd, void* buf, size_t len) {
  const TraceRecord* r = Take(trace::Kind::kRead, "read");
  if (!r) return SysResult::Error(EAGAIN);
  const auto& c = std::get<trace::IoRec>(r->call);
  if (c.fd != fd || c.requested != len) {
    Diverge("read(fd " + std::to_string(fd) + ", " + std::to_string(len) +
                ") differs from the recorded read(fd " + std::to_string(c.fd) + ", " +
                std::to_string(c.requested) + ") at " + Context(*r),
            r);
    return SysResult::Error(EAGAIN);
  }
  FdState& st = fds_[fd];
  if (timeline_) timeline_->Read(now_ns_, fd, st.conn, len, r->result);
  if (!r->result.ok() || r->result.value == 0) return r->result;
  uint64_t n = static_cast<uint64_t>(r->result.value);
  if (n > len) {  // only a damaged log says so; never write past the buffer
    Diverge("read of " + std::to_string(len) + " bytes on fd " + std::to_string(fd) + " returned " +
                std::to_string(n) + " in the recording at " + Context(*r),
            r);
    return SysResult::Error(EAGAIN);
  }
  // Straight into the server's buffer (on a divergence below it is ignored).
  bool bytes = st.flow && st.flow->to_server.CopyTo(st.in, n, static_cast<char*>(buf));
  if (!bytes && CaptureEndedBefore(b_, st.flow, st.in, *r)) {
    report_.capture_ended = true;
    report_.cut_at = Context(*r) + ", a read of " + std::to_string(n) + " bytes on fd " +
                     std::to_string(fd) + ": packets.pcap ends before it";
    stopped_ = true;
    return SysResult::Error(EAGAIN);
  }
  if (!b_.has_pcap || st.flow == nullptr) {
    Diverge("read of " + std::to_string(n) + " bytes on fd " + std::to_string(fd) +
                " cannot be replayed: " +
                (b_.has_pcap ? "no captured connection for this fd" : b_.pcap_problem),
            r);
    return SysResult::Error(EAGAIN);
  }
  if (!bytes) {
    Diverge("read of " + std::to_string(n) + " bytes at stream offset " + std::to_string(st.in) +
                " on fd " + std::to_string(fd) + " reaches bytes missing from the capture",
            r);
    return SysResult::Error(EAGAIN);
  }
  report_.model_checks++;
  if (model::ModelSocket* s = model_.SocketByFd(fd); s && s->readable_bytes() < n)
    Inconsistent("read returned " + std::to_string(n) + " bytes on fd " + std::to_string(fd) +
                     " but only " + std::to_string(s->readable_bytes()) +
                     " had arrived in the capture",
                 *r);
  model_.Read(fd, n);  // keep the model in step (it clamps to what arrived)
  if (model::ModelSocket* s = model_.SocketByFd(fd); s && s->rcv_consumed < st.in + n)
    s->rcv_consumed = std::min(st.in + n, s->rcv_arrived);
  st.in += n;
  report_.bytes_read += n;
  return r->result;
}

SysResult RecordedKernel::DoWrite(int fd, const char* data, size_t len, const TraceRecord& rec) {
  FdState& st = fds_[fd];
  if (timeline_) timeline_->Write(now_ns_, fd, st.conn, len, rec.result);
  if (!rec.result.ok()) return rec.result;
  uint64_t n = static_cast<uint64_t>(rec.result.value);
  if (n > len) {  // only a damaged log says so; never read past the server's bytes
    Diverge("write of " + std::to_string(len) + " bytes on fd " + std::to_string(fd) +
                " returned " + std::to_string(n) + " in the recording at " + Context(rec),
            &rec);
    return SysResult::Error(EPIPE);
  }
  report_.bytes_written += n;
  if (!b_.has_pcap || !st.flow || !st.flow->to_client.Holds(st.out, n)) {
    report_.bytes_unverifiable += n;
  } else {
    report_.bytes_compared += n;
    if (!st.flow->to_client.Matches(st.out, n, data)) {
      report_.byte_mismatches++;
      if (report_.first_byte_mismatch.empty()) {
        std::optional<std::string> expected = st.flow->to_client.Bytes(st.out, n);
        size_t at = 0;
        while (at < n && (*expected)[at] == data[at]) at++;
        report_.first_byte_mismatch =
            Context(rec) + ": fd " + std::to_string(fd) + " (conn " + std::to_string(st.conn) +
            ") stream offset " + std::to_string(st.out + at) + ": replay wrote \"" +
            Printable(std::string_view(data + at, n - at)) + "\", the capture has \"" +
            Printable(std::string_view(*expected).substr(at)) + "\"";
      }
    }
  }
  st.out += n;
  return rec.result;
}

SysResult RecordedKernel::Write(int fd, const void* buf, size_t len) {
  const TraceRecord* r = Take(trace::Kind::kWrite, "write");
  if (!r) return SysResult::Error(EPIPE);
  const auto& c = std::get<trace::IoRec>(r->call);
  if (c.fd != fd || c.requested != len) {
    Diverge("write(fd " + std::to_string(fd) + ", " + std::to_string(len) +
                " bytes) differs from the recorded write(fd " + std::to_string(c.fd) + ", " +
                std::to_string(c.requested) + " bytes) at " + Context(*r) +
                ": the server produced a different reply",
            r);
    return SysResult::Error(EPIPE);
  }
  return DoWrite(fd, static_cast<const char*>(buf), len, *r);
}

SysResult RecordedKernel::Writev(int fd, const IoVec* iov, int iovcnt) {
  const TraceRecord* r = Take(trace::Kind::kWritev, "writev");
  if (!r) return SysResult::Error(EPIPE);
  std::string joined;
  for (int i = 0; i < iovcnt; i++) joined.append(static_cast<const char*>(iov[i].base), iov[i].len);
  const auto& c = std::get<trace::IoRec>(r->call);
  if (c.fd != fd || c.requested != joined.size()) {
    Diverge("writev on fd " + std::to_string(fd) + " differs from " + Context(*r), r);
    return SysResult::Error(EPIPE);
  }
  return DoWrite(fd, joined.data(), joined.size(), *r);
}

SysResult RecordedKernel::Close(int fd) {
  const TraceRecord* r = Take(trace::Kind::kClose, "close");
  if (!r) return SysResult::Ok(0);
  const auto& c = std::get<trace::CloseRec>(r->call);
  if (c.fd != fd) {
    Diverge("close(" + std::to_string(fd) + ") differs from the recorded close(" +
                std::to_string(c.fd) + ") at " + Context(*r),
            r);
    return SysResult::Ok(0);
  }
  if (timeline_) timeline_->Close(now_ns_, fd, ConnOf(fd));
  model_.Close(fd);
  fds_.erase(fd);
  bound_.erase(fd);
  return r->result;
}

SysResult RecordedKernel::Shutdown(int fd, int how) {
  const TraceRecord* r = Take(trace::Kind::kShutdown, "shutdown");
  if (!r) return SysResult::Ok(0);
  model_.Shutdown(fd, how);
  return r->result;
}

// ------------------------------------------------- time and randomness

int64_t RecordedKernel::MonotonicNs() {
  const TraceRecord* r = Take(trace::Kind::kClock, "clock_gettime(CLOCK_MONOTONIC)");
  if (!r) return b_.start_mono_ns + now_ns_;
  const auto& c = std::get<trace::ClockRec>(r->call);
  if (c.clock != trace::kClockMonotonic)
    Diverge(
        "the server read CLOCK_MONOTONIC where the recording read CLOCK_REALTIME at " + Context(*r),
        r);
  return c.value;
}

int64_t RecordedKernel::RealtimeNs() {
  const TraceRecord* r = Take(trace::Kind::kClock, "clock_gettime(CLOCK_REALTIME)");
  if (!r) return b_.start_mono_ns + b_.real_minus_mono_ns + now_ns_;
  const auto& c = std::get<trace::ClockRec>(r->call);
  if (c.clock != trace::kClockRealtime)
    Diverge(
        "the server read CLOCK_REALTIME where the recording read CLOCK_MONOTONIC at " + Context(*r),
        r);
  return c.value;
}

void RecordedKernel::RandomBytes(void* buf, size_t len) {
  const TraceRecord* r = Take(trace::Kind::kRandom, "getrandom");
  std::memset(buf, 0, len);
  if (!r) return;
  const auto& c = std::get<trace::RandomRec>(r->call);
  if (c.bytes.size() != len) {
    Diverge("getrandom of " + std::to_string(len) + " bytes where the recording has " +
                std::to_string(c.bytes.size()) + " at " + Context(*r),
            r);
    return;
  }
  std::memcpy(buf, c.bytes.data(), len);
}

void RecordedKernel::SleepNs(int64_t ns) {
  Take(trace::Kind::kSleep, "nanosleep");
}

int64_t RecordedKernel::ProcessId() {
  const TraceRecord* r = Take(trace::Kind::kProcessId, "getpid");
  if (!r) return 1;
  return std::get<trace::ProcessIdRec>(r->call).pid;
}

bool RecordedKernel::StopRequested() {
  if (stopped_) return true;
  if (next_ >= b_.log.records.size()) {
    // The recording ends here (a killed server, or a flight-recorder window).
    LogEnded();
    return true;
  }
  if (b_.log.records[next_].kind_enum() == trace::Kind::kStopRequested) {
    Take(trace::Kind::kStopRequested, "stop");
    return true;
  }
  return false;
}

}  // namespace reel::replay
