#include "embed/kge.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "common/hash.h"
#include "common/log.h"
#include "graph/graph.h"

namespace kgp::embed {

Result<std::unique_ptr<Model>> ModelOf(const Checkpoint& c) { return MakeModel(c.config); }

namespace {

// The checkpoint's names must be a prefix of the data's dictionaries.
Status CheckSameGraph(const Checkpoint& k, const Dataset& ds) {
  if (k.entity_names.size() > ds.num_entities() || k.relation_names.size() > ds.num_relations())
    return Status::InvalidArgument("the checkpoint knows entities or relations the data does not: not the same graph");
  for (size_t i = 0; i < k.entity_names.size(); ++i)
    if (k.entity_names[i] != ds.entities.name(static_cast<uint32_t>(i)))
      return Status::InvalidArgument(fmt::format("checkpoint entity {} is '{}' but the data has '{}': not the same graph",
                                                 i, k.entity_names[i], ds.entities.name(static_cast<uint32_t>(i))));
  for (size_t i = 0; i < k.relation_names.size(); ++i)
    if (k.relation_names[i] != ds.relations.name(static_cast<uint32_t>(i)))
      return Status::InvalidArgument("checkpoint relations differ from the data's: not the same graph");
  return Status::Ok();
}

// Copies init's rows over freshly allocated ones (see TrainModel).
Status StartFrom(const Checkpoint& init, const ModelConfig& mc, Params& p) {
  const ModelConfig& ic = init.config;
  const int dr = mc.relation_dim > 0 ? mc.relation_dim : mc.dim;
  if (ic.name == mc.name) {
    if (init.params.entity_width != p.entity_width || init.params.relation_width != p.relation_width)
      return Status::InvalidArgument(fmt::format("--init-from: the checkpoint's {} has other dimensions than the model trained", ic.name));
    std::copy(init.params.entity.begin(), init.params.entity.end(), p.entity.begin());
    std::copy(init.params.relation.begin(), init.params.relation.end(), p.relation.begin());
    return Status::Ok();
  }
  if (ic.name != "transe" || mc.name != "transr")
    return Status::InvalidArgument(fmt::format("--init-from: a {} checkpoint cannot start a {} model (same model, or transe for transr)",
                                               ic.name, mc.name));
  if (ic.dim != mc.dim || dr != mc.dim)
    return Status::InvalidArgument(fmt::format("--init-from: TransE dim {} must equal TransR's dim and relation dim ({} and {})",
                                               ic.dim, mc.dim, dr));
  std::copy(init.params.entity.begin(), init.params.entity.end(), p.entity.begin());
  for (size_t r = 0; r < init.relation_names.size(); ++r) {  // translation first; the identity stays
    const float* src = init.params.R(static_cast<uint32_t>(r));
    std::copy(src, src + init.params.relation_width, p.R(static_cast<uint32_t>(r)));
  }
  return Status::Ok();
}

// Fresh tables that already score NaN or infinity (an --init or --gamma near float's limit) are
// the settings' fault: said so before training, not as a divergence blamed on the learning rate.
Status CheckInitialScores(const Model& m, const Params& p, const Dataset& ds) {
  const ModelConfig& c = m.config();
  for (size_t i = 0; i < std::min<size_t>(ds.train.size(), 1000); ++i) {
    const Triple& x = ds.train[i];
    const float s = m.Score(p.E(x.h), p.R(x.r), p.E(x.t));
    if (!std::isfinite(s))
      return Status::InvalidArgument(fmt::format(
          "the initial {} tables (init {}, gamma {}, dim {}) already score {} before any training: lower --init or --gamma",
          c.name, c.init > 0 ? fmt::format("{}", c.init) : "default", c.gamma, c.dim, s));
  }
  return Status::Ok();
}

}  // namespace

Result<Checkpoint> TrainModel(const Dataset& ds, const ModelConfig& mc, const TrainOptions& to, const Checkpoint* resume,
                              TrainReport* report, const std::function<void(const EpochReport&)>& on_epoch,
                              const Checkpoint* init) {
  Checkpoint c;
  c.config = resume ? resume->config : mc;
  auto model = MakeModel(c.config);
  if (!model.ok()) return model.status();
  Rng rng(to.seed);
  TrainOptions opts = to;
  if (resume) {
    if (Status s = CheckSameGraph(*resume, ds); !s.ok()) return s;
    // Fresh rows for new names, then the checkpoint's rows over them.
    (*model)->Allocate(c.params, ds.num_entities(), ds.num_relations(), rng);
    std::copy(resume->params.entity.begin(), resume->params.entity.end(), c.params.entity.begin());
    std::copy(resume->params.relation.begin(), resume->params.relation.end(), c.params.relation.begin());
    if (resume->has_optimizer && resume->optimizer.kind != opts.update.kind)
      LOG_WRN("resuming with {} instead of the checkpoint's {}: its {} state is dropped and the new optimizer starts "
              "from zero", OptimizerName(opts.update.kind), OptimizerName(resume->optimizer.kind),
              OptimizerName(resume->optimizer.kind));
    if (resume->has_optimizer && resume->optimizer.kind == opts.update.kind) {
      c.optimizer = resume->optimizer;
      auto grow = [](TableState& s, size_t rows, size_t width) {
        if (!s.a.empty()) s.a.resize(rows * width, 0.0f);
        if (!s.b.empty()) s.b.resize(rows * width, 0.0f);
        if (!s.pow1.empty()) s.pow1.resize(rows, 1.0f), s.pow2.resize(rows, 1.0f);
      };
      grow(c.optimizer.entity, ds.num_entities(), c.params.entity_width);
      grow(c.optimizer.relation, ds.num_relations(), c.params.relation_width);
    }
    opts.start_epoch = resume->epochs_done;
  } else {
    (*model)->Allocate(c.params, ds.num_entities(), ds.num_relations(), rng);
    if (init) {
      if (Status s = CheckSameGraph(*init, ds); !s.ok()) return s;
      if (Status s = StartFrom(*init, c.config, c.params); !s.ok()) return s;
    } else if (Status s = CheckInitialScores(**model, c.params, ds); !s.ok()) {
      return s;
    }
  }
  auto rep = Train(**model, c.params, c.optimizer, ds, opts, on_epoch);
  if (!rep.ok()) return rep.status();
  c.has_optimizer = true;
  c.entity_names = ds.entities.names();
  c.relation_names = ds.relations.names();
  c.epochs_done = rep->kept_epoch;  // the best epoch when validation kept it: its tables and optimizer state
  c.info = {{"optimizer", OptimizerName(opts.update.kind)},
            {"lr", opts.lr},
            {"linear_decay", opts.linear_decay},
            {"negatives", opts.negatives},
            {"batch", opts.batch},
            {"sampler", opts.sampler == Sampler::kBernoulli ? "bernoulli" : "uniform"},
            {"filter_negatives", opts.filter_negatives},
            {"partition", PartitionName(opts.partition)},
            {"loss", opts.loss == Loss::kMargin ? "margin" : "logsigmoid"},
            {"margin", opts.margin},
            {"adversarial_temperature", opts.adversarial_temperature},
            {"regularizer", RegularizerName(opts.update.reg)},
            {"reg_weight", opts.update.reg_weight},
            {"seed", opts.seed},
            {"valid_every", opts.valid_every},
            {"valid_sample", opts.valid_sample},
            {"patience", opts.patience},
            {"train_triples", ds.train.size()},
            {"best_valid_mrr", rep->best_valid_mrr},
            {"best_epoch", rep->best_epoch}};
  if (nlohmann::json h = HoldoutRecord(ds, resume ? resume : init); !h.is_null()) c.info["holdout"] = std::move(h);
  if (report) *report = *rep;
  return c;
}

Status RecordedOptions(const Checkpoint& c, TrainOptions* o) {
  const nlohmann::json& j = c.info;
  try {
    auto text = [&](const char* key) { return j.contains(key) ? j.at(key).get<std::string>() : std::string(); };
    if (c.has_optimizer) o->update.kind = c.optimizer.kind;
    if (auto s = text("loss"); !s.empty()) o->loss = Unwrap(ParseLoss(s));
    if (auto s = text("sampler"); !s.empty()) o->sampler = Unwrap(ParseSampler(s));
    if (auto s = text("regularizer"); !s.empty()) o->update.reg = Unwrap(ParseRegularizer(s));
    if (auto s = text("partition"); !s.empty()) o->partition = Unwrap(ParsePartition(s));
    // A value JSON could not hold (a NaN temperature is stored as null) keeps the preset's.
    auto set = [&](const char* key, auto& out) {
      if (j.contains(key) && !j.at(key).is_null()) out = j.at(key).get<std::decay_t<decltype(out)>>();
    };
    set("lr", o->lr);
    set("linear_decay", o->linear_decay);
    set("negatives", o->negatives);
    set("batch", o->batch);
    set("filter_negatives", o->filter_negatives);
    set("margin", o->margin);
    set("adversarial_temperature", o->adversarial_temperature);
    set("reg_weight", o->update.reg_weight);
    set("seed", o->seed);
    set("valid_every", o->valid_every);
    set("valid_sample", o->valid_sample);
    set("patience", o->patience);
  } catch (const std::exception& e) {
    return Status::Corruption(fmt::format("the checkpoint's training options cannot be read: {}", e.what()));
  }
  return Status::Ok();
}

Result<Checkpoint> TrainPreset(const Dataset& ds, const Preset& preset, const Checkpoint* resume, const Checkpoint* init,
                               TrainReport* report, TrainReport* warm_report,
                               const std::function<void(const EpochReport&)>& on_epoch) {
  if (warm_report) *warm_report = TrainReport{};
  const ModelConfig& mc = preset.model;
  const bool warm = preset.warm_start && !resume && !init && (mc.relation_dim == 0 || mc.relation_dim == mc.dim);
  if (!warm) return TrainModel(ds, mc, preset.train, resume, report, on_epoch, init);
  WarmStart first = *preset.warm_start;
  first.model.dim = mc.dim;
  first.train.threads = preset.train.threads;
  first.train.seed = preset.train.seed;
  first.train.partition = preset.train.partition;
  LOG_INF("{} starts from a {} trained first (dim {}, {} epochs); --init-from FILE reuses one", mc.name,
          first.model.name, first.model.dim, first.train.epochs);
  TrainReport first_rep;
  auto start = TrainModel(ds, first.model, first.train, nullptr, &first_rep);
  if (!start.ok()) return start.status();
  LOG_INF("{}: {} epochs in {:.1f}s, best valid MRR {:.4f}", first.model.name, first_rep.epochs_run, first_rep.seconds,
          first_rep.best_valid_mrr);
  if (warm_report) *warm_report = first_rep;
  return TrainModel(ds, mc, preset.train, nullptr, report, on_epoch, &*start);
}

Dataset DatasetFromGraph(const Graph& g, double holdout, size_t max_holdout, std::optional<int64_t> until,
                         Dataset seed, double below_at_most) {
  Dataset ds = std::move(seed);
  ds.entities.Reserve(ds.num_entities() + g.num_nodes());
  std::vector<uint32_t> entity(g.num_nodes());  // node id -> entity id (the same without a seed)
  const bool hold = holdout > 0 && max_holdout > 0 && below_at_most > 0;  // else nothing is hashed
  std::vector<uint64_t> node_hash(hold ? g.num_nodes() : 0);
  for (NodeId n = 0; n < g.num_nodes(); ++n) {
    const std::string spec = g.Spec(n);
    entity[n] = ds.entities.Intern(spec);
    if (hold) node_hash[n] = Hash64(spec);
  }
  std::unordered_map<EdgeTypeId, std::pair<uint32_t, uint64_t>> rel;  // id and hash of the name
  const auto relation = [&](EdgeTypeId type) -> const std::pair<uint32_t, uint64_t>& {
    auto it = rel.find(type);
    if (it == rel.end()) {
      const std::string_view name = g.EdgeTypeName(type);
      it = rel.emplace(type, std::pair{ds.relations.Intern(name), Hash64(name)}).first;
    }
    return it->second;
  };
  // An edge's place in [0, 1), by the triple's names only.
  const auto place = [&](const EdgeData& e, uint64_t rel_hash) {
    const uint64_t key[3] = {node_hash[e.src], rel_hash, node_hash[e.dst]};
    return double(Hash64(std::string_view(reinterpret_cast<const char*>(key), sizeof key)) >> 11) * 0x1.0p-53;
  };
  // First pass: the edges and the places under the highest threshold there can be (8 bytes per
  // held-out candidate, not per edge), relations interned in order of first use.
  const double most = std::min(holdout, below_at_most);
  size_t edges = 0;
  std::vector<double> low;
  for (const auto& e : g.edges()) {
    if (until && e.first_ts > *until) continue;
    ++edges;
    const auto& r = relation(e.type);
    if (hold)
      if (const double p = place(e, r.second); p < most) low.push_back(p);
  }
  double below = 0;
  if (hold) {
    const double share = static_cast<double>(max_holdout) / static_cast<double>(std::max<size_t>(edges, 1));
    below = std::min(most, share);
    // Never more than max_holdout: the threshold falls to the max_holdout-th smallest place (a
    // lower threshold, so the edges held out are still a function of their names alone).
    std::erase_if(low, [&](double p) { return p >= below; });
    if (low.size() > max_holdout) {
      std::nth_element(low.begin(), low.begin() + static_cast<std::ptrdiff_t>(max_holdout), low.end());
      below = low[max_holdout];
    }
  }
  // Second pass: each edge to its split (its place computed again: cheaper than keeping it).
  ds.train.reserve(ds.train.size() + edges);
  for (const auto& e : g.edges()) {
    if (until && e.first_ts > *until) continue;
    const auto& r = relation(e.type);
    const Triple x{entity[e.src], r.first, entity[e.dst]};
    (hold && place(e, r.second) < below ? ds.test : ds.train).push_back(x);
  }
  ds.holdout_rule = kGraphHoldoutRule;
  ds.holdout_below = below;
  return ds;
}

namespace {

// c's record when it is of kGraphHoldoutRule with a threshold, else null.
const nlohmann::json* GraphHoldoutOf(const Checkpoint& c) {
  auto it = c.info.find("holdout");
  if (it == c.info.end() || !it->is_object()) return nullptr;
  auto rule = it->find("rule"), below = it->find("below");
  if (rule == it->end() || *rule != kGraphHoldoutRule || below == it->end() || !below->is_number()) return nullptr;
  return &*it;
}

// Why c's tables may have trained on edges its record holds out ("mixed"), or empty.
std::string MixedOf(const nlohmann::json& record) {
  auto it = record.find("mixed");
  if (it == record.end() || it->is_null() || *it == false) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

nlohmann::json HoldoutRecord(const Dataset& ds, const Checkpoint* from) {
  if (ds.holdout_rule.empty()) return nullptr;
  nlohmann::json j = {{"rule", ds.holdout_rule}, {"below", ds.holdout_below}};
  if (from && !HoldoutConflict(*from, ds).empty()) {
    const nlohmann::json* h = GraphHoldoutOf(*from);
    j["mixed"] = !from->info.contains("holdout") || from->info.at("holdout").is_null()
                     ? "continued a checkpoint that recorded no held-out edges"
                 : !h ? "continued a checkpoint whose held-out edges were chosen by another rule"
                      : MixedOf(*h);
  }
  return j;
}

void MarkHoldoutMixed(Checkpoint& c, const std::string& why) {
  auto it = c.info.find("holdout");
  if (it != c.info.end() && it->is_object() && MixedOf(*it).empty()) (*it)["mixed"] = why;
}

double HoldoutBelowAtMost(const Checkpoint& c) {
  const nlohmann::json* h = GraphHoldoutOf(c);
  return h ? h->at("below").get<double>() : 1.0;
}

std::string HoldoutConflict(const Checkpoint& c, const Dataset& ds) {
  if (ds.holdout_rule.empty()) return {};
  auto it = c.info.find("holdout");
  if (it == c.info.end() || it->is_null())
    return "the checkpoint records no held-out edges (written by an older kgprofile, which chose them by other "
           "rules): its tables may have trained on edges now held out";
  if (!GraphHoldoutOf(c))
    return fmt::format("the checkpoint's held-out edges were chosen by another rule ({}): its tables may have trained "
                       "on edges now held out",
                       it->is_object() && it->contains("rule") ? it->at("rule").dump() : it->dump());
  if (const std::string why = MixedOf(*it); !why.empty())
    return fmt::format("the checkpoint's tables may have trained on edges now held out ({})", why);
  return {};
}

std::string WorkspaceModelPath(const std::string& dir) {
  return (std::filesystem::path(dir) / "models" / "kge.bin").string();
}

}  // namespace kgp::embed
