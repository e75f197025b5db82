// The profile state file (docs/profile.md "State file"): magic "KGPPROF1", then a version,
// the options, and per user its id, counters and tag/repurchase/bought vectors, little-endian
// as in memory (the file is a cache of the store, rebuilt by `profile build`, not an
// interchange format), then (format 4) a checksum of every field before it.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

#include "common/hash.h"
#include "common/out_file.h"
#include "common/strings.h"
#include "profile/builder.h"

namespace kgp {
namespace {

constexpr char kMagic[8] = {'K', 'G', 'P', 'P', 'R', 'O', 'F', '1'};
// Bump when UserCounters, TagStat, ProfileOptions or ClusterOptions change, or the layout.
// 3: the items' highest event prices (ProfileSet::seen_prices) after the node table.
// 4: a checksum at the end (a flipped byte in a counter loaded silently); 3 is still read.
constexpr uint32_t kVersion = 4;
constexpr uint32_t kVersionWithoutChecksum = 3;
static_assert(std::is_trivially_copyable_v<UserCounters>);
static_assert(std::is_trivially_copyable_v<TagStat>);
static_assert(std::is_trivially_copyable_v<ProfileOptions>);
static_assert(std::is_trivially_copyable_v<ClusterOptions>);

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

// The checksum chains Hash64 over the fields in the order they are written and read (a vector:
// its length, then its elements when there are any), so writer and reader take the same steps.
inline uint64_t Chain(uint64_t h, std::string_view bytes) { return Hash64(bytes, h ^ 0x6b67702d73746174ULL); }

class Writer {
 public:
  explicit Writer(OutFile& f) : f_(f) {}
  template <typename T>
  void Put(const T& v) { Write(std::string_view(reinterpret_cast<const char*>(&v), sizeof v)); }
  template <typename T>
  void PutVec(const std::vector<T>& v) {
    Put(static_cast<uint64_t>(v.size()));
    if (!v.empty()) Write(std::string_view(reinterpret_cast<const char*>(v.data()), sizeof(T) * v.size()));
  }
  uint64_t checksum() const { return hash_; }

 private:
  void Write(std::string_view bytes) {
    hash_ = Chain(hash_, bytes);
    f_.Write(bytes);
  }
  OutFile& f_;
  uint64_t hash_ = 0;
};
// Reads a state file front to back and never past its end: a vector's length is checked against
// the bytes left before anything is allocated for it. The first failure is kept, naming the
// field (and `user`, the slot being read, when set).
class Reader {
 public:
  Reader(FILE* f, uint64_t size) : f_(f), left_(size) {}
  int64_t user = -1;

  template <typename T>
  bool Get(T& v, const char* field) {
    if (!error_.empty()) return false;
    if (left_ < sizeof v || std::fread(&v, sizeof v, 1, f_) != 1) return Fail(fmt::format("{} ends past the end of the file", field));
    left_ -= sizeof v;
    hash_ = Chain(hash_, std::string_view(reinterpret_cast<const char*>(&v), sizeof v));
    return true;
  }
  template <typename T>
  bool GetVec(std::vector<T>& v, const char* field) {
    uint64_t n = 0;
    if (!Get(n, field)) return false;
    if (n > left_ / sizeof(T))
      return Fail(fmt::format("{} length {} is more than the {} bytes left in the file hold", field, n, left_));
    v.resize(n);
    if (n > 0 && std::fread(v.data(), sizeof(T), n, f_) != n) return Fail(fmt::format("{} cannot be read", field));
    left_ -= n * sizeof(T);
    if (n > 0) hash_ = Chain(hash_, std::string_view(reinterpret_cast<const char*>(v.data()), sizeof(T) * n));
    return true;
  }
  bool Fail(std::string what) {
    if (error_.empty()) error_ = user >= 0 ? fmt::format("user slot {}: {}", user, what) : std::move(what);
    return false;
  }
  uint64_t left() const { return left_; }
  const std::string& error() const { return error_; }
  uint64_t checksum() const { return hash_; }

