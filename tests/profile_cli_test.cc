// Profile commands end to end through the CLI, audience rules (parser errors with positions,
// SQL results against the profiles), and the error paths a user can hit.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <sstream>

#include "common/rng.h"
#include "common/strings.h"
#include "profile/rule.h"
#include "store/workspace.h"
#include "test_util.h"

namespace kgp {
namespace {

// Each rule fails to compile with a message that contains `want`.
struct RuleError {
  const char* rule;
  const char* want;
};
void ExpectRuleErrors(const std::vector<RuleError>& cases) {
  for (const auto& c : cases) {
    auto r = CompileRule(c.rule);
    ASSERT_FALSE(r.ok()) << c.rule;
    EXPECT_NE(r.status().message().find(c.want), std::string::npos) << c.rule << " -> " << r.status().message();
  }
}

TEST(ProfileRule, CompilesTheDocumentedExamples) {
  for (const char* rule : {"interest('electronics.smartphone') > 0.5 and price_level = 'high'",
                           "(lifecycle = 'dormant' or churn_risk >= 0.7) and not has('brand:apple')",
                           "frequency >= 3 AND rfm_segment == \"champions\"", "confidence('attribute:color=black') > .5",
                           "not (gender = 'F') or age_group <> '18-24'"}) {
    auto c = CompileRule(rule);
    EXPECT_TRUE(c.ok()) << rule << ": " << c.status().ToString();
  }
  auto c = CompileRule("interest('a.b') > 0.5 and price_level = 'high'");
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->params.size(), 3u);
  EXPECT_EQ(c->params[0].text, "a.b");
  EXPECT_DOUBLE_EQ(c->params[1].number, 0.5);
  EXPECT_EQ(c->params[2].text, "high");
}

// Metrics with named values take them in any letter case (gender also as words) and are
// stored as the profiles hold them.
TEST(ProfileRule, NamedValuesAreNormalised) {
  auto c = CompileRule("gender = 'female' and price_level = 'High' and lifecycle == 'ACTIVE' or gender = '男'");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  std::vector<std::string> texts;
  for (const auto& p : c->params) texts.push_back(p.text);
  EXPECT_EQ(texts, (std::vector<std::string>{"F", "high", "active", "M"}));
  EXPECT_TRUE(c->tag_params.empty());
  // Other metrics' strings are left as they are.
  auto city = CompileRule("city = 'Wuhan' and has('brand:Apple')");
  ASSERT_TRUE(city.ok());
  EXPECT_EQ(city->params[0].text, "Wuhan");
  ASSERT_EQ(city->tag_params.size(), 1u);
  EXPECT_EQ(city->params[city->tag_params[0].param].text, "Apple");  // case is settled against the store
  EXPECT_EQ(city->tag_params[0].kind, "brand");
  EXPECT_EQ(city->tag_params[0].written, "brand:Apple");
}

// < <= > >= on text compare by the values' order where they have one (price_level, age_group),
// not alphabetically ('high' < 'low' < 'mid' made "price_level > 'low'" mid only), and are an
// error on text without an order (lifecycle < 'new' compared letters).
TEST(ProfileRule, OrderedTextComparesByRankUnorderedIsAnError) {
  auto c = CompileRule("price_level > 'Low' and '18-24' <= age_group");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->params.size(), 2u);
  EXPECT_FALSE(c->params[0].is_text);
  EXPECT_DOUBLE_EQ(c->params[0].number, 0);  // low
  EXPECT_DOUBLE_EQ(c->params[1].number, 1);  // 18-24, after <18
  EXPECT_NE(c->where.find("CASE p.price_level WHEN 'low' THEN 0 WHEN 'mid' THEN 1 WHEN 'high' THEN 2 END"), std::string::npos)
      << c->where;
  EXPECT_TRUE(CompileRule("price_level >= price_level").ok());
  // = and != on any text as before.
  auto eq = CompileRule("lifecycle != 'new' and city = 'Wuhan'");
  ASSERT_TRUE(eq.ok()) << eq.status().ToString();
  EXPECT_EQ(eq->params[0].text, "new");
  ExpectRuleErrors({
      {"lifecycle < 'new'", "column 11: '<' needs an order and lifecycle has none: compare it with = or !="},
      {"city >= 'A'", "'>=' needs an order and city has none"},
      {"'champions' > rfm_segment", "'>' needs an order and rfm_segment has none"},
      {"gender <= 'F'", "gender has none"},
      {"occupation > 'doctor'", "occupation has none"},
      {"'a' < 'b'", "'<' needs an order and text values have none"},
      {"price_level > age_group", "price_level and age_group have different orders"},
      {"price_level > 'medium'", "unknown value 'medium' for price_level (one of 'low', 'mid', 'high')"},
  });
  EXPECT_NE(CompileRule("lifecycle < 'new'").status().message().find("price_level (low < mid < high), age_group (<18 < 18-24"),
            std::string::npos);
}

TEST(ProfileRule, ErrorsNameTheColumn) {
  ExpectRuleErrors({
      {"interest('x') > ", "column 17: expression ends too early"},
      {"price_levl = 'high'", "column 1: unknown metric 'price_levl'"},
      {"interest(x) > 1", "column 10: interest() takes a quoted tag"},
      {"(events > 3", "column 12: expected ')'"},
      {"events > 3 events", "column 12: unexpected 'events'"},
      {"name = 'unterminated", "column 8: unterminated string"},
      {"events ! 3", "column 8: unknown operator '!'"},
      {"events > 3 # x", "column 12: unexpected character '#'"},
      {"lifecycle = 'activ'", "column 13: unknown value 'activ' for lifecycle (one of 'new', 'active'"},
      {"'loyall' != rfm_segment", "column 1: unknown value 'loyall' for rfm_segment"},
      {"   ", "empty"},
  });
}

// Random rules from the grammar's tokens, nested up to and past the limit: each either compiles
// to SQL that SQLite prepares over the profile tables, or fails with a column. A rule reaches
// the service too (POST /v1/audiences): deep nesting must be an error, not a stack overflow.
// Numbers as written elsewhere; a rule is conditions: values are compared with values of their
// type, and a tag names at most one kind.
TEST(ProfileRule, ValuesAreComparedByType) {
  for (const char* ok : {"events > 1e-5", "events > 1E2", "monetary <= 2.5e+3", "interest('x')", "not has('brand:a')"})
    EXPECT_TRUE(CompileRule(ok).ok()) << ok << ": " << CompileRule(ok).status().ToString();
  ExpectRuleErrors({
      {"events > 'abc'", "column 10: 'events' is a number and 'abc' is text: they cannot be compared"},
      {"city = 3", "column 8: 'city' is text and 3 is a number"},
      {"events", "column 7: expected a comparison after 'events' (e.g. events > 3)"},
      {"city", "expected a comparison after 'city' (e.g. city = 'x')"},
      {"'abc'", "expected a comparison after 'abc' (e.g. 'abc' = 'x')"},
      {"1 or events > 2", "column 3: expected a comparison after 1 (e.g. 1 > 3)"},
      {"city = '上海' and (events > 3", "expected ')' to close '(' at column 17"},
      {"has('x') > 1", "column 10: '>' compares values, not conditions"},
      {"(events > 1) = 1", "column 14: '=' compares values"},
      {"city = '上海' and 上", "column 17: unexpected character '上'"},
  });
  auto caret = CompileRule("city = '上海' and 上");
  EXPECT_NE(caret.status().message().find("\n  " + std::string(16, ' ') + "^"), std::string::npos) << caret.status().message();
  auto two = CompileRule("has('category:brand:apple')");
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->params.size(), 2u);
  EXPECT_EQ(two->params[0].text, "category");
  EXPECT_EQ(two->params[1].text, "brand:apple");
}

