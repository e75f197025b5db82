#include "privacy/kanon.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

namespace kgp::privacy {

QuasiIdentifier AgeGroupQi(const std::string& name) {
  return {name, 3, [](const std::string& v, int level) -> std::string {
            if (level == 0) return v;
            if (level >= 3 || v.empty()) return "*";
            // Lower bound of the group: "<18" → 0, "65+" → 65, "25-34" → 25, "37" → 37.
            int lo = v[0] == '<' ? 0 : std::atoi(v.c_str());
            if (level == 1) return lo < 25 ? "<25" : lo < 45 ? "25-44" : lo < 65 ? "45-64" : "65+";
            return lo < 45 ? "<45" : "45+";
          }};
}

QuasiIdentifier SuppressibleQi(const std::string& name) {
  return {name, 1, [](const std::string& v, int level) { return level == 0 ? v : std::string("*"); }};
}

std::vector<QuasiIdentifier> ProfileQis() {
  return {AgeGroupQi("age_group"), SuppressibleQi("gender"), SuppressibleQi("city"), SuppressibleQi("occupation")};
}

std::string CountBand(int64_t n) {
  if (n <= 1) return n <= 0 ? "0" : "1";
  return n <= 5 ? "2-5" : n <= 20 ? "6-20" : n <= 100 ? "21-100" : "101+";
}

std::vector<QuasiIdentifier> ProfileExportQis() {
  std::vector<QuasiIdentifier> q = ProfileQis();
  for (const char* c : {"price_level", "lifecycle", "rfm_segment", "cluster", "events", "purchases"})
    q.push_back(SuppressibleQi(c));
  return q;
}

nlohmann::json KAnonResult::Json(const std::vector<QuasiIdentifier>& qis) const {
  nlohmann::json lv = nlohmann::json::object();
  for (size_t j = 0; j < qis.size() && j < levels.size(); ++j) lv[qis[j].name] = levels[j];
  return {{"k_achieved", k_achieved}, {"rows", rows}, {"rows_released", rows_released},
          {"rows_suppressed", rows_suppressed}, {"groups", groups}, {"levels", lv},
          {"information_loss", information_loss}};
}

std::string KAnonResult::LevelsText(const std::vector<QuasiIdentifier>& qis) const {
  std::string s;
  for (size_t j = 0; j < qis.size() && j < levels.size(); ++j)
    s += fmt::format("{}{}={}/{}", j ? " " : "", qis[j].name, levels[j], qis[j].max_level);
  return s;
}

Result<KAnonResult> KAnonymize(std::vector<std::vector<std::string>>& qi, const std::vector<QuasiIdentifier>& qis,
                               const KAnonOptions& opts) {
  if (opts.k < 1) return Status::InvalidArgument("k-anonymity: k must be >= 1");
  if (!(opts.max_suppression >= 0 && opts.max_suppression <= 1))
    return Status::InvalidArgument(fmt::format("k-anonymity: max suppression must be a share from 0 to 1, not {}", opts.max_suppression));
  const size_t n = qi.size(), q = qis.size();
  for (const auto& row : qi)
    if (row.size() != q) return Status::InvalidArgument("k-anonymity: every row needs one value per quasi-identifier");
  for (const auto& x : qis)
    if (x.max_level < 1 || !x.generalise) return Status::InvalidArgument(fmt::format("k-anonymity: bad hierarchy for {}", x.name));
  const size_t allowed = static_cast<size_t>(opts.max_suppression * static_cast<double>(n));

  // Distinct values per column and their generalisations, so that each lattice node costs one
  // pass of integer work over the rows.
  std::vector<std::vector<uint32_t>> code(q, std::vector<uint32_t>(n));
  std::vector<std::vector<std::vector<uint32_t>>> gen(q);  // gen[j][level][value code] → generalised code
  for (size_t j = 0; j < q; ++j) {
    std::unordered_map<std::string, uint32_t> ids;
    std::vector<std::string> values;
    for (size_t i = 0; i < n; ++i) {
      auto [it, fresh] = ids.emplace(qi[i][j], static_cast<uint32_t>(values.size()));
      if (fresh) values.push_back(qi[i][j]);
      code[j][i] = it->second;
    }
    gen[j].resize(static_cast<size_t>(qis[j].max_level) + 1);
    for (int l = 0; l <= qis[j].max_level; ++l) {
      std::unordered_map<std::string, uint32_t> gids;
      for (const auto& v : values) {
        std::string g = qis[j].generalise(v, l);
        auto [it, fresh] = gids.emplace(g, static_cast<uint32_t>(gids.size()));
        gen[j][static_cast<size_t>(l)].push_back(it->second);
      }
    }
  }

  struct Eval {
    size_t suppressed = 0, groups = 0, min_group = 0;
    double loss = 0;
  };
  // Group sizes by key in an open-addressing table (linear probing, 0 = empty), cleared per
  // lattice node: a node costs a pass over the rows and a table a few times their number.
  std::vector<uint64_t> keys(n), slot_key;
  std::vector<uint32_t> slot_count;
  size_t slots = 16;
  while (slots < 2 * n) slots *= 2;
  const auto find = [&](uint64_t key) -> size_t {
    size_t i = static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 17) & (slots - 1);
    while (slot_key[i] != 0 && slot_key[i] != key) i = (i + 1) & (slots - 1);
    return i;
  };
  auto evaluate = [&](const std::vector<int>& lv, std::vector<char>* supp) {
    Eval e;
    slot_key.assign(slots, 0);
    slot_count.assign(slots, 0);
    for (size_t i = 0; i < n; ++i) {
      uint64_t h = 0x9E3779B97F4A7C15ull;
      for (size_t j = 0; j < q; ++j) {
        uint64_t g = gen[j][static_cast<size_t>(lv[j])][code[j][i]];
        h = (h ^ g) * 0x100000001B3ull + (h >> 29);
      }
      if (h == 0) h = 1;  // 0 marks an empty slot
      keys[i] = h;
      const size_t at = find(h);
      slot_key[at] = h;
      ++slot_count[at];
    }
    double height = 0;
    for (size_t j = 0; j < q; ++j) height += static_cast<double>(lv[j]) / qis[j].max_level;
    e.min_group = std::numeric_limits<size_t>::max();
    for (size_t at = 0; at < slots; ++at) {
      const uint32_t c = slot_count[at];
      if (c == 0) continue;
      if (c < opts.k) e.suppressed += c;
      else ++e.groups, e.min_group = std::min<size_t>(e.min_group, c);
    }
    if (e.groups == 0) e.min_group = 0;
    const double kept = static_cast<double>(n - e.suppressed);
    e.loss = n ? (kept * (q ? height / static_cast<double>(q) : 0) + static_cast<double>(e.suppressed)) / static_cast<double>(n) : 0;
    if (supp) {
      supp->assign(n, 0);
      for (size_t i = 0; i < n; ++i) (*supp)[i] = slot_count[find(keys[i])] < opts.k;
    }
    return e;
  };
  // Hash collisions between different combinations would merge groups and could overstate k;
  // the final check below recounts with the generalised strings.

