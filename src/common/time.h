// Timestamps are Unix seconds (int64, UTC) everywhere in kgprofile.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kgp {

// The last second of year 9999: no time kgprofile stores is later.
inline constexpr int64_t kMaxTimestamp = 253402300799;

// Accepts "YYYY-MM-DD HH:MM:SS[ UTC|Z|+HH:MM]", "YYYY-MM-DDTHH:MM:SS…", "YYYY-MM-DD",
// or a non-negative integer (Unix seconds up to kMaxTimestamp; 13-digit values are taken as
// milliseconds): from 1970 to the end of 9999. Refuses impossible dates (31 June, 29 February of
// a common year, year 0) and anything after the offset.
std::optional<int64_t> ParseTimestamp(std::string_view s);
// "YYYY-MM-DD HH:MM:SS UTC"
std::string FormatTimestamp(int64_t unix_seconds);
// Days since 1970-01-01 for a civil date (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

// The wall clock in Unix seconds.
inline int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Seconds from t0 to now on the steady clock: phase timings in reports and -v logs.
inline double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace kgp
