// `reel report` as a library (docs/analyzers.md): one page on an incident
// bundle, built only from the other analyzers' libraries (trace summary,
// replay verdict, kernel-model fidelity, differential replay, latency,
// fairness, Perfetto/HTML export) so its numbers are the same ones those
// tools print.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace reel::analyzers {

struct ReportOptions {
  std::string input;    // bundle directory
  std::string out_dir;  // empty: ./reel-report-<bundle name>/
  bool html = false;    // also write <out_dir>/report.html
};

// One titled part of the page; the terminal page and report.html render the
// same sections, so the two can never disagree.
struct ReportSection {
  std::string title;  // empty: the page's heading block
  std::string text;   // preformatted, as the terminal shows it
};

struct ReportResult {
  std::vector<ReportSection> sections;
  std::vector<std::string> findings;  // the headline: what to look at first
  std::string text;                   // the terminal page
  nlohmann::json json;                // keys documented in docs/analyzers.md
  std::string perfetto_path, html_path, report_html_path;
};

// Default out-dir for a bundle path: ./reel-report-<basename>.
std::string DefaultReportDir(const std::string& input);

// False with a one-line *error on bad input or when the out-dir cannot be
// written (exit 2); true whatever the findings.
bool BuildReport(const ReportOptions& options, ReportResult* out, std::string* error);

}  // namespace reel::analyzers
