// The one-line description of a connection that CLIENT LIST and CLIENT
// INFO print, in Redis 7.0's field order (networking.c catClientInfoString).
#pragma once

#include <string>

#include "server/command.h"

namespace reel {

class Client;

// Appends c's line (without the trailing newline) to out. ctx is the
// running command: its clock gives age/idle, and its client is the one whose
// arguments are in flight (argv-mem).
void AppendClientInfo(std::string& out, Client& c, const CommandContext& ctx);

}  // namespace reel
