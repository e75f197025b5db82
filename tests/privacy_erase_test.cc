// Erasure, key handling and PII end to end through the CLI on a generated workspace: after
// `kgprofile erase`, neither the raw id nor its pseudonym occurs in any workspace file (database,
// WAL, state, models, exports); other users are intact. Key rotation re-keys every stored id and
// new records still join; a key file others can read is refused; PII columns never reach the
// store, the logs or the outputs.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "common/strings.h"
#include "embed/ann.h"
#include "embed/checkpoint.h"
#include "privacy/erase.h"
#include "privacy/files.h"
#include "privacy/pseudonym.h"
#include "service/event_merger.h"
#include "store/commit_lock.h"
#include "store/workspace.h"
#include "store/writer.h"
#include "privacy_erase_util.h"
#include "test_util.h"

namespace kgp::privacy {
namespace {

TEST(PrivacyErase, NothingOfTheUserIsLeftInAnyFile) {
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  ASSERT_EQ(test::RunCli("-q generate " + sample + " --users 120 --events 10000 --products 300 --seed 3").exit_code, 0);
  ASSERT_EQ(test::RunCli("-q init " + ws + " --pseudonymize").exit_code, 0);
  Ingest(sample, ws);
  for (const char* cmd : {"graph build", "kge train", "profile build", "recommend", "export"}) {
    std::string extra = std::string(cmd) == "kge train" ? " --epochs 2" : std::string(cmd) == "recommend" ? " --fit" : "";
    auto r = test::RunCli(std::string("-q ") + cmd + " " + ws + extra);
    ASSERT_EQ(r.exit_code, 0) << cmd << ": " << r.err;
  }
  // A k-anonymous profile table (no id in it, but the user's row); `export` wrote the Neo4j set.
  ASSERT_EQ(test::RunCli("-q export " + ws + " --k-anonymous 2").exit_code, 0);
  ASSERT_TRUE(std::filesystem::exists(ws + "/export/profiles-k2.csv"));
  ASSERT_TRUE(std::filesystem::exists(ws + "/export/neo4j/import.cypher"));
  const std::string raw = NthUser(sample, 4), other = NthUser(sample, 5);
  const std::string pseudo = PseudonymOf(Key(ws), raw), other_pseudo = PseudonymOf(Key(ws), other);
  ASSERT_EQ(pseudo.size(), 32u);
  const int64_t uid = Count(ws, "SELECT id FROM users WHERE ext_id = '" + pseudo + "'");
  ASSERT_GT(uid, 0);
  // A cached LLM text of the user (the template backend; stored in llm_texts).
  {
    auto t = test::RunCli("-q llm summary " + ws + " --user " + pseudo);
    ASSERT_EQ(t.exit_code, 0) << t.err;
    ASSERT_EQ(Count(ws, "SELECT count(*) FROM llm_texts WHERE user_id = " + std::to_string(uid)), 1);
  }
  // Lookups accept the raw id in a pseudonymised workspace (and the pseudonym); output shows neither raw id.
  for (const std::string& id : {raw, pseudo}) {
    for (const char* cmd : {"profile show", "recommend", "predict-next"}) {
      auto q = test::RunCli(std::string("-q --json ") + cmd + " " + ws + " --user " + id);
      EXPECT_EQ(q.exit_code, 0) << cmd << " --user " << id << ": " << q.err;
      EXPECT_EQ(q.out.find(raw), std::string::npos) << cmd << " printed the raw id";
    }
  }
  // Before: the pseudonym is in the database and the files derived from it; the raw id nowhere.
  auto before = FilesHolding(ws, {pseudo});
  EXPECT_GE(before.size(), 3u);  // db, profiles.state, models/kge.bin, export/neo4j/…
  EXPECT_TRUE(FilesHolding(ws, {raw}).empty()) << "raw id stored although pseudonymisation is on";
  const int64_t users = Count(ws, "SELECT count(*) FROM users");
  const int64_t other_events = Count(ws, "SELECT count(*) FROM events e JOIN users u ON u.id = e.user_id WHERE u.ext_id = '" + other_pseudo + "'");
  ASSERT_GT(Count(ws, "SELECT count(*) FROM events WHERE user_id = " + std::to_string(uid)), 0);

  auto r = test::RunCli("--json erase " + ws + " --user " + raw);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["verified"].get<bool>());
  EXPECT_TRUE(j["vacuumed"].get<bool>());
  EXPECT_TRUE(j["wal_truncated"].get<bool>());
  EXPECT_GT(j["rows"]["events"].get<int64_t>(), 0);
  EXPECT_EQ(j["rows"]["users"].get<int64_t>(), 1);
  EXPECT_EQ(j["rows"]["llm_texts"].get<int64_t>(), 1);
  EXPECT_EQ(j["rows"]["graph_nodes"].get<int64_t>(), 1);
  EXPECT_EQ(j["rows"]["embedding_rows"].get<int64_t>(), 1);
  EXPECT_EQ(j["verification_code"].get<std::string>().size(), 32u);
  EXPECT_EQ(r.out.find(raw), std::string::npos);
  EXPECT_EQ(r.out.find(pseudo), std::string::npos);

