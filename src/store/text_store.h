// Store side of the text stage (kgprofile text extract): what it reads (texts, product titles,
// the shop's names for the gazetteer) and the one place its results are written (text_edges,
// text_sentiment, text_rejects, and entities found by the tagger). Plain structs: the store
// knows nothing of the text module. Not thread-safe (one Db).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/db.h"

namespace kgp {

// A text to analyse: a review/post (source "text", texts.id) or a title (source "item", items.id).
struct TextSource {
  std::string source;
  int64_t id = 0;
  std::string lang;  // may be empty
  std::string body;
  // For a title (source "item"): what the catalogue says of the item, its brand key (empty:
  // none) and its attributes as "key=value".
  std::string brand;
  std::vector<std::string> attributes;
};

// Calls fn for every product title, then every stored text. Stops at the first error fn returns.
Status ForEachTextSource(Db& db, const std::function<Status(const TextSource&)>& fn);
int64_t CountTextSources(Db& db);

// A name from the catalogue: brands (name, zh name), categories (English and Chinese names,
// last part of the code), attribute values.
struct CatalogueName {
  std::string name, type, key;        // type: brand | category | attribute
  std::vector<std::string> context;   // e.g. a brand's root category names
  double prior = 1;                   // how many products carry it
};
std::vector<CatalogueName> LoadCatalogueNames(Db& db);

// A product title with the names of its own brand and primary category (catalogue facts), to
// label titles for training a tagger without hand annotation.
struct TitleFacts {
  std::string title;
  std::vector<std::string> brand_names, category_names;
};
Status ForEachTitleFacts(Db& db, const std::function<Status(const TitleFacts&)>& fn);

struct TextEdgeRow {
  std::string source;
  int64_t source_id = 0;
  std::string relation, target_type, target_key, entity_type;
  int64_t span_begin = 0, span_end = 0;
  std::string surface;
  std::optional<double> sentiment;
  std::string method;
};
struct TextSentimentRow {
  int64_t text_id = 0;
  double score = 0;
  std::string method;
};
struct TextRejectRow {
  std::string source;
  int64_t source_id = 0;
  std::string reason;
};

// The evidence of one analysed text: the text as extraction saw it (offsets apply to it) and
// its edges in span order. For reports and for profile tags that cite their evidence.
struct TextEvidence {
  int64_t text_id = 0;
  std::string text;
  std::optional<double> rating;
  std::vector<TextEdgeRow> edges;
};
// The first review (lowest id) with at least min_sentiments MENTIONS carrying a sentiment.
std::optional<TextEvidence> FirstReviewEvidence(Db& db, int min_sentiments = 2);

// Replaces all earlier text-stage results with these, in one transaction. Entities found by
// the tagger (target_type "entity") are added to `entities` (name = target_key, with a type);
// those of earlier runs that no edge names any more (and no KG triple uses) are removed.
Status ReplaceTextResults(Db& db, const std::vector<TextEdgeRow>& edges, const std::vector<TextSentimentRow>& sentiment,
                          const std::vector<TextRejectRow>& rejects);

}  // namespace kgp
