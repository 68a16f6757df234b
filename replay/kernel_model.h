// KernelModel: the deterministic model of the part of Linux an epoll server
// sees — listening sockets and their accept queues, connected sockets with
// receive queues and send buffers, epoll instances — driven by explicit
// events (a handshake completes, bytes arrive, the peer ACKs, FINs or
// RSTs) and by the application's calls. Every wakeup goes through the
// socket's wait queue to ep_poll_callback, as in the kernel (see the seed
// text's walk: tcp_v4_rcv -> sock_def_readable -> ep_poll_callback).
//
// The model has no clock of its own: callers pass times; it never reads the
// wall clock and iterates only ordered containers, so the same inputs give
// the same outputs on every run.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "core/kernel.h"
#include "replay/epoll_model.h"
#include "replay/socket_model.h"

namespace reel::model {

struct ModelOptions {
  // The send buffer of a socket whose send side is not tuned (TuneSendBuffer),
  // in payload bytes: a loopback socket's autotuned sk_sndbuf under CUBIC.
  uint64_t sndbuf = 2626560;
};

class KernelModel {
 public:
  explicit KernelModel(ModelOptions options = {}) : options_(options) {}

  // ---- the application's calls (fd numbers are chosen by the caller, so a
  // replay can adopt the recorded ones; pass -1 to get the lowest free fd) ----
  SysResult EpollCreate(int fd = -1);
  SysResult EpollCtl(int epfd, int op, int fd, uint32_t events, uint64_t data);
  // Scans the ready list now (ep_send_events); the caller decides about
  // blocking by asking EventsAvailable and advancing time.
  SysResult EpollWait(int epfd, int maxevents, std::vector<EpollEvent>* out);
  bool EventsAvailable(int epfd) const;
  SysResult Listen(int fd, const SockAddr& local, int backlog);
  // Pops the oldest established connection; *conn_id says which.
  SysResult Accept(int listen_fd, int new_fd, uint64_t* conn_id);
  // Accepts a given connection (the recorded schedule names it); EAGAIN if
  // it is not in the accept queue. *position gets its place in the queue
  // (0 = the head, which is what accept(2) would have returned).
  SysResult AcceptConnection(int listen_fd, int new_fd, uint64_t conn_id, size_t* position);
  SysResult Read(int fd, uint64_t len);
  SysResult Write(int fd, uint64_t len);
  SysResult Close(int fd);
  SysResult Shutdown(int fd, int how);

  // ---- the network's events ----
  // A handshake completed for a connection to listen_fd (the third ACK).
  void ConnectionEstablished(int listen_fd, uint64_t conn_id, const SockAddr& peer,
                             const SockAddr& local, int64_t t_ns);
  void DataArrived(uint64_t conn_id, uint64_t bytes);
  // Stream-offset form: everything before end_offset has arrived (a no-op if
  // it already had; used when a replay re-synchronises with the recording).
  void DataArrivedUpTo(uint64_t conn_id, uint64_t end_offset);
  // The peer's ACK of everything before acked_offset (tcp_ack), then
  // tcp_check_space. A tuned socket also runs the check on an ACK that
  // acknowledges nothing new (a window update), as tcp_data_snd_check does.
  void PeerAcked(uint64_t conn_id, uint64_t acked_offset);
  // Our side put bytes up to end_offset on the wire (snd_nxt): what is in
  // flight decides whether the send buffer may grow.
  void DataSent(uint64_t conn_id, uint64_t end_offset);

  // ---- the send buffer as the kernel accounts it (docs/kernel-model.md) ----
  // From now on the connection's send buffer counts skb truesize against an
  // autotuned sk_sndbuf (tcp_init_buffer_space at the handshake).
  void TuneSendBuffer(uint64_t conn_id, const SendTuning& tuning);
  // setsockopt(SO_SNDBUF): sk_sndbuf = 2 * value, and no autotuning after.
  SysResult SetSndbuf(int fd, int value);
  // A replay puts the send queue back in step with the recording: the kernel
  // accepted [0, end_offset), and SOCK_NOSPACE is `nospace` (set by a write
  // that stopped at the limit or failed with EAGAIN).
  void SyncWritten(int fd, uint64_t end_offset, bool nospace);
  void PeerFin(uint64_t conn_id);
  void PeerReset(uint64_t conn_id);

  // Tests and the timeline look inside.
  ModelSocket* SocketByFd(int fd);
  ModelSocket* SocketByConn(uint64_t conn_id);
  EpollInstance* Epoll(int epfd);
  int LowestFreeFd() const;

 private:
  // Walks the socket's wait queue calling ep_poll_callback, honouring
  // EPOLLEXCLUSIVE (__wake_up_common with nr_exclusive = 1, or all when
  // wake_all, as wake_up_interruptible_all does).
  void Wake(ModelSocket* s, uint32_t key, bool wake_all);
  // tcp_check_space -> tcp_new_space -> sk_stream_write_space.
  void CheckSpace(ModelSocket* s);
  int TakeFd(int wanted);

  ModelOptions options_;
  // fd -> what it names. Sockets are owned by conns_/listeners_.
  std::map<int, ModelSocket*> socket_fds_;
  std::map<int, std::unique_ptr<EpollInstance>> epolls_;
  std::map<int, std::unique_ptr<ModelSocket>> listeners_;
  std::map<uint64_t, std::unique_ptr<ModelSocket>> conns_;
};

}  // namespace reel::model