TEST(ProfileRule, TagFunctionsReadEachUsersTagsByPrimaryKey) {
  // Not every holder of the tag for every profile (the tag index in a correlated subquery).
  test::TempDir tmp;
  auto ws = Workspace::Init(tmp / "ws", WorkspaceOptions{});
  ASSERT_TRUE(ws.ok());
  for (const char* rule : {"interest('apparel') > 0.3", "confidence('brand:apple') > 0.5", "evidence('x') >= 2",
                           "has('category:apparel')", "has('apple') and not interest('brand:apple') < 0.2"}) {
    auto c = CompileRule(rule);
    ASSERT_TRUE(c.ok()) << rule;
    Stmt st = (*ws)->db().Prepare("EXPLAIN QUERY PLAN SELECT p.ext_id FROM profiles p WHERE " + c->where);
    BindParams(st, *c);
    std::string plan;
    while (st.Step()) plan += std::string(st.Text(3)) + "\n";
    EXPECT_EQ(plan.find("profile_tags_by_tag"), std::string::npos) << rule << "\n" << plan;
    EXPECT_NE(plan.find("PRIMARY KEY (user_id="), std::string::npos) << rule << "\n" << plan;
  }
}

TEST(ProfileRule, RandomRulesCompileToPreparableSqlOrNameAColumn) {
  test::TempDir tmp;
  auto ws = Workspace::Init(tmp / "ws", WorkspaceOptions{});
  ASSERT_TRUE(ws.ok());
  const std::vector<std::string> atoms = {"events > 1", "interest('electronics') >= 0.5", "has('brand:apple')",
                                          "price_level = 'high'", "churn_risk < .7", "interest('x')", "lifecycle = 'active'",
                                          "1e-2 <= brand_entropy", "confidence('a') = evidence('b')"};
  const std::vector<std::string> junk = {"(", ")", "and", "or", "not", ">", "=", "'", "interest(", "#", "1e999", ""};
  Rng rng(7);
  // Rules nested `depth` levels by random constructs, valid by construction.
  std::function<std::string(int)> nest = [&](int depth) -> std::string {
    if (depth == 0) return atoms[rng.Below(static_cast<uint32_t>(atoms.size()))];
    switch (rng.Below(4u)) {
      case 0: return "not " + nest(depth - 1);
      case 1: return "(" + nest(depth - 1) + ")";
      case 2: return "(" + atoms[0] + " and " + nest(depth - 1) + ")";
      default: return "(" + nest(depth - 1) + " or " + atoms[1] + " and not " + atoms[2] + ")";
    }
  };
  int compiled = 0, refused = 0;
  for (int c = 0; c < 2000; ++c) {
    std::string rule = nest(static_cast<int>(rng.Below(12u)));  // the limit is 8
    if (c % 2) {  // and half of them broken somewhere
      const size_t pos = rng.Below(static_cast<uint64_t>(rule.size() + 1));
      rule.insert(pos, " " + junk[rng.Below(static_cast<uint32_t>(junk.size()))] + " ");
    }
    auto r = CompileRule(rule);
    if (!r.ok()) {
      ++refused;
      EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << rule;
      EXPECT_NE(r.status().message().find("column "), std::string::npos) << rule << " -> " << r.status().message();
      continue;
    }
    ++compiled;
    try {
      (*ws)->db().Prepare("SELECT p.ext_id FROM profiles p WHERE " + r->where);
    } catch (const std::exception& e) {
      ADD_FAILURE() << rule << "\n-> " << e.what();
    }
  }
  EXPECT_GT(compiled, 500);
  EXPECT_GT(refused, 500);
  // A heavy shape for SQLite's parser (an or/and group inside each level; groups compared with
  // values, heavier still, are no longer rules) prepares at the limit and is refused one level past it.
  std::string heavy = "events > 0";
  for (int level = 1; level <= 9; ++level) {
    heavy = "events > 0 or events > 0 and (" + heavy + ")";
    auto r = CompileRule(heavy);
    if (level <= 8) {
      ASSERT_TRUE(r.ok()) << level << ": " << r.status().ToString();
      EXPECT_NO_THROW((*ws)->db().Prepare("SELECT p.ext_id FROM profiles p WHERE " + r->where)) << level;
    } else {
      ASSERT_FALSE(r.ok()) << level;
      EXPECT_NE(r.status().message().find("nested deeper than 8 levels"), std::string::npos) << r.status().message();
    }
  }
  // Very deep or very long rules are refused with a reason, cheaply.
  auto deep = CompileRule(std::string(100000, '(') + "1" + std::string(100000, ')'));
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.status().message().find("nested deeper than"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 100000; ++i) nots += "not ";
  EXPECT_FALSE(CompileRule(nots + "1").ok());
  std::string wide = "events > 0";
  for (int i = 0; i < 2000; ++i) wide += " or events > 0";
  auto w = CompileRule(wide);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("split the rule"), std::string::npos);
}

