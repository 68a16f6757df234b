#include "server/server_cli.h"

#include <algorithm>

#include "server/fault_injecting_kernel.h"

namespace reel {

void AddServerOptions(CLI::App& app, ServerConfig& config, ServerProcessOptions& process) {
  app.add_option("--port", config.port, "TCP port to listen on (0 = any free port)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--bind", config.bind, "address to bind (127.0.0.1, ::1, 0.0.0.0)");
  app.add_option("--maxclients", config.maxclients, "maximum connected clients")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--hz", config.hz, "serverCron frequency")->check(CLI::Range(1, 500));
  app.add_option("--maxevents", config.maxevents, "epoll_wait maxevents (default maxclients+128)")
      ->check(CLI::Range(1, 10000000));
  app.add_option("--loglevel", process.loglevel, "debug|verbose|notice|warning")
      ->check(CLI::IsMember({"debug", "verbose", "notice", "warning"}));
  app.add_option("--requirepass", config.requirepass, "password clients must AUTH with");
  app.add_option("--tcp-backlog", config.tcp_backlog, "listen(2) backlog");
  app.add_option("--slowlog-log-slower-than", config.slowlog_log_slower_than,
                 "microseconds; negative disables");
  app.add_option("--port-file", process.port_file,
                 "write the bound port to this file once listening (for tests using --port 0)");
  app.add_option("--record", process.record_dir,
                 "record a trace bundle (events.reel + meta.json, see docs/trace-format.md) "
                 "into this directory");
  app.add_option("--inject-faults", process.inject_faults,
                 "testing only: inject EAGAIN/EINTR/short reads and writes/ECONNRESET at a "
                 "seeded rate, e.g. seed=7,rate=0.02,kinds=eagain,eintr,short,reset "
                 "(docs/server.md)")
      ->check(CLI::Validator(
          [](std::string& text) {
            FaultSpec spec;
            std::string error;
            return ParseFaultSpec(text, &spec, &error) ? std::string() : error;
          },
          "SPEC"));
}

bool ServerConfigFromArgs(const std::vector<std::string>& args, ServerConfig* config,
                          ServerProcessOptions* process, std::string* error) {
  CLI::App app{"reel-server"};
  AddServerOptions(app, *config, *process);
  std::vector<std::string> rest(args.size() > 1 ? args.begin() + 1 : args.end(), args.end());
  std::reverse(rest.begin(), rest.end());  // CLI11 parses a reversed vector
  try {
    app.parse(rest);
  } catch (const CLI::ParseError& e) {
    *error = std::string("recorded command line does not parse: ") + e.what();
    return false;
  }
  ParseLogLevel(process->loglevel, &config->loglevel);
  return true;
}

}  // namespace reel
