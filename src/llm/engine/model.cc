#include "llm/engine/model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include <unistd.h>

#include <fmt/format.h>

#include "llm/engine/quant.h"

namespace kgp::llm {
namespace {

// y = x / sqrt(mean(x²) + eps) * w, the sum in double as ggml does.
void RmsNorm(const float* x, const float* w, float* y, int n, float eps) {
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float scale = 1.0f / std::sqrt(static_cast<float>(sum / n) + eps);
  for (int i = 0; i < n; ++i) y[i] = (x[i] * scale) * w[i];
}

// Rotates one head in place. Normal (llama): pairs (2i, 2i+1); neox (qwen2): (i, i + n_rot/2).
void Rope(float* v, const float* cs, const float* sn, int n_rot, bool neox) {
  const int half = n_rot / 2;
  for (int i = 0; i < half; ++i) {
    const int a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
    const float x0 = v[a], x1 = v[b];
    v[a] = x0 * cs[i] - x1 * sn[i];
    v[b] = x0 * sn[i] + x1 * cs[i];
  }
}

// Values per token of one activation vector (the embedding, the feed-forward layer, all heads'
// queries or keys): real models have at most some tens of thousands. Products of two
// hyperparameters are taken in 64 bits and checked against it before anything is sized from
// them, so that offsets within one token's vector fit an int (offsets across tokens are size_t).
constexpr int64_t kMaxWidth = int64_t{1} << 20;

// Bytes of memory on this machine; 0 when unknown.
double PhysicalMemoryBytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0;
}

// An unsupported type, named as the error says it.
Status UnsupportedType(const GgufFile& f, const std::string& name, GgmlType t) {
  const char* type = TypeInfo(t).name;
  return Status::InvalidArgument(fmt::format("{}: tensor {} has type {}, which the engine does not support", f.path(),
                                             name, type ? type : "unknown"));
}

}  // namespace

Model::~Model() = default;

Result<std::unique_ptr<Model>> Model::Load(const std::string& path, const ModelOptions& opt) {
  auto f = GgufFile::Open(path);
  if (!f.ok()) return f.status();
  return FromGguf(std::move(f).value(), opt);
}

Result<std::unique_ptr<Model>> Model::FromGguf(std::unique_ptr<GgufFile> file, const ModelOptions& opt) {
  std::unique_ptr<Model> m(new Model());
  KGP_RETURN_IF_ERROR(m->Init(std::move(file), opt));
  return m;
}

uint64_t Model::kv_bytes() const { return (k_cache_.size() + v_cache_.size()) * sizeof(float); }

Result<MatRef> Model::LoadMatrix(const std::string& name, int64_t cols, int64_t rows, bool pack) {
  const GgufTensor* t = file_->FindTensor(name);
  if (t == nullptr) return Status::InvalidArgument(fmt::format("{}: tensor {} is missing", file_->path(), name));
  if (t->dims.size() != 2 || static_cast<int64_t>(t->dims[0]) != cols || static_cast<int64_t>(t->dims[1]) != rows) {
    return Status::InvalidArgument(fmt::format("{}: tensor {} has shape {}, expected [{}, {}]", file_->path(), name,
                                               fmt::join(t->dims, "x"), cols, rows));
  }
  MatRef m;
  m.rows = rows;
  m.cols = cols;
  if (IsComputeType(t->type)) {
    m.type = t->type;
    m.data = t->data;
    m.row_bytes = RowBytes(t->type, static_cast<uint64_t>(cols));
    if (pack && CanPack(m.type)) {
      m = Pack(m);
      // The file's copy is not read again: let its pages go (they come back from the file
      // if anything touches them).
      file_->Release(t->data, t->nbytes);
      return m;
    }
    weight_bytes_ += t->nbytes;
    return m;
  }
  if (!CanDequantize(t->type)) return UnsupportedType(*file_, name, t->type);
  // Converted once: Q8_0 keeps it small and on the integer path; F32 when rows do not split in blocks.
  m.type = cols % kQK == 0 ? GgmlType::kQ8_0 : GgmlType::kF32;
  m.row_bytes = RowBytes(m.type, static_cast<uint64_t>(cols));
  const size_t src_row = RowBytes(t->type, static_cast<uint64_t>(cols));
  auto buf = std::make_unique<uint8_t[]>(m.row_bytes * static_cast<size_t>(rows));
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    DequantizeRow(t->type, t->data + r * src_row, row.data(), cols);
    uint8_t* dst = buf.get() + r * m.row_bytes;
    if (m.type == GgmlType::kQ8_0) {
      QuantizeRowQ8_0(row.data(), reinterpret_cast<BlockQ8_0*>(dst), cols);
    } else {
      std::memcpy(dst, row.data(), row.size() * 4);
    }
  }
  m.data = buf.get();
  if (pack && CanPack(m.type)) return Pack(m);  // the converted rows are dropped
  weight_bytes_ += m.row_bytes * static_cast<size_t>(rows);
  converted_.push_back(std::move(buf));
  return m;
}

