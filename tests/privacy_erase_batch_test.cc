// Erasure of several users in one run (`kgprofile erase --users FILE`, privacy::EraseUsers): a
// receipt per user counting that user's rows only, every form of every id gone from every file,
// the other users intact, ids that name nobody reported by their line; and the one-pass scan
// (FileContainsEach) against a plain search on random files.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "privacy/erase.h"
#include "privacy/files.h"
#include "privacy_erase_util.h"
#include "store/writer.h"
#include "test_util.h"

namespace kgp::privacy {
namespace {

TEST(PrivacyEraseBatch, EachReceiptCountsItsOwnUserAndNothingOfAnyIsLeft) {
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  BuildPseudonymised(sample, ws, "--users 80 --events 6000 --products 200 --seed 11");
  if (HasFatalFailure()) return;
  ASSERT_EQ(test::RunCli("-q export " + ws).exit_code, 0);
  ASSERT_TRUE(std::filesystem::exists(ws + "/export/neo4j/nodes.csv"));
  const std::string key = Key(ws);
  std::vector<std::string> raw, pseudo;
  for (int i : {3, 4, 5}) raw.push_back(NthUser(sample, i)), pseudo.push_back(PseudonymOf(key, raw.back()));
  const std::string other = PseudonymOf(key, NthUser(sample, 6));
  // Edges to users' nodes (the generated graph has none): one from the first user to the second,
  // counted by the first's receipt, and one from a product to the third.
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    Db& db = (*w)->db();
    const auto node = [&](const std::string& p) {
      return db.QueryInt("SELECT id FROM graph_nodes WHERE type = 0 AND key = '" + p + "'");
    };
    const int64_t product = db.QueryInt("SELECT min(id) FROM graph_nodes WHERE type <> 0");
    const int64_t type = db.QueryInt("SELECT min(id) FROM graph_edge_types");
    for (auto [src, dst] : {std::pair{node(pseudo[0]), node(pseudo[1])}, {product, node(pseudo[2])}})
      db.ExecOrThrow(fmt::format("INSERT INTO graph_edges(src, type, dst, count, weight) VALUES({}, {}, {}, 1, 1)", src, type, dst));
  }
  // What each user has before: events, tag rows, and the graph edges its receipt will count
  // (from its node; to it, unless from another node of the run, whose receipt counts those).
  std::vector<int64_t> events, tags, edges;
  std::string nodes;
  for (const auto& p : pseudo)
    nodes += (nodes.empty() ? "" : ",") +
             std::to_string(Count(ws, "SELECT id FROM graph_nodes WHERE type = 0 AND key = '" + p + "'"));
  for (const auto& p : pseudo) {
    const std::string uid = std::to_string(Count(ws, "SELECT id FROM users WHERE ext_id = '" + p + "'"));
    const std::string node = std::to_string(Count(ws, "SELECT id FROM graph_nodes WHERE type = 0 AND key = '" + p + "'"));
    events.push_back(Count(ws, "SELECT count(*) FROM events WHERE user_id = " + uid));
    tags.push_back(Count(ws, "SELECT count(*) FROM profile_tags WHERE user_id = " + uid));
    edges.push_back(Count(ws, fmt::format("SELECT count(*) FROM graph_edges WHERE src = {0} OR (dst = {0} AND src NOT IN ({1}))",
                                          node, nodes)));
    ASSERT_GT(events.back(), 0);
    ASSERT_GT(edges.back(), 0);
  }
  const int64_t users = Count(ws, "SELECT count(*) FROM users");
  const int64_t other_events =
      Count(ws, "SELECT count(*) FROM events e JOIN users u ON u.id = e.user_id WHERE u.ext_id = '" + other + "'");

