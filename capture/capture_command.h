// `reel capture`: launches a server, records it into a trace bundle (event
// log + packets.pcap + meta.json) until it exits, `reel capture` is asked to
// stop (SIGINT/SIGTERM) or --duration ends, then prints one summary line.
// docs/capture.md is the user documentation.
//
//   reel capture --out DIR --port P [--iface lo] [--filter EXPR]
//                [--duration S] [--no-pcap] [--ring SIZE [--trigger-stall MS]]
//                [--redact keys|values|all] -- COMMAND ARGS...
//
// COMMAND reel-server is recorded through its own --record DIR; any other
// dynamically linked server through libreel-preload.so (LD_PRELOAD).
// Exit codes: 0 captured cleanly, 1 captured with losses, 2 usage or setup
// error (one line on stderr).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace reel::cli {

struct CaptureOptions {
  std::string out;
  int port = 0;
  std::string iface = "lo";
  std::string filter;     // default "tcp port P"
  double duration_s = 0;  // 0: no limit
  bool no_pcap = false;
  bool pcap_buffered = false;  // TPACKET_V3 block delivery instead of immediate mode
  int pcap_buffer_kb = 32768;
  double stop_timeout_s = 10;  // SIGTERM to SIGKILL
  std::string preload;         // libreel-preload.so; default: beside the reel executable
  // Flight recorder: keep the newest ring_bytes of packets and events in
  // memory; write DIR/dump-<n>-<reason>/ on SIGUSR1, on the server dying
  // from a signal, or (trigger_stall_ms > 0) on a slow event-loop iteration.
  std::string ring;  // "64M" etc.; empty: record everything to DIR
  int trigger_stall_ms = 0;
  // --redact keys|values|all: rewrite the finished bundle (and each flight
  // recorder dump) so it no longer holds those strings. The pass lives in
  // replay/ (it needs the TCP reassembly, which capture/ must not depend
  // on); reel_main.cc plugs replay::RedactBundleForCapture in here.
  std::string redact;  // empty: no redaction
  std::function<bool(const std::string& dir, const std::string& mode,
                     const std::array<uint8_t, 16>& secret, std::string* summary,
                     std::string* error)>
      redactor;
  std::vector<std::string> command;
};

// Registers the `capture` subcommand on app, parsing into *options.
CLI::App* AddCaptureCommand(CLI::App& app, CaptureOptions* options);

int RunCapture(const CaptureOptions& options);

}  // namespace reel::cli