TEST(ProfileCli, BuildShowExportUpdateAudience) {
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  ASSERT_EQ(test::RunCli("-q generate " + sample + " --users 200 --events 20000 --products 400 --seed 5").exit_code, 0);
  ASSERT_EQ(test::RunCli("-q init " + ws).exit_code, 0);
  // Events of the last week arrive later, through `profile update`.
  {
    std::istringstream in(test::ReadFile(sample + "/events.csv"));
    std::string header, line, early, late;
    std::getline(in, header);
    while (std::getline(in, line)) (line.compare(0, 10, "2026-03-25") < 0 ? early : late) += line + "\n";
    ASSERT_FALSE(late.empty());
    test::WriteFile(tmp / "early.csv", header + "\n" + early);
    test::WriteFile(tmp / "late.csv", header + "\n" + late);
  }
  auto ing = test::RunCli("-q ingest " + ws + " " + sample + "/categories.csv " + sample + "/brands.csv " + sample +
                          "/catalog.csv " + sample + "/users.csv " + tmp / "early.csv");
  ASSERT_EQ(ing.exit_code, 0) << ing.err;

  // No graph yet: a clear pointer to the missing step.
  auto nograph = test::RunCli("profile build " + ws);
  EXPECT_EQ(nograph.exit_code, 1);
  EXPECT_NE(nograph.err.find("kgprofile graph build"), std::string::npos) << nograph.err;
  auto noprof = test::RunCli("audience " + ws + " --rule \"events > 1\"");
  EXPECT_EQ(noprof.exit_code, 1);
  EXPECT_NE(noprof.err.find("profile build"), std::string::npos) << noprof.err;

  ASSERT_EQ(test::RunCli("-q graph build " + ws).exit_code, 0);
  auto build = test::RunCli("-q --json profile build " + ws + " --clusters 4");
  ASSERT_EQ(build.exit_code, 0) << build.err;
  auto bj = nlohmann::json::parse(build.out);
  EXPECT_EQ(bj["users"].get<int>(), 200);
  ASSERT_EQ(bj["clusters"].size(), 4u);
  for (const auto& c : bj["clusters"]) EXPECT_FALSE(c["label"].get<std::string>().empty());

  auto show = test::RunCli("-q --json profile show " + ws + " --user 500000001");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  auto sj = nlohmann::json::parse(show.out);
  EXPECT_EQ(sj["user_id"], "500000001");
  EXPECT_LT(show.out.find("\"user_id\""), show.out.find("\"as_of\""));  // docs/profile.md's order, not sorted
  ASSERT_FALSE(sj["interests"]["categories"].empty());
  EXPECT_TRUE(sj["interests"]["categories"][0]["evidence"].contains("path"));
  EXPECT_EQ(sj["behaviour"]["hour_of_week"].size(), 168u);
  const int events_before = sj["behaviour"]["events"];
  auto text = test::RunCli("-q profile show " + ws + " --user 500000001");
  ASSERT_EQ(text.exit_code, 0);
  auto no_tags = test::RunCli("-q profile show " + ws + " --user 500000001 --tags 0");
  ASSERT_EQ(no_tags.exit_code, 0);
  EXPECT_EQ(no_tags.out.find("categories:"), std::string::npos) << no_tags.out;
  EXPECT_NE(text.out.find("categories:"), std::string::npos);
  EXPECT_NE(text.out.find("lifecycle"), std::string::npos);
  auto unknown = test::RunCli("profile show " + ws + " --user nobody");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no profile for user 'nobody'"), std::string::npos);

  auto exp = test::RunCli("-q profile export " + ws);
  ASSERT_EQ(exp.exit_code, 0);
  std::istringstream lines(exp.out);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_TRUE(j.contains("preferences"));
    ++n;
  }
  EXPECT_EQ(n, 200);

  // Audience: the SQL answer agrees with the exported profiles.
  int high = 0;
  std::istringstream again(exp.out);
  while (std::getline(again, line)) high += nlohmann::json::parse(line)["preferences"]["price_level"] == "high";
  auto aud = test::RunCli("-q --json audience " + ws + " --rule \"price_level = 'high'\" --limit 5");
  ASSERT_EQ(aud.exit_code, 0) << aud.err;
  auto aj = nlohmann::json::parse(aud.out);
  EXPECT_EQ(aj["count"].get<int>(), high);
  EXPECT_LE(aj["user_ids"].size(), 5u);
  // A tag in upper case is found in lower case; one no profile has says so; 'not X' is the rest of
  // the users, also where X's metric is unknown (discount response needs priced purchases).
  auto count = [&](const std::string& rule, std::string* err = nullptr) {
    auto r = test::RunCli("--json audience " + ws + " --rule \"" + rule + "\" --limit 0");
    EXPECT_EQ(r.exit_code, 0) << rule << ": " << r.err;
    if (err) *err = r.err;
    return nlohmann::json::parse(r.out)["count"].get<int>();
  };
  const std::string brand = sj["interests"]["brands"][0]["tag"].get<std::string>();
  std::string upper = brand;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  ASSERT_NE(upper, brand);
  EXPECT_GT(count("has('brand:" + brand + "')"), 0);
  EXPECT_EQ(count("has('brand:" + upper + "')"), count("has('brand:" + brand + "')"));
  std::string err;
  EXPECT_EQ(count("has('brand:no-such-brand')", &err), 0);
  EXPECT_NE(err.find("no profile has the tag 'brand:no-such-brand'"), std::string::npos) << err;
  const int with = count("discount_response > 0.15"), without = count("not discount_response > 0.15");
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    ASSERT_GT((*w)->db().QueryInt("SELECT count(*) FROM profiles WHERE discount_response IS NULL"), 0);
    // The tables are written without their tag index, which is built again after the rows.
    Stmt idx = (*w)->db().Prepare("SELECT sql FROM sqlite_master WHERE name = 'profile_tags_by_tag'");
    ASSERT_TRUE(idx.Step());
    EXPECT_EQ(std::string(idx.Text(0)), "CREATE INDEX profile_tags_by_tag ON profile_tags(tag, weight)");
    EXPECT_EQ((*w)->db().QueryInt("SELECT count(*) FROM profile_tags INDEXED BY profile_tags_by_tag WHERE tag > ''"),
              (*w)->db().QueryInt("SELECT count(*) FROM profile_tags"));
  }
  EXPECT_EQ(with + without, 200);
  auto top = sj["interests"]["categories"][0];
  auto mine = test::RunCli("-q --json audience " + ws + " --rule \"interest('" + top["tag"].get<std::string>() +
                           "') >= " + std::to_string(top["weight"].get<double>() - 1e-3) + "\" --limit 1000");
  ASSERT_EQ(mine.exit_code, 0) << mine.err;
  auto ids = nlohmann::json::parse(mine.out)["user_ids"];
  EXPECT_NE(std::find(ids.begin(), ids.end(), "500000001"), ids.end());
  auto bad = test::RunCli("audience " + ws + " --rule \"interest('x') >> 1\"");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("column 16"), std::string::npos) << bad.err;

  // Update: the late events are ingested and applied one at a time.
  auto upd = test::RunCli("-q --json profile update " + ws + " " + tmp / "late.csv");
  ASSERT_EQ(upd.exit_code, 0) << upd.err;
  auto uj = nlohmann::json::parse(upd.out);
  EXPECT_GT(uj["events"].get<int>(), 0);
  EXPECT_EQ(uj["late_events"].get<int>(), 0);  // a time split: nothing older than what was applied
  auto after = nlohmann::json::parse(test::RunCli("-q --json profile show " + ws + " --user 500000001").out);
  EXPECT_GE(after["behaviour"]["events"].get<int>(), events_before);
  // Nothing new: a no-op.
  auto noop = test::RunCli("-q --json profile update " + ws);
  ASSERT_EQ(noop.exit_code, 0) << noop.err;
  EXPECT_EQ(nlohmann::json::parse(noop.out)["events"].get<int>(), 0);
  // Updates cluster as the build said (--clusters 4), not into the default 8.
  const auto clusters = [&] {
    auto w = Workspace::Open(ws);
    return w.ok() ? (*w)->db().QueryInt("SELECT count(*) FROM profile_clusters") : -1;
  };
  EXPECT_EQ(clusters(), 4);
  ASSERT_EQ(test::RunCli("-q profile update " + ws + " --clusters 3").exit_code, 0);
  EXPECT_EQ(clusters(), 3);

  // A graph rebuilt with a new category and brand numbers the nodes after them anew; the saved
  // profiles keep naming the same categories and brands (they used to name their neighbours').
  // (Evidence paths are read from the graph, whose edge counts now include the late events.)
  const auto interests_of = [&](const std::string& user) {
    auto r = test::RunCli("-q --json profile show " + ws + " --user " + user);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out)["interests"];
    for (auto& [kind, list] : j.items())
      for (auto& tag : list) tag["evidence"].erase("path");
    return j.dump();
  };
  const std::string interests = interests_of("500000001");
  const int brand_users = count("has('brand:" + brand + "')");
  test::WriteFile(tmp / "new.csv",
                  "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
                  "2026-03-31 00:00:00 UTC,view,42,,aaa.new,aaa,5.00,newcomer,s\n");
  ASSERT_EQ(test::RunCli("-q ingest " + ws + " " + tmp / "new.csv").exit_code, 0);
  ASSERT_EQ(test::RunCli("-q graph build " + ws).exit_code, 0);
  EXPECT_EQ(interests_of("500000001"), interests);
  ASSERT_EQ(test::RunCli("-q profile update " + ws).exit_code, 0);
  EXPECT_EQ(interests_of("500000001"), interests);
  EXPECT_EQ(count("has('brand:" + brand + "')"), brand_users);
  EXPECT_EQ(count("has('brand:aaa')"), 1);

  // An event older than the user's latest is applied and reported as late.
  test::WriteFile(tmp / "backfill.csv",
                  "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
                  "2026-03-01 00:00:00 UTC,view,1000052,,,,,500000001,s\n");
  auto late = test::RunCli("-q --json profile update " + ws + " " + tmp / "backfill.csv");
  ASSERT_EQ(late.exit_code, 0) << late.err;
  EXPECT_EQ(nlohmann::json::parse(late.out)["late_events"].get<int>(), 1) << late.out;

  // Options that make no sense are refused by name.
  for (const char* opt : {"--half-life 0", "--half-life nan", "--half-life -30", "--clusters 0", "--session-gap 0"}) {
    auto r = test::RunCli("profile build " + ws + " " + opt);
    EXPECT_NE(r.exit_code, 0) << opt;
    EXPECT_NE(r.err.find(std::string(opt).substr(0, std::string(opt).find(' '))), std::string::npos) << opt << ": " << r.err;
  }
}

