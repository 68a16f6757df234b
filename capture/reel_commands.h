// The `reel` CLI's subcommands, one file each (reel_<name>.cc); reel_main.cc
// parses the command line and dispatches.
//
// Exit codes shared by every subcommand: 0 the bundle was read cleanly,
// 1 it was read but something was lost (a damaged log tail, records the
// writer dropped), 2 usage error or unreadable input (one-line message).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace reel::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitLosses = 1;
inline constexpr int kExitBadInput = 2;

// Loads DIR/meta.json when path is a bundle directory. Returns false with
// *meta null when there is none (a bare events.reel), false with *error set
// when it exists but cannot be parsed, true otherwise.
bool LoadBundleMeta(const std::string& path, nlohmann::json* meta, std::string* error);

// Records the recorder counted as dropped, according to meta.json (0 if unknown).
uint64_t MetaDroppedRecords(const nlohmann::json& meta);

// `reel events DIR [--json]`: every record, one per line.
int RunEvents(const std::string& path, bool json);

// `reel inspect DIR`: a human summary of a bundle.
int RunInspect(const std::string& path);

}  // namespace reel::cli
