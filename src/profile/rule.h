// Audience rules: a small boolean language over profile tags and metrics, compiled to one SQL
// query over the profile tables (docs/profile.md "Audience rules"). Example:
//   interest('electronics.smartphone') > 0.5 and price_level = 'high'
//   (lifecycle = 'dormant' or churn_risk >= 0.7) and not has('brand:apple')
// Grammar (keywords case-insensitive):
//   expr := and ('or' and)* ;  and := unary ('and' unary)* ;  unary := 'not' unary | cmp
//   cmp := operand [('=' | '==' | '!=' | '<>' | '<' | '<=' | '>' | '>=') operand]
//   operand := NUMBER | 'string' | "string" | METRIC | FUNC '(' 'string' ')' | '(' expr ')'
//   FUNC := interest | confidence | evidence | has
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/db.h"

namespace kgp {

struct RuleParam {
  bool is_text = false;
  double number = 0;
  std::string text;
};
struct CompiledRule {
  std::string where;  // over "profiles p"
  std::vector<RuleParam> params;  // ?1, ?2, … in order
};

// InvalidArgument "rule: column N: …" with the position of the offending token.
Result<CompiledRule> CompileRule(std::string_view rule);

// Metric names a rule may use (profiles table columns and aliases).
const std::vector<std::string>& RuleMetrics();

struct Audience {
  size_t count = 0;
  std::vector<std::string> user_ids;  // ext ids, at most `limit`, ascending
};
Result<Audience> SelectAudience(Db& db, std::string_view rule, size_t limit);

}  // namespace kgp
