// Knowledge reasoning in the style of KAR (Xi et al., "Towards Open-World Recommendation with
// Knowledge Augmentation from Large Language Models", 2023: user preference reasoning): the
// backend reasons about a user's preferences from graph facts and re-ranks the recommender's
// candidates ("reason" task, writer.h). The rationale is grounded through the gazetteer: only
// categories and brands the claim checker supports count, weighted by the order they are
// named. Two ranking features come out of it: the affinity of a candidate to the rationale's
// categories and brands, and its position in the model's re-ranking. `llm reason --eval`
// measures both beside the learned blend on the recommender's temporal holdout (ExtraScore in
// recommend/pipeline.h: same users, same split, same ScoreTopK).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "llm/writer.h"

namespace kgp::llm {

struct Preference {
  std::vector<std::pair<NodeId, double>> categories, brands;  // grounded, weight 1 / (1 + order named)
  std::vector<NodeId> ranked;                                 // candidates as the model ordered them
  std::string rationale;                                      // checked text without the RANK line
  double faithfulness = 1;
};

// candidates: the "candidate" facts' products in their n order (n = index + 1).
Preference ParsePreference(const Lexicon& lx, const ClaimChecker& checker, const FactSheet& facts,
                           const std::string& text, const std::vector<NodeId>& candidates);

// Σ weights of the rationale's categories on the product's category chain + its brand's weight.
double RationaleAffinity(const Lexicon& lx, const Preference& p, NodeId product);
// 1 for the model's first candidate down to 1/n for the last; 0 when not ranked.
double RerankScore(const Preference& p, NodeId product);

struct KarEvalOptions {
  std::string lang = "en";
  WriterOptions writer;
  rec::RecFitOptions fit;  // fit.extra_scores is filled here
};
// Fits the recommender with the two reasoning features measured beside the learned blend; the
// facts for each user are taken from the history as of the cut (no knowledge of outcomes).
Result<rec::RecFitReport> EvaluateReasoning(Workspace& ws, Session& s, Backend& b, const KarEvalOptions& opts,
                                            size_t* llm_calls = nullptr, double* mean_faithfulness = nullptr);

}  // namespace kgp::llm
