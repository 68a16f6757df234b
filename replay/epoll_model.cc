#include "replay/epoll_model.h"

#include <algorithm>
#include <cerrno>

namespace reel::model {

void EpollInstance::AddTail(EpItem* epi) {
  epi->rdllink = rdllist_.insert(rdllist_.end(), epi);
  epi->linked = true;
}

void EpollInstance::Unlink(EpItem* epi) {
  if (!epi->linked) return;
  rdllist_.erase(epi->rdllink);
  epi->linked = false;
}

int EpollInstance::Ctl(int op, ModelSocket* sock, uint32_t events, uint64_t data) {
  auto it = rbr_.find(sock->fd);
  // do_epoll_ctl: EPOLLEXCLUSIVE is only allowed with ADD and with a limited
  // set of companions (no ONESHOT).
  if (op != kEpollCtlDel && (events & kEpollExclusive)) {
    if (op == kEpollCtlMod) return EINVAL;
    if (events & kEpollOneShot) return EINVAL;
  }
  switch (op) {
    case kEpollCtlAdd: {
      if (it != rbr_.end()) return EEXIST;
      // ep_insert. The kernel always reports EPOLLERR and EPOLLHUP.
      auto epi = std::make_unique<EpItem>();
      epi->ep = this;
      epi->sock = sock;
      epi->fd = sock->fd;
      epi->events = events | kEpollErr | kEpollHup;
      epi->data = data;
      EpItem* raw = epi.get();
      rbr_.emplace(sock->fd, std::move(epi));
      // ep_ptable_queue_proc: exclusive waiters at the tail, others at the head.
      if (events & kEpollExclusive) {
        sock->wait_queue.push_back(raw);
      } else {
        sock->wait_queue.insert(sock->wait_queue.begin(), raw);
      }
      // Already ready: queue it now (ep_insert's initial poll).
      if (ItemPoll(raw) && !raw->linked) AddTail(raw);
      return 0;
    }
    case kEpollCtlMod: {
      if (it == rbr_.end()) return ENOENT;
      EpItem* epi = it->second.get();
      // ep_modify: an EXCLUSIVE item cannot be modified.
      if (epi->events & kEpollExclusive) return EINVAL;
      epi->events = events | kEpollErr | kEpollHup;
      epi->data = data;
      // Re-arms ONESHOT; queue it if the new mask is ready now.
      if (ItemPoll(epi) && !epi->linked) AddTail(epi);
      return 0;
    }
    case kEpollCtlDel: {
      if (it == rbr_.end()) return ENOENT;
      EpItem* epi = it->second.get();
      Unlink(epi);
      auto& wq = sock->wait_queue;
      wq.erase(std::remove(wq.begin(), wq.end(), epi), wq.end());
      ovflist_.erase(std::remove(ovflist_.begin(), ovflist_.end(), epi), ovflist_.end());
      rbr_.erase(it);
      return 0;
    }
    default: return EINVAL;
  }
}

void EpollInstance::Forget(ModelSocket* sock) {
  if (rbr_.count(sock->fd) && rbr_.at(sock->fd)->sock == sock) Ctl(kEpollCtlDel, sock, 0, 0);
}

bool EpollInstance::Callback(EpItem* epi, uint32_t key) {
  bool ewake = false;
  bool exclusive = epi->events & kEpollExclusive;
  // A disarmed ONESHOT item (no poll events left) ignores wakeups.
  if ((epi->events & ~kEpPrivateBits) == 0) return !exclusive;
  // A wakeup for events the item does not watch is ignored.
  if (key != 0 && (key & epi->events) == 0) return !exclusive;
  if (scanning_) {
    // ep_send_events is transferring: park on ovflist.
    if (!epi->chained) {
      epi->chained = true;
      ovflist_.push_back(epi);
    }
  } else if (!epi->linked) {
    AddTail(epi);
  }
  if (waiters > 0 && exclusive) {
    switch (key & (kEpollIn | kEpollOut)) {
      case kEpollIn: ewake = (epi->events & kEpollIn) != 0; break;
      case kEpollOut: ewake = (epi->events & kEpollOut) != 0; break;
      case 0: ewake = true; break;
      default: break;
    }
  }
  if (!exclusive) ewake = true;
  return ewake;
}

std::vector<EpollEvent> EpollInstance::SendEvents(
    int maxevents, const std::function<void(int index)>& during_transfer) {
  std::vector<EpollEvent> out;
  // ep_start_scan: take the whole ready list; new wakeups go to ovflist.
  std::list<EpItem*> txlist;
  txlist.splice(txlist.end(), rdllist_);
  for (EpItem* epi : txlist) epi->rdllink = std::list<EpItem*>::iterator();
  scanning_ = true;
  int index = 0;
  auto it = txlist.begin();
  while (it != txlist.end()) {
    if (static_cast<int>(out.size()) >= maxevents) break;
    EpItem* epi = *it;
    it = txlist.erase(it);
    epi->linked = false;
    uint32_t revents = ItemPoll(epi);
    if (revents != 0) {
      out.push_back({revents, epi->data});
      if (epi->events & kEpollOneShot) {
        epi->events &= kEpPrivateBits;  // disarm until EPOLL_CTL_MOD
      } else if (!(epi->events & kEpollEt)) {
        AddTail(epi);  // level-triggered: back at the tail for the next wait
      }
    }
    if (during_transfer) during_transfer(index);
    index++;
  }
  // ep_done_scan: ovflist items (oldest first) go to the front of rdllist,
  // then the untransferred rest of txlist goes in front of them.
  scanning_ = false;
  for (auto o = ovflist_.rbegin(); o != ovflist_.rend(); ++o) {
    EpItem* epi = *o;
    epi->chained = false;
    if (!epi->linked) {
      epi->rdllink = rdllist_.insert(rdllist_.begin(), epi);
      epi->linked = true;
    }
  }
  ovflist_.clear();
  for (auto r = txlist.rbegin(); r != txlist.rend(); ++r) {
    EpItem* epi = *r;
    epi->rdllink = rdllist_.insert(rdllist_.begin(), epi);
    epi->linked = true;
  }
  return out;
}

void EpollInstance::RequeueReturned(const std::vector<uint64_t>& returned_data) {
  for (uint64_t data : returned_data) {
    for (auto& [fd, item] : rbr_) {
      EpItem* epi = item.get();
      if (epi->data != data) continue;
      if (epi->events & (kEpollEt | kEpollOneShot)) break;  // the kernel did not re-queue it
      Unlink(epi);
      AddTail(epi);
      break;
    }
  }
}

std::vector<int> EpollInstance::ReadyFds() const {
  std::vector<int> fds;
  for (const EpItem* epi : rdllist_) fds.push_back(epi->fd);
  return fds;
}

}  // namespace reel::model