  // After: no file under the workspace holds either form (the test's own scan, not the receipt's).
  EXPECT_EQ(FilesHolding(ws, {raw, pseudo}), std::vector<std::string>{});
  // The k-anonymous table went (its k was reached with the user's row), and with the Neo4j CSVs
  // the script that loads them.
  for (const char* gone : {"/export/profiles-k2.csv", "/export/neo4j/import.cypher", "/export/neo4j/nodes.csv"}) {
    EXPECT_FALSE(std::filesystem::exists(ws + gone)) << gone;
    EXPECT_NE(j["files_removed"].dump().find(std::string(gone).substr(1)), std::string::npos) << gone << ": " << r.out;
  }
  // The receipt is stored, without the id, and its digest checks out with the code.
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM erasure_receipts"), 1);
  // Other users intact: their rows, their graph node, their profile, their embedding.
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users"), users - 1);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM events e JOIN users u ON u.id = e.user_id WHERE u.ext_id = '" + other_pseudo + "'"),
            other_events);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM graph_nodes WHERE type = 0 AND key = '" + other_pseudo + "'"), 1);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM profiles WHERE ext_id = '" + other_pseudo + "'"), 1);
  auto show = test::RunCli("--json profile show " + ws + " --user " + other_pseudo);
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_FALSE(nlohmann::json::parse(show.out)["embedding"].is_null());
  // The stages still run on the erased workspace.
  EXPECT_EQ(test::RunCli("-q recommend " + ws + " --user " + other_pseudo).exit_code, 0);
  EXPECT_EQ(test::RunCli("-q profile build " + ws).exit_code, 0);
  // Erasing again: no such user.
  auto again = test::RunCli("erase " + ws + " --user " + raw);
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("no such user"), std::string::npos);

  // A profile state this version cannot read (written by an older one) still names users: the
  // erasure removes it, a cache, instead of failing half done.
  {
    std::string state = test::ReadFile(ws + "/profiles.state");
    ASSERT_GT(state.size(), 12u);
    state[8] = 1, state[9] = state[10] = state[11] = 0;  // format 1
    test::WriteFile(ws + "/profiles.state", state);
  }
  auto old = test::RunCli("--json erase " + ws + " --user " + other_pseudo);
  ASSERT_EQ(old.exit_code, 0) << old.err;
  EXPECT_NE(nlohmann::json::parse(old.out)["files_removed"].dump().find("profiles.state"), std::string::npos) << old.out;
  EXPECT_EQ(FilesHolding(ws, {other_pseudo}), std::vector<std::string>{});
}

// An erasure cut short after its database transaction (killed, or a file it could not rewrite)
// is finished by running it again: the files still naming the user are cleaned, with a receipt,
// instead of "no such user".
TEST(PrivacyErase, ARunCutShortIsFinishedByTheNextOne) {
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  BuildPseudonymised(sample, ws, "--users 60 --events 4000 --products 200 --seed 5");
  if (HasFatalFailure()) return;
  const std::string user = NthUser(sample, 4);
  const std::string stored = PseudonymOf(Key(ws), user);
  const std::vector<std::string> needles = {stored, "user:" + stored};
  ASSERT_FALSE(FilesHolding(ws, needles).empty());
  // A checkpoint cannot be read (damaged): the rows are gone and every other file is done, this
  // one still names the user, and the run ends without its receipt.
  const std::string good = test::ReadFile(ws + "/models/kge.bin");
  const std::string damaged = ws + "/models/kge-copy.bin";
  test::WriteFile(damaged, good.substr(0, good.size() * 3 / 4));
  auto cut = test::RunCli("erase " + ws + " --user " + user);
  ASSERT_NE(cut.exit_code, 0) << cut.out;
  EXPECT_NE(cut.err.find("kge-copy.bin"), std::string::npos) << cut.err;
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users WHERE ext_id = '" + stored + "'"), 0);
  // (The database keeps the id in its erase_pending marker until the run is finished.)
  ASSERT_EQ(FilesHolding(ws, needles), (std::vector<std::string>{ws + "/kgprofile.db", damaged}));
  test::WriteFile(damaged, good);  // restored from a backup: readable, and naming the user
  auto again = test::RunCli("--json erase " + ws + " --user " + user);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto receipt = nlohmann::json::parse(again.out);
  EXPECT_TRUE(receipt["verified"].get<bool>()) << again.out;
  EXPECT_FALSE(receipt["files_rewritten"].empty()) << again.out;
  EXPECT_EQ(FilesHolding(ws, needles), std::vector<std::string>{});
  // Done: a third run finds nothing.
  auto third = test::RunCli("erase " + ws + " --user " + user);
  EXPECT_NE(third.exit_code, 0);
  EXPECT_NE(third.err.find("no such user"), std::string::npos) << third.err;
  // An id that was never a user touches nothing, even where files hold it as a word and the state
  // cannot be read.
  ASSERT_EQ(test::RunCli("-q export " + ws).exit_code, 0);
  test::WriteFile(ws + "/profiles.state", "not a state");
  const auto files_before = ListFiles(ws);
  for (const char* id : {"electronics", "no-such-user-typo"}) {
    auto none = test::RunCli("erase " + ws + " --user " + id);
    EXPECT_NE(none.exit_code, 0) << id;
    EXPECT_NE(none.err.find("no such user"), std::string::npos) << none.err;
  }
  EXPECT_EQ(ListFiles(ws), files_before);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM erasure_receipts"), 1);
}

// A writer killed while saving (kge train under kill -9) leaves its temporary file: a truncated
// checkpoint that names the user. Erasure removes it instead of failing on it ("checksum
// mismatch", with the rows already gone and the exports never cleaned), and the files of a
// writer still running (here: this test's pid) are left alone, but not those whose pid another
// process has taken since.
// A stored pseudonym in an ingested file is that user (as the commands take it): pseudonymised
// again it made a second user, whom `erase --user PSEUDONYM` then erased with a receipt, leaving
// the person and their events.
TEST(PrivacyErase, AFileNamingAStoredPseudonymAddsToThatUserAndErasingItErasesThePerson) {
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  BuildPseudonymised(sample, ws, "--users 40 --events 2000 --products 100 --seed 9");
  if (HasFatalFailure()) return;
  const std::string stored = PseudonymOf(Key(ws), NthUser(sample, 2));
  const int64_t users = Count(ws, "SELECT count(*) FROM users");
  const int64_t events = Count(ws, "SELECT count(*) FROM events e JOIN users u ON u.id = e.user_id WHERE u.ext_id = '" + stored + "'");
  ASSERT_GT(events, 0);
  test::WriteFile(tmp / "more.csv",
                  "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
                  "2026-01-02 10:00:00 UTC,view,1000001,,,,5," + stored + ",s\n");
  auto in = test::RunCli("-q ingest " + ws + " " + (tmp / "more.csv"));
  ASSERT_EQ(in.exit_code, 0) << in.err;
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users"), users);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM events e JOIN users u ON u.id = e.user_id WHERE u.ext_id = '" + stored + "'"),
            events + 1);
  auto erase = test::RunCli("--json erase " + ws + " --user " + stored);
  ASSERT_EQ(erase.exit_code, 0) << erase.err;
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users"), users - 1);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users WHERE ext_id = '" + stored + "'"), 0);

  // A workspace where an older kgprofile made the second user H(P) of a posted pseudonym P:
  // erasing P erases the person P (it erased H(P), the one-event stand-in, and left P).
  const std::string person = PseudonymOf(Key(ws), NthUser(sample, 3)), twice = PseudonymOf(Key(ws), person);
  const int64_t person_events =
      Count(ws, "SELECT count(*) FROM events e JOIN users u ON u.id = e.user_id WHERE u.ext_id = '" + person + "'");
  ASSERT_GT(person_events, 1);
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    w.value()->db().ExecOrThrow("INSERT INTO users(ext_id) VALUES ('" + twice + "')");
  }
  auto pair = test::RunCli("--json erase " + ws + " --user " + person);
  ASSERT_EQ(pair.exit_code, 0) << pair.err;
  EXPECT_EQ(nlohmann::json::parse(pair.out)["rows"]["events"].get<int64_t>(), person_events) << pair.out;
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users WHERE ext_id = '" + person + "'"), 0);
}

