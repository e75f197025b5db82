// Each reader on inline fixtures with malformed rows, and on real files from ../shared/data.
#include "ingest/readers.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <ctime>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/time.h"
#include "test_util.h"

namespace kgp {
namespace {

// Collects everything a reader produces, copying the views.
struct Collect : RecordSink {
  struct Ev {
    std::string user, item, session, category_id, category_code, brand;
    EventType type;
    int64_t ts;
    std::optional<double> price, value;
    std::vector<std::pair<std::string, std::string>> variant;
  };
  std::vector<Ev> events;
  std::vector<std::string> items, users, texts, text_titles, triples, categories;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> attrs;
  std::map<std::string, std::vector<std::string>> item_cats;
  std::map<std::string, std::string> titles, genders;
  std::vector<Reject> rejects;
  void OnEvent(const EventRecord& e) override {
    events.push_back({std::string(e.user), std::string(e.item), std::string(e.session), std::string(e.category_id),
                      std::string(e.category_code), std::string(e.brand), e.type, e.ts, e.price, e.value,
                      {e.variant.begin(), e.variant.end()}});
  }
  void OnItem(const ItemRecord& it) override {
    items.emplace_back(it.id);
    titles[std::string(it.id)] = std::string(it.title);
    for (auto& kv : it.attributes) attrs[std::string(it.id)].push_back(kv);
    for (auto& c : it.categories) item_cats[std::string(it.id)].push_back(c);
  }
  void OnUser(const UserRecord& u) override {
    users.emplace_back(u.id);
    genders[std::string(u.id)] = std::string(u.gender);
  }
  void OnText(const TextRecord& t) override {
    texts.emplace_back(t.body);
    text_titles.emplace_back(t.title);
  }
  void OnTriple(const TripleRecord& t) override {
    triples.push_back(std::string(t.head) + "|" + std::string(t.relation) + "|" + std::string(t.tail));
  }
  void OnCategory(const CategoryRecord& c) override { categories.emplace_back(c.code); }
  void OnReject(const Reject& r) override { rejects.push_back(r); }
};

Collect Read(const std::string& format, const std::string& path, ReaderOptions o = {}) {
  Collect c;
  Status s = ReadFormat(format, path, o, c);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return c;
}

TEST(Readers, Rees46ValidatesEveryField) {
  test::TempDir tmp;
  test::WriteFile(tmp / "e.csv",
                  "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\r\n"
                  "2019-10-01 00:00:00 UTC,view,44600062,2103807459595387724,,shiseido,35.79,541312140,s1\r\n"
                  "2019-10-01 00:00:01 UTC,purchase,3900821,2053013552326770905,appliances.water_heater,aqua,33.20,554748717,s2\r\n"
                  "not a time,view,1,2,,,1.0,5,s\r\n"
                  "2019-10-01 00:00:02 UTC,teleport,1,2,,,1.0,5,s\r\n"
                  "2019-10-01 00:00:02 UTC,view,,2,,,1.0,5,s\r\n"
                  "2019-10-01 00:00:02 UTC,view,1,2,,,-3,5,s\r\n"
                  "2019-10-01 00:00:02 UTC,view,1,2,,,1e308,5,s\r\n"
                  "2019-10-01 00:00:02 UTC,view,1,2\r\n"
                  "2019-10-01 00:00:03 UTC,cart,7,2,,,\"1.50\",,s\r\n");
  Collect c = Read("rees46", tmp / "e.csv");
  ASSERT_EQ(c.events.size(), 2u);
  EXPECT_EQ(c.events[1].category_code, "appliances.water_heater");
  EXPECT_EQ(c.events[1].type, EventType::kPurchase);
  EXPECT_DOUBLE_EQ(*c.events[1].price, 33.20);
  EXPECT_EQ(c.events[0].brand, "shiseido");
  ASSERT_EQ(c.rejects.size(), 7u);
  std::vector<std::string> fields;
  std::vector<uint64_t> lines;
  for (auto& r : c.rejects) fields.push_back(r.field), lines.push_back(r.line);
  EXPECT_EQ(fields, (std::vector<std::string>{"event_time", "event_type", "product_id", "price", "price", "-", "user_id"}));
  EXPECT_EQ(lines, (std::vector<uint64_t>{4, 5, 6, 7, 8, 9, 10}));
}

// An id holding a control character (an escape sequence would reach terminals and exports) is
// a reject naming the field, in every reader that reads ids; ordinary ids pass.
TEST(Readers, ControlCharactersInIdsAreRejectedNamingTheField) {
  test::TempDir tmp;
  test::WriteFile(tmp / "e.csv",
                  "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
                  "2019-10-01 00:00:00 UTC,view,1,2,,,1.0,u\x1b[31mred,s\n"
                  "2019-10-01 00:00:00 UTC,view,1\x7f,2,,,1.0,5,s\n"
                  "2019-10-01 00:00:00 UTC,view,1,2,,,1.0,ok-user \xe7\x94\xa8\xe6\x88\xb7,s\n");
  Collect e = Read("rees46", tmp / "e.csv");
  ASSERT_EQ(e.events.size(), 1u);
  EXPECT_EQ(e.events[0].user, "ok-user \xe7\x94\xa8\xe6\x88\xb7");
  ASSERT_EQ(e.rejects.size(), 2u);
  EXPECT_EQ(e.rejects[0].field, "user_id");
  EXPECT_EQ(e.rejects[0].reason, "control character U+001B in user id");
  EXPECT_EQ(e.rejects[1].field, "product_id");
  EXPECT_EQ(e.rejects[1].reason, "control character U+007F in item id");
  test::WriteFile(tmp / "u.csv", "user_id,gender\nu\x01,F\nu2,M\n");
  Collect u = Read("users", tmp / "u.csv");
  EXPECT_EQ(u.users, std::vector<std::string>{"u2"});
  ASSERT_EQ(u.rejects.size(), 1u);
  EXPECT_EQ(u.rejects[0].line, 2u);
  test::WriteFile(tmp / "kg.tsv", "evil\x1b]0;pwned\x07\tr\tb\na\tr\x01\tb\na\tr\tb\n");
  Collect k = Read("triples", tmp / "kg.tsv");
  EXPECT_EQ(k.triples, std::vector<std::string>{"a|r|b"});
  ASSERT_EQ(k.rejects.size(), 2u);
  EXPECT_EQ(k.rejects[0].field, "head");
  EXPECT_EQ(k.rejects[0].reason, "control character U+001B in head");
  EXPECT_EQ(k.rejects[1].field, "relation");
  test::WriteFile(tmp / "t.jsonl", "{\"user_id\": \"a\\u0007b\", \"product_id\": \"p\", \"text\": \"nice\"}\n");
  Collect t = Read("texts", tmp / "t.jsonl");
  EXPECT_TRUE(t.texts.empty());
  ASSERT_EQ(t.rejects.size(), 1u);
  EXPECT_EQ(t.rejects[0].reason, "control character U+0007 in user id");
}

TEST(Readers, Rees46RealSample) {
  KGP_REQUIRE_DATA(path, "rees46-sample/2019-Oct-sample.csv");
  Collect c = Read("rees46", path);
  EXPECT_EQ(c.events.size(), 1000u);
  EXPECT_TRUE(c.rejects.empty());
  std::map<EventType, int> by_type;
  std::set<std::string> users;
  for (auto& e : c.events) ++by_type[e.type], users.insert(e.user);
  EXPECT_EQ(by_type[EventType::kView], 987);
  EXPECT_EQ(by_type[EventType::kCart], 3);
  EXPECT_EQ(by_type[EventType::kPurchase], 10);
  EXPECT_EQ(users.size(), 330u);
  EXPECT_EQ(c.events[0].ts, 1569888000);
  EXPECT_EQ(c.events[1].category_code, "appliances.environment.water_heater");
}

// A quote left open costs one line, not the rest of the file; a quote closed by a later line
// makes one rejected record that names the lines it took.
TEST(Readers, AQuoteLeftOpenCostsOneRowNotTheRestOfTheFile) {
  test::TempDir tmp;
  const std::string head = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n";
  std::string good;
  for (int i = 0; i < 50; ++i) good += fmt::format("2019-10-01 00:00:{:02d} UTC,view,{},2,,,1.0,5,s\n", i, 100 + i);
  test::WriteFile(tmp / "open.csv", head + "2019-10-01 00:00:00 UTC,view,1,2,,\"brand,1.0,5,s\n" + good);
  Collect c = Read("rees46", tmp / "open.csv");
  EXPECT_EQ(c.events.size(), 50u);
  ASSERT_EQ(c.rejects.size(), 1u);
  EXPECT_EQ(c.rejects[0].line, 2u);
  EXPECT_NE(c.rejects[0].reason.find("quoted field left open"), std::string::npos) << c.rejects[0].reason;

  test::WriteFile(tmp / "closed.csv", head + "2019-10-01 00:00:00 UTC,view,1,2,,\"brand,1.0,5,s\n" +
                                          "2019-10-01 00:00:01 UTC,view,2,2,,b\",1.0,5,s\n" + good);
  c = Read("rees46", tmp / "closed.csv");
  // Line 3 is read again on its own: its stray quote inside a field is kept literally.
  ASSERT_EQ(c.events.size(), 51u);
  EXPECT_EQ(c.events[0].item, "2");
  EXPECT_EQ(c.events[0].brand, "b\"");
  ASSERT_EQ(c.rejects.size(), 1u);
  EXPECT_EQ(c.rejects[0].line, 2u);
  EXPECT_NE(c.rejects[0].reason.find("spans lines 2-3"), std::string::npos) << c.rejects[0].reason;

  // Also when a line inside the span is not UTF-8: the span gives its lines back first.
  test::WriteFile(tmp / "taobao.csv", "2,\"101,1,pv,1511544070\n3,102,1,pv,1511544071\n4,10\xff" "3,1,pv,1511544072\n"
                                      "5,104\",1,pv,1511544073\n6,105,1,pv,1511544074\n");
  c = Read("taobao", tmp / "taobao.csv");
  std::vector<std::string> users;
  for (const auto& e : c.events) users.push_back(e.user);
  EXPECT_EQ(users, (std::vector<std::string>{"3", "5", "6"}));  // 4 is not UTF-8
  ASSERT_EQ(c.rejects.size(), 2u);
  EXPECT_EQ(c.rejects[0].line, 1u);
  EXPECT_EQ(c.rejects[1].line, 3u);
}

TEST(Readers, TaobaoUserBehavior) {
  test::TempDir tmp;
  test::WriteFile(tmp / "ub.csv", "1,2268318,2520377,pv,1511544070\n1,2333346,2520771,buy,1511561733\n"
                                  "2,3,4,sneeze,1511561733\n2,3,4,fav\n3,5,6,cart,2017-11-25 00:00:00\n");
  Collect c = Read("taobao", tmp / "ub.csv");
  ASSERT_EQ(c.events.size(), 3u);
  EXPECT_EQ(c.events[1].type, EventType::kPurchase);
  EXPECT_EQ(c.events[0].category_id, "2520377");
  EXPECT_EQ(c.events[2].ts, 1511568000);
  ASSERT_EQ(c.rejects.size(), 2u);
  EXPECT_EQ(c.rejects[0].field, "behavior_type");
  EXPECT_EQ(c.rejects[0].line, 3u);
}

TEST(Readers, GenericCsvWithMappingAndSemicolons) {
  test::TempDir tmp;
  test::WriteFile(tmp / "shop.csv", "ts;customer;sku;action;amount\n2024-05-01 10:00:00;c1;s9;add_to_cart;12,5\n"
                                    "2024-05-01 10:01:00;c1;s9;order;12.5\n");
  ReaderOptions o;
  o.delimiter = ';';
  o.columns = {{"user", "customer"}, {"item", "sku"}, {"type", "action"}, {"time", "ts"}, {"price", "amount"}};
  Collect c = Read("events-csv", tmp / "shop.csv", o);
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].type, EventType::kPurchase);
  ASSERT_EQ(c.rejects.size(), 1u);
  EXPECT_EQ(c.rejects[0].field, "price");  // "12,5" is not a number
  // A variant column: key=value pairs; malformed ones are rejected naming the field.
  test::WriteFile(tmp / "v.csv", "ts,customer,sku,size\n2024-05-01 10:00:00,c1,s9,size=M;color= red \n"
                                 "2024-05-01 10:00:01,c1,s9,\n2024-05-01 10:00:02,c1,s9,M\n");
  ReaderOptions v;
  v.columns = {{"user", "customer"}, {"item", "sku"}, {"time", "ts"}, {"variant", "size"}};
  Collect cv = Read("events-csv", tmp / "v.csv", v);
  ASSERT_EQ(cv.events.size(), 2u);
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(cv.events[0].variant, (Pairs{{"size", "M"}, {"color", "red"}}));
  EXPECT_TRUE(cv.events[1].variant.empty());
  ASSERT_EQ(cv.rejects.size(), 1u);
  EXPECT_EQ(cv.rejects[0].field, "variant");
  o.columns["user"] = "nope";
  Collect bad;
  Status s = ReadFormat("events-csv", tmp / "shop.csv", o, bad);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("nope"), std::string::npos);
}

