#include "common/csv.h"

#include <iconv.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "common/strings.h"

namespace kgp {

bool IsUtf8Name(const std::string& e) {
  const std::string l = ToLowerAscii(e);
  return l.empty() || l == "utf-8" || l == "utf8";
}

namespace {
constexpr size_t kChunk = 1u << 20;

// Bytes per code unit: an invalid unit is skipped whole, so that the units after it stay aligned.
size_t UnitBytes(const std::string& e) {
  const std::string l = ToLowerAscii(e);
  for (const char* w : {"utf-16", "utf16", "ucs-2", "ucs2"})
    if (l.find(w) != std::string::npos) return 2;
  for (const char* w : {"utf-32", "utf32", "ucs-4", "ucs4"})
    if (l.find(w) != std::string::npos) return 4;
  return 1;
}
}  // namespace

CsvReader::CsvReader(CsvOptions opts) : opts_(opts) {}

CsvReader::CsvReader(const std::string& path, CsvOptions opts) : opts_(opts), path_(path) {
  if (path == "-") {
    file_ = stdin;
  } else {
    file_ = std::fopen(path.c_str(), "rb");
    own_file_ = true;
    if (!file_) {
      status_ = Status::IoError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
      eof_ = true;
      return;
    }
    struct stat st;
    if (fstat(fileno(file_), &st) == 0) file_size_ = static_cast<uint64_t>(st.st_size);
  }
  buf_.resize(kChunk * 2);
  if (!IsUtf8Name(opts_.encoding)) {
    iconv_t cd = iconv_open("UTF-8", opts_.encoding.c_str());
    if (cd == reinterpret_cast<iconv_t>(-1)) {
      status_ = Status::InvalidArgument(
          fmt::format("{}: unknown encoding '{}' (`iconv -l` lists the names)", path, opts_.encoding));
      eof_ = true;
      return;
    }
    iconv_ = cd;
    unit_ = UnitBytes(opts_.encoding);
    raw_.resize(kChunk + 16);
  }
}

std::unique_ptr<CsvReader> CsvReader::FromString(std::string_view data, CsvOptions opts) {
  std::unique_ptr<CsvReader> r(new CsvReader(opts));
  r->path_ = "<memory>";
  r->buf_.assign(data.begin(), data.end());
  r->end_ = data.size();
  r->eof_ = true;
  r->file_size_ = data.size();
  return r;
}

CsvReader::~CsvReader() {
  if (file_ && own_file_) std::fclose(file_);
  if (iconv_) iconv_close(static_cast<iconv_t>(iconv_));
}

bool CsvReader::Fill() {
  if (eof_ || !file_) return false;
  if (pos_ > 0) {  // compact: keep the unread tail at the front
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    buf_base_ += pos_;
    end_ -= pos_;
    pos_ = 0;
  }
  if (!iconv_) {
    if (buf_.size() - end_ < kChunk) buf_.resize(end_ + kChunk);
    size_t n = std::fread(buf_.data() + end_, 1, buf_.size() - end_, file_);
    if (n == 0) {
      if (std::ferror(file_)) status_ = Status::IoError(fmt::format("{}: read error", path_));
      eof_ = true;
      return false;
    }
    end_ += n;
    return true;
  }
  while (true) {
    size_t n = std::fread(raw_.data() + raw_len_, 1, raw_.size() - raw_len_, file_);
    if (n == 0 && std::ferror(file_)) {
      status_ = Status::IoError(fmt::format("{}: read error", path_));
      eof_ = true;
      return false;
    }
    raw_len_ += n;
    if (n == 0) {  // end of the file: what is left, and what the converter held back, comes out
      eof_ = true;
      return Convert(true) > 0;
    }
    if (Convert(false) > 0) return true;
  }
}

// Converts raw_[0, raw_len_) into buf_ at end_. A code unit invalid in the source encoding
// becomes byte 0xFF, which is never valid UTF-8, so its row is rejected downstream; an
// incomplete sequence at the end stays in raw_ for the next chunk, or with `flush` (end of the
// file) becomes 0xFF too, and the converter's held-back state is written out.
size_t CsvReader::Convert(bool flush) {
  const size_t before = end_;
  // Any single-byte or two-byte encoding grows at most 3x into UTF-8; UTF-16/32 less.
  if (buf_.size() - end_ < raw_len_ * 3 + 16) buf_.resize(end_ + raw_len_ * 3 + 16);
  char* in = raw_.data();
  size_t in_left = raw_len_;
  char* out = buf_.data() + end_;
  size_t out_left = buf_.size() - end_;
  auto cd = static_cast<iconv_t>(iconv_);
  while (in_left > 0) {
    if (iconv(cd, &in, &in_left, &out, &out_left) != static_cast<size_t>(-1)) break;
    const int err = errno;
    if (err == EINVAL && !flush) break;  // incomplete: wait for the next chunk
    if (err == E2BIG || out_left == 0) {  // not with the 3x room above; grow and go on
      const size_t used = static_cast<size_t>(out - buf_.data());
      buf_.resize(buf_.size() + in_left * 4 + 16);
      out = buf_.data() + used;
      out_left = buf_.size() - used;
      if (err == E2BIG) continue;
    }
    // EILSEQ, or EINVAL at the end of the file: mark the unit and go on after it.
    const size_t skip = std::min(unit_, in_left);
    *out++ = '\xFF';
    in += skip, in_left -= skip, --out_left;
  }
  if (flush && in_left == 0) {
    // Converters that combine characters (CP1258) hold the last one back until told the end.
    while (iconv(cd, nullptr, nullptr, &out, &out_left) == static_cast<size_t>(-1) && errno == E2BIG) {
      const size_t used = static_cast<size_t>(out - buf_.data());
      buf_.resize(buf_.size() + 64);
      out = buf_.data() + used;
      out_left = buf_.size() - used;
    }
  }
  std::memmove(raw_.data(), in, in_left);
  raw_len_ = in_left;
  end_ = static_cast<size_t>(out - buf_.data());
  return end_ - before;
}

Status CsvReader::Seek(uint64_t offset, uint64_t line) {
  if (!file_ || file_ == stdin || iconv_) return Status::InvalidArgument("cannot seek this input");
  if (std::fseek(file_, static_cast<long>(offset), SEEK_SET) != 0)
    return Status::IoError(fmt::format("{}: seek failed", path_));
  pos_ = end_ = 0;
  buf_base_ = offset;
  eof_ = false;
  bom_checked_ = true;
  next_line_ = line;
  return Status::Ok();
}

bool CsvReader::Next() {
  if (!status_.ok()) return false;
  if (!bom_checked_) {
    while (end_ - pos_ < 3 && Fill()) {
    }
    if (end_ - pos_ >= 3 && std::memcmp(buf_.data() + pos_, "\xEF\xBB\xBF", 3) == 0) pos_ += 3;
    bom_checked_ = true;
    if (!CheckLineEnds()) return false;
  }
  while (true) {
    if (pos_ >= end_ && !Fill()) return false;
    // Fast path: the whole line is buffered and has no quote character.
    const char* b = buf_.data() + pos_;
    const char* nl = static_cast<const char*>(std::memchr(b, '\n', end_ - pos_));
    if (nl && (!opts_.quoting || !std::memchr(b, '"', static_cast<size_t>(nl - b)))) {
      if (FastRecord(b, nl)) return true;
      continue;
    }
    if (ParseRecord()) return true;
    if (!status_.ok()) return false;
    if (pos_ >= end_ && eof_) return false;
  }
}

// A file whose lines end in a lone CR (classic Mac OS) would read as one long line: its first
// line (as buffered) holds a CR followed by more text. Refused, rather than read as a header with
// the data glued on. A lone CR inside a later line is data, as in any field.
// A compressed file (it starts with a gzip, zip, zstd, xz or bzip2 signature), or binary data
// (a first line with a CR and NUL bytes: a gzip file was reported as a lone-CR file), is refused
// as such. A NUL byte in a text file's row stays that row's error.
bool CsvReader::CheckLineEnds() {
  const char* b = buf_.data() + pos_;
  const std::string_view head(b, std::min<size_t>(end_ - pos_, 10));
  for (const auto& [magic, what] : {std::pair<std::string_view, const char*>{"\x1f\x8b", "gzip: gunzip -k FILE"},
                                    {"PK\x03\x04", "zip: unzip FILE"},
                                    {"\x28\xb5\x2f\xfd", "zstd: zstd -d FILE"},
                                    {std::string_view("\xfd" "7zXZ\0", 6), "xz: xz -dk FILE"},
                                    {"BZh", "bzip2: bunzip2 -k FILE"}}) {
    if (head.substr(0, magic.size()) != magic) continue;
    if (magic == "BZh" && (head.size() < 10 || head.substr(4, 6) != "1AY&SY")) continue;  // "BZh" may begin a text line
    status_ = Status::InvalidArgument(
        fmt::format("{}:1: a compressed or binary file, not text ({}; decompress it first)", path_, what));
    eof_ = true;
    return false;
  }
  const char* nl = static_cast<const char*>(std::memchr(b, '\n', end_ - pos_));
  const char* e = nl ? nl : buf_.data() + end_;
  for (const char* p = b; p + 1 < e; ++p) {
    if (*p != '\r' || p[1] == '\r') continue;  // "\r\r\n" (CRLF written through a text-mode writer) is a line end
    status_ = Status::InvalidArgument(
        std::memchr(b, '\0', static_cast<size_t>(e - b))
            ? fmt::format("{}:1: a compressed or binary file, not text (NUL bytes in its first line)", path_)
            : fmt::format("{}:1: the line ends in a lone CR (carriage return without line feed, classic Mac OS): "
                          "convert the file to LF or CRLF line ends first (e.g. tr '\\r' '\\n')",
                          path_));
    eof_ = true;
    return false;
  }
  return true;
}

void CsvReader::BadRecord(uint64_t line, std::string reason) {
  status_ = Status::Corruption(fmt::format("{}:{}: {}", path_, line, reason));
  bad_record_ = true;
  bad_reason_ = std::move(reason);
}

void CsvReader::SkipBadRecord() {
  if (!bad_record_) return;
  bad_record_ = false;
  status_ = Status::Ok();
  // ParseRecord leaves pos_ at the record's first byte and the buffer holding it: resume after
  // its first newline, reading on (and dropping what was read) when the line is longer still.
  const uint64_t line = next_line_;
  while (true) {
    const char* b = buf_.data() + pos_;
    const char* nl = static_cast<const char*>(std::memchr(b, '\n', end_ - pos_));
    if (nl) {
      pos_ = static_cast<size_t>(nl + 1 - buf_.data());
      break;
    }
    pos_ = end_;
    if (!Fill()) break;
  }
  line_ = line;
  next_line_ = line + 1;
  rec_off_ = end_off_ = buf_base_ + pos_;
}

bool CsvReader::RereadFromSecondLine() {
  if (next_line_ <= line_ + 1 || rec_off_ < buf_base_) return false;
  // The record's bytes are still buffered: Fill() only drops bytes before pos_ when the next
  // record is read.
  const size_t begin = static_cast<size_t>(rec_off_ - buf_base_);
  const char* b = buf_.data() + begin;
  const char* nl = static_cast<const char*>(std::memchr(b, '\n', pos_ - begin));
  if (!nl) return false;
  pos_ = static_cast<size_t>(nl + 1 - buf_.data());
  next_line_ = line_ + 1;
  return true;
}

bool CsvReader::FastRecord(const char* b, const char* nl) {
  const char* e = nl;
  if (e > b && e[-1] == '\r') --e;
  rec_off_ = buf_base_ + pos_;
  pos_ = static_cast<size_t>(nl + 1 - buf_.data());
  end_off_ = buf_base_ + pos_;
  line_ = next_line_++;
  text_after_quote_ = false;
  if (opts_.skip_blank && e == b) return false;
  fields_.clear();
  const char delim = opts_.delimiter;
  const char* p = b;
  while (true) {
    const char* d = static_cast<const char*>(std::memchr(p, delim, static_cast<size_t>(e - p)));
    if (!d) {
      fields_.emplace_back(p, static_cast<size_t>(e - p));
      return true;
    }
    fields_.emplace_back(p, static_cast<size_t>(d - p));
    p = d + 1;
  }
}

// Parses one record starting at pos_. Returns true with fields_ set; false for a skipped
// blank line (pos_ advanced) or an error (status_ set). Refills the buffer as needed; because
// Fill() may move bytes, fields are recorded as offsets and resolved at the end.
bool CsvReader::ParseRecord() {
  std::vector<Span>& spans = spans_;
  spans.clear();
  scratch_.clear();
  text_after_quote_ = false;
  size_t p = pos_;               // absolute index into buf_ (shifts with Fill)
  uint64_t start_line = next_line_;
  uint64_t lines_seen = 0;
  auto refill = [&](size_t& cursor, size_t& field_begin) -> bool {
    size_t old_pos = pos_;
    if (!Fill()) return false;
    size_t shift = old_pos - pos_;  // pos_ is 0 after compaction
    cursor -= shift;
    field_begin -= shift;
    for (auto& s : spans)
      if (!s.in_scratch) s.begin -= shift;
    if (end_ - pos_ > kMaxRecordBytes) {
      BadRecord(start_line, opts_.quoting ? fmt::format("record longer than {} MiB (a quoted field left open?)",
                                                        kMaxRecordBytes >> 20)
                                          : fmt::format("line longer than {} MiB", kMaxRecordBytes >> 20));
      return false;
    }
    return true;
  };

  const char delim = opts_.delimiter;
  bool record_done = false;
  bool first = true;
  while (!record_done) {
    size_t fb = p;
    if (opts_.quoting && ((p < end_) || refill(p, fb)) && p < end_ && buf_[p] == '"') {
      // Quoted field.
      size_t sbeg = scratch_.size();
      // Makes the byte after p readable when the file has one; false on a read error.
      const auto see_next = [&] {
        if (p + 1 >= end_) refill(p, fb);
        return status_.ok();
      };
      ++p;
      while (true) {
        if (p >= end_ && !refill(p, fb)) {
          if (status_.ok()) BadRecord(start_line, "quoted field left open to the end of the file");
          return false;
        }
        char c = buf_[p];
        if (c == '"') {
          if (!see_next()) return false;
          if (p + 1 < end_ && buf_[p + 1] == '"') {
            scratch_.push_back('"');
            p += 2;
            continue;
          }
          ++p;
          break;
        }
        if (c == '\n') ++lines_seen;
        scratch_.push_back(c);
        ++p;
      }
      // After the closing quote: tolerate junk up to the delimiter (kept literally).
      while (true) {
        if (p >= end_ && !refill(p, fb)) break;
        char c = buf_[p];
        // A CR ends the record only before LF (as in an unquoted field); a lone CR is junk too.
        if (c == delim || c == '\n') break;
        if (c == '\r') {
          if (!see_next()) return false;
          if (p + 1 >= end_ || buf_[p + 1] == '\n') break;
        }
        if (c != ' ' && c != '\t') text_after_quote_ = true;  // `"x" ,` is a common slip, not a stray quote
        scratch_.push_back(c);
        ++p;
      }
      spans.push_back({sbeg, scratch_.size() - sbeg, true});
    } else {
      while (true) {
        if (p >= end_ && !refill(p, fb)) break;
        char c = buf_[p];
        if (c == delim || c == '\n') break;
        ++p;
      }
      size_t len = p - fb;
      if (len > 0 && buf_[fb + len - 1] == '\r' && (p >= end_ || buf_[p] == '\n')) --len;
      spans.push_back({fb, len, false});
    }
    if (!status_.ok()) return false;
    if (p >= end_) {
      record_done = true;
    } else if (buf_[p] == delim) {
      ++p;
    } else {
      if (buf_[p] == '\r') ++p;
      if (p >= end_) {
        size_t dummy = fb;
        refill(p, dummy);
      }
      if (p < end_ && buf_[p] == '\n') ++p;
      record_done = true;
    }
    first = false;
  }
  (void)first;
  ++lines_seen;
  rec_off_ = buf_base_ + pos_;
  end_off_ = buf_base_ + p;
  pos_ = p;
  line_ = start_line;
  next_line_ = start_line + lines_seen;
  if (opts_.skip_blank && spans.size() == 1 && spans[0].len == 0 && !spans[0].in_scratch) {
    return false;
  }
  fields_.clear();
  for (const auto& s : spans) {
    if (s.in_scratch)
      fields_.emplace_back(scratch_.data() + s.begin, s.len);
    else
      fields_.emplace_back(buf_.data() + s.begin, s.len);
  }
  return true;
}

void AppendCsvField(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace kgp
