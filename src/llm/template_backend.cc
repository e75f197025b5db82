#include "llm/template_backend.h"

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "common/hash.h"
#include "common/strings.h"
#include "common/time.h"
#include "graph/names.h"
#include "llm/currency.h"
#include "llm/facts.h"

namespace kgp::llm {
namespace {

// Splitmix-style generator: only integer arithmetic, identical everywhere.
class Pick {
 public:
  explicit Pick(uint64_t seed) : s_(seed) {}
  size_t Below(size_t n) {
    s_ += 0x9E3779B97F4A7C15ull;
    uint64_t z = s_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return static_cast<size_t>((z ^ (z >> 31)) % n);
  }
  template <class... S>
  std::string One(const S&... options) {
    const std::string all[] = {std::string(options)...};
    return all[Below(sizeof...(options))];
  }

 private:
  uint64_t s_;
};

std::string Field(std::string_view text, std::string_view key) {
  for (std::string_view line : Split(text, '\n')) {
    line = Trim(line);
    if (StartsWith(line, key)) return std::string(Trim(line.substr(key.size())));
  }
  return "";
}

struct Facts {
  bool zh = true;
  std::string alias;
  const Currency* currency = nullptr;  // the prompt's CURRENCY line; CNY when absent
  const Fact* user = nullptr;
  const Fact* price = nullptr;
  const Fact* coupon = nullptr;
  const Fact* item = nullptr;
  std::vector<const Fact*> categories, brands, purchases, paths, candidates;
  std::string Name(const Fact& f, const char* base) const {
    std::string zh_name = f.Get(fmt::format("{}zh", base)), en_name = f.Get(fmt::format("{}en", base));
    return zh ? (zh_name.empty() ? en_name : zh_name) : (en_name.empty() ? zh_name : en_name);
  }
};

// "A、B和C" / "A, B and C".
std::string List(const std::vector<std::string>& xs, bool zh) {
  std::string out;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i > 0) out += i + 1 == xs.size() ? (zh ? "和" : " and ") : (zh ? "、" : ", ");
    out += xs[i];
  }
  return out;
}

std::vector<std::string> Names(const Facts& f, const std::vector<const Fact*>& xs, size_t n, bool lower_en) {
  std::vector<std::string> out;
  for (size_t i = 0; i < xs.size() && i < n; ++i) {
    std::string s = f.Name(*xs[i], "");
    if (!f.zh && lower_en) s = ToLowerAscii(s);
    out.push_back(s);
  }
  return out;
}

std::string Money(const Facts& f, std::string_view p) {
  return f.zh ? std::string(p) + f.currency->zh : f.currency->en + std::string(p);
}

// "30-39" → "30-39岁" / "aged 30-39"; the open ends of graph/builder.cc AgeGroup read as words.
std::string Age(const std::string& group, bool zh) {
  if (StartsWith(group, "<")) return zh ? group.substr(1) + "岁以下" : "under " + group.substr(1);
  if (!group.empty() && group.back() == '+') return zh ? group.substr(0, group.size() - 1) + "岁及以上" : "aged " + group.substr(0, group.size() - 1) + " or over";
  return zh ? group + "岁" : "aged " + group;
}

