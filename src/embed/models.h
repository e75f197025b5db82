// Factories of the built-in models, one file each (model_*.cc). Internal to embed/.
#pragma once

#include <memory>
#include <vector>

#include "embed/model.h"

namespace kgp::embed {

std::unique_ptr<Model> MakeTransE(const ModelConfig& c);
std::unique_ptr<Model> MakeTransR(const ModelConfig& c);
std::unique_ptr<Model> MakeDistMult(const ModelConfig& c);
std::unique_ptr<Model> MakeComplEx(const ModelConfig& c);
std::unique_ptr<Model> MakeRotatE(const ModelConfig& c);

void FillUniform(FloatTable& v, float bound, Rng& rng);

}  // namespace kgp::embed
