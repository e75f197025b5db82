#include "privacy/dp_query.h"

#include <cmath>
#include <memory>

#include <fmt/format.h>

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
                                  const DpOptions& opts) {
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
    auto m = LaplaceMechanism::Make(eps, 1.0);
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
    auto m = GaussianMechanism::Make(eps, delta, 1.0);
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

}  // namespace kgp::privacy
