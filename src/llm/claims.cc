#include "llm/claims.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "common/strings.h"
#include "llm/currency.h"
#include "llm/traits.h"
#include "text/normalize.h"

namespace kgp::llm {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool StartsAt(std::string_view s, size_t at, std::string_view w) { return s.substr(at, w.size()) == w; }
bool EndsAt(std::string_view s, size_t end, std::string_view w) {
  return end >= w.size() && s.substr(end - w.size(), w.size()) == w;
}
bool StartsAtNoCase(std::string_view s, size_t at, std::string_view w) {
  return at + w.size() <= s.size() && ToLowerAscii(s.substr(at, w.size())) == w;
}

// Chinese digit (一 … 九, 十) → value, or -1; reads the 3-byte character at s[at].
int ChineseDigit(std::string_view s, size_t at) {
  static const char* kDigits[] = {"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"};
  for (int d = 0; d < 10; ++d)
    if (StartsAt(s, at, kDigits[d])) return d;
  return -1;
}

bool DiscountContext(std::string_view sentence) {
  const std::string lower = ToLowerAscii(sentence);
  for (std::string_view w : {"discount", "coupon", " off", "save", "voucher", "优惠", "折扣", "券", "立减", "减"})
    if (lower.find(w) != std::string::npos) return true;
  return false;
}

// A stated price is the true one rounded to the decimals it is written with: ¥9,944 and
// ¥9,944.00 for 9944, ¥47 for 47.40, ¥47.4 for 47.40; not ¥10,040 for 9944.
bool Close(const Amount& stated, double truth) {
  return std::fabs(stated.value - truth) <= 0.5 * std::pow(10.0, -stated.decimals) + 1e-9;
}

// 块 is money ("30块", "30块钱", "5块5", "只要99块就能拿下", "50块包邮") or a measure word ("买了3块
// 巧克力", three pieces): read as a measure word only for a small whole number followed by a
// Chinese letter that does not go with money. A price missed is a wrong price passed, so money
// is the default.
bool MeasureWordKuai(std::string_view s, size_t after, double value) {
  if (value > 20 || value != std::floor(value) || after >= s.size() || ChineseDigit(s, after) > 0) return false;  // 九块九
  const auto lead = static_cast<unsigned char>(s[after]);
  if (lead < 0xE4 || lead > 0xE9) return false;  // not in U+4E00..U+9FFF: punctuation, digits, Latin
  for (std::string_view money : {"钱", "的", "左", "多", "一", "就", "才", "都", "也", "还", "以", "包", "到",
                                 "起", "买", "入", "内", "上", "下", "了", "不", "没", "能", "可", "而", "呢",
                                 "吧", "啊", "哦", "吗", "够", "拿", "搞", "打", "封"})
    if (s.substr(after, money.size()) == money) return false;
  return true;
}

// Full-width digits and signs as ASCII (２０９ → 209, ３０％ → 30%, ￥ → ¥, ９．５ → 9.5; NFKC,
// text::AppendFolded), with from[i] the byte of s that byte i came from. Invalid UTF-8 (a
// local model's text cut inside a character) is read as written.
std::string FoldWidth(std::string_view s, std::vector<uint32_t>* from = nullptr) {
  std::string out;
  if (!IsValidUtf8(s)) {
    if (from)
      for (size_t i = 0; i < s.size(); ++i) from->push_back(static_cast<uint32_t>(i));
    return std::string(s);
  }
  text::AppendFolded(s, /*lower_ascii=*/false, &out, from);
  return out;
}

// A number in Chinese numerals at s[at]: 二百零九 = 209, 三千五百 = 3500, 十五 = 15, 两万 = 20000,
// 二百五 = 250; (value, bytes read), bytes 0 when there is none.
std::pair<double, size_t> ChineseNumber(std::string_view s, size_t at) {
  double total = 0, section = 0;
  int digit = -1;           // a digit not yet multiplied by a unit
  double last_unit = 0;     // of the section's last unit (二百五: the 五 is 50)
  bool zero = false;        // a 零 since that unit (二百零五: the 五 is 5)
  size_t j = at;
  while (j < s.size()) {
    int d = ChineseDigit(s, j);
    if (d < 0 && (StartsAt(s, j, "两") || StartsAt(s, j, "〇"))) d = StartsAt(s, j, "两") ? 2 : 0;
    if (d >= 0) {
      if (digit > 0) break;  // two digits in a row (二四): no amount in words
      if (d == 0) zero = true;
      digit = d;
      j += 3;
      continue;
    }
    double unit = StartsAt(s, j, "十") ? 10 : StartsAt(s, j, "百") ? 100 : StartsAt(s, j, "千") ? 1000 : 0;
    if (unit > 0) {
      section += (digit < 0 ? 1 : digit) * unit;
      digit = -1, last_unit = unit, zero = false;
      j += 3;
      continue;
    }
    if (StartsAt(s, j, "万") && j > at) {
      section += std::max(digit, 0);
      total += (section > 0 ? section : 1) * 10000;
      section = 0, digit = -1, last_unit = 10000, zero = false;
      j += 3;
      continue;
    }
    break;
  }
  if (j == at || (digit == 0 && section == 0 && total == 0)) return {0, 0};
  if (digit > 0) section += last_unit >= 100 && !zero ? digit * last_unit / 10 : digit;
  return {total + section, j - at};
}

// The currency mark written right after an amount at s[a], the longest that fits, or "": codes in
// any case (59 USD, 59 usd), words as written ("2024 Euro Cup" is no price), 块 not as a
// measure word.
std::string_view MarkAfter(std::string_view s, size_t a, double value) {
  std::string_view mark;
  for (const Currency& c : Currencies())
    for (std::string_view cur : c.after) {
      const bool word = std::isalpha(static_cast<unsigned char>(cur[0]));
      const bool at = word && cur.size() > 3 ? StartsAt(s, a, cur) : StartsAtNoCase(s, a, cur);
      if (cur.size() > mark.size() && at &&
          !(word && a + cur.size() < s.size() && std::isalpha(static_cast<unsigned char>(s[a + cur.size()]))) &&
          !(cur == "块" && MeasureWordKuai(s, a + cur.size(), value)))
        mark = s.substr(a, cur.size());  // as written: "USD", not "usd"
    }
  return mark;
}

// "5块5", 九块九: one digit after 块 is tenths; its value (0 when none) and bytes.
std::pair<double, size_t> KuaiTenths(std::string_view s, size_t at) {
  if (at < s.size() && IsDigit(s[at]) && (at + 1 >= s.size() || !IsDigit(s[at + 1]))) return {(s[at] - '0') / 10.0, 1};
  if (const int d = ChineseDigit(s, at); d > 0 && ChineseNumber(s, at).second == 3) return {d / 10.0, 3};
  return {0, 0};
}

// Letters right before a digit: part of a name or code ("iPhone15", "A4") unless they are a
// currency mark written without a space ("RMB209", "USD59").
bool AfterLetters(std::string_view s, size_t i) {
  if (i == 0 || !std::isalpha(static_cast<unsigned char>(s[i - 1]))) return false;
  size_t k = i;
  while (k > 0 && std::isalpha(static_cast<unsigned char>(s[k - 1]))) --k;
  for (const Currency& c : Currencies())
    for (std::string_view cur : c.before)
      if (s.substr(k, i - k) == cur) return false;
  return true;
}

// "%" or "percent" / "per cent" after a number at s[at], one space allowed before it: the end
// of the sign, or 0 when there is none.
size_t PercentEnd(std::string_view s, size_t at) {
  if (at < s.size() && s[at] == ' ') ++at;
  if (StartsAt(s, at, "%")) return at + 1;
  for (std::string_view w : {"percent", "per cent"})
    if (StartsAtNoCase(s, at, w) && (at + w.size() >= s.size() || !std::isalpha(static_cast<unsigned char>(s[at + w.size()]))))
      return at + w.size();
  return 0;
}

}  // namespace