  // The list: a raw id, comments and blank lines, a pseudonym, an id of nobody, the first user
  // again (as its pseudonym), and a raw id with a CR (a file written on Windows).
  test::WriteFile(ws + "/export/only-first.csv", "id\nuser:" + pseudo[0] + "\n");
  const std::string list = tmp / "ids.txt";
  test::WriteFile(list, "# erasure requests\n" + raw[0] + "\n\n" + pseudo[1] + "\n  nobody-here-0001  \n" + pseudo[0] +
                            "\n" + raw[2] + "\r\n");
  auto r = test::RunCli("--json erase " + ws + " --users " + list);
  EXPECT_EQ(r.exit_code, 1) << r.err;  // not every id was erased
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["erased"], 3);
  EXPECT_EQ(j["not_erased"], 1);
  const auto& res = j["results"];
  ASSERT_EQ(res.size(), 5u);
  const std::vector<std::string> from = {list + ":2", list + ":4", list + ":5", list + ":6", list + ":7"};
  for (size_t i = 0; i < res.size(); ++i) EXPECT_EQ(res[i]["from"], from[i]);
  EXPECT_NE(res[2]["error"].get<std::string>().find("no such user"), std::string::npos) << res[2];
  EXPECT_EQ(res[3]["same_user_as"], from[0]) << res[3];  // one erasure, one receipt
  std::set<std::string> codes, receipts;
  for (auto [k, u] : std::vector<std::pair<size_t, size_t>>{{0, 0}, {1, 1}, {4, 2}}) {
    SCOPED_TRACE(from[k]);
    const auto& rc = res[k]["receipt"];
    ASSERT_TRUE(rc.is_object()) << res[k];
    EXPECT_TRUE(rc["verified"].get<bool>());
    EXPECT_TRUE(rc["vacuumed"].get<bool>());
    EXPECT_EQ(rc["rows"]["users"], 1);
    EXPECT_EQ(rc["rows"]["graph_nodes"], 1);
    EXPECT_EQ(rc["rows"]["events"], events[u]);
    EXPECT_EQ(rc["rows"]["graph_edges"], edges[u]);
    EXPECT_EQ(rc["rows"].value("profile_tags", 0), tags[u]);
    EXPECT_EQ(rc["rows"]["embedding_rows"], 1);
    EXPECT_NE(rc["files_rewritten"].dump().find("profiles.state"), std::string::npos) << rc;
    EXPECT_NE(rc["files_removed"].dump().find("neo4j/nodes.csv"), std::string::npos) << rc;
    EXPECT_NE(rc["files_removed"].dump().find("neo4j/import.cypher"), std::string::npos) << rc;
    // A file that named only the first user is in its receipt alone.
    EXPECT_EQ(rc["files_removed"].dump().find("only-first.csv") != std::string::npos, u == 0) << rc;
    codes.insert(rc["verification_code"].get<std::string>());
    receipts.insert(rc["receipt"].get<std::string>());
  }
  EXPECT_EQ(codes.size(), 3u);
  EXPECT_EQ(receipts.size(), 3u);
  for (size_t u = 0; u < 3; ++u) {
    EXPECT_EQ(r.out.find(raw[u]), std::string::npos);
    EXPECT_EQ(r.out.find(pseudo[u]), std::string::npos);
  }
  // No file under the workspace holds any form of the three (the test's own scan).
  std::vector<std::string> all = raw;
  all.insert(all.end(), pseudo.begin(), pseudo.end());
  EXPECT_EQ(FilesHolding(ws, all), std::vector<std::string>{});
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM erasure_receipts"), 3);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM meta WHERE key LIKE 'erase_pending:%'"), 0);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users"), users - 3);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM events e JOIN users u ON u.id = e.user_id WHERE u.ext_id = '" + other + "'"),
            other_events);
  EXPECT_EQ(test::RunCli("-q profile show " + ws + " --user " + other).exit_code, 0);
  EXPECT_EQ(test::RunCli("-q profile build " + ws).exit_code, 0);

  // Text output: each line of the list with its outcome; a list of nobody erases nothing.
  test::WriteFile(list, "nobody-here-0002\n");
  auto none = test::RunCli("erase " + ws + " --users " + list);
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.out.find(list + ":1: erase: no such user"), std::string::npos) << none.out;
  EXPECT_NE(none.out.find("0 users erased in one run (1 ids given)"), std::string::npos) << none.out;
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users"), users - 3);
  test::WriteFile(list, "# nothing\n\n");
  auto empty = test::RunCli("erase " + ws + " --users " + list);
  EXPECT_NE(empty.exit_code, 0);
  EXPECT_NE(empty.err.find("lists no user id"), std::string::npos) << empty.err;
  // --user repeated: a list too.
  const std::string fourth = NthUser(sample, 7), fifth = NthUser(sample, 8);
  auto two = test::RunCli("--json erase " + ws + " --user " + fourth + " --user " + fifth);
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(nlohmann::json::parse(two.out)["erased"], 2) << two.out;
  EXPECT_EQ(nlohmann::json::parse(two.out)["results"][1]["from"], "--user #2") << two.out;
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users"), users - 5);
  // --users - reads the list from standard input.
  {
    test::WriteFile(list, NthUser(sample, 11) + "\n");
    const std::string out = tmp / "stdin.json";
    const int rc = std::system((test::BinaryPath() + " --json erase " + ws + " --users - < " + list + " > " + out).c_str());
    ASSERT_TRUE(WIFEXITED(rc));
    EXPECT_EQ(WEXITSTATUS(rc), 0);
    const auto sj = nlohmann::json::parse(test::ReadFile(out));
    EXPECT_EQ(sj["erased"], 1) << sj.dump();
    EXPECT_EQ(sj["results"][0]["from"], "-:1") << sj.dump();
    EXPECT_EQ(Count(ws, "SELECT count(*) FROM users"), users - 6);
  }
  // One id per --user: a second word is refused, not taken for another user to erase.
  auto stray = test::RunCli("erase " + ws + " --user " + NthUser(sample, 9) + " " + NthUser(sample, 10));
  EXPECT_NE(stray.exit_code, 0);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users"), users - 6);
}

