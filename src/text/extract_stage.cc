#include "text/extract_stage.h"

#include <cctype>
#include <chrono>
#include <memory>
#include <optional>
#include <map>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "common/progress.h"
#include "store/text_store.h"
#include "common/strings.h"
#include "common/time.h"
#include "text/extract.h"
#include "text/tagger_gazetteer.h"

namespace kgp::text {
namespace {

// The catalogue is the record of a product's brand and attributes: its title may add what the
// catalogue lacks, never a second brand (a tagger reading "Mobi Garden" as brand "mobi"), a
// second value of a key it states ("chocolate" in the title of a bar whose flavour is vanilla),
// or a value it states under another key (weight=10kg of a washer whose capacity is 10kg; a bare
// number, size=43 from "43英寸", against screen=43in).
// A title fact the catalogue states already (the same brand, the same key=value) adds nothing.
enum class TitleFact { kNew, kKnown, kContradicted };

TitleFact AgainstCatalogue(const TextSource& src, const ExtractedEdge& e) {
  if (e.relation == "MADE_BY") {
    if (src.brand.empty()) return TitleFact::kNew;
    return e.target_type == "brand" && e.target_key == src.brand ? TitleFact::kKnown : TitleFact::kContradicted;
  }
  if (e.relation != "HAS_ATTRIBUTE") return TitleFact::kNew;
  if (std::find(src.attributes.begin(), src.attributes.end(), e.target_key) != src.attributes.end()) return TitleFact::kKnown;
  const size_t eq = e.target_key.find('=');
  if (eq == std::string::npos) return TitleFact::kNew;
  const std::string_view key = std::string_view(e.target_key).substr(0, eq);
  const std::string value = ToLowerAscii(std::string_view(e.target_key).substr(eq + 1));
  const bool number = !value.empty() && value.find_first_not_of("0123456789.") == std::string::npos;
  for (const std::string& kv : src.attributes) {
    const size_t at = kv.find('=');
    if (at == std::string::npos) continue;
    const std::string theirs = ToLowerAscii(std::string_view(kv).substr(at + 1));
    if (std::string_view(kv).substr(0, at) == key || theirs == value) return TitleFact::kContradicted;
    if (number && theirs.size() > value.size() && theirs.compare(0, value.size(), value) == 0 &&
        !std::isdigit(static_cast<unsigned char>(theirs[value.size()])) && theirs[value.size()] != '.')
      return TitleFact::kContradicted;
  }
  return TitleFact::kNew;
}

}  // namespace

Status RunTextExtract(Db& db, const ExtractStageOptions& opts, ExtractStageReport* report) {
  auto t0 = std::chrono::steady_clock::now();
  if (opts.max_targets < 1 || opts.max_targets > kMaxTargetsLimit)
    return Status::InvalidArgument(fmt::format("max_targets = {}: must be from 1 to {}", opts.max_targets, kMaxTargetsLimit));
  if (opts.max_mentions < 1 || opts.max_mentions > kMaxTargetsLimit)
    return Status::InvalidArgument(fmt::format("max_mentions = {}: must be from 1 to {}", opts.max_mentions, kMaxTargetsLimit));
  if (opts.max_bytes < 1 || opts.max_bytes > kMaxTextBytesLimit) {
    return Status::InvalidArgument(
        fmt::format("max_bytes = {}: must be from 1 to {}", opts.max_bytes, kMaxTextBytesLimit));
  }
  if (opts.tagger_on != "all" && opts.tagger_on != "titles" && opts.tagger_on != "reviews")
    return Status::InvalidArgument("tagger_on must be titles, reviews or all");
  ExtractStageReport rep;
  Gazetteer names;
  for (auto& n : LoadCatalogueNames(db)) names.Add({n.name, n.type, n.key, n.context, n.prior});
  names.Build();
  rep.gazetteer_names = names.num_patterns();
  std::optional<Tagger> tagger;
  std::optional<Gazetteer> tagger_names;
  if (!opts.tagger_path.empty()) {
    auto t = Tagger::Load(opts.tagger_path);
    if (!t.ok()) return t.status();
    tagger = std::move(t).value();
    auto g = LoadModelGazetteer(*tagger, opts.tagger_path);
    if (!g.ok()) return g.status();
    tagger_names = std::move(g).value();
  }
  std::optional<SentimentModel> sent;
  if (!opts.sentiment_path.empty()) {
    auto s = SentimentModel::Load(opts.sentiment_path);
    if (!s.ok()) return s.status();
    sent = std::move(s).value();
  }
  rep.sentiment_method = sent ? "model" : "lexicon";
  OpinionLexicon lexicon;
  ExtractOptions eo;
  eo.max_bytes = opts.max_bytes;
  eo.tag_titles = opts.tagger_on != "reviews";
  eo.tag_reviews = opts.tagger_on != "titles";
  Extractor ex(&names, tagger ? &*tagger : nullptr, &lexicon, eo, tagger_names ? &*tagger_names : nullptr);

  std::vector<TextEdgeRow> edges;
  std::vector<TextSentimentRow> scores;
  std::vector<TextRejectRow> rejects;
  std::set<std::string> tagger_entities;  // keys: an entity is counted once however many edges name it
  Progress progress("text extract", static_cast<uint64_t>(CountTextSources(db)), "texts");
  KGP_RETURN_IF_ERROR(ForEachTextSource(db, [&](const TextSource& src) {
    ++rep.sources;
    rep.bytes += src.body.size();
    progress.Add(1);
    bool review = src.source == "text";
    auto found = ex.Extract(src.body, review ? TextKind::kReview : TextKind::kTitle);
    if (!found.ok()) {
      ++rep.skipped;
      const std::string& why = found.status().message();
      ++rep.skipped_by_reason[why.rfind("text of ", 0) == 0 ? "too long" : why];
      rejects.push_back({src.source, src.id, found.status().message()});
      return Status::Ok();
    }
    std::map<std::pair<std::string, std::string>, size_t> targets;  // (type, key) this text names, kept: mentions
    bool over = false;
    for (auto& e : *found) {
      if (!review) {
        const TitleFact fact = AgainstCatalogue(src, e);
        rep.title_edges_against_catalogue += fact == TitleFact::kContradicted;
        // A known brand stays: MADE_BY from the title is the gazetteer's evidence for it.
        if (fact == TitleFact::kContradicted || (fact == TitleFact::kKnown && e.relation == "HAS_ATTRIBUTE")) continue;
      }
      auto seen = targets.find({e.target_type, e.target_key});
      if (seen == targets.end()) {
        if (targets.size() >= opts.max_targets) {
          ++rep.edges_over_max_targets;
          over = true;
          continue;
        }
        seen = targets.emplace(std::make_pair(e.target_type, e.target_key), 0).first;
      }
      if (seen->second >= opts.max_mentions) {
        ++rep.edges_over_max_mentions;
        continue;
      }
      ++seen->second;
      TextEdgeRow r{src.source, src.id, e.relation, e.target_type, e.target_key, e.entity_type,
                    e.begin, e.end, e.surface, std::nullopt, e.method};
      if (e.has_sentiment) {
        r.sentiment = e.sentiment;
        ++rep.mentions_with_sentiment;
      }
      if (e.method == "tagger") {
        ++rep.tagger_edges;
        if (e.target_type == "entity") tagger_entities.insert(e.target_key);
      }
      ++rep.edges_by_relation[e.relation];
      edges.push_back(std::move(r));
    }
    rep.texts_over_max_targets += over;
    if (review) {
      std::vector<std::pair<uint32_t, uint32_t>> spans;  // no name is an opinion word ("迪卡侬" holds 卡)
      for (const auto& e : *found) spans.emplace_back(e.begin, e.end);
      double score = sent ? 2 * sent->Predict(src.body) - 1 : lexicon.Read(src.body, std::move(spans)).TextSentiment();
      scores.push_back({src.id, score, rep.sentiment_method});
      ++rep.texts_scored;
      rep.texts_positive += score > 0;
    }
    return Status::Ok();
  }));
  progress.Finish();
  rep.tagger_entities = tagger_entities.size();
  if (rep.sources > 0 && rep.skipped == rep.sources) {
    std::string why;
    for (const auto& [reason, n] : rep.skipped_by_reason) why += fmt::format("{}{}: {}", why.empty() ? "" : ", ", reason, n);
    return Status::InvalidArgument(fmt::format(
        "text extract: all {} texts were skipped ({}); the results of the last run are kept", rep.sources, why));
  }
  KGP_RETURN_IF_ERROR(ReplaceTextResults(db, edges, scores, rejects));
  rep.seconds = SecondsSince(t0);
  if (report) *report = rep;
  return Status::Ok();
}

Result<std::vector<Sentence>> SilverTitleSet(Db& db) {
  std::vector<Sentence> out;
  std::vector<uint32_t> off;
  Status st = ForEachTitleFacts(db, [&](const TitleFacts& f) {
    if (f.title.empty() || !IsValidUtf8(f.title)) return Status::Ok();
    std::vector<Token> toks = TaggerTokens(f.title, TokenUnit::kChar);
    std::vector<std::string> tags(toks.size(), "O");
    std::string folded = FoldForMatch(f.title, &off);
    bool any = false;
    auto label = [&](const std::vector<std::string>& names, const char* type) {
      for (const auto& n : names) {
        std::string fn = FoldForMatch(n);
        if (fn.size() < 2) continue;
        for (size_t p = folded.find(fn); p != std::string::npos; p = folded.find(fn, p + fn.size())) {
          uint32_t b = off[p], e = off[p + fn.size()];
          bool free = true, first = true;
          for (size_t i = 0; i < toks.size(); ++i)
            if (toks[i].begin >= b && toks[i].end <= e && tags[i] != "O") free = false;
          if (!free) continue;
          for (size_t i = 0; i < toks.size(); ++i)
            if (toks[i].begin >= b && toks[i].end <= e) {
              tags[i] = std::string(first ? "B-" : "I-") + type;
              first = false;
            }
          any |= !first;
        }
      }
    };
    label(f.brand_names, "HPPX");
    label(f.category_names, "HCCX");
    if (!any) return Status::Ok();
    Sentence s;
    for (const auto& t : toks) s.tokens.emplace_back(t.text);
    s.tags = std::move(tags);
    out.push_back(std::move(s));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

}  // namespace kgp::text