// An event dated more than a day after the clock is refused in every reader of events: one such
// row used to move the workspace's as-of date, and every profile's lifecycle with it.
TEST(Readers, EventsFromTheFutureAreRejectedNamingTheField) {
  test::TempDir tmp;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const std::string soon = FormatTimestamp(now + 3600), later = FormatTimestamp(now + 3 * 86400);
  test::WriteFile(tmp / "e.csv", "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n" +
                                     soon + ",view,1,,,,,u1,s\n" + later + ",view,1,,,,,u1,s\n"
                                     "2099-12-31 00:00:00 UTC,view,1,,,,,u1,s\n");
  Collect c = Read("rees46", tmp / "e.csv");
  EXPECT_EQ(c.events.size(), 1u);  // an hour ahead: clocks differ
  ASSERT_EQ(c.rejects.size(), 2u);
  EXPECT_EQ(c.rejects[0].line, 3u);
  EXPECT_EQ(c.rejects[0].field, "event_time");
  EXPECT_EQ(c.rejects[0].reason, "time more than a day after this machine's clock");
  test::WriteFile(tmp / "a.json", fmt::format(R"({{"reviewerID":"u","asin":"a","unixReviewTime":{}}})" "\n", now + 3 * 86400));
  Collect a = Read("amazon-reviews", tmp / "a.json");
  EXPECT_TRUE(a.events.empty());
  ASSERT_EQ(a.rejects.size(), 1u);
  EXPECT_EQ(a.rejects[0].field, "unixReviewTime");
  test::WriteFile(tmp / "u.data", fmt::format("1\t2\t5\t{}\n", now + 3 * 86400));
  Collect m = Read("ml-ratings", tmp / "u.data");
  EXPECT_TRUE(m.events.empty());
  ASSERT_EQ(m.rejects.size(), 1u);
  EXPECT_EQ(m.rejects[0].field, "timestamp");
}