// A list longer than one statement takes (5,000 ids a chunk): every user erased, every row counted
// once in its own receipt.
TEST(PrivacyEraseBatch, AListLongerThanAChunkIsErasedWhole) {
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  ASSERT_EQ(test::RunCli("-q generate " + sample + " --users 5300 --events 12000 --products 200 --review-rate 0").exit_code, 0);
  ASSERT_EQ(test::RunCli("-q init " + ws).exit_code, 0);
  for (const char* f : {"categories", "brands", "catalog", "users", "events"})
    ASSERT_EQ(test::RunCli("-q ingest " + ws + " " + sample + "/" + f + ".csv").exit_code, 0) << f;
  for (const char* cmd : {"graph build", "profile build"}) ASSERT_EQ(test::RunCli(std::string("-q ") + cmd + " " + ws).exit_code, 0) << cmd;
  // The first 5,200 users of users.csv (ingested first: users.id 1 to 5,200).
  std::istringstream users(test::ReadFile(sample + "/users.csv"));
  std::string line, ids;
  std::getline(users, line);  // header
  for (int i = 0; i < 5200 && std::getline(users, line); ++i) ids += line.substr(0, line.find(',')) + "\n";
  test::WriteFile(tmp / "ids.txt", ids);
  const int64_t events = Count(ws, "SELECT count(*) FROM events");
  const int64_t kept_events = events - Count(ws, "SELECT count(*) FROM events e JOIN users u ON u.id = e.user_id WHERE u.id IN "
                                                 "(SELECT id FROM users ORDER BY id LIMIT 5200)");
  auto r = test::RunCli("--json erase " + ws + " --users " + (tmp / "ids.txt"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["erased"], 5200);
  int64_t deleted = 0, verified = 0;
  for (const auto& e : j["results"]) {
    deleted += e["receipt"]["rows"].value("events", 0);
    verified += e["receipt"]["verified"].get<bool>();
    EXPECT_EQ(e["receipt"]["rows"]["users"], 1) << e.dump();
  }
  EXPECT_EQ(verified, 5200);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users"), 100);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM events"), kept_events);
  EXPECT_EQ(deleted, events - kept_events);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM profiles"), 100);
}