// Erasing the user with the largest users.id lets SQLite give that id to the next new user:
// `profile update` took the erased user's blank slot for them and failed on the profile table's
// NOT NULL ext_id, for every later update until a full build.
// The tables hold profile numbers rounded as `profile show/export` print them, so a rule typed
// from a shown number selects what it implies: a top brand share shown as 0.5 is "= 0.5" and not
// "> 0.5" (float noise, 0.50000060, used to make it both "> 0.5" and not "= 0.5"). Tables written
// unrounded by an older kgprofile are rounded when the workspace is opened (migration 8).
TEST(ProfileCli, AudienceRulesCompareTheNumbersProfilesShow) {
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  ASSERT_EQ(test::RunCli("-q generate " + sample + " --users 150 --events 12000 --products 300 --seed 8").exit_code, 0);
  ASSERT_TRUE(test::IngestedWorkspace(ws, test::ShopFiles(sample)));
  ASSERT_EQ(test::RunCli("-q profile build " + ws).exit_code, 0);
  auto exp = test::RunCli("-q profile export " + ws);
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  std::map<std::string, nlohmann::json> shown;
  std::istringstream lines(exp.out);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    shown[j["user_id"].get<std::string>()] = j;
  }
  ASSERT_EQ(shown.size(), 150u);
  std::map<double, int> shares;  // shown top brand share → users
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    Stmt st = (*w)->db().Prepare("SELECT ext_id, brand_top_share, churn_risk, recency_days FROM profiles");
    size_t rows = 0;
    while (st.Step()) {
      ++rows;
      const auto& j = shown.at(std::string(st.Text(0)));
      const auto& top = j["preferences"]["brand_loyalty"]["top_share"];
      ASSERT_EQ(st.IsNull(1), top.is_null());
      if (!top.is_null()) {
        EXPECT_EQ(st.Double(1), top.get<double>()) << st.Text(0);
        ++shares[top.get<double>()];
      }
      for (const auto& [col, shown_value] : {std::pair{2, j["behaviour"]["churn_risk"]}, {3, j["behaviour"]["rfm"]["recency_days"]}}) {
        ASSERT_EQ(st.IsNull(col), shown_value.is_null()) << st.Text(0);
        if (!shown_value.is_null()) {
          EXPECT_EQ(st.Double(col), shown_value.get<double>()) << st.Text(0);
        }
      }
    }
    EXPECT_EQ(rows, 150u);
    Stmt tags = (*w)->db().Prepare(
        "SELECT p.ext_id, t.kind, t.tag, t.weight, t.confidence FROM profile_tags t JOIN profiles p ON p.user_id = t.user_id");
    size_t checked = 0;
    while (tags.Step()) {
      for (const auto& [kind, items] : shown.at(std::string(tags.Text(0)))["interests"].items())
        for (const auto& t : items)
          // "categories" holds the kind "category", "brands" "brand", …
          if (t["tag"].get<std::string>() == tags.Text(2) && kind.rfind(std::string(tags.Text(1)).substr(0, 4), 0) == 0) {
            EXPECT_EQ(tags.Double(3), t["weight"].get<double>()) << tags.Text(2);
            EXPECT_EQ(tags.Double(4), t["confidence"].get<double>()) << tags.Text(2);
            ++checked;
          }
    }
    EXPECT_GT(checked, 300u);
  }
  ASSERT_FALSE(shares.empty());
  // The most common shown share: "=" selects exactly the users shown with it, ">" those above.
  auto common = std::max_element(shares.begin(), shares.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  int above = 0;
  for (const auto& [v, n] : shares) above += v > common->first ? n : 0;
  auto count = [&](const std::string& rule) {
    auto r = test::RunCli("-q --json audience " + ws + " --limit 0 --rule \"" + rule + "\"");
    EXPECT_EQ(r.exit_code, 0) << rule << ": " << r.err;
    return nlohmann::json::parse(r.out)["count"].get<int>();
  };
  const std::string v = fmt::format("{}", common->first);
  EXPECT_EQ(count("brand_top_share = " + v), common->second) << v;
  EXPECT_EQ(count("brand_top_share > " + v), above) << v;
  // The readable `profile show` prints the same numbers (it printed churn risk 0.21 for 0.208 and
  // top share 54.7% for 0.5469): copied into a rule, they select the user they came from.
  int users_checked = 0;
  for (const auto& [id, j] : shown) {
    if (j["preferences"]["brand_loyalty"]["top_share"].is_null() || j["interests"]["categories"].empty()) continue;
    if (++users_checked > 6) break;
    auto show = test::RunCli("-q profile show " + ws + " --user " + id);
    ASSERT_EQ(show.exit_code, 0) << show.err;
    const auto after = [&](const std::string& label) {  // the word printed after label
      const size_t at = show.out.find(label);
      EXPECT_NE(at, std::string::npos) << label << " in " << show.out;
      if (at == std::string::npos) return std::string();
      const size_t from = at + label.size();
      return show.out.substr(from, show.out.find_first_of(" )\n", from) - from);
    };
    const auto& prefs = j["preferences"];
    const auto& behaviour = j["behaviour"];
    const std::pair<std::string, nlohmann::json> fields[] = {
        {"brand top share ", prefs["brand_loyalty"]["top_share"]}, {"entropy ", prefs["brand_loyalty"]["entropy"]},
        {"novelty ", prefs["novelty"]}, {"repeat rate ", prefs["repeat_rate"]}, {"(position ", prefs["price_position"]},
        {"sensitivity ", prefs["price_sensitivity"]}, {"discount response ", prefs["discount_response"]},
        {"recency ", behaviour["rfm"]["recency_days"]}, {"monetary ", behaviour["rfm"]["monetary"]},
        {"view→cart ", behaviour["funnel"]["view_to_cart"]}, {"churn risk ", behaviour["churn_risk"]},
        {"conf ", j["interests"]["categories"][0]["confidence"]}};
    std::map<std::string, std::string> printed;
    for (const auto& [label, value] : fields) {
      const std::string word = after(label);
      printed[label] = word;
      if (value.is_null()) EXPECT_EQ(word, "-") << id << " " << label;
      else EXPECT_EQ(std::strtod(word.c_str(), nullptr), value.get<double>()) << id << " " << label << "'" << word << "'";
    }
    const std::string tag = j["interests"]["categories"][0]["tag"].get<std::string>();
    std::istringstream line(show.out.substr(show.out.find("    " + tag + " ") + 4 + tag.size()));  // tag, padding, weight
    std::string shown_weight;
    line >> shown_weight;
    EXPECT_EQ(std::strtod(shown_weight.c_str(), nullptr), j["interests"]["categories"][0]["weight"].get<double>()) << id;
    std::string rule = fmt::format("interest('category:{}') = {}", tag, shown_weight);
    for (const auto& [label, metric] : {std::pair{"brand top share ", "brand_top_share"}, {"churn risk ", "churn_risk"},
                                        {"recency ", "recency_days"}, {"novelty ", "novelty"}, {"entropy ", "brand_entropy"}})
      if (printed[label] != "-") rule += fmt::format(" and {} = {}", metric, printed[label]);
    auto r = test::RunCli("-q --json audience " + ws + " --limit 1000 --rule \"" + rule + "\"");
    ASSERT_EQ(r.exit_code, 0) << rule << ": " << r.err;
    auto ids = nlohmann::json::parse(r.out)["user_ids"];
    EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end()) << rule;
  }
  EXPECT_GT(users_checked, 6);
  // A workspace whose tables an older kgprofile wrote unrounded.
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    (*w)->db().ExecOrThrow(fmt::format("UPDATE profiles SET brand_top_share = {} + 6e-7 WHERE brand_top_share = {}; "
                                       "ALTER TABLE items DROP COLUMN catalog_price; PRAGMA user_version=7", v, v));
  }
  EXPECT_EQ(count("brand_top_share = " + v), common->second) << v;
  EXPECT_EQ(count("brand_top_share > " + v), above) << v;
}

