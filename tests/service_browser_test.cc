// The web page of `kgprofile serve` in a real browser: the binary serves a generated workspace,
// headless Chromium opens the page with a key and a user in the URL fragment, runs its
// JavaScript against the API, and the rendered DOM must show the user's interest tags and
// recommendations. A screenshot is saved in the build folder (service-page.png). Skipped, with
// a message, when /usr/bin/chromium is not installed.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

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
      execl(test::BinaryPath().c_str(), "kgprofile", "serve", ws.c_str(), "--port", "0", "--no-fsync", nullptr);
      _exit(127);
    }
    close(out[1]);
    FILE* in = fdopen(out[0], "r");
    char line[512] = {0};
    if (in && std::fgets(line, sizeof line, in)) {
      std::string s(line);
      auto at = s.find("127.0.0.1:");
      if (at != std::string::npos) port_ = std::stoi(s.substr(at + 10));
    }
    in_ = in;
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    if (in_) std::fclose(in_);
  }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  FILE* in_ = nullptr;
};

TEST(ServiceBrowser, PageShowsTheUsersTagsAndRecommendations) {
  if (!fs::exists(kChromium)) GTEST_SKIP() << kChromium << " not installed (apt-get install chromium; scripts/install-deps.sh)";
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  ASSERT_EQ(test::RunCli("-q generate " + sample + " --users 80 --events 6000 --products 200 --seed 9").exit_code, 0);
  ASSERT_EQ(test::RunCli("-q init " + ws).exit_code, 0);
  for (auto [f, format] : std::vector<std::pair<const char*, const char*>>{
           {"categories.csv", "categories"}, {"brands.csv", "brands"}, {"catalog.csv", "catalog"},
           {"users.csv", "users"}, {"events.csv", "rees46"}}) {
    auto r = test::RunCli("-q ingest " + ws + " " + sample + "/" + f + " --format " + format);
    ASSERT_EQ(r.exit_code, 0) << f << ": " << r.err;
  }
  for (const char* cmd : {"graph build", "profile build"}) {
    auto r = test::RunCli(std::string("-q ") + cmd + " " + ws);
    ASSERT_EQ(r.exit_code, 0) << cmd << ": " << r.err;
  }
  auto key = test::RunCli("-q serve-keys create " + ws + " --scope read --name browser");
  ASSERT_EQ(key.exit_code, 0) << key.err;
  const std::string api_key = key.out.substr(0, key.out.find('\n'));
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
  int rc = std::system((std::string(kChromium) + " " + flags + "--dump-dom '" + url + "' > " + dom_file + " 2>" +
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
  rc = std::system((std::string(kChromium) + " " + flags + "--window-size=1280,1400 --screenshot=" + shot + " '" + url +
                    "' >/dev/null 2>>" + (tmp / "chromium.log")).c_str());
  EXPECT_EQ(rc, 0);
  EXPECT_TRUE(fs::exists(shot)) << test::ReadFile(tmp / "chromium.log");
  std::cerr << "screenshot: " << shot << "\n";
}

}  // namespace
}  // namespace kgp
