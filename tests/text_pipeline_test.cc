// The text stage end to end through the CLI: a generated shop, text extract, graph build picks
// up the edges; train-ner / ner on a generated BIO file; bad input lines are counted.
#include <gtest/gtest.h>

#include <set>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "store/schema.h"
#include "store/text_store.h"
#include "text/extract.h"
#include "text/extract_stage.h"
#include "text/gazetteer.h"
#include "store/workspace.h"
#include "test_util.h"

namespace kgp {
namespace {

TEST(TextPipeline, ExtractAddsEvidencedEdgesThatTheGraphPicksUp) {
  test::TempDir tmp;
  std::string sample = tmp / "sample", ws = tmp / "ws";
  ASSERT_EQ(test::RunCli("-q generate " + sample + " --users 200 --events 20000 --products 300 --seed 3").exit_code, 0);
  ASSERT_EQ(test::RunCli("-q init " + ws).exit_code, 0);
  auto ing = test::RunCli("-q ingest " + ws + " " + sample + "/categories.csv " + sample + "/brands.csv " + sample +
                          "/catalog.csv " + sample + "/users.csv " + sample + "/events.csv " + sample + "/reviews.jsonl");
  ASSERT_EQ(ing.exit_code, 0) << ing.err;
  {  // a bad text: empty body after ingest is impossible, so put one in directly
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    EXPECT_EQ((*w)->db().QueryInt("PRAGMA user_version"), LatestSchemaVersion());
    (*w)->db().ExecOrThrow("INSERT INTO texts(key, kind, body) VALUES(-1, 'review', '   ')");
  }
  auto ex = test::RunCli("--json text extract " + ws);
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  auto j = nlohmann::json::parse(ex.out);
  EXPECT_EQ(j["skipped"].get<int>(), 1);
  EXPECT_GT(j["edges_by_relation"]["MENTIONS"].get<int>(), 100);
  EXPECT_GT(j["edges_by_relation"]["MADE_BY"].get<int>(), 100);
  EXPECT_GT(j["mentions_with_sentiment"].get<int>(), 50);
  {
    auto w = Workspace::Open(ws);
    Db& db = (*w)->db();
    // Every edge cites a span of its source text that reads as the surface.
    Stmt st = db.Prepare(
        "SELECT e.span_begin, e.span_end, e.surface, coalesce(i.title, CASE WHEN t.title IS NULL OR t.title = '' "
        "THEN t.body ELSE t.title || '. ' || t.body END) FROM text_edges e LEFT JOIN items i ON e.source='item' AND "
        "i.id=e.source_id LEFT JOIN texts t ON e.source='text' AND t.id=e.source_id LIMIT 500");
    int n = 0;
    while (st.Step()) {
      std::string src(st.Text(3));
      ASSERT_LE(st.Int(1), static_cast<int64_t>(src.size()));
      EXPECT_EQ(src.substr(st.Int(0), st.Int(1) - st.Int(0)), st.Text(2));
      ++n;
    }
    EXPECT_GE(n, 400);  // enough edges checked (the shop has about 490 here)
    // Reviews that rate low mention things negatively more often than reviews that rate high.
    double low = 0, high = 0;
    Stmt s2 = db.Prepare(
        "SELECT avg(CASE WHEN t.rating <= 2 THEN e.sentiment END), avg(CASE WHEN t.rating >= 4 THEN e.sentiment END) "
        "FROM text_edges e JOIN texts t ON e.source='text' AND t.id=e.source_id WHERE e.sentiment IS NOT NULL");
    ASSERT_TRUE(s2.Step());
    low = s2.Double(0);
    high = s2.Double(1);
    EXPECT_LT(low, high);
    EXPECT_GT(high, 0);
  }
  // Silver training data from the catalogue, and a tagger trained on it reads titles.
  auto bio = test::RunCli("--json text make-bio " + ws + " --out " + (tmp / "titles.bio"));
  ASSERT_EQ(bio.exit_code, 0) << bio.err;
  EXPECT_GT(nlohmann::json::parse(bio.out)["sentences"].get<int>(), 200);
  auto tr = test::RunCli("--json text train-ner " + (tmp / "titles.bio") + " --out " + (tmp / "t.bin") + " --epochs 3 --test " +
                         (tmp / "titles.bio"));
  ASSERT_EQ(tr.exit_code, 0) << tr.err;
  EXPECT_GE(nlohmann::json::parse(tr.out)["test"]["f1"].get<double>(), 0.95);
  auto ex2 = test::RunCli("--json text extract " + ws + " --tagger " + (tmp / "t.bin"));
  ASSERT_EQ(ex2.exit_code, 0) << ex2.err;
  auto build = test::RunCli("--json graph build " + ws);
  ASSERT_EQ(build.exit_code, 0) << build.err;
  auto bj = nlohmann::json::parse(build.out);
  EXPECT_GT(bj["edges_by_type"]["MENTIONS"].get<int>(), 100);
  // Counts are of stored edges: a brand mentioned in two reviews by one user is one edge.
  uint64_t sum = 0;
  for (const auto& [t, c] : bj["edges_by_type"].items()) sum += c.get<uint64_t>();
  EXPECT_EQ(sum, bj["edges"].get<uint64_t>());
  auto nb = test::RunCli("--json graph stats " + ws);
  ASSERT_EQ(nb.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(nb.out)["edges_by_type"], bj["edges_by_type"]);
}

// A new workspace at tmp/ws with `catalog` ingested as catalog.csv; its path.
std::string CatalogWorkspace(const test::TempDir& tmp, const std::string& catalog) {
  const std::string ws = tmp / "ws";
  test::WriteFile(tmp / "catalog.csv", catalog);
  EXPECT_EQ(test::RunCli("-q init " + ws).exit_code, 0);
  EXPECT_EQ(test::RunCli("-q ingest " + ws + " " + (tmp / "catalog.csv")).exit_code, 0);
  return ws;
}

// Two titles tagged (brands HPPX, products HCCX), 60 times over: a tagger learns them in 3 epochs.
std::string TitlesBio() {
  std::string bio;
  for (int i = 0; i < 60; ++i)
    bio += "新 O\n款 O\n华 B-HPPX\n为 I-HPPX\n手 B-HCCX\n机 I-HCCX\n\n小 B-HPPX\n米 I-HPPX\n耳 B-HCCX\n机 I-HCCX\n包 O\n邮 O\n\n";
  return bio;
}

// A title adds to the catalogue what it lacks, never a second brand, another value of a key the
// catalogue states, or a value it states under another key.
TEST(TextPipeline, TitleFactsTheCatalogueContradictsAreLeftOut) {
  test::TempDir tmp;
  const std::string ws = CatalogWorkspace(tmp,
                  "product_id,title,category_path,brand,price,attributes\n"
                  "bar,\"Dove chocolate bar, vanilla\",food.snacks.chocolate,dove,9,flavor=vanilla\n"
                  "cocoa,Dove cocoa drink,food.drinks.cocoa,dove,12,flavor=chocolate\n"
                  "washer,Haier washer 10kg,appliances.washer,haier,2999,capacity=10kg\n"
                  "rice,Golden rice 10kg,food.grocery.rice,arawana,59,weight=10kg\n"
                  "tv,TCL 43英寸 电视,electronics.tv,tcl,1999,screen=43in\n"
                  "shoe,Li Ning runner,apparel.shoes.running,lining,399,size=43\n"
                  "phones,Sony headphones black for Apple iPhone,electronics.audio,sony,599,\n"
                  "case,Apple case,electronics.accessories,apple,99,color=black\n");
  auto ex = test::RunCli("--json text extract " + ws);
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  // bar: flavor=chocolate, washer: weight=10kg, tv: size=43, phones: MADE_BY apple. Facts the
  // catalogue states already (rice: weight=10kg) are dropped without counting.
  EXPECT_EQ(nlohmann::json::parse(ex.out)["title_edges_against_catalogue"].get<int>(), 4);
  auto w = Workspace::Open(ws);
  ASSERT_TRUE(w.ok());
  const auto edges = [&](const char* product) {
    std::set<std::string> out;
    Stmt st = (*w)->db().Prepare(
        "SELECT e.relation || ' ' || e.target_key FROM text_edges e JOIN items i ON e.source = 'item' AND i.id = e.source_id "
        "WHERE i.ext_id = ?");
    st.Bind(1, std::string_view(product));
    while (st.Step()) out.emplace(st.Text(0));
    return out;
  };
  EXPECT_FALSE(edges("bar").count("HAS_ATTRIBUTE flavor=chocolate"));
  EXPECT_FALSE(edges("washer").count("HAS_ATTRIBUTE weight=10kg"));
  EXPECT_FALSE(edges("tv").count("HAS_ATTRIBUTE size=43"));
  const auto phones = edges("phones");
  EXPECT_TRUE(phones.count("MADE_BY sony"));
  EXPECT_FALSE(phones.count("MADE_BY apple"));  // a product for Apple phones, not by Apple
  EXPECT_TRUE(phones.count("HAS_ATTRIBUTE color=black"));  // the catalogue gives no colour: the title may
}

// The catalogue's names as reviews write them: a category by its code's words and its English
// name in the singular ("rice cooker" is not the category rice); no everyday word ("at all")
// and no bare number ("10 stars") as an attribute value.
TEST(TextPipeline, ReviewsMeetCategoriesByTheirOwnNamesAndNotByEverydayWords) {
  test::TempDir tmp;
  const std::string ws = tmp / "ws";
  test::WriteFile(tmp / "categories.csv", "code,name_en,name_zh,parent_code\n"
                                          "appliances,Appliances,家电,\nappliances.cooker,Rice cookers,电饭煲,appliances\n"
                                          "appliances.robot_vacuum,Robotic cleaners,扫地机器人,appliances\n"
                                          "food,Food,食品,\nfood.rice,Rice,大米,food\n");
  test::WriteFile(tmp / "catalog.csv", "product_id,title,category_path,brand,price,attributes\n"
                                       "c1,Midea cooker,appliances.cooker,midea,299,capacity=10\n"
                                       "r1,Golden rice,food.rice,arawana,59,skin_type=all\n");
  ASSERT_EQ(test::RunCli("-q init " + ws).exit_code, 0);
  ASSERT_EQ(test::RunCli("-q ingest " + ws + " " + (tmp / "categories.csv") + " " + (tmp / "catalog.csv")).exit_code, 0);
  auto w = Workspace::Open(ws);
  ASSERT_TRUE(w.ok());
  text::Gazetteer names;
  for (auto& n : LoadCatalogueNames((*w)->db())) names.Add({n.name, n.type, n.key, n.context, n.prior});
  names.Build();
  text::Extractor ex(&names, nullptr, nullptr);
  auto edges = ex.Extract("My rice cooker makes great rice, not at all noisy. 10 stars! The robot vacuum too.",
                          text::TextKind::kReview);
  ASSERT_TRUE(edges.ok());
  std::vector<std::string> got;
  for (const auto& e : *edges) got.push_back(e.surface + " -> " + e.target_key);
  EXPECT_EQ(got, (std::vector<std::string>{"rice cooker -> appliances.cooker", "rice -> food.rice",
                                           "robot vacuum -> appliances.robot_vacuum"}));
}

// A run without the tagger after one with it leaves no Entity of the first run behind; the
// KG's entities (no type) and those still named stay.
TEST(TextPipeline, ARerunDropsEntitiesNoEdgeNamesAnyMore) {
  test::TempDir tmp;
  auto w = Workspace::Init(tmp / "ws", {});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  Db& db = (*w)->db();
  db.ExecOrThrow("INSERT INTO entities(name) VALUES('m.01'), ('m.02'); INSERT INTO relations(name) VALUES('r');"
                 "INSERT INTO entities(name, type) VALUES('brand:used-by-kg', 'brand');"
                 "INSERT INTO triples(head, relation, tail) VALUES(1, 1, 3)");
  auto edge = [](const std::string& key) {
    return TextEdgeRow{"item", 1, "MENTIONS", "entity", key, "product", 0, 3, "abc", std::nullopt, "tagger"};
  };
  ASSERT_TRUE(ReplaceTextResults(db, {edge("product:abc"), edge("product:xyz")}, {}, {}).ok());
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM entities WHERE name LIKE 'product:%'"), 2);
  ASSERT_TRUE(ReplaceTextResults(db, {edge("product:xyz")}, {}, {}).ok());
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM entities WHERE name = 'product:abc'"), 0);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM entities WHERE name = 'product:xyz'"), 1);
  ASSERT_TRUE(ReplaceTextResults(db, {}, {}, {}).ok());
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM entities WHERE name LIKE 'product:%'"), 0);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM entities"), 3);  // m.01, m.02 and the one a triple uses
}