TEST(PrivacyErase, TemporaryFilesOfKilledWritersAreRemoved) {
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  BuildPseudonymised(sample, ws, "--users 60 --events 4000 --products 200 --seed 7");
  if (HasFatalFailure()) return;
  ASSERT_EQ(test::RunCli("-q export " + ws).exit_code, 0);
  const std::string user = NthUser(sample, 4);
  const std::string stored = PseudonymOf(Key(ws), user);
  const std::vector<std::string> needles = {stored, "user:" + stored};
  const std::string ck = test::ReadFile(ws + "/models/kge.bin");
  // pid 2147483647 is above any pid_max: a writer that no longer runs.
  const std::vector<std::string> stale = {ws + "/models/kge.bin.tmp", ws + "/models/kge.bin.tmp.2147483647.1",
                                          ws + "/profiles.state.tmp.2147483647.2"};
  for (const auto& f : stale) test::WriteFile(f, f.find("profiles") != std::string::npos ? test::ReadFile(ws + "/profiles.state")
                                                                                          : ck.substr(0, ck.size() / 2));
  for (const auto& f : stale) ASSERT_TRUE(*FileContains(f, needles)) << f;
  const std::string live = ws + "/models/kge.bin.tmp." + std::to_string(::getpid()) + ".1";
  test::WriteFile(live, std::string("KGPEMB\0\0 being written", 22));
  // A writer's pid now taken by another process (here a `sleep` started after the file was last
  // written): the writer is gone all the same. Such a file used to be kept, and reported.
  pid_t reused = 0;
  {
    const char* argv[] = {"/bin/sleep", "120", nullptr};
    ASSERT_EQ(posix_spawn(&reused, argv[0], nullptr, nullptr, const_cast<char**>(argv), environ), 0);
  }
  const std::string orphan = ws + "/models/kge.bin.tmp." + std::to_string(reused) + ".3";
  test::WriteFile(orphan, ck.substr(0, ck.size() / 2));
  std::filesystem::last_write_time(orphan, std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
  auto r = test::RunCli("--json erase " + ws + " --user " + user);
  ::kill(reused, SIGKILL);
  ::waitpid(reused, nullptr, 0);
  EXPECT_FALSE(std::filesystem::exists(orphan)) << "the file of a writer whose pid was reused was kept";
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["verified"].get<bool>()) << r.out;
  for (const auto& f : stale) {
    EXPECT_FALSE(std::filesystem::exists(f)) << f;
    EXPECT_NE(j["files_removed"].dump().find(std::filesystem::path(f).filename().string()), std::string::npos) << f;
  }
  EXPECT_TRUE(std::filesystem::exists(live));
  EXPECT_EQ(FilesHolding(ws, needles), std::vector<std::string>{});
  EXPECT_FALSE(std::filesystem::exists(ws + "/export/neo4j/import.cypher"));
}

// A server killed with events staged (acknowledged, not yet in `events`): `erase` left the user's
// staged rows in service_inbox.db, said "verified", and the next command that moved them brought
// the user's events back under a user id no longer in `users` (profile build then failed on
// every run; the id could also go to a later user). The staged rows now go to `events` first,
// where the erasure finds them, and events whose user is gone are removed.
TEST(PrivacyErase, StagedEventsOfAKilledServerAreErasedToo) {
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  ASSERT_EQ(test::RunCli("-q generate " + sample + " --users 30 --events 1500 --products 80 --seed 2").exit_code, 0);
  ASSERT_TRUE(test::IngestedWorkspace(ws, test::ShopFiles(sample)));
  const std::string user = NthUser(sample, 2), other = NthUser(sample, 3);
  const int64_t uid = Count(ws, "SELECT id FROM users WHERE ext_id = '" + user + "'");
  const int64_t other_id = Count(ws, "SELECT id FROM users WHERE ext_id = '" + other + "'");
  const int64_t item = Count(ws, "SELECT min(id) FROM items");
  ASSERT_GT(uid, 0);
  ASSERT_GT(other_id, 0);
  const int64_t other_events = Count(ws, "SELECT count(*) FROM events WHERE user_id = " + std::to_string(other_id));
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    Db& db = (*w)->db();
    ASSERT_TRUE(service::AttachInbox(db, (*w)->Path(service::kInboxFile), "NORMAL").ok());
    Stmt ins = db.Prepare("INSERT INTO inbox.service_event_inbox(seq, key, user_id, item_id, type, ts, price) "
                          "VALUES(?, ?, ?, ?, 0, 1780000000, 9.5)");
    for (int i = 1; i <= 5; ++i) ins.Bind(1, i).Bind(2, 7000000000 + i).Bind(3, i <= 3 ? uid : other_id).Bind(4, item).Run();
    // And what an erasure before this fix let a later move bring in: events of no stored user,
    // in a workspace of that time (schema 12), which the upgrade removes (migration 13).
    db.ExecOrThrow("INSERT INTO events(key, user_id, item_id, type, ts) VALUES(7100000000, 999999, " +
                   std::to_string(item) + ", 0, 1780000000)");
    db.ExecOrThrow("PRAGMA user_version=12");
  }
  auto r = test::RunCli("--json erase " + ws + " --user " + user);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::Occurrences(r.err, "events of users erased earlier"), 1u) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["verified"].get<bool>()) << r.out;
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(service::AttachInbox((*w)->db(), (*w)->Path(service::kInboxFile), "NORMAL").ok());
    EXPECT_EQ((*w)->db().QueryInt("SELECT count(*) FROM inbox.service_event_inbox"), 0);
  }
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM events WHERE user_id = " + std::to_string(uid)), 0);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM events WHERE user_id NOT IN (SELECT id FROM users)"), 0);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM events WHERE user_id = " + std::to_string(other_id)), other_events + 2);
  auto build = test::RunCli("-q profile build " + ws);
  EXPECT_EQ(build.exit_code, 0) << build.err;
  // A row an erasure before this fix left staged stays out of `events` when moved.
  {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(service::AttachInbox((*w)->db(), (*w)->Path(service::kInboxFile), "NORMAL").ok());
    (*w)->db().ExecOrThrow("INSERT INTO inbox.service_event_inbox(seq, key, user_id, item_id, type, ts) VALUES(9, 7200000000, 999998, " +
                           std::to_string(item) + ", 0, 1780000000)");
  }
  build = test::RunCli("-q profile build " + ws);
  EXPECT_EQ(build.exit_code, 0) << build.err;
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM events WHERE user_id NOT IN (SELECT id FROM users)"), 0);
}

