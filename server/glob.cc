#include "server/glob.h"

#include <cstddef>
#include <utility>

namespace reel {

namespace {

// Redis 7.2.6+ stops at this depth of '*' recursion (CVE-2024-31228); 7.0.15
// has no limit and would recurse until the stack overflows. Only patterns
// with more than a thousand separate '*' groups can tell the difference.
constexpr int kMaxNesting = 1000;

// The state of one match. Positions are indices into the pattern and the
// string; Redis's pointer/length pairs always end at the end of the input,
// so an index says everything.
class GlobMatcher {
 public:
  GlobMatcher(std::string_view pattern, std::string_view str, bool nocase)
      : pat_(pattern), str_(str), nocase_(nocase) {}

  bool Match(size_t p, size_t s, int nesting) {
    if (nesting > kMaxNesting) return false;
    while (p < pat_.size() && s < str_.size()) {
      switch (PatAt(p)) {
        case '*':
          // Collapse a run of stars; a trailing star matches everything.
          while (p < pat_.size() && PatAt(p + 1) == '*') p++;
          if (PatLeft(p) == 1) return true;
          for (; s < str_.size(); s++) {
            if (Match(p + 1, s, nesting + 1)) return true;
            if (skip_longer_matches_) return false;
          }
          // The rest of the pattern matches nowhere in the rest of the string,
          // so no earlier star can help by matching more: give up entirely.
          // This is what keeps patterns like "*a*a*a*b" from going exponential.
          skip_longer_matches_ = true;
          return false;
        case '?': s++; break;
        case '[':
          if (!MatchClass(&p, StrAt(s))) return false;
          s++;
          break;
        case '\\':
          if (PatLeft(p) >= 2) p++;
          [[fallthrough]];
        default:
          if (!SameByte(PatAt(p), StrAt(s))) return false;
          s++;
          break;
      }
      p++;
      if (s == str_.size()) {
        // The string is consumed: trailing stars still match the empty rest.
        while (PatAt(p) == '*') p++;
        break;
      }
    }
    return p == pat_.size() && s == str_.size();
  }

 private:
  // Bytes are read as signed chars, as Redis's `char` on x86; reading one
  // past the end yields the NUL that terminates Redis's sds strings.
  int PatAt(size_t i) const { return i < pat_.size() ? static_cast<signed char>(pat_[i]) : 0; }
  int StrAt(size_t i) const { return static_cast<signed char>(str_[i]); }
  size_t PatLeft(size_t p) const { return pat_.size() - p; }
  static int AsciiLower(int c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }
  bool SameByte(int a, int b) const { return nocase_ ? AsciiLower(a) == AsciiLower(b) : a == b; }

  // Matches byte c against the class starting at *p ('['), leaving *p on the
  // class's closing ']' (or on the last pattern byte when there is none).
  bool MatchClass(size_t* pp, int c) const {
    size_t p = *pp + 1;
    bool negate = PatAt(p) == '^';
    if (negate) p++;
    bool match = false;
    while (true) {
      if (PatAt(p) == '\\' && PatLeft(p) >= 2) {
        p++;
        if (PatAt(p) == c) match = true;  // escapes compare exactly, even with nocase
      } else if (PatAt(p) == ']') {
        break;
      } else if (PatLeft(p) == 0) {
        p--;  // unterminated class: it ends with the pattern
        break;
      } else if (PatLeft(p) >= 3 && PatAt(p + 1) == '-') {
        int start = PatAt(p), end = PatAt(p + 2), x = c;
        if (start > end) std::swap(start, end);
        if (nocase_) {
          start = AsciiLower(start);
          end = AsciiLower(end);
          x = AsciiLower(x);
        }
        p += 2;
        if (x >= start && x <= end) match = true;
      } else if (SameByte(PatAt(p), c)) {
        match = true;
      }
      p++;
    }
    *pp = p;
    return negate ? !match : match;
  }

  std::string_view pat_;
  std::string_view str_;
  bool nocase_;
  bool skip_longer_matches_ = false;
};

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase) {
  return GlobMatcher(pattern, str, nocase).Match(0, 0, 0);
}

}  // namespace reel
