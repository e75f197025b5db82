// Every reader on mutated copies of a valid file (bytes flipped, spans cut or repeated, the
// file truncated, awkward tokens spliced in): none may crash, and none may pass on invalid
// UTF-8, a NUL byte, an empty id or a non-finite number; every reject names a line inside the
// file, a field and a reason. Deterministic: fixed seeds, the same cases every run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "common/rng.h"
#include "common/strings.h"
#include "ingest/readers.h"
#include "test_util.h"

namespace kgp {
namespace {

// Records what breaks the readers' contract; the first few violations are kept as text.
struct ContractSink : RecordSink {
  uint64_t lines = 1;  // physical lines in the input
  uint64_t records = 0;
  std::vector<std::string> violations;

  void Violation(const std::string& what) {
    if (violations.size() < 5) violations.push_back(what);
  }
  void Text(std::string_view s, const char* what) {
    if (!IsValidUtf8(s)) Violation(std::string(what) + " is not valid UTF-8");
    if (s.find('\0') != std::string_view::npos) Violation(std::string(what) + " holds a NUL byte");
  }
  void Id(std::string_view s, const char* what) {
    if (s.empty()) Violation(std::string(what) + " is empty");
    Text(s, what);
  }
  void Number(const std::optional<double>& v, const char* what, bool non_negative) {
    if (v && (!std::isfinite(*v) || (non_negative && *v < 0))) Violation(std::string(what) + " out of range");
  }

