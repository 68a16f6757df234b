#include "replay/model_schedule.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

#include "replay/kernel_model.h"
#include "replay/model_replay.h"
#include "replay/send_side.h"
#include "replay/timeline.h"

namespace reel::replay {

namespace {

std::string ListString(const std::vector<EpollEvent>& evs) {
  std::string s = "[";
  for (size_t i = 0; i < evs.size(); i++) {
    if (i) s += ", ";
    s += "fd " + std::to_string(evs[i].data) + " " + MaskString(evs[i].events);
  }
  return s + "]";
}

bool SameList(const std::vector<EpollEvent>& a, const std::vector<EpollEvent>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (a[i].data != b[i].data || a[i].events != b[i].events) return false;
  return true;
}

bool SameEndpoint(const SockAddr& bound, const SockAddr& actual) {
  static const std::array<uint8_t, 16> kZero{};
  if (bound.port != actual.port) return false;
  return bound.addr == kZero || (bound.family == actual.family && bound.addr == actual.addr);
}

class ModelRun {
 public:
  // Sockets of flows without a captured handshake keep an unbounded send
  // buffer; the others are tuned from `send` with the given factor.
  ModelRun(const Bundle& b, const ModelScheduleOptions& o, const SendSide& send,
           uint32_t expand_factor)
      : b_(b),
        o_(o),
        send_(send),
        factor_(expand_factor),
        model_(model::ModelOptions{UINT64_MAX / 4}) {}

  FidelityReport Run(bool stop_at_short_write) {
    report_.has_packets = b_.has_pcap;
    uint64_t done = 0, total = b_.log.records.size();
    for (const TraceRecord& r : b_.log.records) {
      Step(r);
      prev_ts_ = r.ts_ns;
      if (stop_at_short_write && report_.short_write_seen) break;
      if (o_.progress) o_.progress->Progress(++done, total);
    }
    report_.sndbuf_expand_factor = factor_;
    return report_;
  }

 private:
  // Applies, in time order, the packets that reached the server's sockets by
  // t_mono and the server's own transmissions stamped by then.
  void ApplyNetUpTo(int64_t t_mono) {
    for (;;) {
      int64_t tn =
          net_next_ < b_.net.size() ? b_.net[net_next_].t_ns + o_.delivery_delay_ns : INT64_MAX;
      int64_t ts = NextSendSideTime();
      if (std::min(tn, ts) > t_mono) break;
      if (tn <= ts) {
        ApplyNet(b_.net[net_next_++]);
      } else {
        ApplySendSide(send_.events[send_next_++]);
      }
    }
  }
  void ApplyNet(const NetEvent& e) {
    const TcpFlow& f = b_.streams.flows[e.flow];
    switch (e.type) {
      case NetEvent::Type::kEstablished:
        for (const auto& [fd, addr] : listeners_)
          if (SameEndpoint(addr, f.server)) {
            model_.ConnectionEstablished(fd, f.id, f.client, f.server, e.t_ns);
            Tune(f.id);
            break;
          }
        break;
      case NetEvent::Type::kData: model_.DataArrivedUpTo(f.id, e.offset + e.bytes); break;
      case NetEvent::Type::kFin: model_.PeerFin(f.id); break;
      case NetEvent::Type::kReset: model_.PeerReset(f.id); break;
    }
  }
  // The client's ACK reaches the server's socket like data does (after the
  // delivery delay); the server's own segment is stamped as it leaves.
  int64_t SendSideTime(const SendSideEvent& e) const {
    return e.type == SendSideEvent::Type::kAck ? e.t_ns + o_.delivery_delay_ns : e.t_ns;
  }
  int64_t NextSendSideTime() const {
    return send_next_ < send_.events.size() ? SendSideTime(send_.events[send_next_]) : INT64_MAX;
  }
  void ApplySendSide(const SendSideEvent& e) {
    if (e.type == SendSideEvent::Type::kAck) {
      model_.PeerAcked(e.flow, e.offset);
    } else {
      model_.DataSent(e.flow, e.offset);
    }
  }
  // tcp_init_buffer_space for a connection whose handshake the capture holds.
  void Tune(uint32_t flow) {
    auto it = send_.tuning.find(flow);
    if (it == send_.tuning.end()) return;
    model::SendTuning t = it->second;
    t.expand_factor = factor_;
    model_.TuneSendBuffer(flow, t);
  }
  int64_t NextNetTime() const {
    int64_t tn =
        net_next_ < b_.net.size() ? b_.net[net_next_].t_ns + o_.delivery_delay_ns : INT64_MAX;
    return std::min(tn, NextSendSideTime());
  }

