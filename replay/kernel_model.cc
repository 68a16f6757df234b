#include "replay/kernel_model.h"

#include <algorithm>
#include <cerrno>

namespace reel::model {

namespace {
// Wakeup keys, as the socket callbacks pass them.
constexpr uint32_t kKeyReadable = kEpollIn | kEpollPri | kPollRdNorm | 0x080;  // sock_def_readable
constexpr uint32_t kKeyWritable = kEpollOut | kPollWrNorm | 0x200;  // sk_stream_write_space
}  // namespace

int KernelModel::LowestFreeFd() const {
  // 0, 1, 2 belong to stdio in every process the model stands in for.
  int fd = 3;
  while (socket_fds_.count(fd) || epolls_.count(fd)) fd++;
  return fd;
}

int KernelModel::TakeFd(int wanted) {
  return wanted >= 0 ? wanted : LowestFreeFd();
}

ModelSocket* KernelModel::SocketByFd(int fd) {
  auto it = socket_fds_.find(fd);
  return it == socket_fds_.end() ? nullptr : it->second;
}

ModelSocket* KernelModel::SocketByConn(uint64_t conn_id) {
  auto it = conns_.find(conn_id);
  return it == conns_.end() ? nullptr : it->second.get();
}

EpollInstance* KernelModel::Epoll(int epfd) {
  auto it = epolls_.find(epfd);
  return it == epolls_.end() ? nullptr : it->second.get();
}

SysResult KernelModel::EpollCreate(int fd) {
  int efd = TakeFd(fd);
  if (socket_fds_.count(efd) || epolls_.count(efd)) return SysResult::Error(EBADF);
  epolls_.emplace(efd, std::make_unique<EpollInstance>(efd));
  return SysResult::Ok(efd);
}

SysResult KernelModel::EpollCtl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
  EpollInstance* ep = Epoll(epfd);
  if (ep == nullptr) return SysResult::Error(EBADF);
  if (fd == epfd) return SysResult::Error(EINVAL);
  ModelSocket* s = SocketByFd(fd);
  if (s == nullptr) return SysResult::Error(EBADF);
  int err = ep->Ctl(op, s, events, data);
  return err ? SysResult::Error(err) : SysResult::Ok(0);
}

bool KernelModel::EventsAvailable(int epfd) const {
  auto it = epolls_.find(epfd);
  return it != epolls_.end() && it->second->EventsAvailable();
}

SysResult KernelModel::EpollWait(int epfd, int maxevents, std::vector<EpollEvent>* out) {
  EpollInstance* ep = Epoll(epfd);
  if (ep == nullptr) return SysResult::Error(EBADF);
  if (maxevents <= 0) return SysResult::Error(EINVAL);
  *out = ep->SendEvents(maxevents);
  return SysResult::Ok(static_cast<int64_t>(out->size()));
}

SysResult KernelModel::Listen(int fd, const SockAddr& local, int backlog) {
  int lfd = TakeFd(fd);
  auto s = std::make_unique<ModelSocket>();
  s->kind = ModelSocket::Kind::kListener;
  s->fd = lfd;
  s->local = local;
  s->backlog = backlog;
  socket_fds_[lfd] = s.get();
  listeners_[lfd] = std::move(s);
  return SysResult::Ok(lfd);
}

void KernelModel::ConnectionEstablished(int listen_fd, uint64_t conn_id, const SockAddr& peer,
                                        const SockAddr& local, int64_t t_ns) {
  ModelSocket* l = SocketByFd(listen_fd);
  if (l == nullptr || l->kind != ModelSocket::Kind::kListener) return;
  // The child socket exists from the handshake on (tcp_check_req ->
  // inet_csk_reqsk_queue_add); bytes may arrive before accept().
  auto s = std::make_unique<ModelSocket>();
  s->kind = ModelSocket::Kind::kStream;
  s->conn_id = conn_id;
  s->peer = peer;
  s->local = local;
  s->sndbuf = options_.sndbuf;
  conns_[conn_id] = std::move(s);
  l->accept_queue.push_back({conn_id, peer, local, t_ns});
  // The listener's sk_data_ready (sock_def_readable).
  Wake(l, kKeyReadable, false);
}