TEST(Readers, EventsCsvRatingsMustBeInRangeAndColumnNumbersInBounds) {
  test::TempDir tmp;
  test::WriteFile(tmp / "r.csv", "u1,i1,2024-05-01,4.5\nu1,i2,2024-05-01,-7\nu1,i3,2024-05-01,1e300\n"
                                 "u1,i4,2024-05-01,10\n");
  ReaderOptions o;
  o.has_header = false;
  o.columns = {{"user", "0"}, {"item", "1"}, {"time", "2"}, {"rating", "3"}};
  Collect c = Read("events-csv", tmp / "r.csv", o);
  ASSERT_EQ(c.events.size(), 2u);
  EXPECT_EQ(*c.events[1].value, 10.0);
  ASSERT_EQ(c.rejects.size(), 2u);
  EXPECT_EQ(c.rejects[0].field, "rating");
  EXPECT_EQ(c.rejects[0].line, 2u);
  EXPECT_EQ(c.rejects[1].line, 3u);
  // 4294967298 wrapped to column 2; 2147483648 became -2147483648 ("the mapping must name 'time'").
  for (const char* col : {"4294967298", "2147483648", "18446744073709551617"}) {
    o.columns["time"] = col;
    Collect bad;
    Status s = ReadFormat("events-csv", tmp / "r.csv", o, bad);
    EXPECT_FALSE(s.ok()) << col;
    EXPECT_NE(s.message().find(fmt::format("time={}: without a header, columns are 0-based numbers from 0 to 2147483647", col)),
              std::string::npos) << s.message();
    EXPECT_TRUE(bad.events.empty());
  }
}

TEST(Readers, CatalogUsersCategories) {
  test::TempDir tmp;
  test::WriteFile(tmp / "catalog.csv", "product_id,title,category_path,brand,price,attributes\n"
                                       "p1,\"Apple 256GB, 黑色 智能手机\",electronics.smartphone,apple,6999,color=black;storage=256GB\n"
                                       "p2,x,electronics,apple,cheap,\n"
                                       "p3,y,electronics,apple,1,novalue\n");
  Collect c = Read("catalog", tmp / "catalog.csv");
  ASSERT_EQ(c.items.size(), 1u);
  EXPECT_EQ(c.titles["p1"], "Apple 256GB, 黑色 智能手机");
  EXPECT_EQ(c.attrs["p1"].size(), 2u);
  ASSERT_EQ(c.rejects.size(), 2u);
  test::WriteFile(tmp / "users.csv", "user_id,gender,birth_year,city,occupation,signup_time\n"
                                     "u1,女,1990,北京,engineer,2026-01-01 00:00:00 UTC\nu2,X,1990,,,\nu3,,1800,,,\n");
  Collect u = Read("users", tmp / "users.csv");
  ASSERT_EQ(u.users.size(), 1u);
  EXPECT_EQ(u.genders["u1"], "F");
  EXPECT_EQ(u.rejects.size(), 2u);
}

