// The per-workspace privacy budget (docs/privacy.md "Budget"). Every differentially private
// release spends (ε, δ) from a total set in kgprofile.conf (`dp_epsilon_budget`, default 10;
// `dp_delta_budget`, default 1e-6); spends add up (basic sequential composition, which holds
// for any mix of mechanisms) and are recorded in the privacy_ledger table, so the budget
// survives restarts and is shared by the CLI and the HTTP service. A spend that would pass the
// total is refused before any noise is drawn: nothing is released.
// Thread-compatible (one Workspace per thread); concurrent processes are serialised by the
// IMMEDIATE transaction around check-and-record.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "store/workspace.h"

namespace kgp::privacy {

constexpr double kDefaultEpsilonBudget = 10.0;
constexpr double kDefaultDeltaBudget = 1e-6;
constexpr double kDefaultQueryEpsilon = 1.0;  // `dp_epsilon` setting: ε of one query
constexpr double kDefaultQueryDelta = 1e-7;   // `dp_delta` setting: δ of one Gaussian query

struct BudgetState {
  double epsilon_budget = kDefaultEpsilonBudget, delta_budget = kDefaultDeltaBudget;
  double epsilon_spent = 0, delta_spent = 0;
  int64_t queries = 0;
  double epsilon_left() const { return epsilon_budget - epsilon_spent; }
  double delta_left() const { return delta_budget - delta_spent; }
  nlohmann::json Json() const;
};

struct LedgerEntry {
  int64_t id = 0, ts = 0;
  std::string query, mechanism;
  double epsilon = 0, delta = 0;
};

class PrivacyAccountant {
 public:
  explicit PrivacyAccountant(Workspace& ws) : ws_(ws) {}

  // Totals from kgprofile.conf, spends from the ledger.
  Result<BudgetState> State();
  // Records a spend of (epsilon, delta) for `query`, or Aborted("privacy budget exceeded: …")
  // when it would pass either total (nothing recorded then). Returns the ledger id.
  Result<int64_t> Spend(double epsilon, double delta, std::string_view query, std::string_view mechanism);
  // Most recent first, at most `limit`.
  std::vector<LedgerEntry> Ledger(size_t limit = 20);

 private:
  Workspace& ws_;
};

// True when a Status is a budget refusal (for the HTTP service: 403/429 rather than 500).
bool IsBudgetExceeded(const Status& s);

// Per-query defaults from kgprofile.conf: `dp_epsilon`, `dp_delta`, `dp_mechanism`.
double QueryEpsilon(const Workspace& ws);
double QueryDelta(const Workspace& ws);
std::string QueryMechanism(const Workspace& ws);
// `dp_required = true`: aggregates are always released with DP (no exact counts).
bool DpRequired(const Workspace& ws);

}  // namespace kgp::privacy
