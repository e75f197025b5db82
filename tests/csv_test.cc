#include "common/csv.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_util.h"

namespace kgp {
namespace {

std::vector<std::vector<std::string>> ReadAll(CsvReader& r, std::vector<uint64_t>* lines = nullptr) {
  std::vector<std::vector<std::string>> out;
  while (r.Next()) {
    out.emplace_back(r.fields().begin(), r.fields().end());
    if (lines) lines->push_back(r.line());
  }
  return out;
}

TEST(Csv, QuotesEscapesCrlfBomAndBlankLines) {
  std::string data = "\xEF\xBB\xBF" "a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n\r\n2,\"multi\r\nline\",\r\n3,,last";
  auto r = CsvReader::FromString(data, CsvOptions{});
  std::vector<uint64_t> lines;
  auto rows = ReadAll(*r, &lines);
  ASSERT_TRUE(r->status().ok()) << r->status().ToString();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "b", "c"}));  // BOM stripped
  EXPECT_EQ(rows[1], (std::vector<std::string>{"1", "x, y", "say \"hi\""}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"2", "multi\r\nline", ""}));
  EXPECT_EQ(rows[3], (std::vector<std::string>{"3", "", "last"}));
  EXPECT_EQ(lines, (std::vector<uint64_t>{1, 2, 4, 6}));  // physical lines, blank line counted
}

TEST(Csv, UnterminatedQuoteIsAnErrorNamingTheLine) {
  auto r = CsvReader::FromString("a,b\n1,\"open\n2,3\n", CsvOptions{});
  ASSERT_TRUE(r->Next());
  EXPECT_FALSE(r->Next());
  EXPECT_FALSE(r->status().ok());
  EXPECT_TRUE(r->bad_record());
  EXPECT_NE(r->status().message().find(":2:"), std::string::npos) << r->status().message();
  EXPECT_EQ(r->next_line(), 2u);
}

// One quote left open costs its line, not the rest of the file: reading resumes at the next line.
TEST(Csv, SkipBadRecordResumesAfterAQuoteLeftOpen) {
  auto r = CsvReader::FromString("a,b\n1,\"open\n2,3\n4,x\n", CsvOptions{});
  std::vector<std::vector<std::string>> rows;
  std::vector<uint64_t> lines, bad;
  while (true) {
    if (r->Next()) {
      rows.emplace_back(r->fields().begin(), r->fields().end());
      lines.push_back(r->line());
      continue;
    }
    if (!r->bad_record()) break;
    bad.push_back(r->next_line());
    r->SkipBadRecord();
  }
  EXPECT_TRUE(r->status().ok()) << r->status().ToString();
  // "1,"open" swallows to the end of the input, is dropped, and the lines after it come back.
  EXPECT_EQ(rows, (std::vector<std::vector<std::string>>{{"a", "b"}, {"2", "3"}, {"4", "x"}}));
  EXPECT_EQ(lines, (std::vector<uint64_t>{1, 3, 4}));
  EXPECT_EQ(bad, (std::vector<uint64_t>{2}));
}

// A line longer than the record cap is one bad record, also without quotes, and also from a file
// (the cap is met while refilling the buffer).
TEST(Csv, SkipBadRecordPassesALineLongerThanTheCap) {
  test::TempDir dir;
  const std::string path = dir.path() + "/long.jsonl";
  {
    std::string data = "{\"a\":1}\n";
    data += std::string(CsvReader::kMaxRecordBytes + 1000, 'x');
    data += "\n{\"a\":2}\n";
    test::WriteFile(path, data);
  }
  CsvReader r(path, CsvOptions::Lines());
  std::vector<std::string> rows;
  int bad = 0;
  while (true) {
    if (r.Next()) {
      rows.emplace_back(r[0]);
      continue;
    }
    if (!r.bad_record()) break;
    ++bad;
    EXPECT_EQ(r.next_line(), 2u);
    EXPECT_NE(r.bad_record_reason().find("line longer than"), std::string::npos) << r.bad_record_reason();
    r.SkipBadRecord();
  }
  EXPECT_TRUE(r.status().ok()) << r.status().ToString();
  EXPECT_EQ(bad, 1);
  EXPECT_EQ(rows, (std::vector<std::string>{"{\"a\":1}", "{\"a\":2}"}));
}

TEST(Csv, TabsWithoutQuotingKeepQuotesLiterally) {
  auto r = CsvReader::FromString("a\t\"b\tc\n", CsvOptions{'\t', false, true});
  auto rows = ReadAll(*r);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "\"b", "c"}));
}

