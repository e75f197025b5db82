// The behaviour log. Each user is a lazy stream of sessions whose events are produced one at a
// time in time order; a heap keyed by (next event time, user) merges the streams, so rows come
// out sorted and memory stays O(users) however many events are written.
//
// A user's exact event budget is split into sessions, and the sessions are spread over the
// window day by day with sequential binomial draws weighted by the lifecycle (DayWeight), so
// the total is exact without knowing the days in advance. Within a session the user browses a
// focus category (usually a favourite), puts some products in the cart, drops some, buys a few.
#include <algorithm>
#include <cmath>
#include <queue>

#include <fmt/format.h>

#include "common/progress.h"
#include "common/time.h"
#include "ingest/generator.h"

namespace kgp::generator_internal {
namespace {

enum EventType : uint8_t { kView, kCart, kRemove, kPurchase };
constexpr const char* kTypeNames[] = {"view", "cart", "remove_from_cart", "purchase"};

// Funnel step probabilities, tuned so that purchases are ~2% and carts ~6.5% of all rows.
constexpr double kCartAfterView = 0.085;
constexpr double kBuyFromCart = 0.035;
constexpr double kRemoveFromCart = 0.1;
constexpr double kBuyAtSessionEnd = 0.3;
constexpr double kFavouriteFocus = 0.6;  // sessions about a favourite category
constexpr double kMeanSessionLength = 8.0;
// Scales drawn lengths so that their mean (mixing on-taste and exploring visits) is the plan's.
constexpr double kLengthScale = 1.0 / (kFavouriteFocus * 1.0 + (1.0 - kFavouriteFocus) * 0.4);
constexpr int kMaxSessionsPerDay = 4;  // beyond this heavy users get longer sessions instead
constexpr double kFavouriteBrand = 0.5;  // picks restricted to favourite brands when possible

struct Stream {
  explicit Stream(uint64_t seed) : rng(seed), text_rng(Mix64(seed ^ 0x7e47ULL)) {}
  Rng rng;
  // Reviews draw from their own generator so that events.csv does not change with the
  // review rate or the wording of the texts.
  Rng text_rng;
  uint64_t events_left = 0;     // including the pending event
  uint64_t sessions_left = 0;   // not yet started
  uint64_t unallocated = 0;     // sessions not yet given a day
  double mean_length = 1;       // planned events per session
  double explore = 0;           // stratification accumulator for exploring visits
  int64_t day = 0, last_day = 0;
  double suffix = 0;            // sum of DayWeight over [day, days)
  std::vector<int64_t> starts;  // planned session starts of the allocated day
  size_t next_start = 0;
  uint64_t in_session = 0;      // events left in the current session, including the pending one
  int64_t last_time = INT64_MIN;
  char session[37] = {};
  uint32_t focus = 0;
  std::vector<uint32_t> cart;
  std::vector<uint32_t> owned;  // products bought that do not run out (Leaf::consumable), sorted
  uint32_t recent[4] = {};
  uint32_t n_recent = 0;
  // The pending event.
  EventType type = kView;
  uint32_t product = 0;
  int64_t time = 0;
};

class EventWriter {
 public:
  EventWriter(const World& w, OutFile* events, OutFile* reviews)
      : w_(w), o_(*w.opts), events_(events), reviews_(reviews) {}

  void Init(uint32_t u, Stream& s) {
    const User& user = w_.users[u];
    s.events_left = user.budget;
    int64_t active_days = 0;
    for (int64_t d = 0; d < o_.days; ++d) {
      const double x = DayWeight(w_, user, d);
      if (x > 0) active_days++, s.last_day = d;
      s.suffix += x;
    }
    const double want = std::floor(static_cast<double>(user.budget) / kMeanSessionLength + 0.5);
    s.sessions_left = std::clamp<uint64_t>(static_cast<uint64_t>(want), 1,
                                           std::max<uint64_t>(1, active_days * kMaxSessionsPerDay));
    s.sessions_left = std::min(s.sessions_left, user.budget);
    s.unallocated = s.sessions_left;
    s.mean_length = static_cast<double>(user.budget) / static_cast<double>(s.sessions_left);
    s.explore = s.rng.Uniform();
  }

  // Decides the user's next event (type, product, time). False when the user is done.
  bool Prepare(uint32_t u, Stream& s) {
    if (s.events_left == 0) return false;
    const User& user = w_.users[u];
    if (s.in_session == 0) {
      StartSession(user, s);
    } else {
      Step(user, s);
    }
    s.in_session--;
    s.events_left--;
    return true;
  }

