// `kgprofile serve` as a process. A crash (SIGKILL) right after events were acknowledged loses
// none of them: the next start has them in the store and the profiles. The web page in a real
// browser: headless Chromium opens the page with a key and a user in the URL fragment, runs its
// JavaScript against the API, and the rendered DOM must show the user's interest tags and
// recommendations. A screenshot is saved in the build folder (service-page.png). The browser
// test is skipped, with a message, when /usr/bin/chromium is not installed.
#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>
#include <map>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "service/event_merger.h"
#include "store/workspace.h"
#include "test_util.h"

namespace kgp {
namespace {

namespace fs = std::filesystem;
constexpr const char* kChromium = "/usr/bin/chromium";

// `kgprofile serve` as a child process; its first stdout line names the port.
class ServeProcess {
 public:
  explicit ServeProcess(const std::string& ws, const std::string& log) {
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      FILE* err = std::fopen(log.c_str(), "w");
      if (err) dup2(fileno(err), 2);
      close(out[0]);
      execl(test::BinaryPath().c_str(), "kgprofile", "serve", ws.c_str(), "--port", "0", nullptr);
      _exit(127);
    }
    close(out[1]);
    FILE* in = fdopen(out[0], "r");
    char line[512] = {0};
    // At most 120 s for the line (a server that hangs before it fails the test with port 0
    // instead of hanging the suite until ctest's timeout).
    pollfd ready{out[0], POLLIN, 0};
    if (in && poll(&ready, 1, 120'000) == 1 && std::fgets(line, sizeof line, in)) {
      std::string s(line);
      auto at = s.find("127.0.0.1:");
      if (at != std::string::npos) port_ = std::stoi(s.substr(at + 10));
    }
    in_ = in;
  }
  ~ServeProcess() { Stop(SIGTERM); }
  // Sends sig and waits for the process; returns its wait status.
  int Stop(int sig) {
    int status = 0;
    if (pid_ > 0) {
      kill(pid_, sig);
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    if (in_) std::fclose(in_);
    in_ = nullptr;
    return status;
  }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  FILE* in_ = nullptr;
};

// A generated shop up to profiles; returns the workspace folder.
std::string PrepareWorkspace(const test::TempDir& tmp) {
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  EXPECT_EQ(test::RunCli("-q generate " + sample + " --users 80 --events 6000 --products 200 --seed 9").exit_code, 0);
  EXPECT_TRUE(test::IngestedWorkspace(ws, test::ShopFiles(sample)));
  auto r = test::RunCli("-q profile build " + ws);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return ws;
}

std::string CreateKey(const std::string& ws, const std::string& scope) {
  auto key = test::RunCli("-q serve-keys create " + ws + " --scope " + scope + " --name test");
  EXPECT_EQ(key.exit_code, 0) << key.err;
  return key.out.substr(0, key.out.find('\n'));
}

// sql may name the service's staged events as inbox.service_event_inbox.
int64_t Count(const std::string& ws, const std::string& sql) {
  auto w = Workspace::Open(ws);
  EXPECT_TRUE(w.ok());
  if (!w.ok()) return -1;
  EXPECT_TRUE(service::AttachInbox((*w)->db(), (*w)->Path(service::kInboxFile), "NORMAL").ok());
  return (*w)->db().QueryInt(sql);
}

// The user's event count as the server's profile answer gives it (-1 when it does not answer 200).
int64_t ServedEvents(const ServeProcess& serve, const std::string& key, const std::string& uid) {
  httplib::Client c("127.0.0.1", serve.port());
  c.set_default_headers({{"X-API-Key", key}});
  auto p = c.Get(("/v1/users/" + uid + "/profile").c_str());
  EXPECT_TRUE(p && p->status == 200) << (p ? p->body : std::string("no answer"));
  if (!p || p->status != 200) return -1;
  return nlohmann::json::parse(p->body)["behaviour"]["events"].get<int64_t>();
}

// Two users with events (empty strings when the workspace has fewer).
std::pair<std::string, std::string> TwoUsersWithEvents(const std::string& ws) {
  auto w = Workspace::Open(ws);
  EXPECT_TRUE(w.ok());
  std::vector<std::string> ids;
  for (Stmt st = (*w)->db().Prepare("SELECT DISTINCT u.ext_id FROM users u JOIN events e ON e.user_id = u.id LIMIT 2");
       st.Step();)
    ids.emplace_back(st.Text(0));
  ids.resize(2);
  return {ids[0], ids[1]};
}

// The user's event count as `profile show` gives it (-1 when it fails: no such user).
int64_t ProfileEvents(const std::string& ws, const std::string& user) {
  auto r = test::RunCli("--json profile show " + ws + " --user " + user);
  if (r.exit_code != 0) return -1;
  return nlohmann::json::parse(r.out)["behaviour"]["events"].get<int64_t>();
}

TEST(ServiceProcess, AcknowledgedEventsSurviveAKill) {
  test::TempDir tmp;
  const std::string ws = PrepareWorkspace(tmp);
  const std::string key = CreateKey(ws, "write");
  std::string uid;
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    Stmt st = (*w)->db().Prepare("SELECT u.ext_id FROM users u JOIN events e ON e.user_id = u.id LIMIT 1");
    ASSERT_TRUE(st.Step());
    uid = std::string(st.Text(0));
  }
  const int64_t stored_before = Count(ws, "SELECT count(*) FROM events");
  int64_t profile_before = 0;
  int accepted = 0;
  auto recommended = [&](httplib::Client& c) {
    std::vector<std::string> items;
    auto res = c.Get(("/v1/users/" + uid + "/recommendations?k=10").c_str());
    EXPECT_TRUE(res && res->status == 200) << (res ? res->body : std::string("no answer"));
    if (!res || res->status != 200) return items;
    const nlohmann::json j = nlohmann::json::parse(res->body);
    for (const auto& r : j["recommendations"]) items.push_back(r["item"]);
    return items;
  };
  std::string bought;
  {
    ServeProcess serve(ws, tmp / "serve.log");
    ASSERT_GT(serve.port(), 0) << test::ReadFile(tmp / "serve.log");
    profile_before = ServedEvents(serve, key, uid);
    ASSERT_GT(profile_before, 0);
    httplib::Client c("127.0.0.1", serve.port());
    c.set_default_headers({{"X-API-Key", key}});
    const std::vector<std::string> before = recommended(c);
    ASSERT_FALSE(before.empty());
    bought = before.front();
    for (int r = 0; r < 20; ++r) {
      nlohmann::json batch = nlohmann::json::array();
      for (int i = 0; i < 10; ++i)
        batch.push_back({{"user", uid}, {"item", "1000001"}, {"type", "view"}, {"ts", 1782000000 + r * 10 + i}});
      auto res = c.Post("/v1/events", nlohmann::json{{"events", batch}}.dump(), "application/json");
      ASSERT_TRUE(res);
      ASSERT_EQ(res->status, 200) << res->body;
      accepted += nlohmann::json::parse(res->body)["accepted"].get<int>();
    }
    // The top recommendation, bought last (still staged when the server dies: the merger moves
    // rows after a second without new ones): the next run's recommender, built from the store at
    // start, has the purchase, and does not offer the item again.
    auto buy = c.Post("/v1/events",
                      nlohmann::json{{"events", {{{"user", uid}, {"item", bought}, {"type", "purchase"}, {"ts", 1782000500}}}}}.dump(),
                      "application/json");
    ASSERT_TRUE(buy);
    ASSERT_EQ(buy->status, 200) << buy->body;
    accepted += nlohmann::json::parse(buy->body)["accepted"].get<int>();
    const int status = serve.Stop(SIGKILL);  // no chance to merge, save or close anything
    ASSERT_TRUE(WIFSIGNALED(status));
  }
  ASSERT_EQ(accepted, 201);
  ASSERT_EQ(Count(ws, "SELECT count(*) FROM inbox.service_event_inbox WHERE ts = 1782000500"), 1)
      << "the purchase was moved before the kill: the restart below would not need the recovery";
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM events") + Count(ws, "SELECT count(*) FROM inbox.service_event_inbox"),
            stored_before + accepted);
  {
    ServeProcess again(ws, tmp / "serve2.log");
    ASSERT_GT(again.port(), 0) << test::ReadFile(tmp / "serve2.log");
    EXPECT_EQ(ServedEvents(again, key, uid), profile_before + accepted);
    httplib::Client c("127.0.0.1", again.port());
    c.set_default_headers({{"X-API-Key", key}});
    const std::vector<std::string> after = recommended(c);
    EXPECT_EQ(after.size(), 10u);
    EXPECT_EQ(std::find(after.begin(), after.end(), bought), after.end()) << "offered again after the restart: " << bought;
  }
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM events"), stored_before + accepted);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM inbox.service_event_inbox"), 0);
  // The killed run's ingest_files row is closed (it stayed 'running' for ever), with its events.
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM ingest_files WHERE status = 'running'"), 0);
  EXPECT_EQ(Count(ws, "SELECT records FROM ingest_files WHERE format = 'api' AND status = 'interrupted'"), accepted);
}

