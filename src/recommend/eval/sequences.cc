#include "recommend/eval/sequences.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/csv.h"
#include "common/log.h"
#include "common/rng.h"
#include "common/strings.h"
#include "common/threads.h"
#include "common/time.h"
#include "recommend/eval/model_registry.h"

namespace kgp::rec {
namespace {

constexpr uint32_t kMaxId = 1u << 30;

std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t b = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > b) out.push_back(line.substr(b, i - b));
  }
  return out;
}

}  // namespace

Result<SequenceData> LoadSequences(const std::string& path, size_t max_users) {
  CsvReader in(path, CsvOptions::Lines());
  if (!in.status().ok()) return in.status();
  SequenceData d;
  std::unordered_set<std::string> seen_users;
  while (in.Next()) {
    std::string_view line = in[0];
    auto w = Words(line);
    if (w.empty()) continue;
    if (w.size() < 2)
      return Status::InvalidArgument(fmt::format("{}:{}: user '{}' has no items (expected `user item item ...`)", path,
                                                 in.line(), w[0]));
    std::vector<uint32_t> seq;
    seq.reserve(w.size() - 1);
    for (size_t k = 1; k < w.size(); ++k) {
      auto v = ParseUint(w[k]);
      if (!v || *v >= kMaxId)
        return Status::InvalidArgument(fmt::format("{}:{}: field {} '{}' is not an item id (an integer below {})", path,
                                                   in.line(), k + 1, w[k], kMaxId));
      seq.push_back(static_cast<uint32_t>(*v));
      d.num_items = std::max(d.num_items, static_cast<uint32_t>(*v) + 1);
    }
    std::string user(w[0]);
    if (!seen_users.insert(user).second)
      return Status::InvalidArgument(fmt::format("{}:{}: user '{}' appears on two lines", path, in.line(), user));
    d.users.push_back(std::move(user));
    d.sequences.push_back(std::move(seq));
    if (max_users > 0 && d.users.size() >= max_users) break;
  }
  if (!in.status().ok()) return in.status();
  if (d.users.empty()) return Status::InvalidArgument(fmt::format("{}: no sequences", path));
  return d;
}

Status LoadItemAttributes(const std::string& path, SequenceData& data) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::IoError(fmt::format("{}: cannot open", path));
  std::stringstream ss;
  ss << f.rdbuf();
  std::string text = ss.str();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + std::min(e.byte, text.size()), '\n'));
    return Status::InvalidArgument(fmt::format("{}:{}: invalid JSON at byte {}: {}", path, line, e.byte, e.what()));
  }
  if (!j.is_object())
    return Status::InvalidArgument(fmt::format("{}:1: expected a JSON object {{\"item\": [attribute, ...]}}", path));
  std::vector<std::pair<uint32_t, std::vector<uint32_t>>> rows;
  uint32_t max_item = 0;
  for (auto it = j.begin(); it != j.end(); ++it) {
    auto item = ParseUint(it.key());
    if (!item || *item >= kMaxId)
      return Status::InvalidArgument(fmt::format("{}: key \"{}\" is not an item id", path, it.key()));
    if (!it.value().is_array())
      return Status::InvalidArgument(fmt::format("{}: item \"{}\": value must be an array of attribute ids", path, it.key()));
    std::vector<uint32_t> attrs;
    for (const auto& a : it.value()) {
      if (!a.is_number_integer() || a.get<int64_t>() < 0 || a.get<int64_t>() >= kMaxId)
        return Status::InvalidArgument(
            fmt::format("{}: item \"{}\": attribute {} is not a non-negative integer id", path, it.key(), a.dump()));
      attrs.push_back(a.get<uint32_t>());
      data.num_attributes = std::max(data.num_attributes, a.get<uint32_t>() + 1);
    }
    max_item = std::max(max_item, static_cast<uint32_t>(*item));
    rows.emplace_back(static_cast<uint32_t>(*item), std::move(attrs));
  }
  data.num_items = std::max(data.num_items, rows.empty() ? 0 : max_item + 1);
  data.item_attributes.assign(data.num_items, {});
  for (auto& [item, attrs] : rows) data.item_attributes[item] = std::move(attrs);
  return Status::Ok();
}

SideInfo AttributesAsSideInfo(const SequenceData& data) {
  SideInfo side;
  side.num_relations = data.num_attributes > 0 ? 1 : 0;
  side.num_entities = data.num_items + data.num_attributes;
  for (uint32_t i = 0; i < data.item_attributes.size(); ++i) {
    for (uint32_t a : data.item_attributes[i]) side.triples.push_back({i, 0, data.num_items + a});
  }
  return side;
}