// A text erased while extraction ran (read before the erasure, written after) leaves nothing of
// its words: its spans, sentiment, reject and the entity only it named are dropped at commit.
TEST(TextPipeline, ResultsOfATextErasedMeanwhileAreDropped) {
  test::TempDir tmp;
  auto w = Workspace::Init(tmp / "ws", {});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  Db& db = (*w)->db();
  db.ExecOrThrow("INSERT INTO texts(id, key, kind, body) VALUES(5, 5, 'review', 'kept words')");
  auto edge = [](int64_t id, const std::string& key) {
    return TextEdgeRow{"text", id, "MENTIONS", "entity", key, "product", 0, 5, "words", 0.5, "tagger"};
  };
  // Text 6 was erased after extraction read it.
  ASSERT_TRUE(ReplaceTextResults(db, {edge(5, "product:kept"), edge(6, "product:erased")},
                                 {{5, 0.5, "lexicon"}, {6, -0.5, "lexicon"}}, {{"text", 6, "too long"}})
                  .ok());
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM text_edges WHERE source_id = 5"), 1);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM text_edges WHERE source_id = 6"), 0);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM text_sentiment"), 1);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM text_sentiment WHERE text_id = 5"), 1);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM text_rejects"), 0);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM entities WHERE name = 'product:erased'"), 0);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM entities WHERE name = 'product:kept'"), 1);
}