TEST(Readers, CatalogueRowsOfTheWrongWidthAreRejectedAndAStrayQuoteLosesOneLine) {
  test::TempDir tmp;
  test::WriteFile(tmp / "catalog.csv", "product_id,title,category_path,brand,price,attributes\n"
                                       "p1,T1,shoes,nike,1.5,\n"
                                       "p2,\"T2 open,shoes,nike,2.5,\n"
                                       "p3,T3,shoes,nike,3.5,\n"
                                       "p4,T4,shoes,nike,4.5,\n"
                                       "p5,\"T5\",shoes,nike,5.5,\n"
                                       "p6,T6,shoes,nike,6.5,\n"
                                       "p7,T7\n"
                                       "p8,T8,shoes,nike,8.5,,extra\n");
  Collect c = Read("catalog", tmp / "catalog.csv");
  EXPECT_EQ(c.items, (std::vector<std::string>{"p1", "p3", "p4", "p5", "p6"}));
  EXPECT_EQ(c.titles["p5"], "T5");
  ASSERT_EQ(c.rejects.size(), 3u);
  EXPECT_EQ(c.rejects[0].line, 3u);
  // The quote closes at p5's opening quote: six fields, but text after the closing quote.
  EXPECT_NE(c.rejects[0].reason.find("text after a closing quote"), std::string::npos) << c.rejects[0].reason;
  EXPECT_NE(c.rejects[0].reason.find("lines 3-6"), std::string::npos) << c.rejects[0].reason;
  EXPECT_EQ(c.rejects[1].line, 8u);
  EXPECT_EQ(c.rejects[1].reason, "expected 6 fields, found 2");
  EXPECT_EQ(c.rejects[2].line, 9u);
  EXPECT_EQ(c.rejects[2].reason, "expected 6 fields, found 7");

  test::WriteFile(tmp / "users.csv", "user_id,gender,birth_year\nu1,F,1990\nu8,M\n");
  Collect u = Read("users", tmp / "users.csv");
  EXPECT_EQ(u.users, (std::vector<std::string>{"u1"}));
  ASSERT_EQ(u.rejects.size(), 1u);
  EXPECT_EQ(u.rejects[0].line, 3u);
  test::WriteFile(tmp / "cats.csv", "code,name_en\na,A\nb\n");
  EXPECT_EQ(Read("categories", tmp / "cats.csv").rejects.size(), 1u);
  test::WriteFile(tmp / "brands.csv", "brand,name\nx,X\ny,Y,Z\n");
  EXPECT_EQ(Read("brands", tmp / "brands.csv").rejects.size(), 1u);
}

TEST(Readers, MovieLensLatin1AndGenres) {
  KGP_REQUIRE_DATA(dir, "ml-100k");
  Collect c = Read("movielens", dir);
  EXPECT_EQ(c.events.size(), 100000u);
  EXPECT_EQ(c.users.size(), 943u);
  EXPECT_EQ(c.items.size(), 1682u);
  EXPECT_TRUE(c.rejects.empty());
  for (auto& e : c.events) ASSERT_EQ(e.type, EventType::kRate);
  // u.item is ISO-8859-1: titles must arrive as valid UTF-8 (e.g. "Café au lait").
  bool found_accent = false;
  for (auto& [id, t] : c.titles) found_accent |= t.find("\xC3\xA9") != std::string::npos;
  EXPECT_TRUE(found_accent);
  EXPECT_EQ(c.item_cats["1"], (std::vector<std::string>{"Animation", "Children's", "Comedy"}));  // Toy Story
  EXPECT_TRUE(c.titles.count("267") && c.item_cats["267"].empty());  // flagged "unknown" only: no genre known
  EXPECT_EQ(c.genders["1"], "M");
}

TEST(Readers, MovieLensReleaseDatesMustEndInAYear) {
  test::TempDir tmp;
  test::WriteFile(tmp / "u.genre", std::string("Action|0\nbad\0x|1\n", 17));
  test::WriteFile(tmp / "u.item", "1|A|01-Jan-1995||u|0|1\n2|B|garbage||u|0|1\n3|C|01-Jan-19\xe9\xe9||u|0|1\n"
                                  "4|D|||u|0|1\n5|E|95||u|0|1\n");
  Collect c = Read("ml-items", tmp / "u.item");
  EXPECT_EQ(c.items, (std::vector<std::string>{"1", "4"}));
  EXPECT_EQ(c.attrs["1"], (std::vector<std::pair<std::string, std::string>>{{"release_year", "1995"}}));
  EXPECT_TRUE(c.attrs["4"].empty());  // no date: no year
  EXPECT_EQ(c.item_cats["1"], (std::vector<std::string>{"genre1"}));  // u.genre's name with a NUL is not used
  ASSERT_EQ(c.rejects.size(), 3u);
  for (const auto& r : c.rejects) EXPECT_EQ(r.field, "release_date");
}

TEST(Readers, AmazonReviewsJsonLines) {
  KGP_REQUIRE_DATA(path, "amazon-all-beauty-5core/All_Beauty_5.json");
  Collect c = Read("amazon-reviews", path);
  EXPECT_EQ(c.events.size(), 5269u);
  EXPECT_TRUE(c.rejects.empty());
  EXPECT_GT(c.texts.size(), 5200u);
  EXPECT_EQ(c.events[0].user, "A3CIUOJXQ5VDQ2");
  EXPECT_EQ(*c.events[0].value, 5.0);
  EXPECT_EQ(c.events[0].type, EventType::kReview);
  // Style is the event's variant: "Size:" " 7.0 oz" -> size=7.0 oz (the store makes it an item
  // attribute too).
  bool found = false;
  for (const auto& e : c.events)
    if (e.item == "B0000530HU")
      found |= std::find(e.variant.begin(), e.variant.end(), std::make_pair(std::string("size"), std::string("7.0 oz"))) !=
               e.variant.end();
  EXPECT_TRUE(found);
}

