#include "server/command.h"
#include "server/keyspace.h"
#include "server/reply.h"

namespace reel {

void RegisterSetCommands(CommandTable&) {}

}  // namespace reel
