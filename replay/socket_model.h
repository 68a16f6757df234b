// The model's sockets: a listening socket with its accept queue and a
// connected TCP socket with a receive queue and a send buffer. Only byte
// counts and stream offsets live here; the bytes themselves come from the
// reassembled pcap when a reader needs them. Poll() mirrors tcp_poll() and
// inet_csk_listen_poll() (net/ipv4/tcp.c, net/ipv4/inet_connection_sock.c).
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "core/sock_addr.h"

namespace reel::model {

// Poll bits the model reports beyond core/kernel.h's (Linux values).
inline constexpr uint32_t kPollRdNorm = 0x040;
inline constexpr uint32_t kPollWrNorm = 0x100;

// TCP_INIT_CWND: the congestion window a connection starts with (segments).
inline constexpr uint32_t kTcpInitCwnd = 10;

struct EpItem;

// A connection that completed its handshake and waits in the accept queue.
struct PendingConnection {
  uint64_t conn_id;
  SockAddr peer;
  SockAddr local;
  int64_t established_ns;
};

// What the kernel's send-buffer accounting needs to know about one
// connection (docs/kernel-model.md, "Send buffer"). The driver derives it
// from the handshake in the capture; the defaults are Linux's.
struct SendTuning {
  uint32_t mss = 0;        // tp->mss_cache: payload bytes per segment
  uint32_t mss_clamp = 0;  // tp->rx_opt.mss_clamp: the peer's MSS option
  uint32_t size_goal = 0;  // tcp_xmit_size_goal: payload bytes per skb
  // skb->truesize beyond the payload: the sk_buff, its shared info and the
  // kmalloc'ed head holding MAX_TCP_HEADER (SKB_TRUESIZE(skb_end_offset)).
  uint32_t skb_overhead = 768;
  // ca_ops->sndbuf_expand: 3 for BBR (bbr_sndbuf_expand), else 2.
  uint32_t expand_factor = 2;
  uint64_t wmem_default = 16384;  // net.ipv4.tcp_wmem[1]: the initial sk_sndbuf
  uint64_t wmem_max = 4194304;    // net.ipv4.tcp_wmem[2]: autotuning's ceiling
  bool sndbuf_locked = false;     // SO_SNDBUF was set (SOCK_SNDBUF_LOCK): no autotuning
};

// One skb of the send queue: the stream bytes [start, end) it carries.
struct SkbSpan {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t len() const { return end - start; }
};

struct ModelSocket {
  enum class Kind { kListener, kStream };

  Kind kind = Kind::kStream;
  int fd = -1;

  // --- listener (inet_csk accept queue) ---
  SockAddr local;
  int backlog = 0;
  std::deque<PendingConnection> accept_queue;

  // --- stream ---
  uint64_t conn_id = 0;
  SockAddr peer;
  uint64_t rcv_arrived = 0;   // bytes the peer has delivered to our receive queue
  uint64_t rcv_consumed = 0;  // bytes the application has read
  bool rcv_shutdown = false;  // peer's FIN arrived (RCV_SHUTDOWN)
  bool snd_shutdown = false;  // our shutdown(SHUT_WR) or the connection died
  bool closed_state = false;  // TCP_CLOSE: reset, or both directions done
  int pending_error = 0;      // sk_err (ECONNRESET after an RST), cleared by a read/write
  uint64_t snd_written = 0;   // bytes accepted by write() (write_seq)
  uint64_t snd_acked = 0;     // bytes the peer acknowledged (snd_una)
  uint64_t snd_sent = 0;      // bytes put on the wire (snd_nxt), when the driver knows it
  uint64_t sndbuf = 0;        // sk_sndbuf: payload bytes, or truesize bytes when tuned
  // SOCK_NOSPACE: a write found the buffer full, or tcp_poll found the
  // socket unwriteable (poll sets it too, so mutable).
  mutable bool nospace = false;

  // Kernel send-buffer accounting (off: the buffer is `sndbuf` payload
  // bytes, fixed). On: sk_wmem_queued counts skb truesize, and sk_sndbuf
  // grows with the congestion window (tcp_sndbuf_expand).
  bool tuned = false;
  SendTuning tuning;
  uint32_t cwnd = kTcpInitCwnd;  // estimated tp->snd_cwnd (segments)
  std::deque<SkbSpan> skbs;      // skbs holding unacknowledged bytes, in stream order

  // The socket's wait queue: epoll items registered on it. Non-exclusive
  // entries are added at the head, exclusive ones at the tail, as
  // add_wait_queue / add_wait_queue_exclusive do.
  std::vector<EpItem*> wait_queue;

  uint64_t readable_bytes() const { return rcv_arrived - rcv_consumed; }
  uint64_t snd_queued() const { return snd_written - snd_acked; }
  // sk_wmem_queued: what the send queue charges against sk_sndbuf.
  uint64_t wmem_queued() const;
  // __sk_stream_is_writeable: free space (sk_stream_wspace) at least half of
  // what is queued (sk_stream_min_wspace), and below the limit.
  bool writeable() const;

  // ---- send side, tuned or not ----
  // tcp_sendmsg_locked's copy loop: takes up to len bytes; returns how many
  // (0 when sk_stream_memory_free fails at once).
  uint64_t QueueBytes(uint64_t len);
  // The write queue holds exactly [0, end): used when a replay puts the
  // socket back in step with the recording.
  void AdoptWritten(uint64_t end);
  // tcp_ack -> tcp_clean_rtx_queue: bytes before acked_offset are freed, and
  // (tuned) the congestion window grows by the segments acknowledged.
  void Acked(uint64_t acked_offset);
  // tcp_init_buffer_space at the handshake: sk_sndbuf from tcp_wmem[1],
  // then tcp_sndbuf_expand.
  void Tune(const SendTuning& t);
  // tcp_new_space's first half: tcp_should_expand_sndbuf, then tcp_sndbuf_expand.
  void MaybeExpandSndbuf();

  // The mask tcp_poll / inet_csk_listen_poll would return now.
  uint32_t Poll() const;
};

}  // namespace reel::model