// Ids given as JSON numbers keep their digits; a time outside 1970 to 9999 is rejected, never
// wrapped (18446744073709551615 was stored as -1, 12345678901234567890 as a negative id).
TEST(Readers, LargeJsonIntegersKeepTheirDigitsAndTimesOutOfRangeAreRejected) {
  test::TempDir tmp;
  test::WriteFile(tmp / "r.json", R"({"reviewerID":12345678901234567890,"asin":"a","unixReviewTime":1})" "\n"
                                  R"({"reviewerID":123456789012345678901234,"asin":"a","unixReviewTime":1})" "\n"
                                  R"({"reviewerID":"u","asin":1.5,"unixReviewTime":1})" "\n"
                                  R"({"reviewerID":"u","asin":"a","unixReviewTime":18446744073709551615})" "\n"
                                  R"({"reviewerID":"u","asin":"a","unixReviewTime":-5})" "\n"
                                  R"({"reviewerID":"u","asin":"a","unixReviewTime":253402300799})" "\n");
  Collect c = Read("amazon-reviews", tmp / "r.json");
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].user, "12345678901234567890");
  ASSERT_EQ(c.rejects.size(), 5u);
  EXPECT_EQ(c.rejects[4].reason, "time more than a day after this machine's clock");  // 9999 is a time, but ahead
  EXPECT_EQ(c.rejects[0].line, 2u);
  EXPECT_EQ(c.rejects[0].field, "reviewerID");
  EXPECT_EQ(c.rejects[1].field, "asin");
  EXPECT_EQ(c.rejects[2].line, 4u);
  EXPECT_EQ(c.rejects[2].field, "unixReviewTime");
  EXPECT_EQ(c.rejects[3].field, "unixReviewTime");
  test::WriteFile(tmp / "kg.tsv", "evil\x1b]0;pwned\x07\tr\tb\na\tr\x01\tb\na\tr\tb\n");
  Collect k = Read("triples", tmp / "kg.tsv");
  EXPECT_EQ(k.triples, std::vector<std::string>{"a|r|b"});
  ASSERT_EQ(k.rejects.size(), 2u);
  EXPECT_EQ(k.rejects[0].field, "head");
  EXPECT_EQ(k.rejects[0].reason, "control character U+001B in head");
  EXPECT_EQ(k.rejects[1].field, "relation");
  test::WriteFile(tmp / "t.jsonl", R"({"user_id":18446744073709551615,"text":"x"})" "\n"
                                   R"({"user_id":1e3,"text":"x"})" "\n");
  c = Read("texts", tmp / "t.jsonl");
  ASSERT_EQ(c.rejects.size(), 1u);
  EXPECT_EQ(c.rejects[0].field, "user_id");
  test::WriteFile(tmp / "u.data", "1\t2\t3\t-1\n1\t2\t3\t999999999999\n1\t2\t3\t881250949\n");
  c = Read("ml-ratings", tmp / "u.data");
  EXPECT_EQ(c.events.size(), 1u);
  ASSERT_EQ(c.rejects.size(), 2u);
  EXPECT_EQ(c.rejects[1].field, "timestamp");
}

// Scraped reviews carry HTML references; texts are stored as a person reads them, so that the
// words ("don't") and names ("H&M") in them are found and spans cite what is there.
TEST(Readers, ReviewTextsAreStoredWithHtmlReferencesDecoded) {
  test::TempDir tmp;
  test::WriteFile(tmp / "r.json", R"({"reviewerID":"u","asin":"a","overall":1,"unixReviewTime":1,)"
                                  R"("summary":"Don&#039;t","reviewText":"I don&#039;t like H&amp;M &lt;3&nbsp;it"})" "\n");
  Collect c = Read("amazon-reviews", tmp / "r.json");
  ASSERT_EQ(c.texts.size(), 1u);
  EXPECT_EQ(c.texts[0], "I don't like H&M <3\xC2\xA0it");
  EXPECT_EQ(c.text_titles[0], "Don't");
  test::WriteFile(tmp / "kg.tsv", "evil\x1b]0;pwned\x07\tr\tb\na\tr\x01\tb\na\tr\tb\n");
  Collect k = Read("triples", tmp / "kg.tsv");
  EXPECT_EQ(k.triples, std::vector<std::string>{"a|r|b"});
  ASSERT_EQ(k.rejects.size(), 2u);
  EXPECT_EQ(k.rejects[0].field, "head");
  EXPECT_EQ(k.rejects[0].reason, "control character U+001B in head");
  EXPECT_EQ(k.rejects[1].field, "relation");
  test::WriteFile(tmp / "t.jsonl", R"({"user_id":"u1","title":"Lock&amp;Lock","text":"The Lock&amp;Lock box &#x2014; AT&T"})" "\n");
  c = Read("texts", tmp / "t.jsonl");
  ASSERT_EQ(c.texts.size(), 1u);
  EXPECT_EQ(c.texts[0], "The Lock&Lock box \xE2\x80\x94 AT&T");
  EXPECT_EQ(c.text_titles[0], "Lock&Lock");
}

// A list where an id belongs, a rating past 5 stars or an unknown kind is a rejected row that
// names its field, not a user called ["u1"].
TEST(Readers, TextsRejectListsRatingsOutOfRangeAndUnknownKinds) {
  test::TempDir tmp;
  test::WriteFile(tmp / "kg.tsv", "evil\x1b]0;pwned\x07\tr\tb\na\tr\x01\tb\na\tr\tb\n");
  Collect k = Read("triples", tmp / "kg.tsv");
  EXPECT_EQ(k.triples, std::vector<std::string>{"a|r|b"});
  ASSERT_EQ(k.rejects.size(), 2u);
  EXPECT_EQ(k.rejects[0].field, "head");
  EXPECT_EQ(k.rejects[0].reason, "control character U+001B in head");
  EXPECT_EQ(k.rejects[1].field, "relation");
  test::WriteFile(tmp / "t.jsonl",
                  "{\"user_id\":[\"u1\"],\"text\":\"hello\"}\n"
                  "{\"user_id\":\"u1\",\"product_id\":\"p1\",\"rating\":9,\"text\":\"great\"}\n"
                  "{\"user_id\":\"u1\",\"kind\":\"weird\",\"text\":\"hmm\"}\n"
                  "{\"user_id\":\"u1\",\"title\":{\"a\":1},\"text\":\"x\"}\n"
                  "{\"user_id\":42,\"kind\":\"Post\",\"rating\":4.5,\"text\":\"fine\"}\n");
  Collect c = Read("texts", tmp / "t.jsonl");
  ASSERT_EQ(c.texts.size(), 1u);
  EXPECT_EQ(c.texts[0], "fine");
  std::vector<std::string> fields;
  for (const auto& r : c.rejects) fields.push_back(r.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"user_id", "rating", "kind", "title"}));
}

TEST(Readers, AmazonBadLinesAreRejectedNotFatal) {
  test::TempDir tmp;
  test::WriteFile(tmp / "r.json", "{\"reviewerID\":\"u\",\"asin\":\"a\",\"overall\":4,\"unixReviewTime\":1}\n"
                                  "{broken\n[1,2]\n{\"reviewerID\":\"u\",\"asin\":\"a\",\"overall\":9,\"unixReviewTime\":1}\n"
                                  "{\"reviewerID\":\"u\",\"asin\":\"a\",\"unixReviewTime\":\"x\"}\n");
  Collect c = Read("amazon-reviews", tmp / "r.json");
  EXPECT_EQ(c.events.size(), 1u);
  ASSERT_EQ(c.rejects.size(), 4u);
  EXPECT_EQ(c.rejects[0].reason, "invalid JSON");
  EXPECT_EQ(c.rejects[0].line, 2u);
  EXPECT_EQ(c.rejects[2].field, "overall");
}

