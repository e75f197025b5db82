// The synthetic shop's category tree (8 roots, at most 3 levels), with what each leaf sells:
// attributes, list price range, review topics and who it appeals to.
#include "ingest/generator.h"

namespace kgp::generator_internal {

namespace {

CategoryDef InnerNode(const char* code, const char* en, const char* zh) { return {code, en, zh}; }

CategoryDef LeafNode(const char* code, const char* en, const char* zh, const char* noun_en,
                 const char* noun_zh, std::vector<AttrId> attrs, int lo, int hi, Aspects aspects,
                 int skew, uint8_t flags, double popularity) {
  return {code, en, zh, noun_en, noun_zh, std::move(attrs), lo, hi, aspects, skew, flags, popularity};
}

}  // namespace

const std::vector<CategoryDef>& CategoryTable() {
  using A = Aspects;
  constexpr uint8_t P = kForParents, Y = kForYoung, O = kForOlder;
  static const std::vector<CategoryDef> kTable = {
      InnerNode("electronics", "Electronics", "电子产品"),
      LeafNode("electronics.smartphone", "Smartphones", "智能手机", "smartphone", "手机", {kAttrColor, kAttrStorage}, 999, 8999, A::kTech, 0, Y, 3.0),
      LeafNode("electronics.tablet", "Tablets", "平板电脑", "tablet", "平板", {kAttrColor, kAttrStorage, kAttrScreen}, 1299, 6999, A::kTech, 0, 0, 1.2),
      InnerNode("electronics.computers", "Computers", "电脑"),
      LeafNode("electronics.computers.laptop", "Laptops", "笔记本电脑", "laptop", "笔记本", {kAttrColor, kAttrStorage, kAttrScreen}, 2999, 14999, A::kTech, -1, 0, 1.5),
      LeafNode("electronics.computers.monitor", "Monitors", "显示器", "monitor", "显示器", {kAttrColor, kAttrResolution}, 599, 3999, A::kTech, -1, 0, 0.8),
      LeafNode("electronics.computers.keyboard", "Keyboards", "键盘", "keyboard", "键盘", {kAttrColor, kAttrConnect}, 99, 999, A::kTech, -1, Y, 0.8),
      InnerNode("electronics.audio", "Audio", "音频设备"),
      LeafNode("electronics.audio.headphone", "Headphones", "耳机", "headphones", "耳机", {kAttrColor, kAttrConnect}, 99, 2999, A::kTech, 0, Y, 1.8),
      LeafNode("electronics.audio.speaker", "Speakers", "音箱", "speaker", "音箱", {kAttrColor, kAttrConnect}, 149, 2999, A::kTech, 0, 0, 0.8),
      InnerNode("electronics.wearable", "Wearables", "智能穿戴"),
      LeafNode("electronics.wearable.smartwatch", "Smartwatches", "智能手表", "smartwatch", "手表", {kAttrColor, kAttrStrap}, 599, 4999, A::kTech, 0, 0, 1.0),
      LeafNode("electronics.wearable.band", "Fitness bands", "智能手环", "fitness band", "手环", {kAttrColor, kAttrStrap}, 149, 499, A::kTech, 0, 0, 0.8),
      LeafNode("electronics.camera", "Cameras", "相机", "camera", "相机", {kAttrColor}, 1999, 19999, A::kTech, -1, 0, 0.5),
      InnerNode("electronics.accessories", "Accessories", "数码配件"),
      LeafNode("electronics.accessories.power_bank", "Power banks", "充电宝", "power bank", "充电宝", {kAttrColor, kAttrBattery}, 59, 299, A::kSport, 0, 0, 1.2),
      LeafNode("electronics.accessories.charger", "Chargers", "充电器", "charger", "充电器", {kAttrColor, kAttrPower}, 39, 299, A::kSport, 0, 0, 1.2),
      LeafNode("electronics.accessories.phone_case", "Phone cases", "手机壳", "phone case", "手机壳", {kAttrColor}, 19, 129, A::kSport, 1, Y, 1.0),

      InnerNode("appliances", "Home appliances", "家用电器"),
      InnerNode("appliances.kitchen", "Kitchen appliances", "厨房电器"),
      LeafNode("appliances.kitchen.rice_cooker", "Rice cookers", "电饭煲", "rice cooker", "电饭煲", {kAttrColor, kAttrCapacity}, 199, 1999, A::kAppliance, 0, O, 1.0),
      LeafNode("appliances.kitchen.microwave", "Microwaves", "微波炉", "microwave", "微波炉", {kAttrColor}, 399, 2499, A::kAppliance, 0, O, 0.6),
      LeafNode("appliances.kitchen.coffee_machine", "Coffee machines", "咖啡机", "coffee machine", "咖啡机", {kAttrColor, kAttrCapacity}, 499, 8999, A::kAppliance, 0, 0, 0.6),
      LeafNode("appliances.kitchen.blender", "Blenders", "破壁机", "blender", "破壁机", {kAttrColor, kAttrCapacity}, 199, 1999, A::kAppliance, 1, O, 0.7),
      InnerNode("appliances.cleaning", "Cleaning appliances", "清洁电器"),
      LeafNode("appliances.cleaning.vacuum", "Vacuum cleaners", "吸尘器", "vacuum cleaner", "吸尘器", {kAttrColor}, 499, 4999, A::kAppliance, 0, 0, 0.8),
      LeafNode("appliances.cleaning.robot_vacuum", "Robot vacuums", "扫地机器人", "robot vacuum", "扫地机器人", {kAttrColor}, 1299, 5999, A::kAppliance, 0, 0, 0.9),
      InnerNode("appliances.personal_care", "Personal care appliances", "个护电器"),
      LeafNode("appliances.personal_care.hair_dryer", "Hair dryers", "吹风机", "hair dryer", "吹风机", {kAttrColor}, 99, 3599, A::kAppliance, 1, 0, 1.0),
      LeafNode("appliances.personal_care.shaver", "Shavers", "剃须刀", "shaver", "剃须刀", {kAttrColor}, 99, 2999, A::kAppliance, -2, 0, 0.9),
      LeafNode("appliances.personal_care.toothbrush", "Electric toothbrushes", "电动牙刷", "electric toothbrush", "电动牙刷", {kAttrColor}, 99, 999, A::kAppliance, 0, 0, 1.0),
      LeafNode("appliances.tv", "Televisions", "电视", "TV", "电视", {kAttrTvSize, kAttrResolution}, 1499, 19999, A::kAppliance, -1, O, 0.8),
      LeafNode("appliances.refrigerator", "Refrigerators", "冰箱", "refrigerator", "冰箱", {kAttrColor, kAttrFridgeCap}, 1999, 12999, A::kAppliance, 0, O, 0.6),
      LeafNode("appliances.washer", "Washing machines", "洗衣机", "washing machine", "洗衣机", {kAttrColor, kAttrWasherCap}, 1299, 7999, A::kAppliance, 0, O, 0.6),
      LeafNode("appliances.air_conditioner", "Air conditioners", "空调", "air conditioner", "空调", {kAttrColor}, 1999, 8999, A::kAppliance, 0, O, 0.6),

      InnerNode("apparel", "Apparel", "服装"),
      InnerNode("apparel.women", "Women's clothing", "女装"),
      LeafNode("apparel.women.dress", "Dresses", "连衣裙", "dress", "连衣裙", {kAttrColor, kAttrClothSize, kAttrFabric}, 99, 1299, A::kCloth, 2, 0, 1.5),
      LeafNode("apparel.women.blouse", "Blouses", "女士衬衫", "blouse", "衬衫", {kAttrColor, kAttrClothSize, kAttrFabric}, 79, 799, A::kCloth, 2, 0, 1.0),
      LeafNode("apparel.women.coat", "Women's coats", "女士外套", "coat", "外套", {kAttrColor, kAttrClothSize, kAttrFabric}, 199, 2999, A::kCloth, 2, 0, 1.0),
      InnerNode("apparel.men", "Men's clothing", "男装"),
      LeafNode("apparel.men.shirt", "Men's shirts", "男士衬衫", "shirt", "衬衫", {kAttrColor, kAttrClothSize, kAttrFabric}, 79, 899, A::kCloth, -2, 0, 0.9),
      LeafNode("apparel.men.jacket", "Men's jackets", "男士夹克", "jacket", "夹克", {kAttrColor, kAttrClothSize, kAttrFabric}, 199, 2499, A::kCloth, -2, 0, 0.9),
      LeafNode("apparel.men.jeans", "Jeans", "牛仔裤", "jeans", "牛仔裤", {kAttrColor, kAttrClothSize}, 99, 999, A::kCloth, -1, Y, 1.0),
      LeafNode("apparel.tshirt", "T-shirts", "T恤", "T-shirt", "T恤", {kAttrColor, kAttrClothSize, kAttrFabric}, 39, 399, A::kCloth, 0, Y, 1.5),
      InnerNode("apparel.shoes", "Shoes", "鞋靴"),
      LeafNode("apparel.shoes.sneakers", "Sneakers", "运动鞋", "sneakers", "运动鞋", {kAttrColor, kAttrShoeSize}, 199, 1599, A::kShoe, 0, Y, 2.0),
      LeafNode("apparel.shoes.boots", "Boots", "靴子", "boots", "靴子", {kAttrColor, kAttrShoeSize}, 199, 2499, A::kShoe, 1, 0, 0.8),
      LeafNode("apparel.shoes.heels", "High heels", "高跟鞋", "heels", "高跟鞋", {kAttrColor, kAttrShoeSize}, 199, 1999, A::kShoe, 2, 0, 0.8),
      InnerNode("apparel.bags", "Bags", "箱包"),
      LeafNode("apparel.bags.handbag", "Handbags", "手提包", "handbag", "包包", {kAttrColor}, 199, 9999, A::kCloth, 2, 0, 0.9),
      LeafNode("apparel.bags.backpack", "Backpacks", "双肩包", "backpack", "双肩包", {kAttrColor}, 99, 1299, A::kCloth, 0, Y, 0.9),

      InnerNode("beauty", "Beauty", "美妆"),
      InnerNode("beauty.skincare", "Skincare", "护肤"),
      LeafNode("beauty.skincare.cleanser", "Cleansers", "洁面", "cleanser", "洗面奶", {kAttrVolume, kAttrSkinType}, 49, 399, A::kBeauty, 1, 0, 1.2),
      LeafNode("beauty.skincare.moisturizer", "Moisturizers", "面霜", "moisturizer", "面霜", {kAttrVolume, kAttrSkinType}, 99, 1999, A::kBeauty, 2, 0, 1.2),
      LeafNode("beauty.skincare.serum", "Serums", "精华", "serum", "精华", {kAttrVolume, kAttrSkinType}, 199, 2999, A::kBeauty, 2, 0, 1.2),
      LeafNode("beauty.skincare.sunscreen", "Sunscreens", "防晒", "sunscreen", "防晒霜", {kAttrVolume}, 79, 399, A::kBeauty, 1, 0, 1.0),
      LeafNode("beauty.skincare.mask", "Face masks", "面膜", "face mask", "面膜", {kAttrSkinType}, 49, 499, A::kBeauty, 2, Y, 1.0),
      InnerNode("beauty.makeup", "Makeup", "彩妆"),
      LeafNode("beauty.makeup.lipstick", "Lipsticks", "口红", "lipstick", "口红", {kAttrShade}, 79, 499, A::kBeauty, 2, Y, 1.3),
      LeafNode("beauty.makeup.foundation", "Foundations", "粉底液", "foundation", "粉底液", {kAttrShade, kAttrVolume}, 99, 699, A::kBeauty, 2, 0, 0.9),
      LeafNode("beauty.makeup.eyeshadow", "Eyeshadows", "眼影", "eyeshadow palette", "眼影盘", {kAttrShade}, 69, 599, A::kBeauty, 2, Y, 0.8),
      LeafNode("beauty.fragrance", "Fragrances", "香水", "fragrance", "香水", {kAttrVolume}, 199, 1999, A::kBeauty, 1, 0, 0.8),

      InnerNode("food", "Food", "食品"),
      InnerNode("food.snacks", "Snacks", "零食"),
      LeafNode("food.snacks.chips", "Chips", "薯片", "chips", "薯片", {kAttrFlavor, kAttrWeight}, 5, 59, A::kFood, 0, Y, 1.3),
      LeafNode("food.snacks.nuts", "Nuts", "坚果", "nuts", "坚果", {kAttrFlavor, kAttrWeight}, 19, 199, A::kFood, 0, 0, 1.3),
      LeafNode("food.snacks.chocolate", "Chocolate", "巧克力", "chocolate", "巧克力", {kAttrSweetFlavor, kAttrWeight}, 15, 299, A::kFood, 1, 0, 1.0),
      LeafNode("food.snacks.cookies", "Cookies", "饼干", "cookies", "饼干", {kAttrSweetFlavor, kAttrWeight}, 9, 99, A::kFood, 0, Y, 1.0),
      InnerNode("food.drinks", "Drinks", "饮品"),
      LeafNode("food.drinks.tea", "Tea", "茶叶", "tea", "茶叶", {kAttrTeaType, kAttrWeight}, 39, 999, A::kFood, 0, O, 0.9),
      LeafNode("food.drinks.coffee", "Coffee", "咖啡", "coffee", "咖啡", {kAttrCoffeeType, kAttrWeight}, 29, 299, A::kFood, 0, 0, 1.0),
      LeafNode("food.drinks.milk", "Milk", "牛奶", "milk", "牛奶", {kAttrSweetFlavor}, 39, 129, A::kFood, 0, 0, 1.2),
      InnerNode("food.grocery", "Grain and oil", "粮油"),
      LeafNode("food.grocery.rice", "Rice", "大米", "rice", "大米", {kAttrBulkWeight}, 29, 199, A::kFood, 0, O, 0.8),
      LeafNode("food.grocery.cooking_oil", "Cooking oil", "食用油", "cooking oil", "食用油", {kAttrCapacity}, 39, 199, A::kFood, 0, O, 0.7),

      InnerNode("home", "Home", "家居"),
      InnerNode("home.furniture", "Furniture", "家具"),
      LeafNode("home.furniture.sofa", "Sofas", "沙发", "sofa", "沙发", {kAttrColor, kAttrHomeMaterial}, 999, 14999, A::kHome, 0, O, 0.6),
      LeafNode("home.furniture.bed", "Beds", "床", "bed", "床", {kAttrHomeMaterial}, 999, 9999, A::kHome, 0, 0, 0.5),
      LeafNode("home.furniture.desk", "Desks", "书桌", "desk", "书桌", {kAttrColor, kAttrHomeMaterial}, 299, 2999, A::kHome, 0, 0, 0.7),
      InnerNode("home.kitchenware", "Kitchenware", "厨具"),
      LeafNode("home.kitchenware.cookware", "Cookware", "锅具", "pan", "锅", {kAttrHomeMaterial}, 79, 1999, A::kHome, 0, O, 0.9),
      LeafNode("home.kitchenware.tableware", "Tableware", "餐具", "tableware set", "餐具", {kAttrColor, kAttrHomeMaterial}, 29, 599, A::kHome, 1, 0, 0.8),
      InnerNode("home.textile", "Home textiles", "家纺"),
      LeafNode("home.textile.bedding", "Bedding", "床上用品", "bedding set", "四件套", {kAttrColor, kAttrFabric}, 199, 1999, A::kHome, 1, 0, 0.9),
      LeafNode("home.textile.towel", "Towels", "毛巾", "towel", "毛巾", {kAttrColor, kAttrFabric}, 19, 129, A::kHome, 1, 0, 0.8),
      LeafNode("home.storage", "Storage", "收纳", "storage box", "收纳箱", {kAttrColor, kAttrHomeMaterial}, 19, 299, A::kHome, 1, 0, 0.8),

      InnerNode("baby", "Mother and baby", "母婴"),
      LeafNode("baby.formula", "Infant formula", "奶粉", "infant formula", "奶粉", {kAttrAgeRange}, 199, 599, A::kBaby, 1, P, 1.0),
      LeafNode("baby.diapers", "Diapers", "纸尿裤", "diapers", "纸尿裤", {kAttrKidsSize}, 59, 199, A::kBaby, 1, P, 1.0),
      LeafNode("baby.toys", "Toys", "玩具", "toy", "玩具", {kAttrAgeRange}, 29, 1299, A::kBaby, 0, P, 1.0),
      LeafNode("baby.stroller", "Strollers", "婴儿车", "stroller", "婴儿车", {kAttrColor}, 399, 4999, A::kBaby, 1, P, 0.6),
      LeafNode("baby.clothing", "Kids' clothing", "童装", "kids' outfit", "童装", {kAttrColor, kAttrKidsSize, kAttrFabric}, 49, 499, A::kBaby, 1, P, 0.9),
      LeafNode("baby.feeding", "Feeding", "喂养用品", "baby bottle", "奶瓶", {kAttrVolume, kAttrHomeMaterial}, 39, 299, A::kBaby, 1, P, 0.7),

      InnerNode("sports", "Sports and outdoors", "运动户外"),
      InnerNode("sports.fitness", "Fitness", "健身"),
      LeafNode("sports.fitness.yoga_mat", "Yoga mats", "瑜伽垫", "yoga mat", "瑜伽垫", {kAttrColor, kAttrThickness}, 49, 799, A::kSport, 1, 0, 0.8),
      LeafNode("sports.fitness.dumbbell", "Dumbbells", "哑铃", "dumbbells", "哑铃", {kAttrGymWeight}, 59, 999, A::kSport, -2, 0, 0.6),
      InnerNode("sports.outdoor", "Outdoor", "户外"),
      LeafNode("sports.outdoor.tent", "Tents", "帐篷", "tent", "帐篷", {kAttrColor, kAttrPersons}, 199, 3999, A::kSport, -1, 0, 0.6),
      LeafNode("sports.outdoor.jacket", "Outdoor jackets", "冲锋衣", "outdoor jacket", "冲锋衣", {kAttrColor, kAttrClothSize}, 299, 4999, A::kSport, -1, 0, 0.7),
      LeafNode("sports.bicycle", "Bicycles", "自行车", "bicycle", "自行车", {kAttrColor, kAttrWheel}, 699, 19999, A::kSport, -1, 0, 0.5),
      LeafNode("sports.sportswear", "Sportswear", "运动服", "sportswear", "运动服", {kAttrColor, kAttrClothSize, kAttrFabric}, 99, 999, A::kSport, 0, Y, 1.0),
      InnerNode("sports.ball", "Ball sports", "球类"),
      LeafNode("sports.ball.basketball", "Basketballs", "篮球", "basketball", "篮球", {kAttrBallSize}, 99, 599, A::kSport, -2, Y, 0.6),
      LeafNode("sports.ball.badminton", "Badminton rackets", "羽毛球拍", "badminton racket", "羽毛球拍", {kAttrColor}, 99, 1599, A::kSport, 0, 0, 0.6),
  };
  return kTable;
}

}  // namespace kgp::generator_internal