// A federated run killed outright (SIGKILL: the OOM killer) cannot remove its work folder, which
// holds user ids and their triples. On a workspace the folder is made inside it, named as a
// temporary file (federated.tmp.PID.N), and the next erasure removes it: in $TMPDIR it stayed out
// of erasure's reach.
TEST(PrivacyErase, AKilledFederatedRunsWorkFolderIsRemoved) {
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  BuildPseudonymised(sample, ws, "--users 40 --events 3000 --products 120 --seed 6");
  if (HasFatalFailure()) return;
  std::vector<std::string> args = {test::BinaryPath(), "-q", "kge", "train-federated", ws, "--shards", "2",
                                   "--rounds", "100000", "--dim", "8", "--no-central", "-j", "1"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, (tmp / "err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  // Until the user's id is in the work folder (shard files hold row numbers; names reach it with
  // the first round's views of the model), at most a minute.
  const std::string user = NthUser(sample, 3);
  const std::string stored = PseudonymOf(Key(ws), user);
  std::string folder;
  for (int i = 0; i < 1200 && folder.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (const auto& f : FilesHolding(ws, {stored, "user:" + stored}))
      if (f.find("/federated.tmp.") != std::string::npos) folder = std::filesystem::path(f).parent_path().string();
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  ASSERT_FALSE(folder.empty()) << "no work folder in the workspace holds the user: " << test::ReadFile(tmp / "err");
  auto r = test::RunCli("--json erase " + ws + " --user " + user);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["verified"].get<bool>()) << r.out;
  EXPECT_FALSE(std::filesystem::exists(folder)) << folder;
  EXPECT_NE(j["files_removed"].dump().find(std::filesystem::path(folder).filename().string()), std::string::npos) << r.out;
  EXPECT_EQ(FilesHolding(ws, {stored, "user:" + stored}), std::vector<std::string>{});
}

// `kgprofile ARGS` in the background while this test holds the workspace's commit lock: waits
// until the command says it waits for the lock (or ends), runs `meanwhile` with the lock still
// held (re-entrant: an EraseUser here takes it again), releases it, and waits for the end. So an
// erasure lands deterministically after the command read the store and before it writes.
struct HeldRun {
  int exit_code = -1;
  std::string out, err;
  bool waited = false;  // the command waited for the lock
};
HeldRun RunWhileHeld(const std::string& ws, const std::string& args, const std::function<void()>& meanwhile,
                     const std::string& cwd = "") {
  const std::string out_file = ws + ".held.out", err_file = ws + ".held.err";  // outside the workspace
  test::WriteFile(err_file, "");
  HeldRun h;
  std::optional<CommitLock> lock;
  {
    auto l = CommitLock::Acquire(ws, "test");
    EXPECT_TRUE(l.ok() && l->held());
    if (l.ok()) lock.emplace(std::move(l).value());
  }
  std::atomic<bool> done{false};
  std::thread cmd([&] {
    const std::string cd = cwd.empty() ? "" : "cd '" + cwd + "' && ";
    const int rc = std::system((cd + test::BinaryPath() + " " + args + " >" + out_file + " 2>" + err_file).c_str());
    h.exit_code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    done = true;
  });
  const auto until = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (!done && std::chrono::steady_clock::now() < until) {
    if (test::ReadFile(err_file).find("waiting for test (pid") != std::string::npos) {
      h.waited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  meanwhile();
  lock.reset();
  cmd.join();
  h.out = test::ReadFile(out_file), h.err = test::ReadFile(err_file);
  return h;
}

// A command that read the store, then writes what it derived (kge train's checkpoint, profile
// update's tables and state, an export) while an erasure runs, brings the user back no more: it
// commits under the commit lock, which erasure holds for its whole run, and drops the users erased
// since it read. (Before, `kge train` saved a checkpoint naming the user after `erase` said
// "verified: yes", and `profile update` put the user back into profiles, profile_tags and
// profiles.state.)
TEST(PrivacyErase, CommandsThatReadTheUserBeforeTheErasureDoNotWriteThemBack) {
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  BuildPseudonymised(sample, ws, "--users 60 --events 4000 --products 200 --seed 9");
  if (HasFatalFailure()) return;
  int nth = 4;
  for (const std::string cmd : {"kge train --epochs 1 --no-eval -j 1", "profile update", "kge index", "export"}) {
    const std::string user = NthUser(sample, nth++);
    const std::string stored = PseudonymOf(Key(ws), user);
    const std::vector<std::string> needles = {stored, "user:" + stored};
    ASSERT_FALSE(FilesHolding(ws, needles).empty()) << cmd;
    const int64_t uid = Count(ws, "SELECT id FROM users WHERE ext_id = '" + stored + "'");
    ASSERT_GT(uid, 0);
    auto h = RunWhileHeld(ws, "--json " + cmd + " " + ws, [&] {
      auto w = Workspace::Open(ws);
      ASSERT_TRUE(w.ok());
      auto r = EraseUser(**w, user);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    });
    ASSERT_EQ(h.exit_code, 0) << cmd << ": " << h.err;
    EXPECT_TRUE(h.waited) << cmd << " did not wait for the commit lock: " << h.err;
    if (cmd.starts_with("kge train")) {
      EXPECT_EQ(nlohmann::json::parse(h.out).value("erased_rows_dropped", 0), 1) << h.out;
    }
    if (cmd == "kge index") {  // built from the checkpoint without the user's row
      auto ck = embed::LoadCheckpoint(ws + "/models/kge.bin");
      ASSERT_TRUE(ck.ok());
      EXPECT_TRUE(embed::NeighborIndex::Load(embed::IndexPathFor(ws + "/models/kge.bin"), ck->params).ok());
    }
    EXPECT_EQ(Count(ws, "SELECT count(*) FROM profiles WHERE user_id = " + std::to_string(uid)), 0) << cmd;
    EXPECT_EQ(Count(ws, "SELECT count(*) FROM profile_tags WHERE user_id = " + std::to_string(uid)), 0) << cmd;
    EXPECT_EQ(FilesHolding(ws, needles), std::vector<std::string>{}) << cmd;
    // Nothing to finish: the erasure was whole.
    auto again = test::RunCli("erase " + ws + " --user " + user);
    EXPECT_NE(again.err.find("no such user"), std::string::npos) << again.err;
  }
  EXPECT_TRUE(std::filesystem::exists(ws + "/export/neo4j/import.cypher"));
}

// `kge index kge.bin` run inside WS/models (a path with no "models/" in it) took no lock.
TEST(PrivacyErase, KgeIndexOfAWorkspaceCheckpointWaitsHoweverItsPathIsWritten) {
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  BuildPseudonymised(sample, ws, "--users 40 --events 3000 --products 120 --seed 4");
  if (HasFatalFailure()) return;
  const std::string user = NthUser(sample, 5);
  auto h = RunWhileHeld(ws, "kge index kge.bin", [&] {
    auto w = Workspace::Open(ws);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(EraseUser(**w, user).ok());
  }, ws + "/models");
  ASSERT_EQ(h.exit_code, 0) << h.err;
  EXPECT_TRUE(h.waited) << h.err;
  auto ck = embed::LoadCheckpoint(ws + "/models/kge.bin");
  ASSERT_TRUE(ck.ok());
  EXPECT_TRUE(embed::NeighborIndex::Load(embed::IndexPathFor(ws + "/models/kge.bin"), ck->params).ok());
}

// `kge train --data DIR -o WS/models/x.kge` (a KG folder's checkpoint saved into a workspace)
// saved without the workspace's commit lock, so it could land while an erasure cleaned models/.
// It now waits for the lock, however -o is written, and a path outside any workspace does not.
TEST(PrivacyErase, KgeTrainOnAFolderSavingIntoAWorkspaceWaitsForItsLock) {
  test::TempDir tmp;
  const std::string ws = tmp / "ws", kg = tmp / "kg";
  ASSERT_EQ(test::RunCli("-q init " + ws).exit_code, 0);
  std::filesystem::create_directories(ws + "/models");
  std::filesystem::create_directories(kg);
  std::string triples;
  for (int i = 0; i < 40; ++i) triples += "e" + std::to_string(i) + "\tr" + std::to_string(i % 3) + "\te" + std::to_string((i * 7 + 1) % 40) + "\n";
  for (const char* f : {"train.txt", "valid.txt", "test.txt"}) test::WriteFile(kg + "/" + f, triples);
  const std::string train = "kge train --data " + kg + " --dim 4 --epochs 1 --no-eval -j 1 -o ";
  for (auto [out, cwd] : {std::pair<std::string, std::string>{ws + "/models/a.kge", ""}, {"b.kge", ws + "/models"},
                          {"../models/c.kge", ws + "/models"}}) {
    auto h = RunWhileHeld(ws, train + out, [] {}, cwd);
    ASSERT_EQ(h.exit_code, 0) << out << ": " << h.err;
    EXPECT_TRUE(h.waited) << out << " did not wait for the commit lock: " << h.err;
  }
  auto h = RunWhileHeld(ws, train + (tmp / "elsewhere.kge"), [] {});
  ASSERT_EQ(h.exit_code, 0) << h.err;
  EXPECT_FALSE(h.waited) << "a checkpoint outside the workspace waited for its lock: " << h.err;
}

// A key rotation between a command's read and its commit renames every user: that is not every
// user erased (profile update emptied every profile, kge train dropped every user row). The
// command is refused and what it would have replaced stays.
TEST(PrivacyErase, AKeyChangeWhileACommandRunsIsNotTakenForErasures) {
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  BuildPseudonymised(sample, ws, "--users 40 --events 3000 --products 150 --seed 5");
  if (HasFatalFailure()) return;
  ASSERT_EQ(test::RunCli("-q kge train " + ws + " --epochs 1 --no-eval -j 1").exit_code, 0);
  const int64_t profiles = Count(ws, "SELECT count(*) FROM profiles");
  ASSERT_GT(profiles, 30);
  for (const std::string cmd : {"profile update", "kge train --epochs 1 --no-eval -j 1"}) {
    const std::string model = test::ReadFile(ws + "/models/kge.bin");
    auto h = RunWhileHeld(ws, cmd + " " + ws, [&] {
      auto w = Workspace::Open(ws);
      ASSERT_TRUE(w.ok());
      auto r = RotateKey(**w);  // re-entrant: this thread holds the commit lock
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    });
    EXPECT_TRUE(h.waited) << cmd << ": " << h.err;
    EXPECT_EQ(h.exit_code, 1) << cmd << ": " << h.err;
    EXPECT_NE(h.err.find("ids changed meanwhile (privacy keygen or rotate)"), std::string::npos) << cmd << ": " << h.err;
    EXPECT_EQ(Count(ws, "SELECT count(*) FROM profiles"), profiles) << cmd;
    if (cmd.starts_with("kge")) {
      auto ck = embed::LoadCheckpoint(ws + "/models/kge.bin");
      ASSERT_TRUE(ck.ok());
      size_t users = 0;
      for (const auto& n : ck->entity_names) users += n.starts_with("user:");
      EXPECT_GT(users, 30u) << "the rotated checkpoint lost its user rows";
    }
  }
  // Run again, the commands go through on the new ids.
  auto again = test::RunCli("-q profile update " + ws);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM profiles"), profiles);
}

// Short numeric ids (MovieLens, Taobao) are prices and counts too, and an id may hold
// characters the exports escape: erasure finds the user as the files write it, keeps exports
// that name only others, and verifies; the nearest-neighbour index of the rewritten checkpoint
// goes with the rows.
TEST(PrivacyErase, ShortAndEscapedIdsAreFoundAsTheFilesWriteThem) {
  test::TempDir tmp;
  const std::string ws = tmp / "ws";
  std::string csv = "user,item,type,time,price\n";
  for (const char* u : {"7", "17", "70", "q\"\"uote", "8"})
    for (int i = 0; i < 6; ++i)
      csv += fmt::format("\"{}\",{},view,2026-01-0{} 10:00:00,7.00\n", u, 7 + i * 10, 1 + i);
  test::WriteFile(tmp / "e.csv", csv);
  ASSERT_EQ(test::RunCli("-q init " + ws).exit_code, 0);
  auto in = test::RunCli("-q ingest " + ws + " " + (tmp / "e.csv") + " --format events-csv --map user=user --map item=item --map type=type --map time=time --map price=price");
  ASSERT_EQ(in.exit_code, 0) << in.err;
  for (const char* cmd : {"graph build", "kge train", "kge index", "export", "export --format turtle",
                          "export --format ntriples"}) {
    std::string extra = std::string(cmd) == "kge train" ? " --epochs 1" : "";
    auto r = test::RunCli(std::string("-q ") + cmd + " " + ws + extra);
    ASSERT_EQ(r.exit_code, 0) << cmd << ": " << r.err;
  }
  ASSERT_TRUE(std::filesystem::exists(ws + "/models/kge.bin.hnsw"));
  ASSERT_TRUE(std::filesystem::exists(ws + "/export/neo4j/import.cypher"));

  auto r = test::RunCli("--json erase " + ws + " --user 7");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["verified"].get<bool>()) << r.out;
  EXPECT_EQ(j["rows"]["users"].get<int64_t>(), 1);
  // The index is removed, the export files naming user:7 too, and the Cypher script that loads
  // the removed CSVs (it names no user).
  EXPECT_FALSE(std::filesystem::exists(ws + "/models/kge.bin.hnsw"));
  EXPECT_FALSE(std::filesystem::exists(ws + "/export/neo4j/nodes.csv"));
  EXPECT_FALSE(std::filesystem::exists(ws + "/export/graph.ttl"));
  EXPECT_FALSE(std::filesystem::exists(ws + "/export/graph.nt"));  // <urn:kgprofile:user/7>
  EXPECT_FALSE(std::filesystem::exists(ws + "/export/neo4j/import.cypher"));
  // Users 17 and 70 and item 7 stay.
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users WHERE ext_id IN ('17', '70')"), 2);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM items WHERE ext_id = '7'"), 1);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users WHERE ext_id = '7'"), 0);

  // An id with a quote: exports write it doubled (CSV) and percent-encoded (RDF).
  for (const char* cmd : {"export", "export --format turtle"})
    ASSERT_EQ(test::RunCli(std::string("-q ") + cmd + " " + ws).exit_code, 0) << cmd;
  auto q = test::RunCli("--json erase " + ws + " --user 'q\"uote'");
  ASSERT_EQ(q.exit_code, 0) << q.out << q.err;
  EXPECT_TRUE(nlohmann::json::parse(q.out)["verified"].get<bool>()) << q.out;
  EXPECT_FALSE(std::filesystem::exists(ws + "/export/neo4j/nodes.csv"));
  EXPECT_FALSE(std::filesystem::exists(ws + "/export/graph.ttl"));

  // Another connection in a read transaction keeps the WAL from being truncated: deleted pages
  // may stay there, so the erasure is not reported verified (exit 1).
  auto reader = Workspace::Open(ws);
  ASSERT_TRUE(reader.ok());
  (*reader)->db().ExecOrThrow("BEGIN");
  ASSERT_GT((*reader)->db().QueryInt("SELECT count(*) FROM users"), 0);
  auto busy = test::RunCli("--json erase " + ws + " --user 8");
  EXPECT_EQ(busy.exit_code, 1) << busy.out << busy.err;
  auto bj = nlohmann::json::parse(busy.out);
  EXPECT_FALSE(bj["wal_truncated"].get<bool>()) << busy.out;
  EXPECT_FALSE(bj["verified"].get<bool>()) << busy.out;
  (*reader)->db().ExecOrThrow("COMMIT");
}

TEST(PrivacyFiles, WholeIdsAreNotPartsOfLongerOnes) {
  test::TempDir tmp;
  const std::string f = tmp / "f.txt";
  test::WriteFile(f, "user:17,x 70 u7x\n");
  EXPECT_TRUE(*FileContains(f, {"7"}));
  EXPECT_FALSE(*FileContains(f, {"7"}, true));
  EXPECT_FALSE(*FileContains(f, {"user:1"}, true));
  EXPECT_TRUE(*FileContains(f, {"user:17"}, true));
  EXPECT_TRUE(*FileContains(f, {"70"}, true));
  // Across the reader's 1 MiB chunks: a match at a chunk's end waits for the byte after it.
  std::string big(1 << 20, ' ');
  big.replace(big.size() - 2, 2, "77");
  test::WriteFile(f, big + "0 end");
  EXPECT_FALSE(*FileContains(f, {"77"}, true));
  test::WriteFile(f, big + " end");
  EXPECT_TRUE(*FileContains(f, {"77"}, true));
}

TEST(PrivacyKeys, RotationReKeysEverythingAndJoinsStillWork) {
  test::TempDir tmp;
  const std::string sample = tmp / "sample", ws = tmp / "ws";
  BuildPseudonymised(sample, ws, "--users 60 --events 3000 --products 120 --seed 4");
  if (HasFatalFailure()) return;
  const std::string key1 = Key(ws);
  std::unordered_set<std::string> old_ids;
  {
    auto w = Workspace::Open(ws);
    Stmt st = (*w)->db().Prepare("SELECT ext_id FROM users");
    while (st.Step()) old_ids.emplace(st.Text(0));
  }
  ASSERT_EQ(old_ids.size(), 60u);
  const std::string raw = NthUser(sample, 2);
  ASSERT_TRUE(old_ids.count(PseudonymOf(key1, raw)));
  // A federated run killed outright left its work folder, naming users: rotation removes it (the
  // old pseudonyms stayed in it), and leaves other folders alone.
  const std::string dead_run = ws + "/federated.tmp.2147483647.1";
  std::filesystem::create_directories(dead_run);
  test::WriteFile(dead_run + "/shard0.global", "user:" + PseudonymOf(key1, raw) + "\n");
  std::filesystem::create_directories(ws + "/notes/archive.tmp.2147483647.1");
  test::WriteFile(ws + "/notes/archive.tmp.2147483647.1/readme.txt", "kept\n");

  auto r = test::RunCli("--json privacy rotate " + ws);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["users"], 60);
  EXPECT_EQ(j["chain_length"], 2);
  EXPECT_FALSE(std::filesystem::exists(dead_run));
  EXPECT_NE(j["files_removed"].dump().find("federated.tmp.2147483647.1"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(ws + "/notes/archive.tmp.2147483647.1/readme.txt"));
  // The key file holds the chain, still private.
  const std::string chain = test::ReadFile(ws + "/pseudonym.key");
  EXPECT_EQ(std::count(chain.begin(), chain.end(), '\n'), 2);
  struct stat st;
  ASSERT_EQ(::stat((ws + "/pseudonym.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Every stored id is the chained pseudonym; no old pseudonym is left in any file.
  const std::string stored = PseudonymOf(chain, raw);
  EXPECT_NE(stored, PseudonymOf(key1, raw));
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users WHERE ext_id = '" + stored + "'"), 1);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM profiles WHERE ext_id = '" + stored + "'"), 1);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM graph_nodes WHERE type = 0 AND key = '" + stored + "'"), 1);
  for (const auto& f : ListFiles(ws)) {
    auto n = CountTokens(f, old_ids);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 0u) << f << " still holds old pseudonyms";
  }
  // Profiles and embeddings follow the new ids.
  auto show = test::RunCli("--json profile show " + ws + " --user " + stored);
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_FALSE(nlohmann::json::parse(show.out)["embedding"].is_null());
  // The held-out edges are chosen by the triples' names: the users' edges are other ones now, so
  // the checkpoint says its tables may have trained on edges held out from now on, and a resumed
  // run's test figure is marked not comparable (it was printed as a clean one).
  auto ck = embed::LoadCheckpoint(ws + "/models/kge.bin");
  ASSERT_TRUE(ck.ok());
  EXPECT_TRUE(ck->info["holdout"]["mixed"].is_string()) << ck->info.dump();
  ASSERT_EQ(test::RunCli("-q graph build " + ws).exit_code, 0);
  auto resumed = test::RunCli("-q --json kge train " + ws + " --epochs 1 -j 1 --resume " + ws + "/models/kge.bin");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(nlohmann::json::parse(resumed.out)["test"]["comparable"], false) << resumed.out;
  // New records of a known person join the re-keyed user.
  const int64_t users = Count(ws, "SELECT count(*) FROM users");
  test::WriteFile(tmp / "more.csv",
                  "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
                  "2026-04-01 10:00:00 UTC,view,1000001,,,,99.00," + raw + ",s-late\n");
  ASSERT_EQ(test::RunCli("-q ingest " + ws + " " + (tmp / "more.csv") + " --format rees46").exit_code, 0);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users"), users);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM events e JOIN users u ON u.id = e.user_id WHERE u.ext_id = '" + stored +
                          "' AND e.ts >= 1775037600"),
            1);
}

