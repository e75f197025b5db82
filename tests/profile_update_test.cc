// `profile update` against a rebuild: events on products newer than the graph, prices that rise
// after the build, and an erasure in between. One generated shop, split in time: A is the first
// 80% of the events, B the rest.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "common/log.h"
#include "common/progress.h"
#include "common/strings.h"
#include "common/time.h"
#include "graph/builder.h"
#include "ingest/generator.h"
#include "ingest/ingest.h"
#include "privacy/erase.h"
#include "profile/pipeline.h"
#include "profile/store.h"
#include "profile_expect.h"
#include "test_util.h"

namespace kgp {
namespace {

class ProfileUpdateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Progress::SetEnabled(false);
    SetLogLevel(LogLevel::kWarn);
    tmp_ = new test::TempDir();
    GeneratorOptions g;
    g.users = 80, g.events = 6000, g.products = 300, g.seed = 21;
    g.out_dir = *tmp_ / "shop";
    ASSERT_TRUE(Generate(g, nullptr).ok());
    std::istringstream in(test::ReadFile(g.out_dir + "/events.csv"));
    std::string line;
    std::vector<std::string> rows;
    std::getline(in, header_);
    while (std::getline(in, line)) rows.push_back(line);
    std::string a = header_ + "\n", b = header_ + "\n", b_dearer = header_ + "\n";
    for (size_t i = 0; i < rows.size(); ++i) {
      if (i < rows.size() * 4 / 5) {
        a += rows[i] + "\n";
        continue;
      }
      b += rows[i] + "\n";
      b_dearer += WithPrice(rows[i], 1.3) + "\n";
    }
    test::WriteFile(*tmp_ / "A.csv", a);
    test::WriteFile(*tmp_ / "B.csv", b);
    test::WriteFile(*tmp_ / "B_dearer.csv", b_dearer);
  }
  static void TearDownTestSuite() { delete tmp_; }