const char* ClaimKindName(ClaimKind k) {
  switch (k) {
    case ClaimKind::kProduct: return "product";
    case ClaimKind::kBrand: return "brand";
    case ClaimKind::kCategory: return "category";
    case ClaimKind::kPrice: return "price";
    case ClaimKind::kDiscount: return "discount";
    case ClaimKind::kTrait: return "trait";
    case ClaimKind::kPerson: return "person";
    case ClaimKind::kShare: return "share";
    case ClaimKind::kOffer: return "offer";
  }
  return "?";
}

std::vector<std::string> SplitSentences(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  const auto flush = [&] {
    if (!Trim(cur).empty()) out.push_back(cur);
    else if (!out.empty()) out.back() += cur;  // keep whitespace with the sentence before
    cur.clear();
  };
  for (size_t i = 0; i < text.size();) {
    bool end = false;
    size_t len = 1;
    for (std::string_view p : {"。", "！", "？", "；"})
      if (StartsAt(text, i, p)) end = true, len = p.size();
    const char c = text[i];
    if (c == '!' || c == '?' || c == ';' || c == '\n') end = true;
    if (c == '.' && (i + 1 == text.size() || text[i + 1] == ' ' || text[i + 1] == '\n')) end = true;
    cur.append(text.substr(i, len));
    i += len;
    if (end) {
      // Closing quotes and brackets stay with their sentence.
      while (i < text.size()) {
        size_t q = 0;
        for (std::string_view p : {"”", "」", "）", "\"", ")", "'"})
          if (StartsAt(text, i, p)) q = p.size();
        if (!q) break;
        cur.append(text.substr(i, q));
        i += q;
      }
      flush();
    }
  }
  flush();
  return out;
}

