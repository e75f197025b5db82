// The HTTP service end to end, in process, on a generated shop: authentication and scopes,
// malformed and oversized requests, unknown ids, rate limits, concurrent writers (every event
// counted once, repeats not applied), read-your-writes, graceful shutdown keeping every
// acknowledged event, erasure, and every read endpoint answering its documented shape.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "common/progress.h"
#include "common/time.h"
#include "graph/builder.h"
#include "ingest/generator.h"
#include "ingest/ingest.h"
#include "llm_mock_server.h"
#include "privacy/pseudonym.h"
#include "profile/pipeline.h"
#include "service/event_merger.h"
#include "service/keys.h"
#include "service/live_profiles.h"
#include "service/server.h"
#include "store/commit_lock.h"
#include "test_util.h"

namespace kgp::service {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// A server on an ephemeral port, serving from a thread until destroyed.
class Running {
 public:
  Running(const std::string& ws, ServerOptions o) {
    o.port = 0;
    auto s = Server::Create(ws, o);
    if (!s.ok()) throw std::runtime_error(s.status().ToString());
    server_ = std::move(s).value();
    auto p = server_->Bind();
    if (!p.ok()) throw std::runtime_error(p.status().ToString());
    port_ = *p;
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~Running() { Stop(); }
  void Stop() {
    if (!server_) return;
    server_->Stop();
    thread_.join();
    server_.reset();
  }
  int port() const { return port_; }
  httplib::Client Client(const std::string& key) const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    if (!key.empty()) c.set_default_headers({{"X-API-Key", key}});
    return c;
  }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// A raw TCP connection to the server, for what httplib::Client cannot send (pipelining, slow
// or malformed requests).
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect");
  }
  ~RawConnection() { close(fd_); }
  bool Send(const std::string& s) { return send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size()); }
  // Everything received until the peer closes or nothing arrives for timeout_ms; *closed tells which.
  std::string ReadAll(int timeout_ms, bool* closed = nullptr) {
    std::string out;
    char buf[4096];
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, timeout_ms) <= 0) {
        if (closed) *closed = false;
        return out;
      }
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        if (closed) *closed = true;
        return out;
      }
      out.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
};

json Body(const httplib::Result& r) {
  if (!r) return json();
  return json::parse(r->body, nullptr, false);
}

class ServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Progress::SetEnabled(false);
    SetLogLevel(LogLevel::kWarn);
    tmp_ = new test::TempDir();
    GeneratorOptions g;
    g.users = 150, g.events = 12000, g.products = 300, g.seed = 5;
    g.out_dir = *tmp_ / "sample";
    ASSERT_TRUE(Generate(g, nullptr).ok());
    base_ = new std::string(*tmp_ / "ws");
    auto ws = test::IngestedWorkspace(*base_, test::ShopFiles(g.out_dir));
    ASSERT_TRUE(ws);
    auto ctx = LoadProfileContext(*ws);
    ASSERT_TRUE(ctx.ok());
    ClusterOptions co;
    co.k = 4;
    ASSERT_TRUE(BuildAllProfiles(*ws, *ctx, ProfileOptions{}, co, 2).ok());
    Db& db = ws->db();
    read_key_ = new std::string(CreateApiKey(db, "test read", Scope::kRead)->key);
    write_key_ = new std::string(CreateApiKey(db, "test write", Scope::kWrite)->key);
    admin_key_ = new std::string(CreateApiKey(db, "test admin", Scope::kAdmin)->key);
    Stmt st = db.Prepare(
        "SELECT u.ext_id FROM users u JOIN events e ON e.user_id = u.id GROUP BY u.id ORDER BY count(*) DESC LIMIT 2");
    ASSERT_TRUE(st.Step());
    user_ = new std::string(st.Text(0));
    ASSERT_TRUE(st.Step());
    other_user_ = new std::string(st.Text(0));
    Stmt it = db.Prepare("SELECT i.ext_id FROM items i JOIN events e ON e.item_id = i.id GROUP BY i.id ORDER BY count(*) DESC LIMIT 1");
    ASSERT_TRUE(it.Step());
    item_ = new std::string(it.Text(0));
  }
  static void TearDownTestSuite() {
    for (auto* s : {base_, read_key_, write_key_, admin_key_, user_, other_user_, item_}) delete s;
    delete tmp_;
  }
  // A private copy of the prepared workspace, for tests that change it.
  static std::string CopyWorkspace(const test::TempDir& dir) {
    const std::string out = dir / "ws";
    fs::copy(*base_, out, fs::copy_options::recursive);
    return out;
  }
  static ServerOptions Options() {
    ServerOptions o;
    o.durable = false;  // the tests measure behaviour, not the disk
    o.threads = 8;
    return o;
  }
  // sql may name the service's staged events as inbox.service_event_inbox.
  static int64_t Count(const std::string& ws, const std::string& sql) {
    auto w = Workspace::Open(ws);
    EXPECT_TRUE(w.ok());
    if (!w.ok()) return -1;
    EXPECT_TRUE(AttachInbox((*w)->db(), (*w)->Path(kInboxFile), "NORMAL").ok());
    return (*w)->db().QueryInt(sql);
  }
  // True once the inbox is empty (the merger moved every staged event and the writer deleted them), within 10 s.
  static bool WaitUntilMoved(const std::string& ws) {
    for (int i = 0; i < 100; ++i) {
      if (Count(ws, "SELECT count(*) FROM inbox.service_event_inbox") == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  static test::TempDir* tmp_;
  static std::string *base_, *read_key_, *write_key_, *admin_key_, *user_, *other_user_, *item_;
};
test::TempDir* ServiceTest::tmp_ = nullptr;
std::string *ServiceTest::base_, *ServiceTest::read_key_, *ServiceTest::write_key_, *ServiceTest::admin_key_,
    *ServiceTest::user_, *ServiceTest::other_user_, *ServiceTest::item_;

json Event(const std::string& user, const std::string& item, const std::string& type, int64_t ts) {
  return {{"user", user}, {"item", item}, {"type", type}, {"ts", ts}, {"price", 19.9}};
}

TEST_F(ServiceTest, EveryEndpointButHealthzNeedsAKeyOfTheRightScope) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  Running s(ws, Options());
  auto anon = s.Client("");
  auto health = anon.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(Body(health)["status"], "ok");
  for (const std::string& path : {"/v1/users/" + *user_ + "/profile", std::string("/metrics"), std::string("/v1/segments")}) {
    auto r = anon.Get(path.c_str());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << path;
    EXPECT_EQ(Body(r)["error"]["code"], "unauthenticated") << path;
  }
  auto wrong = s.Client("kgp_000000000000_00000000000000000000000000000000").Get(("/v1/users/" + *user_ + "/profile").c_str());
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto bearer = s.Client("");
  bearer.set_default_headers({{"Authorization", "Bearer " + *read_key_}});
  auto ok = bearer.Get(("/v1/users/" + *user_ + "/profile").c_str());
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  // Read scope cannot write or erase; write scope cannot erase.
  const std::string batch = json{{"events", {Event(*user_, *item_, "view", 1767300000)}}}.dump();
  auto post = s.Client(*read_key_).Post("/v1/events", batch, "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 403);
  EXPECT_EQ(Body(post)["error"]["code"], "forbidden");
  auto del = s.Client(*write_key_).Delete(("/v1/users/" + *user_).c_str());
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 403);
  // A revoked key stops working once the server reloads its keys (every 2 s).
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    auto k = CreateApiKey((*w)->db(), "short-lived", Scope::kRead);
    ASSERT_TRUE(k.ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    auto before = s.Client(k->key).Get("/v1/segments");
    ASSERT_TRUE(before);
    EXPECT_EQ(before->status, 200);
    ASSERT_TRUE(RevokeApiKey((*w)->db(), k->info.id).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    auto after = s.Client(k->key).Get("/v1/segments");
    ASSERT_TRUE(after);
    EXPECT_EQ(after->status, 401);
  }
  // The stored form is the digest, never the key.
  EXPECT_EQ(Count(ws, fmt::format("SELECT count(*) FROM service_api_keys WHERE hash = '{}'", HashApiKey(*read_key_))), 1);
  EXPECT_EQ(Count(ws, fmt::format("SELECT count(*) FROM service_api_keys WHERE hash = '{}' OR id = '{}'", *read_key_, *read_key_)), 0);
}

// A second server on the port of a running one fails to bind. With SO_REUSEPORT (cpp-httplib's
// default) both listened, and the kernel split the connections between them: another
// workspace's answers, its events and its erasures.
TEST_F(ServiceTest, ASecondServerCannotBindThePortOfARunningOne) {
  test::TempDir other;
  const std::string ws2 = CopyWorkspace(other);
  Running first(*base_, Options());
  ServerOptions o = Options();
  o.port = first.port();
  auto second = Server::Create(ws2, o);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  auto bound = (*second)->Bind();
  ASSERT_FALSE(bound.ok()) << "a second server bound port " << first.port();
  EXPECT_NE(bound.status().message().find("in use"), std::string::npos) << bound.status().ToString();
  auto c = first.Client("");
  for (int i = 0; i < 8; ++i) {
    auto r = c.Get("/healthz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
}

TEST_F(ServiceTest, BadJsonAndInvalidEventsAreRefusedWithReasonsAndNothingIsStored) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  const int64_t before = Count(ws, "SELECT count(*) FROM events");
  {
    Running s(ws, Options());
    auto c = s.Client(*write_key_);
    for (const char* body : {"{", "[1, 2", "", "\xff\xfe"}) {
      auto r = c.Post("/v1/events", body, "application/json");
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 400) << body;
      EXPECT_EQ(Body(r)["error"]["code"], "bad_json") << body;
    }
    for (const char* body : {"{}", "{\"events\": 3}", "{\"events\": []}"}) {
      auto r = c.Post("/v1/events", body, "application/json");
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 400) << body;
    }
    json events = json::array({Event(*user_, *item_, "view", 1767300000),           // valid
                               {{"item", *item_}, {"type", "view"}},                // no user
                               {{"user", *user_}, {"item", *item_}, {"type", "teleport"}},
                               {{"user", *user_}, {"item", *item_}, {"type", "buy"}, {"price", -3}},
                               {{"user", *user_}, {"item", *item_}, {"type", "view"}, {"ts", "yesterday"}},
                               "not an object",
                               {{"user", *user_}, {"item", *item_}, {"type", "buy"}, {"price", 1e308}},
                               {{"user", std::string("a\0b", 3)}, {"item", *item_}, {"type", "view"}},
                               {{"user", *user_}, {"item", *item_}, {"type", "view"},
                                {"ts", static_cast<int64_t>(std::time(nullptr)) + 3 * 86400}}});
    auto r = c.Post("/v1/events", json{{"events", events}}.dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    json j = Body(r);
    EXPECT_EQ(j["error"]["code"], "invalid_events");
    ASSERT_EQ(j["error"]["details"].size(), 8u) << j.dump();
    EXPECT_EQ(j["error"]["details"][0]["index"], 1);
    EXPECT_EQ(j["error"]["details"][0]["field"], "user");
    EXPECT_EQ(j["error"]["details"][1]["field"], "type");
    EXPECT_EQ(j["error"]["details"][2]["field"], "price");
    EXPECT_EQ(j["error"]["details"][3]["field"], "ts");
    EXPECT_EQ(j["error"]["details"][4]["index"], 5);
    EXPECT_EQ(j["error"]["details"][5]["field"], "price");  // 1e308: the totals would overflow
    EXPECT_EQ(j["error"]["details"][6]["field"], "user");   // a NUL byte would reach the CSV exports raw
    EXPECT_EQ(j["error"]["details"][7]["field"], "ts");     // days ahead: every as-of date would move
    // Bad query parameters are 400 too, not a crash.
    auto bad_k = s.Client(*read_key_).Get(("/v1/users/" + *user_ + "/recommendations?k=-1").c_str());
    ASSERT_TRUE(bad_k);
    EXPECT_EQ(bad_k->status, 400);
    auto bad_explain = s.Client(*read_key_).Get(("/v1/users/" + *user_ + "/recommendations?explain=2").c_str());
    ASSERT_TRUE(bad_explain);
    EXPECT_EQ(bad_explain->status, 400) << bad_explain->body;
    auto bad_rule = s.Client(*read_key_).Post("/v1/audiences", R"({"rule": "interest('x' >"})", "application/json");
    ASSERT_TRUE(bad_rule);
    EXPECT_EQ(bad_rule->status, 400);
    EXPECT_FALSE(Body(bad_rule)["error"]["message"].get<std::string>().empty());
  }
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM events"), before);
}

TEST_F(ServiceTest, OversizedBodiesAre413AndLargeBatchesToo) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  ServerOptions o = Options();
  o.max_body_bytes = 4096;
  o.max_batch_events = 10;
  Running s(ws, o);
  auto c = s.Client(*write_key_);
  json big = json::array();
  for (int i = 0; i < 100; ++i) big.push_back(Event(*user_, *item_, "view", 1767300000 + i));
  auto r = c.Post("/v1/events", json{{"events", big}}.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  json small = json::array();
  for (int i = 0; i < 11; ++i) small.push_back({{"user", "u"}, {"item", "i"}, {"type", "view"}, {"ts", i}});
  auto r2 = c.Post("/v1/events", json{{"events", small}}.dump(), "application/json");
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 413);
  EXPECT_EQ(Body(r2)["error"]["code"], "batch_too_large");
  // Chunked, with no length to check up front: the limit still holds.
  const std::string body = json{{"events", big}}.dump();
  auto r3 = c.Post(
      "/v1/events",
      [&body](size_t offset, httplib::DataSink& sink) {
        if (offset < body.size()) sink.write(body.data() + offset, std::min<size_t>(1000, body.size() - offset));
        else sink.done();
        return true;
      },
      "application/json");
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->status, 413);
  // Without a key nothing is read: 401 even for a body the route would refuse.
  auto anon = s.Client("").Post("/v1/events", "--b\r\n\r\n--b--\r\n", "multipart/form-data; boundary=b");
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->status, 401);
  // The server is still serving.
  auto h = c.Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
}

