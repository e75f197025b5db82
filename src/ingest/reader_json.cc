// JSON readers: Amazon reviews (JSON Lines), kgprofile texts (JSON Lines), and the S3-Rec
// item → attributes object.
#include <fstream>
#include <sstream>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "common/time.h"
#include "ingest/reader_util.h"
#include "ingest/readers_internal.h"

namespace kgp::internal {
namespace {
using nlohmann::json;

// Value of a string-or-number member as text; empty when absent or null.
std::string AsText(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_unsigned()) return std::to_string(it->get<uint64_t>());  // past INT64_MAX too
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  if (it->is_number()) return fmt::format("{}", it->get<double>());
  return it->dump();
}

// Rejects the row when one of `keys` holds an array, an object or a boolean (ids, times and
// texts are strings or numbers, and a list is not to be stored as its JSON spelling), or a
// string with a NUL byte.
bool ScalarFields(RecordSink& sink, const CsvReader& row, const json& obj, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    auto it = obj.find(key);
    if (it != obj.end() && (it->is_structured() || it->is_boolean()))
      return RejectRow(sink, row, key, "must be a string or a number"), false;
    // "\u0000" decodes to a NUL byte, where SQLite and C strings end text.
    if (it != obj.end() && it->is_string() && it->get_ref<const std::string&>().find('\0') != std::string::npos)
      return RejectRow(sink, row, key, kNulByteReason), false;
  }
  return true;
}

// Rejects the row when one of the id `keys` is a number that is not an integer (1.5, or one too
// large for 64 bits, which JSON parsers keep only approximately): its digits cannot be kept.
bool IntegerIds(RecordSink& sink, const CsvReader& row, const json& obj, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    auto it = obj.find(key);
    if (it != obj.end() && it->is_number_float())
      return RejectRow(sink, row, key, "an id given as a number must be an integer of at most 20 digits "
                                       "(give a longer id as a string)"), false;
  }
  return true;
}

// A JSON integer as Unix seconds; nullopt when not an integer or outside 1970 to 9999.
std::optional<int64_t> UnixSeconds(const json& v) {
  if (v.is_number_unsigned())
    return v.get<uint64_t>() <= static_cast<uint64_t>(kMaxTimestamp) ? std::optional<int64_t>(v.get<int64_t>())
                                                                     : std::nullopt;
  if (v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() <= kMaxTimestamp) return v.get<int64_t>();
  return std::nullopt;
}

// One member of a top-level JSON object as written: its key, the line the key is on and its
// value's text. A key written twice is two members (a parser keeps only the last).
struct Member {
  std::string key;
  uint64_t line;
  std::string_view value;
};

// The members of `text`, which json::accept() took for an object, in the order written.
std::vector<Member> TopLevelMembers(std::string_view text) {
  std::vector<Member> out;
  uint64_t line = 1;
  int depth = 0;
  size_t str_begin = 0, value_begin = 0;
  bool in_string = false, escape = false, expect_key = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') ++line;
    if (in_string) {
      if (escape) {
        escape = false;
      } else if (c == '\\') {
        escape = true;
      } else if (c == '"') {
        in_string = false;
        if (depth == 1 && expect_key) {
          const json key = json::parse(text.substr(str_begin, i + 1 - str_begin), nullptr, false);
          out.push_back({key.is_string() ? key.get<std::string>() : std::string(), line, {}});
          expect_key = false;
        }
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      str_begin = i;
    } else if (c == '{' || c == '[') {
      if (++depth == 1) expect_key = true;
    } else if (depth == 1 && (c == ',' || c == '}') && !out.empty()) {
      out.back().value = text.substr(value_begin, i - value_begin);
      expect_key = true;
    } else if (depth == 1 && c == ':') {
      value_begin = i + 1;
    }
    if (c == '}' || c == ']') --depth;
  }
  return out;
}

bool ParseLine(RecordSink& sink, const CsvReader& row, json& out) {
  std::string_view line = Trim(row[0]);
  if (line.empty()) return false;
  out = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) return RejectRow(sink, row, "-", "invalid JSON"), false;
  if (!out.is_object()) return RejectRow(sink, row, "-", "line is not a JSON object"), false;
  return true;
}

}  // namespace

