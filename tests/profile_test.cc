// Profiles on a generated shop: batch vs incremental equality, state file round trip, planted
// persona recovery, holdout accuracy against the popularity baseline, decay arithmetic.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "common/log.h"
#include "common/progress.h"
#include "graph/builder.h"
#include "ingest/generator.h"
#include "ingest/ingest.h"
#include "profile/eval.h"
#include "profile/cluster.h"
#include "profile/pipeline.h"
#include "profile_expect.h"
#include "test_util.h"

namespace kgp {
namespace {

// One generated shop for the whole suite: 500 users, 100,000 events (200 per user on average).
class ProfileTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Progress::SetEnabled(false);
    SetLogLevel(LogLevel::kWarn);
    tmp_ = new test::TempDir();
    GeneratorOptions g;
    g.users = 500, g.events = 100000, g.products = 1500, g.seed = 11;
    g.out_dir = *tmp_ / "sample";
    ASSERT_TRUE(Generate(g, nullptr).ok());
    ws_ = test::IngestedWorkspace(*tmp_ / "ws", test::ShopFiles(g.out_dir)).release();
    ASSERT_TRUE(ws_);
    auto ctx = LoadProfileContext(*ws_);
    ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
    ctx_ = new ProfileContext(std::move(ctx).value());
  }
  static void TearDownTestSuite() {
    delete ctx_;
    delete ws_;
    delete tmp_;
  }
  static test::TempDir* tmp_;
  static Workspace* ws_;
  static ProfileContext* ctx_;
};
test::TempDir* ProfileTest::tmp_ = nullptr;
Workspace* ProfileTest::ws_ = nullptr;
ProfileContext* ProfileTest::ctx_ = nullptr;

// batch(A+B) vs batch(A) then incremental(B), B = the last quarter of the time span. Each side
// reads the item index anew, as `profile build` and `profile update` do.
void CheckBatchThenIncremental(Workspace& ws) {
  Db& db = ws.db();
  const int64_t lo = db.QueryInt("SELECT min(ts) FROM events"), hi = db.QueryInt("SELECT max(ts) FROM events");
  const int64_t split = lo + (hi - lo) * 3 / 4;
  auto ctx_all = LoadProfileContext(ws), ctx_inc = LoadProfileContext(ws);
  ASSERT_TRUE(ctx_all.ok() && ctx_inc.ok());
  ProfileSet all, inc;
  all.ext_ids = inc.ext_ids = LoadUserIds(db);
  BatchBuild(*ctx_all->items, LoadEvents(db), 2, &all);
  EventFilter a, b;
  a.until = split;
  b.after = split;
  BatchBuild(*ctx_inc->items, LoadEvents(db, a), 2, &inc);
  std::vector<ProfileEvent> rest = LoadEvents(db, b);
  ASSERT_GT(rest.size(), 1000u);
  for (size_t i = 0; i < rest.size(); ++i) {
    RaiseSecond(rest, i, &inc);
    ApplyIncremental(*ctx_inc->items, rest[i], &inc);
  }
  EXPECT_EQ(all.as_of, inc.as_of);
  EXPECT_EQ(all.seen_prices, inc.seen_prices);
  ExpectSameProfiles(Snapshot(*ctx_all->items, all), Snapshot(*ctx_inc->items, inc));
}

TEST_F(ProfileTest, BatchEqualsBatchThenIncremental) { CheckBatchThenIncremental(*ws_); }

// The invariant on a real dataset; `variant_floor`: events that must name a variant.
void CheckRealData(const std::string& path, const char* format, int64_t variant_floor) {
  Progress::SetEnabled(false);
  SetLogLevel(LogLevel::kWarn);
  test::TempDir tmp;
  auto ws = test::IngestedWorkspace(tmp / "ws", {path}, format);
  ASSERT_TRUE(ws);
  EXPECT_GE(ws->db().QueryInt("SELECT count(*) FROM events WHERE variant IS NOT NULL"), variant_floor);
  CheckBatchThenIncremental(*ws);
}

