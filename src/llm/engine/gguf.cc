#include "llm/engine/gguf.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace kgp::llm {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
constexpr uint64_t kMaxString = 1ull << 30;
constexpr uint64_t kMaxDims = 4;
// The fewest bytes an entry can take in the file, so that a count read from the header is
// checked against the bytes left before anything is sized from it: a metadata pair is a key
// length (8), a type (4) and at least a one-byte value; a tensor info is a name length (8),
// a dimension count (4), one dimension (8), a type (4) and an offset (8); a string is its
// length (8).
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;
constexpr uint64_t kMinStringBytes = 8;

// Bounds-checked little-endian reader over the mapped bytes.
class Cursor {
 public:
  Cursor(const uint8_t* p, size_t n, const std::string& name) : p_(p), n_(n), name_(name) {}
  size_t pos() const { return pos_; }
  size_t left() const { return n_ - pos_; }
  // Fails unless `count` entries of at least `min_bytes` each fit in the bytes left.
  Status CheckCount(uint64_t count, uint64_t min_bytes, std::string_view field) const {
    if (count <= left() / min_bytes) return Status::Ok();
    return Fail(field, fmt::format("{} entries of at least {} bytes do not fit in the {} bytes left in the file",
                                   count, min_bytes, left()));
  }
  Status Fail(std::string_view field, std::string_view what) const {
    return Status::Corruption(fmt::format("{}: byte {}: {}: {}", name_, pos_, field, what));
  }
  template <typename T>
  Status Read(T* out, std::string_view field) {
    if (n_ - pos_ < sizeof(T)) return Fail(field, "file ends early");
    std::memcpy(out, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::Ok();
  }
  Status ReadString(std::string* out, std::string_view field) {
    uint64_t len = 0;
    KGP_RETURN_IF_ERROR(Read(&len, field));
    if (len > kMaxString || len > n_ - pos_) {
      return Fail(field, fmt::format("string length {} past the end of the file", len));
    }
    out->assign(reinterpret_cast<const char*>(p_ + pos_), len);
    pos_ += len;
    return Status::Ok();
  }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t pos_ = 0;
  const std::string& name_;
};

bool IsNumber(GgufType t) {
  return t != GgufType::kString && t != GgufType::kArray && static_cast<uint32_t>(t) <= 12;
}

// Encoded size of a number (IsNumber(t)).
uint64_t NumberBytes(GgufType t) {
  switch (t) {
    case GgufType::kU8: case GgufType::kI8: case GgufType::kBool: return 1;
    case GgufType::kU16: case GgufType::kI16: return 2;
    case GgufType::kU32: case GgufType::kI32: case GgufType::kF32: return 4;
    default: return 8;
  }
}

// Reads one scalar of type t into v (numbers: u/i/f; bool: u; string: s).
Status ReadScalar(Cursor& c, GgufType t, GgufValue* v, std::string_view field) {
  auto ints = [&](auto x) {
    using X = decltype(x);
    if constexpr (std::is_signed_v<X>) {
      v->i = x;
      v->u = x < 0 ? 0 : static_cast<uint64_t>(x);
    } else {
      v->u = x;
      v->i = x > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(x);
    }
    v->f = static_cast<double>(x);
  };
  switch (t) {
    case GgufType::kU8: { uint8_t x; KGP_RETURN_IF_ERROR(c.Read(&x, field)); ints(x); break; }
    case GgufType::kI8: { int8_t x; KGP_RETURN_IF_ERROR(c.Read(&x, field)); ints(x); break; }
    case GgufType::kU16: { uint16_t x; KGP_RETURN_IF_ERROR(c.Read(&x, field)); ints(x); break; }
    case GgufType::kI16: { int16_t x; KGP_RETURN_IF_ERROR(c.Read(&x, field)); ints(x); break; }
    case GgufType::kU32: { uint32_t x; KGP_RETURN_IF_ERROR(c.Read(&x, field)); ints(x); break; }
    case GgufType::kI32: { int32_t x; KGP_RETURN_IF_ERROR(c.Read(&x, field)); ints(x); break; }
    case GgufType::kU64: { uint64_t x; KGP_RETURN_IF_ERROR(c.Read(&x, field)); ints(x); break; }
    case GgufType::kI64: { int64_t x; KGP_RETURN_IF_ERROR(c.Read(&x, field)); ints(x); break; }
    case GgufType::kF32: { float x; KGP_RETURN_IF_ERROR(c.Read(&x, field)); v->f = x; break; }
    case GgufType::kF64: { double x; KGP_RETURN_IF_ERROR(c.Read(&x, field)); v->f = x; break; }
    case GgufType::kBool: {
      uint8_t x;
      KGP_RETURN_IF_ERROR(c.Read(&x, field));
      if (x > 1) return c.Fail(field, fmt::format("bool value {}", x));
      v->u = x;
      v->i = x;
      v->f = x;
      break;
    }
    case GgufType::kString: return c.ReadString(&v->s, field);
    default: return c.Fail(field, fmt::format("unknown value type {}", static_cast<uint32_t>(t)));
  }
  return Status::Ok();
}

Status ReadValue(Cursor& c, GgufValue* v, const std::string& key) {
  uint32_t t = 0;
  KGP_RETURN_IF_ERROR(c.Read(&t, key + " (type)"));
  v->type = static_cast<GgufType>(t);
  if (v->type != GgufType::kArray) return ReadScalar(c, v->type, v, key);
  uint32_t et = 0;
  uint64_t n = 0;
  KGP_RETURN_IF_ERROR(c.Read(&et, key + " (array type)"));
  KGP_RETURN_IF_ERROR(c.Read(&n, key + " (array length)"));
  v->elem = static_cast<GgufType>(et);
  if (v->elem == GgufType::kString) {
    KGP_RETURN_IF_ERROR(c.CheckCount(n, kMinStringBytes, key + " (array length)"));
    v->strs.resize(n);
    for (uint64_t k = 0; k < n; ++k) KGP_RETURN_IF_ERROR(c.ReadString(&v->strs[k], key));
  } else if (IsNumber(v->elem)) {
    KGP_RETURN_IF_ERROR(c.CheckCount(n, NumberBytes(v->elem), key + " (array length)"));
    v->nums.resize(n);
    GgufValue tmp;
    for (uint64_t k = 0; k < n; ++k) {
      KGP_RETURN_IF_ERROR(ReadScalar(c, v->elem, &tmp, key));
      v->nums[k] = tmp.f;
    }
  } else {
    return c.Fail(key, fmt::format("unsupported array element type {}", et));
  }
  return Status::Ok();
}

}  // namespace