// While a server runs it owns the profile state: a second server, `erase` and key rotation are
// refused (erasing behind it was undone when it saved its state at stop), and `profile update`
// refreshes the tables but leaves the state to it. After a crash, a `profile update` run before
// the next start has the acknowledged events still staged (they were applied by no one when the
// update's watermark passed the crashed run), and the next start applies nothing twice.
TEST(ServiceProcess, TheServerOwnsTheStateAndAnUpdateAfterACrashHasItsEvents) {
  test::TempDir tmp;
  const std::string ws = PrepareWorkspace(tmp);
  const std::string key = CreateKey(ws, "admin");
  const auto [uid, other] = TwoUsersWithEvents(ws);
  ASSERT_FALSE(other.empty());
  const auto events_of = [&](const std::string& user) { return ProfileEvents(ws, user); };
  const int64_t before = events_of(uid);
  ASSERT_GT(before, 0);
  {
    ServeProcess serve(ws, tmp / "serve.log");
    ASSERT_GT(serve.port(), 0) << test::ReadFile(tmp / "serve.log");
    // Time-limited: if a regression let a second server start, it would otherwise run for ever.
    auto second = test::RunCli("serve " + ws + " --port 0", "timeout 20");
    EXPECT_NE(second.exit_code, 0);
    EXPECT_NE(second.err.find("another kgprofile serve"), std::string::npos) << second.err;
    // A lock another process holds is no invalid argument; the message names the lock and the pid.
    EXPECT_EQ(second.err.find("invalid argument"), std::string::npos) << second.err;
    EXPECT_NE(second.err.find("serve.lock"), std::string::npos) << second.err;
    EXPECT_NE(second.err.find("(pid "), std::string::npos) << second.err;
    auto erase = test::RunCli("erase " + ws + " --user " + other);
    EXPECT_NE(erase.exit_code, 0);
    EXPECT_NE(erase.err.find("DELETE /v1/users/" + other), std::string::npos) << erase.err;
    for (const char* cmd : {"privacy rotate", "privacy keygen", "profile build", "profile update --clusters 3"}) {
      auto r = test::RunCli(std::string(cmd) + " " + ws);
      EXPECT_NE(r.exit_code, 0) << cmd;
      EXPECT_NE(r.err.find("kgprofile serve (pid"), std::string::npos) << cmd << ": " << r.err;
      EXPECT_EQ(r.err.find("invalid argument"), std::string::npos) << cmd << ": " << r.err;
    }
    EXPECT_FALSE(fs::exists(fs::path(ws) / "pseudonym.key"));  // keygen did nothing
    auto update = test::RunCli("profile update " + ws);
    EXPECT_EQ(update.exit_code, 0) << update.err;
    EXPECT_NE(update.err.find("left to the running kgprofile serve"), std::string::npos) << update.err;

    httplib::Client c("127.0.0.1", serve.port());
    c.set_default_headers({{"X-API-Key", key}});
    nlohmann::json batch = nlohmann::json::array();
    for (int i = 0; i < 12; ++i)
      batch.push_back({{"user", uid}, {"item", "1000001"}, {"type", "view"}, {"ts", 1783000000 + i}});
    auto res = c.Post("/v1/events", nlohmann::json{{"events", batch}}.dump(), "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    ASSERT_EQ(nlohmann::json::parse(res->body)["accepted"].get<int>(), 12);
    ASSERT_TRUE(WIFSIGNALED(serve.Stop(SIGKILL)));
  }
  // The other user was not erased, and nothing of the refused commands is half done.
  EXPECT_GT(events_of(other), 0);
  auto update = test::RunCli("profile update " + ws);
  ASSERT_EQ(update.exit_code, 0) << update.err;
  EXPECT_EQ(events_of(uid), before + 12) << update.out << update.err;
  {
    ServeProcess again(ws, tmp / "serve2.log");
    ASSERT_GT(again.port(), 0) << test::ReadFile(tmp / "serve2.log");
    EXPECT_EQ(ServedEvents(again, key, uid), before + 12);
  }
  EXPECT_EQ(events_of(uid), before + 12);
  // Stopped, the lock is free again.
  EXPECT_EQ(test::RunCli("-q erase " + ws + " --user " + other).exit_code, 0);
}

// An erasure through the server, then a crash: the events the run had applied before the
// erasure are counted once, by `profile update` and by the next start. (The erasure used to save
// the server's state, this run's events included, under the watermark of its start, and both
// replayed them on top.)
TEST(ServiceProcess, AnErasureThenACrashCountsNoEventTwice) {
  test::TempDir tmp;
  const std::string ws = PrepareWorkspace(tmp);
  const std::string key = CreateKey(ws, "admin");
  const auto [uid, other] = TwoUsersWithEvents(ws);
  ASSERT_FALSE(other.empty());
  const auto events_of = [&](const std::string& user) { return ProfileEvents(ws, user); };
  const int64_t before = events_of(uid);
  ASSERT_GT(before, 0);
  {
    ServeProcess serve(ws, tmp / "serve.log");
    ASSERT_GT(serve.port(), 0) << test::ReadFile(tmp / "serve.log");
    httplib::Client c("127.0.0.1", serve.port());
    c.set_default_headers({{"X-API-Key", key}});
    auto post = [&](int64_t ts0) {
      nlohmann::json batch = nlohmann::json::array();
      for (int i = 0; i < 6; ++i)
        batch.push_back({{"user", uid}, {"item", "1000001"}, {"type", "view"}, {"ts", ts0 + i}});
      auto res = c.Post("/v1/events", nlohmann::json{{"events", batch}}.dump(), "application/json");
      ASSERT_TRUE(res);
      ASSERT_EQ(res->status, 200) << res->body;
    };
    post(1783000000);
    auto del = c.Delete(("/v1/users/" + other).c_str());
    ASSERT_TRUE(del);
    ASSERT_EQ(del->status, 200) << del->body;
    post(1783000100);
    EXPECT_EQ(ServedEvents(serve, key, uid), before + 12);
    ASSERT_TRUE(WIFSIGNALED(serve.Stop(SIGKILL)));
  }
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users WHERE ext_id = '" + other + "'"), 0);
  auto update = test::RunCli("profile update " + ws);
  ASSERT_EQ(update.exit_code, 0) << update.err;
  EXPECT_EQ(events_of(uid), before + 12) << update.out << update.err;
  {
    ServeProcess again(ws, tmp / "serve2.log");
    ASSERT_GT(again.port(), 0) << test::ReadFile(tmp / "serve2.log");
    EXPECT_EQ(ServedEvents(again, key, uid), before + 12);
    ASSERT_TRUE(WIFSIGNALED(again.Stop(SIGKILL)));
  }
  {
    ServeProcess third(ws, tmp / "serve3.log");
    ASSERT_GT(third.port(), 0) << test::ReadFile(tmp / "serve3.log");
    EXPECT_EQ(ServedEvents(third, key, uid), before + 12);
  }
  EXPECT_EQ(events_of(uid), before + 12);
  EXPECT_EQ(events_of(other), -1);
}

// A `profile update` while the server runs rewrites the profile tables (k-means again: clusters
// renumbered, RFM rescored); the served profiles follow within seconds, so GET profile and
// /v1/segments agree with the tables.
TEST(ServiceProcess, ServedClustersFollowAProfileUpdate) {
  test::TempDir tmp;
  const std::string ws = PrepareWorkspace(tmp);
  const std::string key = CreateKey(ws, "read");
  std::vector<std::string> users;
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    for (Stmt st = (*w)->db().Prepare("SELECT ext_id FROM profiles ORDER BY user_id"); st.Step();)
      users.emplace_back(st.Text(0));
  }
  ASSERT_GE(users.size(), 30u);
  ServeProcess serve(ws, tmp / "serve.log");
  ASSERT_GT(serve.port(), 0) << test::ReadFile(tmp / "serve.log");
  // New behaviour for a third of the users (purchases of one product), then an update.
  std::string csv = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n";
  for (size_t u = 0; u < users.size(); u += 3)
    for (int i = 0; i < 40; ++i)
      csv += fmt::format("2026-03-0{} 1{}:00:00 UTC,purchase,1000001,,,,99.00,{},sx{}\n", 1 + i % 9, i % 10, users[u], u);
  test::WriteFile(tmp / "more.csv", csv);
  auto in = test::RunCli("-q ingest " + ws + " " + (tmp / "more.csv"));
  ASSERT_EQ(in.exit_code, 0) << in.err;
  auto up = test::RunCli("-q profile update " + ws);
  ASSERT_EQ(up.exit_code, 0) << up.err;
  std::map<std::string, std::pair<int64_t, std::string>> table;  // ext_id -> (cluster, label)
  std::map<std::string, std::string> segment;  // ext_id -> rfm_segment
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    for (Stmt st = (*w)->db().Prepare("SELECT p.ext_id, p.cluster, coalesce(c.label, ''), p.rfm_segment FROM profiles p "
                                      "LEFT JOIN profile_clusters c ON c.id = p.cluster");
         st.Step();) {
      table[std::string(st.Text(0))] = {st.Int(1), std::string(st.Text(2))};
      segment[std::string(st.Text(0))] = std::string(st.Text(3));
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // the server checks every 2 s
  httplib::Client c("127.0.0.1", serve.port());
  c.set_default_headers({{"X-API-Key", key}});
  size_t checked = 0;
  for (const std::string& u : users) {
    auto r = c.Get(("/v1/users/" + u + "/profile").c_str());
    ASSERT_TRUE(r && r->status == 200) << u;
    auto j = nlohmann::json::parse(r->body);
    ASSERT_TRUE(table.count(u)) << u;
    EXPECT_EQ(j["segments"]["cluster"].get<int64_t>(), table[u].first) << u;
    EXPECT_EQ(j["segments"]["cluster_label"].get<std::string>(), table[u].second) << u;
    EXPECT_EQ(j["behaviour"]["rfm"]["segment"].get<std::string>(), segment[u]) << u;
    ++checked;
  }
  EXPECT_EQ(checked, users.size());
}

TEST(ServiceBrowser, PageShowsTheUsersTagsAndRecommendations) {
  if (!fs::exists(kChromium)) GTEST_SKIP() << kChromium << " not installed (apt-get install chromium; scripts/install-deps.sh test)";
  test::TempDir tmp;
  const std::string ws = PrepareWorkspace(tmp);
  const std::string api_key = CreateKey(ws, "read");
  auto top = test::RunCli("--json profile export " + ws + " --tags 3");
  ASSERT_EQ(top.exit_code, 0) << top.err;
  // The user with the most events, and the label of their strongest category.
  std::string user, label;
  int best = -1;
  std::istringstream lines(top.out);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || j["interests"]["categories"].empty()) continue;
    if (j["behaviour"]["events"].get<int>() > best) {
      best = j["behaviour"]["events"];
      user = j["user_id"];
      const auto& t = j["interests"]["categories"][0];
      label = t["label"].get<std::string>().empty() ? t["tag"].get<std::string>() : t["label"].get<std::string>();
    }
  }
  ASSERT_FALSE(user.empty());

  ServeProcess serve(ws, tmp / "serve.log");
  ASSERT_GT(serve.port(), 0) << test::ReadFile(tmp / "serve.log");
  const std::string url = "http://127.0.0.1:" + std::to_string(serve.port()) + "/#key=" + api_key + "&user=" + user;
  const std::string flags = "--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars "
                            "--user-data-dir=" + (tmp / "chrome") + " --virtual-time-budget=15000 ";
  const std::string dom_file = tmp / "dom.html";
  int rc = std::system(("timeout 120 " + std::string(kChromium) + " " + flags + "--dump-dom '" + url + "' > " + dom_file + " 2>" +
                        (tmp / "chromium.log")).c_str());
  ASSERT_EQ(rc, 0) << test::ReadFile(tmp / "chromium.log");
  const std::string dom = test::ReadFile(dom_file);
  EXPECT_NE(dom.find("data-ready=\"1\""), std::string::npos) << "the page did not finish loading:\n" << dom.substr(0, 3000);
  EXPECT_NE(dom.find("class=\"bar tag\""), std::string::npos) << "no interest bars";
  EXPECT_NE(dom.find(label), std::string::npos) << "strongest category '" << label << "' not shown";
  EXPECT_NE(dom.find("class=\"rec\""), std::string::npos) << "no recommendations";
  EXPECT_NE(dom.find("<circle"), std::string::npos) << "no graph drawn";
  // A screenshot for people to look at (not compared).
  const std::string shot = (fs::path(test::BinaryPath()).parent_path() / "service-page.png").string();
  rc = std::system(("timeout 120 " + std::string(kChromium) + " " + flags + "--window-size=1280,1400 --screenshot=" + shot + " '" + url +
                    "' >/dev/null 2>>" + (tmp / "chromium.log")).c_str());
  EXPECT_EQ(rc, 0);
  EXPECT_TRUE(fs::exists(shot)) << test::ReadFile(tmp / "chromium.log");
  std::cerr << "screenshot: " << shot << "\n";
}

}  // namespace
}  // namespace kgp
