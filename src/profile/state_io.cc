// The profile state file (docs/profile.md "State file"): magic "KGPPROF1", then a version,
// the options, and per user its id, counters and tag/repurchase/bought vectors, little-endian
// as in memory (the file is a cache of the store, rebuilt by `profile build`, not an
// interchange format).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <type_traits>
#include <unordered_map>

#include <fmt/format.h>

#include "common/log.h"
#include "profile/builder.h"

namespace kgp {
namespace {

constexpr char kMagic[8] = {'K', 'G', 'P', 'P', 'R', 'O', 'F', '1'};
constexpr uint32_t kVersion = 2;  // bump when UserCounters, TagStat, ProfileOptions or ClusterOptions change
static_assert(std::is_trivially_copyable_v<UserCounters>);
static_assert(std::is_trivially_copyable_v<TagStat>);
static_assert(std::is_trivially_copyable_v<ProfileOptions>);
static_assert(std::is_trivially_copyable_v<ClusterOptions>);

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

template <typename T>
void Put(FILE* f, const T& v) { std::fwrite(&v, sizeof v, 1, f); }
template <typename T>
void PutVec(FILE* f, const std::vector<T>& v) {
  Put(f, static_cast<uint64_t>(v.size()));
  if (!v.empty()) std::fwrite(v.data(), sizeof(T), v.size(), f);
}
template <typename T>
bool Get(FILE* f, T& v) { return std::fread(&v, sizeof v, 1, f) == 1; }
template <typename T>
bool GetVec(FILE* f, std::vector<T>& v) {
  uint64_t n;
  if (!Get(f, n) || n > (1ULL << 32)) return false;
  v.resize(n);
  return n == 0 || std::fread(v.data(), sizeof(T), n, f) == n;
}

}  // namespace

Status SaveProfileSet(const std::string& path, const ProfileSet& set) {
  const std::string tmp = path + ".tmp";
  {
    File f(std::fopen(tmp.c_str(), "wb"));
    if (!f) return Status::IoError(fmt::format("{}: cannot write", tmp));
    std::fwrite(kMagic, 1, sizeof kMagic, f.get());
    Put(f.get(), kVersion);
    Put(f.get(), set.opts);
    Put(f.get(), set.as_of);
    Put(f.get(), set.applied_file_id);
    Put(f.get(), set.clusters);
    Put(f.get(), static_cast<uint64_t>(set.node_specs.size()));
    for (const auto& [id, spec] : set.node_specs) {
      Put(f.get(), id);
      PutVec(f.get(), std::vector<char>(spec.begin(), spec.end()));
    }
    Put(f.get(), static_cast<uint64_t>(set.states.size()));
    for (size_t u = 0; u < set.states.size(); ++u) {
      const UserState& s = set.states[u];
      std::string id = u < set.ext_ids.size() ? set.ext_ids[u] : std::string();
      PutVec(f.get(), std::vector<char>(id.begin(), id.end()));
      Put(f.get(), static_cast<const UserCounters&>(s));
      PutVec(f.get(), s.tags);
      PutVec(f.get(), s.repurchase);
      PutVec(f.get(), s.bought);
    }
    if (std::ferror(f.get()) || std::fflush(f.get()) != 0) return Status::IoError(fmt::format("{}: write failed", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Status::IoError(fmt::format("{}: cannot rename", path));
  return Status::Ok();
}

Result<ProfileSet> LoadProfileSet(const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) return Status::NotFound(fmt::format("{}: no profile state (run: kgprofile profile build)", path));
  char magic[8];
  uint32_t version = 0;
  if (std::fread(magic, 1, 8, f.get()) != 8 || std::memcmp(magic, kMagic, 8) != 0 || !Get(f.get(), version))
    return Status::Corruption(fmt::format("{}: not a kgprofile profile state file", path));
  if (version != kVersion)
    return Status::Corruption(fmt::format("{}: state format {}, from another kgprofile version (this one reads {}); it is a "
                                          "cache: rebuild it with kgprofile profile build", path, version, kVersion));
  ProfileSet set;
  uint64_t n = 0;
  bool ok = Get(f.get(), set.opts) && Get(f.get(), set.as_of) && Get(f.get(), set.applied_file_id) &&
            Get(f.get(), set.clusters) && Get(f.get(), n) && n < (1ULL << 32);
  if (ok) set.node_specs.resize(n);
  for (auto& [id, spec] : set.node_specs) {
    std::vector<char> text;
    if (!(ok = ok && Get(f.get(), id) && GetVec(f.get(), text))) break;
    spec.assign(text.begin(), text.end());
  }
  ok = ok && Get(f.get(), n) && n < (1ULL << 32);
  if (ok) set.states.resize(n), set.ext_ids.resize(n);
  for (uint64_t u = 0; ok && u < n; ++u) {
    std::vector<char> id;
    UserState& s = set.states[u];
    ok = GetVec(f.get(), id) && Get(f.get(), static_cast<UserCounters&>(s)) && GetVec(f.get(), s.tags) &&
         GetVec(f.get(), s.repurchase) && GetVec(f.get(), s.bought);
    set.ext_ids[u].assign(id.begin(), id.end());
  }
  if (!ok) return Status::Corruption(fmt::format("{}: truncated profile state; run profile build", path));
  return set;
}

void DescribeNodes(const Graph& g, ProfileSet* set) {
  set->node_specs.clear();
  for (NodeId n = 0; n < g.num_nodes(); ++n)
    if (g.type(n) != NodeType::kUser && g.type(n) != NodeType::kProduct) set->node_specs.emplace_back(n, g.Spec(n));
}

namespace {

// Sorts by key and merges entries with equal keys (two nodes the new graph made one).
template <typename T, typename Key, typename Merge>
void SortMerge(std::vector<T>& v, Key key, Merge merge) {
  std::sort(v.begin(), v.end(), [&](const T& a, const T& b) { return key(a) < key(b); });
  size_t out = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (out > 0 && key(v[out - 1]) == key(v[i])) merge(v[out - 1], v[i]);
    else v[out++] = v[i];
  }
  v.resize(out);
}

}  // namespace

void MatchGraph(const Graph& g, ProfileSet* set) {
  bool same = true;
  for (const auto& [id, spec] : set->node_specs)
    if (id >= g.num_nodes() || g.Spec(id) != spec) { same = false; break; }
  if (same) return;
  std::unordered_map<NodeId, NodeId> to;
  for (const auto& [id, spec] : set->node_specs) to[id] = g.FindSpec(spec).value_or(kNoNode);
  auto map = [&](NodeId n) {
    auto it = to.find(n);
    return it == to.end() ? kNoNode : it->second;
  };
  size_t moved = 0, dropped = 0;
  for (UserState& s : set->states) {
    for (TagStat& t : s.tags) {
      const NodeId n = map(t.tag);
      moved += n != t.tag, dropped += n == kNoNode;
      t.tag = n;
    }
    std::erase_if(s.tags, [](const TagStat& t) { return t.tag == kNoNode; });
    SortMerge(s.tags, [](const TagStat& t) { return t.tag; }, [](TagStat& a, const TagStat& b) {
      a.count += b.count, a.w += b.w, a.last_rel = std::max(a.last_rel, b.last_rel);
    });
    for (Repurchase& r : s.repurchase) r.category = map(r.category);
    std::erase_if(s.repurchase, [](const Repurchase& r) { return r.category == kNoNode; });
    SortMerge(s.repurchase, [](const Repurchase& r) { return r.category; }, [](Repurchase& a, const Repurchase& b) {
      a.purchases += b.purchases, a.first_ts = std::min(a.first_ts, b.first_ts), a.last_ts = std::max(a.last_ts, b.last_ts);
    });
  }
  DescribeNodes(g, set);
  LOG_INF("profile state: the graph was rebuilt since it was saved; {} tag ids follow their nodes, {} tags dropped "
          "(nodes the graph no longer has)", moved - dropped, dropped);
}

}  // namespace kgp
