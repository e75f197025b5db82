// Documented hyperparameters per model (docs/embed.md lists them with the figures they give).
// A preset is chosen by the size of the graph, never by a dataset's name, so the same preset
// serves every graph of its size class:
//   small      < 2,000 entities (UMLS, Kinship, Nations)
//   large      >= 2,000 entities (WN18RR, FB15k-237-sized graphs)
//   ecommerce  a workspace graph (users, products, categories, brands, attributes, entities)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "embed/model.h"
#include "embed/trainer.h"

namespace kgp::embed {

// A model trained first on the same graph, whose tables the preset's model starts from.
struct WarmStart {
  ModelConfig model;
  TrainOptions train;
};

struct Preset {
  std::string name;  // small | large | ecommerce
  ModelConfig model;
  TrainOptions train;
  // Set: TrainPreset (embed/kge.h) trains this first, at the preset's dim and threads, and
  // starts the model from it (the large TransR starts from the large TransE, as Lin et al.
  // 2015 initialise it).
  std::optional<WarmStart> warm_start;
};

const std::vector<std::string>& PresetNames();
// name "auto" picks small or large from num_entities.
Result<Preset> GetPreset(const std::string& name, const std::string& model, size_t num_entities);

}  // namespace kgp::embed
