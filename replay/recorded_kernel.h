// RecordedKernel: the Kernel that runs reel-server's own code on a recorded
// bundle (the "recorded" schedule). Every call the server makes must match
// the next record of the event log — same call, same arguments — and gets
// the recorded result: epoll_wait's array, accept's connection, read and
// write sizes, clock readings, random bytes. Read payloads come from the
// pcap's client->server stream at the fd's offset; written bytes are compared
// with the server->client stream.
//
// Alongside, a KernelModel is fed the packets in time order, and every
// recorded result is checked against it: a fd an epoll_wait reported ready
// must be ready in the model, a read of n bytes needs n bytes arrived, an
// accepted connection must have completed its handshake. The first failure
// of each kind is reported with its context.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/kernel.h"
#include "replay/bundle.h"
#include "replay/kernel_model.h"
#include "replay/timeline.h"

namespace reel::replay {

struct RecordedReport {
  uint64_t records_total = 0;
  uint64_t records_used = 0;  // records the server's calls matched
  bool diverged = false;      // the server made a call the recording does not have next
  std::string divergence;     // the first one, with context
  uint64_t divergence_seq = 0;
  bool log_ended = false;  // the server went on after the last record (a cut recording)
  // packets.pcap ends before the event log (reel capture was killed while its
  // server recorded on): the server read bytes the capture never got to.
  bool capture_ended = false;
  std::string cut_at;  // where the replay stopped at the cut, with context

  uint64_t bytes_read = 0;       // payload fed to the server from the pcap
  uint64_t bytes_written = 0;    // payload the server wrote
  uint64_t bytes_compared = 0;   // of those, compared with the pcap
  uint64_t byte_mismatches = 0;  // writes whose bytes differ from the pcap
  std::string first_byte_mismatch;
  uint64_t bytes_unverifiable = 0;  // written bytes the pcap does not hold (gaps, no pcap)

  uint64_t model_checks = 0;
  uint64_t model_inconsistencies = 0;
  std::string first_inconsistency;
};

class RecordedKernel final : public Kernel {
 public:
  // tolerance_ns: how much later than a call a packet may be stamped and
  // still count as arrived (pcap and event clocks are joined through one
  // (monotonic, realtime) pair; loopback stamps packets before delivery).
  RecordedKernel(const Bundle& bundle, TimelineWriter* timeline, int64_t tolerance_ns = 1000000);

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

  const RecordedReport& report() const { return report_; }
  // Virtual time of the last consumed record, ns since the recording started.
  int64_t now_ns() const { return now_ns_; }
  // Stable connection id of an fd (1, 2, ... in accept order), 0 if none.
  uint64_t ConnOf(int fd) const;
  bool finished() const { return stopped_; }

 private:
  struct FdState {
    uint64_t conn = 0;
    const TcpFlow* flow = nullptr;
    uint64_t in = 0;   // bytes read so far
    uint64_t out = 0;  // bytes written so far
  };

  // The next record if it is of `kind`; otherwise records a divergence (or
  // the end of the log) and returns nullptr, after which the kernel answers
  // every call benignly and asks the server to stop.
  const TraceRecord* Take(trace::Kind kind, const char* call_desc);
  void Diverge(const std::string& why, const TraceRecord* at);
  // The server went on past the last record: the recording was cut there.
  void LogEnded();
  void Inconsistent(const std::string& why, const TraceRecord& at);
  void AdvanceNetwork(int64_t t_mono);
  std::string Context(const TraceRecord& r) const;
  SysResult DoWrite(int fd, const char* data, size_t len, const TraceRecord& rec);

  const Bundle& b_;
  TimelineWriter* timeline_;
  int64_t tolerance_ns_;
  size_t next_ = 0;
  size_t net_next_ = 0;
  int64_t now_ns_ = 0;
  bool stopped_ = false;  // diverged or past the end: answer benignly, ask to stop
  model::KernelModel model_;
  std::map<int, FdState> fds_;
  std::map<int, SockAddr> bound_;  // fd -> bound address
  std::map<uint32_t, int> listener_of_flow_;
  uint64_t next_conn_ = 1;
  RecordedReport report_;
};

}  // namespace reel::replay