// A run in which every text is skipped keeps the stored results and is an error saying why:
// --max-bytes 0 skipped all and emptied text_edges and text_sentiment with exit code 0, and -1
// wrapped to no limit. The option is 1 .. 16 MiB; the stage checks it for callers in code too.
TEST(TextPipeline, ExtractKeepsResultsWhenEveryTextIsSkipped) {
  test::TempDir tmp;
  const std::string ws = CatalogWorkspace(tmp, "product_id,title,category_path,brand,price,attributes\n"
                                               "washer,Haier washer 10kg,appliances.washer,haier,2999,\n"
                                               "tv,TCL 43in TV,electronics.tv,tcl,1999,\n");
  ASSERT_EQ(test::RunCli("-q text extract " + ws).exit_code, 0);
  auto edges = [&] {
    auto w = Workspace::Open(ws);
    return w.ok() ? (*w)->db().QueryInt("SELECT count(*) FROM text_edges") : -1;
  };
  const int64_t before = edges();
  ASSERT_GT(before, 0);
  auto r = test::RunCli("text extract " + ws + " --max-bytes 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("text extract: all 2 texts were skipped (too long: 2); the results of the last run are kept"),
            std::string::npos) << r.err;
  EXPECT_EQ(edges(), before);
  for (const char* bad : {"0", "-1", "16777217", "18446744073709551615"}) {
    r = test::RunCli("text extract " + ws + " --max-bytes " + bad);
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_NE(r.err.find(std::string("--max-bytes: Value ") + bad + " not in range 1 to 16777216"), std::string::npos)
        << r.err;
  }
  EXPECT_EQ(edges(), before);
  auto w = Workspace::Open(ws);
  ASSERT_TRUE(w.ok());
  text::ExtractStageOptions o;
  o.max_bytes = 0;
  EXPECT_EQ(text::RunTextExtract((*w)->db(), o, nullptr).message(), "max_bytes = 0: must be from 1 to 16777216");
}

