// The models the sequence and CTR protocols run by default, by spec `name[:key=value,...]`:
// "pop", "markov", "seqmix" (src/recommend/seq) and "kgmf" (src/recommend/kg). The
// harness may pass a factory of its own that knows more (EvalOptions::make_model).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "recommend/eval/protocol_options.h"

namespace kgp::rec {

ModelFactory SequenceModelFactory();
std::vector<std::string> DefaultSequenceModels();
ModelFactory CtrModelFactory();
std::vector<std::string> DefaultCtrModels();
// Builds, without fitting, the model of every spec with make (empty: the factory above): an
// unknown model or key is an error before any data is read, not after the models before it
// were fitted.
Status CheckModelSpecs(const std::vector<std::string>& specs, const ModelFactory& make = {});
// Whether the model of this spec reads side information (and so gets an ablation row).
bool UsesSideInfo(std::string_view spec);

}  // namespace kgp::rec
