// Ingest into a workspace: idempotence, rejects, rollback, pseudonymisation, crash safety.
#include "ingest/ingest.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <fcntl.h>

#include "common/hash.h"
#include "common/time.h"
#include "common/strings.h"
#include "store/workspace.h"
#include "test_util.h"

namespace kgp {
namespace {

std::unique_ptr<Workspace> MakeWs(const std::string& dir, bool pseudo = false) {
  auto ws = Workspace::Init(dir, WorkspaceOptions{pseudo});
  EXPECT_TRUE(ws.ok()) << ws.status().ToString();
  return std::move(ws).value();
}

int64_t Count(Workspace& ws, const std::string& table) {
  return ws.db().QueryInt("SELECT count(*) FROM " + table);
}

std::string Rees46(int rows, int start = 0) {
  std::string s = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n";
  for (int i = start; i < start + rows; ++i)
    s += FormatTimestamp(1700000000 + i) + "," + (i % 10 == 0 ? "purchase" : "view") + "," +
         std::to_string(100 + i % 50) + ",7,electronics.smartphone,acme," + std::to_string(10 + i % 7) + ".5," +
         std::to_string(1000 + i % 30) + ",sess" + std::to_string(i / 5) + "\n";
  return s;
}

TEST(Ingest, ReingestingAddsNothingAndAppendingExtends) {
  test::TempDir tmp;
  auto ws = MakeWs(tmp / "ws");
  test::WriteFile(tmp / "a.csv", Rees46(500));
  IngestOptions o;
  o.format = "rees46";
  auto r1 = Ingest(*ws, tmp / "a.csv", o);
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ((*r1)[0].counts.events_new, 500u);
  EXPECT_EQ(Count(*ws, "events"), 500);
  EXPECT_EQ(Count(*ws, "users"), 30);
  EXPECT_EQ(Count(*ws, "items"), 50);
  EXPECT_EQ(Count(*ws, "categories"), 2);  // electronics, electronics.smartphone
  // Same content again: recognised and skipped.
  auto r2 = Ingest(*ws, tmp / "a.csv", o);
  ASSERT_TRUE(r2.ok());
  EXPECT_TRUE((*r2)[0].skipped);
  // Forced re-read: every event is a duplicate by key.
  o.force = true;
  auto r3 = Ingest(*ws, tmp / "a.csv", o);
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ((*r3)[0].counts.events_new, 0u);
  EXPECT_EQ((*r3)[0].counts.events_dup, 500u);
  EXPECT_EQ(Count(*ws, "events"), 500);
  // An overlapping file with 250 old and 250 new rows adds exactly the new ones.
  test::WriteFile(tmp / "b.csv", Rees46(500, 250));
  auto r4 = Ingest(*ws, tmp / "b.csv", o);
  ASSERT_TRUE(r4.ok());
  EXPECT_EQ((*r4)[0].counts.events_new, 250u);
  EXPECT_EQ(Count(*ws, "events"), 750);
}

// The fingerprint covers the whole file: a file changed in the middle, its size kept, is read
// again (it was skipped as "same content" when only the first and last MiB were hashed).
// Another command holding the store's write lock longer than the wait: the error says so and
// what to do (it was SQLite's bare "database is locked"), from a statement and from Exec.
TEST(Ingest, AStoreBusyWithAnotherWriterSaysSo) {
  test::TempDir tmp;
  auto ws = MakeWs(tmp / "ws");
  auto other = Db::Open(ws->db().path(), /*create=*/false);
  ASSERT_TRUE(other.ok());
  (*other)->ExecOrThrow("BEGIN IMMEDIATE");
  ws->db().SetBusyTimeoutMs(50);
  const std::string want = ws->db().path() + ": the store stayed busy: another kgprofile command";
  Status s = ws->db().Exec("INSERT INTO users(ext_id) VALUES('u1')");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind(want, 0), 0u) << s.message();
  EXPECT_NE(s.message().find("run this again when it has finished"), std::string::npos) << s.message();
  try {
    ws->db().Prepare("INSERT INTO users(ext_id) VALUES('u2')").Run();
    ADD_FAILURE() << "the insert went through a held write lock";
  } catch (const Error& e) {
    EXPECT_EQ(e.status().message().rfind(want, 0), 0u) << e.status().message();
  }
  (*other)->ExecOrThrow("COMMIT");
  EXPECT_TRUE(ws->db().Exec("INSERT INTO users(ext_id) VALUES('u3')").ok());
}

TEST(Ingest, AFileChangedInTheMiddleIsNotTakenForTheSameContent) {
  test::TempDir tmp;
  std::string data = Rees46(40000);
  ASSERT_GT(data.size(), 3u << 20);
  test::WriteFile(tmp / "a.csv", data);
  auto fp1 = FileFingerprint(tmp / "a.csv");
  const size_t mid = data.find("purchase", data.size() / 2);
  data.replace(mid, 8, "cart    ");  // same size
  test::WriteFile(tmp / "a.csv", data);
  auto fp2 = FileFingerprint(tmp / "a.csv");
  ASSERT_TRUE(fp1.ok() && fp2.ok());
  EXPECT_NE(*fp1, *fp2);
  EXPECT_EQ(fp1->substr(0, fp1->find('-')), std::to_string(data.size()));
}

// A catalogue row states the product's categories and attributes: a later catalogue replaces
// them (p1 stayed in apparel.shoes with color=red beside apparel.boots and color=blue, so colour
// looked like a variant dimension); a row that leaves them empty keeps them.
TEST(Ingest, ACatalogueRowReplacesTheProductsCategoriesAndAttributes) {
  test::TempDir tmp;
  auto ws = MakeWs(tmp / "ws");
  const std::string head = "product_id,title,category_path,brand,price,attributes\n";
  test::WriteFile(tmp / "c1.csv", head + "p1,Shoe,apparel.shoes,acme,10,color=red;size=42\np2,Hat,apparel.hats,acme,5,color=red\n");
  test::WriteFile(tmp / "c2.csv", head + "p1,Boot,apparel.boots,acme,12,color=blue\np2,Hat,,acme,5,\n");
  for (const char* f : {"c1.csv", "c2.csv"}) ASSERT_TRUE(Ingest(*ws, tmp / f, IngestOptions{}).ok()) << f;
  const auto list = [&](const std::string& sql) {
    std::vector<std::string> out;
    Stmt st = ws->db().Prepare(sql);
    while (st.Step()) out.emplace_back(st.Text(0));
    return out;
  };
  EXPECT_EQ(list("SELECT c.code FROM item_categories ic JOIN categories c ON c.id = ic.category_id "
                 "JOIN items i ON i.id = ic.item_id WHERE i.ext_id = 'p1'"),
            (std::vector<std::string>{"apparel.boots"}));
  EXPECT_EQ(list("SELECT a.key || '=' || a.value FROM item_attributes a JOIN items i ON i.id = a.item_id "
                 "WHERE i.ext_id = 'p1' ORDER BY 1"),
            (std::vector<std::string>{"color=blue"}));
  EXPECT_EQ(list("SELECT c.code FROM item_categories ic JOIN categories c ON c.id = ic.category_id "
                 "JOIN items i ON i.id = ic.item_id WHERE i.ext_id = 'p2'"),
            (std::vector<std::string>{"apparel.hats"}));
  EXPECT_EQ(list("SELECT a.key || '=' || a.value FROM item_attributes a JOIN items i ON i.id = a.item_id "
                 "WHERE i.ext_id = 'p2'"),
            (std::vector<std::string>{"color=red"}));
  // Rows of one file for one product add up (a row per category or attribute); only what earlier
  // files stored is replaced.
  test::WriteFile(tmp / "c3.csv", head + "p1,Boot,apparel.heating,acme,12,color=white\np1,Boot,apparel.boiler,acme,12,size=L\n");
  ASSERT_TRUE(Ingest(*ws, tmp / "c3.csv", IngestOptions{}).ok());
  EXPECT_EQ(list("SELECT c.code FROM item_categories ic JOIN categories c ON c.id = ic.category_id "
                 "JOIN items i ON i.id = ic.item_id WHERE i.ext_id = 'p1' ORDER BY 1"),
            (std::vector<std::string>{"apparel.boiler", "apparel.heating"}));
  EXPECT_EQ(list("SELECT a.key || '=' || a.value FROM item_attributes a JOIN items i ON i.id = a.item_id "
                 "WHERE i.ext_id = 'p1' ORDER BY 1"),
            (std::vector<std::string>{"color=white", "size=L"}));
}

// A pipe can be read once: ingest reads it (it used to be read to the end for the fingerprint,
// leaving the reader nothing: 0 rows, exit 0).
TEST(Ingest, APipeIsReadNotFingerprinted) {
  test::TempDir tmp;
  auto ws = MakeWs(tmp / "ws");
  const std::string cmd = std::string("printf 'event_time,event_type,product_id,category_id,category_code,brand,price,"
                                      "user_id,user_session\\n2019-10-01 00:00:00 UTC,view,1,,,,,u1,s\\n' | ") +
                          KGP_BINARY + " -q ingest " + ws->dir() + " --format rees46 /dev/stdin >" + (tmp / "out") + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << test::ReadFile(tmp / "out");
  const test::RunResult r{0, test::ReadFile(tmp / "out"), ""};
  EXPECT_EQ(ws->db().QueryInt("SELECT count(*) FROM events"), 1) << r.out;
}

// REES46 rows miss the category code now and then. A category id first seen without its code
// is a placeholder "id:<id>" until a row names the code; then it joins the code's category, so
// a product is not in the same category twice (one under each name), within a file or across
// ingests.
TEST(Ingest, ACategoryIdSeenFirstWithoutItsCodeJoinsTheCodeLater) {
  test::TempDir tmp;
  auto ws = MakeWs(tmp / "ws");
  const std::string head = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n";
  const auto row = [](int i, int product, const char* cat_id, const char* code) {
    return FormatTimestamp(1700000000 + i) + ",view," + std::to_string(product) + "," + cat_id + "," + code + ",acme,9.5,u1,s1\n";
  };
  IngestOptions o;
  o.format = "rees46";
  // One file: product 1 comes first without the code, then with it; product 2 only with it.
  test::WriteFile(tmp / "a.csv", head + row(0, 1, "7", "") + row(1, 2, "7", "electronics.smartphone") +
                                     row(2, 1, "7", "") + row(3, 1, "7", "electronics.smartphone"));
  auto a = Ingest(*ws, tmp / "a.csv", o);
  ASSERT_TRUE(a.ok());
  // The summary counts the categories the file added: the placeholder merged again is not one.
  EXPECT_EQ(a->at(0).counts.categories_new, 2);  // electronics, electronics.smartphone
  // Across ingests: category 8 is only a placeholder after the first file, the code comes later.
  test::WriteFile(tmp / "b.csv", head + row(10, 3, "8", "") + row(11, 4, "8", ""));
  ASSERT_TRUE(Ingest(*ws, tmp / "b.csv", o).ok());
  EXPECT_EQ(ws->db().QueryInt("SELECT count(*) FROM categories WHERE code = 'id:8'"), 1);
  test::WriteFile(tmp / "c.csv", head + row(20, 5, "8", "") + row(21, 3, "8", "home.lamp") + row(22, 4, "8", ""));
  auto c = Ingest(*ws, tmp / "c.csv", o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->at(0).counts.categories_new, 2);  // home, home.lamp (id:8 came from b.csv and is merged)

  Db& db = ws->db();
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM categories WHERE code LIKE 'id:%'"), 0);
  const auto cats_of = [&](const char* product) {
    std::vector<std::string> out;
    Stmt st = db.Prepare(
        "SELECT c.code FROM item_categories ic JOIN items i ON i.id = ic.item_id JOIN categories c ON c.id = ic.category_id "
        "WHERE i.ext_id = ? ORDER BY c.code");
    st.Bind(1, std::string_view(product));
    while (st.Step()) out.emplace_back(st.Text(0));
    return out;
  };
  const std::vector<std::string> phone = {"electronics.smartphone"}, lamp = {"home.lamp"};
  EXPECT_EQ(cats_of("1"), phone);
  EXPECT_EQ(cats_of("2"), phone);
  for (const char* p : {"3", "4", "5"}) EXPECT_EQ(cats_of(p), lamp) << p;
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM items i LEFT JOIN categories c ON c.id = i.category_id WHERE c.id IS NULL"), 0);
  // A later row without the code finds the merged category; a category never coded stays a placeholder.
  test::WriteFile(tmp / "d.csv", head + row(30, 6, "8", "") + row(31, 7, "9", ""));
  ASSERT_TRUE(Ingest(*ws, tmp / "d.csv", o).ok());
  EXPECT_EQ(cats_of("6"), lamp);
  EXPECT_EQ(cats_of("7"), std::vector<std::string>{"id:9"});

  // The merged placeholder's id is free again: the next new category may get it, and nothing
  // may still point there (here it is the newest row, so SQLite gives its id out again).
  test::TempDir tmp2;
  auto ws2 = MakeWs(tmp2 / "ws");
  test::WriteFile(tmp2 / "e.csv", head + row(0, 11, "1", "electronics.smartphone") + row(1, 12, "7", "") +
                                      row(2, 12, "7", "electronics.smartphone") + row(3, 13, "9", "electronics.audio") +
                                      row(4, 12, "7", ""));
  ASSERT_TRUE(Ingest(*ws2, tmp2 / "e.csv", o).ok());
  EXPECT_EQ(ws2->db().QueryInt("SELECT count(*) FROM items i JOIN categories c ON c.id = i.category_id "
                               "WHERE (i.ext_id = '13' AND c.code = 'electronics.audio') OR "
                               "(i.ext_id = '12' AND c.code = 'electronics.smartphone')"),
            2);
  // A code may have several source ids; each keeps finding it in later ingests.
  test::WriteFile(tmp2 / "f.csv", head + row(10, 20, "30", "home.desk") + row(11, 21, "31", "") + row(12, 21, "31", "home.desk"));
  ASSERT_TRUE(Ingest(*ws2, tmp2 / "f.csv", o).ok());
  test::WriteFile(tmp2 / "g.csv", head + row(20, 22, "30", "") + row(21, 23, "31", ""));
  ASSERT_TRUE(Ingest(*ws2, tmp2 / "g.csv", o).ok());
  EXPECT_EQ(ws2->db().QueryInt("SELECT count(*) FROM categories WHERE code LIKE 'id:%'"), 0);
  EXPECT_EQ(ws2->db().QueryInt("SELECT count(*) FROM items i JOIN categories c ON c.id = i.category_id "
                               "WHERE i.ext_id IN ('22', '23') AND c.code = 'home.desk'"),
            2);
}

// Category codes are keys in lower case, as brand keys are, without empty segments: the same
// category written in another case, or with a doubled or stray dot, is the same category (it was
// a second tree, splitting a user's interest in two). The names keep the case first written.
TEST(Ingest, CategoryCodesAreTheSameCategoryInAnyCaseAndWithoutEmptySegments) {
  test::TempDir tmp;
  auto ws = MakeWs(tmp / "ws");
  const std::string head = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n";
  const auto row = [](int i, int product, const char* code, const char* brand) {
    return FormatTimestamp(1700000000 + i) + ",view," + std::to_string(product) + ",," + code + "," + brand + ",9.5,u1,s1\n";
  };
  IngestOptions o;
  o.format = "rees46";
  test::WriteFile(tmp / "a.csv", head + row(0, 1, "Electronics.Phone", "Apple") + row(1, 2, "electronics.phone", "apple") +
                                     row(2, 3, "electronics..phone", "apple") + row(3, 4, ".Electronics.PHONE.", "apple") +
                                     row(4, 5, "...", "apple") + row(5, 6, "Home.Lamp", "acme"));
  auto a = Ingest(*ws, tmp / "a.csv", o);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->at(0).counts.events_new, 6u);
  EXPECT_EQ(a->at(0).counts.categories_new, 4u);  // electronics, electronics.phone, home, home.lamp
  Db& db = ws->db();
  std::vector<std::string> cats;
  for (Stmt st = db.Prepare("SELECT c.code, c.name_en, coalesce(p.code, '-') FROM categories c "
                            "LEFT JOIN categories p ON p.id = c.parent_id ORDER BY c.code");
       st.Step();)
    cats.push_back(std::string(st.Text(0)) + " " + std::string(st.Text(1)) + " " + std::string(st.Text(2)));
  const std::vector<std::string> want = {"electronics Electronics -", "electronics.phone Phone electronics",
                                         "home Home -", "home.lamp Lamp home"};
  EXPECT_EQ(cats, want);
  // Products 1 to 4 are in the one phone category; a code of dots only gives no category.
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM item_categories ic JOIN categories c ON c.id = ic.category_id "
                        "WHERE c.code = 'electronics.phone'"),
            4);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM items WHERE ext_id = '5' AND category_id IS NULL"), 1);
  // A catalogue and a categories file name them in yet another case and find them too; a
  // categories code of dots only is rejected, naming the field.
  test::WriteFile(tmp / "catalog.csv", "product_id,title,category_path,brand,price,attributes\n7,Case,ELECTRONICS.Phone,apple,5,\n");
  IngestOptions c;
  c.format = "catalog";
  ASSERT_TRUE(Ingest(*ws, tmp / "catalog.csv", c).ok());
  test::WriteFile(tmp / "categories.csv", "code,name_en,name_zh,parent_code\nHOME.LAMP,Lamps,灯具,\n..,Nothing,,\n");
  c.format = "categories";
  auto cat = Ingest(*ws, tmp / "categories.csv", c);
  ASSERT_TRUE(cat.ok()) << cat.status().ToString();
  EXPECT_EQ(cat->at(0).rejects, 1u);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM rejects WHERE field = 'code' AND line = 3"), 1);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM categories"), 4);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM categories WHERE code = 'home.lamp' AND name_en = 'Lamps' AND name_zh = '灯具'"), 1);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM items i JOIN categories c ON c.id = i.category_id "
                        "WHERE i.ext_id = '7' AND c.code = 'electronics.phone'"),
            1);
}

