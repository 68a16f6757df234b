#include "server/fault_injecting_kernel.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace reel {

// ------------------------------------------------------------------ spec

namespace {

bool ParseKind(std::string_view k, FaultSpec* spec) {
  if (k == "eagain") return spec->eagain = true;
  if (k == "eintr") return spec->eintr = true;
  if (k == "short") return spec->short_io = true;
  if (k == "reset") return spec->reset = true;
  return false;
}

}  // namespace

bool ParseFaultSpec(std::string_view text, FaultSpec* spec, std::string* error) {
  FaultSpec out;
  bool have_rate = false;
  std::string_view key;  // the field a bare token continues (only kinds has lists)
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view token = text.substr(pos, comma - pos);
    pos = comma + 1;
    std::string_view value = token;
    size_t eq = token.find('=');
    if (eq != std::string_view::npos) {
      key = token.substr(0, eq);
      value = token.substr(eq + 1);
      if (key == "kinds") out.eagain = out.eintr = out.short_io = out.reset = false;
    } else if (key != "kinds") {
      *error = "fault spec: expected key=value, got '" + std::string(token) + "'";
      return false;
    }
    if (key == "seed") {
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out.seed);
      if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
        *error = "fault spec: seed must be an unsigned integer, got '" + std::string(value) + "'";
        return false;
      }
    } else if (key == "rate") {
      std::string v(value);
      char* end = nullptr;
      double r = v.empty() ? NAN : std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(r >= 0 && r <= 1)) {
        *error = "fault spec: rate must be a number from 0 to 1, got '" + v + "'";
        return false;
      }
      out.rate = r;
      have_rate = true;
    } else if (key == "kinds") {
      if (!ParseKind(value, &out)) {
        *error = "fault spec: unknown fault kind '" + std::string(value) +
                 "' (eagain, eintr, short, reset)";
        return false;
      }
    } else {
      *error = "fault spec: unknown field '" + std::string(key) + "' (seed, rate, kinds)";
      return false;
    }
  }
  if (!have_rate) {
    *error = "fault spec: rate=R is required (e.g. seed=7,rate=0.02)";
    return false;
  }
  *spec = out;
  return true;
}

std::string FaultSpec::ToString() const {
  char head[64];
  std::snprintf(head, sizeof head,
                "seed=%llu,rate=%g,kinds=", static_cast<unsigned long long>(seed), rate);
  std::string kinds;
  for (auto [on, name] : {std::pair{eagain, "eagain"}, std::pair{eintr, "eintr"},
                          std::pair{short_io, "short"}, std::pair{reset, "reset"}}) {
    if (!on) continue;
    if (!kinds.empty()) kinds += ',';
    kinds += name;
  }
  return head + kinds;
}

std::string FaultCounters::ToString() const {
  char buf[256];
  std::snprintf(
      buf, sizeof buf,
      "%llu faults in %llu eligible calls: eagain %llu, eintr %llu, short reads %llu, "
      "short writes %llu, short epoll_waits %llu, resets %llu",
      static_cast<unsigned long long>(total()), static_cast<unsigned long long>(eligible_calls),
      static_cast<unsigned long long>(eagain), static_cast<unsigned long long>(eintr),
      static_cast<unsigned long long>(short_reads), static_cast<unsigned long long>(short_writes),
      static_cast<unsigned long long>(short_waits), static_cast<unsigned long long>(resets));
  return buf;
}

// ---------------------------------------------------------------- kernel

FaultInjectingKernel::FaultInjectingKernel(Kernel& inner, const FaultSpec& spec)
    : inner_(inner), spec_(spec), state_(spec.seed) {}

uint64_t FaultInjectingKernel::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

FaultInjectingKernel::Fault FaultInjectingKernel::Pick(bool eagain, bool eintr, bool short_io,
                                                       bool reset) {
  counters_.eligible_calls++;
  double u = static_cast<double>(Next() >> 11) * 0x1.0p-53;  // uniform in [0, 1)
  if (!(u < spec_.rate)) return Fault::kNone;
  Fault candidates[4];
  int n = 0;
  if (eagain && spec_.eagain) candidates[n++] = Fault::kEagain;
  if (eintr && spec_.eintr) candidates[n++] = Fault::kEintr;
  if (short_io && spec_.short_io) candidates[n++] = Fault::kShort;
  if (reset && spec_.reset) candidates[n++] = Fault::kReset;
  if (n == 0) return Fault::kNone;
  return candidates[Next() % static_cast<uint64_t>(n)];
}

