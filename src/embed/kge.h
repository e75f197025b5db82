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
// (user:42, PURCHASED, product:7). Entity names are the graph's node specs. The test split
// holds the edges whose place, a hash of the triple's three names in [0, 1), is below a
// threshold: `holdout`, lowered so that about max_holdout edges are held out (and further, to
// the max_holdout-th smallest place, so that never more), and to below_at_most. The rule
// (kGraphHoldoutRule) and the threshold are set in the dataset's holdout_rule and holdout_below.
// Names do not change when the graph is rebuilt with new nodes, nor when a checkpoint's rows
// are renumbered (erasure, names dropped on --resume), so a run continuing a checkpoint with
// below_at_most its threshold (HoldoutBelowAtMost) holds out only edges it held out too, or
// edges new to the graph: never one it trained on.
// With `until`, only edges that existed then (first_ts <= until; catalogue edges have no
// time) become triples: the graph as of an earlier moment, for honest temporal evaluation.
// Names already in seed's dictionaries keep their ids and the graph's other nodes follow
// (continuing a checkpoint after the graph grew: a new product is appended, not inserted).
Dataset DatasetFromGraph(const Graph& g, double holdout, size_t max_holdout,
                         std::optional<int64_t> until = std::nullopt, Dataset seed = {}, double below_at_most = 1.0);

// DatasetFromGraph's hold-out rule, as a checkpoint records it. Workspace checkpoints written
// before it recorded one chose their held-out edges by other rules (graph node ids, then
// dictionary ids), which renumbering changes.
inline constexpr const char* kGraphHoldoutRule = "edge-names-hash/1";

// What a checkpoint trained on ds records of its held-out edges (info "holdout"): the rule and
// threshold, and "mixed" (why, in words) when its tables continue `from` (--resume,
// --init-from) whose held-out edges were other ones (HoldoutConflict), so that every later run
// from it is known to test on edges these tables trained on. Null for a folder's own split.
nlohmann::json HoldoutRecord(const Dataset& ds, const Checkpoint* from);
// Marks c's record "mixed" (why: in words) when names it was trained under changed (user ids
// re-keyed): the edges they are in have other places now, so other edges are held out.
void MarkHoldoutMixed(Checkpoint& c, const std::string& why);
// The threshold a workspace run continuing c holds out below: c's own when it recorded
// kGraphHoldoutRule, else 1 (no bound).
double HoldoutBelowAtMost(const Checkpoint& c);
// Why ds's test triples may be edges the tables of c (continued or started from) trained on, or
// empty when they cannot be: c records no held-out edges (an older checkpoint) or another rule,
// or it is "mixed" itself. Always empty for a folder's own split (ds.holdout_rule empty).
std::string HoldoutConflict(const Checkpoint& c, const Dataset& ds);

// Workspace file layout of the stage.
std::string WorkspaceModelPath(const std::string& workspace_dir);

}  // namespace kgp::embed