// One text names at most --max-targets distinct things, the first ones in text order (a review
// listing a hundred brands gave its writer a hundred entity interests), and each at most
// --max-mentions times (a 60 KB review repeating a name gave 10,000 mentions).
TEST(TextPipeline, ATextNamesAtMostMaxTargetsThingsEachAtMostMaxMentionsTimes) {
  test::TempDir tmp;
  std::string catalog = "product_id,title,category_path,brand,price,attributes\n", review = "I compared ";
  std::vector<std::string> brands;
  for (char a = 'a'; a < 'e'; ++a)
    for (char b = 'a'; b <= 'y'; ++b) brands.push_back(std::string("zorb") + a + b);  // 100
  for (size_t i = 0; i < brands.size(); ++i) {
    catalog += fmt::format("p{},Widget {},home.widget,{},10,\n", i, i, brands[i]);
    review += brands[i] + (i + 1 < brands.size() ? ", " : " and kept none.");
  }
  const std::string ws = CatalogWorkspace(tmp, catalog);
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    (*w)->db().ExecOrThrow("INSERT INTO texts(key, kind, body) VALUES(-2, 'review', '" + review + "')");
  }
  auto named = [&] {  // the distinct brands the review's edges name, in text order
    std::vector<std::string> v;
    auto w = Workspace::Open(ws);
    EXPECT_TRUE(w.ok());
    if (!w.ok()) return v;
    Stmt st = (*w)->db().Prepare(
        "SELECT e.target_key FROM text_edges e JOIN texts t ON e.source = 'text' AND t.id = e.source_id "
        "WHERE t.key = -2 GROUP BY e.target_key ORDER BY min(e.span_begin)");
    while (st.Step()) v.emplace_back(st.Text(0));
    return v;
  };
  auto r = test::RunCli("--json text extract " + ws + " --max-targets 10");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["texts_over_max_targets"], 1) << r.out;
  EXPECT_EQ(j["edges_over_max_targets"], 90) << r.out;
  const std::vector<std::string> ten = named();
  ASSERT_EQ(ten.size(), 10u);
  for (size_t i = 0; i < ten.size(); ++i) EXPECT_NE(ten[i].find(brands[i]), std::string::npos) << i << ": " << ten[i];
  r = test::RunCli("--json text extract " + ws);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(named().size(), 64u) << "the default";
  EXPECT_EQ(nlohmann::json::parse(r.out)["edges_over_max_targets"], 36);
  r = test::RunCli("text extract " + ws + " --max-targets 0");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--max-targets: Value 0 not in range 1 to 100000"), std::string::npos) << r.err;
  // One thing named 20 times in one text: its first --max-mentions mentions (each adds to the
  // writer's edge to it).
  std::string repeated = "Great";
  for (int i = 0; i < 20; ++i) repeated += ", " + brands[0];
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    (*w)->db().ExecOrThrow("UPDATE texts SET body = '" + repeated + "' WHERE key = -2");
  }
  r = test::RunCli("--json text extract " + ws + " --max-mentions 5");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["edges_over_max_mentions"], 15) << r.out;
  auto w = Workspace::Open(ws);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->db().QueryInt("SELECT count(*) FROM text_edges e JOIN texts t ON e.source = 'text' AND "
                                "t.id = e.source_id WHERE t.key = -2"),
            5);
}