 private:
  FILE* f_;
  uint64_t left_;
  uint64_t hash_ = 0;
  std::string error_;
};

// Why no build could have written these options ("" when one could): values the CLI refuses,
// which would divide by zero or loop for ever.
std::string CheckOptions(const ProfileOptions& o, const ClusterOptions& c) {
  for (double d : {o.half_life_days, o.new_days, o.dormant_days, o.churn_days, o.return_gap_days, o.return_window_days})
    if (!std::isfinite(d) || d <= 0) return "profile options out of range (a number of days not positive)";
  if (o.session_gap_s < 1 || o.session_gap_s > int64_t{366} * 86400) return "profile options out of range (session gap)";
  if (c.k < 1 || c.k > 1000 || c.iterations < 0 || c.iterations > 1000) return "cluster options out of range";
  return "";
}

// The node ids of the state's node table, asked for every tag: a bitmap when it costs no more
// than the file itself, else a binary search over the (ascending) ids.
class NodeIds {
 public:
  NodeIds(const std::vector<std::pair<NodeId, std::string>>& specs, uint64_t file_size) {
    const uint64_t top = specs.empty() ? 0 : specs.back().first;
    if (top / 8 <= file_size) {
      bits_.assign(static_cast<size_t>(top / 64) + 1, 0);
      for (const auto& [id, spec] : specs) bits_[id / 64] |= uint64_t{1} << (id % 64);
    } else {
      for (const auto& [id, spec] : specs) sorted_.push_back(id);
    }
  }
  bool Has(NodeId n) const {
    if (!bits_.empty()) return n / 64 < bits_.size() && (bits_[n / 64] >> (n % 64) & 1);
    return std::binary_search(sorted_.begin(), sorted_.end(), n);
  }

 private:
  std::vector<uint64_t> bits_;
  std::vector<NodeId> sorted_;
};

// Node table: ids ascending (DescribeNodes writes them so), specs unique and not empty.
std::string CheckNodeTable(const std::vector<std::pair<NodeId, std::string>>& specs) {
  std::vector<std::string_view> names;
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].first == kNoNode || (i > 0 && specs[i].first <= specs[i - 1].first))
      return fmt::format("node table entry {}: id {} out of order", i, specs[i].first);
    if (specs[i].second.empty()) return fmt::format("node table entry {}: no spec", i);
    names.push_back(specs[i].second);
  }
  std::sort(names.begin(), names.end());
  if (auto d = std::adjacent_find(names.begin(), names.end()); d != names.end())
    return fmt::format("node table: '{}' twice", *d);
  return "";
}

// A user's vectors against the node table: tags in ascending order, every tag and repurchase
// category a node of the table (else Finalize would read a node the graph may not have).
std::string CheckUser(const UserState& s, const NodeIds& nodes) {
  for (size_t i = 0; i < s.tags.size(); ++i) {
    if (!nodes.Has(s.tags[i].tag)) return fmt::format("tag {} is not a node of the state's node table", s.tags[i].tag);
    if (i > 0 && s.tags[i].tag <= s.tags[i - 1].tag) return fmt::format("tag {} out of order", s.tags[i].tag);
  }
  for (const Repurchase& r : s.repurchase)
    if (!nodes.Has(r.category)) return fmt::format("repurchase category {} is not a node of the state's node table", r.category);
  return "";
}

}  // namespace

Status SaveProfileSet(const std::string& path, const ProfileSet& set) {
  OutFile f;  // replaced as a whole: a failed or killed save leaves the previous state
  KGP_RETURN_IF_ERROR(f.OpenReplacing(path));
  Writer w(f);
  w.Put(kMagic);
  w.Put(kVersion);
  w.Put(set.opts);
  w.Put(set.as_of);
  w.Put(set.applied_file_id);
  w.Put(set.clusters);
  w.Put(static_cast<uint64_t>(set.node_specs.size()));
  for (const auto& [id, spec] : set.node_specs) {
    w.Put(id);
    w.PutVec(std::vector<char>(spec.begin(), spec.end()));
  }
  w.PutVec(set.seen_prices);
  w.Put(static_cast<uint64_t>(set.states.size()));
  for (size_t u = 0; u < set.states.size(); ++u) {
    const UserState& s = set.states[u];
    std::string id = u < set.ext_ids.size() ? set.ext_ids[u] : std::string();
    w.PutVec(std::vector<char>(id.begin(), id.end()));
    w.Put(static_cast<const UserCounters&>(s));
    w.PutVec(s.tags);
    w.PutVec(s.repurchase);
    w.PutVec(s.bought);
  }
  const uint64_t sum = w.checksum();
  f.Write(std::string_view(reinterpret_cast<const char*>(&sum), sizeof sum));
  return f.Close();
}

