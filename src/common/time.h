// Timestamps are Unix seconds (int64, UTC) everywhere in kgprofile.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kgp {

// Accepts "YYYY-MM-DD HH:MM:SS[ UTC|Z|+HH:MM]", "YYYY-MM-DDTHH:MM:SS…", "YYYY-MM-DD",
// or an integer (Unix seconds; 13-digit values are taken as milliseconds).
std::optional<int64_t> ParseTimestamp(std::string_view s);
// "YYYY-MM-DD HH:MM:SS UTC"
std::string FormatTimestamp(int64_t unix_seconds);
// Days since 1970-01-01 for a civil date (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

}  // namespace kgp
