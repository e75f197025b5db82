#include "llm/engine/kernels.h"

#include <algorithm>
#include <atomic>

#include "llm/engine/thread_pool.h"

namespace kgp::llm {
namespace {

// The portable path: plain loops (the compiler may vectorise them for the baseline target).
void ScalarF32(const uint8_t* w, size_t ws, int nr, const float* x, size_t xs, int nt, int64_t n, float* y,
               int64_t ldy) {
  for (int r = 0; r < nr; ++r) {
    const float* wr = reinterpret_cast<const float*>(w + r * ws);
    for (int t = 0; t < nt; ++t) {
      const float* xt = x + t * xs;
      float s = 0;
      for (int64_t i = 0; i < n; ++i) s += wr[i] * xt[i];
      y[t * ldy + r] = s;
    }
  }
}

void ScalarF16(const uint8_t* w, size_t ws, int nr, const float* x, size_t xs, int nt, int64_t n, float* y,
               int64_t ldy) {
  std::vector<float> row(static_cast<size_t>(n));
  for (int r = 0; r < nr; ++r) {
    DequantizeRow(GgmlType::kF16, w + r * ws, row.data(), n);
    for (int t = 0; t < nt; ++t) {
      const float* xt = x + t * xs;
      float s = 0;
      for (int64_t i = 0; i < n; ++i) s += row[i] * xt[i];
      y[t * ldy + r] = s;
    }
  }
}

void ScalarQ8(const uint8_t* w, size_t ws, int nr, const BlockQ8A* x, size_t xs, int nt, int64_t nb, float* y,
              int64_t ldy) {
  for (int r = 0; r < nr; ++r) {
    const auto* wb = reinterpret_cast<const BlockQ8_0*>(w + r * ws);
    for (int t = 0; t < nt; ++t) {
      const BlockQ8A* xb = x + t * xs;
      float s = 0;
      for (int64_t b = 0; b < nb; ++b) {
        int32_t d = 0;
        for (int j = 0; j < kQK; ++j) d += wb[b].qs[j] * xb[b].qs[j];
        s += static_cast<float>(d) * (F16ToF32(wb[b].d) * xb[b].d);
      }
      y[t * ldy + r] = s;
    }
  }
}

void ScalarQ4(const uint8_t* w, size_t ws, int nr, const BlockQ8A* x, size_t xs, int nt, int64_t nb, float* y,
              int64_t ldy) {
  for (int r = 0; r < nr; ++r) {
    const auto* wb = reinterpret_cast<const BlockQ4_0*>(w + r * ws);
    for (int t = 0; t < nt; ++t) {
      const BlockQ8A* xb = x + t * xs;
      float s = 0;
      for (int64_t b = 0; b < nb; ++b) {
        int32_t d = xb[b].neg8sum;
        for (int j = 0; j < kQK / 2; ++j) {
          d += (wb[b].qs[j] & 0xF) * xb[b].qs[j] + (wb[b].qs[j] >> 4) * xb[b].qs[j + kQK / 2];
        }
        s += static_cast<float>(d) * (F16ToF32(wb[b].d) * xb[b].d);
      }
      y[t * ldy + r] = s;
    }
  }
}

const KernelTable kScalar = {ScalarF32, ScalarF16, ScalarQ8, ScalarQ4};

Isa Detect() {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") &&
      __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) {
    return Isa::kAvx512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) {
    return Isa::kAvx2;
  }
#endif
  return Isa::kScalar;
}

std::atomic<int>& ActiveSlot() {
  static std::atomic<int> slot{static_cast<int>(DetectedIsa())};
  return slot;
}

const KernelTable* Table() {
  switch (static_cast<Isa>(ActiveSlot().load(std::memory_order_relaxed))) {
#if defined(__x86_64__)
    case Isa::kAvx512: return KernelsAvx512();
    case Isa::kAvx2: return KernelsAvx2();
#endif
    default: return KernelsScalar();
  }
}

}  // namespace