MatRef Model::Pack(const MatRef& m) {
  const size_t bytes = PackedBytes(m.type, m.rows, m.cols);
  auto buf = std::make_unique<uint8_t[]>(bytes);
  MatRef packed = PackRows8(m, buf.get());
  weight_bytes_ += bytes;
  converted_.push_back(std::move(buf));
  return packed;
}

Result<std::vector<float>> Model::LoadVector(const std::string& name, int64_t n, bool optional) {
  const GgufTensor* t = file_->FindTensor(name);
  if (t == nullptr) {
    if (optional) return std::vector<float>();
    return Status::InvalidArgument(fmt::format("{}: tensor {} is missing", file_->path(), name));
  }
  // The type first: an I32 or F64 vector of the right length was reported as "must be 64
  // numbers" though it had 64.
  if (!CanDequantize(t->type)) return UnsupportedType(*file_, name, t->type);
  if (static_cast<int64_t>(t->elements()) != n || RowBytes(t->type, static_cast<uint64_t>(n)) == 0) {
    return Status::InvalidArgument(fmt::format("{}: tensor {} has {} numbers, expected {}", file_->path(), name,
                                               t->elements(), n));
  }
  std::vector<float> v(static_cast<size_t>(n));
  DequantizeRow(t->type, t->data, v.data(), n);
  weight_bytes_ += t->nbytes;
  return v;
}

