// RecordSession: one trace bundle being recorded by reel-server --record DIR.
// It owns the bundle directory's event log (events.reel, through a
// TraceWriter) and its meta.json, whose fields docs/trace-format.md lists.
//
// meta.json is written when recording starts (status "recording") and
// rewritten atomically (temp file + rename) at the end (status "complete",
// or "failed" when the server could not start),
// so a bundle whose server was SIGKILLed still says when and how it began.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "capture/trace_writer.h"
#include "core/kernel.h"

namespace reel {

inline constexpr const char* kMetaFileName = "meta.json";
// Version of the bundle layout (meta.json fields, file names).
inline constexpr const char* kBundleFormatVersion = "1.0";

class RecordSession {
 public:
  // Creates dir if needed and opens dir/events.reel. clock must be the real,
  // unrecorded kernel: its start/stop readings join event times to wall time.
  bool Open(const std::string& dir, Kernel& clock, std::vector<std::string> command_line,
            std::string* error, const TraceWriterOptions& options = {});

  TraceWriter& writer() { return writer_; }
  const std::string& dir() const { return dir_; }

  // Call once the server listens; writes the first meta.json.
  bool Started(const std::string& listen_address, std::string* error);
  // Closes the log (flush + fsync), reads the stop clocks and writes the
  // final meta.json with the counts, any drops and the keyspace digest.
  bool Finish(const std::string& keyspace_digest, std::string* error);
  // Seals the bundle of a server that failed to start: status "failed" and
  // the reason, so the bundle explains itself.
  bool Fail(const std::string& reason, std::string* error);

 private:
  struct ClockPair {
    int64_t monotonic_ns = 0;
    int64_t realtime_ns = 0;
  };
  ClockPair ReadClocks();
  bool WriteMeta(const char* status, std::string* error);

  std::string dir_;
  Kernel* clock_ = nullptr;
  TraceWriter writer_;
  TraceWriterOptions options_;
  std::vector<std::string> command_line_;
  std::string listen_address_;
  std::string digest_;
  std::string failure_;
  int64_t pid_ = 0;
  ClockPair start_, stop_;
};

}  // namespace reel
