#include "analyzers/text_table.h"

#include <algorithm>
#include <cstdio>

namespace reel::analyzers {

std::string Ms(int64_t ns) {
  if (ns < 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ns / 1000000),
                static_cast<long long>(ns / 1000 % 1000));
  return buf;
}

std::string ConnLabel(uint64_t conn, const std::string& peer) {
  std::string s = conn == 0 ? "(no accept)" : "conn " + std::to_string(conn);
  if (!peer.empty()) s += " " + peer;
  return s;
}

std::string TextTable::Render(const std::string& indent) const {
  std::vector<size_t> width;
  for (const auto& row : rows_) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); i++) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows_) {
    std::string line = indent;
    for (size_t i = 0; i < row.size(); i++) {
      if (i > 0) line += "  ";
      std::string pad(width[i] - row[i].size(), ' ');
      line += i < left_ ? row[i] + pad : pad + row[i];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace reel::analyzers