// A brands file may give the display name: it wins over the key events and the catalogue use,
// whichever file comes first.
TEST(Ingest, ABrandsDisplayNameWinsOverItsKey) {
  test::TempDir tmp;
  auto ws = MakeWs(tmp / "ws");
  test::WriteFile(tmp / "catalog.csv", "product_id,title,category_path,brand,price,attributes\n"
                                       "p1,Night serum,beauty.skincare,esteelauder,99,\np2,Tent,sports.camping,thenorthface,500,\n");
  test::WriteFile(tmp / "brands.csv", "brand,name,name_zh,root_category\n"
                                      "esteelauder,Estee Lauder,雅诗兰黛,beauty\nthenorthface,,北面,sports\n");
  for (const char* f : {"catalog.csv", "brands.csv"}) ASSERT_TRUE(Ingest(*ws, tmp / f, IngestOptions{}).ok()) << f;
  const auto name = [&](const char* key) {
    Stmt st = ws->db().Prepare("SELECT name FROM brands WHERE key = ?");
    st.Bind(1, std::string_view(key));
    return st.Step() ? std::string(st.Text(0)) : std::string("(none)");
  };
  EXPECT_EQ(name("esteelauder"), "Estee Lauder");
  // ingest_files.records counts the rows of any kind, not only events.
  EXPECT_EQ(ws->db().QueryInt("SELECT count(*) FROM ingest_files WHERE records = 2"), 2);  // 2 products, 2 brands
  EXPECT_EQ(name("thenorthface"), "thenorthface");  // no display name given: the key
}

