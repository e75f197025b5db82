// The shop's users: demographics, the hidden persona that drives their behaviour, and their
// exact event budgets. O(users) memory.
#include <algorithm>

#include "ingest/generator.h"

namespace kgp::generator_internal {
std::vector<double> LeafAffinity(const World& w, const User& u) {
  const auto& cats = CategoryTable();
  const int age = kReferenceYear - u.birth_year;
  std::vector<double> a(w.leaves.size(), 0.0);
  for (size_t l = 0; l < w.leaves.size(); ++l) {
    if (w.leaves[l].by_price.empty()) continue;
    const CategoryDef& d = cats[w.leaves[l].def];
    double x = d.popularity;
    const double s = d.gender_skew * (u.gender == 'F' ? 1.0 : -1.0);
    x *= s >= 0 ? 1.0 + 1.2 * s : 1.0 / (1.0 - 1.2 * s);
    if (d.flags & kForParents) x *= (age >= 26 && age <= 45) ? 2.5 : 0.15;
    if ((d.flags & kForYoung) && age <= 30) x *= 1.6;
    if ((d.flags & kForOlder) && age >= 45) x *= 1.8;
    a[l] = x;
  }
  return a;
}

namespace {

constexpr uint64_t kFirstUserId = 500000001ULL;

Lifecycle PickLifecycle(Rng& rng) {
  static const double kW[] = {0.15, 0.45, 0.15, 0.15, 0.10};  // new active dormant churned returning
  return static_cast<Lifecycle>(rng.Weighted(kW, 5));
}

void BuildPersona(const World& w, Rng& rng, User& u) {
  std::vector<double> aff = LeafAffinity(w, u);
  size_t stocked = 0;
  for (double x : aff) stocked += x > 0;
  static const double kCountW[] = {0.30, 0.45, 0.25};
  const size_t want = std::min<size_t>(2 + rng.Weighted(kCountW, 3), stocked);
  while (u.fav_leaves.size() < want) {
    std::vector<double> pick = aff;
    // Tastes cluster: half of the later favourites come from the first one's root.
    if (!u.fav_leaves.empty() && rng.Chance(0.5)) {
      const uint32_t root = w.leaves[u.fav_leaves[0]].root_def;
      double sum = 0;
      for (size_t l = 0; l < pick.size(); ++l) {
        if (w.leaves[l].root_def != root) pick[l] = 0;
        sum += pick[l];
      }
      if (sum <= 0) pick = aff;
    }
    const uint32_t l = static_cast<uint32_t>(rng.Weighted(pick));
    u.fav_leaves.push_back(l);
    aff[l] = 0;
  }
  // One brand per leading favourite category, matching the price level.
  const int want_tier = static_cast<int>(u.price_level);  // low→0, mid→1, high→2
  for (size_t i = 0; i < u.fav_leaves.size() && i < 3; ++i) {
    const Leaf& leaf = w.leaves[u.fav_leaves[i]];
    if (leaf.by_brand.empty() || (i > 0 && rng.Chance(0.3))) continue;
    std::vector<double> bw(leaf.by_brand.size());
    for (size_t k = 0; k < bw.size(); ++k) {
      const Brand& b = w.brands[leaf.by_brand[k].first];
      bw[k] = (b.tier == want_tier ? 3.0 : 1.0) * static_cast<double>(leaf.by_brand[k].second.size());
    }
    const uint32_t b = leaf.by_brand[rng.Weighted(bw)].first;
    if (std::find(u.fav_brands.begin(), u.fav_brands.end(), b) == u.fav_brands.end())
      u.fav_brands.push_back(b);
  }
  const int width = static_cast<int>(rng.Range(2, 4));
  const int first = static_cast<int>(rng.Weighted(kShoppingHours, 24)) - width / 2;
  for (int h = 0; h < width; ++h) u.active_hours.push_back(((first + h) % 24 + 24) % 24);
}

}  // namespace

const char* LifecycleName(Lifecycle l) {
  static const char* kNames[] = {"new", "active", "dormant", "churned", "returning"};
  return kNames[static_cast<int>(l)];
}
const char* PriceLevelName(PriceLevel p) {
  static const char* kNames[] = {"low", "mid", "high"};
  return kNames[static_cast<int>(p)];
}

double DayWeight(const World& w, const User& u, int64_t d) {
  double x = 1.0;
  switch (u.lifecycle) {
    case Lifecycle::kActive: case Lifecycle::kDormant: break;
    case Lifecycle::kChurned: x = d < u.span_a ? 1.0 : 0.0; break;
    case Lifecycle::kNew: x = d < u.span_a ? 0.0 : d < u.span_a + 7 ? 1.6 : 1.0; break;
    case Lifecycle::kReturning: x = (d < u.span_a || d >= u.span_b) ? 1.0 : 0.0; break;
  }
  const int64_t epoch_day = (w.opts->start_time + d * 86400) / 86400;
  const int64_t dow = ((epoch_day + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday; 0 = Sunday
  return (dow == 0 || dow == 6) ? x * 1.3 : x;
}

void BuildUsers(const GeneratorOptions& opts, Rng& rng, World* w) {
  const auto& cities = Cities();
  std::vector<double> city_w;
  for (const auto& c : cities) city_w.push_back(c.weight);
  const auto& occ = Occupations();
  static const int kBandLo[] = {1955, 1965, 1975, 1985, 1995, 2003};
  static const int kBandHi[] = {1964, 1974, 1984, 1994, 2002, 2008};
  static const double kBandW[] = {0.07, 0.12, 0.20, 0.30, 0.22, 0.09};
  const int64_t days = opts.days;
  w->users.resize(opts.users);
  std::vector<double> activity(opts.users);
  for (uint64_t i = 0; i < opts.users; ++i) {
    User& u = w->users[i];
    u.id = kFirstUserId + i;
    u.gender = rng.Chance(0.55) ? 'F' : 'M';
    u.gender_shown = !rng.Chance(0.1);
    const size_t band = rng.Weighted(kBandW, 6);
    u.birth_year = static_cast<int>(rng.Range(kBandLo[band], kBandHi[band]));
    const int age = kReferenceYear - u.birth_year;
    u.city = static_cast<uint32_t>(rng.Weighted(city_w));
    if (age <= 22 && rng.Chance(0.8)) u.occupation = 0;
    else if (age >= 60 && rng.Chance(0.7)) u.occupation = static_cast<uint32_t>(occ.size() - 2);
    else if (rng.Chance(0.05)) u.occupation = static_cast<uint32_t>(occ.size() - 1);
    else u.occupation = static_cast<uint32_t>(rng.Range(1, static_cast<int64_t>(occ.size()) - 3));
    u.lifecycle = PickLifecycle(rng);
    double lw[3] = {0.30, 0.45, 0.25};
    if (cities[u.city].tier == 1) lw[2] += 0.10;
    if (u.occupation == 0) lw[0] += 0.25;
    if (age >= 30 && age <= 50) lw[2] += 0.05;
    u.price_level = static_cast<PriceLevel>(rng.Weighted(lw, 3));
    const auto frac = [&](double lo, double span) {
      return static_cast<int>(static_cast<double>(days) * (lo + span * rng.Uniform()));
    };
    switch (u.lifecycle) {
      case Lifecycle::kChurned: u.span_a = std::max(1, frac(0.15, 0.3)); break;
      case Lifecycle::kNew: u.span_a = std::min(static_cast<int>(days - 1), frac(0.55, 0.3)); break;
      case Lifecycle::kReturning:
        u.span_a = std::max(1, frac(0.1, 0.2));
        u.span_b = std::max(u.span_a, std::min(static_cast<int>(days - 1), frac(0.6, 0.25)));
        break;
      default: break;
    }
    if (u.lifecycle == Lifecycle::kNew)  // signed up the evening before the first visit
      u.signup_ts = opts.start_time + u.span_a * 86400LL - rng.Range(600, 43200);
    else
      u.signup_ts = opts.start_time - rng.Range(30, 1800) * 86400 - rng.Range(0, 86399);
    u.zh_share = rng.Chance(0.65) ? 0.85 : 0.25;
    BuildPersona(*w, rng, u);
    // Heavy-tailed volume: 1/(x+0.1)^2 spans ~1..100 with a few very active users.
    static const double kLifeMult[] = {0.6, 1.3, 0.2, 0.6, 0.8};
    const double x = rng.Uniform() + 0.1;
    activity[i] = kLifeMult[static_cast<int>(u.lifecycle)] / (x * x);
  }
  // Exact budgets: a floor of a few events each, the rest proportional to activity.
  const uint64_t floor_events = std::min<uint64_t>(5, opts.events / opts.users);
  const uint64_t extra = opts.events - floor_events * opts.users;
  double total = 0;
  for (double a : activity) total += a;
  uint64_t given = 0;
  for (uint64_t i = 0; i < opts.users; ++i) {
    const uint64_t e = static_cast<uint64_t>(static_cast<double>(extra) * (activity[i] / total));
    w->users[i].budget = floor_events + std::min(e, extra - given);
    given += std::min(e, extra - given);
  }
  for (uint64_t i = 0; given < extra; i = (i + 1) % opts.users, ++given) w->users[i].budget++;
}

}  // namespace kgp::generator_internal