TEST(ProfileRealData, MovieLensBatchEqualsBatchThenIncremental) {
  KGP_REQUIRE_DATA(ml, "ml-100k");
  CheckRealData(ml, "movielens", 0);
}

// Amazon reviews carry the variant bought (style): its values are per-event tags. 3,605 of the
// 4,239 stored reviews name a size, colour or scent.
TEST(ProfileRealData, AmazonVariantsBatchEqualsBatchThenIncremental) {
  KGP_REQUIRE_DATA(path, "amazon-all-beauty-5core/All_Beauty_5.json");
  CheckRealData(path, "amazon-reviews", 3000);
}

TEST_F(ProfileTest, StateFileRoundTrip) {
  ProfileSet set;
  set.ext_ids = LoadUserIds(ws_->db());
  BatchBuild(*ctx_->items, LoadEvents(ws_->db()), 1, &set);
  set.clusters.k = 5;
  DescribeNodes(*ctx_->graph, &set);
  ASSERT_FALSE(set.node_specs.empty());
  const std::string path = *tmp_ / "state.bin";
  ASSERT_TRUE(SaveProfileSet(path, set).ok());
  auto back = LoadProfileSet(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ext_ids, set.ext_ids);
  EXPECT_EQ(back->clusters.k, 5);
  EXPECT_EQ(back->node_specs, set.node_specs);
  EXPECT_TRUE(GraphRemap(*ctx_->graph, *back).empty());  // the same graph: nothing to map

  // Saved against another numbering (every tag node one id later, one node gone): the tags
  // follow their nodes, the gone one is dropped, repurchases keep their order.
  ProfileSet shifted = *back;
  const NodeId gone = shifted.node_specs.front().first;
  std::vector<NodeId> later(ctx_->graph->num_nodes() + 1, kNoNode);
  for (auto& [id, spec] : shifted.node_specs) later[id] = id + 1, id += 1;
  shifted.node_specs.front().second = "brand:no-such-brand";
  size_t with_gone = 0;
  for (UserState& st : shifted.states) {
    for (TagStat& t : st.tags) with_gone += t.tag == gone, t.tag = later[t.tag];
    for (Repurchase& r : st.repurchase) r.category = later[r.category];
  }
  ASSERT_GT(with_gone, 0u);
  MatchGraph(*ctx_->graph, &shifted);
  size_t still_gone = 0;
  for (size_t u = 0; u < set.states.size(); ++u) {
    std::vector<NodeId> want, got;
    for (const TagStat& t : set.states[u].tags) if (t.tag != gone) want.push_back(t.tag);
    for (const TagStat& t : shifted.states[u].tags) got.push_back(t.tag), still_gone += t.tag == gone;
    ASSERT_EQ(got, want) << u;
    std::vector<NodeId> rw, rg;
    for (const Repurchase& r : set.states[u].repurchase) if (r.category != gone) rw.push_back(r.category);
    for (const Repurchase& r : shifted.states[u].repurchase) rg.push_back(r.category);
    ASSERT_EQ(rg, rw) << u;  // first-purchase order
  }
  EXPECT_EQ(still_gone, 0u);
  EXPECT_EQ(shifted.node_specs, set.node_specs);
  const std::vector<Profile> ps = Snapshot(*ctx_->items, set);
  ExpectSameProfiles(ps, Snapshot(*ctx_->items, *back));
  for (const Profile& p : ps)  // weights are shares of the user's behaviour: 0…1 exactly
    for (const auto& kind : p.interests)
      for (const Interest& t : kind) ASSERT_TRUE(t.weight >= 0.0f && t.weight <= 1.0f) << p.ext_id << " " << t.weight;
  test::WriteFile(path, "KGPPROF1 truncated");
  EXPECT_FALSE(LoadProfileSet(path).ok());
  EXPECT_FALSE(LoadProfileSet(*tmp_ / "missing.state").ok());
}

