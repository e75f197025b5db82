#include "llm/engine/gguf_writer.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "common/rng.h"
#include "llm/engine/quant.h"

namespace kgp::llm {
namespace {

template <typename T>
void Append(std::vector<uint8_t>* b, T v) {
  // resize + memcpy rather than insert(ptr, ptr): g++ 12 warns falsely on the latter.
  const size_t at = b->size();
  b->resize(at + sizeof(T));
  std::memcpy(b->data() + at, &v, sizeof(T));
}
void AppendString(std::vector<uint8_t>* b, const std::string& s) {
  Append<uint64_t>(b, s.size());
  b->insert(b->end(), s.begin(), s.end());
}
void AppendType(std::vector<uint8_t>* b, GgufType t) { Append<uint32_t>(b, static_cast<uint32_t>(t)); }

}  // namespace

void GgufWriter::Put(const std::string& key, std::vector<uint8_t> bytes) {
  for (Kv& kv : kvs_) {
    if (kv.key == key) {
      kv.bytes = std::move(bytes);
      return;
    }
  }
  kvs_.push_back({key, std::move(bytes)});
}

void GgufWriter::SetU32(const std::string& key, uint32_t v) {
  std::vector<uint8_t> b;
  AppendType(&b, GgufType::kU32);
  Append(&b, v);
  Put(key, std::move(b));
}
void GgufWriter::SetF32(const std::string& key, float v) {
  std::vector<uint8_t> b;
  AppendType(&b, GgufType::kF32);
  Append(&b, v);
  Put(key, std::move(b));
}
void GgufWriter::SetBool(const std::string& key, bool v) {
  std::vector<uint8_t> b;
  AppendType(&b, GgufType::kBool);
  Append<uint8_t>(&b, v ? 1 : 0);
  Put(key, std::move(b));
}
void GgufWriter::SetString(const std::string& key, const std::string& v) {
  std::vector<uint8_t> b;
  AppendType(&b, GgufType::kString);
  AppendString(&b, v);
  Put(key, std::move(b));
}
void GgufWriter::SetStrings(const std::string& key, const std::vector<std::string>& v) {
  std::vector<uint8_t> b;
  AppendType(&b, GgufType::kArray);
  AppendType(&b, GgufType::kString);
  Append<uint64_t>(&b, v.size());
  for (const auto& s : v) AppendString(&b, s);
  Put(key, std::move(b));
}
void GgufWriter::SetF32s(const std::string& key, const std::vector<float>& v) {
  std::vector<uint8_t> b;
  AppendType(&b, GgufType::kArray);
  AppendType(&b, GgufType::kF32);
  Append<uint64_t>(&b, v.size());
  for (float x : v) Append(&b, x);
  Put(key, std::move(b));
}
void GgufWriter::SetI32s(const std::string& key, const std::vector<int32_t>& v) {
  std::vector<uint8_t> b;
  AppendType(&b, GgufType::kArray);
  AppendType(&b, GgufType::kI32);
  Append<uint64_t>(&b, v.size());
  for (int32_t x : v) Append(&b, x);
  Put(key, std::move(b));
}

Status GgufWriter::AddTensor(const std::string& name, std::vector<uint64_t> dims, GgmlType type,
                             const std::vector<float>& values) {
  uint64_t n = 1;
  for (uint64_t d : dims) n *= d;
  if (dims.empty() || n != values.size()) {
    return Status::InvalidArgument(fmt::format("gguf writer: tensor {}: {} values for its shape", name, values.size()));
  }
  const uint64_t row = dims[0], rows = n / row;
  const uint64_t rb = RowBytes(type, row);
  if (rb == 0) return Status::InvalidArgument(fmt::format("gguf writer: tensor {}: rows do not fit the type", name));
  Tensor t{name, std::move(dims), type, std::vector<uint8_t>(rb * rows)};
  for (uint64_t r = 0; r < rows; ++r) {
    const float* x = values.data() + r * row;
    uint8_t* dst = t.data.data() + r * rb;
    const auto n_row = static_cast<int64_t>(row);
    switch (type) {
      case GgmlType::kF32: std::memcpy(dst, x, row * 4); break;
      case GgmlType::kF16: QuantizeRowF16(x, reinterpret_cast<uint16_t*>(dst), n_row); break;
      case GgmlType::kQ8_0: QuantizeRowQ8_0(x, reinterpret_cast<BlockQ8_0*>(dst), n_row); break;
      case GgmlType::kQ4_0: QuantizeRowQ4_0(x, reinterpret_cast<BlockQ4_0*>(dst), n_row); break;
      default: return Status::InvalidArgument(fmt::format("gguf writer: tensor {}: type not writable", name));
    }
  }
  tensors_.push_back(std::move(t));
  return Status::Ok();
}

std::vector<uint8_t> GgufWriter::Serialize(uint32_t alignment) const {
  std::vector<uint8_t> b;
  Append<uint32_t>(&b, 0x46554747);  // "GGUF"
  Append<uint32_t>(&b, 3);
  Append<uint64_t>(&b, tensors_.size());
  const bool own_alignment = alignment != 32;
  Append<uint64_t>(&b, kvs_.size() + (own_alignment ? 1 : 0));
  for (const Kv& kv : kvs_) {
    AppendString(&b, kv.key);
    b.insert(b.end(), kv.bytes.begin(), kv.bytes.end());
  }
  if (own_alignment) {
    AppendString(&b, "general.alignment");
    AppendType(&b, GgufType::kU32);
    Append<uint32_t>(&b, alignment);
  }
  uint64_t offset = 0;
  for (const Tensor& t : tensors_) {
    AppendString(&b, t.name);
    Append<uint32_t>(&b, static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims) Append<uint64_t>(&b, d);
    Append<uint32_t>(&b, static_cast<uint32_t>(t.type));
    Append<uint64_t>(&b, offset);
    offset += (t.data.size() + alignment - 1) / alignment * alignment;
  }
  b.resize((b.size() + alignment - 1) / alignment * alignment, 0);
  for (const Tensor& t : tensors_) {
    b.insert(b.end(), t.data.begin(), t.data.end());
    b.resize((b.size() + alignment - 1) / alignment * alignment, 0);
  }
  return b;
}

Status GgufWriter::WriteFile(const std::string& path) const {
  std::vector<uint8_t> b = Serialize();
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) return Status::IoError(fmt::format("{}: cannot create", path));
  if (std::fwrite(b.data(), 1, b.size(), f.get()) != b.size()) return Status::IoError(fmt::format("{}: write failed", path));
  return Status::Ok();
}

