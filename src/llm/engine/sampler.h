// Token sampling from logits, in llama.cpp's default order: repeat penalty over the last
// tokens, top-k, top-p, min-p, temperature, then a draw from the softmax with a seeded
// generator. temperature <= 0 is greedy (argmax; ties go to the lowest id).
// Thread safety: a Sampler is used by one thread at a time.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "common/status.h"

namespace kgp::llm {

struct SamplerOptions {
  float temperature = 0.0f;    // 0: greedy
  int top_k = 40;              // <= 0: all tokens
  float top_p = 0.95f;         // 0..1; 1: off
  float min_p = 0.05f;         // 0..1; 0: off; keeps p >= min_p * p_max
  float repeat_penalty = 1.0f; // above 0; 1: off; llama.cpp's rule (logit > 0 divided, else multiplied)
  int repeat_last_n = 64;      // how many recent tokens the penalty looks at; -1: all
  uint64_t seed = 0xC0FFEE;
};

// InvalidArgument naming the first setting out of range: temperature a finite number >= 0,
// top_p and min_p in [0, 1], repeat_penalty a finite number above 0, repeat_last_n >= -1 (NaN
// is out of every range). Generator refuses such settings before generating.
Status CheckSamplerOptions(const SamplerOptions& opt);

class Sampler {
 public:
  // Settings CheckSamplerOptions refuses are taken as off (temperature: greedy), never as NaN
  // weights: a repeat penalty of 0 gave the prompt's tokens an infinite logit, a NaN
  // temperature or top-p made every draw token 0.
  explicit Sampler(const SamplerOptions& opt);
  // Picks the next token from n logits; `recent` are the tokens so far (prompt included).
  int32_t Sample(const float* logits, int n, const std::vector<int32_t>& recent);
  // The candidates that survive the filters, with their probabilities (tests, debugging):
  // sorted by probability, descending. Not used for greedy.
  std::vector<std::pair<int32_t, float>> Candidates(const float* logits, int n, const std::vector<int32_t>& recent) const;

 private:
  SamplerOptions opt_;
  std::mt19937 rng_;
};

int32_t Argmax(const float* logits, int n);

}  // namespace kgp::llm
