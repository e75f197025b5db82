// Differential privacy, tested the way Google's differential-privacy library tests its
// mechanisms (its stochastic tester): the noise law against the theoretical CDF
// (Kolmogorov–Smirnov), and the privacy loss on neighbouring datasets (histograms of the outputs
// on D and D' whose bucket probabilities may not differ by more than e^ε, allowing for sampling
// error). The tester is also run on a mechanism that claims more privacy than it gives, to show
// it catches one. Then the budget: refusal past the total, persistence across reopen.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "privacy/budget.h"
#include "privacy/dp.h"
#include "privacy/dp_query.h"
#include "store/workspace.h"
#include "test_util.h"

namespace kgp::privacy {
namespace {

// sup |F_n - F| of the samples against cdf.
template <class Cdf>
double KsStatistic(std::vector<double> xs, Cdf cdf) {
  std::sort(xs.begin(), xs.end());
  const double n = static_cast<double>(xs.size());
  double d = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double f = cdf(xs[i]);
    d = std::max({d, static_cast<double>(i + 1) / n - f, f - static_cast<double>(i) / n});
  }
  return d;
}

// 1.95 / sqrt(n) is the KS critical value at significance 0.001.
double KsBound(size_t n) { return 1.95 / std::sqrt(static_cast<double>(n)); }

TEST(PrivacyDp, LaplaceMatchesItsCdf) {
  for (double eps : {0.1, 1.0, 4.0}) {
    auto m = LaplaceMechanism::Make(eps, 2.0);
    ASSERT_TRUE(m.ok());
    EXPECT_DOUBLE_EQ(m->scale(), 2.0 / eps);
    SeededNoise noise(11);
    std::vector<double> xs(200000);
    for (auto& x : xs) x = m->Sample(noise);
    const double d = KsStatistic(xs, [&](double x) { return m->Cdf(x); });
    EXPECT_LT(d, KsBound(xs.size())) << "epsilon " << eps;
    // Mean 0, variance 2 b^2.
    double mean = 0, var = 0;
    for (double x : xs) mean += x;
    mean /= static_cast<double>(xs.size());
    for (double x : xs) var += (x - mean) * (x - mean);
    var /= static_cast<double>(xs.size());
    EXPECT_NEAR(var / (2 * m->scale() * m->scale()), 1.0, 0.03);
    std::printf("[ dp ] laplace eps=%.1f b=%.3f KS D=%.5f (bound %.5f)\n", eps, m->scale(), d, KsBound(xs.size()));
  }
}

TEST(PrivacyDp, GaussianMatchesItsCdfAndCalibration) {
  for (double eps : {0.5, 1.0, 3.0}) {
    const double delta = 1e-6;
    auto m = GaussianMechanism::Make(eps, delta, 1.0);
    ASSERT_TRUE(m.ok());
    // The analytic σ is the smallest that meets δ: a little less would not.
    EXPECT_LE(GaussianMechanism::DeltaFor(m->sigma(), eps, 1.0), delta * (1 + 1e-6));
    EXPECT_GT(GaussianMechanism::DeltaFor(m->sigma() * 0.98, eps, 1.0), delta);
    // …and below the classic bound where that one applies (ε < 1).
    if (eps < 1) {
      EXPECT_LT(m->sigma(), std::sqrt(2 * std::log(1.25 / delta)) / eps);
    }
    SeededNoise noise(12 + static_cast<uint64_t>(eps * 10));
    std::vector<double> xs(200000);
    for (auto& x : xs) x = m->Sample(noise);
    const double d = KsStatistic(xs, [&](double x) { return m->Cdf(x); });
    EXPECT_LT(d, KsBound(xs.size())) << "epsilon " << eps;
    std::printf("[ dp ] gaussian eps=%.1f delta=%g sigma=%.3f KS D=%.5f (bound %.5f)\n", eps, delta, m->sigma(), d,
                KsBound(xs.size()));
  }
}

TEST(PrivacyDp, RejectsBadParameters) {
  EXPECT_FALSE(LaplaceMechanism::Make(0, 1).ok());
  EXPECT_FALSE(LaplaceMechanism::Make(-1, 1).ok());
  EXPECT_FALSE(LaplaceMechanism::Make(1, 0).ok());
  EXPECT_FALSE(LaplaceMechanism::Make(NAN, 1).ok());
  EXPECT_FALSE(GaussianMechanism::Make(1, 0, 1).ok());
  EXPECT_FALSE(GaussianMechanism::Make(1, 1, 1).ok());
  EXPECT_FALSE(ParseDpMechanism("uniform").ok());
}

TEST(PrivacyDp, Clamping) {
  EXPECT_EQ(Clamp(5, 0, 3), 3);
  EXPECT_EQ(Clamp(-5, 0, 3), 0);
  EXPECT_EQ(Clamp(2, 0, 3), 2);
  EXPECT_EQ(Clamp(NAN, 0, 3), 0);  // a missing value contributes the lower bound
  EXPECT_EQ(Clamp(INFINITY, -1, 1), 1);
  // A clamped sum has sensitivity max(|lo|, |hi|) whatever one row holds: an outlier row moves
  // the clamped sum by at most 3.
  std::vector<double> d = {1, 2, 2.5}, d2 = d;
  d2.push_back(1e9);
  double s = 0, s2 = 0;
  for (double x : d) s += Clamp(x, 0, 3);
  for (double x : d2) s2 += Clamp(x, 0, 3);
  EXPECT_LE(std::abs(s2 - s), 3.0);
}

// The stochastic tester's check: release a count on neighbouring datasets D (count c) and D'
// (count c + 1) n times each, histogram the released integers, and for every bucket holding
// enough samples to estimate its probability, require P_D(b) <= e^eps P_D'(b) (1 + tol) + delta
// in both directions, tol being three standard errors of the ratio estimate. Returns the worst
// observed log-ratio minus eps (negative: within the guarantee) and whether every bucket passed.
template <class Release>
std::pair<double, bool> PrivacyLossCheck(Release release, double eps, double delta, size_t n, uint64_t seed) {
  std::map<int64_t, double> hd, hd2;
  SeededNoise noise(seed);
  const int64_t c = 40;
  for (size_t i = 0; i < n; ++i) ++hd[release(c, noise)];
  for (size_t i = 0; i < n; ++i) ++hd2[release(c + 1, noise)];
  const double min_count = 2000;
  double worst = -INFINITY;
  bool ok = true;
  for (const auto* pair : {&hd, &hd2}) {
    const auto& a = *pair;
    const auto& b = pair == &hd ? hd2 : hd;
    for (const auto& [bucket, ca] : a) {
      auto it = b.find(bucket);
      const double cb = it == b.end() ? 0 : it->second;
      if (ca < min_count || cb < min_count) continue;
      const double pa = ca / static_cast<double>(n), pb = cb / static_cast<double>(n);
      const double tol = 3 * std::sqrt(1 / ca + 1 / cb);
      worst = std::max(worst, std::log(pa / pb) - eps);
      if (pa > std::exp(eps) * pb * (1 + tol) + delta) ok = false;
    }
  }
  return {worst, ok};
}

TEST(PrivacyDp, PrivacyLossOnNeighbouringDatasets) {
  const size_t n = 400000;
  for (double eps : {0.5, 1.0, 2.0}) {
    auto lap = *LaplaceMechanism::Make(eps, 1.0);
    auto [worst, ok] = PrivacyLossCheck(
        [&](int64_t c, NoiseSource& r) { return std::llround(lap.AddNoise(static_cast<double>(c), r)); }, eps, 0, n, 21);
    EXPECT_TRUE(ok) << "laplace eps " << eps << " worst excess log-ratio " << worst;
    std::printf("[ dp ] laplace eps=%.1f: worst log P_D/P_D' - eps over buckets = %+.4f\n", eps, worst);
    auto gau = *GaussianMechanism::Make(eps, 1e-6, 1.0);
    auto [gworst, gok] = PrivacyLossCheck(
        [&](int64_t c, NoiseSource& r) { return std::llround(gau.AddNoise(static_cast<double>(c), r)); }, eps, 1e-6, n, 22);
    EXPECT_TRUE(gok) << "gaussian eps " << eps << " worst excess log-ratio " << gworst;
    std::printf("[ dp ] gaussian eps=%.1f: worst log P_D/P_D' - eps over buckets = %+.4f\n", eps, gworst);
  }
}

TEST(PrivacyDp, PrivacyLossCheckCatchesTooLittleNoise) {
  // A buggy release: Laplace noise calibrated for epsilon 4 but claimed to be epsilon 0.5.
  auto lap = *LaplaceMechanism::Make(4.0, 1.0);
  auto [worst, ok] = PrivacyLossCheck(
      [&](int64_t c, NoiseSource& r) { return std::llround(lap.AddNoise(static_cast<double>(c), r)); }, 0.5, 0, 400000, 23);
  EXPECT_FALSE(ok);
  EXPECT_GT(worst, 1.0);
}

TEST(PrivacyBudget, RefusesPastTheTotalAndPersists) {
  test::TempDir tmp;
  const std::string dir = tmp / "ws";
  {
    auto ws = Workspace::Init(dir, {});
    ASSERT_TRUE(ws.ok());
  }
  {
    std::string conf = test::ReadFile(dir + "/kgprofile.conf");
    test::WriteFile(dir + "/kgprofile.conf", conf + "dp_epsilon_budget = 3\ndp_delta_budget = 2e-7\n");
  }
  {
    auto ws = Workspace::Open(dir);
    ASSERT_TRUE(ws.ok());
    PrivacyAccountant acc(**ws);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(acc.Spend(1.0, 0, "q", "laplace").ok()) << i;
    auto refused = acc.Spend(0.5, 0, "one more", "laplace");
    ASSERT_FALSE(refused.ok());
    EXPECT_TRUE(IsBudgetExceeded(refused.status()));
    EXPECT_NE(refused.status().message().find("privacy budget exceeded"), std::string::npos);
    EXPECT_NE(refused.status().message().find("raise dp_epsilon_budget in"), std::string::npos) << refused.status().ToString();
    auto s = acc.State();
    ASSERT_TRUE(s.ok());
    EXPECT_DOUBLE_EQ(s->epsilon_spent, 3.0);
    EXPECT_EQ(s->queries, 3);  // the refusal recorded nothing
  }
  {
    // Reopened (a new process, as far as the store is concerned): the spend is remembered.
    auto ws = Workspace::Open(dir);
    ASSERT_TRUE(ws.ok());
    PrivacyAccountant acc(**ws);
    auto s = acc.State();
    ASSERT_TRUE(s.ok());
    EXPECT_DOUBLE_EQ(s->epsilon_spent, 3.0);
    EXPECT_DOUBLE_EQ(s->epsilon_budget, 3.0);
    EXPECT_TRUE(IsBudgetExceeded(acc.Spend(0.01, 0, "q", "laplace").status()));
    EXPECT_EQ(acc.Ledger().size(), 3u);
  }
  {
    // Epsilon left, delta spent (Gaussian releases): the message names the delta budget (it
    // told the user to raise the epsilon budget, which was not what ran out).
    std::string conf = test::ReadFile(dir + "/kgprofile.conf");
    conf.replace(conf.find("dp_epsilon_budget = 3"), 21, "dp_epsilon_budget = 10");
    test::WriteFile(dir + "/kgprofile.conf", conf);
    auto ws = Workspace::Open(dir);
    ASSERT_TRUE(ws.ok());
    PrivacyAccountant acc(**ws);
    ASSERT_TRUE(acc.Spend(0.1, 1.5e-7, "q", "gaussian").ok());
    auto refused = acc.Spend(0.1, 1e-7, "q", "gaussian");
    ASSERT_TRUE(IsBudgetExceeded(refused.status()));
    EXPECT_NE(refused.status().message().find("raise dp_delta_budget in"), std::string::npos) << refused.status().ToString();
    EXPECT_EQ(refused.status().message().find("dp_epsilon_budget"), std::string::npos) << refused.status().ToString();
  }
}

TEST(PrivacyBudget, ReleaseCountsChargesAndFlags) {
  test::TempDir tmp;
  const std::string dir = tmp / "ws";
  ASSERT_TRUE(Workspace::Init(dir, {}).ok());
  test::WriteFile(dir + "/kgprofile.conf", test::ReadFile(dir + "/kgprofile.conf") + "dp_epsilon_budget = 2\n");
  auto ws = Workspace::Open(dir);
  ASSERT_TRUE(ws.ok());
  SeededNoise noise(5);
  DpOptions o;
  o.noise = &noise;
  // epsilon 0: exact, flagged, free.
  std::vector<int64_t> c = {100, 7};
  auto exact = ReleaseCounts(**ws, c, "exact", o);
  ASSERT_TRUE(exact.ok());
  EXPECT_FALSE(exact->dp);
  EXPECT_EQ(c, (std::vector<int64_t>{100, 7}));
  EXPECT_TRUE(exact->Json()["epsilon"].is_null());
  // A bad mechanism costs nothing.
  o.epsilon = 1.0;
  o.mechanism = "uniform";
  EXPECT_FALSE(ReleaseCounts(**ws, c, "bad", o).ok());
  o.mechanism = "laplace";
  auto r = ReleaseCounts(**ws, c, "two counts", o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->dp);
  EXPECT_DOUBLE_EQ(r->epsilon, 1.0);
  EXPECT_EQ(r->Json()["dp"], true);
  EXPECT_NEAR(static_cast<double>(c[0]), 100, 30);  // Laplace(1): |noise| > 30 has probability e^-30
  EXPECT_GE(c[1], 0);
  o.mechanism = "gaussian";
  o.delta = 1e-7;
  auto g = ReleaseCounts(**ws, c, "gaussian", o);
  ASSERT_TRUE(g.ok());
  EXPECT_DOUBLE_EQ(g->delta, 1e-7);
  // Budget 2 is now spent.
  EXPECT_TRUE(IsBudgetExceeded(ReleaseCounts(**ws, c, "third", o).status()));
}

// A DP audience naming a tag no profile has (a typo) is refused before any budget is spent (it
// used to release a noisy count of nobody, charged, without the warning the exact audience
// gives); --dp-mechanism without DP is an error (it used to release the exact count and ids).
TEST(PrivacyDpAudience, UnknownTagsAndAMechanismWithoutDpAreRefusedFree) {
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  ASSERT_EQ(test::RunCli("-q generate " + sample + " --users 60 --events 4000 --products 120 --seed 4").exit_code, 0);
  ASSERT_TRUE(test::IngestedWorkspace(ws, test::ShopFiles(sample)));
  ASSERT_EQ(test::RunCli("-q profile build " + ws).exit_code, 0);
  const auto spent = [&] {
    auto w = Workspace::Open(ws);
    EXPECT_TRUE(w.ok());
    return (*w)->db().QueryInt("SELECT count(*) FROM privacy_ledger");
  };
  auto typo = test::RunCli("--json audience " + ws + " --dp-epsilon 0.1 --rule \"interest('brand:nosuch') > 0\"");
  EXPECT_NE(typo.exit_code, 0) << typo.out;
  EXPECT_NE(typo.err.find("no profile has the tag 'brand:nosuch'"), std::string::npos) << typo.err;
  EXPECT_EQ(spent(), 0);
  for (const std::string& args : {"audience " + ws + " --rule \"events > 1\" --dp-mechanism gaussian",
                                 "privacy segments " + ws + " --exact --dp-mechanism laplace"}) {
    auto r = test::RunCli(args);
    EXPECT_NE(r.exit_code, 0) << args << ": " << r.out;
    EXPECT_NE(r.err.find("--dp-mechanism"), std::string::npos) << args << ": " << r.err;
    EXPECT_EQ(r.out.find("exact count"), std::string::npos) << args << ": " << r.out;
  }
  EXPECT_EQ(spent(), 0);
  auto ok = test::RunCli("--json audience " + ws + " --rule \"events > 1\" --dp-epsilon 0.1 --dp-mechanism gaussian");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(nlohmann::json::parse(ok.out)["mechanism"], "gaussian") << ok.out;
  EXPECT_EQ(spent(), 1);
}

}  // namespace
}  // namespace kgp::privacy
