// Hogwild training (fastText style): each thread walks its share of a shuffled epoch with its
// own random generator and gradient buffers and writes the shared tables without locks; no
// shared counter is touched in the hot loop. threads = 1 is deterministic for a given seed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "embed/dataset.h"
#include "embed/model.h"
#include "embed/optimizer.h"

namespace kgp::embed {

enum class Loss { kMargin, kLogSigmoid };
enum class Sampler { kUniform, kBernoulli };
// Multithreaded epochs: plain hogwild (every thread anywhere in the tables) or partitioned
// (embed/partition.h: each thread on its own parts of the entity table in turn, relation rows
// copied per thread and merged often). kAuto: partitioned with 2 or more threads when each of
// the 2 * threads parts holds at least kPartitionMinPerPart entities (parts of a few dozen
// entities cost ComplEx and DistMult accuracy on UMLS) and each thread's list in a round, on
// average, at least kPartitionMinPerList training triples (the threads meet at a barrier between
// rounds, and a round of short lists is mostly waiting). WN18RR (40,943 entities, 86,835
// triples) is partitioned with 2 or 3 threads, not with 4.
enum class Partition { kAuto, kOn, kOff };
inline constexpr size_t kPartitionMinPerPart = 1024;
inline constexpr size_t kPartitionMinPerList = 4096;
// More threads than this train plain hogwild even with kOn: an epoch has 2 * threads - 1
// rounds, each ending at a barrier, and each part 1 / (2 * threads) of the entities.
inline constexpr int kPartitionMaxThreads = 64;

struct TrainOptions {
  int epochs = 100;
  int threads = 0;  // 0 = all cores
  uint64_t seed = 1;
  float lr = 0.001f;
  bool linear_decay = false;  // lr falls linearly to 0 over the run (else constant)
  UpdateRule update;
  Loss loss = Loss::kLogSigmoid;
  float margin = 1.0f;            // margin loss only
  float adversarial_temperature = 0;  // log-sigmoid: self-adversarial weights softmax(T * s); 0 = mean
  int negatives = 1;              // per positive
  int batch = 1;                  // positives sharing one draw of negatives (see trainer.cc)
  Sampler sampler = Sampler::kUniform;
  Partition partition = Partition::kAuto;
  bool filter_negatives = false;  // drop drawn negatives that are known training triples
  // Early stopping: every valid_every epochs, filtered MRR on (up to valid_sample of) the
  // validation triples; stop after `patience` checks without improvement and keep the best.
  int valid_every = 0;
  size_t valid_sample = 0;  // 0 = all
  int patience = 0;         // 0 = never stop early (still keeps the best, with its optimizer state)
  int start_epoch = 0;      // resuming: epochs already done (for the lr schedule and logs)
  // Length of the linear decay in epochs: the rate reaches 0 at this epoch (0 = start_epoch +
  // epochs). A run trained in pieces (federated rounds) gives the whole run's length, so that
  // each piece follows the schedule of one uninterrupted run.
  int schedule_epochs = 0;
};

struct EpochReport {
  int epoch;           // 1-based, counting from the first epoch ever (resume included)
  double loss;         // mean loss per positive
  double seconds;      // this epoch
  double valid_mrr;    // < 0 when not validated this epoch
  bool best;
};

struct TrainReport {
  int epochs_run = 0;
  int best_epoch = 0;
  int kept_epoch = 0;          // the epoch (counting resumed ones) whose tables and optimizer state were returned
  double best_valid_mrr = -1;
  double seconds = 0;          // training only (validation excluded)
  double triples_per_second = 0;  // positives per second of training
  double final_loss = 0;
  float first_lr = 0, last_lr = 0;  // the rates of the run's first and last updates
  bool partitioned = false;         // epochs ran partitioned (Partitioned())
  uint64_t positives = 0;           // training triples taken over all epochs (each once per epoch)
};

// The learning rate after epochs_done epochs (fractions count) of the run: o.lr, or with
// linear_decay o.lr * (1 - epochs_done / length) (length: schedule_epochs, else start_epoch +
// epochs), at least 1e-4 of o.lr.
float ScheduledLr(const TrainOptions& o, double epochs_done);

Result<Loss> ParseLoss(const std::string& name);
Result<Sampler> ParseSampler(const std::string& name);
Result<Partition> ParsePartition(const std::string& name);
const char* PartitionName(Partition p);
// Whether an epoch of these options runs partitioned, with this many threads (as started:
// ThreadsFor) on this many entities and training triples.
bool Partitioned(const TrainOptions& o, int threads, size_t num_entities, size_t train_triples);
// The threads Train starts for these options on this many training triples.
int ThreadsFor(const TrainOptions& o, size_t train_triples);

// Trains params (already allocated for the model) on ds.train. state carries optimizer
// moments across calls (resume). on_epoch, if set, sees every epoch. When validating, params
// and state are returned as they were after the best epoch (report.kept_epoch), not the last:
// a copy of both is kept while training (with Adam three times the tables' size, Adagrad
// twice, SGD once).
Result<TrainReport> Train(const Model& model, Params& params, OptimizerState& state, const Dataset& ds,
                          const TrainOptions& opts, const std::function<void(const EpochReport&)>& on_epoch = {});

int DefaultThreads();

}  // namespace kgp::embed