// The other numeric options of the text commands are range-checked by name: a seed of -1
// wrapped to 2^64 - 1, --epochs 0 and --hash-bits 40 were refused by the trainer without naming
// the option.
TEST(TextPipeline, TrainOptionsOutOfRangeAreRefusedByName) {
  test::TempDir tmp;
  test::WriteFile(tmp / "t.bio", "华 B-HPPX\n为 I-HPPX\n\n");
  test::WriteFile(tmp / "s.csv", "label,review\n1,好\n0,差\n");
  const std::string ner = "text train-ner " + (tmp / "t.bio") + " --out " + (tmp / "m.bin") + " ";
  const std::string sent = "text train-sentiment " + (tmp / "s.csv") + " --out " + (tmp / "s.bin") + " ";
  const std::pair<std::string, std::string> cases[] = {
      {ner + "--seed -1", "--seed: must be a whole number of 0 or more (digits only), not '-1'"},
      {ner + "--epochs 0", "--epochs: Value 0 not in range 1 to 10000"},
      {ner + "--hash-bits 40", "--hash-bits: Value 40 not in range 10 to 26"},
      {sent + "--split-seed -5", "--split-seed: must be a whole number of 0 or more (digits only), not '-5'"},
      {sent + "--hash-bits 9", "--hash-bits: Value 9 not in range 10 to 26"},
      {"text extract " + (tmp / "ws") + " --tagger-on everything", "--tagger-on: everything not in {titles,reviews,all}"},
  };
  for (const auto& [args, want] : cases) {
    auto r = test::RunCli(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_NE(r.err.find(want), std::string::npos) << args << ": " << r.err;
  }
}

// "N entities from the tagger" counts entities, each once however many titles name it (it
// counted edges, model= attributes included: 32 printed for 24 rows of entities); the edges are
// reported beside them.
TEST(TextPipeline, ExtractCountsTaggerEntitiesOnce) {
  test::TempDir tmp;
  test::WriteFile(tmp / "train.txt", TitlesBio());
  ASSERT_EQ(test::RunCli("-q text train-ner " + (tmp / "train.txt") + " --out " + (tmp / "m.bin") + " --epochs 3")
                .exit_code, 0);
  const std::string ws = CatalogWorkspace(tmp, "product_id,title,category_path,brand,price,attributes\n"
                                               "p1,新款华为手机,phones,,999,\np2,华为手机包邮,phones,,999,\n"
                                               "p3,小米耳机包邮,audio,,99,\n");
  auto ex = test::RunCli("--json text extract " + ws + " --tagger " + (tmp / "m.bin"));
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  auto j = nlohmann::json::parse(ex.out);
  auto w = Workspace::Open(ws);
  ASSERT_TRUE(w.ok());
  Db& db = (*w)->db();
  // brand:华为, product:手机, brand:小米, product:耳机; 华为 and 手机 in two titles each.
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM entities WHERE type IS NOT NULL"), 4);
  EXPECT_EQ(j["tagger_entities"].get<int>(), 4) << j.dump();
  EXPECT_EQ(j["tagger_edges"].get<int>(), db.QueryInt("SELECT count(*) FROM text_edges WHERE method = 'tagger'"));
  EXPECT_EQ(j["tagger_edges"].get<int>(), 6) << j.dump();
  auto text = test::RunCli("text extract " + ws + " --tagger " + (tmp / "m.bin"));
  EXPECT_NE(text.out.find("4 entities from the tagger (6 edges)"), std::string::npos) << text.out;
}

TEST(TextPipeline, TrainNerAndTagThroughTheCli) {
  test::TempDir tmp;
  test::WriteFile(tmp / "train.txt", TitlesBio());
  auto tr = test::RunCli("--json text train-ner " + (tmp / "train.txt") + " --out " + (tmp / "m.bin") + " --epochs 3 --test " +
                         (tmp / "train.txt"));
  ASSERT_EQ(tr.exit_code, 0) << tr.err;
  EXPECT_GE(nlohmann::json::parse(tr.out)["test"]["f1"].get<double>(), 0.99);
  test::WriteFile(tmp / "in.txt", "新款华为手机\n\nbad \xFF line\n小米耳机包邮\n");
  auto ner = test::RunCli("text ner " + (tmp / "m.bin") + " " + (tmp / "in.txt"));
  ASSERT_EQ(ner.exit_code, 0) << ner.err;
  EXPECT_NE(ner.out.find("HPPX:华为\tHCCX:手机"), std::string::npos) << ner.out;
  EXPECT_NE(ner.out.find("HPPX:小米"), std::string::npos) << ner.out;
  EXPECT_NE(ner.err.find("2 lines skipped"), std::string::npos) << ner.err;
  auto bad = test::RunCli("text ner " + (tmp / "train.txt") + " " + (tmp / "in.txt"));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("not a kgprofile tagger model"), std::string::npos) << bad.err;
}

