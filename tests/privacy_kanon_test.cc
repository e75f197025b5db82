// k-anonymity as a property over random tables: after KAnonymize every released combination of
// quasi-identifiers occurs in at least k rows, the suppressed rows are counted and stay within
// the allowed share, and the information loss is sane (0 when nothing had to change, in
// [0, 1] always, never more than the fully generalised table's).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "common/rng.h"
#include "privacy/kanon.h"

namespace kgp::privacy {
namespace {

const char* kAges[] = {"<18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"};
const char* kCities[] = {"Beijing", "Shanghai", "Shenzhen", "Chengdu", "Hangzhou", "Wuhan", "Xi'an", "Nanjing",
                         "Tianjin", "Suzhou", "Harbin", "Lhasa"};
const char* kJobs[] = {"engineer", "teacher", "student", "doctor", "artist", "farmer", "lawyer", "retired", ""};

std::vector<std::vector<std::string>> RandomTable(Rng& rng, size_t n, bool skewed) {
  std::vector<std::vector<std::string>> t;
  for (size_t i = 0; i < n; ++i) {
    // Skewed tables: a few common values and a long tail of rare ones, as in real user data.
    auto pick = [&](size_t m) {
      uint32_t k = static_cast<uint32_t>(m);
      if (skewed && rng.Uniform() < 0.7) k = std::max<uint32_t>(1, k / 4);
      return rng.Below(k);
    };
    t.push_back({kAges[pick(7)], rng.Uniform() < 0.5 ? "F" : "M", kCities[pick(12)], kJobs[pick(9)]});
  }
  return t;
}

TEST(PrivacyKAnon, EveryReleasedGroupHasKRowsOnRandomTables) {
  Rng rng(2024);
  int trials = 0;
  for (size_t n : {1, 3, 20, 100, 500, 3000}) {
    for (size_t k : {1, 2, 5, 10, 25}) {
      for (bool skewed : {false, true}) {
        for (double max_supp : {0.0, 0.05, 0.2}) {
          auto table = RandomTable(rng, n, skewed);
          const auto original = table;
          KAnonOptions o;
          o.k = k;
          o.max_suppression = max_supp;
          auto r = KAnonymize(table, ProfileQis(), o);
          ASSERT_TRUE(r.ok());
          ++trials;
          const std::string where = "n=" + std::to_string(n) + " k=" + std::to_string(k) +
                                    " skewed=" + std::to_string(skewed) + " supp=" + std::to_string(max_supp);
          std::map<std::vector<std::string>, size_t> groups;
          size_t suppressed = 0;
          for (size_t i = 0; i < n; ++i) {
            if (r->suppressed[i]) ++suppressed;
            else ++groups[table[i]];
          }
          // The property.
          for (const auto& [g, c] : groups) ASSERT_GE(c, k) << where;
          // The report matches what happened.
          EXPECT_EQ(r->rows_suppressed, suppressed) << where;
          EXPECT_EQ(r->rows_released + r->rows_suppressed, n) << where;
          EXPECT_EQ(r->groups, groups.size()) << where;
          if (!groups.empty()) {
            size_t smallest = n;
            for (const auto& [g, c] : groups) smallest = std::min(smallest, c);
            EXPECT_EQ(r->k_achieved, smallest) << where;
            EXPECT_GE(r->k_achieved, k) << where;
          }
          // Suppression within the allowed share, except when the table is smaller than k
          // (then nothing at all can be released).
          if (n >= k) {
            EXPECT_LE(static_cast<double>(suppressed), max_supp * static_cast<double>(n) + 1e-9) << where;
          } else {
            EXPECT_EQ(suppressed, n) << where;
          }
          // Released values are generalisations of the originals.
          auto qis = ProfileQis();
          for (size_t i = 0; i < n; ++i)
            for (size_t j = 0; j < qis.size(); ++j)
              EXPECT_EQ(table[i][j], qis[j].generalise(original[i][j], r->levels[j])) << where;
          EXPECT_GE(r->information_loss, 0.0);
          EXPECT_LE(r->information_loss, 1.0);
          if (k == 1) {  // nothing to do: no generalisation, no suppression, no loss
            EXPECT_EQ(r->rows_suppressed, 0u);
            EXPECT_DOUBLE_EQ(r->information_loss, 0.0);
          }
        }
      }
    }
  }
  EXPECT_EQ(trials, 6 * 5 * 2 * 3);
}

TEST(PrivacyKAnon, PrefersLessGeneralisation) {
  // 40 rows of two exact combinations, 20 each: 10-anonymous as is.
  std::vector<std::vector<std::string>> t;
  for (int i = 0; i < 20; ++i) t.push_back({"25-34", "F", "Beijing", "engineer"});
  for (int i = 0; i < 20; ++i) t.push_back({"35-44", "M", "Shanghai", "teacher"});
  auto r = KAnonymize(t, ProfileQis(), {10, 0.0});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->levels, (std::vector<int>{0, 0, 0, 0}));
  EXPECT_EQ(r->k_achieved, 20u);
  // One rare row: suppressing it (allowed: 5%) beats generalising 40 rows.
  t.push_back({"65+", "F", "Lhasa", "farmer"});
  r = KAnonymize(t, ProfileQis(), {10, 0.05});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows_suppressed, 1u);
  EXPECT_EQ(r->levels, (std::vector<int>{0, 0, 0, 0}));
  // With no suppression allowed, it must generalise until the rare row joins a group.
  r = KAnonymize(t, ProfileQis(), {10, 0.0});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows_suppressed, 0u);
  EXPECT_GE(r->k_achieved, 10u);
  EXPECT_GT(r->information_loss, 0.0);
}

