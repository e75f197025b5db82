// Internal helpers shared by the format readers (not part of the public API).
#pragma once

#include <string>
#include <string_view>
#include <vector>

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

// Reports a reject for the current record.
inline void RejectRow(RecordSink& sink, const CsvReader& r, std::string field, std::string reason) {
  sink.OnReject(Reject{r.line(), std::move(field), std::move(reason)});
}

// The CsvOptions a reader opens its file with: `base` plus the source encoding the caller
// chose (ReaderOptions::encoding), else `fallback` (the format's own, e.g. Latin-1 for u.item).
CsvOptions WithEncoding(CsvOptions base, const ReaderOptions& o, const char* fallback = "");

// Rejects the current record when a field is not valid UTF-8 (a GBK or Latin-1 file read as
// UTF-8): nothing invalid reaches the store, where JSON output would fail on it. Names the
// column from `names` (the header, or the format's fixed columns), else "column N", or "-" for
// a whole-line record. Returns false after the reject.
bool CheckUtf8(RecordSink& sink, const CsvReader& r, const std::vector<std::string>& names);

// Runs fn(reader) for each record whose fields are valid UTF-8 (CheckUtf8, naming columns from
// `names`), reporting progress and honouring ShouldStop().
template <typename Fn>
Status ForEachRecord(CsvReader& reader, RecordSink& sink, const std::vector<std::string>& names, Fn&& fn) {
  while (!sink.ShouldStop() && reader.Next()) {
    if (CheckUtf8(sink, reader, names)) fn(reader);
    sink.OnProgress(reader.end_offset());
  }
  if (!reader.status().ok()) {
    // A fatal parse error (unterminated quote) ends the file; the row is reported too.
    sink.OnReject(Reject{reader.next_line(), "-", "unterminated quoted field"});
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
