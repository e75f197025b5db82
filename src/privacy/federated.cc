#include "privacy/federated.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "common/hash.h"
#include "common/log.h"
#include "common/out_file.h"
#include "embed/kge.h"
#include "embed/presets.h"

extern char** environ;

namespace kgp::privacy {
namespace fs = std::filesystem;
using namespace kgp::embed;

namespace {

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool IsUser(const std::string& name) { return name.rfind("user:", 0) == 0; }

Result<TrainOptions> WorkerTrainOptions(const std::string& preset, const std::string& model, size_t entities, int epochs,
                                        uint64_t seed, int threads) {
  auto p = GetPreset(preset, model, entities);
  if (!p.ok()) return p.status();
  TrainOptions to = p->train;
  to.epochs = epochs;
  to.seed = seed;
  to.threads = threads;
  to.valid_every = 0;  // no validation split at a shard
  to.patience = 0;
  return to;
}

// Runs argv, returns its exit status.
Result<pid_t> Spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ);
  if (rc != 0) return Status::IoError(fmt::format("{}: cannot start worker: {}", args[0], std::strerror(rc)));
  return pid;
}

Metrics EvaluateTest(const Checkpoint& ck, const Dataset& ds, size_t sample) {
  auto model = ModelOf(ck);
  if (!model.ok() || ds.test.empty()) return {};
  KnownTriples known({&ds.train, &ds.valid, &ds.test});
  std::vector<Triple> test = ds.test;
  if (sample && test.size() > sample) test.resize(sample);
  EvalOptions eo;
  eo.threads = 2;
  eo.per_relation = false;
  return Evaluate(**model, ck.params, test, known, eo).filtered;
}

}  // namespace

int ShardOf(const std::string& head, const std::string& tail, int shards, bool by_user) {
  const std::string* key = nullptr;
  if (!by_user) key = &head;
  else if (IsUser(head)) key = &head;
  else if (IsUser(tail)) key = &tail;
  if (!key) return -1;
  return static_cast<int>(Hash64(*key, 0xFEDA) % static_cast<uint64_t>(shards));
}

namespace {

// A shard without triples has nothing to train: its worker failed with "no training triples"
// after every worker had started, reported as an internal error. Refused before any worker
// starts, with the most shards (below the number asked) that give every shard triples: shards
// are chosen by a hash of the user (or head entity), so with few of them some stay empty.
Status CheckEveryShardTrains(const Dataset& ds, const std::vector<size_t>& shard_triples, bool by_user) {
  const int S = static_cast<int>(shard_triples.size());
  const int empty = static_cast<int>(std::count(shard_triples.begin(), shard_triples.end(), size_t{0}));
  if (empty == 0) return Status::Ok();
  if (ds.train.empty()) return Status::InvalidArgument("federated: no training triples");
  std::vector<const std::string*> keys;  // the names triples are sharded by, once each
  std::vector<char> seen(ds.num_entities());
  for (const Triple& t : ds.train) {
    const std::string &h = ds.entities.name(t.h), &tl = ds.entities.name(t.t);
    const bool head = !by_user || IsUser(h);
    if (!head && !IsUser(tl)) continue;  // names no user: in every shard
    if (!seen[head ? t.h : t.t]++) keys.push_back(head ? &h : &tl);
  }
  int fits = 1;
  for (int n = std::min(S - 1, static_cast<int>(keys.size())); n > 1 && fits == 1; --n) {
    std::vector<char> used(static_cast<size_t>(n));
    for (const std::string* k : keys) used[static_cast<size_t>(ShardOf(*k, *k, n, by_user))] = 1;
    if (std::count(used.begin(), used.end(), 1) == n) fits = n;
  }
  return Status::InvalidArgument(fmt::format(
      "--shards {}: only {} of the {} shards get training triples (the data's {} {} are hashed to shards); use --shards {}{}", S,
      S - empty, S, keys.size(), by_user ? "users" : "head entities", fits, fits > 1 ? " (the most that leaves none empty)" : ""));
}

}  // namespace

nlohmann::json FederatedReport::Json() const {
  auto m = [](const Metrics& x) {
    return nlohmann::json{{"mrr", x.mrr}, {"hits@1", x.hits1}, {"hits@10", x.hits10}, {"count", x.count}};
  };
  nlohmann::json rj = nlohmann::json::array();
  for (const auto& r : rounds) rj.push_back({{"round", r.round}, {"seconds", r.seconds}, {"test_mrr_sample", r.valid_mrr}});
  return {{"entities", entities}, {"relations", relations}, {"train_triples", train_triples},
          {"test_triples", test_triples}, {"shard_triples", shard_triples}, {"replicated_triples", replicated_triples},
          {"rounds", rj}, {"federated", m(federated)}, {"central", m(central)},
          {"seconds", {{"federated", federated_seconds}, {"central", central_seconds}}}};
}

