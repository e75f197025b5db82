// What the recommender knows at one moment: every user's events up to a cut-off time,
// grouped by user in time order, plus the item statistics every candidate generator and
// feature reads (decayed popularity, buyers, population repurchase cycles per leaf
// category). Built once per cut-off from the store's events (profile/builder.h LoadEvents);
// `recommend --fit` builds one as of T − Δ to learn from (T − Δ, T], and one as of T to serve.
// Immutable after Build(); shared read-only between threads.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "profile/item_index.h"
#include "profile/state.h"
#include "recommend/interactions.h"

namespace kgp::rec {

struct HistoryOptions {
  double popularity_half_life_days = 14;
  double affinity_half_life_days = 30;
  // A leaf category is consumable when at least this share of its buyers bought in it again
  // (and at least min_repeat_buyers did): its cycle feeds "which category next". A bought item
  // is offered again (when the cycle is due) only where buyers also buy the same item again (at
  // least item_repeat_share of the buyer–item pairs, and min_item_repeats of them): a second
  // phone is bought, the same phone is not.
  double consumable_share = 0.2;
  uint32_t min_repeat_buyers = 5;
  double item_repeat_share = 0.02;
  uint32_t min_item_repeats = 3;
};

struct CategoryCycle {
  double repeat_share = 0;       // buyers who bought in the category more than once
  double item_repeat_share = 0;  // buyer–item pairs bought on more than one day
  double median_days = 0;        // median gap between a buyer's purchases in the category
  bool consumable = false;       // bought in again (category level)
  bool restocked = false;        // consumable, and the same item is bought again: offered again
};

class History {
 public:
  // Events with ts <= until (all when until is INT64_MAX); items and users are store ids.
  static History Build(std::span<const ProfileEvent> events, int64_t until, const ItemIndex& items,
                       const HistoryOptions& opts = {});

  int64_t as_of() const { return as_of_; }
  size_t num_users() const { return offsets_.size() - 1; }
  size_t num_items() const { return pop_.size(); }
  std::span<const ProfileEvent> Of(uint32_t user) const {
    if (static_cast<size_t>(user) + 1 >= offsets_.size()) return {};
    return {events_.data() + offsets_[user], events_.data() + offsets_[user + 1]};
  }
  // Decayed behaviour weight on the item across all users (half-life popularity_half_life_days).
  float Popularity(uint32_t item) const { return item < pop_.size() ? pop_[item] : 0.0f; }
  float MaxPopularity() const { return max_pop_; }
  // Items by popularity, most popular first.
  const std::vector<uint32_t>& PopularItems() const { return popular_; }
  const CategoryCycle* Cycle(NodeId leaf) const;
  // Users × items, one entry per distinct pair, value = summed interaction weight, ts = last
  // event: the input of the collaborative models (model.h).
  const InteractionMatrix& Matrix() const { return matrix_; }
  const HistoryOptions& options() const { return opts_; }

 private:
  HistoryOptions opts_;
  int64_t as_of_ = 0;
  std::vector<ProfileEvent> events_;
  std::vector<uint64_t> offsets_{0};
  std::vector<float> pop_;
  float max_pop_ = 0;
  std::vector<uint32_t> popular_;
  std::vector<std::pair<NodeId, CategoryCycle>> cycles_;  // sorted by leaf
  InteractionMatrix matrix_;
};

// One user's tastes as of the history's time: decayed shares of behaviour weight per leaf
// category and per brand (the same tags as the profile's interests), mean price position of
// what they touched, and per item the decayed weight and the last time they touched it.
struct UserTaste {
  std::vector<std::pair<NodeId, float>> categories, brands;  // sorted by node, shares sum to 1
  double price_position = -1;  // −1: unknown
  struct Touch {
    uint32_t item;
    float weight;
    int64_t last_ts;
    int64_t last_purchase_ts;  // the last purchase event; 0: never bought
    uint32_t purchases;        // purchase events
    // The user has the item: the last purchase, else the last rating or review (a film rated
    // is a film seen; a review, the only sign of a purchase in review data); 0: not known to.
    // Bought items are filtered on it and a restock cycle runs from it.
    int64_t owned_ts;
  };
  std::vector<Touch> items;  // sorted by item
  float Category(NodeId c) const;
  float Brand(NodeId b) const;
  const Touch* Item(uint32_t item) const;
};
UserTaste TasteOf(const History& h, const ItemIndex& items, uint32_t user);
// A purchase, a rating or a review says the user has the item (UserTaste::Touch::owned_ts).
inline bool SaysOwned(EventType t) {
  return t == EventType::kPurchase || t == EventType::kRate || t == EventType::kReview;
}
// The same over any one user's events in time order, decayed to `now`: the history's events
// and those that arrived after it (Engine::EventsOf).
UserTaste TasteOf(std::span<const ProfileEvent> events, int64_t now, const ItemIndex& items, double half_life_days);

// Behaviour weight of one event (graph/schema.h InteractionWeight) decayed to `now`.
double DecayedWeight(const ProfileEvent& e, int64_t now, double half_life_days);

}  // namespace kgp::rec
