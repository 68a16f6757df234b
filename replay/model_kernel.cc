#include "replay/model_kernel.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace reel::replay {

namespace {

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The fd a recorded call was made on (-1 for calls without one).
int RecordFd(const TraceRecord& r) {
  return std::visit(
      [](const auto& c) -> int {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, trace::EpollWaitRec> ||
                      std::is_same_v<T, trace::EpollCtlRec>)
          return c.epfd;
        else if constexpr (std::is_same_v<T, trace::SetSockOptRec> ||
                           std::is_same_v<T, trace::BindRec> ||
                           std::is_same_v<T, trace::ListenRec> ||
                           std::is_same_v<T, trace::Accept4Rec> ||
                           std::is_same_v<T, trace::GetSockNameRec> ||
                           std::is_same_v<T, trace::IoRec> || std::is_same_v<T, trace::CloseRec> ||
                           std::is_same_v<T, trace::ShutdownRec>)
          return c.fd;
        else
          return -1;
      },
      r.call);
}

bool SameResult(SysResult a, SysResult b) {
  return a.value == b.value && (a.ok() || a.err == b.err);
}

std::string Show(SysResult r) {
  if (r.ok()) return std::to_string(r.value);
  const char* name = strerrorname_np(r.err);
  return std::string("-1 ") + (name ? name : "E?");
}

std::string ListString(const std::vector<EpollEvent>& evs) {
  std::string s = "[";
  for (size_t i = 0; i < evs.size(); i++)
    s += (i ? ", fd " : "fd ") + std::to_string(evs[i].data) + " " + MaskString(evs[i].events);
  return s + "]";
}

}  // namespace

ModelKernel::ModelKernel(const ClientScript& script, const ModelPolicy& policy,
                         const CostModel& cost, const TraceFile* recording,
                         TimelineWriter* timeline)
    : script_(script),
      policy_(policy),
      cost_(cost),
      rec_(recording),
      timeline_(timeline),
      model_(model::ModelOptions{policy.sndbuf > 0 ? policy.sndbuf : model::ModelOptions{}.sndbuf}),
      following_(recording != nullptr && policy.follow_recording),
      now_(script.start_mono_ns),
      rng_(static_cast<uint64_t>(script.start_mono_ns) ^ 0x5265656c4d6f64ULL),
      shuffle_rng_(policy.shuffle_seed) {
  // The recorded process had other files open (stdio, the log, ...): its
  // first epoll or socket fd is where this process's numbering starts.
  if (recording != nullptr) {
    for (const TraceRecord& r : recording->records) {
      if ((r.kind_enum() == trace::Kind::kEpollCreate || r.kind_enum() == trace::Kind::kSocket) &&
          r.result.ok()) {
        first_fd_ = static_cast<int>(r.result.value);
        break;
      }
    }
  }
  if (policy_.max_calls == 0)
    policy_.max_calls = (recording ? 50 * recording->records.size() : 0) + 1'000'000;
  for (const ScriptConnection& c : script.connections) {
    conns_[c.id] = &c;
    std::string& in = input_[c.id];
    auto push = [&](int64_t t, Pending::Type type, uint64_t offset, uint64_t after) {
      pending_.push(
          {t + policy_.delivery_delay_ns, pending_order_++, type, c.id, offset, after, false});
    };
    push(c.established_ns, Pending::Type::kEstablished, 0, 0);
    for (const ScriptChunk& ch : c.chunks) {
      in += ch.bytes;
      push(ch.t_ns, Pending::Type::kData, in.size(), ch.after_reply_bytes);
    }
    if (c.fin_ns >= 0) push(c.fin_ns, Pending::Type::kFin, 0, c.fin_after_reply_bytes);
    if (c.reset_ns >= 0) push(c.reset_ns, Pending::Type::kReset, 0, c.fin_after_reply_bytes);
  }
}

// ------------------------------------------------------------ following

