// Federated embeddings: shards by user, worker processes, parameter averaging. The split keeps
// each user's triples in one shard; a run over worker processes learns (MRR well above chance)
// and its checkpoint is covered by erasure like the central one.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>

#include "privacy/federated.h"
#include "privacy/files.h"
#include "test_util.h"

namespace kgp::privacy {
namespace {

TEST(PrivacyFederated, ShardsByUser) {
  // A user's triples, as head or tail, always land in the same shard; catalogue triples in none
  // (they are given to every shard).
  for (int s : {1, 3, 8}) {
    const int a = ShardOf("user:42", "product:1", s, true);
    EXPECT_GE(a, 0);
    EXPECT_LT(a, s);
    EXPECT_EQ(ShardOf("product:9", "user:42", s, true), a);
    EXPECT_EQ(ShardOf("product:1", "brand:x", s, true), -1);
    EXPECT_GE(ShardOf("C0001", "C0002", s, false), 0);  // a KG without users: by head
  }
}

TEST(PrivacyFederated, WorkersTrainAndAverage) {
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  ASSERT_EQ(test::RunCli("-q generate " + sample + " --users 80 --events 6000 --products 150 --seed 6").exit_code, 0);
  ASSERT_EQ(test::RunCli("-q init " + ws).exit_code, 0);
  ASSERT_EQ(test::RunCli("-q ingest " + ws + " " + sample + "/catalog.csv --format catalog").exit_code, 0);
  ASSERT_EQ(test::RunCli("-q ingest " + ws + " " + sample + "/users.csv --format users").exit_code, 0);
  ASSERT_EQ(test::RunCli("-q ingest " + ws + " " + sample + "/events.csv --format rees46").exit_code, 0);
  ASSERT_EQ(test::RunCli("-q graph build " + ws).exit_code, 0);
  auto r = test::RunCli("--json -q kge train-federated " + ws + " --shards 3 --rounds 12 --dim 32");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["shard_triples"].size(), 3u);
  EXPECT_EQ(j["rounds"].size(), 12u);
  const double fed = j["federated"]["mrr"], central = j["central"]["mrr"];
  const double entities = j["entities"];
  const double chance = std::log(entities) / entities;  // MRR of a random ranking, about
  EXPECT_GT(fed, 3 * chance);
  EXPECT_GT(central, 3 * chance);
  // Each shard got its users' triples plus the catalogue: together more than the train set.
  size_t sum = 0;
  for (const auto& n : j["shard_triples"]) sum += n.get<size_t>();
  EXPECT_EQ(sum, j["train_triples"].get<size_t>() + 2 * j["replicated_triples"].get<size_t>());
  // The worker files are gone; the checkpoint is in the workspace and is found by erasure.
  EXPECT_TRUE(std::filesystem::exists(ws + "/models/kge-federated.bin"));
  EXPECT_EQ(CheckpointFiles(ws).size(), 1u);
  std::printf("[ federated ] 3 shards x 12 rounds: MRR %.4f; centralised 12 epochs: MRR %.4f\n", fed, central);
}

// Out-of-range options once ran anyway: --dim -5 with the preset's dimension, and an unknown
// preset started every worker before failing as "worker for shard 0 failed in round 1".
TEST(PrivacyFederated, BadOptionsFailBeforeAnyWorkerStarts) {
  test::TempDir tmp;
  const std::string kg = tmp / "kg";
  std::filesystem::create_directories(kg);
  std::string train;
  for (int i = 0; i < 30; ++i) train += "e" + std::to_string(i) + "\tr\te" + std::to_string((i + 1) % 30) + "\n";
  test::WriteFile(kg + "/train.txt", train);
  test::WriteFile(kg + "/valid.txt", "e0\tr\te1\n");
  test::WriteFile(kg + "/test.txt", "e1\tr\te2\n");
  const std::string base = "kge train-federated --data " + kg + " --no-central --rounds 1 --shards 2";
  ASSERT_EQ(test::RunCli("-q " + base + " --preset small").exit_code, 0);
  auto preset = test::RunCli(base + " --preset nope");
  EXPECT_EQ(preset.exit_code, 1);
  EXPECT_NE(preset.err.find("nope"), std::string::npos) << preset.err;
  EXPECT_EQ(preset.err.find("worker"), std::string::npos) << preset.err;
  EXPECT_EQ(preset.err.find("round"), std::string::npos) << preset.err;
  for (const char* bad : {"--dim -5", "--shards 0", "--rounds 0", "--local-epochs -1"}) {
    auto r = test::RunCli(base + " --preset small " + bad);
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_NE(r.err.find(std::string(bad).substr(0, std::string(bad).find(' '))), std::string::npos) << bad << ": " << r.err;
  }
}

// More shards than the data has head entities (or users) to hash into them left a shard
// without triples: every worker started, that one failed with "no training triples", and the
// run ended in "internal error: worker for shard 0 failed in round 1". Refused before any
// worker starts, with a number of shards that works; -m is --model, as for kge train.
TEST(PrivacyFederated, MoreShardsThanHeadsAreRefusedWithOneThatWorks) {
  test::TempDir tmp;
  const std::string kg = tmp / "kg";
  std::filesystem::create_directories(kg);
  test::WriteFile(kg + "/train.txt", "a\tr\tb\na\tr\tc\nb\tr\tc\nc\tr\ta\nb\tr\ta\nc\tr\tb\n");
  test::WriteFile(kg + "/valid.txt", "a\tr\tb\n");
  test::WriteFile(kg + "/test.txt", "b\tr\tc\n");
  const std::string base = "kge train-federated --data " + kg + " --no-central --rounds 1 --preset small -m distmult";
  auto r = test::RunCli(base + " --shards 6");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--shards 6: only "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("3 head entities"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("worker"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("internal"), std::string::npos) << r.err;
  const size_t at = r.err.find("use --shards ");
  ASSERT_NE(at, std::string::npos) << r.err;
  const int fits = std::stoi(r.err.substr(at + 13));
  EXPECT_GE(fits, 1);
  EXPECT_LE(fits, 3);
  auto ok = test::RunCli("-q --json " + base + " --shards " + std::to_string(fits));
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(nlohmann::json::parse(ok.out)["shard_triples"].size(), static_cast<size_t>(fits));
}

}  // namespace
}  // namespace kgp::privacy
