// Helpers of the erasure tests (privacy_erase_test.cc, privacy_erase_batch_test.cc): generated,
// pseudonymised workspaces and what their files and tables hold.
#pragma once

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/strings.h"
#include "privacy/files.h"
#include "store/workspace.h"
#include "test_util.h"

namespace kgp::privacy {

inline std::string Key(const std::string& ws) { return std::string(Trim(test::ReadFile(ws + "/pseudonym.key"))); }

inline int64_t Count(const std::string& ws, const std::string& sql) {
  auto w = Workspace::Open(ws);
  EXPECT_TRUE(w.ok());
  return (*w)->db().QueryInt(sql);
}

// The files under dir whose bytes hold any needle: a plain search, not FileContains (which the
// erasure's own check uses).
inline std::vector<std::string> FilesHolding(const std::string& dir, const std::vector<std::string>& needles) {
  std::vector<std::string> out;
  for (const auto& f : ListFiles(dir)) {
    const std::string bytes = test::ReadFile(f);
    for (const auto& n : needles)
      if (!n.empty() && bytes.find(n) != std::string::npos) {
        out.push_back(f);
        break;
      }
  }
  return out;
}

// The i-th user id of the generated users.csv.
inline std::string NthUser(const std::string& sample, int i) {
  std::istringstream in(test::ReadFile(sample + "/users.csv"));
  std::string line;
  for (int k = 0; k <= i && std::getline(in, line);) ++k;
  std::getline(in, line);
  return line.substr(0, line.find(','));
}

inline void Ingest(const std::string& sample, const std::string& ws) {
  for (auto [file, format] : std::vector<std::pair<const char*, const char*>>{
           {"categories.csv", "categories"}, {"brands.csv", "brands"}, {"catalog.csv", "catalog"},
           {"users.csv", "users"}, {"events.csv", "rees46"}, {"reviews.jsonl", "texts"}}) {
    auto r = test::RunCli(std::string("-q ingest ") + ws + " " + sample + "/" + file + " --format " + format);
    ASSERT_EQ(r.exit_code, 0) << file << ": " << r.err;
  }
}

// A generated, pseudonymised workspace through graph, profiles and embeddings (1 epoch).
inline void BuildPseudonymised(const std::string& sample, const std::string& ws, const std::string& shop) {
  ASSERT_EQ(test::RunCli("-q generate " + sample + " " + shop).exit_code, 0);
  ASSERT_EQ(test::RunCli("-q init " + ws + " --pseudonymize").exit_code, 0);
  Ingest(sample, ws);
  for (const char* cmd : {"graph build", "profile build", "kge train"}) {
    std::string extra = std::string(cmd) == "kge train" ? " --epochs 1" : "";
    auto r = test::RunCli(std::string("-q ") + cmd + " " + ws + extra);
    ASSERT_EQ(r.exit_code, 0) << cmd << ": " << r.err;
  }
}

}  // namespace kgp::privacy
