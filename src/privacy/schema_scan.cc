#include "privacy/schema_scan.h"

#include <algorithm>
#include <cctype>

namespace kgp::privacy {

std::vector<UserColumn> UserColumns(Db& db, const std::set<std::string>& exclude) {
  std::vector<UserColumn> out;
  Stmt st = db.Prepare(
      "SELECT m.name, c.name, upper(coalesce(c.type, '')) FROM sqlite_master m, pragma_table_info(m.name) c "
      "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND c.name IN ('user_id', 'ext_id') ORDER BY m.name");
  while (st.Step()) {
    std::string table(st.Text(0));
    if (exclude.count(table)) continue;
    // items.ext_id is a product id, not a user's.
    if (table == "items") continue;
    out.push_back({table, std::string(st.Text(1)), std::string(st.Text(2)).find("INT") != std::string::npos});
  }
  return out;
}

std::vector<UserColumn> TextUserColumns(Db& db, const std::set<std::string>& exclude) {
  auto all = UserColumns(db, exclude);
  all.erase(std::remove_if(all.begin(), all.end(), [](const UserColumn& c) { return c.integer; }), all.end());
  return all;
}

bool TableExists(Db& db, const std::string& table) {
  Stmt st = db.Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  st.Bind(1, table);
  return st.Step();
}

}  // namespace kgp::privacy