const TraceRecord* ModelKernel::Follow(trace::Kind kind, int fd, const char* call) {
  stats_.calls++;
  if (stats_.calls > policy_.max_calls) {
    stats_.runaway = true;
    stop_ = true;
  }
  if (!following_) return nullptr;
  if (next_ >= rec_->records.size()) {
    Leave(std::string("the recording ends before the server's ") + call);
    return nullptr;
  }
  const TraceRecord& r = rec_->records[next_];
  if (r.kind_enum() != kind || (fd >= 0 && RecordFd(r) >= 0 && RecordFd(r) != fd)) {
    Leave(std::string("the server called ") + call + " on fd " + std::to_string(fd) +
          " where the recording has " + r.kind_name() + " on fd " + std::to_string(RecordFd(r)));
    return nullptr;
  }
  next_++;
  stats_.followed++;
  if (r.kind_enum() != trace::Kind::kEpollWait) now_ = std::max(now_, r.ts_ns);
  return &r;
}

void ModelKernel::Leave(const std::string& why) {
  if (!following_) return;
  following_ = false;
  stats_.left_recording = true;
  stats_.left_at_seq = next_ < rec_->records.size() ? rec_->records[next_].seq : 0;
  stats_.left_reason = why;
}

void ModelKernel::Charge(int64_t ns) {
  if (!following_) now_ += ns;
}

void ModelKernel::ChargeCommand(std::string_view name, uint64_t bytes) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  Charge(cost_.CommandNs(lower, bytes));
}

// ------------------------------------------------------------ the network

void ModelKernel::ApplyUpTo(int64_t t) {
  while (!pending_.empty() && pending_.top().t <= t) {
    Pending p = pending_.top();
    pending_.pop();
    if (p.type != Pending::Type::kAck && p.type != Pending::Type::kEstablished && !p.released) {
      // Closed loop: a client that had waited for reply bytes before sending
      // this waits for them here too (and what follows it waits behind it).
      auto out = outputs_.find(p.conn);
      uint64_t replied = out == outputs_.end() ? 0 : out->second.bytes.size();
      std::deque<Pending>& q = waiting_[p.conn];
      if (!q.empty() || replied < p.after_reply_bytes) {
        q.push_back(p);
        continue;
      }
    }
    const ScriptConnection* c = conns_.count(p.conn) ? conns_[p.conn] : nullptr;
    switch (p.type) {
      case Pending::Type::kEstablished: {
        int listen_fd = -1;
        for (const auto& [fd, addr] : listeners_)
          if (listen_fd < 0 || addr.port == c->server.port) listen_fd = fd;
        if (listen_fd < 0) {
          unlistened_.push_back({p.conn, p.t});
          break;
        }
        model_.ConnectionEstablished(listen_fd, p.conn, c->client, c->server, p.t);
        break;
      }
      case Pending::Type::kData: model_.DataArrivedUpTo(p.conn, p.offset); break;
      case Pending::Type::kFin: model_.PeerFin(p.conn); break;
      case Pending::Type::kReset: model_.PeerReset(p.conn); break;
      case Pending::Type::kAck: model_.PeerAcked(p.conn, p.offset); break;
    }
  }
}

void ModelKernel::ReleaseWaiting(uint32_t flow) {
  auto it = waiting_.find(flow);
  if (it == waiting_.end()) return;
  uint64_t replied = outputs_[flow].bytes.size();
  // The reply's trip and the request's trip; while the run follows the
  // recording the recorded times already hold them.
  int64_t t = following_ ? now_ : now_ + 2 * policy_.delivery_delay_ns;
  while (!it->second.empty() && it->second.front().after_reply_bytes <= replied) {
    Pending p = it->second.front();
    it->second.pop_front();
    p.released = true;
    p.t = std::max(p.t, t);
    p.order = pending_order_++;
    pending_.push(p);
  }
}

int64_t ModelKernel::NextEventTime() const {
  return pending_.empty() ? INT64_MAX : pending_.top().t;
}

