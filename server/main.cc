// reel-server: the bundled Redis-style server.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "capture/record_session.h"
#include "capture/recording_kernel.h"
#include "server/fault_injecting_kernel.h"
#include "server/linux_kernel.h"
#include "server/server.h"
#include "server/server_cli.h"

int main(int argc, char** argv) {
  reel::ServerConfig config;
  reel::ServerProcessOptions process;
  CLI::App app{"reel-server: a Redis-compatible server on an ae-style epoll reactor"};
  // The same option set the replay parses a recorded command line with.
  reel::AddServerOptions(app, config, process);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  reel::ParseLogLevel(process.loglevel, &config.loglevel);
  std::string error;
  reel::FaultSpec fault_spec;
  if (!process.inject_faults.empty() &&
      !reel::ParseFaultSpec(process.inject_faults, &fault_spec, &error)) {
    std::fprintf(stderr, "reel-server: %s\n", error.c_str());  // the option check ran already
    return 2;
  }

  reel::LinuxKernel::InstallStopSignals();
  reel::LinuxKernel kernel;
  // The stack, innermost first: LinuxKernel -> FaultInjectingKernel
  // (--inject-faults) -> RecordingKernel (--record) -> Server. Faults sit
  // inside the recorder so a recording holds them as the server saw them
  // and its replay needs no fault injector.
  std::unique_ptr<reel::FaultInjectingKernel> faults;
  if (!process.inject_faults.empty()) {
    faults = std::make_unique<reel::FaultInjectingKernel>(kernel, fault_spec);
    std::fprintf(stderr, "reel-server: TESTING: injecting faults (%s)\n",
                 fault_spec.ToString().c_str());
  }
  reel::Kernel& io_kernel = faults ? static_cast<reel::Kernel&>(*faults) : kernel;
  std::unique_ptr<reel::RecordSession> session;
  std::unique_ptr<reel::RecordingKernel> recorder;
  if (!process.record_dir.empty()) {
    session = std::make_unique<reel::RecordSession>();
    // The session's clock is the real kernel: meta.json joins event times
    // to wall time and must not see injected faults.
    if (!session->Open(process.record_dir, kernel, std::vector<std::string>(argv, argv + argc),
                       &error)) {
      std::fprintf(stderr, "reel-server: %s\n", error.c_str());
      return 2;
    }
    recorder = std::make_unique<reel::RecordingKernel>(io_kernel, session->writer());
  }
  reel::Kernel& server_kernel = recorder ? static_cast<reel::Kernel&>(*recorder) : io_kernel;
  std::string digest;
  {
    reel::Server server(server_kernel, config);
    if (server.Start(&error) != 0) {
      std::fprintf(stderr, "reel-server: %s\n", error.c_str());
      std::string ignored;
      if (session) session->Fail(error, &ignored);
      return 2;
    }
    if (!process.port_file.empty()) {
      if (FILE* f = std::fopen(process.port_file.c_str(), "w")) {
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
  if (faults)  // always logged: a test reads it to know what the run went through
    std::fprintf(stderr, "reel-server: fault injection (%s): %s\n", fault_spec.ToString().c_str(),
                 faults->counters().ToString().c_str());
  if (config.loglevel <= reel::LogLevel::kNotice)
    std::fprintf(stderr, "reel-server: shutdown complete\n");
  return 0;
}
