// Result rows of the offline recommendation harness (`kgprofile eval rec`): one row per
// (dataset, protocol, model, variant), printed as a table and written as JSON.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kgp::rec {

struct EvalRow {
  std::string dataset;   // e.g. "kgat-amazon-book"
  std::string protocol;  // e.g. "full-ranking", "loo-99neg", "ctr", "random-80/20"
  std::string model;     // e.g. "EASE"
  std::string variant;   // "" or "with KG" / "without KG"
  std::map<std::string, double> metrics;  // "recall@20" → value
  double fit_s = 0, eval_s = 0;
  size_t users = 0;      // users evaluated
};

struct EvalReport {
  std::vector<EvalRow> rows;
  // Published reference figures to print beside ours: dataset → "model metric" → value.
  std::map<std::string, std::map<std::string, double>> published;

  nlohmann::json ToJson() const;
  // One table per dataset: models as rows, metrics as columns, then the published figures.
  std::string Table() const;
};

}  // namespace kgp::rec
