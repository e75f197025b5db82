#include "embed/ann.h"

// hnswlib's SSE code path prefetches the entry one past the end of a full link list
// (searchBaseLayer in Debian's 0.6.2): a heap over-read that AddressSanitizer reports. It is
// switched off here; distances come from our own run-time-dispatched kernels (KernelSpace),
// which are at least as wide as hnswlib's SSE ones in a portable build.
#define NO_MANUAL_VECTORIZATION
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "embed/kernels.h"

namespace kgp::embed {

namespace {
// hnswlib's distance interface over embed/kernels.h: 1 - dot (as hnswlib's InnerProductSpace)
// or squared Euclidean distance (as its L2Space), so indexes saved by either load unchanged.
class KernelSpace final : public hnswlib::SpaceInterface<float> {
 public:
  enum class Kind { kInnerProduct, kSquaredL2 };
  KernelSpace(size_t dim, Kind kind) : dim_(dim), kind_(kind) {}
  size_t get_data_size() override { return dim_ * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override {
    return kind_ == Kind::kInnerProduct ? &InnerProductDistance : &SquaredL2Distance;
  }
  void* get_dist_func_param() override { return &dim_; }

 private:
  static float InnerProductDistance(const void* a, const void* b, const void* dim) {
    return 1.0f - kernels::Dot(static_cast<const float*>(a), static_cast<const float*>(b),
                               *static_cast<const size_t*>(dim));
  }
  static float SquaredL2Distance(const void* a, const void* b, const void* dim) {
    return kernels::SquaredL2(static_cast<const float*>(a), static_cast<const float*>(b),
                              *static_cast<const size_t*>(dim));
  }
  size_t dim_;
  Kind kind_;
};
}  // namespace

struct NeighborIndex::Impl {
  explicit Impl(size_t width) : space(width, KernelSpace::Kind::kInnerProduct), dim(width) {}
  KernelSpace space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> hnsw;
  size_t dim;  // floats per row
};

NeighborIndex::~NeighborIndex() = default;

namespace {
std::vector<float> Normalised(const Params& p, uint32_t e) {
  size_t d = p.entity_width;
  std::vector<float> v(p.E(e), p.E(e) + d);
  float n = std::sqrt(kernels::Dot(v.data(), v.data(), d));
  if (n > 0)
    for (auto& x : v) x /= n;
  return v;
}
}  // namespace

Result<std::unique_ptr<NeighborIndex>> NeighborIndex::Build(const Params& p, const AnnOptions& o) {
  if (p.num_entities == 0) return Status::InvalidArgument("no entities to index");
  auto idx = std::unique_ptr<NeighborIndex>(new NeighborIndex());
  idx->impl_ = std::make_unique<Impl>(p.entity_width);
  try {
    idx->impl_->hnsw = std::make_unique<hnswlib::HierarchicalNSW<float>>(
        &idx->impl_->space, p.num_entities, static_cast<size_t>(o.m), static_cast<size_t>(o.ef_construction), 42);
    for (uint32_t e = 0; e < p.num_entities; ++e) idx->impl_->hnsw->addPoint(Normalised(p, e).data(), e);
    idx->impl_->hnsw->setEf(static_cast<size_t>(o.ef_search));
  } catch (const std::exception& ex) {
    return Status::Internal(fmt::format("building the neighbour index: {}", ex.what()));
  }
  return idx;
}

Result<std::unique_ptr<NeighborIndex>> NeighborIndex::Load(const std::string& path, const Params& p,
                                                          const AnnOptions& o) {
  if (!std::filesystem::is_regular_file(path)) return Status::NotFound(fmt::format("{}: no index", path));
  auto idx = std::unique_ptr<NeighborIndex>(new NeighborIndex());
  idx->impl_ = std::make_unique<Impl>(p.entity_width);
  try {
    idx->impl_->hnsw = std::make_unique<hnswlib::HierarchicalNSW<float>>(&idx->impl_->space, path);
  } catch (const std::exception& ex) {
    return Status::Corruption(fmt::format("{}: cannot load the neighbour index: {}", path, ex.what()));
  }
  if (idx->impl_->hnsw->cur_element_count != p.num_entities)
    return Status::InvalidArgument(fmt::format("{}: index holds {} entities, the checkpoint {}: rebuild it (kge index)",
                                               path, idx->impl_->hnsw->cur_element_count, p.num_entities));
  idx->impl_->hnsw->setEf(static_cast<size_t>(o.ef_search));
  return idx;
}

Status NeighborIndex::Save(const std::string& path) const {
  try {
    impl_->hnsw->saveIndex(path);
  } catch (const std::exception& ex) {
    return Status::IoError(fmt::format("{}: {}", path, ex.what()));
  }
  return Status::Ok();
}

std::vector<Scored> NeighborIndex::Nearest(const Params& p, uint32_t e, size_t k) const {
  auto q = Normalised(p, e);
  auto res = impl_->hnsw->searchKnn(q.data(), k + 1);
  std::vector<Scored> out;
  while (!res.empty()) {
    auto [dist, label] = res.top();
    res.pop();
    if (label != e) out.push_back({static_cast<uint32_t>(label), 1.0f - dist});
  }
  std::reverse(out.begin(), out.end());
  if (out.size() > k) out.resize(k);
  return out;
}

struct TailIndex::Impl {
  Impl(const Model& m, const std::vector<float>& s, uint32_t rel, size_t width)
      : model(m),
        scratch(s),
        r(rel),
        dim(width),
        space(width, m.form() == Model::Form::kDot ? KernelSpace::Kind::kInnerProduct : KernelSpace::Kind::kSquaredL2) {}
  const Model& model;
  const std::vector<float>& scratch;
  uint32_t r;
  size_t dim;
  KernelSpace space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> hnsw;
};

TailIndex::~TailIndex() = default;

Result<std::unique_ptr<TailIndex>> TailIndex::Build(const Model& m, const Params& p, uint32_t r,
                                                    const std::vector<float>& scratch,
                                                    const std::vector<uint32_t>& entities, const AnnOptions& o) {
  if (entities.empty()) return Status::InvalidArgument("no entities to index");
  if (r >= p.num_relations) return Status::InvalidArgument(fmt::format("relation {} out of range", r));
  auto idx = std::unique_ptr<TailIndex>(new TailIndex());
  const size_t width = m.query_width();
  idx->impl_ = std::make_unique<Impl>(m, scratch, r, width);
  const float* rows = m.CandidateRows(p, scratch);
  try {
    idx->impl_->hnsw = std::make_unique<hnswlib::HierarchicalNSW<float>>(
        &idx->impl_->space, entities.size(), static_cast<size_t>(o.m), static_cast<size_t>(o.ef_construction), 42);
    for (uint32_t e : entities) {
      if (e >= p.num_entities) return Status::InvalidArgument(fmt::format("entity {} out of range", e));
      idx->impl_->hnsw->addPoint(rows + size_t{e} * width, e);
    }
    idx->impl_->hnsw->setEf(static_cast<size_t>(o.ef_search));
  } catch (const std::exception& ex) {
    return Status::Internal(fmt::format("building the tail index: {}", ex.what()));
  }
  return idx;
}

size_t TailIndex::size() const { return impl_->hnsw->cur_element_count; }

std::vector<Scored> TailIndex::Top(const Params& p, uint32_t h, size_t k) const {
  std::vector<Scored> out;
  if (k == 0 || h >= p.num_entities) return out;
  const Model& m = impl_->model;
  std::vector<float> q(impl_->dim);
  m.TailQuery(p, h, impl_->r, impl_->scratch, q.data());
  const bool proxy = m.form() == Model::Form::kL1 || m.form() == Model::Form::kModulus;
  const size_t ask = std::min(size(), k * (overfetch ? overfetch : proxy ? 4 : 2));
  auto res = impl_->hnsw->searchKnn(q.data(), ask);
  const float* rows = m.CandidateRows(p, impl_->scratch);
  out.reserve(res.size());
  while (!res.empty()) {
    const auto e = static_cast<uint32_t>(res.top().second);
    res.pop();
    float s = 0;
    kernels::ScoreBlock(static_cast<int>(m.form()), m.config().gamma, q.data(), 1, rows + size_t{e} * impl_->dim, 1,
                        impl_->dim, &s);
    out.push_back({e, s});
  }
  std::sort(out.begin(), out.end(), [](const Scored& a, const Scored& b) { return a.score > b.score || (a.score == b.score && a.id < b.id); });
  if (out.size() > k) out.resize(k);
  return out;
}

std::string IndexPathFor(const std::string& checkpoint_path) { return checkpoint_path + ".hnsw"; }

}  // namespace kgp::embed
