// reel-server's command-line options, shared by the executable and by the
// replay, which must configure the server exactly as the recorded one was
// (maxclients, hz, maxevents, ... change what the server does).
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "server/config.h"

namespace reel {

// Options that belong to the process, not to the Server object.
struct ServerProcessOptions {
  std::string loglevel = "notice";
  std::string port_file;   // write the bound port here once listening
  std::string record_dir;  // --record DIR
  // --inject-faults SPEC (testing only, server/fault_injecting_kernel.h);
  // empty: none. A replay ignores it: the faults are in the recording.
  std::string inject_faults;
};

// Registers every reel-server option on app, writing into config/process.
void AddServerOptions(CLI::App& app, ServerConfig& config, ServerProcessOptions& process);

// Parses a recorded command line (argv[0] included). False with a one-line
// *error if it does not parse.
bool ServerConfigFromArgs(const std::vector<std::string>& args, ServerConfig* config,
                          ServerProcessOptions* process, std::string* error);

}  // namespace reel
