#include "profile/eval.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/time.h"
#include "recommend/metrics.h"

namespace kgp {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kDay = 86400.0;

// Top k tags of p among those accepted by keep, strongest first.
template <typename Keep>
std::vector<NodeId> TopTags(const Profile& p, TagKind kind, size_t k, Keep keep) {
  std::vector<NodeId> out;
  for (const Interest& t : p.interests[static_cast<int>(kind)]) {
    if (out.size() >= k) break;
    if (keep(t.tag)) out.push_back(t.tag);
  }
  return out;
}

void Score(const std::vector<NodeId>& ranked, const std::set<NodeId>& truth, size_t k, RankScores& acc) {
  const rec::TopKMetrics m = rec::ScoreTopK(std::span<const uint32_t>(ranked), truth, k);
  acc.precision += m.precision;
  acc.recall += m.recall;
  acc.ndcg += m.ndcg;
}

void Completeness(const std::vector<Profile>& profiles, int min_tags, ProfileEvalReport& r) {
  // Field importance: interests and price level matter most for targeting.
  double filled = 0, total = 0;
  size_t enough = 0;
  for (const Profile& p : profiles) {
    const std::pair<bool, double> fields[] = {
        {!p.gender.empty(), 1}, {!p.age_group.empty(), 1}, {!p.occupation.empty(), 0.5}, {!p.city.empty(), 0.5},
        {!p.interests[0].empty(), 3}, {!p.interests[1].empty(), 2}, {!p.interests[2].empty(), 1},
        {!p.price_level.empty(), 2}, {p.purchases > 0, 1}, {!p.lifecycle.empty(), 1}, {!p.peak_hours.empty(), 0.5},
        {!std::isnan(p.view_to_cart), 0.5}, {!std::isnan(p.discount_response), 0.5},
        {!std::isnan(p.brand_top_share), 1}};
    for (auto [ok, w] : fields) filled += ok ? w : 0, total += w;
    int tags = 0;
    for (const auto& list : p.interests)
      for (const Interest& t : list) tags += t.weight >= 0.01;
    enough += tags >= min_tags;
  }
  r.users = profiles.size();
  r.fill_rate = total > 0 ? filled / total : 0;
  r.share_min_tags = profiles.empty() ? 0 : static_cast<double>(enough) / static_cast<double>(profiles.size());
  r.min_tags = min_tags;
}

// One line of personas.jsonl (`kgprofile generate`): the planted truth of a user.
struct Persona {
  std::string user_id;
  std::vector<std::string> categories, brands;  // favourite_categories, favourite_brands
  std::string price_level, lifecycle;
  std::vector<int> active_hours;
  bool has_active_hours = false;
};

// The whole file, read and checked before any evaluation runs (a bad line used to end a
// finished evaluation with the JSON library's "type must be string, but is number"). Ids and
// names may be JSON integers, taken as their decimal text (as ingest takes numeric ids); a
// missing or null field is absent.
Result<std::vector<Persona>> ReadPersonas(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IoError(fmt::format("{}: cannot read personas", path));
  std::vector<Persona> out;
  std::string line;
  size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("user_id"))
      return Status::InvalidArgument(fmt::format("{}:{}: not a persona object", path, lineno));
    const auto bad = [&](const char* field, const char* what) {
      return Status::InvalidArgument(fmt::format("{}:{}: field '{}' must be {}", path, lineno, field, what));
    };
    const auto text = [](const nlohmann::json& v) -> std::optional<std::string> {
      if (v.is_string()) return v.get<std::string>();
      if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
      if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
      return std::nullopt;
    };
    const auto present = [&](const char* field) { return j.contains(field) && !j[field].is_null(); };
    Persona p;
    auto id = text(j["user_id"]);
    if (!id) return bad("user_id", "a string (or an integer id)");
    p.user_id = std::move(*id);
    for (auto [field, list] : {std::pair{"favourite_categories", &p.categories}, {"favourite_brands", &p.brands}}) {
      if (!present(field)) continue;
      if (!j[field].is_array()) return bad(field, "an array of strings");
      for (const auto& v : j[field]) {
        auto t = text(v);
        if (!t) return bad(field, "an array of strings");
        list->push_back(std::move(*t));
      }
    }
    for (auto [field, value] : {std::pair{"price_level", &p.price_level}, {"lifecycle", &p.lifecycle}}) {
      if (!present(field)) continue;
      if (!j[field].is_string()) return bad(field, "a string");
      *value = j[field].get<std::string>();
    }
    if (present("active_hours")) {
      const auto& hours = j["active_hours"];
      const auto hour = [](const nlohmann::json& v) { return v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() <= 23; };
      if (!hours.is_array() || !std::all_of(hours.begin(), hours.end(), hour))
        return bad("active_hours", "an array of hours (integers 0 to 23)");
      p.has_active_hours = true;
      for (const auto& h : hours) p.active_hours.push_back(h.get<int>());
    }
    out.push_back(std::move(p));
  }
  return out;
}

