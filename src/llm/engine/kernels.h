// Matrix kernels of the engine: Y = X · Wᵀ for weights in F32, F16, Q8_0 or Q4_0 and a batch
// of activation rows, multithreaded over weight rows. Quantised weights multiply activations
// quantised to 8-bit blocks (BlockQ8A) with integer dot products, as llama.cpp does.
// The instruction set is chosen at run time (portable build): AVX-512 (VL, BW, VNNI) or AVX2
// (FMA, F16C) live in their own files compiled for that target (kernels_avx512.cc,
// kernels_avx2.cc) and are only called when the CPU has the features; a plain C++ path runs
// everywhere. AMX is never used. SetIsa forces a path (tests, the benchmark's baseline).
// Thread safety: MatMul is reentrant; SetIsa is a process-wide setting for tests and tools.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "llm/engine/gguf.h"
#include "llm/engine/quant.h"

namespace kgp::llm {

class ThreadPool;

enum class Isa : int { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };
const char* IsaName(Isa isa);
Isa DetectedIsa();            // the best the CPU supports
Isa ActiveIsa();              // the one MatMul uses
Isa SetIsa(Isa isa);          // clamped to DetectedIsa(); returns the one set

// A weight matrix: `rows` rows of `cols` elements, row r at data + r * row_bytes.
struct MatRef {
  GgmlType type = GgmlType::kF32;
  const uint8_t* data = nullptr;
  int64_t rows = 0, cols = 0;
  size_t row_bytes = 0;
};
// Types MatMul computes with directly.
bool IsComputeType(GgmlType t);

// Activations prepared for one weight type: F32 rows (F32/F16 weights) or BlockQ8A rows.
struct ActBuffer {
  GgmlType wtype = GgmlType::kF32;
  int64_t n = 0;        // elements per row
  int nt = 0;           // rows (tokens)
  const float* f32 = nullptr;   // F32/F16 weights: the caller's rows
  std::vector<BlockQ8A> q8;     // quantised weights
};
// Prepares nt rows of n floats (row stride n) for a product with weights of type wtype.
// x must outlive the buffer when wtype is F32 or F16.
void PrepareActivations(GgmlType wtype, const float* x, int nt, int64_t n, ActBuffer* a,
                        ThreadPool* pool);

// y[t * ldy + r] = dot(row r of w, activation row t), r < w.rows, t < a.nt. pool may be null.
// REQUIRES: a prepared for w.type with a.n == w.cols.
void MatMul(const MatRef& w, const ActBuffer& a, float* y, int64_t ldy, ThreadPool* pool);

// Kernel table of one instruction set (internal; exposed for the per-ISA files and tests).
// Each tile function computes y[t * ldy + r] for r < nr <= 4, t < nt <= 4.
struct KernelTable {
  void (*tile_f32)(const uint8_t* w, size_t wstride, int nr, const float* x, size_t xstride, int nt,
                   int64_t n, float* y, int64_t ldy);
  void (*tile_f16)(const uint8_t* w, size_t wstride, int nr, const float* x, size_t xstride, int nt,
                   int64_t n, float* y, int64_t ldy);
  void (*tile_q8_0)(const uint8_t* w, size_t wstride, int nr, const BlockQ8A* x, size_t xstride,
                    int nt, int64_t nb, float* y, int64_t ldy);
  void (*tile_q4_0)(const uint8_t* w, size_t wstride, int nr, const BlockQ8A* x, size_t xstride,
                    int nt, int64_t nb, float* y, int64_t ldy);
};
const KernelTable* KernelsScalar();
const KernelTable* KernelsAvx2();    // REQUIRES: DetectedIsa() >= kAvx2
const KernelTable* KernelsAvx512();  // REQUIRES: DetectedIsa() >= kAvx512

}  // namespace kgp::llm
