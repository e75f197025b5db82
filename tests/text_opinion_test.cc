// The opinion lexicon in reviews: how long a review may be, and which lexicon words are opinions.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/time.h"
#include "text/extract.h"
#include "text/gazetteer.h"
#include "text/opinion.h"

namespace kgp::text {
namespace {

// Each mention used to read its whole clause again: 10,000 mentions in one 60 KB review took
// about 10 s. The review is read once now.
TEST(TextOpinion, ALongReviewIsReadOnceForAllItsMentions) {
  Gazetteer g;
  g.Add({"Apple", "brand", "apple", {"phone"}, 5});
  g.Add({"apple", "category", "food.fruit", {"fruit"}, 1});
  g.Build();
  OpinionLexicon lex;
  Extractor ex(&g, nullptr, &lex);
  std::string text;
  for (int i = 0; i < 10000; ++i) text += "apple ";
  text += "phone is great";
  const auto t0 = std::chrono::steady_clock::now();
  auto edges = ex.Extract(text, TextKind::kReview);
  const double secs = kgp::SecondsSince(t0);
  ASSERT_TRUE(edges.ok());
  ASSERT_EQ(edges->size(), 10000u);
  EXPECT_EQ(edges->front().target_key, "apple");
  ASSERT_TRUE(edges->back().has_sentiment);
  EXPECT_GT(edges->back().sentiment, 0);
  EXPECT_LT(secs, 2.0) << "extracting one 60 KB review";
}

// 不 in 不锈钢 (stainless) and 无 in 无线 (wireless) flipped the praise after them, and 卡 (laggy)
// in the brand 迪卡侬 cancelled it: five-star reviews scored negative or 0.
TEST(TextOpinion, CharactersInsideWordsAndNamesAreNoOpinions) {
  Gazetteer g;
  g.Add({"迪卡侬", "brand", "decathlon", {}, 1});
  g.Add({"Decathlon", "brand", "decathlon", {}, 1});
  g.Add({"好孩子", "brand", "goodbaby", {}, 1});
  g.Add({"耳机", "category", "electronics.audio", {}, 1});
  g.Build();
  OpinionLexicon lex;
  Extractor ex(&g, nullptr, &lex);
  for (std::string text : {"这个不锈钢锅很好", "无线耳机很好", "迪卡侬很好", "好孩子推车很差"}) {
    const double want = text.find("很差") == std::string::npos ? 1 : -1;
    auto edges = ex.Extract(text, TextKind::kReview);
    ASSERT_TRUE(edges.ok()) << text;
    std::vector<std::pair<uint32_t, uint32_t>> names;  // as text extract scores the whole review
    for (const auto& e : *edges) names.emplace_back(e.begin, e.end);
    EXPECT_GT(lex.Read(text, names).TextSentiment() * want, 0) << text;
    for (const auto& e : *edges) {
      ASSERT_TRUE(e.has_sentiment) << text << " " << e.surface;
      EXPECT_GT(e.sentiment * want, 0) << text << " " << e.surface;
    }
  }
  auto zh = ex.Extract("迪卡侬很好", TextKind::kReview), en = ex.Extract("Decathlon很好", TextKind::kReview);
  ASSERT_TRUE(zh.ok() && en.ok() && zh->size() == 1 && en->size() == 1);
  EXPECT_EQ(zh->front().sentiment, en->front().sentiment);
  // Single characters that are words of their own still count.
  for (std::string text : {"质量不好", "手机很卡", "一点都不卡", "物流很快", "没有异味，很香"}) {
    const double want = text == "质量不好" || text == "手机很卡" ? -1 : 1;
    EXPECT_GT(lex.TextSentiment(text) * want, 0) << text;
  }
  // So do they with a sentence particle, which ICU keeps in their word (贵了, 慢了).
  for (std::string text : {"贵了", "有点贵了", "价格贵了", "发货慢了", "太慢啦"})
    EXPECT_LT(lex.TextSentiment(text), 0) << text;
}

// An opinion character at the end of a longer word is part of a noun (卡 in 信用卡, 差 in 出差), and
// 无/没/未/别 negate only the word right after them (无糖: sugar-free): each read the praise after it
// as 0 or negative.
TEST(TextOpinion, NounsEndingInAnOpinionCharacterAndDistantNegationsAreNoOpinions) {
  OpinionLexicon lex;
  for (std::string text : {"无糖可乐很好喝", "信用卡很好用", "没想到这么好用"}) EXPECT_GT(lex.TextSentiment(text), 0) << text;
  for (std::string text : {"经常出差", "一张信用卡"}) EXPECT_EQ(lex.TextSentiment(text), 0) << text;
  // Still opinions: after a lexicon word in their word (很差), on their own, negated right away.
  for (std::string text : {"质量很差", "做工真差", "味道很差劲", "不好用"}) EXPECT_LT(lex.TextSentiment(text), 0) << text;
  for (std::string text : {"无异味", "没有异味，很香", "不贵"}) EXPECT_GT(lex.TextSentiment(text), 0) << text;
}

// 好 right before another opinion word means "so": 这手机好卡 (this phone is so laggy) and 好贵 read
// 0 when 好 counted as praise against the complaint. Before a negation it does not: 好不好用 (is it
// any good?) is a question.
TEST(TextOpinion, HaoBeforeAnOpinionWordIsADegreeWord) {
  OpinionLexicon lex;
  for (std::string text : {"这手机好卡", "好贵", "好差", "好卡啊"}) EXPECT_LT(lex.TextSentiment(text), 0) << text;
  for (std::string text : {"好好吃", "很好", "好看", "好用"}) EXPECT_GT(lex.TextSentiment(text), 0) << text;
  for (std::string text : {"好不好用", "好不好"}) EXPECT_EQ(lex.TextSentiment(text), 0) << text;
  EXPECT_LT(lex.TextSentiment("好贵"), lex.TextSentiment("贵")) << "so dear is worse than dear";
}

}  // namespace
}  // namespace kgp::text