Status ReadAmazonReviews(const std::string& path, const ReaderOptions& opts, RecordSink& sink) {
  CsvReader r(path, WithEncoding(CsvOptions::Lines(), opts));
  KGP_RETURN_IF_ERROR(r.status());
  return ForEachRecord(r, sink, [&](CsvReader& row) {
    json j;
    if (!ParseLine(sink, row, j)) return;
    if (!ScalarFields(sink, row, j, {"reviewerID", "asin", "reviewText", "summary"})) return;
    if (!IntegerIds(sink, row, j, {"reviewerID", "asin"})) return;
    std::string user = AsText(j, "reviewerID"), item = AsText(j, "asin");
    if (auto p = IdProblem(user, "user id")) return RejectRow(sink, row, "reviewerID", *p);
    if (auto p = IdProblem(item, "item id")) return RejectRow(sink, row, "asin", *p);
    auto t = j.find("unixReviewTime");
    if (t == j.end() || !t->is_number_integer())
      return RejectRow(sink, row, "unixReviewTime", "missing or non-integer time");
    const std::optional<int64_t> ts = UnixSeconds(*t);
    if (!ts) return RejectRow(sink, row, "unixReviewTime", "time out of range (Unix seconds from 1970 to 9999)");
    if (FutureTime(*ts)) return RejectRow(sink, row, "unixReviewTime", kFutureTimeReason);
    std::optional<double> rating;
    if (auto o = j.find("overall"); o != j.end() && !o->is_null()) {
      if (!o->is_number() || o->get<double>() < 0 || o->get<double>() > 5)
        return RejectRow(sink, row, "overall", "bad rating");
      rating = o->get<double>();
    }
    // Style ("Size:": " 7.0 oz") describes the variant bought: the event's variant, and so an
    // attribute of the item.
    std::vector<std::pair<std::string, std::string>> style;
    if (auto s = j.find("style"); s != j.end() && s->is_object()) {
      for (auto& [k, v] : s->items()) {
        if (!v.is_string()) continue;
        if (k.find('\0') != std::string::npos || v.get_ref<const std::string&>().find('\0') != std::string::npos)
          return RejectRow(sink, row, "style", kNulByteReason);
        std::string key(Trim(k));
        if (!key.empty() && key.back() == ':') key.pop_back();
        std::string val(Trim(v.get<std::string>()));
        if (!key.empty() && !val.empty()) style.emplace_back(ToLowerAscii(key), val);
      }
    }
    EventRecord ev;
    ev.user = user;
    ev.item = item;
    ev.variant = style;
    ev.type = EventType::kReview;
    ev.ts = *ts;
    ev.value = rating;
    sink.OnEvent(ev);
    // Valid UTF-8 already: the line was checked (ForEachRecord) and JSON escapes decode to it.
    // Scraped review text keeps HTML references ("don&#039;t", "H&amp;M"): stored as a person
    // reads it, so that spans into it and the words in it are what they say.
    std::string body = DecodeHtmlEntities(AsText(j, "reviewText"));
    std::string summary = DecodeHtmlEntities(AsText(j, "summary"));
    if (!body.empty() || !summary.empty()) {
      TextRecord tx;
      tx.kind = "review";
      tx.user = user;
      tx.item = item;
      tx.ts = ev.ts;
      tx.rating = rating;
      tx.lang = "en";
      tx.title = summary;
      tx.body = body;
      sink.OnText(tx);
    }
  });
}

