#include "text/datasets.h"

#include <fstream>
#include <sstream>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/csv.h"
#include "common/hash.h"
#include "common/strings.h"
#include "text/normalize.h"

namespace kgp::text {
namespace {

void Skip(ReadStats& st, const std::string& path, uint64_t line, const std::string& why) {
  if (st.skipped++ == 0) st.first_error = fmt::format("{}:{}: {}", path, line, why);
}

// Value of attribute `name` inside one tag's text, unescaped; empty if absent.
std::string Attr(std::string_view tag, std::string_view name) {
  std::string key = " " + std::string(name) + "=\"";
  size_t p = tag.find(key);
  if (p == std::string_view::npos) return {};
  p += key.size();
  size_t q = tag.find('"', p);
  if (q == std::string_view::npos) return {};
  return DecodeHtmlEntities(tag.substr(p, q - p));
}

}  // namespace

Result<std::vector<LabeledText>> ReadLabeledCsv(const std::string& path, ReadStats* stats) {
  ReadStats local;
  ReadStats& st = stats ? *stats : local;
  st = ReadStats{};
  CsvReader r(path, CsvOptions{});
  if (!r.status().ok()) return r.status();
  std::vector<LabeledText> out;
  int label_col = -1, text_col = -1;
  if (r.Next()) {
    for (size_t i = 0; i < r.size(); ++i) {
      std::string h = ToLowerAscii(Trim(r[i]));
      if (h == "label") label_col = static_cast<int>(i);
      if (h == "review" || h == "text") text_col = static_cast<int>(i);
    }
  }
  if (label_col < 0 || text_col < 0)
    return Status::InvalidArgument(fmt::format("{}:1: header needs `label` and `review` (or `text`) columns", path));
  while (r.Next()) {
    ++st.records;
    if (r.size() <= static_cast<size_t>(std::max(label_col, text_col))) {
      Skip(st, path, r.line(), "too few fields");
      continue;
    }
    auto label = ParseInt(r[static_cast<size_t>(label_col)]);
    std::string_view t = Trim(r[static_cast<size_t>(text_col)]);
    if (!label || (*label != 0 && *label != 1)) Skip(st, path, r.line(), "field label: expected 0 or 1");
    else if (t.empty()) Skip(st, path, r.line(), "field review: empty");
    else if (!IsValidUtf8(t)) Skip(st, path, r.line(), "field review: invalid UTF-8");
    else {
      out.push_back({std::string(t), static_cast<int>(*label)});
      ++st.kept;
    }
  }
  if (!r.status().ok()) return r.status();
  return out;
}

Result<std::vector<LabeledText>> ReadAmazonReviews(const std::string& path, ReadStats* stats) {
  ReadStats local;
  ReadStats& st = stats ? *stats : local;
  st = ReadStats{};
  CsvReader r(path, CsvOptions::Lines());
  if (!r.status().ok()) return r.status();
  std::vector<LabeledText> out;
  std::unordered_set<uint64_t> seen;  // a copy in both train and test would inflate accuracy
  while (r.Next()) {
    ++st.records;
    if (!seen.insert(Hash64(r[0])).second) {
      ++st.duplicates;
      continue;
    }
    auto j = nlohmann::json::parse(r[0], nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      Skip(st, path, r.line(), "not a JSON object");
      continue;
    }
    if (!j.contains("overall") || !j["overall"].is_number()) {
      Skip(st, path, r.line(), "field overall: missing or not a number");
      continue;
    }
    double rating = j["overall"].get<double>();
    if (rating > 2 && rating < 4) continue;  // neutral: not part of the binary task
    std::string text;
    if (j.contains("summary") && j["summary"].is_string()) text = j["summary"].get<std::string>() + ". ";
    if (j.contains("reviewText") && j["reviewText"].is_string()) text += j["reviewText"].get<std::string>();
    text = DecodeHtmlEntities(text);  // scraped HTML: "don&#039;t", "H&amp;M"
    if (Trim(text).empty()) {
      Skip(st, path, r.line(), "field reviewText: empty");
      continue;
    }
    out.push_back({SanitizeUtf8(text), rating >= 4 ? 1 : 0});
    ++st.kept;
  }
  if (!r.status().ok()) return r.status();
  return out;
}

Result<std::vector<AbsaSentence>> ReadAbsaXml(const std::string& path, ReadStats* stats) {
  ReadStats local;
  ReadStats& st = stats ? *stats : local;
  st = ReadStats{};
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(fmt::format("{}: cannot open", path));
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string xml = ss.str();
  std::vector<AbsaSentence> out;
  for (size_t p = xml.find("<sentence "); p != std::string::npos; p = xml.find("<sentence ", p + 1)) {
    size_t end = xml.find("</sentence>", p);
    if (end == std::string::npos) break;
    ++st.records;
    std::string_view sent(xml.data() + p, end - p);
    size_t t0 = sent.find("<text>"), t1 = sent.find("</text>");
    if (t0 == std::string_view::npos || t1 == std::string_view::npos || t1 < t0) {
      Skip(st, path, 0, "sentence without <text>");
      continue;
    }
    AbsaSentence s;
    s.text = DecodeHtmlEntities(sent.substr(t0 + 6, t1 - t0 - 6));
    // from/to count characters; the texts are ASCII in practice, but convert to bytes anyway.
    std::vector<uint32_t> cp_to_byte;
    for (size_t i = 0; i < s.text.size();) {
      cp_to_byte.push_back(static_cast<uint32_t>(i));
      DecodeUtf8(s.text, i);
    }
    cp_to_byte.push_back(static_cast<uint32_t>(s.text.size()));
    bool bad = false;
    for (size_t a = sent.find("<aspectTerm "); a != std::string_view::npos; a = sent.find("<aspectTerm ", a + 1)) {
      std::string_view tag = sent.substr(a, sent.find('>', a) - a);
      AspectTerm t;
      t.term = Attr(tag, "term");
      t.polarity = Attr(tag, "polarity");
      auto from = ParseUint(Attr(tag, "from")), to = ParseUint(Attr(tag, "to"));
      if (!from || !to || *from >= *to || *to >= cp_to_byte.size()) {
        bad = true;
        continue;
      }
      t.from = cp_to_byte[*from];
      t.to = cp_to_byte[*to];
      s.aspects.push_back(std::move(t));
    }
    if (bad) Skip(st, path, 0, "aspectTerm with bad from/to (dropped the term)");
    out.push_back(std::move(s));
    ++st.kept;
  }
  return out;
}

Sentence AbsaToBio(const AbsaSentence& s) {
  Sentence out;
  for (const Token& t : TokenizeEnglish(s.text)) {
    std::string tag = "O";
    for (const auto& a : s.aspects)
      if (t.begin < a.to && t.end > a.from) tag = t.begin <= a.from ? "B-ASP" : "I-ASP";
    // A token that starts a term right after another term's token is a new span.
    if (tag == "I-ASP" && (out.tags.empty() || out.tags.back() == "O")) tag = "B-ASP";
    out.tokens.emplace_back(t.text);
    out.tags.push_back(tag);
  }
  return out;
}

}  // namespace kgp::text