Status Model::Init(std::unique_ptr<GgufFile> file, const ModelOptions& opt) {
  file_ = std::move(file);
  const GgufFile& f = *file_;
  auto arch = f.GetString("general.architecture");
  if (!arch.ok()) return arch.status();
  hp_.arch_name = *arch;
  if (hp_.arch_name == "llama") {
    hp_.arch = Arch::kLlama;
  } else if (hp_.arch_name == "qwen2") {
    hp_.arch = Arch::kQwen2;
    hp_.rope_neox = true;
  } else {
    return Status::InvalidArgument(
        fmt::format("{}: architecture {} is not supported (llama, qwen2)", f.path(), hp_.arch_name));
  }
  const std::string a = hp_.arch_name + ".";
  auto get_int = [&](const std::string& key, int* out, int64_t dflt, bool required, int64_t max = 1 << 30) -> Status {
    auto v = required ? f.GetUInt(key) : f.GetUInt(key, static_cast<uint64_t>(dflt));
    if (!v.ok()) return v.status();
    if (*v > static_cast<uint64_t>(max)) {
      return Status::InvalidArgument(fmt::format("{}: {} = {} is out of range (at most {})", f.path(), key, *v, max));
    }
    *out = static_cast<int>(*v);
    return Status::Ok();
  };
  KGP_RETURN_IF_ERROR(get_int(a + "embedding_length", &hp_.n_embd, 0, true, kMaxWidth));
  KGP_RETURN_IF_ERROR(get_int(a + "block_count", &hp_.n_layer, 0, true));
  KGP_RETURN_IF_ERROR(get_int(a + "feed_forward_length", &hp_.n_ff, 0, true, kMaxWidth));
  KGP_RETURN_IF_ERROR(get_int(a + "attention.head_count", &hp_.n_head, 0, true));
  KGP_RETURN_IF_ERROR(get_int(a + "attention.head_count_kv", &hp_.n_head_kv, hp_.n_head, false));
  KGP_RETURN_IF_ERROR(get_int(a + "context_length", &hp_.n_ctx_train, 2048, false));
  if (hp_.n_embd <= 0 || hp_.n_layer <= 0 || hp_.n_ff <= 0 || hp_.n_head <= 0 || hp_.n_head_kv <= 0 ||
      hp_.n_head % hp_.n_head_kv != 0 || hp_.n_embd % hp_.n_head != 0) {
    return Status::InvalidArgument(fmt::format(
        "{}: inconsistent hyperparameters (embedding {}, layers {}, ffn {}, heads {}, kv heads {})", f.path(),
        hp_.n_embd, hp_.n_layer, hp_.n_ff, hp_.n_head, hp_.n_head_kv));
  }
  KGP_RETURN_IF_ERROR(get_int(a + "attention.key_length", &hp_.head_dim, hp_.n_embd / hp_.n_head, false, kMaxWidth));
  // In int, 64 heads × (2^26 + 1) wrapped to 64: [64, 64] q/k/v matrices passed the shape checks
  // and the first decode wrote gigabytes past its buffers. (Without key_length, q is as wide as
  // the embedding.)
  const int64_t q_width = int64_t{hp_.n_head} * hp_.head_dim, kv_width = int64_t{hp_.n_head_kv} * hp_.head_dim;
  if (hp_.head_dim <= 0 || q_width > kMaxWidth) {
    return Status::InvalidArgument(fmt::format(
        "{}: {}attention.key_length = {}: {} heads × {} = {} query values per token, outside 1..{}", f.path(), a,
        hp_.head_dim, hp_.n_head, hp_.head_dim, q_width, kMaxWidth));
  }
  q_dim_ = static_cast<int>(q_width);
  kv_dim_ = static_cast<int>(kv_width);  // n_head_kv divides n_head: at most q_width
  KGP_RETURN_IF_ERROR(get_int(a + "rope.dimension_count", &hp_.n_rot, hp_.head_dim, false));
  if (hp_.n_rot > hp_.head_dim || hp_.n_rot % 2 != 0) {
    return Status::InvalidArgument(fmt::format("{}: {}rope.dimension_count = {}: must be even and at most the head "
                                               "size {}", f.path(), a, hp_.n_rot, hp_.head_dim));
  }
  // NaN, 0 or a negative value made every logit NaN: the model loaded and wrote nothing useful.
  auto get_positive = [&](const std::string& key, float* out, double dflt) -> Status {
    auto v = f.GetFloat(key, dflt);
    if (!v.ok()) return v.status();
    const float x = static_cast<float>(*v);
    if (!std::isfinite(x) || x <= 0)
      return Status::InvalidArgument(fmt::format("{}: {} = {} must be a finite number above 0", f.path(), key, *v));
    *out = x;
    return Status::Ok();
  };
  KGP_RETURN_IF_ERROR(get_positive(a + "rope.freq_base", &hp_.rope_base, 10000.0));
  KGP_RETURN_IF_ERROR(get_positive(a + "attention.layer_norm_rms_epsilon", &hp_.rms_eps, 1e-5));

  const GgufTensor* emb = f.FindTensor("token_embd.weight");
  if (emb == nullptr || emb->dims.size() != 2) {
    return Status::InvalidArgument(fmt::format("{}: tensor token_embd.weight is missing or not 2-D", f.path()));
  }
  if (emb->dims[1] > static_cast<uint64_t>(INT32_MAX)) {
    return Status::InvalidArgument(fmt::format("{}: tensor token_embd.weight has {} rows, more than a vocabulary "
                                               "can have", f.path(), emb->dims[1]));
  }
  hp_.n_vocab = static_cast<int>(emb->dims[1]);
  const int d = hp_.n_embd, qd = q_dim_, kvd = kv_dim_;
  // Layer matrices are packed for the kernels; the embedding table is read by rows.
  auto load = [&](MatRef* out, const std::string& name, int64_t cols, int64_t rows, bool pack) -> Status {
    auto m = LoadMatrix(name, cols, rows, pack);
    if (!m.ok()) return m.status();
    *out = *m;
    return Status::Ok();
  };
  auto loadv = [&](std::vector<float>* out, const std::string& name, int64_t n, bool optional) -> Status {
    auto v = LoadVector(name, n, optional);
    if (!v.ok()) return v.status();
    *out = std::move(v).value();
    return Status::Ok();
  };
  KGP_RETURN_IF_ERROR(load(&tok_embd_, "token_embd.weight", d, hp_.n_vocab, false));
  if (f.FindTensor("output.weight") != nullptr) {
    KGP_RETURN_IF_ERROR(load(&output_, "output.weight", d, hp_.n_vocab, false));
  } else {
    hp_.tied_output = true;
    output_ = tok_embd_;
  }
  KGP_RETURN_IF_ERROR(loadv(&output_norm_, "output_norm.weight", d, false));
  // Layers are added as their tensors are found, so block_count alone sizes nothing (a 1 MB
  // file claiming 2^21 layers made the loader take 1 GB before it found blk.4.* missing).
  for (int l = 0; l < hp_.n_layer; ++l) {
    const std::string p = fmt::format("blk.{}.", l);
    if (f.FindTensor(p + "attn_norm.weight") == nullptr) {
      return Status::InvalidArgument(fmt::format("{}: {}block_count is {} but tensor {}attn_norm.weight is missing",
                                                 f.path(), a, hp_.n_layer, p));
    }
    Layer& L = layers_.emplace_back();
    KGP_RETURN_IF_ERROR(loadv(&L.attn_norm, p + "attn_norm.weight", d, false));
    KGP_RETURN_IF_ERROR(loadv(&L.ffn_norm, p + "ffn_norm.weight", d, false));
    KGP_RETURN_IF_ERROR(load(&L.wq, p + "attn_q.weight", d, qd, true));
    KGP_RETURN_IF_ERROR(load(&L.wk, p + "attn_k.weight", d, kvd, true));
    KGP_RETURN_IF_ERROR(load(&L.wv, p + "attn_v.weight", d, kvd, true));
    KGP_RETURN_IF_ERROR(load(&L.wo, p + "attn_output.weight", qd, d, true));
    KGP_RETURN_IF_ERROR(loadv(&L.bq, p + "attn_q.bias", qd, true));
    KGP_RETURN_IF_ERROR(loadv(&L.bk, p + "attn_k.bias", kvd, true));
    KGP_RETURN_IF_ERROR(loadv(&L.bv, p + "attn_v.bias", kvd, true));
    KGP_RETURN_IF_ERROR(load(&L.gate, p + "ffn_gate.weight", d, hp_.n_ff, true));
    KGP_RETURN_IF_ERROR(load(&L.up, p + "ffn_up.weight", d, hp_.n_ff, true));
    KGP_RETURN_IF_ERROR(load(&L.down, p + "ffn_down.weight", hp_.n_ff, d, true));
  }

  n_ctx_ = opt.n_ctx > 0 ? opt.n_ctx : std::min(hp_.n_ctx_train > 0 ? hp_.n_ctx_train : 2048, 4096);
  n_batch_ = std::max(1, opt.n_batch);
  try {
    pool_ = std::make_unique<ThreadPool>(opt.threads);
  } catch (const std::runtime_error& e) {
    return Status::Aborted(fmt::format("{}: {}", f.path(), e.what()));
  }
  // What is sized from the hyperparameters and the options rather than from the file's bytes:
  // the KV cache, the rope tables, one chunk's activations, the logits and each thread's
  // attention scores. More than this machine has is refused with the sizes (it ended in
  // "out of memory" or the process was killed).
  const int half = hp_.n_rot / 2;
  const double ctx = n_ctx_, chunk = std::min(n_batch_, n_ctx_);
  const double kv_bytes = 2.0 * 4 * hp_.n_layer * ctx * kvd;
  const double other_bytes = 4 * (2 * ctx * half + chunk * 2.0 * (d + qd + kvd + hp_.n_ff) +
                                  static_cast<double>(hp_.n_vocab) + static_cast<double>(pool_->size()) * ctx);
  if (const double have = PhysicalMemoryBytes(); have > 0 && kv_bytes + other_bytes > have) {
    return Status::InvalidArgument(fmt::format(
        "{}: a context of {} positions needs {:.1f} GB (KV cache {:.1f} GB: {} layers × {} positions × {} key and "
        "value numbers; rope tables and scratch {:.1f} GB), more than this machine's {:.1f} GB: use a smaller context",
        f.path(), n_ctx_, (kv_bytes + other_bytes) / 1e9, kv_bytes / 1e9, hp_.n_layer, n_ctx_, 2 * kvd,
        other_bytes / 1e9, have / 1e9));
  }
  const size_t cache = static_cast<size_t>(hp_.n_layer) * static_cast<size_t>(n_ctx_) * static_cast<size_t>(kvd);
  k_cache_.assign(cache, 0.0f);
  v_cache_.assign(cache, 0.0f);
  // RoPE angles as ggml computes them: theta = pos * base^(-2i/n_rot) by repeated products.
  rope_cos_.resize(static_cast<size_t>(n_ctx_) * half);
  rope_sin_.resize(rope_cos_.size());
  const float theta_scale = std::pow(hp_.rope_base, -2.0f / static_cast<float>(hp_.n_rot));
  for (int pos = 0; pos < n_ctx_; ++pos) {
    float theta = static_cast<float>(pos);
    for (int i = 0; i < half; ++i) {
      rope_cos_[static_cast<size_t>(pos) * half + i] = std::cos(theta);
      rope_sin_[static_cast<size_t>(pos) * half + i] = std::sin(theta);
      theta *= theta_scale;
    }
  }
  return Status::Ok();
}

