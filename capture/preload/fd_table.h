// FdTable: what the shim knows about each file descriptor of the process —
// whether it is a socket or an epoll instance it saw being created, and the
// stream offsets of its two directions.
//
// Why a table at all: the shim records read/write-family calls only on fds it
// knows to be sockets (created by socket/accept/accept4 in this process), so
// the log holds the network streams and not the server's file, pipe, eventfd
// or timerfd I/O. The check happens on every interposed read and write, also
// from threads that never record anything (redis's bio threads), so it is a
// lock-free byte load. Everything else is only touched under the recorder's
// mutex.
//
// Layout: a fixed top-level array of chunk pointers, chunks of 4096 entries
// allocated on first use and never freed, so a lock-free reader never sees a
// chunk move. Covers fds below 2^22 (4M); larger fds are never recorded.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>

namespace reel::preload {

enum class FdKind : uint8_t {
  kUntracked = 0,  // not created through the shim, or closed since
  kSocket = 1,
  kEpoll = 2,
};

class FdTable {
 public:
  struct Entry {
    std::atomic<uint8_t> kind{0};
    uint64_t read_offset = 0;   // bytes read from the fd since it was created
    uint64_t write_offset = 0;  // bytes written to it since it was created
  };

  // Lock-free; kUntracked for fds never marked.
  FdKind Kind(int fd) const {
    if (fd < 0 || fd >= kMaxFds) return FdKind::kUntracked;
    Entry* chunk = chunks_[fd >> kChunkBits].load(std::memory_order_acquire);
    if (chunk == nullptr) return FdKind::kUntracked;
    return static_cast<FdKind>(chunk[fd & kChunkMask].kind.load(std::memory_order_relaxed));
  }

  // The entry for fd, allocating its chunk; nullptr when fd is out of range
  // or memory is exhausted. Call with the recorder's mutex held.
  Entry* Get(int fd) {
    if (fd < 0 || fd >= kMaxFds) return nullptr;
    auto& slot = chunks_[fd >> kChunkBits];
    Entry* chunk = slot.load(std::memory_order_acquire);
    if (chunk == nullptr) {
      // calloc'ed zeroes are valid Entry objects (atomic<uint8_t> and
      // integers with all-zero representations).
      chunk = static_cast<Entry*>(std::calloc(kChunkSize, sizeof(Entry)));
      if (chunk == nullptr) return nullptr;
      slot.store(chunk, std::memory_order_release);
    }
    return &chunk[fd & kChunkMask];
  }

  // A new fd: sets its kind and restarts its stream offsets. Mutex held.
  void Created(int fd, FdKind kind) {
    if (Entry* e = Get(fd)) {
      e->read_offset = 0;
      e->write_offset = 0;
      e->kind.store(static_cast<uint8_t>(kind), std::memory_order_relaxed);
    }
  }

  // A closed fd. Mutex held.
  void Closed(int fd) {
    if (fd < 0 || fd >= kMaxFds) return;
    Entry* chunk = chunks_[fd >> kChunkBits].load(std::memory_order_acquire);
    if (chunk != nullptr)
      chunk[fd & kChunkMask].kind.store(static_cast<uint8_t>(FdKind::kUntracked),
                                        std::memory_order_relaxed);
  }

  // Frees every chunk. The shim never calls it: its table lives as long as
  // the process, because interposed calls can still run on other threads
  // while the process exits. Tests that own a table call it when done.
  void ReleaseAll() {
    for (auto& slot : chunks_) std::free(slot.exchange(nullptr, std::memory_order_acq_rel));
  }

 private:
  static constexpr int kChunkBits = 12;
  static constexpr int kChunkSize = 1 << kChunkBits;
  static constexpr int kChunkMask = kChunkSize - 1;
  static constexpr int kChunks = 1024;
  static constexpr int kMaxFds = kChunks * kChunkSize;

  std::atomic<Entry*> chunks_[kChunks] = {};
};

}  // namespace reel::preload
