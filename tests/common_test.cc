#include <gtest/gtest.h>

#include "common/hash.h"
#include "common/out_file.h"
#include "common/strings.h"
#include "common/threads.h"
#include "common/time.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <new>
#include <stdexcept>

#include "test_util.h"

namespace kgp {
namespace {

TEST(Time, ParsesTheFormatsOfRealLogs) {
  EXPECT_EQ(ParseTimestamp("2019-10-01 00:00:00 UTC"), 1569888000);
  EXPECT_EQ(ParseTimestamp("2019-10-01T00:00:05Z"), 1569888005);
  EXPECT_EQ(ParseTimestamp("2019-10-01 08:00:00+08:00"), 1569888000);
  EXPECT_EQ(ParseTimestamp("2019-10-01"), 1569888000);
  EXPECT_EQ(ParseTimestamp("1511544070"), 1511544070);
  EXPECT_EQ(ParseTimestamp("1511544070123"), 1511544070);  // milliseconds
  EXPECT_FALSE(ParseTimestamp("2019-13-01"));
  EXPECT_FALSE(ParseTimestamp("yesterday"));
  EXPECT_FALSE(ParseTimestamp(""));
  EXPECT_EQ(FormatTimestamp(1569888005), "2019-10-01 00:00:05 UTC");
  for (int64_t t : {0LL, 951782400LL, 4102444799LL}) EXPECT_EQ(ParseTimestamp(FormatTimestamp(t)), t);
}

TEST(Time, ImpossibleDatesTrailingTextAndOutOfRangeNumbersAreRefused) {
  EXPECT_FALSE(ParseTimestamp("2019-02-31 00:00:00 UTC"));  // was 2019-03-03
  EXPECT_FALSE(ParseTimestamp("2019-02-29"));
  EXPECT_FALSE(ParseTimestamp("2019-06-31"));
  EXPECT_FALSE(ParseTimestamp("1900-02-29"));
  EXPECT_EQ(ParseTimestamp("2020-02-29"), 1582934400);
  EXPECT_EQ(ParseTimestamp("2000-02-29"), 951782400);
  EXPECT_FALSE(ParseTimestamp("0000-01-01"));
  // Second 60 only as a real leap second (23:59:60 UTC, here also written in UTC+8), taken as
  // the next day's first second; on other days it was rolled over into the next day or year.
  EXPECT_EQ(ParseTimestamp("2016-12-31 23:59:60 UTC"), 1483228800);
  EXPECT_EQ(ParseTimestamp("2017-01-01 07:59:60+08:00"), 1483228800);
  EXPECT_EQ(ParseTimestamp("1972-06-30T23:59:60Z"), 78796800);
  EXPECT_FALSE(ParseTimestamp("2019-10-01 23:59:60 UTC"));
  EXPECT_FALSE(ParseTimestamp("2019-12-31 23:59:60 +00:00"));
  EXPECT_FALSE(ParseTimestamp("2016-12-31 23:58:60 UTC"));
  EXPECT_FALSE(ParseTimestamp("2016-12-31 23:59:60+01:00"));
  EXPECT_FALSE(ParseTimestamp("2019-10-01 00:00:00+05:30xyz"));
  EXPECT_FALSE(ParseTimestamp("2019-10-01 00:00:00+0530x"));
  EXPECT_FALSE(ParseTimestamp("2019-10-01 00:00:00+25:00"));
  EXPECT_EQ(ParseTimestamp("2019-10-01 05:30:00+05:30"), 1569888000);
  EXPECT_EQ(ParseTimestamp("2019-10-01 05:30:00+0530"), 1569888000);
  EXPECT_EQ(ParseTimestamp("253402300799"), kMaxTimestamp);
  EXPECT_FALSE(ParseTimestamp("253402300800"));
  EXPECT_FALSE(ParseTimestamp("99999999999999999"));
}

TEST(Strings, NumbersLatin1AndUtf8) {
  EXPECT_EQ(ParseInt(" 42 "), 42);
  EXPECT_FALSE(ParseInt("4x"));
  EXPECT_EQ(ParseDouble("489.07"), 489.07);
  EXPECT_FALSE(ParseDouble("nan"));
  EXPECT_FALSE(ParseDouble(""));
  // Long ASCII runs (checked 8 bytes at a time) with a bad byte at every position.
  std::string run(40, 'a');
  EXPECT_TRUE(IsValidUtf8(run));
  for (size_t i = 0; i < run.size(); ++i) {
    std::string bad = run;
    bad[i] = '\xBA';
    EXPECT_FALSE(IsValidUtf8(bad)) << i;
  }
  EXPECT_TRUE(IsValidUtf8("华为 智能手机"));
  EXPECT_FALSE(IsValidUtf8("\xC3\x28"));
  EXPECT_EQ(SanitizeUtf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
}

// Scraped reviews write "don&#039;t" and "H&amp;M"; what is no reference stays as written.
TEST(Strings, DecodeHtmlEntitiesOnce) {
  EXPECT_EQ(DecodeHtmlEntities("I don&#039;t like H&amp;M &lt;b&gt; &quot;x&quot; &apos;&#39;"),
            "I don't like H&M <b> \"x\" ''");
  EXPECT_EQ(DecodeHtmlEntities("a&nbsp;b &#x4E2D;&#X6587; cr&egrave;me &rsquo;"),
            "a\xC2\xA0" "b 中文 cr\xC3\xA8me \xE2\x80\x99");
  EXPECT_EQ(DecodeHtmlEntities("&amp;#039;"), "&#039;");  // once, not twice
  for (const char* kept : {"H & M; a", "AT&T", "&unknown;", "&#0;", "&#xD800;", "&#x110000;", "&#12a;", "&#;", "&", "&amp"})
    EXPECT_EQ(DecodeHtmlEntities(kept), kept);
  // Many '&' and no ';' (a 64 KiB line can be that): linear, not a search to the end per '&'.
  const std::string amps(1 << 20, '&');
  EXPECT_EQ(DecodeHtmlEntities(amps), amps);
  EXPECT_EQ(DecodeHtmlEntities("&amp;&amp;" + std::string(20, 'x') + ";"), "&&" + std::string(20, 'x') + ";");
  std::string s;
  AppendUtf8(0x4E2D, &s);
  AppendUtf8(0x1F600, &s);
  EXPECT_EQ(s, "中\xF0\x9F\x98\x80");
}

// Chinese exports pad fields with U+3000 and web data with U+00A0: "u1\u3000" is user u1.
TEST(Strings, TrimTakesIdeographicAndNoBreakSpaces) {
  EXPECT_EQ(Trim(" u1 "), "u1");
  EXPECT_EQ(Trim("\xE3\x80\x80u1\xE3\x80\x80"), "u1");
  EXPECT_EQ(Trim("\xC2\xA0" "apple \xE3\x80\x80\t"), "apple");
  EXPECT_EQ(Trim("\xE3\x80\x80"), "");
  // Inside a value they stay, and other characters that share their bytes are not cut.
  EXPECT_EQ(Trim("a\xE3\x80\x80" "b"), "a\xE3\x80\x80" "b");
  EXPECT_EQ(Trim("\xE3\x80\x81"), "\xE3\x80\x81");  // U+3001 (、)
  EXPECT_EQ(Trim("x\xE3\x80"), "x\xE3\x80");        // a truncated sequence is not a space
}

// Keys and names are single-line: runs of any white space inside are one space.
TEST(Strings, CollapseSpacesMakesOneLine) {
  EXPECT_EQ(CollapseSpaces(" mate60\npro "), "mate60 pro");
  EXPECT_EQ(CollapseSpaces("15\tpro\r\n\tmax"), "15 pro max");
  EXPECT_EQ(CollapseSpaces("a\xE3\x80\x80\xC2\xA0 b\xE3\x80\x81"), "a b\xE3\x80\x81");
  EXPECT_EQ(CollapseSpaces("\t\n"), "");
}

// A bad value quoted in an error shows its control bytes instead of sending them to the terminal.
TEST(Strings, PrintableShowsControlsAsHex) {
  EXPECT_EQ(Printable("urn:x\x1b[31m\n\x7f"), "urn:x\\x1b[31m\\x0a\\x7f");
  EXPECT_EQ(Printable("\xE7\x94\xB5 ok"), "\xE7\x94\xB5 ok");  // UTF-8 stays as is
}

TEST(Hash, HmacSha256MatchesRfc4231) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Hash, Hash64IsStableAndSpreads) {
  // Stored event keys depend on this value: a change here is a schema change.
  EXPECT_EQ(Hash64("kgprofile"), Hash64("kgprofile"));
  EXPECT_NE(Hash64("a"), Hash64("b"));
  EXPECT_NE(Hash64("", 0), Hash64("", 1));
  EXPECT_NE(Hash64(std::string(17, 'x')), Hash64(std::string(18, 'x')));
}

// An exception on a worker thread (e.g. a buffer sized by --negatives that cannot be
// allocated) reaches the caller after every thread finished, as with one thread; it used to
// end the process (std::terminate).
TEST(Threads, AWorkersExceptionIsRethrownOnTheCaller) {
  for (int n : {1, 2, 5}) {
    std::atomic<int> ran{0};
    EXPECT_THROW(RunThreads(n, [&](int t) {
                   ++ran;
                   if (t == n - 1) throw std::bad_alloc();
                 }),
                 std::bad_alloc)
        << n << " threads";
    EXPECT_EQ(ran.load(), n);
  }
  std::atomic<int> sum{0};
  RunThreads(4, [&](int t) { sum += t; });
  EXPECT_EQ(sum.load(), 0 + 1 + 2 + 3);
}

// CheckReplaceable says beforehand whether OpenReplacing can write a path: a folder (also one a
// symlink names) is refused, a FIFO is accepted without being opened (that would wait for a
// reader: this test would hang), and the probe file it writes beside the target is gone.
TEST(OutFileCheck, FoldersAreRefusedAndFifosAreNotOpened) {
  namespace fs = std::filesystem;
  test::TempDir tmp;
  fs::create_directories(tmp / "dir");
  fs::create_symlink(tmp / "dir", tmp / "link");
  for (const char* p : {"dir", "link"}) {
    const Status s = OutFile::CheckReplaceable(tmp / p);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << p;
    EXPECT_NE(s.message().find("a folder, not a file"), std::string::npos) << s.ToString();
  }
  ASSERT_EQ(::mkfifo((tmp / "pipe").c_str(), 0600), 0);
  EXPECT_TRUE(OutFile::CheckReplaceable(tmp / "pipe").ok());
  test::WriteFile(tmp / "old", "x");
  EXPECT_TRUE(OutFile::CheckReplaceable(tmp / "old").ok());
  EXPECT_TRUE(OutFile::CheckReplaceable(tmp / "new").ok());
  EXPECT_EQ(OutFile::CheckReplaceable(tmp / "none/new").code(), Status::Code::kIoError);
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()), 4);  // dir link pipe old
  EXPECT_EQ(test::ReadFile(tmp / "old"), "x");
}

