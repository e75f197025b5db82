// Vector kernels shared by the models: plain loops the compiler vectorises, each compiled for
// several instruction sets and chosen at run time (simd.h). d is the row width in floats.
// Complex rows hold d/2 real parts followed by d/2 imaginary parts.
#pragma once

#include <cstddef>

namespace kgp::embed::kernels {

float Dot(const float* a, const float* b, size_t d);
// sum (a[i] - b[i])^2
float SquaredL2(const float* a, const float* b, size_t d);
// sum |h + r - t|^p for p = 1, or sqrt of the sum of squares for p = 2.
float TransDist(const float* h, const float* r, const float* t, size_t d, int p);
// g * d(-dist)/d(h): adds to gh and gr, subtracts from gt (p = 1: sign; p = 2: unit vector).
void TransDistGrad(const float* h, const float* r, const float* t, size_t d, int p, float g, float* gh,
                   float* gr, float* gt);
// Scores nq queries against n rows of width d: out[j * n + i] = f(q_j, row_i) with f by form
// (Model::Form order): 0 dot, 1 gamma - L1 distance, 2 gamma - L2 distance, 3 gamma - sum of
// complex moduli (rows as d/2 real parts then d/2 imaginary parts). Rows are processed in
// blocks that stay in cache while every query visits them.
void ScoreBlock(int form, float gamma, const float* queries, size_t nq, const float* rows, size_t n, size_t d,
                float* out);
// Scales x (width d) down to L2 norm r when it is longer.
void ClipNorm(float* x, size_t d, float r);
// y += a * x
void Axpy(float a, const float* x, float* y, size_t d);
// A thread's copy of a shared row: shared += local - base, then local = base = shared.
void MergeDelta(float* shared, float* local, float* base, size_t d);
// local = base = shared (reads the shared row only).
void CopyRow(const float* shared, float* local, float* base, size_t d);

}  // namespace kgp::embed::kernels

namespace kgp::embed::kernels {
// s[i] = sin(x[i]), c[i] = cos(x[i]) (polynomial, |error| < 1e-6 for |x| < 1e4; vectorises).
void SinCos(const float* x, float* s, float* c, size_t k);
}  // namespace kgp::embed::kernels
