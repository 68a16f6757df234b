// The model of one epoll instance, following fs/eventpoll.c:
//  - the interest set `rbr` (an ordered map keyed by fd, as the kernel's
//    red-black tree is keyed by (file, fd));
//  - the ready list `rdllist`, in wakeup order;
//  - `ovflist`, which collects wakeups that happen while ep_send_events is
//    transferring events, merged back in ep_done_scan;
//  - ep_poll_callback (Callback), ep_insert/ep_modify/ep_remove (Ctl) and
//    ep_send_events (SendEvents) with LT, ET, ONESHOT and EXCLUSIVE rules.
// docs/kernel-model.md states each rule with the kernel function it mirrors.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <vector>

#include "core/kernel.h"
#include "replay/socket_model.h"

namespace reel::model {

class EpollInstance;

// EP_PRIVATE_BITS: flags that are not poll events.
inline constexpr uint32_t kEpPrivateBits =
    kEpollWakeup | kEpollOneShot | kEpollEt | kEpollExclusive;

// struct epitem: one registration of a socket in one epoll instance.
struct EpItem {
  EpollInstance* ep = nullptr;
  ModelSocket* sock = nullptr;
  int fd = -1;
  uint32_t events = 0;  // the registered mask, EPOLLERR|EPOLLHUP included
  uint64_t data = 0;
  bool linked = false;  // on rdllist (ep_is_linked)
  std::list<EpItem*>::iterator rdllink;
  bool chained = false;  // on ovflist (epi->next != EP_UNACTIVE_PTR)
};

class EpollInstance {
 public:
  explicit EpollInstance(int fd) : fd_(fd) {}

  int fd() const { return fd_; }

  // epoll_ctl on a socket. Returns 0 or the errno the kernel returns
  // (EEXIST, ENOENT, EINVAL for EXCLUSIVE misuse).
  int Ctl(int op, ModelSocket* sock, uint32_t events, uint64_t data);
  // Removes every item of `sock` (close: eventpoll_release).
  void Forget(ModelSocket* sock);

  // ep_poll_callback for one item; key is the wakeup's poll mask (0 = all).
  // Returns "ewake": whether an exclusive wakeup is consumed here.
  bool Callback(EpItem* epi, uint32_t key);

  // ep_send_events: scans the ready list now and returns up to maxevents
  // (events, data) pairs. during_transfer, if set, is called after each
  // item is examined — tests use it to inject wakeups that land on ovflist.
  std::vector<EpollEvent> SendEvents(int maxevents,
                                     const std::function<void(int index)>& during_transfer = {});

  // Puts the ready list in step with a wait whose real result is known:
  // the level-triggered items the kernel returned (identified by their
  // data, in the returned order) go to the tail in that order, as
  // ep_send_events re-queued them. Used after a model/kernel mismatch so one
  // timing difference does not rotate every later ready list.
  void RequeueReturned(const std::vector<uint64_t>& returned_data);

  bool EventsAvailable() const { return !rdllist_.empty() || scanning_; }
  // Threads blocked in epoll_wait on this instance (waitqueue_active(&ep->wq)).
  int waiters = 0;

  // Introspection for tests and the timeline.
  std::vector<int> ReadyFds() const;
  const std::map<int, std::unique_ptr<EpItem>>& interest() const { return rbr_; }

 private:
  void AddTail(EpItem* epi);
  void Unlink(EpItem* epi);
  static uint32_t ItemPoll(const EpItem* epi) { return epi->sock->Poll() & epi->events; }

  int fd_;
  std::map<int, std::unique_ptr<EpItem>> rbr_;
  std::list<EpItem*> rdllist_;
  std::vector<EpItem*> ovflist_;  // LIFO, like the kernel's singly linked list
  bool scanning_ = false;
};

}  // namespace reel::model
