// Text into HTML: the pages reel writes (export --format html, report --html)
// are opened from incident bundles, whose strings (keys, commands, peers) come
// from the wire and must never become markup.
#pragma once

#include <string>

namespace reel::analyzers {

inline std::string HtmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control bytes have no business in a page (and are invalid in XML);
        // newlines and tabs are kept for <pre> blocks.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += "\\x";
          out += "0123456789abcdef"[(c >> 4) & 0xf];
          out += "0123456789abcdef"[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace reel::analyzers
