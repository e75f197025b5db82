// A small GGUF v3 writer (format: docs/llm-engine.md): metadata of the common types and
// tensors in F32, F16, Q8_0 or Q4_0 (quantised from floats here). The tests and the benchmark
// write their random-weight llama and qwen2 models with it; nothing is downloaded.
// Thread safety: a writer is used by one thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "llm/engine/gguf.h"

namespace kgp::llm {

class GgufWriter {
 public:
  void SetU32(const std::string& key, uint32_t v);
  void SetF32(const std::string& key, float v);
  void SetBool(const std::string& key, bool v);
  void SetString(const std::string& key, const std::string& v);
  void SetStrings(const std::string& key, const std::vector<std::string>& v);
  void SetF32s(const std::string& key, const std::vector<float>& v);
  void SetI32s(const std::string& key, const std::vector<int32_t>& v);
  // dims: ne[0] (row length) first. values.size() must equal the product of dims; quantised
  // types need ne[0] to be a multiple of 32.
  Status AddTensor(const std::string& name, std::vector<uint64_t> dims, GgmlType type,
                   const std::vector<float>& values);

  std::vector<uint8_t> Serialize(uint32_t alignment = 32) const;
  Status WriteFile(const std::string& path) const;

 private:
  struct Kv {
    std::string key;
    std::vector<uint8_t> bytes;  // type and value, encoded
  };
  struct Tensor {
    std::string name;
    std::vector<uint64_t> dims;
    GgmlType type;
    std::vector<uint8_t> data;
  };
  void Put(const std::string& key, std::vector<uint8_t> bytes);
  std::vector<Kv> kvs_;
  std::vector<Tensor> tensors_;
};

// A random-weight model in the shape of a real one: arch "llama" (no biases, normal rope) or
// "qwen2" (q/k/v biases, neox rope). Weights ~ N(0, 1/sqrt(fan-in))-like uniform values.
struct RandomModelSpec {
  std::string arch = "llama";
  int n_vocab = 256, n_embd = 64, n_layer = 2, n_head = 4, n_head_kv = 2, n_ff = 128, n_ctx = 256;
  float rope_base = 10000.0f, rms_eps = 1e-5f;
  bool tied_output = false;
  GgmlType wtype = GgmlType::kF32;  // 2-D weights; norms and biases are F32
  uint64_t seed = 1;
  // The Qwen2.5-0.5B shape (the benchmark's model).
  static RandomModelSpec Qwen25_05B(GgmlType t);
};
// Returns the writer filled with the model (call Serialize or WriteFile).
Result<GgufWriter> RandomModel(const RandomModelSpec& s);

}  // namespace kgp::llm