Status Planted(const Graph& g, const ItemIndex& items, const std::vector<Profile>& profiles, const std::string& path,
               const std::vector<Persona>& personas, uint32_t min_events, ProfileEvalReport& r) {
  std::unordered_map<std::string, const Profile*> by_id;
  for (const Profile& p : profiles) by_id[p.ext_id] = &p;
  double cat = 0, brand = 0, price = 0, life = 0, hour = 0;
  size_t n = 0, nbrand = 0, nprice = 0, nhour = 0, nlife = 0;
  double cat_active = 0, brand_active = 0, ceiling = 0, ceiling_active = 0;
  // Activity buckets: upper bounds (exclusive) of the events a user has, and their names.
  constexpr uint32_t kBucketEnd[] = {25, 50, 100, 200, UINT32_MAX};
  constexpr const char* kBucketName[] = {"<25", "25-49", "50-99", "100-199", ">=200"};
  std::vector<ProfileEvalReport::PlantedBucket> buckets(std::size(kBucketName));
  for (size_t i = 0; i < buckets.size(); ++i) buckets[i].events = kBucketName[i];
  // A persona none of whose favourites is in the graph is left out of that figure (as one without a
  // price level is): nothing of theirs can be found, so it is no evidence about the profiles.
  size_t ncat = 0, n_active = 0, ncat_active = 0, nbrand_active = 0;
  for (const Persona& persona : personas) {
    auto it = by_id.find(persona.user_id);
    if (it == by_id.end()) continue;
    const Profile& p = *it->second;
    ++n;
    // Precision@3 of the profile's top tags; with a ceiling, also the best any ranking of the
    // user's own tags could reach.
    const auto p_at_3 = [&](const std::vector<std::string>& truth, TagKind kind, NodeType type, auto keep,
                            double* reachable) -> double {
      std::set<NodeId> want;
      for (const auto& t : truth)
        if (auto node = g.Find(type, t)) want.insert(*node);
      if (want.empty()) return NAN;
      const double denom = static_cast<double>(std::min<size_t>(3, want.size()));
      double hits = 0;
      for (NodeId t : TopTags(p, kind, 3, keep)) hits += want.count(t);
      if (reachable) {
        size_t touched = 0;
        for (const Interest& t : p.interests[static_cast<int>(kind)]) touched += want.count(t.tag);
        *reachable = static_cast<double>(std::min<size_t>(3, touched)) / denom;
      }
      return hits / denom;
    };
    double reach = 0;
    const double c = p_at_3(persona.categories, TagKind::kCategory, NodeType::kCategory,
                            [&](NodeId t) { return items.IsLeafCategory(t); }, &reach);
    if (!std::isnan(c)) {
      cat += c, ceiling += reach, ++ncat;
      auto& b = buckets[std::upper_bound(std::begin(kBucketEnd), std::end(kBucketEnd), p.events) - std::begin(kBucketEnd)];
      b.users++;
      b.p3 += c;
      b.ceiling += reach;
    }
    const double b = p_at_3(persona.brands, TagKind::kBrand, NodeType::kBrand,
                            [](NodeId) { return true; }, nullptr);
    if (!std::isnan(b)) brand += b, ++nbrand;
    if (p.events >= min_events) {
      ++n_active;
      if (!std::isnan(c)) cat_active += c, ceiling_active += reach, ++ncat_active;
      if (!std::isnan(b)) brand_active += b, ++nbrand_active;
    }
    // A persona without a price level or lifecycle (absent or null) is not scored on it.
    if (!p.price_level.empty() && !persona.price_level.empty()) price += p.price_level == persona.price_level, ++nprice;
    if (const std::string& truth_life = persona.lifecycle; !truth_life.empty()) {
      life += p.lifecycle == truth_life, ++nlife;
      r.lifecycle_confusion[truth_life][p.lifecycle]++;
    }
    if (!p.peak_hours.empty() && persona.has_active_hours) {
      ++nhour;
      for (int h : persona.active_hours) hour += h == p.peak_hours[0];
    }
  }
  r.persona_users = n;
  if (n == 0) return Status::InvalidArgument(fmt::format("{}: no persona matches a profiled user", path));
  r.planted_category_p3 = ncat ? cat / static_cast<double>(ncat) : NAN;
  r.planted_category_ceiling = ncat ? ceiling / static_cast<double>(ncat) : NAN;
  r.planted_brand_p3 = nbrand ? brand / static_cast<double>(nbrand) : NAN;
  r.planted_price_level_acc = nprice ? price / static_cast<double>(nprice) : NAN;
  r.planted_lifecycle_acc = nlife ? life / static_cast<double>(nlife) : NAN;
  r.persona_users_active = n_active;
  for (auto& b : buckets) {
    if (b.users == 0) continue;
    b.p3 /= static_cast<double>(b.users), b.ceiling /= static_cast<double>(b.users);
    r.planted_by_events.push_back(std::move(b));
  }
  if (ncat_active) r.planted_category_p3_active = cat_active / static_cast<double>(ncat_active);
  if (ncat_active) r.planted_category_ceiling_active = ceiling_active / static_cast<double>(ncat_active);
  if (nbrand_active) r.planted_brand_p3_active = brand_active / static_cast<double>(nbrand_active);
  r.planted_active_hour_hit = nhour ? hour / static_cast<double>(nhour) : NAN;
  return Status::Ok();
}

}  // namespace