// A text user column (profiles.ext_id) holds the stored id: erasing the user whose users.id is 1
// leaves the row of the user whose id as ingested is "1" (it took it when matched by users.id too).
TEST(PrivacyEraseBatch, AnotherUsersIdAsIngestedIsNotTakenForUsersId) {
  test::TempDir tmp;
  const std::string ws = tmp / "ws", csv = tmp / "events.csv";
  // Users are numbered as they come: "3" is users.id 1, "1" is users.id 2.
  std::string rows = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n";
  for (const char* u : {"3", "1", "2"})
    for (int k = 0; k < 3; ++k)
      rows += fmt::format("2026-01-0{} 10:00:00 UTC,view,10{},20,shoes.boots,acme,9.5,{},s{}\n", k + 1, k, u, u);
  test::WriteFile(csv, rows);
  ASSERT_EQ(test::RunCli("-q init " + ws).exit_code, 0);
  ASSERT_EQ(test::RunCli("-q ingest " + ws + " " + csv + " --format rees46").exit_code, 0);
  for (const char* cmd : {"graph build", "profile build"}) ASSERT_EQ(test::RunCli(std::string("-q ") + cmd + " " + ws).exit_code, 0) << cmd;
  ASSERT_EQ(Count(ws, "SELECT id FROM users WHERE ext_id = '3'"), 1);
  ASSERT_EQ(Count(ws, "SELECT count(*) FROM profiles WHERE ext_id = '1'"), 1);
  auto r = test::RunCli("--json erase " + ws + " --user 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["rows"]["profiles"], 1) << r.out;
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM profiles WHERE ext_id = '1'"), 1);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM profiles"), 2);
  EXPECT_EQ(test::RunCli("-q profile show " + ws + " --user 1").exit_code, 0);
}

// The plain search FileContainsEach must agree with: every occurrence of every needle, a whole
// id when asked (no id character glued before or after).
bool Reference(const std::string& text, const std::vector<std::string>& needles, bool whole_ids) {
  const auto id_char = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '_' || c == '-' || c == '.' || u >= 0x80;
  };
  for (const auto& n : needles) {
    if (n.empty()) continue;
    for (size_t at = text.find(n); at != std::string::npos; at = text.find(n, at + 1)) {
      const size_t end = at + n.size();
      if (!whole_ids) return true;
      if ((!id_char(n.front()) || at == 0 || !id_char(text[at - 1])) &&
          (!id_char(n.back()) || end == text.size() || !id_char(text[end])))
        return true;
    }
  }
  return false;
}

TEST(PrivacyFiles, OnePassOverAFileFindsWhatASearchPerNeedleFinds) {
  test::TempDir tmp;
  const std::string f = tmp / "f.bin";
  std::mt19937_64 rng(7);
  // A small alphabet, so that needles occur, partly, glued to id characters or not.
  const std::string alphabet = "ab:7 .\n\xc3";
  const auto word = [&](size_t n) {
    std::string w;
    for (size_t i = 0; i < n; ++i) w += alphabet[rng() % alphabet.size()];
    return w;
  };
  int agreed = 0, hits = 0;
  for (int round = 0; round < 60; ++round) {
    // Some files cross the reader's 1 MiB chunks, with needles planted around the boundary.
    std::string text = word(rng() % 3 == 0 ? (1 << 20) + rng() % 64 : rng() % 3000);
    // Half the needles share their first bytes, as "user:ID" do, and the text has that prefix
    // every 200 bytes or so.
    for (size_t k = 0; k < text.size() / 200 && text.size() > 5; ++k) text.replace(rng() % (text.size() - 5), 5, "user:");
    std::vector<std::vector<std::string>> groups(1 + rng() % 6);
    for (auto& g : groups)
      for (size_t k = 0, n = rng() % 4; k < n; ++k) g.push_back((rng() % 2 ? "user:" : "") + word(1 + rng() % 9));
    // A needle longer than the others (found nowhere else) ends a byte before, at, or a byte
    // after the first chunk's end, glued or not to the next byte.
    if (text.size() > (1 << 20)) {
      const std::string n = word(12);
      groups.push_back({n});
      const size_t at = (1 << 20) - n.size() + rng() % 3 - 1;
      text.replace(at, n.size(), n);
      text[at + n.size()] = rng() % 2 ? 'a' : ' ';
    }
    test::WriteFile(f, text);
    for (bool whole : {false, true}) {
      auto got = FileContainsEach(f, groups, whole);
      ASSERT_TRUE(got.ok());
      ASSERT_EQ(got->size(), groups.size());
      for (size_t g = 0; g < groups.size(); ++g) {
        const bool want = Reference(text, groups[g], whole);
        EXPECT_EQ((*got)[g], want) << "round " << round << " group " << g << (whole ? " whole ids" : "");
        agreed += (*got)[g] == want, hits += want;
      }
    }
  }
  // Both outcomes occurred often enough to mean something.
  EXPECT_GT(hits, 40);
  EXPECT_GT(agreed - hits, 40);
}

}  // namespace
}  // namespace kgp::privacy