Status Model::Decode(std::span<const int32_t> tokens, bool all_logits) {
  if (tokens.empty()) return Status::InvalidArgument("decode: no tokens");
  if (n_past_ + static_cast<int64_t>(tokens.size()) > n_ctx_) {
    return Status::InvalidArgument(fmt::format("decode: {} tokens after {} do not fit the context of {}",
                                               tokens.size(), n_past_, n_ctx_));
  }
  for (int32_t t : tokens) {
    if (t < 0 || t >= hp_.n_vocab) {
      return Status::InvalidArgument(fmt::format("decode: token {} is outside the vocabulary (0..{})", t, hp_.n_vocab - 1));
    }
  }
  const size_t nv = static_cast<size_t>(hp_.n_vocab);
  if (all_logits) all_logits_.resize(tokens.size() * nv);
  logits_buf_.resize(nv);
  for (size_t i = 0; i < tokens.size(); i += static_cast<size_t>(n_batch_)) {
    const int nt = static_cast<int>(std::min(tokens.size() - i, static_cast<size_t>(n_batch_)));
    const bool last = i + static_cast<size_t>(nt) == tokens.size();
    float* out = all_logits ? all_logits_.data() + i * nv : (last ? logits_buf_.data() : nullptr);
    KGP_RETURN_IF_ERROR(DecodeChunk(tokens.data() + i, nt, all_logits, out));
  }
  last_logits_ = all_logits ? all_logits_.data() + (tokens.size() - 1) * nv : logits_buf_.data();
  return Status::Ok();
}