TEST_F(ProfileTest, RecoversPlantedPersonasAndBeatsPopularity) {
  ProfileEvalOptions o;
  o.personas = *tmp_ / "sample/personas.jsonl";
  auto r = EvaluateProfiles(*ws_, *ctx_, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->persona_users, 500u);
  // Floors measured on this shop (seed 11): the generator's 3rd and 4th favourites get few
  // visits, so recovery grows with a user's activity (docs/profile.md "Quality").
  EXPECT_GE(r->planted_category_p3_active, 0.90) << r->persona_users_active << " active users";
  EXPECT_GE(r->planted_category_p3, 0.73);
  // No ranking of a user's own tags beats the ceiling; the estimator gets most of the way there.
  EXPECT_LE(r->planted_category_p3, r->planted_category_ceiling);
  EXPECT_LE(r->planted_category_ceiling, 1.0);
  EXPECT_GE(r->planted_category_p3, 0.85 * r->planted_category_ceiling);
  EXPECT_LE(r->planted_category_p3_active, r->planted_category_ceiling_active);
  size_t bucketed = 0;
  for (const auto& b : r->planted_by_events) {
    bucketed += b.users;
    EXPECT_LE(b.p3, b.ceiling + 1e-12) << b.events;
  }
  EXPECT_EQ(bucketed, r->persona_users);
  EXPECT_GE(r->planted_brand_p3, 0.65);
  EXPECT_GE(r->planted_price_level_acc, 0.85);
  EXPECT_GE(r->planted_active_hour_hit, 0.7);
  for (const char* key : {"category@3", "brand@3", "category@10"}) {
    EXPECT_GT(r->model[key].precision, 1.5 * r->baseline[key].precision) << key;
    EXPECT_GT(r->model[key].ndcg, r->baseline[key].ndcg) << key;
  }
  EXPECT_GT(r->fill_rate, 0.85);
  EXPECT_GT(r->share_min_tags, 0.95);
  EXPECT_LT(r->latency_p99_us, 1000);  // loose: shared CI machines; the bench measures it properly
}

// Entity nodes from the text stage reach profiles without changes: through products (an event on
// a product linked to an entity) and directly from the user node (MENTIONS from reviews).
TEST(ProfileEntities, EntityNeighboursBecomeInterests) {
  Progress::SetEnabled(false);
  SetLogLevel(LogLevel::kWarn);
  test::TempDir tmp;
  GeneratorOptions g;
  g.users = 50, g.events = 3000, g.products = 300, g.seed = 3;
  g.out_dir = tmp / "sample";
  ASSERT_TRUE(Generate(g, nullptr).ok());
  auto ws = test::IngestedWorkspace(tmp / "ws", test::ShopFiles(g.out_dir, false));
  ASSERT_TRUE(ws);
  Db& db = ws->db();
  // The product user 500000001 touched most, and two entities: one on that product, one the
  // user mentions.
  const int64_t user = db.QueryInt("SELECT id FROM graph_nodes WHERE type=0 AND key='500000001'");
  const int64_t product = db.QueryInt(
      "SELECT dst FROM graph_edges WHERE src=(SELECT id FROM graph_nodes WHERE type=0 AND key='500000001') AND type<=5 "
      "ORDER BY weight DESC LIMIT 1");
  ASSERT_GT(product, 0);
  db.ExecOrThrow("INSERT INTO graph_nodes(id,type,key,label) SELECT max(id)+1, 5, 'silk', 'silk' FROM graph_nodes");
  db.ExecOrThrow("INSERT INTO graph_nodes(id,type,key,label) SELECT max(id)+1, 5, 'fast delivery', 'fast delivery' FROM graph_nodes");
  db.ExecOrThrow(fmt::format("INSERT INTO graph_edges VALUES({}, 10, (SELECT id FROM graph_nodes WHERE key='silk'), 1, 0, 0, 1)", product));
  db.ExecOrThrow(fmt::format(
      "INSERT INTO graph_edges VALUES({}, 10, (SELECT id FROM graph_nodes WHERE key='fast delivery'), 2, 0, 1767225600, 2)", user));
  auto ctx = LoadProfileContext(*ws);
  ASSERT_TRUE(ctx.ok());
  ProfileSet set;
  set.ext_ids = LoadUserIds(db);
  BatchBuild(*ctx->items, LoadEvents(db), 1, &set);
  bool found = false;
  for (const Profile& p : Snapshot(*ctx->items, set)) {
    if (p.ext_id != "500000001") continue;
    found = true;
    EXPECT_GT(InterestIn(*ctx->graph, p, "entity:silk"), 0.0);
    EXPECT_NEAR(InterestIn(*ctx->graph, p, "entity:fast delivery"), 1.0, 1e-6);  // the user's only mention
  }
  EXPECT_TRUE(found);
}

