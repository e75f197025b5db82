// kgprofile eval rec: the offline recommendation harness (recommend/eval/driver.h). Progress
// on stderr, the table on stdout (or the report as JSON with --json), --json-out FILE too.
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "common/out_file.h"
#include "common/strings.h"
#include "common/progress.h"
#include "recommend/algo/factory.h"
#include "recommend/eval/driver.h"

namespace kgp::cli {

void AddEvalCommands(CLI::App& app, Registry& reg) {
  auto* eval = app.add_subcommand("eval", "offline evaluations on published datasets");
  eval->require_subcommand(1);
  auto* cmd = eval->add_subcommand("rec", "recommendation models vs baselines under a dataset's published protocol");
  struct Args {
    rec::EvalRecOptions o;
    std::string models, splits, json_file;
  };
  auto a = std::make_shared<Args>();
  std::string formats, models;
  for (const auto& f : rec::EvalFormats()) formats += fmt::format("\n  {}: {}", f.name, f.summary);
  for (const auto& m : rec::KnownModels()) models += fmt::format("\n  {}: {}", m.name, m.summary);
  cmd->add_option("--data", a->o.data, "dataset folder (or file, movielens)")->required();
  cmd->add_option("--format", a->o.format, "dataset format:" + formats)->required();
  cmd->add_option("--models", a->models,
                  "comma-separated model specs name[:key=value...], e.g. ease:lambda=400 (default: mostpop,itemknn,bpr,ease):" +
                      models);
  cmd->add_option("--split", a->splits, "movielens only: comma-separated splits, random and/or temporal (default: both)");
  cmd->add_option("--k", a->o.k, "kgat and movielens only: cut-off, 1 to 100000 (default: the format's published one, 20 / 10)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--json-out", a->json_file, "also write the report as JSON to this file (checked first; its folder is created)");
  cmd->add_option("--threads", a->o.threads, "threads, 1 to 1024")->capture_default_str()->check(CLI::Range(1, 1024));
  cmd->add_option("--seed", a->o.seed, "seed of random splits and of stochastic models")->capture_default_str()
      ->check(Unsigned());
  cmd->add_flag("--validation", a->o.validation,
                "evaluate on 20% of each user's training items instead of the test data (tuning)");
  cmd->add_flag("--refit", a->o.refit, "sequences only: refit on everything but the test item before scoring it");
  cmd->callback([&reg, a, cmd] {
    *reg.selected = [&reg, a, cmd] {
      for (auto part : Split(a->models, ',')) {
        if (!Trim(part).empty()) a->o.models.emplace_back(Trim(part));
      }
      for (auto part : Split(a->splits, ',')) {
        if (!Trim(part).empty()) a->o.splits.emplace_back(Trim(part));
      }
      if (cmd->count("--split") > 0 && a->o.splits.empty())
        throw Error(Status::InvalidArgument("--split: no split named (movielens: random, temporal)"));
      a->o.progress = !reg.globals->quiet;
      // Checked before the evaluation, not after it (an unwritable path lost the whole run).
      if (!a->json_file.empty()) RequireWritableFile("--json-out", a->json_file);
      rec::EvalReport report;
      ThrowIfError(rec::RunEvalRec(a->o, report));
      nlohmann::json j = report.ToJson();
      Emit(*reg.globals, j, [&] { std::cout << report.Table(); });
      if (!a->json_file.empty()) {
        OutFile f;
        ThrowIfError(f.OpenReplacing(a->json_file));
        f.Write(j.dump(2));
        f.Write("\n");
        ThrowIfError(f.Close());
      }
      return 0;
    };
  });
}

}  // namespace kgp::cli