void Model::Attention(int layer, int nt) {
  const int hd = hp_.head_dim, nh = hp_.n_head, group = hp_.n_head / hp_.n_head_kv;
  const int kvd = kv_dim_, qd = q_dim_;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const float* kc = k_cache_.data() + static_cast<size_t>(layer) * n_ctx_ * kvd;
  const float* vc = v_cache_.data() + static_cast<size_t>(layer) * n_ctx_ * kvd;
  scores_.resize(static_cast<size_t>(pool_->size()) * n_ctx_);
  const auto attend = ActiveKernels()->attend;
  pool_->Run([&](int tid, int nth) {
    float* sc = scores_.data() + static_cast<size_t>(tid) * n_ctx_;
    // Items dealt round-robin: later tokens see more positions, so contiguous ranges would
    // leave the first thread idle.
    for (int64_t item = tid; item < static_cast<int64_t>(nt) * nh; item += nth) {
      const int t = static_cast<int>(item / nh), h = static_cast<int>(item % nh);
      const int kvh = h / group, n_kv = n_past_ + t + 1;  // causal: positions 0 .. own
      const float* q = q_.data() + static_cast<size_t>(t) * qd + h * hd;
      attend(q, kc + kvh * hd, vc + kvh * hd, static_cast<size_t>(kvd), n_kv, hd, scale, sc,
             att_.data() + static_cast<size_t>(t) * qd + h * hd);
    }
  });
}

