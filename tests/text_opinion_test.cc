// The opinion lexicon in reviews: how long a review may be, and which lexicon words are opinions.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

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
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(edges.ok());
  ASSERT_EQ(edges->size(), 10000u);
  EXPECT_EQ(edges->front().target_key, "apple");
  ASSERT_TRUE(edges->back().has_sentiment);
  EXPECT_GT(edges->back().sentiment, 0);
  EXPECT_LT(secs, 2.0) << "extracting one 60 KB review";
}

}  // namespace
}  // namespace kgp::text
