#include "replay/socket_model.h"

#include <algorithm>

#include "core/kernel.h"

namespace reel::model {

namespace {
// The sizes tcp_sndbuf_expand adds to a segment to get its worst-case memory
// (x86-64): MAX_TCP_HEADER, SKB_DATA_ALIGN(sizeof(struct skb_shared_info)),
// SKB_DATA_ALIGN(sizeof(struct sk_buff)). Only the power-of-two rounding of
// the first sum is sensitive to them; docs/kernel-model.md shows the result
// against a live socket's sk_sndbuf.
constexpr uint64_t kMaxTcpHeader = 320;
constexpr uint64_t kSkbSharedInfo = 320;
constexpr uint64_t kSkBuff = 256;

uint64_t RoundUpPowerOfTwo(uint64_t v) {
  uint64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

uint64_t DivRoundUp(uint64_t a, uint64_t b) {
  return b == 0 ? 0 : (a + b - 1) / b;
}
}  // namespace

uint64_t ModelSocket::wmem_queued() const {
  if (!tuned) return snd_queued();
  // Every skb holding an unacknowledged byte is charged in full: a partly
  // acknowledged skb is only trimmed (tcp_trim_head), not freed.
  return snd_queued() + skbs.size() * uint64_t{tuning.skb_overhead};
}

bool ModelSocket::writeable() const {
  uint64_t queued = wmem_queued();
  if (queued >= sndbuf) return false;  // __sk_stream_memory_free
  return sndbuf - queued >= queued / 2;
}

uint64_t ModelSocket::QueueBytes(uint64_t len) {
  if (!tuned) {
    uint64_t free = sndbuf > snd_queued() ? sndbuf - snd_queued() : 0;
    uint64_t n = std::min(len, free);
    snd_written += n;
    return n;
  }
  // tcp_sendmsg_locked: fill the tail skb up to size_goal; a new skb is only
  // allocated while sk_stream_memory_free (wmem_queued < sndbuf) holds.
  uint64_t goal = std::max<uint64_t>(tuning.size_goal, 1);
  uint64_t copied = 0;
  while (copied < len) {
    if (!skbs.empty() && skbs.back().end == snd_written && skbs.back().len() < goal) {
      uint64_t copy = std::min(goal - skbs.back().len(), len - copied);
      skbs.back().end += copy;
      snd_written += copy;
      copied += copy;
      continue;
    }
    if (wmem_queued() >= sndbuf) break;  // wait_for_space
    skbs.push_back({snd_written, snd_written});
  }
  return copied;
}

void ModelSocket::AdoptWritten(uint64_t end) {
  if (!tuned) {
    snd_written = end;
    return;
  }
  if (end < snd_written) {
    // The recording wrote less than the model did: drop the model's extra.
    while (!skbs.empty() && skbs.back().start >= end) skbs.pop_back();
    if (!skbs.empty() && skbs.back().end > end) skbs.back().end = end;
    snd_written = end;
    return;
  }
  // Cut the new bytes as the copy loop would, without the memory check: the
  // kernel did accept them.
  uint64_t goal = std::max<uint64_t>(tuning.size_goal, 1);
  while (snd_written < end) {
    if (skbs.empty() || skbs.back().end != snd_written || skbs.back().len() >= goal)
      skbs.push_back({snd_written, snd_written});
    uint64_t copy = std::min(goal - skbs.back().len(), end - snd_written);
    skbs.back().end += copy;
    snd_written += copy;
  }
}

void ModelSocket::Acked(uint64_t acked_offset) {
  uint64_t acked = std::min(acked_offset, snd_written);
  if (acked <= snd_acked) return;
  uint64_t newly = acked - snd_acked;
  snd_acked = acked;
  snd_sent = std::max(snd_sent, acked);
  while (!skbs.empty() && skbs.front().end <= acked) skbs.pop_front();
  // Slow start (tcp_slow_start; BBR's startup likewise): the window grows by
  // the segments newly acknowledged. An estimate: the capture shows bytes,
  // not the sender's segment accounting.
  if (tuned && tuning.mss > 0) cwnd += static_cast<uint32_t>(DivRoundUp(newly, tuning.mss));
}

void ModelSocket::Tune(const SendTuning& t) {
  tuned = true;
  tuning = t;
  if (tuning.mss == 0) tuning.mss = 536;  // TCP_MSS_DEFAULT
  if (tuning.mss_clamp == 0) tuning.mss_clamp = tuning.mss;
  if (tuning.size_goal == 0) tuning.size_goal = tuning.mss;
  cwnd = kTcpInitCwnd;
  if (!tuning.sndbuf_locked) {
    sndbuf = tuning.wmem_default;
    MaybeExpandSndbuf();
  }
  // Bytes already written keep their place but are re-cut into skbs.
  uint64_t written = snd_written;
  skbs.clear();
  snd_written = snd_acked;
  AdoptWritten(written);
}

void ModelSocket::MaybeExpandSndbuf() {
  if (!tuned || tuning.sndbuf_locked) return;
  // tcp_should_expand_sndbuf: not when the congestion window is full.
  uint64_t in_flight =
      snd_sent > snd_acked ? DivRoundUp(snd_sent - snd_acked, std::max(tuning.mss, 1u)) : 0;
  if (in_flight >= cwnd) return;
  // tcp_sndbuf_expand: room for expand_factor * cwnd worst-case segments.
  uint64_t per_mss = RoundUpPowerOfTwo(uint64_t{std::max(tuning.mss_clamp, tuning.mss)} +
                                       kMaxTcpHeader + kSkbSharedInfo) +
                     kSkBuff;
  uint64_t nr_segs = std::max(kTcpInitCwnd, cwnd);
  uint64_t sndmem = uint64_t{tuning.expand_factor} * nr_segs * per_mss;
  if (sndbuf < sndmem) sndbuf = std::min(sndmem, tuning.wmem_max);
}

uint32_t ModelSocket::Poll() const {
  if (kind == Kind::kListener) {
    // inet_csk_listen_poll: readable while the accept queue is non-empty.
    return accept_queue.empty() ? 0 : (kEpollIn | kPollRdNorm);
  }
  // tcp_poll, for an established (or closed) socket.
  uint32_t mask = 0;
  bool shutdown_both = rcv_shutdown && snd_shutdown;
  if (shutdown_both || closed_state) mask |= kEpollHup;
  if (rcv_shutdown) mask |= kEpollIn | kPollRdNorm | kEpollRdHup;
  if (readable_bytes() > 0) mask |= kEpollIn | kPollRdNorm;
  if (!snd_shutdown) {
    if (writeable()) {
      mask |= kEpollOut | kPollWrNorm;
    } else {
      nospace = true;  // tcp_poll: ask for a write_space wakeup (SOCK_NOSPACE)
    }
  } else {
    mask |= kEpollOut | kPollWrNorm;
  }
  if (pending_error != 0) mask |= kEpollErr;
  return mask;
}

}  // namespace reel::model
