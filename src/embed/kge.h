// The embedding stage as one call each for the CLI, benchmarks and other stages: train (fresh
// or resumed), evaluate a checkpoint, and turn a workspace graph into triples.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "embed/checkpoint.h"
#include "embed/dataset.h"
#include "embed/evaluator.h"
#include "embed/model.h"
#include "embed/presets.h"
#include "embed/trainer.h"

namespace kgp {
class Graph;
}

namespace kgp::embed {

// Trains on ds.train. With resume, continues from its tables and optimizer state (its names
// must be a prefix of ds's dictionaries: the same data, perhaps with new entities appended).
// With init (and no resume), training starts from init's tables instead of random ones, with
// a fresh optimizer: init must be a checkpoint of the same graph and either the same model and
// dimensions, or TransE for a TransR whose dim and relation_dim equal TransE's dim — TransR
// then starts as that TransE (entity rows and translations copied, projections the identity),
// as Lin et al. 2015 initialise it. Fresh tables that already score NaN or infinity (an init or
// gamma near float's limit) are InvalidArgument naming --init and --gamma, before any epoch.
Result<Checkpoint> TrainModel(const Dataset& ds, const ModelConfig& mc, const TrainOptions& to, const Checkpoint* resume,
                              TrainReport* report, const std::function<void(const EpochReport&)>& on_epoch = {},
                              const Checkpoint* init = nullptr);

// The training options a checkpoint was trained with (its optimizer, lr, negatives, loss, ...,
// seed, validation; not epochs or threads) written over *o; options an older checkpoint did
// not record keep o's values. `kge train --resume` starts from these, then applies the
// options given on the command line.
Status RecordedOptions(const Checkpoint& c, TrainOptions* o);

// Trains with a preset (embed/presets.h). When the preset has a warm start and neither
// resume nor init is given, the warm-start model is trained first on ds at the preset's dim,
// threads and seed, and the preset's model starts from it (as with init); warm_report, if
// given, gets its report (epochs_run 0 when there was none). A TransR whose relation_dim
// differs from its dim cannot start from a TransE and starts from random tables.
Result<Checkpoint> TrainPreset(const Dataset& ds, const Preset& preset, const Checkpoint* resume, const Checkpoint* init,
                               TrainReport* report, TrainReport* warm_report = nullptr,
                               const std::function<void(const EpochReport&)>& on_epoch = {});

Result<std::unique_ptr<Model>> ModelOf(const Checkpoint& c);

// Every graph edge becomes a triple (source spec, edge type name, target spec), e.g.
// (user:42, PURCHASED, product:7). Entity names are the graph's node specs. A share
// `holdout` of the edges (lowered so that about max_holdout are chosen, and at most that many;
// chosen by a hash of the triple's ids) goes to the test split, for a quality figure; the rest
// trains.
// With `until`, only edges that existed then (first_ts <= until; catalogue edges have no
// time) become triples: the graph as of an earlier moment, for honest temporal evaluation.
// Names already in seed's dictionaries keep their ids and the graph's other nodes follow
// (continuing a checkpoint after the graph grew: a new product is appended, not inserted).
Dataset DatasetFromGraph(const Graph& g, double holdout, size_t max_holdout,
                         std::optional<int64_t> until = std::nullopt, Dataset seed = {});

// Workspace file layout of the stage.
std::string WorkspaceModelPath(const std::string& workspace_dir);

}  // namespace kgp::embed
