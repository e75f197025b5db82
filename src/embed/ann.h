// Approximate nearest entities by cosine similarity: an HNSW index (hnswlib) over the
// normalised entity rows, for graphs where a scan of every row per query is too slow.
// Built once (`kgprofile kge index`), saved beside the checkpoint, loaded (LoadCurrentIndex)
// by `kge predict` and by recommend/related only when it was built from the checkpoint's rows.
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
  // Loads an index built from exactly these tables: one of another shape or with other rows
  // (another checkpoint, an earlier training) is InvalidArgument, a damaged one Corruption;
  // neither is ever searched.
  static Result<std::unique_ptr<NeighborIndex>> Load(const std::string& path, const Params& p,
                                                     const AnnOptions& o = {});
  // Writes PATH.tmp and renames it over path; a failed or short write is an IoError.
  Status Save(const std::string& path) const;
  // Nearest entities to entity e by cosine similarity, e itself excluded, best first.
  std::vector<Scored> Nearest(const Params& p, uint32_t e, size_t k) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Approximate best tails of (h, r, ?) among a chosen set of entities (e.g. the products a
// user may buy), for catalogues where scoring every row per query is too slow. An HNSW index
// over the entities' candidate rows for relation r in the model's own geometry: inner product
// for kDot models (DistMult, ComplEx), Euclidean distance for kL2 (TransE-L2, TransR-L2) and,
// as a proxy, for kL1 and kModulus (TransE-L1, RotatE). The search asks for `overfetch` × k
// rows and re-scores them exactly (kernels::ScoreBlock, as Model::ScoreTails does), so the
// scores returned are the model's own and only the choice of rows is approximate.
// Thread-safe after Build (queries only read).
class TailIndex {
 public:
  ~TailIndex();
  // scratch: the model's PrepareRelation(p, r) output, kept alive by the caller.
  static Result<std::unique_ptr<TailIndex>> Build(const Model& m, const Params& p, uint32_t r,
                                                  const std::vector<float>& scratch,
                                                  const std::vector<uint32_t>& entities, const AnnOptions& o = {});
  // The best k indexed entities for (h, r, ?) with exact scores, best first.
  std::vector<Scored> Top(const Params& p, uint32_t h, size_t k) const;
  size_t size() const;

  // Rows fetched per row returned before the exact re-score; 0: 2 where the index's geometry
  // is the model's (kDot, kL2), 4 where it is a proxy (kL1, kModulus).
  size_t overfetch = 0;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The index file that belongs to a checkpoint.
std::string IndexPathFor(const std::string& checkpoint_path);
// The checkpoint's index when it was built from these tables (p: the checkpoint's); nullptr
// when there is none, or, with a warning naming the file and why, when it is stale or damaged:
// the caller then scans the rows exactly. The one freshness check of the project.
std::unique_ptr<NeighborIndex> LoadCurrentIndex(const std::string& checkpoint_path, const Params& p);

}  // namespace kgp::embed
