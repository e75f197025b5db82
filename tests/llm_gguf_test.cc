// GGUF reader and writer (src/llm/engine/gguf.h, gguf_writer.h): a written file reads back with
// its metadata and tensors; truncated or damaged files give a clear Status, never a crash; the
// model loader names what is missing or wrong.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "llm/engine/gguf.h"
#include "llm/engine/gguf_writer.h"
#include "llm/engine/model.h"
#include "llm/engine/quant.h"
#include "test_util.h"

namespace kgp::llm {
namespace {

std::vector<uint8_t> SmallFile() {
  GgufWriter w;
  w.SetString("general.architecture", "llama");
  w.SetU32("llama.block_count", 3);
  w.SetF32("llama.rope.freq_base", 500000.0f);
  w.SetBool("tokenizer.ggml.add_bos_token", true);
  w.SetStrings("tokenizer.ggml.tokens", {"a", "b", "<s>"});
  w.SetF32s("tokenizer.ggml.scores", {0.5f, -1.0f, 0.0f});
  w.SetI32s("tokenizer.ggml.token_type", {1, 1, 3});
  std::vector<float> v(64 * 3);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 17) - 8.0f;
  EXPECT_TRUE(w.AddTensor("f32", {64, 3}, GgmlType::kF32, v).ok());
  EXPECT_TRUE(w.AddTensor("f16", {64, 3}, GgmlType::kF16, v).ok());
  EXPECT_TRUE(w.AddTensor("q8", {64, 3}, GgmlType::kQ8_0, v).ok());
  EXPECT_TRUE(w.AddTensor("q4", {64, 3}, GgmlType::kQ4_0, v).ok());
  EXPECT_FALSE(w.AddTensor("bad", {40, 1}, GgmlType::kQ8_0, std::vector<float>(40)).ok());  // not 32-blocks
  EXPECT_FALSE(w.AddTensor("bad", {4, 4}, GgmlType::kF32, std::vector<float>(15)).ok());
  return w.Serialize();
}

TEST(GgufWriter, RoundTripsMetadataAndTensors) {
  std::vector<uint8_t> b = SmallFile();
  auto f = Unwrap(GgufFile::Parse(b.data(), b.size(), "mem"));
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(*f->GetString("general.architecture"), "llama");
  EXPECT_EQ(*f->GetUInt("llama.block_count"), 3u);
  EXPECT_FLOAT_EQ(static_cast<float>(*f->GetFloat("llama.rope.freq_base")), 500000.0f);
  EXPECT_TRUE(*f->GetBool("tokenizer.ggml.add_bos_token"));
  const GgufValue* toks = *f->GetArray("tokenizer.ggml.tokens");
  EXPECT_EQ(toks->strs, (std::vector<std::string>{"a", "b", "<s>"}));
  EXPECT_EQ((*f->GetArray("tokenizer.ggml.token_type"))->nums, (std::vector<double>{1, 1, 3}));
  ASSERT_EQ(f->tensors().size(), 4u);
  std::vector<float> row(64);
  for (const char* name : {"f32", "f16", "q8", "q4"}) {
    const GgufTensor* t = f->FindTensor(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->dims, (std::vector<uint64_t>{64, 3}));
    EXPECT_EQ((t->data - b.data()) % 32, 0) << name;
    DequantizeRow(t->type, t->data + RowBytes(t->type, 64), row.data(), 64);  // row 1
    // Q4_0 (ggml's rule): d = -max/8, so the opposite extreme clips to 7 steps (an error of d = 1).
    const float tol = t->type == GgmlType::kQ4_0 ? 1.0f : t->type == GgmlType::kQ8_0 ? 0.04f : 0.0f;
    for (int i = 0; i < 64; ++i) EXPECT_NEAR(row[i], static_cast<float>((64 + i) % 17) - 8.0f, tol) << name << " " << i;
  }
}

// Every prefix of a valid file, and files with damaged counts or lengths, fail with a Status.
TEST(GgufReader, TruncatedAndDamagedFilesGiveClearErrors) {
  std::vector<uint8_t> b = SmallFile();
  for (size_t n = 0; n < b.size(); n += (n < 400 ? 1 : 97)) {
    std::vector<uint8_t> cut(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
    auto f = GgufFile::Parse(cut.data(), cut.size(), "cut");
    EXPECT_FALSE(f.ok()) << "prefix of " << n << " bytes";
    if (!f.ok()) {
      EXPECT_NE(f.status().message().find("cut"), std::string::npos);
    }
  }
  auto damaged = [&](size_t at, uint64_t value) {
    std::vector<uint8_t> d = b;
    std::memcpy(d.data() + at, &value, 8);
    return GgufFile::Parse(d.data(), d.size(), "damaged");
  };
  EXPECT_FALSE(damaged(8, 1ull << 40).ok());   // tensor count
  EXPECT_FALSE(damaged(16, 1ull << 40).ok());  // metadata count
  EXPECT_FALSE(damaged(24, 1ull << 50).ok());  // first key's length
  std::vector<uint8_t> magic = b;
  magic[0] = 'X';
  auto m = GgufFile::Parse(magic.data(), magic.size(), "magic");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("magic"), std::string::npos);
}

// The offset of the 8-byte length of metadata array `key` in a file SmallFile() wrote.
size_t ArrayLengthAt(const std::vector<uint8_t>& b, const std::string& key) {
  auto it = std::search(b.begin(), b.end(), key.begin(), key.end());
  EXPECT_NE(it, b.end()) << key;
  return static_cast<size_t>(it - b.begin()) + key.size() + 4 + 4;  // the type, the element type
}

// An array length is checked against the bytes left before the array is sized: a 1 MB file
// with a length of 2^31 made the reader allocate and zero 64 GiB (here 10^5 elements, which
// cannot fit in the ~1 KB file, are refused at once, naming the key and the offset).
TEST(GgufReader, ArrayLengthsPastTheEndAreRefusedBeforeAllocating) {
  const std::vector<uint8_t> b = SmallFile();
  for (const std::string key : {"tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type"}) {
    std::vector<uint8_t> d = b;
    const size_t at = ArrayLengthAt(d, key);
    const uint64_t n = 100000;
    std::memcpy(d.data() + at, &n, 8);
    auto f = GgufFile::Parse(d.data(), d.size(), "damaged.gguf");
    ASSERT_FALSE(f.ok()) << key;
    const std::string& m = f.status().message();
    EXPECT_NE(m.find(fmt::format("damaged.gguf: byte {}: {} (array length): 100000 entries", at + 8, key)),
              std::string::npos) << m;
    EXPECT_NE(m.find("bytes left in the file"), std::string::npos) << m;
  }
  // An array that fills the rest of the file exactly is read.
  auto f = GgufFile::Parse(b.data(), b.size(), "ok.gguf");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
}

// A tensor count is checked against the bytes left for tensor infos (32 bytes each at least):
// a count of the file size minus one made the reader size 100 bytes of table per file byte.
TEST(GgufReader, TensorCountPastTheEndIsRefusedInTheHeader) {
  std::vector<uint8_t> b = SmallFile();
  const uint64_t fits = (b.size() - 24) / 32, too_many = fits + 1;
  std::memcpy(b.data() + 8, &too_many, 8);
  auto f = GgufFile::Parse(b.data(), b.size(), "count.gguf");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find(fmt::format("count.gguf: byte 24: tensor count: {} entries of at least 32 bytes",
                                                  too_many)),
            std::string::npos)
      << f.status().ToString();
}

