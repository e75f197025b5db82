// Related products: item → items, from co-purchase edges, session co-visitation, graph-
// embedding neighbours and the same brand or category, each with the reasons that put it there.
#pragma once

#include <string>
#include <vector>

#include "recommend/engine.h"

namespace kgp::rec {

struct RelatedItem {
  uint32_t item;
  float score;                       // weighted sum of the normalised source scores
  std::vector<std::string> reasons;  // "co_purchase", "covisit", "embedding", "same_brand", "same_category"
  std::string en, zh;                // the reasons as a sentence
};

std::vector<RelatedItem> Related(const Engine& e, uint32_t item, size_t k);

}  // namespace kgp::rec
