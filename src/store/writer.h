// StoreWriter: the one place records enter the store. Interns external ids (users, items,
// categories, brands, sessions, entities) to integer ids with in-memory maps loaded on first
// use, computes event keys for de-duplication, and applies pseudonymisation of user ids.
// REQUIRES: the caller holds a transaction on db for the writer's lifetime (see ingest.cc).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/string_map.h"
#include "ingest/record.h"
#include "store/db.h"

namespace kgp {

struct WriterCounts {
  uint64_t events_new = 0, events_dup = 0;
  uint64_t users_new = 0, items_new = 0, categories_new = 0, brands_new = 0;
  uint64_t texts_new = 0, texts_dup = 0, triples_new = 0, triples_dup = 0;
};

// The pseudonym of a raw user id: 128 bits of HMAC-SHA256 as 32 hex digits. key is one key or,
// after `kgprofile privacy rotate`, a chain of keys separated by '\n', oldest first: each key
// re-keys the previous pseudonym, p_1 = H(k_1, raw), p_i = H(k_i, p_{i-1}), so that a store
// re-keyed without its raw ids still joins new records (docs/privacy.md "Key rotation").
std::string PseudonymOf(std::string_view key, std::string_view raw);
// Whether an id has the form PseudonymOf gives: 32 lower-case hex digits.
bool IsPseudonymForm(std::string_view id);

class StoreWriter {
 public:
  // pseudonym_key empty: user ids are stored as given.
  StoreWriter(Db& db, int64_t file_id, std::string pseudonym_key);

  void AddEvent(const EventRecord& ev);
  // The stored form of an event without writing it: its event key and the store ids it was
  // interned to (users and items are created as needed); catalogue facts it carried are written
  // at the next Flush(). For the HTTP service, which stages events itself
  // (service/event_writer.h), must know per event whether it is a repeat, and applies the
  // prices from its staged rows instead of calling Flush().
  struct EventRow {
    int64_t key, user, item, ts, session;
    double value, price;  // NaN = NULL
    int type;
    int64_t variant;  // variants.id, 0 = NULL
  };
  EventRow PrepareEvent(const EventRecord& ev);
  // Starts a new unit for occurrence counting: identical rows in the same second are distinct
  // events within one unit (a file, one API request) and repeats across units.
  void StartUnit();
  void AddItem(const ItemRecord& it);
  void AddCategory(const CategoryRecord& c);
  void AddBrand(const BrandRecord& b);
  void AddUser(const UserRecord& u);
  void AddText(const TextRecord& t);
  void AddTriple(const TripleRecord& t);
  void AddReject(const Reject& r);

  // Writes buffered events and the latest catalogue facts (price, brand, category) that events
  // carried: an event row only updates memory, so 10^7 price observations cost one UPDATE per
  // changed product, not one per event. REQUIRES: called before the transaction commits (the ingest
  // driver does); the destructor does not flush, so a failed ingest writes nothing more.
  void Flush();

  const WriterCounts& counts() const { return counts_; }

  // The stored form of a user id (pseudonym or the id itself). In a pseudonymised workspace an
  // id that is itself a stored pseudonym (audiences and exports answer those; an id of another
  // form is never taken as stored) names that user:
  // pseudonymised again it made a second user, whom lookups then found first (an erasure by
  // the pseudonym erased that one and left the person).
  std::string StoredUserId(std::string_view raw) const {
    return key_.empty() || (IsPseudonymForm(raw) && users_.Find(raw)) ? std::string(raw) : PseudonymOf(key_, raw);
  }

 private:
  struct ItemState {
    int64_t id;
    int64_t category_id;
    int64_t brand_id;
    double price;       // latest, -1 unknown
    double list_price;  // the catalogue's, raised by dearer events; -1 unknown
    bool dirty = false;  // catalogue facts from events not yet written (see Flush)
  };
  int64_t UserId(std::string_view raw);
  ItemState& Item(std::string_view ext);
  // The category of a stored code (CategoryKey's), created with its ancestors; their names are
  // the segments of `display` (the same path as written; default the code's).
  int64_t CategoryForPath(std::string_view code, std::string_view display = {});
  // The category of a code as a file gives it (CategoryKey); 0 for a code of no segment.
  int64_t CategoryForCode(std::string_view code);
  // The category of a source category id (REES46 category_id) and code. An id first seen
  // without a code becomes a flat placeholder "id:<source id>"; when a code later arrives for it,
  // the placeholder is merged into the code's category (MergeCategory).
  int64_t CategoryForSource(std::string_view source_id, std::string_view code);
  void MergeCategory(int64_t from, int64_t into, std::string_view source_id);
  int64_t BrandId(std::string_view name);
  // The variants row of (item, pairs), created with its attributes (also the item's) when new;
  // 0 for no pairs.
  int64_t VariantId(int64_t item, std::span<const std::pair<std::string, std::string>> pairs);
  int64_t Intern(StringMap<int64_t>& map, Stmt& insert, std::string_view key, uint64_t* created);
  void LoadMaps();

  Db& db_;
  int64_t file_id_;
  std::string key_;
  WriterCounts counts_;
  StringMap<int64_t> users_, categories_, brands_, entities_, relations_, category_sources_;
  StringMap<int64_t> variants_;  // "item id \x1f spec" -> variants.id
  StringMap<ItemState> items_;
  std::unordered_set<int64_t> placeholders_;  // "id:<source id>" categories
  std::unordered_set<int64_t> new_placeholders_;  // of them, created by this writer (counted new)
  std::unordered_set<int64_t> replaced_cats_, replaced_attrs_;  // items whose catalogue row replaced them (this file)
  // Occurrence counts of identical rows within one timestamp, so that true repeats (two
  // identical purchases in the same second) stay distinct events while re-ingesting the same
  // file reproduces the same keys.
  int64_t occ_ts_ = INT64_MIN;
  std::vector<std::pair<uint64_t, uint32_t>> occ_;       // few rows share a second: scanned
  std::unordered_map<uint64_t, uint32_t> occ_overflow_;  // beyond kOccScan rows in one second
  static constexpr size_t kOccScan = 32;
  uint32_t Occurrence(uint64_t h);
  std::string lower_;  // scratch for brand keys
  std::string cat_key_, cat_display_;  // scratch for category codes
  std::string keybuf_;
  // Events are buffered and inserted in key order: keys are hashes, and sorted inserts touch
  // B-tree pages in sequence instead of at random (several times faster at 10^7 rows).
  struct PendingEvent {
    int64_t key, user, item, ts, session;
    double value, price;  // NaN = NULL
    int type;
    int64_t variant;  // 0 = NULL
  };
  static constexpr size_t kBatch = 1 << 20;
  static constexpr int kRowsPerInsert = 256;  // multi-row INSERT: fewer statement runs
  Stmt ins_events_many_;
  std::vector<PendingEvent> pending_;
  Stmt ins_event_, ins_user_, upd_user_, ins_item_, upd_item_, ins_cat_, upd_cat_, ins_brand_,
      upd_brand_, ins_item_cat_, ins_cat_source_, ins_attr_, ins_text_, ins_entity_, ins_relation_,
      ins_triple_, ins_reject_, ins_pii_, ins_variant_, ins_variant_attr_, del_item_cats_, del_item_attrs_;
  std::string specbuf_;
};

}  // namespace kgp
