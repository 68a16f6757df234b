// reel-server: the bundled Redis-style server.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "capture/record_session.h"
#include "capture/recording_kernel.h"
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
  app.add_option("--maxevents", config.maxevents, "epoll_wait maxevents (default maxclients+128)")
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
  std::string record_dir;
  app.add_option("--record", record_dir,
                 "record a trace bundle (events.reel + meta.json, see docs/trace-format.md) "
                 "into this directory");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  reel::ParseLogLevel(loglevel, &config.loglevel);

  reel::LinuxKernel::InstallStopSignals();
  reel::LinuxKernel kernel;
  // --record: the server talks to a RecordingKernel that forwards to the
  // LinuxKernel and logs every call.
  std::unique_ptr<reel::RecordSession> session;
  std::unique_ptr<reel::RecordingKernel> recorder;
  std::string error;
  if (!record_dir.empty()) {
    session = std::make_unique<reel::RecordSession>();
    if (!session->Open(record_dir, kernel, std::vector<std::string>(argv, argv + argc), &error)) {
      std::fprintf(stderr, "reel-server: %s\n", error.c_str());
      return 2;
    }
    recorder = std::make_unique<reel::RecordingKernel>(kernel, session->writer());
  }
  reel::Kernel& server_kernel = recorder ? static_cast<reel::Kernel&>(*recorder) : kernel;
  std::string digest;
  {
    reel::Server server(server_kernel, config);
    if (server.Start(&error) != 0) {
      std::fprintf(stderr, "reel-server: %s\n", error.c_str());
      std::string ignored;
      if (session) session->Fail(error, &ignored);
      return 2;
    }
    if (!port_file.empty()) {
      if (FILE* f = std::fopen(port_file.c_str(), "w")) {
        std::fprintf(f, "%d\n", server.bound_port());
        std::fclose(f);
      }
    }
    if (session) {
      auto addr =
          reel::SockAddr::FromHostPort(config.bind, static_cast<uint16_t>(server.bound_port()));
      std::string listen =
          addr ? addr->ToString() : config.bind + ":" + std::to_string(server.bound_port());
      if (!session->Started(listen, &error))
        std::fprintf(stderr, "reel-server: warning: %s\n", error.c_str());
    }
    if (config.loglevel <= reel::LogLevel::kNotice)
      std::fprintf(stderr, "reel-server ready to accept connections on %s:%d\n",
                   config.bind.c_str(), server.bound_port());
    server.Run();
    if (session) digest = server.db().Digest();  // replay compares its final state to this
  }
  if (session) {
    // The server (and its last close calls) is gone; seal the bundle.
    if (!session->Finish(digest, &error))
      std::fprintf(stderr, "reel-server: warning: %s\n", error.c_str());
    const reel::TraceWriterStats& s = session->writer().stats();
    if (s.records_dropped > 0)
      std::fprintf(stderr, "reel-server: warning: %llu of %llu recorded events were dropped (%s)\n",
                   static_cast<unsigned long long>(s.records_dropped),
                   static_cast<unsigned long long>(s.records),
                   s.write_errno ? std::strerror(s.write_errno) : "writer closed");
  }
  if (config.loglevel <= reel::LogLevel::kNotice)
    std::fprintf(stderr, "reel-server: shutdown complete\n");
  return 0;
}
