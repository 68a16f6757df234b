// Glob-style pattern matching with the exact rules of Redis's stringmatchlen
// (util.c), used by KEYS, SCAN MATCH and anything else that takes a Redis
// pattern: '*' any run of bytes, '?' one byte, '[abc]' / '[^abc]' / '[a-z]'
// byte classes, and '\x' for a literal x.
//
// Redis's quirks are kept on purpose, because clients observe them: bytes
// compare as signed chars (so '[a-\xff]' does not contain 'b'), a range's
// ends may be given in either order, an unterminated '[' class runs to the
// end of the pattern, and a trailing lone '\' matches a literal backslash.
#pragma once

#include <string_view>

namespace reel {

// True if `str` matches `pattern`. With nocase, ASCII letters compare
// case-insensitively (as in the C locale).
bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase = false);

}  // namespace reel