Result<ProfileSet> LoadProfileSet(const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) return Status::NotFound(fmt::format("{}: no profile state (run: kgprofile profile build)", path));
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return Status::IoError(fmt::format("{}: {}", path, ec.message()));
  Reader in(f.get(), size);
  char magic[8];
  uint32_t version = 0;
  if (!in.Get(magic, "magic") || std::memcmp(magic, kMagic, 8) != 0 || !in.Get(version, "version"))
    return Status::Corruption(fmt::format("{}: not a kgprofile profile state file; run kgprofile profile build", path));
  // Another version's file is no damage: InvalidArgument, as a newer schema or checkpoint is.
  if (version != kVersion && version != kVersionWithoutChecksum)
    return Status::InvalidArgument(fmt::format("{}: state format {}, from another kgprofile version (this one reads {} "
                                               "and {}); it is a cache: rebuild it with kgprofile profile build",
                                               path, version, kVersionWithoutChecksum, kVersion));
  const auto damaged = [&](const std::string& what) {
    return Status::Corruption(fmt::format("{}: damaged profile state ({}); it is a cache: rebuild it with kgprofile "
                                          "profile build", path, what));
  };
  ProfileSet set;
  uint64_t n = 0;
  if (!(in.Get(set.opts, "profile options") && in.Get(set.as_of, "as-of") &&
        in.Get(set.applied_file_id, "applied file id") && in.Get(set.clusters, "cluster options") &&
        in.Get(n, "node table length")))
    return damaged(in.error());
  if (std::string why = CheckOptions(set.opts, set.clusters); !why.empty()) return damaged(why);
  if (n > in.left() / (sizeof(NodeId) + sizeof(uint64_t)))
    return damaged(fmt::format("node table length {} is more than the {} bytes left in the file hold", n, in.left()));
  set.node_specs.resize(n);
  std::vector<char> text;
  for (auto& [id, spec] : set.node_specs) {
    if (!in.Get(id, "node table id") || !in.GetVec(text, "node table spec")) return damaged(in.error());
    spec.assign(text.begin(), text.end());
  }
  if (std::string why = CheckNodeTable(set.node_specs); !why.empty()) return damaged(why);
  if (!in.GetVec(set.seen_prices, "item prices")) return damaged(in.error());
  for (float p : set.seen_prices)
    if (!std::isfinite(p) || p < 0) return damaged(fmt::format("item price {} out of range", p));
  // A user slot is at least its id's length, the counters and three vector lengths.
  constexpr uint64_t kMinUser = 4 * sizeof(uint64_t) + sizeof(UserCounters);
  if (!in.Get(n, "number of users")) return damaged(in.error());
  if (n > in.left() / kMinUser)
    return damaged(fmt::format("number of users {} is more than the {} bytes left in the file hold", n, in.left()));
  set.states.resize(n), set.ext_ids.resize(n);
  const NodeIds nodes(set.node_specs, size);
  for (uint64_t u = 0; u < n; ++u) {
    in.user = static_cast<int64_t>(u);
    UserState& s = set.states[u];
    if (!(in.GetVec(text, "ext id") && in.Get(static_cast<UserCounters&>(s), "counters") && in.GetVec(s.tags, "tags") &&
          in.GetVec(s.repurchase, "repurchases") && in.GetVec(s.bought, "bought items")))
      return damaged(in.error());
    set.ext_ids[u].assign(text.begin(), text.end());
    if (std::string why = CheckUser(s, nodes); !why.empty())
      return damaged(fmt::format("user slot {} ({}): {}", u, Printable(set.ext_ids[u]), why));
  }
  if (version == kVersionWithoutChecksum) {
    if (in.left() != 0) return damaged(fmt::format("{} bytes after the last user", in.left()));
    return set;
  }
  const uint64_t expected = in.checksum();
  uint64_t stored = 0;
  if (!in.Get(stored, "checksum")) return damaged(in.error());
  if (in.left() != 0) return damaged(fmt::format("{} bytes after the checksum", in.left()));
  if (stored != expected) return damaged("checksum mismatch: some bytes changed since the state was saved");
  return set;
}

}  // namespace kgp
