#include "text/evaluate.h"

#include <chrono>

#include <fmt/format.h>

#include "common/time.h"
#include "text/datasets.h"
#include "text/tagger_gazetteer.h"

namespace kgp::text {

Result<std::vector<Sentence>> LoadTaggedSet(const std::string& path, const std::string& format, uint64_t* skipped,
                                            std::string* first_error) {
  if (format == "bio") {
    BioReadStats st;
    auto r = ReadBioFile(path, &st);
    if (skipped) *skipped = st.bad_lines;
    if (first_error) *first_error = st.first_error;
    return r;
  }
  if (format == "absa") {
    ReadStats st;
    auto r = ReadAbsaXml(path, &st);
    if (skipped) *skipped = st.skipped;
    if (first_error) *first_error = st.first_error;
    if (!r.ok()) return r.status();
    std::vector<Sentence> out;
    for (const auto& s : *r) out.push_back(AbsaToBio(s));
    return out;
  }
  return Status::InvalidArgument(fmt::format("unknown tagged-set format '{}' (bio or absa)", format));
}

TaggerEval EvaluateTagger(const Tagger& tagger, const std::vector<Sentence>& test, const Gazetteer* gaz) {
  TaggerEval ev;
  std::vector<std::vector<std::string>> pred(test.size());
  const bool use_gaz = gaz && tagger.uses_gazetteer();
  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < test.size(); ++i) {
    if (use_gaz) {
      auto g = GazetteerTags(*gaz, test[i].tokens, tagger.unit());
      pred[i] = tagger.Tag(test[i].tokens, &g);
    } else {
      pred[i] = tagger.Tag(test[i].tokens);
    }
  }
  ev.seconds = SecondsSince(t0);
  for (size_t i = 0; i < test.size(); ++i) {
    ev.spans.Add(SpansFromTags(test[i].tags), SpansFromTags(pred[i]));
    ++ev.sentences;
    ev.tokens += test[i].tokens.size();
    for (const auto& t : test[i].tokens) ev.bytes += t.size();
  }
  return ev;
}

AspectPolarityEval EvaluateAspectPolarity(const OpinionLexicon& lex, const std::vector<AbsaSentence>& data) {
  AspectPolarityEval ev;
  for (const auto& s : data)
    for (const auto& a : s.aspects) {
      if (a.polarity != "positive" && a.polarity != "negative" && a.polarity != "neutral") continue;
      auto score = lex.AspectSentiment(s.text, a.from, a.to);
      std::string pred = "neutral";
      if (score) ++ev.with_opinion;
      if (score && *score >= 0.1) pred = "positive";
      if (score && *score <= -0.1) pred = "negative";
      ++ev.n;
      ev.correct += pred == a.polarity;
      ev.positive += a.polarity == "positive";
    }
  return ev;
}

BinaryEval EvaluateLexiconSentiment(const OpinionLexicon& lex, const std::vector<LabeledText>& data) {
  BinaryEval e;
  for (const auto& d : data) e.Add(lex.TextSentiment(d.text) > 0, d.label);
  return e;
}

}  // namespace kgp::text