// --test-fraction 2 aborted with heap corruption, -1/nan/0 printed an accuracy of 0 on 0 texts,
// --epochs 0 saved an untrained model: each is refused naming the option, and 0 says so.
TEST(TextPipeline, TrainSentimentRefusesOptionsOutOfRange) {
  test::TempDir tmp;
  std::string csv = "label,review\n";
  for (int i = 0; i < 20; ++i) csv += "1,很好用，满意\n0,质量很差，退货\n";
  test::WriteFile(tmp / "s.csv", csv);
  const std::string base = "text train-sentiment " + (tmp / "s.csv") + " --out " + (tmp / "s.bin") + " --hash-bits 12 ";
  for (std::string bad : {"--test-fraction 2", "--test-fraction 1", "--test-fraction -1", "--test-fraction nan",
                          "--test-fraction inf", "--epochs 0", "--epochs -3"}) {
    auto r = test::RunCli(base + bad);
    EXPECT_NE(r.exit_code, 0) << bad << ": " << r.err;
    EXPECT_NE(r.err.find(bad.substr(0, bad.find(' '))), std::string::npos) << bad << ": " << r.err;
  }
  auto none = test::RunCli(base + "--test-fraction 0");
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_NE(none.out.find("no held-out texts"), std::string::npos) << none.out;
  EXPECT_EQ(none.out.find("accuracy 0.0000"), std::string::npos) << none.out;
}

