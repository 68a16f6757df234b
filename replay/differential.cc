#include "replay/differential.h"

#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <set>

#include "replay/redaction_verdict.h"
#include "replay/resp_stream.h"
#include "server/server.h"

namespace reel::replay {

namespace {

constexpr int kListenFd = 1000;
constexpr int kEpollFd = 1001;

// One step of the recorded server's input, in the order it read it.
struct FeedStep {
  enum class Type { kConnect, kData, kEof } type;
  int fd;
  SockAddr peer;
  std::string bytes;
  int64_t t_ns;
};

// A Kernel that hands reel-server the recorded input one step at a time:
// each epoll_wait reports the fd of the next step (or of unread bytes left
// from a chunk bigger than one read), reads return the recorded chunks,
// writes are collected per fd.
class FeedKernel final : public Kernel {
 public:
  explicit FeedKernel(std::deque<FeedStep> steps) : steps_(std::move(steps)) {}

  SysResult EpollCreate(int) override { return SysResult::Ok(kEpollFd); }
  SysResult EpollCtl(int, int, int, uint32_t, uint64_t) override { return SysResult::Ok(0); }
  SysResult EpollWait(int, EpollEvent* events, int maxevents, int) override {
    if (maxevents < 1) return SysResult::Error(EINVAL);
    for (auto& [fd, pending] : unread_) {
      if (!pending.empty() || eof_.count(fd)) {
        events[0] = {kEpollIn, static_cast<uint64_t>(fd)};
        return SysResult::Ok(1);
      }
    }
    if (steps_.empty()) {
      done_ = true;
      return SysResult::Ok(0);
    }
    FeedStep s = std::move(steps_.front());
    steps_.pop_front();
    now_ns_ = std::max(now_ns_, s.t_ns);
    switch (s.type) {
      case FeedStep::Type::kConnect:
        accept_queue_.push_back({s.fd, s.peer});
        events[0] = {kEpollIn, static_cast<uint64_t>(kListenFd)};
        break;
      case FeedStep::Type::kData:
        unread_[s.fd] += s.bytes;
        events[0] = {kEpollIn, static_cast<uint64_t>(s.fd)};
        break;
      case FeedStep::Type::kEof:
        eof_.insert(s.fd);
        events[0] = {kEpollIn, static_cast<uint64_t>(s.fd)};
        break;
    }
    return SysResult::Ok(1);
  }
  SysResult Socket(int, int, int) override { return SysResult::Ok(kListenFd); }
  SysResult SetSockOpt(int, int, int, int) override { return SysResult::Ok(0); }
  SysResult Bind(int, const SockAddr&) override { return SysResult::Ok(0); }
  SysResult Listen(int, int) override { return SysResult::Ok(0); }
  SysResult Accept4(int, SockAddr* peer, int) override {
    if (accept_queue_.empty()) return SysResult::Error(EAGAIN);
    auto [fd, addr] = accept_queue_.front();
    accept_queue_.pop_front();
    if (peer) *peer = addr;
    return SysResult::Ok(fd);
  }
  SysResult GetSockName(int, SockAddr* a) override {
    *a = *SockAddr::FromHostPort("127.0.0.1", 6379);
    return SysResult::Ok(0);
  }
  SysResult Read(int fd, void* buf, size_t len) override {
    std::string& pending = unread_[fd];
    if (pending.empty()) {
      if (eof_.count(fd)) {
        eof_.erase(fd);
        return SysResult::Ok(0);
      }
      return SysResult::Error(EAGAIN);
    }
    size_t n = std::min(len, pending.size());
    std::memcpy(buf, pending.data(), n);
    pending.erase(0, n);
    return SysResult::Ok(static_cast<int64_t>(n));
  }
  SysResult Write(int fd, const void* buf, size_t len) override {
    written_[fd].append(static_cast<const char*>(buf), len);
    return SysResult::Ok(static_cast<int64_t>(len));
  }
  SysResult Writev(int fd, const IoVec* iov, int n) override {
    size_t total = 0;
    for (int i = 0; i < n; i++) {
      Write(fd, iov[i].base, iov[i].len);
      total += iov[i].len;
    }
    return SysResult::Ok(static_cast<int64_t>(total));
  }
  SysResult Close(int fd) override {
    unread_.erase(fd);
    eof_.erase(fd);
    return SysResult::Ok(0);
  }
  SysResult Shutdown(int, int) override { return SysResult::Ok(0); }
  int64_t MonotonicNs() override { return now_ns_; }
  int64_t RealtimeNs() override { return 1'700'000'000'000'000'000 + now_ns_; }
  void RandomBytes(void* buf, size_t len) override { std::memset(buf, 0x5a, len); }
  void SleepNs(int64_t ns) override { now_ns_ += ns; }
  int64_t ProcessId() override { return 1; }
  bool StopRequested() override { return done_; }

  // Output per fd, kept across reuse of an fd number by appending a marker
  // is not needed: the driver snapshots it at each close.
  std::map<int, std::string>& written() { return written_; }

 private:
  std::deque<FeedStep> steps_;
  std::deque<std::pair<int, SockAddr>> accept_queue_;
  std::map<int, std::string> unread_;
  std::set<int> eof_;
  std::map<int, std::string> written_;
  int64_t now_ns_ = 1'000'000'000;
  bool done_ = false;
};

std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 120)) {
    if (c == '\r')
      out += "\\r";
    else if (c == '\n')
      out += "\\n";
    else if (c < 0x20 || c >= 0x7f)
      out += "?";
    else
      out.push_back(static_cast<char>(c));
  }
  return s.size() > 120 ? out + "..." : out;
}

