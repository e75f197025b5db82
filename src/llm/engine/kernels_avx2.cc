// AVX2 + FMA + F16C kernels (compiled with those flags only; see CMakeLists.txt). Called only
// when the CPU has them (kernels.cc).
#include "llm/engine/kernels.h"

#if defined(__x86_64__)

#define KGP_KERNEL_NS avx2
#include "llm/engine/kernels_x86.inc"

namespace kgp::llm {
const KernelTable* KernelsAvx2() { return &avx2::kTable; }
}  // namespace kgp::llm
#endif  // __x86_64__