// `curl -d @batch.json` sends its body as a form (application/x-www-form-urlencoded); a batch
// over 8 KiB sent so is read up to --max-body like any other, not refused at 8 KiB.
TEST_F(ServiceTest, ABatchPostedAsAFormIsReadUpToTheBodyLimit) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  const int64_t before = Count(ws, "SELECT count(*) FROM events");
  {
    Running s(ws, Options());
    auto c = s.Client(*write_key_);
    json batch = json::array();
    for (int i = 0; i < 200; ++i) batch.push_back(Event(*user_, *item_, "view", 1767300000 + i));
    const std::string body = json{{"events", batch}}.dump();
    ASSERT_GT(body.size(), 8192u);
    auto r = c.Post("/v1/events", body, "application/x-www-form-urlencoded");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    auto m = c.Post("/v1/events", "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--b--\r\n",
                    "multipart/form-data; boundary=b");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->status, 415) << m->body;
  }
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM events"), before + 200);
}

TEST_F(ServiceTest, UnknownUsersItemsNodesAndRoutesAre404WithJsonErrors) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  Running s(ws, Options());
  auto c = s.Client(*read_key_);
  for (const std::string& path :
       {std::string("/v1/users/nobody-here/profile"), std::string("/v1/users/nobody-here/recommendations"),
        std::string("/v1/users/nobody-here/next-purchase"), std::string("/v1/users/nobody-here/summary"),
        std::string("/v1/items/no-such-item/related"), std::string("/v1/graph/nodes/user:nobody-here/neighbors"),
        std::string("/v1/graph/paths?from=user:nobody-here&to=user:") + *user_, std::string("/v1/no/such/route")}) {
    auto r = c.Get(path.c_str());
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
    json j = Body(r);
    ASSERT_TRUE(j.contains("error")) << path << ": " << r->body;
    EXPECT_EQ(j["error"]["code"], "not_found") << path;
  }
  auto admin = s.Client(*admin_key_).Delete("/v1/users/nobody-here");
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->status, 404);
  // A known path asked with a method it does not serve: 405 naming the methods it does.
  const auto method_not_allowed = [](const httplib::Result& r, const std::string& allow) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 405) << r->body;
    EXPECT_EQ(r->get_header_value("Allow"), allow);
    EXPECT_EQ(Body(r)["error"]["code"], "method_not_allowed") << r->body;
  };
  method_not_allowed(c.Put("/v1/events", "{}", "application/json"), "POST, OPTIONS");
  method_not_allowed(c.Get("/v1/events"), "POST, OPTIONS");
  method_not_allowed(c.Post("/healthz", "", "application/json"), "GET, HEAD, OPTIONS");
  method_not_allowed(c.Patch(("/v1/users/" + *user_).c_str(), "{}", "application/json"), "DELETE, OPTIONS");
  method_not_allowed(c.Delete("/v1/segments"), "GET, HEAD, OPTIONS");
  auto options = c.Options("/v1/events");
  ASSERT_TRUE(options);
  EXPECT_EQ(options->status, 204);
  EXPECT_EQ(options->get_header_value("Allow"), "POST, OPTIONS");
  auto unknown = c.Put("/v1/no/such/route", "{}", "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  // Requests no route served are counted under route="other": two 404s, five 405s, one OPTIONS.
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("kgprofile_http_requests_total{route=\"other\",code=\"4xx\"} 7\n"), std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("kgprofile_http_requests_total{route=\"other\",code=\"2xx\"} 1\n"), std::string::npos)
      << metrics->body;
}

// Recommendations follow the events posted since start-up, not only the history the engine was
// built from: an item the user buys is not offered again, and a shopper first seen after
// start-up is recommended from their posted views (before, 404 until a restart).
TEST_F(ServiceTest, RecommendationsFollowEventsPostedSinceStart) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  const int64_t later = Count(ws, "SELECT max(ts) FROM events") + 3600;
  Running s(ws, Options());
  auto r = s.Client(*read_key_);
  auto w = s.Client(*write_key_);
  auto items_of = [](const json& j) {
    std::vector<std::string> v;
    for (const auto& x : j["recommendations"]) v.push_back(x["item"].get<std::string>());
    return v;
  };
  auto get = [&](const std::string& path) {
    auto g = r.Get(path.c_str());
    EXPECT_TRUE(g) << path;
    if (!g) return json();
    EXPECT_EQ(g->status, 200) << path << ": " << g->body;
    return Body(g);
  };
  const std::vector<std::string> before = items_of(get("/v1/users/" + *user_ + "/recommendations?k=10"));
  ASSERT_EQ(before.size(), 10u);
  auto bought = w.Post("/v1/events", json{{"events", {Event(*user_, before[0], "purchase", later)}}}.dump(), "application/json");
  ASSERT_TRUE(bought);
  ASSERT_EQ(bought->status, 200) << bought->body;
  const std::vector<std::string> after = items_of(get("/v1/users/" + *user_ + "/recommendations?k=10"));
  ASSERT_EQ(after.size(), 10u);
  EXPECT_EQ(std::find(after.begin(), after.end(), before[0]), after.end()) << "the item just bought is offered again";

  const std::string shopper = "first-seen-after-start";
  EXPECT_EQ(r.Get(("/v1/users/" + shopper + "/recommendations").c_str())->status, 404);
  std::vector<json> views;
  for (int i = 0; i < 3; ++i) views.push_back(Event(shopper, *item_, "view", later + i));
  auto posted = w.Post("/v1/events", json{{"events", views}}.dump(), "application/json");
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 200) << posted->body;
  json recs = get("/v1/users/" + shopper + "/recommendations?k=10&explain=1");
  ASSERT_EQ(recs["recommendations"].size(), 10u) << recs.dump();
  EXPECT_EQ(recs["user"], shopper);
  size_t covisited = 0, said = 0, interests = 0;
  for (const auto& x : recs["recommendations"]) {
    for (const auto& ex : x["explanations"]) interests += ex["kind"] == "interest" && ex["path"] == "";
    if (x["features"]["covisit"].get<double>() <= 0) continue;
    ++covisited;
    // Explained from the shopper's own views, without a path (the graph has no node for them).
    for (const auto& ex : x["explanations"])
      said += ex["kind"] == "covisit" && ex["path"] == "" &&
              ex["en"].get<std::string>().find("also viewed") != std::string::npos && !ex["zh"].get<std::string>().empty();
  }
  EXPECT_GT(covisited, 0u) << "the posted views seed nothing: " << recs.dump();
  EXPECT_EQ(said, covisited) << recs.dump();
  EXPECT_GT(interests, 0u) << "the category of the views is an interest: " << recs.dump();
  // Its affinity comes from the posted views alone (without them every category reads 0).
  json next = get("/v1/users/" + shopper + "/next-purchase?k=3");
  ASSERT_FALSE(next["categories"].empty()) << next.dump();
  EXPECT_GT(next["categories"][0]["features"]["affinity"].get<double>(), 0.0) << next.dump();
  const std::string metrics = r.Get("/metrics")->body;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(metrics, m, std::regex(R"(kgprofile_memory_bytes\{part="posted_events"\} (\d+))"))) << metrics;
  EXPECT_GE(std::stoll(m[1]), 4 * static_cast<long long>(sizeof(ProfileEvent)));  // a purchase and three views
}

