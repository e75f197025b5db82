#include "recommend/eval/report.h"

#include <algorithm>

#include <fmt/format.h>

namespace kgp::rec {

nlohmann::json EvalReport::ToJson() const {
  nlohmann::json rows_json = nlohmann::json::array();
  for (const auto& r : rows) {
    rows_json.push_back({{"dataset", r.dataset}, {"protocol", r.protocol}, {"model", r.model},
                         {"variant", r.variant}, {"metrics", r.metrics}, {"fit_s", r.fit_s},
                         {"eval_s", r.eval_s}, {"users", r.users}});
  }
  return {{"rows", rows_json}, {"published", published}};
}

std::string EvalReport::Table() const {
  std::string out;
  std::vector<std::string> datasets;
  for (const auto& r : rows) {
    if (std::find(datasets.begin(), datasets.end(), r.dataset) == datasets.end()) datasets.push_back(r.dataset);
  }
  for (const auto& ds : datasets) {
    std::vector<std::string> metrics;
    std::string protocol;
    for (const auto& r : rows) {
      if (r.dataset != ds) continue;
      protocol = r.protocol;
      for (const auto& [k, v] : r.metrics) {
        if (std::find(metrics.begin(), metrics.end(), k) == metrics.end()) metrics.push_back(k);
      }
    }
    out += fmt::format("\n{} ({})\n{:<28}", ds, protocol, "model");
    for (const auto& m : metrics) out += fmt::format(" {:>11}", m);
    out += fmt::format(" {:>8} {:>8}\n", "fit s", "eval s");
    for (const auto& r : rows) {
      if (r.dataset != ds) continue;
      std::string name = r.variant.empty() ? r.model : r.model + " (" + r.variant + ")";
      out += fmt::format("{:<28}", name);
      for (const auto& m : metrics) {
        auto it = r.metrics.find(m);
        out += it == r.metrics.end() ? fmt::format(" {:>11}", "-") : fmt::format(" {:>11.4f}", it->second);
      }
      out += fmt::format(" {:>8.1f} {:>8.1f}\n", r.fit_s, r.eval_s);
    }
    auto pub = published.find(ds);
    if (pub != published.end()) {
      for (const auto& [what, v] : pub->second) out += fmt::format("  published {:<40} {:.4f}\n", what, v);
    }
  }
  return out;
}

}  // namespace kgp::rec
