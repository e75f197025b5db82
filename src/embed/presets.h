// Documented hyperparameters per model (docs/embed.md lists them with the figures they give).
// A preset is chosen by the size of the graph, never by a dataset's name, so the same preset
// serves every graph of its size class:
//   small      < 2,000 entities (UMLS, Kinship, Nations)
//   large      >= 2,000 entities (WN18RR, FB15k-237-sized graphs)
//   ecommerce  a workspace graph (users, products, categories, brands, attributes, entities)
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "embed/model.h"
#include "embed/trainer.h"

namespace kgp::embed {

struct Preset {
  std::string name;  // small | large | ecommerce
  ModelConfig model;
  TrainOptions train;
  // Non-empty: the model starts from this model's preset trained first on the same graph at
  // the same dim (the large TransR starts from a TransE, as Lin et al. 2015 initialise it).
  std::string warm_start;
};

const std::vector<std::string>& PresetNames();
// name "auto" picks small or large from num_entities.
Result<Preset> GetPreset(const std::string& name, const std::string& model, size_t num_entities);

}  // namespace kgp::embed
