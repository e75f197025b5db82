// kgprofile kge train | eval | predict | export: knowledge-graph embeddings.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "common/log.h"
#include "common/out_file.h"
#include "common/strings.h"
#include "common/time.h"
#include "embed/ann.h"
#include "embed/kge.h"
#include "embed/predict.h"
#include "embed/presets.h"
#include "privacy/erase.h"
#include "store/commit_lock.h"

namespace kgp::cli {
namespace {

using namespace kgp::embed;

// Options that override the preset only when given on the command line.
struct TrainArgs {
  std::string workspace, data, out, resume, init_from, preset = "auto", model = "transe", export_dir;
  ModelConfig mc;
  TrainOptions to;
  std::string optimizer, loss, sampler, reg, partition;
  float lr = 0, reg_weight = 0;
  bool eval = true;
  std::vector<std::pair<CLI::Option*, std::function<void(Preset&)>>> overrides;
  CLI::Option *model_opt = nullptr, *dim_opt = nullptr, *relation_dim_opt = nullptr;
  std::vector<CLI::Option*> model_opts;  // --gamma, --norm, --init, --max-norm: fixed by a checkpoint
};

template <class T>
CLI::Option* Override(CLI::App* cmd, TrainArgs* a, const std::string& flag, T* value, const std::string& help,
                      std::function<void(Preset&, T)> apply) {
  auto* opt = cmd->add_option(flag, *value, help);
  a->overrides.emplace_back(opt, [value, apply](Preset& p) { apply(p, *value); });
  return opt;
}

// A switch NAME with its negation --no-NAME, so that a preset's or a resumed checkpoint's
// setting can be turned off as well as on.
void Switch(CLI::App* cmd, TrainArgs* a, const std::string& name, bool* value, const std::string& help,
            std::function<void(Preset&, bool)> apply) {
  auto* opt = cmd->add_flag("--" + name + ",!--no-" + name, *value, help);
  a->overrides.emplace_back(opt, [value, apply](Preset& p) { apply(p, *value); });
}

nlohmann::json MetricsJson(const Metrics& m) {
  return {{"count", m.count}, {"mr", m.mr}, {"mrr", m.mrr}, {"hits@1", m.hits1}, {"hits@3", m.hits3},
          {"hits@10", m.hits10}};
}

std::string MetricsLine(const Metrics& m) {
  return fmt::format("MRR {:.4f}  MR {:.1f}  Hits@1 {:.4f}  Hits@3 {:.4f}  Hits@10 {:.4f}  ({} ranks)", m.mrr, m.mr,
                     m.hits1, m.hits3, m.hits10, m.count);
}

nlohmann::json EvalJson(const EvalResult& r, const std::vector<std::string>& relations) {
  nlohmann::json per = nlohmann::json::object();
  for (const auto& x : r.per_relation) per[relations[x.relation]] = MetricsJson(x.filtered);
  return {{"filtered", MetricsJson(r.filtered)}, {"raw", MetricsJson(r.raw)},
          {"filtered_head", MetricsJson(r.filtered_head)}, {"filtered_tail", MetricsJson(r.filtered_tail)},
          {"raw_head", MetricsJson(r.raw_head)}, {"raw_tail", MetricsJson(r.raw_tail)},
          {"per_relation", per}, {"seconds", r.seconds}};
}

void PrintEval(const EvalResult& r, const std::vector<std::string>& relations, bool per_relation) {
  std::cout << "filtered  " << MetricsLine(r.filtered) << "\n";
  std::cout << "  heads   " << MetricsLine(r.filtered_head) << "\n";
  std::cout << "  tails   " << MetricsLine(r.filtered_tail) << "\n";
  std::cout << "raw       " << MetricsLine(r.raw) << "\n";
  if (per_relation)
    for (const auto& x : r.per_relation)
      std::cout << fmt::format("  {:<32} {}\n", relations[x.relation], MetricsLine(x.filtered));
  std::cout << fmt::format("evaluated in {:.2f}s (tie: mean rank of the ties)\n", r.seconds);
}

// A checkpoint whose names the data does not hold: what to do instead is said.
[[noreturn]] void NotTheSameGraph(const TrainArgs& a, const std::string& data, size_t missing, size_t names,
                                  const std::string& example) {
  const std::string opt = a.resume.empty() ? "--init-from" : "--resume";
  throw Error(Status::InvalidArgument(fmt::format(
      "{}: {} of the {} names of {} are not in {} (e.g. {}): not the same graph. Give {} a checkpoint "
      "trained on this data, or train without {} to start a new model",
      opt, missing, names, a.resume.empty() ? a.init_from : a.resume, data, example, opt, opt)));
}

// Names keep their rows when a run continues a checkpoint (LoadData), but every name it holds
// must be in the data (in a triple of --data, or a node of the workspace's graph g, whose lost
// names were dropped first; a relation in a triple): another graph is not continued.
void RequireCheckpointNames(const Checkpoint& from, const Dataset& ds, const Graph* g, const TrainArgs& a,
                            const std::string& data) {
  std::vector<char> seen_e(ds.num_entities()), seen_r(ds.num_relations());
  for (const auto* split : {&ds.train, &ds.valid, &ds.test})
    for (const Triple& x : *split) seen_e[x.h] = seen_e[x.t] = seen_r[x.r] = 1;
  size_t missing = 0;
  std::string example;
  for (size_t e = 0; e < from.entity_names.size(); ++e)
    if (!(g ? g->FindSpec(from.entity_names[e]).has_value() : seen_e[e]) && missing++ == 0)
      example = "entity '" + from.entity_names[e] + "'";
  for (size_t r = 0; r < from.relation_names.size(); ++r)
    if (!seen_r[r] && missing++ == 0) example = "relation '" + from.relation_names[r] + "'";
  if (missing > 0)
    NotTheSameGraph(a, data, missing, from.entity_names.size() + from.relation_names.size(), example);
}

// On a workspace, the graph may have lost nodes since the checkpoint was trained (a placeholder
// category merged into its named one by a later ingest): their rows are dropped, and the
// rest continue. A checkpoint most of whose entities (more than half) are not in the graph is
// of another graph and refused. Returns how many rows were dropped.
size_t DropEntitiesTheGraphLost(Checkpoint& from, const Graph& g, const TrainArgs& a, const std::string& data) {
  std::vector<std::string> gone;
  for (const auto& name : from.entity_names)
    if (!g.FindSpec(name)) gone.push_back(name);
  if (gone.empty()) return 0;
  if (gone.size() * 2 > from.entity_names.size())
    NotTheSameGraph(a, data, gone.size(), from.entity_names.size() + from.relation_names.size(),
                    "entity '" + gone.front() + "'");
  LOG_WRN("{}: {} of its {} entities are no longer in {} (e.g. '{}'): their rows are dropped, the others continue",
          a.resume.empty() ? a.init_from : a.resume, gone.size(), from.entity_names.size(), data, gone.front());
  return privacy::RemoveEntities(from, gone);
}

// `from`: a checkpoint the run continues or starts from; its names keep their ids, so the
// same graph with its lines in another order, or with new entities, is still the same graph.
// On a workspace, names its graph lost are dropped from *from first (*dropped: how many), and
// the held-out edges stay within from's (HoldoutBelowAtMost).
Dataset LoadData(const TrainArgs& a, Checkpoint* from, size_t* dropped) {
  *dropped = 0;
  if (!a.data.empty()) {
    auto ds = LoadDatasetDir(a.data, from ? SeededDataset(from->entity_names, from->relation_names) : Dataset{});
    ThrowIfError(ds.status());
    if (from) RequireCheckpointNames(*from, *ds, nullptr, a, a.data);
    return std::move(ds).value();
  }
  auto ws = OpenWorkspace(a.workspace);
  Graph g = LoadGraph(*ws);
  const std::string data = a.workspace + "'s graph";
  if (from) *dropped = DropEntitiesTheGraphLost(*from, g, a, data);
  Dataset ds = DatasetFromGraph(g, 0.01, 2000, std::nullopt,
                                from ? SeededDataset(from->entity_names, from->relation_names) : Dataset{},
                                from ? HoldoutBelowAtMost(*from) : 1.0);
  if (from) RequireCheckpointNames(*from, ds, &g, a, data);
  return ds;
}

// The workspace whose models/ folder holds the file at `path` (however the path is written:
// relative, from inside models/, a subfolder of it), or "" when none does: a checkpoint saved
// or indexed there is committed under that workspace's commit lock, as erasure cleans the folder.
std::string WorkspaceHolding(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path abs = std::filesystem::weakly_canonical(std::filesystem::absolute(path, ec), ec);
  for (auto dir = abs.parent_path(); !ec && dir.has_relative_path(); dir = dir.parent_path())
    if (dir.filename() == "models" && std::filesystem::exists(dir.parent_path() / kDbFile, ec))
      return dir.parent_path().string();
  return "";
}

// An output folder (-o of kge export, --export of kge train) and the files it will hold.
void RequireWritableFolder(const std::string& option, const std::string& dir, const std::vector<std::string>& files) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec))
    throw Error(Status::InvalidArgument(fmt::format("{} {}: not a folder", option, dir)));
  for (const auto& f : files) RequireWritableFile(option, (std::filesystem::path(dir) / f).string());
}

