// Natural-language bits of the synthetic shop: product titles, reviews and social posts, in
// Chinese or English, and the reviews.jsonl lines that carry them. Reviews name the brand, the product type and a bought attribute value
// with opinions that agree with the rating, so that text mining has something real to find.
#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/time.h"

#include "ingest/generator.h"

namespace kgp::generator_internal {
namespace {

template <size_t N>
const char* Pick(const char* const (&options)[N], Rng& rng) {
  return options[rng.Below(N)];
}

std::string Capitalize(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

const char* ModelWord(Aspects g, bool zh, Rng& rng) {
  static const char* const kTech[] = {"Pro", "Max", "Lite", "Ultra", "Plus", "Air", "Mini", "Neo", "SE"};
  static const char* const kClothEn[] = {"Classic", "Slim Fit", "Oversized", "Essential", "Vintage", "Casual"};
  static const char* const kClothZh[] = {"经典款", "修身", "宽松", "百搭", "复古", "休闲"};
  static const char* const kShoeEn[] = {"Air", "Runner", "Classic", "Court", "Trail", "Flex"};
  static const char* const kShoeZh[] = {"经典款", "轻便", "透气", "缓震", "百搭"};
  static const char* const kBeautyEn[] = {"Hydrating", "Brightening", "Repair", "Velvet", "Matte", "Radiance"};
  static const char* const kBeautyZh[] = {"保湿", "美白", "修护", "丝绒", "哑光", "水润"};
  static const char* const kFoodEn[] = {"Premium", "Family Pack", "Crispy", "Daily", "Organic", "Classic"};
  static const char* const kFoodZh[] = {"精选", "家庭装", "香脆", "每日", "有机", "经典"};
  static const char* const kHomeEn[] = {"Nordic", "Minimalist", "Classic", "Compact", "Deluxe"};
  static const char* const kHomeZh[] = {"北欧风", "简约", "经典", "加厚", "豪华"};
  static const char* const kApplEn[] = {"Smart", "Pro", "Quiet", "Compact", "Turbo"};
  static const char* const kApplZh[] = {"智能", "变频", "静音", "家用", "迷你"};
  static const char* const kBabyEn[] = {"Gentle", "Soft", "Organic", "Comfort", "Growth"};
  static const char* const kBabyZh[] = {"温和", "柔软", "有机", "舒适", "婴儿"};
  static const char* const kSportEn[] = {"Pro", "Trail", "Active", "Lite", "Tour"};
  static const char* const kSportZh[] = {"专业", "轻量", "户外", "速干", "耐磨"};
  switch (g) {
    case Aspects::kCloth: return zh ? Pick(kClothZh, rng) : Pick(kClothEn, rng);
    case Aspects::kShoe: return zh ? Pick(kShoeZh, rng) : Pick(kShoeEn, rng);
    case Aspects::kBeauty: return zh ? Pick(kBeautyZh, rng) : Pick(kBeautyEn, rng);
    case Aspects::kFood: return zh ? Pick(kFoodZh, rng) : Pick(kFoodEn, rng);
    case Aspects::kHome: return zh ? Pick(kHomeZh, rng) : Pick(kHomeEn, rng);
    case Aspects::kAppliance: return zh ? Pick(kApplZh, rng) : Pick(kApplEn, rng);
    case Aspects::kBaby: return zh ? Pick(kBabyZh, rng) : Pick(kBabyEn, rng);
    case Aspects::kSport: return zh ? Pick(kSportZh, rng) : Pick(kSportEn, rng);
    default: return Pick(kTech, rng);
  }
}

// Opinion about one bought attribute value; empty when the attribute is not talked about.
std::string AttrPhrase(Mention m, const AttrValue& v, bool zh, bool positive) {
  // {zh positive, zh negative, en positive, en negative}
  static const char* const kPhrases[][4] = {
      {"", "", "", ""},
      {"{}很好看", "{}有点显旧", "the {} colour looks great", "the {} colour gets dirty fast"},
      {"{}码很合身", "{}码偏小", "size {} fits perfectly", "size {} runs small"},
      {"{}的存储完全够用", "{}的存储不太够用", "{} of storage is plenty", "{} of storage fills up quickly"},
      {"{}味的很好吃", "{}味的有点腻", "the {} flavour is delicious", "the {} flavour is too sweet"},
      {"{}材质很有质感", "{}材质有点廉价", "the {} feels premium", "the {} feels cheap"},
  };
  if (m == Mention::kNone) return {};
  const char* t = kPhrases[static_cast<int>(m)][(zh ? 0 : 2) + (positive ? 0 : 1)];
  return fmt::format(fmt::runtime(t), zh ? v.zh : v.en);
}

const AspectDef& PickAspect(Aspects g, Rng& rng, const AspectDef* avoid1 = nullptr,
                            const AspectDef* avoid2 = nullptr) {
  const auto& all = AspectTable();
  std::vector<const AspectDef*> fit;
  for (const AspectDef& a : all)
    if ((a.group == g || (a.group == Aspects::kAny && rng.Chance(0.5))) && &a != avoid1 && &a != avoid2)
      fit.push_back(&a);
  if (fit.empty()) return all[0];
  return *fit[rng.Below(fit.size())];
}

}  // namespace

std::string ProductTitle(const World& w, const Product& p, bool zh, Rng& rng) {
  const CategoryDef& d = CategoryTable()[w.leaves[p.leaf].def];
  const Brand& b = w.brands[p.brand];
  const auto& attrs = Attrs();
  std::string t = zh && rng.Chance(0.5) ? b.zh : b.display;
  if (rng.Chance(0.7)) {
    t += ' ';
    t += ModelWord(d.aspects, zh, rng);
    if (d.aspects == Aspects::kTech && rng.Chance(0.5)) t += fmt::format(" {}", rng.Range(2, 15));
  }
  if (zh) {
    for (int k = 0; k < p.n_attrs; ++k) {
      t += ' ';
      t += attrs[p.attr_id[k]].values[p.attr_val[k]].zh;
    }
    t += ' ';
    t += d.name_zh;
    return t;
  }
  t += ' ';
  t += d.noun_en;
  for (int k = 0; k < p.n_attrs; ++k) {
    const AttrDef& a = attrs[p.attr_id[k]];
    t += std::string_view(a.key) == "size" ? ", size " : ", ";
    t += a.values[p.attr_val[k]].en;
  }
  return t;
}

std::string ReviewText(const World& w, const Product& p, int rating, bool zh, Rng& rng) {
  const CategoryDef& d = CategoryTable()[w.leaves[p.leaf].def];
  const Brand& b = w.brands[p.brand];
  const auto& attrs = Attrs();
  // The attribute the buyer talks about (a mentionable one, if the product has any).
  int which = -1, seen = 0;
  for (int k = 0; k < p.n_attrs; ++k)
    if (attrs[p.attr_id[k]].mention != Mention::kNone && rng.Below(++seen) == 0) which = k;
  const bool neg_attr = rating <= 2;
  std::string attr_text;
  if (which >= 0) {
    const AttrDef& a = attrs[p.attr_id[which]];
    attr_text = AttrPhrase(a.mention, a.values[p.attr_val[which]], zh, !neg_attr);
  }
  const AspectDef& x = PickAspect(d.aspects, rng);
  const AspectDef& y = PickAspect(d.aspects, rng, &x);
  if (attr_text.empty()) {  // nothing to say about the variant: a third topic instead
    const AspectDef& z = PickAspect(d.aspects, rng, &x, &y);
    attr_text = zh ? (neg_attr ? z.zh_neg : z.zh_pos) : (neg_attr ? z.en_neg : z.en_pos);
  }
  if (zh) {
    static const char* const kPrefix[] = {"这款{}{}", "买的{}{}", "{}的{}", "新入手的{}{}"};
    const std::string prefix = fmt::format(fmt::runtime(Pick(kPrefix, rng)), b.zh, d.noun_zh);
    static const char* const kClose5[] = {"非常满意！", "强烈推荐！", "会回购的。", "五星好评！"};
    static const char* const kClose4[] = {"总体不错。", "还算满意。", "值得购买。"};
    static const char* const kClose1[] = {"不推荐购买。", "差评。", "退货了。"};
    switch (rating) {
      case 5: return fmt::format("{}{}，{}，{}", prefix, attr_text, x.zh_pos, Pick(kClose5, rng));
      case 4: return fmt::format("{}{}，{}，{}", prefix, attr_text, x.zh_pos, Pick(kClose4, rng));
      case 3: return fmt::format("{}{}，{}，就是{}。", prefix, attr_text, x.zh_pos, y.zh_neg);
      case 2: return fmt::format("{}{}，{}，有点失望。", prefix, attr_text, x.zh_neg);
      default: return fmt::format("{}{}，{}，{}", prefix, x.zh_neg, attr_text, Pick(kClose1, rng));
    }
  }
  // {0} brand, {1} product noun, {2} attribute opinion, {3} the same capitalised, {4} aspect
  // opinion, {5} the same capitalised; two phrasings per rating.
  static const char* const kEnglish[5][2] = {
      {"Disappointed with this {0} {1}. {5}, and {2}. Would not buy again.",
       "Avoid the {0} {1}: {4} and {2}."},
      {"Not impressed with the {0} {1}: {2} and {4}.", "The {0} {1} was a letdown. {3} and {4}."},
      {"The {0} {1} is okay. {3}, but {4}.", "Mixed feelings about the {0} {1}: {2}, but {4}."},
      {"Good {1} from {0}: {2} and {4}.", "Pretty happy with the {0} {1}. {3} and {4}."},
      {"Love this {0} {1}! {3}, and {4}. Highly recommend.", "Five stars for the {0} {1}: {2}, and {4}."},
  };
  const int r = std::clamp(rating, 1, 5);
  const std::string aspect = r >= 4 ? x.en_pos : r == 3 ? y.en_neg : x.en_neg;
  return fmt::format(fmt::runtime(kEnglish[r - 1][rng.Below(2)]), b.display, d.noun_en, attr_text,
                     Capitalize(attr_text), aspect, Capitalize(aspect));
}

std::string PostText(const World& w, const User& u, bool zh, Rng& rng) {
  const auto& cats = CategoryTable();
  const uint32_t leaf = u.fav_leaves.empty() ? 0 : u.fav_leaves[rng.Below(u.fav_leaves.size())];
  const CategoryDef& d = cats[w.leaves[leaf].def];
  // Prefer a favourite brand that sells in the category talked about.
  const Brand* brand = nullptr;
  for (uint32_t b : u.fav_brands)
    for (const auto& e : w.leaves[leaf].by_brand)
      if (e.first == b && !brand) brand = &w.brands[b];
  if (!brand && !u.fav_brands.empty() && rng.Chance(0.5)) brand = &w.brands[u.fav_brands[0]];
  if (zh) {
    if (!brand) {
      static const char* const kT[] = {"好用的{}有推荐吗？", "最近在看{}，大家有什么推荐？",
                                       "{}买哪个牌子好？求推荐"};
      return fmt::format(fmt::runtime(Pick(kT, rng)), d.noun_zh);
    }
    static const char* const kT[] = {"最近入手了{}的{}，真心推荐！", "有没有人用过{}的{}？想换一个",
                                     "{}的{}在打折，冲了", "种草了{}新款{}，求测评"};
    return fmt::format(fmt::runtime(Pick(kT, rng)), brand->zh, d.noun_zh);
  }
  if (!brand) {
    static const char* const kT[] = {"Any recommendations for a good {}?",
                                     "Shopping for a new {}, what should I get?",
                                     "Which {} brand is worth it?"};
    return fmt::format(fmt::runtime(Pick(kT, rng)), d.noun_en);
  }
  static const char* const kT[] = {"Really happy with my new {0} {1}!",
                                   "Anyone tried the {0} {1}? Thinking of upgrading.",
                                   "The {0} {1} is on sale this week, grabbed one.",
                                   "Can't decide whether the {0} {1} is worth the money."};
  return fmt::format(fmt::runtime(Pick(kT, rng)), brand->display, d.noun_en);
}

void WriteReview(const World& w, const User& u, uint32_t product, int64_t purchase_time, Rng& rng,
                 OutFile* out, EventCounts* counts) {
  const Product& p = w.products[product];
  const bool fav = std::find(u.fav_brands.begin(), u.fav_brands.end(), p.brand) != u.fav_brands.end();
  // Buyers of their favourite brands are happier.
  static const double kFav[] = {0.03, 0.04, 0.08, 0.25, 0.60};  // ratings 1..5
  static const double kOther[] = {0.06, 0.07, 0.12, 0.30, 0.45};
  const int rating = 1 + static_cast<int>(rng.Weighted(fav ? kFav : kOther, 5));
  const bool zh = rng.Chance(u.zh_share);
  // The export ends with the behaviour log: a review written after it is not in the file yet
  // (drawn all the same, so that the texts after it do not change).
  const int64_t end = w.opts->start_time + w.opts->days * 86400;
  const int64_t review_time = purchase_time + rng.Range(7200, 7 * 86400);
  nlohmann::ordered_json j;
  j["user_id"] = std::to_string(u.id);
  j["product_id"] = std::to_string(kFirstProductId + product);
  j["time"] = FormatTimestamp(review_time);
  j["rating"] = rating;
  j["lang"] = zh ? "zh" : "en";
  j["kind"] = "review";
  j["text"] = ReviewText(w, p, rating, zh, rng);
  if (review_time <= end) {
    out->buf() += j.dump();
    out->buf() += '\n';
    counts->reviews++;
  }
  // About one line in twenty is a social post about the user's tastes, not a product.
  if (rng.Chance(0.055)) {
    const bool post_zh = rng.Chance(u.zh_share);
    nlohmann::ordered_json q;
    q["user_id"] = std::to_string(u.id);
    q["product_id"] = "";
    const int64_t post_time = purchase_time + rng.Range(600, 3 * 86400);
    q["time"] = FormatTimestamp(post_time);
    q["rating"] = nullptr;
    q["lang"] = post_zh ? "zh" : "en";
    q["kind"] = "post";
    q["text"] = PostText(w, u, post_zh, rng);
    if (post_time <= end) {
      out->buf() += q.dump();
      out->buf() += '\n';
      counts->posts++;
    }
  }
  out->MaybeFlush();
}

}  // namespace kgp::generator_internal
