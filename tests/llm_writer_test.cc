// The language-model tasks on a generated shop whose users carry names, phones, addresses and
// phone-like ids: no prompt sent to any backend holds them (captured through a mock server and
// a recording backend); the template backend is deterministic, varied, bilingual and fully
// faithful by the independent claim checker; hand-made hallucinations (wrong brand, wrong
// price, invented discount, zh and en) are removed; the cache hits and misses; refresh
// regenerates only users whose tags moved; the KAR features are measured in the holdout.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "common/pii.h"
#include "common/progress.h"
#include "common/strings.h"
#include "graph/builder.h"
#include "graph/names.h"
#include "ingest/generator.h"
#include "ingest/ingest.h"
#include "llm/cache.h"
#include "llm/kar.h"
#include "llm/lexicon.h"
#include "llm/openai.h"
#include "llm/prompts.h"
#include "llm/template_backend.h"
#include "llm/writer.h"
#include "llm_mock_server.h"
#include "profile/pipeline.h"
#include "recommend/explain.h"
#include "recommend/pipeline.h"
#include "store/workspace.h"
#include "test_util.h"

namespace kgp::llm {
namespace {

// An LLM text written for a user erased meanwhile is not stored (llm_texts would name them again).
TEST(LlmCache, NoTextIsStoredForAUserNoLongerStored) {
  test::TempDir tmp;
  auto w = Workspace::Init(tmp / "ws", {});
  ASSERT_TRUE(w.ok());
  Db& db = (*w)->db();
  ASSERT_TRUE(db.Exec("INSERT INTO users(id, ext_id) VALUES(5, 'u5')").ok());
  TextCache cache(db);
  for (uint32_t user : {5u, 6u}) {
    StoredText t;
    t.task = "summary", t.user = user, t.lang = "en", t.backend = "template", t.model = "m", t.text = "x";
    cache.Put(t);
    EXPECT_EQ(t.id != 0, user == 5) << user;
  }
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM llm_texts"), 1);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM llm_texts WHERE user_id = 6"), 0);
}

// Records every request, answers like the template backend.
class RecordingBackend : public Backend {
 public:
  std::string Name() const override { return "recording"; }
  std::string Model() const override { return "rec-1"; }
  Result<Completion> Complete(const ChatRequest& req) override {
    for (const auto& m : req.messages) sent.push_back(m.content);
    return inner.Complete(req);
  }
  std::vector<std::string> sent;
  TemplateBackend inner;
};

// The street address users 0 and 1 have in their city field (that of user 0).
constexpr const char* kSharedAddress = "上海市浦东新区世纪大道100号";
// Two more users with an address as their city, no other demographics, and one view each of
// the same item: the explanation of that item for one of them can only pass through the city.
constexpr const char* kEnglishAddress = "221B Baker Street Flat 3";
constexpr const char* kAddressUsers[] = {"900000001", "900000002"};

struct PiiUser {
  std::string ext, name, phone, address, email;
};

class LlmWriterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Progress::SetEnabled(false);
    SetLogLevel(LogLevel::kWarn);
    tmp_ = new test::TempDir();
    GeneratorOptions g;
    g.users = 200, g.events = 24000, g.products = 400, g.seed = 7;
    g.out_dir = *tmp_ / "sample";
    ASSERT_TRUE(Generate(g, nullptr).ok());
    // Give the first 12 users personal data: phone-number ids, names, phones, addresses,
    // e-mails (extra columns the reader ignores) and for two the same address in the city field
    // (a city node two shoppers share: explanations may pass through it).
    std::map<std::string, std::string> rename;
    {
      std::ifstream in(g.out_dir + "/users.csv");
      std::string header, line, out;
      std::getline(in, header);
      out = header + ",name,phone,address,email\n";
      int i = 0;
      while (std::getline(in, line)) {
        auto f = Split(line, ',');
        std::string ext(f[0]);
        if (i < 12) {
          PiiUser u{fmt::format("139{:08d}", 20240000 + i), fmt::format("张伟{}", i), fmt::format("1380013{:04d}", i),
                    fmt::format("上海市浦东新区世纪大道{}号", 100 + i), fmt::format("user{}@example.com", i)};
          rename[ext] = u.ext;
          std::string rest(line.substr(f[0].size()));
          if (i < 2) {  // city column (4th) holds a street address
            auto cols = Split(line, ',');
            rest = fmt::format(",{},{},{},{},{}", cols[1], cols[2], kSharedAddress, cols[4], cols[5]);
          }
          out += u.ext + rest + fmt::format(",{},{},{},{}\n", u.name, u.phone, u.address, u.email);
          pii_.push_back(u);
        } else {
          out += line + ",,,,\n";
        }
        ++i;
      }
      // Two shoppers known only by an address in their city field and one viewed item (below).
      for (const char* id : kAddressUsers) out += fmt::format("{},,,{},,,,,,\n", id, kEnglishAddress);
      test::WriteFile(g.out_dir + "/users.csv", out);
    }
    {
      std::ifstream in(g.out_dir + "/events.csv");
      std::string line, out;
      std::getline(in, line);
      out = line + "\n";
      while (std::getline(in, line)) {
        auto f = Split(line, ',');
        if (address_item_.empty() && f[1] == "view") {  // the item the two shoppers at an address viewed
          address_item_ = std::string(f[2]);
          for (const char* id : kAddressUsers) {
            std::string l;
            for (size_t k = 0; k < f.size(); ++k) l += (k ? "," : "") + (k == 7 ? std::string(id) : std::string(f[k]));
            out += l + "\n";
          }
        }
        auto it = rename.find(std::string(f[7]));
        if (it == rename.end()) {
          out += line + "\n";
          continue;
        }
        std::string l;
        for (size_t k = 0; k < f.size(); ++k) l += (k ? "," : "") + (k == 7 ? it->second : std::string(f[k]));
        out += l + "\n";
      }
      test::WriteFile(g.out_dir + "/events.csv", out);
    }
    ws_ = test::IngestedWorkspace(*tmp_ / "ws", test::ShopFiles(g.out_dir)).release();
    ASSERT_TRUE(ws_);
    auto ctx = LoadProfileContext(*ws_);
    ASSERT_TRUE(ctx.ok());
    ASSERT_TRUE(BuildAllProfiles(*ws_, *ctx, ProfileOptions{}, ClusterOptions{}, 2).ok());
    auto s = Session::Open(*ws_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    session_ = s->release();
    auto ps = session_->LoadAllProfiles();
    ASSERT_TRUE(ps.ok());
    profiles_ = new std::vector<Profile>(std::move(*ps));
    std::stable_sort(profiles_->begin(), profiles_->end(), [](const Profile& a, const Profile& b) { return a.events > b.events; });
  }
  static void TearDownTestSuite() {
    delete profiles_;
    delete session_;
    delete ws_;
    delete tmp_;
  }
  static const Profile* Find(const std::string& ext) {
    for (const Profile& p : *profiles_)
      if (p.ext_id == ext) return &p;
    return nullptr;
  }
  static int64_t TopItem(const Profile& p) {
    auto rc = session_->Recommender();
    EXPECT_TRUE(rc.ok()) << rc.status().ToString();
    if (!rc.ok()) return -1;
    auto top = (*rc)->engine->Recommend(p.user, 1);
    return top.empty() ? -1 : static_cast<int64_t>(top[0].item);
  }
  static test::TempDir* tmp_;
  static Workspace* ws_;
  static Session* session_;
  static std::vector<Profile>* profiles_;
  static std::vector<PiiUser> pii_;
  static std::string address_item_;
};
test::TempDir* LlmWriterTest::tmp_ = nullptr;
Workspace* LlmWriterTest::ws_ = nullptr;
Session* LlmWriterTest::session_ = nullptr;
std::vector<Profile>* LlmWriterTest::profiles_ = nullptr;
std::vector<PiiUser> LlmWriterTest::pii_;
std::string LlmWriterTest::address_item_;

constexpr Task kTasks[] = {Task::kSummary, Task::kCopy, Task::kExplain, Task::kReason};

TEST_F(LlmWriterTest, PromptsAreVersionedAndEmbedded) {
  for (Task t : kTasks) {
    auto p = GetPrompt(TaskName(t));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->version, std::string(TaskName(t)) + "-v2");
    EXPECT_NE(p->user.find("{{facts}}"), std::string::npos);
    EXPECT_NE(p->user.find("TASK: {{task}}"), std::string::npos);
  }
  EXPECT_FALSE(ParsePrompt("x", "no version\n---system\na\n---user\nb").ok());
}

TEST_F(LlmWriterTest, SummaryAndCopyDoNotBuildTheRecommenderExplanationsDo) {
  // A per-user summary on a large shop must not read every event into the recommender.
  auto s = Session::Open(*ws_);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const Profile& p = profiles_->front();
  TemplateBackend t;
  WriterOptions o;
  o.use_cache = false;
  for (Task task : {Task::kSummary, Task::kCopy}) {
    auto text = (*s)->Generate(t, task, p, "en", -1, o);
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    EXPECT_FALSE(text->text.empty());
    EXPECT_EQ((*s)->rec().engine, nullptr) << TaskName(task);
  }
  const int64_t item = TopItem(p);  // the fixture's session, built already or now
  ASSERT_GE(item, 0);
  auto text = (*s)->Generate(t, Task::kExplain, p, "en", item, o);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  ASSERT_NE((*s)->rec().engine, nullptr);
  auto again = (*s)->Recommender();  // built once, then the same
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->engine.get(), (*s)->rec().engine.get());
}

