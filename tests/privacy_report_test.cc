// Aggregates that leave the workspace beyond audiences and segments: the category report
// (users per category of one tree level) counts each user at most per_user times, lists every
// category of the level, and scales its noise to that bound; `profile build` withholds exact
// segment sizes when the workspace sets dp_required; the k-anonymous profile export is k-anonymous
// over all the columns it writes.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "privacy/budget.h"
#include "privacy/dp.h"
#include "privacy/dp_query.h"
#include "privacy/export_profiles.h"
#include "store/workspace.h"
#include "test_util.h"

namespace kgp::privacy {
namespace {

class PrivacyReport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new test::TempDir();
    const std::string sample = *tmp_ / "sample";
    ws_ = *tmp_ / "ws";
    ASSERT_EQ(test::RunCli("-q generate " + sample + " --users 150 --events 8000 --products 300 --seed 4").exit_code, 0);
    ASSERT_TRUE(test::IngestedWorkspace(ws_, test::ShopFiles(sample)));
    ASSERT_EQ(test::RunCli("-q profile build " + ws_).exit_code, 0);
  }
  static void TearDownTestSuite() {
    delete tmp_;
    tmp_ = nullptr;
  }
  static test::TempDir* tmp_;
  static std::string ws_;
};
test::TempDir* PrivacyReport::tmp_ = nullptr;
std::string PrivacyReport::ws_;

// Σ over users of min(per_user, the user's coded top-level categories), from SQL.
int64_t ExpectedTotal(Db& db, int per_user) {
  return db.QueryInt(
      "SELECT coalesce(sum(min(n, " + std::to_string(per_user) +
      ")), 0) FROM (SELECT count(*) AS n FROM profile_tags WHERE kind = 'category' AND tag NOT LIKE 'id:%' "
      "AND instr(tag, '.') = 0 GROUP BY user_id)");
}

TEST_F(PrivacyReport, CategoryReportCountsEachUserAtMostPerUserTimes) {
  auto ws = Workspace::Open(ws_);
  ASSERT_TRUE(ws.ok());
  Db& db = (*ws)->db();
  const int64_t roots = db.QueryInt("SELECT count(*) FROM categories WHERE code NOT LIKE 'id:%' AND instr(code, '.') = 0");
  ASSERT_GT(roots, 3);
  for (int per_user : {1, 2, 3}) {
    auto r = DpCategoryUsers(**ws, 1, per_user, DpOptions{});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_FALSE(r->release.dp);
    EXPECT_EQ(static_cast<int64_t>(r->categories.size()), roots);  // zeros listed too
    int64_t total = 0;
    for (const auto& c : r->categories) total += c.users;
    EXPECT_EQ(total, ExpectedTotal(db, per_user)) << per_user;
  }
  // Level 2 lists only second-level codes.
  auto two = DpCategoryUsers(**ws, 2, 1, DpOptions{});
  ASSERT_TRUE(two.ok());
  for (const auto& c : two->categories) EXPECT_EQ(std::count(c.code.begin(), c.code.end(), '.'), 1) << c.code;
  // Bad arguments are refused before anything is charged.
  EXPECT_FALSE(DpCategoryUsers(**ws, 0, 1, DpOptions{}).ok());
  EXPECT_FALSE(DpCategoryUsers(**ws, 1, 0, DpOptions{}).ok());
  EXPECT_FALSE(DpCategoryUsers(**ws, 9, 1, DpOptions{}).ok());
  PrivacyAccountant acc(**ws);
  EXPECT_EQ(acc.State()->queries, 0);
}