TEST(PrivacyKeys, KeyFileReadableByOthersIsRefused) {
  test::TempDir tmp;
  const std::string ws = tmp / "ws";
  ASSERT_EQ(test::RunCli("-q init " + ws + " --pseudonymize").exit_code, 0);
  test::WriteFile(tmp / "ev.csv",
                  "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
                  "2026-01-01 10:00:00 UTC,view,1,,,,9.00,u1,s1\n");
  ASSERT_EQ(::chmod((ws + "/pseudonym.key").c_str(), 0644), 0);
  auto r = test::RunCli("ingest " + ws + " " + (tmp / "ev.csv") + " --format rees46");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("chmod 600"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("mode 0644"), std::string::npos) << r.err;
  ASSERT_EQ(::chmod((ws + "/pseudonym.key").c_str(), 0600), 0);
  EXPECT_EQ(test::RunCli("-q ingest " + ws + " " + (tmp / "ev.csv") + " --format rees46").exit_code, 0);
}

TEST(PrivacyKeys, KeygenPseudonymisesAClearWorkspace) {
  test::TempDir tmp;
  const std::string ws = tmp / "ws";
  ASSERT_EQ(test::RunCli("-q init " + ws).exit_code, 0);
  test::WriteFile(tmp / "ev.csv",
                  "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
                  "2026-01-01 10:00:00 UTC,view,1,,,,9.00,alice-7731,s1\n"
                  "2026-01-01 10:05:00 UTC,view,2,,,,9.00,bob-9912,s2\n");
  ASSERT_EQ(test::RunCli("-q ingest " + ws + " " + (tmp / "ev.csv") + " --format rees46").exit_code, 0);
  EXPECT_FALSE(FilesHolding(ws, {"alice-7731"}).empty());
  auto r = test::RunCli("-q privacy keygen " + ws);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(FilesHolding(ws, {"alice-7731", "bob-9912"}), std::vector<std::string>{});
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users WHERE ext_id = '" + PseudonymOf(Key(ws), "alice-7731") + "'"), 1);
  // Later ingests pseudonymise and join.
  test::WriteFile(tmp / "ev2.csv",
                  "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
                  "2026-01-02 10:00:00 UTC,cart,1,,,,9.00,alice-7731,s3\n");
  ASSERT_EQ(test::RunCli("-q ingest " + ws + " " + (tmp / "ev2.csv") + " --format rees46").exit_code, 0);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM users"), 2);
  EXPECT_EQ(FilesHolding(ws, {"alice-7731"}), std::vector<std::string>{});
  // A second keygen is refused: that is what rotate is for.
  EXPECT_NE(test::RunCli("privacy keygen " + ws).exit_code, 0);
}