namespace {

// FindAmounts on a sentence whose full-width forms are folded (FoldWidth).
std::vector<Amount> FindFoldedAmounts(std::string_view s) {
  std::vector<Amount> out;
  const bool discount_ctx = DiscountContext(s);
  // A percentage from begin to end: a discount when followed by "off" or in a sentence about a
  // discount, else a share.
  const auto percentage = [&](size_t begin, size_t end, double v) {
    size_t k = end;
    while (k < s.size() && s[k] == ' ') ++k;
    if (discount_ctx || StartsAtNoCase(s, k, "off")) out.push_back({begin, end, v / 100, true});
    else out.push_back({begin, end, v / 100, false, true});
  };
  for (size_t i = 0; i < s.size();) {
    // Chinese-numeral discounts: 八折, 八五折, 九五折.
    if (int d1 = ChineseDigit(s, i); d1 > 0) {
      size_t j = i + 3;
      int d2 = ChineseDigit(s, j);
      if (d2 >= 0) j += 3;
      if (StartsAt(s, j, "折") && !StartsAt(s, j + 3, "扣")) {
        const double tenths = d2 >= 0 ? d1 + d2 / 10.0 : d1;
        out.push_back({i, j + 3, 1 - tenths / 10, true});
        i = j + 3;
        continue;
      }
    }
    if (StartsAt(s, i, "半价")) {
      out.push_back({i, i + 6, 0.5, true});
      i += 6;
      continue;
    }
    // Percentages in words: 百分之三十, 百分之30.
    if (StartsAt(s, i, "百分之")) {
      size_t j = i + 9;
      auto [v, n] = ChineseNumber(s, j);
      if (n == 0) {
        std::string num;
        while (j + n < s.size() && (IsDigit(s[j + n]) || (s[j + n] == '.' && !num.empty()))) num.push_back(s[j + n++]);
        v = ParseDouble(num).value_or(NAN);
      }
      if (n > 0 && !std::isnan(v)) {
        percentage(i, j + n, v);
        i = j + n;
        continue;
      }
    }
    // Amounts in Chinese numerals with a currency after them: 二百零九元, 三千五百块, 九块九.
    if (auto [v, n] = ChineseNumber(s, i); n > 0) {
      const std::string_view mark = MarkAfter(s, i + n, v);
      if (!mark.empty() && static_cast<unsigned char>(mark[0]) >= 0x80) {
        size_t end = i + n + mark.size();
        double value = v;
        int decimals = 0;
        if (mark == "块") {
          const auto [tenths, m] = KuaiTenths(s, end);
          value += tenths, end += m, decimals = m > 0;
        }
        out.push_back({i, end, value, false, false, std::string(mark), decimals});
        i = end;
      } else {
        i += n;  // the whole numeral: "百零九元" is not an amount of its own
      }
      continue;
    }
    if (!IsDigit(s[i]) || (i > 0 && (IsDigit(s[i - 1]) || s[i - 1] == '.' || AfterLetters(s, i)))) {
      ++i;
      continue;
    }
    // A number: digits, thousands separators, one decimal part.
    size_t j = i;
    std::string num;
    while (j < s.size()) {
      if (IsDigit(s[j])) {
        num.push_back(s[j++]);
        continue;
      }
      const bool thousands = s[j] == ',' && !num.empty() && j + 3 < s.size() && IsDigit(s[j + 1]) && IsDigit(s[j + 2]) &&
                             IsDigit(s[j + 3]) && (j + 4 >= s.size() || !IsDigit(s[j + 4]));
      if (!thousands) break;
      ++j;
    }
    if (j + 1 < s.size() && s[j] == '.' && IsDigit(s[j + 1])) {
      num.push_back('.');
      ++j;
      while (j < s.size() && IsDigit(s[j])) num.push_back(s[j++]);
    }
    auto v = ParseDouble(num);
    if (!v) { i = j; continue; }
    const size_t point = num.find('.');
    int decimals = point == std::string::npos ? 0 : static_cast<int>(num.size() - point - 1);
    size_t begin = i, end = j;
    // Currency before (skipping one space).
    size_t b = begin;
    if (b > 0 && s[b - 1] == ' ') --b;
    // The longest mark wins ("US$" over "$", "美元" over "元").
    std::string_view mark;
    for (const Currency& c : Currencies())
      for (std::string_view cur : c.before)
        if (cur.size() > mark.size() && EndsAt(s, b, cur)) mark = cur, begin = b - cur.size();
    // Another dollar (HK$, NT$, C$): a mark of its own, which no currency here fits.
    while (mark.size() >= 1 && mark.back() == '$' && begin > 0 && mark.size() < 3 &&
           std::isupper(static_cast<unsigned char>(s[begin - 1])))
      --begin, mark = s.substr(begin, b - begin);
    size_t a = end;
    if (a < s.size() && s[a] == ' ') ++a;
    if (mark.empty()) {
      mark = MarkAfter(s, a, *v);
      if (!mark.empty()) end = a + mark.size();
      if (mark == "块") {
        const auto [tenths, m] = KuaiTenths(s, end);
        *v += tenths, end += m;
        if (m > 0) decimals = std::max(decimals, 1);  // 5块5
      }
    }
    if (!mark.empty()) {
      out.push_back({begin, end, *v, false, false, std::string(mark), decimals});
    } else if (const size_t pe = PercentEnd(s, end); pe > 0) {
      percentage(begin, pe, *v);
    } else if (StartsAt(s, end, "折") && !StartsAt(s, end + 3, "扣")) {
      // 8折 = 20% off, 8.5折 and 85折 = 15% off.
      const double tenths = *v >= 10 ? *v / 10 : *v;
      if (tenths > 0 && tenths < 10) out.push_back({begin, end + 3, 1 - tenths / 10, true});
    }
    i = j;
  }
  return out;
}

}  // namespace