// `llm explain` and `llm reason --user` build the engine for their user alone (ScopeEngine): the
// same texts as the whole engine's, and no co-visitation row beyond the user's latest items.
TEST_F(LlmWriterTest, AnEngineScopedToTheUserWritesTheSameExplanationAndReasoning) {
  const Profile& p = profiles_->front();
  const int64_t item = TopItem(p);
  ASSERT_GE(item, 0);
  auto s = Session::Open(*ws_);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  (*s)->ScopeEngine({.users = {p.user}, .items = {}});
  TemplateBackend t;
  WriterOptions o;
  o.use_cache = false;
  for (Task task : {Task::kExplain, Task::kReason}) {
    const int64_t it = task == Task::kExplain ? item : -1;
    auto want = session_->Generate(t, task, p, "en", it, o);
    auto got = (*s)->Generate(t, task, p, "en", it, o);
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->text, want->text) << TaskName(task);
  }
  const rec::Engine& scoped = *(*s)->rec().engine;
  const std::vector<uint32_t> seeds = scoped.RecentItems(p.user);
  uint32_t other = 0;
  while (std::find(seeds.begin(), seeds.end(), other) != seeds.end()) ++other;
  EXPECT_THROW(scoped.CoVisited(other), std::logic_error);
}

TEST_F(LlmWriterTest, ARecommenderThatCannotBeBuiltIsTriedOncePerSession) {
  ASSERT_TRUE(session_->Recommender().ok());  // the fixture's, built before the file goes bad
  const std::string model = ws_->dir() + "/models/recommend.json";
  ASSERT_FALSE(std::filesystem::exists(model));
  std::filesystem::create_directories(ws_->dir() + "/models");
  test::WriteFile(model, "{ not json");
  struct Remove {
    std::string path;
    ~Remove() { std::filesystem::remove(path); }
  } remove{model};
  auto s = Session::Open(*ws_);
  ASSERT_TRUE(s.ok()) << s.status().ToString();  // a summary does not need it
  auto first = (*s)->Recommender();
  ASSERT_FALSE(first.ok());
  EXPECT_NE(first.status().message().find("recommend.json"), std::string::npos) << first.status().ToString();
  std::filesystem::remove(model);
  // Not read again: each user of a batch gets the first error, not another load of every event.
  auto second = (*s)->Recommender();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().message(), first.status().message());
  auto fresh = Session::Open(*ws_);
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE((*fresh)->Recommender().ok());
}

TEST_F(LlmWriterTest, AOneUserSessionWritesWhatTheWholeGraphsSessionWrites) {
  // kgprofile llm summary / copy and profile show load the graph of the one user asked for.
  TemplateBackend t;
  WriterOptions o;
  o.use_cache = false;
  size_t compared = 0;
  for (size_t i = 0; i < profiles_->size(); i += profiles_->size() / 6 + 1) {
    const std::string ext = (*profiles_)[i].ext_id;
    auto part = Session::Open(*ws_, GraphLoadOptions{.users = std::vector<std::string>{ext}});
    ASSERT_TRUE(part.ok()) << part.status().ToString();
    ASSERT_TRUE((*part)->graph().partial());
    EXPECT_LT((*part)->graph().num_edges(), session_->graph().num_edges());
    auto whole_p = session_->LoadUserProfile(ext), part_p = (*part)->LoadUserProfile(ext);
    ASSERT_TRUE(whole_p.ok() && part_p.ok()) << ext;
    EXPECT_EQ(ToJson((*part)->graph(), *part_p, 20, 3), ToJson(session_->graph(), *whole_p, 20, 3)) << ext;
    for (Task task : {Task::kSummary, Task::kCopy})
      for (const char* lang : {"en", "zh"}) {
        auto a = session_->Generate(t, task, *whole_p, lang, -1, o);
        auto b = (*part)->Generate(t, task, ext, lang, "", o);
        ASSERT_TRUE(a.ok() && b.ok()) << ext << " " << TaskName(task);
        EXPECT_EQ(b->facts.Block(), a->facts.Block()) << ext << " " << TaskName(task) << " " << lang;
        EXPECT_EQ(b->text, a->text) << ext << " " << TaskName(task) << " " << lang;
        ++compared;
      }
    // Explanations need every user's edges: refused, not answered from a partial graph.
    auto rc = (*part)->Recommender();
    ASSERT_FALSE(rc.ok());
    EXPECT_NE(rc.status().message().find("whole graph"), std::string::npos) << rc.status().ToString();
  }
  EXPECT_GE(compared, 20u);
}

TEST_F(LlmWriterTest, WhatAUserPaidIsFoundByThePurchasesIndex) {
  // A summary reads up to three such prices: each must not read every event of the shop.
  Stmt plan = ws_->db().Prepare("EXPLAIN QUERY PLAN " + LastPaidPriceSql());
  std::string steps;
  while (plan.Step()) steps += std::string(plan.Text(3)) + "\n";
  EXPECT_NE(steps.find("USING INDEX events_purchases (user_id=? AND item_id=?)"), std::string::npos) << steps;
  // And it is the latest purchase's price.
  Stmt any = ws_->db().Prepare("SELECT user_id, item_id FROM events WHERE type = 3 AND price IS NOT NULL LIMIT 1");
  ASSERT_TRUE(any.Step());
  const int64_t user = any.Int(0), item = any.Int(1);
  Stmt want = ws_->db().Prepare(
      "SELECT price FROM events WHERE user_id = ? AND item_id = ? AND type = 3 AND price IS NOT NULL ORDER BY ts DESC LIMIT 1");
  want.Bind(1, user).Bind(2, item);
  ASSERT_TRUE(want.Step());
  Stmt got = ws_->db().Prepare(LastPaidPriceSql());
  got.Bind(1, user).Bind(2, item);
  ASSERT_TRUE(got.Step());
  EXPECT_EQ(got.Double(0), want.Double(0));
}

TEST_F(LlmWriterTest, NoPiiOrRawIdInAnyPromptSentToAnyBackend) {
  test::MockLlmServer server([](const httplib::Request&, httplib::Response& res, int) {
    res.set_content(test::CompletionJson("A short text."), "application/json");
  });
  BackendConfig c;
  c.base_url = server.url();
  c.backoff_s = 0.01;
  auto openai = OpenAiBackend::Create(c);
  ASSERT_TRUE(openai.ok());
  RecordingBackend recording;
  WriterOptions o;
  o.use_cache = false;
  size_t users = 0;
  for (const PiiUser& u : pii_) {
    const Profile* p = Find(u.ext);
    if (!p) continue;  // a user without events has no profile
    ++users;
    for (Task t : kTasks)
      for (const char* lang : {"zh", "en"}) {
        const int64_t item = t == Task::kExplain ? TopItem(*p) : -1;
        if (t == Task::kExplain && item < 0) continue;
        auto a = session_->Generate(**openai, t, *p, lang, item, o);
        ASSERT_TRUE(a.ok()) << a.status().ToString();
        auto b = session_->Generate(recording, t, *p, lang, item, o);
        ASSERT_TRUE(b.ok()) << b.status().ToString();
        EXPECT_EQ(a->facts.alias, session_->Alias(u.ext));
      }
  }
  ASSERT_GE(users, 8u);
  std::vector<std::string> sent = server.bodies();
  ASSERT_GT(sent.size(), 50u);
  sent.insert(sent.end(), recording.sent.begin(), recording.sent.end());
  for (const std::string& body : sent) {
    // JSON escapes non-ASCII; compare on the decoded text too.
    std::string decoded = body;
    if (auto j = nlohmann::json::parse(body, nullptr, false); !j.is_discarded()) decoded = j.dump(-1, ' ', false);
    for (const PiiUser& u : pii_)
      for (const std::string& v : {u.ext, u.name, u.phone, u.address, u.email}) {
        ASSERT_EQ(body.find(v), std::string::npos) << v;
        ASSERT_EQ(decoded.find(v), std::string::npos) << v;
      }
    EXPECT_FALSE(FindPii(decoded, {}).found()) << FindPii(decoded, {}).what << " in " << decoded.substr(0, 300);
  }
  EXPECT_TRUE(IsPiiField("phone_number"));
  EXPECT_TRUE(IsPiiField("ext_id"));
  EXPECT_FALSE(IsPiiField("category"));
}

TEST_F(LlmWriterTest, PromptHoldingARawIdIsRefused) {
  const Profile& p = profiles_->front();
  auto facts = session_->Facts(Task::kSummary, p, "en", -1, {});
  ASSERT_TRUE(facts.ok());
  facts->alias = p.ext_id;  // as if a bug put the raw id in
  TemplateBackend t;
  auto r = session_->Run(t, Task::kSummary, *facts, "en", p.user, -1, session_->PiiValues(p), {}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kAborted);
}

// An address stored as a city is never stated, in any fact: the explain task's cohort
// sentences ("a shopper who also lives in …", 一位同样常住…的顾客) go through the filter the
// user fact uses, and say "your city" instead.
TEST_F(LlmWriterTest, AnAddressInTheCityFieldIsNeverStatedInExplanations) {
  const Profile* p = Find(kAddressUsers[0]);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->city, kEnglishAddress);
  const auto item = session_->rec().catalog->FindItem(address_item_);
  ASSERT_TRUE(item);
  TemplateBackend t;
  WriterOptions o;
  o.use_cache = false;
  for (const char* lang : {"zh", "en"}) {
    auto f = session_->Facts(Task::kExplain, *p, lang, *item, {});
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    const std::string block = f->Block();
    EXPECT_EQ(block.find("Baker"), std::string::npos) << block;
    EXPECT_NE(block.find("| kind=cohort | zh=一位与您同城的顾客也浏览过"), std::string::npos) << block;
    EXPECT_NE(block.find("en=A shopper from your city also viewed"), std::string::npos) << block;
    auto text = session_->Generate(t, Task::kExplain, *p, lang, *item, o);
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    EXPECT_EQ(text->text.find("Baker"), std::string::npos) << text->text;
  }
  // The two users sharing a Chinese address: none of their explanations states it either.
  const Profile* q = Find(pii_[0].ext);
  ASSERT_TRUE(q);
  ASSERT_EQ(q->city, kSharedAddress);
  auto rc = session_->Recommender();
  ASSERT_TRUE(rc.ok()) << rc.status().ToString();
  for (const auto& r : (*rc)->engine->Recommend(q->user, 20)) {
    auto f = session_->Facts(Task::kExplain, *q, "zh", r.item, {});
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->Block().find("世纪大道"), std::string::npos) << f->Block();
  }
}