InteractionMatrix SequencePrefixMatrix(const SequenceData& data, size_t holdout) {
  std::vector<UserItem> pairs;
  for (uint32_t u = 0; u < data.sequences.size(); ++u) {
    const auto& s = data.sequences[u];
    size_t keep = s.size() > holdout ? s.size() - holdout : 0;
    for (size_t k = 0; k < keep; ++k) pairs.push_back({u, s[k], 1.0f, static_cast<int64_t>(k)});
  }
  return InteractionMatrix::FromPairs(std::move(pairs), static_cast<uint32_t>(data.sequences.size()), data.num_items,
                                      /*chronological=*/true);
}

std::vector<std::vector<uint32_t>> SampleNegatives(const SequenceData& data, size_t n, uint64_t seed) {
  std::vector<char> occurs(data.num_items, 0);
  for (const auto& s : data.sequences) {
    for (uint32_t i : s) occurs[i] = 1;
  }
  std::vector<uint32_t> pool;
  for (uint32_t i = 0; i < data.num_items; ++i) {
    if (occurs[i]) pool.push_back(i);
  }
  Rng rng(seed);
  std::vector<std::vector<uint32_t>> out(data.sequences.size());
  std::vector<char> taken(data.num_items, 0);
  for (size_t u = 0; u < data.sequences.size(); ++u) {
    const auto& s = data.sequences[u];
    size_t excluded = 0;
    for (uint32_t i : s) excluded += taken[i] ? 0 : (taken[i] = 1, 1);
    size_t want = std::min(n, pool.size() - excluded);
    auto& neg = out[u];
    neg.reserve(want);
    while (neg.size() < want) {
      uint32_t c = pool[rng.Below(static_cast<uint32_t>(pool.size()))];
      if (taken[c]) continue;
      taken[c] = 1;
      neg.push_back(c);
    }
    for (uint32_t i : s) taken[i] = 0;
    for (uint32_t i : neg) taken[i] = 0;
  }
  return out;
}

LooResult ScoreLeaveOneOut(const Recommender& model, const SequenceData& data,
                           const std::vector<std::vector<uint32_t>>& negatives, size_t holdout, int threads) {
  const size_t nu = data.sequences.size();
  int nt = std::max(1, threads);
  std::vector<LooResult> part(static_cast<size_t>(nt));
  RunThreads(nt, [&](int t) {
    std::vector<float> scores(data.num_items);
    LooResult& r = part[static_cast<size_t>(t)];
    for (size_t u = static_cast<size_t>(t); u < nu; u += static_cast<size_t>(nt)) {
      const auto& s = data.sequences[u];
      if (s.size() < 3 || s.size() < holdout) continue;
      size_t pos = s.size() - holdout;
      model.Score(static_cast<uint32_t>(u), std::span<const uint32_t>(s.data(), pos), scores);
      float target = scores[s[pos]];
      size_t rank = 0;
      for (uint32_t c : negatives[u]) rank += scores[c] >= target || std::isnan(scores[c]) ? 1 : 0;
      if (std::isnan(target)) rank = negatives[u].size();
      double dg = 1.0 / std::log2(static_cast<double>(rank) + 2.0);
      r.users += 1;
      r.hr1 += rank < 1;
      r.hr5 += rank < 5;
      r.hr10 += rank < 10;
      r.ndcg5 += rank < 5 ? dg : 0;
      r.ndcg10 += rank < 10 ? dg : 0;
      r.mrr += 1.0 / static_cast<double>(rank + 1);
    }
  });
  LooResult r;
  for (const auto& p : part) {
    r.users += p.users, r.hr1 += p.hr1, r.hr5 += p.hr5, r.hr10 += p.hr10;
    r.ndcg5 += p.ndcg5, r.ndcg10 += p.ndcg10, r.mrr += p.mrr;
  }
  if (r.users > 0) {
    double n = static_cast<double>(r.users);
    r.hr1 /= n, r.hr5 /= n, r.hr10 /= n, r.ndcg5 /= n, r.ndcg10 /= n, r.mrr /= n;
  }
  return r;
}

namespace {

namespace fs = std::filesystem;

Status FindSequenceFiles(const std::string& dir, std::string& seq_path, std::string& attr_path) {
  std::error_code ec;
  if (fs::is_regular_file(dir, ec)) {
    seq_path = dir;
  } else if (fs::is_directory(dir, ec)) {
    std::vector<std::string> found;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      std::string name = e.path().filename().string();
      if (!e.is_regular_file() || e.path().extension() != ".txt") continue;
      if (name.ends_with("_sample.txt") || name.ends_with("_neg.txt")) continue;
      found.push_back(e.path().string());
    }
    std::sort(found.begin(), found.end());
    if (found.size() != 1)
      return Status::InvalidArgument(fmt::format(
          "{}: expected exactly one sequence file `<name>.txt` (`user item item ...`), found {}", dir, found.size()));
    seq_path = found[0];
  } else {
    return Status::NotFound(fmt::format("{}: no such file or folder", dir));
  }
  fs::path p(seq_path);
  fs::path attrs = p.parent_path() / (p.stem().string() + "_item2attributes.json");
  attr_path = fs::is_regular_file(attrs, ec) ? attrs.string() : "";
  return Status::Ok();
}

}  // namespace

