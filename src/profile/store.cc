#include "profile/store.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "common/time.h"

namespace kgp {
namespace {

std::optional<double> Opt(double x) { return std::isnan(x) ? std::nullopt : std::optional<double>(x); }

}  // namespace

Status WriteProfileTables(Db& db, const Graph& g, const std::vector<Profile>& profiles, const ClusterModel& clusters,
                          const ProfileTableOptions& opts, const std::vector<uint8_t>* tags_of,
                          const std::string& rows_of) {
  Txn txn(db);
  const auto tags_written = [&](uint32_t user) { return !tags_of || (user < tags_of->size() && (*tags_of)[user]); };
  if (!tags_of) {
    // The (tag, weight) index is built once after the rows, not row by row: inserted in user
    // order, each row went to a random place in it (200,000 users, 7 M tags: 43.7 s for the
    // tables, 31.5 s now). Same definition as schema migration 1's; readers keep theirs until
    // the commit.
    KGP_RETURN_IF_ERROR(db.Exec("DROP INDEX IF EXISTS profile_tags_by_tag"));
    KGP_RETURN_IF_ERROR(db.Exec("DELETE FROM profile_tags"));
  } else {
    Stmt del = db.Prepare("DELETE FROM profile_tags WHERE user_id = ?");
    for (uint32_t u = 0; u < tags_of->size(); ++u)
      if ((*tags_of)[u]) del.Bind(1, static_cast<int64_t>(u)).Run();
  }
  KGP_RETURN_IF_ERROR(db.Exec("DELETE FROM profiles; DELETE FROM profile_clusters;"));
  if (rows_of.empty()) {
    KGP_RETURN_IF_ERROR(db.Exec("DELETE FROM meta WHERE key = 'profile_tags_of'"));
  } else {
    db.Prepare("INSERT INTO meta(key, value) VALUES('profile_tags_of', ?1) ON CONFLICT(key) DO UPDATE SET value = ?1")
        .Bind(1, rows_of)
        .Run();
  }
  // A running server reloads its RFM scores and clusters when this changes.
  KGP_RETURN_IF_ERROR(db.Exec(
      "INSERT INTO meta(key, value) VALUES('profiles_version', 1) "
      "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"));
  Stmt ins = db.Prepare(
      "INSERT INTO profiles VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,"
      "?24,?25,?26,?27,?28,?29,?30,?31,?32,?33,?34,?35,?36,?37)");
  Stmt tag = db.Prepare("INSERT INTO profile_tags VALUES(?,?,?,?,?,?,?)");
  for (const Profile& p : profiles) {
    int i = 0;
    const auto num = [&](int64_t v) { ins.Bind(++i, v); };
    // Rounded as profiles are shown (profile.h): a rule compares the numbers a marketer sees.
    const auto real = [&](double v, int digits) { ins.Bind(++i, Opt(RoundTo(v, digits))); };
    const auto text = [&](const std::string& v) { ins.BindTextOrNull(++i, v); };
    num(p.user);
    text(p.ext_id);
    for (int64_t v : {p.as_of, int64_t{p.events}, int64_t{p.views}, int64_t{p.carts}, int64_t{p.purchases}, p.first_ts, p.last_ts})
      num(v);
    for (const std::string* v : {&p.gender, &p.age_group, &p.occupation, &p.city, &p.price_level}) text(*v);
    for (double v : {p.price_position, p.price_sensitivity, p.discount_response, p.brand_top_share, p.brand_entropy,
                     p.novelty, p.repeat_rate})
      real(v, kShareDigits);
    for (double v : {p.recency_days, p.monetary}) real(v, kDaysMoneyDigits);
    for (int v : {p.r_score, p.f_score, p.m_score}) num(v);
    text(p.rfm_segment);
    num(p.sessions);
    for (double v : {p.session_minutes, p.session_depth}) real(v, kDaysMoneyDigits);
    for (double v : {p.view_to_cart, p.cart_to_purchase, p.view_to_purchase}) real(v, kShareDigits);
    text(p.lifecycle);
    real(p.churn_risk, kScoreDigits);
    if (p.peak_hours.empty()) ins.BindNull(++i); else num(p.peak_hours[0]);
    if (p.cluster < 0) ins.BindNull(++i); else num(p.cluster);
    ins.Run();
    if (!tags_written(p.user)) continue;
    for (int k = 0; k < kNumTagKinds; ++k) {
      const auto& list = p.interests[k];
      for (size_t j = 0; j < list.size() && j < opts.max_tags_per_kind; ++j) {
        const Interest& t = list[j];
        if (t.weight < opts.min_weight) break;
        tag.Bind(1, static_cast<int64_t>(p.user)).Bind(2, TagKindName(static_cast<TagKind>(k))).Bind(3, g.key(t.tag));
        tag.Bind(4, RoundTo(t.weight, kShareDigits)).Bind(5, RoundTo(t.confidence, kScoreDigits)).Bind(6, static_cast<int64_t>(t.evidence)).Bind(7, t.last_ts).Run();
      }
    }
  }
  Stmt cl = db.Prepare("INSERT INTO profile_clusters VALUES(?,?,?,?)");
  for (const Cluster& c : clusters.clusters) {
    nlohmann::json centroid = nlohmann::json::object();
    for (size_t j = 0; j < c.centroid.size() && j < clusters.features.size(); ++j)
      centroid[clusters.features[j]] = std::round(c.centroid[j] * 1000) / 1000;
    cl.Bind(1, c.id).Bind(2, c.label).Bind(3, static_cast<int64_t>(c.size)).Bind(4, centroid.dump()).Run();
  }
  if (!tags_of) {
    const auto t0 = std::chrono::steady_clock::now();
    KGP_RETURN_IF_ERROR(db.Exec("CREATE INDEX profile_tags_by_tag ON profile_tags(tag, weight)"));
    LOG_DBG("profile: tag index built in {:.2f} s", SecondsSince(t0));
  }
  txn.Commit();
  return Status::Ok();
}

std::string TagRowsMarker(int64_t graph_version, int64_t applied_file_id) {
  constexpr int kTagRowsFormat = 1;  // raise when what a tag row holds changes
  return fmt::format("{}:{}:{}", graph_version, applied_file_id, kTagRowsFormat);
}

std::string StoredTagRowsMarker(Db& db) {
  Stmt st = db.Prepare("SELECT value FROM meta WHERE key = 'profile_tags_of'");
  return st.Step() ? std::string(st.Text(0)) : std::string();
}

std::pair<int, std::string> ReadCluster(Db& db, uint32_t user) {
  Stmt st = db.Prepare(
      "SELECT p.cluster, c.label FROM profiles p LEFT JOIN profile_clusters c ON c.id = p.cluster WHERE p.user_id = ?");
  st.Bind(1, static_cast<int64_t>(user));
  if (st.Step() && !st.IsNull(0)) return {static_cast<int>(st.Int(0)), std::string(st.Text(1))};
  return {-1, ""};
}

}  // namespace kgp
