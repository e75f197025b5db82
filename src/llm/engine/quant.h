// Block formats of the weight types the engine computes with (ggml's layouts, so a GGUF
// tensor is used in place), F16 conversion, quantisation of rows and dequantisation of every
// type the loader accepts. Formats: docs/llm-engine.md.
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "llm/engine/gguf.h"

namespace kgp::llm {

constexpr int kQK = 32;   // elements per Q8_0 / Q4_0 block
constexpr int kQKK = 256;  // elements per K-quant super-block

// ggml block_q8_0: scale d (F16) and 32 signed bytes; x = d * q.
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQK];
};
// ggml block_q4_0: scale d (F16) and 32 nibbles; element j < 16 is the low nibble of qs[j],
// element j + 16 the high nibble; x = d * (q - 8).
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQK / 2];
};
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_0) == 18, "ggml block sizes");

// Activations quantised for the integer dot products (the engine's own, in memory only):
// like Q8_0 with an F32 scale, plus -8 * sum(qs) so that a Q4_0 dot product can use the
// unsigned nibbles directly: sum((w - 8) * q) = sum(w * q) - 8 * sum(q).
struct BlockQ8A {
  float d;
  int32_t neg8sum;
  int8_t qs[kQK];
};
static_assert(sizeof(BlockQ8A) == 40, "activation block");

float F16ToF32(uint16_t h);
uint16_t F32ToF16(float f);  // round to nearest even, like F16C

// Row quantisation as ggml's reference functions (n a multiple of 32).
void QuantizeRowQ8_0(const float* x, BlockQ8_0* y, int64_t n);
void QuantizeRowQ4_0(const float* x, BlockQ4_0* y, int64_t n);
void QuantizeRowQ8A(const float* x, BlockQ8A* y, int64_t n);
void QuantizeRowF16(const float* x, uint16_t* y, int64_t n);

// Types DequantizeRow accepts: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K.
bool CanDequantize(GgmlType t);
// dst[0..n) = row of type t at src. REQUIRES: CanDequantize(t), n a multiple of the block.
void DequantizeRow(GgmlType t, const void* src, float* dst, int64_t n);

}  // namespace kgp::llm