// Two writers replacing one file at once (two profile updates saving profiles.state) each write
// a temporary file of their own: neither truncates nor renames the other's, each Close() puts
// its whole content in place, and no temporary file is left. (With one fixed PATH.tmp the second
// truncated the first's file and its Close() found nothing to rename.)
TEST(OutFileReplacing, TwoWritersOfOnePathEachHaveTheirOwnTemporaryFile) {
  namespace fs = std::filesystem;
  test::TempDir tmp;
  const std::string path = tmp / "profiles.state";
  OutFile a, b;
  ASSERT_TRUE(a.OpenReplacing(path).ok());
  ASSERT_TRUE(b.OpenReplacing(path).ok());
  EXPECT_NE(a.path(), b.path());
  a.Write("first\n");
  b.Write("second\n");
  ASSERT_TRUE(a.Close().ok());
  EXPECT_EQ(test::ReadFile(path), "first\n");
  const Status s = b.Close();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(test::ReadFile(path), "second\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()), 1);
}

// The temporary files' names say so, and whose they are (erasure removes a dead writer's only).
TEST(OutFileReplacing, TemporaryNamesAreRecognised) {
  test::TempDir tmp;
  OutFile f;
  ASSERT_TRUE(f.OpenReplacing(tmp / "kge.bin").ok());
  int64_t pid = -1;
  EXPECT_TRUE(OutFile::IsTempName(std::filesystem::path(f.path()).filename().string(), &pid)) << f.path();
  EXPECT_EQ(pid, ::getpid());
  f.Discard();
  EXPECT_TRUE(OutFile::IsTempName("kge.bin.tmp", &pid));  // an earlier version's
  EXPECT_EQ(pid, 0);
  EXPECT_TRUE(OutFile::IsTempName("profiles.state.tmp.12.3", &pid));
  EXPECT_EQ(pid, 12);
  for (const char* other : {"kge.bin", ".tmp", "kge.bin.hnsw", "a.tmp.12", "a.tmp.x.3", "a.tmp.1.2.3", "a.tmpl"})
    EXPECT_FALSE(OutFile::IsTempName(other)) << other;
}

}  // namespace
}  // namespace kgp