// Runs the CLI, expects success, appends everything it printed to `all`.
test::RunResult RunKeepingOutput(const std::string& args, std::string& all) {
  auto r = test::RunCli(args);
  EXPECT_EQ(r.exit_code, 0) << args << ": " << r.err;
  all += r.out + r.err;
  return r;
}

// users.csv with contact columns and events.csv for users u1 and u2, in dir.
void WriteContactShop(const std::string& dir) {
  test::WriteFile(dir + "/users.csv",
                  "user_id,gender,birth_year,city,occupation,name,phone,email,address\n"
                  "u1,F,1990,Hangzhou,engineer,Zhang Meiling,+86 138 0013 8000,meiling.zhang@example.com,18 Wensan Road\n"
                  "u2,M,1985,Beijing,teacher,Li Wei,010-6552 9988,liwei85@example.org,3 Gulou East St\n");
  std::string events = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n";
  for (int i = 0; i < 20; ++i)
    events += "2026-01-0" + std::to_string(1 + i % 9) + " 1" + std::to_string(i % 10) + ":00:00 UTC," +
              (i % 4 == 0 ? "purchase" : "view") + "," + std::to_string(1 + i % 5) + ",,electronics.phone,acme,99.00,u" +
              std::to_string(1 + i % 2) + ",s" + std::to_string(i) + "\n";
  test::WriteFile(dir + "/events.csv", events);
}