TEST_F(PrivacyReport, CategoryNoiseScalesWithTheContributionBound) {
  auto ws = Workspace::Open(ws_);
  ASSERT_TRUE(ws.ok());
  SeededNoise noise(9);
  DpOptions o;
  o.noise = &noise;
  o.epsilon = 0.5;
  o.mechanism = "laplace";
  auto lap = DpCategoryUsers(**ws, 1, 3, o);
  ASSERT_TRUE(lap.ok()) << lap.status().ToString();
  EXPECT_TRUE(lap->release.dp);
  EXPECT_DOUBLE_EQ(lap->release.noise_scale, 3 / 0.5);  // L1 sensitivity 3
  o.mechanism = "gaussian";
  o.delta = 1e-6;
  auto gau = DpCategoryUsers(**ws, 1, 4, o);
  ASSERT_TRUE(gau.ok());
  auto want = GaussianMechanism::Make(0.5, 1e-6, 2.0);  // L2 sensitivity √4
  ASSERT_TRUE(want.ok());
  EXPECT_NEAR(gau->release.noise_scale, want->sigma(), 1e-9);
  for (const auto& c : gau->categories) EXPECT_GE(c.users, 0);
  PrivacyAccountant acc(**ws);
  auto s = acc.State();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->queries, 2);
  EXPECT_DOUBLE_EQ(s->epsilon_spent, 1.0);
}

