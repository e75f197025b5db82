// Offline recommendation harness: metrics on hand-computed examples, top-k ties, loaders and
// their errors, splits, the full-ranking loop, the report table, the CLI end to end.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include <sys/resource.h>

#include <fmt/format.h>

#include "common/log.h"
#include "common/progress.h"
#include "recommend/eval/driver.h"
#include "recommend/eval/ranking.h"
#include "recommend/eval/split.h"
#include "recommend/metrics.h"
#include "test_util.h"

namespace kgp::rec {
namespace {

using test::TempDir;
using test::WriteFile;

class RecEval : public ::testing::Test {
 protected:
  void SetUp() override {
    Progress::SetEnabled(false);
    SetLogLevel(LogLevel::kWarn);
  }
};

// Scores fixed per item: score(i) = table[i] for every user.
class FixedScores : public Recommender {
 public:
  explicit FixedScores(std::vector<float> s) : s_(std::move(s)) {}
  std::string_view name() const override { return "fixed"; }
  Status Fit(const InteractionMatrix&, const FitOptions&) override { return Status::Ok(); }
  void Score(uint32_t, std::span<const uint32_t>, std::span<float> out) const override {
    std::copy(s_.begin(), s_.end(), out.begin());
  }

 private:
  std::vector<float> s_;
};

TEST_F(RecEval, NdcgStandardAndKgatDefinitions) {
  // Ranked [5, 1, 7, 3]; relevant {1, 9, 10, 11}; k = 4. One hit, at rank 2.
  std::vector<uint32_t> ranked{5, 1, 7, 3};
  std::vector<uint32_t> rel{1, 9, 10, 11};
  const double dcg = 1 / std::log2(3.0);
  // Standard: ideal DCG over min(4, |relevant|) = 4 positions.
  const double idcg = 1 + 1 / std::log2(3.0) + 1 / std::log2(4.0) + 1 / std::log2(5.0);
  std::set<uint32_t> set(rel.begin(), rel.end());
  auto m = ScoreTopK(std::span<const uint32_t>(ranked), set, 4);
  EXPECT_NEAR(m.ndcg, dcg / idcg, 1e-12);
  EXPECT_NEAR(m.recall, 0.25, 1e-12);
  EXPECT_NEAR(m.precision, 0.25, 1e-12);
  // KGAT: ideal from the hits inside the list (one) → DCG / 1.
  EXPECT_NEAR(KgatNdcg(ranked, rel, 4), dcg, 1e-12);
  // KGAT at k = 1 with the list of 4: no hit in the first position, ideal 1 → 0.
  EXPECT_EQ(KgatNdcg(ranked, rel, 1), 0.0);
  // Two hits in the list of 4 (1 and 3); k = 2: DCG@2 = 1/log2(3), ideal@2 over 2 hits.
  std::vector<uint32_t> rel2{1, 3, 9};
  EXPECT_NEAR(KgatNdcg(ranked, rel2, 2), dcg / (1 + 1 / std::log2(3.0)), 1e-12);
}

TEST_F(RecEval, TopKBreaksTiesByLowerIdAndSkipsExcluded) {
  std::vector<float> s{1, 3, 3, 2, NAN, 3};
  std::vector<uint8_t> ex{0, 1, 0, 0, 0, 0};
  std::vector<uint32_t> out(3);
  ASSERT_EQ(TopK(s, ex, out), 3u);
  EXPECT_EQ(out, (std::vector<uint32_t>{2, 5, 3}));
  std::vector<uint32_t> all(10);
  EXPECT_EQ(TopK(s, ex, all), 5u);  // fewer candidates than asked
  EXPECT_EQ(all[4], 4u);            // NaN last
}

TEST_F(RecEval, FullRankingExcludesTrainingItemsAndAveragesOverTestUsers) {
  // 3 users, 5 items. Fixed scores rank items 0 > 1 > 2 > 3 > 4.
  auto train = InteractionMatrix::FromPairs({{0, 0}, {1, 1}, {2, 0}}, 3, 5);
  std::vector<std::vector<uint32_t>> test{{1, 4}, {}, {3}};
  FixedScores model({5, 4, 3, 2, 1});
  RankingOptions o;
  o.ks = {2};
  o.threads = 2;
  auto r = EvaluateFullRanking(model, train, test, o);
  EXPECT_EQ(r.users, 2u);  // user 1 has no test items
  // User 0: item 0 excluded → top-2 [1, 2]: 1 hit of 2 → recall .5, precision .5, ndcg 1/(1+1/log2 3).
  // User 2: item 0 excluded → [1, 2]: no hit.
  EXPECT_NEAR(r.metrics.at("recall@2"), 0.25, 1e-12);
  EXPECT_NEAR(r.metrics.at("precision@2"), 0.25, 1e-12);
  EXPECT_NEAR(r.metrics.at("ndcg@2"), 0.5 / (1 + 1 / std::log2(3.0)), 1e-12);
  EXPECT_NEAR(r.metrics.at("hit@2"), 0.5, 1e-12);
}

// A k far beyond the catalogue ranks the catalogue: the per-thread list is capped at the item
// count (k = 2^30 used to allocate 4 GB per thread, here past a 2 GB address-space limit).
TEST_F(RecEval, HugeKRanksNoMoreThanTheCatalogue) {
  KGP_SKIP_UNDER_ASAN();
  auto train = InteractionMatrix::FromPairs({{0, 0}, {1, 1}, {2, 0}}, 3, 5);
  std::vector<std::vector<uint32_t>> test{{1, 4}, {}, {3}};
  FixedScores model({5, 4, 3, 2, 1});
  RankingOptions o;
  o.ks = {1 << 30};
  o.threads = 1;
  o.kgat_ndcg = false;
  const auto rank_limited = [&] {
    const rlimit limit{2ull << 30, 2ull << 30};
    setrlimit(RLIMIT_AS, &limit);
    auto r = EvaluateFullRanking(model, train, test, o);
    // Every test item is ranked somewhere in the catalogue.
    std::exit(r.users == 2 && r.metrics.at(fmt::format("recall@{}", 1 << 30)) == 1.0 ? 0 : 1);
  };
  EXPECT_EXIT(rank_limited(), ::testing::ExitedWithCode(0), "");
}

// --k is a cut-off of 1 or more (0 and negative values used to fall back to the format's own).
TEST_F(RecEval, CliRefusesACutOffBelowOne) {
  TempDir dir;
  WriteFile(dir / "train.txt", "0 1 2 3\n1 2 3 4\n2 0 1\n3\n");
  WriteFile(dir / "test.txt", "0 4\n1 0\n2 3\n");
  for (const char* k : {"0", "-3", "100001"}) {
    auto r = test::RunCli(fmt::format("-q eval rec --data {} --format kgat --models mostpop --k {}", dir.path(), k));
    EXPECT_NE(r.exit_code, 0) << k << ": " << r.out;
    EXPECT_NE(r.err.find("--k"), std::string::npos) << k << ": " << r.err;
  }
  auto ok = test::RunCli(fmt::format("-q eval rec --data {} --format kgat --models mostpop --k 3", dir.path()));
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("recall@3"), std::string::npos) << ok.out;
}

// An empty test file leaves nothing to measure: an error, not a table of empty rows and rc 0.
TEST_F(RecEval, CliRefusesAnEmptyTestFile) {
  TempDir dir;
  WriteFile(dir / "train.txt", "0 1 2\n1 2 3\n");
  WriteFile(dir / "test.txt", "");
  auto r = test::RunCli(fmt::format("-q eval rec --data {} --format kgat", dir.path()));
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.err.find("no user has a held-out item"), std::string::npos) << r.err;
}