SysResult KernelModel::Accept(int listen_fd, int new_fd, uint64_t* conn_id) {
  ModelSocket* l = SocketByFd(listen_fd);
  if (l == nullptr) return SysResult::Error(EBADF);
  if (l->kind != ModelSocket::Kind::kListener) return SysResult::Error(EINVAL);
  if (l->accept_queue.empty()) return SysResult::Error(EAGAIN);
  PendingConnection pc = l->accept_queue.front();
  l->accept_queue.pop_front();
  ModelSocket* s = SocketByConn(pc.conn_id);
  int fd = TakeFd(new_fd);
  s->fd = fd;
  socket_fds_[fd] = s;
  if (conn_id) *conn_id = pc.conn_id;
  return SysResult::Ok(fd);
}

SysResult KernelModel::AcceptConnection(int listen_fd, int new_fd, uint64_t conn_id,
                                        size_t* position) {
  ModelSocket* l = SocketByFd(listen_fd);
  if (l == nullptr) return SysResult::Error(EBADF);
  if (l->kind != ModelSocket::Kind::kListener) return SysResult::Error(EINVAL);
  auto it = std::find_if(l->accept_queue.begin(), l->accept_queue.end(),
                         [&](const PendingConnection& p) { return p.conn_id == conn_id; });
  if (it == l->accept_queue.end()) return SysResult::Error(EAGAIN);
  if (position) *position = static_cast<size_t>(it - l->accept_queue.begin());
  l->accept_queue.erase(it);
  ModelSocket* s = SocketByConn(conn_id);
  int fd = TakeFd(new_fd);
  s->fd = fd;
  socket_fds_[fd] = s;
  return SysResult::Ok(fd);
}

SysResult KernelModel::Read(int fd, uint64_t len) {
  ModelSocket* s = SocketByFd(fd);
  if (s == nullptr) return SysResult::Error(EBADF);
  if (s->kind != ModelSocket::Kind::kStream) return SysResult::Error(ENOTCONN);
  // tcp_recvmsg: queued data first, then a pending error, then EOF.
  uint64_t n = std::min(len, s->readable_bytes());
  if (n > 0) {
    s->rcv_consumed += n;
    return SysResult::Ok(static_cast<int64_t>(n));
  }
  if (len == 0) return SysResult::Ok(0);
  if (s->pending_error) {
    int e = s->pending_error;
    s->pending_error = 0;
    return SysResult::Error(e);
  }
  if (s->rcv_shutdown) return SysResult::Ok(0);
  return SysResult::Error(EAGAIN);
}

SysResult KernelModel::Write(int fd, uint64_t len) {
  ModelSocket* s = SocketByFd(fd);
  if (s == nullptr) return SysResult::Error(EBADF);
  if (s->kind != ModelSocket::Kind::kStream) return SysResult::Error(ENOTCONN);
  // tcp_sendmsg -> sk_stream_error: a pending error wins, then EPIPE.
  if (s->pending_error) {
    int e = s->pending_error;
    s->pending_error = 0;
    return SysResult::Error(e);
  }
  if (s->snd_shutdown) return SysResult::Error(EPIPE);
  uint64_t n = s->QueueBytes(len);
  // wait_for_space / sk_stream_wait_memory: SOCK_NOSPACE asks for a
  // write_space wakeup; with nothing copied a non-blocking write gets EAGAIN.
  if (n < len) s->nospace = true;
  if (n == 0 && len > 0) return SysResult::Error(EAGAIN);
  return SysResult::Ok(static_cast<int64_t>(n));
}

SysResult KernelModel::Close(int fd) {
  if (auto ep = epolls_.find(fd); ep != epolls_.end()) {
    epolls_.erase(ep);
    return SysResult::Ok(0);
  }
  ModelSocket* s = SocketByFd(fd);
  if (s == nullptr) return SysResult::Error(EBADF);
  // eventpoll_release: the last close removes the fd from every epoll set.
  for (auto& [efd, ep] : epolls_) ep->Forget(s);
  socket_fds_.erase(fd);
  if (s->kind == ModelSocket::Kind::kListener) {
    listeners_.erase(fd);
  } else {
    s->fd = -1;
    s->wait_queue.clear();
    // The connection object stays (conns_) so late packets have a target.
  }
  return SysResult::Ok(0);
}

SysResult KernelModel::Shutdown(int fd, int how) {
  ModelSocket* s = SocketByFd(fd);
  if (s == nullptr) return SysResult::Error(EBADF);
  if (how == kShutWr || how == kShutRdWr) s->snd_shutdown = true;
  if (how == kShutRd || how == kShutRdWr) s->rcv_shutdown = true;
  Wake(s, 0, true);
  return SysResult::Ok(0);
}