// A short user id is matched as a whole token, never inside a longer number or id.
TEST(LlmPii, ValuesMatchAsWholeTokens) {
  const std::vector<std::string> id = {"409", "user:409"};
  for (const char* text : {"price=1409", "price=4090", "price=409.50", "price=1,409", "sku A409B", "x_409", "409g"})
    EXPECT_FALSE(FindPii(text, id).found()) << text;
  for (const char* text : {"price=409", "id 409.", "价格409元", "(409)", "see user:409"}) EXPECT_TRUE(FindPii(text, id).found()) << text;
  EXPECT_TRUE(FindPii("上海市浦东新区世纪大道100号旁", std::vector<std::string>{"世纪大道100号"}).found());
}

// A short user id that equals a price or count the facts state is not a leak: the prompt is
// sent. The same id in a sentence of the facts (worded from reviews or posts) is still refused.
TEST_F(LlmWriterTest, AShortIdEqualToAFactNumberIsNoLeakButElsewhereItIs) {
  const Profile& p = profiles_->front();
  auto facts = session_->Facts(Task::kSummary, p, "en", -1, {});
  ASSERT_TRUE(facts.ok());
  size_t numbers = 0;
  for (Fact& f : facts->facts)
    for (auto& [k, v] : f.fields)
      if (k == "price" || k == "paid" || k == "purchases") v = "409", ++numbers;
  ASSERT_GE(numbers, 2u);
  const std::vector<std::string> pii = {"409", "user:409"};
  TemplateBackend t;
  WriterOptions o;
  o.use_cache = false;
  auto r = session_->Run(t, Task::kSummary, *facts, "en", p.user, -1, pii, {}, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->facts.Block().find("=409"), std::string::npos);
  facts->facts.push_back(Fact{"path", {}}.Set("kind", "entity").Set("en", "You mentioned order 409 in a review.").Set("zh", "x"));
  auto refused = session_->Run(t, Task::kSummary, *facts, "en", p.user, -1, pii, {}, o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kAborted);
  EXPECT_NE(refused.status().message().find("value '409'"), std::string::npos) << refused.status().ToString();
}

// One user's failure (here every second call) is counted and listed; the others are rated.
TEST_F(LlmWriterTest, FaithfulnessGoesOnPastOneUsersError) {
  class Flaky : public Backend {
   public:
    std::string Name() const override { return "flaky"; }
    std::string Model() const override { return "flaky-1"; }
    Result<Completion> Complete(const ChatRequest& req) override {
      if (++calls % 2 == 0) return Status::Aborted("refusing to send a summary prompt: it contains value 'x'");
      return inner.Complete(req);
    }
    int calls = 0;
    TemplateBackend inner;
  } flaky;
  auto r = session_->Faithfulness(flaky, 4, {Task::kSummary}, {"en"}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->texts, 2u);
  EXPECT_EQ(r->errors, 2u);
  ASSERT_EQ(r->failures.size(), 2u);
  EXPECT_NE(r->failures[0].find(", summary en: aborted: refusing to send"), std::string::npos) << r->failures[0];
  EXPECT_EQ(r->failures[0].find("user " + (*profiles_)[1].ext_id), 0u) << r->failures[0];
  EXPECT_EQ(r->ToJson()["errors"], 2);
}

// A backend that is down: after kRefreshGiveUp failures in a row the rest are not tried (each
// try against a dead server waited out its timeout and retries: 300 texts took 7.5 minutes), and
// nothing written is no rate of 1.
TEST_F(LlmWriterTest, FaithfulnessStopsTryingADeadBackend) {
  class Down : public Backend {
   public:
    std::string Name() const override { return "down"; }
    std::string Model() const override { return "down-1"; }
    Result<Completion> Complete(const ChatRequest&) override {
      ++calls;
      return Status::IoError("connection refused");
    }
    int calls = 0;
  } down;
  auto r = session_->Faithfulness(down, 6, {Task::kSummary, Task::kCopy}, {"en"}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->texts, 0u);
  EXPECT_EQ(r->errors, kRefreshGiveUp);
  EXPECT_EQ(static_cast<size_t>(down.calls), kRefreshGiveUp);
  EXPECT_EQ(r->not_tried, 12 - kRefreshGiveUp);
  const auto j = r->ToJson();
  EXPECT_TRUE(j["claim_faithfulness"].is_null()) << j.dump();
  EXPECT_TRUE(j["mean_final"].is_null()) << j.dump();
  EXPECT_EQ(j["not_tried"], 12 - kRefreshGiveUp);
}

TEST_F(LlmWriterTest, TemplateIsDeterministicBilingualVariedAndFaithful) {
  TemplateBackend t;
  WriterOptions o;
  o.use_cache = false;
  std::set<std::string> openings;
  size_t texts = 0, claims = 0;
  for (size_t i = 0; i < 20 && i < profiles_->size(); ++i) {
    const Profile& p = (*profiles_)[i];
    for (Task task : kTasks) {
      const int64_t item = task == Task::kExplain ? TopItem(p) : -1;
      if (task == Task::kExplain && item < 0) continue;
      std::string zh, en;
      for (const char* lang : {"zh", "en"}) {
        auto a = session_->Generate(t, task, p, lang, item, o);
        auto b = session_->Generate(t, task, p, lang, item, o);
        ASSERT_TRUE(a.ok() && b.ok());
        EXPECT_EQ(a->text, b->text);
        EXPECT_FALSE(a->text.empty());
        EXPECT_EQ(a->faithfulness, 1.0) << TaskName(task) << " " << lang << ": " << a->raw << "\n"
                                        << a->check.ToJson(session_->graph()).dump(1);
        EXPECT_EQ(a->text, a->raw);  // nothing removed
        ++texts;
        claims += a->claims;
        (std::string(lang) == "zh" ? zh : en) = a->text;
        if (task == Task::kSummary && std::string(lang) == "en") openings.insert(std::string(Split(a->text, '.').at(1).substr(0, 12)));
      }
      EXPECT_NE(zh, en);
      EXPECT_NE(zh.find("\xE3\x80\x82"), std::string::npos) << zh;  // "。": written in Chinese
    }
  }
  EXPECT_GT(texts, 100u);
  EXPECT_GT(claims, 3 * texts);
  EXPECT_GE(openings.size(), 2u);  // phrasing varies between users
}

// What the gazetteer cannot see: invented people, personas and shopping frequency are removed;
// price sensitivity is kept only when the facts' figure agrees (either way round).
TEST_F(LlmWriterTest, ClaimCheckerRemovesInventedPeopleTraitsAndFrequency) {
  const Profile& p = profiles_->front();
  auto facts = session_->Facts(Task::kSummary, p, "en", -1, {});
  ASSERT_TRUE(facts.ok());
  FactSheet sheet = *facts;
  bool has_price = false;
  for (Fact& f : sheet.facts)
    if (f.kind == "price") f.Set("sensitivity", "0.80"), has_price = true;
  if (!has_price) sheet.facts.push_back(Fact{"price", {}}.Set("sensitivity", "0.80"));
  const std::string good = fmt::format("{} is fairly price-sensitive.", sheet.alias);
  const std::string text = good + " Mateo is a bargain hunter." + " They are an early adopter." +
                           " They shop twice a month." + " This customer is not very price-sensitive.";
  CheckResult r = session_->checker().Check(text, sheet);
  EXPECT_EQ(r.text, good) << r.ToJson(session_->graph()).dump(1);
  EXPECT_EQ(r.removed.size(), 4u);
  size_t persons = 0, traits = 0, supported_traits = 0;
  for (const Claim& c : r.claims) {
    persons += c.kind == ClaimKind::kPerson;
    traits += c.kind == ClaimKind::kTrait;
    supported_traits += c.kind == ClaimKind::kTrait && c.supported;
  }
  EXPECT_EQ(persons, 1u);                // Mateo
  EXPECT_EQ(supported_traits, 2u);       // price-sensitive (0.80) in the first sentence, bargain hunter
  EXPECT_EQ(traits, 5u);                 // + early adopter, twice a month, not price-sensitive
  // Chinese: frequency and a negated sensitivity against a sensitive shopper.
  CheckResult z = session_->checker().Check("您对价格较为敏感。您每周都来购物。您对价格不太敏感。", sheet);
  EXPECT_EQ(z.text, "您对价格较为敏感。") << z.ToJson(session_->graph()).dump(1);
  // A brand as the subject is not a person.
  for (const Fact& f : sheet.facts)
    if (f.kind == "brand") {
      const std::string brand = f.Get("en");
      if (brand.empty() || !std::isupper(static_cast<unsigned char>(brand[0])) || brand.find(' ') != std::string::npos) continue;
      CheckResult b = session_->checker().Check(brand + " is one of your favourite brands.", sheet);
      for (const Claim& c : b.claims) EXPECT_NE(c.kind, ClaimKind::kPerson) << brand;
      break;
    }
}