Status EvaluateSequences(const std::string& dir, const EvalOptions& opts, EvalReport& report) {
  ModelFactory make = opts.make_model ? opts.make_model : SequenceModelFactory();
  std::vector<std::string> specs = opts.models.empty() ? DefaultSequenceModels() : opts.models;
  KGP_RETURN_IF_ERROR(CheckModelSpecs(specs, make));  // before the data is read and the first model fitted
  std::string seq_path, attr_path;
  if (Status s = FindSequenceFiles(dir, seq_path, attr_path); !s.ok()) return s;
  auto loaded = LoadSequences(seq_path, opts.max_users);
  if (!loaded.ok()) return loaded.status();
  SequenceData data = std::move(loaded).value();
  if (!attr_path.empty()) {
    if (Status s = LoadItemAttributes(attr_path, data); !s.ok()) return s;
  }
  SideInfo side = AttributesAsSideInfo(data);
  std::string stem = fs::path(seq_path).stem().string();
  fs::path dpath = fs::is_directory(dir) ? fs::path(dir) : fs::path(seq_path).parent_path();
  std::string dataset = fs::absolute(dpath).lexically_normal().filename().string();
  if (dataset.empty()) dataset = fs::absolute(dpath).lexically_normal().parent_path().filename().string();
  if (!opts.quiet)
    LOG_INF("{}: {} users, {} items, {} attributes{}", seq_path, data.users.size(), data.num_items, data.num_attributes,
             attr_path.empty() ? " (no attribute file)" : "");

  auto t0 = std::chrono::steady_clock::now();
  auto negatives = SampleNegatives(data, 99, opts.seed);
  if (!opts.quiet) LOG_INF("negatives sampled in {:.1f}s (seed {})", SecondsSince(t0), opts.seed);

  InteractionMatrix train = SequencePrefixMatrix(data, 2);
  InteractionMatrix train_refit;
  if (opts.refit && !opts.validation) train_refit = SequencePrefixMatrix(data, 1);
  std::string protocol = opts.validation ? "loo-99neg valid" : (opts.refit ? "loo-99neg refit" : "loo-99neg");
  for (const std::string& spec : specs) {
    std::vector<bool> variants = {true};
    bool uses_side = UsesSideInfo(spec) && !side.empty();
    if (uses_side && opts.ablation) variants.push_back(false);
    for (bool with : variants) {
      auto m = make(spec);
      if (!m.ok()) return m.status();
      std::unique_ptr<Recommender> model = std::move(m).value();
      FitOptions fo;
      fo.threads = opts.threads;
      fo.seed = opts.fit_seed;
      fo.quiet = opts.quiet;
      fo.side = with ? &side : nullptr;
      auto tf = std::chrono::steady_clock::now();
      const InteractionMatrix& fit_on = (opts.refit && !opts.validation) ? train_refit : train;
      if (Status s = model->Fit(fit_on, fo); !s.ok()) return s;
      double fit_s = SecondsSince(tf);
      auto te = std::chrono::steady_clock::now();
      LooResult r = ScoreLeaveOneOut(*model, data, negatives, opts.validation ? 2 : 1, opts.threads);
      EvalRow row;
      row.dataset = dataset;
      row.protocol = protocol;
      row.model = std::string(model->name());
      if (spec.find(':') != std::string::npos) row.model += spec.substr(spec.find(':'));
      row.variant = uses_side ? (with ? "with KG" : "without KG") : "";
      row.metrics = {{"hr@10", r.hr10}, {"ndcg@10", r.ndcg10}, {"mrr", r.mrr}, {"hr@5", r.hr5}, {"ndcg@5", r.ndcg5}, {"hr@1", r.hr1}};
      row.fit_s = fit_s;
      row.eval_s = SecondsSince(te);
      row.users = r.users;
      if (!opts.quiet)
        LOG_INF("{} {}: HR@10 {:.4f} NDCG@10 {:.4f} MRR {:.4f} (fit {:.1f}s, eval {:.1f}s)", row.model, row.variant, r.hr10,
                 r.ndcg10, r.mrr, row.fit_s, row.eval_s);
      report.rows.push_back(std::move(row));
    }
  }
  if (stem == "Beauty") {
    // S3-Rec (Zhou et al., CIKM 2020), Table 2, Beauty, 99 sampled negatives; as quoted in
    // the authors' repository (aHuiWang/CIKM2020-S3Rec, reproduce/README.md).
    auto& p = report.published[dataset];
    p["SASRec hr@10"] = 0.4696, p["SASRec ndcg@10"] = 0.3156, p["SASRec mrr"] = 0.2852;
    p["S3-Rec hr@10"] = 0.5506, p["S3-Rec ndcg@10"] = 0.3732, p["S3-Rec mrr"] = 0.3340;
  }
  return Status::Ok();
}

}  // namespace kgp::rec