TEST(GgufReader, OpenMissingFile) {
  auto f = GgufFile::Open("/nonexistent/model.gguf");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), Status::Code::kIoError);
}

// A folder or a FIFO is not a model file: the folder failed in mmap ("No such device"), the FIFO
// waited for a writer.
TEST(GgufReader, OpenRefusesWhatIsNotARegularFile) {
  test::TempDir dir;
  const std::string fifo = dir / "pipe.gguf";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& path : {dir.path(), fifo}) {
    auto f = GgufFile::Open(path);
    ASSERT_FALSE(f.ok()) << path;
    EXPECT_EQ(f.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(f.status().message(), path + ": not a regular file");
  }
  test::RunResult r = test::RunCli("llm info " + dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(dir.path() + ": not a regular file"), std::string::npos) << r.err;
}

// `llm info` lists metadata strings that are not UTF-8 with U+FFFD, keys too (a control byte in
// a key as \xNN): the text listing stopped at the first one with json's 'invalid UTF-8 byte' and
// exit code 1.
TEST(GgufReader, InfoListsMetadataThatIsNotUtf8) {
  test::TempDir dir;
  GgufWriter w;
  w.SetString("general.architecture", "llama");
  w.SetString("general.name", "tiny\xFFmodel");
  w.SetString("key\xFE\x1b[31m", "red");
  w.SetString("z.last", "after");
  ASSERT_TRUE(w.AddTensor("t", {4}, GgmlType::kF32, std::vector<float>(4)).ok());
  const std::string path = dir / "name.gguf";
  ASSERT_TRUE(w.WriteFile(path).ok());
  test::RunResult r = test::RunCli("llm info " + path);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  general.name = \"tiny\xEF\xBF\xBDmodel\"\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  key\xEF\xBF\xBD\\x1b[31m = \"red\"\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  z.last = \"after\"\n"), std::string::npos) << r.out;
  r = test::RunCli("--json llm info " + path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["metadata"]["general.name"], "tiny\xEF\xBF\xBDmodel");
}

