// Federated embeddings: shards by user, worker processes, parameter averaging. The split keeps
// each user's triples in one shard; a run over worker processes learns (MRR well above chance)
// and its checkpoint is covered by erasure like the central one.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "embed/checkpoint.h"
#include "embed/presets.h"
#include "privacy/federated.h"
#include "privacy/files.h"
#include "store/workspace.h"
#include "test_util.h"

extern char** environ;

namespace kgp::privacy {
namespace {

namespace fs = std::filesystem;

// A small user graph: each user viewed a few products; products sit in categories (catalogue
// triples, given to every shard).
embed::Dataset UserGraph(int users) {
  embed::Dataset ds;
  auto add = [&](const std::string& h, const std::string& r, const std::string& t, std::vector<embed::Triple>* to) {
    to->push_back({ds.entities.Intern(h), ds.relations.Intern(r), ds.entities.Intern(t)});
  };
  for (int p = 0; p < 20; ++p) add("product:" + std::to_string(p), "IN", "cat:" + std::to_string(p % 4), &ds.train);
  for (int u = 0; u < users; ++u)
    for (int k = 0; k < 4; ++k)
      add("user:" + std::to_string(u), "VIEWED", "product:" + std::to_string((u * 3 + k * 7) % 20),
          k == 3 && u % 5 == 0 ? &ds.test : &ds.train);
  return ds;
}

// The same graph as a --data folder (train.txt, and test.txt when with_test).
void WriteUserGraph(const std::string& dir, int users, bool with_test) {
  const embed::Dataset ds = UserGraph(users);
  fs::create_directories(dir);
  auto text = [&](const std::vector<embed::Triple>& ts) {
    std::string out;
    for (const auto& t : ts)
      out += ds.entities.name(t.h) + "\t" + ds.relations.name(t.r) + "\t" + ds.entities.name(t.t) + "\n";
    return out;
  };
  test::WriteFile(dir + "/train.txt", text(ds.train));
  if (with_test) test::WriteFile(dir + "/test.txt", text(ds.test));
}

// An executable shell script at path.
void WriteScript(const std::string& path, const std::string& body) {
  test::WriteFile(path, "#!/bin/sh\n" + body);
  ::chmod(path.c_str(), 0755);
}

// One round of `shards` workers run as `binary`, small preset, dim 8, no centralised baseline.
FederatedOptions OneRound(int shards, const std::string& binary) {
  FederatedOptions o;
  o.shards = shards;
  o.rounds = 1;
  o.central = false;
  o.preset = "small";
  o.dim = 8;
  o.binary = binary;
  return o;
}

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

// A catalogue attribute value holding a tab (ingest keeps it) broke train-federated while kge
// train worked: names were written unescaped into tab-separated shard files, and the run ended
// in "shard0.tsv:99: expected 3 tab-separated fields, got 4" (a deleted temp file) and "internal
// error: worker for shard 0 failed in round 1". Names now travel in the shard's checkpoint.
TEST(PrivacyFederated, NamesWithATabTrain) {
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  ASSERT_EQ(test::RunCli("-q generate " + sample + " --users 40 --events 2000 --products 60 --seed 3").exit_code, 0);
  std::string catalog = test::ReadFile(sample + "/catalog.csv");
  const size_t eol = catalog.find('\n', catalog.find('\n') + 1);  // the end of the first product's line
  ASSERT_NE(eol, std::string::npos);
  catalog.insert(eol, ";mat=<b>x</b>\tq");
  test::WriteFile(sample + "/catalog.csv", catalog);
  ASSERT_TRUE(test::IngestedWorkspace(ws, test::ShopFiles(sample)));
  auto r = test::RunCli("--json -q kge train-federated " + ws + " --shards 2 --rounds 1 --no-central");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ck = embed::LoadCheckpoint(ws + "/models/kge-federated.bin");
  ASSERT_TRUE(ck.ok()) << ck.status().ToString();
  bool tab = false;
  for (const auto& n : ck->entity_names) tab = tab || n.find("x</b>\tq") != std::string::npos;
  EXPECT_TRUE(tab) << "the attribute value with a tab is not among the checkpoint's names";
}

// A workspace that can be read but not written (trained with -o elsewhere): the work folder
// cannot be made in it, and the run goes on in $TMPDIR instead of failing.
TEST(PrivacyFederated, AWorkspaceThatCannotBeWrittenTrainsWithTheFolderInTmp) {
  test::TempDir tmp;
  FederatedOptions o = OneRound(2, test::BinaryPath());
  o.work_parent = tmp / "no-such-folder";
  auto r = TrainFederated(UserGraph(30), o, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rounds.size(), 1u);
  EXPECT_FALSE(fs::exists(tmp / "no-such-folder"));
}

// A worker that failed was reported as "internal error: federated: worker for shard 0 failed in
// round 1", its own message (naming a temp file already removed) printed apart. The message
// now says which shard, how the worker ended and what it said.
TEST(PrivacyFederated, AFailedWorkerSaysWhy) {
  test::TempDir tmp;
  WriteScript(tmp / "worker.sh", "echo 'error: invalid argument: the disk is on fire' >&2\nexit 3\n");
  FederatedOptions o = OneRound(2, tmp / "worker.sh");
  auto r = TrainFederated(UserGraph(30), o, nullptr);
  ASSERT_FALSE(r.ok());
  const std::string m = r.status().message();
  EXPECT_NE(r.status().code(), Status::Code::kInternal) << m;
  EXPECT_NE(m.find("the disk is on fire"), std::string::npos) << m;
  EXPECT_NE(m.find("exit status 3"), std::string::npos) << m;
  EXPECT_NE(m.find("round 1"), std::string::npos) << m;
  EXPECT_EQ(m.find("federated.tmp."), std::string::npos) << m;
}

// Every worker was sent global.bin: every user's name and row, from all shards. A shard now
// gets the rows its triples touch (its own users and the catalogue), and its update carries
// no training counts.
TEST(PrivacyFederated, AShardIsSentItsOwnUsersOnly) {
  test::TempDir tmp;
  fs::create_directories(tmp / "seen");
  WriteScript(tmp / "worker.sh", "prev=; for a in \"$@\"; do [ \"$prev\" = --global ] && cp \"$a\" " + tmp / "seen" +
                                     "/view.$$; [ \"$prev\" = --out ] && out=$a; prev=$a; done\n" + test::BinaryPath() +
                                     " \"$@\" || exit $?\ncp \"$out\" " + tmp / "seen" + "/update.$$\n");
  FederatedOptions o = OneRound(3, tmp / "worker.sh");
  auto r = TrainFederated(UserGraph(30), o, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  int views = 0, updates = 0;
  for (const auto& f : fs::directory_iterator(tmp.path() + "/seen")) {
    auto ck = embed::LoadCheckpoint(f.path().string());
    ASSERT_TRUE(ck.ok()) << ck.status().ToString();
    if (f.path().filename().string().rfind("update.", 0) == 0) {
      ++updates;
      EXPECT_FALSE(ck->info.contains("train_triples")) << ck->info.dump();
      continue;
    }
    ++views;
    std::set<int> shards;
    size_t users = 0;
    for (const auto& n : ck->entity_names)
      if (n.rfind("user:", 0) == 0) ++users, shards.insert(ShardOf(n, n, o.shards, true));
    EXPECT_EQ(shards.size(), 1u) << f.path() << ": users of several shards";
    EXPECT_GT(users, 0u);
    EXPECT_LT(users, 30u);
  }
  EXPECT_EQ(views, 3);
  EXPECT_EQ(updates, 3);
}

// Up to 1024 worker processes started at once, each loading the model. At most max_workers
// (-j) run at the same time now.
TEST(PrivacyFederated, AtMostMaxWorkersRunAtOnce) {
  test::TempDir tmp;
  fs::create_directories(tmp / "run");
  WriteScript(tmp / "worker.sh", "touch " + tmp / "run" + "/$$\nls " + tmp / "run" + " | wc -l >> " + tmp / "counts" +
                                     "\nsleep 0.3\n" + test::BinaryPath() + " \"$@\"; rc=$?\nrm " + tmp / "run" +
                                     "/$$\nexit $rc\n");
  FederatedOptions o = OneRound(6, tmp / "worker.sh");
  o.max_workers = 2;
  auto r = TrainFederated(UserGraph(60), o, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->workers_at_once, 2);
  std::ifstream in(tmp / "counts");
  int n = 0, most = 0;
  for (int c; in >> c;) ++n, most = std::max(most, c);
  EXPECT_EQ(n, 6);
  EXPECT_GE(most, 1);
  EXPECT_LE(most, 2);
}

// Each round's workers decayed the learning rate over start_epoch + local epochs only: round r
// ran from about lr/r to 0, far less than the centralised run of rounds x local epochs. The
// rates now follow that run's schedule: round r starts where the central run is after
// (r - 1) x local epochs.
TEST(PrivacyFederated, LearningRateFollowsTheWholeRunsSchedule) {
  test::TempDir tmp;
  WriteUserGraph(tmp / "kg", 30, true);
  auto r = test::RunCli("--json -q kge train-federated --data " + tmp / "kg" +
                        " --preset large -m transe --dim 8 --shards 2 --rounds 3 --local-epochs 2 --no-central");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  auto preset = embed::GetPreset("large", "transe", 100);
  ASSERT_TRUE(preset.ok());
  ASSERT_TRUE(preset->train.linear_decay);
  const double lr = preset->train.lr, total = 6;
  ASSERT_EQ(j["rounds"].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const auto& round = j["rounds"][static_cast<size_t>(i)];
    const double first = round.value("lr_first", -1.0), last = round.value("lr_last", -1.0);
    EXPECT_NEAR(first, lr * (1 - 2 * i / total), 1e-6) << "round " << i + 1;
    // The last update of the round comes just before the central run's epoch 2(i + 1).
    EXPECT_LT(last, first) << "round " << i + 1;
    EXPECT_GE(last, lr * (1 - 2 * (i + 1) / total) - 1e-6) << "round " << i + 1;
    EXPECT_NEAR(last, lr * (1 - 2 * (i + 1) / total), 0.05 * lr) << "round " << i + 1;
  }
}

// With no test split every round and the result printed "filtered MRR 0.0000", as if measured
// (JSON: mrr 0, count 0). Said instead; JSON holds null, not a 0.
TEST(PrivacyFederated, NoTestSplitIsSaidNotMeasured) {
  test::TempDir tmp;
  WriteUserGraph(tmp / "kg", 30, false);
  const std::string base = "-q kge train-federated --data " + tmp / "kg" + " --preset small --dim 8 --shards 2 --rounds 2";
  auto text = test::RunCli(base);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out.find("MRR"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("no test split"), std::string::npos) << text.out;
  auto json = test::RunCli("--json " + base);
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto j = nlohmann::json::parse(json.out);
  EXPECT_TRUE(j["federated"].is_null()) << j["federated"];
  EXPECT_TRUE(j["central"].is_null()) << j["central"];
  for (const auto& round : j["rounds"]) EXPECT_TRUE(round["test_mrr_sample"].is_null()) << round;
}

// Catalogue triples go to every shard, so on a user graph no shard was empty and --shards 256
// over a few users ran with shards that had no user at all. Refused, naming a count that works.
TEST(PrivacyFederated, ShardsWithoutUsersAreRefused) {
  test::TempDir tmp;
  WriteUserGraph(tmp / "kg", 4, true);
  const std::string base = "kge train-federated --data " + tmp / "kg" + " --no-central --rounds 1 --preset small --dim 8";
  auto r = test::RunCli(base + " --shards 16");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("--shards 16: only "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("4 users"), std::string::npos) << r.err;
  const size_t at = r.err.find("use --shards ");
  ASSERT_NE(at, std::string::npos) << r.err;
  const int fits = std::stoi(r.err.substr(at + 13));
  EXPECT_GE(fits, 1);
  EXPECT_LE(fits, 4);
  auto ok = test::RunCli("-q --json " + base + " --shards " + std::to_string(fits));
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
}

// train-federated --data wrote no checkpoint and had no -o; -o FILE writes it, as kge train's.
TEST(PrivacyFederated, OutWritesTheCheckpoint) {
  test::TempDir tmp;
  WriteUserGraph(tmp / "kg", 20, true);
  const std::string out = tmp / "models/fed.kge";
  auto r = test::RunCli("-q --json kge train-federated --data " + tmp / "kg" +
                        " --no-central --rounds 1 --shards 2 --preset small --dim 8 -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["checkpoint"], out);
  auto ck = embed::LoadCheckpoint(out);
  ASSERT_TRUE(ck.ok()) << ck.status().ToString();
  EXPECT_EQ(ck->params.entity_width, 8u);
}

// Interrupting a run (Ctrl-C, kill, a closed pipe on stderr) left $TMPDIR/kgp-federated-*/
// behind: shard files of user ids and their triples, the global model, the updates; erase cannot
// reach them. The workers are now stopped, the folder removed, and the process ends as the
// signal ends it.
TEST(PrivacyFederated, InterruptLeavesNoShardData) {
  for (int sig : {SIGINT, SIGTERM, SIGPIPE}) {
    test::TempDir tmp;
    WriteUserGraph(tmp / "kg", 40, true);
    fs::create_directories(tmp / "tmp");
    // SIGPIPE: the run logs every round to a pipe whose reader goes away (`… 2>&1 | head -2`).
    std::vector<std::string> args = {test::BinaryPath(), "kge", "train-federated", "--data", tmp / "kg",
                                     "--preset", "small", "--dim", "8", "--shards", "2", "--rounds", "100000",
                                     "--no-central", "-j", "1"};
    if (sig != SIGPIPE) args.insert(args.begin() + 1, "-q");
    std::vector<std::string> env = {"TMPDIR=" + tmp / "tmp"};
    for (char** e = environ; *e; ++e)
      if (std::string(*e).rfind("TMPDIR=", 0) != 0) env.push_back(*e);
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    for (auto& e : env) envp.push_back(e.data());
    argv.push_back(nullptr);
    envp.push_back(nullptr);
    int err_pipe[2] = {-1, -1};
    ASSERT_EQ(::pipe(err_pipe), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (sig == SIGPIPE)
      posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
    else
      posix_spawn_file_actions_addopen(&fa, 2, (tmp / "err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addclose(&fa, err_pipe[0]);
    // The child's signals as a terminal's job has them, whatever this test inherited (a
    // background job ignores SIGINT, and the run keeps an ignored signal ignored).
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults, none;
    sigemptyset(&defaults);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaddset(&defaults, s);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    pid_t pid = 0;
    ASSERT_EQ(posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), envp.data()), 0);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(err_pipe[1]);
    // Whatever fails below, the run is not left going (100000 rounds).
    struct Reaper {
      pid_t pid;
      int read_end;
      ~Reaper() {
        if (read_end >= 0) ::close(read_end);
        if (pid > 0) ::kill(pid, SIGKILL), ::waitpid(pid, nullptr, 0);
      }
    } reaper{pid, err_pipe[0]};
    // Wait until the rounds run: the work folder holds the shard files and a worker's input.
    auto working = [&] {
      std::error_code ec;
      for (fs::directory_iterator d(tmp / "tmp", ec), end; !ec && d != end; d.increment(ec))
        for (fs::directory_iterator f(d->path(), ec), fend; !ec && f != fend; f.increment(ec))
          if (f->path().filename().string().find("shard") == 0 && fs::file_size(f->path(), ec) > 0 && !ec) return true;
      return false;
    };
    bool started = false;
    for (int i = 0; i < 1200 && !started; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      started = working();
    }
    ASSERT_TRUE(started) << test::ReadFile(tmp / "err");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a round or two in
    if (sig == SIGPIPE) {
      ::close(reaper.read_end);
      reaper.read_end = -1;
    } else {
      ASSERT_EQ(::kill(pid, sig), 0);
    }
    int st = 0;
    pid_t got = 0;
    for (int i = 0; i < 1200 && got == 0; ++i) {  // at most a minute
      got = ::waitpid(pid, &st, WNOHANG);
      if (got == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(got, pid) << "signal " << sig << ": the run did not end";
    reaper.pid = -1;
    const int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    EXPECT_EQ(code, 128 + sig) << test::ReadFile(tmp / "err");
    EXPECT_TRUE(fs::is_empty(tmp / "tmp")) << "signal " << sig << ": left behind in $TMPDIR: "
                                           << fs::directory_iterator(tmp / "tmp")->path();
    // No worker goes on (each names the work folder in its arguments).
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    for (const auto& p : fs::directory_iterator("/proc")) {
      std::ifstream cmd(p.path() / "cmdline", std::ios::binary);
      std::string line((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
      EXPECT_EQ(line.find(tmp.path() + "/tmp/"), std::string::npos) << "still running: " << p.path();
    }
  }
}

}  // namespace
}  // namespace kgp::privacy
