#include "privacy/dp_query.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "privacy/budget.h"
#include "profile/rule.h"

namespace kgp::privacy {

nlohmann::json ReleaseInfo::Json() const {
  nlohmann::json j = {{"dp", dp}};
  if (dp) {
    j["epsilon"] = epsilon;
    j["delta"] = delta;
    j["mechanism"] = mechanism;
    j["noise_scale"] = noise_scale;
  } else {
    j["epsilon"] = nullptr;
  }
  return j;
}

Result<ReleaseInfo> ReleaseCounts(Workspace& ws, std::vector<int64_t>& counts, std::string_view query,
                                  const DpOptions& opts, double l1, double l2) {
  ReleaseInfo info;
  double eps = opts.epsilon;
  try {
    if (eps < 0 || (eps == 0 && DpRequired(ws))) eps = QueryEpsilon(ws);
  } catch (const Error& e) {
    return e.status();
  }
  if (eps == 0) return info;  // exact release, flagged dp = false
  auto mech = ParseDpMechanism(opts.mechanism.empty() ? QueryMechanism(ws) : opts.mechanism);
  if (!mech.ok()) return mech.status();
  info.dp = true;
  info.epsilon = eps;
  info.mechanism = DpMechanismName(*mech);
  // Build the mechanism first: a bad parameter must not cost budget.
  std::optional<LaplaceMechanism> lap;
  std::optional<GaussianMechanism> gau;
  if (*mech == DpMechanism::kLaplace) {
    auto m = LaplaceMechanism::Make(eps, l1);
    if (!m.ok()) return m.status();
    lap = *m;
    info.noise_scale = lap->scale();
  } else {
    double delta = opts.delta;
    try {
      if (delta < 0) delta = QueryDelta(ws);
    } catch (const Error& e) {
      return e.status();
    }
    auto m = GaussianMechanism::Make(eps, delta, l2);
    if (!m.ok()) return m.status();
    gau = *m;
    info.delta = delta;
    info.noise_scale = gau->sigma();
  }
  PrivacyAccountant acc(ws);
  auto id = acc.Spend(info.epsilon, info.delta, query, info.mechanism);
  if (!id.ok()) return id.status();
  info.ledger_id = *id;
  std::unique_ptr<NoiseSource> secure;
  NoiseSource* noise = opts.noise;
  if (!noise) noise = (secure = std::make_unique<SecureNoise>()).get();
  for (int64_t& c : counts) {
    double x = lap ? lap->AddNoise(static_cast<double>(c), *noise) : gau->AddNoise(static_cast<double>(c), *noise);
    c = std::max<int64_t>(0, std::llround(x));
  }
  return info;
}

Result<DpCount> DpCountAudience(Workspace& ws, std::string_view rule, const DpOptions& opts) {
  auto a = SelectAudience(ws.db(), rule, 0);
  if (!a.ok()) return a.status();
  // A tag no profile has (a typo) is refused before any budget is spent: a noisy count of
  // nobody would pass for an audience. The refusal tells, exactly, that no profile has the tag,
  // as the exact audience's warning does (docs/privacy.md).
  if (!a->warnings.empty())
    return Status::InvalidArgument(fmt::format("audience: {}; nothing released, no budget spent", fmt::join(a->warnings, "; ")));
  std::vector<int64_t> c = {static_cast<int64_t>(a->count)};
  auto info = ReleaseCounts(ws, c, fmt::format("audience count: {}", rule), opts);
  if (!info.ok()) return info.status();
  return DpCount{c[0], *info};
}

Result<DpSegments> DpSegmentSizes(Workspace& ws, const DpOptions& opts) {
  Db& db = ws.db();
  if (db.QueryInt("SELECT count(*) FROM profile_clusters") == 0)
    return Status::NotFound(fmt::format("{}: no segments yet (run: kgprofile profile build {})", ws.dir(), ws.dir()));
  DpSegments out;
  std::vector<int64_t> counts;
  Stmt st = db.Prepare(
      "SELECT c.id, c.label, (SELECT count(*) FROM profiles p WHERE p.cluster = c.id) FROM profile_clusters c ORDER BY c.id");
  while (st.Step()) {
    out.segments.push_back({static_cast<int>(st.Int(0)), std::string(st.Text(1)), 0});
    counts.push_back(st.Int(2));
  }
  auto info = ReleaseCounts(ws, counts, "segment sizes", opts);
  if (!info.ok()) return info.status();
  for (size_t i = 0; i < counts.size(); ++i) out.segments[i].size = counts[i];
  out.release = *info;
  return out;
}

Result<DpCategoryReport> DpCategoryUsers(Workspace& ws, int level, int per_user, const DpOptions& opts) {
  if (level < 1) return Status::InvalidArgument(fmt::format("category level must be >= 1 (1 = top level), not {}", level));
  if (per_user < 1) return Status::InvalidArgument(fmt::format("categories per user must be >= 1, not {}", per_user));
  Db& db = ws.db();
  if (db.QueryInt("SELECT count(*) FROM profiles") == 0)
    return Status::NotFound(fmt::format("{}: no profiles yet (run: kgprofile profile build {})", ws.dir(), ws.dir()));
  const auto level_of = [](std::string_view code) { return 1 + static_cast<int>(std::count(code.begin(), code.end(), '.')); };
  DpCategoryReport out;
  out.level = level, out.per_user = per_user;
  std::map<std::string, size_t, std::less<>> index;
  {
    Stmt st = db.Prepare("SELECT code, coalesce(name_en, '') FROM categories WHERE code NOT LIKE 'id:%' ORDER BY code");
    while (st.Step())
      if (level_of(st.Text(0)) == level) {
        index.emplace(std::string(st.Text(0)), out.categories.size());
        out.categories.push_back({std::string(st.Text(0)), std::string(st.Text(1)), 0});
      }
  }
  if (out.categories.empty())
    return Status::NotFound(fmt::format("{}: the category tree has no level {}", ws.dir(), level));
  std::vector<int64_t> counts(out.categories.size(), 0);
  {
    // Strongest first per user; ties broken by code so the report is deterministic.
    Stmt st = db.Prepare(
        "SELECT user_id, tag FROM profile_tags WHERE kind = 'category' AND tag NOT LIKE 'id:%' "
        "ORDER BY user_id, weight DESC, tag");
    int64_t user = -1;
    int taken = 0;
    while (st.Step()) {
      if (st.Int(0) != user) user = st.Int(0), taken = 0;
      if (taken >= per_user) continue;
      auto it = index.find(st.Text(1));
      if (it == index.end()) continue;
      counts[it->second]++;
      taken++;
    }
  }
  auto info = ReleaseCounts(ws, counts, fmt::format("users per category, level {}, {} per user", level, per_user), opts,
                            per_user, std::sqrt(static_cast<double>(per_user)));
  if (!info.ok()) return info.status();
  for (size_t i = 0; i < counts.size(); ++i) out.categories[i].users = counts[i];
  out.release = *info;
  return out;
}

}  // namespace kgp::privacy
