// kgprofile text normalize | train-ner | ner | train-sentiment | sentiment | extract
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "common/strings.h"
#include "common/time.h"
#include "text/datasets.h"
#include "text/evaluate.h"
#include "text/extract.h"
#include "text/extract_stage.h"
#include "text/normalize.h"
#include "text/sentiment.h"
#include "text/tagger.h"
#include "text/tagger_gazetteer.h"

namespace kgp::cli {
namespace {

using namespace kgp::text;

std::vector<Sentence> MustLoad(const std::string& path, const std::string& format) {
  uint64_t skipped = 0;
  std::string first;
  auto r = LoadTaggedSet(path, format, &skipped, &first);
  if (!r.ok()) throw Error(r.status());
  if (skipped) std::cerr << fmt::format("warning: {} bad lines skipped (first: {})\n", skipped, first);
  return std::move(r).value();
}

nlohmann::json EvalJson(const TaggerEval& ev) {
  nlohmann::json types;
  for (auto& [t, c] : ev.spans.by_type)
    types[t] = {{"precision", c.Precision()}, {"recall", c.Recall()}, {"f1", c.F1()}, {"gold", c.tp + c.fn}};
  return {{"precision", ev.spans.micro.Precision()}, {"recall", ev.spans.micro.Recall()}, {"f1", ev.spans.micro.F1()},
          {"by_type", types}, {"sentences", ev.sentences}, {"tokens", ev.tokens}, {"seconds", ev.seconds},
          {"mb_per_s", ev.MBps()}};
}

void PrintEval(const TaggerEval& ev) {
  std::cout << fmt::format("entity-level micro  P {:.4f}  R {:.4f}  F1 {:.4f}  ({} sentences, {} tokens)\n",
                           ev.spans.micro.Precision(), ev.spans.micro.Recall(), ev.spans.micro.F1(), ev.sentences, ev.tokens);
  for (auto& [t, c] : ev.spans.by_type)
    std::cout << fmt::format("  {:<6} P {:.4f}  R {:.4f}  F1 {:.4f}  (gold {})\n", t, c.Precision(), c.Recall(), c.F1(), c.tp + c.fn);
  std::cout << fmt::format("tagging: {:.2f} MB/s ({:.0f} tokens/s, one thread)\n", ev.MBps(),
                           ev.seconds > 0 ? double(ev.tokens) / ev.seconds : 0.0);
}

std::vector<LabeledText> LoadLabeled(const std::string& path, const std::string& format) {
  ReadStats st;
  auto r = format == "amazon" ? ReadAmazonReviews(path, &st) : format == "csv" ? ReadLabeledCsv(path, &st)
                                                                              : Result<std::vector<LabeledText>>(Status::InvalidArgument(fmt::format("unknown format '{}' (csv or amazon)", format)));
  if (!r.ok()) throw Error(r.status());
  if (st.skipped) std::cerr << fmt::format("warning: {} records skipped (first: {})\n", st.skipped, st.first_error);
  if (st.duplicates) std::cerr << fmt::format("note: {} exact duplicate lines read once\n", st.duplicates);
  return std::move(r).value();
}

void AddNerCommands(CLI::App* text, Registry& reg) {
  {
    auto* cmd = text->add_subcommand("train-ner", "train the BIO sequence tagger (averaged perceptron + Viterbi)");
    struct A {
      std::string train, out, format = "bio", test, unit = "auto";
      TaggerOptions o;
      bool no_context = false, gazetteer = false, words = false;
    };
    auto a = std::make_shared<A>();
    cmd->add_option("TRAIN", a->train, "training set (BIO file, or SemEval XML with --format absa)")->required();
    cmd->add_option("--out,-o", a->out, "model file to write")->required();
    cmd->add_option("--format", a->format, "bio | absa")->capture_default_str();
    cmd->add_option("--test", a->test, "measure on this set after training (same format)");
    // Ranges as Tagger::Train's, named here; a seed of -1 wrapped to 2^64 - 1.
    cmd->add_option("--epochs", a->o.epochs, "passes over the training set")->capture_default_str()->check(CLI::Range(1, 10000));
    cmd->add_option("--hash-bits", a->o.features.hash_bits, "feature hash buckets = 2^bits")
        ->capture_default_str()->check(CLI::Range(10, 26));
    cmd->add_option("--seed", a->o.seed, "shuffling seed")->capture_default_str()->check(Unsigned());
    cmd->add_option("--unit", a->unit, "token unit: char | word | auto (char for bio, word for absa)")->capture_default_str();
    cmd->add_flag("--no-context", a->no_context, "only the token's own features (a weak baseline)");
    cmd->add_flag("--word-breaks", a->words, "ICU word-break features for character tokens (Chinese)");
    cmd->add_flag("--gazetteer-from-train", a->gazetteer,
                  "gazetteer features from the training set's entity names (jackknifed, 5 folds); saved as MODEL.gaz");
    cmd->callback([&reg, a] {
      *reg.selected = [&reg, a] {
        auto train = MustLoad(a->train, a->format);
        std::string unit = a->unit == "auto" ? (a->format == "absa" ? "word" : "char") : a->unit;
        if (unit != "char" && unit != "word") throw Error(Status::InvalidArgument("--unit must be char, word or auto"));
        a->o.unit = unit == "word" ? TokenUnit::kWord : TokenUnit::kChar;
        a->o.features.use_gazetteer = a->gazetteer;
        a->o.features.use_context = !a->no_context;
        a->o.features.use_words = a->words;
        TaggerTrainReport rep;
        std::optional<Gazetteer> gaz;
        std::vector<std::vector<std::string>> gaz_tags;
        if (a->gazetteer) {
          gaz_tags = JackknifeGazetteerTags(train, a->o.unit, 5);
          gaz = SurfaceGazetteer(train, a->o.unit);
        }
        auto m = Tagger::Train(train, a->o, &rep, a->gazetteer ? &gaz_tags : nullptr);
        if (!m.ok()) throw Error(m.status());
        ThrowIfError(m->Save(a->out));
        if (gaz) ThrowIfError(SaveGazetteerTsv(*gaz, GazetteerSidecar(a->out)));
        nlohmann::json j = {{"model", a->out}, {"sentences", train.size()}, {"epochs", rep.epochs},
                            {"seconds", rep.seconds}, {"labels", m->labels()}, {"nonzero_weights", rep.nonzero}};
        std::optional<TaggerEval> ev;
        if (!a->test.empty()) {
          ev = EvaluateTagger(*m, MustLoad(a->test, a->format), gaz ? &*gaz : nullptr);
          j["test"] = EvalJson(*ev);
        }
        Emit(*reg.globals, j, [&] {
          std::cout << fmt::format("trained on {} sentences, {} epochs in {:.1f}s; {} labels, {} non-zero weights -> {}\n",
                                   train.size(), rep.epochs, rep.seconds, m->labels().size(), rep.nonzero, a->out);
          if (ev) PrintEval(*ev);
        });
        return 0;
      };
    });
  }
  {
    auto* cmd = text->add_subcommand("ner", "tag text lines with a trained model (or measure it with --eval)");
    struct A {
      std::string model, input, eval, format = "bio";
    };
    auto a = std::make_shared<A>();
    cmd->add_option("MODEL", a->model, "tagger model (text train-ner)")->required();
    cmd->add_option("INPUT", a->input, "text file, one text per line (default stdin)");
    cmd->add_option("--eval", a->eval, "instead: measure entity-level P/R/F1 on this tagged set");
    cmd->add_option("--format", a->format, "format of --eval: bio | absa")->capture_default_str();
    cmd->callback([&reg, a] {
      *reg.selected = [&reg, a] {
        auto m = Tagger::Load(a->model);
        if (!m.ok()) throw Error(m.status());
        auto gz = LoadModelGazetteer(*m, a->model);
        if (!gz.ok()) throw Error(gz.status());
        const Gazetteer* gaz = *gz ? &**gz : nullptr;
        if (!a->eval.empty()) {
          TaggerEval ev = EvaluateTagger(*m, MustLoad(a->eval, a->format), gaz);
          Emit(*reg.globals, EvalJson(ev), [&] { PrintEval(ev); });
          return 0;
        }
        Extractor ex(nullptr, &*m, nullptr, ExtractOptions{}, gaz);
        uint64_t bad = 0;
        ForEachLine(a->input, [&](const std::string& where, uint64_t n, const std::string& line, const char* problem) {
          if (problem) {
            ++bad;
            std::cerr << fmt::format("{}: skipped ({})\n", where, problem);
            return;
          }
          nlohmann::json spans = nlohmann::json::array();
          for (const auto& s : ex.TagSpans(line))
            spans.push_back({{"begin", s.begin}, {"end", s.end}, {"type", s.type}, {"text", line.substr(s.begin, s.end - s.begin)}});
          if (reg.globals->json) {
            std::cout << nlohmann::json{{"line", n}, {"entities", spans}}.dump() << "\n";
          } else {
            std::cout << n;
            for (const auto& s : spans) std::cout << "\t" << s["type"].get<std::string>() << ":" << s["text"].get<std::string>();
            std::cout << "\n";
          }
        });
        if (bad) std::cerr << fmt::format("{} lines skipped\n", bad);
        return 0;
      };
    });
  }
}

void AddSentimentCommands(CLI::App* text, Registry& reg) {
  {
    auto* cmd = text->add_subcommand("aspect-sentiment", "measure the opinion lexicon's aspect sentiment on SemEval-2014 XML");
    auto xml = std::make_shared<std::string>();
    cmd->add_option("XML", *xml, "SemEval-2014 ABSA file with aspectTerm polarities")->required();
    cmd->callback([&reg, xml] {
      *reg.selected = [&reg, xml] {
        ReadStats st;
        auto data = ReadAbsaXml(*xml, &st);
        if (!data.ok()) throw Error(data.status());
        OpinionLexicon lex;
        AspectPolarityEval ev = EvaluateAspectPolarity(lex, *data);
        Emit(*reg.globals,
             {{"aspects", ev.n}, {"accuracy", ev.Accuracy()}, {"majority_baseline", ev.MajorityBaseline()},
              {"with_opinion_word", ev.with_opinion}},
             [&] {
               std::cout << fmt::format("aspect polarity (pos/neg/neutral) accuracy {:.4f} on {} aspects "
                                        "(majority class {:.4f}; {} with an opinion word in their clause)\n",
                                        ev.Accuracy(), ev.n, ev.MajorityBaseline(), ev.with_opinion);
             });
        return 0;
      };
    });
  }
  {
    auto* cmd = text->add_subcommand("train-sentiment", "train the whole-review sentiment classifier on a seeded split");
    struct A {
      std::string data, out, format = "csv";
      double test_fraction = 0.2;
      uint64_t split_seed = 42;
      SentimentOptions o;
    };
    auto a = std::make_shared<A>();
    cmd->add_option("DATA", a->data, "labelled reviews: CSV with label,review columns, or Amazon JSON Lines")->required();
    cmd->add_option("--out,-o", a->out, "model file to write")->required();
    cmd->add_option("--format", a->format, "csv | amazon (rating >= 4 positive, <= 2 negative)")->capture_default_str();
    cmd->add_option("--test-fraction", a->test_fraction, "held-out share for the accuracy figure")
        ->capture_default_str()->check(ShareBelowOne());
    cmd->add_option("--split-seed", a->split_seed, "seed of the train/test split")->capture_default_str()->check(Unsigned());
    cmd->add_option("--epochs", a->o.epochs, "SGD passes")->capture_default_str()->check(CLI::Range(1, 10000));
    cmd->add_option("--hash-bits", a->o.hash_bits, "feature hash buckets = 2^bits")->capture_default_str()->check(CLI::Range(10, 26));
    cmd->callback([&reg, a] {
      *reg.selected = [&reg, a] {
        std::vector<LabeledText> train, test;
        ThrowIfError(SeededSplit(LoadLabeled(a->data, a->format), a->test_fraction, a->split_seed, &train, &test));
        auto t0 = std::chrono::steady_clock::now();
        auto m = SentimentModel::Train(train, a->o);
        if (!m.ok()) throw Error(m.status());
        double secs = SecondsSince(t0);
        ThrowIfError(m->Save(a->out));
        BinaryEval ev = m->Evaluate(test);
        const BinaryEval lex = EvaluateLexiconSentiment(OpinionLexicon(), test);
        uint64_t pos = 0;
        for (const auto& t : test) pos += t.label;
        double majority = test.empty() ? 0 : double(std::max(pos, test.size() - pos)) / double(test.size());
        nlohmann::json j = {{"model", a->out}, {"train", train.size()}, {"test", test.size()}, {"seconds", secs}};
        if (!test.empty())  // no figure at all rather than an accuracy of 0 on nothing
          j.update(nlohmann::json{{"accuracy", ev.Accuracy()}, {"balanced_accuracy", ev.BalancedAccuracy()}, {"majority_baseline", majority},
                    {"lexicon_accuracy", lex.Accuracy()}, {"lexicon_balanced_accuracy", lex.BalancedAccuracy()}});
        Emit(*reg.globals, j, [&] {
          if (test.empty()) {
            std::cout << fmt::format("trained on {} texts in {:.1f}s -> {}\nno held-out texts (test fraction {}): "
                                     "no accuracy measured\n", train.size(), secs, a->out, a->test_fraction);
            return;
          }
          std::cout << fmt::format("trained on {} texts in {:.1f}s -> {}\nheld-out accuracy {:.4f}, balanced accuracy {:.4f} "
                                   "on {} texts ({} negative; majority class {:.4f}; split seed {}, test fraction {})\n",
                                   train.size(), secs, a->out, ev.Accuracy(), ev.BalancedAccuracy(), test.size(),
                                   ev.tn + ev.fp, majority, a->split_seed, a->test_fraction);
          std::cout << fmt::format("opinion lexicon (untrained, what text extract uses without --sentiment) on the "
                                   "same texts: accuracy {:.4f}, balanced accuracy {:.4f}\n",
                                   lex.Accuracy(), lex.BalancedAccuracy());
        });
        return 0;
      };
    });
  }
  {
    auto* cmd = text->add_subcommand("sentiment", "score text lines (probability positive)");
    struct A {
      std::string model, input;
    };
    auto a = std::make_shared<A>();
    cmd->add_option("MODEL", a->model, "sentiment model (text train-sentiment)")->required();
    cmd->add_option("INPUT", a->input, "text file, one text per line (default stdin)");
    cmd->callback([&reg, a] {
      *reg.selected = [&reg, a] {
        auto m = SentimentModel::Load(a->model);
        if (!m.ok()) throw Error(m.status());
        ForEachLine(a->input, [&](const std::string& where, uint64_t, const std::string& line, const char* problem) {
          if (problem) {
            std::cerr << fmt::format("{}: skipped ({})\n", where, problem);
            return;
          }
          std::cout << fmt::format("{:.4f}\t{}\n", m->Predict(line), line);
        });
        (void)reg;
        return 0;
      };
    });
  }
}

}  // namespace

void AddTextCommands(CLI::App& app, Registry& reg) {
  auto* text = app.add_subcommand("text", "text to graph: normalisation, NER, sentiment, relation extraction");
  text->require_subcommand(1);
  {
    auto* cmd = text->add_subcommand("normalize", "NFKC + full-width folding and ICU word breaks of text lines");
    auto input = std::make_shared<std::string>();
    cmd->add_option("INPUT", *input, "text file, one text per line (default stdin)");
    cmd->callback([&reg, input] {
      *reg.selected = [&reg, input] {
        (void)reg;
        ForEachLine(*input, [&](const std::string& where, uint64_t, const std::string& line, const char* problem) {
          // An empty line is normalised (to itself), an invalid one refused by NormalizeNfkc; an
          // over-long one is not read whole.
          auto norm = problem == kLineTooLong ? Result<std::string>(Status::InvalidArgument(kLineTooLong)) : NormalizeNfkc(line);
          if (!norm.ok()) {  // an empty line stands for it: output line n is input line n
            std::cerr << fmt::format("{}: skipped ({}), written as an empty line\n", where, norm.status().message());
            std::cout << "\n";
            return;
          }
          std::string words;
          for (const auto& t : WordBreaks(*norm)) words += (words.empty() ? "" : " | ") + std::string(t.text);
          std::cout << *norm << "\t" << words << "\n";
        });
        return 0;
      };
    });
  }
  {
    auto* cmd = text->add_subcommand("make-bio", "write silver BIO training data from the catalogue's titles (own brand HPPX, category HCCX)");
    auto ws = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    cmd->add_option("WORKSPACE", *ws, "workspace folder")->required();
    cmd->add_option("--out,-o", *out, "BIO file to write")->required();
    cmd->callback([&reg, ws, out] {
      *reg.selected = [&reg, ws, out] {
        auto w = OpenWorkspace(*ws);
        auto set = SilverTitleSet(w->db());
        if (!set.ok()) throw Error(set.status());
        std::ofstream f(*out, std::ios::binary | std::ios::trunc);
        if (!f) throw Error(Status::IoError(fmt::format("{}: cannot write", *out)));
        uint64_t n = 0;
        for (const auto& s : *set) {
          bool clean = true;  // a line break inside a token would break the format
          for (const auto& t : s.tokens) clean &= t.find_first_of("\r\n") == std::string::npos;
          if (!clean) continue;
          for (size_t i = 0; i < s.tokens.size(); ++i) f << s.tokens[i] << ' ' << s.tags[i] << '\n';
          f << '\n';
          ++n;
        }
        f.close();
        if (!f) throw Error(Status::IoError(fmt::format("{}: write failed", *out)));
        Emit(*reg.globals, {{"sentences", n}, {"out", *out}},
             [&] { std::cout << fmt::format("{} titles with a brand or category found -> {}\n", n, *out); });
        return 0;
      };
    });
  }
  AddNerCommands(text, reg);
  AddSentimentCommands(text, reg);
  {
    auto* cmd = text->add_subcommand("extract", "find entities and relations in titles and reviews; store them with evidence");
    auto ws = std::make_shared<std::string>();
    auto o = std::make_shared<ExtractStageOptions>();
    cmd->add_option("WORKSPACE", *ws, "workspace folder")->required();
    cmd->add_option("--tagger", o->tagger_path, "tagger model (default: gazetteer of the shop's names only)");
    cmd->add_option("--sentiment", o->sentiment_path, "sentiment model (default: opinion lexicon)");
    // 0 skipped every text (and replaced the stored results with nothing); -1 wrapped to no limit.
    cmd->add_option("--max-bytes", o->max_bytes, "longer texts are skipped with a reason")
        ->capture_default_str()->check(CLI::Range(size_t{1}, kMaxTextBytesLimit));
    cmd->add_option("--tagger-on", o->tagger_on, "texts the tagger reads: titles | reviews | all")
        ->capture_default_str()->check(CLI::IsMember({"titles", "reviews", "all"}));
    cmd->add_option("--max-targets", o->max_targets,
                    "distinct things one text may name; mentions of further ones are left out and counted")
        ->capture_default_str()->check(CLI::Range(size_t{1}, kMaxTargetsLimit));
    cmd->add_option("--max-mentions", o->max_mentions,
                    "mentions of one thing one text may give; further ones are left out and counted")
        ->capture_default_str()->check(CLI::Range(size_t{1}, kMaxTargetsLimit));
    cmd->callback([&reg, ws, o] {
      *reg.selected = [&reg, ws, o] {
        auto w = OpenWorkspace(*ws);
        ExtractStageReport rep;
        ThrowIfError(RunTextExtract(w->db(), *o, &rep));
        Emit(*reg.globals,
             {{"sources", rep.sources}, {"bytes", rep.bytes}, {"skipped", rep.skipped},
              {"skipped_by_reason", rep.skipped_by_reason}, {"gazetteer_names", rep.gazetteer_names},
              {"edges_by_relation", rep.edges_by_relation}, {"mentions_with_sentiment", rep.mentions_with_sentiment},
              {"tagger_entities", rep.tagger_entities}, {"tagger_edges", rep.tagger_edges},
              {"title_edges_against_catalogue", rep.title_edges_against_catalogue},
              {"texts_over_max_targets", rep.texts_over_max_targets}, {"edges_over_max_targets", rep.edges_over_max_targets},
              {"edges_over_max_mentions", rep.edges_over_max_mentions},
              {"texts_scored", rep.texts_scored},
              {"texts_positive", rep.texts_positive}, {"sentiment_method", rep.sentiment_method}, {"seconds", rep.seconds}},
             [&] {
               std::cout << fmt::format("text extract: {} titles and texts ({:.1f} MB) in {:.2f}s, {} skipped; gazetteer of {} names\n",
                                        rep.sources, double(rep.bytes) / 1e6, rep.seconds, rep.skipped, rep.gazetteer_names);
               for (auto& [r, c] : rep.edges_by_relation) std::cout << fmt::format("  {:<14} {:>8}\n", r, c);
               for (auto& [r, c] : rep.skipped_by_reason) std::cout << fmt::format("  skipped: {:<20} {:>6}\n", r, c);
               if (rep.texts_over_max_targets)
                 std::cout << fmt::format("  {} texts named more than {} things: {} mentions of the further ones left out "
                                          "(--max-targets)\n",
                                          rep.texts_over_max_targets, o->max_targets, rep.edges_over_max_targets);
               if (rep.edges_over_max_mentions)
                 std::cout << fmt::format("  {} mentions beyond {} of one thing in one text left out (--max-mentions)\n",
                                          rep.edges_over_max_mentions, o->max_mentions);
               if (rep.title_edges_against_catalogue)
                 std::cout << fmt::format("  {} title facts left out: the catalogue gives the product another brand or "
                                          "value\n", rep.title_edges_against_catalogue);
               std::cout << fmt::format("  {} mentions carry an aspect sentiment; {} entities from the tagger ({} "
                                        "edges); {} texts scored ({} positive, {})\n",
                                        rep.mentions_with_sentiment, rep.tagger_entities, rep.tagger_edges,
                                        rep.texts_scored, rep.texts_positive, rep.sentiment_method);
               std::cout << "next: kgprofile graph build " << *ws << "\n";
             });
        return 0;
      };
    });
  }
}

}  // namespace kgp::cli
