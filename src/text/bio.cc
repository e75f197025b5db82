#include "text/bio.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/csv.h"
#include "common/strings.h"

namespace kgp::text {

bool IsBioTag(std::string_view tag) {
  if (tag == "O") return true;
  return (tag.starts_with("B-") || tag.starts_with("I-")) && tag.size() > 2 && tag.size() <= kMaxBioTagBytes &&
         IsValidUtf8(tag) && std::none_of(tag.begin(), tag.end(), [](char c) {
           return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
         });
}

Result<std::vector<Sentence>> ReadBioFile(const std::string& path, BioReadStats* stats) {
  BioReadStats local;
  BioReadStats& st = stats ? *stats : local;
  st = BioReadStats{};
  CsvReader r(path, CsvOptions{'\0', false, false});
  if (!r.status().ok()) return r.status();
  std::vector<Sentence> out;
  Sentence cur;
  auto flush = [&] {
    if (!cur.tokens.empty()) {
      ++st.sentences;
      out.push_back(std::move(cur));
    }
    cur = Sentence{};
  };
  auto bad = [&](std::string_view why) {
    if (st.bad_lines++ == 0) st.first_error = fmt::format("{}:{}: {}", path, r.line(), why);
  };
  while (r.Next()) {
    ++st.lines;
    std::string_view line = r.size() ? r[0] : std::string_view();
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
    if (Trim(line).empty() && line.find("\xE3\x80\x80") == std::string_view::npos) {
      flush();
      continue;
    }
    size_t sp = line.rfind(' ');
    if (sp == std::string_view::npos || sp == 0 || sp + 1 == line.size()) {
      bad("expected `token tag` (token, one ASCII space, tag)");
      continue;
    }
    std::string_view tok = line.substr(0, sp), tag = Trim(line.substr(sp + 1));
    if (!IsValidUtf8(tok)) {
      bad("token is not valid UTF-8");
      continue;
    }
    if (!IsBioTag(tag)) {  // what a trained model could not load again is refused here, by line
      bad(fmt::format("tag must be O, B-TYPE or I-TYPE (UTF-8, no control characters, at most {} bytes)", kMaxBioTagBytes));
      continue;
    }
    cur.tokens.emplace_back(tok);
    cur.tags.emplace_back(tag);
    ++st.tokens;
  }
  if (!r.status().ok()) return r.status();
  flush();
  return out;
}

std::vector<Span> SpansFromTags(const std::vector<std::string>& tags) {
  std::vector<Span> out;
  for (uint32_t i = 0; i < tags.size(); ++i) {
    const std::string& t = tags[i];
    if (t.size() < 3) continue;  // "O" or junk
    std::string_view type = std::string_view(t).substr(2);
    bool cont = t[0] == 'I' && !out.empty() && out.back().end == i && out.back().type == type;
    if (cont) out.back().end = i + 1;
    else out.push_back({i, i + 1, std::string(type)});
  }
  return out;
}

std::vector<std::string> TagsFromSpans(size_t n, const std::vector<Span>& spans) {
  std::vector<std::string> tags(n, "O");
  for (const Span& s : spans)
    for (uint32_t i = s.begin; i < s.end && i < n; ++i) tags[i] = (i == s.begin ? "B-" : "I-") + s.type;
  return tags;
}

void SpanEval::Add(const std::vector<Span>& gold, const std::vector<Span>& pred) {
  std::vector<Span> g = gold, p = pred;
  std::sort(g.begin(), g.end());
  std::sort(p.begin(), p.end());
  size_t i = 0, j = 0;
  while (i < g.size() || j < p.size()) {
    if (j == p.size() || (i < g.size() && g[i] < p[j])) {
      ++micro.fn, ++by_type[g[i].type].fn, ++i;
    } else if (i == g.size() || p[j] < g[i]) {
      ++micro.fp, ++by_type[p[j].type].fp, ++j;
    } else {
      ++micro.tp, ++by_type[g[i].type].tp, ++i, ++j;
    }
  }
}

}  // namespace kgp::text
