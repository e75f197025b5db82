#include "recommend/algo/ease.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "common/log.h"
#include "common/threads.h"
#include "recommend/algo/dense.h"

namespace kgp::rec {

EaseOptions EaseOptions::FromParams(const Params& p) {
  EaseOptions o;
  o.lambda = p.Double("lambda", o.lambda);
  o.diag = p.Double("diag", o.diag);
  o.max_items = p.Int("max_items", o.max_items);
  ThrowIfError(o.Check());
  return o;
}

Status EaseOptions::Check() const {
  if (!(lambda > 0) || !(diag >= 0))
    return Status::InvalidArgument(fmt::format("ease: need lambda > 0 and diag >= 0 (got {}, {})", lambda, diag));
  return Status::Ok();
}

std::vector<float> DenseGram(const InteractionMatrix& x, int threads) {
  const size_t n = x.num_items();
  std::vector<float> g(n * n, 0.0f);
  const int nt = std::max(1, threads);
  RunThreads(nt, [&](int tid) {
    // Thread tid owns rows [lo, hi): no two threads write the same row.
    const size_t lo = n * static_cast<size_t>(tid) / static_cast<size_t>(nt);
    const size_t hi = n * static_cast<size_t>(tid + 1) / static_cast<size_t>(nt);
    for (uint32_t u = 0; u < x.num_users(); ++u) {
      auto row = x.Items(u);
      for (uint32_t i : row) {
        if (i < lo || i >= hi) continue;
        float* gi = &g[static_cast<size_t>(i) * n];
        for (uint32_t j : row) gi[j] += 1.0f;
      }
    }
  });
  return g;
}

Status Ease::Fit(const InteractionMatrix& train, const FitOptions& opts) {
  KGP_RETURN_IF_ERROR(o_.Check());
  const size_t n = train.num_items();
  if (static_cast<int64_t>(n) > o_.max_items) {
    return Status::InvalidArgument(fmt::format(
        "ease: {} items need a dense {:.1f} GB matrix; above max_items={} (raise it with ease:max_items=N)", n,
        4.0 * static_cast<double>(n) * static_cast<double>(n) / 1e9, o_.max_items));
  }
  n_ = n;
  auto t0 = std::chrono::steady_clock::now();
  b_ = DenseGram(train.Dedup(), opts.threads);
  for (size_t i = 0; i < n; ++i) {
    float& g = b_[i * n + i];
    g += static_cast<float>(o_.lambda + o_.diag * g);
  }
  auto t1 = std::chrono::steady_clock::now();
  KGP_RETURN_IF_ERROR(InvertSpd(b_, n, opts.threads));
  auto t2 = std::chrono::steady_clock::now();
  std::vector<float> inv_diag(n);
  for (size_t j = 0; j < n; ++j) inv_diag[j] = -1.0f / b_[j * n + j];
  for (size_t i = 0; i < n; ++i) {
    float* row = &b_[i * n];
    for (size_t j = 0; j < n; ++j) row[j] *= inv_diag[j];
    row[i] = 0.0f;
  }
  if (!opts.quiet) {
    LOG_INF("ease: {} items, gram {:.1f}s, inverse {:.1f}s ({})", n, std::chrono::duration<double>(t1 - t0).count(),
            std::chrono::duration<double>(t2 - t1).count(), DenseBackend());
  }
  return Status::Ok();
}

void Ease::Score(uint32_t, std::span<const uint32_t> history, std::span<float> out) const {
  std::fill(out.begin(), out.end(), 0.0f);
  const size_t m = std::min(out.size(), n_);
  for (uint32_t i : history) {
    if (i >= n_) continue;
    const float* row = &b_[static_cast<size_t>(i) * n_];
    for (size_t j = 0; j < m; ++j) out[j] += row[j];
  }
}

}  // namespace kgp::rec