// Output line n is input line n: a line that cannot be read is an empty line, and a BOM is
// no part of the first text.
TEST(TextPipeline, NormalizeWritesOneLinePerInputLine) {
  test::TempDir tmp;
  test::WriteFile(tmp / "in.txt", "\xEF\xBB\xBFＡＢＣ\nok\r\nbad \xFF line\n\n华为　手机\nlast\n" +
                                     std::string(70000, 'x') + "\n");
  auto r = test::RunCli("text normalize " + (tmp / "in.txt"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines;
  for (size_t b = 0, e; (e = r.out.find('\n', b)) != std::string::npos; b = e + 1) lines.push_back(r.out.substr(b, e - b));
  ASSERT_EQ(lines.size(), 7u) << r.err;
  EXPECT_EQ(lines[0].substr(0, lines[0].find('\t')), "ABC");
  EXPECT_EQ(lines[1].substr(0, 2), "ok");
  EXPECT_EQ(lines[2], "");
  EXPECT_EQ(lines[4].substr(0, lines[4].find('\t')), "华为 手机");
  EXPECT_EQ(lines[5].substr(0, 4), "last");
  EXPECT_EQ(lines[6], "");  // the documented 64 KiB limit
  EXPECT_NE(r.err.find("in.txt:3: skipped"), std::string::npos) << r.err;  // the file named
  EXPECT_NE(r.err.find("in.txt:7: skipped (over 64 KiB)"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace kgp
