#include "llm/traits.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <ctime>
#include <optional>
#include <span>
#include <tuple>

#include <fmt/format.h>

#include "common/strings.h"
#include "graph/names.h"

namespace kgp::llm {
namespace {

// Whole-word find in lower-cased ASCII text (Chinese phrases: plain substring).
size_t FindWord(const std::string& text, std::string_view w, size_t from = 0) {
  const bool ascii = static_cast<unsigned char>(w[0]) < 0x80;
  for (size_t at = text.find(w, from); at != std::string::npos; at = text.find(w, at + 1)) {
    if (!ascii) return at;
    const bool left = at == 0 || !std::isalnum(static_cast<unsigned char>(text[at - 1]));
    const size_t end = at + w.size();
    const bool right = end >= text.size() || !std::isalnum(static_cast<unsigned char>(text[end]));
    if (left && right) return at;
  }
  return std::string::npos;
}

// "not", "isn't", "never" or 不 shortly before position at, in the same clause ("is not very
// price-sensitive, is active": the second claim is not negated).
bool Negated(const std::string& text, size_t at) {
  const size_t from = at > 16 ? at - 16 : 0;
  std::string before = text.substr(from, at - from);
  for (std::string_view b : {",", ";", "，", "、", "；", " and ", " but "})
    if (size_t p = before.rfind(b); p != std::string::npos) before = before.substr(p + b.size());
  return FindWord(before, "not") != std::string::npos || FindWord(before, "never") != std::string::npos ||
         before.find("n't") != std::string::npos || before.find("不") != std::string::npos;
}

double PriceField(const FactSheet& facts, std::string_view key) {
  for (const Fact& f : facts.facts)
    if (f.kind == "price")
      if (auto v = ParseDouble(f.Get(key))) return *v;
  return NAN;
}

constexpr const char* kPriceSensitive[] = {"price-sensitive", "price sensitive", "bargain hunter", "bargain-hunter",
                                           "deal seeker", "deal-seeker", "对价格不太敏感", "对价格不敏感", "价格敏感",
                                           "对价格较为敏感", "对价格敏感"};
constexpr const char* kPersona[] = {"early adopter", "night owl", "night-owl", "frequent reviewer", "brand-loyal",
                                    "brand loyal", "impulse buyer", "trendsetter", "忠实粉丝", "夜猫子", "尝鲜"};
constexpr const char* kFrequency[] = {"every day", "every week", "every month", "every season", "every year",
                                      "once a day", "once a week", "once a month", "once a year", "twice a week",
                                      "twice a month", "times a week", "times a month", "on holidays", "每天",
                                      "每周", "每月", "每季", "每年"};
constexpr const char* kPersonVerbs[] = {"is", "was", "has", "shops", "buys", "bought", "loves", "likes", "prefers"};
constexpr const char* kNotPeople[] = {"this", "that", "it", "he", "she", "they", "there", "here", "our", "your", "we",
                                      "you", "their", "its", "because", "everyone", "each", "what", "which", "who",
                                      "the", "a", "an", "now", "today", "shopping", "price", "customer", "shopper"};

// Gender words (a possessive "women's" describes a product, not the customer).
constexpr const char* kFemale[] = {"female", "woman", "women", "lady", "she", "her", "hers", "herself",
                                   "女性", "女顾客", "女生", "她"};
constexpr const char* kMale[] = {"male", "man", "men", "gentleman", "he", "him", "his", "himself",
                                 "男性", "男顾客", "男生", "先生"};
// Price level (the price fact's level: high, mid, low).
constexpr const char* kLevelHigh[] = {"luxury", "high-end", "high end", "upscale", "upmarket", "upper end", "big spender",
                                      "high-priced", "高端", "高档", "奢侈", "高价位", "高消费"};
constexpr const char* kLevelMid[] = {"mid-range", "mid range", "mid-priced", "mid price", "mid-market", "中等价位",
                                     "档次中等", "中档", "中端"};
constexpr const char* kLevelLow[] = {"budget", "low-end", "low end", "lower end", "low-priced", "cheap", "inexpensive",
                                     "平价", "低价", "经济实惠", "便宜", "低端"};
// Lifecycle (profile/finalize.cc: new, active, dormant, churned, returning). A phrase that says
// "not" itself ("inactive", "has not shopped for a while") is not read as negated.
constexpr const char* kChurned[] = {"churned", "lapsed", "lost customer", "lost shopper", "is lost", "are lost",
                                    "has been lost", "stopped shopping", "no longer shops", "no longer buys",
                                    "流失", "不再购买", "不再光顾"};
constexpr const char* kDormant[] = {"dormant", "inactive", "hibernating", "not active", "no longer active",
                                    "not shopped for a while",
                                    "not shopped in a while", "n't shopped for a while", "n't shopped in a while",
                                    "沉睡", "休眠"};
constexpr const char* kActive[] = {"is active", "are active", "still active", "remains active", "active customer",
                                   "active shopper", "active buyer", "active user", "活跃"};
constexpr const char* kNew[] = {"new customer", "new shopper", "first-time", "newcomer", "新客", "新顾客", "新用户"};
constexpr const char* kReturning[] = {"returning customer", "returning shopper", "came back", "recently come back",
                                      "has come back", "have come back", "has returned", "回流"};
// "Has never bought anything" (the user fact's purchase count must be 0).
constexpr const char* kNoPurchase[] = {"never bought anything", "never purchased anything", "never made a purchase",
                                       "never placed an order", "not bought anything", "n't bought anything",
                                       "not purchased anything", "n't purchased anything", "no purchases",
                                       "zero purchases", "yet to make a purchase", "yet to make their first purchase",
                                       "从未购买", "从未买过", "从没买过", "没有购买记录", "无购买记录", "没有购物记录",
                                       "尚未下单", "从未下单", "还没有下过单", "零购买", "尚无购买"};
// Offers the facts never make: only the coupon (a discount, a threshold) is decided in code.
constexpr const char* kOffers[] = {"buy one get one", "buy one, get one", "buy 1 get 1", "bogo", "two for one",
                                   "2 for 1", "free shipping", "free delivery", "ships free", "free gift",
                                   "free sample", "gift with purchase", "cashback", "cash back", "flash sale",
                                   "买一送一", "买一赠一", "买二送一", "包邮", "免运费", "免邮", "赠品", "返现", "秒杀"};
// Deadlines the facts never state ("Limited time only" and 名额有限 name none and pass).
constexpr const char* kDeadlines[] = {"ends tonight", "ends today", "ends at midnight", "until midnight", "today only",
                                      "only today", "tonight only", "last chance", "last day", "deadline", "expires",
                                      "expiring", "hours left", "countdown", "截止", "到期", "过期", "仅限今天",
                                      "仅限今日", "今日有效", "今天有效", "最后一天", "倒计时"};

// A city or an occupation as the tables' Chinese name ("Wuhan" → 武汉), else lower-cased.
std::string Canonical(NodeType t, std::string_view v) {
  std::string zh = TraitName(t, v, "zh");
  return zh.empty() ? ToLowerAscii(Trim(v)) : zh;
}

// Ranges of ages: "<18" → [0, 17], "25-34", "65+" → [65, 120].
struct Ages {
  int lo = -1, hi = -1;
  size_t begin = 0, end = 0;
};
std::optional<Ages> ParseAgeGroup(std::string_view g) {
  g = Trim(g);
  if (g.empty()) return std::nullopt;
  if (g[0] == '<') {
    if (auto v = ParseInt(g.substr(1))) return Ages{0, static_cast<int>(*v) - 1};
  } else if (g.back() == '+') {
    if (auto v = ParseInt(g.substr(0, g.size() - 1))) return Ages{static_cast<int>(*v), 120};
  } else if (size_t d = g.find('-'); d != std::string_view::npos) {
    auto a = ParseInt(g.substr(0, d)), b = ParseInt(g.substr(d + 1));
    if (a && b) return Ages{static_cast<int>(*a), static_cast<int>(*b)};
  }
  return std::nullopt;
}

bool IsDigitAt(const std::string& s, size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; }
// The number of digits starting at i (0 when none), its value in *v.
size_t Number(const std::string& s, size_t i, int* v) {
  size_t j = i;
  while (IsDigitAt(s, j) && j - i < 3) ++j;
  if (j == i || IsDigitAt(s, j)) return 0;
  *v = std::stoi(s.substr(i, j - i));
  return j - i;
}
bool StartsAtText(const std::string& s, size_t at, std::string_view w) { return s.compare(at, w.size(), w) == 0; }
bool EndsAtText(const std::string& s, size_t end, std::string_view w) {
  return end >= w.size() && s.compare(end - w.size(), w.size(), w) == 0;
}
// A child's age follows ("a 5-year-old son", "适合3岁以上儿童"): not the customer's.
bool ChildAfter(const std::string& low, size_t at) {
  std::string_view rest = std::string_view(low).substr(at, 16);
  for (std::string_view w : {"son", "daughter", "child", "kid", "baby", "toddler", "孩子", "儿童", "宝宝", "小孩", "的孩", "的宝"}) {
    size_t p = rest.find(w);
    if (p != std::string_view::npos && p <= 5) return true;
  }
  return false;
}

int CurrentYear() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  return tm.tm_year + 1900;
}

// The ages a sentence gives (lower-cased text): "aged 25-34", "aged 65 or over", "a shopper
// under 18", "30-year-old", "in their 30s", "teenager", "middle-aged", "25-34岁", "18岁以下",
// "65岁及以上", "30多岁", 中年, 老年 ….
std::vector<Ages> FindAges(const std::string& low) {
  std::vector<Ages> out;
  // English, after "aged".
  for (size_t at = FindWord(low, "aged"); at != std::string::npos; at = FindWord(low, "aged", at + 4)) {
    size_t i = at + 5;
    int a = 0, b = 0;
    size_t n = Number(low, i, &a);
    if (!n) continue;
    i += n;
    Ages r{a, a, at, i};
    for (std::string_view dash : {"-", "–", " to ", "—"})
      if (StartsAtText(low, i, dash))
        if (size_t m = Number(low, i + dash.size(), &b)) r.hi = b, i += dash.size() + m, r.end = i;
    for (std::string_view over : {" or over", " or older", " and over", " and above", "+"})
      if (StartsAtText(low, i, over)) r.hi = 120, r.end = i + over.size();
    out.push_back(r);
  }
  // "shopper under 18", "under 18 years".
  for (size_t at = FindWord(low, "under"); at != std::string::npos; at = FindWord(low, "under", at + 5)) {
    int a = 0;
    size_t n = Number(low, at + 6, &a);
    if (!n) continue;
    const std::string before = low.substr(0, at);
    bool who = StartsAtText(low, at + 6 + n, " year");
    for (std::string_view w : {"shopper ", "customer ", "user ", "buyer "}) who = who || EndsAtText(before, at, w);
    if (who) out.push_back({0, a - 1, at, at + 6 + n});
  }
  // "30-year-old", "30 years old".
  for (std::string_view w : {"-year-old", " years old", " year old", "-years-old"})
    for (size_t at = low.find(w); at != std::string::npos; at = low.find(w, at + 1)) {
      size_t b = at;
      while (b > 0 && IsDigitAt(low, b - 1)) --b;
      int a = 0;
      if (b == at || !Number(low, b, &a) || ChildAfter(low, at + w.size())) continue;
      out.push_back({a, a, b, at + w.size()});
    }
  // "in their 30s", "in her thirties".
  static const char* const kDecades[] = {"twenties", "thirties", "forties", "fifties", "sixties", "seventies"};
  for (std::string_view who : {"in their ", "in his ", "in her "})
    for (size_t at = low.find(who); at != std::string::npos; at = low.find(who, at + 1)) {
      size_t i = at + who.size();
      for (std::string_view q : {"early ", "mid-", "mid ", "late "})
        if (StartsAtText(low, i, q)) i += q.size();
      int a = 0;
      if (size_t n = Number(low, i, &a); n && StartsAtText(low, i + n, "s") && a % 10 == 0) {
        out.push_back({a, a + 9, at, i + n + 1});
        continue;
      }
      for (int d = 0; d < 6; ++d)
        if (StartsAtText(low, i, kDecades[d])) out.push_back({20 + 10 * d, 29 + 10 * d, at, i + std::strlen(kDecades[d])});
    }
  // Words.
  static const std::pair<const char*, Ages> kWords[] = {
      {"teenager", {13, 19}}, {"teenage", {13, 19}}, {"teen", {13, 19}}, {"young adult", {18, 34}},
      {"middle-aged", {40, 60}}, {"middle aged", {40, 60}}, {"elderly", {60, 120}}, {"senior citizen", {60, 120}},
      {"pensioner", {60, 120}}, {"青少年", {12, 19}}, {"未成年", {0, 17}}, {"年轻人", {18, 34}},
      {"中年", {40, 60}}, {"老年", {60, 120}}, {"老人", {60, 120}}};
  for (const auto& [w, r] : kWords)
    if (size_t at = FindWord(low, w); at != std::string::npos) out.push_back({r.lo, r.hi, at, at + std::strlen(w)});
  // Birth cohorts, as ages this year: 90后 (born 1990–1999), 95后 (1995–1999), 00后; "Gen Z"
  // (1997–2012), "millennial" (1981–1996), "baby boomer" (1946–1964). Two digits after no
  // digit, time or date mark and no 满 ("满300后", "满50后再减", "20:00后", "12.25后" are not
  // cohorts); 50后 … 95后, 00后, 05后, 10后 only; a cohort followed by a child or a parent
  // ("00后孩子", "60后爸妈") is someone else's.
  const int year = CurrentYear();
  const std::string_view hou = "后";
  for (size_t at = low.find(hou); at != std::string::npos; at = low.find(hou, at + 1)) {
    if (at < 2 || !IsDigitAt(low, at - 1) || !IsDigitAt(low, at - 2)) continue;
    if (at >= 3 && (IsDigitAt(low, at - 3) || std::string_view(":./-~").find(low[at - 3]) != std::string_view::npos)) continue;
    if (EndsAtText(low, at - 2, "满") || EndsAtText(low, at - 2, "：") || EndsAtText(low, at - 2, "第")) continue;
    const int yy = (low[at - 2] - '0') * 10 + (low[at - 1] - '0');
    if (yy % 5 != 0 || (yy > 10 && yy < 50)) continue;
    const size_t end = at + hou.size();
    bool other = ChildAfter(low, end);
    for (std::string_view w : {"爸妈", "父母", "爸爸", "妈妈", "长辈", "老人", "家人"})
      other = other || StartsAtText(low, end, w) || StartsAtText(low, end, std::string("的") + std::string(w));
    if (other) continue;
    const int from = (yy >= 50 ? 1900 : 2000) + yy, to = from - from % 10 + 9;
    out.push_back({std::max(0, year - to), std::max(0, year - from), at - 2, end});
  }
  static const std::tuple<const char*, int, int> kCohorts[] = {
      {"gen z", 1997, 2012},       {"gen-z", 1997, 2012},       {"generation z", 1997, 2012},
      {"zoomer", 1997, 2012},      {"zoomers", 1997, 2012},     {"millennial", 1981, 1996},
      {"millennials", 1981, 1996}, {"gen y", 1981, 1996},       {"gen x", 1965, 1980},
      {"generation x", 1965, 1980}, {"baby boomer", 1946, 1964}, {"baby boomers", 1946, 1964}};
  for (const auto& [w, from, to] : kCohorts)
    if (size_t at = FindWord(low, w); at != std::string::npos && !StartsAtText(low, at + std::strlen(w), " pink"))
      out.push_back({std::max(0, year - to), std::max(0, year - from), at, at + std::strlen(w)});
  // Chinese: "25-34岁", "30岁", "18岁以下", "65岁及以上", "30多岁".
  const std::string_view sui = "岁";
  for (size_t at = low.find(sui); at != std::string::npos; at = low.find(sui, at + 1)) {
    size_t e = at;
    bool many = false;
    for (std::string_view m : {"多", "来"})
      if (EndsAtText(low, e, m)) e -= m.size(), many = true;
    size_t b = e;
    while (b > 0 && IsDigitAt(low, b - 1)) --b;
    int hi = 0, lo = 0;
    if (b == e || !Number(low, b, &hi)) continue;
    Ages r{hi, many ? hi + 9 : hi, b, at + sui.size()};
    for (std::string_view dash : {"-", "–", "~", "～", "到", "至"})
      if (EndsAtText(low, b, dash)) {
        size_t c = b - dash.size();
        while (c > 0 && IsDigitAt(low, c - 1)) --c;
        if (c < b - dash.size() && Number(low, c, &lo)) r.lo = lo, r.begin = c;
      }
    if (StartsAtText(low, r.end, "以下")) r.lo = 0, r.hi = hi - 1, r.end += 6;
    for (std::string_view up : {"及以上", "以上"})
      if (StartsAtText(low, r.end, up)) r.hi = 120, r.end += up.size();
    if (ChildAfter(low, r.end)) continue;
    out.push_back(r);
  }
  return out;
}

// An occupation is claimed only after words that make it the customer's: "is a nurse", "works
// as an accountant", "works in healthcare", "is retired", 职业为护士, 是一名会计 (one word may
// stand between the article and the occupation: "is a graphic designer").
bool OccupationContext(const std::string& low, size_t at, bool zh) {
  std::string_view before = Trim(std::string_view(low).substr(0, at));
  if (zh) {
    for (std::string_view w : {"职业为", "职业是", "职业：", "是一名", "是一位", "是名", "是位", "是个", "是一个", "身为",
                               "作为一名", "从事", "担任"})
      if (before.ends_with(w)) return true;
    return false;
  }
  const auto ends_with_word = [](std::string_view b, std::string_view w) {
    return b.ends_with(w) && (b.size() == w.size() || !std::isalnum(static_cast<unsigned char>(b[b.size() - w.size() - 1])));
  };
  for (int skip = 0; skip < 2; ++skip) {
    for (std::string_view w : {"is a", "is an", "as a", "as an", "was a", "was an", "works in", "work in", "working in",
                               "employed in", "career in", "is", "was", "'s a", "'s an"})
      if (ends_with_word(before, w)) return true;
    // one word between: "is a graphic designer"
    const size_t sp = before.find_last_of(' ');
    if (sp == std::string_view::npos) return false;
    before = Trim(before.substr(0, sp));
  }
  return false;
}


// Claims about who the customer is and how they shop, against the user fact (gender, age_group,
// city, occupation, lifecycle, segment, purchases) and the price fact's level. `low` is `s`
// ASCII-lower-cased (same byte offsets).
void AddUserClaims(const std::string& s, std::string low, const FactSheet& facts, std::vector<TraitClaim>& out) {
  const Fact* user = nullptr;
  std::string level;
  for (const Fact& f : facts.facts) {
    if (f.kind == "user" && !user) user = &f;
    if (f.kind == "price" && level.empty()) level = f.Get("level");
  }
  const auto field = [&](const char* key) { return user ? user->Get(key) : std::string(); };
  const auto claim = [&](size_t at, size_t len, bool ok, std::string why) {
    TraitClaim c;
    c.surface = s.substr(at, len);
    c.supported = ok;
    if (!ok) c.why = std::move(why);
    out.push_back(std::move(c));
  };
  const auto first = [&](std::span<const char* const> words, size_t* len) {
    size_t best = std::string::npos;
    for (const char* w : words) {
      const size_t at = FindWord(low, w);
      if (at < best) best = at, *len = std::strlen(w);
    }
    return best;
  };
  // Gender: the first word of each set.
  const std::string gender = field("gender");
  for (const auto& [words, g] : {std::pair{std::span<const char* const>(kFemale), "female"},
                                 std::pair{std::span<const char* const>(kMale), "male"}}) {
    for (const char* w : words) {
      size_t at = FindWord(low, w);
      while (at != std::string::npos && (StartsAtText(low, at + std::strlen(w), "'s") || StartsAtText(low, at + std::strlen(w), "’s")))
        at = FindWord(low, w, at + 1);  // "women's shoes" describe a product
      if (at == std::string::npos) continue;
      claim(at, std::strlen(w), gender == g,
            gender.empty() ? fmt::format("'{}': the facts give no gender", s.substr(at, std::strlen(w)))
                           : fmt::format("'{}': the customer is {}", s.substr(at, std::strlen(w)), gender));
      break;
    }
  }
  // Age.
  const std::string age = field("age_group");
  const auto group = ParseAgeGroup(age);
  for (const Ages& a : FindAges(low))
    claim(a.begin, a.end - a.begin, group && a.lo <= group->hi && group->lo <= a.hi,
          group ? fmt::format("'{}': the customer's age group is {}", s.substr(a.begin, a.end - a.begin), age)
                : fmt::format("'{}': the facts give no age group", s.substr(a.begin, a.end - a.begin)));
  // City and occupation, by the tables of graph/names.h, in either language.
  for (NodeType t : {NodeType::kCity, NodeType::kOccupation}) {
    const bool city = t == NodeType::kCity;
    const std::string fact = field(city ? "city" : "occupation");
    const std::string have = fact.empty() ? "" : Canonical(t, fact);
    std::vector<std::pair<size_t, size_t>> seen;  // a name twice in the tables (销售) is one claim
    for (const TraitPair& p : TraitTable(t))
      for (const char* name : {p.zh, p.en}) {
        const std::string key = ToLowerAscii(name);
        const bool zh = static_cast<unsigned char>(key[0]) >= 0x80;
        for (size_t at = FindWord(low, key); at != std::string::npos; at = FindWord(low, key, at + 1)) {
          if (!city && !OccupationContext(low, at, zh)) continue;
          bool inside = false;
          for (auto [b, e] : seen) inside = inside || (at < e && at + key.size() > b);
          if (inside) continue;
          seen.emplace_back(at, at + key.size());
          const std::string said = s.substr(at, key.size());
          claim(at, key.size(), !have.empty() && have == p.zh,
                have.empty() ? fmt::format("'{}': the facts give no {}", said, city ? "city" : "occupation")
                             : fmt::format("'{}': the customer's {} is {}", said, city ? "city" : "occupation", fact));
        }
      }
  }
  // Price level.
  for (const auto& [words, l] : {std::pair{std::span<const char* const>(kLevelHigh), "high"},
                                 std::pair{std::span<const char* const>(kLevelMid), "mid"},
                                 std::pair{std::span<const char* const>(kLevelLow), "low"}}) {
    size_t len = 0;
    const size_t at = first(words, &len);
    if (at == std::string::npos) continue;
    const bool neg = Negated(low, at);
    claim(at, len, !level.empty() && (level == l) != neg,
          level.empty() ? fmt::format("'{}': the facts give no price level", s.substr(at, len))
                        : fmt::format("'{}{}': the price level is {}", neg ? "not " : "", s.substr(at, len), level));
  }
  // RFM segment, where the text names it as one: "'champions' RFM segment", RFM 分群为“冠军客户”.
  // Its name is then blanked, so that "at risk" or 流失风险客户 is not read as a lifecycle.
  const std::string seg = field("segment");
  std::string seg_en = seg;
  for (const auto& [en, zh] : RfmSegments())
    if (seg == zh) seg_en = en;
  for (const auto& [en, zh] : RfmSegments())
    for (const std::string& name : {std::string(zh), "'" + std::string(en) + "'", "\"" + std::string(en) + "\"",
                                    "‘" + std::string(en) + "’", "“" + std::string(en) + "”", std::string(en) + " segment",
                                    std::string(en) + " rfm segment"})
      for (size_t at = low.find(name); at != std::string::npos; at = low.find(name, at + 1)) {
        const bool zh_name = name == zh;
        if (zh_name) {  // in quotes, or after 分群为 / 属于
          bool ctx = false;
          for (std::string_view w : {"“", "「", "分群为", "分群是", "属于", "分群："}) ctx = ctx || EndsAtText(low, at, w);
          if (!ctx) continue;
        }
        claim(at, name.size(), !seg_en.empty() && seg_en == en,
              seg.empty() ? fmt::format("segment '{}': the facts give no RFM segment", en)
                          : fmt::format("segment '{}': the customer's RFM segment is '{}'", en, seg));
        for (size_t i = at; i < at + name.size(); ++i) low[i] = ' ';
      }
  // Lifecycle: new, active, dormant, churned, returning; "lost" also the RFM segment.
  const std::string life = field("lifecycle");
  const auto one_of = [](const std::string& v, std::initializer_list<const char*> xs) {
    for (const char* x : xs)
      if (v == x) return true;
    return false;
  };
  struct Stage {
    std::span<const char* const> words;
    bool holds;
    const char* what;
  };
  const Stage stages[] = {
      {kChurned, life == "churned" || seg_en == "lost", "churned"},
      {kDormant, one_of(life, {"dormant", "churned"}) || one_of(seg_en, {"hibernating", "lost"}), "dormant"},
      {kActive, one_of(life, {"active", "new", "returning"}), "active"},
      {kNew, life == "new" || seg_en == "new customers", "new"},
      {kReturning, life == "returning", "returning"},
  };
  for (const Stage& st : stages) {
    size_t len = 0;
    size_t at = first(st.words, &len);
    // 流失风险 is a risk of churning, not churn.
    while (at != std::string::npos && StartsAtText(low, at + len, "风险")) at = FindWord(low, low.substr(at, len), at + 1);
    if (at == std::string::npos) continue;
    const std::string phrase = low.substr(at, len);
    const bool self_negated = phrase.find("not") != std::string::npos || phrase.find("n't") != std::string::npos ||
                              phrase.find("inactive") != std::string::npos || phrase.find("no longer") != std::string::npos;
    const bool neg = !self_negated && Negated(low, at);
    claim(at, len, !life.empty() && st.holds != neg,
          life.empty() ? fmt::format("'{}': the facts give no lifecycle stage", s.substr(at, len))
                       : fmt::format("'{}{}': the customer is {}{}", neg ? "not " : "", s.substr(at, len), life,
                                     seg.empty() ? "" : fmt::format(", RFM segment '{}'", seg)));
  }
  // Purchases: "has never bought anything", "30 purchases", 购买了30次.
  const auto purchases = ParseInt(field("purchases"));
  size_t len = 0;
  if (size_t at = first(kNoPurchase, &len); at != std::string::npos)
    claim(at, len, purchases && *purchases == 0,
          purchases ? fmt::format("'{}': the customer made {} purchases", s.substr(at, len), *purchases)
                    : fmt::format("'{}': the facts give no purchase count", s.substr(at, len)));
  for (size_t i = 0; i < low.size(); ++i) {
    if (!IsDigitAt(low, i) || (i > 0 && (IsDigitAt(low, i - 1) || low[i - 1] == '.'))) continue;
    size_t j = i;
    while (IsDigitAt(low, j)) ++j;
    const int64_t n = std::stoll(low.substr(i, std::min<size_t>(j - i, 12)));
    size_t b = i, e = j;
    bool count = false;
    for (std::string_view w : {" purchases", " orders", "次购买", "笔订单", "个订单", "单购买"})
      if (StartsAtText(low, j, w)) count = true, e = j + w.size();
    for (std::string_view w : {"购买了", "购买过", "买过", "下单", "下过"})
      if (EndsAtText(low, i, w) && StartsAtText(low, j, "次")) count = true, b = i - w.size(), e = j + 3;
    if (!count) continue;
    const std::string before = low.substr(0, b);
    bool more = false;
    for (std::string_view w : {"over ", "more than ", "at least ", "超过", "逾", "至少"}) more = more || before.ends_with(w);
    claim(b, e - b, purchases && (more ? *purchases >= n : *purchases == n),
          purchases ? fmt::format("'{}': the customer made {} purchases", s.substr(b, e - b), *purchases)
                    : fmt::format("'{}': the facts give no purchase count", s.substr(b, e - b)));
    i = j;
  }
}

}  // namespace

