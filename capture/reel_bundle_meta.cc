// Reading a bundle's meta.json for the `reel` subcommands.
#include <sys/stat.h>

#include <fstream>

#include "capture/record_session.h"
#include "capture/reel_commands.h"

namespace reel::cli {

bool LoadBundleMeta(const std::string& path, nlohmann::json* meta, std::string* error) {
  *meta = nullptr;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
  std::string file = path + "/" + kMetaFileName;
  std::ifstream in(file);
  if (!in) return false;
  *meta = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (meta->is_discarded() || !meta->is_object()) {
    *meta = nullptr;
    *error = file + ": not valid JSON";
    return false;
  }
  return true;
}

uint64_t MetaDroppedRecords(const nlohmann::json& meta) {
  if (!meta.is_object() || !meta.contains("records")) return 0;
  const auto& r = meta["records"];
  if (!r.is_object() || !r.contains("dropped") || !r["dropped"].is_number_unsigned()) return 0;
  return r["dropped"].get<uint64_t>();
}

}  // namespace reel::cli