Status RunFederatedWorker(const WorkerArgs& a) {
  auto global = LoadCheckpoint(a.global);
  if (!global.ok()) return global.status();
  Dataset ds = SeededDataset(global->entity_names, global->relation_names);
  KGP_RETURN_IF_ERROR(ReadTripleFile(a.triples, ds, &ds.train));
  if (ds.num_entities() != global->entity_names.size() || ds.num_relations() != global->relation_names.size())
    return Status::InvalidArgument(fmt::format("{}: the shard names entities the global model does not know", a.triples));
  auto to = WorkerTrainOptions(a.preset, global->config.name, ds.num_entities(), a.epochs, a.seed, 1);
  if (!to.ok()) return to.status();
  global->has_optimizer = false;  // local optimizer state starts fresh each round
  auto local = TrainModel(ds, global->config, *to, &*global, nullptr);
  if (!local.ok()) return local.status();
  local->has_optimizer = false;  // only parameters leave the shard
  return SaveCheckpoint(a.out, *local);
}

Result<FederatedReport> TrainFederated(const Dataset& ds, const FederatedOptions& opts, Checkpoint* global_out) {
  if (opts.shards < 1 || opts.rounds < 1 || opts.local_epochs < 1)
    return Status::InvalidArgument("federated: shards, rounds and local epochs must be >= 1");
  if (opts.binary.empty()) return Status::InvalidArgument("federated: no worker binary");
  if (opts.dim < 0) return Status::InvalidArgument(fmt::format("federated: dimension {} is negative (0 = the preset's)", opts.dim));
  // The workers look the preset up too: an unknown one fails here, before any worker starts.
  auto preset = GetPreset(opts.preset, opts.model, ds.num_entities());
  if (!preset.ok()) return preset.status();
  FederatedReport rep;
  rep.entities = ds.num_entities();
  rep.relations = ds.num_relations();
  rep.train_triples = ds.train.size();
  rep.test_triples = ds.test.size();
  const int S = opts.shards;
  const size_t E = ds.num_entities(), R = ds.num_relations();

  // Work folder, private to this run.
  std::string tmpl = (fs::temp_directory_path() / "kgp-federated-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) return Status::IoError("federated: cannot create a work folder");
  const fs::path work = tmpl;
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{work};

  // Shards: files of names, and per-shard counts of triples touching each row.
  bool by_user = false;
  for (size_t e = 0; e < E && !by_user; ++e) by_user = IsUser(ds.entities.name(static_cast<uint32_t>(e)));
  std::vector<OutFile> files(static_cast<size_t>(S));
  std::vector<std::vector<float>> ent_w(static_cast<size_t>(S), std::vector<float>(E, 0.0f));
  std::vector<std::vector<float>> rel_w(static_cast<size_t>(S), std::vector<float>(R, 0.0f));
  rep.shard_triples.assign(static_cast<size_t>(S), 0);
  for (int s = 0; s < S; ++s) KGP_RETURN_IF_ERROR(files[static_cast<size_t>(s)].Open((work / fmt::format("shard{}.tsv", s)).string()));
  for (const Triple& t : ds.train) {
    const std::string &h = ds.entities.name(t.h), &tl = ds.entities.name(t.t), &r = ds.relations.name(t.r);
    int s = ShardOf(h, tl, S, by_user);
    if (s < 0) ++rep.replicated_triples;
    for (int k = s < 0 ? 0 : s; k < (s < 0 ? S : s + 1); ++k) {
      const size_t ks = static_cast<size_t>(k);
      files[ks].Write(fmt::format("{}\t{}\t{}\n", h, r, tl));
      ent_w[ks][t.h] += 1;
      ent_w[ks][t.t] += 1;
      rel_w[ks][t.r] += 1;
      ++rep.shard_triples[ks];
    }
  }
  for (auto& f : files) KGP_RETURN_IF_ERROR(f.Close());
  if (Status s = CheckEveryShardTrains(ds, rep.shard_triples, by_user); !s.ok()) return s;

  // Round 0: the coordinator initialises the global model (no training).
  auto t_fed = std::chrono::steady_clock::now();
  auto model = MakeModel([&] {
    ModelConfig mc = preset->model;
    mc.name = opts.model;
    if (opts.dim > 0) mc.dim = opts.dim;
    return mc;
  }());
  if (!model.ok()) return model.status();
  Checkpoint global;
  global.config = (*model)->config();
  Rng rng(opts.seed);
  (*model)->Allocate(global.params, E, R, rng);
  global.entity_names = ds.entities.names();
  global.relation_names = ds.relations.names();
  const std::string global_path = (work / "global.bin").string();

  for (int round = 1; round <= opts.rounds; ++round) {
    auto t0 = std::chrono::steady_clock::now();
    global.epochs_done = (round - 1) * opts.local_epochs;
    KGP_RETURN_IF_ERROR(SaveCheckpoint(global_path, global));
    std::vector<pid_t> pids;
    for (int s = 0; s < S; ++s) {
      auto pid = Spawn({opts.binary, "-q", "kge", "federated-worker", "--global", global_path, "--triples",
                        (work / fmt::format("shard{}.tsv", s)).string(), "--out",
                        (work / fmt::format("update{}.bin", s)).string(), "--preset", opts.preset, "--epochs",
                        std::to_string(opts.local_epochs), "--seed",
                        std::to_string(opts.seed * 1000003 + static_cast<uint64_t>(round) * 101 + static_cast<uint64_t>(s))});
      if (!pid.ok()) {
        for (pid_t p : pids) ::waitpid(p, nullptr, 0);
        return pid.status();
      }
      pids.push_back(*pid);
    }
    Status failed;
    for (int s = 0; s < S; ++s) {
      int st = 0;
      if (::waitpid(pids[static_cast<size_t>(s)], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        if (failed.ok()) failed = Status::Internal(fmt::format("federated: worker for shard {} failed in round {}", s, round));
    }
    KGP_RETURN_IF_ERROR(failed);
    // FedAvg, row by row, weighted by the shard's triples touching the row.
    std::vector<double> ent(global.params.entity.size(), 0.0), rel(global.params.relation.size(), 0.0);
    std::vector<double> ent_sum(E, 0.0), rel_sum(R, 0.0);
    const size_t ew = global.params.entity_width, rw = global.params.relation_width;
    for (int s = 0; s < S; ++s) {
      const size_t ks = static_cast<size_t>(s);
      auto local = LoadCheckpoint((work / fmt::format("update{}.bin", s)).string());
      if (!local.ok()) return local.status();
      if (local->params.entity.size() != ent.size() || local->params.relation.size() != rel.size())
        return Status::Corruption(fmt::format("federated: shard {} returned tables of the wrong size", s));
      for (size_t e = 0; e < E; ++e) {
        const float w = ent_w[ks][e];
        if (w == 0) continue;
        ent_sum[e] += w;
        for (size_t d = 0; d < ew; ++d) ent[e * ew + d] += w * local->params.entity[e * ew + d];
      }
      for (size_t r = 0; r < R; ++r) {
        const float w = rel_w[ks][r];
        if (w == 0) continue;
        rel_sum[r] += w;
        for (size_t d = 0; d < rw; ++d) rel[r * rw + d] += w * local->params.relation[r * rw + d];
      }
    }
    for (size_t e = 0; e < E; ++e)
      if (ent_sum[e] > 0)
        for (size_t d = 0; d < ew; ++d) global.params.entity[e * ew + d] = static_cast<float>(ent[e * ew + d] / ent_sum[e]);
    for (size_t r = 0; r < R; ++r)
      if (rel_sum[r] > 0)
        for (size_t d = 0; d < rw; ++d) global.params.relation[r * rw + d] = static_cast<float>(rel[r * rw + d] / rel_sum[r]);
    FederatedRound fr;
    fr.round = round;
    fr.seconds = Since(t0);
    fr.valid_mrr = EvaluateTest(global, ds, 500).mrr;
    LOG_INF("federated round {}/{}: {:.2f}s, test MRR (500 sampled) {:.4f}", round, opts.rounds, fr.seconds, fr.valid_mrr);
    rep.rounds.push_back(fr);
  }
  global.epochs_done = opts.rounds * opts.local_epochs;
  global.info = {{"federated", {{"shards", S}, {"rounds", opts.rounds}, {"local_epochs", opts.local_epochs},
                                {"preset", opts.preset}}}};
  rep.federated_seconds = Since(t_fed);
  rep.federated = EvaluateTest(global, ds, 0);

  if (opts.central) {
    auto t0 = std::chrono::steady_clock::now();
    auto to = WorkerTrainOptions(opts.preset, opts.model, E, opts.rounds * opts.local_epochs, opts.seed, opts.central_threads);
    if (!to.ok()) return to.status();
    auto central = TrainModel(ds, global.config, *to, nullptr, nullptr);
    if (!central.ok()) return central.status();
    rep.central_seconds = Since(t0);
    rep.central = EvaluateTest(*central, ds, 0);
  }
  if (global_out) *global_out = std::move(global);
  return rep;
}

}  // namespace kgp::privacy
