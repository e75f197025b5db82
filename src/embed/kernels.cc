#include "embed/kernels.h"

#include <algorithm>
#include <cmath>

#include "embed/simd.h"

namespace kgp::embed::kernels {

KGP_SIMD_CLONES float Dot(const float* a, const float* b, size_t d) {
  float s = 0;
  for (size_t i = 0; i < d; ++i) s += a[i] * b[i];
  return s;
}

KGP_SIMD_CLONES float SquaredL2(const float* a, const float* b, size_t d) {
  float s = 0;
  for (size_t i = 0; i < d; ++i) {
    const float x = a[i] - b[i];
    s += x * x;
  }
  return s;
}

KGP_SIMD_CLONES float TransDist(const float* h, const float* r, const float* t, size_t d, int p) {
  float s = 0;
  if (p == 1) {
    for (size_t i = 0; i < d; ++i) s += std::fabs(h[i] + r[i] - t[i]);
    return s;
  }
  for (size_t i = 0; i < d; ++i) {
    float x = h[i] + r[i] - t[i];
    s += x * x;
  }
  return std::sqrt(s);
}

KGP_SIMD_CLONES void TransDistGrad(const float* h, const float* r, const float* t, size_t d, int p, float g,
                                   float* gh, float* gr, float* gt) {
  // score = -dist; d(score)/dh = -d(dist)/dx with x = h + r - t. The step s is computed into
  // a local chunk first and then added to each output in its own loop: the outputs may be
  // the same buffer for a caller, and with one output a loop the compiler can vectorise.
  const float k = p == 1 ? -g : [&] {
    const float n = TransDist(h, r, t, d, 2);
    return n > 1e-12f ? -g / n : 0.0f;
  }();
  constexpr size_t kChunk = 256;
  float s[kChunk];
  for (size_t b = 0; b < d; b += kChunk) {
    const size_t m = std::min(kChunk, d - b);
    const float *hb = h + b, *rb = r + b, *tb = t + b;
    if (p == 1) {
      for (size_t i = 0; i < m; ++i) s[i] = k * std::copysign(1.0f, hb[i] + rb[i] - tb[i]);  // sign(0) = +: a subgradient
    } else {
      for (size_t i = 0; i < m; ++i) s[i] = k * (hb[i] + rb[i] - tb[i]);
    }
    for (size_t i = 0; i < m; ++i) gh[b + i] += s[i];
    for (size_t i = 0; i < m; ++i) gr[b + i] += s[i];
    for (size_t i = 0; i < m; ++i) gt[b + i] -= s[i];
  }
}

namespace {
KGP_SIMD_CLONES void ScoreRange(int form, float gamma, const float* q, const float* rows, size_t n, size_t d,
                                float* out) {
  size_t k = d / 2;
  for (size_t e = 0; e < n; ++e) {
    const float* x = rows + e * d;
    float s = 0;
    switch (form) {
      case 0:
        for (size_t i = 0; i < d; ++i) s += q[i] * x[i];
        out[e] = s;
        break;
      case 1:
        for (size_t i = 0; i < d; ++i) s += std::fabs(q[i] - x[i]);
        out[e] = gamma - s;
        break;
      case 2:
        for (size_t i = 0; i < d; ++i) s += (q[i] - x[i]) * (q[i] - x[i]);
        out[e] = gamma - std::sqrt(s);
        break;
      default:
        for (size_t i = 0; i < k; ++i) {
          float a = q[i] - x[i], b = q[k + i] - x[k + i];
          s += std::sqrt(a * a + b * b);
        }
        out[e] = gamma - s;
    }
  }
}
}  // namespace

void ScoreBlock(int form, float gamma, const float* queries, size_t nq, const float* rows, size_t n, size_t d,
                float* out) {
  size_t block = std::max<size_t>(64, (size_t{128} << 10) / (d * sizeof(float)));  // ~128 KiB of rows
  for (size_t b = 0; b < n; b += block) {
    size_t m = std::min(block, n - b);
    for (size_t j = 0; j < nq; ++j) ScoreRange(form, gamma, queries + j * d, rows + b * d, m, d, out + j * n + b);
  }
}

void ClipNorm(float* x, size_t d, float r) {
  float n = std::sqrt(Dot(x, x, d));
  if (n > r) {
    float k = r / n;
    for (size_t i = 0; i < d; ++i) x[i] *= k;
  }
}

KGP_SIMD_CLONES void Axpy(float a, const float* x, float* y, size_t d) {
  for (size_t i = 0; i < d; ++i) y[i] += a * x[i];
}

KGP_SIMD_CLONES void CopyRow(const float* shared, float* local, float* base, size_t d) {
  for (size_t i = 0; i < d; ++i) local[i] = base[i] = shared[i];
}

KGP_SIMD_CLONES void MergeDelta(float* shared, float* local, float* base, size_t d) {
  for (size_t i = 0; i < d; ++i) {
    float v = shared[i] + (local[i] - base[i]);
    shared[i] = v;
    local[i] = v;
    base[i] = v;
  }
}

}  // namespace kgp::embed::kernels

namespace kgp::embed::kernels {

namespace {
inline float SinHalfPi(float x) {  // |x| <= pi/2, Taylor to x^11 (error < 6e-8)
  float x2 = x * x;
  return x * (1.0f + x2 * (-1.0f / 6 + x2 * (1.0f / 120 + x2 * (-1.0f / 5040 + x2 * (1.0f / 362880 +
                                                                                     x2 * (-1.0f / 39916800))))));
}
inline float SinReduced(float x) {  // any x: reduce to [-pi, pi], then fold to [-pi/2, pi/2]
  constexpr float kPi = 3.14159265358979f, kTwoPi = 6.28318530717959f, kHalfPi = 1.57079632679490f;
  x -= kTwoPi * std::nearbyint(x * (1.0f / kTwoPi));
  x = x > kHalfPi ? kPi - x : x;
  x = x < -kHalfPi ? -kPi - x : x;
  return SinHalfPi(x);
}
}  // namespace

KGP_SIMD_CLONES void SinCos(const float* x, float* s, float* c, size_t k) {
  constexpr float kHalfPi = 1.57079632679490f;
  for (size_t i = 0; i < k; ++i) {
    s[i] = SinReduced(x[i]);
    c[i] = SinReduced(x[i] + kHalfPi);
  }
}

}  // namespace kgp::embed::kernels
