#include "profile/ref_price.h"

namespace kgp {

float RaiseSeenPrice(std::vector<float>& seen, uint32_t item, float price) {
  if (item >= seen.size()) seen.resize(static_cast<size_t>(item) + 1, 0.0f);
  if (price > seen[item]) seen[item] = price;
  return seen[item];
}

float PriceHistory::Base(uint32_t item) const {
  return ReferencePrice(items_, item, item < before_.size() ? before_[item] : 0.0f);
}

PriceHistory::PriceHistory(const ItemIndex& items, std::span<const ProfileEvent> events, std::vector<float>* seen)
    : items_(items), before_(*seen) {
  size_t n = std::max(items.num_items(), seen->size());
  for (const ProfileEvent& e : events) n = std::max(n, static_cast<size_t>(e.item) + 1);
  seen->resize(n, 0.0f);
  // Only prices above an item's base (catalogue, earlier batches) can raise its reference:
  // those events, grouped by item (counting sort), are the history.
  first_.assign(n + 1, 0);
  for (const ProfileEvent& e : events) {
    RaiseSeenPrice(*seen, e.item, e.price);
    if (e.price > Base(e.item)) first_[e.item + 1]++;
  }
  for (size_t i = 0; i < n; ++i) first_[i + 1] += first_[i];
  steps_.resize(first_[n]);
  {
    std::vector<size_t> next(first_.begin(), first_.end() - 1);
    for (const ProfileEvent& e : events)
      if (e.price > Base(e.item)) steps_[next[e.item]++] = Step{e.ts, e.price};
  }
  // Per item in time order: a step where a second's highest price exceeds all before it. Steps
  // are compacted in place (an item's steps never outnumber its events).
  size_t out = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto b = steps_.begin() + static_cast<ptrdiff_t>(first_[i]), e = steps_.begin() + static_cast<ptrdiff_t>(first_[i + 1]);
    first_[i] = out;
    if (b == e) continue;
    const auto by_ts = [](const Step& x, const Step& y) { return x.ts < y.ts; };
    if (!std::is_sorted(b, e, by_ts)) std::sort(b, e, by_ts);
    float high = Base(static_cast<uint32_t>(i));
    for (auto it = b; it != e;) {
      float second = it->price;
      const int64_t ts = it->ts;
      for (++it; it != e && it->ts == ts; ++it) second = std::max(second, it->price);
      if (second > high) high = second, steps_[out++] = Step{ts, high};
    }
  }
  first_[n] = out;
  steps_.resize(out);
  steps_.shrink_to_fit();
}

float PriceHistory::Reference(uint32_t item, int64_t ts) const {
  const float base = Base(item);
  if (size_t{item} + 1 >= first_.size()) return base;
  const auto b = steps_.begin() + static_cast<ptrdiff_t>(first_[item]), e = steps_.begin() + static_cast<ptrdiff_t>(first_[item + 1]);
  auto it = std::upper_bound(b, e, ts, [](int64_t t, const Step& s) { return t < s.ts; });
  return it == b ? base : std::prev(it)->price;
}

}  // namespace kgp
