// Number <-> string conversions with Redis's exact rules (util.c string2ll,
// string2ld, ld2string), so replies and error texts match Redis byte for byte.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace reel {

// Strict base-10 parse: optional '-', no '+', no leading zeros (except "0"),
// no spaces, fits in int64. Redis's string2ll.
std::optional<int64_t> ParseInt64(std::string_view s);

// Redis's string2ld/strtold rules for INCRBYFLOAT and ZADD scores: no
// leading/trailing space, "inf"/"-inf" accepted, NaN rejected.
std::optional<long double> ParseLongDouble(std::string_view s);
std::optional<double> ParseDouble(std::string_view s);

// Formats like Redis's ld2string(LD_STR_HUMAN) used by INCRBYFLOAT replies:
// "%.17Lf" with trailing zeros (and a trailing dot) removed.
std::string FormatLongDoubleHuman(long double v);
// Formats a double reply like Redis's addReplyDouble (RESP2): "%.17g", with
// "inf"/"-inf".
std::string FormatDouble(double v);

// Appends the decimal form of v to out without allocating a temporary.
void AppendInt64(std::string& out, int64_t v);

}  // namespace reel
