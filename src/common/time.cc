#include "common/time.h"

#include <fmt/format.h>

#include "common/strings.h"

namespace kgp {

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

namespace {
bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// Whether UTC day `day` (days since 1970-01-01) ended with a leap second (23:59:60): the 27
// such days from 1972 to 2016 (none was announced since).
bool EndsWithLeapSecond(int64_t day) {
  static constexpr int kDays[][3] = {
      {1972, 6, 30},  {1972, 12, 31}, {1973, 12, 31}, {1974, 12, 31}, {1975, 12, 31}, {1976, 12, 31}, {1977, 12, 31},
      {1978, 12, 31}, {1979, 12, 31}, {1981, 6, 30},  {1982, 6, 30},  {1983, 6, 30},  {1985, 6, 30},  {1987, 12, 31},
      {1989, 12, 31}, {1990, 12, 31}, {1992, 6, 30},  {1993, 6, 30},  {1994, 6, 30},  {1995, 12, 31}, {1997, 6, 30},
      {1998, 12, 31}, {2005, 12, 31}, {2008, 12, 31}, {2012, 6, 30},  {2015, 6, 30},  {2016, 12, 31}};
  for (const auto& [y, m, d] : kDays)
    if (DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)) == day) return true;
  return false;
}
}  // namespace

std::optional<int64_t> ParseTimestamp(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return std::nullopt;
  bool all_digits = true;
  for (char c : s) all_digits &= (c >= '0' && c <= '9');
  if (all_digits) {
    auto v = ParseInt(s);
    if (!v) return std::nullopt;
    const int64_t t = s.size() >= 13 ? *v / 1000 : *v;
    if (t > kMaxTimestamp) return std::nullopt;
    return t;
  }
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!Digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, mo) || s[7] != '-' ||
      !Digits(s, 8, 2, d))
    return std::nullopt;
  // No year 0, no 31 June or 29 February 2019: an impossible date is refused, not rolled over.
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo)) return std::nullopt;
  size_t p = 10;
  if (p < s.size()) {
    if (s[p] != ' ' && s[p] != 'T') return std::nullopt;
    ++p;
    if (!Digits(s, p, 2, h) || p + 2 >= s.size() || s[p + 2] != ':' || !Digits(s, p + 3, 2, mi))
      return std::nullopt;
    p += 5;
    if (p < s.size() && s[p] == ':') {
      if (!Digits(s, p + 1, 2, sec)) return std::nullopt;
      p += 3;
    }
    if (p < s.size() && s[p] == '.') {  // fractional seconds: ignored
      ++p;
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
    }
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
  }
  int64_t offset = 0;
  std::string_view rest = Trim(s.substr(p));
  if (rest.empty() || rest == "UTC" || rest == "Z" || rest == "GMT") {
  } else if ((rest[0] == '+' || rest[0] == '-') && rest.size() >= 3) {
    int oh = 0, om = 0;
    if (!Digits(rest, 1, 2, oh)) return std::nullopt;
    size_t q = 3;
    if (q < rest.size() && rest[q] == ':') ++q;
    if (q < rest.size() && !Digits(rest, q, 2, om)) return std::nullopt;
    if (q < rest.size()) q += 2;
    if (q != rest.size() || oh > 23 || om > 59) return std::nullopt;  // "+05:30xyz" is not an offset
    offset = (oh * 3600 + om * 60) * (rest[0] == '+' ? 1 : -1);
  } else {
    return std::nullopt;
  }
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const int64_t t = days * 86400 + h * 3600 + mi * 60 + sec - offset;
  if (t < 0) return std::nullopt;  // before 1970: a placeholder (0001-01-01) or a typing error
  // Second 60 exists only as a leap second, 23:59:60 UTC on a day that had one; it is the next
  // day's first second, as Unix time counts it. Elsewhere it is a time that does not exist.
  if (sec == 60 && (t % 86400 != 0 || !EndsWithLeapSecond(t / 86400 - 1))) return std::nullopt;
  return t;
}

std::string FormatTimestamp(int64_t t) {
  int64_t z = (t >= 0 ? t : t - 86399) / 86400;
  int64_t secs = t - z * 86400;
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", y + (m <= 2), m, d, secs / 3600,
                     (secs / 60) % 60, secs % 60);
}

}  // namespace kgp