// A generated shop ingested into a workspace with its graph built, and (build) its profiles;
// its audiences: count and warnings.
class Shop {
 public:
  struct Answer {
    int count = -1;
    std::vector<std::string> warnings;
  };
  Shop(int users, int events, int products, bool build = true) {
    EXPECT_EQ(test::RunCli(fmt::format("-q generate {} --users {} --events {} --products {} --seed 8", sample, users, events,
                                       products)).exit_code, 0);
    EXPECT_TRUE(test::IngestedWorkspace(ws, test::ShopFiles(sample)));
    if (build) {
      EXPECT_EQ(test::RunCli("-q profile build " + ws).exit_code, 0);
    }
  }
  Answer Audience(const std::string& rule) const {
    auto r = test::RunCli("-q --json audience " + ws + " --limit 0 --rule \"" + rule + "\"");
    EXPECT_EQ(r.exit_code, 0) << rule << ": " << r.err;
    Answer a;
    if (r.exit_code != 0) return a;
    auto j = nlohmann::json::parse(r.out);
    a.count = j["count"].get<int>();
    a.warnings = j["warnings"].get<std::vector<std::string>>();
    return a;
  }
  int Count(const std::string& rule) const { return Audience(rule).count; }

  const test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
};

// Price levels and age groups compare by their order (the alphabetical comparison made
// "price_level > 'low'" mid only and "age_group >= '18-24'" take '<18' in); < <= > >= on text
// without an order is an error.
TEST(ProfileCli, AudienceComparesPriceLevelsAndAgeGroupsByOrder) {
  Shop shop(150, 12000, 300);
  const std::string& ws = shop.ws;
  const auto count = [&](const std::string& rule) { return shop.Count(rule); };
  // Some users under 18 (the generator's are adults): the tables are what rules read.
  int unknown_age = 0;
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    (*w)->db().ExecOrThrow("UPDATE profiles SET age_group = '<18' WHERE user_id IN "
                           "(SELECT user_id FROM profiles WHERE age_group IS NOT NULL ORDER BY user_id LIMIT 7)");
    // And some whose age is unknown: in no ordered comparison, in its negation.
    (*w)->db().ExecOrThrow("UPDATE profiles SET age_group = NULL WHERE user_id IN "
                           "(SELECT user_id FROM profiles WHERE age_group IS NOT NULL ORDER BY user_id DESC LIMIT 5)");
    unknown_age = static_cast<int>((*w)->db().QueryInt("SELECT count(*) FROM profiles WHERE age_group IS NULL"));
  }
  const int low = count("price_level = 'low'"), mid = count("price_level = 'mid'"), high = count("price_level = 'high'");
  ASSERT_GT(low, 0);
  ASSERT_GT(mid, 0);
  ASSERT_GT(high, 0);
  EXPECT_EQ(count("price_level > 'low'"), mid + high);
  EXPECT_EQ(count("price_level >= 'mid'"), mid + high);
  EXPECT_EQ(count("price_level < 'high'"), low + mid);
  EXPECT_EQ(count("'mid' > price_level"), low);
  EXPECT_EQ(count("price_level <= 'LOW'"), low);
  EXPECT_EQ(count("not price_level > 'low'"), 150 - mid - high);  // unknown levels included
  const std::vector<std::string> ages = {"<18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"};
  std::vector<int> by_age;
  for (const auto& g : ages) by_age.push_back(count("age_group = '" + g + "'"));
  ASSERT_EQ(by_age[0], 7);
  ASSERT_GE(unknown_age, 5);
  int known_age = 0;
  for (int n : by_age) known_age += n;
  EXPECT_EQ(known_age + unknown_age, 150);
  EXPECT_EQ(count("age_group >= '<18'"), known_age);
  EXPECT_EQ(count("not age_group >= '<18'"), unknown_age);
  EXPECT_EQ(count("not age_group < '25-34'"), 150 - by_age[0] - by_age[1]);
  for (size_t i = 0; i < ages.size(); ++i) {
    int at_least = 0, below = 0;
    for (size_t k = 0; k < ages.size(); ++k) (k >= i ? at_least : below) += by_age[k];
    EXPECT_EQ(count("age_group >= '" + ages[i] + "'"), at_least) << ages[i];
    EXPECT_EQ(count("age_group < '" + ages[i] + "'"), below) << ages[i];
  }
  auto unordered = test::RunCli("audience " + ws + " --rule \"lifecycle < 'new'\"");
  EXPECT_EQ(unordered.exit_code, 1);
  EXPECT_NE(unordered.err.find("'<' needs an order and lifecycle has none: compare it with = or !="), std::string::npos)
      << unordered.err;
}