  void Mismatch(const TraceRecord& r, const std::string& what) {
    if (o_.verbose)
      std::fprintf(stderr, "mismatch at seq %llu: %s%s\n", static_cast<unsigned long long>(r.seq),
                   what.c_str(), Neighbourhood(r.ts_ns).c_str());
    if (!report_.first_mismatch.empty()) return;
    report_.first_mismatch_seq = r.seq;
    report_.first_mismatch = "seq " + std::to_string(r.seq) + " (" + r.kind_name() +
                             ", t=" + std::to_string((r.ts_ns - b_.start_mono_ns) / 1000) +
                             "us): " + what + Neighbourhood(r.ts_ns);
  }

  // The packets stamped within 200us of t, so a reader sees why.
  std::string Neighbourhood(int64_t t) const {
    std::string s;
    int shown = 0;
    for (const NetEvent& e : b_.net) {
      if (e.t_ns < t - 200000 || e.t_ns > t + 200000) continue;
      if (shown++ == 8) {
        s += "\n      ...";
        break;
      }
      static const char* kType[] = {"established", "data", "fin", "reset"};
      std::string fd = "?";
      for (const auto& [f, id] : fd_flow_)
        if (id == e.flow) fd = std::to_string(f);
      s += "\n      packet t=" + std::to_string((e.t_ns - b_.start_mono_ns) / 1000) + "us (" +
           std::to_string((e.t_ns - t) / 1000) + "us from the call) flow " +
           std::to_string(e.flow) + " (fd " + fd + ") " + kType[static_cast<int>(e.type)];
      if (e.type == NetEvent::Type::kData) s += " " + std::to_string(e.bytes) + " bytes";
    }
    // The client's ACKs, which drain the send buffer.
    int acks = 0;
    for (const SendSideEvent& e : send_.events) {
      if (e.type != SendSideEvent::Type::kAck || e.t_ns < t - 200000 || e.t_ns > t + 200000)
        continue;
      if (acks++ == 8) {
        s += "\n      ...";
        break;
      }
      s += "\n      packet t=" + std::to_string((e.t_ns - b_.start_mono_ns) / 1000) + "us (" +
           std::to_string((e.t_ns - t) / 1000) + "us from the call) flow " +
           std::to_string(e.flow) + " ack of " + std::to_string(e.offset) + " bytes";
    }
    return s.empty() ? "" : "\n    packets around it:" + s;
  }

  void Step(const TraceRecord& r) {
    switch (r.kind_enum()) {
      case trace::Kind::kEpollCreate:
        if (r.result.ok()) model_.EpollCreate(static_cast<int>(r.result.value));
        break;
      case trace::Kind::kEpollCtl: {
        const auto& c = std::get<trace::EpollCtlRec>(r.call);
        if (r.result.ok()) model_.EpollCtl(c.epfd, c.op, c.fd, c.events, c.data);
        break;
      }
      case trace::Kind::kSetSockOpt: {
        const auto& c = std::get<trace::SetSockOptRec>(r.call);
        constexpr int kSolSocket = 1, kSoSndbuf = 7;
        if (r.result.ok() && c.level == kSolSocket && c.name == kSoSndbuf)
          model_.SetSndbuf(c.fd, c.value);
        break;
      }
      case trace::Kind::kBind: {
        const auto& c = std::get<trace::BindRec>(r.call);
        if (r.result.ok()) bound_[c.fd] = c.addr;
        break;
      }
      case trace::Kind::kGetSockName: {
        const auto& c = std::get<trace::GetSockNameRec>(r.call);
        if (r.result.ok() && bound_.count(c.fd)) bound_[c.fd] = c.addr;
        if (r.result.ok() && listeners_.count(c.fd)) listeners_[c.fd] = c.addr;
        break;
      }
      case trace::Kind::kListen: {
        const auto& c = std::get<trace::ListenRec>(r.call);
        if (r.result.ok()) {
          listeners_[c.fd] = bound_[c.fd];
          model_.Listen(c.fd, bound_[c.fd], c.backlog);
        }
        break;
      }
      case trace::Kind::kAccept4: Accept(r); break;
      case trace::Kind::kRead: Read(r); break;
      case trace::Kind::kWrite:
      case trace::Kind::kWritev: Write(r); break;
      case trace::Kind::kEpollWait: Wait(r); break;
      case trace::Kind::kClose: {
        const auto& c = std::get<trace::CloseRec>(r.call);
        ApplyNetUpTo(r.ts_ns);
        model_.Close(c.fd);
        fd_flow_.erase(c.fd);
        listeners_.erase(c.fd);
        break;
      }
      case trace::Kind::kShutdown: {
        const auto& c = std::get<trace::ShutdownRec>(r.call);
        model_.Shutdown(c.fd, c.how);
        break;
      }
      default: break;
    }
  }

