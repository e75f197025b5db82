// Approximate nearest entities by cosine similarity: an HNSW index (hnswlib) over the
// normalised entity rows, for graphs where a scan of every row per query is too slow.
// Built once (`kgprofile kge index`), saved beside the checkpoint, loaded by `kge predict`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "embed/model.h"
#include "embed/predict.h"

namespace kgp::embed {

struct AnnOptions {
  int m = 16;                 // graph degree
  int ef_construction = 200;  // build-time beam
  int ef_search = 100;        // query-time beam (at least k)
};

class NeighborIndex {
 public:
  ~NeighborIndex();
  static Result<std::unique_ptr<NeighborIndex>> Build(const Params& p, const AnnOptions& o = {});
  // Loads an index saved for tables of this shape.
  static Result<std::unique_ptr<NeighborIndex>> Load(const std::string& path, const Params& p,
                                                     const AnnOptions& o = {});
  Status Save(const std::string& path) const;
  // Nearest entities to entity e by cosine similarity, e itself excluded, best first.
  std::vector<Scored> Nearest(const Params& p, uint32_t e, size_t k) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The index file that belongs to a checkpoint.
std::string IndexPathFor(const std::string& checkpoint_path);

}  // namespace kgp::embed