std::vector<Amount> FindAmounts(std::string_view sentence) {
  std::vector<uint32_t> from;
  const std::string s = FoldWidth(sentence, &from);
  std::vector<Amount> out = FindFoldedAmounts(s);
  // Back to the sentence as written: an amount ends where the character of its last byte ends.
  for (Amount& a : out) {
    size_t e = a.end;
    while (e < s.size() && from[e] == from[a.end - 1]) ++e;
    a.begin = from[a.begin];
    a.end = e < s.size() ? from[e] : sentence.size();
  }
  return out;
}

CheckResult ClaimChecker::Check(std::string_view text, const FactSheet& facts) const {
  CheckResult r;
  r.sentences = SplitSentences(text);
  r.kept.assign(r.sentences.size(), true);
  const Graph& g = lx_.graph();
  std::vector<double> coupon_prices;  // figures not tied to one product (thresholds, amounts off)
  // Shares a text may state: a category's or brand's weight (0.42 = "42% of their activity"),
  // by its Chinese name; percentages the facts' own sentences state (path facts).
  std::vector<std::pair<std::string, double>> weights;
  std::vector<double> stated_shares;
  for (const Fact& f : facts.facts) {
    if (f.kind == "coupon")
      for (const char* key : {"min_spend", "amount_off"})
        if (auto p = ParseDouble(f.Get(key))) coupon_prices.push_back(*p);
    if (f.kind == "category" || f.kind == "brand")
      if (auto w = ParseDouble(f.Get("weight"))) weights.emplace_back(f.Get("zh"), *w);
    if (f.kind == "path")
      for (const char* key : {"en", "zh"})
        for (const Amount& a : FindAmounts(f.Get(key)))
          if (a.share) stated_shares.push_back(a.value);
  }
  const auto share_close = [](double a, double b) { return std::fabs(a - b) < 0.0051; };
  for (size_t si = 0; si < r.sentences.size(); ++si) {
    const std::string& s = r.sentences[si];
    const auto mentions = lx_.Scan(s);
    std::vector<std::vector<NodeId>> products;  // per product mention, the nodes the facts allow (homonym titles)
    for (const Mention& m : mentions) {
      Claim c;
      c.kind = m.type == NodeType::kProduct ? ClaimKind::kProduct
               : m.type == NodeType::kBrand ? ClaimKind::kBrand
                                            : ClaimKind::kCategory;
      c.surface = s.substr(m.begin, m.end - m.begin);
      c.sentence = si;
      c.nodes = m.nodes;
      for (NodeId n : m.nodes)
        if (facts.Allows(n)) c.supported = true;
      if (!c.supported) c.why = fmt::format("{} '{}' is not among the facts given", ClaimKindName(c.kind), c.surface);
      if (c.kind == ClaimKind::kProduct && c.supported) {
        products.emplace_back();
        for (NodeId n : m.nodes)
          if (facts.Allows(n)) products.back().push_back(n);
      }
      r.claims.push_back(std::move(c));
    }
    for (const Amount& a : FindAmounts(s)) {
      // Digits inside a named product ("5L 电饭煲") are part of the name.
      bool inside = false;
      for (const Mention& m : mentions) inside = inside || (a.begin >= m.begin && a.end <= m.end);
      if (inside) continue;
      Claim c;
      c.kind = a.share ? ClaimKind::kShare : a.discount ? ClaimKind::kDiscount : ClaimKind::kPrice;
      c.surface = s.substr(a.begin, a.end - a.begin);
      c.sentence = si;
      c.value = a.value;
      if (a.share) {
        // The weight of a category or brand the sentence names, else of any, or a share the
        // facts' sentences state.
        std::vector<std::pair<std::string, double>> named;
        for (const Mention& m : mentions)
          for (const auto& [zh, w] : weights)
            if (m.type != NodeType::kProduct && zh == lx_.Name(m.nodes[0], "zh")) named.emplace_back(zh, w);
        for (const auto& [zh, w] : named.empty() ? weights : named) c.supported = c.supported || share_close(a.value, w);
        for (double x : stated_shares) c.supported = c.supported || share_close(a.value, x);
        if (!c.supported)
          c.why = named.empty() ? fmt::format("share {:.0f}% is not among the facts given", 100 * a.value)
                                : fmt::format("share of '{}' is {:.0f}%", named[0].first, 100 * named[0].second);
      } else if (const Currency* cur = FindCurrency(facts.currency); !a.discount && cur && !MarkFits(*cur, a.mark)) {
        c.why = fmt::format("the shop's prices are in {} ({}), not '{}'", cur->code, cur->en, a.mark);
      } else if (a.discount) {
        for (double d : facts.discounts) c.supported = c.supported || std::fabs(d - a.value) < 0.005;
        if (!c.supported) c.why = fmt::format("discount {:.0f}% off is not offered by the facts", 100 * a.value);
      } else if (products.size() == 1 && !std::isnan(lx_.Price(products[0][0]))) {
        std::string paid;  // what the user paid for it, when the facts say
        for (NodeId n : products[0]) c.supported = c.supported || Close(a, lx_.Price(n));
        for (const auto& [n, q] : facts.paid)
          if (std::find(products[0].begin(), products[0].end(), n) != products[0].end()) {
            c.supported = c.supported || Close(a, q);
            paid = fmt::format(", paid {}", FormatPrice(q));
          }
        for (double q : coupon_prices) c.supported = c.supported || Close(a, q);
        if (!c.supported)
          c.why = fmt::format("price of '{}' is {}{}", lx_.Name(products[0][0], "zh"), FormatPrice(lx_.Price(products[0][0])), paid);
      } else {
        for (double p : facts.prices) c.supported = c.supported || Close(a, p);
        if (!c.supported) c.why = fmt::format("price {} is not among the facts given", FormatPrice(a.value));
      }
      r.claims.push_back(std::move(c));
    }
    size_t lead = s.find_first_not_of(" \t\r\n");
    if (lead == std::string::npos) lead = s.size();
    bool named_subject = false;
    for (const Mention& m : mentions) named_subject = named_subject || m.begin <= lead;
    // Trait words inside a name the gazetteer found ("Women's Running Shoes", 青岛啤酒) are part
    // of the name: blanked before the person and offer checks.
    std::string plain = s;
    for (const Mention& m : mentions)
      std::fill(plain.begin() + static_cast<long>(m.begin), plain.begin() + static_cast<long>(m.end), ' ');
    // Full-width digits read as ASCII ones (购买了１２次).
    for (TraitClaim& t : FindTraitClaims(FoldWidth(plain), facts, named_subject)) {
      Claim c;
      c.kind = t.kind == TraitClaim::kPerson  ? ClaimKind::kPerson
               : t.kind == TraitClaim::kOffer ? ClaimKind::kOffer
                                              : ClaimKind::kTrait;
      c.surface = std::move(t.surface);
      c.sentence = si;
      c.supported = t.supported;
      c.why = std::move(t.why);
      r.claims.push_back(std::move(c));
    }
  }
  for (const Claim& c : r.claims) {
    if (c.supported) ++r.supported;
    else r.kept[c.sentence] = false;
  }
  r.faithfulness = r.claims.empty() ? 1.0 : static_cast<double>(r.supported) / static_cast<double>(r.claims.size());
  for (size_t i = 0; i < r.sentences.size(); ++i) {
    if (r.kept[i]) r.text += r.sentences[i];
    else r.removed.push_back(std::string(Trim(r.sentences[i])));
  }
  r.text = std::string(Trim(r.text));
  (void)g;
  return r;
}

nlohmann::json CheckResult::ToJson(const Graph& g) const {
  nlohmann::json cl = nlohmann::json::array();
  for (const Claim& c : claims) {
    nlohmann::json j = {{"kind", ClaimKindName(c.kind)}, {"surface", c.surface}, {"supported", c.supported}};
    if (!c.nodes.empty()) j["node"] = g.Spec(c.nodes[0]);
    if (!std::isnan(c.value)) j["value"] = c.value;
    if (!c.supported) j["why"] = c.why;
    cl.push_back(std::move(j));
  }
  return {{"faithfulness", faithfulness}, {"claims", claims.size()}, {"supported", supported},
          {"removed", removed}, {"checked", cl}};
}

}  // namespace kgp::llm