  void Emit(uint32_t u, Stream& s, EventCounts* counts) {
    const User& user = w_.users[u];
    const Product& p = w_.products[s.product];
    const Leaf& leaf = w_.leaves[p.leaf];
    // Real REES46 rows miss the category code or brand now and then.
    const bool no_code = s.rng.Chance(0.05), no_brand = s.rng.Chance(0.05);
    // Hand-assembled: this line is the generator's hot loop (fmt here cost half the run time).
    std::string& b = events_->buf();
    time_writer_.Append(b, s.time);
    b += ',';
    b += kTypeNames[s.type];
    b += ',';
    AppendUint(b, kFirstProductId + s.product);
    b += ',';
    AppendUint(b, leaf.category_id);
    b += ',';
    if (!no_code) b += leaf.code;
    b += ',';
    if (!no_brand) b += w_.brands[p.brand].key;
    b += ',';
    const int64_t cents = PriceAt(s.product, s.time);
    AppendUint(b, static_cast<uint64_t>(cents / 100));
    b += '.';
    b += static_cast<char>('0' + cents % 100 / 10);
    b += static_cast<char>('0' + cents % 10);
    b += ',';
    AppendUint(b, user.id);
    b += ',';
    b.append(s.session, 36);
    b += '\n';
    events_->MaybeFlush();
    counts->events++;
    if (s.type != kPurchase) return;
    counts->purchases++;
    if (!s.text_rng.Chance(o_.review_rate)) return;
    WriteReview(w_, user, s.product, s.time, s.text_rng, reviews_, counts);
  }

 private:
  void StartSession(const User& user, Stream& s) {
    if (s.sessions_left == 0) {  // the budget outlasted the planned visits: plan one more
      s.sessions_left = 1;
      s.unallocated++;
    }
    while (s.next_start == s.starts.size()) AllocateDay(user, s);
    const int64_t planned = s.starts[s.next_start++];
    const int64_t earliest = s.last_time == INT64_MIN ? planned : s.last_time + s.rng.Range(300, 1800);
    s.time = std::max(planned, earliest);
    // Stratified rather than independent: every user explores outside the favourites in about
    // 1 - kFavouriteFocus of the visits, so that small users are not dominated by luck.
    s.explore += 1.0 - kFavouriteFocus;
    const bool explore = s.explore >= 1.0 || user.fav_leaves.empty();
    if (s.explore >= 1.0) s.explore -= 1.0;
    s.focus = explore ? static_cast<uint32_t>(s.rng.Weighted(Affinity(user))) : PickFavourite(user, s.rng);
    // Lengths follow the remaining budget per remaining visit, times a factor with a long tail
    // (3u^2 has mean 1: many short visits, a few long browses); exploring visits are short
    // looks. The last visit takes the rest unless that would make a marathon (or a long
    // exploring visit), in which case one more visit is planned.
    const double u = s.rng.Uniform();
    const double f = kLengthScale * (explore ? 1.2 * u * u : 3.0 * u * u);
    if (s.sessions_left == 1 && static_cast<double>(s.events_left) > (explore ? 1.0 : 3.0) * s.mean_length) {
      s.sessions_left++;
      s.unallocated++;
    }
    if (s.sessions_left == 1) {
      s.in_session = s.events_left;
    } else {
      const double mean = static_cast<double>(s.events_left) / static_cast<double>(s.sessions_left);
      const auto len = static_cast<uint64_t>(mean * f + 0.5);
      s.in_session = std::clamp<uint64_t>(len, 1, s.events_left - (s.sessions_left - 1));
    }
    s.sessions_left--;
    const uint64_t hi = s.rng.Next(), lo = s.rng.Next();
    // UUID version 4 layout: 8-4-4-4-12 hex digits.
    fmt::format_to_n(s.session, 36, "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", hi >> 32,
                     (hi >> 16) & 0xffff, hi & 0xfff, 0x8000 | (lo >> 48 & 0x3fff),
                     lo & 0xffffffffffffULL);
    s.cart.clear();
    s.n_recent = 0;
    View(user, s, /*new_product=*/true);
    s.last_time = s.time;
  }