TEST_F(ServiceTest, ReadEndpointsAnswerTheirDocumentedShapes) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  Running s(ws, Options());
  auto c = s.Client(*read_key_);
  auto get = [&](const std::string& path) {
    auto r = c.Get(path.c_str());
    EXPECT_TRUE(r) << path;
    if (!r) return json();
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    return Body(r);
  };
  json p = get("/v1/users/" + *user_ + "/profile?paths=1");
  EXPECT_EQ(p["user_id"], *user_);
  EXPECT_GT(p["behaviour"]["events"].get<int>(), 10);
  EXPECT_FALSE(p["interests"]["categories"].empty());
  EXPECT_EQ(p["behaviour"]["hour_of_week"].size(), 168u);
  json recs = get("/v1/users/" + *user_ + "/recommendations?k=5&explain=1");
  ASSERT_EQ(recs["recommendations"].size(), 5u);
  EXPECT_TRUE(recs["recommendations"][0].contains("explanations"));
  json next = get("/v1/users/" + *user_ + "/next-purchase?k=3");
  EXPECT_FALSE(next["categories"].empty());
  json rel = get("/v1/items/" + *item_ + "/related?k=5");
  EXPECT_FALSE(rel["related"].empty());
  json nb = get("/v1/graph/nodes/user:" + *user_ + "/neighbors?limit=5&type=PURCHASED,VIEWED");
  EXPECT_LE(nb["neighbors"].size(), 5u);
  EXPECT_GT(nb["total"].get<int>(), 0);
  json paths = get("/v1/graph/paths?from=user:" + *user_ + "&to=product:" + *item_ + "&k=2");
  EXPECT_EQ(paths["from"], "user:" + *user_);
  json segs = get("/v1/segments");
  EXPECT_EQ(segs["segments"].size(), 4u);
  auto aud = c.Post("/v1/audiences", json{{"rule", "events >= 1"}, {"limit", 10}, {"offset", 5}}.dump(), "application/json");
  ASSERT_TRUE(aud);
  ASSERT_EQ(aud->status, 200) << aud->body;
  json a = Body(aud);
  EXPECT_GT(a["count"].get<int>(), 100);
  EXPECT_EQ(a["user_ids"].size(), 10u);
  EXPECT_EQ(a["next_offset"], 15);
  EXPECT_EQ(a["dp"], false);  // an exact release says so the way every release does
  EXPECT_TRUE(a.contains("epsilon") && a["epsilon"].is_null()) << a.dump();
  json summary = get("/v1/users/" + *user_ + "/summary?lang=en");
  EXPECT_FALSE(summary["text"].get<std::string>().empty()) << summary.dump();
  auto page = s.Client("").Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("Audience builder"), std::string::npos);
  // The page runs its own script only (by hash; 'unsafe-inline' let an injected one run) and is
  // not framed. The browser test (service_process_test.cc) shows the hash lets the page work.
  const std::string csp = page->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("script-src 'sha256-"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("script-src 'unsafe-inline'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  // Personal data is not kept by caches; no answer is sniffed or framed.
  auto anonymous = s.Client("");
  for (const std::string& path : {"/v1/users/" + *user_ + "/profile", std::string("/v1/users/nobody/profile"), std::string("/")}) {
    auto r = (path == "/" ? anonymous : c).Get(path.c_str());
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store") << path;
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(r->get_header_value("X-Frame-Options"), "DENY") << path;
  }
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("kgprofile_http_requests_total{route=\"get_profile\",code=\"2xx\"}"), std::string::npos);
  EXPECT_NE(metrics->body.find("kgprofile_http_request_duration_seconds_bucket{route=\"get_recommendations\""), std::string::npos);
  EXPECT_NE(metrics->body.find("kgprofile_profile_update_lag_seconds_count"), std::string::npos);
  // Memory gauges: the resident set and the bounded caches inside it, each a positive number
  // that does not exceed the resident set (the profile reads above filled the answer cache).
  const auto gauge = [&](const std::string& name) -> double {
    const size_t at = metrics->body.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stod(metrics->body.substr(at + name.size() + 2));
  };
  const double rss = gauge("process_resident_memory_bytes");
  EXPECT_GT(rss, 1e6);
  for (const char* part : {"kgprofile_memory_bytes{part=\"sqlite\"}", "kgprofile_memory_bytes{part=\"answer_cache\"}"}) {
    const double v = gauge(part);
    EXPECT_GT(v, 0) << part;
    EXPECT_LT(v, rss) << part;
  }
}

TEST_F(ServiceTest, HttpsWhenACertificateAndKeyAreGiven) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) GTEST_SKIP() << "openssl command not installed";
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  const std::string cert = dir / "tls.crt", key = dir / "tls.key";
  ASSERT_EQ(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout " + key +
                         " -out " + cert + " >/dev/null 2>&1").c_str()),
            0);
  ServerOptions o = Options();
  o.cert_file = cert;
  o.key_file = key;
  Running s(ws, o);
  httplib::SSLClient c("127.0.0.1", s.port());
  c.enable_server_certificate_verification(false);  // self-signed
  c.set_default_headers({{"X-API-Key", *read_key_}});
  auto r = c.Get(("/v1/users/" + *user_ + "/profile").c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  // Plain HTTP on the TLS port gets no answer.
  EXPECT_FALSE(s.Client(*read_key_).Get("/healthz"));
  // Half a configuration, or a file that is not PEM, is refused before anything is loaded.
  ServerOptions half = Options();
  half.cert_file = cert;
  EXPECT_FALSE(Server::Create(ws, half).ok());
  ServerOptions bad = Options();
  bad.cert_file = key + ".missing";
  bad.key_file = key;
  EXPECT_FALSE(Server::Create(ws, bad).ok());
}

TEST_F(ServiceTest, RateLimitAnswers429PerKey) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  ServerOptions o = Options();
  o.rate_limit = 2;
  o.rate_burst = 5;
  Running s(ws, o);
  auto c = s.Client(*read_key_);
  int ok = 0, limited = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    auto r = c.Get("/v1/segments");
    ASSERT_TRUE(r);
    if (r->status == 200) ++ok;
    if (r->status == 429) {
      ++limited;
      EXPECT_EQ(Body(r)["error"]["code"], "rate_limited");
    }
  }
  // The burst, plus what the bucket refilled at 2/s while the requests ran (a loaded machine
  // may take seconds for them).
  const double took = kgp::SecondsSince(t0);
  EXPECT_GE(ok, 5);
  EXPECT_LE(ok, 5 + static_cast<int>(2 * took) + 1) << took << " s";
  EXPECT_GT(limited, 0);
  EXPECT_EQ(ok + limited, 20);
  // Another key has its own bucket.
  auto other = s.Client(*admin_key_).Get("/v1/segments");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
}

TEST_F(ServiceTest, ConcurrentWritersAreAllCountedAndRepeatsAreNotAppliedTwice) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  const int64_t before = Count(ws, "SELECT count(*) FROM events");
  constexpr int kThreads = 4, kRequests = 25, kPerRequest = 8;
  std::atomic<int> accepted{0}, failures{0};
  {
    Running s(ws, Options());
    const int events_before = Body(s.Client(*read_key_).Get(("/v1/users/" + *user_ + "/profile").c_str()))["behaviour"]["events"];
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        auto c = s.Client(*write_key_);
        for (int r = 0; r < kRequests; ++r) {
          json batch = json::array();
          for (int i = 0; i < kPerRequest; ++i)
            batch.push_back(Event(*user_, *item_, "view", 1780000000 + (t * kRequests + r) * kPerRequest + i));
          auto res = c.Post("/v1/events", json{{"events", batch}}.dump(), "application/json");
          if (!res || res->status != 200) {
            ++failures;
            continue;
          }
          accepted += Body(res)["accepted"].get<int>();
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(accepted.load(), kThreads * kRequests * kPerRequest);
    // The same batch again: all repeats, nothing applied.
    json again = json::array();
    for (int i = 0; i < kPerRequest; ++i) again.push_back(Event(*user_, *item_, "view", 1780000000 + i));
    auto rep = s.Client(*write_key_).Post("/v1/events", json{{"events", again}}.dump(), "application/json");
    ASSERT_TRUE(rep);
    ASSERT_EQ(rep->status, 200);
    EXPECT_EQ(Body(rep)["accepted"], 0);
    EXPECT_EQ(Body(rep)["duplicates"], kPerRequest);
    const int events_after = Body(s.Client(*read_key_).Get(("/v1/users/" + *user_ + "/profile").c_str()))["behaviour"]["events"];
    EXPECT_EQ(events_after - events_before, kThreads * kRequests * kPerRequest);
    auto m = s.Client(*read_key_).Get("/metrics");
    ASSERT_TRUE(m);
    EXPECT_NE(m->body.find(fmt::format("kgprofile_events_ingested_total {}", kThreads * kRequests * kPerRequest)), std::string::npos);
    EXPECT_NE(m->body.find(fmt::format("kgprofile_events_duplicate_total {}", kPerRequest)), std::string::npos);
    // Staged events move into the events table once the writer is idle for a second.
    EXPECT_TRUE(WaitUntilMoved(ws));
    EXPECT_EQ(Count(ws, "SELECT count(*) FROM events"), before + kThreads * kRequests * kPerRequest);
    auto m2 = s.Client(*read_key_).Get("/metrics");
    ASSERT_TRUE(m2);
    EXPECT_EQ(m2->body.find("kgprofile_writer_merges_total 0"), std::string::npos);
  }
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM events"), before + kThreads * kRequests * kPerRequest);
}

TEST_F(ServiceTest, ARetriedRequestIsARepeatButIdenticalEventsInOneRequestAreDistinct) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  Running s(ws, Options());
  auto w = s.Client(*write_key_);
  const std::string one = json{{"events", {Event(*user_, *item_, "cart", 1795000000)}}}.dump();
  auto first = w.Post("/v1/events", one, "application/json");
  auto retry = w.Post("/v1/events", one, "application/json");  // at once: the same second as the last event
  ASSERT_TRUE(first && retry);
  EXPECT_EQ(Body(first)["accepted"], 1);
  EXPECT_EQ(Body(retry)["accepted"], 0);
  EXPECT_EQ(Body(retry)["duplicates"], 1);
  // Two identical purchases in one request are two events (as two identical rows of a file are).
  const std::string twice =
      json{{"events", {Event(*user_, *item_, "purchase", 1795000100), Event(*user_, *item_, "purchase", 1795000100)}}}.dump();
  auto both = w.Post("/v1/events", twice, "application/json");
  ASSERT_TRUE(both);
  EXPECT_EQ(Body(both)["accepted"], 2);
  auto again = w.Post("/v1/events", twice, "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(Body(again)["accepted"], 0);
  EXPECT_EQ(Body(again)["duplicates"], 2);
}

// An ingest that commits while the server starts: its events reach the profiles. (The server
// read the events not yet applied, then inserted its own ingest_files row; an ingest committing
// in between had a lower id than that row, the watermark when the server stopped, and its
// events never reached a profile; event_writer.cc now does both in one write transaction.)
// Here the "ingest" holds its write transaction until the server waits for it; the server's
// first wait comes before that read, so this does not force the old window (it passed on the
// old code too): it checks that a commit during start-up is applied, whichever way it lands.
TEST_F(ServiceTest, AnIngestCommittingWhileTheServerStartsIsApplied) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  auto w = Workspace::Open(ws);
  ASSERT_TRUE(w.ok());
  Db& db = (*w)->db();
  const int64_t item = db.QueryInt("SELECT id FROM items WHERE ext_id = '" + *item_ + "'");
  ASSERT_GT(item, 0);
  db.ExecOrThrow("BEGIN IMMEDIATE");
  db.ExecOrThrow("INSERT INTO ingest_files(path, format, fingerprint, size, started, status) "
                 "VALUES('late.csv', 'rees46', 'late', 0, 0, 'done')");
  const int64_t file = db.LastInsertRowid();
  db.ExecOrThrow("INSERT INTO users(ext_id) VALUES('late-user')");
  const int64_t user = db.LastInsertRowid();
  for (int i = 0; i < 7; ++i)
    db.ExecOrThrow(fmt::format("INSERT INTO events(key, user_id, item_id, type, ts, file_id) VALUES({}, {}, {}, 0, {}, {})",
                               7770001 + i, user, item, 1790000000 + i, file));
  std::optional<Running> s;
  std::thread start([&] { s.emplace(ws, Options()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the server is waiting on the store
  db.ExecOrThrow("COMMIT");
  start.join();
  ASSERT_TRUE(s);
  auto r = s->Client(*read_key_).Get("/v1/users/late-user/profile");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r)["behaviour"]["events"], 7);
}

