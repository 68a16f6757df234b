#include "server/reply.h"

#include <charconv>

#include "server/numbers.h"

namespace reel {

void Reply::Status(std::string_view s) {
  out_.push_back('+');
  out_.append(s);
  out_.append("\r\n", 2);
}

void Reply::Error(std::string_view msg) {
  out_.push_back('-');
  // addReplyErrorLength: a message that does not start with '-' gets "ERR ".
  // Redis callers pass codes like "-WRONGTYPE ..." explicitly; we accept
  // either "-CODE rest" or plain text.
  if (!msg.empty() && msg[0] == '-') {
    msg.remove_prefix(1);
  } else {
    out_.append("ERR ", 4);
  }
  // Newlines would break the protocol: Redis replaces them with spaces.
  size_t start = out_.size();
  out_.append(msg);
  for (size_t i = start; i < out_.size(); i++)
    if (out_[i] == '\r' || out_[i] == '\n') out_[i] = ' ';
  out_.append("\r\n", 2);
}

void Reply::Integer(int64_t v) {
  out_.push_back(':');
  AppendInt64(out_, v);
  out_.append("\r\n", 2);
}

void Reply::Bulk(std::string_view s) {
  out_.push_back('$');
  AppendInt64(out_, static_cast<int64_t>(s.size()));
  out_.append("\r\n", 2);
  out_.append(s);
  out_.append("\r\n", 2);
}

void Reply::BulkInt(int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  Bulk(std::string_view(buf, static_cast<size_t>(end - buf)));
}

void Reply::Double(double v) {
  Bulk(FormatDouble(v));
}

void Reply::ArrayLen(int64_t n) {
  out_.push_back('*');
  AppendInt64(out_, n);
  out_.append("\r\n", 2);
}

void Reply::WrongType() {
  Error("-WRONGTYPE Operation against a key holding the wrong kind of value");
}
void Reply::NotInteger() {
  Error("value is not an integer or out of range");
}
void Reply::NotFloat() {
  Error("value is not a valid float");
}
void Reply::SyntaxError() {
  Error("syntax error");
}
void Reply::WrongArity(std::string_view command) {
  std::string msg = "wrong number of arguments for '";
  msg.append(command);
  msg.append("' command");
  Error(msg);
}

}  // namespace reel
