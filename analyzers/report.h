// `reel report` as a library (docs/analyzers.md): one page on an incident
// bundle, built only from the other analyzers' libraries (trace summary,
// replay verdict, latency, fairness, Perfetto/HTML export) so its numbers are
// the same ones those tools print.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace reel::analyzers {

struct ReportOptions {
  std::string input;    // bundle directory (or timeline file)
  std::string out_dir;  // empty: ./reel-report-<bundle name>/
};

struct ReportResult {
  std::string text;     // the terminal page
  nlohmann::json json;  // keys documented in docs/analyzers.md
  std::string perfetto_path, html_path;
};

// Default out-dir for a bundle path: ./reel-report-<basename>.
std::string DefaultReportDir(const std::string& input);

// False with a one-line *error on bad input or when the out-dir cannot be
// written (exit 2); true whatever the findings.
bool BuildReport(const ReportOptions& options, ReportResult* out, std::string* error);

}  // namespace reel::analyzers