TEST_F(ServiceTest, ANewEventIsInTheNextRead) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  Running s(ws, Options());
  auto r = s.Client(*read_key_);
  auto w = s.Client(*write_key_);
  const std::string profile = "/v1/users/" + *other_user_ + "/profile";
  for (int round = 0; round < 5; ++round) {
    json before = Body(r.Get(profile.c_str()));
    const int purchases = before["behaviour"]["purchases"], events = before["behaviour"]["events"];
    auto post = w.Post("/v1/events", json{{"events", {Event(*other_user_, *item_, "purchase", 1790000000 + round)}}}.dump(),
                       "application/json");
    ASSERT_TRUE(post);
    ASSERT_EQ(post->status, 200) << post->body;
    json after = Body(r.Get(profile.c_str()));
    EXPECT_EQ(after["behaviour"]["events"].get<int>(), events + 1);
    EXPECT_EQ(after["behaviour"]["purchases"].get<int>(), purchases + 1);
  }
  // A user first seen through the API has a profile at once.
  auto post = w.Post("/v1/events", json{{"events", {Event("api-new-user", *item_, "cart", 1790000100)}}}.dump(),
                     "application/json");
  ASSERT_TRUE(post);
  ASSERT_EQ(post->status, 200);
  auto fresh = r.Get("/v1/users/api-new-user/profile");
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->status, 200);
  EXPECT_EQ(Body(fresh)["behaviour"]["carts"], 1);
}

// An event may name the variant chosen (the size, the colour), as the events-csv column does:
// it is stored with the event and its value is an interest of who chose it at once, also for a
// variant the store had not seen. Inboxes staged before the column existed still move.
TEST_F(ServiceTest, TheVariantAnEventNamesIsStoredAndIsAnInterestOfWhoChoseIt) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  // A value of one of the item's attribute keys that other products have and this one does not.
  std::string key, value;
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    Stmt st = (*w)->db().Prepare(
        "SELECT a.key, a.value FROM item_attributes a JOIN items i ON i.ext_id = ?1 "
        "WHERE a.item_id != i.id AND a.key IN (SELECT key FROM item_attributes WHERE item_id = i.id) "
        "AND NOT EXISTS (SELECT 1 FROM item_attributes b WHERE b.item_id = i.id AND b.key = a.key AND b.value = a.value) "
        "ORDER BY a.key, a.value LIMIT 1");
    st.Bind(1, std::string_view(*item_));
    ASSERT_TRUE(st.Step());
    key = st.Text(0), value = st.Text(1);
    // An inbox written before events had a variant: its table lacks the column.
    auto inbox = Db::Open((*w)->Path(kInboxFile), /*create=*/true);
    ASSERT_TRUE(inbox.ok());
    ASSERT_TRUE((*inbox)->Exec(
        "CREATE TABLE service_event_inbox(seq INTEGER PRIMARY KEY, key INTEGER NOT NULL, user_id INTEGER NOT NULL, "
        "item_id INTEGER NOT NULL, type INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL, price REAL, session INTEGER, "
        "file_id INTEGER); INSERT INTO service_event_inbox VALUES(1, 987654323, 1, 1, 0, 1790000000, NULL, NULL, NULL, NULL)").ok());
  }
  const std::string tag = key + "=" + value;
  Running s(ws, Options());
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM events WHERE key = 987654323"), 1);
  auto r = s.Client(*read_key_);
  auto w = s.Client(*write_key_);
  const auto has_tag = [&](const std::string& user) {
    json p = Body(r.Get(("/v1/users/" + user + "/profile").c_str()));
    for (const auto& t : p["interests"]["attributes"])
      if (t["tag"] == tag) return true;
    return false;
  };
  json chose = Event("variant-a", *item_, "purchase", 1790000200);
  chose["variant"] = {{key, value}};
  json same = Event("variant-b", *item_, "view", 1790000300);
  same["variant"] = " " + key + " = " + value + " ;";
  json plain = Event("variant-c", *item_, "view", 1790000400);
  auto post = w.Post("/v1/events", json{{"events", {chose, same, plain}}}.dump(), "application/json");
  ASSERT_TRUE(post);
  ASSERT_EQ(post->status, 200) << post->body;
  EXPECT_TRUE(has_tag("variant-a"));
  EXPECT_TRUE(has_tag("variant-b"));
  EXPECT_FALSE(has_tag("variant-c"));
  // One variants row for both spellings, and both events point to it once moved.
  EXPECT_TRUE(WaitUntilMoved(ws));
  EXPECT_EQ(Count(ws, fmt::format("SELECT count(*) FROM variants v JOIN items i ON i.id = v.item_id WHERE i.ext_id = '{}' "
                                  "AND v.spec = '{}'", *item_, tag)),
            1);
  EXPECT_EQ(Count(ws, fmt::format("SELECT count(*) FROM events e JOIN variants v ON v.id = e.variant WHERE v.spec = '{}' "
                                  "AND e.ts IN (1790000200, 1790000300)", tag)),
            2);
  // Malformed variants are refused naming the field; nothing of the batch is stored.
  for (json bad : {json(5), json{{"size", ""}}, json{{"size", json::array()}}, json("size"), json{{"si=ze", "M"}}}) {
    json e = Event("variant-d", *item_, "view", 1790000500);
    e["variant"] = bad;
    auto res = w.Post("/v1/events", json{{"events", {e}}}.dump(), "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << bad.dump();
    EXPECT_EQ(Body(res)["error"]["details"][0]["field"], "variant") << res->body;
  }
  EXPECT_EQ(r.Get("/v1/users/variant-d/profile")->status, 404);
}

TEST_F(ServiceTest, TheLastPriceAnEventCarriedBecomesTheCataloguePriceWhenMerged) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  const std::string item_id = std::to_string(Count(ws, fmt::format("SELECT id FROM items WHERE ext_id = '{}'", *item_)));
  const std::string price_sql = "SELECT CAST(round(price * 100) AS INTEGER) FROM items WHERE id = " + item_id;
  {
    Running s(ws, Options());
    auto w = s.Client(*write_key_);
    for (auto [ts, price] : {std::pair{1796000000, 31.5}, {1796000500, 42.25}, {1795000000, 12.0}}) {
      json e = Event(*user_, *item_, "view", ts);
      e["price"] = price;
      auto res = w.Post("/v1/events", json{{"events", {e}}}.dump(), "application/json");
      ASSERT_TRUE(res);
      ASSERT_EQ(res->status, 200) << res->body;
    }
    // An event without a price leaves it.
    json bare = Event(*user_, *item_, "view", 1796000900);
    bare.erase("price");
    ASSERT_EQ(w.Post("/v1/events", json{{"events", {bare}}}.dump(), "application/json")->status, 200);
    // Moved once the writer is idle for a second: the last price in arrival order (as `ingest`
    // keeps the last price of a file), not the latest timestamp.
    EXPECT_TRUE(WaitUntilMoved(ws));
    EXPECT_EQ(Count(ws, price_sql), 1200);
    // Moved events are still recognised as repeats (in events now, no longer in the inbox).
    json again = Event(*user_, *item_, "view", 1796000000);
    again["price"] = 31.5;
    auto rep = w.Post("/v1/events", json{{"events", {again}}}.dump(), "application/json");
    ASSERT_TRUE(rep);
    EXPECT_EQ(Body(rep)["duplicates"], 1);
    EXPECT_EQ(Body(rep)["accepted"], 0);
  }
  // Rows staged by a run that did not stop cleanly are moved, prices included, at the next start;
  // so are rows an older version staged in the workspace database itself (before the newer ones).
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    Db& db = (*w)->db();
    ASSERT_TRUE(AttachInbox(db, (*w)->Path(kInboxFile), "NORMAL").ok());
    const std::string copy = fmt::format(
        "(seq, key, user_id, item_id, type, ts, price) SELECT 1, {{}}, user_id, item_id, type, ts + 1, {{}} FROM events "
        "WHERE item_id = {} LIMIT 1", item_id);
    // The older version's table: without the variant column.
    ASSERT_TRUE(db.Exec("CREATE TABLE main.service_event_inbox(seq INTEGER PRIMARY KEY, key INTEGER NOT NULL, "
                        "user_id INTEGER NOT NULL, item_id INTEGER NOT NULL, type INTEGER NOT NULL, ts INTEGER NOT NULL, "
                        "value REAL, price REAL, session INTEGER, file_id INTEGER)").ok());
    ASSERT_TRUE(db.Exec("INSERT INTO main.service_event_inbox" + fmt::format(fmt::runtime(copy), 987654322, 8.5)).ok());
    ASSERT_TRUE(db.Exec("INSERT INTO inbox.service_event_inbox" + fmt::format(fmt::runtime(copy), 987654321, 7.25)).ok());
  }
  Running again(ws, Options());
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM events WHERE key IN (987654321, 987654322)"), 2);
  EXPECT_EQ(Count(ws, price_sql), 725);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM inbox.service_event_inbox"), 0);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM main.sqlite_master WHERE name = 'service_event_inbox'"), 0);
}

TEST_F(ServiceTest, AServerStoppedAsSoonAsItStartsStops) {
  // Stop() before Run() listens used to be lost (httplib ignores stop() until it listens), and
  // the run thread then listened for ever.
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  for (int i = 0; i < 30; ++i) {
    Running s(ws, Options());
    s.Stop();
  }
}

TEST_F(ServiceTest, ShutdownKeepsEveryAcknowledgedEventInStoreAndProfiles) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  const int64_t before = Count(ws, "SELECT count(*) FROM events");
  std::atomic<int> acknowledged{0};
  std::atomic<bool> go{true};
  {
    ServerOptions o = Options();
    o.durable = true;
    Running s(ws, o);
    std::vector<std::thread> clients;
    for (int t = 0; t < 3; ++t) {
      clients.emplace_back([&, t] {
        auto c = s.Client(*write_key_);
        for (int r = 0; go.load(); ++r) {
          json batch = json::array();
          for (int i = 0; i < 5; ++i) batch.push_back(Event(*user_, *item_, "view", 1780000000 + t * 1000000 + r * 5 + i));
          auto res = c.Post("/v1/events", json{{"events", batch}}.dump(), "application/json");
          if (!res) break;  // the server has stopped
          if (res->status == 200) acknowledged += Body(res)["accepted"].get<int>();
        }
      });
    }
    // Stop once some batches are acknowledged (a fixed wait could see none on a loaded machine
    // with an fsync per commit), while the clients are still posting.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (acknowledged.load() < 15 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    s.Stop();
    go = false;
    for (auto& t : clients) t.join();
  }
  ASSERT_GT(acknowledged.load(), 0);
  const int64_t stored = Count(ws, "SELECT count(*) FROM events") - before;
  EXPECT_GE(stored, acknowledged.load());
  // The saved profile state has every stored event: a restart serves them without replay.
  auto set = LoadProfileSet(ws + "/" + kProfileStateFile);
  ASSERT_TRUE(set.ok());
  uint64_t in_state = 0;
  for (const auto& st : set->states) in_state += st.events;
  EXPECT_EQ(static_cast<int64_t>(in_state), Count(ws, "SELECT count(*) FROM events"));
  Running again(ws, Options());
  auto p = Body(again.Client(*read_key_).Get(("/v1/users/" + *user_ + "/profile").c_str()));
  EXPECT_EQ(p["behaviour"]["events"].get<int64_t>(),
            Count(ws, fmt::format("SELECT count(*) FROM events e JOIN users u ON u.id = e.user_id WHERE u.ext_id = '{}'", *user_)));
}

