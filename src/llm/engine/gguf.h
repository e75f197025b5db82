// GGUF v2/v3 reader: typed metadata, tensor table, alignment, memory-mapped tensor data.
// Every offset and length is checked against the file size; a damaged file gives a Status
// naming the file, the byte offset and the field, never a crash. Immutable after Open, so
// thread-safe for readers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kgp::llm {

// Value types of GGUF metadata (the numbering is the file format's).
enum class GgufType : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
  kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};
std::string_view GgufTypeName(GgufType t);

// Tensor element types (ggml's numbering). Block size and bytes per block in GgmlTypeInfo.
enum class GgmlType : uint32_t {
  kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ4_1 = 3, kQ5_0 = 6, kQ5_1 = 7, kQ8_0 = 8, kQ8_1 = 9,
  kQ2_K = 10, kQ3_K = 11, kQ4_K = 12, kQ5_K = 13, kQ6_K = 14, kQ8_K = 15,
  kI8 = 24, kI16 = 25, kI32 = 26, kI64 = 27, kF64 = 28, kBF16 = 30,
};
struct GgmlTypeInfo {
  const char* name = nullptr;  // nullptr: unknown type
  uint32_t block = 0;          // elements per block
  uint32_t bytes = 0;          // bytes per block
};
GgmlTypeInfo TypeInfo(GgmlType t);
// Bytes of a row of n elements; 0 when n is not a multiple of the block size or the type is unknown.
uint64_t RowBytes(GgmlType t, uint64_t n);

// One metadata value. Scalars keep their exact value in the member of their kind; arrays keep
// their element type and either strings or numbers (every GGUF number converts exactly to
// double except 64-bit integers above 2^53, which tokenizers and hyperparameters never use).
struct GgufValue {
  GgufType type = GgufType::kU8;
  uint64_t u = 0;     // unsigned integers and bool
  int64_t i = 0;      // signed integers (also set for unsigned values that fit)
  double f = 0;       // floats (also set for every integer)
  std::string s;      // string
  GgufType elem = GgufType::kU8;  // arrays: element type
  std::vector<std::string> strs;  // arrays of strings
  std::vector<double> nums;       // arrays of numbers or bools
  uint64_t size() const { return elem == GgufType::kString ? strs.size() : nums.size(); }
};

struct GgufTensor {
  std::string name;
  std::vector<uint64_t> dims;  // ne[0] first: ne[0] is the row length (contiguous)
  GgmlType type = GgmlType::kF32;
  uint64_t offset = 0;         // from the start of the data section
  uint64_t nbytes = 0;
  const uint8_t* data = nullptr;  // into the mapping; valid while the GgufFile lives
  uint64_t elements() const;
  uint64_t rows() const;          // product of dims[1..]
};

class GgufFile {
 public:
  // Maps and parses `path`. Only the header is read eagerly; tensor data stays mapped.
  static Result<std::unique_ptr<GgufFile>> Open(const std::string& path);
  // Parses a file already in memory (tests, fuzzing); `bytes` must outlive the object.
  static Result<std::unique_ptr<GgufFile>> Parse(const uint8_t* bytes, size_t size,
                                                 std::string name);
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }

  const std::map<std::string, GgufValue>& metadata() const { return kv_; }
  const GgufValue* Find(std::string_view key) const;
  bool Has(std::string_view key) const { return Find(key) != nullptr; }
  // Typed getters: NotFound when absent, InvalidArgument naming key and types when mistyped.
  Result<uint64_t> GetUInt(std::string_view key) const;   // any non-negative integer type
  Result<double> GetFloat(std::string_view key) const;    // any number type
  Result<std::string> GetString(std::string_view key) const;
  Result<bool> GetBool(std::string_view key) const;
  Result<const GgufValue*> GetArray(std::string_view key) const;
  // Getters with a default when the key is absent (still an error when mistyped).
  Result<uint64_t> GetUInt(std::string_view key, uint64_t dflt) const;
  Result<double> GetFloat(std::string_view key, double dflt) const;
  Result<std::string> GetString(std::string_view key, std::string dflt) const;

  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  const GgufTensor* FindTensor(std::string_view name) const;
  // Hint that [data, data + n) of a mapped file will not be read again soon: its whole pages
  // leave this process's memory (reading them later maps them in again). No-op when parsed
  // from memory.
  void Release(const uint8_t* data, uint64_t n) const;

 private:
  GgufFile() = default;
  Status ParseAll();

  std::string path_;
  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  std::map<std::string, GgufValue> kv_;
  std::vector<GgufTensor> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

}  // namespace kgp::llm