TEST(Ingest, IdenticalRowsInOneFileStayDistinctEvents) {
  test::TempDir tmp;
  auto ws = MakeWs(tmp / "ws");
  std::string row = "2019-10-01 00:00:00 UTC,purchase,1,2,,,5.00,9,s\n";
  test::WriteFile(tmp / "a.csv", "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n" + row + row);
  IngestOptions o;
  o.format = "rees46";
  ASSERT_TRUE(Ingest(*ws, tmp / "a.csv", o).ok());
  EXPECT_EQ(Count(*ws, "events"), 2);  // two units bought in the same second
  o.force = true;
  ASSERT_TRUE(Ingest(*ws, tmp / "a.csv", o).ok());
  EXPECT_EQ(Count(*ws, "events"), 2);
}

TEST(Ingest, RejectsAreStoredAndReported) {
  test::TempDir tmp;
  auto ws = MakeWs(tmp / "ws");
  std::string data = Rees46(20);
  data += "garbage,view,1,2,,,1,2,s\n";
  data += "2019-10-01 00:00:00 UTC,view,1,2,,,1\n";
  test::WriteFile(tmp / "a.csv", data);
  IngestOptions o;
  o.format = "rees46";
  auto r = Ingest(*ws, tmp / "a.csv", o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].rejects, 2u);
  EXPECT_EQ((*r)[0].counts.events_new, 20u);
  EXPECT_EQ(Count(*ws, "rejects"), 2);
  EXPECT_EQ((*r)[0].rejects_by_reason.at("event_time: unparseable time"), 1u);
  std::string report = test::ReadFile((*r)[0].rejects_file);
  EXPECT_NE(report.find(",22,event_time,unparseable time\n"), std::string::npos) << report;
  EXPECT_NE(report.find(",23,-,expected 9 fields\n"), std::string::npos) << report;
}

