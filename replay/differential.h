// Differential replay for a bundle recorded from another server (Debian's
// redis-server through the LD_PRELOAD shim): the client byte streams the
// capture holds are fed through reel-server's own code, in the order and the
// chunks in which the recorded server read them, and every reply reel-server
// produces is compared with the reply the recorded server sent. The first
// reply that differs is reported with the command that produced it.
#pragma once

#include <cstdint>
#include <string>

#include "replay/bundle.h"

namespace reel::replay {

struct DifferentialReport {
  bool ran = false;
  std::string problem;  // why it could not run
  uint64_t connections = 0;
  uint64_t commands = 0;
  uint64_t replies_compared = 0;
  uint64_t replies_differing = 0;
  // Commands whose replies legitimately differ between servers (INFO, TIME,
  // CLIENT LIST, RANDOMKEY, ...): compared, but counted apart.
  uint64_t nondeterministic_differing = 0;
  std::string first_difference;  // conn, command, both replies
  // A redacted bundle: differences redaction explains (INCR on a redacted
  // value, SMEMBERS order, ...; replay/redaction_verdict.h), counted apart.
  uint64_t not_comparable_under_redaction = 0;
  std::string first_not_comparable;
};

DifferentialReport RunDifferential(const Bundle& bundle);

}  // namespace reel::replay