std::vector<TraitClaim> FindTraitClaims(std::string_view sentence, const FactSheet& facts, bool named_subject) {
  std::vector<TraitClaim> out;
  const std::string s(Trim(sentence));
  const std::string low = ToLowerAscii(s);
  const double sens = PriceField(facts, "sensitivity");
  for (const char* w : kPriceSensitive) {
    const size_t at = FindWord(low, w);
    if (at == std::string::npos) continue;
    TraitClaim c;
    c.surface = s.substr(at, std::string_view(w).size());
    const bool neg = Negated(low, at) || std::string_view(w).find("不") != std::string_view::npos;
    c.supported = !std::isnan(sens) && (neg ? sens <= 0.5 : sens >= 0.5);
    if (!c.supported)
      c.why = std::isnan(sens) ? fmt::format("'{}': the facts give no price sensitivity", c.surface)
                               : fmt::format("'{}{}': price sensitivity is {:.2f}", neg ? "not " : "", c.surface, sens);
    out.push_back(std::move(c));
    break;  // one price-sensitivity claim per sentence
  }
  const auto unsupported = [&](std::span<const char* const> words, const char* what, TraitClaim::Kind kind) {
    for (const char* w : words) {
      const size_t at = FindWord(low, w);
      if (at == std::string::npos) continue;
      TraitClaim c;
      c.kind = kind;
      c.surface = s.substr(at, std::string_view(w).size());
      c.why = fmt::format("{} '{}' is not among the facts given", what, c.surface);
      out.push_back(std::move(c));
    }
  };
  unsupported(kPersona, "trait", TraitClaim::kTrait);
  unsupported(kFrequency, "shopping frequency", TraitClaim::kTrait);
  unsupported(kOffers, "offer", TraitClaim::kOffer);
  unsupported(kDeadlines, "deadline", TraitClaim::kOffer);
  AddUserClaims(s, low, facts, out);
  // "Mateo is …": a capitalised first word followed by a verb, not a pronoun or the alias.
  if (!named_subject && !s.empty() && std::isupper(static_cast<unsigned char>(s[0]))) {
    size_t n = 1;
    while (n < s.size() && std::islower(static_cast<unsigned char>(s[n]))) ++n;
    const std::string first = ToLowerAscii(s.substr(0, n));
    const bool word_ends = n < s.size() && s[n] == ' ';
    const bool pronoun = std::find(std::begin(kNotPeople), std::end(kNotPeople), first) != std::end(kNotPeople);
    if (word_ends && n > 1 && !pronoun) {
      const size_t vend = s.find(' ', n + 1);
      const std::string verb = ToLowerAscii(s.substr(n + 1, vend == std::string::npos ? std::string::npos : vend - n - 1));
      if (std::find(std::begin(kPersonVerbs), std::end(kPersonVerbs), verb) != std::end(kPersonVerbs)) {
        TraitClaim c;
        c.kind = TraitClaim::kPerson;
        c.surface = s.substr(0, n);
        c.why = fmt::format("'{}' is not the user of the facts ({})", c.surface, facts.alias);
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

}  // namespace kgp::llm
