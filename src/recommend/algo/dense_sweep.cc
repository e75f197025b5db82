// The built-in backend of InvertSpd: a blocked symmetric sweep (Gauss-Jordan without
// pivoting, which positive definiteness makes safe) on the lower triangle. Sweeping pivot
// block K with D = A_KK:
//   A_KK ← -D⁻¹,  A_IK ← A_IK D⁻¹,  A_IJ ← A_IJ - A_IK D⁻¹ A_KJ   (I, J ≠ K)
// and after every block the matrix holds -A⁻¹. The A_IJ update is the whole cost (n^3 flops
// on the triangle); its kernel is an outer-product update of 4 rows × 32 columns, compiled
// per instruction set.
#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "common/threads.h"
#include "recommend/algo/dense.h"

namespace kgp::rec {

void MirrorLower(std::span<float> a, size_t n);  // dense.cc

namespace {

constexpr size_t kBlock = 128;  // pivots per sweep step
constexpr size_t kRows = 4;     // rows per kernel call
constexpr size_t kCols = 32;    // columns per kernel tile

// rows[r][j] -= sum_p coef[r * b + p] * t[p * ldt + j] for j in [j0, j1), r < 4.
#ifndef KGP_NO_SIMD_CLONES  // as embed/simd.h: a TSan build has none (CMakeLists.txt)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void UpdateRows4(float* const* rows, const float* coef, const float* t, size_t ldt, size_t b,
                 size_t j0, size_t j1) {
  size_t j = j0;
  for (; j + kCols <= j1; j += kCols) {
    float acc[kRows][kCols];
    for (size_t r = 0; r < kRows; ++r) {
      for (size_t c = 0; c < kCols; ++c) acc[r][c] = rows[r][j + c];
    }
    for (size_t p = 0; p < b; ++p) {
      const float* tp = t + p * ldt + j;
      for (size_t r = 0; r < kRows; ++r) {
        const float s = coef[r * b + p];
        for (size_t c = 0; c < kCols; ++c) acc[r][c] -= s * tp[c];
      }
    }
    for (size_t r = 0; r < kRows; ++r) {
      for (size_t c = 0; c < kCols; ++c) rows[r][j + c] = acc[r][c];
    }
  }
  for (; j < j1; ++j) {
    for (size_t r = 0; r < kRows; ++r) {
      float s = rows[r][j];
      for (size_t p = 0; p < b; ++p) s -= coef[r * b + p] * t[p * ldt + j];
      rows[r][j] = s;
    }
  }
}

// One row: row[j] -= sum_p coef[p] * t[p * ldt + j] for j in [j0, j1).
void UpdateRow(float* row, const float* coef, const float* t, size_t ldt, size_t b, size_t j0, size_t j1) {
  for (size_t p = 0; p < b; ++p) {
    const float s = coef[p];
    const float* tp = t + p * ldt;
    for (size_t j = j0; j < j1; ++j) row[j] -= s * tp[j];
  }
}

// Inverse of a small SPD matrix (Gauss-Jordan in double). False when not positive definite.
bool InvertSmall(std::vector<double>& d, size_t b) {
  for (size_t k = 0; k < b; ++k) {
    double piv = d[k * b + k];
    if (!(piv > 0) || !std::isfinite(piv)) return false;
    double inv = 1.0 / piv;
    for (size_t i = 0; i < b; ++i) {
      if (i == k) continue;
      double f = d[i * b + k] * inv;
      if (f == 0) continue;
      for (size_t j = 0; j < b; ++j) {
        if (j != k) d[i * b + j] -= f * d[k * b + j];
      }
    }
    for (size_t j = 0; j < b; ++j) d[k * b + j] *= inv;
    for (size_t i = 0; i < b; ++i) d[i * b + k] *= -inv;
    d[k * b + k] = inv;
  }
  return true;
}

}  // namespace