TEST(Ingest, MaxErrorsRollsTheWholeFileBack) {
  test::TempDir tmp;
  auto ws = MakeWs(tmp / "ws");
  std::string data = Rees46(100);
  for (int i = 0; i < 5; ++i) data += "bad row\n";
  test::WriteFile(tmp / "a.csv", data);
  IngestOptions o;
  o.format = "rees46";
  o.max_errors = 3;
  auto r = Ingest(*ws, tmp / "a.csv", o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)[0].aborted);
  EXPECT_EQ((*r)[0].counts.events_new, 0u);  // the report says what landed: nothing
  EXPECT_EQ((*r)[0].counts.users_new, 0u);
  EXPECT_GT((*r)[0].rejects, 3u);
  EXPECT_EQ(Count(*ws, "events"), 0);
  EXPECT_EQ(Count(*ws, "users"), 0);
  EXPECT_EQ(ws->db().QueryInt("SELECT count(*) FROM ingest_files WHERE status='aborted'"), 1);
  o.max_errors = 10;
  auto r2 = Ingest(*ws, tmp / "a.csv", o);
  ASSERT_TRUE(r2.ok());
  EXPECT_FALSE((*r2)[0].aborted);
  EXPECT_EQ(Count(*ws, "events"), 100);
}

TEST(Ingest, PseudonymisedIdsNeverReachTheStore) {
  test::TempDir tmp;
  auto ws = MakeWs(tmp / "ws", /*pseudo=*/true);
  EXPECT_EQ(std::filesystem::status(tmp / "ws/pseudonym.key").permissions() &
                std::filesystem::perms::others_read,
            std::filesystem::perms::none);
  std::string data = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n";
  data += "2019-10-01 00:00:00 UTC,view,1,2,,,1.00,secretuser4711,s\n";
  data += "2019-10-01 00:00:01 UTC,purchase,1,2,,,1.00,secretuser4711,s\n";
  test::WriteFile(tmp / "a.csv", data);
  test::WriteFile(tmp / "u.csv", "user_id,gender,birth_year,city,occupation,signup_time\nsecretuser4711,F,1990,,,\n");
  IngestOptions o;
  ASSERT_TRUE(Ingest(*ws, tmp / "a.csv", o).ok());
  ASSERT_TRUE(Ingest(*ws, tmp / "u.csv", o).ok());
  EXPECT_EQ(Count(*ws, "users"), 1);  // events and the users file agree on the pseudonym
  EXPECT_EQ(ws->db().QueryInt("SELECT count(*) FROM users WHERE gender='F'"), 1);
  ws.reset();  // close, checkpoint the WAL
  for (const auto& f : std::filesystem::directory_iterator(tmp / "ws")) {
    if (!f.is_regular_file()) continue;
    std::string bytes = test::ReadFile(f.path().string());
    EXPECT_EQ(bytes.find("secretuser4711"), std::string::npos) << f.path();
  }
}