TEST(Readers, TriplesWithCrlf) {
  KGP_REQUIRE_DATA(path, "kgcn-lastfm/kg.txt");
  Collect c = Read("triples", path);
  EXPECT_EQ(c.triples.size(), 15518u);
  EXPECT_TRUE(c.rejects.empty());
  EXPECT_EQ(c.triples[0], "2086|music.artist.origin|3846");  // no trailing \r
}

TEST(Readers, UmlsTriples) {
  KGP_REQUIRE_DATA(path, "umls/train.txt");
  Collect c = Read("triples", path);
  EXPECT_EQ(c.triples.size(), 5216u);
}

TEST(Readers, SequencesAndItemAttributes) {
  KGP_REQUIRE_DATA(seq, "s3rec-amazon-beauty/Beauty.txt");
  Collect c = Read("sequences", seq);
  EXPECT_EQ(c.events.size(), 198502u);
  std::set<std::string> users, items;
  for (auto& e : c.events) users.insert(e.user), items.insert(e.item);
  EXPECT_EQ(users.size(), 22363u);
  EXPECT_EQ(items.size(), 12101u);
  EXPECT_EQ(c.events[0].ts, 1);  // order, not wall time
  KGP_REQUIRE_DATA(attrs, "s3rec-amazon-beauty/Beauty_item2attributes.json");
  Collect a = Read("item-attributes", attrs);
  EXPECT_GT(a.items.size(), 12000u);
}

// A catalogue exported as GBK (common for Chinese shops): read as UTF-8 each row with Chinese
// text is rejected naming line and column, and nothing invalid reaches a record; with the
// encoding given the same file reads whole.
TEST(Readers, ItemAttributesRejectDuplicatesNonIntegersAndEmptyIdsNamingTheirLine) {
  test::TempDir tmp;
  test::WriteFile(tmp / "a.json", "\xEF\xBB\xBF{\n"
                                  "  \"p1\": [1, 2],\n"
                                  "  \"p2\": [3, \"s\", 18446744073709551615],\n"
                                  "  \"p1\": [9],\n"
                                  "  \"p3\": [1.5],\n"
                                  "  \"p4\": [null], \"p5\": [true],\n"
                                  "  \"p6\": [[3]],\n"
                                  "  \"\": [1],\n"
                                  "  \"p,7\": {\"x\": [1]},\n"
                                  "  \"p\\\"8\": [8]\n"
                                  "}\n");
  Collect c = Read("item-attributes", tmp / "a.json");
  EXPECT_EQ(c.items, (std::vector<std::string>{"p1", "p2", "p\"8"}));
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(c.attrs["p1"], (Pairs{{"attr", "1"}, {"attr", "2"}}));  // the first list kept
  EXPECT_EQ(c.attrs["p2"], (Pairs{{"attr", "3"}, {"attr", "s"}, {"attr", "18446744073709551615"}}));
  std::vector<std::pair<uint64_t, std::string>> rejects;
  for (const auto& r : c.rejects) rejects.emplace_back(r.line, r.field);
  EXPECT_EQ(rejects, (std::vector<std::pair<uint64_t, std::string>>{
                         {4, "p1"}, {5, "p3"}, {6, "p4"}, {6, "p5"}, {7, "p6"}, {8, "-"}, {9, "p,7"}}));
  EXPECT_NE(c.rejects[0].reason.find("twice"), std::string::npos);
  EXPECT_NE(c.rejects[1].reason.find("1.5"), std::string::npos) << c.rejects[1].reason;
}

