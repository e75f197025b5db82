#include "llm/facts.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/strings.h"
#include "llm/lexicon.h"

namespace kgp::llm {

std::string Fact::Get(std::string_view key) const {
  for (const auto& [k, v] : fields)
    if (k == key) return v;
  return "";
}

Fact& Fact::Set(std::string key, std::string value) {
  for (char& c : value)
    if (c == '|' || c == '\n' || c == '\r') c = ' ';
  for (auto& [k, v] : fields)
    if (k == key) {
      v = std::move(value);
      return *this;
    }
  fields.emplace_back(std::move(key), std::move(value));
  return *this;
}

bool IsNumberField(std::string_view key) {
  for (std::string_view k : {"purchases", "weight", "sensitivity", "discount_response", "price", "paid", "discount_pct", "zhe",
                             "min_spend", "n"})
    if (key == k) return true;
  return false;
}

std::string Fact::Line(bool numbers) const {
  std::string out = "- " + kind;
  for (const auto& [k, v] : fields) out += " | " + k + "=" + (numbers || !IsNumberField(k) ? v : "#");
  return out;
}

std::vector<Fact> ParseFacts(std::string_view text) {
  std::vector<Fact> out;
  for (std::string_view line : Split(text, '\n')) {
    line = Trim(line);
    if (line.size() < 3 || line.substr(0, 2) != "- " || line.find(" | ") == std::string_view::npos) continue;
    line.remove_prefix(2);
    Fact f;
    size_t at = 0;
    bool first = true;
    while (at <= line.size()) {
      size_t bar = line.find(" | ", at);
      std::string_view part = Trim(line.substr(at, bar == std::string_view::npos ? std::string_view::npos : bar - at));
      if (first) {
        f.kind = std::string(part);
        first = false;
      } else if (size_t eq = part.find('='); eq != std::string_view::npos) {
        f.fields.emplace_back(std::string(Trim(part.substr(0, eq))), std::string(Trim(part.substr(eq + 1))));
      }
      if (bar == std::string_view::npos) break;
      at = bar + 3;
    }
    out.push_back(std::move(f));
  }
  return out;
}

void FactSheet::Allow(const Lexicon& lx, NodeId n) {
  if (n == UINT32_MAX) return;
  std::vector<NodeId> add = {n};
  const Graph& g = lx.graph();
  if (g.type(n) == NodeType::kProduct) {
    add.push_back(lx.BrandOf(n));
    for (NodeId c : lx.CategoryChain(lx.CategoryOf(n))) add.push_back(c);
  } else if (g.type(n) == NodeType::kCategory) {
    for (NodeId c : lx.CategoryChain(n)) add.push_back(c);
  }
  for (NodeId a : add) {
    if (a == UINT32_MAX) continue;
    auto it = std::lower_bound(entities.begin(), entities.end(), a);
    if (it == entities.end() || *it != a) entities.insert(it, a);
  }
}

bool FactSheet::Allows(NodeId n) const { return std::binary_search(entities.begin(), entities.end(), n); }

std::string FactSheet::Block(bool numbers) const {
  std::string out;
  for (const Fact& f : facts) out += f.Line(numbers) + "\n";
  return out;
}

nlohmann::json FactSheet::ToJson() const {
  nlohmann::json lines = nlohmann::json::array();
  for (const Fact& f : facts) lines.push_back(f.Line());
  return {{"alias", alias}, {"facts", lines}};
}

namespace {

// RFM segments (profile/finalize.cc ScoreRfm) in Chinese.
constexpr std::pair<const char*, const char*> kSegmentsZh[] = {
    {"champions", "冠军客户"},          {"loyal", "忠诚客户"},          {"new customers", "新客户"},
    {"promising", "潜力客户"},          {"potential loyalists", "潜在忠诚客户"}, {"about to sleep", "即将沉睡客户"},
    {"need attention", "需要关注客户"}, {"cannot lose them", "不能流失客户"}, {"at risk", "流失风险客户"},
    {"hibernating", "休眠客户"},        {"lost", "已流失客户"},         {"prospect", "潜在客户"},
};

}  // namespace

std::span<const std::pair<const char*, const char*>> RfmSegments() { return kSegmentsZh; }

std::string SegmentName(const std::string& seg, const std::string& lang) {
  if (lang == "en") return seg;
  for (const auto& [en, zh] : kSegmentsZh)
    if (seg == en) return zh;
  return "";
}

std::string FormatPrice(double p) {
  if (std::fabs(p - std::round(p)) < 0.005) return fmt::format("{:.0f}", std::round(p));
  return fmt::format("{:.2f}", p);
}

}  // namespace kgp::llm
