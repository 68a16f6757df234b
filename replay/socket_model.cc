#include "replay/socket_model.h"

#include "core/kernel.h"

namespace reel::model {

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
    if (writeable()) mask |= kEpollOut | kPollWrNorm;
  } else {
    mask |= kEpollOut | kPollWrNorm;
  }
  if (pending_error != 0) mask |= kEpollErr;
  return mask;
}

}  // namespace reel::model
