#include "replay/reel_replay.h"

#include <cctype>

#include "replay/bundle.h"
#include "replay/replay_driver.h"

namespace reel {

namespace {
bool SameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}
}  // namespace

std::vector<std::string> ReplayResult::RepliesTo(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& c : commands)
    if (!c.argv.empty() && SameName(c.argv[0], name)) out.push_back(c.reply);
  return out;
}

std::vector<ReplayedCommand> ReplayResult::OnConnection(uint64_t conn) const {
  std::vector<ReplayedCommand> out;
  for (const auto& c : commands)
    if (c.conn == conn) out.push_back(c);
  return out;
}

ReplayResult ReplayBundle(const std::string& dir) {
  ReplayResult result;
  replay::Bundle bundle;
  if (!replay::LoadBundle(dir, &bundle, &result.error)) return result;
  result.loaded = true;
  replay::ReplayOptions options;
  options.commands = &result.commands;
  replay::TimelineWriter timeline(&result.timeline, options.timeline);
  replay::ReplayVerdict v = replay::ReplayRecorded(bundle, options, &timeline);
  if (!v.runnable) {
    result.loaded = false;
    result.error = v.problem;
    return result;
  }
  result.reproduced = v.reproduced();
  result.verdict = v.Describe();
  return result;
}

}  // namespace reel
