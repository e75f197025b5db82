// The discount reference of profiles (docs/profile.md "Preferences"): an event is judged against
// the higher of its item's catalogue price (ItemIndex::CatalogPrice, known up front) and the
// highest price an event on the item carried up to the event's second. Causal, so that a batch
// build judges every event as `profile update` did when it applied it, whatever came later.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "profile/item_index.h"
#include "profile/state.h"

namespace kgp {

// seen[item] raised to price (grown as needed; price <= 0: unknown, no change); returns it.
float RaiseSeenPrice(std::vector<float>& seen, uint32_t item, float price);

// The reference from the highest event price seen so far; <= 0: none known.
inline float ReferencePrice(const ItemIndex& items, uint32_t item, float seen) {
  return std::max(items.CatalogPrice(item), seen);
}

// For a batch of events in any order: each item's reference at any second. `seen` holds the
// highest prices of the events applied before the batch (by items.id); it is raised to the
// highest of all. Read-only after construction (threads share it).
class PriceHistory {
 public:
  PriceHistory(const ItemIndex& items, std::span<const ProfileEvent> events, std::vector<float>* seen);
  // ReferencePrice as of ts: events at ts count.
  float Reference(uint32_t item, int64_t ts) const;

 private:
  struct Step {
    int64_t ts;
    float price;  // the highest price from ts on (until the next step)
  };
  float Base(uint32_t item) const;  // catalogue or seen before the batch
  const ItemIndex& items_;
  std::vector<float> before_;  // seen before the batch, by item
  std::vector<size_t> first_;  // by item: its steps are steps_[first_[i], first_[i + 1]), in time order
  std::vector<Step> steps_;
};

}  // namespace kgp
