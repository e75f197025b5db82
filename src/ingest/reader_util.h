// Internal helpers shared by the format readers (not part of the public API).
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "common/csv.h"
#include "common/status.h"
#include "ingest/readers.h"
#include "ingest/record.h"

namespace kgp::internal {

// Maps header names to column indices. Names compare case-insensitively, trimmed.
class HeaderIndex {
 public:
  // REQUIRES: reader positioned on the header row.
  Status Init(const CsvReader& reader, const std::vector<std::string>& required);
  int Find(std::string_view name) const;  // -1 if absent
  size_t width() const { return names_.size(); }
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
};

inline std::string_view Field(const CsvReader& r, int col) {
  return col >= 0 && static_cast<size_t>(col) < r.size() ? r[col] : std::string_view();
}

// Why an id field cannot be stored, or nullopt: empty ("missing user id"), or holding a control
// character (C0 or DEL: an escape sequence in an id would reach terminals and exports).
inline std::optional<std::string> IdProblem(std::string_view id, std::string_view what) {
  if (id.empty()) return fmt::format("missing {}", what);
  for (unsigned char c : id)
    if (c < 0x20 || c == 0x7f) return fmt::format("control character U+{:04X} in {}", c, what);
  return std::nullopt;
}

// Reports a reject for the current record. A record that spans several lines (a quoted field
// with newlines, or one left open until a later quote) says which, so that no line is lost
// unnamed.
inline void RejectRow(RecordSink& sink, const CsvReader& r, std::string field, std::string reason) {
  if (r.next_line() > r.line() + 1)
    reason += fmt::format(" (the record spans lines {}-{} through a quoted field)", r.line(), r.next_line() - 1);
  sink.OnReject(Reject{r.line(), std::move(field), std::move(reason)});
}

// Event times more than a day after this machine's clock are refused: a typing or unit error,
// and one such row would move the workspace's as-of date, and with it every profile's recency
// and lifecycle, into the future.
inline constexpr const char* kFutureTimeReason = "time more than a day after this machine's clock";
inline bool FutureTime(int64_t ts) {
  return ts > static_cast<int64_t>(std::time(nullptr)) + 86400;  // per call: a reader may run for days
}

// The CsvOptions a reader opens its file with: `base` plus the source encoding the caller
// chose (ReaderOptions::encoding), else `fallback` (the format's own, e.g. Latin-1 for u.item).
CsvOptions WithEncoding(CsvOptions base, const ReaderOptions& o, const char* fallback = "");

// Rejects the current record when a field is not valid UTF-8 (a GBK or Latin-1 file read as
// UTF-8), or holds a NUL byte (SQLite and C strings end text there): nothing invalid reaches the
// store, where JSON output would fail on it. Names the column from `names` (the header, or the
// format's fixed columns), else "column N", or "-" for a whole-line record. Returns false after
// the reject.
inline constexpr const char* kNulByteReason = "NUL byte (binary data?)";
bool CheckUtf8(RecordSink& sink, const CsvReader& r, const std::vector<std::string>& names);

// Rejects a record that spans several lines through a quoted field, for formats with one record
// per line (behaviour logs): a quote left open until a quote on a later line. Reading goes on at
// the record's second line, so only the line with the stray quote is lost. Returns true after
// the reject.
inline bool RejectMultiLine(RecordSink& sink, CsvReader& r) {
  if (r.next_line() <= r.line() + 1) return false;
  RejectRow(sink, r, "-", "a line break inside a quoted field (a quote left open?)");
  r.RereadFromSecondLine();
  return true;
}

// Rejects a record whose field count is not the header's `width` (a comma too many or too few),
// or that spans lines with text after a closing quote: a quote left open that swallowed the
// lines after it into one field until a later field's opening quote. A record spanning lines
// is rejected with its first line and reading goes on at its second line, so the rows a stray
// quote swallowed are read again, not lost. Returns true after the reject.
inline bool RejectWidth(RecordSink& sink, CsvReader& r, size_t width) {
  const bool spans = r.next_line() > r.line() + 1;
  if (r.size() == width && !(spans && r.text_after_quote())) return false;
  std::string reason = r.size() != width ? fmt::format("expected {} fields, found {}", width, r.size())
                                         : std::string("text after a closing quote");
  if (spans) {
    const uint64_t last = r.next_line() - 1;
    // Only the stray quote's signature (text after a closing quote) is re-read: a field that
    // rightly holds line breaks must not turn its lines into rows.
    reason += r.text_after_quote() && r.RereadFromSecondLine()
                  ? fmt::format(" (a quote left open? the record ran over lines {}-{}; reading goes on at line {})",
                                r.line(), last, r.line() + 1)
                  : fmt::format(" (the record spans lines {}-{} through a quoted field)", r.line(), last);
  }
  sink.OnReject(Reject{r.line(), "-", std::move(reason)});
  return true;
}

// Runs fn(reader) for each record whose fields are valid UTF-8 (CheckUtf8, naming columns from
// `names`), reporting progress and honouring ShouldStop(). With CsvOptions::single_line, a
// record spanning lines is rejected first (RejectMultiLine); with a `width`, a record of another
// field count is (RejectWidth).
template <typename Fn>
Status ForEachRecord(CsvReader& reader, RecordSink& sink, const std::vector<std::string>& names, Fn&& fn,
                     size_t width = 0) {
  while (!sink.ShouldStop()) {
    if (!reader.Next()) {
      if (!reader.bad_record()) break;
      // One malformed record (a quote left open, an overlong line) is rejected; reading goes
      // on at the line after its first.
      sink.OnReject(Reject{reader.next_line(), "-", reader.bad_record_reason()});
      reader.SkipBadRecord();
      continue;
    }
    // Before any field check: a record that a quote carried over lines gives its lines back.
    if (reader.options().single_line && RejectMultiLine(sink, reader)) continue;
    if (width > 0 && RejectWidth(sink, reader, width)) continue;  // before the bytes: the rows are re-read
    if (CheckUtf8(sink, reader, names)) fn(reader);
    sink.OnProgress(reader.end_offset());
  }
  return reader.status();
}
template <typename Fn>
Status ForEachRecord(CsvReader& reader, RecordSink& sink, Fn&& fn) {
  return ForEachRecord(reader, sink, {}, std::forward<Fn>(fn));
}

// "key=value;key=value" (catalog attributes, an events-csv variant) appended to out; false when
// a non-empty part is not key=value.
bool ParseAttributes(std::string_view s, std::vector<std::pair<std::string, std::string>>* out);

// "F"/"M"/"" from f, female, 女, m, male, 男 …; nullopt when unrecognised.
std::optional<std::string_view> NormaliseGender(std::string_view g);

}  // namespace kgp::internal