  // Gives the next active day its share of the remaining sessions (binomial given its weight).
  void AllocateDay(const User& user, Stream& s) {
    if (s.day >= o_.days) {  // past the last active day (extra visits): right after the last one
      const int64_t base = s.last_time == INT64_MIN ? o_.start_time + (o_.days - 1) * 86400
                                                    : s.last_time + 600;
      s.starts.assign(s.unallocated ? s.unallocated : 1, base);
      s.next_start = 0;
      s.unallocated = 0;
      return;
    }
    const int64_t d = s.day++;
    const double wd = DayWeight(w_, user, d);
    if (wd <= 0) return;
    const double q = (d >= s.last_day || wd >= s.suffix) ? 1.0 : wd / s.suffix;
    s.suffix -= wd;
    const uint64_t k = s.rng.Binomial(s.unallocated, q);
    s.unallocated -= k;
    s.starts.clear();
    s.next_start = 0;
    const int64_t day_begin = o_.start_time + d * 86400;
    const int64_t midnight = day_begin - day_begin % 86400;
    for (uint64_t i = 0; i < k; ++i) {
      const int hour = s.rng.Chance(0.75)
                           ? user.active_hours[s.rng.Below(user.active_hours.size())]
                           : static_cast<int>(s.rng.Weighted(kShoppingHours, 24));
      int64_t t = midnight + hour * 3600 + static_cast<int64_t>(s.rng.Below(3600));
      if (t < day_begin) t += 86400;
      s.starts.push_back(t);
    }
    std::sort(s.starts.begin(), s.starts.end());
  }

  void Step(const User& user, Stream& s) {
    const bool last = s.in_session == 1;
    const double x = s.rng.Uniform();
    const bool in_cart = std::find(s.cart.begin(), s.cart.end(), s.product) != s.cart.end();
    int64_t gap;
    if (!s.cart.empty() && last && s.rng.Chance(kBuyAtSessionEnd)) {
      Buy(s);
      gap = s.rng.Range(30, 420);
    } else if (s.type == kView && !in_cart && x < kCartAfterView && !Owned(s, s.product)) {
      s.type = kCart;
      s.cart.push_back(s.product);
      gap = s.rng.Range(5, 60);
    } else if (s.type == kView && !in_cart && x < kCartAfterView) {  // owned: looked at, not carted
      View(user, s, /*new_product=*/s.n_recent == 0 || !s.rng.Chance(0.25));
      gap = s.rng.Range(8, 180);
    } else if (!s.cart.empty() && x < kCartAfterView + kBuyFromCart) {
      Buy(s);
      gap = s.rng.Range(30, 420);
    } else if (!s.cart.empty() && x < kCartAfterView + kBuyFromCart + kRemoveFromCart) {
      const size_t i = s.rng.Below(s.cart.size());
      s.type = kRemove;
      s.product = s.cart[i];
      s.cart.erase(s.cart.begin() + static_cast<std::ptrdiff_t>(i));
      gap = s.rng.Range(5, 40);
    } else {
      View(user, s, /*new_product=*/s.n_recent == 0 || !s.rng.Chance(0.25));
      gap = s.rng.Range(8, 180);
    }
    s.time += gap;
    s.last_time = s.time;
  }

  void Buy(Stream& s) {
    s.type = kPurchase;
    s.product = s.cart.back();
    s.cart.pop_back();
    if (w_.leaves[w_.products[s.product].leaf].consumable) return;
    s.owned.insert(std::lower_bound(s.owned.begin(), s.owned.end(), s.product), s.product);
  }
  static bool Owned(const Stream& s, uint32_t product) {
    return std::binary_search(s.owned.begin(), s.owned.end(), product);
  }

  void View(const User& user, Stream& s, bool new_product) {
    s.type = kView;
    if (!new_product) {
      s.product = s.recent[s.rng.Below(std::min<uint32_t>(s.n_recent, 4))];
      return;
    }
    // Now and then a glance at another category (a recommendation, a banner); the visit then
    // returns to its focus.
    const bool glance = s.n_recent > 0 && s.rng.Chance(0.1);
    s.product = PickProduct(user, w_.leaves[glance ? PickLeaf(user, s.rng) : s.focus], s.rng);
    s.recent[s.n_recent++ % 4] = s.product;
  }

  uint32_t PickFavourite(const User& user, Rng& rng) const {
    static const double kRank[] = {0.45, 0.3, 0.15, 0.1};
    return user.fav_leaves[rng.Weighted(kRank, std::min<size_t>(4, user.fav_leaves.size()))];
  }

  uint32_t PickLeaf(const User& user, Rng& rng) const {
    if (!user.fav_leaves.empty() && rng.Chance(kFavouriteFocus)) return PickFavourite(user, rng);
    return static_cast<uint32_t>(rng.Weighted(Affinity(user)));
  }

