#include "recommend/eval/split.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "common/csv.h"
#include "common/rng.h"
#include "common/strings.h"

namespace kgp::rec {

namespace {
// Ids index dense arrays (one row per user, one score per item): a larger id is almost
// certainly not a remapped id, and would cost gigabytes before anything fails.
constexpr uint64_t kMaxId = (1ull << 26) - 1;

// Whitespace-separated tokens of a line.
void Tokens(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t b = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > b) out.push_back(line.substr(b, i - b));
  }
}

InteractionMatrix FromRows(const std::vector<std::vector<uint32_t>>& rows, uint32_t num_items) {
  std::vector<UserItem> pairs;
  for (uint32_t u = 0; u < rows.size(); ++u) {
    for (uint32_t i : rows[u]) pairs.push_back({u, i, 1.0f, 0});
  }
  return InteractionMatrix::FromPairs(std::move(pairs), static_cast<uint32_t>(rows.size()), num_items);
}
}  // namespace

size_t SplitData::test_users() const {
  size_t n = 0;
  for (const auto& t : test) n += t.empty() ? 0 : 1;
  return n;
}

size_t SplitData::test_pairs() const {
  size_t n = 0;
  for (const auto& t : test) n += t.size();
  return n;
}

Result<std::vector<std::vector<uint32_t>>> ReadUserItemLists(const std::string& path) {
  CsvReader reader(path, CsvOptions::Lines());
  if (!reader.status().ok()) return reader.status();
  std::vector<std::vector<uint32_t>> rows;
  std::vector<uint64_t> first_line;
  std::vector<std::string_view> tok;
  std::unordered_set<uint32_t> seen;
  while (reader.Next()) {
    Tokens(reader[0], tok);
    if (tok.empty()) continue;
    uint64_t ids[1];
    for (size_t f = 0; f < tok.size(); ++f) {
      auto v = ParseUint(tok[f]);
      if (!v || *v > kMaxId) {
        return Status::InvalidArgument(fmt::format("{}:{}: field {} ('{}'): expected a {} id (integer 0..{})", path,
                                                   reader.line(), f + 1, tok[f], f == 0 ? "user" : "item", kMaxId));
      }
      if (f == 0) ids[0] = *v;
    }
    const auto user = static_cast<uint32_t>(ids[0]);
    if (user >= rows.size()) {
      rows.resize(user + 1);
      first_line.resize(user + 1, 0);
    }
    if (first_line[user] != 0) {
      return Status::InvalidArgument(fmt::format("{}:{}: user {} already listed at line {}", path, reader.line(),
                                                 user, first_line[user]));
    }
    first_line[user] = reader.line();
    seen.clear();
    auto& row = rows[user];
    for (size_t f = 1; f < tok.size(); ++f) {
      auto item = static_cast<uint32_t>(*ParseUint(tok[f]));
      if (seen.insert(item).second) row.push_back(item);
    }
  }
  if (!reader.status().ok()) return reader.status();
  return rows;
}

Result<SplitData> LoadKgatSplit(const std::string& dir, bool validation, uint64_t seed) {
  namespace fs = std::filesystem;
  const std::string train_path = (fs::path(dir) / "train.txt").string();
  const std::string test_path = (fs::path(dir) / "test.txt").string();
  if (!fs::exists(train_path)) return Status::NotFound(fmt::format("{}: no such file (KGAT format needs train.txt and test.txt)", train_path));
  auto train = ReadUserItemLists(train_path);
  if (!train.ok()) return train.status();
  std::string name = fs::path(dir).lexically_normal().filename().string();
  if (name.empty()) name = fs::path(dir).lexically_normal().parent_path().filename().string();
  uint32_t num_items = 0;
  for (const auto& row : *train) {
    for (uint32_t i : row) num_items = std::max(num_items, i + 1);
  }
  if (validation) {
    SplitData s = CarveValidation(FromRows(*train, num_items), 0.2, seed);
    s.dataset = name;
    return s;
  }
  if (!fs::exists(test_path)) return Status::NotFound(fmt::format("{}: no such file", test_path));
  auto test = ReadUserItemLists(test_path);
  if (!test.ok()) return test.status();
  // KGAT counts items over both files: an item only in test.txt is still ranked.
  for (const auto& row : *test) {
    for (uint32_t i : row) num_items = std::max(num_items, i + 1);
  }
  SplitData s;
  s.dataset = name;
  s.protocol = "KGAT split, full ranking";
  auto rows = std::move(*train);
  if (test->size() > rows.size()) rows.resize(test->size());
  s.train = FromRows(rows, num_items);
  s.test = std::move(*test);
  s.test.resize(s.train.num_users());
  return s;
}