void KernelModel::DataArrived(uint64_t conn_id, uint64_t bytes) {
  ModelSocket* s = SocketByConn(conn_id);
  if (s == nullptr || bytes == 0) return;
  s->rcv_arrived += bytes;
  Wake(s, kKeyReadable, false);  // tcp_data_ready -> sock_def_readable
}

void KernelModel::DataArrivedUpTo(uint64_t conn_id, uint64_t end_offset) {
  ModelSocket* s = SocketByConn(conn_id);
  if (s == nullptr || end_offset <= s->rcv_arrived) return;
  DataArrived(conn_id, end_offset - s->rcv_arrived);
}

void KernelModel::PeerAcked(uint64_t conn_id, uint64_t acked_offset) {
  ModelSocket* s = SocketByConn(conn_id);
  if (s == nullptr) return;
  if (acked_offset <= s->snd_acked && !s->tuned) return;
  s->Acked(acked_offset);
  CheckSpace(s);
}

void KernelModel::CheckSpace(ModelSocket* s) {
  // tcp_check_space: only a writer that hit the limit (SOCK_NOSPACE) is
  // considered. tcp_new_space may grow sk_sndbuf first; then
  // sk_stream_write_space wakes EPOLLOUT once the socket is writeable.
  if (!s->nospace) return;
  s->MaybeExpandSndbuf();
  if (s->writeable()) {
    s->nospace = false;
    Wake(s, kKeyWritable, false);
  }
}

void KernelModel::DataSent(uint64_t conn_id, uint64_t end_offset) {
  ModelSocket* s = SocketByConn(conn_id);
  if (s == nullptr) return;
  s->snd_sent = std::max(s->snd_sent, std::min(end_offset, s->snd_written));
}

void KernelModel::TuneSendBuffer(uint64_t conn_id, const SendTuning& tuning) {
  ModelSocket* s = SocketByConn(conn_id);
  if (s != nullptr) s->Tune(tuning);
}

SysResult KernelModel::SetSndbuf(int fd, int value) {
  ModelSocket* s = SocketByFd(fd);
  if (s == nullptr) return SysResult::Error(EBADF);
  // sock_setsockopt(SO_SNDBUF): the value is doubled for overhead, and
  // SOCK_SNDBUF_LOCK stops tcp_sndbuf_expand from changing it.
  s->sndbuf = 2 * static_cast<uint64_t>(std::max(value, 0));
  s->tuning.sndbuf_locked = true;
  return SysResult::Ok(0);
}

void KernelModel::SyncWritten(int fd, uint64_t end_offset, bool nospace) {
  ModelSocket* s = SocketByFd(fd);
  if (s == nullptr || s->kind != ModelSocket::Kind::kStream) return;
  s->AdoptWritten(end_offset);
  s->nospace = nospace;
}

void KernelModel::PeerFin(uint64_t conn_id) {
  ModelSocket* s = SocketByConn(conn_id);
  if (s == nullptr || s->rcv_shutdown) return;
  s->rcv_shutdown = true;  // tcp_fin: RCV_SHUTDOWN, then sk_state_change
  Wake(s, 0, true);        // sock_def_wakeup -> wake_up_interruptible_all
}

void KernelModel::PeerReset(uint64_t conn_id) {
  ModelSocket* s = SocketByConn(conn_id);
  if (s == nullptr || s->closed_state) return;
  // tcp_reset: sk_err = ECONNRESET, sk_error_report, then tcp_done.
  s->pending_error = ECONNRESET;
  Wake(s, kEpollErr, false);
  s->rcv_shutdown = s->snd_shutdown = true;
  s->closed_state = true;
  Wake(s, 0, true);
}

void KernelModel::Wake(ModelSocket* s, uint32_t key, bool wake_all) {
  // Copy: a callback never edits wait queues, but keep iteration safe.
  std::vector<EpItem*> queue = s->wait_queue;
  for (EpItem* epi : queue) {
    bool exclusive = epi->events & kEpollExclusive;
    bool ewake = epi->ep->Callback(epi, key);
    if (!wake_all && exclusive && ewake) break;  // nr_exclusive reached
  }
}

}  // namespace reel::model
