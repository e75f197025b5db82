// Training on real data (UMLS, from ../shared/data): every model learns far above random in a
// few seconds; one thread is deterministic; resuming continues; the CLI round trip works.
#include <gtest/gtest.h>
#include <algorithm>
#include <sstream>
#include <limits>
#include <filesystem>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "embed/kge.h"
#include "embed/presets.h"
#include "test_util.h"

namespace kgp::embed {
namespace {

struct Case {
  const char* model;
  int dim, epochs, negatives;
  double min_mrr;  // filtered test MRR floor; random ranking on UMLS gives about 0.04
  Partition partition = Partition::kAuto;  // auto: hogwild on a graph this small
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.model; }

class UmlsTraining : public ::testing::TestWithParam<Case> {};

TEST_P(UmlsTraining, LearnsWellAboveRandom) {
  KGP_REQUIRE_DATA(dir, "umls");
  auto ds = LoadDatasetDir(dir);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  const Case& c = GetParam();
  auto preset = GetPreset("small", c.model, ds->num_entities());
  ASSERT_TRUE(preset.ok());
  preset->model.dim = c.dim;
  preset->train.epochs = c.epochs;
  preset->train.negatives = c.negatives;
  preset->train.threads = 2;
  preset->train.partition = c.partition;
  TrainReport rep;
  auto ck = TrainModel(*ds, preset->model, preset->train, nullptr, &rep);
  ASSERT_TRUE(ck.ok()) << ck.status().ToString();
  auto model = ModelOf(*ck);
  ASSERT_TRUE(model.ok());
  KnownTriples known({&ds->train, &ds->valid, &ds->test});
  auto r = Evaluate(**model, ck->params, ds->test, known, EvalOptions{});
  RecordProperty("mrr", std::to_string(r.filtered.mrr));
  std::printf("%s: UMLS filtered MRR %.4f Hits@10 %.4f after %d epochs in %.1fs\n", c.model, r.filtered.mrr,
              r.filtered.hits10, rep.epochs_run, rep.seconds);
  EXPECT_GE(r.filtered.mrr, c.min_mrr);
  EXPECT_GT(r.filtered.hits10, r.filtered.hits1);
}

INSTANTIATE_TEST_SUITE_P(Models, UmlsTraining,
                         ::testing::Values(Case{"transe", 64, 30, 8, 0.5}, Case{"distmult", 64, 30, 8, 0.55},
                                           Case{"complex", 64, 30, 8, 0.75}, Case{"rotate", 32, 30, 8, 0.6},
                                           Case{"transr", 32, 15, 4, 0.55}),
                         [](const auto& p) { return std::string(p.param.model); });
// The same floors with partitioned epochs (embed/partition.h): each thread on its own parts of
// the entity table in turn, negatives from those parts, relation rows merged from copies.
INSTANTIATE_TEST_SUITE_P(Partitioned, UmlsTraining,
                         ::testing::Values(Case{"transe", 64, 30, 8, 0.5, Partition::kOn},
                                           Case{"distmult", 64, 30, 8, 0.55, Partition::kOn},
                                           Case{"complex", 64, 30, 8, 0.75, Partition::kOn},
                                           Case{"rotate", 32, 30, 8, 0.6, Partition::kOn},
                                           Case{"transr", 32, 15, 4, 0.55, Partition::kOn}),
                         [](const auto& p) { return std::string(p.param.model); });

Dataset Tiny() {
  Dataset ds;
  const char* rows[][3] = {{"a", "likes", "b"}, {"b", "likes", "c"}, {"c", "likes", "a"}, {"a", "owns", "d"},
                           {"d", "made_by", "e"}, {"b", "owns", "e"}, {"c", "owns", "d"}, {"e", "likes", "a"}};
  for (auto& r : rows)
    ds.train.push_back({ds.entities.Intern(r[0]), ds.relations.Intern(r[1]), ds.entities.Intern(r[2])});
  return ds;
}

TEST(EmbedTrain, OneThreadIsDeterministic) {
  Dataset ds = Tiny();
  for (const auto& name : ModelNames()) {
    auto preset = GetPreset("small", name, ds.num_entities());
    ASSERT_TRUE(preset.ok());
    preset->model.dim = 8;
    preset->train.epochs = 5;
    preset->train.threads = 1;
    auto a = TrainModel(ds, preset->model, preset->train, nullptr, nullptr);
    auto b = TrainModel(ds, preset->model, preset->train, nullptr, nullptr);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_TRUE(a->params.entity == b->params.entity) << name;
    EXPECT_TRUE(a->params.relation == b->params.relation) << name;
    preset->train.seed = 2;
    auto c = TrainModel(ds, preset->model, preset->train, nullptr, nullptr);
    EXPECT_FALSE(a->params.entity == c->params.entity) << name << ": the seed must matter";
  }
}

// TransE dim 8 with a margin no triple can meet: each trained positive contributes loss =
// margin - s+ + s- (about the margin, 1000), so the mean loss per positive shows whether every
// positive of the epoch was trained.
TrainOptions UnmetMarginOptions(int threads, int negatives, int batch) {
  TrainOptions o;
  o.epochs = 1;
  o.threads = threads;
  o.loss = Loss::kMargin;
  o.margin = 1000;
  o.lr = 1e-6f;
  o.update.kind = OptimizerKind::kSgd;
  o.negatives = negatives;
  o.batch = batch;
  return o;
}

ModelConfig Transe8() {
  ModelConfig mc;
  mc.name = "transe";
  mc.dim = 8;
  return mc;
}

// Every positive of an epoch is trained, whatever the batch size (about half the margin if
// every other batch were skipped).
TEST(EmbedTrain, EveryPositiveIsTrainedAtEveryBatchSize) {
  Dataset ds;
  for (int i = 0; i < 200; ++i)
    ds.train.push_back({ds.entities.Intern("a" + std::to_string(i)), ds.relations.Intern("r"),
                        ds.entities.Intern("b" + std::to_string(i))});
  for (int batch : {1, 2, 7}) {
    for (int negatives : {1, 3}) {
      TrainReport rep;
      ASSERT_TRUE(TrainModel(ds, Transe8(), UnmetMarginOptions(1, negatives, batch), nullptr, &rep).ok());
      EXPECT_GT(rep.final_loss, 900) << "batch " << batch << ", negatives " << negatives;
      EXPECT_EQ(rep.positives, 200u);
    }
  }
}

// The same in partitioned epochs (embed/partition.h), counted exactly (TrainReport::positives)
// and by the loss: a bucket left out (1/16 of the triples with 2 threads) would pull the mean
// per positive below 0.98 of the margin, a chunk trained twice (threads helping with each
// other's lists, in chunks of up to 1,024 triples) push it above 1.02. Two graphs: even, and one where a
// hub is the head of two thirds of the triples, so that the lists of the thread owning the
// hub's part run to several chunks and the others help with them.
TEST(EmbedTrain, EveryPositiveIsTrainedOnceInAPartitionedEpoch) {
  for (bool hub : {false, true}) {
    Dataset ds;
    const int n = 20000;
    for (int i = 0; i < n; ++i)
      ds.train.push_back({ds.entities.Intern(hub && i % 3 ? "hub" : "a" + std::to_string(i)),
                          ds.relations.Intern(i % 2 ? "r" : "s"), ds.entities.Intern("b" + std::to_string(i * 7 % n))});
    for (int threads : {2, 3}) {
      for (int batch : {1, 5}) {
        TrainOptions o = UnmetMarginOptions(threads, 2, batch);
        o.epochs = 2;
        o.partition = Partition::kOn;
        TrainReport rep;
        ASSERT_TRUE(TrainModel(ds, Transe8(), o, nullptr, &rep).ok());
        ASSERT_TRUE(rep.partitioned);
        EXPECT_EQ(rep.positives, 2u * n) << threads << " threads, batch " << batch << ", hub " << hub;
        EXPECT_GT(rep.final_loss, 980) << threads << " threads, batch " << batch << ", hub " << hub;
        EXPECT_LT(rep.final_loss, 1020) << threads << " threads, batch " << batch << ", hub " << hub;
      }
    }
  }
}

TEST(EmbedTrain, ResumeContinuesAndRejectsOtherData) {
  Dataset ds = Tiny();
  auto preset = GetPreset("small", "complex", ds.num_entities());
  preset->model.dim = 8;
  preset->train.epochs = 3;
  preset->train.threads = 1;
  auto first = TrainModel(ds, preset->model, preset->train, nullptr, nullptr);
  ASSERT_TRUE(first.ok());
  auto second = TrainModel(ds, preset->model, preset->train, &*first, nullptr);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->epochs_done, 6);
  EXPECT_FALSE(second->params.entity == first->params.entity);
  Dataset other;
  other.train.push_back({other.entities.Intern("x"), other.relations.Intern("likes"), other.entities.Intern("y")});
  auto bad = TrainModel(other, preset->model, preset->train, &*first, nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("not the same graph"), std::string::npos);
}

// With one thread, 2 epochs then 2 resumed give the tables 4 straight epochs give: each epoch
// is shuffled by its own number (a resumed run used to replay the shuffles of epochs 1 and 2).
TEST(EmbedTrain, ResumedRunReproducesTheUninterruptedOne) {
  Dataset ds = Tiny();
  for (const char* name : {"transe", "distmult"}) {
    auto preset = GetPreset("small", name, ds.num_entities());
    preset->model.dim = 8;
    preset->train.threads = 1;
    preset->train.valid_every = 0;
    preset->train.epochs = 4;
    auto straight = TrainModel(ds, preset->model, preset->train, nullptr, nullptr);
    preset->train.epochs = 2;
    auto half = TrainModel(ds, preset->model, preset->train, nullptr, nullptr);
    ASSERT_TRUE(straight.ok() && half.ok());
    auto resumed = TrainModel(ds, preset->model, preset->train, &*half, nullptr);
    ASSERT_TRUE(resumed.ok());
    EXPECT_EQ(resumed->epochs_done, 4);
    EXPECT_TRUE(resumed->params.entity == straight->params.entity) << name;
    EXPECT_TRUE(resumed->params.relation == straight->params.relation) << name;
  }
}

// Early stopping keeps the best epoch's tables; the checkpoint said the last epoch's count and
// held the last epoch's Adam moments, so --resume went on at epoch 13 from epoch 8's tables
// with epoch 12's optimizer state. Now the tables, their optimizer state and the epoch count
// are those of the best epoch: with one thread, exactly what a run of that many epochs gives,
// and resuming for one epoch gives what one more epoch would have.
TEST(EmbedTrain, EarlyStopKeepsTheBestEpochsOptimizerStateAndCount) {
  KGP_REQUIRE_DATA(dir, "nations");
  auto ds = LoadDatasetDir(dir);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  auto preset = GetPreset("small", "transe", ds->num_entities());
  ASSERT_TRUE(preset.ok());
  ASSERT_FALSE(preset->train.linear_decay);  // the schedule would depend on the epochs asked for
  preset->model.dim = 16;
  preset->train.threads = 1;
  preset->train.epochs = 40;
  preset->train.valid_every = 2;
  preset->train.patience = 2;
  TrainReport rep;
  auto stopped = TrainModel(*ds, preset->model, preset->train, nullptr, &rep);
  ASSERT_TRUE(stopped.ok()) << stopped.status().ToString();
  ASSERT_LT(rep.best_epoch, rep.epochs_run) << "no early stop after the best epoch: the case is not exercised";
  EXPECT_EQ(stopped->epochs_done, rep.best_epoch);
  EXPECT_EQ(stopped->info["best_epoch"], rep.best_epoch);

  auto same = [](const Checkpoint& a, const Checkpoint& b) {
    const TableState &ae = a.optimizer.entity, &be = b.optimizer.entity;
    return a.epochs_done == b.epochs_done && a.params.entity == b.params.entity &&
           a.params.relation == b.params.relation && ae.a == be.a && ae.b == be.b && ae.pow1 == be.pow1 &&
           a.optimizer.relation.a == b.optimizer.relation.a && a.optimizer.relation.b == b.optimizer.relation.b;
  };
  TrainOptions plain = preset->train;
  plain.valid_every = 0;
  plain.epochs = rep.best_epoch;
  auto straight = TrainModel(*ds, preset->model, plain, nullptr, nullptr);
  ASSERT_TRUE(straight.ok());
  ASSERT_EQ(straight->optimizer.kind, OptimizerKind::kAdam);
  EXPECT_TRUE(same(*stopped, *straight)) << "not the tables and moments of epoch " << rep.best_epoch;

  plain.epochs = 1;
  auto resumed = TrainModel(*ds, preset->model, plain, &*stopped, nullptr);
  plain.epochs = rep.best_epoch + 1;
  auto one_more = TrainModel(*ds, preset->model, plain, nullptr, nullptr);
  ASSERT_TRUE(resumed.ok() && one_more.ok());
  EXPECT_EQ(resumed->epochs_done, rep.best_epoch + 1);
  EXPECT_TRUE(same(*resumed, *one_more)) << "--resume did not continue from the best epoch";
}

// TransR initialised from a TransE (the large preset's warm start) scores every triple as that
// TransE does before its own training; other pairings and dimensions are refused.
// A checkpoint records its training options for --resume; a value JSON cannot hold (a NaN
// temperature is written as null) keeps the preset's instead of refusing the checkpoint.
TEST(EmbedTrain, RecordedOptionsSkipValuesThatCouldNotBeStored) {
  Checkpoint c;
  c.info = {{"lr", 0.25}, {"adversarial_temperature", nullptr}, {"negatives", 7}};
  TrainOptions o;
  o.adversarial_temperature = 1.5;
  ASSERT_TRUE(RecordedOptions(c, &o).ok());
  EXPECT_EQ(o.lr, 0.25);
  EXPECT_EQ(o.negatives, 7);
  EXPECT_EQ(o.adversarial_temperature, 1.5);
  c.info["lr"] = "fast";
  EXPECT_EQ(RecordedOptions(c, &o).code(), Status::Code::kCorruption);
}

TEST(EmbedTrain, TransRWarmStartedFromTransEStartsAsIt) {
  Dataset ds = Tiny();
  auto te = GetPreset("small", "transe", ds.num_entities());
  te->model.dim = 8;
  te->train.epochs = 5;
  te->train.threads = 1;
  auto transe = TrainModel(ds, te->model, te->train, nullptr, nullptr);
  ASSERT_TRUE(transe.ok());
  auto tr = GetPreset("small", "transr", ds.num_entities());
  tr->model.dim = 8;
  tr->train.threads = 1;
  tr->train.lr = 1e-9f;  // steps too small to matter: the tables stay as the warm start left them
  tr->train.epochs = 1;
  auto transr = TrainModel(ds, tr->model, tr->train, nullptr, nullptr, {}, &*transe);
  ASSERT_TRUE(transr.ok()) << transr.status().ToString();
  auto me = ModelOf(*transe), mr = ModelOf(*transr);
  ASSERT_TRUE(me.ok() && mr.ok());
  const Params &pe = transe->params, &pr = transr->params;
  int compared = 0;
  for (uint32_t h = 0; h < ds.num_entities(); ++h)
    for (uint32_t r = 0; r < ds.num_relations(); ++r)
      for (uint32_t t = 0; t < ds.num_entities(); ++t, ++compared)
        ASSERT_NEAR((*mr)->Score(pr.E(h), pr.R(r), pr.E(t)), (*me)->Score(pe.E(h), pe.R(r), pe.E(t)), 1e-4f);
  EXPECT_EQ(compared, 5 * 3 * 5);
  tr->train.lr = 0.01f;  // and training moves it on from there
  auto moved = TrainModel(ds, tr->model, tr->train, nullptr, nullptr, {}, &*transe);
  ASSERT_TRUE(moved.ok());
  EXPECT_FALSE(moved->params.entity == transe->params.entity);

  tr->model.dim = 16;
  auto wrong_dim = TrainModel(ds, tr->model, tr->train, nullptr, nullptr, {}, &*transe);
  ASSERT_FALSE(wrong_dim.ok());
  EXPECT_NE(wrong_dim.status().message().find("dim"), std::string::npos);
  auto dm = GetPreset("small", "distmult", ds.num_entities());
  dm->model.dim = 8;
  auto wrong_model = TrainModel(ds, dm->model, dm->train, nullptr, nullptr, {}, &*transe);
  ASSERT_FALSE(wrong_model.ok());
  EXPECT_NE(wrong_model.status().message().find("cannot start"), std::string::npos);
}

// The large TransR preset carries its warm start: TrainPreset trains that TransE first, at the
// TransR's dim, threads and seed, and the TransR starts from it. A TransE trained by hand with
// the same settings gives the same start.
TEST(EmbedTrain, PresetWarmStartIsTrainedByTheLibrary) {
  Dataset ds = Tiny();
  auto tr = GetPreset("large", "transr", ds.num_entities());
  ASSERT_TRUE(tr.ok());
  ASSERT_TRUE(tr->warm_start.has_value());
  EXPECT_EQ(tr->warm_start->model.name, "transe");
  tr->model.dim = 8;
  tr->train.threads = 1;
  tr->train.seed = 7;
  tr->train.lr = 1e-9f;  // the TransR's own steps do not matter
  tr->train.epochs = 1;
  tr->warm_start->train.epochs = 3;
  tr->warm_start->train.valid_every = 0;
  TrainReport rep, warm_rep;
  auto transr = TrainPreset(ds, *tr, nullptr, nullptr, &rep, &warm_rep);
  ASSERT_TRUE(transr.ok()) << transr.status().ToString();
  EXPECT_EQ(warm_rep.epochs_run, 3);
  EXPECT_EQ(rep.epochs_run, 1);

  ModelConfig te = tr->warm_start->model;
  te.dim = 8;
  TrainOptions to = tr->warm_start->train;
  to.threads = 1;
  to.seed = 7;
  auto transe = TrainModel(ds, te, to, nullptr, nullptr);
  ASSERT_TRUE(transe.ok());
  auto me = ModelOf(*transe), mr = ModelOf(*transr);
  ASSERT_TRUE(me.ok() && mr.ok());
  const Params &pe = transe->params, &pr = transr->params;
  for (uint32_t h = 0; h < ds.num_entities(); ++h)
    for (uint32_t t = 0; t < ds.num_entities(); ++t)
      ASSERT_NEAR((*mr)->Score(pr.E(h), pr.R(0), pr.E(t)), (*me)->Score(pe.E(h), pe.R(0), pe.E(t)), 1e-4f);

  // Given an init, the preset's warm start is not trained.
  auto again = TrainPreset(ds, *tr, nullptr, &*transe, &rep, &warm_rep);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(warm_rep.epochs_run, 0);
  // Without a warm start, TrainPreset is TrainModel.
  auto small = GetPreset("small", "transr", ds.num_entities());
  ASSERT_FALSE(small->warm_start.has_value());
}

TEST(EmbedTrain, BadOptionsAreClearErrors) {
  Dataset ds = Tiny();
  auto preset = GetPreset("small", "transe", ds.num_entities());
  preset->train.negatives = 0;
  EXPECT_FALSE(TrainModel(ds, preset->model, preset->train, nullptr, nullptr).ok());
  EXPECT_FALSE(GetPreset("huge", "transe", 10).ok());
  EXPECT_FALSE(GetPreset("small", "transx", 10).ok());
  ModelConfig mc;
  mc.dim = 0;
  EXPECT_FALSE(MakeModel(mc).ok());
  preset = GetPreset("small", "transe", ds.num_entities());
  preset->train.lr = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(TrainModel(ds, preset->model, preset->train, nullptr, nullptr).ok());
  preset = GetPreset("small", "transe", ds.num_entities());
  for (float t : {-5.0f, std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    preset->train.adversarial_temperature = t;
    auto r = TrainModel(ds, preset->model, preset->train, nullptr, nullptr);
    ASSERT_FALSE(r.ok()) << "temperature " << t;
    EXPECT_NE(r.status().message().find("temperature"), std::string::npos) << r.status().ToString();
  }
}

// An infinite or NaN gamma, init or max_norm (CLI: 1e39, infinite as a float) is refused by
// MakeModel, an infinite margin by Train; fresh tables that already score infinity (--init 1e38)
// are blamed on --init or --gamma, not on the learning rate as a divergence.
TEST(EmbedTrain, NonFiniteOrOverflowingSettingsAreRefusedByName) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  for (const char* field : {"gamma", "init", "max_norm"}) {
    for (float v : {inf, -inf, nan}) {
      ModelConfig mc;
      (std::string(field) == "gamma" ? mc.gamma : std::string(field) == "init" ? mc.init : mc.max_norm) = v;
      auto m = MakeModel(mc);
      ASSERT_FALSE(m.ok()) << field << " " << v;
      EXPECT_EQ(m.status().code(), Status::Code::kInvalidArgument);
      EXPECT_NE(m.status().message().find(field), std::string::npos) << m.status().ToString();
    }
  }
  Dataset ds = Tiny();
  auto preset = GetPreset("small", "transe", ds.num_entities());
  preset->model.dim = 8;
  preset->train.threads = 1;
  preset->train.epochs = 1;
  preset->train.margin = inf;
  auto margin = TrainModel(ds, preset->model, preset->train, nullptr, nullptr);
  ASSERT_FALSE(margin.ok());
  EXPECT_NE(margin.status().message().find("margin"), std::string::npos) << margin.status().ToString();
  preset->train.margin = 1;
  for (auto [model, init] : {std::pair{"transe", 1e38f}, {"distmult", 1e20f}}) {
    preset->model.name = model;
    preset->model.init = init;
    auto r = TrainModel(ds, preset->model, preset->train, nullptr, nullptr);
    ASSERT_FALSE(r.ok()) << model << " " << init;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << r.status().ToString();
    EXPECT_NE(r.status().message().find("--init or --gamma"), std::string::npos) << r.status().ToString();
    EXPECT_EQ(r.status().message().find("--lr"), std::string::npos) << r.status().ToString();
  }
}

// Tables that overflow are an error naming the epoch, not a checkpoint of NaN with loss 0.
TEST(EmbedTrain, DivergenceIsAnErrorNotANanCheckpoint) {
  Dataset ds = Tiny();
  auto preset = GetPreset("small", "distmult", ds.num_entities());
  preset->train.update.kind = OptimizerKind::kSgd;
  preset->train.update.reg = Regularizer::kNone;
  preset->train.lr = 1e30f;
  preset->train.threads = 1;
  preset->train.epochs = 20;
  auto ck = TrainModel(ds, preset->model, preset->train, nullptr, nullptr);
  ASSERT_FALSE(ck.ok());
  EXPECT_NE(ck.status().message().find("training diverged in epoch"), std::string::npos) << ck.status().ToString();
}

TEST(EmbedCli, TrainEvalPredictExportOnNations) {
  KGP_REQUIRE_DATA(dir, "nations");
  test::TempDir tmp;
  std::string ck = tmp / "n.kge";
  auto tr = test::RunCli("-q --json kge train --data " + dir + " -m distmult --dim 32 --epochs 20 -o " + ck);
  ASSERT_EQ(tr.exit_code, 0) << tr.err;
  auto tj = nlohmann::json::parse(tr.out);
  double mrr = tj["test"]["filtered"]["mrr"];
  EXPECT_GT(mrr, 0.4);  // 14 entities: random ranking is about 0.25
  auto ev = test::RunCli("--json kge eval " + ck + " --data " + dir);
  ASSERT_EQ(ev.exit_code, 0) << ev.err;
  auto ej = nlohmann::json::parse(ev.out);
  EXPECT_NEAR(ej["filtered"]["mrr"].get<double>(), mrr, 1e-9);  // same checkpoint, same numbers
  EXPECT_GE(ej["per_relation"].size(), 10u);
  auto pr = test::RunCli("--json kge predict " + ck + " --head usa --relation embassy -k 3");
  ASSERT_EQ(pr.exit_code, 0) << pr.err;
  EXPECT_EQ(nlohmann::json::parse(pr.out)["results"].size(), 3u);
  auto nb = test::RunCli("kge predict " + ck + " --neighbors china -k 2");
  ASSERT_EQ(nb.exit_code, 0) << nb.err;
  auto ex = test::RunCli("kge export " + ck + " -o " + (tmp / "npy") + " --format npy");
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  EXPECT_GT(test::ReadFile(tmp / "npy/entities.npy").size(), 14u * 32 * 4);
  auto missing = test::RunCli("kge predict " + ck + " --head atlantis --relation embassy");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no entity 'atlantis'"), std::string::npos) << missing.err;
  // The same graph with its lines in another order resumes (names keep their rows).
  {
    std::string train = test::ReadFile(dir + "/train.txt");
    std::vector<std::string> lines;
    std::istringstream in(train);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    std::reverse(lines.begin(), lines.end());
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    std::filesystem::create_directories(tmp / "rev");
    test::WriteFile(tmp / "rev/train.txt", out);
    auto rs = test::RunCli("-q kge train --data " + (tmp / "rev") + " --resume " + ck + " --epochs 1 -o " + (tmp / "rev.kge"));
    EXPECT_EQ(rs.exit_code, 0) << rs.err;
  }
  // Another graph is not continued: kinship holds none of nations' names.
  if (std::filesystem::exists(dir + "/../kinship/train.txt")) {
    auto kin = test::RunCli("kge train --data " + dir + "/../kinship --resume " + ck + " --epochs 1 -o " + (tmp / "k.kge"));
    EXPECT_EQ(kin.exit_code, 1);
    EXPECT_NE(kin.err.find("not the same graph"), std::string::npos) << kin.err;
  }
  // A resumed model keeps its kind and size; flags that would change them are refused.
  auto other = test::RunCli("kge train --data " + dir + " --resume " + ck + " -m rotate --epochs 1 -o " + (tmp / "r.kge"));
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("cannot change it"), std::string::npos) << other.err;
  auto gamma = test::RunCli("kge train --data " + dir + " --resume " + ck + " --gamma 3 --epochs 1 -o " + (tmp / "g.kge"));
  EXPECT_EQ(gamma.exit_code, 1) << "a resumed model's margin cannot change";
  for (const char* bad : {"--epochs 0", "--lr inf", "--lr 0", "--reg-weight -1", "--init -1"}) {
    auto r = test::RunCli("kge train --data " + dir + " " + bad + " -o " + (tmp / "b.kge"));
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_FALSE(std::filesystem::exists(tmp / "b.kge")) << bad;
  }
  auto neg_k = test::RunCli("kge predict " + ck + " --head usa --relation embassy -k -1");
  EXPECT_NE(neg_k.exit_code, 0);
  auto none = test::RunCli("kge train -m transe");
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("--data"), std::string::npos) << none.err;
}

