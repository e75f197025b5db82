// KGCN Last.FM loader, its CTR protocol, KgMf with and without the KG.
#include <gtest/gtest.h>

#include <set>

#include "recommend/eval/kgcn.h"
#include "common/rng.h"
#include "recommend/kg/kg_mf.h"
#include "test_util.h"

namespace kgp::rec {
namespace {

using test::TempDir;
using test::WriteFile;

void WriteSmall(const TempDir& dir) {
  WriteFile(dir / "item_index2entity_id.txt", "10\t0\r\n11\t1\r\n12\t2\r\n13\t3\r\n");
  WriteFile(dir / "kg.txt", "0\tmusic.origin\t100\r\n1\tmusic.origin\t100\r\n2\tfilm.actor\t3\r\n");
  WriteFile(dir / "user_artists.dat",
            "userID\tartistID\tweight\n1\t10\t5\n1\t11\t7\n1\t99\t1\n2\t12\t3\n2\t12\t4\n3\t13\t1\n");
}

TEST(RecKgLoader, ReadsItemsKgAndPositives) {
  TempDir dir;
  WriteSmall(dir);
  auto d = LoadKgcn(dir.path());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->num_items, 4u);
  EXPECT_EQ(d->num_users, 3u);
  EXPECT_EQ(d->positives[0], (std::vector<uint32_t>{0, 1}));  // artist 99 is not an item
  EXPECT_EQ(d->positives[1], (std::vector<uint32_t>{2}));     // duplicates collapse
  EXPECT_EQ(d->kg.triples.size(), 3u);
  EXPECT_EQ(d->kg.num_entities, 5u);  // 4 items + entity 100
  EXPECT_EQ(d->kg.num_relations, 2u);
  EXPECT_EQ(d->kg.triples[2].tail, 3u);  // entity "3" is item 3
}

TEST(RecKgLoader, ErrorsNameFileAndLine) {
  TempDir dir;
  WriteSmall(dir);
  WriteFile(dir / "kg.txt", "0\tr\t100\r\n1\tr\r\n");
  auto d = LoadKgcn(dir.path());
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("kg.txt:2: expected 3 tab-separated fields"), std::string::npos)
      << d.status().message();
  WriteSmall(dir);
  WriteFile(dir / "user_artists.dat", "userID\tartistID\tweight\n1\t10\tmany\n");
  d = LoadKgcn(dir.path());
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("user_artists.dat:2: field 3 (weight) 'many'"), std::string::npos)
      << d.status().message();
  WriteSmall(dir);
  WriteFile(dir / "item_index2entity_id.txt", "10\t0\n11\t0\n");
  EXPECT_NE(LoadKgcn(dir.path()).status().message().find("item_index2entity_id.txt:2: entity id '0' listed twice"),
            std::string::npos);
  EXPECT_FALSE(LoadKgcn(dir / "nowhere").ok());
}

TEST(RecKgProtocol, SplitIsBalancedDisjointAndReproducible) {
  KgcnData d;
  d.num_items = 500;
  d.num_users = 50;
  Rng rng(5);
  for (uint32_t u = 0; u < d.num_users; ++u) {
    std::set<uint32_t> s;
    while (s.size() < 5 + u % 30) s.insert(rng.Below(500u));
    d.positives.emplace_back(s.begin(), s.end());
  }
  CtrSplit a = MakeCtrSplit(d, 555), b = MakeCtrSplit(d, 555);
  size_t n = a.train.size() + a.eval.size() + a.test.size();
  EXPECT_EQ(a.eval.size(), n / 5);
  EXPECT_EQ(a.test.size(), n / 5);
  ASSERT_EQ(a.test.size(), b.test.size());
  for (size_t k = 0; k < a.test.size(); ++k) EXPECT_EQ(a.test[k].item, b.test[k].item);
  std::vector<int> balance(d.num_users, 0);
  std::set<std::pair<uint32_t, uint32_t>> pairs;
  for (const auto* part : {&a.train, &a.eval, &a.test}) {
    for (const CtrPair& p : *part) {
      EXPECT_TRUE(pairs.insert({p.user, p.item}).second) << "pair labelled twice";
      bool positive = std::binary_search(d.positives[p.user].begin(), d.positives[p.user].end(), p.item);
      EXPECT_EQ(positive, p.label > 0.5f) << "negative drawn from the user's positives";
      balance[p.user] += p.label > 0.5f ? 1 : -1;
    }
  }
  for (int x : balance) EXPECT_EQ(x, 0) << "as many negatives as positives per user";
}

TEST(RecKgQuality, LastFmAucFloorsWithAndWithoutKg) {
  KGP_REQUIRE_DATA(dir, "kgcn-lastfm");
  EvalOptions o;
  o.validation = true;  // the eval part: tests never read the test part
  o.quiet = true;
  o.models = {"pop", "kgmf"};
  EvalReport rep;
  Status s = EvaluateKgcn(dir, o, rep);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(rep.rows.size(), 3u);
  double pop = rep.rows[0].metrics["auc"], with = rep.rows[1].metrics["auc"], without = rep.rows[2].metrics["auc"];
  EXPECT_GT(pop, 0.75);
  EXPECT_GT(with, 0.81) << "KgMf with the KG";
  EXPECT_GT(without, 0.78);
  EXPECT_GT(with, without + 0.01) << "the KG should add AUC";
  EXPECT_GT(rep.rows[1].metrics["f1"], 0.70);
}

}  // namespace
}  // namespace kgp::rec