// A spent privacy budget is a permanent refusal (403 budget_exceeded), not an outage (503).
TEST_F(ServiceTest, ASpentPrivacyBudgetIs403NotUnavailable) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  {
    std::ofstream conf(ws + "/kgprofile.conf", std::ios::app);
    conf << "\ndp_required = true\ndp_epsilon = 1\ndp_epsilon_budget = 1.5\n";
  }
  Running s(ws, Options());
  auto c = s.Client(*read_key_);
  const std::string body = json{{"rule", "lifecycle = 'active'"}}.dump();
  auto first = c.Post("/v1/audiences", body, "application/json");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200) << first->body;
  EXPECT_EQ(Body(first)["dp"], true);
  auto second = c.Post("/v1/audiences", body, "application/json");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 403) << second->body;
  EXPECT_EQ(Body(second)["error"]["code"], "budget_exceeded") << second->body;
}

// POST /v1/audiences compiles rules as `kgprofile audience` does: price levels by their order,
// < on unordered text refused, a tag of the wrong kind warned about as written (it was an empty
// audience without a word) and, where DP is required, refused before any budget is spent.
TEST_F(ServiceTest, AudienceRulesOrderLevelsAndCheckTagKinds) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  std::string category;
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    Stmt st = (*w)->db().Prepare("SELECT tag FROM profile_tags WHERE kind = 'category' AND tag NOT IN "
                                 "(SELECT tag FROM profile_tags WHERE kind != 'category') ORDER BY tag LIMIT 1");
    ASSERT_TRUE(st.Step());
    category = std::string(st.Text(0));
  }
  {
    Running s(ws, Options());
    auto c = s.Client(*read_key_);
    const auto post = [&](const std::string& rule) {
      auto r = c.Post("/v1/audiences", json{{"rule", rule}, {"limit", 0}}.dump(), "application/json");
      EXPECT_TRUE(r);
      return r ? std::pair{r->status, Body(r)} : std::pair{0, json()};
    };
    const auto count = [&](const std::string& rule) { return post(rule).second["count"].get<int>(); };
    EXPECT_EQ(count("price_level > 'low'"), count("price_level = 'mid'") + count("price_level = 'high'"));
    auto [status, unordered] = post("lifecycle < 'new'");
    EXPECT_EQ(status, 400);
    EXPECT_NE(unordered["error"]["message"].get<std::string>().find("lifecycle has none"), std::string::npos) << unordered.dump();
    auto [ok, wrong] = post("has('brand:" + category + "')");
    ASSERT_EQ(ok, 200) << wrong.dump();
    EXPECT_EQ(wrong["count"], 0);
    ASSERT_EQ(wrong["warnings"].size(), 1u) << wrong.dump();
    EXPECT_NE(wrong["warnings"][0].get<std::string>().find("'brand:" + category + "'"), std::string::npos) << wrong.dump();
    EXPECT_GT(count("has('category:" + category + "')"), 0);
  }
  {
    std::ofstream conf(ws + "/kgprofile.conf", std::ios::app);
    conf << "\ndp_required = true\ndp_epsilon = 1\n";
  }
  Running s(ws, Options());
  auto r = s.Client(*read_key_).Post("/v1/audiences", json{{"rule", "has('brand:" + category + "')"}}.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(r->body.find("no profile has the tag 'brand:" + category + "'"), std::string::npos) << r->body;
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM privacy_ledger"), 0);
}

// Ids are trimmed as ingest trims a CSV field: " 42 " is user 42, not a new user.
TEST_F(ServiceTest, IdsWithSurroundingSpacesAreTheTrimmedIds) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  const int64_t users = Count(ws, "SELECT count(*) FROM users");
  {
    Running s(ws, Options());
    auto post = s.Client(*write_key_).Post(
        "/v1/events", json{{"events", {Event(" " + *user_ + "\u3000", " " + *item_ + " ", "view", 1781000000)}}}.dump(),
        "application/json");
    ASSERT_TRUE(post);
    ASSERT_EQ(post->status, 200) << post->body;
    ASSERT_TRUE(WaitUntilMoved(ws));
  }
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users"), users);
  EXPECT_EQ(Count(ws, fmt::format("SELECT count(*) FROM events e JOIN users u ON u.id = e.user_id "
                                  "WHERE u.ext_id = '{}' AND e.ts = 1781000000", *user_)), 1);
}

// An id with "/" (sent as %2F) can be read and erased through the API, as it could be posted.
// Its event was the latest: with it erased, the other profiles are as of the latest left again.
TEST_F(ServiceTest, IdsWithASlashCanBeReadAndErased) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  Running s(ws, Options());
  const std::string other = "/v1/users/" + *user_ + "/profile";
  const json as_of = Body(s.Client(*read_key_).Get(other.c_str()))["as_of"];
  auto post = s.Client(*write_key_).Post(
      "/v1/events", json{{"events", {Event("shop/42", *item_, "view", 1781000000)}}}.dump(), "application/json");
  ASSERT_TRUE(post);
  ASSERT_EQ(post->status, 200) << post->body;
  auto get = s.Client(*read_key_).Get("/v1/users/shop%2F42/profile");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200) << get->body;
  EXPECT_EQ(Body(get)["user_id"], "shop/42") << get->body;
  EXPECT_EQ(Body(s.Client(*read_key_).Get(other.c_str()))["as_of"], Body(get)["as_of"]);
  auto del = s.Client(*admin_key_).Delete("/v1/users/shop%2F42");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 200) << del->body;
  EXPECT_EQ(s.Client(*read_key_).Get("/v1/users/shop%2F42/profile")->status, 404);
  EXPECT_EQ(Body(s.Client(*read_key_).Get(other.c_str()))["as_of"], as_of);
}

// A DELETE while another command holds the workspace's commit lock (a long export): the server
// waits a few seconds, then answers 503 with Retry-After; its event writes, queued behind the
// erasure on the writer thread, go on (they waited as long as the lock was held).
TEST_F(ServiceTest, AnErasureBehindAHeldCommitLockIs503AndEventsGoOn) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  Running s(ws, Options());
  std::optional<CommitLock> held;
  {
    auto l = CommitLock::Acquire(ws, "test export");
    ASSERT_TRUE(l.ok() && l->held());
    held.emplace(std::move(l).value());
  }
  auto admin = s.Client(*admin_key_);
  const auto t0 = std::chrono::steady_clock::now();
  auto del = admin.Delete(("/v1/users/" + *user_).c_str());
  const double waited = kgp::SecondsSince(t0);
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 503) << del->body;
  EXPECT_EQ(del->get_header_value("Retry-After"), "5");
  EXPECT_NE(del->body.find("test export (pid"), std::string::npos) << del->body;
  EXPECT_LT(waited, 30) << "the DELETE waited for the lock without a bound";
  auto w = s.Client(*write_key_);
  auto post = w.Post("/v1/events", json{{"events", {Event(*user_, *item_, "view", 1790000300)}}}.dump(), "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 200) << post->body;
  held.reset();  // released: the erasure goes through
  auto again = admin.Delete(("/v1/users/" + *user_).c_str());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200) << again->body;
}

// POST /v1/erasures: a list of users erased in one run, a result per id by its index (the ids
// are not echoed), an unknown id reported without stopping the others.
TEST_F(ServiceTest, ErasuresRouteErasesAListInOneRun) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  std::string third;
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    Stmt st = (*w)->db().Prepare("SELECT ext_id FROM users WHERE ext_id NOT IN (?1, ?2) AND id IN (SELECT user_id FROM events) LIMIT 1");
    st.Bind(1, *user_).Bind(2, *other_user_);
    ASSERT_TRUE(st.Step());
    third = std::string(st.Text(0));
  }
  Running s(ws, Options());
  auto r = s.Client(*read_key_);
  auto admin = s.Client(*admin_key_);
  const json list = {{"user_ids", {*user_, "nobody-here-0003", third, *user_}}};
  EXPECT_EQ(s.Client(*write_key_).Post("/v1/erasures", list.dump(), "application/json")->status, 403);
  for (const std::string& bad : {std::string("not json"), json::object().dump(), json{{"user_ids", json::array()}}.dump(),
                                 json{{"user_ids", {1, 2}}}.dump(), json{{"user_ids", "x"}}.dump()}) {
    auto b = admin.Post("/v1/erasures", bad, "application/json");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->status, 400) << bad << ": " << b->body;
  }
  EXPECT_EQ(r.Get(("/v1/users/" + third + "/profile").c_str())->status, 200);  // nothing erased by those
  auto p = admin.Post("/v1/erasures", list.dump(), "application/json");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->status, 200) << p->body;
  const json j = Body(p);
  EXPECT_EQ(j["erased"], 2) << j.dump();
  EXPECT_EQ(j["not_erased"], 1) << j.dump();
  ASSERT_EQ(j["results"].size(), 4u);
  EXPECT_EQ(j["results"][1]["error"]["code"], "not_found") << j.dump();
  EXPECT_EQ(j["results"][3]["same_user_as"], 0) << j.dump();
  for (int i : {0, 2}) {
    EXPECT_EQ(j["results"][i]["index"], i);
    EXPECT_GT(j["results"][i]["receipt"]["rows"]["events"].get<int64_t>(), 0) << j.dump();
    EXPECT_EQ(j["results"][i]["receipt"]["verification_code"].get<std::string>().size(), 32u);
  }
  EXPECT_EQ(p->body.find(*user_), std::string::npos);
  EXPECT_EQ(p->body.find(third), std::string::npos);
  for (const std::string& gone : {*user_, third}) EXPECT_EQ(r.Get(("/v1/users/" + gone + "/profile").c_str())->status, 404);
  EXPECT_EQ(r.Get(("/v1/users/" + *other_user_ + "/profile").c_str())->status, 200);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users WHERE ext_id IN ('" + *user_ + "', '" + third + "')"), 0);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM erasure_receipts"), 2);
  EXPECT_EQ(j["results"][1]["error"]["message"], "no such user") << j.dump();
  // A run that fails after the rows went (a damaged checkpoint the erasure cannot rewrite): the
  // server no longer serves the user, and the same list again finishes the run with a receipt.
  std::string fourth;
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    Stmt st = (*w)->db().Prepare("SELECT ext_id FROM users WHERE ext_id <> ?1 AND id IN (SELECT user_id FROM events) LIMIT 1");
    st.Bind(1, *other_user_);
    ASSERT_TRUE(st.Step());
    fourth = std::string(st.Text(0));
  }
  ASSERT_EQ(r.Get(("/v1/users/" + fourth + "/profile").c_str())->status, 200);
  fs::create_directories(ws + "/models");
  test::WriteFile(ws + "/models/damaged.bin", std::string("KGPEMB\r\n") + std::string(64, 'x'));
  const json again = {{"user_ids", {fourth}}};
  auto failed = admin.Post("/v1/erasures", again.dump(), "application/json");
  ASSERT_TRUE(failed);
  EXPECT_GE(failed->status, 500) << failed->body;
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users WHERE ext_id = '" + fourth + "'"), 0);
  EXPECT_EQ(r.Get(("/v1/users/" + fourth + "/profile").c_str())->status, 404);
  fs::remove(ws + "/models/damaged.bin");
  auto finished = admin.Post("/v1/erasures", again.dump(), "application/json");
  ASSERT_TRUE(finished);
  ASSERT_EQ(finished->status, 200) << finished->body;
  EXPECT_EQ(Body(finished)["erased"], 1) << finished->body;
  // The single route still answers its receipt.
  auto del = admin.Delete(("/v1/users/" + *other_user_).c_str());
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 200) << del->body;
  EXPECT_TRUE(Body(del)["erased"].get<bool>());
}

