// Format readers: one function per input format, all streaming through a RecordSink.
// Every rejected row is reported with its line, field and reason; a reader returns a non-OK
// Status only when the file cannot be read at all (missing, unreadable, unterminated quote at
// end of file), never for a bad row. See docs/formats.md for each format.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ingest/record.h"

namespace kgp {

struct ReaderOptions {
  // Generic events CSV: logical field -> column name (or 0-based index when has_header is
  // false). Logical fields: user, item, type, time, price, session, category, category_code,
  // brand, rating, variant ("size=M;color=red"). user, item and time are required; a missing
  // type means default_type.
  std::map<std::string, std::string> columns;
  char delimiter = ',';
  bool has_header = true;
  std::string default_type = "view";
  // Sequences (`user item item …`): the event type each position becomes.
  std::string sequence_type = "purchase";
  // Source encoding of the file (any name iconv knows: GB18030, GBK, BIG5, LATIN1, UTF-16 …),
  // converted to UTF-8 as it is read; empty: UTF-8 (u.item: Latin-1). Rows that are not valid
  // UTF-8 after this are rejected, naming the field.
  std::string encoding;
  // Users: keep contact columns (name, phone, email, address; common/pii.h) in the record
  // instead of dropping them. Set by the ingest driver from the workspace's store_pii setting.
  bool keep_pii = false;
};

struct FormatInfo {
  const char* name;
  const char* description;
  bool is_directory;  // the path names a folder (MovieLens)
};
const std::vector<FormatInfo>& Formats();

// The reject reason of a row that is not valid UTF-8 (after ReaderOptions::encoding).
inline constexpr const char* kInvalidUtf8Reason = "invalid UTF-8";
bool IsKnownFormat(std::string_view name);

// Reads one file (or folder, for directory formats) of the named format into sink.
Status ReadFormat(std::string_view format, const std::string& path, const ReaderOptions& opts,
                  RecordSink& sink);

// Guesses a format from the file name and first line (read in `encoding`, as ReaderOptions);
// empty when unsure.
std::string DetectFormat(const std::string& path, const std::string& encoding = "");

}  // namespace kgp