  void OnEvent(const EventRecord& e) override {
    ++records;
    Id(e.user, "event user"), Id(e.item, "event item");
    Text(e.session, "session"), Text(e.category_id, "category id"), Text(e.category_code, "category code");
    Text(e.brand, "brand");
    Number(e.price, "price", true), Number(e.value, "value", false);
    for (const auto& [k, v] : e.variant) Id(k, "variant key"), Text(v, "variant value");
  }
  void OnItem(const ItemRecord& it) override {
    ++records;
    Id(it.id, "item id");
    Text(it.title, "title"), Text(it.category_path, "category path"), Text(it.category_id, "category id");
    Text(it.brand, "brand");
    for (const auto& c : it.categories) Text(c, "category");
    for (const auto& [k, v] : it.attributes) Text(k, "attribute key"), Text(v, "attribute value");
    Number(it.price, "item price", true);
  }
  void OnCategory(const CategoryRecord& c) override {
    ++records;
    Id(c.code, "category code");
    Text(c.name_en, "name_en"), Text(c.name_zh, "name_zh"), Text(c.parent_code, "parent code");
  }
  void OnBrand(const BrandRecord& b) override {
    ++records;
    Id(b.brand, "brand");
    Text(b.name_zh, "brand name_zh"), Text(b.root_category, "root category");
  }
  void OnUser(const UserRecord& u) override {
    ++records;
    Id(u.id, "user id");
    if (u.gender != "" && u.gender != "F" && u.gender != "M") Violation("gender not normalised");
    Text(u.occupation, "occupation"), Text(u.city, "city"), Text(u.zip, "zip");
  }
  void OnText(const TextRecord& t) override {
    ++records;
    Text(t.kind, "kind"), Text(t.user, "text user"), Text(t.item, "text item"), Text(t.lang, "lang");
    Text(t.title, "text title"), Text(t.body, "text body");
    if (t.user.empty() && t.item.empty()) Violation("text with neither user nor item");
    Number(t.rating, "text rating", false);
  }
  void OnTriple(const TripleRecord& t) override {
    ++records;
    Id(t.head, "head"), Id(t.relation, "relation"), Id(t.tail, "tail");
  }
  void OnReject(const Reject& r) override {
    if (r.line < 1 || r.line > lines) Violation("reject line " + std::to_string(r.line) + " outside the file");
    if (r.field.empty() || r.reason.empty()) Violation("reject without field or reason");
  }
};

struct Seed {
  const char* format;
  std::string text;
  ReaderOptions opts;
};

std::vector<Seed> Seeds() {
  ReaderOptions mapped;
  mapped.columns = {{"user", "who"}, {"item", "sku"}, {"type", "act"}, {"time", "at"}, {"price", "amount"},
                    {"rating", "stars"}, {"variant", "var"}};
  return {
      {"rees46",
       "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
       "2019-10-01 00:00:00 UTC,view,44600062,2103807459595387724,,shiseido,35.79,541312140,s1\n"
       "2019-10-01 00:00:01 UTC,purchase,3900821,2053013552326770905,appliances.water_heater,aqua,33.20,554748717,s2\n",
       {}},
      {"taobao", "1,2268318,2520377,pv,1511544070\n1,2333346,2520771,buy,1511561733\n", {}},
      {"events-csv", "at,who,sku,act,amount,stars,var\n2024-05-01 10:00:00,c1,s9,add_to_cart,12.5,,size=M;color=red\n"
                     "2024-05-01T10:01:00Z,c1,s9,rate,12.5,4,\n", mapped},
      {"catalog", "product_id,title,category_path,brand,price,attributes\n"
                  "p1,\"Apple 256GB, 黑色 智能手机\",electronics.smartphone,apple,6999,color=black;storage=256GB\n"
                  "p2,华为 Mate,electronics.smartphone,华为,3999.5,\n", {}},
      {"categories", "code,name_en,name_zh,parent_code\nelectronics,Electronics,电子产品,\n"
                     "electronics.smartphone,Smartphones,智能手机,electronics\n", {}},
      {"brands", "brand,name_zh,root_category\napple,苹果,electronics\nhuawei,华为,electronics\n", {}},
      {"users", "user_id,gender,birth_year,city,occupation,signup_time\n"
                "u1,女,1990,北京,engineer,2026-01-01 00:00:00 UTC\nu2,male,1985,,,2026-01-02\n", {}},
      {"texts", R"({"user_id":"u1","product_id":"p1","time":"2026-01-01 10:00:00","rating":"5","lang":"zh","text":"手机很好用"})" "\n"
                R"({"user_id":"u2","kind":"post","text":"new phone day","title":"hi"})" "\n", {}},
      {"amazon-reviews",
       R"({"reviewerID":"A1","asin":"B0","overall":5,"unixReviewTime":1500000000,"reviewText":"great","summary":"ok","style":{"Size:":" 7 oz"}})" "\n"
       R"({"reviewerID":"A2","asin":"B0","overall":3.0,"unixReviewTime":1500000100})" "\n", {}},
      {"ml-ratings", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n", {}},
      {"ml-items", "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
                   "2|Caf\xE9 (1995)|01-Jan-1995||http://y|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n", {}},
      {"ml-users", "1|24|M|technician|85711\n2|53|F|other|94043\n", {}},
      {"sequences", "u1 i1 i2 i3\nu2 i2 i4\n", {}},
      {"item-attributes", R"({"i1": [1, 2, 3], "i2": ["a", 4]})", {}},
      {"triples", "a\tr1\tb\nb\tr2\tc\r\n", {}},
  };
}

// Tokens that have broken parsers: delimiters and quotes, CR/LF, NUL, truncated and overlong
// UTF-8, a byte-order mark, numbers out of range, very long fields.
const std::vector<std::string>& Tokens() {
  static const std::vector<std::string> k = {
      ",", "\"", "\"\"", "\t", "|", " ", "\r", "\n", "\r\n", std::string(1, '\0'), "\xC3", "\xE5\x8D", "\xFF\xFE",
      "\xED\xA0\x80", "\xC0\xAF", "\xEF\xBB\xBF", "1e999", "-1", "nan", "inf", "99999999999999999999", "-0",
      "0x10", "{", "}", "[", "]", ":", "\\u0000", "\\ud800", "null", "true", "=", ";", "UTC", "9999-99-99",
      std::string(70000, 'x'), "女", "男"};
  return k;
}

std::string Mutate(std::string s, Rng& rng) {
  const int edits = 1 + static_cast<int>(rng.Below(4u));
  for (int e = 0; e < edits; ++e) {
    const size_t pos = s.empty() ? 0 : rng.Below(static_cast<uint64_t>(s.size()));
    switch (rng.Below(6u)) {
      case 0:  // flip a byte
        if (!s.empty()) s[pos] = static_cast<char>(rng.Below(256u));
        break;
      case 1:  // cut a span
        s.erase(pos, rng.Below(32u));
        break;
      case 2: {  // repeat a span
        std::string span = s.substr(pos, rng.Below(64u));
        s.insert(pos, span);
        break;
      }
      case 3:  // truncate
        s.resize(pos);
        break;
      default: {  // splice a token
        const auto& t = Tokens();
        s.insert(pos, t[rng.Below(static_cast<uint64_t>(t.size()))]);
        break;
      }
    }
  }
  return s;
}

TEST(ReadersFuzz, MutatedFilesKeepTheReadersContract) {
  test::TempDir tmp;
  constexpr int kCasesPerFormat = 300;
  size_t total_records = 0, total_cases = 0;
  for (const Seed& seed : Seeds()) {
    const std::string path = tmp / "input";
    {  // The seed itself is clean: every case below starts from a file that reads whole.
      test::WriteFile(path, seed.text);
      ContractSink clean;
      clean.lines = static_cast<uint64_t>(std::count(seed.text.begin(), seed.text.end(), '\n')) + 1;
      ASSERT_TRUE(ReadFormat(seed.format, path, seed.opts, clean).ok()) << seed.format;
      ASSERT_GT(clean.records, 0u) << seed.format;
      ASSERT_TRUE(clean.violations.empty()) << seed.format << ": " << clean.violations[0];
    }
    Rng rng(0xF022 + std::hash<std::string>()(seed.format));
    for (int c = 0; c < kCasesPerFormat; ++c) {
      const std::string input = Mutate(seed.text, rng);
      test::WriteFile(path, input);
      ContractSink sink;
      sink.lines = static_cast<uint64_t>(std::count(input.begin(), input.end(), '\n')) + 1;
      const Status st = ReadFormat(seed.format, path, seed.opts, sink);
      if (!st.ok()) {
        EXPECT_FALSE(st.message().empty()) << seed.format << " case " << c;
      }
      ASSERT_TRUE(sink.violations.empty())
          << seed.format << " case " << c << ": " << sink.violations[0] << "\ninput: " << input.substr(0, 300);
      total_records += sink.records;
      ++total_cases;
    }
  }
  // Mutations leave many rows intact: the cases exercised the readers, not only their errors
  // (about one record per case).
  EXPECT_GT(total_records, total_cases / 2);
}

}  // namespace
}  // namespace kgp
