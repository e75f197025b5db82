#include "recommend/eval/kgcn.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "common/csv.h"
#include "common/log.h"
#include "common/rng.h"
#include "common/strings.h"
#include "common/threads.h"
#include "common/time.h"
#include "recommend/eval/model_registry.h"
#include "recommend/metrics.h"

namespace kgp::rec {
namespace {

CsvOptions Tsv() { return CsvOptions{'\t', false, true}; }

Status Need(const CsvReader& in, size_t n, std::string_view what) {
  if (in.size() < n)
    return Status::InvalidArgument(
        fmt::format("{}:{}: expected {} tab-separated fields ({}), found {}", in.path(), in.line(), n, what, in.size()));
  return Status::Ok();
}

}  // namespace

Result<KgcnData> LoadKgcn(const std::string& dir, size_t max_users) {
  namespace fs = std::filesystem;
  const std::string map_path = (fs::path(dir) / "item_index2entity_id.txt").string();
  const std::string kg_path = (fs::path(dir) / "kg.txt").string();
  const std::string ua_path = (fs::path(dir) / "user_artists.dat").string();
  KgcnData d;
  std::unordered_map<std::string, uint32_t> item_of_index;  // raw artist id → item
  std::unordered_map<std::string, uint32_t> entity;         // raw entity id → entity
  {
    CsvReader in(map_path, Tsv());
    if (!in.status().ok()) return in.status();
    while (in.Next()) {
      if (Status s = Need(in, 2, "item index, entity id"); !s.ok()) return s;
      std::string idx(Trim(in[0])), ent(Trim(in[1]));
      if (idx.empty() || ent.empty())
        return Status::InvalidArgument(fmt::format("{}:{}: empty item index or entity id", map_path, in.line()));
      if (item_of_index.count(idx))
        return Status::InvalidArgument(fmt::format("{}:{}: item index '{}' listed twice", map_path, in.line(), idx));
      if (entity.count(ent))
        return Status::InvalidArgument(fmt::format("{}:{}: entity id '{}' listed twice", map_path, in.line(), ent));
      item_of_index[idx] = d.num_items;
      entity[ent] = d.num_items;
      ++d.num_items;
    }
    if (!in.status().ok()) return in.status();
    if (d.num_items == 0) return Status::InvalidArgument(fmt::format("{}: no items", map_path));
  }
  {
    CsvReader in(kg_path, Tsv());
    if (!in.status().ok()) return in.status();
    std::unordered_map<std::string, uint32_t> relation;
    uint32_t next = d.num_items;
    while (in.Next()) {
      if (Status s = Need(in, 3, "head, relation, tail"); !s.ok()) return s;
      std::string h(Trim(in[0])), r(Trim(in[1])), t(Trim(in[2]));
      if (h.empty() || r.empty() || t.empty())
        return Status::InvalidArgument(fmt::format("{}:{}: empty head, relation or tail", kg_path, in.line()));
      auto id = [&](const std::string& e) {
        auto [it, fresh] = entity.emplace(e, next);
        if (fresh) ++next;
        return it->second;
      };
      auto [rit, rnew] = relation.emplace(r, static_cast<uint32_t>(d.relation_names.size()));
      if (rnew) d.relation_names.push_back(r);
      uint32_t hid = id(h);
      d.kg.triples.push_back({hid, rit->second, id(t)});
    }
    if (!in.status().ok()) return in.status();
    d.kg.num_entities = next;
    d.kg.num_relations = static_cast<uint32_t>(d.relation_names.size());
  }
  {
    CsvReader in(ua_path, Tsv());
    if (!in.status().ok()) return in.status();
    std::unordered_map<std::string, uint32_t> user_of;
    std::vector<std::unordered_set<uint32_t>> seen;
    bool first = true;
    while (in.Next()) {
      if (Status s = Need(in, 2, "userID, artistID[, weight]"); !s.ok()) return s;
      std::string_view u = Trim(in[0]), a = Trim(in[1]);
      if (first) {
        first = false;
        if (!ParseInt(u)) continue;  // header line
      }
      if (u.empty() || a.empty())
        return Status::InvalidArgument(fmt::format("{}:{}: empty userID or artistID", ua_path, in.line()));
      if (in.size() >= 3 && !ParseDouble(in[2]))
        return Status::InvalidArgument(
            fmt::format("{}:{}: field 3 (weight) '{}' is not a number", ua_path, in.line(), in[2]));
      auto it = item_of_index.find(std::string(a));
      if (it == item_of_index.end()) continue;  // not an item of the KG (as KGCN's preprocessing)
      auto [uit, fresh] = user_of.emplace(std::string(u), d.num_users);
      if (fresh) {
        if (max_users > 0 && d.num_users >= max_users) {
          user_of.erase(uit);
          continue;
        }
        ++d.num_users;
        d.positives.emplace_back();
        seen.emplace_back();
      }
      if (seen[uit->second].insert(it->second).second) d.positives[uit->second].push_back(it->second);
    }
    if (!in.status().ok()) return in.status();
    if (d.num_users == 0) return Status::InvalidArgument(fmt::format("{}: no interaction with a listed item", ua_path));
  }
  return d;
}

CtrSplit MakeCtrSplit(const KgcnData& data, uint64_t seed) {
  Rng rng(seed);
  std::vector<CtrPair> all;
  std::vector<char> mark(data.num_items, 0);
  for (uint32_t u = 0; u < data.num_users; ++u) {
    const auto& pos = data.positives[u];
    for (uint32_t i : pos) all.push_back({u, i, 1.0f}), mark[i] = 1;
    size_t want = std::min(pos.size(), static_cast<size_t>(data.num_items) - pos.size());
    std::vector<uint32_t> drawn;
    while (drawn.size() < want) {
      uint32_t j = rng.Below(data.num_items);
      if (mark[j]) continue;
      mark[j] = 1;
      drawn.push_back(j);
    }
    for (uint32_t j : drawn) all.push_back({u, j, 0.0f}), mark[j] = 0;
    for (uint32_t i : pos) mark[i] = 0;
  }
  for (size_t k = all.size(); k > 1; --k) std::swap(all[k - 1], all[rng.Below(static_cast<uint64_t>(k))]);
  size_t n = all.size(), n_eval = n / 5, n_test = n / 5;
  CtrSplit s;
  s.eval.assign(all.begin(), all.begin() + static_cast<ptrdiff_t>(n_eval));
  s.test.assign(all.begin() + static_cast<ptrdiff_t>(n_eval), all.begin() + static_cast<ptrdiff_t>(n_eval + n_test));
  s.train.assign(all.begin() + static_cast<ptrdiff_t>(n_eval + n_test), all.end());
  return s;
}

CtrResult ScoreCtr(const Recommender& model, const std::vector<CtrPair>& pairs,
                   const std::vector<std::vector<uint32_t>>& history, uint32_t num_items, int threads) {
  std::vector<std::vector<size_t>> by_user(history.size());
  for (size_t k = 0; k < pairs.size(); ++k) by_user[pairs[k].user].push_back(k);
  std::vector<float> score(pairs.size(), 0);
  int nt = std::max(1, threads);
  RunThreads(nt, [&](int t) {
    std::vector<float> out(num_items);
    for (size_t u = static_cast<size_t>(t); u < by_user.size(); u += static_cast<size_t>(nt)) {
      if (by_user[u].empty()) continue;
      model.Score(static_cast<uint32_t>(u), history[u], out);
      for (size_t k : by_user[u]) score[k] = out[pairs[k].item];
    }
  });
  std::vector<float> pos, neg;
  double tp = 0, fp = 0, fn = 0, correct = 0;
  for (size_t k = 0; k < pairs.size(); ++k) {
    bool y = pairs[k].label > 0.5f, yhat = score[k] >= 0;
    (y ? pos : neg).push_back(score[k]);
    tp += y && yhat, fp += !y && yhat, fn += y && !yhat, correct += y == yhat;
  }
  CtrResult r;
  r.auc = Auc(pos, neg);
  if (model.ScoresAreLogits()) {
    r.f1 = tp > 0 ? 2 * tp / (2 * tp + fp + fn) : 0;
    r.accuracy = pairs.empty() ? 0 : correct / static_cast<double>(pairs.size());
  }
  return r;
}

Status EvaluateKgcn(const std::string& dir, const EvalOptions& opts, EvalReport& report) {
  ModelFactory make = opts.make_model ? opts.make_model : CtrModelFactory();
  std::vector<std::string> specs = opts.models.empty() ? DefaultCtrModels() : opts.models;
  KGP_RETURN_IF_ERROR(CheckModelSpecs(specs, make));  // before the data is read and the first model fitted
  auto loaded = LoadKgcn(dir, opts.max_users);
  if (!loaded.ok()) return loaded.status();
  KgcnData data = std::move(loaded).value();
  CtrSplit split = MakeCtrSplit(data, opts.seed);
  std::string dataset = std::filesystem::absolute(dir).lexically_normal().filename().string();
  if (dataset.empty()) dataset = std::filesystem::absolute(dir).lexically_normal().parent_path().filename().string();
  if (!opts.quiet)
    LOG_INF("{}: {} users, {} items, {} KG triples, {} entities, {} relations; {} / {} / {} labelled pairs", dir,
            data.num_users, data.num_items, data.kg.triples.size(), data.kg.num_entities, data.kg.num_relations,
            split.train.size(), split.eval.size(), split.test.size());
  std::vector<UserItem> train_pos;
  std::vector<std::vector<uint32_t>> history(data.num_users);
  for (const CtrPair& p : split.train) {
    if (p.label > 0.5f) train_pos.push_back({p.user, p.item}), history[p.user].push_back(p.item);
  }
  InteractionMatrix train = InteractionMatrix::FromPairs(std::move(train_pos), data.num_users, data.num_items);
  const auto& target = opts.validation ? split.eval : split.test;
  // AUC needs a positive and a negative pair to rank: without both, a table of nan would pass
  // for a result.
  size_t positives = 0;
  for (const CtrPair& p : target) positives += p.label > 0.5f;
  if (positives == 0 || positives == target.size())
    return Status::InvalidArgument(fmt::format(
        "{}: the {} split has {} labelled pairs, {} positive: AUC needs both positives and negatives; "
        "nothing to evaluate (too few ratings?)",
        dir, opts.validation ? "validation" : "test", target.size(), positives));
  for (const std::string& spec : specs) {
    std::vector<bool> variants = {true};
    bool uses_side = UsesSideInfo(spec);
    if (uses_side && opts.ablation) variants.push_back(false);
    for (bool with : variants) {
      auto m = make(spec);
      if (!m.ok()) return m.status();
      std::unique_ptr<Recommender> model = std::move(m).value();
      FitOptions fo;
      fo.threads = opts.threads, fo.seed = opts.fit_seed, fo.quiet = opts.quiet;
      fo.side = with ? &data.kg : nullptr;
      auto tf = std::chrono::steady_clock::now();
      if (Status s = model->Fit(train, fo); !s.ok()) return s;
      double fit_s = SecondsSince(tf);
      auto te = std::chrono::steady_clock::now();
      CtrResult r = ScoreCtr(*model, target, history, data.num_items, opts.threads);
      EvalRow row;
      row.dataset = dataset;
      row.protocol = opts.validation ? "ctr 6:2:2 eval" : "ctr 6:2:2";
      row.model = std::string(model->name());
      if (spec.find(':') != std::string::npos) row.model += spec.substr(spec.find(':'));
      row.variant = uses_side ? (with ? "with KG" : "without KG") : "";
      row.metrics = {{"auc", r.auc}};
      // Only a logit has a threshold that means something (the table shows '-' for the others).
      if (!std::isnan(r.f1)) row.metrics["f1"] = r.f1, row.metrics["accuracy"] = r.accuracy;
      row.fit_s = fit_s;
      row.eval_s = SecondsSince(te);
      row.users = data.num_users;
      if (!opts.quiet)
        LOG_INF("{} {}: AUC {:.4f} F1 {} (fit {:.1f}s)", row.model, row.variant, r.auc,
                std::isnan(r.f1) ? std::string("- (scores are not logits)") : fmt::format("{:.4f}", r.f1), fit_s);
      report.rows.push_back(std::move(row));
    }
  }
  if (data.num_items == 3846 && data.kg.num_relations == 60) {
    // KGCN (Wang et al., WWW 2019), Table 3, Last.FM; as quoted beside the OpenHGNN
    // reproduction (BUPT-GAMMA/OpenHGNN, openhgnn/output/KGCN/README.md).
    auto& p = report.published[dataset];
    p["KGCN-sum auc"] = 0.794, p["KGCN-sum f1"] = 0.719;
    p["KGCN-concat auc"] = 0.796, p["KGCN-concat f1"] = 0.721;
    p["KGCN-neighbor auc"] = 0.781, p["KGCN-neighbor f1"] = 0.699;
  }
  return Status::Ok();
}

}  // namespace kgp::rec
