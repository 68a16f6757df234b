#include "server/command.h"
#include "server/keyspace.h"
#include "server/reply.h"

namespace reel {

void RegisterZSetCommands(CommandTable&) {}

}  // namespace reel
