// Finds the columns that hold a user's id in whatever tables the workspace has, so that erasure
// and key rotation also cover tables added by later migrations (e.g. the LLM layer's
// llm_texts) without a list to keep in sync: by convention a column named `user_id` holds
// users.id (INTEGER) or the stored user id (TEXT), and `ext_id` the stored user id.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "store/db.h"

namespace kgp::privacy {

struct UserColumn {
  std::string table, column;
  bool integer = false;  // declared type contains INT: holds users.id
};

// Every user_id / ext_id column of the main schema's tables, except tables in `exclude`.
std::vector<UserColumn> UserColumns(Db& db, const std::set<std::string>& exclude = {});
// Those holding the id as text (not users.id).
std::vector<UserColumn> TextUserColumns(Db& db, const std::set<std::string>& exclude = {});

bool TableExists(Db& db, const std::string& table);

}  // namespace kgp::privacy