// The "not loadable" reason quotes the file's bytes (an architecture name): printed raw, an
// escape sequence in it acted on the terminal, and invalid UTF-8 in it failed --json.
TEST(GgufReader, InfoQuotesTheLoadErrorPrintably) {
  test::TempDir dir;
  GgufWriter w;
  w.SetString("general.architecture", "ll\xFF\x1b[31mama");
  ASSERT_TRUE(w.AddTensor("t", {4}, GgmlType::kF32, std::vector<float>(4)).ok());
  const std::string path = dir / "arch.gguf";
  ASSERT_TRUE(w.WriteFile(path).ok());
  test::RunResult r = test::RunCli("llm info " + path);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const size_t at = r.out.find("not loadable: ");
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::string line = r.out.substr(at, r.out.find('\n', at) - at);
  EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
  EXPECT_NE(line.find("\\x1b[31m"), std::string::npos) << line;
  EXPECT_NE(line.find("ll\xEF\xBF\xBD"), std::string::npos) << line;
  r = test::RunCli("--json llm info " + path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(nlohmann::json::parse(r.out)["load_error"].get<std::string>().find("is not supported"), std::string::npos);
}

// The model loader: unsupported architectures, missing tensors and wrong shapes are named.
TEST(GgufModelLoad, NamesWhatIsWrong) {
  auto load = [](GgufWriter w) {
    auto bytes = std::make_shared<std::vector<uint8_t>>(w.Serialize());
    auto f = GgufFile::Parse(bytes->data(), bytes->size(), "m");
    if (!f.ok()) return f.status();
    return Model::FromGguf(std::move(f).value()).status();
  };
  RandomModelSpec s;
  s.n_layer = 1;
  GgufWriter good = Unwrap(RandomModel(s));
  EXPECT_TRUE(load(good).ok());
  GgufWriter arch = good;
  arch.SetString("general.architecture", "mamba");
  EXPECT_NE(load(arch).message().find("mamba"), std::string::npos);
  GgufWriter heads = good;
  heads.SetU32("llama.attention.head_count_kv", 3);  // 4 heads do not split into 3 groups
  EXPECT_EQ(load(heads).code(), Status::Code::kInvalidArgument);
  GgufWriter layers = good;
  layers.SetU32("llama.block_count", 2);  // blk.1.* is missing
  Status st = load(layers);
  EXPECT_NE(st.message().find("blk.1.attn_norm.weight"), std::string::npos) << st.ToString();
  // A block_count far beyond the layers present fails at the first missing one, saying so,
  // before anything is sized from it (2^21 took 1 GB; 5000 keeps this test small on old code).
  layers.SetU32("llama.block_count", 5000);
  st = load(layers);
  EXPECT_NE(st.message().find("llama.block_count is 5000 but tensor blk.1.attn_norm.weight is missing"),
            std::string::npos) << st.ToString();
  // A rope base or RMS epsilon that is NaN, 0 or negative is refused naming the key (the model
  // loaded and every logit was NaN).
  for (const char* key : {"llama.rope.freq_base", "llama.attention.layer_norm_rms_epsilon"}) {
    for (float bad : {std::nanf(""), 0.0f, -1.0f, INFINITY}) {
      GgufWriter w = good;
      w.SetF32(key, bad);
      st = load(w);
      EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << key << " " << bad;
      EXPECT_NE(st.message().find(fmt::format("m: {} = {} must be a finite number above 0", key, bad)),
                std::string::npos) << st.ToString();
    }
  }
  GgufWriter ff = good;
  ff.SetU32("llama.feed_forward_length", 100);
  st = load(ff);
  EXPECT_NE(st.message().find("ffn_gate.weight has shape"), std::string::npos) << st.ToString();
}

// The byte offset of tensor `name`'s info in serialized GGUF bytes, past its name (then: u32
// dimension count, u64 dimensions, u32 type, u64 offset).
size_t TensorInfoAt(const std::vector<uint8_t>& b, const std::string& name) {
  std::string info(8, '\0');
  const uint64_t len = name.size();
  std::memcpy(info.data(), &len, 8);
  info += name;
  auto at = std::search(b.begin(), b.end(), info.begin(), info.end());
  EXPECT_NE(at, b.end()) << name;
  return at == b.end() ? 0 : static_cast<size_t>(at - b.begin()) + info.size();
}

// A norm vector of a type the engine cannot read is refused naming the type: I32 (as wide as
// F32) and F64 of the right length were reported as "must be 64 numbers" though they had 64.
TEST(GgufModelLoad, VectorOfUnsupportedTypeNamesTheType) {
  RandomModelSpec s;
  s.n_layer = 1;
  const std::vector<uint8_t> good = Unwrap(RandomModel(s)).Serialize();
  auto load = [](std::vector<uint8_t> b) {
    auto f = GgufFile::Parse(b.data(), b.size(), "m");
    return f.ok() ? Model::FromGguf(std::move(f).value()).status() : f.status();
  };
  const size_t at = TensorInfoAt(good, "output_norm.weight");
  ASSERT_GT(at, 0u);
  uint32_t nd = 0;
  std::memcpy(&nd, &good[at], 4);
  ASSERT_EQ(nd, 1u);
  for (GgmlType t : {GgmlType::kI32, GgmlType::kF64}) {
    std::vector<uint8_t> b = good;
    const uint32_t type = static_cast<uint32_t>(t);
    std::memcpy(&b[at + 4 + 8], &type, 4);
    EXPECT_EQ(load(b).message(), fmt::format("m: tensor output_norm.weight has type {}, which the engine does not support",
                                             TypeInfo(t).name));
  }
  // A supported type of the wrong length says how many numbers it has.
  std::vector<uint8_t> b = good;
  const uint64_t shorter = static_cast<uint64_t>(s.n_embd) / 2;
  std::memcpy(&b[at + 4], &shorter, 8);
  EXPECT_EQ(load(b).message(), fmt::format("m: tensor output_norm.weight has {} numbers, expected {}", shorter, s.n_embd));
}

// Head size × head count is taken in 64 bits and bounded: 64 heads of 2^26 + 1 wrapped to 64 in
// int, so [64, 64] q/k/v matrices passed the shape checks, `llm info` called the file loadable
// and `llm generate` crashed writing gigabytes past the query buffer. The rope dimension must
// fit the head. Errors name the file and the key.
TEST(GgufModelLoad, HeadSizeTimesHeadCountCannotWrap) {
  RandomModelSpec s;  // 64 wide, q, k and v [64, 64]: what the wrapped product asked for
  s.n_layer = 1;
  s.n_head_kv = 4;
  auto load = [](const GgufWriter& w) {
    const std::vector<uint8_t> b = w.Serialize();
    auto f = GgufFile::Parse(b.data(), b.size(), "hd.gguf");
    return f.ok() ? Model::FromGguf(std::move(f).value(), ModelOptions{.n_ctx = 8, .threads = 1}).status() : f.status();
  };
  GgufWriter wide = Unwrap(RandomModel(s));
  wide.SetU32("llama.attention.head_count", 64);
  wide.SetU32("llama.attention.head_count_kv", 64);
  wide.SetU32("llama.rope.dimension_count", 2);
  const std::pair<uint32_t, std::string> cases[] = {
      {(1u << 26) + 1, "hd.gguf: llama.attention.key_length = 67108865 is out of range (at most 1048576)"},
      {16385, "hd.gguf: llama.attention.key_length = 16385: 64 heads × 16385 = 1048640 query values per token, "
              "outside 1..1048576"},
      {0, "hd.gguf: llama.attention.key_length = 0: 64 heads × 0 = 0 query values per token, outside 1..1048576"},
  };
  for (const auto& [hd, want] : cases) {
    GgufWriter w = wide;
    w.SetU32("llama.attention.key_length", hd);
    Status st = load(w);
    EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << hd;
    EXPECT_EQ(st.message(), want);
  }
  // Within bounds, the matrices must still have the shape the product says.
  GgufWriter w = wide;
  w.SetU32("llama.attention.key_length", 1024);
  EXPECT_NE(load(w).message().find("tensor blk.0.attn_q.weight has shape 64x64, expected [64, 65536]"), std::string::npos)
      << load(w).ToString();
  // The rope dimension: even and at most the head size (16 here).
  GgufWriter rope = Unwrap(RandomModel(s));
  for (uint32_t n_rot : {18u, 1u << 30, 7u}) {
    rope.SetU32("llama.rope.dimension_count", n_rot);
    EXPECT_EQ(load(rope).message(), fmt::format("hd.gguf: llama.rope.dimension_count = {}: must be even and at most "
                                                "the head size 16", n_rot));
  }
}

// The KV cache, rope tables and scratch are sized from the hyperparameters and the context, not
// from the file: more than the machine has is an error with the sizes, before allocating.
TEST(GgufModelLoad, TablesLargerThanMemoryAreRefused) {
  RandomModelSpec s;
  s.n_layer = 1;
  const std::vector<uint8_t> b = Unwrap(RandomModel(s)).Serialize();
  // 2^30 positions × 32 key and 32 value numbers × 4 bytes: 256 GB of KV cache alone, and the
  // rope tables as much again.
  Status st;
  try {
    st = Model::FromGguf(Unwrap(GgufFile::Parse(b.data(), b.size(), "m")),
                         ModelOptions{.n_ctx = 1 << 30, .threads = 1})
             .status();
  } catch (const std::bad_alloc&) {
    FAIL() << "allocated before checking";
  }
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("m: a context of 1073741824 positions needs ", 0), 0u) << st.ToString();
  EXPECT_NE(st.message().find("1 layers × 1073741824 positions × 64 key and value numbers"), std::string::npos)
      << st.ToString();
  EXPECT_NE(st.message().find("use a smaller context"), std::string::npos) << st.ToString();
}

