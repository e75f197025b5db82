// Embedding engine units: ranks and metrics on hand-computed cases, the fast evaluator against
// an independent naive one, analytic gradients against finite differences, checkpoints,
// dataset loading errors.
#include <gtest/gtest.h>
#include <cstdlib>
#include <algorithm>
#include <sstream>

#include <cmath>
#include <cstring>
#include <fstream>
#include <set>

#include "embed/ann.h"
#include "embed/checkpoint.h"
#include "embed/dataset.h"
#include "embed/evaluator.h"
#include "embed/model.h"
#include "embed/predict.h"
#include "test_util.h"

namespace kgp::embed {
namespace {

TEST(EmbedEval, RankCountsTiesAsHalfAndSkipsKnownAnswers) {
  const float s[] = {0.5f, 0.9f, 0.5f, 0.1f, 0.9f};
  // Target 0: two entities score higher, one ties: rank 1 + 2 + 1/2.
  auto r = RankOf(s, 5, 0, nullptr, nullptr);
  EXPECT_DOUBLE_EQ(r.raw, 3.5);
  EXPECT_DOUBLE_EQ(r.filtered, 3.5);
  // Known true answers 0 (the target itself, ignored) and 1 (higher): filtered rank 2.5.
  const uint32_t known[] = {0, 1};
  r = RankOf(s, 5, 0, known, known + 2);
  EXPECT_DOUBLE_EQ(r.raw, 3.5);
  EXPECT_DOUBLE_EQ(r.filtered, 2.5);
  // A known answer that ties is removed from the ties.
  const uint32_t known2[] = {2};
  EXPECT_DOUBLE_EQ(RankOf(s, 5, 0, known2, known2 + 1).filtered, 3.0);
  // NaN ranks last.
  const float n[] = {NAN, 1.0f, 2.0f};
  EXPECT_DOUBLE_EQ(RankOf(n, 3, 0, nullptr, nullptr).raw, 3.0);
}

TEST(EmbedEval, Summary) {
  Metrics m = Summarize({1, 2, 4, 20});
  EXPECT_EQ(m.count, 4u);
  EXPECT_DOUBLE_EQ(m.mr, 6.75);
  EXPECT_NEAR(m.mrr, (1 + 0.5 + 0.25 + 0.05) / 4, 1e-12);
  EXPECT_DOUBLE_EQ(m.hits1, 0.25);
  EXPECT_DOUBLE_EQ(m.hits3, 0.5);
  EXPECT_DOUBLE_EQ(m.hits10, 0.75);
}

Dataset RandomDataset(size_t n, size_t m, size_t triples, uint64_t seed) {
  Dataset ds;
  for (size_t i = 0; i < n; ++i) ds.entities.Intern("e" + std::to_string(i));
  for (size_t i = 0; i < m; ++i) ds.relations.Intern("r" + std::to_string(i));
  Rng rng(seed);
  std::set<std::tuple<uint32_t, uint32_t, uint32_t>> seen;
  while (seen.size() < triples) {
    Triple x{rng.Below(uint32_t(n)), rng.Below(uint32_t(m)), rng.Below(uint32_t(n))};
    if (!seen.insert({x.h, x.r, x.t}).second) continue;
    (seen.size() % 5 == 0 ? ds.test : ds.train).push_back(x);
  }
  return ds;
}

// Written separately from Evaluate: per-candidate Score calls, a std::set filter, ties by
// explicit loops.
Metrics NaiveFilteredEval(const Model& m, const Params& p, const Dataset& ds) {
  std::set<std::tuple<uint32_t, uint32_t, uint32_t>> truth;
  for (const auto* s : {&ds.train, &ds.valid, &ds.test})
    for (const auto& x : *s) truth.insert({x.h, x.r, x.t});
  std::vector<double> ranks;
  for (const auto& x : ds.test) {
    for (int side = 0; side < 2; ++side) {
      float target = m.Score(p.E(x.h), p.R(x.r), p.E(x.t));
      double higher = 0, ties = 0;
      for (uint32_t e = 0; e < p.num_entities; ++e) {
        uint32_t h = side ? e : x.h, t = side ? x.t : e;
        if ((side ? h == x.h : t == x.t) || truth.count({h, x.r, t})) continue;
        float s = m.Score(p.E(h), p.R(x.r), p.E(t));
        if (s > target) higher += 1;
        else if (s == target) ties += 1;
      }
      ranks.push_back(1 + higher + ties / 2);
    }
  }
  return Summarize(ranks);
}

class EachModel : public ::testing::TestWithParam<std::string> {};

TEST_P(EachModel, FastEvaluatorAgreesWithNaiveEvaluator) {
  Dataset ds = RandomDataset(60, 4, 400, 3);
  ModelConfig c;
  c.name = GetParam();
  c.dim = 12;
  c.gamma = GetParam() == "distmult" || GetParam() == "complex" ? 0 : 4;
  auto model = MakeModel(c);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  Params p;
  Rng rng(9);
  (*model)->Allocate(p, ds.num_entities(), ds.num_relations(), rng);
  KnownTriples known({&ds.train, &ds.valid, &ds.test});
  for (int threads : {1, 2}) {
    EvalOptions o;
    o.threads = threads;
    EvalResult fast = Evaluate(**model, p, ds.test, known, o);
    Metrics naive = NaiveFilteredEval(**model, p, ds);
    EXPECT_EQ(fast.filtered.count, naive.count);
    EXPECT_NEAR(fast.filtered.mrr, naive.mrr, 1e-3) << GetParam();
    EXPECT_NEAR(fast.filtered.mr, naive.mr, 0.05 * naive.mr) << GetParam();
    EXPECT_NEAR(fast.filtered.hits10, naive.hits10, 0.01) << GetParam();
    EXPECT_LE(fast.filtered.mr, fast.raw.mr);
  }
}

TEST_P(EachModel, ScoreAllMatchesScore) {
  ModelConfig c;
  c.name = GetParam();
  c.dim = 10;
  c.gamma = 5;
  auto model = MakeModel(c);
  ASSERT_TRUE(model.ok());
  Params p;
  Rng rng(5);
  (*model)->Allocate(p, 30, 3, rng);
  std::vector<float> out(30), scratch;
  for (uint32_t r = 0; r < 3; ++r) {
    (*model)->PrepareRelation(p, r, &scratch);
    (*model)->ScoreTails(p, 7, r, scratch, out.data());
    for (uint32_t e = 0; e < 30; ++e) EXPECT_NEAR(out[e], (*model)->Score(p.E(7), p.R(r), p.E(e)), 1e-3);
    (*model)->ScoreHeads(p, r, 11, scratch, out.data());
    for (uint32_t e = 0; e < 30; ++e) EXPECT_NEAR(out[e], (*model)->Score(p.E(e), p.R(r), p.E(11)), 1e-3);
  }
}

TEST_P(EachModel, GradientMatchesFiniteDifferences) {
  ModelConfig c;
  c.name = GetParam();
  c.dim = 6;
  c.gamma = 5;
  c.norm = 2;  // smooth distance, so central differences are exact enough
  auto model = MakeModel(c);
  ASSERT_TRUE(model.ok());
  Params p;
  Rng rng(11);
  (*model)->Allocate(p, 3, 1, rng);
  if (GetParam() == "transr")  // leave the identity: perturb the projection too
    for (size_t i = 0; i < p.relation.size(); ++i) p.relation[i] += 0.1f * rng.Uniform(-1, 1);
  const Model& m = **model;
  std::vector<float> gh(p.entity_width), gr(p.relation_width), gt(p.entity_width);
  m.Grad(p.E(0), p.R(0), p.E(1), 1.0f, gh.data(), gr.data(), gt.data());
  auto check = [&](float* row, const std::vector<float>& g, const char* what) {
    for (size_t i = 0; i < g.size(); ++i) {
      float keep = row[i], eps = 1e-3f;
      row[i] = keep + eps;
      double up = m.Score(p.E(0), p.R(0), p.E(1));
      row[i] = keep - eps;
      double down = m.Score(p.E(0), p.R(0), p.E(1));
      row[i] = keep;
      EXPECT_NEAR(g[i], (up - down) / (2 * eps), 2e-2 * std::max(1.0, std::fabs(double(g[i])))) << what << " " << i;
    }
  };
  check(p.E(0), gh, "head");
  check(p.R(0), gr, "relation");
  check(p.E(1), gt, "tail");
}

INSTANTIATE_TEST_SUITE_P(Models, EachModel, ::testing::Values("transe", "transr", "distmult", "complex", "rotate"));

TEST(EmbedCheckpoint, RoundTripAndDamage) {
  test::TempDir tmp;
  Checkpoint c;
  c.config.name = "rotate";
  c.config.dim = 4;
  c.config.gamma = 6;
  auto model = MakeModel(c.config);
  ASSERT_TRUE(model.ok());
  Rng rng(1);
  (*model)->Allocate(c.params, 3, 2, rng);
  c.entity_names = {"a", "b", "c"};
  c.relation_names = {"likes", "has"};
  c.epochs_done = 7;
  c.has_optimizer = true;
  c.optimizer.kind = OptimizerKind::kAdam;
  c.optimizer.Prepare(c.params);
  c.optimizer.entity.a[3] = 0.25f;
  std::string path = tmp / "m.kge";
  ASSERT_TRUE(SaveCheckpoint(path, c).ok());
  auto back = LoadCheckpoint(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->config.name, "rotate");
  EXPECT_EQ(back->epochs_done, 7);
  EXPECT_EQ(back->entity_names, c.entity_names);
  EXPECT_EQ(back->relation_names, c.relation_names);
  EXPECT_TRUE(back->params.entity == c.params.entity);
  EXPECT_TRUE(back->params.relation == c.params.relation);
  EXPECT_EQ(back->optimizer.entity.a[3], 0.25f);
  // One flipped byte in the tables: checksum error, not garbage.
  std::string bytes = test::ReadFile(path);
  bytes[bytes.size() - 20] ^= 0x40;
  test::WriteFile(tmp / "bad.kge", bytes);
  auto bad = LoadCheckpoint(tmp / "bad.kge");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("checksum"), std::string::npos);
  test::WriteFile(tmp / "short.kge", bytes.substr(0, 30));
  EXPECT_FALSE(LoadCheckpoint(tmp / "short.kge").ok());
  test::WriteFile(tmp / "text.kge", "hello world, not a checkpoint at all");
  auto txt = LoadCheckpoint(tmp / "text.kge");
  ASSERT_FALSE(txt.ok());
  EXPECT_NE(txt.status().message().find("magic"), std::string::npos);
}

TEST(EmbedCheckpoint, NpyAndTsvExports) {
  test::TempDir tmp;
  FloatTable t = {1.0f, 2.0f, 3.0f, 4.5f, 5.0f, 6.0f};
  ASSERT_TRUE(ExportNpy(tmp / "x.npy", t, 2, 3).ok());
  std::string npy = test::ReadFile(tmp / "x.npy");
  ASSERT_EQ(npy.substr(0, 6), "\x93NUMPY");
  uint16_t hlen = uint16_t(uint8_t(npy[8]) | uint8_t(npy[9]) << 8);
  EXPECT_EQ((10 + hlen) % 64, 0u);
  EXPECT_NE(npy.find("'shape': (2, 3)"), std::string::npos);
  ASSERT_EQ(npy.size(), 10u + hlen + 6 * 4);
  float back[6];
  std::memcpy(back, npy.data() + 10 + hlen, sizeof back);
  EXPECT_EQ(back[3], 4.5f);
  ASSERT_TRUE(ExportTsv(tmp / "x.tsv", {"a", "b"}, t, 3).ok());
  EXPECT_EQ(test::ReadFile(tmp / "x.tsv"), "a\t1 2 3\nb\t4.5 5 6\n");
  // Names with tabs and line breaks stay on their row; values read back as the same floats.
  FloatTable u = {0.1f, 1.0f / 3.0f, 2.7182817f, -1e-7f};
  ASSERT_TRUE(ExportTsv(tmp / "y.tsv", {"model:15\tpro", "a\nb\\c"}, u, 2).ok());
  const std::string y = test::ReadFile(tmp / "y.tsv");
  EXPECT_EQ(y.substr(0, y.find('\t', 12)), "model:15\\tpro");
  ASSERT_EQ(std::count(y.begin(), y.end(), '\n'), 2) << y;
  EXPECT_NE(y.find("\na\\nb\\\\c\t"), std::string::npos) << y;
  std::istringstream in(y);
  std::string line;
  size_t row = 0;
  while (std::getline(in, line)) {
    std::istringstream vals(line.substr(line.find('\t') + 1));
    for (size_t j = 0; j < 2; ++j) {
      std::string v;
      vals >> v;
      EXPECT_EQ(std::strtof(v.c_str(), nullptr), u[row * 2 + j]) << v;
    }
    ++row;
  }
}

TEST(EmbedDataset, ErrorsNameFileLineAndField) {
  test::TempDir tmp;
  test::WriteFile(tmp / "train.txt", "a\tr\tb\r\n\nb\tr\tc\nc\tr\n");
  auto ds = LoadDatasetDir(tmp.path());
  ASSERT_FALSE(ds.ok());
  EXPECT_NE(ds.status().message().find("train.txt:4"), std::string::npos) << ds.status().ToString();
  test::WriteFile(tmp / "train.txt", "a\tr\tb\r\nb\t\tc\n");
  ds = LoadDatasetDir(tmp.path());
  ASSERT_FALSE(ds.ok());
  EXPECT_NE(ds.status().message().find("train.txt:2: field 'relation'"), std::string::npos) << ds.status().ToString();
  test::WriteFile(tmp / "train.txt", "a\tr\tb\r\nb\tr\tc\n");
  test::WriteFile(tmp / "test.txt", "c\tr\tz\n");
  ds = LoadDatasetDir(tmp.path());
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->train.size(), 2u);
  EXPECT_EQ(ds->num_entities(), 4u);  // z: unseen in training, kept
  EXPECT_EQ(ds->CountUnseenInTrain(), 1u);
  EXPECT_FALSE(LoadDatasetDir(tmp / "nowhere").ok());
  // Latin-1 is refused where it stands; stray spaces around a name make no second entity.
  test::WriteFile(tmp / "train.txt", "a\tr\tb\ncaf\xe9\tr\tb\n");
  ds = LoadDatasetDir(tmp.path());
  ASSERT_FALSE(ds.ok());
  EXPECT_NE(ds.status().message().find("train.txt:2: field 'head' is not UTF-8"), std::string::npos)
      << ds.status().ToString();
  test::WriteFile(tmp / "train.txt", std::string("a\tr\tb\nx\0y\tr\tb\n", 14));
  ds = LoadDatasetDir(tmp.path());
  ASSERT_FALSE(ds.ok());
  EXPECT_NE(ds.status().message().find("train.txt:2: field 'head' holds a NUL byte"), std::string::npos)
      << ds.status().ToString();
  test::WriteFile(tmp / "train.txt", "a\tr\tb\n a \t r\tb \n");
  ds = LoadDatasetDir(tmp.path());
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->num_relations(), 1u);
  EXPECT_EQ(ds->train[0].h, ds->train[1].h);
  EXPECT_EQ(ds->train[0].t, ds->train[1].t);
}

