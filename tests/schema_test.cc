// Schema migrations: shipped migrations never change (a workspace at version N must mean the
// same tables and rows whatever kgprofile took it there), workspaces that an earlier edit of
// migration 7 left behind are completed, and an upgrade says what it did.
#include "store/schema.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "common/hash.h"
#include "common/log.h"
#include "common/strings.h"
#include "ingest/ingest.h"
#include "store/workspace.h"
#include "test_util.h"

namespace kgp {
namespace {
namespace fs = std::filesystem;

// SHA-256 of each migration's SQL as it shipped. Append the hash of a new migration when it is
// committed; never edit a line: a workspace already at that version would not get the change
// (migration 7 was edited after it shipped, and workspaces migrated before the edit lacked
// category_sources; migration 10 repairs them). A mistake is corrected by a new migration.
constexpr const char* kShippedMigrations[] = {
    "29b33c12e68eb48ded23ffe16b2e7a0cecfb2811050b9bd46787ae4afe7ee8c4",  // 1
    "8fbe0d8fa5bde12487bf96882cf0220d7d5b768cc027031caf9f9a3bfde0acb2",  // 2
    "ccb5692b51d28a3df77a762a10aeb5eadedccad91da3da9645473d4ab955b0f3",  // 3
    "418ba0b2c4c173853849c7704138b8a28686e5919d5ddb2a9c11d09fc0fe191e",  // 4
    "6f683cc15eae76ec5f9f2f6b6e721f3e8410ace7f32889766bdef9ea5b9d8658",  // 5
    "1d56b29b2d45322ddd052a38e7622f1eb326b4483409eb7e643c4278ee41727b",  // 6
    "340572be0c29abb30f973891e3afa123c745f155dd01220cb63b2a86a376f4a9",  // 7 (as e5bbf70 left it)
    "38119d67ec17d30308deb9c85972dc5e9f827870e90698633846df8be034f049",  // 8
    "05bdf62a23b9753b7460946c2a636219ae7df4e8c164db4895d45d5ed8432a2e",  // 9
    "346a25db61ca61641857e292b3a4e2ac1fde87ba8aea6325b5b985d2ad119bbf",  // 10
    "e834227ecb4e8774979534647f3200c2f898139529a8669145e11c5ec53084bf",  // 11
    "2e6c37f31ceae29f8ddeccb2ef8f2915fcdb465b38871d2f4761dfd6444a996c",  // 12
    "e3fed8be46d52cc2eb719fc918e83defbf906fde58b5ead27d3778d08c94152c",  // 13
    "35f41a0a207176a6831a6c07ed1a8146a61ceb54808e5b48dd1e99eef9a3ef87",  // 14
};

TEST(Schema, ShippedMigrationsAreUnchanged) {
  const int shipped = static_cast<int>(std::size(kShippedMigrations));
  EXPECT_EQ(LatestSchemaVersion(), shipped)
      << "a migration was added: append the SHA-256 of its SQL to kShippedMigrations (or one was removed)";
  for (int v = 1; v <= std::min(shipped, LatestSchemaVersion()); ++v)
    EXPECT_EQ(HexEncode(Sha256(MigrationSql(v))), kShippedMigrations[v - 1])
        << "migration " << v << " changed after it shipped: restore it and put the change in a new migration";
}

// Migration 7 as two earlier kgprofile versions shipped it. 945b3d9: the list price only, from
// the latest price. a1ef2d5: with category_sources, still without the list prices from events.
constexpr const char* kMigration7At945b3d9 = R"sql(
ALTER TABLE items ADD COLUMN list_price REAL;
UPDATE items SET list_price = price;
)sql";
constexpr const char* kMigration7AtA1ef2d5 = R"sql(
ALTER TABLE items ADD COLUMN list_price REAL;
UPDATE items SET list_price = price;
CREATE TABLE category_sources(source_id TEXT PRIMARY KEY, category_id INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO category_sources SELECT source_id, id FROM categories WHERE source_id IS NOT NULL;
)sql";

// Collects what is logged while it lives.
class LogCapture {
 public:
  LogCapture() : level_(GetLogLevel()) {
    SetLogLevel(LogLevel::kInfo);
    SetLogCallback([this](LogLevel level, std::string_view msg) { lines_.emplace_back(level, std::string(msg)); });
  }
  ~LogCapture() {
    SetLogCallback(nullptr);
    SetLogLevel(level_);
  }
  // The lines of `level` that contain `text`.
  std::vector<std::string> Lines(LogLevel level, std::string_view text = "") const {
    std::vector<std::string> out;
    for (const auto& [l, m] : lines_)
      if (l == level && m.find(text) != std::string::npos) out.push_back(m);
    return out;
  }