// The audit's contradictions, on real fact sheets: each crafted sentence is removed, the true
// sentence beside it is kept (tests/llm_claims_test.cc checks each class on its own).
TEST_F(LlmWriterTest, ClaimCheckerRemovesContradictionsOfTheUserFacts) {
  const Profile* p = nullptr;
  for (const Profile& x : *profiles_)
    if ((x.gender == "F" || x.gender == "M") && x.purchases > 0 && !x.age_group.empty() && x.lifecycle != "churned" &&
        x.lifecycle != "dormant" && x.rfm_segment != "lost" && x.price_level == "mid" && TraitName(NodeType::kCity, x.city, "en") != "Beijing" &&
        !TraitName(NodeType::kCity, x.city, "en").empty() && TraitName(NodeType::kOccupation, x.occupation, "en") != "nurse" &&
        !TraitName(NodeType::kOccupation, x.occupation, "en").empty() && OccupationPhrase(x.occupation) != "") {
      p = &x;
      break;
    }
  ASSERT_TRUE(p) << "no mid-priced active buyer with known demographics";
  const bool male = p->gender == "M";
  for (const char* lang : {"en", "zh"}) {
    const bool zh = std::string(lang) == "zh";
    auto facts = session_->Facts(Task::kSummary, *p, lang, -1, {});
    ASSERT_TRUE(facts.ok());
    const Fact* cat = nullptr;
    for (const Fact& f : facts->facts)
      if (f.kind == "category" && !cat) cat = &f;
    ASSERT_TRUE(cat);
    const double w = *ParseDouble(cat->Get("weight"));
    const int wrong_pct = static_cast<int>(std::lround(100 * w)) + 30;
    const std::string name = cat->Get(zh ? "zh" : "en");
    const std::string good = zh ? fmt::format("{}占TA行为的{:.0f}%。", name, 100 * w)
                                : fmt::format("{} makes up {:.0f}% of their activity.", name, 100 * w);
    std::vector<std::string> bad;
    if (zh) {
      bad = {male ? "TA 是一位女性顾客。" : "TA 是一位男性顾客。", "TA 住在北京。", "TA 的职业为护士。",
             "TA 是一位奢侈品爱好者，偏好高端商品。", "TA 已经流失。", "TA 从未购买过任何商品。",
             fmt::format("{}占TA行为的{}%。", name, wrong_pct), "咖啡买一送一！", "全场包邮。", "今晚12点截止！"};
    } else {
      bad = {male ? "They are a female customer." : "They are a male customer.", "They live in Beijing.",
             "They work as a nurse.", "They are a luxury shopper who buys high-end items.", "They have churned.",
             "The customer has never bought anything.", fmt::format("{} makes up {}% of their activity.", name, wrong_pct),
             "Buy one get one free!", "Enjoy free shipping.", "The offer ends tonight."};
    }
    std::string text = good;
    for (const std::string& b : bad) text += (zh ? "" : " ") + b;
    CheckResult r = session_->checker().Check(text, *facts);
    EXPECT_EQ(r.text, good) << lang << "\n" << r.ToJson(session_->graph()).dump(1);
    EXPECT_EQ(r.removed.size(), bad.size()) << lang;
    EXPECT_LT(r.faithfulness, 1.0);
  }
}

TEST_F(LlmWriterTest, ClaimCheckerRemovesHallucinationsInChineseAndEnglish) {
  const Profile& p = profiles_->front();
  auto facts = session_->Facts(Task::kCopy, p, "zh", -1, {});
  ASSERT_TRUE(facts.ok());
  const Lexicon& lx = session_->lexicon();
  const Graph& g = session_->graph();
  // A brand the facts do not name, and a purchased product with its price.
  NodeId other_brand = UINT32_MAX;
  for (NodeId n = 0; n < g.num_nodes() && other_brand == UINT32_MAX; ++n)
    if (g.type(n) == NodeType::kBrand && !facts->Allows(n) && lx.Name(n, "zh") != lx.Name(n, "en")) other_brand = n;
  ASSERT_NE(other_brand, UINT32_MAX);
  const Fact* bought = nullptr;
  const Fact* coupon = nullptr;
  const Fact* cat = nullptr;
  for (const Fact& f : facts->facts) {
    if (f.kind == "purchase" && !bought) bought = &f;
    if (f.kind == "coupon") coupon = &f;
    if (f.kind == "category" && !cat) cat = &f;
  }
  ASSERT_TRUE(bought && coupon && cat);
  const double price = *ParseDouble(bought->Get("price"));
  const std::string good_zh = fmt::format("您最常逛的是{}。", cat->Get("zh"));
  const std::string text_zh = good_zh + fmt::format("您一直偏爱{}。", lx.Name(other_brand, "zh")) +  // wrong brand
                              fmt::format("您买过的“{}”只要{}元。", bought->Get("product"), FormatPrice(price + 100)) +  // wrong price
                              "今天全场7折！" +  // invented discount
                              fmt::format("送您{}折券。", coupon->Get("zhe"));  // the real coupon
  CheckResult r = session_->checker().Check(text_zh, *facts);
  EXPECT_EQ(r.removed.size(), 3u) << r.ToJson(g).dump(1);
  EXPECT_EQ(r.text, good_zh + fmt::format("送您{}折券。", coupon->Get("zhe")));
  EXPECT_NEAR(r.faithfulness, static_cast<double>(r.supported) / static_cast<double>(r.claims.size()), 1e-12);
  EXPECT_LT(r.faithfulness, 1.0);
  bool saw_price_why = false;
  for (const Claim& c : r.claims)
    if (c.kind == ClaimKind::kPrice && !c.supported) saw_price_why = c.why.find(FormatPrice(price)) != std::string::npos;
  EXPECT_TRUE(saw_price_why);

  const std::string good_en = fmt::format("You love {}.", ToLowerAscii(cat->Get("en")));
  const std::string text_en = good_en + fmt::format(" Your favourite brand is {}.", lx.Name(other_brand, "en")) +
                              fmt::format(" \"{}\" now costs ${}.", bought->Get("product"), FormatPrice(price * 2 + 7)) +
                              " Enjoy 35% off everything today!" +
                              fmt::format(" Here is {}% off for you.", coupon->Get("discount_pct"));
  CheckResult e = session_->checker().Check(text_en, *facts);
  EXPECT_EQ(e.removed.size(), 3u) << e.ToJson(g).dump(1);
  EXPECT_EQ(e.text, good_en + fmt::format(" Here is {}% off for you.", coupon->Get("discount_pct")));
  // The whole generation path removes them too, and records the faithfulness of what it kept.
  class Liar : public Backend {
   public:
    explicit Liar(std::string t) : t_(std::move(t)) {}
    std::string Name() const override { return "liar"; }
    std::string Model() const override { return "liar-1"; }
    Result<Completion> Complete(const ChatRequest&) override {
      ++calls;
      Completion c;
      c.text = t_;
      return c;
    }
    int calls = 0;

   private:
    std::string t_;
  } liar(text_zh);
  auto gt = session_->Run(liar, Task::kCopy, *facts, "zh", p.user, -1, session_->PiiValues(p), {}, {});
  ASSERT_TRUE(gt.ok());
  EXPECT_EQ(liar.calls, 2);  // regenerated once
  EXPECT_EQ(gt->attempts, 2);
  EXPECT_EQ(gt->text, r.text);
  EXPECT_EQ(gt->unsupported, 3u);
}

// A removed sentence that ends inside a UTF-8 character (a local model stopped mid-character)
// is stored with U+FFFD: the stored claim check threw 'invalid UTF-8 byte' and the run failed.
TEST_F(LlmWriterTest, RemovedSentenceWithABrokenCharacterIsStored) {
  const Profile& p = profiles_->front();
  auto facts = session_->Facts(Task::kSummary, p, "en", -1, {});
  ASSERT_TRUE(facts.ok());
  class Cut : public Backend {
   public:
    std::string Name() const override { return "cut"; }
    std::string Model() const override { return "cut-1"; }
    Result<Completion> Complete(const ChatRequest&) override {
      Completion c;
      c.text = "The customer shops online. Mateo is a bargain hunter \xe4\xbd";
      return c;
    }
  } cut;
  auto gt = session_->Run(cut, Task::kSummary, *facts, "en", p.user, -1, session_->PiiValues(p), {}, {});
  ASSERT_TRUE(gt.ok()) << gt.status().ToString();
  EXPECT_GE(gt->unsupported, 1u);
}

// The shop's currency (kgprofile.conf `currency`): the template writes its sign, and a price
// written in another currency is a wrong claim whatever its number.
TEST_F(LlmWriterTest, PricesAreInTheShopsCurrency) {
  const Profile& p = profiles_->front();
  auto facts = session_->Facts(Task::kCopy, p, "en", -1, {});
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->currency, "CNY");
  const Fact* coupon = nullptr;
  for (const Fact& f : facts->facts)
    if (f.kind == "coupon") coupon = &f;
  ASSERT_TRUE(coupon);
  const std::string min = coupon->Get("min_spend");
  ASSERT_FALSE(min.empty());
  const std::string sentence = "A {}% off coupon, on orders over {}.";
  // Whether the sentence's one price claim is supported, and why not.
  const auto supported = [&](const FactSheet& sheet, const std::string& amount, std::string* why = nullptr) {
    CheckResult r = session_->checker().Check(fmt::format(fmt::runtime(sentence), coupon->Get("discount_pct"), amount), sheet);
    size_t prices = 0;
    bool ok = false;
    for (const Claim& c : r.claims)
      if (c.kind == ClaimKind::kPrice) {
        ++prices, ok = c.supported;
        if (why) *why = c.why;
      }
    EXPECT_EQ(prices, 1u) << amount;
    return ok;
  };
  FactSheet usd = *facts;
  usd.currency = "USD";
  std::string why;
  EXPECT_TRUE(supported(*facts, "¥" + min));
  EXPECT_TRUE(supported(*facts, min + " yuan"));
  EXPECT_FALSE(supported(*facts, "$" + min, &why));
  EXPECT_NE(why.find("CNY"), std::string::npos) << why;
  EXPECT_TRUE(supported(usd, "$" + min));
  EXPECT_TRUE(supported(usd, "US$" + min));
  EXPECT_TRUE(supported(usd, min + " dollars"));
  EXPECT_FALSE(supported(usd, "¥" + min, &why));
  EXPECT_NE(why.find("USD ($)"), std::string::npos) << why;
  EXPECT_FALSE(supported(usd, "€" + min));
  // Marks FindAmounts reads, the longest first; a weight is not a price.
  ASSERT_EQ(FindAmounts("59美元").size(), 1u);
  EXPECT_EQ(FindAmounts("59美元")[0].mark, "美元");
  EXPECT_EQ(FindAmounts("only US$5").at(0).mark, "US$");
  EXPECT_EQ(FindAmounts("€3.50 each").at(0).mark, "€");
  EXPECT_TRUE(FindAmounts("2 pounds of rice").empty());
  EXPECT_TRUE(FindAmounts("the 2024 Euro Cup").empty());
  EXPECT_EQ(FindAmounts("59 USD").at(0).mark, "USD");
  EXPECT_EQ(FindAmounts("only HK$59").at(0).mark, "HK$");
  EXPECT_FALSE(supported(usd, "HK$" + min));  // another dollar
  // 块 is money before 钱, punctuation or the end, a measure word before a noun.
  for (const char* money : {"30块", "30块钱", "30块，", "30块的耳机", "5块5", "只要99块就能拿下", "300块以内的耳机",
                            "50块包邮", "花了200块买了耳机", "99块到手", "10块一个"})
    EXPECT_EQ(FindAmounts(money).at(0).mark, "块") << money;
  EXPECT_TRUE(FindAmounts("买了3块巧克力").empty());
  EXPECT_TRUE(FindAmounts("2块蛋糕和1块饼干").empty());
  // The template backend writes the prompt's currency.
  for (const char* lang : {"en", "zh"}) {
    ChatRequest req;
    req.messages = {{"user", fmt::format("TASK: copy\nLANGUAGE: {}\nCUSTOMER: {}\nCURRENCY: USD\nFACTS:\n{}", lang,
                                         facts->alias, facts->Block())}};
    TemplateBackend t;
    auto c = t.Complete(req);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_NE(c->text.find(std::string(lang) == "en" ? "$" + min : min + "美元"), std::string::npos) << c->text;
    EXPECT_EQ(c->text.find("¥"), std::string::npos) << c->text;
    EXPECT_EQ(c->text.find(min + "元"), std::string::npos) << c->text;
  }
}

