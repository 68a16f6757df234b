// TimelineReader::Open, apart from the reader itself: a bundle directory is
// replayed first, which pulls in the whole replay library. The parser and the
// diff (and their fuzzer) do not need it.
#include <sys/stat.h>

#include "analyzers/timeline_reader.h"
#include "replay/reel_replay.h"

namespace reel::analyzers {
namespace {

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

bool TimelineReader::Open(const std::string& path, std::string* error) {
  if (IsDirectory(path)) {
    ReplayResult r = ReplayBundle(path);
    if (!r.loaded) {
      *error = path + ": " + r.error;
      return false;
    }
    OpenText(std::move(r.timeline));
    return true;
  }
  return OpenFile(path, error);
}

}  // namespace reel::analyzers
