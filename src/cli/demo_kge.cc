// The demo's embedding step: trains the e-commerce preset on the workspace graph, saves the
// checkpoint where other stages look for it, and shows link prediction and similar items.
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli/demo.h"
#include "embed/kge.h"
#include "embed/predict.h"
#include "embed/presets.h"

namespace kgp::cli {

std::string DemoEmbeddings(Workspace& ws, const Graph& g, NodeId user) {
  using namespace kgp::embed;
  Dataset ds = DatasetFromGraph(g, 0.01, 2000);
  auto preset = Unwrap(GetPreset("ecommerce", "transe", ds.num_entities()));
  TrainReport rep;
  Checkpoint ck = Unwrap(TrainPreset(ds, preset, nullptr, nullptr, &rep));
  std::string path = WorkspaceModelPath(ws.dir());
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  ThrowIfError(SaveCheckpoint(path, ck));
  auto model = Unwrap(ModelOf(ck));
  KnownTriples known({&ds.train, &ds.valid, &ds.test});
  EvalResult ev = Evaluate(*model, ck.params, ds.test, known, EvalOptions{});
  std::string md = fmt::format(
      "TransE (dim {}, e-commerce preset) on {} graph triples: {} epochs in {:.1f}s ({:.0f} triples/s). "
      "Held-out {} edges: filtered MRR {:.3f}, Hits@10 {:.3f}. Checkpoint: `{}`.\n\n",
      ck.config.dim, ds.train.size(), rep.epochs_run, rep.seconds, rep.triples_per_second, ds.test.size(),
      ev.filtered.mrr, ev.filtered.hits10, path);
  std::cout << fmt::format("  embeddings: {} epochs in {:.1f}s, held-out filtered MRR {:.3f}, Hits@10 {:.3f}\n",
                           rep.epochs_run, rep.seconds, ev.filtered.mrr, ev.filtered.hits10);
  const uint32_t* rel = ds.relations.Find("PURCHASED");
  if (rel && user < g.num_nodes()) {
    // Ranked over every entity; products shown (the user's known purchases skipped).
    auto top = PredictTails(*model, ck.params, user, *rel, 200, &known);
    md += fmt::format("Predicted (`{}`, PURCHASED, ?), products only:\n\n", g.Spec(user));
    int shown = 0;
    for (const auto& s : top) {
      if (g.type(s.id) != NodeType::kProduct || shown >= 5) continue;
      md += fmt::format("    {:<16} {:.3f}  {}\n", ck.entity_names[s.id], s.score, g.label(s.id));
      std::cout << fmt::format("    predicted purchase {} ({:.3f}) {}\n", ck.entity_names[s.id], s.score, g.label(s.id));
      ++shown;
    }
    md += "\n";
  }
  md += fmt::format("Try: `kgprofile kge predict {} --head {} --relation PURCHASED`: it ranks every entity and lists "
                    "products already bought too, which the list above leaves out.\n",
                    ws.dir(), g.Spec(user));
  return md;
}

}  // namespace kgp::cli
