#include "llm/engine/kernels.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

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

template <bool kQ4>
void ScalarGroup(const uint8_t* g, int nr, const BlockQ8A* x, size_t xs, int nt, int64_t nb, float* y,
                 int64_t ldy) {
  constexpr size_t kBlock = PackedBlockBytes(kQ4);
  for (int t = 0; t < nt; ++t) {
    float acc[kPackRows] = {};
    for (int64_t b = 0; b < nb; ++b) {
      const uint8_t* p = g + b * kBlock;
      const BlockQ8A& q = x[t * xs + b];
      for (int i = 0; i < kPackRows; ++i) {
        // Q8_0 quants are stored plus 128: sum((w + 128) * q) = sum(w * q) - 16 * neg8sum.
        int32_t s = kQ4 ? q.neg8sum : 16 * q.neg8sum;
        for (int m = 0; m < (kQ4 ? 4 : 8); ++m) {
          for (int j = 0; j < 4; ++j) {
            const uint8_t v = p[16 + 32 * m + 4 * i + j];
            if constexpr (kQ4) {
              s += (v & 0xF) * q.qs[4 * m + j] + (v >> 4) * q.qs[16 + 4 * m + j];
            } else {
              s += v * q.qs[4 * m + j];
            }
          }
        }
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        acc[i] += static_cast<float>(s) * (F16ToF32(h) * q.d);
      }
    }
    for (int i = 0; i < nr; ++i) y[t * ldy + i] = acc[i];
  }
}

void ScalarAttend(const float* q, const float* k, const float* v, size_t kv_stride, int n_kv, int hd, float scale,
                  float* sc, float* out) {
  float mx = -INFINITY;
  for (int j = 0; j < n_kv; ++j) {
    const float* kj = k + j * kv_stride;
    float s = 0;
    for (int i = 0; i < hd; ++i) s += q[i] * kj[i];
    sc[j] = s * scale;
    mx = std::max(mx, sc[j]);
  }
  double sum = 0;
  for (int j = 0; j < n_kv; ++j) {
    sc[j] = std::exp(sc[j] - mx);
    sum += sc[j];
  }
  const float inv = static_cast<float>(1.0 / sum);
  std::fill(out, out + hd, 0.0f);
  for (int j = 0; j < n_kv; ++j) {
    const float p = sc[j] * inv;
    const float* vj = v + j * kv_stride;
    for (int i = 0; i < hd; ++i) out[i] += p * vj[i];
  }
}

const KernelTable kScalar = {ScalarF32,          ScalarF16,         ScalarQ8,       ScalarQ4,
                             ScalarGroup<false>, ScalarGroup<true>, QuantizeRowQ8A, ScalarAttend};

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
const KernelTable* ActiveKernels() { return Table(); }

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

bool CanPack(GgmlType t) { return t == GgmlType::kQ8_0 || t == GgmlType::kQ4_0; }

size_t PackedBytes(GgmlType t, int64_t rows, int64_t cols) {
  const int64_t groups = (rows + kPackRows - 1) / kPackRows;
  return static_cast<size_t>(groups * (cols / kQK)) * PackedBlockBytes(t == GgmlType::kQ4_0);
}

MatRef PackRows8(const MatRef& w, uint8_t* dst) {
  const bool q4 = w.type == GgmlType::kQ4_0;
  const int64_t nb = w.cols / kQK, groups = (w.rows + kPackRows - 1) / kPackRows;
  const size_t block = PackedBlockBytes(q4), src_block = q4 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0);
  std::memset(dst, 0, PackedBytes(w.type, w.rows, w.cols));
  for (int64_t g = 0; g < groups; ++g) {
    for (int i = 0; i < kPackRows && g * kPackRows + i < w.rows; ++i) {
      const uint8_t* row = w.data + (g * kPackRows + i) * w.row_bytes;
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* s = row + b * src_block;  // F16 scale, then the quants
        uint8_t* p = dst + static_cast<size_t>(g * nb + b) * block;
        std::memcpy(p + 2 * i, s, 2);
        for (int m = 0; m < (q4 ? 4 : 8); ++m) {
          for (int j = 0; j < 4; ++j) {
            const uint8_t v = s[2 + 4 * m + j];
            p[16 + 32 * m + 4 * i + j] = q4 ? v : static_cast<uint8_t>(v ^ 0x80);
          }
        }
      }
    }
  }
  MatRef out = w;
  out.data = dst;
  out.row_bytes = static_cast<size_t>(nb) * block;
  out.packed = true;
  return out;
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
  auto quantize = Table()->quantize_q8a;
  auto work = [&](int tid, int nth) {
    int64_t b, e;
    SplitRange(nt, nth, tid, 1, &b, &e);
    for (int64_t t = b; t < e; ++t) quantize(x + t * n, a->q8.data() + t * nb, n);
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
  auto packed = [&](int tid, int nth) {
    auto group = w.type == GgmlType::kQ4_0 ? k->group_q4_0 : k->group_q8_0;
    int64_t gb, ge;
    SplitRange((w.rows + kPackRows - 1) / kPackRows, nth, tid, 1, &gb, &ge);
    for (int tc = 0; tc < a.nt; tc += kTokenChunk) {
      int tce = std::min(a.nt, tc + kTokenChunk);
      for (int64_t g = gb; g < ge; ++g) {
        int nr = static_cast<int>(std::min<int64_t>(kPackRows, w.rows - g * kPackRows));
        for (int t = tc; t < tce; t += kPackedTokens) {
          group(w.data + g * w.row_bytes, nr, a.q8.data() + t * nb, static_cast<size_t>(nb),
                std::min(kPackedTokens, tce - t), nb, y + t * ldy + g * kPackRows, ldy);
        }
      }
    }
  };
  auto work = [&](int tid, int nth) {
    if (w.packed) return packed(tid, nth);
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
