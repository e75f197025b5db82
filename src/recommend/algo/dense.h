// Dense symmetric positive definite inversion for EASE (an item × item Gram matrix plus a
// ridge). Two backends, chosen at build time:
//  - OpenBLAS's LAPACK (spotrf + spotri: Cholesky, then the inverse from the factor) when
//    CMake finds the `openblas` pkg-config module (scripts/install-deps.sh installs it). Only
//    single-precision LAPACK/BLAS routines are called; OpenBLAS 0.3.21 uses AMX only in its
//    bf16 routines, so no AMX instruction runs whatever core it detects.
//  - otherwise a built-in blocked symmetric sweep (Gauss-Jordan on the lower triangle, n^3
//    flops), its kernel compiled for AVX-512, AVX2 and baseline x86-64 and picked at run time.
// Both work in single precision: fine for the well-conditioned G + λI of EASE, not a general
// solver.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "common/status.h"

namespace kgp::rec {

// Replaces the symmetric positive definite n × n matrix a (row-major, both triangles filled)
// by its inverse (both triangles). InvalidArgument when a is not positive definite (a pivot
// <= 0). threads: worker threads for the backend.
Status InvertSpd(std::span<float> a, size_t n, int threads);
// The built-in backend, whatever the build has (tests compare the two).
Status InvertSpdBuiltin(std::span<float> a, size_t n, int threads);
// "OpenBLAS <core>" or "built-in sweep" (printed in the harness log).
std::string DenseBackend();

}  // namespace kgp::rec