// A KGCN folder too small for its test split to hold both a positive and a negative pair: AUC
// is undefined, so an error, not a table of nan.
TEST_F(RecEval, CliRefusesAKgcnSplitWithoutBothLabels) {
  TempDir dir;
  WriteFile(dir / "user_artists.dat", "userID\tartistID\tweight\n1\t1\t10\n");
  WriteFile(dir / "item_index2entity_id.txt", "1\t1\n");
  WriteFile(dir / "kg.txt", "");
  auto r = test::RunCli(fmt::format("-q eval rec --data {} --format kgcn", dir.path()));
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find("nan"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("AUC needs both positives and negatives"), std::string::npos) << r.err;
}

TEST_F(RecEval, KgatReaderToleratesCrlfAndNamesBadLines) {
  TempDir dir;
  WriteFile(dir / "train.txt", "0 1 2 2 3\r\n1 4\r\n\r\n2\r\n3 0 5 \r\n");
  auto rows = ReadUserItemLists(dir / "train.txt");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ((*rows)[0], (std::vector<uint32_t>{1, 2, 3}));  // repeat dropped, order kept
  EXPECT_TRUE((*rows)[2].empty());
  EXPECT_EQ((*rows)[3], (std::vector<uint32_t>{0, 5}));

  WriteFile(dir / "bad.txt", "0 1 2\n1 3 x7 4\n");
  auto bad = ReadUserItemLists(dir / "bad.txt");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.txt:2: field 3 ('x7')"), std::string::npos) << bad.status().message();

  WriteFile(dir / "dup.txt", "0 1\n1 2\n0 3\n");
  auto dup = ReadUserItemLists(dir / "dup.txt");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("dup.txt:3: user 0 already listed at line 1"), std::string::npos);

  WriteFile(dir / "big.txt", "0 1\n1 900000000\n");  // not a remapped id: refused, not allocated
  auto big = ReadUserItemLists(dir / "big.txt");
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("big.txt:2: field 2"), std::string::npos) << big.status().message();

  WriteFile(dir / "neg.txt", "0 -1\n");
  EXPECT_FALSE(ReadUserItemLists(dir / "neg.txt").ok());
  EXPECT_FALSE(ReadUserItemLists(dir / "missing.txt").ok());
}