TEST(EmbedCli, TrainsOnAWorkspaceGraph) {
  test::TempDir tmp;
  std::string sample = tmp / "sample", ws = tmp / "ws";
  ASSERT_EQ(test::RunCli("-q generate " + sample + " --users 80 --events 3000 --products 120 --seed 3").exit_code, 0);
  ASSERT_EQ(test::RunCli("-q init " + ws).exit_code, 0);
  auto early = test::RunCli("kge train " + ws);
  EXPECT_EQ(early.exit_code, 1);
  EXPECT_NE(early.err.find("graph build"), std::string::npos) << early.err;
  ASSERT_EQ(test::RunCli("-q ingest " + ws + " " + sample + "/catalog.csv " + sample + "/events.csv").exit_code, 0);
  ASSERT_EQ(test::RunCli("-q graph build " + ws).exit_code, 0);
  auto tr = test::RunCli("-q --json kge train " + ws + " --epochs 3");
  ASSERT_EQ(tr.exit_code, 0) << tr.err;
  auto j = nlohmann::json::parse(tr.out);
  EXPECT_EQ(j["preset"], "ecommerce");
  EXPECT_GT(j["test"]["filtered"]["count"].get<int>(), 0);  // 1% of the edges held out
  EXPECT_TRUE(std::filesystem::exists(WorkspaceModelPath(ws)));
  // The first event's user (REES46: user_id is the 8th column).
  std::string events = test::ReadFile(sample + "/events.csv");
  std::string row = events.substr(events.find('\n') + 1);
  row = row.substr(0, row.find('\n'));
  std::vector<std::string> cols;
  for (size_t p = 0, q; p <= row.size(); p = q + 1) {
    q = row.find(',', p);
    if (q == std::string::npos) q = row.size();
    cols.push_back(row.substr(p, q - p));
  }
  ASSERT_GE(cols.size(), 8u);
  auto pr = test::RunCli("--json kge predict " + ws + " --head user:" + cols[7] + " --relation PURCHASED -k 5");
  ASSERT_EQ(pr.exit_code, 0) << pr.err;
  EXPECT_EQ(nlohmann::json::parse(pr.out)["results"].size(), 5u);
  // Profiles carry the user's vector once embeddings are trained.
  ASSERT_EQ(test::RunCli("-q profile build " + ws).exit_code, 0);
  auto show = test::RunCli("--json profile show " + ws + " --user " + cols[7]);
  ASSERT_EQ(show.exit_code, 0) << show.err;
  auto pj = nlohmann::json::parse(show.out);
  ASSERT_TRUE(pj.contains("embedding")) << show.out.substr(0, 300);
  EXPECT_EQ(pj["embedding"]["vector"].size(), pj["embedding"]["dim"].get<size_t>());
  auto bad = test::RunCli("kge predict " + ws + " --neighbors brand:nonexistent");
  EXPECT_EQ(bad.exit_code, 1);
}

}  // namespace
}  // namespace kgp::embed
