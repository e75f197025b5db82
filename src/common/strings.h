// Small string helpers shared by every module: numbers without locale, trimming,
// UTF-8 validation and encoding, HTML entities, lower-casing of ASCII.
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
// Trimmed as Trim, and every run of those spaces inside (\t, \r, \n included) one ASCII space:
// a single-line form of a name or key.
std::string CollapseSpaces(std::string_view s);
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

// For one-line text output: every control character (C0, DEL; a newline in a product title, an
// escape sequence) becomes a space.
std::string OneLine(std::string_view s);
// For quoting a bad value in an error message: controls and DEL are shown as \xNN, so the
// message names what was wrong without an escape sequence acting on the terminal.
std::string Printable(std::string_view s);

// Appends code point cp as UTF-8.
void AppendUtf8(char32_t cp, std::string* out);

// HTML/XML character references decoded, once: &amp; &lt; &gt; &quot; &apos; &nbsp; (U+00A0), a
// few common named ones (&rsquo;, &eacute; …) and numeric &#NNN; / &#xHH;. Anything else,
// including a reference to no valid character (&#0;, a surrogate), stays as written. Scraped
// review text (Amazon) carries them where a person reads the character.
std::string DecodeHtmlEntities(std::string_view s);

// Hex of raw bytes.
std::string HexEncode(std::string_view bytes);

}  // namespace kgp