bool ModelKernel::Quiescent() const {
  if (!pending_.empty()) return false;
  // Client input still waiting for a reply that never came does not count:
  // it will never be sent.
  for (const auto& [fd, flow] : fd_flow_) {
    const model::ModelSocket* s = const_cast<model::KernelModel&>(model_).SocketByFd(fd);
    if (s != nullptr && s->readable_bytes() > 0) return false;
  }
  return true;
}

int ModelKernel::TakeFd() {
  int fd = first_fd_;
  while (used_fds_.count(fd)) fd++;
  used_fds_.insert(fd);
  return fd;
}

uint64_t ModelKernel::ConnOf(int fd) const {
  auto it = fd_conn_.find(fd);
  return it == fd_conn_.end() ? 0 : it->second;
}

// ------------------------------------------------------------ epoll

SysResult ModelKernel::EpollCreate(int flags) {
  const TraceRecord* r = Follow(trace::Kind::kEpollCreate, -1, "epoll_create1");
  Charge(cost_.per_call_ns);
  int fd = TakeFd();
  if (r && r->result.ok() && r->result.value != fd) Leave("epoll fd differs from the recording");
  return model_.EpollCreate(fd);
}

SysResult ModelKernel::EpollCtl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
  const TraceRecord* r = Follow(trace::Kind::kEpollCtl, epfd, "epoll_ctl");
  Charge(cost_.per_call_ns);
  if (policy_.force_et && op != kEpollCtlDel) events |= kEpollEt;
  SysResult res = model_.EpollCtl(epfd, op, fd, events, data);
  if (r && !SameResult(res, r->result))
    Leave("epoll_ctl returned " + Show(res) + " on the model, " + Show(r->result) + " recorded");
  return res;
}

void ModelKernel::Collect(int epfd, int maxevents, std::vector<EpollEvent>* out) {
  out->clear();
  ApplyUpTo(now_);
  model_.EpollWait(epfd, maxevents, out);
}

SysResult ModelKernel::EpollWait(int epfd, EpollEvent* events, int maxevents, int timeout_ms) {
  const TraceRecord* r = Follow(trace::Kind::kEpollWait, epfd, "epoll_wait");
  if (maxevents < 1) return SysResult::Error(EINVAL);
  if (model_.Epoll(epfd) == nullptr) return SysResult::Error(EBADF);
  stats_.epoll_waits++;
  int cap = policy_.maxevents > 0 ? std::min(maxevents, policy_.maxevents) : maxevents;
  const trace::EpollWaitRec* w = r ? &std::get<trace::EpollWaitRec>(r->call) : nullptr;
  Charge(cost_.per_call_ns);
  int64_t entry = w ? std::max(now_, r->ts_ns - w->wait_ns) : now_;
  now_ = entry;
  std::vector<EpollEvent> got;
  Collect(epfd, cap, &got);
  if (got.empty() && w) {
    // As in the calls-from-log driver: what is ready is the model's call,
    // when the woken thread runs is the recording's.
    now_ = std::max(now_, r->ts_ns);
    Collect(epfd, cap, &got);
  }
  if (got.empty() && w && !w->events.empty())
    Leave("epoll_wait found nothing ready on the model where the recording returned " +
          ListString(w->events));
  if (got.empty() && !(w && w->events.empty() && following_)) {
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : now_ + int64_t{timeout_ms} * 1000000;
    while (got.empty()) {
      int64_t next = NextEventTime();
      if (next == INT64_MAX || next > deadline) break;
      now_ = std::max(now_, next) + policy_.wakeup_latency_ns;
      Collect(epfd, cap, &got);
    }
    if (got.empty()) {
      if (deadline == INT64_MAX) {
        // Nothing will ever arrive: the recording's SIGTERM is what ends it.
        now_ = std::max(now_, script_.end_mono_ns);
        stop_ = true;
      } else {
        now_ = std::max(now_, deadline);
      }
    }
  }
  // The reactor's policy: the order in which the batch is handed over.
  if (got.size() > 1 && policy_.order != ModelPolicy::Order::kKernel) {
    std::vector<EpollEvent> before = got;
    if (policy_.order == ModelPolicy::Order::kReverse) {
      std::reverse(got.begin(), got.end());
    } else {
      for (size_t i = got.size() - 1; i > 0; i--)
        std::swap(got[i], got[SplitMix64(&shuffle_rng_) % (i + 1)]);
    }
    bool changed = false;
    for (size_t i = 0; i < got.size(); i++) changed |= got[i].data != before[i].data;
    if (changed) stats_.batches_reordered++;
  }
  if (w && following_) {
    bool same = got.size() == w->events.size();
    for (size_t i = 0; same && i < got.size(); i++)
      same = got[i].data == w->events[i].data && got[i].events == w->events[i].events;
    if (!same)
      Leave("epoll_wait returned " + ListString(got) + " on the model, " + ListString(w->events) +
            " recorded");
  }
  int n = static_cast<int>(got.size());
  std::copy(got.begin(), got.end(), events);
  if (timeline_) {
    std::vector<uint64_t> conns;
    for (const EpollEvent& e : got) conns.push_back(ConnOf(static_cast<int>(e.data)));
    timeline_->EpollWait(now_ns(), epfd, maxevents, timeout_ms, got, conns, SysResult::Ok(n),
                         now_ - entry);
  }
  return SysResult::Ok(n);
}

