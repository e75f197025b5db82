#include "recommend/algo/factory.h"

#include <fmt/format.h>

#include "common/strings.h"
#include "recommend/algo/blend.h"
#include "recommend/algo/bpr_mf.h"
#include "recommend/algo/ease.h"
#include "recommend/algo/item_knn.h"
#include "recommend/algo/most_pop.h"
#include "recommend/kg/kg_mf.h"
#include "recommend/seq/seq_mix.h"
#include "recommend/seq/seq_rank.h"

namespace kgp::rec {

const std::vector<ModelInfo>& KnownModels() {
  static const std::vector<ModelInfo> kModels = {
      {"mostpop", "items by training popularity"},
      {"itemknn", "item-item cosine with shrink, top-k neighbours (k, shrink)"},
      {"rp3beta", "item → user → item random walk, popularity-penalised (k, alpha, beta)"},
      {"bpr", "BPR-MF, hogwild SGD (dim, epochs, lr, lr_min, reg, init_std)"},
      {"ease", "EASE closed form, dense item × item inverse (lambda, diag, max_items)"},
      {"markov", "first-order item transitions from the last item (sequences)"},
      {"seqmix", "transitions within a window, two-step transitions, attributes, popularity (window, decay, backward, "
                 "recency, two_hop, attr, attr_pop, pop, max_history)"},
      {"seqrank", "SeqMix's parts reweighted by a logistic regression learned on each training sequence's last item "
                  "(seqmix keys, negatives, max_users, seed)"},
      {"kgmf", "logistic MF whose item vectors add their KG neighbours' mean (dim, epochs, lr, l2, init, neighbours)"},
      {"blend", "weighted sum of per-user max-scaled scores (w.<model>=weight, <model>.<key>=value)"},
  };
  return kModels;
}

Result<std::unique_ptr<Recommender>> MakeRecommender(std::string_view name_in, const Params& params) {
  std::string name = ToLowerAscii(name_in);
  std::unique_ptr<Recommender> model;
  try {
    if (name == "mostpop" || name == "pop") {
      model = std::make_unique<MostPop>();
    } else if (name == "itemknn" || name == "knn") {
      model = std::make_unique<ItemKnn>(ItemKnnOptions::FromParams(params));
    } else if (name == "rp3beta" || name == "rp3b") {
      model = std::make_unique<Rp3Beta>(Rp3BetaOptions::FromParams(params));
    } else if (name == "bpr" || name == "bprmf" || name == "bpr-mf") {
      model = std::make_unique<BprMf>(BprOptions::FromParams(params));
    } else if (name == "ease") {
      model = std::make_unique<Ease>(EaseOptions::FromParams(params));
    } else if (name == "seqmix") {
      model = std::make_unique<SeqMix>(SeqMixOptionsFrom(params), "SeqMix");
    } else if (name == "seqrank") {
      model = std::make_unique<SeqRank>(SeqRankOptionsFrom(params));
    } else if (name == "markov") {  // first-order transitions only, popularity to break ties
      SeqMixOptions o;
      o.window = 1, o.backward = 0, o.two_hop = 0, o.attr = 0, o.recency = 0;
      model = std::make_unique<SeqMix>(o, "Markov");
    } else if (name == "kgmf") {
      model = std::make_unique<KgMf>(KgMfOptionsFrom(params));
    } else if (name == "blend") {
      auto blend = Blend::FromParams(params);
      if (!blend.ok()) return blend.status();
      model = std::move(*blend);
    }
  } catch (const Error& e) {
    return Status::InvalidArgument(fmt::format("model {}: {}", name, e.status().message()));
  }
  if (!model) {
    std::string known;
    for (const auto& m : KnownModels()) known += (known.empty() ? "" : ", ") + m.name;
    return Status::InvalidArgument(fmt::format("unknown model '{}' (known: {})", name_in, known));
  }
  KGP_RETURN_IF_ERROR(params.CheckAllUsed(name));
  return model;
}

Result<std::unique_ptr<Recommender>> MakeRecommender(const ModelSpec& spec) {
  return MakeRecommender(spec.name, spec.params);
}

}  // namespace kgp::rec
