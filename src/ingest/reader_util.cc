#include "ingest/reader_util.h"

#include <fmt/format.h>

#include "common/strings.h"

namespace kgp::internal {

Status HeaderIndex::Init(const CsvReader& reader, const std::vector<std::string>& required) {
  names_.clear();
  for (auto f : reader.fields()) names_.push_back(ToLowerAscii(Trim(f)));
  std::vector<std::string> missing;
  for (const auto& r : required)
    if (Find(r) < 0) missing.push_back(r);
  if (!missing.empty()) {
    return Status::InvalidArgument(fmt::format("{}:{}: header lacks column(s) {}", reader.path(),
                                               reader.line(), fmt::join(missing, ", ")));
  }
  return Status::Ok();
}

int HeaderIndex::Find(std::string_view name) const {
  std::string n = ToLowerAscii(name);
  for (size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == n) return static_cast<int>(i);
  return -1;
}

CsvOptions WithEncoding(CsvOptions base, const ReaderOptions& o, const char* fallback) {
  base.encoding = o.encoding.empty() ? fallback : o.encoding;
  return base;
}

namespace {
bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }
}  // namespace

bool CheckUtf8(RecordSink& sink, const CsvReader& r, const std::vector<std::string>& names) {
  if (r.size() == 0) return true;
  // Whole lines (JSON Lines) are split at NUL bytes: a line that holds one is several fields.
  if (r.options().delimiter == '\0' && r.size() > 1) return RejectRow(sink, r, "-", kNulByteReason), false;
  // Most rows are unquoted lines: fields side by side, one ASCII delimiter byte between each
  // two. Such a span is valid UTF-8 iff every field is, so it is checked in one pass.
  bool one_span = true;
  for (size_t i = 0; one_span && i + 1 < r.size(); ++i) {
    const char* end = r[i].data() + r[i].size();
    one_span = r[i + 1].data() == end + 1 && static_cast<unsigned char>(*end) < 0x80;
  }
  const char* lo = r[0].data();
  if (one_span) {
    const std::string_view span(lo, static_cast<size_t>(r[r.size() - 1].data() - lo) + r[r.size() - 1].size());
    if (IsValidUtf8(span) && !HasNul(span)) return true;
  }
  for (size_t i = 0; i < r.size(); ++i) {
    const bool utf8 = IsValidUtf8(r[i]);
    if (utf8 && !HasNul(r[i])) continue;
    std::string field = i < names.size() && !names[i].empty() ? names[i]
                        : r.size() == 1                       ? std::string("-")
                                                              : fmt::format("column {}", i + 1);
    // Read through --encoding, a byte sequence that encoding does not have comes out as 0xFF
    // (csv.h): the row is not valid in the encoding named, which "invalid UTF-8" did not say.
    const std::string& enc = r.options().encoding;
    const bool bad_unit = !utf8 && !IsUtf8Name(enc) && r[i].find('\xFF') != std::string_view::npos;
    RejectRow(sink, r, std::move(field),
              utf8 ? kNulByteReason : bad_unit ? fmt::format("not valid {}", enc) : kInvalidUtf8Reason);
    return false;
  }
  return true;
}

bool ParseAttributes(std::string_view s, std::vector<std::pair<std::string, std::string>>* out) {
  for (auto kv : Split(Trim(s), ';')) {
    kv = Trim(kv);
    if (kv.empty()) continue;
    const size_t eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0) return false;
    out->emplace_back(std::string(Trim(kv.substr(0, eq))), std::string(Trim(kv.substr(eq + 1))));
  }
  return true;
}

std::optional<std::string_view> NormaliseGender(std::string_view g) {
  g = Trim(g);
  if (g.empty()) return std::string_view();
  std::string l = ToLowerAscii(g);
  if (l == "f" || l == "female" || l == "w" || l == "woman" || g == "女") return std::string_view("F");
  if (l == "m" || l == "male" || l == "man" || g == "男") return std::string_view("M");
  if (l == "u" || l == "unknown" || l == "-" || l == "未知") return std::string_view();
  return std::nullopt;
}

}  // namespace kgp::internal