// ------------------------------------------------------------ sockets

SysResult ModelKernel::Socket(int domain, int type, int protocol) {
  const TraceRecord* r = Follow(trace::Kind::kSocket, -1, "socket");
  Charge(cost_.per_call_ns);
  int fd = TakeFd();
  if (r && r->result.ok() && r->result.value != fd) Leave("socket fd differs from the recording");
  return SysResult::Ok(fd);
}

SysResult ModelKernel::SetSockOpt(int fd, int level, int name, int value) {
  Follow(trace::Kind::kSetSockOpt, fd, "setsockopt");
  Charge(cost_.per_call_ns);
  return SysResult::Ok(0);
}

SysResult ModelKernel::Bind(int fd, const SockAddr& addr) {
  Follow(trace::Kind::kBind, fd, "bind");
  Charge(cost_.per_call_ns);
  SockAddr a = addr;
  // A port-0 bind gets the port the clients connected to.
  if (a.port == 0 && !script_.connections.empty()) a.port = script_.connections[0].server.port;
  bound_[fd] = a;
  return SysResult::Ok(0);
}

SysResult ModelKernel::Listen(int fd, int backlog) {
  Follow(trace::Kind::kListen, fd, "listen");
  Charge(cost_.per_call_ns);
  listeners_[fd] = bound_[fd];
  SysResult res = model_.Listen(fd, bound_[fd], backlog);
  for (const auto& [conn, t] : unlistened_) {
    const ScriptConnection* c = conns_[conn];
    model_.ConnectionEstablished(fd, conn, c->client, c->server, t);
  }
  unlistened_.clear();
  return res;
}

SysResult ModelKernel::GetSockName(int fd, SockAddr* addr) {
  Follow(trace::Kind::kGetSockName, fd, "getsockname");
  auto it = bound_.find(fd);
  if (it == bound_.end()) {
    // An accepted socket's local address is its connection's server side
    // (a RecordingKernel around the model asks, to join the fd to the pcap).
    auto flow = fd_flow_.find(fd);
    if (flow == fd_flow_.end()) return SysResult::Error(EBADF);
    if (addr) *addr = conns_[flow->second]->server;
    return SysResult::Ok(0);
  }
  if (addr) *addr = it->second;
  return SysResult::Ok(0);
}

