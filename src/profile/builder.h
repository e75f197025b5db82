// Batch profile build and the per-event incremental updater. Both run ApplyEvent() on the same
// UserState, so a batch build of A+B equals a batch build of A followed by incremental B (up to
// floating-point summation order; tested in tests/profile_test.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/huge_alloc.h"
#include "common/status.h"
#include "graph/graph.h"
#include "profile/cluster.h"
#include "profile/profile.h"
#include "profile/ref_price.h"
#include "store/db.h"

namespace kgp {

// All users' states. Indexed by users.id; index 0 and ids without events hold empty states.
struct ProfileSet {
  ProfileOptions opts;
  int64_t as_of = 0;                 // latest event time applied
  int64_t applied_file_id = 0;       // events of ingest files up to this id are in
  std::vector<UserState, HugePageAllocator<UserState>> states;  // by users.id, on huge pages (random access)
  std::vector<std::string> ext_ids;  // users.ext_id by users.id
  ClusterOptions clusters;           // the build's; updates cluster the same way
  // Graph::Spec of every node that tags may name (all but users and products), by the node
  // ids the states hold: a rebuilt graph numbers its nodes anew, and MatchGraph() maps by these.
  std::vector<std::pair<NodeId, std::string>> node_specs;
  // By items.id: the highest price an applied event carried (0: none), the running part of the
  // discount reference (profile/ref_price.h), so that updates continue from it.
  std::vector<float> seen_prices;
};

struct EventFilter {
  std::optional<int64_t> until;      // ts <= until
  std::optional<int64_t> after;      // ts > after
  std::optional<int64_t> after_file;  // file_id > after_file
};

// Reads events from the store. Ordered by time when f.after or f.after_file is set (runs for
// incremental application), else in table order.
std::vector<ProfileEvent> LoadEvents(Db& db, const EventFilter& f = {});
// users.ext_id by users.id.
std::vector<std::string> LoadUserIds(Db& db);
// Takes the store's id table (LoadUserIds) as the set's: ids of users added since, and a
// users.id SQLite gives out again after the largest one was erased (the slot erasure blanked).
// A slot whose user is no longer stored is emptied. A slot naming another stored user than the
// store does is an error: the state is not this store's (e.g. a key rotation cut short), and a
// full build is needed. *emptied (when given): whether a slot was emptied (then
// RecomputeAfterErasure()).
Status SyncUserIds(std::vector<std::string> ids, ProfileSet* set, bool* emptied = nullptr);

// After users' slots were emptied (erasure): what the set derives from everyone's events,
// recomputed from what is left, so that the erased users' events shape no other profile from
// then on: as_of (the latest event of the users left) and the items' highest prices
// (seen_prices, from the store's events of ingest files up to upto_file: those the set has
// applied). Throws Error when the store cannot be read.
void RecomputeAfterErasure(Db& db, int64_t upto_file, ProfileSet* set);

// Empties the slots of users no longer in the store (erased since the set's ids were read) and
// then RecomputeAfterErasure() up to upto_file (default: set->applied_file_id; a server passes
// the file its own events are under). Returns the slots emptied with the ids they held. Throws
// Error when the store cannot be read, and Aborted when every id is gone while the store holds
// users (renamed by a key change since they were read: nothing is dropped).
std::vector<std::pair<uint32_t, std::string>> DropErasedUsers(Db& db, ProfileSet* set,
                                                              std::optional<int64_t> upto_file = std::nullopt);

// Groups events by user (counting sort), orders each user's events by time and applies them,
// users split over `threads` threads, each judged against its item's reference price at its
// time (PriceHistory, on top of set->seen_prices, which it raises). Consumes events.
void BatchBuild(const ItemIndex& items, std::vector<ProfileEvent> events, int threads, ProfileSet* set);

// Applies one event: O(tags of the item) plus, for a user's first sight of a tag, an insertion
// into a sorted vector (amortised O(1) per event for a bounded catalogue). Not thread-safe.
// variant_tags as in ApplyEvent().
// The item's reference price is the highest seen up to e, e included (RaiseSecond() first
// lets the other events of e's second count too, as in a batch build).
inline void ApplyIncremental(const ItemIndex& items, const ProfileEvent& e, ProfileSet* set,
                             std::span<const NodeId> variant_tags) {
  if (e.user >= set->states.size()) set->states.resize(static_cast<size_t>(e.user) + 1);
  const float seen = RaiseSeenPrice(set->seen_prices, e.item, e.price);
  ApplyEvent(items, set->opts, e, ReferencePrice(items, e.item, seen), set->states[e.user], variant_tags);
  if (e.ts > set->as_of) set->as_of = e.ts;
}
inline void ApplyIncremental(const ItemIndex& items, const ProfileEvent& e, ProfileSet* set) {
  ApplyIncremental(items, e, set, items.VariantTags(e.variant));
}

// When events[i] is the first of its second in a run in time order: raises the items' highest
// prices by every event of that second, so that they are judged alike, as BatchBuild judges
// them (an event is not discounted against a dearer one of the same second applied after it).
void RaiseSecond(std::span<const ProfileEvent> events, size_t i, ProfileSet* set);

// Applies a run of events in order, as ApplyIncremental() each (RaiseSecond() included), prefetching the states of the
// events a few places ahead (users of a live stream are scattered over memory). Grows
// set->states once for the largest user id in the run.
void ApplyIncrementalRun(const ItemIndex& items, std::span<const ProfileEvent> events, ProfileSet* set);

// Every user with events, finalized as of set.as_of, with demographics and RFM scores; users
// split over `threads` threads.
std::vector<Profile> Snapshot(const ItemIndex& items, const ProfileSet& set, int threads = 2);

// Binary state file (magic "KGPPROF1", docs/profile.md "State file"). A file that is cut short
// or damaged (a length beyond the file, a tag or repurchase id outside its node table, tags out
// of order, options no build writes) is a Corruption naming the file and what is wrong, never
// read on: what loads is safe to finalize against a graph after MatchGraph(). A file of another
// format version is InvalidArgument (a version mismatch, not damage). Both say to run profile build.
Status SaveProfileSet(const std::string& path, const ProfileSet& set);
Result<ProfileSet> LoadProfileSet(const std::string& path);

// Records which node each tag id of set names in g (run before saving states whose ids are g's).
void DescribeNodes(const Graph& g, ProfileSet* set);
// Makes set's tag ids g's: when g was rebuilt since set was saved (a new category or brand
// shifts the ids after it), maps every tag and repurchase category by its node spec and drops
// those g no longer has (or has as a node no tag can be). Cheap when nothing moved.
void MatchGraph(const Graph& g, ProfileSet* set);
// The same in two steps, for one user: old id → g's id of the same node (kNoNode: gone), empty
// when nothing moved; RemapState applies it and returns the number of tags dropped.
struct NodeRemap {
  std::vector<NodeId> from, to;  // the state's ids, ascending, and g's id of each
  bool empty() const { return from.empty(); }
  NodeId operator()(NodeId old) const;  // kNoNode: not in the state's node table, or gone
};
NodeRemap GraphRemap(const Graph& g, const ProfileSet& set);
size_t RemapState(const NodeRemap& to, UserState* s);

}  // namespace kgp