// Who the customer is, from the demographics the facts give; "" when they give none.
std::string Demographics(const Facts& f, Pick& pick) {
  if (!f.user) return "";
  const std::string g = f.user->Get("gender"), age = f.user->Get("age_group"), city = f.user->Get("city"),
                    occ = f.user->Get("occupation");
  if (g.empty() && age.empty() && city.empty() && occ.empty()) return "";
  const std::string gender = g == "female" ? (f.zh ? "女性" : "female ") : g == "male" ? (f.zh ? "男性" : "male ") : "";
  if (f.zh) {
    std::vector<std::string> parts;
    if (!age.empty() || !gender.empty()) parts.push_back("是一位" + (age.empty() ? "" : Age(age, true)) + gender + "顾客");
    if (!city.empty()) parts.push_back("常住" + city);
    if (!occ.empty()) parts.push_back("职业为" + occ);
    std::string s;
    for (size_t i = 0; i < parts.size(); ++i) s += (i ? "，" : "") + parts[i];
    return fmt::format(fmt::runtime(pick.One("顾客 {} {}。", "{} {}。")), f.alias, s);
  }
  // "Customer u_… is a female shopper aged 35-44 from Wuhan who is an accountant."
  std::string s = fmt::format(fmt::runtime(pick.One("Customer {} is a {}shopper", "{} is a {}customer")), f.alias, gender);
  if (!age.empty()) s += " " + Age(age, false);
  if (!city.empty()) s += " from " + city;
  if (const std::string job = OccupationPhrase(occ); !job.empty()) s += " who " + job;
  return s + ".";
}

std::string Likes(const Facts& f, Pick& pick) {
  auto cats = Names(f, f.categories, 3, true), brands = Names(f, f.brands, 2, false);
  // Someone who has bought nothing browses; they do not "buy" these categories.
  const bool buyer = f.user && ParseInt(f.user->Get("purchases")).value_or(0) > 0;
  std::string out;
  if (!cats.empty()) {
    out += f.zh ? fmt::format(fmt::runtime(pick.One("TA 最感兴趣的品类是{}", buyer ? "最常浏览和购买的是{}" : "最常浏览的是{}", "兴趣集中在{}")),
                              List(cats, true))
                : fmt::format(fmt::runtime(pick.One(cats.size() == 1 ? "Their main interest is {}" : "Their main interests are {}",
                                                    buyer ? "They mostly browse and buy {}" : "They mostly browse {}",
                                                    "Most of their activity goes to {}")),
                              List(cats, false));
    if (!brands.empty())
      out += f.zh ? fmt::format(fmt::runtime(pick.One("，偏爱的品牌有{}", "，常选品牌为{}")), List(brands, true))
                  : fmt::format(fmt::runtime(pick.One(", with a preference for {}", ", and the brands they favour are {}")),
                                List(brands, false));
    out += f.zh ? "。" : ".";
  } else if (!brands.empty()) {
    out += f.zh ? fmt::format("偏爱的品牌有{}。", List(brands, true)) : fmt::format("They favour {}.", List(brands, false));
  }
  return out;
}

std::string Shopping(const Facts& f, Pick& pick) {
  std::vector<std::string> parts;
  if (f.price) {
    const std::string level = f.price->Get("level");
    auto sens = ParseDouble(f.price->Get("sensitivity"));
    if (f.zh) {
      if (level == "high") parts.push_back(pick.One("消费档次偏高端", "偏好高价位商品"));
      if (level == "mid") parts.push_back(pick.One("消费档次中等", "偏好中等价位商品"));
      if (level == "low") parts.push_back(pick.One("偏好平价商品", "消费档次偏经济实惠"));
      if (sens && *sens >= 0.6) parts.push_back("对价格较为敏感");
      if (sens && *sens <= 0.4) parts.push_back("对价格不太敏感");
    } else {
      if (level == "high") parts.push_back(pick.One("buys at the upper end of the price range", "prefers premium items"));
      if (level == "mid") parts.push_back(pick.One("mostly buys in the mid price range", "prefers mid-priced items"));
      if (level == "low") parts.push_back(pick.One("buys at the lower end of the price range", "prefers budget-friendly items"));
      if (sens && *sens >= 0.6) parts.push_back("is fairly price-sensitive");
      if (sens && *sens <= 0.4) parts.push_back("is not very price-sensitive");
    }
  }
  if (f.user) {
    // Lifecycle stages (profile/finalize.cc): the code, its Chinese name, an English phrase.
    static const char* const kLife[][3] = {{"new", "新客", "is a new customer"},
                                           {"active", "活跃", "is active"},
                                           {"dormant", "沉睡", "has not shopped for a while"},
                                           {"churned", "流失", "has stopped shopping with us"},
                                           {"returning", "回流", "has recently come back after a break"}};
    const std::string life = f.user->Get("lifecycle"), seg = f.user->Get("segment");
    for (const auto& l : kLife)
      if (life == l[0]) parts.push_back(f.zh ? fmt::format("目前处于{}阶段", l[1]) : std::string(l[2]));
    if (!seg.empty()) parts.push_back(f.zh ? fmt::format("RFM 分群为“{}”", seg) : fmt::format("sits in the '{}' RFM segment", seg));
  }
  if (parts.empty()) return "";
  if (f.zh) {
    std::string s;
    for (size_t i = 0; i < parts.size(); ++i) s += (i ? "，" : "") + parts[i];
    return pick.One("在消费习惯上，", "购物方面，") + s + "。";
  }
  return pick.One("In terms of shopping habits, the customer ", "As a shopper, this customer ") + List(parts, false) + ".";
}