TEST_F(LlmWriterTest, AmountsAndSentencesAndGazetteer) {
  const auto one = [](std::string_view s) {
    auto a = FindAmounts(s);
    return a.size() == 1 ? a[0] : Amount{0, 0, -1, false};
  };
  EXPECT_NEAR(one("全场8折").value, 0.2, 1e-9);
  EXPECT_TRUE(one("全场8折").discount);
  EXPECT_NEAR(one("八五折优惠").value, 0.15, 1e-9);
  EXPECT_NEAR(one("85折").value, 0.15, 1e-9);
  EXPECT_NEAR(one("8.5折").value, 0.15, 1e-9);
  EXPECT_NEAR(one("只要¥1,299.00").value, 1299, 1e-9);
  EXPECT_FALSE(one("只要¥1,299.00").discount);
  EXPECT_NEAR(one("6999元").value, 6999, 1e-9);
  EXPECT_NEAR(one("now $12.5").value, 12.5, 1e-9);
  EXPECT_NEAR(one("20% off").value, 0.2, 1e-9);
  EXPECT_NEAR(one("半价").value, 0.5, 1e-9);
  EXPECT_TRUE(FindAmounts("512GB, 64 GB, 折扣多多").empty());
  ASSERT_EQ(FindAmounts("32% of your visits").size(), 1u);  // a share, not a discount
  EXPECT_TRUE(FindAmounts("32% of your visits")[0].share);
  EXPECT_FALSE(FindAmounts("32% of your visits")[0].discount);
  EXPECT_EQ(FindAmounts("32% of your visits, with a coupon").size(), 1u);  // discount context
  auto s = SplitSentences("It costs ¥12.50. Next one! 第二句。第三句？");
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0], "It costs ¥12.50.");
  const Lexicon& lx = session_->lexicon();
  auto keep = session_->graph().Find(NodeType::kBrand, "keep");
  if (keep) {
    EXPECT_TRUE(lx.Scan("keep going").empty());
    auto m = lx.Scan("I like Keep.");
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].nodes[0], *keep);
  }
  auto hp = session_->graph().Find(NodeType::kBrand, "hp");
  if (hp) {
    EXPECT_TRUE(lx.Scan("a shop and a hpx").empty());
  }
  auto phone = session_->graph().Find(NodeType::kCategory, "electronics.smartphone");
  ASSERT_TRUE(phone);
  auto m = lx.Scan("推荐智能手机和Smartphones，还有 smartphone");
  ASSERT_EQ(m.size(), 3u);
  for (const auto& x : m) EXPECT_EQ(x.nodes[0], *phone);
}

// Figures a Chinese or English model writes in forms the checker did not read: full-width
// digits and signs, codes glued to the number, "30 % off", "30 percent", Chinese numerals.
// Found with their value and their span as written; a wrong one is unsupported, the true one is not.
TEST_F(LlmWriterTest, FullWidthGluedSpacedWordedAndChineseNumeralFiguresAreChecked) {
  struct Case {
    const char* text;
    double value;
    bool discount, share;
    const char* surface;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"价格为２０９元。", 209, false, false, "２０９元"},
           {"for ￥２０９.", 209, false, false, "￥２０９"},
           {"只要￥９，９４４．５０", 9944.5, false, false, "￥９，９４４．５０"},
           {"一张７折优惠券", 0.3, true, false, "７折"},
           {"３０％的优惠券", 0.3, true, false, "３０％"},
           {"占TA行为的９９％。", 0.99, false, true, "９９％"},
           {"bought it for RMB209.", 209, false, false, "RMB209"},
           {"bought it for CNY209.", 209, false, false, "CNY209"},
           {"only USD 20 now", 20, false, false, "USD 20"},
           {"Enjoy 30 % off coffee.", 0.3, true, false, "30 %"},
           {"Enjoy 30 percent off coffee.", 0.3, true, false, "30 percent"},
           {"Coffee is 43 per cent of it.", 0.43, false, true, "43 per cent"},
           {"价格为二百零九元。", 209, false, false, "二百零九元"},
           {"三千五百块就能拿下", 3500, false, false, "三千五百块"},
           {"二百五十元", 250, false, false, "二百五十元"},
           {"二百五元", 250, false, false, "二百五元"},
           {"一万二千元", 12000, false, false, "一万二千元"},
           {"九块九包邮", 9.9, false, false, "九块九"},
           {"5块5一杯", 5.5, false, false, "5块5"},
           {"享受百分之三十的折扣", 0.3, true, false, "百分之三十"},
           {"七折", 0.3, true, false, "七折"},
       }) {
    const auto a = FindAmounts(c.text);
    ASSERT_EQ(a.size(), 1u) << c.text;
    EXPECT_NEAR(a[0].value, c.value, 1e-9) << c.text;
    EXPECT_EQ(a[0].discount, c.discount) << c.text;
    EXPECT_EQ(a[0].share, c.share) << c.text;
    EXPECT_EQ(std::string(c.text).substr(a[0].begin, a[0].end - a[0].begin), c.surface) << c.text;
  }
  for (const char* none : {"iPhone15 in stock", "A4纸", "买了3块巧克力", "二四六", "十分喜欢", "10 percentage points", "一万"})
    EXPECT_TRUE(FindAmounts(none).empty()) << none;
  // Against facts: 28 purchases, coffee at 43 % of the activity, 47.40 the one price, 10 % off.
  FactSheet f;
  f.alias = "u_0123456789";
  f.facts.push_back(Fact{"user", {}}.Set("alias", f.alias).Set("purchases", "28"));
  f.facts.push_back(Fact{"category", {}}.Set("zh", "咖啡").Set("en", "coffee").Set("weight", "0.43"));
  f.AllowPrice(47.40);
  f.AllowDiscount(0.10);
  const auto supported = [&](const std::string& text) {
    const CheckResult r = session_->checker().Check(text, f);
    EXPECT_FALSE(r.claims.empty()) << text;
    return r.supported == r.claims.size();
  };
  for (const auto& [wrong, right] : std::vector<std::pair<std::string, std::string>>{
           {"该用户共购买了１２次。", "该用户共购买了２８次。"},
           {"TA的行为有９９％是浏览。", "TA的行为有４３％是浏览。"},
           {"为您准备了一张７折优惠券。", "为您准备了一张９折优惠券。"},
           {"A coupon for ３０％ off.", "A coupon for １０％ off."},
           {"It was bought for RMB209.", "It was bought for RMB47.40."},
           {"Enjoy 30 percent off today.", "Enjoy 10 percent off today."},
           {"Enjoy 30 % off today.", "Enjoy 10 % off today."},
           {"价格为二百零九元。", "价格为四十七块四。"},
           {"享受百分之三十的折扣。", "享受百分之十的折扣。"},
       }) {
    EXPECT_FALSE(supported(wrong)) << wrong;
    EXPECT_TRUE(supported(right)) << right;
  }
}