int RunTrain(const Globals& globals, TrainArgs& a) {
  if (a.data.empty() == a.workspace.empty())
    throw Error(Status::InvalidArgument("give either WORKSPACE or --data DIR (train.txt, valid.txt, test.txt)"));
  if (!a.workspace.empty() && std::filesystem::is_regular_file(std::filesystem::path(a.workspace) / "train.txt"))
    throw Error(Status::InvalidArgument(
        fmt::format("{} holds train.txt: a KG folder, not a workspace (train on it with --data {})", a.workspace, a.workspace)));
  std::unique_ptr<Checkpoint> resume;
  if (!a.resume.empty()) {
    auto c = LoadCheckpoint(a.resume);
    ThrowIfError(c.status());
    resume = std::make_unique<Checkpoint>(std::move(c).value());
    // The checkpoint's model and tables continue: a different model or size cannot.
    const ModelConfig& rc = resume->config;
    bool model_flag = false;
    for (const CLI::Option* o : a.model_opts) model_flag = model_flag || o->count() > 0;
    if ((a.model_opt->count() && a.model != rc.name) || (a.dim_opt->count() && a.mc.dim != rc.dim) ||
        (a.relation_dim_opt->count() && a.mc.relation_dim != rc.relation_dim) || model_flag)
      throw Error(Status::InvalidArgument(fmt::format(
          "--resume continues {}'s {} of dim {}: -m, --dim, --relation-dim, --gamma, --norm, --init and --max-norm "
          "cannot change it (use --init-from to start a new model from it)",
          a.resume, rc.name, rc.dim)));
    a.model = rc.name;
  }
  if (a.relation_dim_opt->count() && a.model != "transr")
    throw Error(Status::InvalidArgument(
        fmt::format("--relation-dim is the relation space of -m transr; the model trained is {}", a.model)));
  std::unique_ptr<Checkpoint> init;
  if (!a.init_from.empty()) {
    auto c = LoadCheckpoint(a.init_from);
    ThrowIfError(c.status());
    init = std::make_unique<Checkpoint>(std::move(c).value());
  }
  Checkpoint* from = resume ? resume.get() : init.get();
  size_t dropped = 0;
  Dataset ds = LoadData(a, from, &dropped);  // first: a mistyped WORKSPACE must not get a models/ folder below
  // Tables that may have trained on edges held out now: the test figure says so (the training
  // itself is sound, so it goes on; the checkpoint it writes records it, for later runs).
  const std::string not_comparable = from ? HoldoutConflict(*from, ds) : std::string();
  const bool evaluate = a.eval && !ds.test.empty();
  if (evaluate && !not_comparable.empty())
    LOG_WRN("the test figures of this run are not comparable with a fresh run's: {}. Train without {} for a "
            "comparable figure", not_comparable, a.resume.empty() ? "--init-from" : "--resume");
  const std::string out =
      !a.out.empty() ? a.out : !a.workspace.empty() ? WorkspaceModelPath(a.workspace) : fmt::format("{}.kge", a.model);
  RequireWritableFile(a.out.empty() ? "checkpoint" : "-o", out);
  if (!a.export_dir.empty()) RequireWritableFolder("--export", a.export_dir, {"entities.tsv", "relations.tsv"});
  std::string preset_name = a.preset;
  if (!a.workspace.empty() && preset_name == "auto") preset_name = "ecommerce";
  auto preset = GetPreset(preset_name, a.model, ds.num_entities());
  ThrowIfError(preset.status());
  // A resumed run continues with the checkpoint's own training options; the command line's override them.
  if (resume) {
    if (Status s = RecordedOptions(*resume, &preset->train); !s.ok())
      throw Error(Status::Corruption(fmt::format("{}: {}", a.resume, s.message())));
  }
  for (auto& [opt, apply] : a.overrides)
    if (opt->count() > 0) apply(*preset);
  LOG_INF("{}: {} entities, {} relations, {} train / {} valid / {} test triples ({} entities unseen in train)",
          a.data.empty() ? a.workspace : a.data, ds.num_entities(), ds.num_relations(), ds.train.size(),
          ds.valid.size(), ds.test.size(), ds.CountUnseenInTrain());
  if (resume) preset->model = resume->config;  // what TrainPreset continues, for the log
  const int threads = ThreadsFor(preset->train, ds.train.size());
  LOG_INF("model {} dim {} ({}), {} epochs, {} negatives, lr {}, {} threads{}", preset->model.name, preset->model.dim,
          resume ? "options of " + a.resume : preset->name + " preset", preset->train.epochs, preset->train.negatives,
          preset->train.lr, threads,
          Partitioned(preset->train, threads, ds.num_entities(), ds.train.size()) ? " (partitioned epochs)" : "");
  TrainReport rep, warm_rep;
  auto ck = TrainPreset(ds, *preset, resume.get(), init.get(), &rep, &warm_rep);
  ThrowIfError(ck.status());
  nlohmann::json j = {{"checkpoint", out}, {"model", ck->config.name}, {"dim", ck->config.dim},
                      {"preset", preset->name}, {"entities", ds.num_entities()}, {"relations", ds.num_relations()},
                      {"train_triples", ds.train.size()}, {"epochs", rep.epochs_run}, {"epochs_total", ck->epochs_done},
                      {"seconds", rep.seconds}, {"triples_per_second", rep.triples_per_second},
                      {"final_loss", rep.final_loss}, {"best_valid_mrr", rep.best_valid_mrr},
                      {"best_epoch", rep.best_epoch}};
  if (dropped > 0) j["rows_dropped_not_in_graph"] = dropped;
  if (warm_rep.epochs_run > 0)
    j["warm_start"] = {{"model", preset->warm_start->model.name}, {"epochs", warm_rep.epochs_run},
                       {"seconds", warm_rep.seconds}, {"best_valid_mrr", warm_rep.best_valid_mrr}};
  else if (!a.init_from.empty()) j["init_from"] = a.init_from;
  // The commit: on a workspace, under its commit lock, without the users erased while this run
  // trained (they were in the graph it read; erasure cleaned the files then, and waits for this
  // save and export). A --data run saving into a workspace's models/ folder takes that
  // workspace's lock too, so as not to save while an erasure cleans the folder (its triples are
  // not the store's graph: nothing is dropped by the store's users). The evaluation below reads
  // rows by the dataset's ids: it keeps *ck.
  std::optional<CommitLock> commit;
  std::optional<Checkpoint> pruned;
  if (a.workspace.empty()) {
    if (const std::string home = WorkspaceHolding(out); !home.empty())
      commit.emplace(Unwrap(CommitLock::Acquire(home, "kge train")));
  } else {
    commit.emplace(Unwrap(CommitLock::Acquire(a.workspace, "kge train")));
    auto ws = OpenWorkspace(a.workspace);
    if (auto gone = privacy::ErasedUserEntities(ws->db(), *ck); !gone.empty()) {
      pruned.emplace(*ck);
      j["erased_rows_dropped"] = privacy::RemoveEntities(*pruned, gone);
    }
  }
  const Checkpoint& saved = pruned ? *pruned : *ck;
  ThrowIfError(SaveCheckpoint(out, saved));
  // The neighbour index of the previous tables would only be refused from now on.
  if (std::error_code ec; std::filesystem::remove(IndexPathFor(out), ec))
    LOG_INF("removed {}: built from the previous tables (kgprofile kge index builds it again)", IndexPathFor(out));
  if (!a.export_dir.empty()) {
    std::filesystem::create_directories(a.export_dir);
    auto p = [&](const char* f) { return (std::filesystem::path(a.export_dir) / f).string(); };
    ThrowIfError(ExportTsv(p("entities.tsv"), saved.entity_names, saved.params.entity, saved.params.entity_width));
    ThrowIfError(ExportTsv(p("relations.tsv"), saved.relation_names, saved.params.relation, saved.params.relation_width));
    j["export"] = a.export_dir;
  }
  commit.reset();
  pruned.reset();
  EvalResult ev;
  if (evaluate) {
    auto model = ModelOf(*ck);
    ThrowIfError(model.status());
    KnownTriples known({&ds.train, &ds.valid, &ds.test});
    EvalOptions eo;
    eo.threads = preset->train.threads;
    ev = Evaluate(**model, ck->params, ds.test, known, eo);
    j["test"] = EvalJson(ev, ds.relations.names());
    j["test"]["comparable"] = not_comparable.empty();
    if (!not_comparable.empty()) j["test"]["not_comparable_because"] = not_comparable;
  }
  Emit(globals, j, [&] {
    std::cout << fmt::format("trained {} (dim {}) on {} triples: {} epochs in {:.1f}s, {:.0f} triples/s, loss {:.4f}\n",
                             ck->config.name, ck->config.dim, ds.train.size(), rep.epochs_run, rep.seconds,
                             rep.triples_per_second, rep.final_loss);
    if (rep.best_epoch > 0)
      std::cout << fmt::format("best valid MRR {:.4f} at epoch {} (kept{})\n", rep.best_valid_mrr, rep.best_epoch,
                               rep.best_epoch < (resume ? resume->epochs_done : 0) + rep.epochs_run
                                   ? ", with its optimizer state: --resume goes on from there" : "");
    if (evaluate) {
      if (not_comparable.empty())
        std::cout << fmt::format("test ({} triples):\n", ds.test.size());
      else
        std::cout << fmt::format("test ({} triples), NOT COMPARABLE with a fresh run's: {}\n", ds.test.size(),
                                 not_comparable);
      PrintEval(ev, ds.relations.names(), false);
    }
    std::cout << "checkpoint: " << out << "\n";
  });
  return 0;
}

