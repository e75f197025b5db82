// The pipeline stage `kgprofile text extract WORKSPACE`: reads product titles and stored texts
// through the store API (store/text_store.h), builds the gazetteer from the shop's own names,
// runs extraction (extract.h) and whole-text sentiment, and writes edges with their evidence
// spans through ReplaceTextResults. `kgprofile graph build` then turns them into graph edges.
// Without a tagger model only the gazetteer finds entities; without a sentiment model the
// opinion lexicon scores whole texts.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/status.h"
#include "store/db.h"
#include "text/bio.h"

namespace kgp::text {

// max_bytes at most this (16 MiB): a title or a review is far shorter.
constexpr size_t kMaxTextBytesLimit = size_t{1} << 24;

struct ExtractStageOptions {
  std::string tagger_path;     // optional BIO tagger model (text train-ner)
  std::string sentiment_path;  // optional sentiment model (text train-sentiment)
  size_t max_bytes = 1 << 16;  // longer texts are skipped with a reason; 1 .. kMaxTextBytesLimit
  // titles | reviews | all: the texts the tagger reads (a model trained on titles is out of its
  // domain on reviews). Character models read Chinese texts only, word models English ones.
  std::string tagger_on = "titles";
  // Distinct things (brands, categories, attributes, entities) one text may name, in text order;
  // the mentions of any further ones are left out and counted. A review that lists hundreds of
  // brands would otherwise give its writer hundreds of entity interests.
  size_t max_targets = 64;  // 1 .. kMaxTargetsLimit
  // Mentions of one thing one text may give (each adds to the writer's edge to it): the first
  // ones in text order; further ones are left out and counted.
  size_t max_mentions = 8;  // 1 .. kMaxTargetsLimit
};
inline constexpr size_t kMaxTargetsLimit = 100000;

struct ExtractStageReport {
  uint64_t sources = 0, bytes = 0, skipped = 0;
  uint64_t gazetteer_names = 0;
  std::map<std::string, uint64_t> edges_by_relation;
  std::map<std::string, uint64_t> skipped_by_reason;
  uint64_t mentions_with_sentiment = 0;
  uint64_t tagger_entities = 0;  // distinct entities the tagger found (rows of `entities`)
  uint64_t tagger_edges = 0;     // edges it found, to those entities and model= attributes
  // Title edges left out because the catalogue already says otherwise (extract_stage.cc AgainstCatalogue).
  uint64_t title_edges_against_catalogue = 0;
  // Texts that named more than max_targets things, and the mentions of the further ones left out.
  uint64_t texts_over_max_targets = 0, edges_over_max_targets = 0;
  uint64_t edges_over_max_mentions = 0;  // mentions of one thing past max_mentions in a text
  uint64_t texts_scored = 0, texts_positive = 0;
  std::string sentiment_method;  // model | lexicon
  double seconds = 0;
};

// Replaces the stored results (text_edges, text_sentiment, text_rejects) with this run's. When
// there are texts and every one was skipped, nothing is replaced and the error says why (a
// --max-bytes 0 wiped the earlier results).
Status RunTextExtract(Db& db, const ExtractStageOptions& opts, ExtractStageReport* report);

// Silver BIO sentences from the catalogue: each product title, one token per character, with
// its own brand's names tagged HPPX and its category's names tagged HCCX (folded, case-blind
// matching). Titles where nothing is found are left out. For training a tagger on a shop's own
// titles without hand annotation (`kgprofile text make-bio`, the demo).
Result<std::vector<Sentence>> SilverTitleSet(Db& db);

}  // namespace kgp::text
