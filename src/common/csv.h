// Streaming delimited-text reader: CSV (RFC 4180 quoting, "" escapes, quoted newlines),
// TSV and other single-byte delimiters. Strips a UTF-8 BOM, accepts LF and CRLF (a file whose
// lines end in a lone CR is refused: status() says so; a lone CR inside a line is data, quoted
// or not), skips blank lines, tracks the physical line number and byte offset of each record so
// that errors can name file:line and ingest can resume. Reads in 1 MiB chunks: memory is
// bounded by the longest record (capped at kMaxRecordBytes), never by the file. Input in
// another encoding (GB18030, GBK, Big5, Latin-1, UTF-16 …: CsvOptions::encoding) is converted
// to UTF-8 as it is read; a code unit invalid in that encoding becomes byte 0xFF (never valid
// UTF-8), so a caller that checks UTF-8 (ingest does, per field) rejects its row instead of the
// file.
// Not thread-safe; one reader per file.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace kgp {

struct CsvOptions {
  char delimiter = ',';
  bool quoting = true;      // false: '"' is an ordinary character (TSV, u.data)
  bool skip_blank = true;   // blank lines are not records
  // One record per line (behaviour logs): callers reject a record that a quote carries over
  // several lines and read on at its second line (ingest's ForEachRecord, RereadFromSecondLine).
  bool single_line = false;
  // Source encoding, any name iconv knows (`iconv -l`); empty, "UTF-8" or "UTF8": none.
  std::string encoding;

  CsvOptions() = default;
  CsvOptions(char delim, bool quote, bool skip, std::string enc = {})
      : delimiter(delim), quoting(quote), skip_blank(skip), encoding(std::move(enc)) {}
  // Whole lines as single fields (JSON Lines): no delimiter, no quoting.
  static CsvOptions Lines() { return CsvOptions{'\0', false, true}; }
};

// Whether an encoding name (CsvOptions::encoding) means no conversion: empty, UTF-8 or UTF8.
bool IsUtf8Name(const std::string& encoding);

class CsvReader {
 public:
  static constexpr size_t kMaxRecordBytes = 16u << 20;

  // Opens a file ("-" is stdin). Check status() before reading.
  CsvReader(const std::string& path, CsvOptions opts);
  // Reads from an in-memory buffer (tests, fuzzing). The buffer is copied; it is read as
  // UTF-8 whatever opts.encoding says.
  static std::unique_ptr<CsvReader> FromString(std::string_view data, CsvOptions opts);
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  const Status& status() const { return status_; }
  const CsvOptions& options() const { return opts_; }

  // Reads the next record. Returns false at end of input or on an error (status() then says
  // why, naming the line). Fields stay valid until the next call.
  bool Next();
  // After Next() returned false: true when the error is one malformed record (a quoted field
  // left open to the end of the input, a record longer than kMaxRecordBytes) rather than the
  // input (unreadable, unknown encoding). SkipBadRecord() then clears the error and resumes at
  // the line after the record's first line, so that one stray quote costs one line, not the
  // rest of the file. bad_record_reason() says what was wrong, without file and line
  // (next_line() is the record's first line).
  bool bad_record() const { return bad_record_; }
  const std::string& bad_record_reason() const { return bad_reason_; }
  void SkipBadRecord();
  // For a record just read that spans several lines, which the caller's format never has (one
  // event per line): the next Next() starts again at the record's second line, so that a quote
  // left open until a quote on a later line costs the caller one line. False (and nothing
  // changes) for a one-line record.
  bool RereadFromSecondLine();
  // True when a quoted field of the record just read had text between its closing quote and
  // the delimiter (kept in the field): with a record that spans lines, the mark of a quote left
  // open that a later field's opening quote closed.
  bool text_after_quote() const { return text_after_quote_; }
  const std::vector<std::string_view>& fields() const { return fields_; }
  size_t size() const { return fields_.size(); }
  std::string_view operator[](size_t i) const { return fields_[i]; }

  uint64_t line() const { return line_; }               // 1-based line where the record starts
  uint64_t next_line() const { return next_line_; }     // line after the record
  uint64_t record_offset() const { return rec_off_; }   // byte offset of the record start
  uint64_t end_offset() const { return end_off_; }      // byte offset just past the record
  uint64_t file_size() const { return file_size_; }     // 0 if unknown (stdin)
  const std::string& path() const { return path_; }

  // Skips to a byte offset that is a record boundary (as returned by end_offset()),
  // restoring the line counter. Used to resume an interrupted ingest. Not for converted
  // input (offsets there count UTF-8 bytes, not the file's).
  Status Seek(uint64_t offset, uint64_t line);

 private:
  CsvReader(CsvOptions opts);
  bool Fill();  // appends more bytes; false at EOF
  size_t Convert(bool flush);  // converts raw_ into buf_ at end_; returns bytes appended
  bool ParseRecord();
  bool CheckLineEnds();  // false (status_ set) for lone-CR line ends
  void BadRecord(uint64_t line, std::string reason);  // sets status_ and the bad-record reason
  bool FastRecord(const char* b, const char* nl);  // a whole unquoted line in the buffer

  struct Span {
    size_t begin, len;
    bool in_scratch;
  };
  std::vector<Span> spans_;  // reused across records: no allocation per row

  CsvOptions opts_;
  std::string path_;
  FILE* file_ = nullptr;
  bool own_file_ = false;
  bool eof_ = false;
  bool bom_checked_ = false;
  Status status_;
  bool bad_record_ = false;
  bool text_after_quote_ = false;
  std::string bad_reason_;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;       // unread bytes are buf_[pos_, end_)
  uint64_t buf_base_ = 0;          // file offset of buf_[0]
  uint64_t line_ = 0, next_line_ = 1;
  uint64_t rec_off_ = 0, end_off_ = 0, file_size_ = 0;
  std::vector<std::string_view> fields_;
  std::string scratch_;  // unescaped quoted fields
  // Conversion (CsvOptions::encoding): the iconv handle and the bytes read but not yet
  // converted (an incomplete character at the end of a chunk).
  void* iconv_ = nullptr;
  size_t unit_ = 1;  // bytes per code unit of the source encoding (2: UTF-16, 4: UTF-32)
  std::vector<char> raw_;
  size_t raw_len_ = 0;
};

// Appends one CSV field, quoted per RFC 4180 when it holds a comma, quote, CR or LF (quotes
// doubled); everything else as is. The writing side of CsvReader.
void AppendCsvField(std::string& out, std::string_view field);

}  // namespace kgp
