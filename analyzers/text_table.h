// Plain-text tables and time formatting for the analyzers' default output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace reel::analyzers {

// Nanoseconds as milliseconds with three decimals ("300.281"); "-" for a
// negative (unknown) value.
std::string Ms(int64_t ns);

// "conn 3 127.0.0.1:5000": a connection as every analyzer names it; conn 0
// (a flow with no accept in the log) is "(no accept)".
std::string ConnLabel(uint64_t conn, const std::string& peer);

// Columns sized to their widest cell; the first `left_columns` left-aligned,
// the rest right-aligned (numbers).
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header, size_t left_columns = 1)
      : left_(left_columns) {
    rows_.push_back(std::move(header));
  }
  void Row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  // Every line starts with `indent`.
  std::string Render(const std::string& indent = "  ") const;

 private:
  size_t left_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace reel::analyzers