Status ReadTexts(const std::string& path, const ReaderOptions& opts, RecordSink& sink) {
  CsvReader r(path, WithEncoding(CsvOptions::Lines(), opts));
  KGP_RETURN_IF_ERROR(r.status());
  return ForEachRecord(r, sink, [&](CsvReader& row) {
    json j;
    if (!ParseLine(sink, row, j)) return;
    if (!ScalarFields(sink, row, j, {"user_id", "product_id", "text", "kind", "time", "rating", "lang", "title"})) return;
    if (!IntegerIds(sink, row, j, {"user_id", "product_id"})) return;
    std::string user = AsText(j, "user_id"), item = AsText(j, "product_id");
    std::string text = DecodeHtmlEntities(AsText(j, "text"));  // as in ReadAmazonReviews
    if (user.empty() && item.empty())
      return RejectRow(sink, row, "user_id", "neither user_id nor product_id given");
    if (auto p = user.empty() ? std::nullopt : IdProblem(user, "user id")) return RejectRow(sink, row, "user_id", *p);
    if (auto p = item.empty() ? std::nullopt : IdProblem(item, "product id")) return RejectRow(sink, row, "product_id", *p);
    if (Trim(text).empty()) return RejectRow(sink, row, "text", "empty text");
    TextRecord tx;
    std::string kind = ToLowerAscii(Trim(AsText(j, "kind")));
    if (kind.empty()) kind = item.empty() ? "post" : "review";
    if (kind != "review" && kind != "post") return RejectRow(sink, row, "kind", fmt::format("'{}': review or post", kind));
    tx.kind = kind;
    tx.user = user;
    tx.item = item;
    std::string time = AsText(j, "time");
    if (!time.empty()) {
      tx.ts = ParseTimestamp(time);
      if (!tx.ts) return RejectRow(sink, row, "time", "unparseable time");
      if (FutureTime(*tx.ts)) return RejectRow(sink, row, "time", kFutureTimeReason);
    }
    std::string rating = AsText(j, "rating");
    if (!rating.empty()) {
      tx.rating = ParseDouble(rating);
      if (!tx.rating || *tx.rating < 0 || *tx.rating > 5) return RejectRow(sink, row, "rating", "bad rating (0 to 5 stars)");
    }
    std::string lang = AsText(j, "lang"), title = DecodeHtmlEntities(AsText(j, "title"));
    tx.lang = lang;
    tx.title = title;
    tx.body = text;
    // A review with a product and a time is also a REVIEWED event.
    if (kind == "review" && !user.empty() && !item.empty() && tx.ts) {
      EventRecord ev;
      ev.user = user;
      ev.item = item;
      ev.type = EventType::kReview;
      ev.ts = *tx.ts;
      ev.value = tx.rating;
      sink.OnEvent(ev);
    }
    sink.OnText(tx);
  });
}

Status ReadItemAttributesJson(const std::string& path, const ReaderOptions&, RecordSink& sink) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(fmt::format("{}: cannot open", path));
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string data = std::move(ss).str();
  std::string_view text = data;
  if (StartsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 BOM
  const std::string_view body = Trim(text);
  if (body.empty() || body[0] != '{' || !json::accept(body))
    return Status::Corruption(fmt::format("{}:1: not a JSON object of item -> [attribute ids]", path));
  std::unordered_set<std::string> seen;
  for (const Member& m : TopLevelMembers(text)) {
    sink.OnProgress(0);
    if (auto p = IdProblem(Trim(m.key), "item id")) {
      sink.OnReject(Reject{m.line, "-", *p});
      continue;
    }
    if (m.key.find('\0') != std::string::npos) {
      sink.OnReject(Reject{m.line, "-", kNulByteReason});
      continue;
    }
    if (!seen.insert(m.key).second) {
      sink.OnReject(Reject{m.line, m.key, "item given twice (its first list is kept)"});
      continue;
    }
    const json attrs = json::parse(m.value, nullptr, /*allow_exceptions=*/false);
    if (!attrs.is_array()) {
      sink.OnReject(Reject{m.line, m.key, "attributes are not an array"});
      continue;
    }
    ItemRecord it;
    it.id = m.key;
    std::string bad;
    for (const auto& a : attrs) {
      if (a.is_number_unsigned()) it.attributes.emplace_back("attr", std::to_string(a.get<uint64_t>()));
      else if (a.is_number_integer()) it.attributes.emplace_back("attr", std::to_string(a.get<int64_t>()));
      else if (a.is_string() && a.get_ref<const std::string&>().find('\0') == std::string::npos)
        it.attributes.emplace_back("attr", a.get<std::string>());
      else if (bad.empty()) bad = a.dump();
    }
    if (!bad.empty()) {
      sink.OnReject(Reject{m.line, m.key, fmt::format("attribute ids are integers or strings, not {}", bad)});
      continue;
    }
    sink.OnItem(it);
  }
  return Status::Ok();
}

}  // namespace kgp::internal
