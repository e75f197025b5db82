// Tests of the synthetic data generator: exact formats, determinism, and that the hidden
// personas really drive the behaviour (what profile evaluation relies on).
#include "ingest/generator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/csv.h"
#include "common/progress.h"
#include "common/strings.h"
#include "common/time.h"
#include "common/out_file.h"
#include "test_util.h"

namespace kgp {
namespace {

namespace fs = std::filesystem;
using Row = std::vector<std::string>;

constexpr int64_t kStart = 1767225600;  // 2026-01-01 UTC
constexpr int64_t kDays = 90;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string FirstLine(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string line;
  std::getline(in, line);
  return line;
}

// Parses a whole CSV file (header included) with the project's RFC 4180 reader.
std::vector<Row> ReadCsv(const fs::path& p) {
  CsvReader r(p.string(), CsvOptions{});
  EXPECT_TRUE(r.status().ok()) << r.status().ToString();
  std::vector<Row> rows;
  while (r.Next()) rows.emplace_back(r.fields().begin(), r.fields().end());
  EXPECT_TRUE(r.status().ok()) << r.status().ToString();
  return rows;
}

std::vector<nlohmann::json> ReadJsonl(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<nlohmann::json> out;
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << line;
    out.push_back(std::move(j));
  }
  return out;
}

GeneratorOptions SmallOptions(const fs::path& dir, uint64_t seed = 42) {
  GeneratorOptions o;
  o.seed = seed;
  o.users = 200;
  o.events = 20000;
  o.products = 600;
  o.brands = 120;
  o.start_time = kStart;
  o.days = kDays;
  o.out_dir = dir.string();
  return o;
}

class Generator : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Progress::SetEnabled(false);
    root_ = fs::temp_directory_path() / ("kgp_generator_test_" + std::to_string(getpid()));
    fs::remove_all(root_);
    Status s = Generate(SmallOptions(root_ / "a"), &summary_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  static fs::path Dir() { return root_ / "a"; }

  static fs::path root_;
  static GeneratorSummary summary_;
};
fs::path Generator::root_;
GeneratorSummary Generator::summary_;

const char* const kFiles[] = {"events.csv",    "catalog.csv",    "categories.csv", "brands.csv",
                              "users.csv",     "reviews.jsonl",  "personas.jsonl"};

TEST_F(Generator, SameSeedIsByteIdentical) {
  GeneratorSummary again;
  ASSERT_TRUE(Generate(SmallOptions(root_ / "b"), &again).ok());
  for (const char* f : kFiles) {
    const std::string a = ReadFile(Dir() / f);
    EXPECT_FALSE(a.empty()) << f;
    EXPECT_TRUE(a == ReadFile(root_ / "b" / f)) << f << " differs between two runs";
  }
  EXPECT_EQ(again.purchases, summary_.purchases);
  EXPECT_EQ(again.reviews, summary_.reviews);
}

TEST_F(Generator, DifferentSeedDiffers) {
  ASSERT_TRUE(Generate(SmallOptions(root_ / "c", 7), nullptr).ok());
  for (const char* f : {"events.csv", "catalog.csv", "users.csv", "personas.jsonl"})
    EXPECT_FALSE(ReadFile(Dir() / f) == ReadFile(root_ / "c" / f)) << f;
  // The category tree is part of the shop, not of the draw.
  EXPECT_EQ(ReadFile(Dir() / "categories.csv"), ReadFile(root_ / "c" / "categories.csv"));
}

TEST_F(Generator, SummaryAndHeaders) {
  EXPECT_EQ(summary_.users, 200u);
  EXPECT_EQ(summary_.events, 20000u);
  EXPECT_EQ(summary_.products, 600u);
  EXPECT_EQ(summary_.brands, 120u);
  EXPECT_GT(summary_.categories, 60u);
  ASSERT_EQ(summary_.files.size(), 7u);
  for (const auto& f : summary_.files) EXPECT_TRUE(fs::exists(f)) << f;
  EXPECT_EQ(FirstLine(Dir() / "events.csv"),
            "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session");
  EXPECT_EQ(FirstLine(Dir() / "catalog.csv"), "product_id,title,category_path,brand,price,attributes");
  EXPECT_EQ(FirstLine(Dir() / "categories.csv"), "code,name_en,name_zh,parent_code");
  EXPECT_EQ(FirstLine(Dir() / "brands.csv"), "brand,name,name_zh,root_category");
  EXPECT_EQ(FirstLine(Dir() / "users.csv"), "user_id,gender,birth_year,city,occupation,signup_time");
  EXPECT_EQ(ReadCsv(Dir() / "events.csv").size(), 20001u);  // exact count plus the header
  EXPECT_EQ(ReadCsv(Dir() / "catalog.csv").size(), 601u);
  EXPECT_EQ(ReadCsv(Dir() / "users.csv").size(), 201u);
  EXPECT_EQ(ReadCsv(Dir() / "brands.csv").size(), 121u);
}

bool IsHex(const std::string& s, size_t from, size_t n) {
  for (size_t i = from; i < from + n; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

TEST_F(Generator, EventRowsAreWellFormedSortedAndInCatalog) {
  std::map<std::string, Row> catalog;
  for (const Row& r : ReadCsv(Dir() / "catalog.csv")) catalog[r[0]] = r;
  const std::set<std::string> types = {"view", "cart", "remove_from_cart", "purchase"};
  const auto rows = ReadCsv(Dir() / "events.csv");
  int64_t prev = 0;
  size_t empty_code = 0, empty_brand = 0;
  std::map<std::string, int> type_count;
  for (size_t i = 1; i < rows.size(); ++i) {
    const Row& r = rows[i];
    ASSERT_EQ(r.size(), 9u) << "row " << i;
    auto t = ParseTimestamp(r[0]);
    ASSERT_TRUE(t.has_value()) << r[0];
    EXPECT_EQ(FormatTimestamp(*t), r[0]);
    EXPECT_GE(*t, prev) << "row " << i << " goes back in time";
    EXPECT_GE(*t, kStart);
    prev = *t;
    EXPECT_TRUE(types.count(r[1])) << r[1];
    type_count[r[1]]++;
    auto it = catalog.find(r[2]);
    ASSERT_NE(it, catalog.end()) << "product " << r[2] << " not in catalog.csv";
    EXPECT_TRUE(ParseUint(r[3]).has_value()) << r[3];
    if (r[4].empty()) empty_code++;
    else EXPECT_EQ(r[4], it->second[2]) << "category_code disagrees with the catalog";
    if (r[5].empty()) empty_brand++;
    else EXPECT_EQ(r[5], it->second[3]) << "brand disagrees with the catalog";
    ASSERT_GE(r[6].size(), 4u);
    EXPECT_EQ(r[6][r[6].size() - 3], '.') << "price needs 2 decimals: " << r[6];
    EXPECT_TRUE(ParseDouble(r[6]).has_value() && *ParseDouble(r[6]) > 0) << r[6];
    EXPECT_TRUE(ParseUint(r[7]).has_value()) << r[7];
    const std::string& sid = r[8];
    ASSERT_EQ(sid.size(), 36u) << sid;
    EXPECT_TRUE(IsHex(sid, 0, 8) && sid[8] == '-' && IsHex(sid, 9, 4) && sid[13] == '-' &&
                IsHex(sid, 14, 4) && sid[18] == '-' && IsHex(sid, 19, 4) && sid[23] == '-' &&
                IsHex(sid, 24, 12))
        << sid;
  }
  const double n = static_cast<double>(rows.size() - 1);
  EXPECT_GT(empty_code / n, 0.02);
  EXPECT_LT(empty_code / n, 0.09);
  EXPECT_GT(empty_brand / n, 0.02);
  EXPECT_LT(empty_brand / n, 0.09);
  // Funnel: mostly views, some carts, fewer purchases.
  EXPECT_GE(type_count["purchase"] / n, 0.005);
  EXPECT_LE(type_count["purchase"] / n, 0.05);
  EXPECT_GE(type_count["cart"] / n, 0.03);
  EXPECT_LE(type_count["cart"] / n, 0.10);
  EXPECT_GT(type_count["remove_from_cart"], 0);
  EXPECT_GT(type_count["view"], type_count["cart"]);
  EXPECT_GT(type_count["cart"], type_count["purchase"]);
  EXPECT_EQ(static_cast<uint64_t>(type_count["purchase"]), summary_.purchases);
}

// Shoppers restock what runs out (food, beauty, formula, nappies) but do not buy the same
// durable item again: a second purchase of one product by one shopper is always a consumable.
TEST_F(Generator, OnlyConsumablesAreBoughtAgainByTheSameShopper) {
  const auto consumable = [](const std::string& code) {
    return code.rfind("food.", 0) == 0 || code.rfind("beauty.", 0) == 0 || code == "baby.formula" ||
           code == "baby.diapers";
  };
  std::map<std::string, std::string> code_of;
  for (const Row& r : ReadCsv(Dir() / "catalog.csv")) code_of[r[0]] = r[2];
  std::map<std::pair<std::string, std::string>, int> bought;  // (user, product) -> purchases
  const auto rows = ReadCsv(Dir() / "events.csv");
  for (size_t i = 1; i < rows.size(); ++i)
    if (rows[i][1] == "purchase") bought[{rows[i][7], rows[i][2]}]++;
  size_t again_durable = 0, again_consumable = 0, durable_pairs = 0;
  for (const auto& [key, n] : bought) {
    const bool c = consumable(code_of[key.second]);
    durable_pairs += !c;
    if (n > 1) (c ? again_consumable : again_durable)++;
  }
  ASSERT_GT(durable_pairs, 50u);
  EXPECT_EQ(again_durable, 0u) << "durable products bought twice by the same shopper";
  EXPECT_GT(again_consumable, 0u) << "nobody restocked a consumable";
}

TEST_F(Generator, CatalogCategoriesAndBrandsAreConsistent) {
  std::map<std::string, std::string> parent;
  const auto cats = ReadCsv(Dir() / "categories.csv");
  size_t roots = 0;
  for (size_t i = 1; i < cats.size(); ++i) {
    ASSERT_EQ(cats[i].size(), 4u);
    EXPECT_FALSE(cats[i][1].empty());
    EXPECT_FALSE(cats[i][2].empty());
    EXPECT_TRUE(parent.count(cats[i][3]) || cats[i][3].empty()) << "parent listed after child";
    parent[cats[i][0]] = cats[i][3];
    roots += cats[i][3].empty();
  }
  EXPECT_EQ(roots, 8u);
  std::set<std::string> inner;
  for (const auto& [code, p] : parent)
    if (!p.empty()) inner.insert(p);
  std::map<std::string, std::string> brand_root;
  for (const Row& r : ReadCsv(Dir() / "brands.csv")) brand_root[r[0]] = r.size() > 3 ? r[3] : "";
  const auto catalog = ReadCsv(Dir() / "catalog.csv");
  size_t cjk_titles = 0, quoted = 0;
  std::set<std::string> leaves_used;
  for (size_t i = 1; i < catalog.size(); ++i) {
    const Row& r = catalog[i];
    ASSERT_EQ(r.size(), 6u);
    EXPECT_EQ(r[0], std::to_string(1000000 + i));
    ASSERT_TRUE(parent.count(r[2])) << r[2];
    EXPECT_FALSE(inner.count(r[2])) << "products sit on leaves: " << r[2];
    leaves_used.insert(r[2]);
    ASSERT_TRUE(brand_root.count(r[3])) << r[3];
    EXPECT_EQ(brand_root[r[3]], r[2].substr(0, r[2].find('.')));
    EXPECT_EQ(r[3], ToLowerAscii(r[3]));
    EXPECT_TRUE(ParseDouble(r[4]).has_value());
    for (auto kv : Split(r[5], ';')) EXPECT_NE(kv.find('='), std::string_view::npos) << r[5];
    bool cjk = false;
    for (unsigned char c : r[1]) cjk |= c >= 0x80;
    cjk_titles += cjk;
    quoted += r[1].find(',') != std::string::npos;
  }
  EXPECT_EQ(leaves_used.size(), parent.size() - inner.size()) << "every leaf is stocked";
  EXPECT_GT(cjk_titles, catalog.size() * 3 / 10);
  EXPECT_LT(cjk_titles, catalog.size() * 7 / 10);
  EXPECT_GT(quoted, 0u) << "English titles with commas exercise CSV quoting";
}

TEST_F(Generator, PersonasCoverUsersAndDriveBehaviour) {
  std::map<std::string, std::string> product_cat;
  for (const Row& r : ReadCsv(Dir() / "catalog.csv")) product_cat[r[0]] = r[2];
  std::map<std::string, nlohmann::json> personas;
  for (auto& j : ReadJsonl(Dir() / "personas.jsonl")) personas[j["user_id"].get<std::string>()] = j;
  const auto users = ReadCsv(Dir() / "users.csv");
  ASSERT_EQ(personas.size(), users.size() - 1);
  const std::set<std::string> levels = {"low", "mid", "high"};
  const std::set<std::string> lifecycles = {"new", "active", "dormant", "churned", "returning"};
  std::map<std::string, int64_t> signup;
  for (size_t i = 1; i < users.size(); ++i) {
    const Row& u = users[i];
    ASSERT_EQ(u.size(), 6u);
    ASSERT_TRUE(personas.count(u[0])) << "no persona for user " << u[0];
    const auto& p = personas[u[0]];
    EXPECT_TRUE(u[1].empty() || u[1] == p["gender"].get<std::string>());
    EXPECT_EQ(u[2], std::to_string(p["birth_year"].get<int>()));
    const int by = p["birth_year"].get<int>();
    EXPECT_TRUE(by >= 1955 && by <= 2008) << by;
    EXPECT_FALSE(u[3].empty());
    auto t = ParseTimestamp(u[5]);
    ASSERT_TRUE(t.has_value()) << u[5];
    signup[u[0]] = *t;
    const size_t n_fav = p["favourite_categories"].size();
    EXPECT_TRUE(n_fav >= 2 && n_fav <= 4);
    EXPECT_TRUE(levels.count(p["price_level"].get<std::string>()));
    EXPECT_TRUE(lifecycles.count(p["lifecycle"].get<std::string>()));
    EXPECT_FALSE(p["active_hours"].empty());
    if (p["lifecycle"] == "new") {
      EXPECT_GE(*t, kStart - 86400) << "new users sign up during the window";
    } else {
      EXPECT_LT(*t, kStart);
    }
  }
  std::map<std::string, int> events, in_fav, in_hours;
  std::map<std::string, int64_t> first_seen, last_seen;
  for (const Row& r : ReadCsv(Dir() / "events.csv")) {
    if (r[0] == "event_time") continue;
    const auto& p = personas.at(r[7]);
    events[r[7]]++;
    for (const auto& c : p["favourite_categories"]) in_fav[r[7]] += c.get<std::string>() == product_cat[r[2]];
    const int64_t t = *ParseTimestamp(r[0]);
    for (const auto& h : p["active_hours"]) in_hours[r[7]] += h.get<int>() == (t % 86400) / 3600;
    if (!first_seen.count(r[7])) first_seen[r[7]] = t;
    last_seen[r[7]] = t;
  }
  EXPECT_EQ(events.size(), personas.size()) << "every user has events";
  int64_t heavy_total = 0, heavy_fav = 0, all_hours = 0;
  int max_events = 0;
  for (const auto& [u, n] : events) {
    EXPECT_GE(n, 3) << u;
    max_events = std::max(max_events, n);
    all_hours += in_hours[u];
    if (n >= 20) heavy_total += n, heavy_fav += in_fav[u];
    const auto& p = personas[u];
    const std::string life = p["lifecycle"].get<std::string>();
    EXPECT_GE(first_seen[u], signup[u]) << u << " acts before signing up";
    if (life == "churned") {
      EXPECT_LT(last_seen[u], kStart + kDays * 86400 / 2 + 86400) << u;
    }
    if (life == "new") {
      EXPECT_GT(first_seen[u], kStart + kDays * 86400 / 2) << u;
    }
  }
  ASSERT_GT(heavy_total, 0);
  EXPECT_GE(static_cast<double>(heavy_fav) / heavy_total, 0.6);
  EXPECT_GE(static_cast<double>(all_hours) / 20000, 0.5) << "activity follows active_hours";
  EXPECT_GT(max_events, 5 * 20000 / 200) << "volume is heavy-tailed";
}

TEST_F(Generator, ReviewsParseAndFollowPurchases) {
  std::map<std::pair<std::string, std::string>, int64_t> first_purchase;
  for (const Row& r : ReadCsv(Dir() / "events.csv"))
    if (r[1] == "purchase") first_purchase.emplace(std::make_pair(r[7], r[2]), *ParseTimestamp(r[0]));
  const auto lines = ReadJsonl(Dir() / "reviews.jsonl");
  ASSERT_FALSE(lines.empty());
  size_t reviews = 0, posts = 0, zh = 0;
  for (const auto& j : lines) {
    ASSERT_TRUE(j.is_object());
    const std::string kind = j["kind"].get<std::string>();
    const std::string text = j["text"].get<std::string>();
    EXPECT_FALSE(text.empty());
    EXPECT_TRUE(IsValidUtf8(text));
    auto t = ParseTimestamp(j["time"].get<std::string>());
    ASSERT_TRUE(t.has_value());
    const std::string lang = j["lang"].get<std::string>();
    EXPECT_TRUE(lang == "zh" || lang == "en");
    zh += lang == "zh";
    if (kind == "post") {
      posts++;
      EXPECT_EQ(j["product_id"].get<std::string>(), "");
      continue;
    }
    ASSERT_EQ(kind, "review");
    reviews++;
    const int rating = j["rating"].get<int>();
    EXPECT_TRUE(rating >= 1 && rating <= 5);
    auto it = first_purchase.find({j["user_id"].get<std::string>(), j["product_id"].get<std::string>()});
    ASSERT_NE(it, first_purchase.end()) << "review of a product the user did not buy: " << j.dump();
    EXPECT_GT(*t, it->second) << "review before the purchase";
  }
  EXPECT_EQ(reviews, summary_.reviews);
  EXPECT_EQ(posts, summary_.posts);
  const double rate = static_cast<double>(reviews) / static_cast<double>(summary_.purchases);
  EXPECT_GT(rate, 0.15);
  EXPECT_LT(rate, 0.45);
  EXPECT_GT(zh, lines.size() * 4 / 10);
  EXPECT_LT(zh, lines.size() * 8 / 10);
}

TEST_F(Generator, TablesAreComplete) {
  using namespace generator_internal;
  ASSERT_EQ(Attrs().size(), static_cast<size_t>(kAttrCount)) << "Attrs() must follow AttrId";
  std::set<std::string> codes;
  for (const CategoryDef& c : CategoryTable()) {
    const std::string code = c.code;
    const size_t dot = code.rfind('.');
    EXPECT_TRUE(dot == std::string::npos || codes.count(code.substr(0, dot))) << code;
    EXPECT_TRUE(codes.insert(code).second) << "duplicate " << code;
    if (c.noun_en) {
      EXPECT_LT(c.price_lo, c.price_hi) << code;
      EXPECT_LE(c.attrs.size(), 3u) << code;
    }
  }
  std::set<std::string> keys;
  for (const BrandDef& b : BrandTable()) {
    EXPECT_TRUE(keys.insert(b.key).second) << "duplicate brand " << b.key;
    EXPECT_EQ(std::string(b.key), ToLowerAscii(b.key));
    EXPECT_TRUE(codes.count(b.root)) << b.key;
    for (auto sub : Split(b.scope, '|')) {
      if (sub.empty()) continue;
      EXPECT_TRUE(codes.count(std::string(b.root) + "." + std::string(sub))) << b.key << " " << sub;
    }
  }
  EXPECT_GE(keys.size(), 120u);
}

TEST_F(Generator, RejectsNonsenseOptions) {
  auto bad = [&](auto mutate) {
    GeneratorOptions o = SmallOptions(root_ / "bad");
    mutate(o);
    return Generate(o, nullptr).code();
  };
  using C = Status::Code;
  EXPECT_EQ(bad([](GeneratorOptions& o) { o.users = 0; }), C::kInvalidArgument);
  EXPECT_EQ(bad([](GeneratorOptions& o) { o.events = 10; }), C::kInvalidArgument);
  EXPECT_EQ(bad([](GeneratorOptions& o) { o.products = 0; }), C::kInvalidArgument);
  EXPECT_EQ(bad([](GeneratorOptions& o) { o.brands = 0; }), C::kInvalidArgument);
  EXPECT_EQ(bad([](GeneratorOptions& o) { o.days = 0; }), C::kInvalidArgument);
  EXPECT_EQ(bad([](GeneratorOptions& o) { o.review_rate = 1.5; }), C::kInvalidArgument);
  EXPECT_EQ(bad([](GeneratorOptions& o) { o.out_dir.clear(); }), C::kInvalidArgument);
  // --events had no upper bound: 2^64-1 filled the disk at ~370 MB/s.
  EXPECT_EQ(bad([](GeneratorOptions& o) { o.events = kMaxGeneratedEvents + 1; }), C::kInvalidArgument);
  EXPECT_EQ(bad([](GeneratorOptions& o) { o.events = UINT64_MAX; }), C::kInvalidArgument);
  EXPECT_FALSE(fs::exists(root_ / "bad"));
  // The CLI checks the options before its clock warning (--days 100000 warned, then failed).
  auto days = test::RunCli("generate " + (root_ / "bad").string() + " --days 100000");
  EXPECT_EQ(days.exit_code, 1);
  EXPECT_NE(days.err.find("days must be in 1..3660"), std::string::npos) << days.err;
  EXPECT_EQ(days.err.find("clock"), std::string::npos) << days.err;
  auto events = test::RunCli("generate " + (root_ / "bad").string() + " --users 10 --events 18446744073709551615");
  EXPECT_EQ(events.exit_code, 1);
  EXPECT_NE(events.err.find("at most 10,000,000,000 events"), std::string::npos) << events.err;
  EXPECT_FALSE(fs::exists(root_ / "bad"));
  // The progress line's ETA for such runs overflowed an int ("ETA -2147483648s").
  EXPECT_EQ(FormatDuration(1.8e19 / 4e6), ">27777h");
  EXPECT_EQ(FormatDuration(3 * 3600 + 7 * 60 + 2), "3h07m");
  EXPECT_EQ(FormatDuration(-1), "0s");
}

// The sample's dates lie before the machine's clock: ingest refuses events more than a day after
// it, and the fixed start (2026-01-01, 90 days) ran past a clock before April 2026, so `demo`
// lost most of its events. KGPROFILE_NOW stands in for the clock; a clock after the fixed
// sample leaves the output as it was; --start picks the first day.
TEST_F(Generator, TheSampleLiesBeforeTheClock) {
  const auto first_and_last = [](const fs::path& events) {
    std::vector<Row> rows = ReadCsv(events);
    EXPECT_GT(rows.size(), 2u);
    return rows.size() > 2 ? std::pair{rows[1][0], rows.back()[0]} : std::pair<std::string, std::string>{};
  };
  const std::string small = " --users 50 --events 2000 --products 100 --days 90";
  auto early = test::RunCli("generate " + (root_ / "early").string() + small, "KGPROFILE_NOW=2026-02-01");
  ASSERT_EQ(early.exit_code, 0) << early.err;
  auto [first, last] = first_and_last(root_ / "early/events.csv");
  // 2026-02-01 less 90 days and one more: the sample starts 2025-11-02 and ends a day before the clock.
  EXPECT_TRUE(first.starts_with("2025-11-02")) << first;
  EXPECT_LT(last, "2026-01-31") << last;
  EXPECT_EQ(early.err.find("clock"), std::string::npos) << early.err;
  auto late = test::RunCli("generate " + (root_ / "late").string() + small, "KGPROFILE_NOW=2030-01-01");
  ASSERT_EQ(late.exit_code, 0) << late.err;
  EXPECT_TRUE(first_and_last(root_ / "late/events.csv").first.starts_with("2026-01-01"));
  auto start = test::RunCli("generate " + (root_ / "start").string() + " --users 50 --events 2000 --products 100 "
                            "--start 2025-06-01 --days 30");
  ASSERT_EQ(start.exit_code, 0) << start.err;
  auto [sfirst, slast] = first_and_last(root_ / "start/events.csv");
  EXPECT_TRUE(sfirst.starts_with("2025-06-01")) << sfirst;
  EXPECT_LT(slast, "2025-07-01") << slast;
  for (const char* bad : {"2025-13-01", "tomorrow", "1969-12-31"}) {
    auto r = test::RunCli("generate " + (root_ / "bad").string() + " --start " + bad);
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_NE(r.err.find("--start"), std::string::npos) << bad << ": " << r.err;
  }
  EXPECT_FALSE(fs::exists(root_ / "bad"));
}

// Files are written beside their names and renamed when complete: a run that fails (or is
// killed) part-way leaves each file complete or as it was, never truncated.
TEST_F(Generator, AFailedRunLeavesNoPartialFile) {
  const std::string dir = (root_ / "partial").string();
  fs::create_directories(dir + "/reviews.jsonl");  // the last file cannot be replaced
  std::ofstream(dir + "/events.csv") << "earlier\n";
  GeneratorSummary sum;
  Status s = Generate(SmallOptions(dir), &sum);
  EXPECT_EQ(s.code(), Status::Code::kIoError) << s.ToString();
  const std::string ev = ReadFile(dir + "/events.csv");
  if (ev != "earlier\n") {  // else replaced by a complete file
    EXPECT_EQ(ev.rfind("event_time,event_type,", 0), 0u) << "events.csv truncated by the failed run";
    EXPECT_EQ(static_cast<uint64_t>(std::count(ev.begin(), ev.end(), '\n')), SmallOptions(dir).events + 1);
  }
  for (const auto& e : fs::directory_iterator(dir)) EXPECT_FALSE(OutFile::IsTempName(e.path().filename().string())) << e.path();
}

TEST_F(Generator, ReportsIoErrorsWithThePath) {
  // out_dir below a regular file cannot be created.
  fs::create_directories(root_ / "io");
  std::ofstream(root_ / "io" / "file") << "x";
  Status s = Generate(SmallOptions(root_ / "io" / "file" / "sub"), nullptr);
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_NE(s.message().find("file"), std::string::npos) << s.message();
  // A directory squatting on an output name cannot be opened for writing.
  fs::create_directories(root_ / "io2" / "events.csv");
  s = Generate(SmallOptions(root_ / "io2"), nullptr);
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_NE(s.message().find("events.csv"), std::string::npos) << s.message();
}

TEST_F(Generator, TinyAndOddShapesStillWork) {
  // Fewer products than leaves, fewer brands than roots, one day, one event per user.
  GeneratorOptions o = SmallOptions(root_ / "tiny");
  o.users = 50;
  o.events = 50;
  o.products = 10;
  o.brands = 3;
  o.days = 1;
  GeneratorSummary s;
  ASSERT_TRUE(Generate(o, &s).ok());
  EXPECT_EQ(s.events, 50u);
  EXPECT_EQ(ReadCsv(root_ / "tiny" / "events.csv").size(), 51u);
  // More brands than the built-in table: invented ones fill up.
  o = SmallOptions(root_ / "many");
  o.users = 20;
  o.events = 400;
  o.brands = 300;
  ASSERT_TRUE(Generate(o, &s).ok());
  EXPECT_EQ(s.brands, 300u);
  std::set<std::string> keys;
  for (const Row& r : ReadCsv(root_ / "many" / "brands.csv")) keys.insert(r[0]);
  EXPECT_EQ(keys.size(), 301u) << "brand keys are unique";
}

}  // namespace
}  // namespace kgp