// With "async": true the erasure is answered at once (202, the job in Location) and its answer,
// receipts and verification codes included, waits for GET /v1/erasures/{job}: a client that
// gives up on a long run loses nothing. A run that fails is reported as failed.
TEST_F(ServiceTest, AsynchronousErasuresKeepTheirAnswerForTheClient) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  Running s(ws, Options());
  auto r = s.Client(*read_key_);
  auto admin = s.Client(*admin_key_);
  auto bad = admin.Post("/v1/erasures", json{{"user_ids", {*user_}}, {"async", "yes"}}.dump(), "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
  EXPECT_EQ(r.Get(("/v1/users/" + *user_ + "/profile").c_str())->status, 200);
  // The finished job's body, polled for at most 30 s.
  auto wait = [&](const std::string& location) {
    json j;
    for (int i = 0; i < 300; ++i) {
      auto g = admin.Get(location.c_str());
      EXPECT_TRUE(g && g->status == 200) << location << ": " << (g ? g->body : "no answer");
      if (!g || g->status != 200) return json();
      j = Body(g);
      if (j["status"] != "running") return j;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << location << " still running";
    return j;
  };
  const json list = {{"user_ids", {*user_, "nobody-here-0007", *other_user_}}, {"async", true}};
  auto p = admin.Post("/v1/erasures", list.dump(), "application/json");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->status, 202) << p->body;
  const std::string location = p->get_header_value("Location");
  ASSERT_TRUE(std::regex_match(location, std::regex("/v1/erasures/[0-9a-f]{24}"))) << location;
  const json started = Body(p);
  EXPECT_EQ(started["ids"], 3);
  EXPECT_EQ("/v1/erasures/" + started["job"].get<std::string>(), location);
  EXPECT_EQ(started["status"], "running") << started.dump();
  EXPECT_EQ(s.Client(*write_key_).Get(location.c_str())->status, 403);
  const json done = wait(location);
  EXPECT_EQ(done["status"], "done") << done.dump();
  EXPECT_EQ(done["erased"], 2) << done.dump();
  EXPECT_EQ(done["not_erased"], 1) << done.dump();
  ASSERT_EQ(done["results"].size(), 3u) << done.dump();
  EXPECT_EQ(done["results"][1]["error"]["code"], "not_found");
  for (int i : {0, 2}) EXPECT_EQ(done["results"][i]["receipt"]["verification_code"].get<std::string>().size(), 32u);
  EXPECT_GE(done["finished"].get<int64_t>(), done["submitted"].get<int64_t>());
  EXPECT_EQ(done.dump().find(*user_), std::string::npos);
  EXPECT_EQ(Body(admin.Get(location.c_str())), done) << "the answer is kept for the next poll";
  for (const std::string& gone : {*user_, *other_user_}) EXPECT_EQ(r.Get(("/v1/users/" + gone + "/profile").c_str())->status, 404);
  for (const std::string& unknown : {std::string("/v1/erasures/") + std::string(24, '0'), std::string("/v1/erasures/xyz")})
    EXPECT_EQ(admin.Get(unknown.c_str())->status, 404) << unknown;

  std::string third;
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    Stmt st = (*w)->db().Prepare("SELECT ext_id FROM users WHERE id IN (SELECT user_id FROM events) LIMIT 1");
    ASSERT_TRUE(st.Step());
    third = std::string(st.Text(0));
  }
  fs::create_directories(ws + "/models");
  test::WriteFile(ws + "/models/damaged.bin", std::string("KGPEMB\r\n") + std::string(64, 'x'));
  auto f = admin.Post("/v1/erasures", json{{"user_ids", {third}}, {"async", true}}.dump(), "application/json");
  ASSERT_TRUE(f);
  ASSERT_EQ(f->status, 202) << f->body;
  const json failed = wait(f->get_header_value("Location"));
  EXPECT_EQ(failed["status"], "failed") << failed.dump();
  EXPECT_EQ(failed["error"]["code"], "internal") << failed.dump();
  EXPECT_FALSE(failed.contains("results")) << failed.dump();
}

// At most --erasure-jobs runs are held: an answer fetched once makes room, one never fetched does
// not, and a list refused for want of room (503) is not erased.
TEST_F(ServiceTest, AnAsynchronousErasureWithoutRoomIsRefusedAndErasesNothing) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  ServerOptions o = Options();
  o.erasure_jobs = 2;
  Running s(ws, o);
  auto admin = s.Client(*admin_key_);
  auto r = s.Client(*read_key_);
  auto start = [&](const std::string& id) {
    auto p = admin.Post("/v1/erasures", json{{"user_ids", {id}}, {"async", true}}.dump(), "application/json");
    EXPECT_TRUE(p);
    return p ? std::make_pair(p->status, p->get_header_value("Location")) : std::make_pair(0, std::string());
  };
  // A synchronous run queues behind every run before it: when it is answered, they have ended
  // (without their answers being fetched, as polling would).
  auto drain = [&] {
    auto p = admin.Post("/v1/erasures", json{{"user_ids", {"nobody-drain"}}}.dump(), "application/json");
    ASSERT_TRUE(p);
    ASSERT_EQ(p->status, 200) << p->body;
  };
  auto held_bytes = [&] {
    const std::string metrics = r.Get("/metrics")->body;
    std::smatch m;
    EXPECT_TRUE(std::regex_search(metrics, m, std::regex(R"(kgprofile_memory_bytes\{part="erasure_answers"\} (\d+))"))) << metrics;
    return m.empty() ? -1LL : std::stoll(m[1]);
  };
  const auto a = start("nobody-a"), b = start("nobody-b");
  ASSERT_EQ(a.first, 202);
  ASSERT_EQ(b.first, 202);
  drain();
  const int64_t ended = UnixNow();
  EXPECT_GT(held_bytes(), 0) << "answers not fetched yet are held too";
  const auto refused = start(*user_);
  EXPECT_EQ(refused.first, 503) << "two answers are held, neither fetched";
  drain();
  EXPECT_EQ(r.Get(("/v1/users/" + *user_ + "/profile").c_str())->status, 200) << "a refused list was erased";
  // A HEAD shows the status but is no fetch of the answer.
  EXPECT_EQ(admin.Head(a.second.c_str())->status, 200);
  EXPECT_EQ(start(*user_).first, 503) << "an answer only looked at with HEAD was dropped";
  // The run's end, not the first poll's time (1 s later at least).
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto got = admin.Get(a.second.c_str());
  ASSERT_TRUE(got);
  ASSERT_EQ(got->status, 200) << got->body;
  EXPECT_LE(Body(got)["finished"].get<int64_t>(), ended) << got->body;
  const auto d = start(*user_);
  EXPECT_EQ(d.first, 202) << "the fetched answer makes room";
  EXPECT_EQ(admin.Get(a.second.c_str())->status, 404) << "dropped for the new run, once fetched";
  EXPECT_EQ(admin.Get(b.second.c_str())->status, 200) << "never fetched: kept";
}

// The recommender's graph is the one loaded at start: users erased since are still in it, and
// no explanation path may pass through them ("a shopper who viewed it also bought …" would then
// rest on an erased user's behaviour).
TEST_F(ServiceTest, ExplanationsPassThroughNoUserErasedSinceStart) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  std::vector<std::string> others;
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    Stmt st = (*w)->db().Prepare("SELECT ext_id FROM users WHERE ext_id <> ?1");
    st.Bind(1, *user_);
    while (st.Step()) others.emplace_back(st.Text(0));
  }
  Running s(ws, Options());
  auto r = s.Client(*read_key_);
  const std::string path = "/v1/users/" + *user_ + "/recommendations?k=20&explain=1";
  auto through_others = [&] {
    size_t n = 0;
    auto g = r.Get(path.c_str());
    EXPECT_TRUE(g && g->status == 200) << (g ? g->body : "no answer");
    if (!g || g->status != 200) return n;
    const json j = Body(g);
    for (const auto& rec : j["recommendations"])
      for (const auto& x : rec["explanations"]) n += x["path"].get<std::string>().find("user:*") != std::string::npos;
    return n;
  };
  ASSERT_GT(through_others(), 0u) << "no explanation passes through another user: the test would show nothing";
  auto erased = s.Client(*admin_key_).Post("/v1/erasures", json{{"user_ids", others}}.dump(), "application/json");
  ASSERT_TRUE(erased);
  ASSERT_EQ(erased->status, 200) << erased->body;
  EXPECT_EQ(through_others(), 0u);
}

TEST_F(ServiceTest, EraseRemovesTheUserAndKeepsOthers) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  {
    Running s(ws, Options());
    auto r = s.Client(*read_key_);
    ASSERT_EQ(r.Get(("/v1/users/" + *user_ + "/profile").c_str())->status, 200);
    // The graph loaded at start lists the user among the neighbours of an item they viewed.
    std::string viewed;
    {
      auto w = Workspace::Open(ws);
      ASSERT_TRUE(w.ok());
      Stmt st = (*w)->db().Prepare(
          "SELECT i.ext_id FROM events e JOIN users u ON u.id = e.user_id JOIN items i ON i.id = e.item_id "
          "WHERE u.ext_id = ? ORDER BY e.ts LIMIT 1");
      st.Bind(1, *user_);
      ASSERT_TRUE(st.Step());
      viewed = std::string(st.Text(0));
    }
    const std::string neighbors = "/v1/graph/nodes/product:" + viewed + "/neighbors?limit=500&direction=in";
    auto lists_user = [&] {
      json j = Body(r.Get(neighbors.c_str()));
      for (const auto& n : j["neighbors"])
        if (n["id"] == "user:" + *user_) return true;
      return false;
    };
    ASSERT_TRUE(lists_user());
    // Events of the user in the writer's queue before the erasure are erased with it.
    auto post = s.Client(*write_key_).Post(
        "/v1/events", json{{"events", {Event(*user_, *item_, "view", 1781000000)}}}.dump(), "application/json");
    ASSERT_TRUE(post);
    ASSERT_EQ(post->status, 200);
    auto del = s.Client(*admin_key_).Delete(("/v1/users/" + *user_).c_str());
    ASSERT_TRUE(del);
    ASSERT_EQ(del->status, 200) << del->body;
    json receipt = Body(del)["receipt"];
    EXPECT_FALSE(receipt["verification_code"].get<std::string>().empty()) << receipt.dump();
    for (const char* path : {"/profile", "/recommendations", "/summary"}) {
      auto g = r.Get(("/v1/users/" + *user_ + path).c_str());
      ASSERT_TRUE(g);
      EXPECT_EQ(g->status, 404) << path;
    }
    EXPECT_EQ(r.Get(("/v1/users/" + *other_user_ + "/profile").c_str())->status, 200);
    // Nor do the graph endpoints show the user: not as a node, a neighbour or a step of a path.
    EXPECT_FALSE(lists_user());
    for (const std::string& spelling : {"user:" + *user_, "User:" + *user_, "USER:" + *user_, *user_})
      EXPECT_EQ(r.Get(("/v1/graph/nodes/" + spelling + "/neighbors").c_str())->status, 404) << spelling;
    auto paths = r.Get(("/v1/graph/paths?k=10&max_length=2&from=product:" + viewed + "&to=user:" + *other_user_).c_str());
    ASSERT_TRUE(paths);
    EXPECT_EQ(paths->status, 200) << paths->body;
    EXPECT_EQ(paths->body.find("user:" + *user_ + " "), std::string::npos) << paths->body;
    // Writing after an erasure works (the store writer was reopened).
    auto later = s.Client(*write_key_).Post(
        "/v1/events", json{{"events", {Event(*other_user_, *item_, "view", 1781000001)}}}.dump(), "application/json");
    ASSERT_TRUE(later);
    EXPECT_EQ(later->status, 200) << later->body;
    EXPECT_EQ(s.Client(*admin_key_).Delete(("/v1/users/" + *user_).c_str())->status, 404);
    // The id posting again is a new user: nothing of the erased one shows (demographics, history
    // behind recommendations, evidence paths), though the graph loaded at start still has them.
    auto back = s.Client(*write_key_).Post(
        "/v1/events", json{{"events", {Event(*user_, *item_, "view", 1781000002)}}}.dump(), "application/json");
    ASSERT_TRUE(back);
    ASSERT_EQ(back->status, 200) << back->body;
    json prof = Body(r.Get(("/v1/users/" + *user_ + "/profile?paths=3").c_str()));
    EXPECT_EQ(prof["behaviour"]["events"], 1) << prof.dump();
    for (const char* field : {"gender", "age_group", "occupation", "city"})
      EXPECT_TRUE(prof["demographics"][field].is_null()) << field << ": " << prof.dump();
    EXPECT_EQ(prof.dump().find("\"path\""), std::string::npos) << prof.dump();
    EXPECT_TRUE(prof["segments"]["cluster"].is_null()) << prof.dump();
    EXPECT_TRUE(prof["behaviour"]["rfm"]["segment"].is_null()) << prof.dump();
    // Its recommendations come from that one event alone, as for an id never seen: not from the
    // erased user's history, which the recommender loaded at start still holds.
    auto stranger = s.Client(*write_key_).Post(
        "/v1/events", json{{"events", {Event("never-seen-before", *item_, "view", 1781000002)}}}.dump(), "application/json");
    ASSERT_TRUE(stranger);
    ASSERT_EQ(stranger->status, 200) << stranger->body;
    for (const char* sub : {"/recommendations?k=20", "/next-purchase?k=10"}) {
      auto mine = r.Get(("/v1/users/" + *user_ + sub).c_str()), theirs = r.Get(("/v1/users/never-seen-before" + std::string(sub)).c_str());
      ASSERT_TRUE(mine && theirs);
      ASSERT_EQ(mine->status, 200) << sub << ": " << mine->body;
      json a = Body(mine), b = Body(theirs);
      EXPECT_EQ(a["user"], *user_);
      a.erase("user"), b.erase("user");
      EXPECT_EQ(a, b) << sub;
    }
    EXPECT_EQ(s.Client(*admin_key_).Delete(("/v1/users/" + *user_).c_str())->status, 200);
  }
  EXPECT_EQ(Count(ws, fmt::format("SELECT count(*) FROM users WHERE ext_id = '{}'", *user_)), 0);
  EXPECT_EQ(Count(ws, fmt::format("SELECT count(*) FROM users WHERE ext_id = '{}'", *other_user_)), 1);
  // Restarted, the server does not bring the user back from its saved state.
  Running again(ws, Options());
  EXPECT_EQ(again.Client(*read_key_).Get(("/v1/users/" + *user_ + "/profile").c_str())->status, 404);
}

