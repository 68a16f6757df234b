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

struct EpItem;

// A connection that completed its handshake and waits in the accept queue.
struct PendingConnection {
  uint64_t conn_id;
  SockAddr peer;
  SockAddr local;
  int64_t established_ns;
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
  uint64_t snd_written = 0;   // bytes accepted by write()
  uint64_t snd_acked = 0;     // bytes the peer acknowledged
  uint64_t sndbuf = 0;        // send buffer capacity (payload bytes)
  bool nospace = false;       // SOCK_NOSPACE: a write found the buffer full

  // The socket's wait queue: epoll items registered on it. Non-exclusive
  // entries are added at the head, exclusive ones at the tail, as
  // add_wait_queue / add_wait_queue_exclusive do.
  std::vector<EpItem*> wait_queue;

  uint64_t readable_bytes() const { return rcv_arrived - rcv_consumed; }
  uint64_t snd_queued() const { return snd_written - snd_acked; }
  uint64_t snd_free() const { return sndbuf > snd_queued() ? sndbuf - snd_queued() : 0; }
  // __sk_stream_is_writeable: free space at least half of what is queued.
  bool writeable() const { return snd_free() > 0 && snd_free() >= snd_queued() / 2; }

  // The mask tcp_poll / inet_csk_listen_poll would return now.
  uint32_t Poll() const;
};

}  // namespace reel::model
