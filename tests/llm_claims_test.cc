// Claims about the customer and the offer that contradict the fact sheet (llm/traits.h):
// gender, age group, city, occupation, price level, lifecycle and RFM segment, purchase count,
// offers and deadlines the facts never make. Checked on the trait finder directly, with fact
// sheets built by hand, in English and Chinese; the texts the template backend writes for
// the same facts must stay fully supported.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <fmt/format.h>
#include <ctime>

#include "llm/claims.h"
#include "llm/facts.h"
#include "llm/traits.h"

namespace kgp::llm {
namespace {

// A 35-44-year-old male accountant in Wuhan, active, a champion, 30 purchases, mid price level.
FactSheet Sheet(bool zh) {
  FactSheet s;
  s.alias = "u_0123456789";
  Fact user{"user", {}};
  user.Set("alias", s.alias).Set("gender", "male").Set("age_group", "35-44").Set("city", zh ? "武汉" : "Wuhan");
  user.Set("occupation", zh ? "会计" : "accountant").Set("lifecycle", "active").Set("segment", zh ? "冠军客户" : "champions");
  user.Set("purchases", "30");
  s.facts.push_back(user);
  s.facts.push_back(Fact{"price", {}}.Set("level", "mid").Set("sensitivity", "0.30").Set("discount_response", "0.05"));
  return s;
}

// The unsupported claims of a text, sentence by sentence; `all` gets every claim.
std::vector<std::string> Unsupported(std::string_view text, const FactSheet& facts, std::vector<TraitClaim>* all = nullptr) {
  std::vector<std::string> out;
  for (const std::string& s : SplitSentences(text))
    for (TraitClaim& c : FindTraitClaims(s, facts, false)) {
      if (!c.supported) out.push_back(c.surface);
      if (all) all->push_back(c);
    }
  return out;
}

void ExpectCaught(std::string_view text, const FactSheet& facts, std::string_view surface) {
  const auto bad = Unsupported(text, facts);
  bool found = false;
  for (const std::string& b : bad) found = found || b == surface;
  EXPECT_TRUE(found) << "'" << surface << "' not caught in: " << text;
}

TEST(LlmClaims, WrongDemographicsAreCaughtInEnglish) {
  const FactSheet f = Sheet(false);
  ExpectCaught("u_0123456789 is a female customer.", f, "female");
  ExpectCaught("She loves coffee.", f, "She");
  ExpectCaught("The customer is aged 18-24.", f, "aged 18-24");
  ExpectCaught("A shopper in their 60s.", f, "in their 60s");
  ExpectCaught("They are a teenager.", f, "teenager");
  ExpectCaught("Baby boomers love this.", f, "Baby boomers");
  ExpectCaught("They live in Beijing.", f, "Beijing");
  ExpectCaught("They works as a nurse.", f, "nurse");
  ExpectCaught("The customer is a graphic designer.", f, "designer");
  ExpectCaught("The customer is retired.", f, "retired");
}

TEST(LlmClaims, WrongDemographicsAreCaughtInChinese) {
  const FactSheet f = Sheet(true);
  ExpectCaught("该顾客是一位女性顾客。", f, "女性");
  ExpectCaught("她最近常买咖啡。", f, "她");
  ExpectCaught("是一位18-24岁的顾客。", f, "18-24岁");
  ExpectCaught("TA 已经65岁及以上。", f, "65岁及以上");
  ExpectCaught("专为10后打造。", f, "10后");  // born 2010-2019: not 35-44 before 2045
  ExpectCaught("TA 是70后。", f, "70后");
  ExpectCaught("TA 住在北京。", f, "北京");
  ExpectCaught("TA 的职业为护士。", f, "护士");
  ExpectCaught("TA 是一名工程师。", f, "工程师");
}

// A cohort is this year's ages: supported when they meet the age group, whatever the year.
TEST(LlmClaims, CohortsAreCheckedAsThisYearsAges) {
  const int year = [] {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    return tm.tm_year + 1900;
  }();
  FactSheet f;
  f.alias = "u_0123456789";
  f.facts.push_back(Fact{"user", {}}.Set("alias", f.alias).Set("age_group", fmt::format("{}-{}", year - 1989, year - 1980)));
  std::vector<TraitClaim> all;
  EXPECT_TRUE(Unsupported("TA 是80后。", f, &all).empty());
  EXPECT_EQ(all.size(), 1u);
  all.clear();
  EXPECT_TRUE(Unsupported("A millennial who loves coffee.", f, &all).empty());
  EXPECT_EQ(all.size(), 1u);
  EXPECT_EQ(Unsupported("TA 是95后。", f).size(), 1u);
}

TEST(LlmClaims, WrongPriceLevelIsCaught) {
  FactSheet f = Sheet(false);
  ExpectCaught("They are a luxury shopper.", f, "luxury");
  ExpectCaught("They prefer high-end products.", f, "high-end");
  ExpectCaught("They buy budget items.", f, "budget");
  ExpectCaught("该顾客偏好高端商品。", Sheet(true), "高端");
  ExpectCaught("该顾客消费档次偏奢侈。", Sheet(true), "奢侈");
  ExpectCaught("TA 喜欢平价商品。", Sheet(true), "平价");
  for (Fact& x : f.facts)
    if (x.kind == "price") x.Set("level", "low");
  ExpectCaught("They are a luxury shopper.", f, "luxury");
  EXPECT_TRUE(Unsupported("They are not a luxury shopper.", f).empty());
}

TEST(LlmClaims, WrongLifecycleAndSegmentAreCaught) {
  const FactSheet en = Sheet(false), zh = Sheet(true);
  ExpectCaught("They have churned.", en, "churned");
  ExpectCaught("This is a lost customer.", en, "lost customer");
  ExpectCaught("They are lost.", en, "are lost");
  ExpectCaught("They sit in the 'lost' RFM segment.", en, "'lost'");
  ExpectCaught("The customer is dormant.", en, "dormant");
  ExpectCaught("They have stopped shopping with us.", en, "stopped shopping");
  ExpectCaught("该顾客已经流失。", zh, "流失");
  ExpectCaught("RFM 分群为“已流失客户”。", zh, "已流失客户");
  ExpectCaught("TA 目前处于沉睡阶段。", zh, "沉睡");
  // "at risk of churning" and 流失风险 are not churn.
  FactSheet risk = Sheet(true);
  for (Fact& x : risk.facts)
    if (x.kind == "user") x.Set("segment", "流失风险客户");
  EXPECT_TRUE(Unsupported("RFM 分群为“流失风险客户”。TA 有流失风险。", risk).empty());
}

TEST(LlmClaims, WrongPurchaseCountIsCaught) {
  ExpectCaught("The customer has never bought anything.", Sheet(false), "never bought anything");
  ExpectCaught("They have made no purchases yet.", Sheet(false), "no purchases");
  ExpectCaught("They made 12 purchases.", Sheet(false), "12 purchases");
  ExpectCaught("该顾客从未购买过商品。", Sheet(true), "从未购买");
  ExpectCaught("TA 购买了12次。", Sheet(true), "购买了12次");
  EXPECT_TRUE(Unsupported("They made 30 purchases. TA 购买了30次。They made over 20 purchases.", Sheet(false)).empty());
  FactSheet none = Sheet(false);
  for (Fact& x : none.facts)
    if (x.kind == "user") x.Set("purchases", "0");
  EXPECT_TRUE(Unsupported("The customer has never bought anything.", none).empty());
}

TEST(LlmClaims, InventedOffersAndDeadlinesAreCaught) {
  const FactSheet f = Sheet(false);
  ExpectCaught("Buy one get one free on all coffee!", f, "Buy one get one");
  ExpectCaught("Enjoy free shipping on your order.", f, "free shipping");
  ExpectCaught("The offer ends tonight.", f, "ends tonight");
  ExpectCaught("咖啡买一送一！", Sheet(true), "买一送一");
  ExpectCaught("全场包邮。", Sheet(true), "包邮");
  ExpectCaught("今晚12点截止！", Sheet(true), "截止");
  std::vector<TraitClaim> all;
  Unsupported("Free shipping today.", f, &all);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].kind, TraitClaim::kOffer);
}

