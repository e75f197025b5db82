// The demo's privacy step: a differentially private audience count, segment sizes and category
// report (charged to the workspace budget), a k-anonymous export of the profile table, and the
// erasure of two users in one run (on a copy of the workspace, whose exports would go with them).
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/demo.h"
#include "common/log.h"
#include "privacy/budget.h"
#include "privacy/dp_query.h"
#include "privacy/erase.h"
#include "privacy/export_profiles.h"
#include "store/commit_lock.h"

namespace kgp::cli {

std::string DemoPrivacy(Workspace& ws) {
  using namespace kgp::privacy;
  std::string md;
  DpOptions o;
  o.epsilon = 1.0;
  const std::string rule = "lifecycle = 'active'";
  auto count = DpCountAudience(ws, rule, o);
  auto segments = DpSegmentSizes(ws, o);
  auto categories = DpCategoryUsers(ws, 1, 1, o);
  KAnonOptions ko;
  ko.k = 5;
  auto exp = ExportProfilesKAnonymous(ws, ws.Path("export/profiles-k5.csv"), ko);
  PrivacyAccountant acc(ws);
  auto budget = acc.State();
  if (!count.ok() || !segments.ok() || !categories.ok() || !exp.ok() || !budget.ok()) {
    const Status& s = !count.ok()        ? count.status()
                      : !segments.ok()   ? segments.status()
                      : !categories.ok() ? categories.status()
                      : !exp.ok()        ? exp.status()
                                         : budget.status();
    std::cout << "  privacy: skipped (" << s.message() << ")\n";
    return "Skipped: " + s.message() + "\n";
  }
  std::cout << fmt::format("  privacy: audience \"{}\" ~ {} users (DP, epsilon 1); {} segment sizes and {} category counts "
                           "(DP, epsilon 1 each); budget left {:.1f} of {:.1f}\n",
                           rule, count->count, segments->segments.size(), categories->categories.size(),
                           budget->epsilon_left(), budget->epsilon_budget);
  std::cout << fmt::format("  k-anonymous export (k = 5): {} of {} profiles, {} suppressed, smallest group {}\n",
                           exp->kanon.rows_released, exp->kanon.rows, exp->kanon.rows_suppressed, exp->kanon.k_achieved);
  md += fmt::format("Aggregates leave the workspace with differential privacy (docs/privacy.md). "
                    "`kgprofile audience --dp-epsilon 1 --rule \"{}\"`: about **{}** users "
                    "(Laplace noise of scale {:.1f}). Segment sizes, one ε = 1 release for the histogram:\n\n"
                    "| segment | users (DP) | label |\n|---|---|---|\n",
                    rule, count->count, count->release.noise_scale);
  for (const auto& s : segments->segments) md += fmt::format("| {} | {} | {} |\n", s.id, s.size, s.label);
  md += fmt::format("\nUsers per top-level category, each user counted in their strongest one (`kgprofile privacy "
                    "categories {}`, ε = 1):\n\n| category | users (DP) |\n|---|---|\n",
                    ws.dir());
  for (const auto& c : categories->categories) md += fmt::format("| {} | {} |\n", c.name.empty() ? c.code : c.name, c.users);
  md += fmt::format("\nBudget: ε {:.1f} spent of {:.1f} (`kgprofile privacy budget {}`).\n\n", budget->epsilon_spent,
                    budget->epsilon_budget, ws.dir());
  md += fmt::format("k-anonymous profile table (`kgprofile export {} --k-anonymous 5`): {} of {} rows released, {} "
                    "suppressed, smallest group {}, information loss {:.3f}, levels {}; file `{}`.\n",
                    ws.dir(), exp->kanon.rows_released, exp->kanon.rows, exp->kanon.rows_suppressed, exp->kanon.k_achieved,
                    exp->kanon.information_loss, exp->kanon.LevelsText(ProfileExportQis()), exp->path);
  return md;
}

namespace {

// Copies the workspace: the database through SQLite (VACUUM INTO: consistent, WAL included),
// the other files as they are, locks aside.
void CopyWorkspace(Workspace& ws, const std::filesystem::path& to) {
  namespace fs = std::filesystem;
  fs::remove_all(to);
  fs::create_directories(to);
  std::string quoted;
  for (char c : (to / kDbFile).string()) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  ThrowIfError(ws.db().Exec("VACUUM INTO '" + quoted + "'"));
  const fs::path from(ws.dir());
  for (const auto& e : fs::recursive_directory_iterator(from)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with(kDbFile) || name == kServeLockFile || name == kCommitLockFile) continue;
    const fs::path dst = to / fs::relative(e.path(), from);
    if (e.is_directory()) fs::create_directories(dst);
    else if (e.is_regular_file()) fs::copy_file(e.path(), dst, fs::copy_options::overwrite_existing);
  }
}

}  // namespace