SysResult ModelKernel::Accept4(int fd, SockAddr* peer, int flags) {
  const TraceRecord* r = Follow(trace::Kind::kAccept4, fd, "accept4");
  Charge(cost_.per_call_ns);
  ApplyUpTo(now_);
  model::ModelSocket* l = model_.SocketByFd(fd);
  SysResult res = SysResult::Error(EAGAIN);
  uint64_t flow = 0;
  if (l != nullptr && !l->accept_queue.empty()) {
    int nfd = TakeFd();
    res = model_.Accept(fd, nfd, &flow);
    if (!res.ok()) used_fds_.erase(nfd);
  } else if (l == nullptr) {
    res = SysResult::Error(EBADF);
  }
  if (r) {
    const auto& c = std::get<trace::Accept4Rec>(r->call);
    const ScriptConnection* sc = res.ok() ? conns_[static_cast<uint32_t>(flow)] : nullptr;
    if (!SameResult(res, r->result) || (sc && !(sc->client == c.peer)))
      Leave("accept4 returned " + Show(res) + (sc ? " (" + sc->client.ToString() + ")" : "") +
            " on the model, " + Show(r->result) +
            (r->result.ok() ? " (" + c.peer.ToString() + ")" : "") + " recorded");
  }
  uint64_t conn = 0;
  std::string peer_text;
  if (res.ok()) {
    int nfd = static_cast<int>(res.value);
    const ScriptConnection* sc = conns_[static_cast<uint32_t>(flow)];
    conn = next_conn_++;
    fd_conn_[nfd] = conn;
    fd_flow_[nfd] = static_cast<uint32_t>(flow);
    ModelOutput& out = outputs_[static_cast<uint32_t>(flow)];
    out.conn = conn;
    out.flow = static_cast<uint32_t>(flow);
    if (peer) *peer = sc->client;
    peer_text = sc->client.ToString();
  }
  if (timeline_) timeline_->Accept(now_ns(), fd, res, conn, peer_text);
  return res;
}

SysResult ModelKernel::Read(int fd, void* buf, size_t len) {
  const TraceRecord* r = Follow(trace::Kind::kRead, fd, "read");
  Charge(cost_.per_call_ns);
  ApplyUpTo(now_);
  model::ModelSocket* s = model_.SocketByFd(fd);
  uint64_t offset = s ? s->rcv_consumed : 0;
  SysResult res = model_.Read(fd, len);
  if (res.ok() && res.value > 0) {
    const std::string& in = input_[fd_flow_[fd]];
    std::memcpy(buf, in.data() + offset, static_cast<size_t>(res.value));
  }
  if (r && !SameResult(res, r->result))
    Leave("read(fd " + std::to_string(fd) + ") returned " + Show(res) + " on the model, " +
          Show(r->result) + " recorded");
  if (timeline_) timeline_->Read(now_ns(), fd, ConnOf(fd), len, res);
  return res;
}

SysResult ModelKernel::DoWrite(int fd, const char* data, size_t len) {
  ApplyUpTo(now_);
  SysResult res = model_.Write(fd, len);
  if (res.ok() && res.value > 0) {
    auto it = fd_flow_.find(fd);
    if (it != fd_flow_.end()) {
      ModelOutput& out = outputs_[it->second];
      out.bytes.append(data, static_cast<size_t>(res.value));
      out.writes.push_back({now_, static_cast<uint64_t>(res.value)});
      model::ModelSocket* s = model_.SocketByFd(fd);
      pending_.push({now_ + policy_.ack_delay_ns, pending_order_++, Pending::Type::kAck, it->second,
                     s ? s->snd_written : 0, 0, false});
      ReleaseWaiting(it->second);
    }
  }
  return res;
}

SysResult ModelKernel::Write(int fd, const void* buf, size_t len) {
  const TraceRecord* r = Follow(trace::Kind::kWrite, fd, "write");
  Charge(cost_.per_call_ns);
  SysResult res = DoWrite(fd, static_cast<const char*>(buf), len);
  if (r && !SameResult(res, r->result))
    Leave("write(fd " + std::to_string(fd) + ") returned " + Show(res) + " on the model, " +
          Show(r->result) + " recorded");
  if (timeline_) timeline_->Write(now_ns(), fd, ConnOf(fd), len, res);
  return res;
}

