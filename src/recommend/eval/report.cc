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
  // One table per (dataset, protocol), in the order rows arrived.
  std::string out;
  std::vector<std::pair<std::string, std::string>> groups;
  for (const auto& r : rows) {
    std::pair<std::string, std::string> g{r.dataset, r.protocol};
    if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
  }
  std::vector<std::string> printed_published;
  for (const auto& [ds, protocol] : groups) {
    std::vector<std::string> metrics;
    size_t width = 28;
    for (const auto& r : rows) {
      if (r.dataset != ds || r.protocol != protocol) continue;
      width = std::max(width, r.model.size() + (r.variant.empty() ? 0 : r.variant.size() + 3) + 1);
      for (const auto& [k, v] : r.metrics) {
        if (std::find(metrics.begin(), metrics.end(), k) == metrics.end()) metrics.push_back(k);
      }
    }
    out += fmt::format("\n{} ({})\n{:<{}}", ds, protocol, "model", width);
    for (const auto& m : metrics) out += fmt::format(" {:>{}}", m, std::max<size_t>(8, m.size()));
    out += fmt::format(" {:>8} {:>8} {:>7}\n", "fit s", "eval s", "users");
    for (const auto& r : rows) {
      if (r.dataset != ds || r.protocol != protocol) continue;
      std::string name = r.variant.empty() ? r.model : r.model + " (" + r.variant + ")";
      out += fmt::format("{:<{}}", name, width);
      for (const auto& m : metrics) {
        size_t w = std::max<size_t>(8, m.size());
        auto it = r.metrics.find(m);
        out += it == r.metrics.end() ? fmt::format(" {:>{}}", "-", w) : fmt::format(" {:>{}.4f}", it->second, w);
      }
      out += fmt::format(" {:>8.1f} {:>8.1f} {:>7}\n", r.fit_s, r.eval_s, r.users);
    }
    auto pub = published.find(ds);
    if (pub != published.end() &&
        std::find(printed_published.begin(), printed_published.end(), ds) == printed_published.end()) {
      printed_published.push_back(ds);
      for (const auto& [what, v] : pub->second) out += fmt::format("  published {:<44} {:.4f}\n", what, v);
    }
  }
  return out;
}

}  // namespace kgp::rec
