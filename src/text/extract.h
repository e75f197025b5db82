// Relation extraction from one text, with provenance: product titles give MADE_BY (brand) and
// HAS_ATTRIBUTE (key=value); reviews and posts give MENTIONS of brands, categories, attribute
// values and tagged entities, each with the aspect sentiment of the opinion words near it.
// Entities come from the gazetteer (the shop's own names) and, when a tagger is given, from
// its BIO spans; where both cover the same bytes the gazetteer wins (it knows the key).
// Bad text (invalid UTF-8, empty, longer than max_bytes) is refused with a reason.
// Thread safety: Extract is const; one Extractor may serve many threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "text/gazetteer.h"
#include "text/normalize.h"
#include "text/opinion.h"
#include "text/sentiment.h"
#include "text/tagger.h"

namespace kgp::text {

enum class TextKind { kTitle, kReview };

struct ExtractedEdge {
  std::string relation;      // MADE_BY, HAS_ATTRIBUTE, MENTIONS
  std::string target_type;   // node type prefix: brand, category, attribute, entity
  std::string target_key;    // brand key, category code, key=value, or type:surface for entities
  std::string entity_type;   // what the span is: brand, category, attribute, product, model, misc, aspect
  uint32_t begin = 0, end = 0;  // bytes in the text
  std::string surface;
  bool has_sentiment = false;
  double sentiment = 0;
  std::string method;        // gazetteer | tagger
};

struct ExtractOptions {
  size_t max_bytes = 1 << 16;  // longer texts are refused (counted, not cut)
  // Which texts the tagger reads: a model trained on titles is out of its domain on reviews.
  bool tag_titles = true, tag_reviews = true;
};

// Maps tagger types to entity types (HPPX -> brand, HCCX -> product, XH -> model, ASP -> aspect,
// others lower-cased).
std::string EntityTypeOfTag(std::string_view tag_type);

class Extractor {
 public:
  // Any pointer may be null; all are borrowed and must outlive the extractor.
  // tagger_names: the gazetteer a model trained with gazetteer features reads (MODEL.gaz).
  Extractor(const Gazetteer* names, const Tagger* tagger, const OpinionLexicon* lexicon,
            ExtractOptions opts = {}, const Gazetteer* tagger_names = nullptr)
      : names_(names), tagger_(tagger), lexicon_(lexicon), opts_(opts), tagger_names_(tagger_names) {}

  // Status InvalidArgument with the reason for bad text.
  Result<std::vector<ExtractedEdge>> Extract(std::string_view text, TextKind kind) const;

  // Tagger spans over a text as (begin, end, tag type) in bytes, without the white space a
  // span's edge tokens may be (Trim), and none in a clause plainly in the other language than
  // the model's; char or word tokens per the model. Empty when no tagger. (Extract calls it
  // only for texts in the model's language.)
  struct ByteSpan {
    uint32_t begin, end;
    std::string type;
  };
  std::vector<ByteSpan> TagSpans(std::string_view text) const;

 private:
  const Gazetteer* names_;
  const Tagger* tagger_;
  const OpinionLexicon* lexicon_;
  ExtractOptions opts_;
  const Gazetteer* tagger_names_;
};

// Splits text into the tagger's tokens with byte offsets: every code point (kChar) or English
// word tokens (kWord).
std::vector<Token> TaggerTokens(std::string_view text, TokenUnit unit);

}  // namespace kgp::text