std::string DemoErasure(Workspace& ws, const std::string& copy) {
  using namespace kgp::privacy;
  CopyWorkspace(ws, copy);
  auto w = Workspace::Open(copy);
  if (!w.ok()) return "Erasure skipped: " + w.status().message() + "\n";
  std::vector<std::string> ids;
  for (Stmt st = (*w)->db().Prepare("SELECT ext_id FROM users ORDER BY id LIMIT 2"); st.Step();) ids.emplace_back(st.Text(0));
  // The run's progress lines (rows deleted, the database vacuumed) are for a long erasure; the
  // demo's line below says what happened.
  struct Quieter {
    LogLevel was = GetLogLevel();
    Quieter() { SetLogLevel(std::max(was, LogLevel::kWarn)); }
    ~Quieter() { SetLogLevel(was); }
  };
  auto r = [&] {
    Quieter q;
    return EraseUsers(**w, ids);
  }();
  if (!r.ok() || ids.size() < 2 || !(*r)[0].ok() || !(*r)[1].ok()) {
    const std::string why = !r.ok() ? r.status().message() : ids.size() < 2 ? std::string("fewer than two users")
                                                                             : "a user was not erased";
    std::cout << "  erasure: skipped (" << why << ")\n";
    return "\nErasure skipped: " + why + "\n";
  }
  std::string md = fmt::format(
      "\nErasure of users {} and {} in one run, on a copy of the workspace (`{}`: the exports above name every "
      "user and would go with them), as `kgprofile erase {} --users FILE` does it; a receipt each, whose verification "
      "code goes to the requester only:\n\n| | {} | {} |\n|---|---|---|\n",
      ids[0], ids[1], copy, copy, ids[0], ids[1]);
  const ErasureReceipt& a = *(*r)[0];
  const ErasureReceipt& b = *(*r)[1];
  std::map<std::string, int64_t> tables(a.rows.begin(), a.rows.end());
  tables.insert(b.rows.begin(), b.rows.end());
  for (const auto& [t, n] : tables)
    md += fmt::format("| {} | {} | {} |\n", t == "embedding_rows" ? "embedding rows removed" : t + " rows deleted",
                      a.rows.count(t) ? a.rows.at(t) : 0, b.rows.count(t) ? b.rows.at(t) : 0);
  md += fmt::format("| files rewritten / removed | {} / {} | {} / {} |\n", a.files_rewritten.size(), a.files_removed.size(),
                    b.files_rewritten.size(), b.files_removed.size());
  md += fmt::format("| verified (no file holds the id, database vacuumed) | {} | {} |\n", a.verified ? "yes" : "NO",
                    b.verified ? "yes" : "NO");
  std::cout << fmt::format("  erasure (on a copy): 2 users in one run, {} and {} events deleted, verified: {}\n",
                           a.rows.count("events") ? a.rows.at("events") : 0, b.rows.count("events") ? b.rows.at("events") : 0,
                           a.verified && b.verified ? "yes" : "NO");
  return md;
}

}  // namespace kgp::cli
