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
  uint64_t sndbuf = 2626560;  // a loopback socket's autotuned send buffer, in payload bytes
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
  void PeerAcked(uint64_t conn_id, uint64_t acked_offset);
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
  int TakeFd(int wanted);

  ModelOptions options_;
  // fd -> what it names. Sockets are owned by conns_/listeners_.
  std::map<int, ModelSocket*> socket_fds_;
  std::map<int, std::unique_ptr<EpollInstance>> epolls_;
  std::map<int, std::unique_ptr<ModelSocket>> listeners_;
  std::map<uint64_t, std::unique_ptr<ModelSocket>> conns_;
};

}  // namespace reel::model