// End to end: the crafted file of the report is an error from `llm generate` and `llm info`.
TEST(GgufModelLoad, CliRefusesACraftedHeadSize) {
  test::TempDir dir;
  RandomModelSpec s;
  s.n_layer = 1;
  s.n_head_kv = 4;
  GgufWriter w = Unwrap(RandomModel(s));
  w.SetU32("llama.attention.head_count", 64);
  w.SetU32("llama.attention.head_count_kv", 64);
  w.SetU32("llama.attention.key_length", (1u << 26) + 1);
  w.SetU32("llama.rope.dimension_count", 2);
  const std::string path = dir / "hd.gguf";
  ASSERT_TRUE(w.WriteFile(path).ok());
  const std::string want = path + ": llama.attention.key_length = 67108865 is out of range";
  // bench needs no tokenizer: on the old code it decoded, and crashed.
  for (const char* cmd : {"llm bench -p 4 -n 1 -r 1 -j 1 -m ", "llm generate -p hi -n 2 -j 1 -m "}) {
    test::RunResult r = test::RunCli(cmd + path);
    EXPECT_EQ(r.exit_code, 1) << cmd << r.err;
    EXPECT_NE(r.err.find(want), std::string::npos) << cmd << r.err;
  }
  test::RunResult r = test::RunCli("llm info " + path);
  EXPECT_NE(r.out.find("not loadable: invalid argument: " + want), std::string::npos) << r.out;
}

}  // namespace
}  // namespace kgp::llm
