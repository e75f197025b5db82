// Claims about the person, which the gazetteer cannot see: traits ("price-sensitive",
// "bargain hunter", "brand-loyal", "early adopter", 对价格敏感 …), shopping frequency ("shops
// every week", 每月 …) and people named as the subject of a sentence ("Mateo is …") when the
// facts speak of one pseudonymous user. A trait is supported only when a fact states it (price
// sensitivity ≥ 0.5 for price-sensitive or bargain hunter, ≤ 0.5 for "not price-sensitive");
// the facts state no frequency and no other persona, so those claims are unsupported.
// Who the customer is — gender, age, city, occupation (the tables of graph/names.h), price
// level, lifecycle and RFM segment, purchase count — is checked against the user and price
// facts; a claim whose fact is missing is unsupported. Offers and deadlines ("free shipping",
// 买一送一, "ends tonight", 截止) are never in the facts (the coupon is decided in code): kOffer
// claims, always unsupported. docs/llm.md lists what is read and what is not.
// Matching is on English words (ASCII case-folded) and Chinese phrases. Thread-safe (pure).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "llm/facts.h"

namespace kgp::llm {

struct TraitClaim {
  enum Kind { kTrait, kPerson, kOffer } kind = kTrait;
  std::string surface;
  bool supported = false;
  std::string why;  // for unsupported claims
};

// The trait and person claims of one sentence. `named_subject` is true when the sentence
// begins with a gazetteer name (a brand or product is then the subject, not a person).
std::vector<TraitClaim> FindTraitClaims(std::string_view sentence, const FactSheet& facts, bool named_subject);

}  // namespace kgp::llm
