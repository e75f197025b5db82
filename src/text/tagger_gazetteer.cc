#include "text/tagger_gazetteer.h"

#include <fstream>

#include <fmt/format.h>

#include "common/strings.h"

namespace kgp::text {

std::vector<std::string> GazetteerTags(const Gazetteer& g, std::string_view text, const std::vector<Token>& toks) {
  std::vector<std::string> tags(toks.size());
  size_t t = 0;
  for (const auto& m : g.Match(text)) {
    while (t < toks.size() && toks[t].end <= m.begin) ++t;
    bool first = true;
    for (size_t i = t; i < toks.size() && toks[i].begin < m.end; ++i)
      if (toks[i].begin >= m.begin && toks[i].end <= m.end) {
        tags[i] = (first ? "B-" : "I-") + g.entries()[m.entry].type;
        first = false;
      }
  }
  return tags;
}

std::vector<std::string> GazetteerTags(const Gazetteer& g, const std::vector<std::string>& tokens, TokenUnit unit) {
  std::string text;
  std::vector<Token> toks;
  for (const auto& w : tokens) {
    if (unit == TokenUnit::kWord && !text.empty()) text += ' ';
    toks.push_back({static_cast<uint32_t>(text.size()), static_cast<uint32_t>(text.size() + w.size()), {}});
    text += w;
  }
  if (!IsValidUtf8(text)) return std::vector<std::string>(tokens.size());
  return GazetteerTags(g, text, toks);
}

Gazetteer SurfaceGazetteer(const std::vector<Sentence>& sents, TokenUnit unit, size_t folds, size_t skip) {
  Gazetteer g;
  for (size_t s = 0; s < sents.size(); ++s) {
    if (folds > 1 && s % folds == skip) continue;
    for (const Span& sp : SpansFromTags(sents[s].tags)) {
      std::string name;
      for (uint32_t i = sp.begin; i < sp.end; ++i) {
        if (unit == TokenUnit::kWord && i > sp.begin) name += ' ';
        name += sents[s].tokens[i];
      }
      if (IsValidUtf8(name)) g.Add({name, sp.type, name, {}, 1});
    }
  }
  g.Build();
  return g;
}

std::vector<std::vector<std::string>> JackknifeGazetteerTags(const std::vector<Sentence>& sents, TokenUnit unit,
                                                             size_t folds) {
  std::vector<std::vector<std::string>> out(sents.size());
  for (size_t k = 0; k < folds; ++k) {
    Gazetteer g = SurfaceGazetteer(sents, unit, folds, k);
    for (size_t s = k; s < sents.size(); s += folds) out[s] = GazetteerTags(g, sents[s].tokens, unit);
  }
  return out;
}

Result<std::optional<Gazetteer>> LoadModelGazetteer(const Tagger& model, const std::string& model_path) {
  if (!model.uses_gazetteer()) return std::optional<Gazetteer>();
  auto g = LoadGazetteerTsv(GazetteerSidecar(model_path));
  if (!g.ok())
    return Status::NotFound(fmt::format("{} was trained with gazetteer features and needs {}: {}", model_path,
                                        GazetteerSidecar(model_path), g.status().message()));
  return std::optional<Gazetteer>(std::move(g).value());
}

Status SaveGazetteerTsv(const Gazetteer& g, const std::string& path) {
  std::ofstream o(path, std::ios::binary | std::ios::trunc);
  if (!o) return Status::IoError(fmt::format("{}: cannot write", path));
  for (const auto& e : g.entries())
    if (e.name.find_first_of("\t\r\n") == std::string::npos) o << e.type << '\t' << e.name << '\n';
  o.close();
  if (!o) return Status::IoError(fmt::format("{}: write failed", path));
  return Status::Ok();
}

Result<Gazetteer> LoadGazetteerTsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(fmt::format("{}: cannot open the gazetteer", path));
  Gazetteer g;
  std::string line;
  uint64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t tab = line.find('\t');
    if (tab == std::string::npos || !IsValidUtf8(line))
      return Status::Corruption(fmt::format("{}:{}: expected `type<TAB>name` in UTF-8", path, n));
    std::string name = line.substr(tab + 1);
    g.Add({name, line.substr(0, tab), name, {}, 1});
  }
  g.Build();
  return g;
}

}  // namespace kgp::text
