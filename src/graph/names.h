// What a node of the knowledge graph is called in Chinese and in English: the one place that
// decides it, read by the language-model layer (llm/lexicon.h) and by the recommendation
// explanations (recommend/explain.h). Products: their title; brands: brands.name / name_zh (a
// brand known only by its key is written capitalised, short keys as acronyms: "HP");
// categories: categories.name_en / name_zh, code-like English names as words ("water_heater" →
// "water heater"), a missing Chinese name from a built-in table of common category words
// ("refrigerators" → 冰箱; unknown words stay as written); cities and occupations: the value in
// the other language from built-in tables (武汉 ↔ Wuhan, nurse ↔ 护士; TraitName). Immutable
// after Load(): safe to share between threads.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "graph/graph.h"
#include "store/db.h"

namespace kgp {

class NodeNames {
 public:
  // REQUIRES: g outlives the names. Reads the categories, brands and items tables.
  static Result<NodeNames> Load(Db& db, const Graph& g);

  const Graph& graph() const { return *g_; }
  // Name in "zh" or "en"; falls back to the other language, then the graph label or key.
  std::string Name(NodeId n, std::string_view lang) const;
  // False where the only "name" is an identifier that means nothing to a reader: a product
  // without a title (its id) and a category known only by a source id ("id:2053013555631882655",
  // store/writer.h).
  bool HasName(NodeId n) const;
  // True where the Chinese name came from the built-in table of category words, not from the
  // shop: good to read, too generic to find in a text (包, 手机 are parts of other words).
  bool Glossed(NodeId n) const;

 private:
  const Graph* g_ = nullptr;
  std::vector<std::string> zh_, en_;  // by node
  std::vector<bool> unnamed_;         // by node
  std::vector<bool> glossed_;         // by node
};

// A city or an occupation in "zh" or "en" ("武汉" → "Wuhan", "Wuhan" → "武汉", "nurse" → "护士",
// "护士" → "nurse"); "" when the tables do not know the value (the caller decides whether to
// keep it as written). Other node types: "".
std::string TraitName(NodeType t, std::string_view value, std::string_view lang);

// The built-in tables TraitName translates with, (zh, en) pairs: cities or occupations (other
// node types: empty). The claim checker (llm/traits.h) finds cities and occupations in texts
// with them.
struct TraitPair {
  const char *zh, *en;
};
std::span<const TraitPair> TraitTable(NodeType t);

// A city or an occupation as written in a text in lang: its translation (TraitName), else the
// value itself when it reads in that language (ASCII in "en", not all ASCII in "zh"), else "":
// no "living in 武汉" in English, no "职业为pilot" in Chinese. A value that looks like an address
// (a digit, '@' or '#', or over 15 bytes for a city, 24 for an occupation) is "" in both: the
// one filter of what the profile summaries and the recommendation explanations may state.
std::string TraitNameIn(NodeType t, std::string_view value, std::string_view lang);

// An English occupation as a verb phrase after its subject: "is an accountant", "is a student",
// "is retired", "works in healthcare" (MovieLens names fields); "" for "none" and "other",
// which say nothing.
std::string OccupationPhrase(std::string_view en);

// "water_heater" → "water heater": an identifier-like name (lower-case ASCII with underscores,
// no spaces) as words; other names unchanged.
std::string HumanizeName(std::string_view name);

// A category known only by its source id ("id:…"), which names nothing.
bool IsPlaceholderCategory(std::string_view code_or_name);

}  // namespace kgp
