// Audience rules: a small boolean language over profile tags and metrics, compiled to one SQL
// query over the profile tables (docs/profile.md "Audience rules"). Example:
//   interest('electronics.smartphone') > 0.5 and price_level = 'high'
//   (lifecycle = 'dormant' or churn_risk >= 0.7) and not has('brand:apple')
// A metric with named values (gender, age_group, price_level, lifecycle, rfm_segment) compared
// with a string takes only those values, in any letter case (gender also female/male/女/男): an
// unknown one is an error naming the values, not an empty audience. < <= > >= on text compare by
// the values' order where they have one (price_level low < mid < high, age_group <18 < 18-24 <
// … < 65+) and are an error on text without one (city, lifecycle, …). 'not X' is true wherever X
// is not, also for users whose metric is unknown (SQL NULL), so X and not X split everyone.
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
// A tag a function names: its param, the kind its prefix restricts it to ("" for any) and the
// tag as the rule wrote it ('brand:Apple'), for messages.
struct RuleTag {
  size_t param = 0;
  std::string kind;
  std::string written;
};
struct CompiledRule {
  std::string where;  // over "profiles p"
  std::vector<RuleParam> params;  // ?1, ?2, … in order
  std::vector<RuleTag> tag_params;  // the tags that functions name
  // A condition over "profile_tags t" (a tag, perhaps of a kind) that every user the rule
  // selects has a row for, when the parser sees that the rule implies one: has('x'), a bare
  // interest('x'), or a tag function compared so that 0 fails (interest('x') > 0.5: a user
  // without the tag reads 0), as the rule, in a group, or as a side of an 'and' (the first such
  // side's, or the one PickNeed picks); for interest('x') > 0.5 (>=, =) also a row of such a
  // weight. Empty otherwise: under 'not' or 'or', and for rules that can hold without the tag.
  std::string need;
  std::vector<std::string> needs;  // every such condition the rule gives (need: the first, before PickNeed)
};

// Binds c's param i (0-based) as ?i+1, or every param of c, to a statement of c's SQL.
void BindParam(Stmt& st, const CompiledRule& c, size_t i);
void BindParams(Stmt& st, const CompiledRule& c);

// InvalidArgument "rule: column N: …" with the position of the offending token.
Result<CompiledRule> CompileRule(std::string_view rule);

// Metric names a rule may use (profiles table columns and aliases).
const std::vector<std::string>& RuleMetrics();

struct Audience {
  size_t count = 0;
  std::vector<std::string> user_ids;  // ext ids, at most `limit`, ascending
  // Tags the rule names that no profile has (a typo, or a tag of another workspace): the rule
  // still ran, but a marketer should see why an audience is empty or smaller.
  std::vector<std::string> warnings;
};
// A tag is looked up as written, else in lower case when no profile has it as written
// ('brand:Apple' finds apple), among the tags of the kind its prefix names (any kind without one).

Result<Audience> SelectAudience(Db& db, std::string_view rule, size_t limit);
// Sets c->need to the condition of c->needs that the fewest tag rows meet (the tag index
// counts them), so that an audience starts from the rarest tag the rule implies.
void PickNeed(Db& db, CompiledRule* c);
// The query SelectAudience runs (params as in c): the matching ext ids, ascending.
std::string AudienceSql(const CompiledRule& c);

}  // namespace kgp