TEST_F(RecEval, KgatSplitAndValidationNeverReadsTest) {
  TempDir dir;
  WriteFile(dir / "train.txt", "0 0 1 2 3 4\n1 1 2\n2 3\n");
  WriteFile(dir / "test.txt", "0 5\n1\n2 6 0\n");
  auto s = LoadKgatSplit(dir.path(), false, 1);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->num_items(), 7u);  // items counted over both files, as KGAT does
  EXPECT_EQ(s->test_users(), 2u);
  EXPECT_EQ(s->test_pairs(), 3u);
  // Validation: a broken test.txt must not matter, since it is not read.
  WriteFile(dir / "test.txt", "garbage\n");
  auto v = LoadKgatSplit(dir.path(), true, 1);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->num_items(), 5u);
  // User 0 (5 items): 1 held out; user 1 (2 items): 1; user 2 (1 item): none.
  EXPECT_EQ(v->test[0].size(), 1u);
  EXPECT_EQ(v->test[1].size(), 1u);
  EXPECT_TRUE(v->test[2].empty());
  for (uint32_t u = 0; u < 3; ++u) {
    for (uint32_t i : v->test[u]) {
      auto row = v->train.Items(u);
      EXPECT_EQ(std::count(row.begin(), row.end(), i), 0);
    }
  }
  EXPECT_FALSE(LoadKgatSplit(dir.path(), false, 1).ok());
}

TEST_F(RecEval, MovieLensReaderAndSplits) {
  TempDir dir;
  std::string data;
  // 4 users × 10 ratings, time increasing with the item id.
  for (int u = 1; u <= 4; ++u) {
    for (int i = 1; i <= 10; ++i) data += fmt::format("{}\t{}\t{}\t{}\r\n", u, 100 + i, 1 + (i % 5), 1000 + i * 10 + u);
  }
  WriteFile(dir / "u.data", data);
  auto r = ReadMovieLens(dir / "u.data");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows.size(), 40u);
  EXPECT_EQ(r->num_users, 4u);
  EXPECT_EQ(r->num_items, 10u);

  auto rnd = SplitRandom(*r, 0.2, 7);
  EXPECT_EQ(rnd.test_pairs(), 8u);
  EXPECT_EQ(rnd.train.nnz(), 32u);
  auto tmp = SplitTemporalPerUser(*r, 0.2);
  for (uint32_t u = 0; u < 4; ++u) {
    ASSERT_EQ(tmp.test[u].size(), 2u);
    // The two latest ratings are items 109 and 110 → dense ids 8 and 9.
    EXPECT_EQ(std::set<uint32_t>(tmp.test[u].begin(), tmp.test[u].end()), (std::set<uint32_t>{8, 9}));
  }

  WriteFile(dir / "bad.data", "1\t2\t3\t4\n1\t2\tfive\t4\n");
  auto bad = ReadMovieLens(dir / "bad.data");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.data:2: field 3 (rating) 'five'"), std::string::npos)
      << bad.status().message();
  WriteFile(dir / "short.data", "1\t2\t3\n");
  auto short_line = ReadMovieLens(dir / "short.data");
  ASSERT_FALSE(short_line.ok());
  EXPECT_NE(short_line.status().message().find("short.data:1: expected 4 fields"), std::string::npos);
}