// A purchase fact states what the user paid (the latest purchase event's price), not today's
// catalogue price; the template says "for ¥<paid>", and the checker takes the price paid for
// that product as true, a price near it as wrong.
TEST_F(LlmWriterTest, APurchaseStatesThePricePaidNotTodaysPrice) {
  size_t differs = 0;
  TemplateBackend t;
  WriterOptions o;
  o.use_cache = false;
  for (const Profile& p : *profiles_) {
    auto f = session_->Facts(Task::kSummary, p, "en", -1, {});
    ASSERT_TRUE(f.ok());
    const Fact* buy = nullptr;
    for (const Fact& x : f->facts)
      if (x.kind == "purchase" && !buy) buy = &x;
    if (!buy || buy->Get("product").empty()) continue;
    Stmt st = ws_->db().Prepare(
        "SELECT e.price, i.price, i.title FROM events e JOIN items i ON i.id = e.item_id "
        "WHERE e.user_id = ? AND e.type = 3 AND e.price IS NOT NULL ORDER BY e.ts DESC, e.key DESC LIMIT 1");
    st.Bind(1, static_cast<int64_t>(p.user));
    ASSERT_TRUE(st.Step());
    const double paid = st.Double(0), now = st.Double(1);
    if (std::string(st.Text(2)) != buy->Get("product") || std::fabs(paid - now) < 1) continue;
    ++differs;
    EXPECT_EQ(buy->Get("paid"), FormatPrice(paid)) << buy->Line();
    EXPECT_EQ(buy->Get("price"), "") << buy->Line();
    auto text = session_->Generate(t, Task::kSummary, p, "en", -1, o);
    ASSERT_TRUE(text.ok());
    EXPECT_NE(text->text.find("\"" + buy->Get("product") + "\" for ¥" + FormatPrice(paid)), std::string::npos) << text->text;
    EXPECT_EQ(text->faithfulness, 1.0);
    const CheckResult r = session_->checker().Check("They bought \"" + buy->Get("product") + "\" for ¥" + FormatPrice(paid) + ".", *f);
    EXPECT_EQ(r.supported, r.claims.size()) << r.ToJson(session_->graph()).dump();
    if (differs >= 5) break;
  }
  EXPECT_GE(differs, 3u);
}

// A stated price must be the true one rounded to the decimals it is written with: no ±1 %
// (¥10,040 or ¥9,850 for a ¥9,944 item passed).
TEST_F(LlmWriterTest, APriceMustBeTheTrueOneToThePrecisionStated) {
  FactSheet f;
  f.AllowPrice(9944);
  f.AllowPrice(47.40);
  const auto supported = [&](const std::string& text) {
    const CheckResult r = session_->checker().Check(text, f);
    EXPECT_EQ(r.claims.size(), 1u) << text;
    return r.supported == 1;
  };
  for (const char* right : {"It costs ¥9,944.", "It costs ¥9,944.00.", "It costs ¥9944.0.", "它只要9944元。", "It costs ¥47.40.",
                            "It costs ¥47.4.", "It costs ¥47.", "它只要四十七块四。"})
    EXPECT_TRUE(supported(right)) << right;
  for (const char* wrong : {"It costs ¥10,040.", "It costs ¥9,850.", "It costs ¥9,945.", "It costs ¥9,944.60.", "It costs ¥47.45.",
                            "It costs ¥48.", "它只要四十八块。"})
    EXPECT_FALSE(supported(wrong)) << wrong;
}

TEST_F(LlmWriterTest, CacheHitsOnSameInputAndMissesWhenTheProfileChanges) {
  TemplateBackend t;
  Profile p = (*profiles_)[3];
  auto a = session_->Generate(t, Task::kSummary, p, "zh", -1, {});
  auto b = session_->Generate(t, Task::kSummary, p, "zh", -1, {});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(b->cached);
  EXPECT_EQ(a->text, b->text);
  EXPECT_EQ(a->input_hash, b->input_hash);
  auto& cats = p.interests[static_cast<int>(TagKind::kCategory)];
  ASSERT_FALSE(cats.empty());
  for (auto& i : cats) i.weight *= 0.5f;
  auto c = session_->Generate(t, Task::kSummary, p, "zh", -1, {});
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->cached);
  EXPECT_NE(c->input_hash, a->input_hash);
  const int64_t rows = ws_->db().QueryInt(
      fmt::format("SELECT count(*) FROM llm_texts WHERE task='summary' AND user_id={} AND prompt_version='summary-v2' "
                  "AND model='template-v2'",
                  p.user));
  EXPECT_GE(rows, 2);
}

// A text written under other generation settings (llm.max_tokens, llm.temperature) is not
// served from the cache: a short text asked for with max_tokens 60 was served after raising it.
TEST_F(LlmWriterTest, CacheMissesWhenTheGenerationSettingsChange) {
  TemplateBackend t;
  const Profile& p = (*profiles_)[5];
  WriterOptions o;
  auto a = session_->Generate(t, Task::kSummary, p, "en", -1, o);
  auto same = session_->Generate(t, Task::kSummary, p, "en", -1, o);
  ASSERT_TRUE(a.ok() && same.ok());
  EXPECT_TRUE(same->cached);
  WriterOptions shorter = o;
  shorter.max_tokens = 60;
  auto b = session_->Generate(t, Task::kSummary, p, "en", -1, shorter);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->cached);
  EXPECT_NE(b->input_hash, a->input_hash);
  WriterOptions colder = o;
  colder.temperature = 0.2;
  auto c = session_->Generate(t, Task::kSummary, p, "en", -1, colder);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->cached);
  EXPECT_NE(c->input_hash, a->input_hash);
  auto again = session_->Generate(t, Task::kSummary, p, "en", -1, shorter);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->cached);
}

TEST_F(LlmWriterTest, RefreshRegeneratesOnlyUsersWhoseTagsMoved) {
  TemplateBackend t;
  for (size_t i = 0; i < 6; ++i) ASSERT_TRUE(session_->Generate(t, Task::kSummary, (*profiles_)[i], "en", -1, {}).ok());
  auto r0 = session_->Refresh(t, 0.2, "en");
  ASSERT_TRUE(r0.ok());
  EXPECT_GE(r0->users_with_text, 6u);
  EXPECT_EQ(r0->regenerated, 0u);
  // Two users' recorded tags drift by more than the threshold.
  for (size_t i : {1, 4}) {
    auto tags = session_->TagVector((*profiles_)[i]);
    ASSERT_FALSE(tags.empty());
    tags.begin()->second += 0.5;
    ws_->db().ExecOrThrow(fmt::format("UPDATE llm_texts SET tags='{}' WHERE user_id={} AND task='summary' AND lang='en'",
                                      TagsToJson(tags), (*profiles_)[i].user));
  }
  auto r1 = session_->Refresh(t, 0.2, "en");
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->regenerated, 2u);
  EXPECT_EQ(r1->unchanged, r1->users_with_text - 2);
  auto r2 = session_->Refresh(t, 0.2, "en");
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->regenerated, 0u);  // their new texts carry the current tags
  // A small drift stays under the threshold.
  EXPECT_NEAR(TagDistance({{"a", 0.5}, {"b", 0.1}}, {{"a", 0.4}, {"c", 0.05}}), 0.25, 1e-12);
}

// A user whose text cannot be regenerated keeps the old one and is listed; the others go on,
// until failures in a row say the backend is down.
TEST_F(LlmWriterTest, RefreshGoesOnPastOneUsersErrorAndGivesUpOnADeadBackend) {
  class Switch : public Backend {
   public:
    std::string Name() const override { return "switch"; }
    std::string Model() const override { return "switch-1"; }
    Result<Completion> Complete(const ChatRequest& req) override {
      ++calls;
      if (fail_next > 0 || down) {
        if (fail_next > 0) --fail_next;
        return Status::IoError("connection refused");
      }
      return inner.Complete(req);
    }
    int calls = 0, fail_next = 0;
    bool down = false;
    TemplateBackend inner;
  } b;
  const size_t n = std::min<size_t>(profiles_->size(), 9);
  ASSERT_GE(n, 8u);
  for (size_t i = 0; i < n; ++i) ASSERT_TRUE(session_->Generate(b, Task::kSummary, (*profiles_)[i], "en", -1, {}).ok());
  const auto drift = [&] {
    for (size_t i = 0; i < n; ++i) {
      auto tags = session_->TagVector((*profiles_)[i]);
      tags.begin()->second += 0.5;
      ws_->db().ExecOrThrow(fmt::format("UPDATE llm_texts SET tags='{}' WHERE user_id={} AND task='summary' AND lang='en'",
                                        TagsToJson(tags), (*profiles_)[i].user));
    }
  };
  drift();
  b.fail_next = 1;
  auto r1 = session_->Refresh(b, 0.2, "en");
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  ASSERT_EQ(r1->failures.size(), 1u);
  EXPECT_NE(r1->failures[0].find("connection refused"), std::string::npos) << r1->failures[0];
  EXPECT_EQ(r1->regenerated, n - 1);
  EXPECT_EQ(r1->not_tried, 0u);
  drift();
  b.down = true;
  const int before = b.calls;
  auto r2 = session_->Refresh(b, 0.2, "en");
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(r2->failures.size(), kRefreshGiveUp);
  EXPECT_EQ(r2->not_tried, n - kRefreshGiveUp);
  EXPECT_EQ(r2->regenerated, 0u);
  EXPECT_EQ(static_cast<size_t>(b.calls - before), kRefreshGiveUp);  // one call per user tried: no retries here
}

TEST_F(LlmWriterTest, ReasoningFeaturesAreMeasuredBesideTheLearnedBlend) {
  TemplateBackend t;
  KarEvalOptions o;
  o.fit.train_kge = false;
  size_t calls = 0;
  double faith = 0;
  auto rep = EvaluateReasoning(*ws_, *session_, t, o, &calls, &faith);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_GT(calls, 20u);
  EXPECT_EQ(faith, 1.0);
  std::map<std::string, rec::TopKMetrics> by;
  for (const auto& m : rep->holdout) by[m.method.substr(0, m.method.find(" (w="))] = m.at_k;
  ASSERT_TRUE(by.count("learned blend"));
  ASSERT_TRUE(by.count("llm rationale affinity alone"));
  ASSERT_TRUE(by.count("learned blend + llm rationale affinity"));
  ASSERT_TRUE(by.count("learned blend + llm re-rank"));
  // Grounded reasoning carries signal on its own: better than nothing at all.
  EXPECT_GT(by["llm rationale affinity alone"].recall, 0.0);
}

// ---- Text quality: one language per text, natural phrasing, no identifiers for names ----

