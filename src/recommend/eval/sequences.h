// Chronological sequence datasets (`user item item …`, one user per line, as S3-Rec's
// Beauty.txt) with optional item attributes (`{"item": [attr, …], …}`, as
// Beauty_item2attributes.json), and S3-Rec's evaluation protocol on them:
// leave-one-out (last item = test, second to last = validation, the rest = training), each
// held-out item ranked against 99 negatives sampled uniformly, once per user with a fixed
// seed, from the items of the dataset the user never interacted with (validation and test
// share them). HR@k, NDCG@k (one relevant item: 1/log2(rank+2)) and MRR over all users.
// See docs/recommend-eval-seq.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "recommend/eval/protocol_options.h"
#include "recommend/eval/report.h"
#include "recommend/interactions.h"
#include "recommend/model.h"

namespace kgp::rec {

struct SequenceData {
  std::vector<std::string> users;               // ids as written in the file, in file order
  std::vector<std::vector<uint32_t>> sequences;  // item ids (as in the file), chronological
  uint32_t num_items = 0;                        // 1 + the largest item id seen (either file)
  std::vector<std::vector<uint32_t>> item_attributes;  // empty when no attribute file
  uint32_t num_attributes = 0;
};

// Reads `user item item …` lines (spaces or tabs; LF or CRLF). Errors name file:line and
// the field. max_users > 0 stops after that many users.
Result<SequenceData> LoadSequences(const std::string& path, size_t max_users = 0);
// Reads a JSON object item id → array of attribute ids into data.item_attributes.
Status LoadItemAttributes(const std::string& path, SequenceData& data);

// Attributes as KG triples (item i → entity num_items + attribute, relation 0), the form
// every Recommender reads side information in.
SideInfo AttributesAsSideInfo(const SequenceData& data);

// The first `size() - holdout` items of every sequence, as a chronological matrix.
InteractionMatrix SequencePrefixMatrix(const SequenceData& data, size_t holdout);

// n negatives per user drawn uniformly without replacement from the items that occur in
// the dataset, excluding every item of the user's sequence (fewer when too few are left).
std::vector<std::vector<uint32_t>> SampleNegatives(const SequenceData& data, size_t n, uint64_t seed);

struct LooResult {
  double hr1 = 0, hr5 = 0, hr10 = 0, ndcg5 = 0, ndcg10 = 0, mrr = 0;
  size_t users = 0;
};
// Ranks, for every user with at least 3 items, sequence[size - holdout] against the user's
// negatives, scoring with history = the items before it. A tie with a negative counts
// against the held-out item.
LooResult ScoreLeaveOneOut(const Recommender& model, const SequenceData& data,
                           const std::vector<std::vector<uint32_t>>& negatives, size_t holdout, int threads);

// Finds the sequence file (and its `<stem>_item2attributes.json`) in dir (or dir is the
// file), runs every model with and without attributes, appends rows to report.
Status EvaluateSequences(const std::string& dir, const EvalOptions& opts, EvalReport& report);

}  // namespace kgp::rec
