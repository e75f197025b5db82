#include "embed/dataset.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "common/csv.h"
#include "common/log.h"
#include "common/strings.h"

namespace kgp::embed {

uint32_t Dictionary::Intern(std::string_view name) {
  if (const uint32_t* id = ids_.Find(name)) return *id;
  uint32_t id = static_cast<uint32_t>(names_.size());
  names_.emplace_back(name);
  ids_.Insert(name, id);
  return id;
}

const uint32_t* Dictionary::Find(std::string_view name) const { return ids_.Find(name); }

void Dictionary::Reserve(size_t n) {
  names_.reserve(n);
  ids_.Reserve(n);
}

size_t Dataset::CountUnseenInTrain() const {
  std::vector<bool> seen(num_entities(), false);
  for (const auto& x : train) seen[x.h] = seen[x.t] = true;
  return static_cast<size_t>(std::count(seen.begin(), seen.end(), false));
}

Status ReadTripleFile(const std::string& path, Dataset& ds, std::vector<Triple>* out) {
  CsvReader reader(path, CsvOptions('\t', /*quote=*/false, /*skip=*/true));
  KGP_RETURN_IF_ERROR(reader.status());
  while (reader.Next()) {
    if (reader.size() != 3)
      return Status::InvalidArgument(fmt::format("{}:{}: expected 3 tab-separated fields (head, relation, tail), got {}",
                                                 path, reader.line(), reader.size()));
    static const char* kField[] = {"head", "relation", "tail"};
    std::string_view f[3];
    for (size_t i = 0; i < 3; ++i) {
      // Names are trimmed (a stray space must not make a second entity) and must be UTF-8
      // without NUL bytes: checkpoints and exports write them as text.
      f[i] = Trim(reader[i]);
      if (f[i].empty())
        return Status::InvalidArgument(fmt::format("{}:{}: field '{}' is empty", path, reader.line(), kField[i]));
      if (!IsValidUtf8(f[i]))
        return Status::InvalidArgument(fmt::format(
            "{}:{}: field '{}' is not UTF-8 (convert the file, e.g. iconv -f latin1 -t utf-8)", path, reader.line(),
            kField[i]));
      if (f[i].find('\0') != std::string_view::npos)
        return Status::InvalidArgument(fmt::format("{}:{}: field '{}' holds a NUL byte", path, reader.line(), kField[i]));
    }
    // A name a checkpoint already holds as written (spaces and all, from before names were
    // trimmed) keeps its id.
    const auto id = [&](Dictionary& d, size_t i) {
      const uint32_t* known = f[i].size() != reader[i].size() ? d.Find(reader[i]) : nullptr;
      return known ? *known : d.Intern(f[i]);
    };
    uint32_t h = id(ds.entities, 0);
    uint32_t r = id(ds.relations, 1);
    uint32_t t = id(ds.entities, 2);
    out->push_back({h, r, t});
  }
  return reader.status();
}

Dataset SeededDataset(const std::vector<std::string>& entities, const std::vector<std::string>& relations) {
  Dataset ds;
  ds.entities.Reserve(entities.size());
  for (const auto& e : entities) ds.entities.Intern(e);
  for (const auto& r : relations) ds.relations.Intern(r);
  return ds;
}

Result<Dataset> LoadDatasetDir(const std::string& dir, Dataset seed) {
  namespace fs = std::filesystem;
  Dataset ds = std::move(seed);
  auto train = (fs::path(dir) / "train.txt").string();
  if (!fs::is_regular_file(train))
    return Status::NotFound(fmt::format("{}: no train.txt (a KG folder holds train.txt, valid.txt, test.txt: "
                                        "head<TAB>relation<TAB>tail per line)", dir));
  KGP_RETURN_IF_ERROR(ReadTripleFile(train, ds, &ds.train));
  for (auto [name, vec] : {std::pair{"valid.txt", &ds.valid}, std::pair{"test.txt", &ds.test}}) {
    auto p = (fs::path(dir) / name).string();
    if (fs::is_regular_file(p)) KGP_RETURN_IF_ERROR(ReadTripleFile(p, ds, vec));
    else LOG_WRN("{}: no {}: the {} split is empty", dir, name, name == std::string_view("test.txt") ? "test" : "validation");
  }
  if (ds.train.empty()) return Status::InvalidArgument(fmt::format("{}: no triples", train));
  return ds;
}

KnownTriples::KnownTriples(const std::vector<const std::vector<Triple>*>& sets) {
  std::vector<std::pair<uint64_t, uint32_t>> tp, hp;
  for (const auto* s : sets)
    for (const auto& x : *s) {
      tp.emplace_back(uint64_t{x.h} << 32 | x.r, x.t);
      hp.emplace_back(uint64_t{x.t} << 32 | x.r, x.h);
    }
  tails_ = Build(tp);
  heads_ = Build(hp);
}

KnownTriples::Index KnownTriples::Build(std::vector<std::pair<uint64_t, uint32_t>>& pairs) {
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  Index idx;
  idx.ids.reserve(pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i == 0 || pairs[i].first != pairs[i - 1].first) {
      idx.keys.push_back(pairs[i].first);
      idx.offsets.push_back(i);
    }
    idx.ids.push_back(pairs[i].second);
  }
  idx.offsets.push_back(pairs.size());
  return idx;
}

std::pair<const uint32_t*, const uint32_t*> KnownTriples::Index::Get(uint64_t key) const {
  auto it = std::lower_bound(keys.begin(), keys.end(), key);
  if (it == keys.end() || *it != key) return {nullptr, nullptr};
  size_t i = static_cast<size_t>(it - keys.begin());
  return {ids.data() + offsets[i], ids.data() + offsets[i + 1]};
}

std::pair<const uint32_t*, const uint32_t*> KnownTriples::Tails(uint32_t h, uint32_t r) const {
  return tails_.Get(uint64_t{h} << 32 | r);
}
std::pair<const uint32_t*, const uint32_t*> KnownTriples::Heads(uint32_t r, uint32_t t) const {
  return heads_.Get(uint64_t{t} << 32 | r);
}

bool KnownTriples::Contains(uint32_t h, uint32_t r, uint32_t t) const {
  auto [b, e] = Tails(h, r);
  return b && std::binary_search(b, e, t);
}

}  // namespace kgp::embed