// A tag's kind prefix is part of its lookup: has('brand:<a category>') was an empty audience
// without a warning (and with --dp spent budget on nobody), a brand spelled as an entity matched
// the entity alone and never the brand in lower case; the warning quotes the tag as written.
TEST(ProfileCli, AudienceLooksTagsUpByKind) {
  Shop shop(150, 12000, 300);
  const std::string& ws = shop.ws;
  const auto count = [&](const std::string& rule) { return shop.Count(rule); };
  const auto audience = [&](const std::string& rule) { return shop.Audience(rule); };
  // A category named as a brand is nobody, with a warning naming it as written.
  std::string category, brand;
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    Db& db = (*w)->db();
    Stmt st = db.Prepare("SELECT tag FROM profile_tags WHERE kind = 'category' AND tag NOT IN "
                         "(SELECT tag FROM profile_tags WHERE kind != 'category') ORDER BY tag LIMIT 1");
    ASSERT_TRUE(st.Step());
    category = std::string(st.Text(0));
    Stmt b = db.Prepare("SELECT tag, count(*) FROM profile_tags WHERE kind = 'brand' GROUP BY tag ORDER BY 2 DESC, 1 LIMIT 1");
    ASSERT_TRUE(b.Step());
    brand = std::string(b.Text(0));
  }
  EXPECT_GT(count("has('category:" + category + "')"), 0);
  EXPECT_EQ(count("has('" + category + "')"), count("has('category:" + category + "')"));
  Shop::Answer wrong = audience("has('brand:" + category + "')");
  EXPECT_EQ(wrong.count, 0);
  ASSERT_EQ(wrong.warnings.size(), 1u);
  EXPECT_NE(wrong.warnings[0].find("no profile has the tag 'brand:" + category + "'"), std::string::npos) << wrong.warnings[0];
  Shop::Answer typo = audience("has('brand:Electronicz') or interest('Electronicz') > 0");
  ASSERT_EQ(typo.warnings.size(), 2u);
  EXPECT_NE(typo.warnings[0].find("'brand:Electronicz'"), std::string::npos) << typo.warnings[0];
  EXPECT_NE(typo.warnings[1].find("'Electronicz'"), std::string::npos) << typo.warnings[1];
  // An entity spelled as the brand in capitals: 'brand:BRAND' is the brand, not the entity.
  std::string upper = brand;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  ASSERT_NE(upper, brand);
  const int brand_users = count("has('brand:" + brand + "')");
  ASSERT_GT(brand_users, 1);
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    Stmt ins = (*w)->db().Prepare("INSERT INTO profile_tags(user_id, kind, tag, weight, confidence, evidence, last_ts) "
                                  "SELECT user_id, 'entity', ?, 0.5, 0.5, 1, 0 FROM profiles ORDER BY user_id LIMIT 1");
    ins.Bind(1, upper);
    ins.Run();
  }
  Shop::Answer as_brand = audience("has('brand:" + upper + "')");
  EXPECT_EQ(as_brand.count, brand_users);
  EXPECT_TRUE(as_brand.warnings.empty());
  // The kind keyword ignores case as the other keywords do, and a tag named twice warns once.
  EXPECT_EQ(count("has('Brand:" + brand + "')"), brand_users);
  EXPECT_EQ(count("has('BRAND:" + upper + "')"), brand_users);
  EXPECT_EQ(audience("has('nosuch') and has('nosuch')").warnings.size(), 1u);
  EXPECT_EQ(count("has('entity:" + upper + "')"), 1);
  // A differentially private audience with a tag of the wrong kind is refused, budget untouched.
  auto dp = test::RunCli("audience " + ws + " --dp-epsilon 0.5 --rule \"has('brand:" + category + "')\"");
  EXPECT_NE(dp.exit_code, 0) << dp.out;
  EXPECT_NE(dp.err.find("no profile has the tag 'brand:" + category + "'"), std::string::npos) << dp.err;
  auto w = Workspace::Open(ws);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->db().QueryInt("SELECT count(*) FROM privacy_ledger"), 0);
}