  // The events-csv row with its price (column 7) times f.
  static std::string WithPrice(const std::string& row, double f) {
    std::vector<std::string> c;
    for (std::string_view x : Split(row, ',')) c.emplace_back(x);
    if (c.size() > 6 && !c[6].empty()) c[6] = fmt::format("{:.2f}", std::stod(c[6]) * f);
    std::string out;
    for (size_t i = 0; i < c.size(); ++i) out += (i ? "," : "") + c[i];
    return out;
  }
  // A workspace with the catalogue, users and `events` files ingested and the graph built.
  static std::unique_ptr<Workspace> Shop(const std::string& name, const std::vector<std::string>& events) {
    std::vector<std::string> files = test::ShopFiles(*tmp_ / "shop");
    files.pop_back();  // events.csv
    for (const auto& e : events) files.push_back(*tmp_ / e);
    return test::IngestedWorkspace(*tmp_ / name, files);
  }
  static void IngestFile(Workspace& ws, const std::string& name) {
    auto r = Ingest(ws, *tmp_ / name, IngestOptions{});
    ASSERT_TRUE(r.ok()) << name << ": " << r.status().ToString();
  }
  static std::vector<Profile> Profiles(Workspace& ws) {
    auto ctx = LoadProfileContext(ws);
    EXPECT_TRUE(ctx.ok()) << ctx.status().ToString();
    if (!ctx.ok()) return {};
    auto p = LoadProfiles(ws, *ctx);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(p).value() : std::vector<Profile>{};
  }
  static void Build(Workspace& ws) {
    auto ctx = LoadProfileContext(ws);
    ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
    auto r = BuildAllProfiles(ws, *ctx, ProfileOptions{}, ClusterOptions{}, 2);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  static void Update(Workspace& ws) {
    auto ctx = LoadProfileContext(ws);
    ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
    auto r = UpdateProfiles(ws, *ctx);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  static test::TempDir* tmp_;
  static std::string header_;
};
test::TempDir* ProfileUpdateTest::tmp_ = nullptr;
std::string ProfileUpdateTest::header_;

// One user's profile as `profile show --json` gives it.
nlohmann::json Show(const std::string& ws, const std::string& user) {
  auto r = test::RunCli("-q --json profile show " + ws + " --user " + user + " --tags 50");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json::object();
}

// The weight of a tag among a profile's interests of a kind ("categories", "brands"); -1: absent.
double Weight(const nlohmann::json& p, const char* kind, const std::string& tag) {
  for (const auto& t : p["interests"][kind])
    if (t["tag"] == tag) return t["weight"].get<double>();
  return -1;
}

// An event on a product ingested after the last `graph build` touches no tags. `profile update`
// applied such events anyway ("applied 2 events") and moved its watermark past them, so neither
// `graph build` nor another update ever brought their interests. Now the update refuses until
// the graph has the product, and then gives what a rebuild gives.
TEST_F(ProfileUpdateTest, EventsOnProductsNewerThanTheGraphWaitForGraphBuild) {
  ASSERT_TRUE(Shop("newprod", {"A.csv"}));
  const std::string ws = *tmp_ / "newprod";
  ASSERT_EQ(test::RunCli("-q profile build " + ws).exit_code, 0);
  const std::string row = ",purchase,7777777,,garden.tools.shovel,fiskars,59.00,500000001,s1\n";
  test::WriteFile(*tmp_ / "newprod.csv", header_ + "\n2026-04-05 10:00:00 UTC" + row + "2026-04-05 10:05:00 UTC" + row);
  const int purchases = Show(ws, "500000001")["behaviour"]["purchases"];

  auto refused = test::RunCli("-q profile update " + ws + " " + *tmp_ / "newprod.csv");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("2 events on 1 product (7777777) the knowledge graph does not have yet"), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("nothing applied (files given were ingested and will not be read again). Run kgprofile graph build " + ws + ", then profile update again"),
            std::string::npos) << refused.err;
  EXPECT_EQ(Show(ws, "500000001")["behaviour"]["purchases"], purchases);  // the state is as it was
  {
    // Beside a running server the state is the server's and is not saved here: the update
    // refreshes the tables and reports the events as untagged instead of refusing (it left the
    // server's RFM and cluster tables stale until a graph build).
    std::optional<ServeLock> server;
    {
      auto w = Workspace::Open(ws);
      ASSERT_TRUE(w.ok()) << w.status().ToString();
      auto l = ServeLock::Acquire(**w);
      ASSERT_TRUE(l.ok()) << l.status().ToString();
      server.emplace(std::move(l).value());
    }
    auto beside = test::RunCli("-q --json profile update " + ws);
    ASSERT_EQ(beside.exit_code, 0) << beside.err;
    EXPECT_EQ(nlohmann::json::parse(beside.out)["untagged_events"], 2) << beside.out;
  }

  ASSERT_EQ(test::RunCli("-q graph build " + ws).exit_code, 0);
  auto update = test::RunCli("-q --json profile update " + ws);
  ASSERT_EQ(update.exit_code, 0) << update.err;
  const auto uj = nlohmann::json::parse(update.out);
  EXPECT_EQ(uj["events"], 2);
  EXPECT_EQ(uj["untagged_events"], 0);
  const nlohmann::json updated = Show(ws, "500000001");
  EXPECT_EQ(updated["behaviour"]["purchases"], purchases + 2);
  for (const char* c : {"garden", "garden.tools", "garden.tools.shovel"}) EXPECT_GT(Weight(updated, "categories", c), 0) << c;
  EXPECT_GT(Weight(updated, "brands", "fiskars"), 0);
  ASSERT_EQ(test::RunCli("-q profile build " + ws).exit_code, 0);
  const nlohmann::json rebuilt = Show(ws, "500000001");
  EXPECT_EQ(Weight(rebuilt, "categories", "garden.tools.shovel"), Weight(updated, "categories", "garden.tools.shovel"));
  EXPECT_EQ(Weight(rebuilt, "brands", "fiskars"), Weight(updated, "brands", "fiskars"));

  // Applying them anyway is a choice the report counts; a build on a stale graph says so too.
  test::WriteFile(*tmp_ / "newprod2.csv",
                  header_ + "\n2026-04-06 10:00:00 UTC,view,7777778,,garden.tools.rake,fiskars,19.00,500000002,s2\n");
  auto forced = test::RunCli("-q --json profile update " + ws + " " + *tmp_ / "newprod2.csv --allow-untagged");
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  const auto fj = nlohmann::json::parse(forced.out);
  EXPECT_EQ(fj["untagged_events"], 1);
  EXPECT_EQ(fj["untagged_products"], 1);
  auto stale = test::RunCli("-q profile build " + ws);
  ASSERT_EQ(stale.exit_code, 0) << stale.err;
  EXPECT_NE(stale.out.find("1 event on 1 product (7777778) the graph does not have yet: built without their category, "
                           "brand and attribute interests; run kgprofile graph build " + ws + " first, then profile build"),
            std::string::npos) << stale.out;
}

// An update rewrites the tag rows of the users its events reach, and keeps the others': the
// tables must be what writing every row would give. Rows not written from the state and graph
// the update starts from are all written again.
TEST_F(ProfileUpdateTest, AnUpdateWritesTheTagRowsOfTheUsersItReachesAsAFullWriteWould) {
  auto ws = Shop("partial_tags", {"A.csv"});
  ASSERT_TRUE(ws);
  Build(*ws);
  {  // B's events of ten users (an update reaching most users writes every row: Refresh)
    std::istringstream in(test::ReadFile(*tmp_ / "B.csv"));
    std::string line, out;
    std::getline(in, line);
    out = line + "\n";
    std::vector<std::string> ten;
    while (std::getline(in, line)) {
      const std::string user(Split(line, ',')[7]);
      if (std::find(ten.begin(), ten.end(), user) == ten.end()) {
        if (ten.size() == 10) continue;
        ten.push_back(user);
      }
      out += line + "\n";
    }
    test::WriteFile(*tmp_ / "B_ten.csv", out);
  }
  IngestFile(*ws, "B_ten.csv");
  const auto dump = [&] {
    std::vector<std::string> rows;
    Stmt st = ws->db().Prepare("SELECT user_id, kind, tag, weight, confidence, evidence, last_ts FROM profile_tags ORDER BY 1, 2, 3");
    while (st.Step())
      rows.push_back(fmt::format("{}|{}|{}|{}|{}|{}|{}", st.Int(0), st.Text(1), st.Text(2), st.Double(3), st.Double(4),
                                 st.Int(5), st.Int(6)));
    return rows;
  };
  const std::string b_users = "SELECT DISTINCT user_id FROM events WHERE file_id = (SELECT max(id) FROM ingest_files)";
  const int64_t reached = ws->db().QueryInt("SELECT count(*) FROM (" + b_users + ")");
  const int64_t users = ws->db().QueryInt("SELECT count(*) FROM profiles");
  ASSERT_GT(reached, 5);
  ASSERT_LT(reached * 3, users) << reached << " of " << users;  // else every row is written (Refresh)
  // A mark on a row of a user B does not reach: kept by the update, so the rows were not all written.
  const int64_t quiet = ws->db().QueryInt("SELECT min(user_id) FROM profile_tags WHERE user_id NOT IN (" + b_users + ")");
  const std::string quiet_row = fmt::format("user_id = {} AND tag = (SELECT min(tag) FROM profile_tags WHERE user_id = {})", quiet, quiet);
  const int64_t evidence = ws->db().QueryInt("SELECT evidence FROM profile_tags WHERE " + quiet_row);
  ws->db().ExecOrThrow("UPDATE profile_tags SET evidence = 999999 WHERE " + quiet_row);
  Update(*ws);
  EXPECT_EQ(ws->db().QueryInt("SELECT evidence FROM profile_tags WHERE " + quiet_row), 999999);
  ws->db().ExecOrThrow(fmt::format("UPDATE profile_tags SET evidence = {} WHERE {}", evidence, quiet_row));
  const std::vector<std::string> updated = dump();
  auto ctx = LoadProfileContext(*ws);
  ASSERT_TRUE(ctx.ok());
  auto profiles = LoadProfiles(*ws, *ctx);
  ASSERT_TRUE(profiles.ok());
  const std::string marker = StoredTagRowsMarker(ws->db());
  ASSERT_FALSE(marker.empty());
  ASSERT_TRUE(WriteProfileTables(ws->db(), *ctx->graph, *profiles, ClusterModel{}, {}, nullptr, marker).ok());
  EXPECT_EQ(dump(), updated);
  EXPECT_EQ(ws->db().QueryInt("SELECT count(*) FROM sqlite_master WHERE name = 'profile_tags_by_tag'"), 1);
  // A graph built since (its MENTIONS edges give entity interests), or a state saved by a server
  // run (another watermark): the next update writes every user's rows.
  for (const bool rebuild : {true, false}) {
    if (rebuild) {
      ASSERT_TRUE(BuildGraph(ws->db(), GraphBuildOptions{}, nullptr).ok());
    } else {
      ws->db().ExecOrThrow("UPDATE meta SET value = 'another state' WHERE key = 'profile_tags_of'");
    }
    ws->db().ExecOrThrow("UPDATE profile_tags SET evidence = 999999 WHERE " + quiet_row);
    Update(*ws);
    EXPECT_EQ(ws->db().QueryInt("SELECT evidence FROM profile_tags WHERE " + quiet_row), evidence) << rebuild;
    EXPECT_EQ(dump(), updated) << rebuild;
  }
}

// B's prices are 30% above A's (the audit's repro: 133 of 300 users had another discount
// response after the update than after a rebuild). Each event is judged against the prices known
// at its time, so A's views are not discounts in hindsight of B's dearer prices, and the update
// continues from the highest prices the build saw. Both workspaces share A's graph: only the
// profile stage is compared.
TEST_F(ProfileUpdateTest, PricesRisingAfterTheBuildGiveWhatARebuildGives) {
  auto inc = Shop("inc", {"A.csv"});
  auto full = Shop("full", {"A.csv"});
  ASSERT_TRUE(inc && full);
  Build(*inc);
  IngestFile(*inc, "B_dearer.csv");
  Update(*inc);
  IngestFile(*full, "B_dearer.csv");
  Build(*full);
  // The store's list price followed B's dearer events; the catalogue's own price did not.
  EXPECT_GT(full->db().QueryInt("SELECT count(*) FROM items WHERE list_price > catalog_price * 1.2"), 50);
  const std::vector<Profile> a = Profiles(*inc), b = Profiles(*full);
  ASSERT_EQ(a.size(), 80u);
  ExpectSameProfiles(a, b);
  size_t with_discounts = 0;
  for (const Profile& p : a) with_discounts += std::isfinite(p.discount_response) && p.discount_response != 0;
  EXPECT_GT(with_discounts, 40u);  // the comparison is not of nulls
}

// The audit's repro: after `erase` of the owner of the latest event, `profile update` kept that
// event's time as every profile's as-of (recency and churn risk off for many users), and the
// item prices the erased user's events carried still judged others' discounts. Erase, then new
// events of others (on an item the erased user saw at triple price), then update: what a
// rebuild of the same store gives.
TEST_F(ProfileUpdateTest, AnErasedUserLeavesNoTraceInOthersProfiles) {
  // U: the owner of A's latest event, also the latest of all (a dear view); V: a buyer, who
  // buys the same product at its catalogue price after the erasure, before U's last event.
  const auto row = [](const char* type, const std::string& product, double price, const std::string& user) {
    return fmt::format(",{},{},,,,{:.2f},{},s9\n", type, product, price, user);
  };
  std::string u, product;
  double price = 0;
  for (const char* name : {"erase_inc", "erase_full"}) {
    auto ws = Shop(name, {"A.csv"});
    ASSERT_TRUE(ws);
    Db& db = ws->db();
    Stmt st = db.Prepare(
        "SELECT u.ext_id, i.ext_id, i.catalog_price FROM events e JOIN users u ON u.id = e.user_id JOIN items i ON "
        "i.id = e.item_id WHERE i.catalog_price > 0 ORDER BY e.ts DESC LIMIT 1");
    ASSERT_TRUE(st.Step());
    u = std::string(st.Text(0)), product = std::string(st.Text(1)), price = st.Double(2);
    st.Reset();
    test::WriteFile(*tmp_ / "dear.csv", header_ + "\n2026-04-10 10:00:00 UTC" + row("view", product, 3 * price, u));
    Stmt buyer = db.Prepare(
        "SELECT u.ext_id FROM users u WHERE u.ext_id != ?1 AND EXISTS (SELECT 1 FROM events WHERE user_id = u.id AND "
        "type = 3 AND price > 0) ORDER BY u.id LIMIT 1");  // 3: EventType::kPurchase
    buyer.Bind(1, u);
    ASSERT_TRUE(buyer.Step());
    const std::string v(buyer.Text(0));
    buyer.Reset();
    test::WriteFile(*tmp_ / "after.csv", header_ + "\n2026-04-05 10:00:00 UTC" + row("purchase", product, price, v));
    const bool inc = std::string(name) == "erase_inc";
    if (inc) Build(*ws);
    IngestFile(*ws, "dear.csv");
    if (inc) Update(*ws);
    auto erased = privacy::EraseUser(*ws, u);
    ASSERT_TRUE(erased.ok()) << erased.status().ToString();
    IngestFile(*ws, "after.csv");
    if (inc) Update(*ws);
    else Build(*ws);
  }
  auto inc = Workspace::Open(*tmp_ / "erase_inc");
  auto full = Workspace::Open(*tmp_ / "erase_full");
  ASSERT_TRUE(inc.ok() && full.ok());
  const std::vector<Profile> a = Profiles(**inc), b = Profiles(**full);
  ASSERT_GT(a.size(), 50u);
  for (const Profile& p : a) ASSERT_NE(p.ext_id, u);
  ExpectSameProfiles(a, b);
  EXPECT_EQ(FormatTimestamp(a.front().as_of), "2026-04-05 10:00:00 UTC");  // V's view, the latest left
}

}  // namespace
}  // namespace kgp
