#include "llm/traits.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <span>

#include <fmt/format.h>

#include "common/strings.h"

namespace kgp::llm {
namespace {

// Whole-word find in lower-cased ASCII text (Chinese phrases: plain substring).
size_t FindWord(const std::string& text, std::string_view w, size_t from = 0) {
  const bool ascii = static_cast<unsigned char>(w[0]) < 0x80;
  for (size_t at = text.find(w, from); at != std::string::npos; at = text.find(w, at + 1)) {
    if (!ascii) return at;
    const bool left = at == 0 || !std::isalnum(static_cast<unsigned char>(text[at - 1]));
    const size_t end = at + w.size();
    const bool right = end >= text.size() || !std::isalnum(static_cast<unsigned char>(text[end]));
    if (left && right) return at;
  }
  return std::string::npos;
}

// "not", "isn't", "never" or 不 shortly before position at.
bool Negated(const std::string& text, size_t at) {
  const size_t from = at > 16 ? at - 16 : 0;
  const std::string before = text.substr(from, at - from);
  return FindWord(before, "not") != std::string::npos || FindWord(before, "never") != std::string::npos ||
         before.find("n't") != std::string::npos || before.find("不") != std::string::npos;
}

double PriceField(const FactSheet& facts, std::string_view key) {
  for (const Fact& f : facts.facts)
    if (f.kind == "price")
      if (auto v = ParseDouble(f.Get(key))) return *v;
  return NAN;
}

constexpr const char* kPriceSensitive[] = {"price-sensitive", "price sensitive", "bargain hunter", "bargain-hunter",
                                           "deal seeker", "deal-seeker", "对价格不太敏感", "对价格不敏感", "价格敏感",
                                           "对价格较为敏感", "对价格敏感"};
constexpr const char* kPersona[] = {"early adopter", "night owl", "night-owl", "frequent reviewer", "brand-loyal",
                                    "brand loyal", "impulse buyer", "trendsetter", "忠实粉丝", "夜猫子", "尝鲜"};
constexpr const char* kFrequency[] = {"every day", "every week", "every month", "every season", "every year",
                                      "once a day", "once a week", "once a month", "once a year", "twice a week",
                                      "twice a month", "times a week", "times a month", "on holidays", "每天",
                                      "每周", "每月", "每季", "每年"};
constexpr const char* kPersonVerbs[] = {"is", "was", "has", "shops", "buys", "bought", "loves", "likes", "prefers"};
constexpr const char* kNotPeople[] = {"this", "that", "it", "he", "she", "they", "there", "here", "our", "your", "we",
                                      "you", "their", "its", "because", "everyone", "each", "what", "which", "who",
                                      "the", "a", "an", "now", "today", "shopping", "price", "customer", "shopper"};

}  // namespace

std::vector<TraitClaim> FindTraitClaims(std::string_view sentence, const FactSheet& facts, bool named_subject) {
  std::vector<TraitClaim> out;
  const std::string s(Trim(sentence));
  const std::string low = ToLowerAscii(s);
  const double sens = PriceField(facts, "sensitivity");
  for (const char* w : kPriceSensitive) {
    const size_t at = FindWord(low, w);
    if (at == std::string::npos) continue;
    TraitClaim c;
    c.surface = s.substr(at, std::string_view(w).size());
    const bool neg = Negated(low, at) || std::string_view(w).find("不") != std::string_view::npos;
    c.supported = !std::isnan(sens) && (neg ? sens <= 0.5 : sens >= 0.5);
    if (!c.supported)
      c.why = std::isnan(sens) ? fmt::format("'{}': the facts give no price sensitivity", c.surface)
                               : fmt::format("'{}{}': price sensitivity is {:.2f}", neg ? "not " : "", c.surface, sens);
    out.push_back(std::move(c));
    break;  // one price-sensitivity claim per sentence
  }
  const auto unsupported = [&](std::span<const char* const> words, const char* what) {
    for (const char* w : words) {
      const size_t at = FindWord(low, w);
      if (at == std::string::npos) continue;
      TraitClaim c;
      c.surface = s.substr(at, std::string_view(w).size());
      c.why = fmt::format("{} '{}' is not among the facts given", what, c.surface);
      out.push_back(std::move(c));
    }
  };
  unsupported(kPersona, "trait");
  unsupported(kFrequency, "shopping frequency");
  // "Mateo is …": a capitalised first word followed by a verb, not a pronoun or the alias.
  if (!named_subject && !s.empty() && std::isupper(static_cast<unsigned char>(s[0]))) {
    size_t n = 1;
    while (n < s.size() && std::islower(static_cast<unsigned char>(s[n]))) ++n;
    const std::string first = ToLowerAscii(s.substr(0, n));
    const bool word_ends = n < s.size() && s[n] == ' ';
    const bool pronoun = std::find(std::begin(kNotPeople), std::end(kNotPeople), first) != std::end(kNotPeople);
    if (word_ends && n > 1 && !pronoun) {
      const size_t vend = s.find(' ', n + 1);
      const std::string verb = ToLowerAscii(s.substr(n + 1, vend == std::string::npos ? std::string::npos : vend - n - 1));
      if (std::find(std::begin(kPersonVerbs), std::end(kPersonVerbs), verb) != std::end(kPersonVerbs)) {
        TraitClaim c;
        c.kind = TraitClaim::kPerson;
        c.surface = s.substr(0, n);
        c.why = fmt::format("'{}' is not the user of the facts ({})", c.surface, facts.alias);
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

}  // namespace kgp::llm
