// Small string helpers shared by every module: numbers without locale, trimming,
// Latin-1 → UTF-8, UTF-8 validation, lower-casing of ASCII.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kgp {

// Without leading and trailing ASCII white space, ideographic spaces (U+3000, common in Chinese
// data) and no-break spaces (U+00A0).
std::string_view Trim(std::string_view s);
std::vector<std::string_view> Split(std::string_view s, char sep);
std::string ToLowerAscii(std::string_view s);
// Same, into a caller's buffer (hot paths: no allocation once out has grown).
void ToLowerAscii(std::string_view s, std::string* out);
bool StartsWith(std::string_view s, std::string_view prefix);

// Whole-string parses; nullopt on any junk, overflow or empty input. Surrounding spaces allowed.
std::optional<int64_t> ParseInt(std::string_view s);
std::optional<uint64_t> ParseUint(std::string_view s);
std::optional<double> ParseDouble(std::string_view s);  // finite values only

bool IsValidUtf8(std::string_view s);
// Replaces invalid sequences with U+FFFD so that stored text is always valid UTF-8.
std::string SanitizeUtf8(std::string_view s);

// Hex of raw bytes.
std::string HexEncode(std::string_view bytes);

}  // namespace kgp