// Connections that send nothing, or a request a byte at a time, hold a worker thread only
// until the keep-alive timeout or the request deadline; a stop does not wait for them.
TEST_F(ServiceTest, IdleAndTricklingConnectionsNeitherStarveTheServerNorHoldItsStop) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  ServerOptions o = Options();
  o.threads = 2, o.keep_alive_s = 1, o.request_timeout_s = 2;
  auto s = std::make_unique<Running>(ws, o);
  std::vector<std::unique_ptr<RawConnection>> idle, trickling;
  for (int i = 0; i < 2; ++i) idle.push_back(std::make_unique<RawConnection>(s->port()));
  for (int i = 0; i < 2; ++i) {
    trickling.push_back(std::make_unique<RawConnection>(s->port()));
    trickling.back()->Send("GET /healthz HTTP/1.1\r\nX-A: ");
  }
  std::atomic<bool> go{true};
  std::mutex trickling_mu;  // the list grows below while the thread trickles
  std::thread trickle([&] {
    while (go) {
      {
        std::lock_guard lock(trickling_mu);
        for (auto& c : trickling) c->Send("a");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  // Joined on every way out (a connection that cannot be made throws): a joinable thread's
  // destructor would end the whole test binary.
  struct JoinOnExit {
    std::atomic<bool>& go;
    std::thread& t;
    ~JoinOnExit() {
      go = false;
      if (t.joinable()) t.join();
    }
  } join_trickle{go, trickle};
  const auto t0 = std::chrono::steady_clock::now();
  auto c = s->Client("");
  c.set_read_timeout(8, 0);
  auto health = c.Get("/healthz");
  const double waited = kgp::SecondsSince(t0);
  EXPECT_TRUE(health && health->status == 200);
  EXPECT_LT(waited, 5.0);
  // A stop with a trickling and an idle connection open (httplib waited for them) is prompt.
  {
    std::lock_guard lock(trickling_mu);
    trickling.push_back(std::make_unique<RawConnection>(s->port()));
    trickling.back()->Send("GET /healthz HTTP/1.1\r\nX-A: ");
  }
  idle.push_back(std::make_unique<RawConnection>(s->port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto t1 = std::chrono::steady_clock::now();
  auto stopped = std::async(std::launch::async, [&] { s->Stop(); });
  const bool prompt = stopped.wait_for(std::chrono::seconds(4)) == std::future_status::ready;
  go = false;  // (the old server stopped only once the client went quiet)
  trickle.join();
  trickling.clear();
  idle.clear();
  stopped.wait();
  EXPECT_TRUE(prompt) << kgp::SecondsSince(t1) << " s";
}

// A slow language model answering /summary holds no lock the other requests need.
TEST_F(ServiceTest, ASlowSummaryDoesNotStallOtherRequests) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  test::MockLlmServer llm([](const httplib::Request&, httplib::Response& res, int) {
    std::this_thread::sleep_for(std::chrono::milliseconds(3000));
    res.set_content(test::CompletionJson("A shopper."), "application/json");
  });
  {
    std::ofstream conf(ws + "/kgprofile.conf", std::ios::app);
    conf << "\nllm.backend = openai\nllm.base_url = " << llm.url() << "\nllm.model = fake\nllm.max_retries = 0\n";
  }
  Running s(ws, Options());
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));  // the keys are due for a reload
  auto summary = std::async(std::launch::async, [&] {
    return s.Client(*read_key_).Get(("/v1/users/" + *user_ + "/summary").c_str());
  });
  for (int i = 0; i < 1000 && llm.calls() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(llm.calls(), 1);
  const auto t0 = std::chrono::steady_clock::now();
  auto c = s.Client(*read_key_);
  auto segments = c.Get("/v1/segments");
  auto profile = c.Get(("/v1/users/" + *other_user_ + "/profile").c_str());
  const double took = kgp::SecondsSince(t0);
  ASSERT_TRUE(segments);
  EXPECT_EQ(segments->status, 200);
  ASSERT_TRUE(profile);
  EXPECT_EQ(profile->status, 200);
  EXPECT_LT(took, 2.5);  // the model takes 3 s: anything waiting on it would take longer
  auto r = summary.get();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

// Two requests for one user's summary at once call the model once: the second waits and is
// answered from the text cache (each called the model, which a hosted model bills).
TEST_F(ServiceTest, ConcurrentSummariesOfOneUserCallTheModelOnce) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  test::MockLlmServer llm([](const httplib::Request&, httplib::Response& res, int) {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    res.set_content(test::CompletionJson("A shopper."), "application/json");
  });
  {
    std::ofstream conf(ws + "/kgprofile.conf", std::ios::app);
    conf << "\nllm.backend = openai\nllm.base_url = " << llm.url() << "\nllm.model = fake\nllm.max_retries = 0\n"
         << "llm.max_tokens = 123\nllm.temperature = 0.25\n";
  }
  Running s(ws, Options());
  const auto get = [&](const std::string& user, const char* lang) {
    return std::async(std::launch::async, [&s, this, user, lang] {
      return s.Client(*read_key_).Get(("/v1/users/" + user + "/summary?lang=" + lang).c_str());
    });
  };
  auto a = get(*user_, "en"), b = get(*user_, "en");
  auto ra = a.get(), rb = b.get();
  ASSERT_TRUE(ra && rb);
  EXPECT_EQ(ra->status, 200) << ra->body;
  EXPECT_EQ(rb->status, 200) << rb->body;
  EXPECT_EQ(Body(ra)["text"], Body(rb)["text"]);
  EXPECT_EQ(llm.calls(), 1);
  // The request carries the workspace's llm.max_tokens and llm.temperature (it sent 400 and 0.7
  // whatever kgprofile.conf said).
  ASSERT_FALSE(llm.bodies().empty());
  const auto sent = nlohmann::json::parse(llm.bodies()[0]);
  EXPECT_EQ(sent["max_tokens"], 123) << sent.dump();
  EXPECT_DOUBLE_EQ(sent["temperature"].get<double>(), 0.25) << sent.dump();
  // Another user, or another language, is not held back by the gate.
  auto c = get(*other_user_, "en"), d = get(*user_, "zh");
  ASSERT_TRUE(c.get() && d.get());
  EXPECT_EQ(llm.calls(), 3);
}

// kgprofile_events_rejected_total counts the events of refused batches, not their problems.
TEST_F(ServiceTest, RejectedEventsAreTheEventsOfRefusedBatches) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  ServerOptions o = Options();
  o.max_batch_events = 3;
  Running s(ws, o);
  auto c = s.Client(*write_key_);
  // Two events, four problems (the first has no user, no item, an unknown type, a negative price).
  auto invalid = c.Post("/v1/events", json{{"events", {{{"type", "teleport"}, {"price", -3}}, Event(*user_, *item_, "view", 1781000000)}}}.dump(),
                        "application/json");
  ASSERT_TRUE(invalid);
  ASSERT_EQ(invalid->status, 400);
  EXPECT_EQ(Body(invalid)["error"]["details"].size(), 4u) << invalid->body;
  json five = json::array();
  for (int i = 0; i < 5; ++i) five.push_back(Event(*user_, *item_, "view", 1781000000 + i));
  auto large = c.Post("/v1/events", json{{"events", five}}.dump(), "application/json");
  ASSERT_TRUE(large);
  ASSERT_EQ(large->status, 413);
  EXPECT_EQ(Body(large)["error"]["code"], "batch_too_large");
  auto m = s.Client(*read_key_).Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("\nkgprofile_events_rejected_total 7\n"), std::string::npos) << m->body;
}

// DELETE on a user's sub-resource is not an erasure of a user named "ID/profile".
TEST_F(ServiceTest, DeleteOnAUsersSubResourceIs405AndErasesNobody) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  Running s(ws, Options());
  auto post = s.Client(*write_key_).Post(
      "/v1/events", json{{"events", {Event("shop/profile", *item_, "view", 1781000000)}}}.dump(), "application/json");
  ASSERT_TRUE(post);
  ASSERT_EQ(post->status, 200) << post->body;
  auto admin = s.Client(*admin_key_);
  for (const std::string& path : {std::string("/v1/users/shop/profile"), "/v1/users/" + *user_ + "/profile",
                                  "/v1/users/" + *user_ + "/recommendations", "/v1/users/" + *user_ + "/summary"}) {
    auto del = admin.Delete(path.c_str());
    ASSERT_TRUE(del);
    EXPECT_EQ(del->status, 405) << path << ": " << del->body;
    EXPECT_EQ(del->get_header_value("Allow"), "GET, HEAD, OPTIONS") << path;
    auto options = admin.Options(path.c_str());
    ASSERT_TRUE(options);
    EXPECT_EQ(options->status, 204);
    EXPECT_EQ(options->get_header_value("Allow"), "GET, HEAD, OPTIONS") << path;
  }
  EXPECT_EQ(admin.Get("/v1/users/shop%2Fprofile/profile")->status, 200);
  EXPECT_EQ(admin.Get(("/v1/users/" + *user_ + "/profile").c_str())->status, 200);
  auto options = admin.Options(("/v1/users/" + *user_).c_str());
  ASSERT_TRUE(options);
  EXPECT_EQ(options->get_header_value("Allow"), "DELETE, OPTIONS");
  // The id as one path segment ('/' as %2F) is erased.
  auto del = admin.Delete("/v1/users/shop%2Fprofile");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 200) << del->body;
  EXPECT_EQ(admin.Get("/v1/users/shop%2Fprofile/profile")->status, 404);
}

