// The demo's privacy step: a differentially private audience count, segment sizes and category
// report (charged to the workspace budget) and a k-anonymous export of the profile table.
#include <iostream>

#include <fmt/format.h>

#include "cli/demo.h"
#include "privacy/budget.h"
#include "privacy/dp_query.h"
#include "privacy/export_profiles.h"

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

}  // namespace kgp::cli
