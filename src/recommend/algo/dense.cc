#include "recommend/algo/dense.h"

#include <algorithm>

#include <fmt/format.h>

#ifdef KGP_HAVE_OPENBLAS
extern "C" {
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info);
void spotri_(const char* uplo, const int* n, float* a, const int* lda, int* info);
void openblas_set_num_threads(int n);
char* openblas_get_corename();
}
#endif

namespace kgp::rec {

// Copies the lower triangle (row-major) onto the upper one, in tiles to stay in cache.
void MirrorLower(std::span<float> a, size_t n) {
  constexpr size_t kTile = 64;
  for (size_t ib = 0; ib < n; ib += kTile) {
    for (size_t jb = 0; jb <= ib; jb += kTile) {
      for (size_t i = ib; i < std::min(n, ib + kTile); ++i) {
        for (size_t j = jb; j < std::min(i, jb + kTile); ++j) a[j * n + i] = a[i * n + j];
      }
    }
  }
}

Status InvertSpd(std::span<float> a, size_t n, int threads) {
  if (a.size() != n * n) return Status::InvalidArgument("InvertSpd: size mismatch");
  if (n == 0) return Status::Ok();
#ifdef KGP_HAVE_OPENBLAS
  if (n > static_cast<size_t>(INT32_MAX / 2)) return Status::InvalidArgument("InvertSpd: matrix too large");
  openblas_set_num_threads(std::max(1, threads));
  int dim = static_cast<int>(n), info = 0;
  // Row-major upper == column-major lower: 'L' works on (and fills) the row-major upper.
  const char uplo = 'L';
  spotrf_(&uplo, &dim, a.data(), &dim, &info);
  if (info > 0) {
    return Status::InvalidArgument(
        fmt::format("matrix not positive definite (leading minor {} of {})", info, n));
  }
  if (info < 0) return Status::Internal(fmt::format("spotrf: argument {} invalid", -info));
  spotri_(&uplo, &dim, a.data(), &dim, &info);
  if (info != 0) return Status::Internal(fmt::format("spotri failed (info {})", info));
  // Upper → lower.
  constexpr size_t kTile = 64;
  for (size_t ib = 0; ib < n; ib += kTile) {
    for (size_t jb = 0; jb <= ib; jb += kTile) {
      for (size_t i = ib; i < std::min(n, ib + kTile); ++i) {
        for (size_t j = jb; j < std::min(i, jb + kTile); ++j) a[i * n + j] = a[j * n + i];
      }
    }
  }
  return Status::Ok();
#else
  return InvertSpdBuiltin(a, n, threads);
#endif
}

std::string DenseBackend() {
#ifdef KGP_HAVE_OPENBLAS
  return fmt::format("OpenBLAS ({})", openblas_get_corename());
#else
  return "built-in sweep";
#endif
}

}  // namespace kgp::rec