 private:
  LogLevel level_;
  std::vector<std::pair<LogLevel, std::string>> lines_;
};

// A workspace whose database a kgprofile of schema `version` (6 or 7) wrote: migrations 1 to 6
// (unchanged since, see above), the rows an ingest of a catalogue (p1 at 800, p2 at 50, in a
// category known by source id 7 and a placeholder for id 8) and of an events file (p1 at 900,
// then on sale at 700) left before schema 7 (the events' price overwrote the catalogue's), and,
// for version 7, the given text of migration 7.
void WriteOldWorkspace(const std::string& dir, int version, const char* migration7 = nullptr) {
  {
    auto ws = Workspace::Init(dir, WorkspaceOptions{});
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
  }
  for (const char* f : {"kgprofile.db", "kgprofile.db-wal", "kgprofile.db-shm"}) fs::remove(dir + "/" + f);
  auto db = Db::Open(dir + "/kgprofile.db", /*create=*/true);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  for (int v = 1; v <= 6; ++v) (*db)->ExecOrThrow(MigrationSql(v));
  (*db)->ExecOrThrow(R"sql(
INSERT INTO ingest_files(id, path, format, fingerprint, status) VALUES
  (1, '/data/catalog.csv', 'catalog', '1-a', 'done'), (2, '/data/events.csv', 'rees46', '2-b', 'done');
INSERT INTO categories(id, code, source_id) VALUES (1, 'home.lamp', '7'), (2, 'id:8', '8');
INSERT INTO items(id, ext_id, title, category_id, price) VALUES (1, 'p1', 'Lamp', 1, 700), (2, 'p2', 'Desk', 2, 50);
INSERT INTO item_categories VALUES (1, 1), (2, 2);
INSERT INTO users(id, ext_id) VALUES (1, 'u1');
INSERT INTO events(key, user_id, item_id, type, ts, price, file_id) VALUES
  (11, 1, 1, 0, 1767261600, 900, 2), (12, 1, 1, 0, 1767348000, 700, 2);
)sql");
  if (version == 7) {
    (*db)->ExecOrThrow(migration7);
    (*db)->ExecOrThrow("PRAGMA user_version=7");
  } else {
    (*db)->ExecOrThrow("PRAGMA user_version=6");
  }
}

// The rows the migrations decide, one line each.
std::string Dump(Db& db) {
  std::string out;
  for (Stmt st = db.Prepare("SELECT ext_id, price, list_price, catalog_price, category_id FROM items ORDER BY id");
       st.Step();)
    out += fmt::format("item {} {} {} {} {}\n", st.Text(0), st.IsNull(1) ? "-" : std::to_string(st.Double(1)),
                       st.IsNull(2) ? "-" : std::to_string(st.Double(2)), st.IsNull(3) ? "-" : std::to_string(st.Double(3)),
                       st.Int(4));
  for (Stmt st = db.Prepare("SELECT source_id, category_id FROM category_sources ORDER BY source_id"); st.Step();)
    out += fmt::format("source {} {}\n", st.Text(0), st.Int(1));
  for (Stmt st = db.Prepare("SELECT id, code FROM categories ORDER BY id"); st.Step();)
    out += fmt::format("category {} {}\n", st.Int(0), st.Text(1));
  return out;
}

void IngestText(Workspace& ws, const std::string& path, const std::string& text, const std::string& format) {
  test::WriteFile(path, text);
  IngestOptions o;
  o.format = format;
  auto r = Ingest(ws, path, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

constexpr const char* kRees46Header =
    "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n";

// A database at schema 7 from 945b3d9 (no category_sources) failed every later ingest with "no
// such table: category_sources"; one from a1ef2d5 kept list prices below its events' prices.
// Opened now, both end as a workspace that had the whole migration 7, and ingest works.
TEST(Schema, AWorkspaceFromAnEarlierMigration7IsCompletedAndIngests) {
  test::TempDir tmp;
  WriteOldWorkspace(tmp / "whole", 6);
  std::string expected;
  {
    auto ws = Workspace::Open(tmp / "whole");
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
    expected = Dump((*ws)->db());
  }
  EXPECT_NE(expected.find("item p1 700.000000 900.000000 900.000000 1\n"), std::string::npos) << expected;
  EXPECT_NE(expected.find("source 7 1\nsource 8 2\n"), std::string::npos) << expected;

  for (const auto& [name, migration7] : {std::pair{"945b3d9", kMigration7At945b3d9}, {"a1ef2d5", kMigration7AtA1ef2d5}}) {
    SCOPED_TRACE(name);
    const std::string dir = tmp / name;
    WriteOldWorkspace(dir, 7, migration7);
    LogCapture log;
    auto ws = Workspace::Open(dir);
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
    Db& db = (*ws)->db();
    EXPECT_EQ(db.QueryInt("PRAGMA user_version"), LatestSchemaVersion());
    EXPECT_EQ(Dump(db), expected);
    // One line says what happened, one what to run.
    const auto info = log.Lines(LogLevel::kInfo);
    ASSERT_EQ(info.size(), 1u);
    EXPECT_EQ(info[0], fmt::format("{}: workspace upgraded from schema version 7 to {}; older kgprofile versions can "
                                   "no longer open it", dir, LatestSchemaVersion()));
    EXPECT_EQ(log.Lines(LogLevel::kWarn, "ingest the catalogue and event files again").size(), 1u);

    // The placeholder of source id 8 meets its code: merged, and the dearer price raises the list.
    IngestText(**ws, tmp / "more.csv",
               std::string(kRees46Header) + "2026-01-03 10:00:00 UTC,view,p2,8,home.desk,acme,60,u1,s\n", "rees46");
    EXPECT_EQ(db.QueryInt("SELECT count(*) FROM category_sources s JOIN categories c ON c.id = s.category_id "
                          "WHERE s.source_id = '8' AND c.code = 'home.desk'"),
              1);
    EXPECT_EQ(db.QueryInt("SELECT count(*) FROM categories WHERE code = 'id:8'"), 0);
    EXPECT_EQ(db.QueryInt("SELECT CAST(list_price AS INTEGER) FROM items WHERE ext_id = 'p2'"), 60);
  }
}

// Where migration 7 ran whole, migration 10 changes nothing, not even a list price a later
// catalogue lowered below earlier events' prices, or the catalogue price of a product that only
// events name; and the upgrade asks for no re-ingest.
TEST(Schema, Migration10ChangesNothingWhereMigration7RanWhole) {
  test::TempDir tmp;
  const std::string dir = tmp / "ws";
  std::string before;
  {
    auto ws = Workspace::Init(dir, WorkspaceOptions{});
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
    IngestText(**ws, tmp / "catalog.csv", "product_id,title,category_path,brand,price\np1,Lamp,home.lamp,acme,800\n",
               "catalog");
    IngestText(**ws, tmp / "events.csv",
               std::string(kRees46Header) + "2026-01-01 10:00:00 UTC,view,p1,7,home.lamp,acme,900,u1,s\n"
                                            "2026-01-02 10:00:00 UTC,view,p1,7,home.lamp,acme,700,u1,s\n"
                                            "2026-01-02 11:00:00 UTC,view,p9,8,,acme,30,u1,s\n"
                                            "2026-01-02 12:00:00 UTC,view,p9,8,,acme,20,u1,s\n",
               "rees46");
    IngestText(**ws, tmp / "catalog2.csv", "product_id,title,category_path,brand,price\np1,Lamp,home.lamp,acme,500\n",
               "catalog");
    Db& db = (*ws)->db();
    before = Dump(db);
    EXPECT_NE(before.find("item p1 500.000000 500.000000 500.000000"), std::string::npos) << before;
    EXPECT_NE(before.find("item p9 20.000000 30.000000 - "), std::string::npos) << before;
    db.ExecOrThrow("PRAGMA user_version=9");
  }
  LogCapture log;
  auto ws = Workspace::Open(dir);
  ASSERT_TRUE(ws.ok()) << ws.status().ToString();
  EXPECT_EQ(Dump((*ws)->db()), before);
  EXPECT_EQ(log.Lines(LogLevel::kInfo, "upgraded from schema version 9 to").size(), 1u);
  EXPECT_TRUE(log.Lines(LogLevel::kWarn).empty()) << log.Lines(LogLevel::kWarn)[0];
}

// The CLI: any command that upgrades says so once, with the hint where the workspace has data
// an older ingest derived; the next command and a new workspace say nothing of it.
// Several processes opening one old workspace at once (a cron job and a server restart): each read
// the schema version before any migrated, and all but the first failed on migrations already
// applied ("duplicate column name: list_price").
TEST(Schema, OpeningAnOldWorkspaceFromSeveralThreadsAtOnceMigratesItOnce) {
  for (int round = 0; round < 5; ++round) {
    test::TempDir tmp;
    const std::string dir = tmp / "old";
    WriteOldWorkspace(dir, 6);
    if (HasFatalFailure()) return;
    std::vector<std::string> errors(4);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (size_t i = 0; i < errors.size(); ++i)
      threads.emplace_back([&, i] {
        ready.fetch_add(1);
        while (ready.load() < static_cast<int>(errors.size())) std::this_thread::yield();
        auto ws = Workspace::Open(dir);
        if (!ws.ok()) errors[i] = ws.status().ToString();
      });
    for (auto& t : threads) t.join();
    for (const auto& e : errors) EXPECT_EQ(e, "") << "round " << round;
    auto db = Db::Open(dir + "/kgprofile.db", /*create=*/false);
    ASSERT_TRUE(db.ok());
    EXPECT_EQ((*db)->QueryInt("PRAGMA user_version"), LatestSchemaVersion());
  }
}

// An erased user's id was given to the next new user when it was the highest (no
// AUTOINCREMENT), and what still named it became theirs. Migration 11 keeps ids for good, in new
// workspaces and in upgraded ones (whose users keep their ids).
TEST(Schema, AnErasedUsersIdIsNeverGivenAgain) {
  test::TempDir tmp;
  WriteOldWorkspace(tmp / "old", 6);
  if (HasFatalFailure()) return;
  {
    auto w = Workspace::Init(tmp / "new", WorkspaceOptions{});
    ASSERT_TRUE(w.ok());
    (*w)->db().ExecOrThrow("INSERT INTO users(ext_id) VALUES('u1')");
  }
  for (const std::string& dir : {tmp / "new", tmp / "old"}) {
    auto w = Workspace::Open(dir);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    Db& db = (*w)->db();
    EXPECT_EQ(db.QueryInt("SELECT id FROM users WHERE ext_id = 'u1'"), 1) << dir;
    db.ExecOrThrow("INSERT INTO users(ext_id) VALUES('u2'); DELETE FROM users WHERE ext_id = 'u2'; "
                   "INSERT INTO users(ext_id) VALUES('u3')");
    EXPECT_EQ(db.QueryInt("SELECT id FROM users WHERE ext_id = 'u3'"), 3) << dir;
  }
}

TEST(Schema, AnUpgradeIsLoggedOnce) {
  test::TempDir tmp;
  const std::string old_ws = tmp / "old", empty_ws = tmp / "empty";
  WriteOldWorkspace(old_ws, 6);
  auto run = test::RunCli("graph stats " + old_ws);  // refused (no graph yet) after opening the workspace
  const std::string line = fmt::format("info: {}: workspace upgraded from schema version 6 to {}; older kgprofile "
                                       "versions can no longer open it\n", old_ws, LatestSchemaVersion());
  EXPECT_NE(run.err.find(line), std::string::npos) << run.err;
  EXPECT_EQ(test::Occurrences(run.err, "upgraded"), 1u) << run.err;  // one line, not one per migration
  EXPECT_NE(run.err.find("warning: " + old_ws + ": prices and categories were derived by an older kgprofile"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(test::Occurrences(run.err, "prices and categories"), 1u) << run.err;  // migrations 7, 9 and 10 say it once
  run = test::RunCli("graph stats " + old_ws);
  EXPECT_NE(run.err.find("no graph yet"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("upgraded"), std::string::npos) << run.err;

  // No data: the upgrade is said, no re-ingest asked for.
  {
    auto ws = Workspace::Init(empty_ws, WorkspaceOptions{});
    ASSERT_TRUE(ws.ok());
  }
  run = test::RunCli("init " + (tmp / "new"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err.find("upgraded"), std::string::npos) << run.err;
  {
    auto db = Db::Open(empty_ws + "/kgprofile.db", /*create=*/false);
    ASSERT_TRUE(db.ok());
    (*db)->ExecOrThrow("ALTER TABLE items DROP COLUMN catalog_price; PRAGMA user_version=8");
  }
  run = test::RunCli("graph stats " + empty_ws);
  EXPECT_NE(run.err.find(fmt::format("{}: workspace upgraded from schema version 8 to {}", empty_ws,
                                     LatestSchemaVersion())),
            std::string::npos)
      << run.err;
  EXPECT_EQ(run.err.find("warning"), std::string::npos) << run.err;
}

// Category codes differing only in case were two categories before schema 14, each with its own
// products, ancestors and source ids. The upgrade makes them one, in lower case (the row already
// in lower case is kept), moves what named the others, leaves placeholders (`id:…`) as they are,
// and says so once; a later ingest in either case finds the merged category.
TEST(Schema, CategoryCodesDifferingOnlyInCaseBecomeOneCategory) {
  test::TempDir tmp;
  const std::string dir = tmp / "ws";
  {
    auto ws = Workspace::Init(dir, WorkspaceOptions{});
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
    (*ws)->db().ExecOrThrow(R"sql(
INSERT INTO categories(id, code, name_en, name_zh, parent_id) VALUES
  (1, 'Electronics', 'Electronics', '电子', NULL), (2, 'Electronics.Phone', 'Phone', NULL, 1),
  (3, 'electronics', 'electronics', NULL, NULL), (4, 'electronics.phone', 'phone', NULL, 3), (5, 'Home', 'Home', '家', NULL),
  (6, 'id:AB', NULL, NULL, NULL), (7, 'Electronics.Phone.Case', 'Case', NULL, 2), (8, 'electronics.', '', NULL, 3),
  (9, 'electronics..tv', 'tv', NULL, 8), (10, 'ID:77', NULL, NULL, NULL), (11, '...', '', NULL, NULL);
INSERT INTO category_sources VALUES ('9', 2), ('AB', 6), ('10', 4);
INSERT INTO items(id, ext_id, category_id) VALUES (1, 'p1', 2), (2, 'p2', 4), (3, 'p3', 2), (4, 'p4', 7), (5, 'p5', 6);
INSERT INTO item_categories VALUES (1, 2), (2, 4), (3, 2), (3, 4), (4, 7), (5, 6);
PRAGMA user_version=13;
)sql");
  }
  LogCapture log;
  auto ws = Workspace::Open(dir);
  ASSERT_TRUE(ws.ok()) << ws.status().ToString();
  EXPECT_EQ(log.Lines(LogLevel::kWarn, "category codes are now stored in lower case").size(), 1u);
  Db& db = (*ws)->db();
  std::string cats, items, sources;
  for (Stmt st = db.Prepare("SELECT id, code, coalesce(parent_id, 0) FROM categories ORDER BY id"); st.Step();)
    cats += fmt::format("{} {} {}; ", st.Int(0), st.Text(1), st.Int(2));
  EXPECT_EQ(cats, "3 electronics 0; 4 electronics.phone 3; 5 home 0; 6 id:AB 0; 7 electronics.phone.case 4; "
                  "9 electronics.tv 3; 10 ID:77 0; 11 ... 0; ");
  // The merged category keeps its names and takes those it lacked (the Chinese name a
  // categories file gave the other spelling).
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM categories WHERE id = 3 AND name_en = 'electronics' AND name_zh = '电子'"), 1);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM categories WHERE id = 5 AND name_en = 'Home' AND name_zh = '家'"), 1);
  for (Stmt st = db.Prepare("SELECT i.ext_id, i.category_id, group_concat(ic.category_id) FROM items i "
                            "JOIN item_categories ic ON ic.item_id = i.id GROUP BY i.id ORDER BY i.id");
       st.Step();)
    items += fmt::format("{} {} {}; ", st.Text(0), st.Int(1), st.Text(2));
  EXPECT_EQ(items, "p1 4 4; p2 4 4; p3 4 4; p4 7 7; p5 6 6; ");
  for (Stmt st = db.Prepare("SELECT source_id, category_id FROM category_sources ORDER BY source_id"); st.Step();)
    sources += fmt::format("{} {}; ", st.Text(0), st.Int(1));
  EXPECT_EQ(sources, "10 4; 9 4; AB 6; ");
  // Ingest after the upgrade: both spellings and source id 9 find category 4.
  IngestText(**ws, tmp / "e.csv",
             std::string(kRees46Header) + "2026-01-01 10:00:00 UTC,view,p6,9,,,1,u1,s\n"
                                          "2026-01-01 10:00:01 UTC,view,p7,,ELECTRONICS.phone,,1,u1,s\n",
             "rees46");
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM categories"), 8);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM items WHERE ext_id IN ('p6', 'p7') AND category_id = 4"), 2);
  // Nothing to merge or rename: no warning.
  const std::string clean = tmp / "clean";
  {
    auto w = Workspace::Init(clean, WorkspaceOptions{});
    ASSERT_TRUE(w.ok());
    (*w)->db().ExecOrThrow("INSERT INTO categories(code) VALUES ('home'), ('home.lamp'), ('id:X'); PRAGMA user_version=13");
  }
  LogCapture quiet;
  ASSERT_TRUE(Workspace::Open(clean).ok());
  EXPECT_TRUE(quiet.Lines(LogLevel::kWarn).empty());
}

}  // namespace
}  // namespace kgp
