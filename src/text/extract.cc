#include "text/extract.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/strings.h"
#include "text/normalize.h"
#include "text/tagger_gazetteer.h"

namespace kgp::text {

std::string EntityTypeOfTag(std::string_view t) {
  if (t == "HPPX") return "brand";
  if (t == "HCCX") return "product";
  if (t == "XH") return "model";
  if (t == "ASP") return "aspect";
  return ToLowerAscii(t);
}

std::vector<Token> TaggerTokens(std::string_view text, TokenUnit unit) {
  if (unit == TokenUnit::kWord) return TokenizeEnglish(text);
  std::vector<Token> out;
  for (size_t i = 0; i < text.size();) {
    size_t b = i;
    DecodeUtf8(text, i);
    out.push_back({static_cast<uint32_t>(b), static_cast<uint32_t>(i), text.substr(b, i - b)});
  }
  return out;
}

namespace {

// The clauses of text as [begin, end) byte ranges, in order: the text between clause marks
// (, ; ! ? newline, ". ", and their full-width forms ，。；！？). One pass, however many spans.
std::vector<std::pair<size_t, size_t>> Clauses(std::string_view text) {
  static const std::string_view kMarks[] = {",", ";", "!", "?", "\n", ". ", "，", "。", "；", "！", "？"};
  std::vector<std::pair<size_t, size_t>> out;
  size_t begin = 0;
  for (size_t i = 0; i < text.size(); ++i)
    for (std::string_view m : kMarks)
      if (text.substr(i, m.size()) == m) {
        out.emplace_back(begin, i);
        begin = i + m.size();
        i = begin - 1;
        break;
      }
  out.emplace_back(begin, text.size());
  return out;
}

// A clause plainly in the other language than a model's: for a character (Chinese) model,
// no Han character and at least three words of letters only ("Apple iPhone is great"; the
// specs "Mate60 Pro 256GB" of a Chinese title have one and stay); for a word (English) model,
// a clause judged Chinese.
bool OtherLanguageClause(std::string_view clause, TokenUnit unit) {
  if (unit == TokenUnit::kWord) return GuessLanguage(clause) == "zh";
  size_t words = 0;
  bool letters_only = false, in_token = false;
  for (size_t i = 0; i <= clause.size();) {
    const Script k = i < clause.size() ? ScriptOf(DecodeUtf8(clause, i)) : (++i, Script::kSpace);
    if (k == Script::kHan) return false;
    const bool letter = k == Script::kUpper || k == Script::kLower;
    if (k == Script::kSpace || k == Script::kPunct) {
      if (in_token && letters_only) ++words;
      in_token = false;
    } else {
      letters_only = in_token ? letters_only && letter : letter;
      in_token = true;
    }
  }
  return words >= 3;
}

}  // namespace

std::vector<Extractor::ByteSpan> Extractor::TagSpans(std::string_view text) const {
  std::vector<ByteSpan> out;
  if (!tagger_) return out;
  std::vector<Token> toks = TaggerTokens(text, tagger_->unit());
  std::vector<std::string> words;
  words.reserve(toks.size());
  for (const auto& t : toks) words.emplace_back(t.text);
  std::vector<std::string> gaz;
  if (tagger_->uses_gazetteer() && tagger_names_) gaz = GazetteerTags(*tagger_names_, text, toks);
  auto tags = tagger_->Tag(words, gaz.empty() ? nullptr : &gaz);
  const std::vector<Span> spans = SpansFromTags(tags);
  const auto clauses = spans.empty() ? std::vector<std::pair<size_t, size_t>>{} : Clauses(text);
  for (const Span& s : spans) {
    // A character model tags spaces too ("Mate60 Pro ", "\t256GB"): the span is what lies
    // between them.
    uint32_t b = toks[s.begin].begin, e = toks[s.end - 1].end;
    std::string_view kept = Trim(text.substr(b, e - b));
    if (kept.empty()) continue;
    // In a mixed text the model's language is decided per clause: a Chinese model does not
    // read "great" in "Apple iPhone is great, 苹果手机非常好！" as a brand.
    b = static_cast<uint32_t>(kept.data() - text.data());
    // The clause the span starts in (the last that begins at or before it; the first begins at 0).
    const auto c = std::upper_bound(clauses.begin(), clauses.end(), size_t{b},
                                    [](size_t at, const auto& cl) { return at < cl.first; }) - 1;
    if (OtherLanguageClause(text.substr(c->first, c->second - c->first), tagger_->unit())) continue;
    out.push_back({b, b + static_cast<uint32_t>(kept.size()), s.type});
  }
  return out;
}

Result<std::vector<ExtractedEdge>> Extractor::Extract(std::string_view text, TextKind kind) const {
  if (Trim(text).empty()) return Status::InvalidArgument("empty text");
  if (text.size() > opts_.max_bytes)
    return Status::InvalidArgument(fmt::format("text of {} bytes is over the {}-byte limit", text.size(), opts_.max_bytes));
  if (!IsValidUtf8(text)) return Status::InvalidArgument("invalid UTF-8");
  std::vector<ExtractedEdge> out;
  std::vector<std::pair<uint32_t, uint32_t>> covered;  // every name matched, in text order
  if (names_) {
    for (const auto& m : names_->Match(text)) {
      const GazetteerEntry& g = names_->entries()[m.entry];
      ExtractedEdge e;
      e.target_type = g.type;
      e.target_key = g.key;
      e.entity_type = g.type;
      e.begin = m.begin;
      e.end = m.end;
      e.surface = std::string(text.substr(m.begin, m.end - m.begin));
      e.method = "gazetteer";
      covered.emplace_back(e.begin, e.end);
      // In a review a bare number ("10 stars", "2 weeks") is no size or capacity.
      if (kind == TextKind::kReview && g.type == "attribute" &&
          e.surface.find_first_not_of("0123456789.,") == std::string::npos)
        continue;
      if (kind == TextKind::kTitle) {
        if (g.type == "brand") e.relation = "MADE_BY";
        else if (g.type == "attribute") e.relation = "HAS_ATTRIBUTE";
        else continue;  // a category named in a title adds nothing the catalogue lacks
      } else {
        e.relation = "MENTIONS";
      }
      out.push_back(std::move(e));
    }
  }
  // A character model (Chinese titles) reads Chinese text, a word model (English reviews)
  // English text; the other language is outside what either has seen.
  const bool same_language = tagger_ && (GuessLanguage(text) == "zh") == (tagger_->unit() == TokenUnit::kChar);
  const bool tag = same_language && (kind == TextKind::kTitle ? opts_.tag_titles : opts_.tag_reviews);
  const size_t names = covered.size();
  for (const auto& s : tag ? TagSpans(text) : std::vector<ByteSpan>{}) {
    // The first name ending after the span starts (names do not overlap): does it start before its end?
    auto c = std::upper_bound(covered.begin(), covered.begin() + static_cast<std::ptrdiff_t>(names), s.begin,
                              [](uint32_t at, const auto& n) { return at < n.second; });
    if (c != covered.begin() + static_cast<std::ptrdiff_t>(names) && c->first < s.end) continue;
    ExtractedEdge e;
    e.entity_type = EntityTypeOfTag(s.type);
    e.begin = s.begin;
    e.end = s.end;
    e.surface = std::string(text.substr(s.begin, s.end - s.begin));
    // Keys are single-line (exports are line-based): "Mate60\nPro" is "mate60 pro".
    std::string name = CollapseSpaces(FoldForMatch(e.surface));
    if (name.empty()) continue;
    e.target_type = "entity";
    e.target_key = e.entity_type + ":" + name;
    e.method = "tagger";
    if (kind == TextKind::kTitle) {
      if (e.entity_type == "brand") e.relation = "MADE_BY";
      else if (e.entity_type == "model") {
        e.relation = "HAS_ATTRIBUTE";
        e.target_type = "attribute";
        e.target_key = "model=" + name;
      } else {
        e.relation = "MENTIONS";
      }
    } else {
      e.relation = "MENTIONS";
    }
    covered.emplace_back(e.begin, e.end);
    out.push_back(std::move(e));
  }
  if (kind == TextKind::kReview && lexicon_) {
    // The text is read once for all its mentions; no name is an opinion about itself.
    const TextOpinions opinions = lexicon_->Read(text, std::move(covered));
    for (auto& e : out)
      if (auto s = opinions.AspectSentiment(e.begin, e.end)) {
        e.has_sentiment = true;
        e.sentiment = *s;
      }
  }
  return out;
}

}  // namespace kgp::text
