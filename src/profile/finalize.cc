// UserState → Profile: interests, preferences, behaviour, lifecycle; RFM over all users.
#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include "profile/profile.h"

namespace kgp {
namespace {

constexpr double kDay = 86400.0;

std::optional<TagKind> KindOf(NodeType t) {
  switch (t) {
    case NodeType::kCategory: return TagKind::kCategory;
    case NodeType::kBrand: return TagKind::kBrand;
    case NodeType::kAttribute: return TagKind::kAttribute;
    case NodeType::kEntity: return TagKind::kEntity;
    default: return std::nullopt;
  }
}

double Ratio(double a, double b) { return b > 0 ? a / b : NAN; }

// Price level cut-offs on the behaviour-weighted band position.
constexpr double kLowBelow = 0.42, kHighAbove = 0.58;

}  // namespace

const char* TagKindName(TagKind k) {
  static const char* kNames[] = {"category", "brand", "attribute", "entity"};
  return kNames[static_cast<int>(k)];
}
const char* TagKindPlural(TagKind k) {
  static const char* kNames[] = {"categories", "brands", "attributes", "entities"};
  return kNames[static_cast<int>(k)];
}

Profile Finalize(const ItemIndex& items, const ProfileOptions& opts, const UserState& s, int64_t as_of) {
  const Graph& g = items.graph();
  Profile p;
  p.as_of = as_of;
  p.events = s.events;
  if (s.events == 0) return p;
  p.views = s.type_count[static_cast<int>(EventType::kView)];
  p.carts = s.type_count[static_cast<int>(EventType::kCart)];
  p.purchases = s.type_count[static_cast<int>(EventType::kPurchase)];
  p.first_ts = s.first_ts, p.last_ts = s.last_ts;

  // Interests: the stored sums share the user's anchor, so the share needs no decay to as_of.
  // Confidence 1 − exp(−n / 3), tabulated: it is 1.0 in float beyond n = 52.
  static const auto kConfidence = [] {
    std::array<float, 64> c{};
    for (size_t n = 0; n < c.size(); ++n) c[n] = static_cast<float>(1.0 - std::exp(-static_cast<double>(n) / 3.0));
    return c;
  }();
  size_t per_kind[kNumTagKinds] = {};
  for (const TagStat& t : s.tags)
    if (auto kind = KindOf(g.type(t.tag))) per_kind[static_cast<int>(*kind)]++;
  for (int k = 0; k < kNumTagKinds; ++k) p.interests[k].reserve(per_kind[k]);
  for (const TagStat& t : s.tags) {
    auto kind = KindOf(g.type(t.tag));
    if (!kind || s.total_w <= 0) continue;
    // A share: float sums of the tag and double of the total can put it a rounding step over 1.
    p.interests[static_cast<int>(*kind)].push_back(Interest{t.tag, std::min(1.0f, static_cast<float>(t.w / s.total_w)),
                                                            kConfidence[std::min<size_t>(t.count, 63)], t.count,
                                                            s.anchor + t.last_rel});
  }
  const auto stronger = [](const Interest& a, const Interest& b) {
    return a.weight != b.weight ? a.weight > b.weight : a.tag < b.tag;
  };
  for (auto& v : p.interests) {
    const size_t keep = std::min<size_t>(v.size(), opts.max_interests);
    std::partial_sort(v.begin(), v.begin() + static_cast<ptrdiff_t>(keep), v.end(), stronger);
    v.resize(keep);
  }

  // Preferences.
  if (s.pos_w > 0) {
    p.price_position = s.pos_wsum / s.pos_w;
    p.price_level = p.price_position < kLowBelow ? "low" : p.price_position > kHighAbove ? "high" : "mid";
  }
  if (s.buy_pos_n > 0 && s.view_pos_n > 0)
    p.price_sensitivity = std::clamp(0.5 + s.view_pos_sum / s.view_pos_n - s.buy_pos_sum / s.buy_pos_n, 0.0, 1.0);
  if (s.buys_priced > 0 && s.views_priced > 0)
    p.discount_response = Ratio(s.buys_discounted, s.buys_priced) - Ratio(s.views_discounted, s.views_priced);
  const auto& brands = p.interests[static_cast<int>(TagKind::kBrand)];
  double bsum = 0;
  for (const auto& b : brands) bsum += b.weight;
  if (bsum > 0) {
    double hhi = 0, h = 0;
    for (const auto& b : brands) {
      const double q = b.weight / bsum;
      hhi += q * q, h -= q > 0 ? q * std::log(q) : 0;
    }
    p.brand_top_share = brands[0].weight / bsum;
    p.brand_hhi = hhi;
    p.brand_entropy = brands.size() > 1 ? h / std::log(static_cast<double>(brands.size())) : 0.0;
  }
  p.novelty = Ratio(s.novel_events, s.events);
  p.repeat_rate = Ratio(s.repeat_purchases, p.purchases);

  // Behaviour.
  if (s.last_purchase_ts != INT64_MIN) p.recency_days = static_cast<double>(as_of - s.last_purchase_ts) / kDay;
  p.monetary = s.monetary;
  std::copy(s.hour_of_week, s.hour_of_week + 168, p.hour_of_week.begin());
  int by_hour[24] = {};
  for (int i = 0; i < 168; ++i) by_hour[i % 24] += s.hour_of_week[i];
  std::vector<int> hours(24);
  std::iota(hours.begin(), hours.end(), 0);
  std::stable_sort(hours.begin(), hours.end(), [&](int a, int b) { return by_hour[a] > by_hour[b]; });
  for (int i = 0; i < 3 && by_hour[hours[i]] > 0; ++i) p.peak_hours.push_back(hours[i]);
  p.sessions = s.sessions;
  p.session_minutes = (s.session_seconds_done + static_cast<double>(s.last_ts - s.session_start)) / 60.0 / s.sessions;
  p.session_depth = static_cast<double>(s.session_events_done + s.session_events) / s.sessions;
  p.view_to_cart = Ratio(p.carts, p.views);
  p.cart_to_purchase = p.carts > 0 ? std::min(1.0, Ratio(p.purchases, p.carts)) : NAN;
  p.view_to_purchase = Ratio(p.purchases, p.views);
  for (const Repurchase& r : s.repurchase)
    if (r.purchases > 1 && r.last_ts - r.first_ts >= 86400)  // several buys in one visit are no cycle
      p.repurchase_days.emplace_back(r.category, static_cast<double>(r.last_ts - r.first_ts) / kDay / (r.purchases - 1));

  // Lifecycle and churn risk, from recency against the user's own rhythm.
  const double idle = static_cast<double>(as_of - s.last_ts) / kDay;
  const double age = static_cast<double>(as_of - s.first_ts) / kDay;
  const double expected = s.sessions > 1 ? s.session_gap_sum / kDay / (s.sessions - 1) : opts.dormant_days;
  // Dormant: idle past the threshold and past twice the user's own usual pause.
  if (idle >= opts.churn_days) p.lifecycle = "churned";
  else if (idle >= opts.dormant_days && idle >= 2 * expected) p.lifecycle = "dormant";
  else if (age <= opts.new_days) p.lifecycle = "new";
  else if (s.returned_ts != INT64_MIN && static_cast<double>(as_of - s.returned_ts) / kDay <= opts.return_window_days)
    p.lifecycle = "returning";
  else p.lifecycle = "active";
  // Expected pause: the mean gap between sessions (else the dormancy threshold), at least a
  // week, so that a burst of visits does not make a few quiet days alarming; the risk grows as
  // the current pause exceeds it: 1 − exp(−idle / (2 · expected)).
  p.churn_risk = 1.0 - std::exp(-idle / (2.0 * std::max(expected, 7.0)));
  return p;
}

void ScoreRfm(std::vector<Profile>& profiles) {
  std::vector<double> r, f, m;
  for (const Profile& p : profiles)
    if (p.purchases > 0) r.push_back(-p.recency_days), f.push_back(p.purchases), m.push_back(p.monetary);
  for (auto* v : {&r, &f, &m}) std::sort(v->begin(), v->end());
  // Score = 1 + quintile of the value's rank among buyers. Buyers with equal values share a
  // score: for frequency and monetary the lowest of their group (most buyers bought once, and
  // a single purchase is frequency 1, not the middle of the scale), for recency the highest
  // (buyers of the same last moment are all as recent as anyone).
  auto score = [](const std::vector<double>& v, double x, bool ties_high) {
    const auto rank = ties_high ? std::upper_bound(v.begin(), v.end(), x) - v.begin()
                                : std::lower_bound(v.begin(), v.end(), x) - v.begin() + 1;
    return std::clamp(static_cast<int>((rank * 5 - 1) / static_cast<long>(v.size())) + 1, 1, 5);
  };
  for (Profile& p : profiles) {
    if (p.purchases == 0) {
      p.r_score = p.f_score = p.m_score = 0;
      p.rfm_segment = p.events > 0 ? "prospect" : "";
      continue;
    }
    p.r_score = score(r, -p.recency_days, true);
    p.f_score = score(f, p.purchases, false), p.m_score = score(m, p.monetary, false);
    const int R = p.r_score;
    const int FM = (p.f_score + p.m_score + 1) / 2;
    if (R >= 4 && FM >= 4) p.rfm_segment = "champions";
    else if (R >= 3 && FM >= 3) p.rfm_segment = "loyal";
    else if (R == 5 && FM == 1) p.rfm_segment = "new customers";
    else if (R >= 4 && FM == 1) p.rfm_segment = "promising";
    else if (R >= 4) p.rfm_segment = "potential loyalists";
    else if (R == 3) p.rfm_segment = FM == 1 ? "about to sleep" : "need attention";
    else if (FM == 5) p.rfm_segment = "cannot lose them";
    else if (FM >= 3) p.rfm_segment = "at risk";
    else if (R == 2) p.rfm_segment = "hibernating";
    else p.rfm_segment = "lost";
  }
}

const std::vector<std::pair<std::string, std::vector<std::string>>>& NamedMetricValues() {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kValues = {
      {"gender", {"F", "M"}},
      {"age_group", {"<18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"}},
      {"price_level", {"low", "mid", "high"}},
      {"lifecycle", {"new", "active", "dormant", "churned", "returning"}},
      {"rfm_segment", {"champions", "loyal", "potential loyalists", "new customers", "promising", "need attention",
                       "about to sleep", "cannot lose them", "at risk", "hibernating", "lost", "prospect"}}};
  return kValues;
}

void FillFromGraph(const Graph& g, const ProfileOptions& opts, Profile& p) {
  auto node = g.Find(NodeType::kUser, p.ext_id);
  if (!node) return;
  double mention_w = 0;
  for (const Adjacent& a : g.Neighbors(*node)) {
    if (!a.outgoing) continue;
    std::string_view v = g.key(a.other);
    if (g.type(a.other) == NodeType::kEntity) mention_w += g.edge(a.edge).weight;
    switch (a.type) {
      case edge::kHasGender: p.gender = v; break;
      case edge::kHasAgeGroup: p.age_group = v; break;
      case edge::kHasOccupation: p.occupation = v; break;
      case edge::kLivesIn: p.city = v; break;
      default: break;
    }
  }
  if (mention_w <= 0) return;
  auto& entities = p.interests[static_cast<int>(TagKind::kEntity)];
  for (const Adjacent& a : g.Neighbors(*node)) {
    if (!a.outgoing || g.type(a.other) != NodeType::kEntity) continue;
    const EdgeData& e = g.edge(a.edge);
    const float w = static_cast<float>(e.weight / mention_w);
    const float conf = static_cast<float>(1.0 - std::exp(-static_cast<double>(e.count) / 3.0));
    auto it = std::find_if(entities.begin(), entities.end(), [&](const Interest& x) { return x.tag == a.other; });
    if (it == entities.end()) entities.push_back(Interest{a.other, w, conf, e.count, e.last_ts});
    else it->weight = std::max(it->weight, w), it->evidence += e.count, it->confidence = std::max(it->confidence, conf);
  }
  std::sort(entities.begin(), entities.end(), [](const Interest& x, const Interest& y) {
    return x.weight != y.weight ? x.weight > y.weight : x.tag < y.tag;
  });
  if (entities.size() > opts.max_interests) entities.resize(opts.max_interests);
}

}  // namespace kgp
