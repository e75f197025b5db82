// Native GGUF engine (src/llm/engine/): llama.cpp's greedy continuations of the two reference
// models reproduced token for token; KV-cache decoding equal to full recomputation and batched
// prompts equal to token-by-token on random llama and qwen2 models written by GgufWriter;
// quantised kernels against F32 within stated tolerances; every SIMD path against the plain
// one; the sampler's semantics on hand-made logits; the Generator API.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/rng.h"
#include "llm/engine/generate.h"
#include "llm/engine/gguf_writer.h"
#include "llm/engine/kernels.h"
#include "llm/engine/model.h"
#include "llm/engine/quant.h"
#include "llm/engine/sampler.h"
#include "llm/engine/thread_pool.h"
#include "llm/engine/tokenizer.h"
#include "test_util.h"

namespace kgp::llm {
namespace {

// Restores the kernel path a test forced.
class IsaGuard {
 public:
  IsaGuard() : saved_(ActiveIsa()) {}
  ~IsaGuard() { SetIsa(saved_); }

 private:
  Isa saved_;
};

std::vector<Isa> AvailableIsas() {
  std::vector<Isa> v;
  for (Isa i : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    if (i <= DetectedIsa()) v.push_back(i);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Reference: llama.cpp greedy (llama-simple -n 48) on the shared model files.

struct RefLine {
  std::string prompt, text;
  std::vector<int32_t> ids;
};

std::vector<RefLine> ReadReference(const std::string& path) {
  std::vector<RefLine> out;
  std::istringstream in(test::ReadFile(path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    RefLine r;
    size_t a = line.find('\t'), b = line.find('\t', a + 1);
    r.prompt = line.substr(0, a);
    std::string ids = line.substr(a + 1, b - a - 1);
    r.text = line.substr(b + 1);
    for (char& c : ids) {
      if (c == '[' || c == ']' || c == ',') c = ' ';
    }
    std::istringstream is(ids);
    int32_t id;
    while (is >> id) r.ids.push_back(id);
    out.push_back(r);
  }
  return out;
}

// llama-simple prints every prompt token's piece (special tokens rendered: BOS is "<s>"), then
// the piece of each generated token until an end-of-generation token or n_predict (48) tokens,
// then a newline. The TSV holds that output on one line: newlines written as spaces (so each
// line ends with the space of the final newline).
void CheckGreedyReference(const std::string& model_rel, const std::string& tsv_rel) {
  const std::string model = test::SharedData(model_rel), tsv = test::SharedData(tsv_rel);
  if (model.empty() || tsv.empty()) GTEST_SKIP() << model_rel << " or " << tsv_rel << " not present (../shared/data)";
  GeneratorOptions go;
  go.model_path = model;
  go.threads = 2;
  auto gen = Unwrap(Generator::Load(go));
  const Tokenizer& tok = gen->tokenizer();
  auto lines = ReadReference(tsv);
  ASSERT_FALSE(lines.empty());
  for (const RefLine& r : lines) {
    SCOPED_TRACE(r.prompt);
    const std::vector<int32_t> ids = tok.Encode(r.prompt, true, false);
    EXPECT_EQ(ids, r.ids);
    GenerateOptions o;
    o.max_tokens = 48;
    o.sampling.temperature = 0;
    GenerateResult res = Unwrap(gen->GenerateTokens(r.ids, o));
    std::string printed;
    for (int32_t id : r.ids) printed += tok.TokenToPiece(id, true);
    for (int32_t id : res.tokens) printed += tok.TokenToPiece(id, true);
    printed += '\n';
    std::replace(printed.begin(), printed.end(), '\n', ' ');
    EXPECT_EQ(printed, r.text) << "generated " << res.tokens.size() << " tokens, stop: " << res.stop_reason;
  }
}

TEST(LlmEngineReference, Aidreams260kGreedyMatchesLlamaCpp) {
  CheckGreedyReference("llm/aidreams260K.gguf", "llm/reference/aidreams260K.greedy.tsv");
}

TEST(LlmEngineReference, ShopTinyGreedyMatchesLlamaCpp) {
  CheckGreedyReference("llm/shop-tiny-f32.gguf", "llm/reference/shop-tiny-f32.greedy.tsv");
}


// ---------------------------------------------------------------------------------------------
// Random-weight models written by GgufWriter.

// A model parsed from bytes kept alive beside it.
struct MemModel {
  std::vector<uint8_t> bytes;
  std::unique_ptr<Model> model;
};

MemModel MakeModel(const RandomModelSpec& spec, const ModelOptions& mo = {}) {
  MemModel m;
  m.bytes = Unwrap(RandomModel(spec)).Serialize();
  auto f = Unwrap(GgufFile::Parse(m.bytes.data(), m.bytes.size(), "random-" + spec.arch));
  m.model = Unwrap(Model::FromGguf(std::move(f), mo));
  return m;
}

RandomModelSpec SmallSpec(const std::string& arch, GgmlType t) {
  RandomModelSpec s;
  s.arch = arch;
  s.n_vocab = 96;
  s.n_embd = 64;
  s.n_layer = 2;
  s.n_head = 4;
  s.n_head_kv = 2;
  s.n_ff = 96;
  s.n_ctx = 64;
  s.tied_output = arch == "qwen2";
  s.rope_base = arch == "qwen2" ? 1e6f : 1e4f;
  s.wtype = t;
  s.seed = arch == "qwen2" ? 7 : 3;
  return s;
}

// max |a - b| / max |b| over n values.
double RelDiff(const float* a, const float* b, size_t n) {
  double num = 0, den = 0;
  for (size_t i = 0; i < n; ++i) {
    num = std::max(num, static_cast<double>(std::fabs(a[i] - b[i])));
    den = std::max(den, static_cast<double>(std::fabs(b[i])));
  }
  return den > 0 ? num / den : num;
}

std::vector<int32_t> SomeTokens(int n, int vocab, uint64_t seed) {
  Rng rng(seed);
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (auto& x : t) x = static_cast<int32_t>(rng.Below(static_cast<uint32_t>(vocab)));
  return t;
}

class LlmEngineModel : public ::testing::TestWithParam<std::tuple<std::string, GgmlType>> {};

// Incremental decoding with the KV cache gives the logits of recomputing the whole prefix, and
// one batched pass (split in chunks smaller than the prompt) gives those of token-by-token.
TEST_P(LlmEngineModel, KvCacheEqualsFullRecomputeAndBatchEqualsTokenByToken) {
  const auto& [arch, type] = GetParam();
  ModelOptions mo;
  mo.threads = 2;
  mo.n_batch = 5;
  MemModel mm = MakeModel(SmallSpec(arch, type), mo);
  Model& m = *mm.model;
  const int nv = m.hparams().n_vocab, n = 13;
  const auto toks = SomeTokens(n, nv, 11);
  std::vector<std::vector<float>> step(n);
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(m.Decode(std::span<const int32_t>(&toks[i], 1)).ok());
    step[i].assign(m.logits(), m.logits() + nv);
  }
  EXPECT_EQ(m.n_past(), n);
  for (int len : {1, 4, 9, 13}) {
    m.Reset();
    ASSERT_TRUE(m.Decode(std::span<const int32_t>(toks.data(), len)).ok());
    EXPECT_LE(RelDiff(m.logits(), step[len - 1].data(), nv), 1e-4) << "prefix " << len;
  }
  m.Reset();
  ASSERT_TRUE(m.Decode(toks, /*all_logits=*/true).ok());
  for (int i = 0; i < n; ++i) EXPECT_LE(RelDiff(m.logits(i), step[i].data(), nv), 1e-4) << "token " << i;
  // Truncate keeps a prefix: the same continuation as before.
  m.Truncate(6);
  ASSERT_TRUE(m.Decode(std::span<const int32_t>(toks.data() + 6, 3)).ok());
  EXPECT_LE(RelDiff(m.logits(), step[8].data(), nv), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(LlmEngineArchs, LlmEngineModel,
                         ::testing::Combine(::testing::Values("llama", "qwen2"),
                                            ::testing::Values(GgmlType::kF32, GgmlType::kF16, GgmlType::kQ8_0,
                                                              GgmlType::kQ4_0)),
                         [](const auto& test_param) {
                           return std::get<0>(test_param.param) + "_" + TypeInfo(std::get<1>(test_param.param)).name;
                         });

// The same random weights stored quantised give logits close to the F32 model's. Tolerances
// (max |Δ| / max |logit| over a 16-token prompt): F16 1e-2, Q8_0 5e-2, Q4_0 0.25.
TEST(LlmEngineModelQuant, QuantisedModelsCloseToF32) {
  for (const std::string arch : {"llama", "qwen2"}) {
    MemModel ref = MakeModel(SmallSpec(arch, GgmlType::kF32));
    const int nv = ref.model->hparams().n_vocab;
    const auto toks = SomeTokens(16, nv, 5);
    ASSERT_TRUE(ref.model->Decode(toks).ok());
    for (auto [t, tol] : {std::pair{GgmlType::kF16, 1e-2}, {GgmlType::kQ8_0, 5e-2}, {GgmlType::kQ4_0, 0.25}}) {
      MemModel q = MakeModel(SmallSpec(arch, t));
      ASSERT_TRUE(q.model->Decode(toks).ok());
      double d = RelDiff(q.model->logits(), ref.model->logits(), nv);
      EXPECT_LE(d, tol) << arch << " " << TypeInfo(t).name;
      EXPECT_EQ(Argmax(q.model->logits(), nv) == Argmax(ref.model->logits(), nv) || t == GgmlType::kQ4_0, true);
    }
  }
}

TEST(LlmEngineModelQuant, RejectsBadTokensAndFullContext) {
  MemModel mm = MakeModel(SmallSpec("llama", GgmlType::kF32));
  Model& m = *mm.model;
  std::vector<int32_t> bad = {1, 1000};
  Status s = m.Decode(bad);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("vocabulary"), std::string::npos);
  EXPECT_EQ(m.n_past(), 0);
  std::vector<int32_t> many(static_cast<size_t>(m.n_ctx()) + 1, 1);
  EXPECT_EQ(m.Decode(many).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(m.Decode({}).code(), Status::Code::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Kernels.

struct KernelCase {
  int rows, cols, nt;
};

// y = X · Wᵀ in double from the dequantised weights and the unquantised activations.
std::vector<double> RefProduct(const MatRef& w, const std::vector<float>& x, int nt) {
  std::vector<double> y(static_cast<size_t>(nt) * w.rows);
  std::vector<float> row(static_cast<size_t>(w.cols));
  for (int64_t r = 0; r < w.rows; ++r) {
    DequantizeRow(w.type, w.data + r * w.row_bytes, row.data(), w.cols);
    for (int t = 0; t < nt; ++t) {
      double s = 0;
      for (int64_t i = 0; i < w.cols; ++i) s += static_cast<double>(row[i]) * x[t * w.cols + i];
      y[t * w.rows + r] = s;
    }
  }
  return y;
}

struct QuantMatrix {
  std::vector<float> f32;
  std::vector<uint8_t> bytes;
  MatRef ref;
};

QuantMatrix MakeMatrix(GgmlType t, int rows, int cols, uint64_t seed) {
  QuantMatrix q;
  Rng rng(seed);
  q.f32.resize(static_cast<size_t>(rows) * cols);
  for (float& v : q.f32) v = rng.Uniform(-1.0f, 1.0f);
  GgufWriter w;
  EXPECT_TRUE(w.AddTensor("w", {static_cast<uint64_t>(cols), static_cast<uint64_t>(rows)}, t, q.f32).ok());
  q.bytes = w.Serialize();
  auto f = Unwrap(GgufFile::Parse(q.bytes.data(), q.bytes.size(), "m"));
  const GgufTensor& ten = f->tensors()[0];
  // The parsed file points into q.bytes, which stays alive with q.
  q.ref = MatRef{t, ten.data, rows, cols, RowBytes(t, static_cast<uint64_t>(cols))};
  return q;
}

std::vector<float> RunProduct(const MatRef& w, const std::vector<float>& x, int nt, ThreadPool* pool) {
  ActBuffer a;
  PrepareActivations(w.type, x.data(), nt, w.cols, &a, pool);
  std::vector<float> y(static_cast<size_t>(nt) * w.rows, -1.0f);
  MatMul(w, a, y.data(), w.rows, pool);
  return y;
}

// Quantised products (weights and activations quantised) against the exact product of the F32
// weights, as RMS error over RMS of the result: F16 1e-3, Q8_0 1.5e-2, Q4_0 0.12 (uniform
// random data; 4-bit weights alone give about 0.07).
// A worker thread that cannot start (pids or memory limit) is an error naming the cause, not a
// hang: the pool destroyed its condition variable under the workers already waiting on it and
// the process hung forever. Run in a child whose address space leaves room for a few thread
// stacks only; the alarm ends a child that hangs.
TEST(LlmEngineThreadPool, ThreadsThatCannotStartAreAnErrorNotAHang) {
  RandomModelSpec spec;
  spec.n_layer = 1;
  const std::vector<uint8_t> bytes = Unwrap(RandomModel(spec)).Serialize();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    alarm(10);
    long pages = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
      if (std::fscanf(f, "%ld", &pages) != 1) pages = 0;
      std::fclose(f);
    }
    const rlim_t limit = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + (64u << 20);
    const rlimit rl{limit, limit};
    if (pages == 0 || setrlimit(RLIMIT_AS, &rl) != 0) _exit(4);
    auto m = Model::FromGguf(Unwrap(GgufFile::Parse(bytes.data(), bytes.size(), "tiny.gguf")),
                             ModelOptions{.n_ctx = 8, .n_batch = 1, .threads = 256});
    if (m.ok()) _exit(2);
    const std::string& msg = m.status().message();
    _exit(msg.find("tiny.gguf: cannot start thread ") == 0 && msg.find(" of 256 (") != std::string::npos &&
                  msg.find("use fewer threads") != std::string::npos
              ? 0
              : 3);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child hung (killed by signal " << WTERMSIG(status) << ")";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2: all 256 threads started, 3: another message, 4: no limit set";
}

// Engine options out of range are refused naming the option (-j had no bound and oversubscribed
// or hung, --kernels bogus meant auto, bench -p -5 said 'cannot create std::vector', --ctx
// 3000000 asked for gigabytes of KV cache).
TEST(LlmEngineCli, OptionsOutOfRangeAreRefusedNamingTheOption) {
  const std::pair<const char*, const char*> cases[] = {
      {"llm generate -m none.gguf -p hi -j 2000", "--threads: Value 2000 not in range 0 to 1024"},
      {"llm generate -m none.gguf -p hi -c 3000000", "--ctx: Value 3000000 not in range"},
      {"llm generate -m none.gguf -p hi --kernels bogus", "--kernels: bogus not in"},
      {"llm bench -m none.gguf -p -5", "--prompt-tokens: Value -5 not in range"},
      {"llm bench -m none.gguf -p 2147483647", "--prompt-tokens: Value 2147483647 not in range"},
      {"llm bench -m none.gguf -j 5000", "--threads: Value 5000 not in range 0 to 1024"},
      {"llm bench --write-random /nonexistent/none.gguf --shape tiny-llama --type q5", "--type: q5 not in"},
  };
  for (const auto& [args, want] : cases) {
    test::RunResult r = test::RunCli(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_NE(r.err.find(want), std::string::npos) << args << ": " << r.err;
  }
}

// generate --json writes its JSON when the text is not UTF-8 (byte-fallback tokens at a high
// temperature): invalid bytes become U+FFFD (it failed with 'invalid UTF-8 byte at index 0').
TEST(LlmEngineCli, GenerateJsonWithInvalidUtf8Text) {
  const std::string model = test::SharedData("llm/shop-tiny-f32.gguf");
  if (model.empty()) GTEST_SKIP() << "llm/shop-tiny-f32.gguf not present (../shared/data)";
  test::RunResult r = test::RunCli("--json llm generate -m " + model +
                                   " -p Because -n 40 -j 1 --temp 3 --top-k 0 --top-p 1 --min-p 0 --seed 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["tokens"].size(), 40u);
  EXPECT_NE(j["text"].get<std::string>().find("\xEF\xBF\xBD"), std::string::npos) << j["text"];  // U+FFFD
}

TEST(LlmEngineKernels, QuantisedMatVecAndMatMulWithinToleranceOfF32) {
  IsaGuard guard;
  ThreadPool pool(2);
  for (KernelCase c : {KernelCase{37, 256, 1}, KernelCase{64, 96, 7}, KernelCase{8, 64, 4}}) {
    Rng rng(9);
    std::vector<float> x(static_cast<size_t>(c.nt) * c.cols);
    for (float& v : x) v = rng.Uniform(-1.0f, 1.0f);
    QuantMatrix f32 = MakeMatrix(GgmlType::kF32, c.rows, c.cols, 5);
    std::vector<double> exact = RefProduct(f32.ref, x, c.nt);
    double rms = 0;
    for (double v : exact) rms += v * v;
    rms = std::sqrt(rms / static_cast<double>(exact.size()));
    for (Isa isa : AvailableIsas()) {
      SetIsa(isa);
      for (auto [t, tol] : {std::pair{GgmlType::kF32, 1e-5}, {GgmlType::kF16, 1e-3}, {GgmlType::kQ8_0, 1.5e-2},
                            {GgmlType::kQ4_0, 0.12}}) {
        QuantMatrix q = MakeMatrix(t, c.rows, c.cols, 5);
        std::vector<float> y = RunProduct(q.ref, x, c.nt, &pool);
        double err = 0;
        for (size_t i = 0; i < y.size(); ++i) err += (y[i] - exact[i]) * (y[i] - exact[i]);
        err = std::sqrt(err / static_cast<double>(y.size()));
        EXPECT_LE(err / rms, tol) << IsaName(isa) << " " << TypeInfo(t).name << " " << c.rows << "x" << c.cols
                                  << " tokens " << c.nt;
      }
    }
  }
}

// Every SIMD path computes what the plain path computes (integer dot products exactly; only
// the order of float sums differs): within 1e-5 of the largest output.
TEST(LlmEngineKernels, SimdPathsEqualPlainPath) {
  IsaGuard guard;
  if (DetectedIsa() == Isa::kScalar) GTEST_SKIP() << "this CPU has no AVX2";
  ThreadPool pool(2);
  for (KernelCase c : {KernelCase{37, 256, 1}, KernelCase{21, 352, 9}, KernelCase{5, 40, 3}}) {
    Rng rng(4);
    std::vector<float> x(static_cast<size_t>(c.nt) * c.cols);
    for (float& v : x) v = rng.Uniform(-1.0f, 1.0f);
    for (GgmlType t : {GgmlType::kF32, GgmlType::kF16, GgmlType::kQ8_0, GgmlType::kQ4_0}) {
      if (RowBytes(t, static_cast<uint64_t>(c.cols)) == 0) continue;  // 40 columns: no 32-blocks
      QuantMatrix q = MakeMatrix(t, c.rows, c.cols, 8);
      SetIsa(Isa::kScalar);
      std::vector<float> plain = RunProduct(q.ref, x, c.nt, nullptr);
      for (Isa isa : AvailableIsas()) {
        if (isa == Isa::kScalar) continue;
        ASSERT_EQ(SetIsa(isa), isa);
        std::vector<float> y = RunProduct(q.ref, x, c.nt, &pool);
        EXPECT_LE(RelDiff(y.data(), plain.data(), y.size()), 1e-5) << IsaName(isa) << " " << TypeInfo(t).name;
      }
    }
  }
}

// Weights packed in groups of 8 rows (the layout the model uses for its layer matrices) give
// what the row layout gives, on every path: rows not a multiple of 8 (a padded last group),
// token counts below, at and above one packed call (8) and one token chunk (64).
TEST(LlmEngineKernels, PackedRowsEqualRowLayout) {
  IsaGuard guard;
  ThreadPool pool(2);
  for (KernelCase c : {KernelCase{37, 256, 1}, KernelCase{8, 64, 8}, KernelCase{21, 352, 9}, KernelCase{50, 96, 70}}) {
    Rng rng(11);
    std::vector<float> x(static_cast<size_t>(c.nt) * c.cols);
    for (float& v : x) v = rng.Uniform(-1.0f, 1.0f);
    for (GgmlType t : {GgmlType::kQ8_0, GgmlType::kQ4_0}) {
      QuantMatrix q = MakeMatrix(t, c.rows, c.cols, 12);
      std::vector<uint8_t> buf(PackedBytes(t, c.rows, c.cols));
      MatRef packed = PackRows8(q.ref, buf.data());
      ASSERT_TRUE(packed.packed);
      SetIsa(Isa::kScalar);
      std::vector<float> rows = RunProduct(q.ref, x, c.nt, nullptr);
      for (Isa isa : AvailableIsas()) {
        ASSERT_EQ(SetIsa(isa), isa);
        std::vector<float> y = RunProduct(packed, x, c.nt, &pool);
        EXPECT_LE(RelDiff(y.data(), rows.data(), y.size()), 1e-5)
            << IsaName(isa) << " " << TypeInfo(t).name << " " << c.rows << "x" << c.cols << " tokens " << c.nt;
      }
    }
  }
}

// The other vector kernels of each path: activation quantisation bit for bit (rounding half to
// even, including exact halves), one attention head within 1e-5 (float sums in another order).
TEST(LlmEngineKernels, QuantizeAndAttentionEqualPlainPath) {
  IsaGuard guard;
  Rng rng(21);
  std::vector<float> x(256);
  for (float& v : x) v = rng.Uniform(-3.0f, 3.0f);
  // Block 0: scale exactly 1 (largest 127), the rest exact halves (2.5 → 2, 3.5 → 4, -0.5 → 0).
  x[0] = 127.0f;
  for (int i = 1; i < 32; ++i) x[i] = static_cast<float>(i - 16) + 0.5f;
  std::fill(x.begin() + 32, x.begin() + 64, 0.0f);                            // a block of zeros
  std::vector<BlockQ8A> plain(8), simd(8);
  QuantizeRowQ8A(x.data(), plain.data(), 256);
  const int hd = 72, n_kv = 37, stride = 2 * hd;  // head size not a multiple of 16; two heads per row
  std::vector<float> q(hd), kv(static_cast<size_t>(n_kv) * stride), vv(kv.size());
  for (float& v : q) v = rng.Uniform(-1.0f, 1.0f);
  for (float& v : kv) v = rng.Uniform(-1.0f, 1.0f);
  for (float& v : vv) v = rng.Uniform(-1.0f, 1.0f);
  std::vector<float> sc(n_kv), want(hd), got(hd);
  KernelsScalar()->attend(q.data(), kv.data() + hd, vv.data() + hd, stride, n_kv, hd, 0.125f, sc.data(), want.data());
  for (Isa isa : AvailableIsas()) {
    SetIsa(isa);
    const KernelTable* k = ActiveKernels();
    k->quantize_q8a(x.data(), simd.data(), 256);
    for (int b = 0; b < 8; ++b) {
      EXPECT_EQ(simd[b].d, plain[b].d) << IsaName(isa) << " block " << b;
      EXPECT_EQ(simd[b].neg8sum, plain[b].neg8sum) << IsaName(isa) << " block " << b;
      EXPECT_EQ(std::memcmp(simd[b].qs, plain[b].qs, kQK), 0) << IsaName(isa) << " block " << b;
    }
    k->attend(q.data(), kv.data() + hd, vv.data() + hd, stride, n_kv, hd, 0.125f, sc.data(), got.data());
    EXPECT_LE(RelDiff(got.data(), want.data(), hd), 1e-5) << IsaName(isa);
  }
}

TEST(LlmEngineKernels, F16AndBlockFormats) {
  for (float v : {0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f, 0.333333f}) {
    EXPECT_NEAR(F16ToF32(F32ToF16(v)), v, std::fabs(v) * 1e-3 + 1e-9) << v;
  }
  EXPECT_EQ(F32ToF16(1.0f), 0x3c00);
  EXPECT_EQ(F32ToF16(-2.0f), 0xc000);
  EXPECT_TRUE(std::isinf(F16ToF32(F32ToF16(1e6f))));
  // Q4_0 of a block: the value of largest magnitude maps to -8 * d exactly.
  std::vector<float> x(32);
  for (int i = 0; i < 32; ++i) x[i] = static_cast<float>(i - 16) / 4.0f;
  BlockQ4_0 b4;
  QuantizeRowQ4_0(x.data(), &b4, 32);
  std::vector<float> y(32);
  DequantizeRow(GgmlType::kQ4_0, &b4, y.data(), 32);
  EXPECT_FLOAT_EQ(y[0], -4.0f);
  for (int i = 0; i < 32; ++i) EXPECT_NEAR(y[i], x[i], 0.5f * 4.0f / 8.0f + 1e-3);
  // Q4_K: d = 1, dmin = 0.5, every sub-block scale 1 and min 2: x = q - 1.
  uint8_t q4k[144] = {};
  uint16_t one = F32ToF16(1.0f), half = F32ToF16(0.5f);
  std::memcpy(q4k, &one, 2);
  std::memcpy(q4k + 2, &half, 2);
  for (int j = 0; j < 4; ++j) {
    q4k[4 + j] = 1;      // scales 0..3
    q4k[4 + j + 4] = 2;  // mins 0..3
    q4k[4 + j + 8] = 0x21;  // scale 1 and min 2 of sub-blocks 4..7
  }
  for (int i = 0; i < 128; ++i) q4k[16 + i] = static_cast<uint8_t>((i % 16) | ((15 - i % 16) << 4));
  std::vector<float> yk(256);
  DequantizeRow(GgmlType::kQ4_K, q4k, yk.data(), 256);
  EXPECT_FLOAT_EQ(yk[0], -1.0f);
  EXPECT_FLOAT_EQ(yk[5], 4.0f);
  EXPECT_FLOAT_EQ(yk[32], 14.0f);   // high nibble of byte 0: 15
  EXPECT_FLOAT_EQ(yk[255], -1.0f);  // high nibble of byte 127 (127 % 16 = 15 → 0)
  // Q6_K: d = 1, scales 1, all 6-bit values 33: x = 1.
  uint8_t q6k[210] = {};
  for (int i = 0; i < 128; ++i) q6k[i] = 0x11;       // low 4 bits of 33 = 1
  for (int i = 0; i < 64; ++i) q6k[128 + i] = 0xAA;  // high 2 bits = 2 for each of the four
  for (int i = 0; i < 16; ++i) q6k[192 + i] = 1;
  std::memcpy(q6k + 208, &one, 2);
  DequantizeRow(GgmlType::kQ6_K, q6k, yk.data(), 256);
  for (float v : yk) EXPECT_FLOAT_EQ(v, 1.0f);
}

// ---------------------------------------------------------------------------------------------
// Sampler.

TEST(LlmEngineSampler, GreedyIsArgmax) {
  std::vector<float> l = {0.1f, 3.0f, -1.0f, 2.9f, 3.0f};
  EXPECT_EQ(Argmax(l.data(), 5), 1);  // ties: lowest id
  Sampler s(SamplerOptions{});
  EXPECT_EQ(s.Sample(l.data(), 5, {}), 1);
  SamplerOptions rp;
  rp.repeat_penalty = 2.0f;  // 3.0 → 1.5 for the recent token 1; 4 wins
  Sampler s2(rp);
  EXPECT_EQ(s2.Sample(l.data(), 5, {1}), 4);
}

TEST(LlmEngineSampler, TopKTopPMinPSemantics) {
  // Probabilities 0.5, 0.25, 0.125, 0.0625, 0.0625 (logits are their logs).
  std::vector<float> l = {std::log(0.5f), std::log(0.25f), std::log(0.125f), std::log(0.0625f), std::log(0.0625f)};
  auto ids = [](const std::vector<std::pair<int32_t, float>>& c) {
    std::vector<int32_t> v;
    for (auto& e : c) v.push_back(e.first);
    return v;
  };
  SamplerOptions o;
  o.temperature = 1;
  o.top_k = 2;
  o.top_p = 1;
  o.min_p = 0;
  auto c = Sampler(o).Candidates(l.data(), 5, {});
  EXPECT_EQ(ids(c), (std::vector<int32_t>{0, 1}));
  EXPECT_NEAR(c[0].second, 2.0 / 3.0, 1e-6);
  o.top_k = 0;
  o.top_p = 0.7f;  // 0.5 < 0.7 <= 0.75: two tokens
  EXPECT_EQ(ids(Sampler(o).Candidates(l.data(), 5, {})), (std::vector<int32_t>{0, 1}));
  o.top_p = 0.76f;  // 0.875: three
  EXPECT_EQ(ids(Sampler(o).Candidates(l.data(), 5, {})), (std::vector<int32_t>{0, 1, 2}));
  o.top_p = 1;
  o.min_p = 0.25f;  // p >= 0.125
  EXPECT_EQ(ids(Sampler(o).Candidates(l.data(), 5, {})), (std::vector<int32_t>{0, 1, 2}));
}

TEST(LlmEngineSampler, SeededDrawsAreReproducibleAndFollowProbabilities) {
  std::vector<float> l = {0.0f, std::log(3.0f), -30.0f};  // p ≈ 0.25, 0.75, 0
  SamplerOptions o;
  o.temperature = 1;
  o.top_k = 0;
  o.top_p = 1;
  o.min_p = 0;
  o.seed = 42;
  Sampler a(o), b(o);
  int ones = 0;
  std::vector<int32_t> sa, sb;
  for (int i = 0; i < 2000; ++i) {
    sa.push_back(a.Sample(l.data(), 3, {}));
    sb.push_back(b.Sample(l.data(), 3, {}));
    ones += sa.back() == 1;
    EXPECT_NE(sa.back(), 2);
  }
  EXPECT_EQ(sa, sb);
  EXPECT_NEAR(ones / 2000.0, 0.75, 0.04);
  o.seed = 43;
  Sampler c(o);
  std::vector<int32_t> sc;
  for (int i = 0; i < 2000; ++i) sc.push_back(c.Sample(l.data(), 3, {}));
  EXPECT_NE(sa, sc);
  // Low temperature sharpens towards the most likely token.
  o.temperature = 0.1f;
  Sampler d(o);
  int top = 0;
  for (int i = 0; i < 200; ++i) top += d.Sample(l.data(), 3, {}) == 1;
  EXPECT_EQ(top, 200);
}

// Settings out of range are refused by CheckSamplerOptions naming the setting, and a Sampler
// built with them anyway takes them as off: a repeat penalty of 0 gave the recent tokens an
// infinite logit (llm generate wrote BOS for ever), a NaN temperature drew from NaN weights.
TEST(LlmEngineSampler, SettingsOutOfRangeAreRefusedOrTakenAsOff) {
  EXPECT_TRUE(CheckSamplerOptions(SamplerOptions{}).ok());
  SamplerOptions edge;
  edge.temperature = 0;
  edge.top_p = 0;
  edge.min_p = 1;
  edge.repeat_last_n = -1;
  EXPECT_TRUE(CheckSamplerOptions(edge).ok());
  const float nan = std::nanf("");
  const std::pair<std::function<void(SamplerOptions&)>, std::string> bad[] = {
      {[&](SamplerOptions& o) { o.temperature = nan; }, "sampling: temperature = nan: must be a finite number >= 0"},
      {[](SamplerOptions& o) { o.temperature = -1; }, "sampling: temperature = -1: must be a finite number >= 0"},
      {[](SamplerOptions& o) { o.temperature = INFINITY; }, "sampling: temperature = inf: must be a finite number >= 0"},
      {[&](SamplerOptions& o) { o.top_p = nan; }, "sampling: top_p = nan: must be from 0 to 1"},
      {[](SamplerOptions& o) { o.top_p = 1.5f; }, "sampling: top_p = 1.5: must be from 0 to 1"},
      {[&](SamplerOptions& o) { o.min_p = nan; }, "sampling: min_p = nan: must be from 0 to 1"},
      {[](SamplerOptions& o) { o.min_p = -0.5f; }, "sampling: min_p = -0.5: must be from 0 to 1"},
      {[](SamplerOptions& o) { o.repeat_penalty = 0; }, "sampling: repeat_penalty = 0: must be a finite number above 0"},
      {[&](SamplerOptions& o) { o.repeat_penalty = nan; },
       "sampling: repeat_penalty = nan: must be a finite number above 0"},
      {[](SamplerOptions& o) { o.repeat_last_n = -2; }, "sampling: repeat_last_n = -2: must be -1 (all tokens) or more"},
  };
  for (const auto& [set, want] : bad) {
    SamplerOptions o;
    set(o);
    EXPECT_EQ(CheckSamplerOptions(o).message(), want);
  }
  // Taken as off: the argmax (1), not the recent token 0 nor the first id.
  const std::vector<float> l = {1.0f, 3.0f, 2.0f};
  for (float penalty : {0.0f, -2.0f, nan}) {
    SamplerOptions o;
    o.repeat_penalty = penalty;
    EXPECT_EQ(Sampler(o).Sample(l.data(), 3, {0, 0, 0}), 1) << penalty;
  }
  for (float t : {nan, INFINITY, -1.0f}) {
    SamplerOptions o;
    o.temperature = t;
    o.top_k = 0;
    o.top_p = nan;
    o.min_p = nan;
    EXPECT_EQ(Sampler(o).Sample(l.data(), 3, {}), 1) << t;
  }
}

// A random llama model with a byte-level vocabulary (<unk>, <s>, </s>, <0x00> .. <0xFF>), so that
// a Generator loads it without the shared data. `patch` may change the serialized bytes.
std::string WriteModelWithVocab(const test::TempDir& dir, const std::function<void(std::vector<uint8_t>&)>& patch = {}) {
  RandomModelSpec s;
  s.n_layer = 1;
  s.n_vocab = 259;
  GgufWriter w = Unwrap(RandomModel(s));
  std::vector<std::string> toks = {"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types = {2, 3, 3};  // unknown, control, control
  for (int b = 0; b < 256; ++b) {
    toks.push_back(fmt::format("<0x{:02X}>", b));
    types.push_back(6);  // byte
  }
  w.SetString("tokenizer.ggml.model", "llama");
  w.SetStrings("tokenizer.ggml.tokens", toks);
  w.SetI32s("tokenizer.ggml.token_type", types);
  std::vector<uint8_t> b = w.Serialize();
  if (patch) patch(b);
  const std::string path = dir / "vocab.gguf";
  test::WriteFile(path, std::string(b.begin(), b.end()));
  return path;
}

// Generator refuses sampling settings out of range before generating (the local backend passes
// settings from code), and logits that are not numbers (NaN weights) instead of writing token 0
// at every step.
TEST(LlmEngineGenerator, RefusesBadSettingsAndNanLogits) {
  test::TempDir dir;
  auto gen = Unwrap(Generator::Load({.model_path = WriteModelWithVocab(dir), .n_ctx = 16, .threads = 1}));
  GenerateOptions o;
  o.max_tokens = 4;
  EXPECT_TRUE(gen->Generate("abc", o).ok());
  o.sampling.repeat_penalty = 0;
  auto r = gen->Generate("abc", o);
  EXPECT_EQ(r.status().message(), "sampling: repeat_penalty = 0: must be a finite number above 0");
  o.sampling.repeat_penalty = 1;
  // NaN in output_norm.weight: every logit NaN.
  auto nan_norm = [](std::vector<uint8_t>& b) {
    auto f = Unwrap(GgufFile::Parse(b.data(), b.size(), "m"));
    const GgufTensor* t = f->FindTensor("output_norm.weight");
    ASSERT_NE(t, nullptr);
    const float nan = std::nanf("");
    std::memcpy(b.data() + (t->data - b.data()), &nan, 4);
  };
  auto bad = Unwrap(Generator::Load({.model_path = WriteModelWithVocab(dir, nan_norm), .n_ctx = 16, .threads = 1}));
  r = bad->Generate("abc", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "generate: token 1 (after a prompt of 7): the model's logits are not finite "
                                  "numbers (NaN or infinite weights in the file?)");
}

// llm generate: sampling options out of range are refused naming the option (--repeat-penalty 0
// wrote only BOS tokens with exit code 0; NaN was taken).
TEST(LlmEngineCli, SamplingOptionsOutOfRangeAreRefused) {
  const std::pair<const char*, const char*> cases[] = {
      {"--repeat-penalty 0", "--repeat-penalty: must be a finite number above 0, not '0'"},
      {"--repeat-penalty -1", "--repeat-penalty: must be a finite number above 0, not '-1'"},
      {"--temp nan", "--temp: must be a finite number of 0 or more, not 'nan'"},
      {"--temp -1", "--temp: must be a finite number of 0 or more, not '-1'"},
      {"--top-p nan", "--top-p: must be a number from 0 to 1, not 'nan'"},
      {"--top-p 1.5", "--top-p: must be a number from 0 to 1, not '1.5'"},
      {"--min-p nan", "--min-p: must be a number from 0 to 1, not 'nan'"},
      {"--min-p -0.1", "--min-p: must be a number from 0 to 1, not '-0.1'"},
      {"--repeat-last-n -2", "--repeat-last-n: Value -2 not in range -1 to"},
  };
  for (const auto& [opt, want] : cases) {
    test::RunResult r = test::RunCli(std::string("llm generate -m none.gguf -p hi ") + opt);
    EXPECT_NE(r.exit_code, 0) << opt;
    EXPECT_NE(r.err.find(want), std::string::npos) << opt << ": " << r.err;
  }
  test::TempDir dir;
  test::RunResult r = test::RunCli("llm generate -m " + WriteModelWithVocab(dir) +
                                   " -c 64 -n 3 -j 1 -p xyz --repeat-penalty 1.1 --temp 0.5");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// A prompt longer than the context is an error that says how to make room, and `llm generate`
// prints nothing before it (the prompt was echoed, then "decode: 24 tokens after 0 do not fit the
// context of 8"); a prompt that fits is still echoed before the text.
TEST(LlmEngineCli, PromptLongerThanTheContextIsAnErrorWithNoEcho) {
  test::TempDir dir;
  const std::string model = WriteModelWithVocab(dir);
  auto gen = Unwrap(Generator::Load({.model_path = model, .n_ctx = 16, .threads = 1}));
  GenerateOptions o;
  o.max_tokens = 4;
  // Tokens: BOS, the space prefix as its 3 bytes, one a letter.
  auto r = gen->Generate(std::string(40, 'x'), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "generate: the prompt is 44 tokens, more than the context of 16 positions (use -c N "
                                  "with N above 44, llm.n_ctx in kgprofile.conf, or a shorter prompt)");
  EXPECT_TRUE(gen->Generate(std::string(12, 'x'), o).ok());  // 16 tokens: fits
  test::RunResult cli = test::RunCli("llm generate -m " + model + " -c 8 -j 1 -p " + std::string(20, 'x'));
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_EQ(cli.out, "");
  EXPECT_NE(cli.err.find("the prompt is 24 tokens, more than the context of 8 positions (use -c N"), std::string::npos)
      << cli.err;
  cli = test::RunCli("llm generate -m " + model + " -c 64 -n 3 -j 1 -p xyz");
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(cli.out.rfind("xyz", 0), 0u) << cli.out;  // the prompt, then the text
  cli = test::RunCli("llm generate -m " + model + " -c 64 -n 0 -j 1 -p xyz");  // no pieces: echoed after
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(cli.out, "xyz\n");
}

// ---------------------------------------------------------------------------------------------
// Generator API on the shop model.

TEST(LlmEngineGenerator, StreamsStopsAndReusesThePrefix) {
  KGP_REQUIRE_DATA(model, "llm/shop-tiny-f32.gguf");
  GeneratorOptions go;
  go.model_path = model;
  go.threads = 2;
  auto gen = Unwrap(Generator::Load(go));
  GenerateOptions o;
  o.max_tokens = 48;
  std::string streamed;
  GenerateResult r = Unwrap(gen->Generate("Because Alice bought", o, [&](std::string_view p) {
    streamed += p;
    return true;
  }));
  EXPECT_EQ(r.text, " coffee beans from Tyrell, we recommend more smart watches.");
  EXPECT_EQ(streamed, r.text);
  EXPECT_EQ(r.stop_reason, "eog");
  EXPECT_EQ(r.reused_tokens, 0);
  // The same prompt again: all but its last token come from the cache; same text.
  GenerateResult again = Unwrap(gen->Generate("Because Alice bought", o));
  EXPECT_EQ(again.reused_tokens, static_cast<int>(again.prompt_tokens.size()) - 1);
  EXPECT_EQ(again.text, r.text);
  // A stop string cuts the text before it; the callback never sees past it.
  o.stop = {", we"};
  streamed.clear();
  GenerateResult s = Unwrap(gen->Generate("Because Alice bought", o, [&](std::string_view p) {
    streamed += p;
    return true;
  }));
  EXPECT_EQ(s.text, " coffee beans from Tyrell");
  EXPECT_EQ(streamed, s.text);
  EXPECT_EQ(s.stop_reason, "stop");
  // The callback stops generation; max_tokens bounds it.
  o.stop.clear();
  int calls = 0;
  GenerateResult c = Unwrap(gen->Generate("We recommend", o, [&](std::string_view) { return ++calls < 2; }));
  EXPECT_EQ(c.stop_reason, "callback");
  EXPECT_EQ(c.tokens.size(), 2u);
  o.max_tokens = 3;
  GenerateResult l = Unwrap(gen->Generate("We recommend", o));
  EXPECT_EQ(l.tokens.size(), 3u);
  EXPECT_EQ(l.stop_reason, "length");
  // Sampling with a seed is reproducible.
  o.max_tokens = 20;
  o.sampling.temperature = 0.9f;
  o.sampling.seed = 5;
  EXPECT_EQ(Unwrap(gen->Generate("Bob likes", o)).tokens, Unwrap(gen->Generate("Bob likes", o)).tokens);
}

}  // namespace
}  // namespace kgp::llm