// "A B" between Latin words, "AB" next to Chinese ("三星手机", "Samsung smartphone").
std::string Join(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return a + b;
  const auto latin = [](unsigned char c) { return c < 0x80 && std::isalnum(c); };
  return latin(static_cast<unsigned char>(a.back())) && latin(static_cast<unsigned char>(b.front())) ? a + " " + b : a + b;
}

// How a text names a product fact: “title” / "title", else by brand and category ("a Samsung
// smartphone", “三星手机”; an indefinite article in English); "" when the fact has neither.
std::string ProductName(const Facts& f, const Fact& p) {
  if (const std::string t = p.Get("product"); !t.empty()) return f.zh ? "“" + t + "”" : "\"" + t + "\"";
  std::string brand = f.Name(p, "brand_"), cat = f.Name(p, "category_");
  if (!f.zh) cat = ToLowerAscii(cat);
  if (brand.empty() && cat.empty()) return "";
  if (f.zh) return Join(brand, cat.empty() ? "商品" : cat);
  const std::string what = Join(brand, cat.empty() ? "product" : cat);
  const bool vowel = std::string_view("AEIOUaeiou").find(what[0]) != std::string_view::npos;
  return (vowel ? "an " : "a ") + what;
}

std::string Purchase(const Facts& f, Pick& pick) {
  if (f.purchases.empty()) return "";
  const Fact& p = *f.purchases.front();
  // The price paid when the facts give it, else the current price, said to be today's.
  const std::string name = ProductName(f, p), paid = p.Get("paid"), price = p.Get("price");
  if (name.empty()) return "";
  if (f.zh)
    return fmt::format(fmt::runtime(pick.One("最近一次购买的是{}{}。", "近期买过{}{}。")), name,
                       !paid.empty() ? "（实付" + Money(f, paid) + "）" : price.empty() ? "" : "（现价" + Money(f, price) + "）");
  return fmt::format(fmt::runtime(pick.One("Their latest purchase was {}{}.", "Recently they bought {}{}.")), name,
                     !paid.empty() ? " for " + Money(f, paid) : price.empty() ? "" : " (now " + Money(f, price) + ")");
}

std::string CouponLine(const Facts& f, bool headline) {
  const Fact& c = *f.coupon;
  const std::string target = f.Name(c, ""), zhe = c.Get("zhe"), pct = c.Get("discount_pct"), min = c.Get("min_spend");
  if (f.zh) {
    if (headline) return fmt::format("{}专享{}折券", target, zhe);
    return fmt::format("{}折优惠券，适用于{}{}", zhe, target, min.empty() ? "" : "，满" + Money(f, min) + "可用");
  }
  const std::string t = c.Get("target") == "category" ? ToLowerAscii(target) : target;
  if (headline) return fmt::format("{}% off {} — picked for you", pct, t);
  return fmt::format("a {}% off coupon for {}{}", pct, t, min.empty() ? "" : " on orders over " + Money(f, min));
}