// Malformed requests: 400 bad_request, and the connection is closed (its framing is lost).
TEST_F(ServiceTest, MalformedRequestsAre400AndCloseTheConnection) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  Running s(ws, Options());
  for (const std::string& request : {std::string("FOO BAR\r\n\r\n"), std::string("GET /healthz HTTP/2.0\r\n\r\n"),
                                     "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n"}) {
    RawConnection raw(s.port());
    ASSERT_TRUE(raw.Send(request));
    bool closed = false;
    const std::string answer = raw.ReadAll(3000, &closed);
    EXPECT_TRUE(answer.rfind("HTTP/1.1 400", 0) == 0 || answer.rfind("HTTP/1.1 414", 0) == 0) << answer;
    EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
    EXPECT_TRUE(closed) << request.substr(0, 40);
  }
  // Two different Content-Length headers: refused, nothing stored.
  const int64_t before = Count(ws, "SELECT count(*) FROM inbox.service_event_inbox") + Count(ws, "SELECT count(*) FROM events");
  const std::string body = json{{"events", {Event(*user_, *item_, "view", 1781000000)}}}.dump();
  RawConnection raw(s.port());
  ASSERT_TRUE(raw.Send(fmt::format("POST /v1/events HTTP/1.1\r\nHost: x\r\nX-API-Key: {}\r\nContent-Type: application/json\r\n"
                                   "Content-Length: {}\r\nContent-Length: {}\r\n\r\n{}",
                                   *write_key_, body.size(), body.size() + 5, body)));
  bool closed = false;
  const std::string answer = raw.ReadAll(3000, &closed);
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
  EXPECT_NE(answer.find("\"bad_request\""), std::string::npos) << answer;
  EXPECT_TRUE(closed);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM inbox.service_event_inbox") + Count(ws, "SELECT count(*) FROM events"), before);
  // explain= with no value is not "true": 400, as for any other value than the documented ones.
  auto empty = s.Client(*read_key_).Get(("/v1/users/" + *user_ + "/recommendations?explain=").c_str());
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 400) << empty->body;
}

// Framing a proxy in front could read otherwise is refused and the connection closed before any
// body is read: a body on GET (it held a second request, which ran), Content-Length not a
// number, Transfer-Encoding with Content-Length or other than chunked, a chunked DELETE. A
// header section over 64 KiB ends the connection instead of growing the server's memory.
TEST_F(ServiceTest, AmbiguousFramingAndHugeHeadersCloseTheConnection) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  Running s(ws, Options());
  const std::string hidden = fmt::format("GET /v1/users/{}/profile HTTP/1.1\r\nHost: x\r\nX-API-Key: {}\r\n\r\n", *user_, *read_key_);
  for (const std::string& request :
       {fmt::format("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{}", hidden.size(), hidden),
        std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") + hidden,
        std::string("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 5abc\r\n\r\n{}") + hidden,
        std::string("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}") + hidden,
        std::string("POST /v1/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") + hidden,
        std::string("DELETE /v1/users/nobody HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n") +
            fmt::format("{:x}\r\n{}\r\n0\r\n\r\n", hidden.size(), hidden)}) {
    RawConnection raw(s.port());
    ASSERT_TRUE(raw.Send(request));
    bool closed = false;
    const std::string answer = raw.ReadAll(3000, &closed);
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << request.substr(0, 60) << "\n" << answer;
    EXPECT_EQ(test::Occurrences(answer, "HTTP/1.1 "), 1u) << "the hidden request ran: " << answer;
    EXPECT_TRUE(closed) << request.substr(0, 60);
  }
  // GET with Content-Length: 0 is fine.
  {
    RawConnection raw(s.port());
    ASSERT_TRUE(raw.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
    bool closed = false;
    EXPECT_EQ(raw.ReadAll(3000, &closed).rfind("HTTP/1.1 200", 0), 0u);
  }
  // A 1 MiB header line: the connection ends (no answer is owed), the server goes on.
  {
    RawConnection raw(s.port());
    raw.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(1 << 20, 'a') + "\r\n\r\n");
    bool closed = false;
    const std::string answer = raw.ReadAll(3000, &closed);
    EXPECT_TRUE(closed);
    EXPECT_EQ(answer.find("HTTP/1.1 200"), std::string::npos) << answer.substr(0, 200);
  }
  auto ok = s.Client(*read_key_).Get("/healthz");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

// Pipelined requests on one connection are all answered, in order.
TEST_F(ServiceTest, PipelinedRequestsAreAnsweredInOrder) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  Running s(ws, Options());
  RawConnection raw(s.port());
  ASSERT_TRUE(raw.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  bool closed = false;
  const std::string answer = raw.ReadAll(3000, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(test::Occurrences(answer, "HTTP/1.1 200"), 2u) << answer;
  const size_t not_found = answer.find("HTTP/1.1 404");
  ASSERT_NE(not_found, std::string::npos) << answer;
  EXPECT_LT(answer.find("HTTP/1.1 200"), not_found);
  EXPECT_NE(answer.find("HTTP/1.1 200", not_found), std::string::npos);
}

// In a pseudonymised workspace the ids /v1/audiences answers (pseudonyms) name users for the
// user endpoints too, as the raw ids do.
TEST_F(ServiceTest, AudienceIdsOfAPseudonymisedWorkspaceNameUsers) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(privacy::GenerateKey(**w).ok());
  }
  Running s(ws, Options());
  auto c = s.Client(*read_key_);
  auto aud = c.Post("/v1/audiences", json{{"rule", "events >= 1"}, {"limit", 3}}.dump(), "application/json");
  ASSERT_TRUE(aud);
  ASSERT_EQ(aud->status, 200) << aud->body;
  json ids = Body(aud)["user_ids"];
  ASSERT_EQ(ids.size(), 3u) << aud->body;
  for (const auto& id : ids) {
    const std::string u = id.get<std::string>();
    EXPECT_NE(u, *user_);
    for (const char* sub : {"/profile", "/recommendations", "/next-purchase"}) {
      auto r = c.Get(("/v1/users/" + u + sub).c_str());
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 200) << u << sub << ": " << r->body;
    }
  }
  auto raw = c.Get(("/v1/users/" + *user_ + "/profile").c_str());
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->status, 200) << raw->body;
}

// A pseudonym posted as an event's user is that user. It was pseudonymised again into a second
// user, whom the user endpoints then answered and DELETE erased (with a receipt), leaving the
// person and their events.
TEST_F(ServiceTest, AnEventPostedUnderAStoredPseudonymIsThatUsers) {
  test::TempDir dir;
  const std::string ws = CopyWorkspace(dir);
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(privacy::GenerateKey(**w).ok());
  }
  const int64_t users = Count(ws, "SELECT count(*) FROM users");
  std::string p;
  int64_t events = 0;
  {
    Running s(ws, Options());
    auto c = s.Client(*admin_key_);
    auto aud = c.Post("/v1/audiences", json{{"rule", "events >= 3"}, {"limit", 1}}.dump(), "application/json");
    ASSERT_TRUE(aud);
    ASSERT_EQ(aud->status, 200) << aud->body;
    p = Body(aud)["user_ids"][0].get<std::string>();
    events = Body(c.Get(("/v1/users/" + p + "/profile").c_str()))["behaviour"]["events"].get<int64_t>();
    ASSERT_GE(events, 3);
    auto post = c.Post("/v1/events", json::array({Event(p, *item_, "purchase", 1767225600)}).dump(), "application/json");
    ASSERT_TRUE(post);
    ASSERT_EQ(post->status, 200) << post->body;
    auto after = c.Get(("/v1/users/" + p + "/profile").c_str());
    ASSERT_TRUE(after);
    ASSERT_EQ(after->status, 200) << after->body;
    EXPECT_EQ(Body(after)["user_id"], p);
    EXPECT_EQ(Body(after)["behaviour"]["events"].get<int64_t>(), events + 1) << after->body;
    auto del = c.Delete(("/v1/users/" + p).c_str());
    ASSERT_TRUE(del);
    ASSERT_EQ(del->status, 200) << del->body;
    EXPECT_EQ(c.Get(("/v1/users/" + p + "/profile").c_str())->status, 404);
  }
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users"), users - 1);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users WHERE ext_id = '" + p + "'"), 0);
}

// The events a user posted since start, as recommendations read them: in time order (a late one
// in its place), at most kPostedKept (the latest), cut back once per batch, gone on erasure.
TEST(ServiceLiveProfiles, PostedEventsAreKeptInTimeOrderCappedAndErased) {
  LiveProfiles live;
  auto state = std::make_shared<const UserState>();
  const size_t n = LiveProfiles::kPostedKept + 5;
  std::vector<ProfileEvent> batch;
  for (size_t i = 0; i < n; ++i) batch.push_back(ProfileEvent{1000 + static_cast<int64_t>(i), 3, 7, -1.0f, NAN, EventType::kView});
  batch.push_back(ProfileEvent{1500, 3, 9, -1.0f, NAN, EventType::kPurchase});  // late
  live.Publish({{3, "u3", state}}, 0, batch);
  auto found = live.FindWithPosted("u3");
  ASSERT_TRUE(found);
  ASSERT_EQ(found->posted.size(), LiveProfiles::kPostedKept);
  EXPECT_TRUE(std::is_sorted(found->posted.begin(), found->posted.end(),
                             [](const ProfileEvent& a, const ProfileEvent& b) { return a.ts < b.ts; }));
  EXPECT_EQ(found->posted.back().ts, 1000 + static_cast<int64_t>(n) - 1);
  EXPECT_EQ(found->posted.front().ts, 1000 + static_cast<int64_t>(n) - static_cast<int64_t>(LiveProfiles::kPostedKept) + 1)
      << "the oldest are dropped (the late purchase at 1500 stays among the latest)";
  EXPECT_EQ(std::count_if(found->posted.begin(), found->posted.end(), [](const ProfileEvent& e) { return e.item == 9; }), 1);
  EXPECT_FALSE(found->erased);
  EXPECT_GE(live.posted_bytes(), LiveProfiles::kPostedKept * sizeof(ProfileEvent));
  live.Erase(3, "u3");
  EXPECT_FALSE(live.FindWithPosted("u3"));
  EXPECT_LT(live.posted_bytes(), sizeof(ProfileEvent) * 100);
  live.Publish({{3, "u3", state}}, 0, std::vector<ProfileEvent>{ProfileEvent{5000, 3, 7, -1.0f, NAN, EventType::kView}});
  found = live.FindWithPosted("u3");
  ASSERT_TRUE(found);
  EXPECT_TRUE(found->erased) << "an id back after its erasure is flagged";
  EXPECT_EQ(found->posted.size(), 1u) << "nothing of before the erasure";
}

}  // namespace
}  // namespace kgp::service