bool NonDeterministic(const std::vector<std::string>& cmd) {
  static const std::set<std::string> kNames = {
      "info",    "time",  "randomkey", "spop",    "srandmember", "hrandfield", "client",   "hello",
      "command", "debug", "config",    "slowlog", "memory",      "object",     "lastsave", "role"};
  if (cmd.empty()) return false;
  std::string n = cmd[0];
  for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return kNames.count(n) > 0;
}

}  // namespace

DifferentialReport RunDifferential(const Bundle& b) {
  DifferentialReport rep;
  if (!b.has_pcap) {
    rep.problem = "the differential replay needs the packets: " + b.pcap_problem;
    return rep;
  }
  // The recorded server's input, step by step.
  std::deque<FeedStep> steps;
  std::map<int, const TcpFlow*> fd_flow;
  std::map<int, uint64_t> fd_offset;
  struct Conn {
    const TcpFlow* flow;
    int fd;
  };
  std::vector<Conn> conns;
  for (const TraceRecord& r : b.log.records) {
    if (const auto* a = std::get_if<trace::Accept4Rec>(&r.call); a && r.result.ok()) {
      int fd = static_cast<int>(r.result.value);
      const TcpFlow* f = b.FlowFor(a->peer, a->local, r.ts_ns);
      if (!f) continue;
      fd_flow[fd] = f;
      fd_offset[fd] = 0;
      conns.push_back({f, fd});
      steps.push_back({FeedStep::Type::kConnect, fd, a->peer, "", r.ts_ns - b.start_mono_ns});
    } else if (r.kind_enum() == trace::Kind::kRead) {
      const auto& io = std::get<trace::IoRec>(r.call);
      auto it = fd_flow.find(io.fd);
      if (it == fd_flow.end() || !r.result.ok()) continue;
      if (r.result.value == 0) {
        steps.push_back({FeedStep::Type::kEof, io.fd, {}, "", r.ts_ns - b.start_mono_ns});
        continue;
      }
      auto bytes =
          it->second->to_server.Bytes(io.stream_offset, static_cast<uint64_t>(r.result.value));
      if (!bytes) {
        rep.problem = "bytes read on fd " + std::to_string(io.fd) + " are missing from the capture";
        return rep;
      }
      steps.push_back(
          {FeedStep::Type::kData, io.fd, {}, std::move(*bytes), r.ts_ns - b.start_mono_ns});
    } else if (r.kind_enum() == trace::Kind::kClose) {
      fd_flow.erase(std::get<trace::CloseRec>(r.call).fd);
    }
  }

  FeedKernel kernel(std::move(steps));
  ServerConfig config;
  config.port = 6379;
  // The recorded server's password (redacted bundles carry its placeholder,
  // the same one their AUTH commands carry).
  for (size_t i = 0; i + 1 < b.command_line.size(); i++)
    if (b.command_line[i] == "--requirepass") config.requirepass = b.command_line[i + 1];
  // Capture each connection's output when its fd closes (fds are reused).
  std::vector<std::pair<const TcpFlow*, std::string>> outputs;
  {
    Server server(kernel, config);
    std::string error;
    if (server.Start(&error) != 0) {
      rep.problem = "reel-server did not start: " + error;
      return rep;
    }
    server.Run();
  }
  // FeedKernel appends per fd; with fd reuse the outputs of successive
  // connections on one fd are concatenated in connection order, which the
  // comparison below walks the same way.
  std::map<int, std::string> produced = kernel.written();
  std::map<int, size_t> produced_pos;
  rep.ran = true;
  std::optional<RedactionExplainer> redaction;
  if (BundleIsRedacted(b)) redaction.emplace(b.meta["redaction"]);
  for (const Conn& c : conns) {
    rep.connections++;
    std::string expected = c.flow->to_client.CapturedBytes();
    auto want = SplitReplies(expected);
    auto cmds = SplitCommands(c.flow->to_server.CapturedBytes());
    std::string& all = produced[c.fd];
    size_t& pos = produced_pos[c.fd];
    std::vector<std::string> got;
    for (size_t i = 0; i < want.size() && pos < all.size(); i++) {
      size_t l = ReplyLength(all, pos);
      if (l == 0) break;
      got.emplace_back(all.substr(pos, l));
      pos += l;
    }
    rep.commands += cmds.size();
    for (size_t i = 0; i < want.size(); i++) {
      rep.replies_compared++;
      std::string g = i < got.size() ? got[i] : std::string("(no reply)");
      std::vector<std::string> cmd = i < cmds.size() ? cmds[i] : std::vector<std::string>{};
      if (redaction) {
        std::string name;
        std::string why = redaction->Observe(cmd, g != want[i], c.flow->client.ToString(), &name);
        if (!why.empty()) {
          rep.not_comparable_under_redaction++;
          if (rep.first_not_comparable.empty())
            rep.first_not_comparable = name + " on connection " + c.flow->client.ToString() +
                                       ", reply " + std::to_string(i + 1) + ": " + why;
          continue;
        }
      }
      if (g == want[i]) continue;
      if (NonDeterministic(cmd)) {
        rep.nondeterministic_differing++;
        continue;
      }
      rep.replies_differing++;
      if (rep.first_difference.empty()) {
        std::string cmdline;
        for (const auto& a : cmd) cmdline += (cmdline.empty() ? "" : " ") + Printable(a);
        rep.first_difference = "connection " + c.flow->client.ToString() + ", reply " +
                               std::to_string(i + 1) + " to `" + cmdline + "`: recorded server " +
                               "sent \"" + Printable(want[i]) + "\", reel-server \"" +
                               Printable(g) + "\"";
      }
    }
  }
  return rep;
}

}  // namespace reel::replay