void AddTrain(CLI::App* kge, Registry& reg) {
  auto* cmd = kge->add_subcommand("train", "train embeddings on a KG folder (--data) or a workspace's graph");
  auto a = std::make_shared<TrainArgs>();
  cmd->add_option("WORKSPACE", a->workspace, "workspace folder (its graph; writes WORKSPACE/models/kge.bin)");
  cmd->add_option("--data", a->data, "folder with train.txt, valid.txt, test.txt (head<TAB>relation<TAB>tail)");
  cmd->add_option("-o,--out", a->out, "checkpoint file to write (default MODEL.kge, or the workspace's)");
  a->model_opt = cmd->add_option("-m,--model", a->model, "transe, transr, distmult, complex or rotate")->capture_default_str();
  cmd->add_option("--preset", a->preset, "hyperparameters: auto (by graph size), small, large, ecommerce")
      ->capture_default_str();
  cmd->add_option("--resume", a->resume, "continue training from this checkpoint");
  cmd->add_option("--init-from", a->init_from,
                  "start from this checkpoint's tables with a fresh optimizer: the same model, or a TransE of the same "
                  "dim for TransR")
      ->excludes("--resume");
  cmd->add_option("--export", a->export_dir, "also write entities.tsv and relations.tsv here");
  cmd->add_flag("!--no-eval", a->eval, "skip the test-split evaluation after training");
  TrainArgs* p = a.get();
  // The model's own range (1..100000), checked before the data is read.
  p->dim_opt = Override<int>(cmd, p, "--dim", &p->mc.dim, "embedding dimension", [](Preset& x, int v) { x.model.dim = v; })
                   ->check(PositiveInt())
                   ->check(CLI::Range(1, 100000));
  p->relation_dim_opt = Override<int>(cmd, p, "--relation-dim", &p->mc.relation_dim,
                                      "TransR relation space dimension (0 = --dim)",
                                      [](Preset& x, int v) { x.model.relation_dim = v; })
                            ->check(NonNegativeInt())
                            ->check(CLI::Range(0, 100000));
  p->model_opts.push_back(Override<float>(cmd, p, "--gamma", &p->mc.gamma, "score margin of distance models",
                                          [](Preset& x, float v) { x.model.gamma = v; })
                              ->check(NonNegativeFiniteFloat()));
  p->model_opts.push_back(Override<int>(cmd, p, "--norm", &p->mc.norm, "TransE/TransR distance norm (1 or 2)",
                                        [](Preset& x, int v) { x.model.norm = v; }));
  p->model_opts.push_back(Override<float>(cmd, p, "--init", &p->mc.init, "initial values uniform in [-x, x]",
                                          [](Preset& x, float v) { x.model.init = v; })
                              ->check(NonNegativeFiniteFloat()));
  p->model_opts.push_back(Override<float>(cmd, p, "--max-norm", &p->mc.max_norm,
                                          "TransE/TransR: keep entity rows within this L2 norm",
                                          [](Preset& x, float v) { x.model.max_norm = v; })
                              ->check(NonNegativeFiniteFloat()));
  Override<int>(cmd, p, "--epochs", &p->to.epochs, "passes over the training triples",
                [](Preset& x, int v) { x.train.epochs = v; })
      ->check(CLI::Range(1, 1000000));
  Override<int>(cmd, p, "-j,--threads", &p->to.threads, "training threads (0 = all cores)",
                [](Preset& x, int v) { x.train.threads = v; })
      ->check(CLI::Range(0, 1024));
  Override<uint64_t>(cmd, p, "--seed", &p->to.seed, "random seed", [](Preset& x, uint64_t v) { x.train.seed = v; })
      ->check(Unsigned());
  Override<float>(cmd, p, "--lr", &p->lr, "learning rate", [](Preset& x, float v) { x.train.lr = v; })
      ->check(PositiveFiniteFloat());
  Override<int>(cmd, p, "--negatives", &p->to.negatives, "negatives per positive",
                [](Preset& x, int v) { x.train.negatives = v; })
      ->check(PositiveInt());
  Override<int>(cmd, p, "--batch", &p->to.batch, "positives that share one draw of negatives",
                [](Preset& x, int v) { x.train.batch = v; })
      ->check(PositiveInt());
  Override<float>(cmd, p, "--adversarial-temperature", &p->to.adversarial_temperature,
                  "self-adversarial sampling temperature (0 = plain mean)",
                  [](Preset& x, float v) { x.train.adversarial_temperature = v; })
      ->check(NonNegativeFiniteFloat());
  Override<float>(cmd, p, "--margin", &p->to.margin, "margin of the margin loss",
                  [](Preset& x, float v) { x.train.margin = v; })
      ->check(NonNegativeFiniteFloat());
  Override<std::string>(cmd, p, "--loss", &p->loss, "margin or logsigmoid",
                        [](Preset& x, std::string v) { x.train.loss = Unwrap(ParseLoss(v)); });
  Override<std::string>(cmd, p, "--optimizer", &p->optimizer, "sgd, adagrad or adam",
                        [](Preset& x, std::string v) { x.train.update.kind = Unwrap(ParseOptimizer(v)); });
  Override<std::string>(cmd, p, "--sampler", &p->sampler, "negative corruption: uniform or bernoulli",
                        [](Preset& x, std::string v) { x.train.sampler = Unwrap(ParseSampler(v)); });
  Override<std::string>(cmd, p, "--partition", &p->partition,
                        fmt::format("with 2 to {} threads: each thread trains its own parts of the entity table "
                                    "in turn (on), or every thread anywhere (off: plain hogwild); auto: on when each "
                                    "of the 2 x threads parts holds {} entities or more and each thread's share of a "
                                    "round {} training triples or more",
                                    kPartitionMaxThreads, kPartitionMinPerPart, kPartitionMinPerList),
                        [](Preset& x, std::string v) { x.train.partition = Unwrap(ParsePartition(v)); });
  Override<std::string>(cmd, p, "--reg", &p->reg, "regulariser: none, l2, n3",
                        [](Preset& x, std::string v) { x.train.update.reg = Unwrap(ParseRegularizer(v)); });
  Override<float>(cmd, p, "--reg-weight", &p->reg_weight, "regularisation weight",
                  [](Preset& x, float v) { x.train.update.reg_weight = v; })
      ->check(NonNegativeFiniteFloat());
  Switch(cmd, p, "linear-decay", &p->to.linear_decay, "learning rate falls linearly to 0 (default: the preset's, or on --resume the checkpoint's)",
         [](Preset& x, bool v) { x.train.linear_decay = v; });
  Switch(cmd, p, "filter-negatives", &p->to.filter_negatives,
         "drop drawn negatives that are true training triples (default as for --linear-decay)",
         [](Preset& x, bool v) { x.train.filter_negatives = v; });
  Override<int>(cmd, p, "--valid-every", &p->to.valid_every, "validate every N epochs (0 = never)",
                [](Preset& x, int v) { x.train.valid_every = v; })
      ->check(NonNegativeInt());
  Override<size_t>(cmd, p, "--valid-sample", &p->to.valid_sample, "validation triples used (0 = all)",
                   [](Preset& x, size_t v) { x.train.valid_sample = v; })
      ->check(Unsigned());
  Override<int>(cmd, p, "--patience", &p->to.patience, "stop after N validations without improvement",
                [](Preset& x, int v) { x.train.patience = v; })
      ->check(NonNegativeInt());
  cmd->callback([&reg, a] { *reg.selected = [&reg, a] { return RunTrain(*reg.globals, *a); }; });
}

