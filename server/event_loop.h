// EventLoop: an ae-style reactor (Redis src/ae.c + ae_epoll.c) on the Kernel
// seam. File events carry a read and a write handler per fd; when both fire
// the read handler runs first (Redis's default; AE_BARRIER inverts it). Time
// events are kept in a small list and fire in order of their deadline. A
// before-sleep hook runs before every epoll_wait, which is where the server
// writes replies. epoll is used level-triggered, as Redis does.
//
// Threading: single-threaded; every method must be called from the loop's
// thread.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/kernel.h"

namespace reel {

inline constexpr int kAeNone = 0;
inline constexpr int kAeReadable = 1;
inline constexpr int kAeWritable = 2;
inline constexpr int kAeBarrier = 4;  // run the write handler before the read handler

inline constexpr int64_t kAeNoMore = -1;  // a time proc returns this to stop

class EventLoop {
 public:
  // Handlers are plain function pointers with a context pointer, as in ae:
  // no allocation per registration and no std::function on the hot path.
  using FileProc = void (*)(EventLoop& loop, int fd, void* data, int mask);
  // Returns the delay in ms until the next run, or kAeNoMore.
  using TimeProc = int64_t (*)(EventLoop& loop, int64_t id, void* data);
  using BeforeSleepProc = void (*)(EventLoop& loop, void* data);

  EventLoop(Kernel& kernel, int setsize, int maxevents);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Creates the epoll instance. Returns 0 or the errno of epoll_create1.
  int Init();

  // Registers mask (kAeReadable/kAeWritable, optionally kAeBarrier) for fd.
  // Returns 0, ERANGE when fd >= setsize, or the errno of epoll_ctl.
  int AddFileEvent(int fd, int mask, FileProc proc, void* data);
  void DeleteFileEvent(int fd, int mask);
  int GetFileEvents(int fd) const;

  // aeResizeSetSize: fails (returns false) if an fd at or above the new
  // size is registered.
  bool ResizeSetSize(int setsize);

  int64_t AddTimeEvent(int64_t delay_ms, TimeProc proc, void* data);
  void DeleteTimeEvent(int64_t id);

  void SetBeforeSleep(BeforeSleepProc proc, void* data) {
    before_sleep_ = proc;
    before_sleep_data_ = data;
  }

  // One iteration: before-sleep, epoll_wait (timeout from the nearest timer,
  // or 0 when dont_wait), file handlers, then due timers. Returns the number
  // of events processed.
  int ProcessEvents(bool dont_wait = false);
  // Runs until Stop() is called or the Kernel reports a stop request.
  void Run();
  void Stop() { stop_ = true; }
  bool stopped() const { return stop_; }

  Kernel& kernel() { return kernel_; }
  int setsize() const { return static_cast<int>(events_.size()); }
  int maxevents() const { return maxevents_; }
  int epfd() const { return epfd_; }
  // Loop iterations so far (INFO exposes it; the recorder keys stalls on it).
  uint64_t iterations() const { return iterations_; }

 private:
  struct FileEvent {
    int mask = kAeNone;
    FileProc rproc = nullptr;
    FileProc wproc = nullptr;
    void* data = nullptr;
  };
  struct TimeEvent {
    int64_t id;
    int64_t when_ms;
    TimeProc proc;
    void* data;
    bool deleted;
  };

  int64_t NearestTimerDelayMs();
  int ProcessTimeEvents();
  static uint32_t ToEpoll(int mask);

  Kernel& kernel_;
  int epfd_ = -1;
  int maxevents_;
  std::vector<FileEvent> events_;  // indexed by fd
  std::vector<EpollEvent> fired_;  // epoll_wait output
  std::vector<TimeEvent> timers_;
  int64_t next_timer_id_ = 0;
  BeforeSleepProc before_sleep_ = nullptr;
  void* before_sleep_data_ = nullptr;
  bool stop_ = false;
  uint64_t iterations_ = 0;
};

}  // namespace reel