const KernelTable* KernelsScalar() { return &kScalar; }

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kAvx512: return "avx512";
    case Isa::kAvx2: return "avx2";
    default: return "scalar";
  }
}

Isa DetectedIsa() {
  static const Isa isa = Detect();
  return isa;
}

Isa ActiveIsa() { return static_cast<Isa>(ActiveSlot().load()); }

Isa SetIsa(Isa isa) {
  Isa set = std::min(isa, DetectedIsa());
  ActiveSlot().store(static_cast<int>(set));
  return set;
}

bool IsComputeType(GgmlType t) {
  return t == GgmlType::kF32 || t == GgmlType::kF16 || t == GgmlType::kQ8_0 || t == GgmlType::kQ4_0;
}

void PrepareActivations(GgmlType wtype, const float* x, int nt, int64_t n, ActBuffer* a, ThreadPool* pool) {
  a->wtype = wtype;
  a->n = n;
  a->nt = nt;
  if (wtype == GgmlType::kF32 || wtype == GgmlType::kF16) {
    a->f32 = x;
    return;
  }
  a->f32 = nullptr;
  int64_t nb = n / kQK;
  a->q8.resize(static_cast<size_t>(nb * nt));
  auto work = [&](int tid, int nth) {
    int64_t b, e;
    SplitRange(nt, nth, tid, 1, &b, &e);
    for (int64_t t = b; t < e; ++t) QuantizeRowQ8A(x + t * n, a->q8.data() + t * nb, n);
  };
  if (pool != nullptr && nt > 1) {
    pool->Run(work);
  } else {
    work(0, 1);
  }
}

void MatMul(const MatRef& w, const ActBuffer& a, float* y, int64_t ldy, ThreadPool* pool) {
  const KernelTable* k = Table();
  const int64_t nb = w.cols / kQK;
  // Tokens in chunks that keep their activations in L2 while the rows of a thread stream by.
  constexpr int kTokenChunk = 64;
  auto tile = [&](int64_t r0, int nr, int t0, int nt) {
    const uint8_t* wr = w.data + r0 * w.row_bytes;
    float* yt = y + t0 * ldy + r0;
    switch (w.type) {
      case GgmlType::kF32:
        k->tile_f32(wr, w.row_bytes, nr, a.f32 + t0 * a.n, static_cast<size_t>(a.n), nt, w.cols, yt, ldy);
        break;
      case GgmlType::kF16:
        k->tile_f16(wr, w.row_bytes, nr, a.f32 + t0 * a.n, static_cast<size_t>(a.n), nt, w.cols, yt, ldy);
        break;
      case GgmlType::kQ8_0:
        k->tile_q8_0(wr, w.row_bytes, nr, a.q8.data() + t0 * nb, static_cast<size_t>(nb), nt, nb, yt, ldy);
        break;
      case GgmlType::kQ4_0:
        k->tile_q4_0(wr, w.row_bytes, nr, a.q8.data() + t0 * nb, static_cast<size_t>(nb), nt, nb, yt, ldy);
        break;
      default:
        break;  // REQUIRES: IsComputeType(w.type) (the loader converts other types)
    }
  };
  auto work = [&](int tid, int nth) {
    int64_t rb, re;
    SplitRange(w.rows, nth, tid, 4, &rb, &re);
    for (int tc = 0; tc < a.nt; tc += kTokenChunk) {
      int tce = std::min(a.nt, tc + kTokenChunk);
      for (int64_t r = rb; r < re; r += 4) {
        int nr = static_cast<int>(std::min<int64_t>(4, re - r));
        for (int t = tc; t < tce; t += 4) tile(r, nr, t, std::min(4, tce - t));
      }
    }
  };
  if (pool != nullptr) {
    pool->Run(work);
  } else {
    work(0, 1);
  }
}

}  // namespace kgp::llm
