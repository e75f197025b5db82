#include "cli/text_demo.h"

#include <iostream>
#include <vector>

#include <fmt/format.h>

#include "store/text_store.h"
#include "text/evaluate.h"
#include "text/extract_stage.h"

namespace kgp::cli {
namespace {

// Trains the demo's tagger on silver titles (text make-bio), holding out every tenth title to
// measure it; writes the model into the workspace. Returns the report's sentence about it.
std::string DemoTagger(Workspace& ws, std::string* model_path) {
  auto silver = text::SilverTitleSet(ws.db());
  if (!silver.ok()) throw Error(silver.status());
  std::vector<text::Sentence> train, held;
  for (size_t i = 0; i < silver->size(); ++i) ((i % 10 == 9) ? held : train).push_back((*silver)[i]);
  if (train.empty() || held.empty()) return "No titles to train a tagger on; extraction used the gazetteer only.";
  text::TaggerOptions o;
  o.epochs = 5;
  text::TaggerTrainReport rep;
  auto m = text::Tagger::Train(train, o, &rep);
  if (!m.ok()) throw Error(m.status());
  *model_path = ws.Path("ner-titles.bin");
  ThrowIfError(m->Save(*model_path));
  text::TaggerEval ev = text::EvaluateTagger(*m, held);
  std::cout << fmt::format("  tagger: trained on {} catalogue-labelled titles in {:.1f}s; F1 {:.3f} on {} held-out titles\n",
                           train.size(), rep.seconds, ev.spans.micro.F1(), held.size());
  return fmt::format(
      "A BIO tagger (`text make-bio` + `text train-ner`) was trained here on {} product titles labelled from the catalogue "
      "(own brand = HPPX, own category = HCCX) in {:.1f}s; entity F1 on {} held-out titles {:.3f} (silver labels, so this "
      "measures agreement with the catalogue, not hand annotation). Model: `{}`.",
      train.size(), rep.seconds, held.size(), ev.spans.micro.F1(), *model_path);
}

}  // namespace

std::string RunDemoTextStep(Workspace& ws) {
  text::ExtractStageOptions to;
  std::string tagger_md = DemoTagger(ws, &to.tagger_path);
  text::ExtractStageReport tr;
  ThrowIfError(text::RunTextExtract(ws.db(), to, &tr));
  // Counted here are text_edges rows, one per mention; the graph merges them into one edge per
  // (source, target), so "N MENTIONS" here read as edges disagreed with the graph's edge table.
  std::cout << fmt::format("  text: {} titles and reviews, {} skipped; evidence for {} MADE_BY, {} HAS_ATTRIBUTE and {} "
                           "mentions ({} with aspect sentiment)\n",
                           tr.sources, tr.skipped, tr.edges_by_relation["MADE_BY"], tr.edges_by_relation["HAS_ATTRIBUTE"],
                           tr.edges_by_relation["MENTIONS"], tr.mentions_with_sentiment);
  std::string md = fmt::format(
      "## Text to graph\n\n`kgprofile text extract` read {} product titles and reviews ({} skipped) with the gazetteer of "
      "the shop's own names ({} names), a tagger and the opinion lexicon (`docs/text.md`). {}\n\n"
      "The tagger reads titles only (its training domain); {} spans were found by it and not by the gazetteer, naming {} "
      "entities (they become `Entity` nodes: on generated titles, whose names all come from the catalogue, this is "
      "expected to be near zero).\n\n"
      "| relation | found in texts (rows of `text_edges`, each with its evidence) |\n|---|---|\n",
      tr.sources, tr.skipped, tr.gazetteer_names, tagger_md, tr.tagger_edges, tr.tagger_entities);
  for (auto& [r, c] : tr.edges_by_relation) md += fmt::format("| {} | {} |\n", r, c);
  md += fmt::format("\nThe graph build merges these into one edge per source and target, its count the mentions "
                    "behind it (the edge table above). {} mentions carry an aspect sentiment; {} of {} reviews score "
                    "positive ({}).\n\n",
                    tr.mentions_with_sentiment, tr.texts_positive, tr.texts_scored, tr.sentiment_method);
  // One review with the evidence of each of its edges: what a profile tag can cite.
  auto ev = FirstReviewEvidence(ws.db());
  if (!ev) return md;
  md += fmt::format("Example review (text {}, rating {}): \"{}\"\n\n| edge | target | evidence (bytes) | aspect sentiment |\n"
                    "|---|---|---|---|\n",
                    ev->text_id, ev->rating.value_or(0), ev->text);
  for (const auto& e : ev->edges)
    md += fmt::format("| {} | `{}:{}` | \"{}\" [{}, {}) | {} |\n", e.relation, e.target_type, e.target_key, e.surface,
                      e.span_begin, e.span_end, e.sentiment ? fmt::format("{:+.2f}", *e.sentiment) : std::string("-"));
  return md;
}

}  // namespace kgp::cli
