// Audience queries that start from a tag's holders (CompiledRule::need): which rules imply a
// tag, that such a rule selects exactly the users the scan of every profile selects, and that
// SQLite reads the tag index for it.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <string>
#include <vector>

#include "common/rng.h"
#include "common/strings.h"
#include "profile/rule.h"
#include "store/workspace.h"
#include "test_util.h"

namespace kgp {
namespace {

TEST(ProfileRule, RulesThatImplyATagNameIt) {
  // A user without the tag reads 0 from interest(), confidence() and evidence(): a rule implies
  // the tag where 0 fails it, as its whole or as one side of its top-level 'and'.
  for (const char* rule :
       {"has('x')", "interest('x') > 0.5", "interest('x') > 0", "0.5 < interest('x')", "evidence('x') >= 2",
        "confidence('x') = 0.25", "interest('x')", "(has('x'))", "events > 3 and interest('x') > 0.1",
        "price_level = 'high' and (has('x') and city = 'Wuhan')", "not has('y') and has('x')",
        "interest('x') > 0.5 and (has('y') or events > 2)"}) {
    auto c = CompileRule(rule);
    ASSERT_TRUE(c.ok()) << rule << ": " << c.status().ToString();
    ASSERT_NE(c->need, "") << rule;
    const size_t param = static_cast<size_t>(std::stoi(c->need.substr(c->need.find('?') + 1))) - 1;
    ASSERT_LT(param, c->params.size()) << rule;
    EXPECT_EQ(c->params[param].text, "x") << rule << ": " << c->need;
  }
  // Nothing to start from where the rule can hold for a user without the tag.
  for (const char* rule : {"not has('x')", "interest('x') < 0.5", "interest('x') >= 0", "interest('x') != 0.5",
                           "interest('x') <= 0.2", "interest('x') > -1", "has('x') or events > 3", "events > 3",
                           "confidence('x') = evidence('y')", "not (has('x') and events > 3)", "0 = interest('x')"}) {
    auto c = CompileRule(rule);
    ASSERT_TRUE(c.ok()) << rule << ": " << c.status().ToString();
    EXPECT_EQ(c->need, "") << rule;
  }
  // (Rules that imply a tag in every branch of an 'or', or under 'not not', are not detected:
  // they read every profile, as every rule did before.)
  // interest() above, at least or at a value: a row of such a weight, which the index finds.
  for (auto [rule, bound] : {std::pair{"interest('x') > 0.5", "t.weight > ?2"}, {"0.5 < interest('x')", "t.weight > ?1"},
                             {"interest('x') >= 0.5", "t.weight >= ?2"}, {"0.5 <= interest('x')", "t.weight >= ?1"},
                             {"interest('x') = 0.5", "t.weight = ?2"}, {"interest('x') < -1", ""},
                             {"evidence('x') > 2", ""}, {"interest('x')", ""}}) {
    auto c = CompileRule(rule);
    ASSERT_TRUE(c.ok()) << rule;
    ASSERT_NE(c->need, "") << rule;
    if (*bound) EXPECT_NE(c->need.find(bound), std::string::npos) << rule << ": " << c->need;
    else EXPECT_EQ(c->need.find("t.weight"), std::string::npos) << rule << ": " << c->need;
  }
  // Each side of an 'and' that implies a tag gives one; before PickNeed, the first is used.
  auto two = CompileRule("has('x') and events > 2 and (interest('y') > 0.5 and has('z'))");
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->needs.size(), 3u);
  EXPECT_EQ(two->need, two->needs[0]);
  EXPECT_EQ(two->needs[0], "t.tag = ?1");
  EXPECT_EQ(two->needs[1], "t.tag = ?3 AND t.weight > ?4");
  EXPECT_EQ(two->needs[2], "t.tag = ?5");
  // The kind a prefix names is part of it.
  auto brand = CompileRule("has('brand:apple') and events > 1");
  ASSERT_TRUE(brand.ok());
  EXPECT_NE(brand->need.find("t.kind = "), std::string::npos) << brand->need;
  EXPECT_NE(AudienceSql(*brand).find("p.user_id IN (SELECT t.user_id FROM profile_tags t WHERE " + brand->need + ")"),
            std::string::npos)
      << AudienceSql(*brand);
  EXPECT_EQ(AudienceSql(*CompileRule("events > 1")), "SELECT p.ext_id FROM profiles p WHERE (p.events > ?1) ORDER BY p.ext_id");
}

TEST(ProfileCli, AudiencesFromATagsHoldersAreTheScansAudiences) {
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  ASSERT_EQ(test::RunCli(fmt::format("-q generate {} --users 150 --events 12000 --products 300 --seed 8", sample)).exit_code, 0);
  ASSERT_TRUE(test::IngestedWorkspace(ws, test::ShopFiles(sample)));
  ASSERT_EQ(test::RunCli("-q profile build " + ws).exit_code, 0);
  auto w = Workspace::Open(ws);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  Db& db = (*w)->db();
  // Tags held by many users and by few, of each kind present, and one nobody has.
  std::vector<std::string> tags = {"nosuch"};
  for (const char* kind : {"category", "brand", "attribute", "entity"}) {
    Stmt st = db.Prepare("SELECT tag, count(*) FROM profile_tags WHERE kind = ? GROUP BY tag ORDER BY 2 DESC, 1");
    st.Bind(1, std::string(kind));
    std::vector<std::string> of_kind;
    while (st.Step()) of_kind.emplace_back(st.Text(0));
    if (of_kind.empty()) continue;
    tags.push_back(std::string(kind) + ":" + of_kind.front());
    tags.push_back(of_kind.front());
    tags.push_back(of_kind[of_kind.size() / 2]);
    tags.push_back(of_kind.back());
    std::string upper = std::string(kind) + ":" + of_kind.front();  // stored in lower case: respelled
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    tags.push_back(upper);
  }
  ASSERT_GE(tags.size(), 9u);
  Rng rng(11);
  const auto pick = [&](const std::vector<std::string>& v) { return v[rng.Below(static_cast<uint32_t>(v.size()))]; };
  const std::vector<std::string> funcs = {"interest", "confidence", "evidence"};
  const std::vector<std::string> ops = {">", ">=", "<", "<=", "=", "!="};
  const std::vector<std::string> values = {"0", "0.0", "0.05", "0.3", "1", "2", "-1"};
  const auto atom = [&]() -> std::string {
    switch (rng.Below(6u)) {
      case 0: return "has('" + pick(tags) + "')";
      case 4: return pick(funcs) + "('" + pick(tags) + "')";  // a condition: above 0
      case 1: return pick(funcs) + "('" + pick(tags) + "') " + pick(ops) + " " + pick(values);
      case 2: return pick(values) + " " + pick(ops) + " " + pick(funcs) + "('" + pick(tags) + "')";
      case 3: return "events " + pick(ops) + " " + std::to_string(rng.Below(200u));
      case 5: return "not not has('" + pick(tags) + "')";
      default: return "price_level " + pick({"=", "!=", ">"}) + " '" + pick({"low", "mid", "high"}) + "'";
    }
  };
  std::function<std::string(int)> nest = [&](int depth) -> std::string {
    if (depth == 0) return atom();
    switch (rng.Below(4u)) {
      case 0: return "not " + nest(depth - 1);
      case 1: return "(" + nest(depth - 1) + " and " + nest(depth - 1) + ")";
      case 2: return nest(depth - 1) + " and " + atom();
      default: return "(" + nest(depth - 1) + " or " + nest(depth - 1) + ")";
    }
  };
  int with_need = 0, nonempty_with_need = 0;
  for (int i = 0; i < 1500; ++i) {
    const std::string rule = nest(static_cast<int>(rng.Below(4u)));
    auto c = CompileRule(rule);
    ASSERT_TRUE(c.ok()) << rule << ": " << c.status().ToString();
    auto a = SelectAudience(db, rule, 1u << 20);
    ASSERT_TRUE(a.ok()) << rule << ": " << a.status().ToString();
    // The same rule over every profile, without the tag's holders to start from, with the tags
    // respelled as SelectAudience does: in lower case where only that spelling is stored.
    for (const RuleTag& t : c->tag_params) {
      std::string& tag = c->params[t.param].text;
      const auto stored = [&](const std::string& spelling) {
        Stmt st = db.Prepare("SELECT 1 FROM profile_tags WHERE tag = ?1 AND (?2 = '' OR kind = ?2)");
        st.Bind(1, spelling);
        st.Bind(2, t.kind);
        return st.Step();
      };
      if (!stored(tag) && stored(ToLowerAscii(tag))) tag = ToLowerAscii(tag);
    }
    Stmt scan = db.Prepare("SELECT p.ext_id FROM profiles p WHERE " + c->where + " ORDER BY p.ext_id");
    BindParams(scan, *c);
    std::vector<std::string> want;
    while (scan.Step()) want.emplace_back(scan.Text(0));
    EXPECT_EQ(a->user_ids, want) << rule;
    EXPECT_EQ(a->count, want.size()) << rule;
    if (!c->need.empty()) ++with_need, nonempty_with_need += !want.empty();
  }
  // Not vacuous: many rules started from a tag, and many of those selected someone.
  EXPECT_GT(with_need, 300);
  EXPECT_GT(nonempty_with_need, 100);
  // Of two tags a rule implies, the audience starts from the one fewer users hold (the same users
  // either way: the random rules above include such pairs).
  {
    auto c = CompileRule("has('" + tags[1] + "') and interest('" + tags[4] + "') > 0 and has('" + tags[0] + "')");
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(c->needs.size(), 3u);
    PickNeed(db, &*c);
    EXPECT_EQ(c->need, c->needs[2]);  // nobody holds 'nosuch'
    const auto holders = [&](const std::string& tag) {
      Stmt st = db.Prepare("SELECT count(*) FROM profile_tags WHERE tag = ?");
      st.Bind(1, tag);
      return st.Step() ? st.Int(0) : -1;
    };
    auto d = CompileRule("has('" + tags[2] + "') and has('" + tags[3] + "')");
    ASSERT_TRUE(d.ok());
    PickNeed(db, &*d);
    ASSERT_NE(holders(tags[2]), holders(tags[3]));
    EXPECT_EQ(d->need, holders(tags[2]) < holders(tags[3]) ? d->needs[0] : d->needs[1]);
  }
  // The plan: the tag index for the holders, each holder's own tags by the primary key.
  auto c = CompileRule("interest('" + tags[1] + "') > 0.05 and price_level = 'high'");
  ASSERT_TRUE(c.ok());
  Stmt st = db.Prepare("EXPLAIN QUERY PLAN " + AudienceSql(*c));
  BindParams(st, *c);
  std::string plan;
  while (st.Step()) plan += std::string(st.Text(3)) + "\n";
  EXPECT_NE(plan.find("profile_tags_by_tag (tag=? AND weight>?)"), std::string::npos) << plan;
  EXPECT_NE(plan.find("PRIMARY KEY (user_id="), std::string::npos) << plan;
  EXPECT_EQ(plan.find("SCAN p"), std::string::npos) << plan;
}

}  // namespace
}  // namespace kgp
