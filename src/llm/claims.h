// The claim checker: every product, brand and category a generated text names (found with the
// graph's gazetteer, lexicon.h) and every price and discount it states ("¥6999", "6999元",
// "$12.50", "20% off", "8折" = 20% off, "八五折" = 15% off, "半价") is a claim; a claim is
// supported when the prompt's facts allow it (facts.h FactSheet: the nodes the facts name and
// what the graph says about them, the prices and discounts they state); a price in a sentence
// naming exactly one product must be that product's price (or a coupon figure); a percentage
// that is no discount is a share ("42% of their activity"): the weight of the category or brand
// the sentence names. Traits, shopping frequency, who the customer is (gender, age, city,
// occupation, price level, lifecycle, purchases), offers and deadlines, and people named as a
// sentence's subject are claims too (traits.h).
// Sentences with an unsupported claim are removed. faithfulness = supported claims / claims (1 when none).
// The checker knows nothing of the backend that wrote the text. Thread-safe (const).
#pragma once

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "llm/facts.h"
#include "llm/lexicon.h"

namespace kgp::llm {

enum class ClaimKind { kProduct, kBrand, kCategory, kPrice, kDiscount, kTrait, kPerson, kShare, kOffer };
const char* ClaimKindName(ClaimKind k);

struct Claim {
  ClaimKind kind;
  std::string surface;     // as written
  size_t sentence = 0;     // index into CheckResult::sentences
  std::vector<NodeId> nodes;  // named nodes (entities)
  double value = NAN;      // price, fraction off for a discount, fraction for a share
  bool supported = false;
  std::string why;         // for unsupported claims: what the facts say instead
};

struct CheckResult {
  std::vector<std::string> sentences;
  std::vector<bool> kept;
  std::vector<Claim> claims;
  size_t supported = 0;
  double faithfulness = 1;
  std::string text;  // the kept sentences
  std::vector<std::string> removed;
  nlohmann::json ToJson(const Graph& g) const;
};

// A price, discount or share expression.
struct Amount {
  size_t begin = 0, end = 0;
  double value = 0;  // price, fraction off (0.2 for 20% off), or fraction (0.42 for 42%)
  bool discount = false;
  bool share = false;  // a percentage that is not a discount ("42% of their activity")
  std::string mark = {};  // a price's currency mark as written ("$", "元")
  int decimals = 0;       // of a price, as written: 0 for "¥9,944" and 二百零九元, 2 for "¥9,944.00", 1 for 九块九
};
// Prices need a currency mark (llm/currency.h: ¥ $ € £ RMB USD … before, also glued: RMB209; 元
// 美元 yuan … after); "N%", "N %", "N percent" and 百分之N are percentages: a discount when
// followed by "off" or in a sentence about a discount or coupon, else a share. Full-width digits
// and signs read as ASCII (２０９元, ３０％); amounts in Chinese numerals before a Chinese mark
// (二百零九元, 三千五百块, 九块九) are prices. Spans are bytes of the sentence as written. A
// stated price is true when it is the true price rounded to the decimals it is written with
// (¥9,944 and ¥9,944.00 for 9944, ¥47 for 47.40; not ¥10,040 for 9944).
std::vector<Amount> FindAmounts(std::string_view sentence);

// Splits after 。！？；!?; newlines, and '.' followed by a space or the end.
std::vector<std::string> SplitSentences(std::string_view text);

class ClaimChecker {
 public:
  explicit ClaimChecker(const Lexicon& lx) : lx_(lx) {}
  CheckResult Check(std::string_view text, const FactSheet& facts) const;

 private:
  const Lexicon& lx_;
};

}  // namespace kgp::llm
