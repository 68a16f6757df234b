// Buffer: a growable byte buffer with a read position (muduo's Buffer, cut
// down). Unlike std::string it does not zero the space it reserves for a
// read(2), which matters when every readable event reserves 16 KB.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace reel {

class Buffer {
 public:
  // Bytes not yet consumed.
  std::string_view Readable() const { return {data_.get() + read_, write_ - read_}; }
  size_t readable_size() const { return write_ - read_; }
  size_t read_index() const { return read_; }
  // The whole stored region [0, write_): the parser works on this with its own position.
  std::string_view All() const { return {data_.get(), write_}; }

  void Consume(size_t n) {
    read_ += n;
    if (read_ == write_) read_ = write_ = 0;
  }
  void ConsumeTo(size_t pos) { Consume(pos - read_); }

  // Makes room for n more bytes after the written region and returns where
  // to write; call Commit with the count actually written.
  char* PrepareWrite(size_t n) {
    if (capacity_ - write_ < n) MakeSpace(n);
    return data_.get() + write_;
  }
  void Commit(size_t n) { write_ += n; }
  void Append(std::string_view s) {
    std::memcpy(PrepareWrite(s.size()), s.data(), s.size());
    Commit(s.size());
  }

  // Moves unread bytes to the front so the next read has room without
  // growing (called between commands, never while argv views are live).
  void Compact() {
    if (read_ == 0) return;
    size_t n = write_ - read_;
    if (n) std::memmove(data_.get(), data_.get() + read_, n);
    read_ = 0;
    write_ = n;
  }
  size_t capacity() const { return capacity_; }
  // Drops a large idle allocation (after a big request has been served).
  void ShrinkIfIdle(size_t keep) {
    if (read_ == write_ && capacity_ > keep) {
      data_.reset();
      capacity_ = read_ = write_ = 0;
    }
  }

 private:
  void MakeSpace(size_t n) {
    size_t unread = write_ - read_;
    if (read_ + (capacity_ - write_) >= n && read_ > 0) {
      Compact();
      if (capacity_ - write_ >= n) return;
    }
    size_t want = unread + n;
    size_t cap = capacity_ ? capacity_ : 1024;
    while (cap < want) cap *= 2;
    std::unique_ptr<char[]> fresh(new char[cap]);
    if (unread) std::memcpy(fresh.get(), data_.get() + read_, unread);
    data_ = std::move(fresh);
    capacity_ = cap;
    read_ = 0;
    write_ = unread;
  }

  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
  size_t read_ = 0;
  size_t write_ = 0;
};

}  // namespace reel