std::string Summary(const Facts& f, Pick& pick) {
  std::vector<std::string> s;
  for (std::string x : {Demographics(f, pick), Likes(f, pick), Shopping(f, pick), Purchase(f, pick)})
    if (!x.empty()) s.push_back(x);
  if (!f.categories.empty()) {
    const std::string top = Names(f, f.categories, 1, true)[0];
    const std::string life = f.user ? f.user->Get("lifecycle") : "";
    if (f.zh)
      s.push_back(life == "dormant" || life == "churned"
                      ? fmt::format("建议以{}相关的召回活动唤醒该顾客。", top)
                      : fmt::format(fmt::runtime(pick.One("建议优先推送{}相关的新品与活动。", "营销上可围绕{}做个性化推荐。")), top));
    else
      s.push_back(life == "dormant" || life == "churned"
                      ? fmt::format("A win-back campaign around {} is suggested.", top)
                      : fmt::format(fmt::runtime(pick.One("Suggested action: lead with new arrivals in {}.",
                                                          "Marketing can focus personalised offers on {}.")),
                                    top));
  }
  std::string out;
  for (const auto& x : s) out += (out.empty() || f.zh ? "" : " ") + x;
  return out;
}

std::string Copy(const Facts& f, Pick& pick) {
  if (!f.coupon) return f.zh ? "为您精选好物，欢迎回来逛逛。" : "We picked a few things for you. Come and have a look.";
  const std::string basis = f.coupon->Get("target");
  // The latest purchase; "buy again" only when it is of the coupon's category or brand.
  const Fact* bought = f.purchases.empty() ? nullptr : f.purchases.front();
  const std::string last = bought ? ProductName(f, *bought) : "";
  const std::string coupon_zh = f.coupon->Get("zh");
  const bool same = bought && !coupon_zh.empty() && coupon_zh == bought->Get(basis == "brand" ? "brand_zh" : "category_zh");
  std::string out;
  if (f.zh) {
    out += "【" + CouponLine(f, true) + "】\n";
    out += fmt::format(fmt::runtime(pick.One("知道您一直钟情{}，", "看到您最近常逛{}，", "为喜欢{}的您，")), f.Name(*f.coupon, ""));
    out += pick.One("我们为您准备了一张", "特别送上一张") + CouponLine(f, false) + "。";
    if (!last.empty())
      out += same ? fmt::format(fmt::runtime(pick.One("和您买过的{}一样，好物值得再次入手。", "继{}之后，再添一件心头好吧。")), last)
                  : fmt::format("继{}之后，再添一件心头好吧。", last);
    out += pick.One("名额有限，先到先得！", "快来挑选吧！");
  } else {
    out += CouponLine(f, true) + "\n";
    const std::string name = basis == "category" ? ToLowerAscii(f.Name(*f.coupon, "")) : f.Name(*f.coupon, "");
    out += fmt::format(fmt::runtime(pick.One("Because you love {}, ", "You have been browsing {} lately, so ",
                                             "For a fan of {} like you, ")),
                       name);
    out += pick.One("here is ", "we saved you ") + CouponLine(f, false) + ".";
    if (!last.empty())
      out += fmt::format(fmt::runtime(pick.One(" You enjoyed {}; find your next favourite.", " After {}, treat yourself again.")), last);
    out += pick.One(" Limited time only!", " Happy shopping!");
  }
  return out;
}

std::string Explain(const Facts& f, Pick& pick) {
  if (!f.item) return "";
  const std::string item = ProductName(f, *f.item);
  if (item.empty()) return "";
  std::string first = item;  // at the start of a sentence: "A Samsung smartphone may suit you."
  if (!f.zh) first[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(first[0])));
  const bool lead = pick.Below(2) == 1;  // the item first
  std::string out = f.zh ? (lead ? item + "可能适合您。" : "为您推荐" + item + "。")
                         : (lead ? first + " may suit you." : "We recommend " + item + ".");
  for (size_t i = 0; i < f.paths.size() && i < 2; ++i) {
    std::string why = f.paths[i]->Get(f.zh ? "zh" : "en");
    if (why.empty()) continue;
    out += (f.zh ? "" : " ") + why;
  }
  return out;
}

