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

// A weight matrix: `rows` rows of `cols` elements, row r at data + r * row_bytes; or, when
// packed, groups of 8 rows (PackRows8), group g at data + g * row_bytes.
struct MatRef {
  GgmlType type = GgmlType::kF32;
  const uint8_t* data = nullptr;
  int64_t rows = 0, cols = 0;
  size_t row_bytes = 0;
  bool packed = false;
};
// Types MatMul computes with directly.
bool IsComputeType(GgmlType t);

// Packed layout of Q8_0 and Q4_0 weights (made once at load): rows in groups of 8, so that one
// 32-bit SIMD lane holds one row and a block of activations is broadcast to all of them. Per
// group and block of 32 columns: the 8 row scales (F16, 16 bytes), then the quants in 4-byte
// pieces interleaved across the rows, piece m of row i at 16 + 32 * m + 4 * i. Q4_0: the 4
// pieces of the 16 nibble bytes as in the file (piece m holds elements 4m..4m+3 and
// 16+4m..16+4m+3), 144 bytes a block; Q8_0: the 8 pieces of the 32 quants stored plus 128
// (unsigned bytes, so that vpdpbusd takes them as they are; the activations' sum corrects
// it), 272 bytes a block. The last group is padded with zero rows.
constexpr int kPackRows = 8;
constexpr int kPackedTokens = 8;  // activation rows a packed kernel call takes at most
// Bytes of one block of 32 columns of a packed group (8 scales, then the quants).
constexpr size_t PackedBlockBytes(bool q4) { return q4 ? 16 + 128 : 16 + 256; }
bool CanPack(GgmlType t);         // Q8_0 and Q4_0
size_t PackedBytes(GgmlType t, int64_t rows, int64_t cols);
// Writes w (rows layout, REQUIRES CanPack(w.type)) to dst (PackedBytes bytes) and returns the
// packed matrix, which points into dst.
MatRef PackRows8(const MatRef& w, uint8_t* dst);

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
// Each tile function computes y[t * ldy + r] for r < nr <= 4, t < nt <= 4; each group function
// y[t * ldy + i] for the rows i < nr <= 8 of the packed group at g, t < nt <= kPackedTokens.
struct KernelTable {
  void (*tile_f32)(const uint8_t* w, size_t wstride, int nr, const float* x, size_t xstride, int nt,
                   int64_t n, float* y, int64_t ldy);
  void (*tile_f16)(const uint8_t* w, size_t wstride, int nr, const float* x, size_t xstride, int nt,
                   int64_t n, float* y, int64_t ldy);
  void (*tile_q8_0)(const uint8_t* w, size_t wstride, int nr, const BlockQ8A* x, size_t xstride,
                    int nt, int64_t nb, float* y, int64_t ldy);
  void (*tile_q4_0)(const uint8_t* w, size_t wstride, int nr, const BlockQ8A* x, size_t xstride,
                    int nt, int64_t nb, float* y, int64_t ldy);
  void (*group_q8_0)(const uint8_t* g, int nr, const BlockQ8A* x, size_t xstride, int nt, int64_t nb, float* y,
                     int64_t ldy);
  void (*group_q4_0)(const uint8_t* g, int nr, const BlockQ8A* x, size_t xstride, int nt, int64_t nb, float* y,
                     int64_t ldy);
  // QuantizeRowQ8A (bit for bit: round half to even, as nearbyint).
  void (*quantize_q8a)(const float* x, BlockQ8A* y, int64_t n);
  // One query head over n_kv cached positions (key j at k + j * kv_stride, value likewise):
  // out[0..hd) = sum_j softmax_j(scale * q·k_j) v_j; scores holds n_kv floats of scratch.
  void (*attend)(const float* q, const float* k, const float* v, size_t kv_stride, int n_kv, int hd, float scale,
                 float* scores, float* out);
};
// The kernels MatMul uses now (ActiveIsa), for the model's other vector work.
const KernelTable* ActiveKernels();
const KernelTable* KernelsScalar();
const KernelTable* KernelsAvx2();    // REQUIRES: DetectedIsa() >= kAvx2
const KernelTable* KernelsAvx512();  // REQUIRES: DetectedIsa() >= kAvx512

}  // namespace kgp::llm