  void Accept(const TraceRecord& r) {
    const auto& c = std::get<trace::Accept4Rec>(r.call);
    ApplyNetUpTo(r.ts_ns);
    model::ModelSocket* l = model_.SocketByFd(c.fd);
    if (l == nullptr || l->kind != model::ModelSocket::Kind::kListener) return;
    report_.accept.calls++;
    const TcpFlow* flow = r.result.ok() ? b_.FlowFor(c.peer, c.local, r.ts_ns) : nullptr;
    bool model_has = !l->accept_queue.empty();
    bool match;
    if (!r.result.ok()) {
      match = !model_has;
      if (!match) Mismatch(r, "the kernel had no connection to accept, the model had one queued");
    } else {
      match = flow && model_has && l->accept_queue.front().conn_id == flow->id;
      if (!match)
        Mismatch(r, "the kernel accepted " + c.peer.ToString() + ", the model " +
                        (model_has ? "would have accepted another connection first"
                                   : "had no completed handshake yet"));
    }
    if (match) report_.accept.matches++;
    if (r.result.ok() && flow) {
      int fd = static_cast<int>(r.result.value);
      size_t pos = 0;
      if (!model_.AcceptConnection(c.fd, fd, flow->id, &pos).ok()) {
        // The handshake is later in the capture than the accept: create it now.
        model_.ConnectionEstablished(c.fd, flow->id, flow->client, flow->server, r.ts_ns);
        Tune(flow->id);
        model_.AcceptConnection(c.fd, fd, flow->id, &pos);
      }
      fd_flow_[fd] = flow->id;
    }
  }

  void Read(const TraceRecord& r) {
    const auto& c = std::get<trace::IoRec>(r.call);
    model::ModelSocket* s = model_.SocketByFd(c.fd);
    if (s == nullptr || s->kind != model::ModelSocket::Kind::kStream)
      return;  // not a socket we know
    ApplyNetUpTo(r.ts_ns);
    report_.read.calls++;
    SysResult m = model_.Read(c.fd, c.requested);
    bool match = m.value == r.result.value && (m.ok() || m.err == r.result.err);
    if (match) {
      report_.read.matches++;
    } else {
      Mismatch(r, "read(fd " + std::to_string(c.fd) + ", " + std::to_string(c.requested) +
                      "): the kernel returned " + Show(r.result) + ", the model " + Show(m));
    }
    // Back in step: the socket has delivered exactly what the kernel delivered.
    if (r.result.ok()) {
      uint64_t end = c.stream_offset + static_cast<uint64_t>(r.result.value);
      if (fd_flow_.count(c.fd)) model_.DataArrivedUpTo(fd_flow_[c.fd], end);
      s->rcv_consumed = end;
    }
  }