std::string_view GgufTypeName(GgufType t) {
  static constexpr const char* kNames[] = {"u8",  "i8",     "u16",   "i16", "u32",
                                           "i32", "f32",    "bool",  "string",
                                           "array", "u64",  "i64",   "f64"};
  auto k = static_cast<uint32_t>(t);
  return k < 13 ? kNames[k] : "unknown";
}

GgmlTypeInfo TypeInfo(GgmlType t) {
  switch (t) {
    case GgmlType::kF32: return {"F32", 1, 4};
    case GgmlType::kF16: return {"F16", 1, 2};
    case GgmlType::kBF16: return {"BF16", 1, 2};
    case GgmlType::kQ4_0: return {"Q4_0", 32, 18};
    case GgmlType::kQ4_1: return {"Q4_1", 32, 20};
    case GgmlType::kQ5_0: return {"Q5_0", 32, 22};
    case GgmlType::kQ5_1: return {"Q5_1", 32, 24};
    case GgmlType::kQ8_0: return {"Q8_0", 32, 34};
    case GgmlType::kQ8_1: return {"Q8_1", 32, 36};
    case GgmlType::kQ2_K: return {"Q2_K", 256, 84};
    case GgmlType::kQ3_K: return {"Q3_K", 256, 110};
    case GgmlType::kQ4_K: return {"Q4_K", 256, 144};
    case GgmlType::kQ5_K: return {"Q5_K", 256, 176};
    case GgmlType::kQ6_K: return {"Q6_K", 256, 210};
    case GgmlType::kQ8_K: return {"Q8_K", 256, 292};
    case GgmlType::kI8: return {"I8", 1, 1};
    case GgmlType::kI16: return {"I16", 1, 2};
    case GgmlType::kI32: return {"I32", 1, 4};
    case GgmlType::kI64: return {"I64", 1, 8};
    case GgmlType::kF64: return {"F64", 1, 8};
  }
  return {};
}

uint64_t RowBytes(GgmlType t, uint64_t n) {
  GgmlTypeInfo info = TypeInfo(t);
  if (info.name == nullptr || n % info.block != 0) return 0;
  return n / info.block * info.bytes;
}