Status InvertSpdBuiltin(std::span<float> a, size_t n, int threads) {
  if (a.size() != n * n) return Status::InvalidArgument("InvertSpd: size mismatch");
  const int nt = std::max(1, threads);
  std::vector<float> c, t;
  std::vector<double> dinv;
  for (size_t k0 = 0; k0 < n; k0 += kBlock) {
    const size_t k1 = std::min(n, k0 + kBlock), b = k1 - k0;
    // C = A_K,: (b × n) from the lower triangle; D = A_KK.
    c.assign(b * n, 0.0f);
    for (size_t p = 0; p < b; ++p) {
      const float* row = &a[(k0 + p) * n];
      std::copy(row, row + k0 + p + 1, &c[p * n]);
    }
    for (size_t j = k0 + 1; j < n; ++j) {
      const float* row = &a[j * n + k0];
      for (size_t p = 0; p < std::min(b, j - k0); ++p) c[p * n + j] = row[p];
    }
    dinv.assign(b * b, 0.0);
    for (size_t p = 0; p < b; ++p) {
      for (size_t q = 0; q < b; ++q) dinv[p * b + q] = c[p * n + k0 + q];
    }
    if (!InvertSmall(dinv, b)) {
      return Status::InvalidArgument(fmt::format("matrix not positive definite (pivot block at {} of {})", k0, n));
    }
    // T = D⁻¹ C (b × n), columns split between threads.
    t.assign(b * n, 0.0f);
    RunThreads(nt, [&](int tid) {
      size_t lo = n * static_cast<size_t>(tid) / static_cast<size_t>(nt);
      size_t hi = n * static_cast<size_t>(tid + 1) / static_cast<size_t>(nt);
      for (size_t p = 0; p < b; ++p) {
        float* tp = &t[p * n];
        for (size_t q = 0; q < b; ++q) {
          const float s = static_cast<float>(dinv[p * b + q]);
          const float* cq = &c[q * n];
          for (size_t j = lo; j < hi; ++j) tp[j] += s * cq[j];
        }
      }
    });
    // A_IJ -= A_IK T_KJ on the lower triangle outside K; coefficients A_IK = C[:, i].
    const size_t groups = (n + kRows - 1) / kRows;
    RunThreads(nt, [&](int tid) {
      std::vector<float> coef(kRows * b);
      for (size_t g = static_cast<size_t>(tid); g < groups; g += static_cast<size_t>(nt)) {
        const size_t i0 = g * kRows, i1 = std::min(n, i0 + kRows);
        for (size_t i = i0; i < i1; ++i) {
          for (size_t p = 0; p < b; ++p) coef[(i - i0) * b + p] = c[p * n + i];
        }
        // Columns every row of the group has (j < i0), skipping K; then each row's tail.
        auto span_update = [&](size_t j0, size_t j1) {
          if (j0 >= j1) return;
          if (i1 - i0 == kRows) {
            float* rows[kRows];
            for (size_t r = 0; r < kRows; ++r) rows[r] = &a[(i0 + r) * n];
            UpdateRows4(rows, coef.data(), t.data(), n, b, j0, j1);
          } else {
            for (size_t i = i0; i < i1; ++i) UpdateRow(&a[i * n], &coef[(i - i0) * b], t.data(), n, b, j0, j1);
          }
        };
        bool in_k = i1 > k0 && i0 < k1;
        if (!in_k) {
          span_update(0, std::min(i0, k0));
          if (i0 > k1) span_update(k1, i0);
        }
        for (size_t i = i0; i < i1; ++i) {
          if (i >= k0 && i < k1) continue;
          size_t lo = in_k ? 0 : i0;
          // Row i's own columns [lo, i], minus K.
          size_t a0 = lo, a1 = std::min(i + 1, k0), b0 = std::max(lo, k1), b1 = i + 1;
          if (a0 < a1) UpdateRow(&a[i * n], &coef[(i - i0) * b], t.data(), n, b, a0, a1);
          if (b0 < b1) UpdateRow(&a[i * n], &coef[(i - i0) * b], t.data(), n, b, b0, b1);
        }
      }
    });
    // A_IK ← (D⁻¹ A_KI)ᵀ = T[:, i]; A_KK ← -D⁻¹.
    for (size_t i = k1; i < n; ++i) {
      for (size_t p = 0; p < b; ++p) a[i * n + k0 + p] = t[p * n + i];
    }
    for (size_t p = 0; p < b; ++p) {
      std::copy(&t[p * n], &t[p * n] + k0, &a[(k0 + p) * n]);
      for (size_t q = 0; q <= p; ++q) a[(k0 + p) * n + k0 + q] = static_cast<float>(-dinv[p * b + q]);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j <= i; ++j) a[i * n + j] = -a[i * n + j];
  }
  MirrorLower(a, n);
  return Status::Ok();
}

}  // namespace kgp::rec
