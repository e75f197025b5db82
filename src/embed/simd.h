// Run-time SIMD selection for the embedding kernels: functions marked KGP_SIMD_CLONES are
// compiled for AVX-512, AVX2 and plain x86-64, and the loader picks the best the CPU has
// (GCC ifunc, by CPU feature rather than CPU model). The build stays portable; AMX is never
// targeted.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(KGP_NO_SIMD_CLONES)
#define KGP_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KGP_SIMD_CLONES
#endif
