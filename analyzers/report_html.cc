#include "analyzers/report_html.h"

#include <cctype>
#include <filesystem>

#include "analyzers/html_escape.h"

namespace reel::analyzers {

std::string RenderReportHtml(const ReportResult& report) {
  const std::string bundle = report.json.value("bundle", std::string("bundle"));
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<title>reel report: " + HtmlEscape(bundle) + "</title>\n";
  h += "<style>\n"
       "body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:80em;color:#222}\n"
       "pre{font:12px/1.35 ui-monospace,monospace;background:#f6f6f6;padding:.8em;"
       "overflow-x:auto}\n"
       "ul.findings li{margin:.2em 0}\n"
       ".ok{color:#176317}.bad{color:#a11}\n"
       "</style>\n</head>\n<body>\n";
  h += "<h1>reel report: " + HtmlEscape(bundle) + "</h1>\n";
  const auto& replay = report.json["replay"];
  if (replay.value("checked", false)) {
    bool ok = replay.value("reproduced", false);
    h += std::string("<p id=\"verdict\" class=\"") + (ok ? "ok" : "bad") +
         "\">replay: " + (ok ? "REPRODUCED" : "NOT REPRODUCED") + "</p>\n";
  }
  h += "<h2>Findings</h2>\n<ul class=\"findings\" id=\"findings\">\n";
  for (const std::string& f : report.findings) h += "<li>" + HtmlEscape(f) + "</li>\n";
  h += "</ul>\n";
  for (const ReportSection& s : report.sections) {
    std::string id = s.title.empty() ? "summary" : s.title;
    for (char& c : id)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '-';
    if (!s.title.empty()) h += "<h2>" + HtmlEscape(s.title) + "</h2>\n";
    h += "<pre class=\"section\" id=\"" + HtmlEscape(id) + "\">" + HtmlEscape(s.text) + "</pre>\n";
  }
  // Relative links: the timelines sit beside this file in the out-dir.
  namespace fs = std::filesystem;
  h += "<h2>Timelines</h2>\n<ul id=\"timelines\">\n";
  h += "<li><a href=\"" + HtmlEscape(fs::path(report.html_path).filename().string()) +
       "\">timeline and latency histograms (HTML)</a></li>\n";
  h += "<li><a href=\"" + HtmlEscape(fs::path(report.perfetto_path).filename().string()) +
       "\">Perfetto / chrome://tracing trace (JSON)</a> &mdash; open in ui.perfetto.dev</li>\n";
  h += "</ul>\n</body>\n</html>\n";
  return h;
}

}  // namespace reel::analyzers
