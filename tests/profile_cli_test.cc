// Profile commands end to end through the CLI, audience rules (parser errors with positions,
// SQL results against the profiles), and the error paths a user can hit.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
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
  EXPECT_EQ(city->params[city->tag_params[0]].text, "Apple");  // case is settled against the store
}

TEST(ProfileRule, ErrorsNameTheColumn) {
  struct Case {
    const char* rule;
    const char* want;
  } cases[] = {
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
  };
  for (const auto& c : cases) {
    auto r = CompileRule(c.rule);
    ASSERT_FALSE(r.ok()) << c.rule;
    EXPECT_NE(r.status().message().find(c.want), std::string::npos) << c.rule << " -> " << r.status().message();
  }
}

// Random rules from the grammar's tokens, nested up to and past the limit: each either compiles
// to SQL that SQLite prepares over the profile tables, or fails with a column. A rule reaches
// the service too (POST /v1/audiences): deep nesting must be an error, not a stack overflow.
// Numbers as written elsewhere; a rule is conditions: values are compared with values of their
// type, and a tag names at most one kind.
TEST(ProfileRule, ValuesAreComparedByType) {
  for (const char* ok : {"events > 1e-5", "events > 1E2", "monetary <= 2.5e+3", "interest('x')", "not has('brand:a')"})
    EXPECT_TRUE(CompileRule(ok).ok()) << ok << ": " << CompileRule(ok).status().ToString();
  struct Case {
    const char* rule;
    const char* want;
  } cases[] = {
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
  };
  for (const auto& c : cases) {
    auto r = CompileRule(c.rule);
    ASSERT_FALSE(r.ok()) << c.rule;
    EXPECT_NE(r.status().message().find(c.want), std::string::npos) << c.rule << " -> " << r.status().message();
  }
  auto caret = CompileRule("city = '上海' and 上");
  EXPECT_NE(caret.status().message().find("\n  " + std::string(16, ' ') + "^"), std::string::npos) << caret.status().message();
  auto two = CompileRule("has('category:brand:apple')");
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->params.size(), 2u);
  EXPECT_EQ(two->params[0].text, "category");
  EXPECT_EQ(two->params[1].text, "brand:apple");
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
  EXPECT_NE(err.find("no profile has the tag 'no-such-brand'"), std::string::npos) << err;
  const int with = count("discount_response > 0.15"), without = count("not discount_response > 0.15");
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    ASSERT_GT((*w)->db().QueryInt("SELECT count(*) FROM profiles WHERE discount_response IS NULL"), 0);
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

TEST(ProfileCli, AnIdGivenAgainAfterAnErasureIsANewUser) {
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  ASSERT_EQ(test::RunCli("-q generate " + sample + " --users 40 --events 2000 --products 120 --seed 8").exit_code, 0);
  ASSERT_EQ(test::RunCli("-q init " + ws).exit_code, 0);
  for (const char* f : {"categories.csv", "brands.csv", "catalog.csv", "users.csv", "events.csv"})
    ASSERT_EQ(test::RunCli("-q ingest " + ws + " " + sample + "/" + f).exit_code, 0) << f;
  ASSERT_EQ(test::RunCli("-q graph build " + ws).exit_code, 0);
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
    ASSERT_EQ((*w)->db().QueryInt("SELECT id FROM users WHERE ext_id = 'newcomer77'"), last_id);  // the id given again
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