  void Write(const TraceRecord& r) {
    const auto& c = std::get<trace::IoRec>(r.call);
    model::ModelSocket* s = model_.SocketByFd(c.fd);
    if (s == nullptr || s->kind != model::ModelSocket::Kind::kStream) return;
    // The call began after the previous record: the client's ACKs that came
    // in while it ran waited in the socket's backlog (the writer owns the
    // socket) and are processed after the copy, at release_sock. Data, FINs
    // and RSTs are applied up to the return, as before.
    ApplyNetUpTo(std::max(prev_ts_, int64_t{0}));
    while (net_next_ < b_.net.size() && b_.net[net_next_].t_ns + o_.delivery_delay_ns <= r.ts_ns)
      ApplyNet(b_.net[net_next_++]);
    report_.write.calls++;
    bool nospace_before = s->nospace;
    SysResult m = model_.Write(c.fd, c.requested);
    bool match = m.value == r.result.value && (m.ok() || m.err == r.result.err);
    if (match) {
      report_.write.matches++;
    } else {
      Mismatch(r, "write(fd " + std::to_string(c.fd) + ", " + std::to_string(c.requested) +
                      "): the kernel returned " + Show(r.result) + ", the model " + Show(m));
    }
    // Back in step: the kernel accepted what it accepted; a write it cut
    // short (or refused with EAGAIN) left SOCK_NOSPACE set.
    bool kernel_short = r.result.ok() ? static_cast<uint64_t>(r.result.value) < c.requested
                                      : r.result.err == EAGAIN;
    if (kernel_short && s->tuned && !report_.short_write_seen) {
      report_.short_write_seen = true;
      report_.short_write_seq = r.seq;
      report_.short_write_kernel = r.result.ok() ? r.result.value : 0;
      report_.short_write_model = m.ok() ? m.value : 0;
    }
    uint64_t end = c.stream_offset + (r.result.ok() ? static_cast<uint64_t>(r.result.value) : 0);
    model_.SyncWritten(c.fd, end, nospace_before || kernel_short);
    ApplyNetUpTo(r.ts_ns);
  }

  void Wait(const TraceRecord& r) {
    const auto& w = std::get<trace::EpollWaitRec>(r.call);
    model::EpollInstance* ep = model_.Epoll(w.epfd);
    if (ep == nullptr || !r.result.ok()) return;
    int64_t entry = r.ts_ns - w.wait_ns;
    report_.epoll_wait.calls++;
    // ep_poll scans the ready list on entry: a non-empty result returns at
    // once; stale level-triggered items are dropped by that scan (and
    // re-appended by their next wakeup, which reorders the list).
    ApplyNetUpTo(entry);
    std::vector<EpollEvent> got;
    model_.EpollWait(w.epfd, w.maxevents, &got);
    // Nothing ready: the thread sleeps until a wakeup or the timeout. When
    // it runs again is the scheduler's business: by default the ready list
    // is collected at the recorded return; with --scan-at entry, the
    // modelled wakeup latency after the first packet.
    if (got.empty() && o_.scan_at_return) {
      ApplyNetUpTo(r.ts_ns);
      model_.EpollWait(w.epfd, w.maxevents, &got);
    }
    int64_t deadline = w.timeout_ms < 0 ? INT64_MAX : entry + int64_t{w.timeout_ms} * 1000000;
    while (got.empty()) {
      int64_t next = NextNetTime();
      if (next == INT64_MAX || next > deadline) break;
      ApplyNetUpTo(std::max(next, entry) + o_.wakeup_latency_ns);
      model_.EpollWait(w.epfd, w.maxevents, &got);
    }
    if (SameList(got, w.events)) {
      report_.epoll_wait.matches++;
      return;
    }
    // Back in step: the kernel re-queued what it returned, in its order.
    std::vector<uint64_t> returned;
    for (const EpollEvent& e : w.events) returned.push_back(e.data);
    ep->RequeueReturned(returned);
    Classify(got, w.events);
    Mismatch(r, "epoll_wait returned " + ListString(w.events) + " on the kernel, " +
                    ListString(got) + " on the model");
  }

