// k-anonymity for exported tables (docs/privacy.md "k-anonymous exports"): quasi-identifiers
// (age group, gender, city, occupation; in the profile export every column) are generalised
// along per-column hierarchies, with the same level for every row (full-domain generalisation,
// Samarati 2001), and the rows left in groups smaller than k are suppressed. Every
// generalisation vector of the (small) lattice is tried; among those suppressing at most
// max_suppression of the rows the one with the least information loss wins. After it, every
// released QI combination occurs in at least k rows.
// Pure functions; thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace kgp::privacy {

struct QuasiIdentifier {
  std::string name;
  int max_level = 1;  // levels 0 (as is) … max_level (always "*")
  // The value at a level; level 0 must return v, max_level "*".
  std::function<std::string(const std::string& v, int level)> generalise;
};

// "<18", "18-24", … "65+" (graph/builder.cc AgeGroup) → "<25" / "25-44" / "45-64" / "65+" →
// "<45" / "45+" → "*". Plain numbers ("37") are read as ages.
QuasiIdentifier AgeGroupQi(const std::string& name = "age_group");
// Value or "*".
QuasiIdentifier SuppressibleQi(const std::string& name);
// The demographic quasi-identifiers of the profile table: age_group, gender, city, occupation.
std::vector<QuasiIdentifier> ProfileQis();
// A count released in bands, never exactly: "0", "1", "2-5", "6-20", "21-100", "101+".
std::string CountBand(int64_t n);
// Every column of the k-anonymous profile export, each a quasi-identifier (someone who knows a
// customer's demographics and roughly how often they bought can know the rest): ProfileQis, then
// price_level, lifecycle, rfm_segment, cluster, and events and purchases as CountBand values;
// each of the six is released as is or as "*".
std::vector<QuasiIdentifier> ProfileExportQis();

struct KAnonOptions {
  size_t k = 5;
  double max_suppression = 0.05;  // share of rows that may be suppressed
};

struct KAnonResult {
  std::vector<int> levels;          // chosen level per QI
  size_t rows = 0, rows_released = 0, rows_suppressed = 0;
  size_t groups = 0;                // distinct QI combinations released
  size_t k_achieved = 0;            // smallest released group (0 when nothing is released)
  double information_loss = 0;      // mean over cells of level / max_level, suppressed rows count 1
  std::vector<char> suppressed;     // per row
  nlohmann::json Json(const std::vector<QuasiIdentifier>& qis) const;
  // "age_group=1/3 gender=0/1 …": the chosen level of each QI out of its highest.
  std::string LevelsText(const std::vector<QuasiIdentifier>& qis) const;
};

// qi[row][j] is row's value of qis[j]; generalised in place (suppressed rows keep their
// values: callers drop them). InvalidArgument for k < 1 or ragged rows.
Result<KAnonResult> KAnonymize(std::vector<std::vector<std::string>>& qi, const std::vector<QuasiIdentifier>& qis,
                               const KAnonOptions& opts);

}  // namespace kgp::privacy
