// One event-log record as a JSON object, the shape `reel events --json`
// prints (one per line) and docs/trace-format.md documents.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "capture/trace_reader.h"

namespace reel {

nlohmann::json RecordToJson(const TraceRecord& rec);

// "EAGAIN" for 11; the number as text when the C library has no name for it.
std::string ErrnoName(int err);

}  // namespace reel