uint64_t GgufTensor::elements() const {
  uint64_t n = 1;
  for (uint64_t d : dims) n *= d;
  return n;
}

uint64_t GgufTensor::rows() const {
  uint64_t n = 1;
  for (size_t k = 1; k < dims.size(); ++k) n *= dims[k];
  return n;
}

Result<std::unique_ptr<GgufFile>> GgufFile::Open(const std::string& path) {
  // O_NONBLOCK: a FIFO opens at once (and is refused below) instead of waiting for a writer.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Status::IoError(fmt::format("{}: {}", path, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return Status::IoError(fmt::format("{}: {}", path, std::strerror(e)));
  }
  // A folder failed in mmap as "No such device".
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(fmt::format("{}: not a regular file", path));
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return Status::Corruption(fmt::format("{}: empty file, not GGUF", path));
  }
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int e = errno;
  ::close(fd);
  if (p == MAP_FAILED) return Status::IoError(fmt::format("{}: mmap: {}", path, std::strerror(e)));
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->path_ = path;
  f->base_ = static_cast<const uint8_t*>(p);
  f->size_ = size;
  f->mapped_ = true;
  KGP_RETURN_IF_ERROR(f->ParseAll());
  return f;
}

Result<std::unique_ptr<GgufFile>> GgufFile::Parse(const uint8_t* bytes, size_t size,
                                                  std::string name) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->path_ = std::move(name);
  f->base_ = bytes;
  f->size_ = size;
  KGP_RETURN_IF_ERROR(f->ParseAll());
  return f;
}

void GgufFile::Release(const uint8_t* data, uint64_t n) const {
  if (!mapped_ || data < base_ || data + n > base_ + size_) return;
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t b = (reinterpret_cast<uintptr_t>(data) + page - 1) / page * page;
  const uintptr_t e = (reinterpret_cast<uintptr_t>(data) + n) / page * page;
  if (e > b) ::madvise(reinterpret_cast<void*>(b), e - b, MADV_DONTNEED);
}

GgufFile::~GgufFile() {
  if (mapped_) ::munmap(const_cast<uint8_t*>(base_), size_);
}

Status GgufFile::ParseAll() {
  Cursor c(base_, size_, path_);
  uint32_t magic = 0;
  KGP_RETURN_IF_ERROR(c.Read(&magic, "magic"));
  if (magic != kMagic) return Status::Corruption(fmt::format("{}: not a GGUF file (bad magic)", path_));
  KGP_RETURN_IF_ERROR(c.Read(&version_, "version"));
  if (version_ < 2 || version_ > 3) {
    return Status::Corruption(
        fmt::format("{}: GGUF version {} is not supported (2 and 3 are)", path_, version_));
  }
  uint64_t n_tensors = 0, n_kv = 0;
  KGP_RETURN_IF_ERROR(c.Read(&n_tensors, "tensor count"));
  KGP_RETURN_IF_ERROR(c.Read(&n_kv, "metadata count"));
  KGP_RETURN_IF_ERROR(c.CheckCount(n_tensors, kMinTensorInfoBytes, "tensor count"));
  KGP_RETURN_IF_ERROR(c.CheckCount(n_kv, kMinKvBytes, "metadata count"));
  for (uint64_t k = 0; k < n_kv; ++k) {
    std::string key;
    KGP_RETURN_IF_ERROR(c.ReadString(&key, fmt::format("metadata key #{}", k)));
    GgufValue v;
    KGP_RETURN_IF_ERROR(ReadValue(c, &v, key));
    if (!kv_.emplace(key, std::move(v)).second) return c.Fail(key, "duplicate metadata key");
  }
  if (const GgufValue* a = Find("general.alignment")) {
    if (!IsNumber(a->type) || a->u == 0 || (a->u & (a->u - 1)) != 0) {
      return Status::Corruption(fmt::format("{}: general.alignment must be a power of two", path_));
    }
    alignment_ = a->u;
  }
  tensors_.resize(n_tensors);
  for (uint64_t k = 0; k < n_tensors; ++k) {
    GgufTensor& t = tensors_[k];
    KGP_RETURN_IF_ERROR(c.ReadString(&t.name, fmt::format("tensor #{} name", k)));
    uint32_t nd = 0;
    KGP_RETURN_IF_ERROR(c.Read(&nd, t.name + " (dims)"));
    if (nd == 0 || nd > kMaxDims) return c.Fail(t.name, fmt::format("{} dimensions", nd));
    t.dims.resize(nd);
    for (auto& d : t.dims) KGP_RETURN_IF_ERROR(c.Read(&d, t.name + " (shape)"));
    uint32_t type = 0;
    KGP_RETURN_IF_ERROR(c.Read(&type, t.name + " (type)"));
    t.type = static_cast<GgmlType>(type);
    KGP_RETURN_IF_ERROR(c.Read(&t.offset, t.name + " (offset)"));
    if (TypeInfo(t.type).name == nullptr) return c.Fail(t.name, fmt::format("unknown tensor type {}", type));
    uint64_t elems = 1;
    for (uint64_t d : t.dims) {
      if (d == 0 || d > (1ull << 40) || elems > (1ull << 40) / d) return c.Fail(t.name, "bad shape");
      elems *= d;
    }
    uint64_t row = RowBytes(t.type, t.dims[0]);
    if (row == 0) {
      return c.Fail(t.name, fmt::format("row length {} is not a multiple of the {} block",
                                        t.dims[0], TypeInfo(t.type).name));
    }
    t.nbytes = row * (elems / t.dims[0]);
    if (t.offset % alignment_ != 0) return c.Fail(t.name, "tensor offset not aligned");
    if (!tensor_index_.emplace(t.name, k).second) return c.Fail(t.name, "duplicate tensor name");
  }
  uint64_t data_start = (c.pos() + alignment_ - 1) / alignment_ * alignment_;
  for (GgufTensor& t : tensors_) {
    if (data_start > size_ || t.offset > size_ - data_start || t.nbytes > size_ - data_start - t.offset) {
      return Status::Corruption(fmt::format("{}: tensor {} ({} bytes at {}) extends past the end of the file",
                                            path_, t.name, t.nbytes, data_start + t.offset));
    }
    t.data = base_ + data_start + t.offset;
  }
  return Status::Ok();
}

