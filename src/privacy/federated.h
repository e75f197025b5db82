// Federated training of graph embeddings (docs/federated.md): the triples are split into shards
// by user (a user's interactions live in exactly one shard; catalogue triples, which describe
// no one, are in every shard), each shard trains locally in its own process, and model
// parameters travel: each round the coordinator sends each shard the global rows its triples
// touch (its users, the catalogue, the relations; no other shard's users), starts one worker
// process per shard (posix_spawn of the kgprofile binary: `kge federated-worker`, at most
// max_workers at once), and averages what they return, row by row, weighted by the number of
// the shard's triples that touch the row (FedAvg weighted by triples; a row no shard touched
// keeps its value). docs/federated.md lists exactly what crosses a shard's boundary.
// The coordinator runs on one machine here and writes the shard files itself, into a private
// temporary folder that is removed at the end, on an error, and on SIGINT, SIGTERM or SIGHUP
// (the workers are killed first; then the signal takes its course).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "embed/checkpoint.h"
#include "embed/dataset.h"
#include "embed/evaluator.h"

namespace kgp::privacy {

struct FederatedOptions {
  int shards = 4;
  int rounds = 10;
  int local_epochs = 1;
  std::string preset = "ecommerce";  // embed/presets.h
  std::string model = "transe";
  int dim = 0;                       // 0 = the preset's
  uint64_t seed = 1;
  std::string binary;                // the kgprofile executable the workers run
  bool central = true;               // also train centrally for (rounds × local_epochs) epochs
  int central_threads = 2;           // 0 = all cores
  int max_workers = 0;               // worker processes at once (each loads its shard's rows); 0 = cores
  // Where the work folder (shard files, updates: user ids and their triples) is made, as
  // federated.tmp.PID.N; "" = the system's temporary folder. A workspace's own folder keeps a
  // killed run's folder within erasure's reach (privacy/files.h RemoveStaleTempFiles).
  std::string work_parent;
};

struct FederatedRound {
  int round = 0;
  double seconds = 0;
  double valid_mrr = -1;  // filtered MRR of the averaged model on the test split (sampled); -1: no test split
  float lr_first = 0, lr_last = 0;  // the learning rate of the workers' first and last updates
};

struct FederatedReport {
  size_t entities = 0, relations = 0, train_triples = 0, test_triples = 0;
  std::vector<size_t> shard_triples;  // per shard (catalogue triples counted in each)
  size_t replicated_triples = 0;      // triples naming no user, given to every shard
  std::vector<FederatedRound> rounds;
  int workers_at_once = 0;            // the most worker processes run at the same time
  embed::Metrics federated, central;  // filtered, on the test split (count 0: no test split)
  bool has_central = false;           // central was trained
  double federated_seconds = 0, central_seconds = 0;
  nlohmann::json Json() const;
};

// Which shard a triple belongs to: the shard of the user it names (hash of the name), -1 for
// triples naming no user. When the data names no users at all (a plain KG), the head entity
// decides instead, so that every triple has one shard.
int ShardOf(const std::string& head, const std::string& tail, int shards, bool by_user);

// Trains on ds.train federatedly (and centrally when opts.central), evaluates both on ds.test.
// *global receives the final federated checkpoint.
Result<FederatedReport> TrainFederated(const embed::Dataset& ds, const FederatedOptions& opts,
                                       embed::Checkpoint* global);

// One worker round: loads the shard's view of the global model (global: a checkpoint of the rows
// and names the shard's triples touch, epochs_done = the epochs before this round), trains
// local_epochs on the shard's triples (a head<TAB>relation<TAB>tail file of row numbers of that
// checkpoint) with the learning rate of a run of schedule_epochs epochs, and writes the local
// parameters to out (no optimizer state; info: the first and last learning rate used).
struct WorkerArgs {
  std::string global, triples, out, preset = "ecommerce";
  int epochs = 1;
  int schedule_epochs = 0;  // 0: epochs_done + epochs
  uint64_t seed = 1;
};
Status RunFederatedWorker(const WorkerArgs& a);

}  // namespace kgp::privacy
