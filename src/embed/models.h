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
// Default bound of the uniform initial values of the translation models (TransE, TransR), so
// that distances start near gamma's scale: (gamma + 2) / dim under L1 (RotatE's choice; an L1
// distance sums dim terms), (gamma + 2) / sqrt(dim) under L2 (an L2 distance grows with
// sqrt(dim); with the L1 bound the entities start so small that the relations grow to gamma
// first and the scores stop depending on the entities); Bordes et al.'s 6 / sqrt(dim) when
// there is no gamma (margin loss).
float DistanceInit(const ModelConfig& c);

}  // namespace kgp::embed
