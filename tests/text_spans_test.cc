// Tagger spans as the text stage stores them: without the white space a character model tags
// along ("Mate60 Pro ", "\t256GB"), and entity keys on one line whatever white space the span
// holds inside.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "text/extract.h"
#include "text/tagger.h"

namespace kgp::text {
namespace {

// Titles "<filler><model>手机" whose model spans (XH) take the white space around and inside
// them, as spans in Chinese title data do.
std::vector<Sentence> SpacedModelSet() {
  const std::vector<std::string> spaces = {" ", "\t", "\xE3\x80\x80", "\n", "\r\n\t", "  "};
  const std::vector<std::string> fills = {"新款", "正品", "包邮"};
  const std::vector<std::string> models = {"M7", "X9", "P50", "K40"};
  std::vector<Sentence> out;
  for (int i = 0; i < 240; ++i) {
    Sentence s;
    // One token per byte: the title is ASCII but for the filler and 手机, added whole.
    auto add = [&](const std::string& text, const char* first, const char* rest) {
      for (size_t k = 0; k < text.size(); ++k) {
        bool multi = static_cast<unsigned char>(text[k]) >= 0x80;
        s.tokens.push_back(multi ? text.substr(k, 3) : text.substr(k, 1));
        s.tags.emplace_back(k == 0 ? first : rest);
        if (multi) k += 2;
      }
    };
    add(fills[i % 3], "O", "O");
    bool lead = i % 2;
    if (lead) add(spaces[i % 6], "B-XH", "I-XH");
    add(models[(i / 3) % 4], lead ? "I-XH" : "B-XH", "I-XH");
    add(spaces[(i / 2) % 6], "I-XH", "I-XH");
    add("Pro", "I-XH", "I-XH");
    add(spaces[(i / 5) % 6], "I-XH", "I-XH");
    add("手机", "O", "O");
    out.push_back(std::move(s));
  }
  return out;
}

Tagger SpacedModelTagger() {
  TaggerOptions o;
  o.epochs = 4;
  o.features.hash_bits = 16;
  auto m = Tagger::Train(SpacedModelSet(), o);
  EXPECT_TRUE(m.ok());
  return std::move(m).value();
}

TEST(TextSpans, TaggerSpansLeaveOutSurroundingWhiteSpace) {
  Tagger m = SpacedModelTagger();
  Extractor ex(nullptr, &m, nullptr);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"新款 M7 Pro 手机", "M7 Pro"}, {"正品\tX9\nPro\xE3\x80\x80手机", "X9\nPro"}, {"包邮P50 Pro\xE3\x80\x80手机", "P50 Pro"}};
  for (const auto& [text, want] : cases) {
    auto spans = ex.TagSpans(text);
    ASSERT_EQ(spans.size(), 1u) << text;
    EXPECT_EQ(text.substr(spans[0].begin, spans[0].end - spans[0].begin), want) << text;
    EXPECT_EQ(spans[0].type, "XH");
  }
}

TEST(TextSpans, EntityKeysAreSingleLine) {
  Tagger m = SpacedModelTagger();
  Extractor ex(nullptr, &m, nullptr);
  struct Case {
    std::string text, surface, key;
  };
  for (const Case& c : {Case{"正品\tX9\r\n\tPro\xE3\x80\x80手机", "X9\r\n\tPro", "model=x9 pro"},
                        Case{"新款\tK40\n\nPro 手机", "K40\n\nPro", "model=k40 pro"}}) {
    auto edges = ex.Extract(c.text, TextKind::kTitle);
    ASSERT_TRUE(edges.ok());
    ASSERT_EQ(edges->size(), 1u) << c.text;
    EXPECT_EQ((*edges)[0].surface, c.surface);  // the surface is the text as written
    EXPECT_EQ((*edges)[0].target_key, c.key);
  }
}

// A mixed text is read clause by clause: the Chinese model tags in the Chinese clause only,
// not in "The K40 Pro is really great" before it.
TEST(TextSpans, AChineseModelLeavesAnEnglishClauseAlone) {
  Tagger m = SpacedModelTagger();
  Extractor ex(nullptr, &m, nullptr);
  const std::string text = "The K40 Pro is really great, 新款 M7 Pro 手机";
  const size_t comma = text.find(',');
  auto spans = ex.TagSpans(text);
  ASSERT_FALSE(spans.empty());
  for (const auto& sp : spans) EXPECT_GT(sp.begin, comma) << text.substr(sp.begin, sp.end - sp.begin);
  EXPECT_EQ(text.substr(spans.back().begin, spans.back().end - spans.back().begin), "M7 Pro");
  // A Latin clause of specs in a Chinese title is still read: "新款手机，K40 Pro 256GB".
  const std::string title = "新款手机，K40 Pro 256GB";
  auto t = ex.TagSpans(title);
  ASSERT_EQ(t.size(), 1u) << title;
  EXPECT_NE(title.substr(t[0].begin, t[0].end - t[0].begin).find("K40 Pro"), std::string::npos);
}

}  // namespace
}  // namespace kgp::text
