// What a prompt may state: facts from the knowledge graph and the profile as short lines
// "- kind | key=value | key=value" (one statement each, readable by a model and parseable by
// the template backend), and what the claim checker accepts as true for that prompt: the graph
// nodes the facts name (with each product's brand and category chain, and each category's
// ancestors), the prices and the discounts they state. docs/llm.md lists the kinds.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "graph/graph.h"

namespace kgp::llm {

class Lexicon;

struct Fact {
  std::string kind;  // user | category | brand | purchase | price | coupon | item | path | candidate
  std::vector<std::pair<std::string, std::string>> fields;

  std::string Get(std::string_view key) const;  // "" when absent
  Fact& Set(std::string key, std::string value);  // '|' and newlines in values become spaces
  // "- kind | k=v | k=v"; without numbers, the values of the number fields (IsNumberField) read "#".
  std::string Line(bool numbers = true) const;
};

// Fields whose values this code formats from numbers (prices, counts, weights, shares, coupon
// figures), never free text: purchases, weight, sensitivity, discount_response, price, paid,
// discount_pct, zhe, min_spend, n. The PII scan reads the prompt with them masked, so that a
// user id such as 409 is not taken for the price 409 (docs/llm.md).
bool IsNumberField(std::string_view key);

// Fact lines of a text (lines starting with "- " and holding " | "); other lines are skipped.
std::vector<Fact> ParseFacts(std::string_view text);

struct FactSheet {
  std::string alias;  // the user's pseudonym ("u_" + 10 hex digits)
  std::vector<Fact> facts;
  std::vector<NodeId> entities;   // sorted, unique: what may be named
  std::vector<double> prices;     // prices that may be stated (products, coupon thresholds)
  std::vector<double> discounts;  // fractions off that may be stated (0.2 = 20% off = 8折)
  // Prices the user paid for a product (purchase facts' `paid`): a sentence naming that product
  // may state them as well as its current price.
  std::vector<std::pair<NodeId, double>> paid;
  std::string currency = "CNY";   // of every price (llm/currency.h; kgprofile.conf `currency`)

  // Adds a node and what it implies: a product's brand and category chain, a category's
  // ancestors. Keeps entities sorted.
  void Allow(const Lexicon& lx, NodeId n);
  void AllowPrice(double p) { prices.push_back(p); }
  void AllowDiscount(double d) { discounts.push_back(d); }
  void AllowPaid(NodeId product, double p) { paid.emplace_back(product, p), prices.push_back(p); }
  bool Allows(NodeId n) const;
  std::string Block(bool numbers = true) const;  // the fact lines (Fact::Line), one per line
  nlohmann::json ToJson() const;  // {"alias", "facts": [lines]}
};

// RFM segments (profile/finalize.cc ScoreRfm) as (en, zh) pairs: the user fact's segment is
// written with them, and the claim checker reads them back (traits.h).
std::span<const std::pair<const char*, const char*>> RfmSegments();
// The segment as written in lang; "" when there is no Chinese name for it.
std::string SegmentName(const std::string& seg, const std::string& lang);

// "6999" for whole amounts, "19.90" otherwise.
std::string FormatPrice(double p);

}  // namespace kgp::llm
