#include "profile/cluster.h"

#include "common/rng.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

namespace kgp {
namespace {


double Dist2(const double* a, const double* b, size_t d) {
  double s = 0;
  for (size_t i = 0; i < d; ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return s;
}

double Or(double x, double fallback) { return std::isnan(x) ? fallback : x; }

}  // namespace

ClusterModel ClusterProfiles(const Graph& g, std::vector<Profile>& profiles, const ClusterOptions& opts) {
  ClusterModel model;
  // Features: interest in each root category, then price, volume, lapse, conversion, novelty.
  // Roots of category trees; flat catalogues (every category a root, e.g. genres) use all.
  std::vector<NodeId> roots, flat;
  for (NodeId n = 0; n < g.num_nodes(); ++n) {
    if (g.type(n) != NodeType::kCategory) continue;
    bool has_parent = false, has_child = false;
    for (const Adjacent& a : g.Neighbors(n)) {
      has_parent |= a.type == edge::kSubcategoryOf && a.outgoing;
      has_child |= a.type == edge::kSubcategoryOf && !a.outgoing;
    }
    if (!has_parent) (has_child ? roots : flat).push_back(n);
  }
  if (roots.empty()) roots = std::move(flat);
  for (NodeId r : roots) model.features.push_back(std::string(g.key(r)));
  const size_t nroot = roots.size();
  for (const char* f : {"price_position", "purchases", "churn_risk", "view_to_purchase", "novelty"})
    model.features.push_back(f);
  const size_t d = model.features.size(), n = profiles.size();
  if (n == 0) return model;
  std::vector<double> x(n * d, 0.0);
  for (size_t i = 0; i < n; ++i) {
    const Profile& p = profiles[i];
    double* v = &x[i * d];
    for (const Interest& t : p.interests[static_cast<int>(TagKind::kCategory)]) {
      auto it = std::lower_bound(roots.begin(), roots.end(), t.tag);
      if (it != roots.end() && *it == t.tag) v[it - roots.begin()] = t.weight;
    }
    v[nroot] = Or(p.price_position, 0.5);
    v[nroot + 1] = std::log1p(p.purchases);
    v[nroot + 2] = p.churn_risk;
    v[nroot + 3] = Or(p.view_to_purchase, 0.0);
    v[nroot + 4] = Or(p.novelty, 0.0);
  }
  // For the labels, in raw weights: each user's strongest root category (-1: none) and the
  // population's mean weight of each.
  std::vector<int> top_root(n, -1);
  std::vector<double> pop_mean(nroot, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < nroot; ++j) {
      pop_mean[j] += x[i * d + j] / static_cast<double>(n);
      if (x[i * d + j] > 0 && (top_root[i] < 0 || x[i * d + j] > x[i * d + static_cast<size_t>(top_root[i])]))
        top_root[i] = static_cast<int>(j);
    }
  std::vector<double> raw_root(n * nroot);
  for (size_t i = 0; i < n; ++i) std::copy_n(&x[i * d], nroot, &raw_root[i * nroot]);
  // Standardise each feature (z-scores) so no unit dominates the distance.
  for (size_t j = 0; j < d; ++j) {
    double m = 0, s = 0;
    for (size_t i = 0; i < n; ++i) m += x[i * d + j];
    m /= static_cast<double>(n);
    for (size_t i = 0; i < n; ++i) s += (x[i * d + j] - m) * (x[i * d + j] - m);
    s = std::sqrt(s / static_cast<double>(n));
    for (size_t i = 0; i < n; ++i) x[i * d + j] = s > 1e-12 ? (x[i * d + j] - m) / s : 0.0;
  }
  // Fit on an even-stride sample; assign everyone afterwards.
  const size_t stride = opts.sample > 0 && n > opts.sample ? (n + opts.sample - 1) / opts.sample : 1;
  std::vector<size_t> fit;
  for (size_t i = 0; i < n; i += stride) fit.push_back(i);
  const size_t nf = fit.size();
  size_t k = std::min<size_t>(static_cast<size_t>(std::max(1, opts.k)), nf);
  // k-means++ seeding.
  Rng rng(opts.seed);
  std::vector<double> c(k * d);
  const auto row = [&](size_t f) { return &x[fit[f] * d]; };
  std::copy_n(row(rng.Next() % nf), d, c.begin());
  std::vector<double> best(nf, INFINITY);
  for (size_t m = 1; m < k; ++m) {
    double total = 0;
    for (size_t i = 0; i < nf; ++i) total += best[i] = std::min(best[i], Dist2(row(i), &c[(m - 1) * d], d));
    double r = rng.Uniform() * total;
    size_t pick = nf - 1;
    for (size_t i = 0; i < nf; ++i)
      if ((r -= best[i]) <= 0) { pick = i; break; }
    std::copy_n(row(pick), d, c.begin() + static_cast<ptrdiff_t>(m * d));
  }
  const auto nearest = [&](const double* v, double* dist) {
    int arg = 0;
    double bd = INFINITY;
    for (size_t m = 0; m < k; ++m) {
      const double dd = Dist2(v, &c[m * d], d);
      if (dd < bd) bd = dd, arg = static_cast<int>(m);
    }
    *dist = bd;
    return arg;
  };
  std::vector<int> fit_assign(nf, 0);
  for (int it = 0; it < opts.iterations; ++it) {
    bool changed = false;
    for (size_t i = 0; i < nf; ++i) {
      double dist;
      const int arg = nearest(row(i), &dist);
      changed |= fit_assign[i] != arg;
      fit_assign[i] = arg;
    }
    std::vector<double> sum(k * d, 0.0);
    std::vector<size_t> cnt(k, 0);
    for (size_t i = 0; i < nf; ++i) {
      cnt[fit_assign[i]]++;
      for (size_t j = 0; j < d; ++j) sum[fit_assign[i] * d + j] += row(i)[j];
    }
    for (size_t m = 0; m < k; ++m)
      if (cnt[m] > 0)
        for (size_t j = 0; j < d; ++j) c[m * d + j] = sum[m * d + j] / static_cast<double>(cnt[m]);
    if (!changed && it > 0) break;
  }
  std::vector<int> assign(n, 0);
  model.inertia = 0;
  for (size_t i = 0; i < n; ++i) {
    double dist;
    assign[i] = nearest(&x[i * d], &dist);
    model.inertia += dist;
  }
  model.inertia /= static_cast<double>(n);
  // Centroids no profile is nearest to (identical profiles, fewer distinct ones than k) are
  // dropped and the rest renumbered: a cluster of nobody is not a segment.
  {
    std::vector<size_t> members(k, 0);
    for (int a : assign) members[static_cast<size_t>(a)]++;
    std::vector<int> renum(k, -1);
    size_t kept = 0;
    for (size_t m = 0; m < k; ++m) {
      if (members[m] == 0) continue;
      std::copy_n(c.begin() + static_cast<ptrdiff_t>(m * d), d, c.begin() + static_cast<ptrdiff_t>(kept * d));
      renum[m] = static_cast<int>(kept++);
    }
    for (int& a : assign) a = renum[static_cast<size_t>(a)];
    k = kept;
  }
  // Labels: the root category that is the strongest interest of most members (a z-score would
  // name a rare category a cluster has a little more of), the one it leans to (the largest
  // excess of mean weight over the population's, at least 0.05), then price and activity.
  std::set<std::string> used;
  std::vector<std::vector<double>> means(k);  // per cluster, the members' mean raw root weights
  for (size_t m = 0; m < k; ++m) {
    Cluster cl;
    cl.id = static_cast<int>(m);
    cl.centroid.assign(c.begin() + static_cast<ptrdiff_t>(m * d), c.begin() + static_cast<ptrdiff_t>((m + 1) * d));
    for (size_t i = 0; i < n; ++i) cl.size += assign[i] == static_cast<int>(m);
    std::vector<std::string> parts;
    std::vector<size_t> votes(nroot, 0);
    for (size_t i = 0; i < n; ++i)
      if (assign[i] == static_cast<int>(m) && top_root[i] >= 0) votes[static_cast<size_t>(top_root[i])]++;
    const size_t top = nroot ? static_cast<size_t>(std::max_element(votes.begin(), votes.end()) - votes.begin()) : 0;
    const bool majority = nroot > 0 && 2 * votes[top] > cl.size;
    parts.push_back(majority ? model.features[top] + " fans" : "broad interests");
    std::vector<double> mean(nroot, 0.0);
    for (size_t i = 0; i < n; ++i)
      if (assign[i] == static_cast<int>(m))
        for (size_t j = 0; j < nroot; ++j) mean[j] += raw_root[i * nroot + j] / static_cast<double>(std::max<size_t>(1, cl.size));
    size_t lean = 0;
    for (size_t j = 1; j < nroot; ++j)
      if (mean[j] - pop_mean[j] > mean[lean] - pop_mean[lean]) lean = j;
    if (nroot > 0 && mean[lean] - pop_mean[lean] >= 0.05 && !(majority && lean == top))
      parts.push_back("leaning " + model.features[lean]);
    means[m] = mean;
    const double price = cl.centroid[nroot], buys = cl.centroid[nroot + 1], lapse = cl.centroid[nroot + 2];
    if (price > 0.5) parts.push_back("premium");
    else if (price < -0.5) parts.push_back("budget");
    if (lapse > 0.7) parts.push_back("lapsing");
    else if (buys > 0.5) parts.push_back("frequent buyers");
    else if (buys < -0.5) parts.push_back("browsers");
    std::string label = parts[0];
    for (size_t i = 1; i < parts.size(); ++i) label += ", " + parts[i];
    cl.label = label;
    model.clusters.push_back(std::move(cl));
  }
  // Clusters that read the same get the trait that sets each apart most: the root category
  // its members lean to most (mean weight over everyone's, at least 0.05 as above, counted in
  // steps of 0.05),
  // or a behaviour whose centroid z-score is larger; "drama fans, leaning romance" rather than
  // "drama fans (6)"; a number only if that still leaves two alike.
  static const char* kTrait[][2] = {{"premium", "budget"}, {"frequent buyers", "browsers"}, {"lapsing", "active"},
                                    {"decisive buyers", "window shoppers"}, {"explorers", "repeat buyers"}};
  const auto add_trait = [&](Cluster& cl) {
    std::string trait;
    double best_score = 0;
    const auto& mean = means[static_cast<size_t>(cl.id)];
    for (size_t j = 0; j < d; ++j) {
      const bool root = j < nroot;
      if (root && cl.label.find(model.features[j]) != std::string::npos) continue;
      const double score = root ? (mean[j] - pop_mean[j]) / 0.05 : std::abs(cl.centroid[j]);
      if (root && score < 1) continue;  // "leaning" means an excess of 0.05 or more, as above
      if (!root && score < 0.25) continue;  // a behaviour at least a quarter of a deviation out
      const std::string word =
          root ? "leaning " + model.features[j] : kTrait[std::min<size_t>(j - nroot, 4)][cl.centroid[j] > 0 ? 0 : 1];
      if (score > best_score && cl.label.find(word) == std::string::npos) best_score = score, trait = word;
    }
    if (!trait.empty()) cl.label += ", " + trait;
  };
  for (int round = 0; round < 2; ++round) {  // a second trait where the first left two alike
    std::map<std::string, int> times;
    for (const auto& cl : model.clusters) times[cl.label]++;
    for (auto& cl : model.clusters)
      if (times[cl.label] > 1) add_trait(cl);
  }
  for (auto& cl : model.clusters)
    if (!used.insert(cl.label).second) cl.label += fmt::format(" ({})", cl.id + 1);
  for (size_t i = 0; i < n; ++i) profiles[i].cluster = assign[i];
  return model;
}

}  // namespace kgp
