#include "text/opinion.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "common/strings.h"
#include "text/normalize.h"

namespace kgp::text {
namespace {

const char* const kPositive[] = {
    "好", "很好", "不错", "满意", "喜欢", "漂亮", "好看", "舒服", "舒适", "合身", "推荐", "值得", "好吃", "划算", "实惠",
    "清晰", "流畅", "快", "给力", "完美", "精致", "质感", "耐用", "够用", "好评", "回购", "惊喜", "柔软", "正品", "结实",
    "方便", "好用", "赞", "棒", "优秀", "安静", "持久", "新鲜", "香", "省心", "物超所值", "性价比高", "五星",
    "good", "great", "excellent", "love", "loved", "loves", "perfect", "amazing", "nice", "awesome", "fantastic",
    "comfortable", "delicious", "premium", "plenty", "recommend", "happy", "best", "fast", "quick", "easy", "beautiful",
    "wonderful", "solid", "sturdy", "fresh", "reliable", "worth", "favorite", "favourite", "impressed", "pleased",
    "fits perfectly", "works well", "smooth", "soft", "quiet", "bright", "lovely", "gorgeous", "superb", "decent", "fine",
    "满分", "喜爱", "耐看", "清爽", "好闻", "细致", "精美", "顺滑", "舒心", "周到", "热情", "干净", "卫生", "好喝", "便宜",
    "well", "like", "liked", "enjoy", "enjoyed", "friendly", "attentive", "tasty", "helpful", "cool", "incredible",
    "outstanding", "affordable", "reasonable", "lightweight", "portable", "powerful", "responsive", "crisp", "sharp",
    "clear", "cozy", "romantic", "generous", "authentic", "yummy", "professional", "efficient", "convenient",
    "intuitive", "stylish", "sleek", "elegant", "durable", "pleasant", "prompt", "superior", "unbeatable", "terrific",
    "brilliant", "exceptional", "heavenly", "flavorful", "fabulous", "satisfied", "satisfying", "glad", "fun"};
const char* const kNegative[] = {
    "差", "很差", "失望", "退货", "难用", "偏小", "偏大", "廉价", "腻", "显旧", "慢", "卡", "坏", "破", "假", "异味",
    "不值", "垃圾", "差评", "糟糕", "后悔", "麻烦", "粗糙", "掉色", "起球", "贵", "吵", "噪音", "发热", "漏", "不够用",
    "难吃", "过期", "褪色", "变形", "断", "不满意", "不推荐", "坑", "一般",
    "bad", "poor", "terrible", "awful", "horrible", "cheap", "broke", "broken", "disappointed", "disappointing", "slow",
    "worst", "waste", "hate", "hated", "useless", "junk", "flimsy", "noisy", "loud", "returned", "return", "refund",
    "runs small", "too sweet", "fills up", "gets dirty", "overpriced", "expensive", "problem", "problems", "issue",
    "issues", "defective", "died", "stopped working", "uncomfortable", "sticky", "greasy", "smells", "weak", "fake",
    "mediocre", "lacking", "crashes", "dead", "hot", "heavy", "dim", "bland", "rude", "dirty", "fails",
    "差劲", "难看", "难闻", "脏", "吵闹", "破损", "敷衍", "态度差", "不好用", "不值得", "瑕疵", "缩水", "刺鼻", "卡顿", "死机",
    "cold", "soggy", "stale", "tiny", "annoying", "frustrating", "unreliable", "faulty", "crappy", "lousy", "worse",
    "inferior", "difficult", "complicated", "cramped", "crowded", "burnt", "salty", "overcooked", "undercooked",
    "limited", "lacks", "lack", "freezes", "crash", "crashed", "glitch", "bugs", "hassle", "sucks", "sucked", "fail",
    "failed", "failure", "unfortunately", "awkward", "ugly", "inattentive", "unfriendly", "overheats", "overheating"};
const char* const kNegation[] = {"不", "没", "没有", "别", "无", "未", "不是", "不太", "并不",
                                 "not", "no", "never", "n't", "don't", "doesn't", "didn't", "isn't", "wasn't",
                                 "aren't", "won't", "cannot", "can't", "hardly", "nothing"};
// Degree words and their multipliers.
const std::pair<const char*, double> kDegree[] = {
    {"很", 1.5}, {"非常", 2}, {"特别", 2}, {"超", 1.8}, {"太", 1.8}, {"超级", 2}, {"十分", 1.8}, {"极其", 2},
    {"挺", 1.3}, {"比较", 1.1}, {"有点", 0.6}, {"有些", 0.6}, {"稍微", 0.5}, {"略", 0.5}, {"完全", 1.5},
    {"very", 1.5}, {"really", 1.5}, {"so", 1.4}, {"extremely", 2}, {"super", 1.8}, {"too", 1.5}, {"quite", 1.2},
    {"pretty", 1.2}, {"absolutely", 2}, {"totally", 1.6}, {"incredibly", 2}, {"slightly", 0.5}, {"somewhat", 0.6},
    {"a bit", 0.6}, {"a little", 0.6}, {"kind of", 0.6}, {"fairly", 1.1}, {"highly", 1.6}};

bool IsClauseBreak(char32_t cp) {
  switch (cp) {
    case ',': case '.': case '!': case '?': case ';': case ':': case '\n':
    case 0xFF0C: case 0x3002: case 0xFF01: case 0xFF1F: case 0xFF1B: case 0x3001: case 0xFF1A: case 0x2026:
      return true;
    default:
      return false;
  }
}

}  // namespace

OpinionLexicon::OpinionLexicon() : words_(1) {
  for (const char* w : kPositive) words_.Add({w, "pos", "", {}, 1});
  for (const char* w : kNegative) words_.Add({w, "neg", "", {}, 1});
  for (const char* w : kNegation) words_.Add({w, "not", "", {}, 1});
  for (auto [w, d] : kDegree) words_.Add({w, "deg", std::to_string(d), {}, 1});
  words_.Build();
}

namespace {

// A single Han character: the gazetteer has no word boundaries for Chinese.
bool OneHanChar(std::string_view text, const GazetteerMatch& m) {
  size_t i = m.begin;
  return ScriptOf(DecodeUtf8(text, i)) == Script::kHan && i == m.end;
}

// Whether the single-character match all[i] is a word of its own rather than the start or the
// middle of a longer one: what follows it in the ICU word that holds it is nothing or lexicon
// words or sentence particles ("不好", "好卡", "贵了", "慢啊"; in 不锈钢, 无线, 快递, 好像 the
// character is no opinion). A character that ends its ICU word ("都不" of 一点都不卡) still modifies
// what follows. words: ICU words, in order.
bool StandsAlone(std::string_view text, const std::vector<GazetteerMatch>& all, size_t i, const std::vector<Token>& words,
                 bool polarity) {
  auto w = std::upper_bound(words.begin(), words.end(), all[i].begin, [](uint32_t at, const Token& t) { return at < t.begin; });
  if (w == words.begin()) return true;
  --w;
  // An opinion character after other characters of its word is the end of a noun (信用卡, 出差):
  // only lexicon words may come before it there (好卡, 很差).
  if (polarity) {
    // Matches are in order of their start: those inside the word before this one.
    const auto from = std::lower_bound(all.begin(), all.begin() + static_cast<ptrdiff_t>(i), w->begin,
                                       [](const GazetteerMatch& m, uint32_t at) { return m.begin < at; });
    for (uint32_t at = all[i].begin; at > w->begin;) {
      auto m = std::find_if(from, all.begin() + static_cast<ptrdiff_t>(i),
                            [&](const GazetteerMatch& x) { return x.end == at && x.begin < at; });
      if (m == all.begin() + static_cast<ptrdiff_t>(i)) return false;
      at = m->begin;
    }
  }
  size_t j = i;
  for (uint32_t at = all[i].end; at < w->end;) {
    if (j + 1 < all.size() && all[j + 1].begin == at) {
      at = all[++j].end;
      continue;
    }
    size_t particle = 0;
    for (std::string_view p : {"了", "啦", "呀", "啊", "呢", "吧", "哦", "嘛", "喔"})
      if (text.substr(at, p.size()) == p) particle = p.size();
    if (!particle) return false;
    at += static_cast<uint32_t>(particle);
  }
  return true;
}

}  // namespace

TextOpinions OpinionLexicon::Read(std::string_view text, std::vector<std::pair<uint32_t, uint32_t>> names) const {
  TextOpinions out;
  for (size_t i = 0; i < text.size();) {
    const size_t b = i;
    if (IsClauseBreak(DecodeUtf8(text, i))) {
      out.breaks_.push_back(static_cast<uint32_t>(b));
      out.break_ends_.push_back(static_cast<uint32_t>(i));
    }
  }
  const std::vector<GazetteerMatch> all = words_.Match(text);
  // Names sorted by start, with the furthest end so far: does [b, e) overlap any of them?
  std::sort(names.begin(), names.end());
  for (size_t i = 1; i < names.size(); ++i) names[i].second = std::max(names[i].second, names[i - 1].second);
  auto in_name = [&](uint32_t b, uint32_t e) {
    auto it = std::lower_bound(names.begin(), names.end(), e, [](const auto& n, uint32_t at) { return n.first < at; });
    return it != names.begin() && std::prev(it)->second > b;
  };
  std::vector<Token> words;  // ICU words, only when a single Han character matched
  std::vector<GazetteerMatch> matches;
  for (size_t i = 0; i < all.size(); ++i) {
    if (in_name(all[i].begin, all[i].end)) continue;
    if (OneHanChar(text, all[i])) {
      if (words.empty()) words = WordBreaks(text);
      const std::string& type = words_.entries()[all[i].entry].type;
      if (!StandsAlone(text, all, i, words, type == "pos" || type == "neg")) continue;
    }
    matches.push_back(all[i]);
  }
  // 好 right before another opinion word is "so", not "good": 这手机好卡 (so laggy), 好贵, 好好吃.
  // Not before a negation: 好不好用 is a question (its 不好用 matches as one word).
  auto type_of = [&](size_t i) -> const std::string& { return words_.entries()[matches[i].entry].type; };
  std::vector<uint8_t> so(matches.size(), 0);
  for (size_t i = 0; i + 1 < matches.size(); ++i)
    so[i] = text.substr(matches[i].begin, matches[i].end - matches[i].begin) == "好" &&
            matches[i + 1].begin == matches[i].end && (type_of(i + 1) == "pos" || type_of(i + 1) == "neg") &&
            text.substr(matches[i].end, 3) != "不" && text.substr(matches[i].end, 3) != "没";
  // Each polarity word with the degree/negation words right before it in its clause: up to two
  // matches, each at most 12 bytes from the next.
  auto clause_mark_between = [&](uint32_t b, uint32_t e) {
    auto it = std::lower_bound(out.breaks_.begin(), out.breaks_.end(), b);
    return it != out.breaks_.end() && *it < e;
  };
  for (size_t i = 0; i < matches.size(); ++i) {
    const auto& e = words_.entries()[matches[i].entry];
    if ((e.type != "pos" && e.type != "neg") || so[i]) continue;
    double v = e.type == "pos" ? 1 : -1;
    uint32_t next_begin = matches[i].begin;
    for (size_t k = i; k-- > 0 && i - k <= 2;) {
      if (next_begin - matches[k].end > 12 || clause_mark_between(matches[k].end, next_begin)) break;
      const auto& m = words_.entries()[matches[k].entry];
      // 无, 没, 未, 别 negate the word right after them only (无糖可乐很好喝: sugar-free, and good).
      if (m.type == "not" && matches[k].end != next_begin && OneHanChar(text, matches[k]) &&
          text.substr(matches[k].begin, matches[k].end - matches[k].begin) != "不")
        break;
      if (m.type == "not") v = -v;
      else if (m.type == "deg") v *= *ParseDouble(m.key);
      else if (so[k]) v *= 1.5;  // as 很
      else break;
      next_begin = matches[k].begin;
    }
    out.ops_.push_back({v, matches[i].begin, matches[i].end});
  }
  return out;
}

std::optional<double> TextOpinions::AspectSentiment(uint32_t begin, uint32_t end) const {
  // The clause around the aspect: from the end of the last mark before it to the first mark at
  // or after its end (a mark inside the aspect does not split it).
  auto before = std::lower_bound(breaks_.begin(), breaks_.end(), begin);
  const uint32_t lo = before == breaks_.begin() ? 0 : break_ends_[static_cast<size_t>(before - breaks_.begin()) - 1];
  auto after = std::lower_bound(breaks_.begin(), breaks_.end(), end);
  const uint32_t hi = after == breaks_.end() ? std::numeric_limits<uint32_t>::max() : *after;
  auto first = std::lower_bound(ops_.begin(), ops_.end(), lo, [](const Scored& o, uint32_t at) { return o.begin < at; });
  double sum = 0, wsum = 0;
  bool any = false;
  for (auto o = first; o != ops_.end() && o->begin < hi; ++o) {
    if (o->begin < end && o->end > begin) continue;  // inside the aspect: no opinion about it
    const double dist = o->begin >= end ? o->begin - end : begin - o->end;
    const double w = 1.0 / (1.0 + dist / 12.0);
    sum += w * o->value;
    wsum += w;
    any = true;
  }
  if (!any) return std::nullopt;
  return std::clamp(sum / std::max(wsum, 1.0), -1.0, 1.0);
}

double TextOpinions::TextSentiment() const {
  double sum = 0;
  for (const auto& o : ops_) sum += o.value;
  return std::tanh(sum / 2);
}

}  // namespace kgp::text
