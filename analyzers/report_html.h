// `reel report --html`: the report's sections as one self-contained page (no
// scripts, no network fetches), linking the timelines written beside it.
#pragma once

#include <string>

#include "analyzers/report.h"

namespace reel::analyzers {

std::string RenderReportHtml(const ReportResult& report);

}  // namespace reel::analyzers
