// The profile state file (docs/profile.md "State file"): magic "KGPPROF1", then a version,
// the options, and per user its id, counters and tag/repurchase/bought vectors, little-endian
// as in memory (the file is a cache of the store, rebuilt by `profile build`, not an
// interchange format).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <type_traits>

#include <fmt/format.h>

#include "common/log.h"
#include "common/out_file.h"
#include "profile/builder.h"

namespace kgp {
namespace {

constexpr char kMagic[8] = {'K', 'G', 'P', 'P', 'R', 'O', 'F', '1'};
// Bump when UserCounters, TagStat, ProfileOptions or ClusterOptions change, or the layout.
// 3: the items' highest event prices (ProfileSet::seen_prices) after the node table.
constexpr uint32_t kVersion = 3;
static_assert(std::is_trivially_copyable_v<UserCounters>);
static_assert(std::is_trivially_copyable_v<TagStat>);
static_assert(std::is_trivially_copyable_v<ProfileOptions>);
static_assert(std::is_trivially_copyable_v<ClusterOptions>);

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

template <typename T>
void Put(OutFile& f, const T& v) { f.Write(std::string_view(reinterpret_cast<const char*>(&v), sizeof v)); }
template <typename T>
void PutVec(OutFile& f, const std::vector<T>& v) {
  Put(f, static_cast<uint64_t>(v.size()));
  if (!v.empty()) f.Write(std::string_view(reinterpret_cast<const char*>(v.data()), sizeof(T) * v.size()));
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
  OutFile f;  // replaced as a whole: a failed or killed save leaves the previous state
  KGP_RETURN_IF_ERROR(f.OpenReplacing(path));
  f.Write(std::string_view(kMagic, sizeof kMagic));
  Put(f, kVersion);
  Put(f, set.opts);
  Put(f, set.as_of);
  Put(f, set.applied_file_id);
  Put(f, set.clusters);
  Put(f, static_cast<uint64_t>(set.node_specs.size()));
  for (const auto& [id, spec] : set.node_specs) {
    Put(f, id);
    PutVec(f, std::vector<char>(spec.begin(), spec.end()));
  }
  PutVec(f, set.seen_prices);
  Put(f, static_cast<uint64_t>(set.states.size()));
  for (size_t u = 0; u < set.states.size(); ++u) {
    const UserState& s = set.states[u];
    std::string id = u < set.ext_ids.size() ? set.ext_ids[u] : std::string();
    PutVec(f, std::vector<char>(id.begin(), id.end()));
    Put(f, static_cast<const UserCounters&>(s));
    PutVec(f, s.tags);
    PutVec(f, s.repurchase);
    PutVec(f, s.bought);
  }
  return f.Close();
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
  ok = ok && GetVec(f.get(), set.seen_prices) && Get(f.get(), n) && n < (1ULL << 32);
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

namespace {

// The node types a tag or repurchase category can be (ItemIndex).
bool TagType(NodeType t) {
  return t == NodeType::kCategory || t == NodeType::kBrand || t == NodeType::kAttribute || t == NodeType::kEntity;
}

}  // namespace

void DescribeNodes(const Graph& g, ProfileSet* set) {
  set->node_specs.clear();
  for (NodeId n = 0; n < g.num_nodes(); ++n)
    if (TagType(g.type(n))) set->node_specs.emplace_back(n, g.Spec(n));
}

std::vector<NodeId> GraphRemap(const Graph& g, const ProfileSet& set) {
  bool same = true;
  for (const auto& [id, spec] : set.node_specs)
    if (id >= g.num_nodes() || g.Spec(id) != spec) {
      same = false;
      break;
    }
  if (same) return {};
  NodeId top = 0;
  for (const auto& [id, spec] : set.node_specs) top = std::max(top, id);
  std::vector<NodeId> to(static_cast<size_t>(top) + 1, kNoNode);
  for (const auto& [id, spec] : set.node_specs) to[id] = g.FindSpec(spec).value_or(kNoNode);
  return to;
}

size_t RemapState(const std::vector<NodeId>& to, UserState* s) {
  const auto map = [&](NodeId n) { return n < to.size() ? to[n] : kNoNode; };
  const size_t before = s->tags.size();
  for (TagStat& t : s->tags) t.tag = map(t.tag);
  std::erase_if(s->tags, [](const TagStat& t) { return t.tag == kNoNode; });
  // Specs are unique in a graph, so no two tags land on one node; the order changes.
  std::sort(s->tags.begin(), s->tags.end(), [](const TagStat& a, const TagStat& b) { return a.tag < b.tag; });
  for (Repurchase& r : s->repurchase) r.category = map(r.category);  // kept in first-purchase order
  std::erase_if(s->repurchase, [](const Repurchase& r) { return r.category == kNoNode; });
  return before - s->tags.size();
}

void MatchGraph(const Graph& g, ProfileSet* set) {
  const std::vector<NodeId> to = GraphRemap(g, *set);
  if (to.empty()) return;
  size_t dropped = 0;
  for (UserState& s : set->states) dropped += RemapState(to, &s);
  DescribeNodes(g, set);
  LOG_INF("profile state: the graph was rebuilt since it was saved; tags follow their nodes' new ids, {} dropped "
          "(nodes the graph no longer has)", dropped);
}

}  // namespace kgp