Status Model::DecodeChunk(const int32_t* tokens, int nt, bool all_logits, float* logits_out) {
  const int d = hp_.n_embd, hd = hp_.head_dim, qd = q_dim_, kvd = kv_dim_, ff = hp_.n_ff;
  const size_t n = static_cast<size_t>(nt);
  x_.resize(n * d);
  xb_.resize(n * d);
  q_.resize(n * qd);
  k_.resize(n * kvd);
  v_.resize(n * kvd);
  att_.resize(n * qd);
  gate_.resize(n * ff);
  up_.resize(n * ff);
  for (int t = 0; t < nt; ++t) {
    const size_t o = static_cast<size_t>(t) * d;  // token offsets in size_t: n_batch × width may pass 2^31
    DequantizeRow(tok_embd_.type, tok_embd_.data + tokens[t] * tok_embd_.row_bytes, x_.data() + o, d);
  }
  // One product of the prepared activations; activations are quantised again only when the
  // weight type changes (q, k, v and gate, up usually share them).
  auto project = [&](const MatRef& w, const float* in, int64_t cols, float* out, bool fresh) {
    if (fresh || act_.wtype != w.type || act_.n != cols || act_.nt != nt ||
        (act_.f32 != nullptr && act_.f32 != in)) {
      PrepareActivations(w.type, in, nt, cols, &act_, pool_.get());
    }
    MatMul(w, act_, out, w.rows, pool_.get());
  };
  const int half = hp_.n_rot / 2;
  for (int l = 0; l < hp_.n_layer; ++l) {
    const Layer& L = layers_[static_cast<size_t>(l)];
    for (size_t o = 0; o < n * d; o += d) RmsNorm(&x_[o], L.attn_norm.data(), &xb_[o], d, hp_.rms_eps);
    project(L.wq, xb_.data(), d, q_.data(), true);
    project(L.wk, xb_.data(), d, k_.data(), false);
    project(L.wv, xb_.data(), d, v_.data(), false);
    float* kc = k_cache_.data() + static_cast<size_t>(l) * n_ctx_ * kvd;
    float* vc = v_cache_.data() + static_cast<size_t>(l) * n_ctx_ * kvd;
    for (int t = 0; t < nt; ++t) {
      const int pos = n_past_ + t;
      float* q = &q_[static_cast<size_t>(t) * qd];
      float* k = &k_[static_cast<size_t>(t) * kvd];
      float* v = &v_[static_cast<size_t>(t) * kvd];
      if (!L.bq.empty()) for (int i = 0; i < qd; ++i) q[i] += L.bq[i];
      if (!L.bk.empty()) for (int i = 0; i < kvd; ++i) k[i] += L.bk[i];
      if (!L.bv.empty()) for (int i = 0; i < kvd; ++i) v[i] += L.bv[i];
      const float* cs = &rope_cos_[static_cast<size_t>(pos) * half];
      const float* sn = &rope_sin_[static_cast<size_t>(pos) * half];
      for (int h = 0; h < hp_.n_head; ++h) Rope(q + h * hd, cs, sn, hp_.n_rot, hp_.rope_neox);
      for (int h = 0; h < hp_.n_head_kv; ++h) Rope(k + h * hd, cs, sn, hp_.n_rot, hp_.rope_neox);
      std::memcpy(kc + static_cast<size_t>(pos) * kvd, k, kvd * sizeof(float));
      std::memcpy(vc + static_cast<size_t>(pos) * kvd, v, kvd * sizeof(float));
    }
    Attention(l, nt);
    project(L.wo, att_.data(), qd, xb_.data(), true);
    for (size_t i = 0; i < n * d; ++i) x_[i] += xb_[i];
    for (size_t o = 0; o < n * d; o += d) RmsNorm(&x_[o], L.ffn_norm.data(), &xb_[o], d, hp_.rms_eps);
    project(L.gate, xb_.data(), d, gate_.data(), true);
    project(L.up, xb_.data(), d, up_.data(), false);
    pool_->Run([&](int tid, int nth) {
      int64_t b, e;
      SplitRange(static_cast<int64_t>(n * ff), nth, tid, 16, &b, &e);
      for (int64_t i = b; i < e; ++i) {
        const float g = gate_[i];
        gate_[i] = g / (1.0f + std::exp(-g)) * up_[i];
      }
    });
    project(L.down, gate_.data(), ff, xb_.data(), true);
    for (size_t i = 0; i < n * d; ++i) x_[i] += xb_[i];
  }
  n_past_ += nt;
  if (logits_out == nullptr) return Status::Ok();
  // Logits: every row, or only the last one (the prompt's other rows need none).
  const int first = all_logits ? 0 : nt - 1, rows = nt - first;
  for (int t = first; t < nt; ++t) {
    RmsNorm(&x_[static_cast<size_t>(t) * d], output_norm_.data(), &xb_[static_cast<size_t>(t - first) * d], d,
            hp_.rms_eps);
  }
  ActBuffer a;
  PrepareActivations(output_.type, xb_.data(), rows, d, &a, pool_.get());
  MatMul(output_, a, logits_out, hp_.n_vocab, pool_.get());
  return Status::Ok();
}

}  // namespace kgp::llm
