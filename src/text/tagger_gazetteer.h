// Gazetteer features for the tagger: per-token gazetteer tags (B-type / I-type of the
// leftmost-longest name covering the token), a gazetteer of the entity surfaces of a training
// set, and jackknifed tags for training — each training sentence sees only names from the
// other folds, so that the tagger learns how far to trust the list instead of copying it.
// The gazetteer travels with a model as MODEL.gaz (one `type<TAB>name` per line).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "text/bio.h"
#include "text/gazetteer.h"
#include "text/normalize.h"
#include "text/tagger.h"

namespace kgp::text {

// Tags for toks (byte spans in text).
std::vector<std::string> GazetteerTags(const Gazetteer& g, std::string_view text, const std::vector<Token>& toks);
// Same for bare tokens: characters are concatenated, words joined by single spaces.
std::vector<std::string> GazetteerTags(const Gazetteer& g, const std::vector<std::string>& tokens, TokenUnit unit);

// Names = entity surfaces of the sentences whose index % folds != skip (skip >= folds: all).
Gazetteer SurfaceGazetteer(const std::vector<Sentence>& sents, TokenUnit unit, size_t folds = 1, size_t skip = 1);
std::vector<std::vector<std::string>> JackknifeGazetteerTags(const std::vector<Sentence>& sents, TokenUnit unit,
                                                             size_t folds = 5);

inline std::string GazetteerSidecar(const std::string& model_path) { return model_path + ".gaz"; }
// The sidecar of a model trained with gazetteer features; nullopt for other models.
Result<std::optional<Gazetteer>> LoadModelGazetteer(const Tagger& model, const std::string& model_path);

Status SaveGazetteerTsv(const Gazetteer& g, const std::string& path);
Result<Gazetteer> LoadGazetteerTsv(const std::string& path);

}  // namespace kgp::text
