// RESP2 reply encoding. Commands append to a client's reply buffer through a
// Reply; nothing here allocates beyond the buffer's own growth.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace reel {

class Reply {
 public:
  explicit Reply(std::string& out) : out_(out) {}

  void Status(std::string_view s);  // +s\r\n
  void Ok() { out_.append("+OK\r\n", 5); }
  // -ERR-style error. If msg does not start with an error code (an uppercase
  // word such as WRONGTYPE), "ERR " is prepended, as addReplyError does.
  void Error(std::string_view msg);
  void Integer(int64_t v);        // :v\r\n
  void Bulk(std::string_view s);  // $len\r\ns\r\n
  void BulkInt(int64_t v);        // an integer as a bulk string
  void Double(double v);          // a bulk string, Redis's RESP2 format
  void Null() { out_.append("$-1\r\n", 5); }
  void NullArray() { out_.append("*-1\r\n", 5); }
  void ArrayLen(int64_t n);  // *n\r\n
  void EmptyArray() { out_.append("*0\r\n", 4); }
  void Raw(std::string_view s) { out_.append(s); }

  // Common error texts, exactly as Redis 7.0 words them.
  void WrongType();
  void NotInteger();
  void NotFloat();
  void SyntaxError();
  void WrongArity(std::string_view command);  // command as typed, lowercased

  size_t size() const { return out_.size(); }
  std::string& buffer() { return out_; }

 private:
  std::string& out_;
};

}  // namespace reel
