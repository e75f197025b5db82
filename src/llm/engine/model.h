// The transformer of the native engine: llama and qwen2 decoder-only models from a GGUF file
// (RMSNorm, grouped-query attention with RoPE — llama.cpp's "normal" rope for llama, "neox"
// for qwen2 —, optional q/k/v biases, SwiGLU feed-forward, tied output embedding), with a KV
// cache and batched prompt processing. Weights stay in the memory-mapped file when their type
// is F32 or F16; other types the loader understands (BF16, Q4_K, Q6_K) are converted once at
// load to Q8_0 (F32 when rows are not a multiple of 32). The layer matrices in Q8_0 and Q4_0
// are repacked at load in groups of 8 rows for the kernels (PackRows8, kernels.h); the
// embedding table stays as the file has it.
// Ownership: the Model owns its GgufFile, weights, KV cache and thread pool.
// Thread safety: one thread at a time (Decode mutates the cache).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "llm/engine/gguf.h"
#include "llm/engine/kernels.h"
#include "llm/engine/thread_pool.h"

namespace kgp::llm {

enum class Arch { kLlama, kQwen2 };

struct HParams {
  Arch arch = Arch::kLlama;
  std::string arch_name;       // general.architecture
  int n_vocab = 0;
  int n_ctx_train = 0;
  int n_embd = 0;
  int n_layer = 0;
  int n_head = 0;
  int n_head_kv = 0;
  int head_dim = 0;            // <arch>.attention.key_length, else n_embd / n_head
  int n_ff = 0;
  int n_rot = 0;               // <arch>.rope.dimension_count, else head_dim
  float rope_base = 10000.0f;  // <arch>.rope.freq_base
  float rms_eps = 1e-5f;       // <arch>.attention.layer_norm_rms_epsilon
  bool rope_neox = false;      // rotate halves (qwen2) instead of adjacent pairs (llama)
  bool tied_output = false;    // no output.weight: logits from token_embd.weight
};

struct ModelOptions {
  int n_ctx = 0;      // KV-cache positions; 0: min(training context, 4096)
  int n_batch = 256;  // prompt tokens per forward pass
  int threads = 0;    // 0: all hardware threads
};

class Model {
 public:
  static Result<std::unique_ptr<Model>> Load(const std::string& path, const ModelOptions& opt = {});
  // Takes ownership of an opened file (tests build files in memory).
  static Result<std::unique_ptr<Model>> FromGguf(std::unique_ptr<GgufFile> file, const ModelOptions& opt = {});
  ~Model();

  const HParams& hparams() const { return hp_; }
  const GgufFile& file() const { return *file_; }
  int n_ctx() const { return n_ctx_; }
  int n_past() const { return n_past_; }
  int threads() const { return pool_->size(); }
  // Bytes of weights (mapped and converted) and of the KV cache.
  uint64_t weight_bytes() const { return weight_bytes_; }
  uint64_t kv_bytes() const;

  // Runs tokens at positions n_past() .. n_past() + size - 1, appending to the KV cache.
  // Logits of the last token afterwards in logits(); of every token when all_logits.
  // InvalidArgument for an out-of-range token or a full context (the cache is unchanged then).
  Status Decode(std::span<const int32_t> tokens, bool all_logits = false);
  // Logits of the last decoded token (n_vocab floats), or of token i of the last Decode call
  // when it had all_logits.
  const float* logits() const { return last_logits_; }
  const float* logits(int i) const { return all_logits_.data() + static_cast<size_t>(i) * hp_.n_vocab; }
  // Forgets cache positions >= n (keeps a shared prompt prefix). REQUIRES: n <= n_past().
  void Truncate(int n) { n_past_ = n; }
  void Reset() { n_past_ = 0; }

 private:
  struct Layer {
    std::vector<float> attn_norm, ffn_norm, bq, bk, bv;  // biases empty when absent
    MatRef wq, wk, wv, wo, gate, up, down;
  };
  Model() = default;
  Status Init(std::unique_ptr<GgufFile> file, const ModelOptions& opt);
  Result<MatRef> LoadMatrix(const std::string& name, int64_t cols, int64_t rows, bool pack);
  MatRef Pack(const MatRef& m);  // a packed copy owned by the model (PackRows8)
  Result<std::vector<float>> LoadVector(const std::string& name, int64_t n, bool optional);
  Status DecodeChunk(const int32_t* tokens, int nt, bool all_logits, float* logits_out);
  void Attention(int layer, int nt);

  std::unique_ptr<GgufFile> file_;
  HParams hp_;
  std::vector<Layer> layers_;
  MatRef tok_embd_, output_;
  std::vector<float> output_norm_;
  std::vector<std::unique_ptr<uint8_t[]>> converted_;  // weights converted at load
  uint64_t weight_bytes_ = 0;
  std::unique_ptr<ThreadPool> pool_;
  int n_ctx_ = 0, n_batch_ = 0, n_past_ = 0;
  int q_dim_ = 0, kv_dim_ = 0;  // n_head × head_dim, n_head_kv × head_dim (checked in Init)
  std::vector<float> k_cache_, v_cache_;  // [layer][pos][n_head_kv * head_dim]
  std::vector<float> rope_cos_, rope_sin_;  // [pos][n_rot / 2]
  // Scratch for one chunk of nt tokens.
  std::vector<float> x_, xb_, q_, k_, v_, att_, gate_, up_, scores_;
  ActBuffer act_;
  std::vector<float> logits_buf_, all_logits_;
  const float* last_logits_ = nullptr;
};

}  // namespace kgp::llm