TEST(Csv, StreamsFilesLargerThanTheBufferAcrossChunkBoundaries) {
  test::TempDir tmp;
  std::string data;
  const int kRows = 60000;  // ~3 MB: several 1 MiB refills, records straddle chunk ends
  for (int i = 0; i < kRows; ++i)
    data += std::to_string(i) + ",\"quoted, " + std::to_string(i) + "\",\"two\nlines\"\r\n";
  test::WriteFile(tmp / "big.csv", data);
  CsvReader r(tmp / "big.csv", CsvOptions{});
  int n = 0;
  uint64_t last_line = 0, last_end = 0;
  while (r.Next()) {
    ASSERT_EQ(r.size(), 3u) << "row " << n;
    ASSERT_EQ(r[0], std::to_string(n));
    ASSERT_EQ(r[1], "quoted, " + std::to_string(n));
    ASSERT_EQ(r[2], "two\nlines");
    ASSERT_EQ(r.line(), static_cast<uint64_t>(2 * n + 1));
    last_line = r.line();
    last_end = r.end_offset();
    ++n;
  }
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(n, kRows);
  EXPECT_EQ(last_line, 2u * kRows - 1);
  EXPECT_EQ(last_end, data.size());
}

TEST(Csv, MissingFileIsAnIoError) {
  CsvReader r("/nonexistent/x.csv", CsvOptions{});
  EXPECT_FALSE(r.Next());
  EXPECT_EQ(r.status().code(), Status::Code::kIoError);
  EXPECT_NE(r.status().message().find("/nonexistent/x.csv"), std::string::npos);
}

TEST(Csv, LinesModeReturnsWholeLines) {
  auto r = CsvReader::FromString("{\"a\": \"x,y\"}\r\n\n{\"b\": 1}", CsvOptions::Lines());
  auto rows = ReadAll(*r);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0], "{\"a\": \"x,y\"}");
  EXPECT_EQ(rows[1][0], "{\"b\": 1}");
}


// GBK "华为手机" and "男": two bytes per character, the second often in the ASCII range
// of a UTF-8 reader's view, so a file read as UTF-8 would be rejected row by row.
constexpr const char* kHuaweiGbk = "\xBB\xAA\xCE\xAA\xCA\xD6\xBB\xFA";
constexpr const char* kHuaweiUtf8 = "华为手机";

TEST(Csv, ConvertsAnEncodingAcrossChunkBoundaries) {
  test::TempDir tmp;
  std::string data;
  const int kRows = 120000;  // ~2.6 MB of GBK: characters straddle the 1 MiB chunk ends
  for (int i = 0; i < kRows; ++i) data += std::to_string(i) + "," + kHuaweiGbk + (i % 3 ? "\r\n" : "\n");
  test::WriteFile(tmp / "gbk.csv", data);
  CsvReader r(tmp / "gbk.csv", CsvOptions{',', true, true, "GBK"});
  int n = 0;
  while (r.Next()) {
    ASSERT_EQ(r.size(), 2u) << "row " << n;
    ASSERT_EQ(r[0], std::to_string(n));
    ASSERT_EQ(r[1], kHuaweiUtf8) << "row " << n;
    ASSERT_EQ(r.line(), static_cast<uint64_t>(n + 1));
    ++n;
  }
  EXPECT_TRUE(r.status().ok()) << r.status().ToString();
  EXPECT_EQ(n, kRows);
}

TEST(Csv, UnitsInvalidInTheEncodingBecomeAByteTheCallerRejects) {
  test::TempDir tmp;
  // 0xFF is no GBK byte; the file also ends inside a character (lone lead byte 0xBB).
  test::WriteFile(tmp / "bad.csv", std::string("a,") + kHuaweiGbk + "\nb,\xFF" + "x\nc,\xBB");
  CsvReader r(tmp / "bad.csv", CsvOptions{',', true, true, "gbk"});
  auto rows = ReadAll(r);
  ASSERT_TRUE(r.status().ok()) << r.status().ToString();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][1], kHuaweiUtf8);
  EXPECT_EQ(rows[1][1], "\xFFx");  // 0xFF: never valid UTF-8
  EXPECT_EQ(rows[2][1], "\xFF");
  // UTF-16: an unpaired surrogate is skipped as one 2-byte unit, so the rows after it stay
  // rows ("u1,a\nu2,<D800>x\nu3,c\n").
  const std::string u16("\xFF\xFE" "u\0" "1\0" ",\0" "a\0" "\n\0" "u\0" "2\0" ",\0" "\x00\xD8" "x\0" "\n\0"
                        "u\0" "3\0" ",\0" "c\0" "\n\0", 32);
  test::WriteFile(tmp / "u16.csv", u16);
  CsvReader w(tmp / "u16.csv", CsvOptions{',', true, true, "UTF-16"});
  rows = ReadAll(w);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1], (std::vector<std::string>{"u2", "\xFFx"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"u3", "c"}));
  // CP1258 holds a character back to combine it with an accent: the last one still arrives.
  test::WriteFile(tmp / "vi.csv", "a,bc");
  CsvReader v(tmp / "vi.csv", CsvOptions{',', true, true, "CP1258"});
  rows = ReadAll(v);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "bc"}));
}

