// Synthetic e-commerce shop: the project's bundled sample data. The repository ships no
// third-party data, so `kgprofile generate` writes a REES46-style behaviour log plus the
// catalogue, category tree, brands, users, review texts and the hidden personas that drove the
// behaviour (ground truth for evaluating profiles).
//
// Output is a pure function of the options: the generator uses its own PRNG and only exact
// arithmetic (+ - * / sqrt), never std distributions or libm transcendentals whose results
// differ between standard libraries. Memory is O(users + products): events are produced by one
// lazy per-user stream each and merged through a heap, so any number of events can be written.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "common/csv.h"
#include "common/out_file.h"
#include "common/status.h"

namespace kgp {

struct GeneratorOptions {
  uint64_t seed = 42;
  uint64_t users = 2000;
  uint64_t events = 200000;  // total behaviour events (REES46 rows); users..10^10
  uint64_t products = 3000;
  uint64_t brands = 120;
  double review_rate = 0.3;         // fraction of purchases that get a review
  int64_t start_time = 1767225600;  // 2026-01-01 00:00:00 UTC (kFixedStartTime); the CLI picks DefaultStartTime()
  int64_t days = 90;
  std::string out_dir;  // created if missing
};

struct GeneratorSummary {
  uint64_t users = 0;
  uint64_t products = 0;
  uint64_t categories = 0;  // every node of the tree written to categories.csv (not only leaves)
  uint64_t brands = 0;
  uint64_t events = 0;
  uint64_t purchases = 0;
  uint64_t reviews = 0;  // lines of kind "review" in reviews.jsonl
  uint64_t posts = 0;    // lines of kind "post" in reviews.jsonl
  std::vector<std::string> files;  // paths written, in writing order
};

inline constexpr uint64_t kMaxGeneratedEvents = 10000000000ULL;  // 10^10

// The start `generate` and `demo` use unless given --start: the fixed 2026-01-01, or, when a
// sample of `days` from it would end less than a day before `now`, the UTC midnight `days` + 1
// days before now (rounded down), so that the whole sample lies in the past: ingest refuses
// events more than a day after the machine's clock. On any clock after the fixed sample the
// output is the same as ever.
inline constexpr int64_t kFixedStartTime = 1767225600;  // 2026-01-01 00:00:00 UTC
int64_t DefaultStartTime(int64_t days, int64_t now);

// InvalidArgument for nonsense options (Generate checks them first; the CLI too, before it
// warns about the options).
Status ValidateGeneratorOptions(const GeneratorOptions& opts);

// Writes events.csv, catalog.csv, categories.csv, brands.csv, users.csv, reviews.jsonl and
// personas.jsonl into opts.out_dir, each to FILE.tmp renamed when complete: a failed or killed
// run never leaves a partial file under a final name. InvalidArgument for nonsense options,
// IoError (naming the path) when a file cannot be written. summary may be null.
Status Generate(const GeneratorOptions& opts, GeneratorSummary* summary);

// ---------------------------------------------------------------------------------------------
// Implementation details shared by src/ingest/generator_*.cc. Not for use by other modules.
namespace generator_internal {

// xoshiro256** seeded through splitmix64: fast, tiny state, identical output everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t Next();
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  // [0, n) for n > 0 (multiply-shift; the bias is < n / 2^64 and irrelevant here).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<__uint128_t>(Next()) * n) >> 64);
  }
  int64_t Range(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  bool Chance(double p) { return Uniform() < p; }
  // Successes in n trials of probability q (normal approximation above 64 trials).
  uint64_t Binomial(uint64_t n, double q);
  // Index drawn with probability proportional to weights (all >= 0, sum > 0).
  size_t Weighted(const double* w, size_t n);
  size_t Weighted(const std::vector<double>& w) { return Weighted(w.data(), w.size()); }

 private:
  uint64_t s_[4];
};

uint64_t Mix64(uint64_t x);  // splitmix64 finaliser: a stateless hash of one integer

inline constexpr uint64_t kFirstProductId = 1000001;  // product i is kFirstProductId + i
// Ages, and so life-stage preferences, are relative to the sample's year.
inline constexpr int kReferenceYear = 2026;
// Hour-of-day popularity of shopping (hours of event_time as written, UTC): lunch and evening
// peaks. Personas' active hours are drawn from it, and so are visits outside them.
inline constexpr double kShoppingHours[24] = {1.0, 0.6, 0.3, 0.2, 0.2, 0.3, 0.6, 1.2,
                                              2.0, 2.2, 2.3, 2.5, 3.0, 2.6, 2.3, 2.2,
                                              2.2, 2.4, 2.8, 3.5, 4.2, 4.6, 4.0, 2.6};

// ---- Static vocabulary (generator_vocab.cc, generator_categories.cc, generator_brands.cc) ----

enum AttrId : uint8_t {
  kAttrColor, kAttrStorage, kAttrScreen, kAttrTvSize, kAttrResolution, kAttrConnect, kAttrStrap,
  kAttrBattery, kAttrPower, kAttrClothSize, kAttrShoeSize, kAttrKidsSize, kAttrFabric,
  kAttrHomeMaterial, kAttrVolume, kAttrCapacity, kAttrFridgeCap, kAttrWasherCap, kAttrFlavor,
  kAttrTeaType, kAttrWeight, kAttrSkinType, kAttrShade, kAttrAgeRange, kAttrThickness,
  kAttrGymWeight, kAttrPersons, kAttrWheel, kAttrBallSize, kAttrSweetFlavor, kAttrCoffeeType,
  kAttrBulkWeight,
  kAttrCount
};
// How a review talks about an attribute value.
enum class Mention : uint8_t { kNone, kColor, kSize, kStorage, kFlavor, kMaterial };
struct AttrValue { const char* en; const char* zh; };
struct AttrDef {
  const char* key;  // key in catalog.csv attributes (several ids may share "size", "material")
  Mention mention;
  std::vector<AttrValue> values;
};
const std::vector<AttrDef>& Attrs();  // indexed by AttrId

// Review topics per product family; kAny (price, delivery) fits every product.
enum class Aspects : uint8_t {
  kAny, kTech, kCloth, kShoe, kBeauty, kFood, kHome, kAppliance, kBaby, kSport
};
struct AspectDef { Aspects group; const char* zh_pos; const char* zh_neg; const char* en_pos; const char* en_neg; };
const std::vector<AspectDef>& AspectTable();

// Who a leaf appeals to; shapes the persona's category preferences.
enum LeafFlag : uint8_t { kForParents = 1, kForYoung = 2, kForOlder = 4 };
struct CategoryDef {
  const char* code;  // dotted path; parent = code without its last segment
  const char* name_en;
  const char* name_zh;
  // Leaves only (inner nodes have noun_en == nullptr):
  const char* noun_en = nullptr;  // singular noun for titles and reviews
  const char* noun_zh = nullptr;
  std::vector<AttrId> attrs = {};
  int price_lo = 0, price_hi = 0;  // list price range, yuan
  Aspects aspects = Aspects::kTech;
  int gender_skew = 0;  // +2 mostly women … -2 mostly men
  uint8_t flags = 0;
  double popularity = 1.0;
};
const std::vector<CategoryDef>& CategoryTable();  // depth-first: parents before children

struct BrandDef {
  const char* key;      // lowercase English, as in events.csv
  const char* display;  // English display name for titles
  const char* zh;
  const char* root;     // root category code
  const char* scope;    // '|'-separated sub-paths under root it sells in; "" = all of root
  int tier;             // 0 budget, 1 mainstream, 2 premium
};
const std::vector<BrandDef>& BrandTable();  // more popular brands first within a root

struct CityDef { const char* zh; double weight; int tier; };
const std::vector<CityDef>& Cities();
const std::vector<const char*>& Occupations();

// ---- The generated world (generator_world.cc, generator_users.cc) ----

enum class Lifecycle : uint8_t { kNew, kActive, kDormant, kChurned, kReturning };
enum class PriceLevel : uint8_t { kLow, kMid, kHigh };
const char* LifecycleName(Lifecycle l);
const char* PriceLevelName(PriceLevel p);

struct Leaf {
  uint32_t def;       // index into CategoryTable()
  uint32_t root_def;  // CategoryTable() index of its root
  std::string_view code;  // CategoryTable()[def].code, measured once (hot in the event loop)
  uint64_t category_id;
  std::vector<uint32_t> by_price;  // product indices, cheapest first
  // (brand, product indices by price) for the brands with products here, brand-sorted.
  std::vector<std::pair<uint32_t, std::vector<uint32_t>>> by_brand;
  double weight = 1.0;  // browsing popularity
  // Food, beauty, formula and diapers run out and are bought again; anything else a user owns
  // (a phone, a sofa, a coat) is not put in their cart a second time.
  bool consumable = false;
};

struct Brand {
  std::string key, display, zh;
  uint32_t root_def;  // CategoryTable() index of its root
  int tier;
  const BrandDef* def;  // null for synthetic brands
};

struct Product {
  uint32_t leaf;  // index into World::leaves
  uint32_t brand;
  int64_t list_cents;
  uint8_t n_attrs = 0;
  std::array<uint8_t, 3> attr_id{}, attr_val{};
};

struct User {
  uint64_t id;
  char gender;        // true gender, 'F' or 'M'
  bool gender_shown;  // users.csv leaves it empty for ~10%
  int birth_year;
  uint32_t city, occupation;
  int64_t signup_ts;
  Lifecycle lifecycle;
  PriceLevel price_level;
  std::vector<uint32_t> fav_leaves;  // indices into World::leaves, most preferred first
  std::vector<uint32_t> fav_brands;
  std::vector<int> active_hours;
  int span_a = 0, span_b = 0;  // lifecycle day bounds (see DayWeight)
  double zh_share;             // how often this user writes Chinese
  uint64_t budget = 0;         // exact number of events this user produces
};

struct World {
  const GeneratorOptions* opts;
  std::vector<Leaf> leaves;
  std::vector<Brand> brands;
  std::vector<Product> products;
  std::vector<User> users;
};

void BuildWorld(const GeneratorOptions& opts, World* world);
// Users, personas and event budgets; called by BuildWorld once the shop is stocked.
void BuildUsers(const GeneratorOptions& opts, Rng& rng, World* world);
// The persona's category taste per leaf (0 for unstocked leaves): popularity shaped by gender
// and life stage. Favourites are drawn from it; so are visits outside the favourites.
std::vector<double> LeafAffinity(const World& w, const User& u);
// Relative activity of a user on window day d (0 = inactive), from the lifecycle.
double DayWeight(const World& w, const User& u, int64_t d);

// ---- Output helpers (generator.cc) ----

std::string FormatCents(int64_t cents);  // "5999.00"
void AppendUint(std::string& out, uint64_t v);

// Appends FormatTimestamp() output fast for times that mostly share a day (sorted rows).
class TimestampWriter {
 public:
  void Append(std::string& out, int64_t t);

 private:
  int64_t day_ = INT64_MIN;
  std::string date_;  // "YYYY-MM-DD " of day_
};

// ---- Text (generator_text.cc) ----
std::string ReviewText(const World& w, const Product& p, int rating, bool zh, Rng& rng);
std::string PostText(const World& w, const User& u, bool zh, Rng& rng);
std::string ProductTitle(const World& w, const Product& p, bool zh, Rng& rng);

// ---- Events (generator_events.cc) ----
struct EventCounts { uint64_t events = 0, purchases = 0, reviews = 0, posts = 0; };
// Writes the review of a purchase (and now and then a social post) to reviews.jsonl.
void WriteReview(const World& w, const User& u, uint32_t product, int64_t purchase_time, Rng& rng,
                 OutFile* out, EventCounts* counts);

Status WriteEventsAndReviews(const World& w, const std::string& events_path,
                             const std::string& reviews_path, EventCounts* counts);

}  // namespace generator_internal
}  // namespace kgp