// The template backend's texts for hand-written facts under 24 seeds (all its phrasings).
std::vector<std::string> TemplateTexts(const std::string& task, const std::string& lang, const std::string& facts) {
  TemplateBackend t;
  std::vector<std::string> out;
  for (uint64_t seed = 0; seed < 24; ++seed) {
    ChatRequest req;
    req.messages = {{"user", fmt::format("TASK: {}\nLANGUAGE: {}\nCUSTOMER: u_0123456789\nFACTS:\n{}\n", task, lang, facts)}};
    req.seed = seed;
    auto c = t.Complete(req);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (c.ok()) out.push_back(c->text);
  }
  return out;
}

size_t Count(const std::vector<std::string>& texts, std::string_view what) {
  return static_cast<size_t>(std::count_if(texts.begin(), texts.end(), [&](const std::string& t) { return t.find(what) != std::string::npos; }));
}

TEST(LlmNames, CitiesOccupationsAndCodesTranslate) {
  EXPECT_EQ(TraitName(NodeType::kCity, "武汉", "en"), "Wuhan");
  EXPECT_EQ(TraitName(NodeType::kCity, "wuhan", "zh"), "武汉");
  EXPECT_EQ(TraitName(NodeType::kOccupation, "accountant", "zh"), "会计");
  EXPECT_EQ(TraitName(NodeType::kOccupation, "护士", "en"), "nurse");
  EXPECT_EQ(TraitName(NodeType::kCity, "Springfield", "zh"), "");
  // Unknown: kept only where it reads in the text's language.
  EXPECT_EQ(TraitNameIn(NodeType::kCity, "Springfield", "en"), "Springfield");
  EXPECT_EQ(TraitNameIn(NodeType::kCity, "Springfield", "zh"), "");
  EXPECT_EQ(TraitNameIn(NodeType::kCity, "乌镇", "en"), "");
  EXPECT_EQ(TraitNameIn(NodeType::kOccupation, "pilot", "zh"), "");
  // Addresses and codes are not cities or occupations, in either language.
  EXPECT_EQ(TraitNameIn(NodeType::kCity, "221B Baker Street Flat 3", "en"), "");
  EXPECT_EQ(TraitNameIn(NodeType::kCity, "上海市浦东新区世纪大道100号", "zh"), "");
  EXPECT_EQ(TraitNameIn(NodeType::kCity, "Baker Street Flat", "en"), "");  // longer than a city
  EXPECT_EQ(TraitNameIn(NodeType::kOccupation, "nurse#2", "en"), "");
  EXPECT_EQ(OccupationPhrase("accountant"), "is an accountant");
  EXPECT_EQ(OccupationPhrase("student"), "is a student");
  EXPECT_EQ(OccupationPhrase("retired"), "is retired");
  EXPECT_EQ(OccupationPhrase("healthcare"), "works in healthcare");
  EXPECT_EQ(OccupationPhrase("other"), "");
  EXPECT_EQ(HumanizeName("water_heater"), "water heater");
  EXPECT_EQ(HumanizeName("Robot vacuums"), "Robot vacuums");
  EXPECT_TRUE(IsPlaceholderCategory("id:2061717937420501730"));
}

// A shop whose categories come only as English codes (REES46) still gets Chinese category
// names for its Chinese texts where the word is a common one; others stay as written.
TEST(LlmNames, EnglishCategoryCodesGetChineseNames) {
  Progress::SetEnabled(false);
  SetLogLevel(LogLevel::kWarn);
  test::TempDir tmp;
  test::WriteFile(tmp / "events.csv",
                  "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
                  "2019-10-01 00:00:00 UTC,view,1,11,electronics.smartphone,apple,999.00,7,s1\n"
                  "2019-10-01 00:01:00 UTC,view,2,12,appliances.environment.water_heater,ariston,199.00,7,s1\n"
                  "2019-10-01 00:02:00 UTC,view,3,13,kids.gizmo_widget,,19.00,7,s1\n"
                  "2019-10-01 00:03:00 UTC,view,4,14,electronics.camera.video,,299.00,7,s1\n"
                  "2019-10-01 00:04:00 UTC,view,5,15,electronics.telephone,,29.00,7,s1\n"
                  "2019-10-01 00:05:00 UTC,view,6,16,accessories.bag,,59.00,7,s1\n");
  auto ws = test::IngestedWorkspace(tmp / "ws", {tmp / "events.csv"});
  ASSERT_TRUE(ws);
  GraphBuildReport rep;
  ASSERT_TRUE(BuildGraph(ws->db(), {}, &rep).ok());
  auto g = Graph::Load(ws->db());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  auto names = NodeNames::Load(ws->db(), *g);
  ASSERT_TRUE(names.ok());
  const auto name = [&](const std::string& code, const char* lang) {
    auto n = g->Find(NodeType::kCategory, code);
    EXPECT_TRUE(n) << code;
    return n ? names->Name(*n, lang) : std::string();
  };
  EXPECT_EQ(name("electronics.smartphone", "zh"), "智能手机");
  EXPECT_EQ(name("electronics.smartphone", "en"), "smartphone");
  EXPECT_EQ(name("appliances.environment.water_heater", "zh"), "热水器");
  EXPECT_EQ(name("appliances.environment.water_heater", "en"), "water heater");
  EXPECT_EQ(name("appliances.environment", "zh"), "环境电器");
  EXPECT_EQ(name("kids.gizmo_widget", "zh"), "gizmo widget");  // not in the table: as written
  EXPECT_EQ(name("electronics.camera.video", "zh"), "摄像机");  // the last two parts decide
  EXPECT_EQ(name("electronics.telephone", "zh"), "电话机");
  EXPECT_TRUE(names->Glossed(*g->Find(NodeType::kCategory, "electronics.smartphone")));
  // The claim checker finds a gloss in a text only when it is specific: 智能手机 is the
  // category, but 包 in 包邮 (free shipping) and 手机 inside other words are not.
  auto lx = Lexicon::Load(ws->db(), *names);
  ASSERT_TRUE(lx.ok()) << lx.status().ToString();
  EXPECT_EQ(lx->Scan("TA 最近常看智能手机。").size(), 1u);
  EXPECT_TRUE(lx->Scan("全场包邮，手机壳也有。").empty());
}

// Every generated summary is in one language: city, occupation and RFM segment translated.
TEST_F(LlmWriterTest, SummariesAreInOneLanguage) {
  TemplateBackend t;
  WriterOptions o;
  o.use_cache = false;
  size_t cities = 0, occupations = 0;
  for (size_t i = 0; i < 60 && i < profiles_->size(); ++i) {
    const Profile& p = (*profiles_)[i];
    auto zh = session_->Generate(t, Task::kSummary, p, "zh", -1, o);
    auto en = session_->Generate(t, Task::kSummary, p, "en", -1, o);
    ASSERT_TRUE(zh.ok() && en.ok());
    EXPECT_FALSE(test::HasHanOutsideQuotes(en->text)) << en->text;
    EXPECT_FALSE(std::regex_search(zh->text, std::regex("职业为[A-Za-z]|分群为“[A-Za-z]"))) << zh->text;
    if (const std::string c = TraitName(NodeType::kCity, p.city, "en"); !c.empty()) {
      ++cities;
      EXPECT_NE(en->text.find(" from " + c), std::string::npos) << en->text;
      EXPECT_NE(zh->text.find("常住" + p.city), std::string::npos) << zh->text;
    }
    if (const std::string c = TraitName(NodeType::kOccupation, p.occupation, "zh"); !c.empty()) {
      ++occupations;
      EXPECT_NE(zh->text.find("职业为" + c), std::string::npos) << zh->text;
      EXPECT_NE(en->text.find(" who " + OccupationPhrase(p.occupation)), std::string::npos) << en->text;
    }
    if (p.rfm_segment == "champions") {
      EXPECT_NE(zh->text.find("冠军客户"), std::string::npos) << zh->text;
    }
  }
  EXPECT_GT(cities, 30u);
  EXPECT_GT(occupations, 30u);
}

TEST(LlmTemplate, DemographicsReadNaturallyOrAreLeftOut) {
  for (const char* occ : {"retired", "student", "accountant"}) {
    auto en = TemplateTexts("summary", "en", fmt::format("- user | alias=u_0123456789 | age_group=65+ | occupation={} | purchases=2", occ));
    EXPECT_EQ(Count(en, "working as"), 0u);
    EXPECT_EQ(Count(en, " who " + OccupationPhrase(occ) + "."), en.size()) << en[0];
    EXPECT_EQ(Count(en, "aged 65 or over"), en.size()) << en[0];
  }
  // No demographics: no empty "is a shopper." / "是一位顾客。" sentence.
  const std::string bare = "- user | alias=u_0123456789 | lifecycle=active | purchases=2\n- category | zh=咖啡 | en=Coffee | weight=0.50";
  auto en = TemplateTexts("summary", "en", bare);
  auto zh = TemplateTexts("summary", "zh", bare);
  EXPECT_EQ(Count(en, "is a shopper") + Count(en, "is a customer") + Count(en, "u_0123456789"), 0u) << en[0];
  EXPECT_EQ(Count(zh, "是一位") + Count(zh, "u_0123456789"), 0u) << zh[0];
  EXPECT_EQ(Count(en, "coffee"), en.size());
}

TEST(LlmTemplate, PriceLevelLifecycleAndBrowsingReadNaturally) {
  const std::string facts =
      "- user | alias=u_0123456789 | gender=female | lifecycle={} | purchases={}\n- category | zh=咖啡 | en=Coffee | weight=0.50\n"
      "- price | level=mid";
  for (const char* life : {"new", "active", "dormant", "churned", "returning"}) {
    auto en = TemplateTexts("summary", "en", fmt::format(fmt::runtime(facts), life, 0));
    EXPECT_EQ(Count(en, "is currently"), 0u) << en[0];
    EXPECT_EQ(Count(en, "middle end"), 0u) << en[0];
    EXPECT_EQ(Count(en, "mid-priced") + Count(en, "mid price range"), en.size()) << en[0];
    // Nothing bought: they browse, they do not buy.
    EXPECT_EQ(Count(en, "browse and buy"), 0u);
    EXPECT_EQ(Count(TemplateTexts("summary", "zh", fmt::format(fmt::runtime(facts), life, 0)), "浏览和购买"), 0u);
  }
  EXPECT_EQ(Count(TemplateTexts("summary", "en", fmt::format(fmt::runtime(facts), "churned", 0)), "has stopped shopping"), 24u);
  EXPECT_GT(Count(TemplateTexts("summary", "en", fmt::format(fmt::runtime(facts), "active", 3)), "browse and buy"), 0u);
}