RandomModelSpec RandomModelSpec::Qwen25_05B(GgmlType t) {
  RandomModelSpec s;
  s.arch = "qwen2";
  s.n_vocab = 151936;
  s.n_embd = 896;
  s.n_layer = 24;
  s.n_head = 14;
  s.n_head_kv = 2;
  s.n_ff = 4864;
  s.n_ctx = 32768;
  s.rope_base = 1e6f;
  s.rms_eps = 1e-6f;
  s.tied_output = true;
  s.wtype = t;
  return s;
}

Result<GgufWriter> RandomModel(const RandomModelSpec& s) {
  GgufWriter w;
  const std::string a = s.arch + ".";
  w.SetString("general.architecture", s.arch);
  w.SetString("general.name", fmt::format("random-{}", s.arch));
  w.SetU32(a + "context_length", static_cast<uint32_t>(s.n_ctx));
  w.SetU32(a + "embedding_length", static_cast<uint32_t>(s.n_embd));
  w.SetU32(a + "block_count", static_cast<uint32_t>(s.n_layer));
  w.SetU32(a + "feed_forward_length", static_cast<uint32_t>(s.n_ff));
  w.SetU32(a + "attention.head_count", static_cast<uint32_t>(s.n_head));
  w.SetU32(a + "attention.head_count_kv", static_cast<uint32_t>(s.n_head_kv));
  w.SetF32(a + "rope.freq_base", s.rope_base);
  w.SetF32(a + "attention.layer_norm_rms_epsilon", s.rms_eps);
  Rng rng(s.seed);
  auto rand = [&](uint64_t n, float scale) {
    std::vector<float> v(n);
    for (float& x : v) x = rng.Uniform(-scale, scale);
    return v;
  };
  auto ones = [&](uint64_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = 1.0f + rng.Uniform(-0.1f, 0.1f);
    return v;
  };
  const uint64_t d = static_cast<uint64_t>(s.n_embd), hd = d / static_cast<uint64_t>(s.n_head);
  const uint64_t kvd = hd * static_cast<uint64_t>(s.n_head_kv), ff = static_cast<uint64_t>(s.n_ff);
  const uint64_t nv = static_cast<uint64_t>(s.n_vocab);
  // Uniform(-a, a) has standard deviation a / sqrt(3): scale so each product keeps unit size.
  const float sd = std::sqrt(3.0f / static_cast<float>(d)), sf = std::sqrt(3.0f / static_cast<float>(ff));
  KGP_RETURN_IF_ERROR(w.AddTensor("token_embd.weight", {d, nv}, s.wtype, rand(d * nv, 1.0f)));
  KGP_RETURN_IF_ERROR(w.AddTensor("output_norm.weight", {d}, GgmlType::kF32, ones(d)));
  if (!s.tied_output) KGP_RETURN_IF_ERROR(w.AddTensor("output.weight", {d, nv}, s.wtype, rand(d * nv, sd)));
  for (int l = 0; l < s.n_layer; ++l) {
    const std::string p = fmt::format("blk.{}.", l);
    KGP_RETURN_IF_ERROR(w.AddTensor(p + "attn_norm.weight", {d}, GgmlType::kF32, ones(d)));
    KGP_RETURN_IF_ERROR(w.AddTensor(p + "attn_q.weight", {d, d}, s.wtype, rand(d * d, sd)));
    KGP_RETURN_IF_ERROR(w.AddTensor(p + "attn_k.weight", {d, kvd}, s.wtype, rand(d * kvd, sd)));
    KGP_RETURN_IF_ERROR(w.AddTensor(p + "attn_v.weight", {d, kvd}, s.wtype, rand(d * kvd, sd)));
    if (s.arch == "qwen2") {
      KGP_RETURN_IF_ERROR(w.AddTensor(p + "attn_q.bias", {d}, GgmlType::kF32, rand(d, 0.5f)));
      KGP_RETURN_IF_ERROR(w.AddTensor(p + "attn_k.bias", {kvd}, GgmlType::kF32, rand(kvd, 0.5f)));
      KGP_RETURN_IF_ERROR(w.AddTensor(p + "attn_v.bias", {kvd}, GgmlType::kF32, rand(kvd, 0.5f)));
    }
    KGP_RETURN_IF_ERROR(w.AddTensor(p + "attn_output.weight", {d, d}, s.wtype, rand(d * d, sd)));
    KGP_RETURN_IF_ERROR(w.AddTensor(p + "ffn_norm.weight", {d}, GgmlType::kF32, ones(d)));
    KGP_RETURN_IF_ERROR(w.AddTensor(p + "ffn_gate.weight", {d, ff}, s.wtype, rand(d * ff, sd)));
    KGP_RETURN_IF_ERROR(w.AddTensor(p + "ffn_up.weight", {d, ff}, s.wtype, rand(d * ff, sd)));
    KGP_RETURN_IF_ERROR(w.AddTensor(p + "ffn_down.weight", {ff, d}, s.wtype, rand(ff * d, sf)));
  }
  return w;
}

}  // namespace kgp::llm
