// Floors on slices of the real sets (../shared/data); the full runs are in make eval
// (scripts/eval-text.sh). Each test trains for a few seconds at most.
#include <gtest/gtest.h>

#include "test_util.h"
#include "text/datasets.h"
#include "text/evaluate.h"
#include "text/sentiment.h"
#include "text/tagger.h"

namespace kgp::text {
namespace {

TEST(TextData, TaobaoNerSliceF1) {
  KGP_REQUIRE_DATA(dir, "ecommerce-ner-zh");
  BioReadStats st;
  auto train = ReadBioFile(dir + "/train.txt", &st);
  ASSERT_TRUE(train.ok()) << train.status().ToString();
  EXPECT_EQ(st.sentences, 6000u);
  EXPECT_EQ(st.bad_lines, 0u) << st.first_error;
  auto test = ReadBioFile(dir + "/test.txt");
  ASSERT_TRUE(test.ok());
  test->resize(400);
  TaggerOptions o;
  o.epochs = 5;
  auto m = Tagger::Train(*train, o);
  ASSERT_TRUE(m.ok());
  TaggerEval ev = EvaluateTagger(*m, *test);
  EXPECT_GE(ev.spans.micro.F1(), 0.70) << "micro F1 on 400 test titles, 5 epochs";
  EXPECT_GE(ev.spans.by_type["HCCX"].F1(), 0.70);
  EXPECT_GE(ev.MBps(), 0.3);  // the 1 MB/s target is measured by make bench, on an idle core
}

TEST(TextData, SemEvalLaptopAspectTermsSliceF1) {
  KGP_REQUIRE_DATA(dir, "semeval14-absa");
  auto train = LoadTaggedSet(dir + "/Laptop_Train_v2.xml", "absa");
  auto test = LoadTaggedSet(dir + "/Laptops_Test_Gold.xml", "absa");
  ASSERT_TRUE(train.ok() && test.ok());
  EXPECT_EQ(train->size(), 3045u);
  TaggerOptions o;
  o.unit = TokenUnit::kWord;
  o.epochs = 5;
  auto m = Tagger::Train(*train, o);
  ASSERT_TRUE(m.ok());
  // The task's official baseline scored about 0.36 on laptops.
  EXPECT_GE(EvaluateTagger(*m, *test).spans.micro.F1(), 0.55);
}

TEST(TextData, ChineseReviewSentimentSliceAccuracy) {
  KGP_REQUIRE_DATA(dir, "online-shopping-10cats-zh");
  ReadStats st;
  auto all = ReadLabeledCsv(dir + "/online_shopping_10_cats.csv", &st);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(st.records, 62774u);
  EXPECT_EQ(st.skipped, 1u);  // one row has an empty review
  std::vector<LabeledText> train, test;
  ASSERT_TRUE(SeededSplit(std::move(all).value(), 0.2, 42, &train, &test).ok());
  train.resize(15000);
  test.resize(3000);
  SentimentOptions o;
  o.hash_bits = 20;
  auto m = SentimentModel::Train(train, o);
  ASSERT_TRUE(m.ok());
  EXPECT_GE(m->Evaluate(test).Accuracy(), 0.86);
}

}  // namespace
}  // namespace kgp::text
