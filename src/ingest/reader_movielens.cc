// MovieLens 100K: u.data (ratings, tab), u.item (movies, '|', ISO-8859-1, genre flags),
// u.user (demographics, '|'). The folder form reads u.user, u.item, u.data in that order.
#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "common/strings.h"
#include "common/time.h"
#include "ingest/reader_util.h"
#include "ingest/readers_internal.h"

namespace kgp::internal {
namespace {

const std::vector<std::string>& DefaultGenres() {
  static const std::vector<std::string> kGenres = {
      "unknown", "Action",  "Adventure", "Animation", "Children's", "Comedy",  "Crime",
      "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror",   "Musical", "Mystery",
      "Romance", "Sci-Fi",  "Thriller",  "War",       "Western"};
  return kGenres;
}

// Genre names from u.genre beside the item file (name|index), else the ML-100K list.
std::vector<std::string> LoadGenres(const std::string& item_path, const ReaderOptions& opts) {
  auto gpath = std::filesystem::path(item_path).parent_path() / "u.genre";
  std::vector<std::string> names;
  if (std::filesystem::exists(gpath)) {
    CsvReader r(gpath.string(), WithEncoding(CsvOptions{'|', false, true}, opts, "ISO-8859-1"));
    while (r.Next()) {
      if (r.size() < 2 || r[0].find('\0') != std::string_view::npos) continue;  // no NUL reaches the store
      auto idx = ParseUint(r[1]);
      if (!idx || *idx > 1000) continue;
      if (names.size() <= *idx) names.resize(*idx + 1);
      names[*idx] = SanitizeUtf8(Trim(r[0]));
    }
  }
  if (names.empty()) return DefaultGenres();
  return names;
}

}  // namespace

Status ReadMovieLensRatings(const std::string& path, const ReaderOptions& opts, RecordSink& sink) {
  CsvReader r(path, WithEncoding(CsvOptions{'\t', false, true}, opts));
  KGP_RETURN_IF_ERROR(r.status());
  static const std::vector<std::string> kColumns = {"user_id", "item_id", "rating", "timestamp"};
  return ForEachRecord(r, sink, kColumns, [&](CsvReader& row) {
    if (row.size() != 4) return RejectRow(sink, row, "-", "expected 4 tab-separated fields");
    EventRecord ev;
    ev.user = Trim(row[0]);
    ev.item = Trim(row[1]);
    if (auto p = IdProblem(ev.user, "user id")) return RejectRow(sink, row, "user", *p);
    if (auto p = IdProblem(ev.item, "item id")) return RejectRow(sink, row, "item", *p);
    auto rating = ParseDouble(row[2]);
    if (!rating || *rating < 0 || *rating > kMaxRating) return RejectRow(sink, row, "rating", "bad rating");
    auto ts = ParseInt(row[3]);
    if (!ts) return RejectRow(sink, row, "timestamp", "unparseable time");
    if (*ts < 0 || *ts > kMaxTimestamp)
      return RejectRow(sink, row, "timestamp", "time out of range (Unix seconds from 1970 to 9999)");
    if (FutureTime(*ts)) return RejectRow(sink, row, "timestamp", kFutureTimeReason);
    ev.type = EventType::kRate;
    ev.value = rating;
    ev.ts = *ts;
    sink.OnEvent(ev);
  });
}

Status ReadMovieLensItems(const std::string& path, const ReaderOptions& opts, RecordSink& sink) {
  CsvReader r(path, WithEncoding(CsvOptions{'|', false, true}, opts, "ISO-8859-1"));
  KGP_RETURN_IF_ERROR(r.status());
  const std::vector<std::string> genres = LoadGenres(path, opts);
  static const std::vector<std::string> kColumns = {"movie_id", "title", "release_date", "video_release_date", "url"};
  return ForEachRecord(r, sink, kColumns, [&](CsvReader& row) {
    if (row.size() < 5) return RejectRow(sink, row, "-", "expected at least 5 '|' fields");
    ItemRecord it;
    it.id = Trim(row[0]);
    if (auto p = IdProblem(it.id, "movie id")) return RejectRow(sink, row, "movie_id", *p);
    it.title = Trim(row[1]);
    size_t nflags = row.size() - 5;
    for (size_t g = 0; g < nflags; ++g) {
      std::string_view f = Trim(row[5 + g]);
      if (f == "1") {
        std::string genre = g < genres.size() && !genres[g].empty() ? genres[g] : fmt::format("genre{}", g);
        // MovieLens flags "unknown" for a film whose genre it does not know: no category.
        if (ToLowerAscii(genre) != "unknown") it.categories.push_back(std::move(genre));
      } else if (f != "0") {
        return RejectRow(sink, row, fmt::format("genre{}", g), "genre flag is not 0 or 1");
      }
    }
    // e.g. 01-Jan-1995; empty for a few films. Anything else is not guessed at.
    std::string_view date = Trim(row[2]);
    const std::string_view year = date.size() >= 4 ? date.substr(date.size() - 4) : date;
    if (!date.empty() && (year.size() != 4 || !std::all_of(year.begin(), year.end(), [](char c) { return c >= '0' && c <= '9'; })))
      return RejectRow(sink, row, "release_date", "does not end in a 4-digit year (DD-Mon-YYYY)");
    if (!date.empty()) it.attributes.emplace_back("release_year", std::string(year));
    sink.OnItem(it);
  });
}

Status ReadMovieLensUsers(const std::string& path, const ReaderOptions& opts, RecordSink& sink) {
  CsvReader r(path, WithEncoding(CsvOptions{'|', false, true}, opts));
  KGP_RETURN_IF_ERROR(r.status());
  static const std::vector<std::string> kColumns = {"user_id", "age", "gender", "occupation", "zip"};
  return ForEachRecord(r, sink, kColumns, [&](CsvReader& row) {
    if (row.size() != 5) return RejectRow(sink, row, "-", "expected 5 '|' fields");
    UserRecord u;
    u.id = Trim(row[0]);
    if (auto p = IdProblem(u.id, "user id")) return RejectRow(sink, row, "user_id", *p);
    auto age = ParseInt(row[1]);
    if (!age || *age < 0 || *age > 130) return RejectRow(sink, row, "age", "bad age");
    u.age = static_cast<int>(*age);
    auto g = NormaliseGender(row[2]);
    if (!g) return RejectRow(sink, row, "gender", "unknown gender");
    u.gender = *g;
    u.occupation = Trim(row[3]);
    u.zip = Trim(row[4]);
    sink.OnUser(u);
  });
}

Status ReadMovieLens(const std::string& dir, const ReaderOptions& opts, RecordSink& sink) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir))
    return Status::InvalidArgument(fmt::format("{}: movielens expects the folder holding u.data", dir));
  for (const char* f : {"u.user", "u.item", "u.data"}) {
    if (!fs::exists(fs::path(dir) / f))
      return Status::NotFound(fmt::format("{}: missing {}", dir, f));
  }
  KGP_RETURN_IF_ERROR(ReadMovieLensUsers((fs::path(dir) / "u.user").string(), opts, sink));
  KGP_RETURN_IF_ERROR(ReadMovieLensItems((fs::path(dir) / "u.item").string(), opts, sink));
  return ReadMovieLensRatings((fs::path(dir) / "u.data").string(), opts, sink);
}

}  // namespace kgp::internal