// A key with several values on one item (the sizes a product comes in: Amazon's per-review
// "style") says nothing about a user as an item fact; the value the user's own event was about
// does. So size=10 oz is an interest of u2, who reviewed p1 in 10 oz, and not of u1, who took
// it in 7 oz; keys with one value on the item (color=Black on p1) are everyone's.
TEST(ProfileAttributes, VariantValuesAreInterestsOfWhoChoseThem) {
  Progress::SetEnabled(false);
  SetLogLevel(LogLevel::kWarn);
  test::TempDir tmp;
  const std::string path = tmp / "reviews.json";
  test::WriteFile(path,
                  R"({"reviewerID":"u1","asin":"p1","overall":5,"unixReviewTime":1500000000,"style":{"Size:":" 7 oz","Color:":" Black"}})" "\n"
                  R"({"reviewerID":"u2","asin":"p1","overall":4,"unixReviewTime":1500000100,"style":{"Size:":" 10 oz","Color:":" Black"}})" "\n"
                  R"({"reviewerID":"u1","asin":"p2","overall":3,"unixReviewTime":1500000200,"style":{"Size:":" 7 oz"}})" "\n"
                  R"({"reviewerID":"u3","asin":"p1","overall":3,"unixReviewTime":1500000300})" "\n");
  auto ws = test::IngestedWorkspace(tmp / "ws", {path}, "amazon-reviews");
  ASSERT_TRUE(ws);
  Db& db = ws->db();
  // Three variants: (p1, 7 oz + Black), (p1, 10 oz + Black), (p2, 7 oz); u3 named none.
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM variants"), 3);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM events WHERE variant IS NULL"), 1);
  IngestOptions again;  // read once more: nothing new, variants included
  again.format = "amazon-reviews", again.force = true;
  ASSERT_TRUE(Ingest(*ws, path, again).ok());
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM variants"), 3);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM variant_attributes"), 5);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM events"), 4);
  auto ctx = LoadProfileContext(*ws);
  ASSERT_TRUE(ctx.ok());
  ProfileSet set;
  set.ext_ids = LoadUserIds(db);
  BatchBuild(*ctx->items, LoadEvents(db), 1, &set);
  std::map<std::string, const Profile*> by_id;
  const auto profiles = Snapshot(*ctx->items, set);
  for (const Profile& p : profiles) by_id[p.ext_id] = &p;
  ASSERT_EQ(by_id.size(), 3u);
  const Graph& g = *ctx->graph;
  auto interest = [&](const char* user, const char* tag) { return InterestIn(g, *by_id.at(user), tag); };
  for (const char* u : {"u1", "u2", "u3"}) EXPECT_GT(interest(u, "attribute:color=Black"), 0.0) << u;
  EXPECT_GT(interest("u1", "attribute:size=7 oz"), 0.0);
  EXPECT_EQ(interest("u1", "attribute:size=10 oz"), 0.0);
  EXPECT_GT(interest("u2", "attribute:size=10 oz"), 0.0);
  EXPECT_EQ(interest("u2", "attribute:size=7 oz"), 0.0);
  EXPECT_EQ(interest("u3", "attribute:size=7 oz"), 0.0);  // reviewed p1 without a size
  EXPECT_EQ(interest("u3", "attribute:size=10 oz"), 0.0);
  // u1's 7 oz counts both events: p2 (one size, an item tag) and the 7 oz of p1 (a variant).
  const auto s7 = g.FindSpec("attribute:size=7 oz");
  ASSERT_TRUE(s7);
  const auto u1 = static_cast<size_t>(db.QueryInt("SELECT id FROM users WHERE ext_id = 'u1'"));
  ASSERT_LT(u1, set.states.size());
  int seen = 0;
  for (const TagStat& t : set.states[u1].tags)
    if (t.tag == *s7) {
      EXPECT_EQ(t.count, 2u);
      ++seen;
    }
  EXPECT_EQ(seen, 1);
  // The graph helpers profiles and explanations share.
  const auto p1 = g.FindSpec("product:p1"), p2 = g.FindSpec("product:p2");
  const auto s10 = g.FindSpec("attribute:size=10 oz"), black = g.FindSpec("attribute:color=Black");
  ASSERT_TRUE(p1 && p2 && s10 && black);
  EXPECT_TRUE(IsVariantAttribute(g, *p1, *s7));
  EXPECT_TRUE(IsVariantAttribute(g, *p1, *s10));
  EXPECT_FALSE(IsVariantAttribute(g, *p1, *black));
  EXPECT_FALSE(IsVariantAttribute(g, *p2, *s7));
  const std::vector<NodeId> attrs = {*s7, *black, *s10};
  EXPECT_EQ(SingleValuedAttributes(g, attrs), std::vector<NodeId>{*black});
  const std::vector<NodeId> none;
  EXPECT_TRUE(SingleValuedAttributes(g, none).empty());
}