TEST(Readers, NonUtf8RowsAreRejectedAndAnEncodingReadsThem) {
  test::TempDir tmp;
  // "华为手机" and "男" in GBK.
  const std::string huawei = "\xBB\xAA\xCE\xAA\xCA\xD6\xBB\xFA", male = "\xC4\xD0";
  test::WriteFile(tmp / "catalog.csv", "product_id,title,category_path,brand,price,attributes\n"
                                       "p1,phone,electronics.smartphone,apple,6999,\n"
                                       "p2," + huawei + ",electronics.smartphone,huawei,3999,\n");
  Collect c = Read("catalog", tmp / "catalog.csv");
  EXPECT_EQ(c.items, (std::vector<std::string>{"p1"}));
  ASSERT_EQ(c.rejects.size(), 1u);
  EXPECT_EQ(c.rejects[0].line, 3u);
  EXPECT_EQ(c.rejects[0].field, "title");
  EXPECT_EQ(c.rejects[0].reason, kInvalidUtf8Reason);
  ReaderOptions gbk;
  gbk.encoding = "GB18030";  // a superset of GBK
  c = Read("catalog", tmp / "catalog.csv", gbk);
  EXPECT_TRUE(c.rejects.empty());
  EXPECT_EQ(c.titles["p2"], "华为手机");
  // Headerless formats name the column by the format's own field names.
  test::WriteFile(tmp / "ub.csv", "1,2,3,pv,1511544070\n" + huawei + ",2,3,pv,1511544070\n");
  c = Read("taobao", tmp / "ub.csv");
  ASSERT_EQ(c.rejects.size(), 1u);
  EXPECT_EQ(c.rejects[0].field, "user_id");
  c = Read("taobao", tmp / "ub.csv", gbk);
  ASSERT_EQ(c.events.size(), 2u);
  EXPECT_EQ(c.events[1].user, "华为手机");
  // A sequence GB18030 does not have (0x80 alone, a lead byte at the line's end) is "not valid
  // GB18030": it read "invalid UTF-8", though the file was read as GB18030.
  test::WriteFile(tmp / "bad-gb.csv", "product_id,title,category_path,brand,price,attributes\n"
                                      "p1," + huawei + ",a.b,x,1,\np2,x\x80y,a.b,x,1,\np3,z\x81,a.b,x,1,\n");
  c = Read("catalog", tmp / "bad-gb.csv", gbk);
  EXPECT_EQ(c.items, (std::vector<std::string>{"p1"}));
  ASSERT_EQ(c.rejects.size(), 2u);
  for (const auto& rj : c.rejects) EXPECT_EQ(rj.reason, "not valid GB18030") << rj.line << " " << rj.field;
  // Gender words are recognised once converted.
  test::WriteFile(tmp / "users.csv", "user_id,gender,birth_year\nu1," + male + ",1990\n");
  c = Read("users", tmp / "users.csv", gbk);
  EXPECT_TRUE(c.rejects.empty());
  EXPECT_EQ(c.genders["u1"], "M");
  // JSON Lines: the whole line is the field.
  test::WriteFile(tmp / "r.json", R"({"reviewerID":")" + huawei + R"(","asin":"a","overall":4,"unixReviewTime":1})" "\n");
  c = Read("amazon-reviews", tmp / "r.json");
  ASSERT_EQ(c.rejects.size(), 1u);
  EXPECT_EQ(c.rejects[0].field, "-");
  EXPECT_EQ(c.rejects[0].reason, kInvalidUtf8Reason);
  // A delimiter byte that the encoding turns into a multi-byte character (Latin-1 '¦' = 0xA6,
  // UTF-8 C2 A6) splits that character: the row is rejected, not stored with a stray 0xC2.
  ReaderOptions latin;
  latin.encoding = "latin1";
  latin.delimiter = '\xA6';
  latin.has_header = false;
  latin.columns = {{"user", "0"}, {"item", "1"}, {"time", "2"}};
  test::WriteFile(tmp / "l1.csv", "u1\xA6i1\xA6" "2024-05-01 10:00:00\n");
  c = Read("events-csv", tmp / "l1.csv", latin);
  EXPECT_TRUE(c.events.empty());
  ASSERT_EQ(c.rejects.size(), 1u);
  EXPECT_EQ(c.rejects[0].reason, kInvalidUtf8Reason);
  // A mistyped column number (no header) rejects rows; it does not name 10^8 columns first.
  ReaderOptions far;
  far.has_header = false;
  far.columns = {{"user", "100000000"}, {"item", "1"}, {"time", "2"}};
  test::WriteFile(tmp / "far.csv", "u1,i1,2024-05-01 10:00:00\n");
  c = Read("events-csv", tmp / "far.csv", far);
  ASSERT_EQ(c.rejects.size(), 1u);
  EXPECT_EQ(c.rejects[0].reason, "row has too few fields");
  // Formats are detected in the given encoding: a UTF-16 catalogue.
  const std::string head = "product_id,title\n";
  std::string u16 = "\xFF\xFE";
  for (char ch : head) u16 += ch, u16 += '\0';
  test::WriteFile(tmp / "cat16.csv", u16);
  EXPECT_EQ(DetectFormat(tmp / "cat16.csv"), "");
  EXPECT_EQ(DetectFormat(tmp / "cat16.csv", "UTF-16"), "catalog");
  // An unknown encoding is an error for the file, naming it.
  ReaderOptions nope;
  nope.encoding = "no-such-encoding";
  Collect none;
  Status st = ReadFormat("catalog", tmp / "catalog.csv", nope, none);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no-such-encoding"), std::string::npos) << st.message();
}

// A NUL byte never reaches the store: SQLite's length() and C strings end text there.
TEST(Readers, NulBytesAreRejectedNamingTheLine) {
  test::TempDir tmp;
  const std::string ok = R"({"user_id":"u1","text":"fine"})" "\n";
  test::WriteFile(tmp / "kg.tsv", "evil\x1b]0;pwned\x07\tr\tb\na\tr\x01\tb\na\tr\tb\n");
  Collect k = Read("triples", tmp / "kg.tsv");
  EXPECT_EQ(k.triples, std::vector<std::string>{"a|r|b"});
  ASSERT_EQ(k.rejects.size(), 2u);
  EXPECT_EQ(k.rejects[0].field, "head");
  EXPECT_EQ(k.rejects[0].reason, "control character U+001B in head");
  EXPECT_EQ(k.rejects[1].field, "relation");
  test::WriteFile(tmp / "t.jsonl", ok + std::string("\0", 1) + ok + ok.substr(0, 10) + std::string("\0", 1) +
                                       ok.substr(10) + R"({"user_id":"u\u0000x","text":"x"})" "\n" + ok);
  Collect c = Read("texts", tmp / "t.jsonl");
  EXPECT_EQ(c.texts.size(), 2u);
  ASSERT_EQ(c.rejects.size(), 3u);
  EXPECT_EQ(c.rejects[0].line, 2u);  // a line starting with NUL was dropped without a word
  EXPECT_EQ(c.rejects[0].reason, "NUL byte (binary data?)");
  EXPECT_EQ(c.rejects[1].line, 3u);
  EXPECT_EQ(c.rejects[2].line, 4u);
  EXPECT_EQ(c.rejects[2].field, "user_id");
  test::WriteFile(tmp / "c.csv", "product_id,title\np1,a\np2,b" + std::string("\0", 1) + "c\np3,\"q" +
                                     std::string("\0", 1) + "\"\n");
  c = Read("catalog", tmp / "c.csv");
  EXPECT_EQ(c.items, (std::vector<std::string>{"p1"}));
  ASSERT_EQ(c.rejects.size(), 2u);
  EXPECT_EQ(c.rejects[0].field, "title");
  EXPECT_EQ(c.rejects[1].line, 4u);
}

