#include "server/event_loop.h"

#include <algorithm>
#include <cerrno>

namespace reel {

EventLoop::EventLoop(Kernel& kernel, int setsize, int maxevents)
    : kernel_(kernel),
      maxevents_(maxevents > 0 ? maxevents : 1),
      events_(setsize),
      fired_(maxevents_) {}

EventLoop::~EventLoop() {
  if (epfd_ >= 0) kernel_.Close(epfd_);
}

int EventLoop::Init() {
  SysResult r = kernel_.EpollCreate(kCloexec);
  if (!r.ok()) return r.err;
  epfd_ = static_cast<int>(r.value);
  return 0;
}

uint32_t EventLoop::ToEpoll(int mask) {
  uint32_t ev = 0;
  if (mask & kAeReadable) ev |= kEpollIn;
  if (mask & kAeWritable) ev |= kEpollOut;
  return ev;
}

int EventLoop::AddFileEvent(int fd, int mask, FileProc proc, void* data) {
  if (fd < 0 || fd >= setsize()) return ERANGE;
  FileEvent& fe = events_[fd];
  // Like aeApiAddEvent: ADD the first time, MOD when merging into an
  // existing registration.
  int op = fe.mask == kAeNone ? kEpollCtlAdd : kEpollCtlMod;
  int merged = fe.mask | mask;
  SysResult r = kernel_.EpollCtl(epfd_, op, fd, ToEpoll(merged), static_cast<uint64_t>(fd));
  if (!r.ok()) return r.err;
  fe.mask = merged;
  if (mask & kAeReadable) fe.rproc = proc;
  if (mask & kAeWritable) fe.wproc = proc;
  fe.data = data;
  return 0;
}

void EventLoop::DeleteFileEvent(int fd, int mask) {
  if (fd < 0 || fd >= setsize()) return;
  FileEvent& fe = events_[fd];
  if (fe.mask == kAeNone) return;
  // Clearing the write side also clears the barrier, as in aeDeleteFileEvent.
  if (mask & kAeWritable) mask |= kAeBarrier;
  int remaining = fe.mask & ~mask;
  if ((remaining & (kAeReadable | kAeWritable)) != 0) {
    kernel_.EpollCtl(epfd_, kEpollCtlMod, fd, ToEpoll(remaining), static_cast<uint64_t>(fd));
  } else {
    // Linux < 2.6.9 needed a non-null event for DEL; passing one costs nothing.
    kernel_.EpollCtl(epfd_, kEpollCtlDel, fd, 0, static_cast<uint64_t>(fd));
    remaining = kAeNone;
  }
  fe.mask = remaining;
}

int EventLoop::GetFileEvents(int fd) const {
  if (fd < 0 || fd >= static_cast<int>(events_.size())) return kAeNone;
  return events_[fd].mask;
}

bool EventLoop::ResizeSetSize(int new_size) {
  if (new_size <= 0) return false;
  for (int fd = new_size; fd < setsize(); fd++)
    if (events_[static_cast<size_t>(fd)].mask != kAeNone) return false;
  events_.resize(static_cast<size_t>(new_size));
  return true;
}

int64_t EventLoop::AddTimeEvent(int64_t delay_ms, TimeProc proc, void* data) {
  int64_t id = next_timer_id_++;
  timers_.push_back({id, kernel_.MonotonicMs() + delay_ms, proc, data, false});
  return id;
}

void EventLoop::DeleteTimeEvent(int64_t id) {
  for (auto& t : timers_)
    if (t.id == id) t.deleted = true;
}

int64_t EventLoop::NearestTimerDelayMs() {
  int64_t nearest = -1;
  for (const auto& t : timers_)
    if (!t.deleted && (nearest < 0 || t.when_ms < nearest)) nearest = t.when_ms;
  if (nearest < 0) return -1;  // no timers: block
  int64_t delay = nearest - kernel_.MonotonicMs();
  return delay < 0 ? 0 : delay;
}

int EventLoop::ProcessTimeEvents() {
  int processed = 0;
  // Timers created by a handler in this pass wait for the next iteration
  // (ae does the same with maxId), so a handler cannot starve the loop.
  int64_t max_id = next_timer_id_ - 1;
  int64_t now = kernel_.MonotonicMs();
  for (size_t i = 0; i < timers_.size(); i++) {
    if (timers_[i].deleted || timers_[i].id > max_id || timers_[i].when_ms > now) continue;
    TimeEvent t = timers_[i];
    int64_t next = t.proc(*this, t.id, t.data);
    processed++;
    // timers_ may have grown during the call; index again.
    if (next == kAeNoMore) {
      timers_[i].deleted = true;
    } else {
      timers_[i].when_ms = kernel_.MonotonicMs() + next;
    }
    now = kernel_.MonotonicMs();
  }
  timers_.erase(
      std::remove_if(timers_.begin(), timers_.end(), [](const TimeEvent& t) { return t.deleted; }),
      timers_.end());
  return processed;
}

int EventLoop::ProcessEvents(bool dont_wait) {
  iterations_++;
  if (before_sleep_) before_sleep_(*this, before_sleep_data_);
  int timeout = dont_wait ? 0 : static_cast<int>(NearestTimerDelayMs());
  if (stop_) return 0;
  SysResult r = kernel_.EpollWait(epfd_, fired_.data(), maxevents_, timeout);
  int processed = 0;
  if (r.ok()) {
    int n = static_cast<int>(r.value);
    for (int i = 0; i < n; i++) {
      int fd = static_cast<int>(fired_[i].data);
      uint32_t ev = fired_[i].events;
      int mask = 0;
      if (ev & kEpollIn) mask |= kAeReadable;
      if (ev & kEpollOut) mask |= kAeWritable;
      // Errors and hangups wake both sides so the handler sees the failure
      // on its next read or write (as aeApiPoll does).
      if (ev & (kEpollErr | kEpollHup)) mask |= kAeReadable | kAeWritable;
      if (fd < 0 || fd >= setsize()) continue;
      FileEvent* fe = &events_[fd];
      bool invert = fe->mask & kAeBarrier;
      int fired = 0;
      if (!invert && (fe->mask & mask & kAeReadable)) {
        fe->rproc(*this, fd, fe->data, mask);
        fired++;
        fe = &events_[fd];  // the handler may have changed the registration
      }
      if (fe->mask & mask & kAeWritable) {
        if (fired == 0 || fe->wproc != fe->rproc) {
          fe->wproc(*this, fd, fe->data, mask);
          fired++;
        }
      }
      if (invert) {
        fe = &events_[fd];
        if ((fe->mask & mask & kAeReadable) && (fired == 0 || fe->wproc != fe->rproc)) {
          fe->rproc(*this, fd, fe->data, mask);
        }
      }
      processed++;
    }
  }
  processed += ProcessTimeEvents();
  return processed;
}

void EventLoop::Run() {
  while (!stop_) {
    ProcessEvents();
    if (kernel_.StopRequested()) stop_ = true;
  }
}

}  // namespace reel
