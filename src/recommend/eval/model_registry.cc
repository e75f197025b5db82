#include "recommend/eval/model_registry.h"

#include <fmt/format.h>

#include "recommend/kg/kg_mf.h"
#include "recommend/seq/seq_mix.h"

namespace kgp::rec {
namespace {

std::pair<std::string_view, std::string_view> SplitSpec(std::string_view spec) {
  size_t c = spec.find(':');
  if (c == std::string_view::npos) return {spec, {}};
  return {spec.substr(0, c), spec.substr(c + 1)};
}

Result<std::unique_ptr<Recommender>> Make(std::string_view spec) {
  auto [name, params] = SplitSpec(spec);
  if (name == "pop") {
    if (!params.empty()) return Status::InvalidArgument(fmt::format("model '{}': pop takes no options", spec));
    return std::unique_ptr<Recommender>(std::make_unique<Popularity>());
  }
  if (name == "seqmix" || name == "markov") {
    auto o = ParseSeqMixOptions(params);
    if (!o.ok()) return o.status();
    SeqMixOptions so = *o;
    if (name == "markov") {  // first-order transitions only, popularity to break ties
      if (!params.empty()) return Status::InvalidArgument(fmt::format("model '{}': markov takes no options", spec));
      so.window = 1, so.backward = 0, so.two_hop = 0, so.attr = 0, so.recency = 0;
    }
    return std::unique_ptr<Recommender>(std::make_unique<SeqMix>(so, name == "markov" ? "Markov" : "SeqMix"));
  }
  if (name == "kgmf") {
    auto o = ParseKgMfOptions(params);
    if (!o.ok()) return o.status();
    return std::unique_ptr<Recommender>(std::make_unique<KgMf>(*o));
  }
  return Status::InvalidArgument(fmt::format("unknown model '{}' (pop, markov, seqmix, kgmf)", name));
}

}  // namespace

ModelFactory SequenceModelFactory() { return Make; }
ModelFactory CtrModelFactory() { return Make; }
std::vector<std::string> DefaultSequenceModels() { return {"pop", "markov", "seqmix"}; }
std::vector<std::string> DefaultCtrModels() { return {"pop", "kgmf"}; }

bool UsesSideInfo(std::string_view spec) {
  auto name = SplitSpec(spec).first;
  return name == "seqmix" || name == "kgmf";
}

}  // namespace kgp::rec