// A coupon for foundation does not call the sunscreen bought last "worth buying again".
TEST(LlmTemplate, CopySaysBuyAgainOnlyForTheCouponsCategory) {
  const std::string facts =
      "- user | alias=u_0123456789 | purchases=1\n"
      "- purchase | product=Lancome UV sunscreen | brand_zh=兰蔻 | brand_en=Lancome | category_zh={} | category_en={} | price=320\n"
      "- coupon | target=category | zh=粉底液 | en=Foundation | discount_pct=10 | zhe=9 | min_spend=300";
  auto other = TemplateTexts("copy", "zh", fmt::format(fmt::runtime(facts), "防晒", "Sunscreen"));
  EXPECT_EQ(Count(other, "再次入手"), 0u) << other[0];
  EXPECT_EQ(Count(other, "Lancome UV sunscreen"), other.size());
  auto same = TemplateTexts("copy", "zh", fmt::format(fmt::runtime(facts), "粉底液", "Foundation"));
  EXPECT_GT(Count(same, "再次入手"), 0u);
}

// Real-data shapes (REES46): categories known only by an id, untitled products, code-like names.
TEST(LlmWriterRees46, NoPlaceholderCategoriesNumbersOrCodesInTexts) {
  Progress::SetEnabled(false);
  SetLogLevel(LogLevel::kWarn);
  test::TempDir tmp;
  std::string csv = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n";
  int t = 0;
  for (int u = 0; u < 8; ++u) {
    const auto row = [&](const char* type, const char* product, const char* cat_id, const char* code, const char* brand, const char* price) {
      csv += fmt::format("2019-10-01 {:02d}:{:02d}:00 UTC,{},{},{},{},{},{},{},s{}\n", t / 60 % 24, t % 60, type, product, cat_id, code, brand,
                         price, 550000000 + u, u);
      ++t;
    };
    for (int k = 0; k < 4; ++k) row("view", "44600062", "2103807459595387724", "", "shiseido", "35.79");  // placeholder category
    row("view", "3900821", "2053013552326770905", "appliances.environment.water_heater", "aqua", "33.20");
    row("view", "1004237", "2053013555631882655", "electronics.smartphone", "samsung", "161.98");
    row("purchase", u % 2 ? "1004237" : "44600062", u % 2 ? "2053013555631882655" : "2103807459595387724",
        u % 2 ? "electronics.smartphone" : "", u % 2 ? "samsung" : "shiseido", u % 2 ? "161.98" : "35.79");
    if (u < 4) row("purchase", "3900821", "2053013552326770905", "appliances.environment.water_heater", "aqua", "33.20");
  }
  test::WriteFile(tmp / "events.csv", csv);
  auto ws = test::IngestedWorkspace(tmp / "ws", {tmp / "events.csv"}, "rees46");
  ASSERT_TRUE(ws);
  auto ctx = LoadProfileContext(*ws);
  ASSERT_TRUE(ctx.ok());
  ASSERT_TRUE(BuildAllProfiles(*ws, *ctx, ProfileOptions{}, ClusterOptions{}, 1).ok());
  auto s = Session::Open(*ws);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto ps = (*s)->LoadAllProfiles();
  ASSERT_TRUE(ps.ok());
  ASSERT_EQ(ps->size(), 8u);
  TemplateBackend tb;
  WriterOptions o;
  o.use_cache = false;
  std::string all;
  for (const Profile& p : *ps)
    for (Task task : {Task::kSummary, Task::kCopy})
      for (const char* lang : {"zh", "en"}) {
        auto r = (*s)->Generate(tb, task, p, lang, -1, o);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        EXPECT_EQ(r->faithfulness, 1.0) << r->raw;
        EXPECT_EQ(r->text.find("id:"), std::string::npos) << r->text;
        EXPECT_EQ(r->facts.Block().find("id:"), std::string::npos) << r->facts.Block();
        EXPECT_FALSE(std::regex_search(r->text, std::regex("[“\"][0-9]+[”\"]"))) << r->text;
        EXPECT_EQ(r->text.find("water_heater"), std::string::npos) << r->text;
        all += r->text + "\n";
      }
  EXPECT_NE(all.find("water heater"), std::string::npos) << all;
  EXPECT_NE(all.find("a Samsung smartphone"), std::string::npos) << all;
}

// Answers as scripted, one per call (the last one repeated), counting the calls.
class ScriptedBackend : public Backend {
 public:
  explicit ScriptedBackend(std::vector<std::string> answers, std::string model = "script-1")
      : answers_(std::move(answers)), model_(std::move(model)) {}
  std::string Name() const override { return "scripted"; }
  std::string Model() const override { return model_; }
  Result<Completion> Complete(const ChatRequest&) override {
    Completion c;
    c.text = answers_[std::min(calls++, answers_.size() - 1)];
    c.finish_reason = "stop";
    return c;
  }
  size_t calls = 0;

 private:
  std::vector<std::string> answers_;
  std::string model_;
};

// An empty answer ("", only spaces, or JSON null content) is a failed call with a clear error,
// not a text with no claims scored 1.00, and is never cached: the next call asks again. An
// empty second attempt never replaces the first.
TEST_F(LlmWriterTest, AnEmptyAnswerIsAnErrorAndNeverCached) {
  const Profile& p = profiles_->front();
  for (const std::string empty : {"", " \n\t "}) {
    ScriptedBackend b({empty, "The customer shops online."}, "empty-" + std::to_string(empty.size()));
    auto r = session_->Generate(b, Task::kSummary, p, "en", -1, {});
    ASSERT_FALSE(r.ok()) << "text '" << r->text << "' faithfulness " << r->faithfulness;
    EXPECT_NE(r.status().message().find("empty summary text"), std::string::npos) << r.status().ToString();
    auto again = session_->Generate(b, Task::kSummary, p, "en", -1, {});
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_FALSE(again->cached);
    EXPECT_EQ(again->text, "The customer shops online.");
    EXPECT_EQ(b.calls, 2u);
  }
  test::MockLlmServer server([](const httplib::Request&, httplib::Response& res, int) {
    res.set_content(R"({"choices":[{"message":{"role":"assistant","content":null},"finish_reason":"length"}]})",
                    "application/json");
  });
  BackendConfig c;
  c.base_url = server.url();
  c.model = "m";
  auto openai = OpenAiBackend::Create(c);
  ASSERT_TRUE(openai.ok());
  auto r = session_->Generate(**openai, Task::kCopy, p, "zh", -1, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("empty copy text (finish_reason length)"), std::string::npos) << r.status().ToString();
  // A regeneration that comes back empty: the first attempt is kept, its unsupported sentence removed.
  ScriptedBackend twice({"The customer shops online. Mateo is a bargain hunter.", ""});
  WriterOptions o;
  o.use_cache = false;
  auto kept = session_->Generate(twice, Task::kSummary, p, "en", -1, o);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(twice.calls, 2u);
  EXPECT_EQ(kept->raw, "The customer shops online. Mateo is a bargain hunter.");
  EXPECT_EQ(kept->text, "The customer shops online.");
}

// An answer whose every sentence the claim checker removed: returned with the reasons, never
// cached (the next call asks again); the command prints why and exits non-zero.
TEST_F(LlmWriterTest, AnAnswerWithEverySentenceRemovedIsNotCachedAndTheCommandFails) {
  const Profile& p = profiles_->front();
  ScriptedBackend b({"Mateo is a bargain hunter who shops every week."}, "removed-1");
  WriterOptions o;
  o.regenerate = false;
  for (size_t call = 1; call <= 2; ++call) {
    auto r = session_->Generate(b, Task::kSummary, p, "en", -1, o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_FALSE(r->cached);
    EXPECT_EQ(r->text, "");
    EXPECT_FALSE(r->check.removed.empty());
    EXPECT_EQ(b.calls, call);
  }
  test::MockLlmServer server([](const httplib::Request&, httplib::Response& res, int) {
    res.set_content(test::CompletionJson("Mateo is a bargain hunter who shops every week."), "application/json");
  });
  for (int run = 1; run <= 2; ++run) {
    auto cli = test::RunCli(fmt::format("llm summary {} --user {} --lang en --backend openai --base-url {} --model m --no-regenerate",
                                        ws_->dir(), p.ext_id, server.url()));
    EXPECT_EQ(cli.exit_code, 1) << cli.out;
    EXPECT_NE(cli.err.find("removed every sentence"), std::string::npos) << cli.err;
    EXPECT_NE(cli.out.find("removed: Mateo is a bargain hunter"), std::string::npos) << cli.out;
    EXPECT_EQ(server.calls(), run);  // not served from the cache
  }
}

TEST_F(LlmWriterTest, CliSummaryJson) {
  const Profile& p = profiles_->front();
  auto r = test::RunCli(fmt::format("--json llm summary {} --user {} --lang en", ws_->dir(), p.ext_id));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["faithfulness"], 1.0);
  EXPECT_EQ(j["prompt_version"], "summary-v2");
  EXPECT_EQ(j["text"].get<std::string>().find(p.ext_id), std::string::npos);
  auto bad = test::RunCli(fmt::format("llm summary {} --user {} --backend local", ws_->dir(), p.ext_id));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("local"), std::string::npos);
}

}  // namespace
}  // namespace kgp::llm
