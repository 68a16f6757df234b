#include "server/config.h"

namespace reel {

const char* LogLevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kVerbose: return "verbose";
    case LogLevel::kNotice: return "notice";
    case LogLevel::kWarning: return "warning";
  }
  return "notice";
}

bool ParseLogLevel(const std::string& s, LogLevel* out) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kVerbose, LogLevel::kNotice, LogLevel::kWarning}) {
    if (s == LogLevelName(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

}  // namespace reel