Result<Ratings> ReadMovieLens(const std::string& path) {
  CsvReader reader(path, CsvOptions::Lines());
  if (!reader.status().ok()) return reader.status();
  Ratings out;
  std::unordered_map<uint64_t, uint32_t> users, items;
  std::vector<std::string_view> tok;
  std::string line;
  while (reader.Next()) {
    std::string_view raw = reader[0];
    if (raw.find("::") != std::string_view::npos) {  // ml-1m / ml-10m
      line.assign(raw);
      for (size_t p = line.find("::"); p != std::string::npos; p = line.find("::", p)) line.replace(p, 2, " ");
      raw = line;
    }
    Tokens(raw, tok);
    if (tok.empty()) continue;
    if (tok.size() != 4) {
      return Status::InvalidArgument(fmt::format("{}:{}: expected 4 fields (user item rating time), got {}", path,
                                                 reader.line(), tok.size()));
    }
    static const char* kField[] = {"user", "item", "rating", "time"};
    uint64_t id[2];
    for (int f = 0; f < 2; ++f) {
      auto v = ParseUint(tok[f]);
      if (!v) {
        return Status::InvalidArgument(
            fmt::format("{}:{}: field {} ({}) '{}' is not a non-negative integer", path, reader.line(), f + 1, kField[f], tok[f]));
      }
      id[f] = *v;
    }
    auto rating = ParseDouble(tok[2]);
    if (!rating) {
      return Status::InvalidArgument(fmt::format("{}:{}: field 3 (rating) '{}' is not a number", path, reader.line(), tok[2]));
    }
    auto ts = ParseInt(tok[3]);
    if (!ts) {
      return Status::InvalidArgument(fmt::format("{}:{}: field 4 (time) '{}' is not an integer", path, reader.line(), tok[3]));
    }
    auto u = users.try_emplace(id[0], static_cast<uint32_t>(users.size())).first->second;
    auto i = items.try_emplace(id[1], static_cast<uint32_t>(items.size())).first->second;
    out.rows.push_back({u, i, static_cast<float>(*rating), *ts});
  }
  if (!reader.status().ok()) return reader.status();
  out.num_users = static_cast<uint32_t>(users.size());
  out.num_items = static_cast<uint32_t>(items.size());
  return out;
}

namespace {
// Train/test from a per-rating flag; repeated (user, item) pairs collapse (first kept), and a
// test item the user also has in train is dropped from test (it would be excluded from the
// ranking anyway).
SplitData Assemble(const Ratings& r, const std::vector<uint8_t>& is_test) {
  std::vector<std::vector<uint32_t>> train(r.num_users), test(r.num_users);
  std::vector<std::unordered_set<uint32_t>> in_train(r.num_users);
  for (size_t k = 0; k < r.rows.size(); ++k) {
    if (!is_test[k] && in_train[r.rows[k].user].insert(r.rows[k].item).second) train[r.rows[k].user].push_back(r.rows[k].item);
  }
  for (size_t k = 0; k < r.rows.size(); ++k) {
    const auto& x = r.rows[k];
    if (is_test[k] && !in_train[x.user].count(x.item) &&
        std::find(test[x.user].begin(), test[x.user].end(), x.item) == test[x.user].end()) {
      test[x.user].push_back(x.item);
    }
  }
  SplitData s;
  s.train = FromRows(train, r.num_items);
  s.test = std::move(test);
  return s;
}
}  // namespace

SplitData SplitRandom(const Ratings& r, double test_fraction, uint64_t seed) {
  std::vector<size_t> order(r.rows.size());
  std::iota(order.begin(), order.end(), 0);
  Rng rng(seed);
  for (size_t k = order.size(); k > 1; --k) std::swap(order[k - 1], order[rng.Below(static_cast<uint64_t>(k))]);
  auto n_test = static_cast<size_t>(std::llround(test_fraction * static_cast<double>(order.size())));
  std::vector<uint8_t> is_test(r.rows.size(), 0);
  for (size_t k = 0; k < n_test; ++k) is_test[order[k]] = 1;
  SplitData s = Assemble(r, is_test);
  s.protocol = fmt::format("random {:.0f}/{:.0f} (seed {}), full ranking", 100 * (1 - test_fraction), 100 * test_fraction, seed);
  return s;
}

SplitData SplitTemporalPerUser(const Ratings& r, double test_fraction) {
  std::vector<std::vector<size_t>> by_user(r.num_users);
  for (size_t k = 0; k < r.rows.size(); ++k) by_user[r.rows[k].user].push_back(k);
  std::vector<uint8_t> is_test(r.rows.size(), 0);
  for (auto& idx : by_user) {
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return r.rows[a].ts < r.rows[b].ts; });
    auto n_test = static_cast<size_t>(std::llround(test_fraction * static_cast<double>(idx.size())));
    for (size_t k = idx.size() - n_test; k < idx.size(); ++k) is_test[idx[k]] = 1;
  }
  SplitData s = Assemble(r, is_test);
  s.protocol = fmt::format("temporal, each user's last {:.0f}%, full ranking", 100 * test_fraction);
  return s;
}

SplitData CarveValidation(const InteractionMatrix& train, double fraction, uint64_t seed) {
  std::vector<std::vector<uint32_t>> keep(train.num_users()), held(train.num_users());
  Rng rng(seed ^ 0x5EED5EEDull);
  for (uint32_t u = 0; u < train.num_users(); ++u) {
    auto row = train.Items(u);
    std::vector<uint32_t> items(row.begin(), row.end());
    if (items.size() >= 2) {
      size_t n_held = std::max<size_t>(1, static_cast<size_t>(fraction * static_cast<double>(items.size())));
      for (size_t k = items.size(); k > 1; --k) std::swap(items[k - 1], items[rng.Below(static_cast<uint64_t>(k))]);
      held[u].assign(items.end() - static_cast<std::ptrdiff_t>(n_held), items.end());
      items.resize(items.size() - n_held);
    }
    keep[u] = std::move(items);
  }
  SplitData s;
  s.train = FromRows(keep, train.num_items());
  s.test = std::move(held);
  s.protocol = fmt::format("validation: {:.0f}% of each user's training items held out (seed {}), full ranking",
                           100 * fraction, seed);
  return s;
}

}  // namespace kgp::rec
