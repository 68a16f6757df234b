// Helpers shared by the capture unit tests: scratch files and whole-log
// writing/reading.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "capture/trace_reader.h"
#include "capture/trace_writer.h"

namespace reel::testing {

// A fresh directory under the test temp dir, removed at destruction.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = ::testing::TempDir() + "reel_capture_XXXXXX";
    path_ = mkdtemp(tmpl.data()) ? tmpl : std::string();
  }
  ~ScratchDir() {
    if (!path_.empty()) std::system(("rm -rf '" + path_ + "'").c_str());
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

inline trace::Header TestHeader() {
  trace::Header h;
  h.start_mono_ns = 5'000'000'000;
  h.start_real_ns = 1'700'000'000'000'000'000;
  h.pid = 4242;
  return h;
}

// Decodes an in-memory log; fails the test on a bad header.
struct Decoded {
  std::vector<TraceRecord> records;
  std::string damage;
  uint64_t dropped_bytes = 0;
  uint64_t valid_bytes = 0;
  std::string error;  // header error
};

inline Decoded Decode(const std::string& data, bool verify = true) {
  Decoded d;
  TraceReader r(data, verify);
  if (!r.ReadHeader()) {
    d.error = r.error();
    return d;
  }
  TraceRecord rec;
  while (r.Next(&rec)) d.records.push_back(rec);
  d.damage = r.damage();
  d.dropped_bytes = r.dropped_bytes();
  d.valid_bytes = r.valid_bytes();
  return d;
}

}  // namespace reel::testing