// A settings file that no longer says what the workspace is must be refused, not read as the
// defaults: `pseudonymize = True`, a misspelt key or a lost file stored raw ids beside the
// pseudonyms.
TEST(Ingest, ASettingsFileThatDropsPseudonymisationIsRefused) {
  test::TempDir tmp;
  const std::string dir = tmp / "ws";
  // Before any user is stored pseudonymisation may still be turned off.
  {
    MakeWs(dir, /*pseudo=*/true).reset();
    const std::string c = test::ReadFile(dir + "/kgprofile.conf");
    test::WriteFile(dir + "/kgprofile.conf", c.substr(0, c.find("pseudonymize = true")) + "pseudonymize = false\n" +
                                                 c.substr(c.find("pseudonymize = true") + 20));
    ASSERT_TRUE(Workspace::Open(dir).ok());
    test::WriteFile(dir + "/kgprofile.conf", c);
  }
  test::WriteFile(tmp / "first.csv", "user_id,gender,birth_year,city,occupation,signup_time\nfirst0001,M,1980,,,\n");
  {
    auto ws = Workspace::Open(dir);
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
    ASSERT_TRUE(Ingest(**ws, tmp / "first.csv", IngestOptions{}).ok());
  }
  const std::string conf_path = dir + "/kgprofile.conf";
  const std::string conf = test::ReadFile(conf_path);
  const auto open_with = [&](const std::string& text) {
    test::WriteFile(conf_path, text);
    return Workspace::Open(dir);
  };
  const auto without_switch = [&](const std::string& line) {
    std::string c = conf;
    const size_t at = c.find("pseudonymize = true\n");
    EXPECT_NE(at, std::string::npos) << c;
    return c.replace(at, std::string("pseudonymize = true\n").size(), line);
  };
  // Spellings of a switch: any case of true/false, yes/no, on/off, 1/0.
  for (const char* on : {"pseudonymize = True\n", "pseudonymize = yes\n", "pseudonymize = 1\n"}) {
    auto ws = open_with(without_switch(on));
    ASSERT_TRUE(ws.ok()) << on << ws.status().ToString();
    EXPECT_EQ((*ws)->Setting("pseudonymize"), "true") << on;
  }
  // Off, or the key misspelt, on a pseudonymised workspace: refused, naming the setting.
  const std::pair<const char*, const char*> kOff[] = {{"pseudonymize = false\n", "pseudonymize is false"},
                                                     {"", "pseudonymize is false"},
                                                     {"pseudonymise = true\n", "kgprofile.conf:2: pseudonymise: unknown setting"}};
  for (const auto& [off, why] : kOff) {
    auto ws = open_with(without_switch(off));
    ASSERT_FALSE(ws.ok()) << off;
    EXPECT_NE(ws.status().message().find(why), std::string::npos) << ws.status().message();
  }
  // A workspace written before the database kept the record: its key file beside stored users.
  {
    auto ws = open_with(conf);
    ASSERT_TRUE(ws.ok());
    (*ws)->db().Prepare("DELETE FROM meta WHERE key = 'pseudonymize'").Run();
  }
  auto old_ws = open_with(without_switch("pseudonymize = false\n"));
  ASSERT_FALSE(old_ws.ok());
  EXPECT_NE(old_ws.status().message().find("pseudonymize is false"), std::string::npos) << old_ws.status().message();
  auto bad = open_with(without_switch("pseudonymize = ja\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("kgprofile.conf:2: pseudonymize = ja: expected true or false"), std::string::npos)
      << bad.status().message();
  auto cache = open_with(conf + "ingest_cache_mb = lots\n");
  ASSERT_FALSE(cache.ok());
  EXPECT_NE(cache.status().message().find("ingest_cache_mb = lots"), std::string::npos) << cache.status().message();
  // A lost settings file is refused too, with what to do.
  std::filesystem::remove(conf_path);
  auto lost = Workspace::Open(dir);
  ASSERT_FALSE(lost.ok());
  EXPECT_NE(lost.status().message().find("restore it"), std::string::npos) << lost.status().message();
  // Restored, ingest goes on under the pseudonyms.
  test::WriteFile(conf_path, conf);
  auto ws = Workspace::Open(dir);
  ASSERT_TRUE(ws.ok()) << ws.status().ToString();
  test::WriteFile(tmp / "u.csv", "user_id,gender,birth_year,city,occupation,signup_time\nsecretuser4711,F,1990,,,\n");
  ASSERT_TRUE(Ingest(**ws, tmp / "u.csv", IngestOptions{}).ok());
  EXPECT_EQ((*ws)->db().QueryInt("SELECT count(*) FROM users WHERE ext_id = 'secretuser4711'"), 0);
}

// Kills `kgprofile ingest` with SIGKILL at several moments, then re-runs it: the store must be
// consistent after each kill and complete afterwards, with no event lost or doubled.
TEST(Ingest, SurvivesSigkillAtAnyPoint) {
  test::TempDir tmp;
  std::string data = Rees46(60000);
  test::WriteFile(tmp / "big.csv", data);
  std::string ws = tmp / "ws";
  ASSERT_EQ(test::RunCli("init " + ws).exit_code, 0);
  for (int delay_ms : {5, 40, 120, 300}) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      dup2(devnull, 2);
      std::string bin = test::BinaryPath();
      std::string file = tmp / "big.csv";
      execl(bin.c_str(), bin.c_str(), "ingest", ws.c_str(), file.c_str(), "--force", (char*)nullptr);
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(pid, SIGKILL);
    int st = 0;
    waitpid(pid, &st, 0);
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    int64_t n = (*w)->db().QueryInt("SELECT count(*) FROM events");
    EXPECT_TRUE(n == 0 || n == 60000) << "partial file visible after kill at " << delay_ms << "ms: " << n;
    EXPECT_EQ((*w)->db().QueryInt("SELECT count(*) FROM events e LEFT JOIN users u ON u.id=e.user_id WHERE u.id IS NULL"), 0);
  }
  auto r = test::RunCli("ingest " + ws + " " + (tmp / "big.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto w = Workspace::Open(ws);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->db().QueryInt("SELECT count(*) FROM events"), 60000);
  Stmt check = (*w)->db().Prepare("PRAGMA integrity_check");
  ASSERT_TRUE(check.Step());
  EXPECT_EQ(check.Text(0), "ok");
  EXPECT_GE((*w)->db().QueryInt("SELECT count(*) FROM ingest_files WHERE status='done'"), 1);
}

TEST(Ingest, ClearErrorsForMissingFilesFoldersAndUnknownFormats) {
  test::TempDir tmp;
  auto ws = MakeWs(tmp / "ws");
  IngestOptions o;
  o.format = "rees46";
  auto missing = Ingest(*ws, tmp / "nope.csv", o);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.csv: no such file"), std::string::npos);
  auto folder = Ingest(*ws, tmp.path(), o);
  ASSERT_FALSE(folder.ok());
  EXPECT_NE(folder.status().message().find("is a folder"), std::string::npos);
  test::WriteFile(tmp / "x.bin", "\x01\x02 no idea\n");
  o.format = "";
  auto unknown = Ingest(*ws, tmp / "x.bin", o);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("give --format"), std::string::npos);
  o.reader.encoding = "NOPE";
  auto enc = Ingest(*ws, tmp / "x.bin", o);
  ASSERT_FALSE(enc.ok());
  EXPECT_NE(enc.status().message().find("unknown encoding 'NOPE'"), std::string::npos) << enc.status().message();
  o.reader.encoding = "";
  test::WriteFile(tmp / "cr.csv", "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,"
                                  "user_session\r2019-10-01 00:00:00 UTC,view,1,1,,b,1.0,u1,s1\r");
  auto cr = Ingest(*ws, tmp / "cr.csv", o);
  ASSERT_FALSE(cr.ok());
  EXPECT_NE(cr.status().message().find("lone CR"), std::string::npos) << cr.status().message();
  o.format = "rees46";
  cr = Ingest(*ws, tmp / "cr.csv", o);  // reported success with nothing read before
  ASSERT_FALSE(cr.ok());
  EXPECT_NE(cr.status().message().find("cr.csv:1: the line ends in a lone CR"), std::string::npos) << cr.status().message();
  test::WriteFile(tmp / "noheader.csv", "1,2,3\n");
  auto header = Ingest(*ws, tmp / "noheader.csv", o);
  ASSERT_FALSE(header.ok());
  EXPECT_NE(header.status().message().find("header lacks column(s) event_time"), std::string::npos)
      << header.status().message();
  EXPECT_EQ(ws->db().QueryInt("SELECT count(*) FROM ingest_files"), 0);  // nothing half-written
}

// A shop whose exports are GBK: without --encoding the Chinese rows are rejected (with a hint)
// and nothing invalid is stored; with it, a second ingest adds them and the JSON outputs that
// used to fail on invalid UTF-8 in the store print the Chinese names.
TEST(Ingest, GbkFilesAreRejectedThenReadWithTheirEncoding) {
  test::TempDir tmp;
  const std::string huawei = "\xBB\xAA\xCE\xAA\xCA\xD6\xBB\xFA", user = "\xD3\xC3\xBB\xA7\x32";  // 华为手机, 用户2
  test::WriteFile(tmp / "catalog.csv", "product_id,title,category_path,brand,price,attributes\n"
                                       "p1,phone,electronics.smartphone,acme,10,\n"
                                       "p2," + huawei + ",electronics.smartphone,acme,20,\n");
  std::string ev = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n";
  for (int i = 0; i < 4; ++i)
    ev += FormatTimestamp(1700000000 + i * 60) + (i == 3 ? ",purchase," : ",view,") + (i % 2 ? "p2" : "p1") +
          ",,electronics.smartphone,acme,10," + (i < 2 ? std::string("u1") : user) + ",s" + std::to_string(i) + "\n";
  test::WriteFile(tmp / "events.csv", ev);
  const std::string ws = tmp / "ws";
  ASSERT_EQ(test::RunCli("init " + ws).exit_code, 0);
  auto run = test::RunCli("ingest " + ws + " " + (tmp / "catalog.csv") + " --format catalog");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("title: invalid UTF-8"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("--encoding NAME --force"), std::string::npos) << run.out;
  EXPECT_NE(run.err.find("catalog.csv:3: title: invalid UTF-8"), std::string::npos) << run.err;
  run = test::RunCli("ingest " + ws + " " + (tmp / "catalog.csv") + " --format catalog --encoding gbk --force");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("1 items"), std::string::npos) << run.out;  // p1 was already in
  run = test::RunCli("ingest " + ws + " " + (tmp / "events.csv") + " --encoding GB18030");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("4 new events"), std::string::npos) << run.out;
  ASSERT_EQ(test::RunCli("graph build " + ws).exit_code, 0);
  ASSERT_EQ(test::RunCli("profile build " + ws).exit_code, 0);
  run = test::RunCli("--json profile show " + ws + " --user 用户2");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("用户2"), std::string::npos) << run.out.substr(0, 400);
  run = test::RunCli("--json recommend " + ws + " --user u1 -k 2 --explain");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("华为手机"), std::string::npos) << run.out;
  // A workspace from before this check may hold invalid bytes: JSON output shows U+FFFD.
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    (*w)->db().ExecOrThrow("UPDATE items SET title = CAST(x'41BB' AS TEXT) WHERE ext_id = 'p1'");
  }
  ASSERT_EQ(test::RunCli("graph build " + ws).exit_code, 0);
  run = test::RunCli("--json recommend " + ws + " --user " + std::string("用户2") + " -k 2 --explain");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("A\uFFFD"), std::string::npos) << run.out;  // U+FFFD for the stray byte
  run = test::RunCli("profile export " + ws);
  ASSERT_EQ(run.exit_code, 0) << run.err;
}