// The search as specified: every lattice node in odometer order (first quasi-identifier
// fastest), groups counted on the generalised strings, the least loss within the suppression
// allowed kept, near-ties (1e-12) going to fewer suppressed rows, then to the earlier node.
std::vector<int> ReferenceLevels(const std::vector<std::vector<std::string>>& t, const std::vector<QuasiIdentifier>& qis,
                                 const KAnonOptions& o) {
  const size_t n = t.size(), q = qis.size();
  const auto allowed = static_cast<size_t>(o.max_suppression * static_cast<double>(n));
  std::vector<int> lv(q, 0), best;
  double best_loss = 0;
  size_t best_supp = 0;
  for (;;) {
    std::map<std::string, size_t> groups;
    for (const auto& row : t) {
      std::string g;
      for (size_t j = 0; j < q; ++j) g += qis[j].generalise(row[j], lv[j]) + '\x1f';
      ++groups[g];
    }
    size_t supp = 0;
    for (const auto& [g, c] : groups)
      if (c < o.k) supp += c;
    double h = 0;
    for (size_t j = 0; j < q; ++j) h += static_cast<double>(lv[j]) / qis[j].max_level;
    const double loss = (static_cast<double>(n - supp) * h / static_cast<double>(q) + static_cast<double>(supp)) / static_cast<double>(n);
    if (supp <= allowed && (best.empty() || loss < best_loss - 1e-12 || (loss <= best_loss + 1e-12 && supp < best_supp)))
      best = lv, best_loss = loss, best_supp = supp;
    size_t j = 0;
    while (j < q && ++lv[j] > qis[j].max_level) lv[j++] = 0;
    if (j == q) break;
  }
  if (best.empty())
    for (size_t j = 0; j < q; ++j) best.push_back(qis[j].max_level);
  return best;
}

TEST(PrivacyKAnon, ChoosesWhatEvaluatingEveryNodeChooses) {
  // The export's ten quasi-identifiers (2,048 nodes), of which the search skips the nodes too
  // general to beat the best so far.
  Rng rng(11);
  const char* bands[] = {"0", "1", "2-5", "6-20", "21-100", "101+"};
  const char* levels[] = {"low", "mid", "high", ""};
  const char* stages[] = {"new", "active", "dormant", "churned"};
  int generalised = 0;
  for (size_t n : {1, 40, 120, 300}) {
    for (size_t k : {2, 10}) {
      for (double supp : {0.0, 0.05}) {
        std::vector<std::vector<std::string>> t = RandomTable(rng, n, /*skewed=*/true);
        for (auto& row : t) {
          row.push_back(levels[rng.Below(4u)]);
          row.push_back(stages[rng.Below(4u)]);
          row.push_back(rng.Uniform() < 0.8 ? "loyal" : "at risk");
          row.push_back(std::to_string(rng.Below(3u)));
          row.push_back(bands[rng.Below(6u)]);
          row.push_back(bands[rng.Below(3u)]);
        }
        const auto qis = ProfileExportQis();
        const KAnonOptions o{k, supp};
        const std::vector<int> want = ReferenceLevels(t, qis, o);
        auto got = KAnonymize(t, qis, o);
        ASSERT_TRUE(got.ok());
        EXPECT_EQ(got->levels, want) << "n=" << n << " k=" << k << " supp=" << supp;
        generalised += want != std::vector<int>(qis.size(), 0);
      }
    }
  }
  EXPECT_GT(generalised, 10);
}

TEST(PrivacyKAnon, AgeHierarchy) {
  auto age = AgeGroupQi();
  EXPECT_EQ(age.generalise("25-34", 0), "25-34");
  EXPECT_EQ(age.generalise("18-24", 1), "<25");
  EXPECT_EQ(age.generalise("35-44", 1), "25-44");
  EXPECT_EQ(age.generalise("55-64", 1), "45-64");
  EXPECT_EQ(age.generalise("65+", 1), "65+");
  EXPECT_EQ(age.generalise("<18", 2), "<45");
  EXPECT_EQ(age.generalise("65+", 2), "45+");
  EXPECT_EQ(age.generalise("65+", 3), "*");
  EXPECT_EQ(age.generalise("", 1), "*");
}

TEST(PrivacyKAnon, RejectsBadInput) {
  std::vector<std::vector<std::string>> t = {{"a", "b"}};
  EXPECT_FALSE(KAnonymize(t, ProfileQis(), {}).ok());  // ragged
  std::vector<std::vector<std::string>> u;
  EXPECT_FALSE(KAnonymize(u, ProfileQis(), {0, 0.1}).ok());
}

}  // namespace
}  // namespace kgp::privacy
