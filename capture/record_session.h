// RecordSession: one trace bundle being recorded by reel-server --record DIR.
// It owns the bundle directory's event log (events.reel, through a
// TraceWriter) and its meta.json, whose fields docs/trace-format.md lists.
//
// meta.json is written when recording starts (status "recording") and
// rewritten atomically (temp file + rename) at the end (status "complete",
// or "failed" when the server could not start),
// so a bundle whose server was SIGKILLed still says when and how it began.
//
// Recording never takes the server down (docs/capture.md, "When recording
// fails"): if the directory or the log cannot be created, the write buffer
// cannot be allocated, a write fails (ENOSPC, EIO, ...) or the log is
// removed while recording, the session prints one line on stderr, stops
// recording, and goes on counting every event it could not record; meta.json
// carries the loss ("recording_stopped", records.dropped) when it can still be
// written, and Finish reports when it cannot.
//
// Files are private: the directory is created 0700, the log and meta.json
// 0600 (traces hold whatever crossed the wire).
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
  RecordSession() = default;
  RecordSession(const RecordSession&) = delete;  // the writer calls back into it
  RecordSession& operator=(const RecordSession&) = delete;

  // Creates dir if needed (0700) and opens dir/events.reel. clock must be the
  // real, unrecorded kernel: its start/stop readings join event times to wall
  // time. REEL_TRACE_BUFFER_KB and REEL_TRACE_FLUSH_MS in the environment
  // override options (the same variables tune the LD_PRELOAD shim).
  // Returns false only for an empty dir. Any recording failure leaves a
  // session that records nothing and counts the events as dropped (see
  // above); recording() tells which.
  bool Open(const std::string& dir, Kernel& clock, std::vector<std::string> command_line,
            std::string* error, const TraceWriterOptions& options = {});

  TraceWriter& writer() { return writer_; }
  const std::string& dir() const { return dir_; }
  // False once recording has stopped (or never started) because of a failure.
  bool recording() const { return stop_reason_.empty(); }
  // Why recording stopped ("" while it runs).
  const std::string& stop_reason() const { return stop_reason_; }

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
  // The writer's on_stop hook: reason, meta.json, one line on stderr.
  static void OnWriterStopped(void* session, int err);
  void StopRecording(const std::string& reason);

  std::string dir_;
  bool dir_usable_ = false;  // the directory exists (meta.json may be writable)
  bool started_ = false;
  Kernel* clock_ = nullptr;
  TraceWriter writer_;
  TraceWriterOptions options_;
  std::vector<std::string> command_line_;
  std::string listen_address_;
  std::string digest_;
  std::string failure_;
  std::string stop_reason_;
  int64_t pid_ = 0;
  ClockPair start_, stop_;
};

// Writes a bundle file (meta.json) privately and durably enough to survive a
// full disk: path.tmp (mode 0600, 16 KiB reserved with fallocate) renamed over
// path. When the temp file cannot be written for lack of space (ENOSPC,
// EDQUOT), path is overwritten in place instead, inside the blocks the
// previous version reserved, so a bundle on a full disk still gets its final
// meta.json (not atomically then). fsync_file adds an fsync before the rename.
bool WriteBundleFile(const std::string& path, const std::string& text, bool fsync_file,
                     std::string* error);

}  // namespace reel
