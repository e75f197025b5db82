#include "privacy/budget.h"

#include <cmath>
#include <ctime>

#include <fmt/format.h>

#include "common/strings.h"

namespace kgp::privacy {
namespace {

constexpr const char* kExceeded = "privacy budget exceeded";
// Spends are sums of doubles: allow rounding slack so that ten spends of 1.0 fit a budget of 10.
constexpr double kSlack = 1e-9;

double SettingDouble(const Workspace& ws, const char* key, double fallback) {
  std::string v = ws.Setting(key, "");
  if (v.empty()) return fallback;
  char* end = nullptr;
  double x = std::strtod(v.c_str(), &end);
  if (end == v.c_str() || !std::isfinite(x) || x < 0)
    throw Error(Status::InvalidArgument(fmt::format("kgprofile.conf: {} = {} is not a non-negative number", key, v)));
  return x;
}

}  // namespace

nlohmann::json BudgetState::Json() const {
  return {{"epsilon_budget", epsilon_budget}, {"epsilon_spent", epsilon_spent},
          {"epsilon_left", std::max(0.0, epsilon_left())}, {"delta_budget", delta_budget},
          {"delta_spent", delta_spent}, {"delta_left", std::max(0.0, delta_left())}, {"queries", queries}};
}

double QueryEpsilon(const Workspace& ws) { return SettingDouble(ws, "dp_epsilon", kDefaultQueryEpsilon); }
double QueryDelta(const Workspace& ws) { return SettingDouble(ws, "dp_delta", kDefaultQueryDelta); }
std::string QueryMechanism(const Workspace& ws) { return ws.Setting("dp_mechanism", "laplace"); }
bool DpRequired(const Workspace& ws) { return ws.Setting("dp_required", "false") == "true"; }

Result<BudgetState> PrivacyAccountant::State() {
  BudgetState s;
  try {
    s.epsilon_budget = SettingDouble(ws_, "dp_epsilon_budget", kDefaultEpsilonBudget);
    s.delta_budget = SettingDouble(ws_, "dp_delta_budget", kDefaultDeltaBudget);
  } catch (const Error& e) {
    return e.status();
  }
  Stmt st = ws_.db().Prepare("SELECT coalesce(sum(epsilon),0), coalesce(sum(delta),0), count(*) FROM privacy_ledger");
  if (st.Step()) s.epsilon_spent = st.Double(0), s.delta_spent = st.Double(1), s.queries = st.Int(2);
  return s;
}

Result<int64_t> PrivacyAccountant::Spend(double epsilon, double delta, std::string_view query,
                                         std::string_view mechanism) {
  if (!(epsilon > 0) || !std::isfinite(epsilon) || !(delta >= 0) || !(delta < 1))
    return Status::InvalidArgument(fmt::format("DP: bad (epsilon, delta) = ({}, {})", epsilon, delta));
  Db& db = ws_.db();
  // Check and record under one write lock: two processes cannot both take the last ε.
  Txn txn(db);
  auto s = State();
  if (!s.ok()) return s.status();
  const bool over_epsilon = s->epsilon_spent + epsilon > s->epsilon_budget + kSlack;
  const bool over_delta = s->delta_spent + delta > s->delta_budget + kSlack * 1e-6;
  if (over_epsilon || over_delta) {
    // The setting to name is the one that ran out (the δ of Gaussian releases runs out too).
    const char* setting = over_epsilon && over_delta ? "dp_epsilon_budget and dp_delta_budget"
                          : over_epsilon            ? "dp_epsilon_budget"
                                                    : "dp_delta_budget";
    return Status::Aborted(fmt::format(
        "{}: this query needs epsilon {} and delta {}, but {} of {} epsilon and {} of {} delta are left in {} "
        "(see: kgprofile privacy budget {}; raise {} in kgprofile.conf only if the data owner agrees)",
        kExceeded, epsilon, delta, std::max(0.0, s->epsilon_left()), s->epsilon_budget, std::max(0.0, s->delta_left()),
        s->delta_budget, ws_.dir(), ws_.dir(), setting));
  }
  Stmt ins = db.Prepare("INSERT INTO privacy_ledger(ts, query, mechanism, epsilon, delta) VALUES(?,?,?,?,?)");
  ins.Bind(1, static_cast<int64_t>(std::time(nullptr))).Bind(2, query).Bind(3, mechanism).Bind(4, epsilon)
      .Bind(5, delta).Run();
  int64_t id = db.LastInsertRowid();
  txn.Commit();
  return id;
}

std::vector<LedgerEntry> PrivacyAccountant::Ledger(size_t limit) {
  std::vector<LedgerEntry> out;
  Stmt st = ws_.db().Prepare("SELECT id, ts, query, mechanism, epsilon, delta FROM privacy_ledger ORDER BY id DESC LIMIT ?");
  st.Bind(1, static_cast<int64_t>(limit));
  while (st.Step())
    out.push_back({st.Int(0), st.Int(1), std::string(st.Text(2)), std::string(st.Text(3)), st.Double(4), st.Double(5)});
  return out;
}

bool IsBudgetExceeded(const Status& s) {
  return s.code() == Status::Code::kAborted && s.message().rfind(kExceeded, 0) == 0;
}

}  // namespace kgp::privacy