TEST(PrivacyPii, NoPiiInStoreLogsOrOutputs) {
  test::TempDir tmp;
  const std::string ws = tmp / "ws";
  ASSERT_EQ(test::RunCli("-q init " + ws).exit_code, 0);
  WriteContactShop(tmp.path());
  std::string all;
  const auto run = [&](const std::string& args) { return RunKeepingOutput(args, all); };
  run("-v ingest " + ws + " " + (tmp / "users.csv") + " --format users");
  run("-v ingest " + ws + " " + (tmp / "events.csv") + " --format rees46");
  run("-v graph build " + ws);
  run("-v profile build " + ws + " --clusters 2");
  run("-v profile show " + ws + " --user u1");
  run("-v --json profile export " + ws);
  run("-v audience " + ws + " --rule \"events > 0\"");
  run("-v export " + ws + " --k-anonymous 2");
  for (const char* pii : {"Zhang", "Meiling", "Li Wei", "138 0013", "6552", "meiling.zhang", "example.com",
                          "liwei85", "Wensan", "Gulou"})
    EXPECT_EQ(all.find(pii), std::string::npos) << pii << " in the output:\n" << all;
  EXPECT_EQ(FilesHolding(ws, {"Zhang", "Meiling", "meiling.zhang@example.com", "+86 138", "Wensan"}),
            std::vector<std::string>{});
  // Contact fields are not there to show.
  auto contact = test::RunCli("profile show " + ws + " --user u1 --contact");
  EXPECT_NE(contact.exit_code, 0);
  EXPECT_NE(contact.err.find("store_pii = false"), std::string::npos) << contact.err;
}