const GgufValue* GgufFile::Find(std::string_view key) const {
  auto it = kv_.find(std::string(key));
  return it == kv_.end() ? nullptr : &it->second;
}

const GgufTensor* GgufFile::FindTensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {
Status Missing(const std::string& path, std::string_view key) {
  return Status::NotFound(fmt::format("{}: metadata key {} is missing", path, key));
}
Status Mistyped(const std::string& path, std::string_view key, const GgufValue& v, std::string_view want) {
  return Status::InvalidArgument(fmt::format("{}: metadata key {} is {}, expected {}", path, key,
                                             GgufTypeName(v.type), want));
}
}  // namespace

Result<uint64_t> GgufFile::GetUInt(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(path_, key);
  bool integer = IsNumber(v->type) && v->type != GgufType::kF32 && v->type != GgufType::kF64 &&
                 v->type != GgufType::kBool;
  if (!integer || v->i < 0) return Mistyped(path_, key, *v, "a non-negative integer");
  return v->u;
}

Result<uint64_t> GgufFile::GetUInt(std::string_view key, uint64_t dflt) const {
  return Has(key) ? GetUInt(key) : Result<uint64_t>(dflt);
}

Result<double> GgufFile::GetFloat(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(path_, key);
  if (!IsNumber(v->type) || v->type == GgufType::kBool) return Mistyped(path_, key, *v, "a number");
  return v->f;
}

Result<double> GgufFile::GetFloat(std::string_view key, double dflt) const {
  return Has(key) ? GetFloat(key) : Result<double>(dflt);
}

Result<std::string> GgufFile::GetString(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(path_, key);
  if (v->type != GgufType::kString) return Mistyped(path_, key, *v, "a string");
  return v->s;
}

Result<std::string> GgufFile::GetString(std::string_view key, std::string dflt) const {
  return Has(key) ? GetString(key) : Result<std::string>(std::move(dflt));
}

Result<bool> GgufFile::GetBool(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(path_, key);
  if (v->type != GgufType::kBool) return Mistyped(path_, key, *v, "a bool");
  return v->u != 0;
}

Result<const GgufValue*> GgufFile::GetArray(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(path_, key);
  if (v->type != GgufType::kArray) return Mistyped(path_, key, *v, "an array");
  return v;
}

}  // namespace kgp::llm
