// Builds the synthetic shop (leaves, brands, products) and its users with their hidden personas.
// Everything here is O(users + products); the events are streamed later from this state.
#include <algorithm>
#include <set>
#include <string_view>

#include "ingest/generator.h"

namespace kgp::generator_internal {
namespace {

constexpr uint64_t kFirstCategoryId = 2053013555631882000ULL;
constexpr uint64_t kFirstUserId = 500000001ULL;
constexpr int kRefYear = 2026;  // ages (and so preferences) are relative to the sample's year

// Hour-of-day popularity of shopping (UTC hours as written in event_time): lunch and evening peaks.
constexpr double kDiurnal[24] = {1.0, 0.6, 0.3, 0.2, 0.2, 0.3, 0.6, 1.2, 2.0, 2.2, 2.3, 2.5,
                                 3.0, 2.6, 2.3, 2.2, 2.2, 2.4, 2.8, 3.5, 4.2, 4.6, 4.0, 2.6};

size_t RootIndex(const std::vector<CategoryDef>& cats, size_t i) {
  std::string_view code = cats[i].code;
  std::string_view root = code.substr(0, code.find('.'));
  for (size_t j = 0; j <= i; ++j)
    if (root == cats[j].code) return j;
  return i;
}

// Does a brand with this scope ("a|b.c", relative to its root) sell in the leaf?
bool InScope(std::string_view scope, std::string_view root, std::string_view leaf_code) {
  if (scope.empty()) return true;
  std::string_view rest = leaf_code.substr(root.size() + 1);
  while (!scope.empty()) {
    size_t bar = scope.find('|');
    std::string_view s = scope.substr(0, bar);
    if (rest == s || (rest.size() > s.size() && rest.substr(0, s.size()) == s && rest[s.size()] == '.'))
      return true;
    if (bar == std::string_view::npos) break;
    scope.remove_prefix(bar + 1);
  }
  return false;
}

// Brands are picked round-robin over the roots so that a small --brands still covers the shop.
void BuildBrands(const GeneratorOptions& opts, const std::vector<CategoryDef>& cats,
                 const std::vector<size_t>& roots, Rng& rng, World* w) {
  const auto& table = BrandTable();
  std::vector<std::vector<size_t>> per_root(roots.size());
  for (size_t i = 0; i < table.size(); ++i)
    for (size_t r = 0; r < roots.size(); ++r)
      if (std::string_view(table[i].root) == cats[roots[r]].code) per_root[r].push_back(i);
  std::vector<size_t> chosen;
  for (size_t pos = 0; chosen.size() < opts.brands; ++pos) {
    bool any = false;
    for (size_t r = 0; r < roots.size() && chosen.size() < opts.brands; ++r) {
      if (pos < per_root[r].size()) chosen.push_back(per_root[r][pos]);
      any |= pos < per_root[r].size();
    }
    if (!any) break;
  }
  std::sort(chosen.begin(), chosen.end());
  std::set<std::string> keys;
  for (size_t i : chosen) {
    const BrandDef& d = table[i];
    size_t root = 0;
    for (size_t r : roots)
      if (std::string_view(d.root) == cats[r].code) root = r;
    w->brands.push_back({d.key, d.display, d.zh, static_cast<uint32_t>(root), d.tier, &d});
    keys.insert(d.key);
  }
  // More brands than the table knows: invented names from syllables that read in both scripts.
  static const char* kSyl[][2] = {{"ka", "卡"}, {"li", "丽"}, {"no", "诺"}, {"va", "瓦"},
                                  {"mi", "米"}, {"ra", "拉"}, {"so", "索"}, {"te", "特"},
                                  {"lo", "洛"}, {"xi", "西"}, {"na", "娜"}, {"ko", "科"},
                                  {"ru", "如"}, {"bo", "博"}, {"da", "达"}, {"ya", "雅"}};
  for (uint64_t n = 0; w->brands.size() < opts.brands; ++n) {
    std::string key, zh;
    for (int s = 0; s < 3; ++s) {
      const auto& syl = kSyl[rng.Below(16)];
      key += syl[0];
      zh += syl[1];
    }
    if (keys.count(key)) {
      key += std::to_string(n);
      zh += std::to_string(n);
    }
    if (!keys.insert(key).second) continue;
    std::string display = key;
    display[0] = static_cast<char>(display[0] - 'a' + 'A');
    w->brands.push_back({key, display, zh, static_cast<uint32_t>(roots[n % roots.size()]),
                         static_cast<int>(rng.Below(3)), nullptr});
  }
}

// List price in cents, rounded the way shops price (5999.00, 299.00, 49.90, 4.50).
int64_t NicePriceCents(double yuan) {
  if (yuan >= 1000) return (static_cast<int64_t>(yuan / 100 + 0.5) * 100 - 1) * 100;
  if (yuan >= 100) return (static_cast<int64_t>(yuan / 10 + 0.5) * 10 - 1) * 100;
  if (yuan >= 10) return static_cast<int64_t>(yuan) * 100 + 90;
  return std::max<int64_t>(50, static_cast<int64_t>(yuan * 2 + 0.5) * 50);
}

bool ScalesPrice(AttrId a) {
  switch (a) {
    case kAttrStorage: case kAttrScreen: case kAttrTvSize: case kAttrFridgeCap: case kAttrWasherCap:
    case kAttrVolume: case kAttrWeight: case kAttrBattery: case kAttrPower: case kAttrGymWeight:
      return true;
    default:
      return false;
  }
}

void BuildProducts(const GeneratorOptions& opts, const std::vector<CategoryDef>& cats, Rng& rng,
                   World* w) {
  const size_t n_leaves = w->leaves.size();
  // Eligible brands per leaf, falling back to the root's brands, then to any brand.
  std::vector<std::vector<uint32_t>> eligible(n_leaves);
  for (size_t l = 0; l < n_leaves; ++l) {
    const size_t def = w->leaves[l].def;
    const size_t root = RootIndex(cats, def);
    for (uint32_t b = 0; b < w->brands.size(); ++b) {
      const Brand& br = w->brands[b];
      if (br.root_def == root && InScope(br.def ? br.def->scope : "", cats[root].code, cats[def].code))
        eligible[l].push_back(b);
    }
    if (eligible[l].empty())
      for (uint32_t b = 0; b < w->brands.size(); ++b)
        if (w->brands[b].root_def == root) eligible[l].push_back(b);
    if (eligible[l].empty())
      for (uint32_t b = 0; b < w->brands.size(); ++b) eligible[l].push_back(b);
  }
  std::vector<double> leaf_w(n_leaves);
  for (size_t l = 0; l < n_leaves; ++l) leaf_w[l] = w->leaves[l].weight;
  // The first products visit every leaf once (in shuffled order) so that all leaves are stocked.
  std::vector<uint32_t> order(n_leaves);
  for (uint32_t l = 0; l < n_leaves; ++l) order[l] = l;
  for (size_t i = n_leaves; i > 1; --i) std::swap(order[i - 1], order[rng.Below(i)]);

  const auto& attrs = Attrs();
  w->products.resize(opts.products);
  for (uint64_t i = 0; i < opts.products; ++i) {
    Product& p = w->products[i];
    p.leaf = i < n_leaves ? order[i] : static_cast<uint32_t>(rng.Weighted(leaf_w));
    const CategoryDef& def = cats[w->leaves[p.leaf].def];
    const auto& el = eligible[p.leaf];
    std::vector<double> bw(el.size());
    for (size_t k = 0; k < el.size(); ++k) bw[k] = 1.0 / (1.0 + 0.25 * static_cast<double>(k));
    p.brand = el[rng.Weighted(bw)];
    double scale = 1.0;
    for (AttrId a : def.attrs) {
      if (p.n_attrs == p.attr_id.size()) break;
      const size_t v = rng.Below(attrs[a].values.size());
      p.attr_id[p.n_attrs] = a;
      p.attr_val[p.n_attrs++] = static_cast<uint8_t>(v);
      if (ScalesPrice(a)) scale *= 1.0 + 0.12 * static_cast<double>(v);
    }
    const double u = rng.Uniform();
    double yuan = def.price_lo + (def.price_hi - def.price_lo) * u * u;
    const int tier = w->brands[p.brand].tier;
    yuan *= tier == 0 ? 0.55 + 0.3 * rng.Uniform() : tier == 1 ? 0.85 + 0.35 * rng.Uniform()
                                                              : 1.3 + 0.7 * rng.Uniform();
    yuan = std::clamp(yuan * scale, def.price_lo * 0.5, def.price_hi * 2.0);
    p.list_cents = NicePriceCents(yuan);
  }
  for (uint32_t i = 0; i < w->products.size(); ++i) w->leaves[w->products[i].leaf].by_price.push_back(i);
  for (Leaf& leaf : w->leaves) {
    std::stable_sort(leaf.by_price.begin(), leaf.by_price.end(), [&](uint32_t a, uint32_t b) {
      return w->products[a].list_cents < w->products[b].list_cents;
    });
    for (uint32_t p : leaf.by_price) {
      const uint32_t b = w->products[p].brand;
      auto it = std::find_if(leaf.by_brand.begin(), leaf.by_brand.end(),
                             [&](const auto& e) { return e.first == b; });
      if (it == leaf.by_brand.end()) it = leaf.by_brand.insert(leaf.by_brand.end(), {b, {}});
      it->second.push_back(p);
    }
    std::sort(leaf.by_brand.begin(), leaf.by_brand.end());
  }
}

Lifecycle PickLifecycle(Rng& rng) {
  static const double kW[] = {0.15, 0.45, 0.15, 0.15, 0.10};  // new active dormant churned returning
  return static_cast<Lifecycle>(rng.Weighted(kW, 5));
}

}  // namespace

std::vector<double> LeafAffinity(const World& w, const User& u) {
  const auto& cats = CategoryTable();
  const int age = kRefYear - u.birth_year;
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

void BuildPersona(const World& w, const std::vector<CategoryDef>& cats, Rng& rng, User& u) {
  std::vector<double> aff = LeafAffinity(w, u);
  size_t stocked = 0;
  for (double x : aff) stocked += x > 0;
  static const double kCountW[] = {0.30, 0.45, 0.25};
  const size_t want = std::min<size_t>(2 + rng.Weighted(kCountW, 3), stocked);
  while (u.fav_leaves.size() < want) {
    std::vector<double> pick = aff;
    // Tastes cluster: half of the later favourites come from the first one's root.
    if (!u.fav_leaves.empty() && rng.Chance(0.5)) {
      const size_t root = RootIndex(cats, w.leaves[u.fav_leaves[0]].def);
      double sum = 0;
      for (size_t l = 0; l < pick.size(); ++l) {
        if (RootIndex(cats, w.leaves[l].def) != root) pick[l] = 0;
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
  const int first = static_cast<int>(rng.Weighted(kDiurnal, 24)) - width / 2;
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

void BuildWorld(const GeneratorOptions& opts, World* w) {
  w->opts = &opts;
  Rng rng(Mix64(opts.seed ^ 0x5eed0f5a0b1dULL));
  const auto& cats = CategoryTable();
  std::vector<size_t> roots;
  w->leaf_of_def.assign(cats.size(), -1);
  for (size_t i = 0; i < cats.size(); ++i) {
    if (std::string_view(cats[i].code).find('.') == std::string_view::npos) roots.push_back(i);
    if (!cats[i].noun_en) continue;
    w->leaf_of_def[i] = static_cast<int>(w->leaves.size());
    Leaf leaf;
    leaf.def = static_cast<uint32_t>(i);
    leaf.category_id = kFirstCategoryId + w->leaves.size();
    leaf.weight = cats[i].popularity;
    w->leaves.push_back(std::move(leaf));
  }
  BuildBrands(opts, cats, roots, rng, w);
  BuildProducts(opts, cats, rng, w);

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
    const int age = kRefYear - u.birth_year;
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
    BuildPersona(*w, cats, rng, u);
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