// Quintile scores with ties: when most buyers bought once, they are all frequency 1, not the middle
// of the scale; buyers of the same last moment are all recency 5.
// A cluster is named after a root category only when it is the strongest interest of most of its
// members, and "leaning X" only when its members have clearly more of X than everyone.
TEST_F(ProfileTest, ClusterLabelsSayWhatMostMembersAre) {
  ProfileSet set;
  set.ext_ids = LoadUserIds(ws_->db());
  BatchBuild(*ctx_->items, LoadEvents(ws_->db()), 1, &set);
  std::vector<Profile> ps = Snapshot(*ctx_->items, set);
  const Graph& g = *ctx_->graph;
  ClusterOptions co;
  co.k = 6;
  const ClusterModel model = ClusterProfiles(g, ps, co);
  const auto root_weight = [&](const Profile& p, const std::string& root) {
    for (const Interest& t : p.interests[static_cast<int>(TagKind::kCategory)])
      if (g.key(t.tag) == root) return static_cast<double>(t.weight);
    return 0.0;
  };
  const auto top_root = [&](const Profile& p) {
    std::string best;
    double w = 0;
    for (const Interest& t : p.interests[static_cast<int>(TagKind::kCategory)])
      if (ctx_->items->Depth(t.tag) == 0 && t.weight > w) w = t.weight, best = std::string(g.key(t.tag));
    return best;
  };
  size_t named = 0;
  for (const Cluster& c : model.clusters) {
    const std::string fans = c.label.substr(0, c.label.find(" fans"));
    if (c.label.find(" fans") != std::string::npos) {
      ++named;
      size_t agree = 0;
      for (const Profile& p : ps) agree += p.cluster == c.id && top_root(p) == fans;
      EXPECT_GT(2 * agree, c.size) << c.label;
    }
    if (auto at = c.label.find("leaning "); at != std::string::npos) {
      const std::string lean = c.label.substr(at + 8, c.label.find(',', at) - at - 8);
      double in = 0, all = 0;
      for (const Profile& p : ps) {
        all += root_weight(p, lean) / static_cast<double>(ps.size());
        if (p.cluster == c.id) in += root_weight(p, lean) / static_cast<double>(c.size);
      }
      EXPECT_GE(in - all, 0.05 - 1e-9) << c.label;
    }
  }
  EXPECT_GE(named, 3u);  // the generated personas concentrate on a few roots
  std::set<std::string> labels;
  for (const Cluster& c : model.clusters) EXPECT_TRUE(labels.insert(c.label).second) << "two clusters read " << c.label;

  // Fewer distinct profiles than clusters asked for: no cluster of nobody, ids 0..k-1.
  std::vector<Profile> same(9, ps[0]);
  co.k = 8;
  const ClusterModel few = ClusterProfiles(g, same, co);
  ASSERT_FALSE(few.clusters.empty());
  for (size_t i = 0; i < few.clusters.size(); ++i) {
    EXPECT_EQ(few.clusters[i].id, static_cast<int>(i));
    EXPECT_GT(few.clusters[i].size, 0u) << few.clusters[i].label;
  }
  for (const Profile& p : same) EXPECT_LT(p.cluster, static_cast<int>(few.clusters.size()));
}