TEST_F(RecEval, ReportTableGroupsByDatasetAndProtocol) {
  EvalReport rep;
  rep.rows.push_back({"ml", "random", "MostPop", "", {{"ndcg@10", 0.1}}, 0.5, 0.25, 10});
  rep.rows.push_back({"ml", "temporal", "MostPop", "", {{"ndcg@10", 0.05}}, 0.5, 0.25, 10});
  rep.rows.push_back({"ml", "random", "EASE", "lambda=5", {{"ndcg@10", 0.3}}, 1.5, 0.25, 10});
  rep.published["ml"]["X ndcg@10"] = 0.2;
  std::string t = rep.Table();
  auto random_at = t.find("ml (random)"), temporal_at = t.find("ml (temporal)");
  ASSERT_NE(random_at, std::string::npos);
  ASSERT_NE(temporal_at, std::string::npos);
  auto ease_at = t.find("EASE (lambda=5)");
  EXPECT_TRUE(ease_at > random_at && ease_at < temporal_at) << t;
  EXPECT_NE(t.find("0.3000"), std::string::npos);
  auto j = rep.ToJson();
  EXPECT_EQ(j["rows"].size(), 3u);
}

TEST_F(RecEval, CliRunsKgatFormatAndWritesJson) {
  TempDir dir;
  // Items 0-1 and 2-3 co-occur (users 40+); users 0..39 have one of 0 or 2 and must find
  // its partner; items 4-6 are popular decoys.
  std::string train, test;
  for (int u = 0; u < 40; ++u) {
    bool a = u % 2 == 0;
    train += fmt::format("{} {}\n", u, a ? 0 : 2);
    test += fmt::format("{} {}\n", u, a ? 1 : 3);
  }
  for (int u = 40; u < 60; ++u) train += fmt::format("{} {}\n", u, u % 2 ? "0 1" : "2 3");
  for (int u = 60; u < 100; ++u) train += fmt::format("{} 4 5 6\n", u);
  WriteFile(dir / "train.txt", train);
  WriteFile(dir / "test.txt", test);
  auto r = test::RunCli(fmt::format("-q eval rec --data {} --format kgat --models mostpop,itemknn:k=5 --json-out {} --k 2",
                                    dir.path(), dir / "out.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ItemKNN (k=5)"), std::string::npos) << r.out;
  auto j = nlohmann::json::parse(test::ReadFile(dir / "out.json"));
  ASSERT_EQ(j["rows"].size(), 2u);
  EXPECT_EQ(j["rows"][1]["metrics"]["recall@2"].get<double>(), 1.0);  // the partner is always top
  auto bad = test::RunCli(fmt::format("-q eval rec --data {} --format kgat --models itemknn:kk=5", dir.path()));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("unknown parameter(s) kk"), std::string::npos) << bad.err;
  auto nofmt = test::RunCli(fmt::format("-q eval rec --data {} --format nope", dir.path()));
  EXPECT_NE(nofmt.err.find("unknown format 'nope'"), std::string::npos) << nofmt.err;
}

// Small folders of each format for the CLI checks below (deterministic; user u's items are near
// u, so every model has something to find): sequences, MovieLens u.data, KGCN, KGAT.
void WriteSequencesData(const TempDir& dir) {
  std::string seq;
  for (int u = 0; u < 30; ++u) {
    seq += std::to_string(u);
    for (int k = 0; k < 6; ++k) seq += fmt::format(" {}", 1 + (u + 3 * k) % 40);
    seq += "\n";
  }
  WriteFile(dir / "Tiny.txt", seq);
}

void WriteMovieLensData(const TempDir& dir) {
  std::string data;
  for (int u = 1; u <= 30; ++u)
    for (int k = 0; k < 8; ++k) data += fmt::format("{}\t{}\t{}\t{}\n", u, 1 + (u + 2 * k) % 40, 1 + k % 5, 880000000 + 1000 * k + u);
  WriteFile(dir / "u.data", data);
}