TEST(Csv, Utf16AndUtf8Names) {
  test::TempDir tmp;
  // UTF-16 with a byte-order mark: "a,男\n".
  test::WriteFile(tmp / "u16.csv", std::string("\xFF\xFE" "a\0,\0\x37\x75\n\0", 10));
  CsvReader r(tmp / "u16.csv", CsvOptions{',', true, true, "UTF-16"});
  auto rows = ReadAll(r);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "男"}));
  // "UTF-8" in any spelling reads the bytes as they are.
  test::WriteFile(tmp / "u8.csv", "a,\xFF\n");
  CsvReader same(tmp / "u8.csv", CsvOptions{',', true, true, "utf8"});
  rows = ReadAll(same);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][1], "\xFF");
}

TEST(Csv, UnknownEncodingIsAnErrorNamingIt) {
  test::TempDir tmp;
  test::WriteFile(tmp / "x.csv", "a\n");
  CsvReader r(tmp / "x.csv", CsvOptions{',', true, true, "klingon-8"});
  EXPECT_FALSE(r.Next());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("klingon-8"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("x.csv"), std::string::npos) << r.status().message();
}

TEST(Csv, LoneCrLineEndsAreRefusedNotReadAsOneLine) {
  auto r = CsvReader::FromString("a,b\r1,2\r3,4\r", CsvOptions{});
  EXPECT_FALSE(r->Next());
  EXPECT_EQ(r->status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r->status().message().find("lone CR"), std::string::npos) << r->status().message();
  auto lines = CsvReader::FromString("{\"a\":1}\r{\"a\":2}\r", CsvOptions::Lines());
  EXPECT_FALSE(lines->Next());
  EXPECT_FALSE(lines->status().ok());
  // A CR at the very end, or before LF, is a line end as before.
  auto end = CsvReader::FromString("a,b\r", CsvOptions{});
  auto rows = ReadAll(*end);
  ASSERT_TRUE(end->status().ok());
  EXPECT_EQ(rows, (std::vector<std::vector<std::string>>{{"a", "b"}}));
}

// A gzip file given as train.txt (or to ingest) was reported as a lone-CR file, its compressed
// bytes holding a CR: a compressed file is named so, as is binary data (NUL bytes) whose first
// line holds a CR. A NUL byte in a later row of a text file is still that row's own error.
TEST(Csv, CompressedOrBinaryFilesAreNamedSoNotLoneCr) {
  const std::string gzip("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xad\r\x91\x0d\x00\x12\n\x9a", 18);
  const std::string binary("\x7f" "ELF\x02\x01\x01\x00\x00\r\x00\x00\x02\x00>\x00\n", 17);
  const std::string xz(std::string("\xfd" "7zXZ\0" "\x00\x04\xe6\xd6\xb4\x46\n", 13));
  for (const auto& [data, said] : {std::pair{gzip, "(gzip: gunzip -k FILE"}, {binary, "(NUL bytes in its first line)"},
                                   {xz, "(xz: "}}) {
    auto r = CsvReader::FromString(data, CsvOptions{'\t', false, false});
    EXPECT_FALSE(r->Next());
    EXPECT_EQ(r->status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(r->status().message().find(":1: a compressed or binary file, not text " + std::string(said)),
              std::string::npos) << r->status().message();
    EXPECT_EQ(r->status().message().find("lone CR"), std::string::npos) << r->status().message();
  }
  // Text that merely starts like a signature, and a NUL on line 2, read as rows.
  auto text = CsvReader::FromString("BZh,PK\na" + std::string(1, '\0') + "b,c\n", CsvOptions{});
  auto rows = ReadAll(*text);
  ASSERT_TRUE(text->status().ok()) << text->status().ToString();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][0], std::string("a\0b", 3));
}

TEST(Csv, ALoneCrAfterAClosingQuoteIsDataAsInAnUnquotedField) {
  auto r = CsvReader::FromString("id,t,x\np1,a\rb,1\np2,\"x\"\r,2\np3,\"y\"\r\np4,z,3", CsvOptions{});
  std::vector<uint64_t> lines;
  auto rows = ReadAll(*r, &lines);
  ASSERT_TRUE(r->status().ok()) << r->status().ToString();
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[1], (std::vector<std::string>{"p1", "a\rb", "1"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"p2", "x\r", "2"}));  // junk after the quote kept, as any
  EXPECT_EQ(rows[3], (std::vector<std::string>{"p3", "y"}));          // CRLF after the quote ends the line
  EXPECT_EQ(rows[4], (std::vector<std::string>{"p4", "z", "3"}));
  EXPECT_EQ(lines, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
}

}  // namespace
}  // namespace kgp