std::string Reason(const Facts& f, Pick& pick) {
  auto cats = Names(f, f.categories, 3, true), brands = Names(f, f.brands, 2, false);
  std::string out;
  if (f.zh) {
    if (!cats.empty()) out += fmt::format("该用户的行为主要集中在{}，说明这些是其核心需求。", List(cats, true));
    if (!brands.empty()) out += fmt::format("TA 对{}有明显的品牌偏好，", List(brands, true)) + pick.One("同品牌新品更容易被接受。", "复购同品牌的可能性较高。");
  } else {
    if (!cats.empty()) out += fmt::format("The user's activity centres on {}, which points to their core needs.", List(cats, false));
    if (!brands.empty())
      out += fmt::format(" They show a clear preference for {}, ", List(brands, false)) +
             pick.One("so new items of those brands are likely to appeal.", "so repeat purchases of those brands are likely.");
  }
  // Re-rank the candidates by the strength of their category and brand among the facts.
  std::vector<std::pair<double, int>> order;
  for (const Fact* c : f.candidates) {
    double score = 0;
    for (const Fact* x : f.categories)
      if (x->Get("zh") == c->Get("category_zh") && !x->Get("zh").empty()) score += ParseDouble(x->Get("weight")).value_or(0);
    for (const Fact* x : f.brands)
      if (x->Get("zh") == c->Get("brand_zh") && !x->Get("zh").empty()) score += ParseDouble(x->Get("weight")).value_or(0);
    const int n = static_cast<int>(ParseInt(c->Get("n")).value_or(0));
    order.emplace_back(score - 1e-6 * n, n);
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (!order.empty()) {
    out += "\nRANK: ";
    for (size_t i = 0; i < order.size(); ++i) out += (i ? ", " : "") + std::to_string(order[i].second);
  }
  return out;
}

}  // namespace

Result<Completion> TemplateBackend::Complete(const ChatRequest& req) {
  const auto t0 = std::chrono::steady_clock::now();
  std::string prompt;
  for (const auto& m : req.messages)
    if (m.role == "user") prompt = m.content;
  const std::string task = Field(prompt, "TASK:");
  if (task.empty()) return Status::InvalidArgument("template backend: the prompt has no 'TASK:' line");
  const std::vector<Fact> all = ParseFacts(prompt);
  Facts f;
  f.zh = Field(prompt, "LANGUAGE:") != "en";
  f.alias = Field(prompt, "CUSTOMER:");
  const std::string currency = Field(prompt, "CURRENCY:");
  f.currency = FindCurrency(currency.empty() ? "CNY" : currency);
  if (!f.currency) return Status::InvalidArgument(fmt::format("template backend: unknown CURRENCY '{}'", currency));
  for (const Fact& x : all) {
    if (x.kind == "user") f.user = &x;
    else if (x.kind == "price") f.price = &x;
    else if (x.kind == "coupon") f.coupon = &x;
    else if (x.kind == "item") f.item = &x;
    else if (x.kind == "category") f.categories.push_back(&x);
    else if (x.kind == "brand") f.brands.push_back(&x);
    else if (x.kind == "purchase") f.purchases.push_back(&x);
    else if (x.kind == "path") f.paths.push_back(&x);
    else if (x.kind == "candidate") f.candidates.push_back(&x);
  }
  Pick pick(Hash64(prompt, req.seed));
  Completion c;
  if (task == "summary") c.text = Summary(f, pick);
  else if (task == "copy") c.text = Copy(f, pick);
  else if (task == "explain") c.text = Explain(f, pick);
  else if (task == "reason") c.text = Reason(f, pick);
  else return Status::InvalidArgument(fmt::format("template backend: unknown task '{}'", task));
  c.model = Model();
  c.finish_reason = "stop";
  if (req.on_token) req.on_token(c.text);
  c.seconds = SecondsSince(t0);
  return c;
}

}  // namespace kgp::llm