TEST(EmbedPredict, TopKSkipsExcludedAndOrdersByScore) {
  std::vector<float> s = {0.1f, 0.9f, 0.5f, 0.9f, NAN};
  const uint32_t ex[] = {1};
  auto top = TopK(s, 3, ex, ex + 1);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].id, 3u);
  EXPECT_EQ(top[1].id, 2u);
  EXPECT_EQ(top[2].id, 0u);
}

// The tail index over a subset of entities (as recommendation indexes the products) finds
// nearly the same best tails as scoring every row, in each model's geometry, with the exact
// scores of ScoreTails.
TEST_P(EachModel, TailIndexAgreesWithExactScan) {
  ModelConfig c;
  c.name = GetParam();
  c.dim = 16;
  c.gamma = 6;
  auto model = MakeModel(c);
  ASSERT_TRUE(model.ok());
  const Model& m = **model;
  Params p;
  Rng rng(12);
  m.Allocate(p, 3000, 2, rng);
  const uint32_t r = 1;
  std::vector<float> scratch;
  m.PrepareRelation(p, r, &scratch);
  std::vector<uint32_t> indexed;  // every third entity after the first 300 (the "users")
  for (uint32_t e = 300; e < 3000; e += 3) indexed.push_back(e);
  auto index = TailIndex::Build(m, p, r, scratch, indexed);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  EXPECT_EQ((*index)->size(), indexed.size());
  std::vector<float> all(p.num_entities);
  double hits = 0, total = 0;
  const size_t k = 20;
  for (uint32_t h = 0; h < 300; h += 10) {
    m.ScoreTails(p, h, r, scratch, all.data());
    std::vector<Scored> exact;
    for (uint32_t e : indexed) exact.push_back({e, all[e]});
    std::sort(exact.begin(), exact.end(), [](const Scored& a, const Scored& b) { return a.score > b.score; });
    exact.resize(k);
    auto approx = (*index)->Top(p, h, k);
    ASSERT_EQ(approx.size(), k);
    for (size_t j = 0; j < k; ++j) {
      EXPECT_NEAR(approx[j].score, all[approx[j].id], 1e-3 * (1 + std::abs(all[approx[j].id])));
      if (j > 0) {
        EXPECT_GE(approx[j - 1].score, approx[j].score);
      }
      EXPECT_EQ(approx[j].id % 3, 0u);  // only indexed entities
      for (const auto& x : exact) hits += x.id == approx[j].id;
    }
    total += k;
  }
  EXPECT_GE(hits / total, 0.9) << GetParam() << ": recall@" << k << " of the tail index";
  EXPECT_FALSE(TailIndex::Build(m, p, r, scratch, {}).ok());
  EXPECT_FALSE(TailIndex::Build(m, p, r, scratch, {5000}).ok());
}

