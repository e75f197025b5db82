// Models by name, for the CLI and the online recommender: MakeRecommender("ease", params).
// Names are case-insensitive; each model reads its own keys from params (see the model's
// Options::FromParams) and an unknown key is an error.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "recommend/algo/params.h"
#include "recommend/model.h"

namespace kgp::rec {

Result<std::unique_ptr<Recommender>> MakeRecommender(std::string_view name, const Params& params = {});
// From a spec `name[:key=value]...`.
Result<std::unique_ptr<Recommender>> MakeRecommender(const ModelSpec& spec);

struct ModelInfo {
  std::string name;     // as typed on the command line
  std::string summary;  // one line
};
const std::vector<ModelInfo>& KnownModels();

}  // namespace kgp::rec