// Schema 7 on a workspace of schema 6: the list price starts from the highest of the latest
// price and every price an event carried; source category ids move to their own table.
TEST(Ingest, Schema7TakesListPricesFromEventsAndKeepsSourceIds) {
  test::TempDir tmp;
  {
    auto ws = MakeWs(tmp / "ws");
    IngestOptions o;
    o.format = "rees46";
    test::WriteFile(tmp / "e.csv", "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
                                   "2026-01-01 10:00:00 UTC,view,p1,7,home.lamp,acme,900,u1,s\n"
                                   "2026-01-02 10:00:00 UTC,view,p1,7,home.lamp,acme,700,u1,s\n");
    ASSERT_TRUE(Ingest(*ws, tmp / "e.csv", o).ok());
    // As schema 6 left it: no list price, the source id on the category.
    ws->db().ExecOrThrow("ALTER TABLE items DROP COLUMN list_price; ALTER TABLE items DROP COLUMN catalog_price; "
                         "DROP TABLE category_sources; "
                         "UPDATE categories SET source_id = '7' WHERE code = 'home.lamp'; PRAGMA user_version=6");
  }
  auto ws = Workspace::Open(tmp / "ws");
  ASSERT_TRUE(ws.ok()) << ws.status().ToString();
  Db& db = (*ws)->db();
  EXPECT_EQ(db.QueryInt("SELECT CAST(price AS INTEGER) FROM items WHERE ext_id = 'p1'"), 700);
  EXPECT_EQ(db.QueryInt("SELECT CAST(list_price AS INTEGER) FROM items WHERE ext_id = 'p1'"), 900);
  // Schema 9: the catalogue price starts from that list price (the best an old workspace knows).
  EXPECT_EQ(db.QueryInt("SELECT CAST(catalog_price AS INTEGER) FROM items WHERE ext_id = 'p1'"), 900);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM category_sources s JOIN categories c ON c.id = s.category_id "
                        "WHERE s.source_id = '7' AND c.code = 'home.lamp'"),
            1);
}

TEST(Ingest, NewerSchemaIsRefused) {
  test::TempDir tmp;
  {
    auto ws = MakeWs(tmp / "ws");
    ws->db().ExecOrThrow("PRAGMA user_version=999");
  }
  auto ws = Workspace::Open(tmp / "ws");
  ASSERT_FALSE(ws.ok());
  EXPECT_NE(ws.status().message().find("newer"), std::string::npos);
}

}  // namespace
}  // namespace kgp