TEST(PrivacyPii, StorePiiKeepsContactFieldsForTheCrmViewOnlyAndErasureRemovesThem) {
  test::TempDir tmp;
  const std::string ws = tmp / "ws";
  ASSERT_EQ(test::RunCli("-q init " + ws + " --store-pii").exit_code, 0);
  WriteContactShop(tmp.path());
  std::string all;
  const auto run = [&](const std::string& args) { return RunKeepingOutput(args, all); };
  run("-v ingest " + ws + " " + (tmp / "users.csv") + " --format users");
  run("-v ingest " + ws + " " + (tmp / "events.csv") + " --format rees46");
  EXPECT_NE(all.find("stored in clear"), std::string::npos) << all;
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM user_pii"), 8);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM user_pii p JOIN users u ON u.id = p.user_id "
                      "WHERE u.ext_id = 'u1' AND p.field = 'email' AND p.value = 'meiling.zhang@example.com'"),
            1);
  // A later file replaces a field's value.
  test::WriteFile(tmp / "users2.csv", "user_id,mobile\nu2,13911112222\n");
  run("-q ingest " + ws + " " + (tmp / "users2.csv") + " --format users");
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM user_pii WHERE field = 'phone' AND value = '13911112222'"), 1);
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM user_pii"), 8);
  run("-q graph build " + ws);
  run("-q profile build " + ws + " --clusters 2");
  // Only the CRM view asked for with --contact shows them; no other output, and no prompt.
  all.clear();
  run("-v profile show " + ws + " --user u1");
  run("-v --json profile export " + ws);
  run("-v audience " + ws + " --rule \"events > 0\"");
  run("-v export " + ws + " --k-anonymous 2");
  run("-v llm summary " + ws + " --user u1");
  run("-v llm copy " + ws + " --user u2");
  for (const char* pii : {"Zhang", "Meiling", "Li Wei", "138 0013", "6552", "meiling.zhang", "example.com", "Wensan", "Gulou"})
    EXPECT_EQ(all.find(pii), std::string::npos) << pii << " in the output:\n" << all;
  auto shown = run("--json profile show " + ws + " --user u1 --contact");
  auto j = nlohmann::json::parse(shown.out);
  EXPECT_EQ(j["contact"]["name"], "Zhang Meiling");
  EXPECT_EQ(j["contact"]["address"], "18 Wensan Road");
  // Erasure removes the values from every file; the other user's stay.
  run("-q erase " + ws + " --user u1");
  EXPECT_EQ(FilesHolding(ws, {"Zhang Meiling", "meiling.zhang@example.com", "0013 8000", "Wensan"}), std::vector<std::string>{});
  EXPECT_EQ(Count(ws, "SELECT count(*) FROM user_pii"), 4);
}

}  // namespace
}  // namespace kgp::privacy
