#include "ingest/readers.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/csv.h"
#include "common/strings.h"
#include "ingest/readers_internal.h"

namespace kgp {

const std::vector<FormatInfo>& Formats() {
  static const std::vector<FormatInfo> kFormats = {
      {"rees46", "REES46 events CSV (event_time,event_type,product_id,…,user_session)", false},
      {"taobao", "Taobao UserBehavior CSV, no header: user,item,category,pv|cart|fav|buy,ts", false},
      {"events-csv", "any events CSV, columns given by --map field=column or --config", false},
      {"catalog", "catalog CSV: product_id,title,category_path,brand,price,attributes", false},
      {"categories", "category tree CSV: code,name_en,name_zh,parent_code", false},
      {"brands", "brands CSV: brand[,name],name_zh,root_category", false},
      {"users", "users CSV: user_id,gender,birth_year|age,city,occupation,signup_time", false},
      {"texts", "texts JSON Lines: user_id,product_id,time,rating,lang,kind,text", false},
      {"amazon-reviews", "Amazon reviews JSON Lines (reviewerID, asin, overall, reviewText…)", false},
      {"movielens", "MovieLens 100K folder (u.user, u.item, u.data)", true},
      {"ml-ratings", "MovieLens u.data: user<TAB>item<TAB>rating<TAB>time", false},
      {"ml-items", "MovieLens u.item ('|', ISO-8859-1, genre flags)", false},
      {"ml-users", "MovieLens u.user (user|age|gender|occupation|zip)", false},
      {"sequences", "sequence file: user item item … (chronological)", false},
      {"item-attributes", "JSON object item -> [attribute ids] (S3-Rec)", false},
      {"triples", "KG triples TSV: head<TAB>relation<TAB>tail", false},
  };
  return kFormats;
}

bool IsKnownFormat(std::string_view name) {
  for (const auto& f : Formats())
    if (name == f.name) return true;
  return false;
}

Status ReadFormat(std::string_view format, const std::string& path, const ReaderOptions& opts,
                  RecordSink& sink) {
  using namespace internal;
  if (format == "rees46") return ReadRees46(path, opts, sink);
  if (format == "taobao") return ReadTaobao(path, opts, sink);
  if (format == "events-csv") return ReadGenericEvents(path, opts, sink);
  if (format == "catalog") return ReadCatalog(path, opts, sink);
  if (format == "categories") return ReadCategories(path, opts, sink);
  if (format == "brands") return ReadBrands(path, opts, sink);
  if (format == "users") return ReadUsers(path, opts, sink);
  if (format == "texts") return ReadTexts(path, opts, sink);
  if (format == "amazon-reviews") return ReadAmazonReviews(path, opts, sink);
  if (format == "movielens") return ReadMovieLens(path, opts, sink);
  if (format == "ml-ratings") return ReadMovieLensRatings(path, opts, sink);
  if (format == "ml-items") return ReadMovieLensItems(path, opts, sink);
  if (format == "ml-users") return ReadMovieLensUsers(path, opts, sink);
  if (format == "sequences") return ReadSequences(path, opts, sink);
  if (format == "item-attributes") return ReadItemAttributesJson(path, opts, sink);
  if (format == "triples") return ReadTriples(path, opts, sink);
  return Status::InvalidArgument(fmt::format("unknown format '{}'", format));
}

namespace {
// A file starting with '{': JSON Lines of reviews or texts when its lines are objects and one of
// the first 50 has "reviewerID" or "text" (a record may lack it), else the one object of
// item-attributes (spread over lines, or on one line with lists for values).
std::string DetectJson(CsvReader& head, std::string line) {
  const bool first_complete = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false).is_object();
  bool texts = false;
  for (int n = 0; n < 50; ++n) {
    if (line.find("\"reviewerid\"") != std::string::npos) return "amazon-reviews";
    texts |= line.find("\"text\"") != std::string::npos;  // user_id alone: personas.jsonl is not texts
    if (!head.Next()) break;
    line = ToLowerAscii(head[0]);
  }
  if (texts && first_complete) return "texts";
  return "item-attributes";
}
}  // namespace

std::string DetectFormat(const std::string& path, const std::string& encoding) {
  namespace fs = std::filesystem;
  fs::path p(path);
  if (fs::is_directory(p)) return fs::exists(p / "u.data") ? "movielens" : "";
  std::string name = p.filename().string();
  if (name == "u.data" || (StartsWith(name, "u") && (name.ends_with(".base") || name.ends_with(".test"))))
    return "ml-ratings";
  if (name == "u.item") return "ml-items";
  if (name == "u.user") return "ml-users";
  CsvOptions lines = CsvOptions::Lines();
  lines.encoding = encoding;
  CsvReader head(path, lines);
  if (!head.Next()) return "";
  std::string first = ToLowerAscii(head[0]);
  if (StartsWith(first, "event_time,event_type")) return "rees46";
  if (StartsWith(first, "product_id,")) return "catalog";
  if (StartsWith(first, "code,")) return "categories";
  if (StartsWith(first, "brand,")) return "brands";
  if (StartsWith(first, "user_id,") && first.find("gender") != std::string::npos) return "users";
  if (StartsWith(first, "{")) return DetectJson(head, first);
  if (std::count(first.begin(), first.end(), '\t') == 2) return "triples";
  auto cols = Split(first, ',');
  // A header of a CSV format in another order (the readers find their columns by name): the
  // format whose required columns it names and every column of which that format reads. A
  // column of its own (a review's body, a rating) means another kind of file, which the reader
  // would take in part and silently.
  std::set<std::string_view> names;
  for (std::string_view c : cols) {
    c = Trim(c);
    if (c.size() >= 2 && c.front() == '"' && c.back() == '"') c = Trim(c.substr(1, c.size() - 2));
    names.insert(c);
  }
  struct Known {
    const char* format;
    std::vector<std::string_view> required, columns;
  };
  static const Known kKnown[] = {
      {"rees46", {"event_time", "event_type", "product_id", "user_id"},
       {"event_time", "event_type", "product_id", "category_id", "category_code", "brand", "price", "user_id", "user_session"}},
      {"catalog", {"product_id"}, {"product_id", "title", "category_path", "category_id", "brand", "price", "attributes"}},
      {"users", {"user_id"}, {"user_id", "gender", "birth_year", "age", "city", "occupation", "zip", "signup_time"}},
      {"categories", {"code"}, {"code", "name_en", "name_zh", "parent_code"}},
      {"brands", {"brand"}, {"brand", "name", "name_zh", "root_category"}},
  };
  for (const Known& k : kKnown) {
    const auto reads = [&](std::string_view n) { return std::find(k.columns.begin(), k.columns.end(), n) != k.columns.end(); };
    if (names.size() >= 2 && std::all_of(k.required.begin(), k.required.end(), [&](std::string_view n) { return names.count(n) > 0; }) &&
        std::all_of(names.begin(), names.end(), reads))
      return k.format;
  }
  if (cols.size() == 5) {
    std::string t = std::string(Trim(cols[3]));
    if (t == "pv" || t == "buy" || t == "cart" || t == "fav") return "taobao";
  }
  return "";
}

}  // namespace kgp