TEST(ProfileRfm, TiesShareTheLowestFrequencyAndTheHighestRecency) {
  struct B {
    uint32_t purchases;
    double recency, monetary;
  };
  const B buyers[] = {{1, 0.5, 10}, {1, 0.5, 20}, {1, 3, 30}, {1, 9, 40}, {1, 20, 50}, {1, 40, 60},
                      {2, 0.5, 70}, {2, 5, 80}, {5, 12, 90}, {9, 30, 100}};
  std::vector<Profile> ps;
  for (const B& b : buyers) {
    Profile p;
    p.events = 10, p.purchases = b.purchases, p.recency_days = b.recency, p.monetary = b.monetary;
    ps.push_back(p);
  }
  Profile browser;
  browser.events = 3;
  ps.push_back(browser);
  ScoreRfm(ps);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(ps[i].f_score, 1) << i;
  EXPECT_EQ(ps[6].f_score, 4);  // 2 purchases: above the six one-time buyers
  EXPECT_EQ(ps[9].f_score, 5);
  for (size_t i : {0, 1, 6}) EXPECT_EQ(ps[i].r_score, 5) << i;  // the three most recent, tied
  EXPECT_EQ(ps[5].r_score, 1);
  EXPECT_EQ(ps[0].m_score, 1);
  EXPECT_EQ(ps[0].rfm_segment, "new customers");  // recent, one purchase, little spent
  EXPECT_EQ(ps[9].m_score, 5);
  EXPECT_EQ(ps[10].rfm_segment, "prospect");
  EXPECT_EQ(ps[10].f_score, 0);
  // Everyone tied: one-time buyers of the same moment are F 1 and R 5.
  std::vector<Profile> same(5, ps[0]);
  ScoreRfm(same);
  for (const Profile& p : same) EXPECT_EQ(p.f_score * 10 + p.r_score, 15);
}

TEST(ProfileState, DecayHalvesWeightEveryHalfLife) {
  // Two events of the same type on different tags, one half-life apart: the older weighs half.
  ItemIndex items;  // no items: events carry no tags, so check the totals directly
  ProfileOptions o;
  o.half_life_days = 10;
  UserState s;
  const int64_t t0 = 1700000000;
  ApplyEvent(items, o, ProfileEvent{t0, 1, 1, -1, NAN, EventType::kView}, -1, s, {});
  const double one = DecayedAt(s, s.total_w, t0, o.half_life_days);
  EXPECT_NEAR(one, 1.0, 1e-12);
  EXPECT_NEAR(DecayedAt(s, s.total_w, t0 + 10 * 86400, o.half_life_days), 0.5, 1e-12);
  ApplyEvent(items, o, ProfileEvent{t0 + 10 * 86400, 1, 1, -1, NAN, EventType::kPurchase}, -1, s, {});
  EXPECT_NEAR(DecayedAt(s, s.total_w, t0 + 10 * 86400, o.half_life_days), 5.5, 1e-9);
  EXPECT_EQ(s.sessions, 2u);
  EXPECT_EQ(s.events, 2u);
  // Far-future events rebase the anchor instead of overflowing.
  ApplyEvent(items, o, ProfileEvent{t0 + 20000LL * 86400, 1, 1, -1, NAN, EventType::kView}, -1, s, {});
  EXPECT_TRUE(std::isfinite(s.total_w));
  EXPECT_NEAR(DecayedAt(s, s.total_w, t0 + 20000LL * 86400, o.half_life_days), 1.0, 1e-9);
}

}  // namespace
}  // namespace kgp