struct Loaded {
  Checkpoint ck;
  std::unique_ptr<Model> model;
};

Loaded Load(const std::string& path) {
  auto c = LoadCheckpoint(path);
  ThrowIfError(c.status());
  Loaded l{std::move(c).value(), nullptr};
  auto m = ModelOf(l.ck);
  ThrowIfError(m.status());
  l.model = std::move(m).value();
  return l;
}

void AddEval(CLI::App* kge, Registry& reg) {
  auto* cmd = kge->add_subcommand("eval", "filtered and raw link prediction of a checkpoint on a KG folder");
  struct Args {
    std::string checkpoint, data, split = "test";
    int threads = 0;
    bool per_relation = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("CHECKPOINT", a->checkpoint, "checkpoint file")->required();
  cmd->add_option("--data", a->data, "KG folder (train/valid/test.txt); all its triples filter")->required();
  cmd->add_option("--split", a->split, "test or valid")->check(CLI::IsMember({"test", "valid"}))->capture_default_str();
  cmd->add_option("-j,--threads", a->threads, "threads (0 = all cores)")->check(CLI::Range(0, 1024));
  cmd->add_flag("--per-relation", a->per_relation, "also print metrics per relation");
  cmd->callback([&reg, a] {
    *reg.selected = [&reg, a] {
      Loaded l = Load(a->checkpoint);
      auto ds = LoadDatasetDir(a->data, SeededDataset(l.ck.entity_names, l.ck.relation_names));
      ThrowIfError(ds.status());
      if (ds->num_entities() > l.ck.params.num_entities || ds->num_relations() > l.ck.params.num_relations) {
        std::vector<std::string> unknown;  // the first few, as written in the data
        for (size_t e = l.ck.params.num_entities; e < ds->num_entities() && unknown.size() < 5; ++e)
          unknown.push_back("'" + std::string(ds->entities.name(static_cast<uint32_t>(e))) + "'");
        for (size_t r = l.ck.params.num_relations; r < ds->num_relations() && unknown.size() < 5; ++r)
          unknown.push_back("relation '" + std::string(ds->relations.name(static_cast<uint32_t>(r))) + "'");
        throw Error(Status::InvalidArgument(fmt::format(
            "{} names {} entities and {} relations the checkpoint does not know ({}{}): not the data it was trained on",
            a->data, ds->num_entities() - l.ck.params.num_entities, ds->num_relations() - l.ck.params.num_relations,
            fmt::join(unknown, ", "),
            ds->num_entities() - l.ck.params.num_entities + ds->num_relations() - l.ck.params.num_relations > unknown.size()
                ? ", …" : "")));
      }
      const auto& split = a->split == "test" ? ds->test : ds->valid;
      if (split.empty())
        throw Error(Status::InvalidArgument(
            fmt::format("{}: the {} split is empty (no {}.txt, or no triples in it)", a->data, a->split, a->split)));
      KnownTriples known({&ds->train, &ds->valid, &ds->test});
      EvalOptions eo;
      eo.threads = a->threads;
      auto r = Evaluate(*l.model, l.ck.params, split, known, eo);
      Emit(*reg.globals, EvalJson(r, l.ck.relation_names), [&] {
        std::cout << fmt::format("{} on {} {} ({} triples, {} entities):\n", l.ck.config.name, a->data, a->split,
                                 split.size(), ds->num_entities());
        PrintEval(r, l.ck.relation_names, a->per_relation);
      });
      return 0;
    };
  });
}

uint32_t Id(const Dictionary& d, const std::string& name, const char* what) {
  const uint32_t* id = d.Find(name);
  if (!id) throw Error(Status::NotFound(fmt::format("no {} '{}' in the checkpoint", what, name)));
  return *id;
}

void AddPredict(CLI::App* kge, Registry& reg) {
  auto* cmd = kge->add_subcommand("predict", "best tails for (HEAD, RELATION, ?), heads for (?, RELATION, TAIL), or "
                                             "an entity's nearest neighbours");
  struct Args {
    std::string checkpoint, head, tail, relation, neighbors;
    size_t k = 10;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("CHECKPOINT", a->checkpoint, "checkpoint file (or a workspace folder)")->required();
  cmd->add_option("--head", a->head, "head entity name");
  cmd->add_option("--tail", a->tail, "tail entity name");
  cmd->add_option("-r,--relation", a->relation, "relation name");
  cmd->add_option("--neighbors", a->neighbors, "entity whose nearest neighbours to list");
  cmd->add_option("-k", a->k, "how many")->capture_default_str()->check(CLI::Range(size_t{1}, size_t{1} << 30));
  cmd->callback([&reg, a] {
    *reg.selected = [&reg, a] {
      // Names as the input files give them: trimmed (dataset.cc), so " brazil" is brazil.
      for (std::string* name : {&a->head, &a->tail, &a->relation, &a->neighbors}) *name = std::string(Trim(*name));
      if (!a->neighbors.empty() && (!a->head.empty() || !a->tail.empty() || !a->relation.empty()))
        throw Error(Status::InvalidArgument("--neighbors takes no --head, --tail or --relation"));
      std::string path = std::filesystem::is_directory(a->checkpoint) ? WorkspaceModelPath(a->checkpoint) : a->checkpoint;
      Loaded l = Load(path);
      Dataset names = SeededDataset(l.ck.entity_names, l.ck.relation_names);
      std::vector<Scored> top;
      std::string what;
      if (!a->neighbors.empty()) {
        uint32_t e = Id(names.entities, a->neighbors, "entity");
        auto index = LoadCurrentIndex(path, l.ck.params);
        top = index ? index->Nearest(l.ck.params, e, a->k) : NearestEntities(l.ck.params, e, a->k);
        what = fmt::format("nearest to {} (cosine, {})", a->neighbors, index ? "HNSW index" : "exact scan");
      } else if (a->relation.empty() || a->head.empty() == a->tail.empty()) {
        throw Error(Status::InvalidArgument("give --relation with exactly one of --head or --tail, or --neighbors"));
      } else {
        uint32_t r = Id(names.relations, a->relation, "relation");
        if (!a->head.empty()) {
          top = PredictTails(*l.model, l.ck.params, Id(names.entities, a->head, "entity"), r, a->k);
          what = fmt::format("({}, {}, ?)", a->head, a->relation);
        } else {
          top = PredictHeads(*l.model, l.ck.params, r, Id(names.entities, a->tail, "entity"), a->k);
          what = fmt::format("(?, {}, {})", a->relation, a->tail);
        }
      }
      nlohmann::json j = nlohmann::json::array();
      for (const auto& s : top) j.push_back({{"entity", l.ck.entity_names[s.id]}, {"score", s.score}});
      Emit(*reg.globals, {{"query", what}, {"results", j}}, [&] {
        std::cout << what << "\n";
        for (size_t i = 0; i < top.size(); ++i)
          std::cout << fmt::format("{:>3}. {:<40} {:.4f}\n", i + 1, l.ck.entity_names[top[i].id], top[i].score);
      });
      return 0;
    };
  });
}

void AddIndex(CLI::App* kge, Registry& reg) {
  auto* cmd = kge->add_subcommand("index", "build the HNSW nearest-neighbour index of a checkpoint's entities "
                                           "(used by predict --neighbors)");
  auto path = std::make_shared<std::string>();
  cmd->add_option("CHECKPOINT", *path, "checkpoint file (or a workspace folder)")->required();
  cmd->callback([&reg, path] {
    *reg.selected = [&reg, path] {
      std::string ck = std::filesystem::is_directory(*path) ? WorkspaceModelPath(*path) : *path;
      // A workspace's checkpoint (WS/models/*.bin) is indexed under its commit lock, held from
      // the read to the save: an erasure meanwhile would otherwise find no index to remove and
      // then see one saved with the user's row in it.
      std::optional<CommitLock> commit;
      if (const std::string home = WorkspaceHolding(ck); !home.empty())
        commit.emplace(Unwrap(CommitLock::Acquire(home, "kge index")));
      Loaded l = Load(ck);
      auto t0 = std::chrono::steady_clock::now();
      auto index = NeighborIndex::Build(l.ck.params);
      ThrowIfError(index.status());
      ThrowIfError((*index)->Save(IndexPathFor(ck)));
      double secs = SecondsSince(t0);
      Emit(*reg.globals, {{"index", IndexPathFor(ck)}, {"entities", l.ck.params.num_entities}, {"seconds", secs}}, [&] {
        std::cout << fmt::format("indexed {} entities in {:.1f}s: {}\n", l.ck.params.num_entities, secs, IndexPathFor(ck));
      });
      return 0;
    };
  });
}

void AddExport(CLI::App* kge, Registry& reg) {
  auto* cmd = kge->add_subcommand("export", "write a checkpoint's embeddings as TSV or NumPy .npy files");
  struct Args {
    std::string checkpoint, out, format = "tsv";
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("CHECKPOINT", a->checkpoint, "checkpoint file")->required();
  cmd->add_option("-o,--out", a->out, "output folder")->required();
  cmd->add_option("--format", a->format, "tsv or npy (npy also writes the names as .txt)")
      ->check(CLI::IsMember({"tsv", "npy"}))->capture_default_str();
  cmd->callback([&reg, a] {
    *reg.selected = [&reg, a] {
      Loaded l = Load(a->checkpoint);
      RequireWritableFolder("-o", a->out,
                            a->format == "tsv" ? std::vector<std::string>{"entities.tsv", "relations.tsv"}
                                               : std::vector<std::string>{"entities.npy", "relations.npy",
                                                                          "entities.txt", "relations.txt"});
      auto p = [&](const char* f) { return (std::filesystem::path(a->out) / f).string(); };
      const auto& pr = l.ck.params;
      std::vector<std::string> files;
      if (a->format == "tsv") {
        ThrowIfError(ExportTsv(p("entities.tsv"), l.ck.entity_names, pr.entity, pr.entity_width));
        ThrowIfError(ExportTsv(p("relations.tsv"), l.ck.relation_names, pr.relation, pr.relation_width));
        files = {p("entities.tsv"), p("relations.tsv")};
      } else {
        ThrowIfError(ExportNpy(p("entities.npy"), pr.entity, pr.num_entities, pr.entity_width));
        ThrowIfError(ExportNpy(p("relations.npy"), pr.relation, pr.num_relations, pr.relation_width));
        ThrowIfError(ExportTsv(p("entities.txt"), l.ck.entity_names, {}, 0));
        ThrowIfError(ExportTsv(p("relations.txt"), l.ck.relation_names, {}, 0));
        files = {p("entities.npy"), p("relations.npy"), p("entities.txt"), p("relations.txt")};
      }
      Emit(*reg.globals, {{"files", files}}, [&] {
        for (const auto& f : files) std::cout << f << "\n";
      });
      return 0;
    };
  });
}

}  // namespace

void AddKgeCommands(CLI::App& app, Registry& reg) {
  auto* kge = app.add_subcommand("kge", "knowledge-graph embeddings: train, eval, predict, export");
  kge->require_subcommand(1);
  AddTrain(kge, reg);
  AddEval(kge, reg);
  AddPredict(kge, reg);
  AddIndex(kge, reg);
  AddExport(kge, reg);
}

}  // namespace kgp::cli