Result<ProfileEvalReport> EvaluateProfiles(Workspace& ws, ProfileContext& ctx, const ProfileEvalOptions& opts) {
  Db& db = ws.db();
  if (db.QueryInt("SELECT count(*) FROM events") == 0) return Status::NotFound(fmt::format("{}: no events to evaluate", ws.dir()));
  std::vector<Persona> personas;  // read first: a bad file stops the run before the work, not after
  if (!opts.personas.empty()) {
    auto read = ReadPersonas(opts.personas);
    if (!read.ok()) return read.status();
    personas = std::move(read).value();
  }
  const Graph& g = *ctx.graph;
  const ItemIndex& items = *ctx.items;
  ProfileEvalReport r;
  const int64_t max_ts = db.QueryInt("SELECT max(ts) FROM events");
  const int64_t min_ts = db.QueryInt("SELECT min(ts) FROM events");
  // Compared in floating point before converting: --holdout-days 1e20 is beyond int64 in
  // seconds (converting it was undefined behaviour). Reaching back to the first event or
  // before leaves nothing to train on anyway.
  const double split = static_cast<double>(max_ts) - opts.holdout_days * kDay;
  if (!(split > static_cast<double>(min_ts)))
    return Status::InvalidArgument(fmt::format(
        "--holdout-days {}: reaches back to or before the first event ({}), leaving no training events; the events "
        "span {:.1f} days",
        opts.holdout_days, FormatTimestamp(min_ts), static_cast<double>(max_ts - min_ts) / kDay));
  r.split_ts = max_ts - static_cast<int64_t>(opts.holdout_days * kDay);  // in range: below max_ts - min_ts
  EventFilter train_f, test_f;
  train_f.until = r.split_ts;
  test_f.after = r.split_ts;
  std::vector<ProfileEvent> train = LoadEvents(db, train_f);
  std::vector<ProfileEvent> test = LoadEvents(db, test_f);
  r.train_events = train.size(), r.test_events = test.size();
  if (train.empty() || test.empty())
    return Status::InvalidArgument(fmt::format("holdout of {} days leaves {} training and {} test events; choose another --holdout-days",
                                               opts.holdout_days, train.size(), test.size()));

  // What an event counts for on each side: every leaf category and brand its item carries. An
  // item may sit in several leaves (a MovieLens film in each of its genres); its interests
  // count all of them, so the truth and the baseline do too.
  const auto for_each_scored_tag = [&](uint32_t item, auto&& fn) {
    for (NodeId t : items.Tags(item)) {
      if (g.type(t) == NodeType::kBrand) fn(1, t);
      else if (g.type(t) == NodeType::kCategory && items.IsLeafCategory(t)) fn(0, t);
    }
  };
  // Most-popular baseline: events per leaf category and per brand in the training window.
  std::unordered_map<NodeId, uint64_t> pop_cat, pop_brand;
  for (const ProfileEvent& e : train)
    for_each_scored_tag(e.item, [&](int which, NodeId t) { (which == 0 ? pop_cat : pop_brand)[t]++; });
  const auto ranked = [](const std::unordered_map<NodeId, uint64_t>& m) {
    std::vector<std::pair<uint64_t, NodeId>> v;
    for (auto [k, c] : m) v.emplace_back(c, k);
    std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
    std::vector<NodeId> out;
    for (auto& [c, k] : v) out.push_back(k);
    return out;
  };
  const std::vector<NodeId> top_cat = ranked(pop_cat), top_brand = ranked(pop_brand);

  ProfileSet set;
  set.opts = opts.profile;
  set.ext_ids = LoadUserIds(db);
  auto t0 = Clock::now();
  BatchBuild(items, std::move(train), opts.threads, &set);
  r.build_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<Profile> at_t = Snapshot(items, set);

  // Truth: leaf categories and brands each user touched in the holdout window.
  std::unordered_map<uint32_t, std::pair<std::set<NodeId>, std::set<NodeId>>> truth;
  for (const ProfileEvent& e : test) {
    auto& [cats, brands] = truth[e.user];
    for_each_scored_tag(e.item, [&](int which, NodeId t) { (which == 0 ? cats : brands).insert(t); });
  }
  std::vector<int> ks = opts.ks;  // ascending, each once (--k 10 3 3)
  std::sort(ks.begin(), ks.end());
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
  const auto key_of = [](int which, int k) { return fmt::format("{}@{}", which == 0 ? "category" : "brand", k); };
  std::vector<double> stale;
  std::map<std::string, size_t> scored;  // users with a non-empty truth per key
  for (const Profile& p : at_t) {
    stale.push_back(static_cast<double>(p.as_of - p.last_ts) / kDay);
    auto it = truth.find(p.user);
    if (it == truth.end()) continue;
    ++r.holdout_users;
    for (int k : ks) {
      const size_t kk = static_cast<size_t>(k);
      for (int which = 0; which < 2; ++which) {
        const auto& want = which == 0 ? it->second.first : it->second.second;
        if (want.empty()) continue;  // e.g. no brands in the catalogue
        const std::string key = key_of(which, k);
        scored[key]++;
        const TagKind kind = which == 0 ? TagKind::kCategory : TagKind::kBrand;
        Score(TopTags(p, kind, kk, [&](NodeId t) { return kind != TagKind::kCategory || items.IsLeafCategory(t); }), want,
              kk, r.model[key]);
        const auto& pop = which == 0 ? top_cat : top_brand;
        Score(std::vector<NodeId>(pop.begin(), pop.begin() + static_cast<ptrdiff_t>(std::min(kk, pop.size()))), want, kk,
              r.baseline[key]);
      }
    }
  }
  for (auto* m : {&r.model, &r.baseline})
    for (auto& [key, s] : *m) {
      const double n = std::max<double>(1, static_cast<double>(scored[key]));
      s.precision /= n, s.recall /= n, s.ndcg /= n;
    }
  for (int which = 0; which < 2; ++which)
    for (int k : ks)
      if (r.model.count(key_of(which, k))) r.keys.push_back(key_of(which, k));
  r.staleness_p50_days = Percentile(stale, 50), r.staleness_p90_days = Percentile(stale, 90);

  // Timeliness: the holdout events, one at a time, into the profiles as of T.
  std::vector<double> lat;
  lat.reserve(test.size());
  t0 = Clock::now();
  for (const ProfileEvent& e : test) {
    const auto a = Clock::now();
    ApplyIncremental(items, e, &set);
    lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  r.events_per_s = secs > 0 ? static_cast<double>(test.size()) / secs : 0;
  r.latency_p50_us = Percentile(lat, 50), r.latency_p99_us = Percentile(lat, 99);

  // Completeness and planted truth on the full profiles (training batch + holdout increments).
  std::vector<Profile> full = Snapshot(items, set);
  Completeness(full, opts.profile.min_tags, r);
  if (!opts.personas.empty()) KGP_RETURN_IF_ERROR(Planted(g, items, full, opts.personas, personas, opts.planted_min_events, r));
  return r;
}

}  // namespace kgp
