// AVX-512 (F, BW, VL, VNNI) kernels (compiled with those flags only; see CMakeLists.txt):
// 16-wide float products, and VNNI byte dot products (vpdpbusd) on 256-bit vectors for the
// quantised types. Called only when the CPU has them (kernels.cc).
#include "llm/engine/kernels.h"

#if defined(__x86_64__)

#define KGP_KERNEL_NS avx512
#include "llm/engine/kernels_x86.inc"

namespace kgp::llm {
const KernelTable* KernelsAvx512() { return &avx512::kTable; }
}  // namespace kgp::llm
#endif  // __x86_64__