TEST(Readers, DetectsFormats) {
  test::TempDir tmp;
  test::WriteFile(tmp / "a.csv", "event_time,event_type,product_id\n");
  test::WriteFile(tmp / "b.csv", "1,2,3,pv,1511544070\n");
  test::WriteFile(tmp / "c.tsv", "a\tr\tb\n");
  EXPECT_EQ(DetectFormat(tmp / "a.csv"), "rees46");
  EXPECT_EQ(DetectFormat(tmp / "b.csv"), "taobao");
  EXPECT_EQ(DetectFormat(tmp / "c.tsv"), "triples");
  // JSON: the first record of a texts file may lack "text"; item-attributes is one object.
  test::WriteFile(tmp / "kg.tsv", "evil\x1b]0;pwned\x07\tr\tb\na\tr\x01\tb\na\tr\tb\n");
  Collect k = Read("triples", tmp / "kg.tsv");
  EXPECT_EQ(k.triples, std::vector<std::string>{"a|r|b"});
  ASSERT_EQ(k.rejects.size(), 2u);
  EXPECT_EQ(k.rejects[0].field, "head");
  EXPECT_EQ(k.rejects[0].reason, "control character U+001B in head");
  EXPECT_EQ(k.rejects[1].field, "relation");
  test::WriteFile(tmp / "t.jsonl", R"({"user_id":"u0","product_id":"p0","title":"no body"})" "\n"
                                   R"({"user_id":"u1","product_id":"p1","text":"nice"})" "\n");
  EXPECT_EQ(DetectFormat(tmp / "t.jsonl"), "texts");
  test::WriteFile(tmp / "r.jsonl", R"({"asin":"a","overall":5})" "\n" R"({"reviewerID":"u","asin":"a"})" "\n");
  EXPECT_EQ(DetectFormat(tmp / "r.jsonl"), "amazon-reviews");
  test::WriteFile(tmp / "a.json", R"({"4": [1, 2, 3], "83": [4, 5]})" "\n");
  EXPECT_EQ(DetectFormat(tmp / "a.json"), "item-attributes");
  test::WriteFile(tmp / "b.json", "{\n  \"text\": [1],\n  \"user_id\": [2]\n}\n");
  EXPECT_EQ(DetectFormat(tmp / "b.json"), "item-attributes");
  // Objects with user_id but no text anywhere (the generator's personas.jsonl) are not texts.
  test::WriteFile(tmp / "p.jsonl", R"({"user_id":"u0","favourite_brands":["a"]})" "\n" R"({"user_id":"u1"})" "\n");
  EXPECT_NE(DetectFormat(tmp / "p.jsonl"), "texts");
}

// A shop's export with the columns of a format in another order, or quoted, is that format (it
// was "cannot tell the format"). A header with a column the format does not read is another kind
// of file, which that reader would take in part without a word: a joined MovieLens file is not a
// users file, reviews are not a catalogue, a brands file with codes is not categories.
TEST(Readers, DetectsCsvFormatsWhateverTheColumnOrder) {
  test::TempDir tmp;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"event_type,event_time,product_id,category_id,category_code,brand,price,user_id,user_session", "rees46"},
      {"\"user_id\", \"event_time\",event_type,product_id", "rees46"},
      {"title,product_id,price", "catalog"},
      {"category_path,product_id", "catalog"},
      {"city,gender,user_id", "users"},
      {"age,user_id", "users"},
      {"name_en,code", "categories"},
      {"parent_code,code,name_zh", "categories"},
      {"root_category,brand", "brands"},
      {"name_zh,name,brand", "brands"},
      {"user_id,event_time,shop,event_type,product_id", ""},  // a column rees46 does not read
      {"sku,product_id,category_path", ""},
      {"movie_id,user_id,rating,timestamp,gender,age,occupation,zip", ""},
      {"review_id,product_id,title,body,rating", ""},
      {"name,brand,code,name_zh", ""},
      {"title,product_id,user_id", ""},
      {"gender,user_id,product_id", ""},
      {"event_time,user_id,product_id", ""},  // no event_type
      {"price,code", ""},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string path = tmp / ("h" + std::to_string(i) + ".csv");
    test::WriteFile(path, cases[i].first + "\n");
    EXPECT_EQ(DetectFormat(path), cases[i].second) << cases[i].first;
  }
  // The reader takes such a file as it would in the documented order.
  test::WriteFile(tmp / "e.csv", "user_id,event_type,event_time,product_id\nu1,view,2019-10-01 00:00:00 UTC,p1\n");
  ASSERT_EQ(DetectFormat(tmp / "e.csv"), "rees46");
  Collect e = Read("rees46", tmp / "e.csv");
  EXPECT_TRUE(e.rejects.empty());
  EXPECT_EQ(e.events.size(), 1u);
}

// What a review of the reader fixes found: "\r\r\n" is a line end, not a lone CR; a stray
// quote's rows are read again even when a swallowed line has a bad byte; a field that rightly
// holds a line break is not re-read as rows, nor is `"x" ,` taken for a stray quote; a date
// before 1970 is refused.
TEST(Readers, ReReadsOnlyStrayQuotesAndTakesCrCrLfAsALineEnd) {
  test::TempDir tmp;
  const std::string head = "product_id,title,category_path,brand,price,attributes\n";
  test::WriteFile(tmp / "crcrlf.csv", "product_id,title,category_path,brand,price,attributes\r\r\np1,T1,a.b,x,1,\r\r\n");
  Collect c = Read("catalog", tmp / "crcrlf.csv");
  EXPECT_EQ(c.items.size(), 1u);
  test::WriteFile(tmp / "bad.csv", head + "p1,\"5 inch screen,a.b,x,1,\np2,T2,a.b,x,2,\np3,D\xff" "esk,a.b,x,3,\n"
                                          "p4,\"Sofa\",a.b,x,4,\np5,T5,a.b,x,5,\n");
  c = Read("catalog", tmp / "bad.csv");
  std::set<std::string> ids(c.items.begin(), c.items.end());
  EXPECT_EQ(ids, (std::set<std::string>{"p2", "p4", "p5"}));  // p1 and p3 rejected, naming their lines
  EXPECT_EQ(c.rejects.size(), 2u);
  test::WriteFile(tmp / "multi.csv", head + "p1,\"multi\np9,Fake,a.b,x,1,\nend\",home.lamp,ikea,10,,extra\n"
                                            "p2,\"two\nlines\" ,home.chair,ikea,5,\n");
  c = Read("catalog", tmp / "multi.csv");
  ids = std::set<std::string>(c.items.begin(), c.items.end());
  EXPECT_EQ(ids, (std::set<std::string>{"p2"}));  // no p9 made up from inside p1's title
  ASSERT_EQ(c.rejects.size(), 1u);
  EXPECT_EQ(c.rejects[0].line, 2u);
  EXPECT_FALSE(ParseTimestamp("1969-07-20 20:17:00 UTC"));
  EXPECT_FALSE(ParseTimestamp("0001-01-01"));
  EXPECT_EQ(ParseTimestamp("1970-01-01 00:00:00 UTC"), 0);
}

}  // namespace
}  // namespace kgp