void WriteKgcnData(const TempDir& dir) {
  std::string map, kg, ua = "userID\tartistID\tweight\n";
  for (int i = 0; i < 40; ++i) {
    map += fmt::format("{}\t{}\n", 100 + i, i);
    kg += fmt::format("{}\tgenre\tg{}\n", i, i % 5);
  }
  for (int u = 1; u <= 30; ++u)
    for (int k = 0; k < 8; ++k) ua += fmt::format("{}\t{}\t{}\n", u, 100 + (u + 5 * k) % 40, 10 + k);
  WriteFile(dir / "item_index2entity_id.txt", map);
  WriteFile(dir / "kg.txt", kg);
  WriteFile(dir / "user_artists.dat", ua);
}

void WriteKgatData(const TempDir& dir) {
  std::string train, test;
  for (int u = 0; u < 30; ++u) {
    train += fmt::format("{} {} {} {}\n", u, u % 20, (u + 1) % 20, (u + 2) % 20);
    test += fmt::format("{} {}\n", u, (u + 3) % 20);
  }
  WriteFile(dir / "train.txt", train);
  WriteFile(dir / "test.txt", test);
}

// KGCN's F1 and accuracy threshold a CTR probability at 0.5 (logit 0). Popularity counts and
// cosines are never negative, so every pair was "positive": MostPop and ItemKNN both showed
// accuracy 0.4998 and F1 0.6665 on Last.FM, next to KGCN's published F1 0.72. Only models whose
// scores are logits (KgMf) get F1 and accuracy now, in the table and in the JSON; AUC is for all.
TEST_F(RecEval, CliKgcnF1AndAccuracyOnlyForModelsThatScoreLogits) {
  TempDir dir;
  WriteKgcnData(dir);
  auto r = test::RunCli(fmt::format("-q eval rec --data {} --format kgcn --models mostpop,itemknn,kgmf:epochs=2 --threads 1 "
                                    "--json-out {}",
                                    dir.path(), dir / "out.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(test::ReadFile(dir / "out.json"));
  ASSERT_EQ(j["rows"].size(), 4u) << j.dump();  // MostPop, ItemKNN, KgMf with and without KG
  for (const auto& row : j["rows"]) {
    const bool logits = row["model"].get<std::string>().starts_with("KgMf");
    EXPECT_TRUE(row["metrics"].contains("auc")) << row.dump();
    EXPECT_EQ(row["metrics"].contains("f1"), logits) << row.dump();
    EXPECT_EQ(row["metrics"].contains("accuracy"), logits) << row.dump();
  }
  const size_t pop = r.out.find("\nMostPop ");
  ASSERT_NE(pop, std::string::npos) << r.out;
  const std::string line = r.out.substr(pop + 1, r.out.find('\n', pop + 1) - pop - 1);
  EXPECT_NE(line.find(" - "), std::string::npos) << "MostPop's F1 and accuracy are '-': " << line;
}

// --threads was unbounded (-4 was accepted; 20000 started 20000 threads): 1 to 1024, as the other
// commands' --threads.
TEST_F(RecEval, CliRefusesThreadsOutOfRange) {
  TempDir dir;
  WriteKgatData(dir);
  for (const char* t : {"-4", "0", "1025", "20000"}) {
    auto r = test::RunCli(fmt::format("-q eval rec --data {} --format kgat --models mostpop --threads {}", dir.path(), t));
    EXPECT_NE(r.exit_code, 0) << t << ": " << r.out;
    EXPECT_NE(r.err.find("--threads"), std::string::npos) << t << ": " << r.err;
    EXPECT_EQ(r.out.find("MostPop"), std::string::npos) << t << ": " << r.out;
  }
  auto ok = test::RunCli(fmt::format("-q eval rec --data {} --format kgat --models mostpop --threads 3", dir.path()));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

// An option the format does not take was ignored without a word (--format sequences --k 20
// --split temporal printed an HR@10 table; --format movielens --refit did nothing): refused,
// naming the option and the format. --refit refits for the test item, so not with --validation.
TEST_F(RecEval, CliRefusesOptionsTheFormatDoesNotTake) {
  TempDir seq, ml, kgcn, kgat;
  WriteSequencesData(seq);
  WriteMovieLensData(ml);
  WriteKgcnData(kgcn);
  WriteKgatData(kgat);
  struct Case {
    std::string args, option;
  } cases[] = {
      {"--format sequences --data " + seq.path() + " --k 20", "--k"},
      {"--format sequences --data " + seq.path() + " --split temporal", "--split"},
      {"--format sequences --data " + seq.path() + " --refit --validation", "--refit"},
      {"--format kgcn --data " + kgcn.path() + " --k 5", "--k"},
      {"--format kgcn --data " + kgcn.path() + " --split random", "--split"},
      {"--format kgcn --data " + kgcn.path() + " --refit", "--refit"},
      {"--format movielens --data " + ml.path() + " --refit", "--refit"},
      {"--format kgat --data " + kgat.path() + " --refit", "--refit"},
      {"--format kgat --data " + kgat.path() + " --split random", "--split"},
      {"--format movielens --data " + ml.path() + " --split ' , '", "--split: no split named"},  // was: both
  };
  for (const auto& c : cases) {
    auto r = test::RunCli("-q eval rec --models mostpop --threads 1 " + c.args);
    EXPECT_NE(r.exit_code, 0) << c.args << ": " << r.out;
    EXPECT_NE(r.err.find(c.option), std::string::npos) << c.args << ": " << r.err;
    EXPECT_EQ(r.out.find("MostPop"), std::string::npos) << c.args << ": " << r.out;
  }
  // What each format does take still runs.
  for (const std::string& args : {"--format sequences --data " + seq.path() + " --refit",
                                  "--format movielens --data " + ml.path() + " --k 5 --split temporal",
                                  "--format kgat --data " + kgat.path() + " --k 5"}) {
    auto r = test::RunCli("-q eval rec --models mostpop --threads 1 " + args);
    EXPECT_EQ(r.exit_code, 0) << args << ": " << r.err;
    EXPECT_NE(r.out.find("MostPop"), std::string::npos) << args << ": " << r.out;
  }
}

// Mistakes in the options used to surface after the work they should have prevented: a bad
// movielens split name after the random split was evaluated, an unknown model after the models
// before it were fitted, an unwritable --json-out after the whole evaluation (and no table).
// Now each is an error before any data is read or model fitted.
TEST_F(RecEval, CliChecksItsOptionsBeforeTheWork) {
  TempDir seq, ml, out;
  WriteSequencesData(seq);
  WriteMovieLensData(ml);
  // Without -q the fitted models are logged by name: none may be.
  auto split = test::RunCli("eval rec --data " + ml.path() + " --format movielens --models mostpop --split random,bogus");
  EXPECT_NE(split.exit_code, 0);
  EXPECT_NE(split.err.find("--split bogus"), std::string::npos) << split.err;
  EXPECT_EQ(split.err.find("MostPop"), std::string::npos) << split.err;
  auto models = test::RunCli("eval rec --data " + seq.path() + " --format sequences --models mostpop,itemknn,nosuch");
  EXPECT_NE(models.exit_code, 0);
  EXPECT_NE(models.err.find("unknown model 'nosuch'"), std::string::npos) << models.err;
  EXPECT_EQ(models.err.find("MostPop"), std::string::npos) << models.err;
  // An unknown model is named before a missing dataset is even noticed, in every format.
  for (const char* format : {"kgat", "movielens", "sequences", "kgcn"}) {
    auto r = test::RunCli(fmt::format("-q eval rec --data {} --format {} --models nosuch", out / "nowhere", format));
    EXPECT_NE(r.exit_code, 0) << format;
    EXPECT_NE(r.err.find("unknown model 'nosuch'"), std::string::npos) << format << ": " << r.err;
  }
  // A folder that cannot be made (under a file), a folder at the path.
  WriteFile(out / "file", "");
  for (const std::string& file : {out / "file/r.json", out.path()}) {
    auto r = test::RunCli("eval rec --data " + seq.path() + " --format sequences --models mostpop --json-out " + file);
    EXPECT_NE(r.exit_code, 0) << file;
    EXPECT_NE(r.err.find("--json-out " + file), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("MostPop"), std::string::npos) << r.err;
  }
  // A missing folder is made, as for the other commands' output files.
  auto made = test::RunCli("-q eval rec --data " + seq.path() + " --format sequences --models mostpop --json-out " +
                           out / "new/r.json");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_EQ(nlohmann::json::parse(test::ReadFile(out / "new/r.json"))["rows"].size(), 1u);
}

}  // namespace
}  // namespace kgp::rec
