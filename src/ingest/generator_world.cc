// Builds the synthetic shop: leaves, brands and products (users: generator_users.cc).
// Everything here is O(products); the events are streamed later from this state.
#include <algorithm>
#include <set>
#include <string_view>

#include "ingest/generator.h"

namespace kgp::generator_internal {
namespace {

constexpr uint64_t kFirstCategoryId = 2053013555631882000ULL;

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
    case kAttrBulkWeight:
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
    const size_t root = w->leaves[l].root_def;
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

}  // namespace

void BuildWorld(const GeneratorOptions& opts, World* w) {
  w->opts = &opts;
  Rng rng(Mix64(opts.seed ^ 0x5eed0f5a0b1dULL));
  const auto& cats = CategoryTable();
  std::vector<size_t> roots;
  for (size_t i = 0; i < cats.size(); ++i) {
    if (std::string_view(cats[i].code).find('.') == std::string_view::npos) roots.push_back(i);
    if (!cats[i].noun_en) continue;
    Leaf leaf;
    leaf.def = static_cast<uint32_t>(i);
    leaf.root_def = static_cast<uint32_t>(RootIndex(cats, i));
    leaf.code = cats[i].code;
    leaf.category_id = kFirstCategoryId + w->leaves.size();
    leaf.weight = cats[i].popularity;
    leaf.consumable = cats[i].aspects == Aspects::kFood || cats[i].aspects == Aspects::kBeauty ||
                      leaf.code == "baby.formula" || leaf.code == "baby.diapers";
    w->leaves.push_back(std::move(leaf));
  }
  BuildBrands(opts, cats, roots, rng, w);
  BuildProducts(opts, cats, rng, w);

  BuildUsers(opts, rng, w);
}

}  // namespace kgp::generator_internal