size_t FaultInjectingKernel::ShortLength(size_t len) {
  return 1 + static_cast<size_t>(Next() % (len - 1));
}

SysResult FaultInjectingKernel::Reset(int fd) {
  // See the header: the connection really ends, so peer and server agree.
  inner_.Shutdown(fd, kShutRdWr);
  counters_.resets++;
  return SysResult::Error(ECONNRESET);
}

SysResult FaultInjectingKernel::EpollWait(int epfd, EpollEvent* events, int maxevents,
                                          int timeout_ms) {
  switch (Pick(false, true, maxevents > 1, false)) {
    case Fault::kEintr:
      counters_.eintr++;
      return SysResult::Error(EINTR);  // a signal arrived before anything was ready
    case Fault::kShort: {
      counters_.short_waits++;
      int fewer = 1 + static_cast<int>(Next() % static_cast<uint64_t>(maxevents - 1));
      return inner_.EpollWait(epfd, events, fewer, timeout_ms);
    }
    default: return inner_.EpollWait(epfd, events, maxevents, timeout_ms);
  }
}

SysResult FaultInjectingKernel::Accept4(int fd, SockAddr* peer, int flags) {
  // The pending connection stays queued; the listener is still readable, so
  // the level-triggered loop comes back for it.
  switch (Pick(true, true, false, false)) {
    case Fault::kEagain: counters_.eagain++; return SysResult::Error(EAGAIN);
    case Fault::kEintr: counters_.eintr++; return SysResult::Error(EINTR);
    default: return inner_.Accept4(fd, peer, flags);
  }
}

SysResult FaultInjectingKernel::Read(int fd, void* buf, size_t len) {
  switch (Pick(true, true, len > 1, true)) {
    case Fault::kEagain: counters_.eagain++; return SysResult::Error(EAGAIN);
    case Fault::kEintr: counters_.eintr++; return SysResult::Error(EINTR);
    case Fault::kShort: {
      // Ask for less: whatever is not read now stays in the socket.
      SysResult r = inner_.Read(fd, buf, ShortLength(len));
      if (r.ok()) counters_.short_reads++;  // an EAGAIN or EOF here shortened nothing
      return r;
    }
    case Fault::kReset: return Reset(fd);
    default: return inner_.Read(fd, buf, len);
  }
}

SysResult FaultInjectingKernel::Write(int fd, const void* buf, size_t len) {
  switch (Pick(true, true, len > 1, true)) {
    case Fault::kEagain: counters_.eagain++; return SysResult::Error(EAGAIN);
    case Fault::kEintr: counters_.eintr++; return SysResult::Error(EINTR);
    case Fault::kShort: {
      SysResult r = inner_.Write(fd, buf, ShortLength(len));
      if (r.ok()) counters_.short_writes++;
      return r;
    }
    case Fault::kReset: return Reset(fd);
    default: return inner_.Write(fd, buf, len);
  }
}

SysResult FaultInjectingKernel::Writev(int fd, const IoVec* iov, int iovcnt) {
  size_t total = 0;
  for (int i = 0; i < iovcnt; i++) total += iov[i].len;
  switch (Pick(true, true, total > 1, true)) {
    case Fault::kEagain: counters_.eagain++; return SysResult::Error(EAGAIN);
    case Fault::kEintr: counters_.eintr++; return SysResult::Error(EINTR);
    case Fault::kShort: {
      // Hand the kernel a prefix of the vector: the first `keep` bytes.
      size_t keep = ShortLength(total);
      short_iov_.clear();
      for (int i = 0; i < iovcnt && keep > 0; i++) {
        size_t take = iov[i].len < keep ? iov[i].len : keep;
        short_iov_.push_back({iov[i].base, take});
        keep -= take;
      }
      SysResult r = inner_.Writev(fd, short_iov_.data(), static_cast<int>(short_iov_.size()));
      if (r.ok()) counters_.short_writes++;
      return r;
    }
    case Fault::kReset: return Reset(fd);
    default: return inner_.Writev(fd, iov, iovcnt);
  }
}

}  // namespace reel
