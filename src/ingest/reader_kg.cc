// Graph-shaped inputs: KG triples TSV and `user item item …` sequence files.
#include <fmt/format.h>

#include "common/strings.h"
#include "ingest/reader_util.h"
#include "ingest/readers_internal.h"

namespace kgp::internal {

Status ReadTriples(const std::string& path, const ReaderOptions& opts, RecordSink& sink) {
  CsvReader r(path, WithEncoding(CsvOptions{'\t', false, true}, opts));
  KGP_RETURN_IF_ERROR(r.status());
  static const std::vector<std::string> kColumns = {"head", "relation", "tail"};
  return ForEachRecord(r, sink, kColumns, [&](CsvReader& row) {
    if (row.size() != 3) return RejectRow(sink, row, "-", "expected head<TAB>relation<TAB>tail");
    TripleRecord t{Trim(row[0]), Trim(row[1]), Trim(row[2])};
    if (t.head.empty()) return RejectRow(sink, row, "head", "empty head");
    if (t.relation.empty()) return RejectRow(sink, row, "relation", "empty relation");
    if (t.tail.empty()) return RejectRow(sink, row, "tail", "empty tail");
    for (auto [field, value] : {std::pair{"head", t.head}, {"relation", t.relation}, {"tail", t.tail}})
      if (auto p = IdProblem(value, field)) return RejectRow(sink, row, field, *p);
    sink.OnTriple(t);
  });
}

// Each line is one user's chronological sequence. Positions become event times 1, 2, 3, …
// (the order is all these files carry), so time-decayed features see the right order.
Status ReadSequences(const std::string& path, const ReaderOptions& opts, RecordSink& sink) {
  auto type = ParseEventType(opts.sequence_type);
  if (!type) return Status::InvalidArgument(fmt::format("unknown event type '{}'", opts.sequence_type));
  CsvReader r(path, WithEncoding(CsvOptions{' ', false, true}, opts));
  KGP_RETURN_IF_ERROR(r.status());
  return ForEachRecord(r, sink, [&](CsvReader& row) {
    std::string_view user = Trim(row[0]);
    if (auto p = IdProblem(user, "user id")) return RejectRow(sink, row, "user", *p);
    int64_t pos = 0;
    for (size_t i = 1; i < row.size(); ++i) {
      std::string_view item = Trim(row[i]);
      if (item.empty()) continue;  // doubled spaces
      EventRecord ev;
      ev.user = user;
      ev.item = item;
      ev.type = *type;
      ev.ts = ++pos;
      sink.OnEvent(ev);
    }
  });
}

}  // namespace kgp::internal
