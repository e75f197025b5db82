// Generate(): validates options, builds the world, writes the catalogue-side files and then
// streams the events (generator_events.cc).
#include "ingest/generator.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/time.h"

namespace kgp {
namespace generator_internal {

uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

Rng::Rng(uint64_t seed) {
  for (auto& s : s_) {
    seed += 0x9e3779b97f4a7c15ULL;
    s = Mix64(seed);
  }
}

uint64_t Rng::Next() {
  const auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

size_t Rng::Weighted(const double* w, size_t n) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += w[i];
  double x = Uniform() * sum;
  size_t last = 0;
  for (size_t i = 0; i < n; ++i) {
    if (w[i] <= 0) continue;
    last = i;
    if (x < w[i]) return i;
    x -= w[i];
  }
  return last;  // rounding left x just above the total
}

uint64_t Rng::Binomial(uint64_t n, double q) {
  if (q >= 1.0) return n;
  if (q <= 0.0) return 0;
  if (n <= 64) {
    uint64_t k = 0;
    for (uint64_t i = 0; i < n; ++i) k += Uniform() < q;
    return k;
  }
  // The sum of 12 uniforms is a portable stand-in for a normal draw (no libm); sqrt is exact.
  double z = -6.0;
  for (int i = 0; i < 12; ++i) z += Uniform();
  const double mean = static_cast<double>(n) * q;
  const double k = std::floor(mean + std::sqrt(mean * (1.0 - q)) * z + 0.5);
  return k <= 0 ? 0 : std::min(n, static_cast<uint64_t>(k));
}

std::string FormatCents(int64_t cents) { return fmt::format("{}.{:02}", cents / 100, cents % 100); }

void AppendUint(std::string& out, uint64_t v) {
  char buf[20];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void TimestampWriter::Append(std::string& out, int64_t t) {
  const int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  if (day != day_) {
    day_ = day;
    date_ = FormatTimestamp(day * 86400).substr(0, 11);  // the shared helper owns the format
  }
  out += date_;
  const int64_t sec = t - day * 86400;
  const int64_t parts[3] = {sec / 3600, sec / 60 % 60, sec % 60};
  for (int i = 0; i < 3; ++i) {
    if (i) out += ':';
    out += static_cast<char>('0' + parts[i] / 10);
    out += static_cast<char>('0' + parts[i] % 10);
  }
  out += " UTC";
}

}  // namespace generator_internal

int64_t DefaultStartTime(int64_t days, int64_t now) {
  const int64_t latest = now - (days + 1) * 86400;  // the sample then ends a day before now
  if (kFixedStartTime <= latest) return kFixedStartTime;
  const int64_t day = latest >= 0 ? latest / 86400 : (latest - 86399) / 86400;  // floor
  return std::max<int64_t>(0, day * 86400);
}

namespace {
using namespace generator_internal;

}  // namespace

Status ValidateGeneratorOptions(const GeneratorOptions& o) {
  if (o.users == 0) return Status::InvalidArgument("generate: users must be at least 1");
  if (o.users > 100000000) return Status::InvalidArgument("generate: at most 100,000,000 users");
  if (o.events > kMaxGeneratedEvents)
    return Status::InvalidArgument("generate: at most 10,000,000,000 events");
  if (o.events < o.users)
    return Status::InvalidArgument(fmt::format(
        "generate: events ({}) must be at least users ({}) so that every user is active", o.events,
        o.users));
  if (o.products == 0 || o.products > 100000000)
    return Status::InvalidArgument("generate: products must be in 1..100,000,000");
  if (o.brands == 0 || o.brands > 100000)
    return Status::InvalidArgument("generate: brands must be in 1..100,000");
  if (!(o.review_rate >= 0.0 && o.review_rate <= 1.0))
    return Status::InvalidArgument("generate: review_rate must be within [0, 1]");
  if (o.days < 1 || o.days > 3660) return Status::InvalidArgument("generate: days must be in 1..3660");
  if (o.start_time < 0 || o.start_time > 32503680000LL)  // up to year 3000
    return Status::InvalidArgument("generate: start_time out of range");
  if (o.out_dir.empty()) return Status::InvalidArgument("generate: out_dir is empty");
  return Status::Ok();
}

namespace {

Status WriteCategories(const std::string& path) {
  OutFile f;
  KGP_RETURN_IF_ERROR(f.OpenReplacing(path));
  std::string& b = f.buf();
  b += "code,name_en,name_zh,parent_code\n";
  for (const CategoryDef& c : CategoryTable()) {
    std::string_view code = c.code;
    const size_t dot = code.rfind('.');
    AppendCsvField(b, code);
    b += ',';
    AppendCsvField(b, c.name_en);
    b += ',';
    AppendCsvField(b, c.name_zh);
    b += ',';
    if (dot != std::string_view::npos) b += code.substr(0, dot);
    b += '\n';
  }
  return f.Close();
}

Status WriteBrands(const World& w, const std::string& path) {
  OutFile f;
  KGP_RETURN_IF_ERROR(f.OpenReplacing(path));
  std::string& b = f.buf();
  b += "brand,name,name_zh,root_category\n";
  for (const Brand& br : w.brands) {
    AppendCsvField(b, br.key);
    b += ',';
    AppendCsvField(b, br.display);
    b += ',';
    AppendCsvField(b, br.zh);
    b += ',';
    b += CategoryTable()[br.root_def].code;
    b += '\n';
  }
  return f.Close();
}

Status WriteCatalog(const World& w, const std::string& path) {
  OutFile f;
  KGP_RETURN_IF_ERROR(f.OpenReplacing(path));
  Rng rng(Mix64(w.opts->seed ^ 0xca7a109ULL));
  const auto& cats = CategoryTable();
  const auto& attrs = Attrs();
  f.buf() += "product_id,title,category_path,brand,price,attributes\n";
  std::string attr;
  for (size_t i = 0; i < w.products.size(); ++i) {
    const Product& p = w.products[i];
    std::string& b = f.buf();
    AppendUint(b, kFirstProductId + i);
    b += ',';
    AppendCsvField(b, ProductTitle(w, p, rng.Chance(0.5), rng));
    b += ',';
    b += cats[w.leaves[p.leaf].def].code;
    b += ',';
    AppendCsvField(b, w.brands[p.brand].key);
    b += ',';
    b += FormatCents(p.list_cents);
    b += ',';
    attr.clear();
    for (int k = 0; k < p.n_attrs; ++k) {
      if (k) attr += ';';
      const AttrDef& a = attrs[p.attr_id[k]];
      attr += a.key;
      attr += '=';
      attr += a.values[p.attr_val[k]].en;
    }
    AppendCsvField(b, attr);
    b += '\n';
    f.MaybeFlush();
  }
  return f.Close();
}

Status WriteUsers(const World& w, const std::string& path) {
  OutFile f;
  KGP_RETURN_IF_ERROR(f.OpenReplacing(path));
  f.buf() += "user_id,gender,birth_year,city,occupation,signup_time\n";
  for (const User& u : w.users) {
    fmt::format_to(std::back_inserter(f.buf()), "{},{},{},{},{},{}\n", u.id,
                   u.gender_shown ? std::string_view(&u.gender, 1) : std::string_view(),
                   u.birth_year, Cities()[u.city].zh, Occupations()[u.occupation],
                   FormatTimestamp(u.signup_ts));
    f.MaybeFlush();
  }
  return f.Close();
}

Status WritePersonas(const World& w, const std::string& path) {
  OutFile f;
  KGP_RETURN_IF_ERROR(f.OpenReplacing(path));
  const auto& cats = CategoryTable();
  for (const User& u : w.users) {
    nlohmann::ordered_json j;
    j["user_id"] = std::to_string(u.id);
    auto& fc = j["favourite_categories"] = nlohmann::ordered_json::array();
    for (uint32_t l : u.fav_leaves) fc.push_back(cats[w.leaves[l].def].code);
    auto& fb = j["favourite_brands"] = nlohmann::ordered_json::array();
    for (uint32_t b : u.fav_brands) fb.push_back(w.brands[b].key);
    j["price_level"] = PriceLevelName(u.price_level);
    j["active_hours"] = u.active_hours;
    j["lifecycle"] = LifecycleName(u.lifecycle);
    j["gender"] = std::string(1, u.gender);  // the truth, also where users.csv hides it
    j["birth_year"] = u.birth_year;
    f.buf() += j.dump();
    f.buf() += '\n';
    f.MaybeFlush();
  }
  return f.Close();
}

}  // namespace

Status Generate(const GeneratorOptions& opts, GeneratorSummary* summary) {
  KGP_RETURN_IF_ERROR(ValidateGeneratorOptions(opts));
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(opts.out_dir, ec);
  if (ec || !fs::is_directory(opts.out_dir))
    return Status::IoError(fmt::format("{}: cannot create directory: {}", opts.out_dir,
                                       ec ? ec.message() : "not a directory"));
  const auto path = [&](const char* name) { return (fs::path(opts.out_dir) / name).string(); };

  World w;
  BuildWorld(opts, &w);
  GeneratorSummary s;
  s.users = w.users.size();
  s.products = w.products.size();
  s.categories = CategoryTable().size();
  s.brands = w.brands.size();

  KGP_RETURN_IF_ERROR(WriteCategories(path("categories.csv")));
  s.files.push_back(path("categories.csv"));
  KGP_RETURN_IF_ERROR(WriteBrands(w, path("brands.csv")));
  s.files.push_back(path("brands.csv"));
  KGP_RETURN_IF_ERROR(WriteCatalog(w, path("catalog.csv")));
  s.files.push_back(path("catalog.csv"));
  KGP_RETURN_IF_ERROR(WriteUsers(w, path("users.csv")));
  s.files.push_back(path("users.csv"));
  KGP_RETURN_IF_ERROR(WritePersonas(w, path("personas.jsonl")));
  s.files.push_back(path("personas.jsonl"));

  EventCounts counts;
  KGP_RETURN_IF_ERROR(
      WriteEventsAndReviews(w, path("events.csv"), path("reviews.jsonl"), &counts));
  s.files.push_back(path("events.csv"));
  s.files.push_back(path("reviews.jsonl"));
  s.events = counts.events;
  s.purchases = counts.purchases;
  s.reviews = counts.reviews;
  s.posts = counts.posts;
  if (summary) *summary = std::move(s);
  return Status::Ok();
}

}  // namespace kgp
