#include "embed/ann.h"

// hnswlib's SSE code path prefetches the entry one past the end of a full link list
// (searchBaseLayer in Debian's 0.6.2): a heap over-read that AddressSanitizer reports. It is
// switched off here; distances come from our own run-time-dispatched kernels (KernelSpace),
// which are at least as wide as hnswlib's SSE ones in a portable build.
#define NO_MANUAL_VECTORIZATION
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>

#include <fmt/format.h>

#include "common/log.h"
#include "common/out_file.h"
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
std::vector<float> NormalisedRow(const Params& p, uint32_t e) {
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
    for (uint32_t e = 0; e < p.num_entities; ++e) idx->impl_->hnsw->addPoint(NormalisedRow(p, e).data(), e);
    idx->impl_->hnsw->setEf(static_cast<size_t>(o.ef_search));
  } catch (const std::exception& ex) {
    return Status::Internal(fmt::format("building the neighbour index: {}", ex.what()));
  }
  return idx;
}

namespace {

Status Damaged(const std::string& path, std::string_view what) {
  return Status::Corruption(fmt::format("{}: damaged neighbour index ({})", path, what));
}

// An index file read by hnswlib is trusted by its searches: every id it holds is followed
// without a check. This checks the structure against the loaded tables (any damage that could
// send a search outside them is refused) and the stored rows against the checkpoint's own
// normalised rows, so an index of another checkpoint, or of an earlier training of this one,
// is never used whatever its file dates say.
Status CheckIndex(const hnswlib::HierarchicalNSW<float>& h, const Params& p, const std::string& path) {
  using hnswlib::labeltype;
  using hnswlib::tableint;
  // The entity count and the record layout were checked in the file (CheckIndexFile).
  const size_t n = h.cur_element_count, width = p.entity_width;
  auto damaged = [&](const char* what) { return Damaged(path, what); };
  if (n == 0) return Status::Ok();
  if (h.maxlevel_ < 0 || h.enterpoint_node_ >= n || h.element_levels_[h.enterpoint_node_] != h.maxlevel_)
    return damaged("entry point");
  std::vector<char> label_seen(n);
  for (tableint i = 0; i < n; ++i) {
    const labeltype label = h.getExternalLabel(i);
    if (label >= n || label_seen[label]++) return damaged("entity ids");
    const int levels = h.element_levels_[i];
    if (levels < 0 || levels > h.maxlevel_) return damaged("levels");
    for (int level = 0; level <= levels; ++level) {
      const hnswlib::linklistsizeint* list = h.get_linklist_at_level(i, level);
      const size_t count = h.getListCount(const_cast<hnswlib::linklistsizeint*>(list));
      if (count > (level == 0 ? h.maxM0_ : h.maxM_)) return damaged("link list size");
      const auto* ids = reinterpret_cast<const tableint*>(list + 1);
      for (size_t j = 0; j < count; ++j)
        if (ids[j] >= n || h.element_levels_[ids[j]] < level) return damaged("links");
    }
  }
  std::vector<float> want;
  for (tableint i = 0; i < n; ++i) {
    const labeltype e = h.getExternalLabel(i);
    want = NormalisedRow(p, static_cast<uint32_t>(e));
    const auto* stored = reinterpret_cast<const float*>(h.data_level0_memory_ + i * h.size_data_per_element_ + h.offsetData_);
    for (size_t j = 0; j < width; ++j)
      if (!(std::fabs(stored[j] - want[j]) <= 1e-5f))
        return Status::InvalidArgument(fmt::format("it was built from other tables than the checkpoint's (entity {} differs)", e));
  }
  return Status::Ok();
}

// hnswlib's loader trusts the file's header: it reads every element's label at label_offset_
// and its flags at offsetLevel0_ before anything is checked, so one damaged header field sent it
// outside its buffer (a crash). This reads the header as HierarchicalNSW::saveIndex writes it
// (hnswalg.h: offsetLevel0_, max_elements_, cur_element_count, size_data_per_element_,
// label_offset_, offsetData_ as size_t; maxlevel_ int; enterpoint_node_ u32; maxM_, maxM0_, M_
// size_t; mult_ double; ef_construction_ size_t: 96 bytes), then the level-0 records, then per
// element a u32 byte count and that many bytes of upper-level links, and checks that every field
// the loader uses agrees with the layout for these tables' row width and with the file's size.
// Another entity count or width is InvalidArgument (another checkpoint), anything else Corruption.
Status CheckIndexFile(const std::string& path, const Params& p) {
  static_assert(sizeof(size_t) == 8 && sizeof(hnswlib::tableint) == 4 && sizeof(hnswlib::linklistsizeint) == 4 &&
                sizeof(hnswlib::labeltype) == 8);
  constexpr size_t kHeader = 96;
  auto damaged = [&](const char* what) { return Damaged(path, what); };
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  char h[kHeader];
  if (!in || ec || size < kHeader || !in.read(h, kHeader)) return damaged("header truncated");
  auto u64 = [&](size_t at) {
    uint64_t v;
    std::memcpy(&v, h + at, 8);
    return v;
  };
  const uint64_t offset_level0 = u64(0), count = u64(16), per_element = u64(24), label_offset = u64(32),
                 offset_data = u64(40), max_m = u64(56), max_m0 = u64(64);
  if (count != p.num_entities)
    return Status::InvalidArgument(fmt::format("{}: not the index of these tables: it holds {} entities, the checkpoint {}",
                                               path, count, p.num_entities));
  // hnswlib caps M at 10000 (level 0: twice that); with it the sizes below cannot overflow.
  if (offset_level0 != 0 || max_m0 < 1 || max_m0 > 20000 || max_m < 1 || max_m > max_m0) return damaged("header");
  const uint64_t links0 = max_m0 * sizeof(hnswlib::tableint) + sizeof(hnswlib::linklistsizeint);
  if (offset_data != links0 || label_offset <= offset_data || (label_offset - offset_data) % sizeof(float) != 0 ||
      per_element != label_offset + sizeof(hnswlib::labeltype))
    return damaged("header");
  if (label_offset - offset_data != p.entity_width * sizeof(float))
    return Status::InvalidArgument(fmt::format("{}: not the index of these tables: its rows are {} floats wide, the "
                                               "checkpoint's {} (another model or dimension)",
                                               path, (label_offset - offset_data) / sizeof(float), p.entity_width));
  // count and per_element are bounded by the checkpoint's size, so their product fits.
  const uint64_t level0_end = kHeader + count * per_element;
  if (level0_end > size) return damaged("shorter than its header says");
  std::string upper(size - level0_end, '\0');
  in.seekg(static_cast<std::streamoff>(level0_end));
  if (!in.read(upper.data(), static_cast<std::streamsize>(upper.size()))) return damaged("unreadable");
  const uint64_t links = max_m * sizeof(hnswlib::tableint) + sizeof(hnswlib::linklistsizeint);
  size_t pos = 0;
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t bytes = 0;
    if (upper.size() - pos < 4) return damaged("shorter than its header says");
    std::memcpy(&bytes, upper.data() + pos, 4);
    pos += 4;
    if (bytes % links != 0 || bytes > upper.size() - pos) return damaged("link lists");
    pos += bytes;
  }
  if (pos != upper.size()) return damaged("longer than its header says");
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<NeighborIndex>> NeighborIndex::Load(const std::string& path, const Params& p,
                                                          const AnnOptions& o) {
  if (!std::filesystem::is_regular_file(path)) return Status::NotFound(fmt::format("{}: no index", path));
  if (Status s = CheckIndexFile(path, p); !s.ok()) return s;
  auto idx = std::unique_ptr<NeighborIndex>(new NeighborIndex());
  idx->impl_ = std::make_unique<Impl>(p.entity_width);
  try {
    idx->impl_->hnsw =
        std::make_unique<hnswlib::HierarchicalNSW<float>>(&idx->impl_->space, path, false, p.num_entities);
  } catch (const std::exception& ex) {
    return Status::Corruption(fmt::format("{}: cannot load the neighbour index: {}", path, ex.what()));
  }
  if (Status s = CheckIndex(*idx->impl_->hnsw, p, path); !s.ok()) {
    if (s.code() == Status::Code::kCorruption) return s;
    return Status::InvalidArgument(fmt::format("{}: not the index of these tables: {}", path, s.message()));
  }
  idx->impl_->hnsw->setEf(static_cast<size_t>(o.ef_search));
  return idx;
}

Status NeighborIndex::Save(const std::string& path) const {
  // Written beside and renamed: a killed or failed write never leaves half an index. hnswlib
  // does not check its stream, so the file's size is: 96 header bytes, the level-0 records,
  // and each element's upper-level links with their 4-byte length.
  const auto& h = *impl_->hnsw;
  uintmax_t expect = 96 + h.cur_element_count * h.size_data_per_element_;
  for (size_t i = 0; i < h.cur_element_count; ++i)
    expect += 4 + (h.element_levels_[i] > 0 ? h.size_links_per_element_ * static_cast<size_t>(h.element_levels_[i]) : 0);
  // A name of its own, as OutFile gives (PATH.tmp.PID.N): erasure removes only the temporary
  // files of writers no longer running, and two writers never share one.
  const std::string tmp = OutFile::TempName(path);
  std::error_code ec;
  try {
    impl_->hnsw->saveIndex(tmp);
  } catch (const std::exception& ex) {
    std::filesystem::remove(tmp, ec);
    return Status::IoError(fmt::format("{}: {}", path, ex.what()));
  }
  const uintmax_t written = std::filesystem::file_size(tmp, ec);
  if (ec || written != expect) {
    std::filesystem::remove(tmp, ec);
    return Status::IoError(fmt::format("{}: write failed ({} of {} bytes written: disk full or a file size limit?)",
                                       path, ec ? 0 : written, expect));
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    const std::string why = ec.message();
    std::filesystem::remove(tmp, ec);
    return Status::IoError(fmt::format("{}: cannot replace it: {}", path, why));
  }
  return Status::Ok();
}

std::unique_ptr<NeighborIndex> LoadCurrentIndex(const std::string& checkpoint_path, const Params& p) {
  const std::string path = IndexPathFor(checkpoint_path);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return nullptr;
  auto index = NeighborIndex::Load(path, p);
  if (index.ok()) return std::move(index).value();
  LOG_WRN("{}; nearest neighbours come from an exact scan until `kgprofile kge index {}` rebuilds it",
          index.status().message(), checkpoint_path);
  return nullptr;
}

std::vector<Scored> NeighborIndex::Nearest(const Params& p, uint32_t e, size_t k) const {
  auto q = NormalisedRow(p, e);
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