// What the template backend writes for these facts (and what a careful model would) is not
// flagged, and the claims it makes are counted as supported.
TEST(LlmClaims, CorrectTextsAreNotFlagged) {
  std::vector<TraitClaim> all;
  const std::string en =
      "Customer u_0123456789 is a male shopper aged 35-44 from Wuhan who is an accountant. "
      "In terms of shopping habits, the customer prefers mid-priced items, is not very price-sensitive, is active "
      "and sits in the 'champions' RFM segment. He is not a luxury shopper and has made 30 purchases. "
      "He likes women's shoes as gifts and millennial pink. Limited time only! Happy shopping!";
  EXPECT_TRUE(Unsupported(en, Sheet(false), &all).empty());
  EXPECT_GE(all.size(), 9u);  // male, aged, Wuhan, accountant, mid-priced, active, champions, He, 30 purchases …
  all.clear();
  const std::string zh =
      "顾客 u_0123456789 是一位35-44岁男性顾客，常住武汉，职业为会计。"
      "在消费习惯上，偏好中等价位商品，对价格不太敏感，目前处于活跃阶段，RFM 分群为“冠军客户”。"
      "TA 累计购买了30次。满300后可用，20:00后发货，满50后再减，12.25后到货。送给60后爸妈。"
      "名额有限，先到先得！为3岁以上儿童挑选玩具。";
  EXPECT_TRUE(Unsupported(zh, Sheet(true), &all).empty());
  EXPECT_GE(all.size(), 8u);
  // Sentences that name none of these say nothing about them.
  all.clear();
  EXPECT_TRUE(Unsupported("Marketing can focus personalised offers on coffee. 建议优先推送咖啡相关的新品与活动。", Sheet(false), &all).empty());
  EXPECT_TRUE(all.empty());
}

TEST(LlmClaims, MissingFactsMakeTheClaimUnsupported) {
  FactSheet f;
  f.alias = "u_0123456789";
  f.facts.push_back(Fact{"user", {}}.Set("alias", f.alias).Set("purchases", "3"));
  for (std::string_view s : {"A female customer.", "They are aged 25-34.", "They live in Shanghai.",
                             "They work as a nurse.", "A luxury shopper.", "They have churned."})
    EXPECT_EQ(Unsupported(s, f).size(), 1u) << s;
}

}  // namespace
}  // namespace kgp::llm
