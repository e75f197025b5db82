// Vocabulary of the synthetic shop: product attributes and review topics. Plain tables so the
// shop can be changed without touching the simulation.
#include "ingest/generator.h"

namespace kgp::generator_internal {

const std::vector<AttrDef>& Attrs() {
  // Order must follow AttrId.
  static const std::vector<AttrDef> kAttrs = {
      {"color", Mention::kColor,
       {{"black", "黑色"}, {"white", "白色"}, {"silver", "银色"}, {"grey", "灰色"},
        {"blue", "蓝色"}, {"red", "红色"}, {"pink", "粉色"}, {"green", "绿色"}, {"gold", "金色"},
        {"purple", "紫色"}, {"beige", "米色"}, {"navy", "藏青色"}}},
      {"storage", Mention::kStorage,
       {{"64GB", "64GB"}, {"128GB", "128GB"}, {"256GB", "256GB"}, {"512GB", "512GB"}, {"1TB", "1TB"}}},
      {"screen", Mention::kNone,
       {{"11in", "11英寸"}, {"13in", "13英寸"}, {"14in", "14英寸"}, {"16in", "16英寸"}}},
      {"screen", Mention::kNone,
       {{"43in", "43英寸"}, {"55in", "55英寸"}, {"65in", "65英寸"}, {"75in", "75英寸"}, {"85in", "85英寸"}}},
      {"resolution", Mention::kNone, {{"1080p", "1080p"}, {"2K", "2K"}, {"4K", "4K"}}},
      {"connectivity", Mention::kNone, {{"wireless", "无线"}, {"wired", "有线"}, {"bluetooth", "蓝牙"}}},
      {"material", Mention::kMaterial,
       {{"silicone", "硅胶"}, {"leather", "真皮"}, {"steel", "不锈钢"}, {"nylon", "尼龙"}}},
      {"capacity", Mention::kNone, {{"5000mAh", "5000mAh"}, {"10000mAh", "10000mAh"}, {"20000mAh", "20000mAh"}}},
      {"power", Mention::kNone, {{"20W", "20W"}, {"33W", "33W"}, {"65W", "65W"}, {"100W", "100W"}}},
      {"size", Mention::kSize, {{"S", "S"}, {"M", "M"}, {"L", "L"}, {"XL", "XL"}, {"XXL", "XXL"}}},
      {"size", Mention::kSize,
       {{"36", "36"}, {"37", "37"}, {"38", "38"}, {"39", "39"}, {"40", "40"}, {"41", "41"},
        {"42", "42"}, {"43", "43"}, {"44", "44"}, {"45", "45"}}},
      {"size", Mention::kSize,
       {{"80cm", "80cm"}, {"90cm", "90cm"}, {"100cm", "100cm"}, {"110cm", "110cm"}, {"120cm", "120cm"}}},
      {"material", Mention::kMaterial,
       {{"cotton", "纯棉"}, {"polyester", "涤纶"}, {"wool", "羊毛"}, {"linen", "亚麻"}, {"silk", "真丝"},
        {"denim", "牛仔布"}, {"down", "羽绒"}}},
      {"material", Mention::kMaterial,
       {{"solid wood", "实木"}, {"stainless steel", "不锈钢"}, {"ceramic", "陶瓷"}, {"glass", "玻璃"},
        {"bamboo", "竹子"}, {"fabric", "布艺"}, {"leather", "皮革"}, {"plastic", "塑料"}}},
      {"volume", Mention::kNone,
       {{"30ml", "30ml"}, {"50ml", "50ml"}, {"100ml", "100ml"}, {"150ml", "150ml"}, {"200ml", "200ml"}}},
      {"capacity", Mention::kNone,
       {{"0.5L", "0.5L"}, {"1L", "1L"}, {"1.5L", "1.5L"}, {"3L", "3L"}, {"5L", "5L"}}},
      {"capacity", Mention::kNone, {{"300L", "300L"}, {"450L", "450L"}, {"550L", "550L"}, {"650L", "650L"}}},
      {"capacity", Mention::kNone, {{"8kg", "8公斤"}, {"10kg", "10公斤"}, {"12kg", "12公斤"}}},
      {"flavor", Mention::kFlavor,
       {{"original", "原味"}, {"spicy", "麻辣"}, {"chocolate", "巧克力"}, {"strawberry", "草莓"},
        {"matcha", "抹茶"}, {"milk", "牛奶"}, {"lemon", "柠檬"}, {"seaweed", "海苔"}, {"barbecue", "烧烤"}}},
      {"type", Mention::kNone,
       {{"green tea", "绿茶"}, {"black tea", "红茶"}, {"oolong", "乌龙茶"}, {"pu'er", "普洱"},
        {"jasmine", "茉莉花茶"}}},
      {"weight", Mention::kNone,
       {{"100g", "100g"}, {"250g", "250g"}, {"500g", "500g"}, {"1kg", "1kg"}, {"2.5kg", "2.5kg"}, {"5kg", "5kg"}}},
      {"skin_type", Mention::kNone,
       {{"dry", "干性"}, {"oily", "油性"}, {"combination", "混合性"}, {"sensitive", "敏感肌"}, {"all", "所有肤质"}}},
      {"shade", Mention::kColor,
       {{"rose", "玫瑰色"}, {"coral", "珊瑚色"}, {"nude", "裸色"}, {"classic red", "正红色"},
        {"ivory", "象牙白"}, {"natural", "自然色"}}},
      {"age_range", Mention::kNone,
       {{"0-6m", "0-6个月"}, {"6-12m", "6-12个月"}, {"1-3y", "1-3岁"}, {"3-6y", "3-6岁"}}},
      {"thickness", Mention::kNone, {{"6mm", "6mm"}, {"8mm", "8mm"}, {"10mm", "10mm"}}},
      {"weight", Mention::kNone, {{"2kg", "2kg"}, {"5kg", "5kg"}, {"10kg", "10kg"}, {"20kg", "20kg"}}},
      {"capacity", Mention::kNone, {{"2 person", "双人"}, {"3-4 person", "3-4人"}, {"6 person", "6人"}}},
      {"wheel", Mention::kNone, {{"24in", "24寸"}, {"26in", "26寸"}, {"27.5in", "27.5寸"}, {"700c", "700C"}}},
      {"size", Mention::kSize, {{"5", "5号"}, {"6", "6号"}, {"7", "7号"}}},
  };
  return kAttrs;
}

const std::vector<AspectDef>& AspectTable() {
  using A = Aspects;
  static const std::vector<AspectDef> kAspects = {
      {A::kAny, "价格很实惠", "价格有点贵", "the price is fair", "it is a bit overpriced"},
      {A::kAny, "物流很快", "物流太慢了", "delivery was fast", "delivery was slow"},
      {A::kTech, "电池续航很强", "电池续航有点短", "the battery lasts all day", "the battery drains too fast"},
      {A::kTech, "运行很流畅", "偶尔会卡顿", "it runs smoothly", "it lags now and then"},
      {A::kTech, "做工很精致", "做工有点粗糙", "the build quality is solid", "the build feels flimsy"},
      {A::kTech, "手感很好", "拿着有点沉", "it feels great in the hand", "it is heavier than expected"},
      {A::kCloth, "面料很舒服", "面料有点起球", "the fabric is soft", "the fabric pills after a few washes"},
      {A::kCloth, "版型很好", "版型一般", "the cut is flattering", "the cut is a bit boxy"},
      {A::kCloth, "做工很细致", "有不少线头", "the stitching is neat", "there are loose threads"},
      {A::kShoe, "脚感很软", "穿久了磨脚", "they are really comfortable", "they rub after a long walk"},
      {A::kShoe, "鞋底很防滑", "鞋底有点硬", "the sole has great grip", "the sole is too stiff"},
      {A::kShoe, "穿着很轻便", "穿着有点重", "they are light", "they feel heavy"},
      {A::kBeauty, "质地很清爽", "质地有点油腻", "the texture is light", "the texture feels greasy"},
      {A::kBeauty, "味道很好闻", "味道有点刺鼻", "it smells lovely", "the scent is too strong"},
      {A::kBeauty, "效果很明显", "效果不明显", "I can see real results", "I see no difference"},
      {A::kBeauty, "用着不过敏", "用了有点过敏", "there is no irritation at all", "it irritated my skin"},
      {A::kFood, "口感很好", "口感一般", "it tastes great", "the taste is bland"},
      {A::kFood, "很新鲜", "不太新鲜", "it arrived fresh", "it was not fresh"},
      {A::kFood, "包装很严实", "包装有破损", "the packaging is sturdy", "the packaging was damaged"},
      {A::kHome, "质量很好", "质量一般", "the quality is excellent", "the quality is mediocre"},
      {A::kHome, "设计简约好看", "设计有点土", "the design is clean and modern", "the design looks dated"},
      {A::kHome, "安装很简单", "安装很麻烦", "assembly was easy", "assembly was a pain"},
      {A::kAppliance, "噪音很小", "噪音有点大", "it is very quiet", "it is quite noisy"},
      {A::kAppliance, "操作很简单", "操作有点复杂", "it is easy to use", "the controls are confusing"},
      {A::kAppliance, "效果很好", "效果一般", "it works really well", "the performance is mediocre"},
      {A::kBaby, "宝宝很喜欢", "宝宝不太喜欢", "my baby loves it", "my baby does not like it"},
      {A::kBaby, "材质很安全", "有点异味", "the materials feel safe", "it has a chemical smell"},
      {A::kBaby, "质量很好", "质量一般", "the quality is excellent", "the quality is mediocre"},
      {A::kSport, "质量很扎实", "质量一般", "it is well built", "it feels cheaply made"},
      {A::kSport, "用起来很舒服", "用起来不太舒服", "it is comfortable to use", "it is uncomfortable to use"},
      {A::kSport, "性价比很高", "性价比不高", "it is great value", "it is poor value"},
  };
  return kAspects;
}

}  // namespace kgp::generator_internal