  // Every node of the lattice in turn, keeping the least loss within the suppression allowed.
  // A node's loss is at least its height (height/q + suppressed·(1 − height/q)/n), so a node
  // higher than the best loss so far cannot replace it and is not evaluated: the same choice
  // as evaluating every node, in the same order (10 quasi-identifiers: 2,048 nodes).
  std::vector<int> lv(q, 0), best;
  Eval best_e;
  for (;;) {
    double height = 0;
    for (size_t j = 0; j < q; ++j) height += static_cast<double>(lv[j]) / qis[j].max_level;
    if (best.empty() || (q ? height / static_cast<double>(q) : 0) <= best_e.loss + 1e-12) {
      Eval e = evaluate(lv, nullptr);
      if (e.suppressed <= allowed &&
          (best.empty() || e.loss < best_e.loss - 1e-12 || (e.loss <= best_e.loss + 1e-12 && e.suppressed < best_e.suppressed)))
        best = lv, best_e = e;
    }
    size_t j = 0;
    while (j < q && ++lv[j] > qis[j].max_level) lv[j++] = 0;
    if (j == q) break;
  }
  if (best.empty()) {  // n < k, or everything must go: release nothing
    best.assign(q, 0);
    for (size_t j = 0; j < q; ++j) best[j] = qis[j].max_level;
  }
  KAnonResult r;
  r.levels = best;
  r.rows = n;
  evaluate(best, &r.suppressed);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < q; ++j) qi[i][j] = qis[j].generalise(qi[i][j], best[j]);
  // Recount on the released strings (exact; no reliance on the hash): any row still in a group
  // smaller than k (a hash collision, or a table of fewer than k rows) is suppressed too.
  std::vector<std::string> key(n);
  std::unordered_map<std::string, size_t> groups;
  for (size_t i = 0; i < n; ++i) {
    for (const auto& v : qi[i]) key[i].append(v).push_back('\x1f');
    if (!r.suppressed[i]) ++groups[key[i]];
  }
  for (size_t i = 0; i < n; ++i)
    if (!r.suppressed[i] && groups[key[i]] < opts.k) r.suppressed[i] = 1;
  for (auto it = groups.begin(); it != groups.end();) it = it->second < opts.k ? groups.erase(it) : std::next(it);
  for (size_t i = 0; i < n; ++i) r.rows_suppressed += r.suppressed[i] != 0;
  r.rows_released = n - r.rows_suppressed;
  r.groups = groups.size();
  r.k_achieved = 0;
  for (auto& [k, c] : groups) r.k_achieved = r.k_achieved ? std::min(r.k_achieved, c) : c;
  double height = 0;
  for (size_t j = 0; j < q; ++j) height += static_cast<double>(best[j]) / qis[j].max_level;
  r.information_loss = n ? (static_cast<double>(r.rows_released) * (q ? height / static_cast<double>(q) : 0) +
                            static_cast<double>(r.rows_suppressed)) / static_cast<double>(n)
                         : 0;
  return r;
}

}  // namespace kgp::privacy
