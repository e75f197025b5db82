// Triple sets for knowledge-graph embedding: entity and relation dictionaries plus the
// train/valid/test splits as dense integer ids. Knows nothing of users or products: any
// triple set works (a benchmark folder, or a workspace graph turned into triples by the
// caller).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/string_map.h"

namespace kgp::embed {

struct Triple {
  uint32_t h, r, t;
  bool operator==(const Triple&) const = default;
};

// Interns names to dense ids in order of first appearance (lookups through StringMap, which
// never allocates for a lookup). Move-only.
class Dictionary {
 public:
  uint32_t Intern(std::string_view name);
  const uint32_t* Find(std::string_view name) const;
  const std::string& name(uint32_t id) const { return names_[id]; }
  const std::vector<std::string>& names() const { return names_; }
  size_t size() const { return names_.size(); }
  void Reserve(size_t n);

 private:
  std::vector<std::string> names_;
  StringMap<uint32_t> ids_;
};

struct Dataset {
  Dictionary entities, relations;
  std::vector<Triple> train, valid, test;
  // When a rule drew the test split from the data (DatasetFromGraph), its name and the threshold
  // it held out below, which a checkpoint records: a run continuing it can then tell whether
  // its test triples were trained on. Empty for a folder's own split (test.txt).
  std::string holdout_rule;
  double holdout_below = 0;
  size_t num_entities() const { return entities.size(); }
  size_t num_relations() const { return relations.size(); }
  // Entities that appear in no training triple (they keep their initial vectors).
  size_t CountUnseenInTrain() const;
};

// Appends the triples of a `head<TAB>relation<TAB>tail` file (LF or CRLF, blank lines
// skipped) to *out, interning names. Errors name the file, line and field.
Status ReadTripleFile(const std::string& path, Dataset& ds, std::vector<Triple>* out);

// Loads DIR/train.txt (required), DIR/valid.txt and DIR/test.txt (optional). Names already
// in seed's dictionaries keep their ids (evaluating a checkpoint on its own data).
Result<Dataset> LoadDatasetDir(const std::string& dir, Dataset seed = {});
// Seeds a dataset's dictionaries with known names (in id order).
Dataset SeededDataset(const std::vector<std::string>& entities, const std::vector<std::string>& relations);

// Every (h, r, t) known to be true (all splits), for filtered ranking and for filtering
// sampled negatives. Lookup by (h, r) → tails and (r, t) → heads.
class KnownTriples {
 public:
  explicit KnownTriples(const std::vector<const std::vector<Triple>*>& sets);
  bool Contains(uint32_t h, uint32_t r, uint32_t t) const;
  // Sorted ids of every t with (h, r, t) known; every h with (h, r, t) known.
  std::pair<const uint32_t*, const uint32_t*> Tails(uint32_t h, uint32_t r) const;
  std::pair<const uint32_t*, const uint32_t*> Heads(uint32_t r, uint32_t t) const;

 private:
  struct Index {
    std::vector<uint64_t> keys;     // sorted distinct (a << 32 | rel) keys
    std::vector<uint64_t> offsets;  // into ids, size keys + 1
    std::vector<uint32_t> ids;
    std::pair<const uint32_t*, const uint32_t*> Get(uint64_t key) const;
  };
  static Index Build(std::vector<std::pair<uint64_t, uint32_t>>& pairs);
  Index tails_, heads_;
};

}  // namespace kgp::embed