TEST_F(PrivacyReport, DpRequiredWithholdsExactSegmentSizesAndCategoryCounts) {
  const std::string conf = test::ReadFile(ws_ + "/kgprofile.conf");
  auto plain = test::RunCli("--json profile build " + ws_ + " --clusters 3");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  auto pj = nlohmann::json::parse(plain.out);
  EXPECT_EQ(pj["cluster_sizes"]["dp"], false);
  EXPECT_TRUE(pj["clusters"][0].contains("size"));

  test::WriteFile(ws_ + "/kgprofile.conf", conf + "dp_required = true\n");
  auto held = test::RunCli("--json profile build " + ws_ + " --clusters 3");
  auto text = test::RunCli("profile build " + ws_ + " --clusters 3");
  auto exact = test::RunCli("privacy categories " + ws_ + " --exact");
  auto noisy = test::RunCli("--json privacy categories " + ws_);
  test::WriteFile(ws_ + "/kgprofile.conf", conf);
  ASSERT_EQ(held.exit_code, 0) << held.err;
  auto hj = nlohmann::json::parse(held.out);
  EXPECT_EQ(hj["cluster_sizes"]["withheld"], true);
  for (const auto& c : hj["clusters"]) EXPECT_FALSE(c.contains("size")) << c.dump();
  EXPECT_EQ(text.out.find(" users  "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("withheld"), std::string::npos) << text.out;
  EXPECT_NE(exact.exit_code, 0);
  EXPECT_NE(exact.err.find("dp_required"), std::string::npos) << exact.err;
  ASSERT_EQ(noisy.exit_code, 0) << noisy.err;
  EXPECT_EQ(nlohmann::json::parse(noisy.out)["dp"], true);
}

// An epsilon or k that makes no sense is refused by name, before anything is released or
// charged: 0 no longer means "not given" (an exact count with ids, or the full graph).
TEST_F(PrivacyReport, NonsenseEpsilonsAndKsAreRefusedBeforeAnythingIsReleased) {
  auto spent = [&] {
    auto w = Workspace::Open(ws_);
    EXPECT_TRUE(w.ok());
    auto s = PrivacyAccountant(**w).State();
    EXPECT_TRUE(s.ok());
    return s.ok() ? s->epsilon_spent : -1.0;
  };
  const double before = spent();
  for (const char* eps : {"0", "-1", "nan", "inf", "x"}) {
    for (const std::string& cmd : {"audience " + ws_ + " --rule \"lifecycle = 'active'\"", "privacy segments " + ws_}) {
      auto r = test::RunCli(cmd + " --dp-epsilon " + eps);
      EXPECT_NE(r.exit_code, 0) << cmd << " --dp-epsilon " << eps << ": " << r.out;
      EXPECT_NE(r.err.find("--dp-epsilon"), std::string::npos) << r.err;
      EXPECT_EQ(r.out.find("users match"), std::string::npos) << r.out;
    }
  }
  EXPECT_EQ(spent(), before);
  const std::string out = *tmp_ / "kanon";
  for (const char* bad : {"--k-anonymous 0", "--k-anonymous 5 --max-suppression -1", "--k-anonymous 5 --max-suppression nan"}) {
    auto r = test::RunCli("export " + ws_ + " " + bad + " -o " + out);
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_FALSE(std::filesystem::exists(out)) << bad;
  }
}

// The released table carried exact event and purchase counts beside the generalised
// demographics: almost every row was unique. Counted here over every column of the file.
TEST_F(PrivacyReport, KAnonymousExportIsKAnonymousOverEveryColumn) {
  auto ws = Workspace::Open(ws_);
  ASSERT_TRUE(ws.ok());
  const std::set<std::string> bands = {"0", "1", "2-5", "6-20", "21-100", "101+", "*"};
  for (size_t k : {1, 5}) {
    const std::string out = *tmp_ / ("k" + std::to_string(k) + ".csv");
    auto r = ExportProfilesKAnonymous(**ws, out, {k, 0.05});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    std::map<std::string, size_t> classes;
    size_t rows = 0;
    const std::string csv = test::ReadFile(out);
    const size_t header_end = csv.find('\n');
    EXPECT_EQ(csv.substr(0, header_end),
              "age_group,gender,city,occupation,price_level,lifecycle,rfm_segment,cluster,events,purchases");
    for (size_t b = header_end + 1, e; (e = csv.find('\n', b)) != std::string::npos; b = e + 1) {
      const std::string line = csv.substr(b, e - b);
      ++classes[line];
      ++rows;
      const size_t p = line.rfind(','), q = line.rfind(',', p - 1);
      EXPECT_TRUE(bands.count(line.substr(q + 1, p - q - 1)) && bands.count(line.substr(p + 1))) << line;
    }
    EXPECT_EQ(rows, r->kanon.rows_released);
    EXPECT_GT(rows, 100u) << "k = " << k;
    for (const auto& [row, n] : classes) EXPECT_GE(n, k) << row;
    EXPECT_EQ(classes.size(), r->kanon.groups);
  }
}

// A write that failed half-way (disk full) left a truncated CSV a loader would take for the
// release; now nothing is left beside the target and an earlier export stands.
TEST_F(PrivacyReport, AFailedKAnonymousExportLeavesNoPartialFile) {
  auto ws = Workspace::Open(ws_);
  ASSERT_TRUE(ws.ok());
  const std::string out = *tmp_ / "partial.csv";
  ASSERT_TRUE(ExportProfilesKAnonymous(**ws, out, {1, 0.05}).ok());
  const std::string earlier = test::ReadFile(out);
  ASSERT_GT(earlier.size(), 4096u);
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  rlimit small = old;
  small.rlim_cur = 4096;  // no file of this process grows past 4 KiB
  auto handler = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  auto failed = ExportProfilesKAnonymous(**ws, out, {1, 0.05});
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, handler);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), Status::Code::kIoError);
  EXPECT_EQ(test::ReadFile(out), earlier);
  EXPECT_EQ(test::TempFilesOf(out), "");
  // A folder where the file should be: refused naming it, nothing left beside it.
  const std::string dir = *tmp_ / "a-folder.csv";
  std::filesystem::create_directories(dir + "/x");
  auto blocked = ExportProfilesKAnonymous(**ws, dir, {1, 0.05});
  ASSERT_FALSE(blocked.ok());
  EXPECT_NE(blocked.status().message().find(dir), std::string::npos) << blocked.status().ToString();
  EXPECT_EQ(test::TempFilesOf(dir), "");
  // A symlink (as /dev/stdout is, to the file a shell redirected it to) stays a link: its target
  // gets the table, where the rename replaced the link itself.
  const std::string real = *tmp_ / "real.csv", link = *tmp_ / "link.csv";
  test::WriteFile(real, "old\n");
  std::filesystem::create_symlink(real, link);
  ASSERT_TRUE(ExportProfilesKAnonymous(**ws, link, {1, 0.05}).ok());
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(test::ReadFile(real).substr(0, 9), "age_group");
}

}  // namespace
}  // namespace kgp::privacy