  void Classify(const std::vector<EpollEvent>& model, const std::vector<EpollEvent>& real) {
    std::vector<uint64_t> a, b;
    for (const auto& e : model) a.push_back(e.data);
    for (const auto& e : real) b.push_back(e.data);
    std::vector<uint64_t> sa = a, sb = b;
    std::sort(sa.begin(), sa.end());
    std::sort(sb.begin(), sb.end());
    if (sa == sb) {
      (a == b ? report_.wait_mask_only : report_.wait_order_only)++;
      return;
    }
    if (std::includes(sa.begin(), sa.end(), sb.begin(), sb.end())) {
      report_.wait_extra_ready++;
    } else {
      report_.wait_missing_ready++;
    }
  }

  static std::string Show(SysResult r) {
    if (r.ok()) return std::to_string(r.value);
    const char* name = strerrorname_np(r.err);
    return std::string("-1 ") + (name ? name : "E?");
  }

  const Bundle& b_;
  ModelScheduleOptions o_;
  const SendSide& send_;
  uint32_t factor_;
  model::KernelModel model_;
  size_t net_next_ = 0;
  size_t send_next_ = 0;
  int64_t prev_ts_ = 0;  // the previous record's time: the earliest a call can have begun
  std::map<int, SockAddr> bound_;
  std::map<int, SockAddr> listeners_;
  std::map<int, uint32_t> fd_flow_;
  FidelityReport report_;
};

}  // namespace

FidelityReport RunModelSchedule(const Bundle& bundle, const ModelScheduleOptions& options) {
  SendSide send = BuildSendSide(bundle);
  if (options.sndbuf_expand_factor != 0) {
    FidelityReport f = ModelRun(bundle, options, send, options.sndbuf_expand_factor).Run(false);
    f.sndbuf_calibration = "factor " + std::to_string(options.sndbuf_expand_factor) + " (given)";
    return f;
  }
  // Calibration of one capacity the capture cannot show: the congestion
  // control's send-buffer factor (2: Reno/CUBIC, 3: BBR). The trace is run up
  // to its first short write with each (quietly: only the run that counts
  // prints and ticks the progress sink); the one whose answer there is nearer
  // the kernel's wins (2, the kernel's own default, on a tie or when no write
  // was short). Nothing else is fitted.
  bool any_short = false;
  for (const TraceRecord& r : bundle.log.records) {
    const auto* io = std::get_if<trace::IoRec>(&r.call);
    bool is_write = r.kind_enum() == trace::Kind::kWrite || r.kind_enum() == trace::Kind::kWritev;
    if (io && is_write &&
        (r.result.ok() ? static_cast<uint64_t>(r.result.value) < io->requested
                       : r.result.err == EAGAIN)) {
      any_short = true;
      break;
    }
  }
  uint32_t factor = 2;
  std::string calibration = "factor 2 (no write was cut short: nothing to calibrate on)";
  if (any_short) {
    ModelScheduleOptions quiet = options;
    quiet.verbose = false;
    quiet.progress = nullptr;
    FidelityReport two = ModelRun(bundle, quiet, send, 2).Run(/*stop_at_short_write=*/true);
    FidelityReport three = ModelRun(bundle, quiet, send, 3).Run(/*stop_at_short_write=*/true);
    if (two.short_write_seen) {
      auto error = [](const FidelityReport& f) {
        return std::llabs(f.short_write_model - f.short_write_kernel);
      };
      factor = error(three) < error(two) ? 3 : 2;
      calibration = "factor " + std::to_string(factor) + " (first short write, seq " +
                    std::to_string(two.short_write_seq) + ": the kernel accepted " +
                    std::to_string(two.short_write_kernel) + " bytes; the model " +
                    std::to_string(two.short_write_model) + " with factor 2, " +
                    std::to_string(three.short_write_model) + " with factor 3)";
    } else {
      calibration =
          "factor 2 (the writes cut short were on connections whose handshake the "
          "capture lacks)";
    }
  }
  FidelityReport f = ModelRun(bundle, options, send, factor).Run(false);
  f.sndbuf_calibration = calibration;
  return f;
}

int RunModelScheduleCommand(const Bundle& bundle, const ModelScheduleOptions& options, bool json,
                            bool quiet, const OwnCodeCheck* own) {
  if (!bundle.has_pcap) {
    std::fprintf(stderr, "reel replay: the model schedule needs the packets: %s\n",
                 bundle.pcap_problem.c_str());
    return 2;
  }
  FidelityReport f = RunModelSchedule(bundle, options);
  bool faithful = f.epoll_wait.fraction() >= 0.95;
  bool ok = faithful && (own == nullptr || own->same());
  if (json) {
    nlohmann::ordered_json j;
    j["schedule"] = "model";
    j["verdict"] = ok ? "faithful" : "below-target";
    auto counts = [](const FidelityCounts& c) {
      return nlohmann::ordered_json{
          {"calls", c.calls}, {"matches", c.matches}, {"fraction", c.fraction()}};
    };
    j["epoll_wait"] = counts(f.epoll_wait);
    j["read"] = counts(f.read);
    j["write"] = counts(f.write);
    j["accept"] = counts(f.accept);
    j["epoll_wait_mismatches"] = {{"extra_ready", f.wait_extra_ready},
                                  {"missing_ready", f.wait_missing_ready},
                                  {"order_only", f.wait_order_only},
                                  {"mask_only", f.wait_mask_only}};
    j["first_mismatch"] = f.first_mismatch;
    j["sndbuf_expand_factor"] = f.sndbuf_expand_factor;
    j["sndbuf_calibration"] = f.sndbuf_calibration;
    if (own) {
      nlohmann::ordered_json o;
      o["ran"] = own->ran;
      if (!own->ran) o["problem"] = own->problem;
      o["same_bytes_and_digest"] = own->same();
      o["commands"] = own->commands;
      o["connections"] = own->connections;
      o["connections_differing"] = own->connections_differing;
      o["first_difference"] = own->first_difference;
      o["digest_checked"] = own->digest_checked;
      o["digest_matches"] = own->digest_matches;
      o["calls"] = own->stats.calls;
      o["calls_following_recording"] = own->stats.followed;
      o["left_recording"] = own->stats.left_recording;
      o["left_reason"] = own->stats.left_reason;
      j["own_code"] = o;
    }
    std::printf("%s\n", j.dump().c_str());
  } else if (!quiet) {
    auto line = [](const char* name, const FidelityCounts& c) {
      std::printf("  %-10s %8llu of %8llu match  (%.1f%%)\n", name,
                  static_cast<unsigned long long>(c.matches),
                  static_cast<unsigned long long>(c.calls), 100.0 * c.fraction());
    };
    std::printf("model schedule fidelity (the kernel model re-answering every recorded call):\n");
    line("epoll_wait", f.epoll_wait);
    line("read", f.read);
    line("write", f.write);
    line("accept", f.accept);
    if (!f.first_mismatch.empty()) std::printf("  first mismatch: %s\n", f.first_mismatch.c_str());
    std::printf("  send buffer: %s\n", f.sndbuf_calibration.c_str());
    std::printf("%s: epoll_wait fidelity %.1f%% (target 95%%)\n",
                faithful ? "FAITHFUL" : "BELOW TARGET", 100.0 * f.epoll_wait.fraction());
    if (own && !own->ran)
      std::printf("reel-server on the model: not run (%s)\n", own->problem.c_str());
    if (own && own->ran) {
      std::printf(
          "reel-server's own code on the model: %s: %llu commands on %llu connections, %llu "
          "connections' bytes differ from the capture, final digest %s; %llu of %llu calls "
          "lined up with the recording\n",
          own->same() ? "SAME" : "DIFFERS", static_cast<unsigned long long>(own->commands),
          static_cast<unsigned long long>(own->connections),
          static_cast<unsigned long long>(own->connections_differing),
          !own->digest_checked  ? "not recorded"
          : own->digest_matches ? "matches"
                                : "differs",
          static_cast<unsigned long long>(own->stats.followed),
          static_cast<unsigned long long>(own->stats.calls));
      if (own->stats.left_recording)
        std::printf("  went its own way at seq %llu: %s\n",
                    static_cast<unsigned long long>(own->stats.left_at_seq),
                    own->stats.left_reason.c_str());
      if (!own->first_difference.empty())
        std::printf("  first difference: %s\n", own->first_difference.c_str());
    }
  }
  return ok ? 0 : 1;
}

}  // namespace reel::replay
