#include "recommend/eval/model_registry.h"

#include <fmt/format.h>

#include "recommend/algo/factory.h"

namespace kgp::rec {
namespace {
Result<std::unique_ptr<Recommender>> Make(std::string_view spec) {
  auto parsed = ParseModelSpec(spec);
  if (!parsed.ok()) return parsed.status();
  return MakeRecommender(*parsed);
}
}  // namespace

ModelFactory SequenceModelFactory() { return Make; }
ModelFactory CtrModelFactory() { return Make; }
std::vector<std::string> DefaultSequenceModels() { return {"mostpop", "itemknn", "ease", "markov", "seqmix", "seqrank"}; }
std::vector<std::string> DefaultCtrModels() { return {"mostpop", "itemknn", "bpr", "ease", "kgmf"}; }

Status CheckModelSpecs(const std::vector<std::string>& specs, const ModelFactory& make) {
  for (const auto& spec : specs) {
    auto model = make ? make(spec) : Make(spec);
    if (!model.ok()) return model.status();
  }
  return Status::Ok();
}

bool UsesSideInfo(std::string_view spec) {
  auto name = spec.substr(0, spec.find(':'));
  return name == "seqmix" || name == "seqrank" || name == "kgmf";
}

}  // namespace kgp::rec