  // Category taste outside the favourites depends only on gender and life stage, so it is
  // cached per group instead of per user.
  const std::vector<double>& Affinity(const User& user) const {
    const int age = kReferenceYear - user.birth_year;
    const size_t key = (user.gender == 'F' ? 8 : 0) + (age >= 26 && age <= 45 ? 4 : 0) +
                       (age <= 30 ? 2 : 0) + (age >= 45 ? 1 : 0);
    if (affinity_[key].empty()) affinity_[key] = LeafAffinity(w_, user);
    return affinity_[key];
  }

  // Position in a price-sorted list: cheap users lean to the start, well-off users to the end.
  static uint32_t ByPrice(const std::vector<uint32_t>& v, PriceLevel level, Rng& rng) {
    const double a = rng.Uniform(), b = rng.Uniform();
    const double q = level == PriceLevel::kLow ? a * b : level == PriceLevel::kHigh ? 1 - a * b : (a + b) / 2;
    return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
  }

  uint32_t PickProduct(const User& user, const Leaf& leaf, Rng& rng) const {
    if (!user.fav_brands.empty() && rng.Chance(kFavouriteBrand)) {
      const std::vector<uint32_t>* hits[3];
      size_t n = 0;
      for (const auto& e : leaf.by_brand)
        for (uint32_t b : user.fav_brands)
          if (e.first == b && n < 3) hits[n++] = &e.second;
      if (n > 0) return ByPrice(*hits[rng.Below(n)], user.price_level, rng);
    }
    return ByPrice(leaf.by_price, user.price_level, rng);
  }

  // List price with the product's current promotion: stable within a 5–10 day period.
  int64_t PriceAt(uint32_t product, int64_t t) const {
    const int64_t day = (t - o_.start_time) / 86400;
    const uint64_t h0 = Mix64(o_.seed * 0x9e3779b97f4a7c15ULL + product);
    const int64_t period = 5 + static_cast<int64_t>(h0 % 6);
    const int64_t phase = static_cast<int64_t>((h0 >> 8) % static_cast<uint64_t>(period));
    const uint64_t h = Mix64(h0 ^ static_cast<uint64_t>((day + phase) / period)) % 100;
    const int64_t pct = h < 60 ? 100 : h < 75 ? 95 : h < 85 ? 90 : h < 93 ? 85 : h < 98 ? 80 : 70;
    const int64_t cents = (w_.products[product].list_cents * pct + 50) / 100;
    // Shops round promotional prices: whole yuan above 100, ten fen below.
    return pct == 100 ? cents : cents >= 10000 ? cents / 100 * 100 : cents / 10 * 10;
  }

  const World& w_;
  const GeneratorOptions& o_;
  OutFile* events_;
  OutFile* reviews_;
  mutable std::vector<double> affinity_[16];
  TimestampWriter time_writer_;
};

}  // namespace

Status WriteEventsAndReviews(const World& w, const std::string& events_path,
                             const std::string& reviews_path, EventCounts* counts) {
  OutFile events, reviews;
  KGP_RETURN_IF_ERROR(events.OpenReplacing(events_path));
  KGP_RETURN_IF_ERROR(reviews.OpenReplacing(reviews_path));
  events.buf() += "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,"
                  "user_session\n";
  EventWriter writer(w, &events, &reviews);
  std::vector<Stream> streams;
  streams.reserve(w.users.size());
  using Entry = std::pair<int64_t, uint32_t>;  // (time of the pending event, user)
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  for (uint32_t u = 0; u < w.users.size(); ++u) {
    // Per-user generators keep each stream independent of how the merge interleaves them.
    streams.emplace_back(Mix64(w.opts->seed ^ Mix64(0xe7e27ULL + u)));
    writer.Init(u, streams[u]);
    if (writer.Prepare(u, streams[u])) heap.emplace(streams[u].time, u);
  }
  Progress progress("generate", w.opts->events, "events");
  while (!heap.empty()) {
    const uint32_t u = heap.top().second;
    heap.pop();
    writer.Emit(u, streams[u], counts);
    progress.Add(1);
    if (writer.Prepare(u, streams[u])) heap.emplace(streams[u].time, u);
  }
  progress.Finish();
  KGP_RETURN_IF_ERROR(events.Close());
  return reviews.Close();
}

}  // namespace kgp::generator_internal