TEST(EmbedPredict, HnswIndexAgreesWithExactScan) {
  test::TempDir tmp;
  ModelConfig c;
  c.name = "distmult";
  c.dim = 16;
  auto model = MakeModel(c);
  Params p;
  Rng rng(4);
  (*model)->Allocate(p, 2000, 1, rng);
  auto index = NeighborIndex::Build(p);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  ASSERT_TRUE((*index)->Save(tmp / "x.hnsw").ok());
  auto loaded = NeighborIndex::Load(tmp / "x.hnsw", p);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  double hits = 0, total = 0;
  for (uint32_t e = 0; e < 2000; e += 40) {
    auto exact = NearestEntities(p, e, 10);
    auto approx = (*loaded)->Nearest(p, e, 10);
    ASSERT_EQ(approx.size(), 10u);
    EXPECT_NEAR(approx[0].score, exact[0].score, 1e-4);
    for (const auto& a : approx) {
      EXPECT_NE(a.id, e);
      for (const auto& x : exact) hits += x.id == a.id;
    }
    total += 10;
  }
  EXPECT_GE(hits / total, 0.9);  // recall@10 of the approximate index
  Params other;
  (*model)->Allocate(other, 10, 1, rng);
  EXPECT_FALSE(NeighborIndex::Load(tmp / "x.hnsw", other).ok());
}

}  // namespace
}  // namespace kgp::embed
