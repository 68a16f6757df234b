// ModelKernel: the Kernel that runs reel-server's own code on the kernel
// model — the "model" schedule's second driver. The clients' side is a
// ClientScript (connections, bytes with arrival times, FIN/RST); everything
// the kernel decides — which fds each epoll_wait returns and in which order,
// how many bytes a read returns or a write accepts, which connection accept
// returns — comes from the KernelModel, under a policy a what-if can change
// (maxevents, edge-triggering, the order of a batch, the send buffer).
//
// Time. While the server's calls line up with a recording (same call, same
// fd, same result), each call happens at its recorded time and clocks and
// random bytes are the recorded ones, so an unchanged run reproduces the
// recording. From the first call that does not line up, the virtual clock
// is advanced by the CostModel instead (per call, per command, per byte),
// packets keep arriving at their recorded times, and the run goes its own
// way. stats() says where it left the recording and why.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "core/kernel.h"
#include "replay/client_script.h"
#include "replay/cost_model.h"
#include "replay/kernel_model.h"
#include "replay/timeline.h"

namespace reel::replay {

struct ModelPolicy {
  int maxevents = 0;      // > 0: epoll_wait returns at most this many events
  bool force_et = false;  // every registration is made edge-triggered (EPOLLET)
  enum class Order { kKernel, kReverse, kShuffle };
  Order order = Order::kKernel;  // the order of each returned batch
  uint64_t shuffle_seed = 0;     // kShuffle: a seeded permutation per batch
  uint64_t sndbuf = 0;           // > 0: send buffer capacity in bytes (else the model's default)
  int64_t delivery_delay_ns = 4000;   // capture stamp -> bytes readable (docs/kernel-model.md)
  int64_t ack_delay_ns = 4000;        // a written byte is acknowledged this long after
  int64_t wakeup_latency_ns = 10000;  // a sleeping epoll_wait runs this long after its wakeup
  bool follow_recording = true;       // line up with the recording while the calls do
  int64_t grace_ns = 1'000'000'000;   // after the recording's end, time to finish pending input
  uint64_t max_calls = 0;             // runaway guard (0: 50 per recorded record + 1M)

  bool changed() const {
    return maxevents > 0 || force_et || order != Order::kKernel || sndbuf > 0;
  }
};

struct ModelRunStats {
  uint64_t calls = 0;
  uint64_t followed = 0;  // calls timed and checked against the recording
  bool left_recording = false;
  uint64_t left_at_seq = 0;  // the recorded record where the run went its own way
  std::string left_reason;
  uint64_t epoll_waits = 0;
  uint64_t batches_reordered = 0;  // batches the order policy changed
  bool runaway = false;            // stopped by the max_calls guard
  bool input_left = false;         // stopped with client bytes never read
};

// What the server sent on one connection.
struct ModelOutput {
  uint64_t conn = 0;  // stable id: 1, 2, ... in accept order
  uint32_t flow = 0;  // the script connection's id
  std::string bytes;
  std::vector<std::pair<int64_t, uint64_t>> writes;  // (monotonic ns, bytes) per write
};

class ModelKernel final : public Kernel {
 public:
  // recording may be null (a synthetic script): then the cost model times everything.
  ModelKernel(const ClientScript& script, const ModelPolicy& policy, const CostModel& cost,
              const TraceFile* recording, TimelineWriter* timeline);

  SysResult EpollCreate(int flags) override;
  SysResult EpollCtl(int epfd, int op, int fd, uint32_t events, uint64_t data) override;
  SysResult EpollWait(int epfd, EpollEvent* events, int maxevents, int timeout_ms) override;
  SysResult Socket(int domain, int type, int protocol) override;
  SysResult SetSockOpt(int fd, int level, int name, int value) override;
  SysResult Bind(int fd, const SockAddr& addr) override;
  SysResult Listen(int fd, int backlog) override;
  SysResult Accept4(int fd, SockAddr* peer, int flags) override;
  SysResult GetSockName(int fd, SockAddr* addr) override;
  SysResult Read(int fd, void* buf, size_t len) override;
  SysResult Write(int fd, const void* buf, size_t len) override;
  SysResult Writev(int fd, const IoVec* iov, int iovcnt) override;
  SysResult Close(int fd) override;
  SysResult Shutdown(int fd, int how) override;
  int64_t MonotonicNs() override;
  int64_t RealtimeNs() override;
  void RandomBytes(void* buf, size_t len) override;
  void SleepNs(int64_t ns) override;
  int64_t ProcessId() override;
  bool StopRequested() override;

  // The server ran a command (called by the driver's observer): off the
  // recording, its cost advances the clock.
  void ChargeCommand(std::string_view name, uint64_t bytes);

  int64_t now_ns() const { return now_ - script_.start_mono_ns; }
  uint64_t ConnOf(int fd) const;
  const ModelRunStats& stats() const { return stats_; }
  const std::map<uint32_t, ModelOutput>& outputs() const { return outputs_; }

 private:
  struct Pending {  // a network event waiting for its time
    int64_t t = 0;
    uint64_t order = 0;  // ties: script order, then acks
    enum class Type { kEstablished, kData, kFin, kReset, kAck } type = Type::kData;
    uint32_t conn = 0;
    uint64_t offset = 0;             // kData: end offset; kAck: acknowledged offset
    uint64_t after_reply_bytes = 0;  // the client sends it only once it has this much reply
    bool released = false;           // it waited for its reply and may go now
    bool operator>(const Pending& o) const { return t != o.t ? t > o.t : order > o.order; }
  };

  const TraceRecord* Follow(trace::Kind kind, int fd, const char* call);
  void Leave(const std::string& why);
  void Charge(int64_t ns);
  void ApplyUpTo(int64_t t);
  int64_t NextEventTime() const;
  int TakeFd();
  void Collect(int epfd, int maxevents, std::vector<EpollEvent>* out);
  SysResult DoWrite(int fd, const char* data, size_t len);
  bool Quiescent() const;

  const ClientScript& script_;
  ModelPolicy policy_;
  const CostModel& cost_;
  const TraceFile* rec_;
  TimelineWriter* timeline_;
  model::KernelModel model_;

  bool following_;
  size_t next_ = 0;  // the next recorded record
  int64_t now_;      // CLOCK_MONOTONIC of the recording's timebase
  uint64_t rng_;     // off the recording: getrandom's bytes (splitmix64)
  uint64_t shuffle_rng_;
  bool stop_ = false;

  std::priority_queue<Pending, std::vector<Pending>, std::greater<Pending>> pending_;
  uint64_t pending_order_ = 0;
  void ReleaseWaiting(uint32_t flow);

  std::map<uint32_t, std::string> input_;  // flow -> every byte the client sends
  // Client events waiting for the server's reply bytes (closed loop), in order.
  std::map<uint32_t, std::deque<Pending>> waiting_;
  std::map<uint32_t, const ScriptConnection*> conns_;
  std::set<int> used_fds_;
  int first_fd_ = 3;  // 0-2 are stdio
  std::map<int, SockAddr> bound_;
  std::map<int, SockAddr> listeners_;
  std::vector<std::pair<uint32_t, int64_t>> unlistened_;  // handshakes before any listen
  std::map<int, uint64_t> fd_conn_;                       // fd -> stable conn id
  std::map<int, uint32_t> fd_flow_;                       // fd -> flow
  uint64_t next_conn_ = 1;
  std::map<uint32_t, ModelOutput> outputs_;
  ModelRunStats stats_;
};

}  // namespace reel::replay
