// Behaviour-log readers: REES46, Taobao UserBehavior, and the generic mapped CSV.
#include <limits>

#include <fmt/format.h>

#include "common/strings.h"
#include "common/time.h"
#include "ingest/reader_util.h"
#include "ingest/readers_internal.h"

namespace kgp::internal {
namespace {

// Shared row validation for logical fields; returns false after reporting a reject.
bool FillEvent(RecordSink& sink, const CsvReader& r, std::string_view user, std::string_view item,
               std::string_view type, std::string_view time, std::string_view price,
               EventRecord& ev, const char* user_col, const char* item_col,
               const char* type_col, const char* time_col, const char* price_col) {
  ev.user = Trim(user);
  if (auto p = IdProblem(ev.user, "user id")) return RejectRow(sink, r, user_col, *p), false;
  ev.item = Trim(item);
  if (auto p = IdProblem(ev.item, "item id")) return RejectRow(sink, r, item_col, *p), false;
  auto t = ParseEventType(type);
  if (!t) return RejectRow(sink, r, type_col, fmt::format("unknown event type '{}'", type)), false;
  ev.type = *t;
  auto ts = ParseTimestamp(time);
  if (!ts) return RejectRow(sink, r, time_col, "unparseable time"), false;
  if (FutureTime(*ts)) return RejectRow(sink, r, time_col, kFutureTimeReason), false;
  ev.ts = *ts;
  if (!Trim(price).empty()) {
    auto p = ParseDouble(price);
    if (!p || *p < 0 || *p > kMaxPrice) return RejectRow(sink, r, price_col, "bad price"), false;
    ev.price = p;
  }
  return true;
}

// The highest column number --map takes without a header (an int: larger ones wrapped).
constexpr uint64_t kMaxColumn = std::numeric_limits<int>::max();

// Behaviour logs hold one event per line.
CsvOptions EventLines() {
  CsvOptions o;
  o.single_line = true;
  return o;
}

}  // namespace

Status ReadRees46(const std::string& path, const ReaderOptions& opts, RecordSink& sink) {
  CsvReader r(path, WithEncoding(EventLines(), opts));
  if (!r.Next()) return r.status().ok() ? Status::Ok() : r.status();
  HeaderIndex h;
  KGP_RETURN_IF_ERROR(h.Init(r, {"event_time", "event_type", "product_id", "user_id"}));
  const int c_time = h.Find("event_time"), c_type = h.Find("event_type"),
            c_item = h.Find("product_id"), c_cat = h.Find("category_id"),
            c_code = h.Find("category_code"), c_brand = h.Find("brand"), c_price = h.Find("price"),
            c_user = h.Find("user_id"), c_sess = h.Find("user_session");
  const size_t width = h.width();
  return ForEachRecord(r, sink, h.names(), [&](CsvReader& row) {
    if (row.size() != width)
      return RejectRow(sink, row, "-", fmt::format("expected {} fields", width));
    EventRecord ev;
    if (!FillEvent(sink, row, row[c_user], row[c_item], row[c_type], row[c_time],
                   Field(row, c_price), ev, "user_id", "product_id", "event_type", "event_time",
                   "price"))
      return;
    ev.session = Trim(Field(row, c_sess));
    ev.category_id = Trim(Field(row, c_cat));
    ev.category_code = Trim(Field(row, c_code));
    ev.brand = Trim(Field(row, c_brand));
    sink.OnEvent(ev);
  });
}

Status ReadTaobao(const std::string& path, const ReaderOptions& opts, RecordSink& sink) {
  CsvReader r(path, WithEncoding(EventLines(), opts));
  KGP_RETURN_IF_ERROR(r.status());
  static const std::vector<std::string> kColumns = {"user_id", "item_id", "category_id", "behavior_type", "timestamp"};
  return ForEachRecord(r, sink, kColumns, [&](CsvReader& row) {
    if (row.size() != 5) return RejectRow(sink, row, "-", "expected 5 fields");
    EventRecord ev;
    if (!FillEvent(sink, row, row[0], row[1], row[3], row[4], {}, ev, "user_id", "item_id",
                   "behavior_type", "timestamp", "price"))
      return;
    ev.category_id = Trim(row[2]);
    sink.OnEvent(ev);
  });
}

Status ReadGenericEvents(const std::string& path, const ReaderOptions& opts, RecordSink& sink) {
  CsvOptions co = EventLines();
  co.delimiter = opts.delimiter;
  CsvReader r(path, WithEncoding(co, opts));
  KGP_RETURN_IF_ERROR(r.status());
  // Resolve logical fields to column indices.
  static const char* kFields[] = {"user",  "item",          "type",  "time",  "price",
                                  "session", "category", "category_code", "brand", "rating", "variant"};
  constexpr int kN = 11;
  int col[kN];
  for (int i = 0; i < kN; ++i) col[i] = -1;
  if (opts.has_header && !r.Next()) return r.status();
  HeaderIndex h;
  if (opts.has_header) KGP_RETURN_IF_ERROR(h.Init(r, {}));
  for (int i = 0; i < kN; ++i) {
    auto it = opts.columns.find(kFields[i]);
    if (it == opts.columns.end()) continue;
    if (opts.has_header) {
      col[i] = h.Find(it->second);
      if (col[i] < 0)
        return Status::InvalidArgument(fmt::format("{}: mapping {}={}: no such column in the header",
                                                   path, kFields[i], it->second));
    } else {
      auto idx = ParseUint(it->second);
      if (!idx || *idx > kMaxColumn)
        return Status::InvalidArgument(fmt::format(
            "{}: mapping {}={}: without a header, columns are 0-based numbers from 0 to {}", path,
            kFields[i], it->second, kMaxColumn));
      col[i] = static_cast<int>(*idx);
    }
  }
  for (int i : {0, 1, 3})
    if (col[i] < 0)
      return Status::InvalidArgument(
          fmt::format("{}: the column mapping must name '{}' (e.g. --map {}=COLUMN)", path,
                      kFields[i], kFields[i]));
  // Columns are named as the header has them, or by their logical field without one (up to a
  // sane width: a mistyped column number must not allocate a name per column before it).
  std::vector<std::string> names = h.names();
  if (!opts.has_header)
    for (int i = 0; i < kN; ++i)
      if (col[i] >= 0 && col[i] < 4096) {
        if (names.size() <= static_cast<size_t>(col[i])) names.resize(static_cast<size_t>(col[i]) + 1);
        names[static_cast<size_t>(col[i])] = kFields[i];
      }
  return ForEachRecord(r, sink, names, [&](CsvReader& row) {
    for (int i = 0; i < kN; ++i)
      if (col[i] >= 0 && static_cast<size_t>(col[i]) >= row.size())
        return RejectRow(sink, row, kFields[i], "row has too few fields");
    EventRecord ev;
    std::string_view type = col[2] >= 0 ? row[col[2]] : std::string_view(opts.default_type);
    if (!FillEvent(sink, row, row[col[0]], row[col[1]], type, row[col[3]], Field(row, col[4]), ev,
                   "user", "item", "type", "time", "price"))
      return;
    ev.session = Trim(Field(row, col[5]));
    ev.category_id = Trim(Field(row, col[6]));
    ev.category_code = Trim(Field(row, col[7]));
    ev.brand = Trim(Field(row, col[8]));
    if (col[9] >= 0 && !Trim(row[col[9]]).empty()) {
      auto v = ParseDouble(row[col[9]]);
      if (!v || *v < 0 || *v > kMaxRating)
        return RejectRow(sink, row, "rating", fmt::format("bad rating (a number from 0 to {})", kMaxRating));
      ev.value = v;
    }
    std::vector<std::pair<std::string, std::string>> variant;
    if (!ParseAttributes(Field(row, col[10]), &variant))
      return RejectRow(sink, row, "variant", "variant is not key=value;key=value");
    ev.variant = variant;
    sink.OnEvent(ev);
  });
}

}  // namespace kgp::internal
