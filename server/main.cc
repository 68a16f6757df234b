// reel-server: the bundled Redis-style server.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "server/linux_kernel.h"
#include "server/server.h"

int main(int argc, char** argv) {
  reel::ServerConfig config;
  std::string loglevel = "notice";
  CLI::App app{"reel-server: a Redis-compatible server on an ae-style epoll reactor"};
  app.add_option("--port", config.port, "TCP port to listen on (0 = any free port)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--bind", config.bind, "address to bind (127.0.0.1, ::1, 0.0.0.0)");
  app.add_option("--maxclients", config.maxclients, "maximum connected clients")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--hz", config.hz, "serverCron frequency")->check(CLI::Range(1, 500));
  app.add_option("--maxevents", config.maxevents,
                 "epoll_wait maxevents (default maxclients+128)")
      ->check(CLI::Range(1, 10000000));
  app.add_option("--loglevel", loglevel, "debug|verbose|notice|warning")
      ->check(CLI::IsMember({"debug", "verbose", "notice", "warning"}));
  app.add_option("--requirepass", config.requirepass, "password clients must AUTH with");
  app.add_option("--tcp-backlog", config.tcp_backlog, "listen(2) backlog");
  app.add_option("--slowlog-log-slower-than", config.slowlog_log_slower_than,
                 "microseconds; negative disables");
  std::string port_file;
  app.add_option("--port-file", port_file,
                 "write the bound port to this file once listening (for tests using --port 0)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  reel::ParseLogLevel(loglevel, &config.loglevel);

  reel::LinuxKernel::InstallStopSignals();
  reel::LinuxKernel kernel;
  reel::Server server(kernel, config);
  std::string error;
  if (server.Start(&error) != 0) {
    std::fprintf(stderr, "reel-server: %s\n", error.c_str());
    return 2;
  }
  if (!port_file.empty()) {
    if (FILE* f = std::fopen(port_file.c_str(), "w")) {
      std::fprintf(f, "%d\n", server.bound_port());
      std::fclose(f);
    }
  }
  if (config.loglevel <= reel::LogLevel::kNotice)
    std::fprintf(stderr, "reel-server ready to accept connections on %s:%d\n", config.bind.c_str(),
                 server.bound_port());
  server.Run();
  if (config.loglevel <= reel::LogLevel::kNotice)
    std::fprintf(stderr, "reel-server: shutdown complete\n");
  return 0;
}
