// Link prediction and similarity on trained embeddings: best tails for (h, r, ?), best heads
// for (?, r, t), and an entity's nearest neighbours by cosine similarity.
#pragma once

#include <cstdint>
#include <vector>

#include "embed/dataset.h"
#include "embed/model.h"

namespace kgp::embed {

struct Scored {
  uint32_t id;
  float score;
};

// Top k by score, best first; ids in `exclude` (sorted) are skipped (e.g. known answers).
std::vector<Scored> TopK(const std::vector<float>& scores, size_t k, const uint32_t* exclude_begin = nullptr,
                         const uint32_t* exclude_end = nullptr);
std::vector<Scored> PredictTails(const Model& m, const Params& p, uint32_t h, uint32_t r, size_t k,
                                 const KnownTriples* skip_known = nullptr);
std::vector<Scored> PredictHeads(const Model& m, const Params& p, uint32_t r, uint32_t t, size_t k,
                                 const KnownTriples* skip_known = nullptr);
// Cosine similarity over entity rows, the entity itself excluded.
std::vector<Scored> NearestEntities(const Params& p, uint32_t e, size_t k);

}  // namespace kgp::embed