// `profile update FILE` reports the files it ingests as `ingest` does (it printed only "applied
// 0 events to 0 users", exit 0, whatever the rows were, and nothing when the file had landed
// before); --json lists them under "ingested" with ingest's keys.
TEST(ProfileCli, UpdateReportsTheFilesItIngests) {
  const Shop shop(40, 2000, 120);
  const test::TempDir& tmp = shop.tmp;
  const std::string& ws = shop.ws;
  const std::string header = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n";
  const std::string bad = tmp / "bad.csv";
  test::WriteFile(bad, header +
                           "2026-04-01 10:00:00 UTC,view,1000052,,,,abc,500000001,s\n"
                           "2026-04-01 10:01:00 UTC,view,1000052,,,,-5,500000001,s\n"
                           "2026-04-01 10:02:00 UTC,view,1000052,,,,5.00,,s\n"
                           "2026-04-01 10:03:00 UTC,view,1000052,,,,5.00,500000001,s\n");
  auto text = test::RunCli("profile update " + ws + " " + bad);
  ASSERT_EQ(text.exit_code, 0) << text.err;  // rejected rows do not fail `ingest` either
  EXPECT_NE(text.out.find(bad + " [rees46]: 1 new events"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("3 rows rejected"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("rejects report: "), std::string::npos) << text.out;
  EXPECT_NE(text.err.find(bad + ":2: price: bad price"), std::string::npos) << text.err;
  EXPECT_NE(text.err.find(bad + ":3: price: bad price"), std::string::npos) << text.err;
  EXPECT_NE(text.err.find(bad + ":4: user_id: missing user id"), std::string::npos) << text.err;
  EXPECT_NE(text.out.find("applied 1 events to 1 users"), std::string::npos) << text.out;
  // The same file again: said so, as `ingest` says it.
  auto again = test::RunCli("profile update " + ws + " " + bad);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find(bad + ": already ingested (same content)"), std::string::npos) << again.out;
  auto json = test::RunCli("-q --json profile update " + ws + " " + bad);
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto j = nlohmann::json::parse(json.out);
  ASSERT_EQ(j["ingested"].size(), 1u) << json.out;
  EXPECT_EQ(j["ingested"][0]["path"], bad);
  EXPECT_EQ(j["ingested"][0]["skipped"], true);
  EXPECT_EQ(j["events"], 0);
  auto forced = nlohmann::json::parse(test::RunCli("-q --json profile update " + ws + " " + bad + " --force").out);
  ASSERT_EQ(forced["ingested"].size(), 1u);
  const auto& f = forced["ingested"][0];
  EXPECT_EQ(f["skipped"], false);
  EXPECT_EQ(f["rejects"], 3);
  EXPECT_EQ(f["events_new"], 0);
  EXPECT_EQ(f["events_duplicate"], 1);
  EXPECT_EQ(f["rejects_by_reason"]["price: bad price"], 2) << f.dump();
  EXPECT_FALSE(f["rejects_file"].get<std::string>().empty());
  // No files: nothing listed.
  auto none = nlohmann::json::parse(test::RunCli("-q --json profile update " + ws).out);
  EXPECT_TRUE(none["ingested"].empty());
  // Options for FILES without any are refused rather than ignored.
  for (const char* opt : {"--force", "--format rees46", "--encoding GBK"}) {
    auto r = test::RunCli("profile update " + ws + " " + opt);
    EXPECT_NE(r.exit_code, 0) << opt;
    EXPECT_NE(r.err.find("apply to FILES"), std::string::npos) << opt << ": " << r.err;
  }
}

// `profile eval` checks its options as `profile build` does (--k -3 printed "brand@-3", a
// half-life of 0 or below ran).
TEST(ProfileCli, EvalRefusesNonsenseOptions) {
  const Shop shop(40, 3000, 120, /*build=*/false);
  const std::string& ws = shop.ws;
  for (const char* opt : {"--half-life -5", "--half-life 0", "--half-life inf", "--holdout-days 0", "--holdout-days -1",
                          "--holdout-days nan", "--k -3", "--k 0", "--k 3 -1", "--threads 0", "--threads -2", "--min-tags -1"}) {
    auto r = test::RunCli("profile eval " + ws + " " + opt);
    EXPECT_EQ(r.exit_code, 105) << opt << ": " << r.out;  // CLI11's validation error
    EXPECT_NE(r.err.find(std::string(opt).substr(0, std::string(opt).find(' '))), std::string::npos) << opt << ": " << r.err;
    EXPECT_EQ(r.out.find("holdout"), std::string::npos) << opt << ": " << r.out;
  }
  auto ok = test::RunCli("-q --json profile eval " + ws + " --k 2 --min-tags 0 --threads 1 --half-life 10");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  auto j = nlohmann::json::parse(ok.out);
  EXPECT_TRUE(j["holdout"].contains("category@2")) << ok.out;
  EXPECT_EQ(j["completeness"]["min_tags"], 0);
  EXPECT_EQ(j["completeness"]["share_with_min_tags"], 1.0);
}

// A malformed --personas line is an error naming the file, line and field (it was the JSON
// library's "type must be string, but is number", after the whole evaluation had run). Integer
// user ids and names are taken as their decimal text, as ingest takes numeric ids.
TEST(ProfileCli, EvalNamesTheBadFieldOfAPersona) {
  const Shop shop(40, 3000, 120, /*build=*/false);
  const test::TempDir& tmp = shop.tmp;
  const std::string &sample = shop.sample, &ws = shop.ws;
  // The generator's lines, with user ids as JSON numbers, are read as the strings.
  std::string lines;
  {
    std::istringstream in(test::ReadFile(sample + "/personas.jsonl"));
    for (std::string line; std::getline(in, line);) {
      auto p = nlohmann::json::parse(line);
      p["user_id"] = std::stoll(p["user_id"].get<std::string>());
      lines += p.dump() + "\n";
    }
  }
  test::WriteFile(tmp / "numeric.jsonl", lines);
  auto numeric = test::RunCli("-q --json profile eval " + ws + " --personas " + tmp / "numeric.jsonl");
  ASSERT_EQ(numeric.exit_code, 0) << numeric.err;
  EXPECT_EQ(nlohmann::json::parse(numeric.out)["planted"]["users"], 40) << numeric.out;
  const std::string good = R"({"user_id":"500000001","favourite_categories":["food.snacks.nuts"],"active_hours":[21]})";
  struct Case {
    const char* line;
    const char* want;
  } cases[] = {
      {R"({"user_id":5.5})", "field 'user_id' must be a string (or an integer id)"},
      {R"({"user_id":["500000001"]})", "field 'user_id' must be a string"},
      {R"({"user_id":"500000001","favourite_categories":[3.5]})", "field 'favourite_categories' must be an array of strings"},
      {R"({"user_id":"500000001","favourite_categories":"food.snacks.nuts"})", "field 'favourite_categories' must be an array"},
      {R"({"user_id":"500000001","favourite_brands":[{"name":"x"}]})", "field 'favourite_brands' must be an array of strings"},
      {R"({"user_id":"500000001","active_hours":["11"]})", "field 'active_hours' must be an array of hours (integers 0 to 23)"},
      {R"({"user_id":"500000001","active_hours":[24]})", "field 'active_hours' must be an array of hours"},
      {R"({"user_id":"500000001","active_hours":11})", "field 'active_hours' must be an array of hours"},
      {R"({"user_id":"500000001","price_level":3})", "field 'price_level' must be a string"},
      {R"({"user_id":"500000001","lifecycle":false})", "field 'lifecycle' must be a string"},
      {R"([1, 2])", "not a persona object"},
  };
  for (const auto& c : cases) {
    const std::string path = tmp / "bad.jsonl";
    test::WriteFile(path, good + "\n\n" + c.line + "\n");
    auto r = test::RunCli("profile eval " + ws + " --personas " + path);
    EXPECT_EQ(r.exit_code, 1) << c.line;
    EXPECT_NE(r.err.find(path + ":3: " + c.want), std::string::npos) << c.line << ": " << r.err;
    EXPECT_EQ(r.err.find("json.exception"), std::string::npos) << r.err;
  }
  // Integer names and a null field are fine.
  test::WriteFile(tmp / "mixed.jsonl", R"({"user_id":500000001,"favourite_categories":[3],"favourite_brands":null,"active_hours":[]})"
                                       "\n");
  auto mixed = test::RunCli("-q --json profile eval " + ws + " --personas " + tmp / "mixed.jsonl");
  ASSERT_EQ(mixed.exit_code, 0) << mixed.err;
  const auto planted = nlohmann::json::parse(mixed.out)["planted"];
  EXPECT_EQ(planted["users"], 1) << mixed.out;
  // Without a price level or lifecycle the persona is not scored on them (they read as misses).
  EXPECT_TRUE(planted["price_level_accuracy"].is_null()) << mixed.out;
  EXPECT_TRUE(planted["lifecycle_accuracy"].is_null()) << mixed.out;
}

// The holdout's cut-offs came out in string order (brand@10 before brand@3) in the table and the
// JSON, the by_events buckets too ("100-199" before "<25"), and the buckets' figures unrounded:
// now categories, then brands, each by k; the buckets lightest first; every figure to 4 places.
TEST(ProfileCli, EvalListsCutOffsAndBucketsInOrderAndRoundsThem) {
  const Shop shop(40, 3000, 120, /*build=*/false);
  const std::string args = shop.ws + " --k 10 3 5 3 --personas " + shop.sample + "/personas.jsonl";
  auto r = test::RunCli("-q --json profile eval " + args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::ordered_json::parse(r.out);
  std::vector<std::string> keys;
  for (const auto& [key, value] : j["holdout"].items())
    if (key.find('@') != std::string::npos) keys.push_back(key);
  const std::vector<std::string> want = {"category@3", "category@5", "category@10", "brand@3", "brand@5", "brand@10"};
  EXPECT_EQ(keys, want) << r.out;
  const std::vector<std::string> order = {"<25", "25-49", "50-99", "100-199", ">=200"};
  std::vector<size_t> at;
  ASSERT_TRUE(j["planted"].contains("by_events")) << r.out;
  for (const auto& [name, b] : j["planted"]["by_events"].items()) {
    at.push_back(static_cast<size_t>(std::find(order.begin(), order.end(), name) - order.begin()));
    for (const char* f : {"category_precision_at_3", "category_ceiling_at_3"}) {
      const double v = b[f].get<double>();
      EXPECT_EQ(v, std::round(v * 10000) / 10000) << name << " " << f;
    }
  }
  EXPECT_GE(at.size(), 2u) << r.out;
  EXPECT_TRUE(std::is_sorted(at.begin(), at.end())) << r.out;
  auto text = test::RunCli("-q profile eval " + args);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  size_t last = 0;
  for (const auto& key : want) {
    const size_t pos = text.out.find("  " + key + " ");
    ASSERT_NE(pos, std::string::npos) << key << ": " << text.out;
    EXPECT_GT(pos, last) << key << ": " << text.out;
    last = pos;
  }
}

// A persona whose favourite categories are all unknown to the catalogue counted as a miss (0) in
// category P@3, while brand P@3 left a persona without a known favourite brand out: both leave
// such personas out now, so adding one changes neither figure.
TEST(ProfileCli, EvalLeavesPersonasWithoutAKnownFavouriteOut) {
  const Shop shop(40, 3000, 120, /*build=*/false);
  std::istringstream in(test::ReadFile(shop.sample + "/personas.jsonl"));
  std::string first, second;
  std::getline(in, first);
  std::getline(in, second);
  auto unknown = nlohmann::json::parse(second);
  unknown["favourite_categories"] = {"no.such.category"};
  unknown["favourite_brands"] = {"no-such-brand"};
  test::WriteFile(shop.tmp / "one.jsonl", first + "\n");
  test::WriteFile(shop.tmp / "two.jsonl", first + "\n" + unknown.dump() + "\n");
  auto one = test::RunCli("-q --json profile eval " + shop.ws + " --personas " + shop.tmp / "one.jsonl");
  auto two = test::RunCli("-q --json profile eval " + shop.ws + " --personas " + shop.tmp / "two.jsonl");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  ASSERT_EQ(two.exit_code, 0) << two.err;
  const auto a = nlohmann::json::parse(one.out)["planted"], b = nlohmann::json::parse(two.out)["planted"];
  EXPECT_EQ(b["users"], 2);
  ASSERT_GT(a["category_precision_at_3"].get<double>(), 0) << one.out;
  for (const char* f : {"category_precision_at_3", "category_ceiling_at_3", "brand_precision_at_3"})
    EXPECT_EQ(a[f], b[f]) << f << ": " << two.out;
  // Only the unknown one: nothing to score, null (not 0).
  test::WriteFile(shop.tmp / "unknown.jsonl", unknown.dump() + "\n");
  auto none = test::RunCli("-q --json profile eval " + shop.ws + " --personas " + shop.tmp / "unknown.jsonl");
  ASSERT_EQ(none.exit_code, 0) << none.err;
  const auto c = nlohmann::json::parse(none.out)["planted"];
  EXPECT_TRUE(c["category_precision_at_3"].is_null()) << none.out;
  EXPECT_TRUE(c["brand_precision_at_3"].is_null()) << none.out;
}

// --holdout-days 1e20 was turned into seconds as an int64 out of its range (undefined behaviour;
// here it happened to read as "leaves 0 training events"). The holdout is compared with the
// data's span before converting: one reaching back before the first event is refused, saying so.
TEST(ProfileCli, EvalRefusesAHoldoutReachingBeforeTheFirstEvent) {
  const Shop shop(40, 3000, 120, /*build=*/false);
  for (const char* days : {"1e20", "1e300", "100000"}) {
    auto r = test::RunCli("-q profile eval " + shop.ws + " --holdout-days " + days);
    EXPECT_EQ(r.exit_code, 1) << days << ": " << r.out;
    EXPECT_NE(r.err.find("--holdout-days"), std::string::npos) << days << ": " << r.err;
    EXPECT_NE(r.err.find("before the first event"), std::string::npos) << days << ": " << r.err;
  }
}

TEST(ProfileCli, AnIdGivenAgainAfterAnErasureIsANewUser) {
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  ASSERT_EQ(test::RunCli("-q generate " + sample + " --users 40 --events 2000 --products 120 --seed 8").exit_code, 0);
  ASSERT_TRUE(test::IngestedWorkspace(ws, test::ShopFiles(sample)));
  ASSERT_EQ(test::RunCli("-q profile build " + ws).exit_code, 0);
  std::string last, header, row;
  int64_t last_id = 0;
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    Stmt st = (*w)->db().Prepare("SELECT ext_id, id FROM users ORDER BY id DESC LIMIT 1");
    ASSERT_TRUE(st.Step());
    last = std::string(st.Text(0));
    last_id = st.Int(1);
    std::istringstream in(test::ReadFile(sample + "/events.csv"));
    std::getline(in, header);
    std::getline(in, row);
  }
  ASSERT_EQ(test::RunCli("-q erase " + ws + " --user " + last).exit_code, 0);
  // Three events of a newcomer: the first row of the file under another user id.
  std::vector<std::string> fields;
  for (std::string_view f : Split(row, ',')) fields.emplace_back(f);
  ASSERT_EQ(fields.size(), 9u) << row;
  std::string rows;
  for (int i = 0; i < 3; ++i) {
    fields[0] = fmt::format("2026-02-0{} 10:00:00 UTC", i + 1);
    fields[7] = "newcomer77";
    rows += fmt::format("{}\n", fmt::join(fields, ","));
  }
  test::WriteFile(tmp / "new.csv", header + "\n" + rows);
  ASSERT_EQ(test::RunCli("-q ingest " + ws + " " + tmp / "new.csv").exit_code, 0);
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    // Not the erased user's id, though it was the highest (SQLite gave it again before migration 11).
    ASSERT_EQ((*w)->db().QueryInt("SELECT id FROM users WHERE ext_id = 'newcomer77'"), last_id + 1);
  }
  auto update = test::RunCli("profile update " + ws);
  ASSERT_EQ(update.exit_code, 0) << update.err;
  auto show = test::RunCli("--json profile show " + ws + " --user newcomer77");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(nlohmann::json::parse(show.out)["behaviour"]["events"].get<int>(), 3) << show.out;
  EXPECT_NE(test::RunCli("profile show " + ws + " --user " + last).exit_code, 0);
}

}  // namespace
}  // namespace kgp
