// A user profile as of a point in time: what Finalize() derives from a UserState, plus the
// population-relative parts (RFM scores, cluster) filled in over all users. The JSON form is
// documented in docs/profile.md; ToJson() is its one writer.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "profile/state.h"

namespace kgp {

enum class TagKind : uint8_t { kCategory, kBrand, kAttribute, kEntity };
constexpr int kNumTagKinds = 4;
const char* TagKindName(TagKind k);    // "category", "brand", "attribute", "entity"
const char* TagKindPlural(TagKind k);  // "categories", …

struct Interest {
  NodeId tag;
  float weight;       // decayed share of the user's behaviour weight that touched the tag, 0…1
  float confidence;   // 1 − exp(−evidence / 3)
  uint32_t evidence;  // events behind it
  int64_t last_ts;
};

struct Profile {
  uint32_t user = 0;  // users.id
  std::string ext_id;
  int64_t as_of = 0;
  // Demographics (empty: unknown).
  std::string gender, age_group, occupation, city;
  // Interests per TagKind, strongest first (at most ProfileOptions::max_interests each);
  // categories cover every level of the tree.
  std::vector<Interest> interests[kNumTagKinds];
  // Preferences. NaN: not enough data.
  double price_position = NAN;     // 0 cheapest band … 1 dearest, behaviour-weighted
  std::string price_level;         // low / mid / high / ""
  double price_sensitivity = NAN;  // 0.5 + (viewed position − bought position), clamped 0…1
  double discount_response = NAN;  // share of purchases at a discount − share of views at one
  double brand_top_share = NAN, brand_hhi = NAN, brand_entropy = NAN;  // loyalty
  double novelty = NAN;            // share of events that first touched a leaf category
  double repeat_rate = NAN;        // share of purchases of an item bought before
  // Behaviour.
  uint32_t events = 0, views = 0, carts = 0, purchases = 0;
  int64_t first_ts = 0, last_ts = 0;
  double recency_days = NAN;  // since the last purchase (NaN: never bought)
  double monetary = 0;
  int r_score = 0, f_score = 0, m_score = 0;  // 1…5, 0 for users who never bought
  std::string rfm_segment;
  std::vector<int> peak_hours;  // UTC hours of day, busiest first (up to 3)
  std::array<uint16_t, 168> hour_of_week{};  // event counts, 0 = Sunday 00h UTC
  uint32_t sessions = 0;
  double session_minutes = 0, session_depth = 0;  // means
  double view_to_cart = NAN, cart_to_purchase = NAN, view_to_purchase = NAN;
  std::vector<std::pair<NodeId, double>> repurchase_days;  // leaf category, mean cycle
  std::string lifecycle;  // new / active / dormant / churned / returning
  double churn_risk = 0;  // 0…1
  int cluster = -1;
};

// Derives the per-user profile as of as_of (normally the latest event time).
Profile Finalize(const ItemIndex& items, const ProfileOptions& opts, const UserState& s, int64_t as_of);

// RFM scores (quintiles among buyers) and the classic segment labels, over all profiles.
void ScoreRfm(std::vector<Profile>& profiles);

// The values the metrics with names take, as Finalize and ScoreRfm write them (and the graph's
// age groups): gender, age_group, price_level, lifecycle, rfm_segment. Audience rules check
// against them, and order age_group and price_level values as listed here (youngest, cheapest
// first) for < <= > >=.
const std::vector<std::pair<std::string, std::vector<std::string>>>& NamedMetricValues();

// From the user's graph node, when present: demographics (HAS_GENDER, HAS_AGE_GROUP, …) and
// entities the user mentions directly (user → Entity edges of any type), merged into the
// entity interests (docs/profile.md "Tags").
void FillFromGraph(const Graph& g, const ProfileOptions& opts, Profile& p);

// The documented JSON form. max_tags caps each interest list; the first paths_per_kind
// interests of each kind get an evidence path through the graph.
nlohmann::ordered_json ToJson(const Graph& g, const Profile& p, size_t max_tags = 20, size_t paths_per_kind = 0);

// Decimals a profile's numbers are shown with (ToJson) and stored with in the SQL tables
// (store.h), so that an audience rule typed from the numbers shown selects what they imply.
constexpr int kShareDigits = 4;      // shares, rates, positions, entropy, interest weights
constexpr int kScoreDigits = 3;      // confidence, churn risk
constexpr int kDaysMoneyDigits = 2;  // days, money, session minutes and depth
// x rounded half away from zero to `digits` decimals; NaN stays NaN.
double RoundTo(double x, int digits);

// "user:U -PURCHASED(x2)-> product:P -MADE_BY-> brand:B": the user's strongest interaction
// with a product carrying the tag; empty when none.
std::string EvidencePath(const Graph& g, NodeId user, NodeId tag);

// Interest of p in the tag named spec ("electronics.smartphone", "brand:apple",
// "attribute:color=black"); 0 when absent.
double InterestIn(const Graph& g, const Profile& p, const std::string& spec);

}  // namespace kgp
