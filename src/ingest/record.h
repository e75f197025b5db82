// The records every reader produces and every sink consumes. Readers parse and validate; they
// never touch the store (ARCHITECTURE.md). String views point into the reader's buffers and are
// valid only during the sink call.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kgp {

// Stored as integers: values are part of the on-disk schema (docs/schema.md).
enum class EventType : uint8_t {
  kView = 0,
  kCart = 1,
  kRemoveFromCart = 2,
  kPurchase = 3,
  kFavorite = 4,
  kRate = 5,
  kReview = 6,
};
constexpr int kNumEventTypes = 7;
const char* EventTypeName(EventType t);
std::optional<EventType> ParseEventType(std::string_view s);  // view, cart, pv, buy, fav, …

// Prices above this (yuan, dollars …) are refused as input errors: nobody sells for more, and
// sums of such values overflow the monetary totals to infinity.
constexpr double kMaxPrice = 1e9;
// Ratings are numbers from 0 to kMaxRating (5- and 10-point scales: MovieLens, events CSVs).
constexpr double kMaxRating = 10;

struct EventRecord {
  std::string_view user;
  std::string_view item;
  EventType type = EventType::kView;
  int64_t ts = 0;
  std::optional<double> price;
  std::optional<double> value;  // rating for kRate/kReview
  std::string_view session;
  // Catalogue facts carried on event rows (REES46, Taobao); empty when absent.
  std::string_view category_id;
  std::string_view category_code;  // dotted path, e.g. electronics.smartphone
  std::string_view brand;
  // The variant the event was about, as key/value pairs (size = 7 oz): empty when the source
  // has none. Stored per event and as attributes of the item.
  std::span<const std::pair<std::string, std::string>> variant;
};

struct ItemRecord {
  std::string_view id;
  std::string_view title;
  std::string_view category_path;  // dotted path or empty
  std::string_view category_id;    // source category id or empty
  std::vector<std::string> categories;  // extra flat categories (MovieLens genres)
  std::string_view brand;
  std::optional<double> price;
  std::vector<std::pair<std::string, std::string>> attributes;
  // A catalogue row: the categories and the attributes it gives replace the product's earlier
  // ones (the other readers add to them).
  bool replaces = false;
};

struct CategoryRecord {
  std::string_view code;  // dotted path
  std::string_view name_en;
  std::string_view name_zh;
  std::string_view parent_code;
};

struct BrandRecord {
  std::string_view brand;    // the key events and the catalogue name it by
  std::string_view name;     // display name ("Estee Lauder"); empty: the key as first written
  std::string_view name_zh;
  std::string_view root_category;
};

struct UserRecord {
  std::string_view id;
  std::string_view gender;  // normalised to F / M / empty by the reader
  std::optional<int> age;
  std::optional<int> birth_year;
  std::string_view occupation;
  std::string_view city;
  std::string_view zip;
  std::optional<int64_t> signup_ts;
  // Contact fields (PiiFieldOf: "name", "phone", "email", "address") with their values; filled
  // only when the workspace stores PII in clear (ReaderOptions::keep_pii), else empty.
  std::vector<std::pair<std::string_view, std::string_view>> pii;
};

struct TextRecord {
  std::string_view kind;  // review, post, title
  std::string_view user;  // may be empty
  std::string_view item;  // may be empty
  std::optional<int64_t> ts;
  std::optional<double> rating;
  std::string_view lang;
  std::string_view title;  // review summary
  std::string_view body;
};

struct TripleRecord {
  std::string_view head;
  std::string_view relation;
  std::string_view tail;
};

struct Reject {
  uint64_t line = 0;
  std::string field;   // column name or "-" for the whole row
  std::string reason;  // short, stable text: the summary groups by it
};

// Receives parsed records. REQUIRES: called from one thread.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void OnEvent(const EventRecord&) {}
  virtual void OnItem(const ItemRecord&) {}
  virtual void OnCategory(const CategoryRecord&) {}
  virtual void OnBrand(const BrandRecord&) {}
  virtual void OnUser(const UserRecord&) {}
  virtual void OnText(const TextRecord&) {}
  virtual void OnTriple(const TripleRecord&) {}
  virtual void OnReject(const Reject&) {}
  // Called after each input record with the number of bytes consumed so far (progress).
  virtual void OnProgress(uint64_t /*bytes*/) {}
  // Returning true stops the reader early (e.g. --max-errors exceeded).
  virtual bool ShouldStop() const { return false; }
};

}  // namespace kgp
