// KGCN's Last.FM data (hwwang55/KGCN data/music) and its CTR protocol (Wang et al., WWW
// 2019; src/preprocess.py, src/data_loader.py, src/train.py of the authors' code):
//  - items are the artists listed in item_index2entity_id.txt, numbered in file order; the
//    same number is the item's KG entity (entity ids of the second column map to items);
//  - every (user, artist) pair of user_artists.dat whose artist is an item is a positive
//    (Last.FM's threshold is 0: all listening counts); per user, as many negatives are
//    drawn uniformly without replacement from the items the user never listened to;
//  - all labelled pairs are split at random 6:2:2 into train / eval / test;
//  - models fit on the train pairs, and are scored on the test pairs by AUC and by F1 with
//    the CTR probability thresholded at 0.5.
// Models implementing Recommender see the train positives only and draw their own
// negatives. F1 and accuracy need a probability: they are computed only for models whose
// Score returns a logit (Recommender::ScoresAreLogits; probability = sigmoid); a popularity
// count or a cosine is never negative, so at logit 0 every pair would be "positive". AUC
// needs no threshold and is computed for every model. See docs/recommend-eval-seq.md.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "recommend/eval/protocol_options.h"
#include "recommend/eval/report.h"
#include "recommend/model.h"

namespace kgp::rec {

struct KgcnData {
  uint32_t num_users = 0, num_items = 0;
  std::vector<std::vector<uint32_t>> positives;  // user → item numbers (unique, file order)
  SideInfo kg;                                   // items are entities 0 … num_items-1
  std::vector<std::string> relation_names;
};

// Reads item_index2entity_id.txt, kg.txt and user_artists.dat from dir (tab separated, LF
// or CRLF; a header line in user_artists.dat). Errors name file:line and the field.
Result<KgcnData> LoadKgcn(const std::string& dir, size_t max_users = 0);

struct CtrPair {
  uint32_t user, item;
  float label;  // 1 positive, 0 sampled negative
};
struct CtrSplit {
  std::vector<CtrPair> train, eval, test;
};
// The protocol's labelled pairs (positives plus an equal number of negatives per user) and
// their 6:2:2 split, deterministic for a seed.
CtrSplit MakeCtrSplit(const KgcnData& data, uint64_t seed);

struct CtrResult {
  double auc = 0;
  double f1 = NAN, accuracy = NAN;  // NaN unless model.ScoresAreLogits()
};
// Scores pairs with model (one Score call per user) and computes AUC, and F1 and accuracy at
// logit 0 when the model's scores are logits.
CtrResult ScoreCtr(const Recommender& model, const std::vector<CtrPair>& pairs,
                   const std::vector<std::vector<uint32_t>>& history, uint32_t num_items, int threads);

Status EvaluateKgcn(const std::string& dir, const EvalOptions& opts, EvalReport& report);

}  // namespace kgp::rec