SysResult ModelKernel::Writev(int fd, const IoVec* iov, int iovcnt) {
  const TraceRecord* r = Follow(trace::Kind::kWritev, fd, "writev");
  Charge(cost_.per_call_ns);
  std::string flat;
  for (int i = 0; i < iovcnt; i++) flat.append(static_cast<const char*>(iov[i].base), iov[i].len);
  SysResult res = DoWrite(fd, flat.data(), flat.size());
  if (r && !SameResult(res, r->result))
    Leave("writev(fd " + std::to_string(fd) + ") returned " + Show(res) + " on the model, " +
          Show(r->result) + " recorded");
  if (timeline_) timeline_->Write(now_ns(), fd, ConnOf(fd), flat.size(), res);
  return res;
}

SysResult ModelKernel::Close(int fd) {
  Follow(trace::Kind::kClose, fd, "close");
  Charge(cost_.per_call_ns);
  if (timeline_ && fd_conn_.count(fd)) timeline_->Close(now_ns(), fd, ConnOf(fd));
  SysResult res = model_.Close(fd);
  used_fds_.erase(fd);
  fd_conn_.erase(fd);
  fd_flow_.erase(fd);
  listeners_.erase(fd);
  bound_.erase(fd);
  return res;
}

SysResult ModelKernel::Shutdown(int fd, int how) {
  Follow(trace::Kind::kShutdown, fd, "shutdown");
  Charge(cost_.per_call_ns);
  return model_.Shutdown(fd, how);
}

// ------------------------------------------------------------ the rest

int64_t ModelKernel::MonotonicNs() {
  const TraceRecord* r = Follow(trace::Kind::kClock, -1, "clock_gettime");
  if (r) {
    const auto& c = std::get<trace::ClockRec>(r->call);
    if (c.clock == trace::kClockMonotonic) return c.value;
    Leave("the server read CLOCK_MONOTONIC where the recording read CLOCK_REALTIME");
  }
  return now_;
}

int64_t ModelKernel::RealtimeNs() {
  const TraceRecord* r = Follow(trace::Kind::kClock, -1, "clock_gettime");
  if (r) {
    const auto& c = std::get<trace::ClockRec>(r->call);
    if (c.clock == trace::kClockRealtime) return c.value;
    Leave("the server read CLOCK_REALTIME where the recording read CLOCK_MONOTONIC");
  }
  return now_ + script_.real_minus_mono_ns;
}

void ModelKernel::RandomBytes(void* buf, size_t len) {
  const TraceRecord* r = Follow(trace::Kind::kRandom, -1, "getrandom");
  if (r) {
    const auto& c = std::get<trace::RandomRec>(r->call);
    if (c.bytes.size() == len) {
      std::memcpy(buf, c.bytes.data(), len);
      return;
    }
    Leave("getrandom of a different size than recorded");
  }
  auto* p = static_cast<uint8_t*>(buf);
  for (size_t i = 0; i < len; i += 8) {
    uint64_t v = SplitMix64(&rng_);
    std::memcpy(p + i, &v, std::min<size_t>(8, len - i));
  }
}

void ModelKernel::SleepNs(int64_t ns) {
  if (!Follow(trace::Kind::kSleep, -1, "nanosleep")) now_ += ns;
}

int64_t ModelKernel::ProcessId() {
  const TraceRecord* r = Follow(trace::Kind::kProcessId, -1, "getpid");
  return r ? std::get<trace::ProcessIdRec>(r->call).pid : 1;
}

bool ModelKernel::StopRequested() {
  if (stop_) return true;
  if (following_) {
    // Like the recorded schedule: only a `true` answer is in the log.
    if (next_ < rec_->records.size() &&
        rec_->records[next_].kind_enum() == trace::Kind::kStopRequested) {
      next_++;
      return stop_ = true;
    }
    if (next_ < rec_->records.size()) return false;
    Leave("the recording ends here (a cut recording)");
  }
  // Off the recording, SIGTERM comes at the recording's end — later if
  // input is still unread, up to the grace period.
  if (now_ >= script_.end_mono_ns &&
      (Quiescent() || now_ >= script_.end_mono_ns + policy_.grace_ns)) {
    stats_.input_left = !Quiescent();
    stop_ = true;
  }
  return stop_;
}

}  // namespace reel::replay
