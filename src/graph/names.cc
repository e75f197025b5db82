#include "graph/names.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "common/strings.h"

namespace kgp {
namespace {

// "apple" → "Apple"; short keys read as acronyms ("hp" → "HP").
std::string DisplayKey(std::string_view key) {
  std::string out(key);
  if (out.size() <= 3) {
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  } else if (!out.empty()) {
    out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  }
  return out;
}

using Pair = TraitPair;

// The generator's cities (ingest/generator_brands.cc) and other large Chinese cities.
constexpr Pair kCities[] = {
    {"北京", "Beijing"},     {"上海", "Shanghai"},   {"广州", "Guangzhou"},  {"深圳", "Shenzhen"},
    {"成都", "Chengdu"},     {"杭州", "Hangzhou"},   {"重庆", "Chongqing"},  {"武汉", "Wuhan"},
    {"西安", "Xi'an"},       {"南京", "Nanjing"},    {"天津", "Tianjin"},    {"苏州", "Suzhou"},
    {"长沙", "Changsha"},    {"郑州", "Zhengzhou"},  {"青岛", "Qingdao"},    {"沈阳", "Shenyang"},
    {"宁波", "Ningbo"},      {"东莞", "Dongguan"},   {"佛山", "Foshan"},     {"合肥", "Hefei"},
    {"昆明", "Kunming"},     {"厦门", "Xiamen"},     {"福州", "Fuzhou"},     {"济南", "Jinan"},
    {"大连", "Dalian"},      {"哈尔滨", "Harbin"},   {"南宁", "Nanning"},    {"贵阳", "Guiyang"},
    {"石家庄", "Shijiazhuang"}, {"兰州", "Lanzhou"}, {"无锡", "Wuxi"},       {"温州", "Wenzhou"},
    {"南昌", "Nanchang"},    {"太原", "Taiyuan"},    {"长春", "Changchun"},  {"常州", "Changzhou"},
    {"徐州", "Xuzhou"},      {"烟台", "Yantai"},     {"泉州", "Quanzhou"},   {"珠海", "Zhuhai"},
    {"惠州", "Huizhou"},     {"中山", "Zhongshan"},  {"绍兴", "Shaoxing"},   {"嘉兴", "Jiaxing"},
    {"金华", "Jinhua"},      {"台州", "Taizhou"},    {"潍坊", "Weifang"},    {"洛阳", "Luoyang"},
    {"唐山", "Tangshan"},    {"呼和浩特", "Hohhot"}, {"乌鲁木齐", "Urumqi"}, {"海口", "Haikou"},
    {"三亚", "Sanya"},       {"拉萨", "Lhasa"},      {"西宁", "Xining"},     {"银川", "Yinchuan"},
    {"香港", "Hong Kong"},   {"澳门", "Macau"},      {"台北", "Taipei"},
};

// The generator's occupations, MovieLens' (ml-100k u.occupation) and other common ones. Each
// Chinese name reads after 职业为 ("职业为退休人员"); the first pair of a Chinese name is its
// English translation.
constexpr Pair kOccupations[] = {
    {"学生", "student"},          {"工程师", "engineer"},       {"程序员", "programmer"},
    {"教师", "teacher"},          {"医生", "doctor"},           {"护士", "nurse"},
    {"设计师", "designer"},       {"会计", "accountant"},       {"销售", "salesperson"},
    {"经理", "manager"},          {"自由职业者", "freelancer"}, {"律师", "lawyer"},
    {"厨师", "chef"},             {"司机", "driver"},           {"研究员", "researcher"},
    {"市场营销人员", "marketer"}, {"职员", "clerk"},            {"创业者", "entrepreneur"},
    {"艺术家", "artist"},         {"退休人员", "retired"},      {"全职家长", "homemaker"},
    {"行政人员", "administrator"}, {"教育工作者", "educator"},  {"娱乐行业从业者", "entertainment"},
    {"企业高管", "executive"},    {"医疗从业者", "healthcare"}, {"图书管理员", "librarian"},
    {"市场营销人员", "marketing"}, {"销售", "salesman"},        {"科学家", "scientist"},
    {"技术员", "technician"},     {"作家", "writer"},           {"待业人员", "unemployed"},
    {"公务员", "civil servant"},  {"农民", "farmer"},           {"工人", "worker"},
    {"军人", "soldier"},          {"警察", "police officer"},   {"药剂师", "pharmacist"},
    {"建筑师", "architect"},      {"记者", "journalist"},       {"摄影师", "photographer"},
    {"顾问", "consultant"},       {"分析师", "analyst"},        {"个体经营者", "self-employed"},
    {"企业主", "business owner"}, {"演员", "actor"},            {"音乐人", "musician"},
};

// Common shop category words (the last part of category codes such as REES46's
// "appliances.kitchen.refrigerators", or the last two where the last alone is ambiguous:
// "camera.video"), for categories that come without a Chinese name: a Chinese text then reads
// 冰箱, not "refrigerators". Keys are lower case, underscores as spaces.
constexpr Pair kCategoryWords[] = {
    {"电子产品", "electronics"}, {"家用电器", "appliances"}, {"电脑", "computers"}, {"家具", "furniture"},
    {"建材工具", "construction"}, {"服饰", "apparel"}, {"配饰", "accessories"}, {"母婴儿童", "kids"},
    {"运动户外", "sport"}, {"汽车用品", "auto"}, {"庭院园艺", "country yard"}, {"医疗保健", "medicine"},
    {"文具", "stationery"}, {"厨房", "kitchen"}, {"环境电器", "environment"}, {"个人护理", "personal"},
    {"智能手机", "smartphone"}, {"电话机", "telephone"}, {"耳机", "headphone"}, {"音频", "audio"},
    {"低音炮", "subwoofer"}, {"音箱", "acoustic"}, {"麦克风", "microphone"}, {"钟表", "clocks"},
    {"影音设备", "video"}, {"电视", "tv"}, {"投影仪", "projector"}, {"相机", "camera"},
    {"摄像机", "camera.video"}, {"照相机", "camera.photo"}, {"平板电脑", "tablet"},
    {"笔记本电脑", "notebook"}, {"台式电脑", "desktop"}, {"外设", "peripherals"}, {"显示器", "monitor"},
    {"打印机", "printer"}, {"键盘", "keyboard"}, {"鼠标", "mouse"}, {"电脑配件", "components"},
    {"显卡", "videocards"}, {"处理器", "cpu"}, {"主板", "motherboard"}, {"内存", "memory"}, {"硬盘", "hdd"},
    {"电源", "power supply"}, {"散热器", "cooler"}, {"电子书阅读器", "ebooks"}, {"游戏机", "console"},
    {"洗衣机", "washer"}, {"冰箱", "refrigerators"}, {"冰箱", "refrigerator"}, {"微波炉", "microwave"},
    {"搅拌机", "blender"}, {"绞肉机", "meat grinder"}, {"打蛋器", "mixer"}, {"榨汁机", "juicer"},
    {"咖啡机", "coffee machine"}, {"咖啡研磨机", "coffee grinder"}, {"烤面包机", "toster"},
    {"烤面包机", "toaster"}, {"电水壶", "kettle"}, {"烤箱", "oven"}, {"灶具", "hob"}, {"油烟机", "hood"},
    {"洗碗机", "dishwasher"}, {"烤炉", "grill"}, {"蒸锅", "steam cooker"}, {"炸锅", "fryer"},
    {"多功能锅", "multicooker"}, {"热水器", "water heater"}, {"取暖器", "air heater"}, {"吸尘器", "vacuum"},
    {"空调", "air conditioner"}, {"风扇", "fan"}, {"加湿器", "air humidifier"}, {"空气净化器", "air purifier"},
    {"理发器", "hair cutter"}, {"吹风机", "hair dryer"}, {"剃须刀", "shaver"}, {"按摩器", "massager"},
    {"体重秤", "scales"}, {"电熨斗", "iron"}, {"缝纫机", "sewing machine"}, {"客厅", "living room"},
    {"卧室", "bedroom"}, {"浴室", "bathroom"}, {"沙发", "sofa"}, {"椅子", "chair"}, {"柜子", "cabinet"},
    {"置物架", "shelving"}, {"桌子", "table"}, {"床", "bed"}, {"毯子", "blanket"}, {"枕头", "pillow"},
    {"马桶", "toilet"}, {"浴缸", "bath"}, {"灯具", "light"}, {"工具", "tools"}, {"电钻", "drill"},
    {"锯", "saw"}, {"焊接设备", "welding"}, {"水泵", "pump"}, {"发电机", "generator"}, {"压缩机", "compressor"},
    {"鞋", "shoes"}, {"帆布鞋", "keds"}, {"懒人鞋", "slipons"}, {"凉鞋", "sandals"}, {"靴子", "boots"},
    {"运动鞋", "trainers"}, {"服装", "costume"}, {"连衣裙", "dress"}, {"牛仔裤", "jeans"}, {"衬衫", "shirt"},
    {"袜子", "sock"}, {"T恤", "tshirt"}, {"裤子", "trousers"}, {"裙子", "skirt"}, {"夹克", "jacket"},
    {"内衣", "underwear"}, {"腰带", "belt"}, {"手套", "glove"}, {"围巾", "scarf"}, {"包", "bag"},
    {"钱包", "wallet"}, {"雨伞", "umbrella"}, {"玩具", "toys"}, {"婴儿车", "carriage"}, {"溜冰鞋", "skates"},
    {"秋千", "swing"}, {"纸尿裤", "diapers"}, {"玩偶", "dolls"}, {"自行车", "bicycle"}, {"健身器材", "trainer"},
    {"滑雪板", "ski"}, {"单板滑雪", "snowboard"}, {"网球", "tennis"}, {"播放器", "player"},
    {"行车记录仪", "videoregister"}, {"报警器", "alarm"}, {"雷达", "radar"}, {"割草机", "lawn mower"},
    {"血压计", "tonometer"}, {"墨盒", "cartrige"}, {"快消品", "fmcg"},
};

template <size_t N>
std::string Translate(const Pair (&table)[N], std::string_view value, std::string_view lang) {
  const std::string low = ToLowerAscii(Trim(value));
  for (const Pair& p : table)
    if (low == p.zh || low == ToLowerAscii(p.en)) return lang == "en" ? p.en : p.zh;
  return "";
}

}  // namespace

std::span<const TraitPair> TraitTable(NodeType t) {
  if (t == NodeType::kCity) return kCities;
  if (t == NodeType::kOccupation) return kOccupations;
  return {};
}

std::string TraitName(NodeType t, std::string_view value, std::string_view lang) {
  if (t == NodeType::kCity) return Translate(kCities, value, lang);
  if (t == NodeType::kOccupation) return Translate(kOccupations, value, lang);
  return "";
}

std::string HumanizeName(std::string_view name) {
  bool underscore = false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '_') underscore = true;
    else if (!(std::islower(u) || std::isdigit(u))) return std::string(name);
  }
  std::string out(name);
  if (underscore)
    for (char& c : out)
      if (c == '_') c = ' ';
  return out;
}

std::string TraitNameIn(NodeType t, std::string_view value, std::string_view lang) {
  value = Trim(value);
  // A value that looks like an address or a code (a digit, '@' or '#', or longer than a city or
  // an occupation is) is never stated.
  const size_t max_bytes = t == NodeType::kCity ? 15 : 24;
  if (value.size() > max_bytes || value.find_first_of("0123456789@#") != std::string_view::npos) return "";
  if (std::string known = TraitName(t, value, lang); !known.empty()) return known;
  const bool ascii = std::all_of(value.begin(), value.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  return !value.empty() && ascii == (lang == "en") ? std::string(value) : "";
}

std::string OccupationPhrase(std::string_view en) {
  const std::string o = ToLowerAscii(Trim(en));
  if (o.empty() || o == "none" || o == "other") return "";
  for (const char* state : {"retired", "unemployed", "self-employed"})
    if (o == state) return "is " + o;
  for (const char* field : {"entertainment", "healthcare", "marketing"})
    if (o == field) return "works in " + o;
  const bool vowel = std::string_view("aeiou").find(o[0]) != std::string_view::npos;
  return fmt::format("is {} {}", vowel ? "an" : "a", Trim(en));
}

bool IsPlaceholderCategory(std::string_view s) { return StartsWith(s, "id:"); }

Result<NodeNames> NodeNames::Load(Db& db, const Graph& g) {
  NodeNames nn;
  nn.g_ = &g;
  const size_t n = g.num_nodes();
  nn.zh_.assign(n, "");
  nn.en_.assign(n, "");
  nn.unnamed_.assign(n, false);
  nn.glossed_.assign(n, false);
  {
    Stmt st = db.Prepare("SELECT code, coalesce(name_en, ''), coalesce(name_zh, '') FROM categories");
    while (st.Step()) {
      auto node = g.Find(NodeType::kCategory, st.Text(0));
      if (!node) continue;
      nn.en_[*node] = HumanizeName(st.Text(1));
      nn.zh_[*node] = std::string(st.Text(2));
      if (nn.zh_[*node].empty()) {
        const std::string_view code = st.Text(0);
        const size_t last = code.rfind('.');
        const size_t prev = last == std::string_view::npos || last == 0 ? std::string_view::npos : code.rfind('.', last - 1);
        std::string two(prev == std::string_view::npos ? code : code.substr(prev + 1));
        std::string zh = two.find('.') != std::string::npos ? Translate(kCategoryWords, two, "zh") : "";
        if (zh.empty()) zh = Translate(kCategoryWords, nn.en_[*node], "zh");
        nn.glossed_[*node] = !zh.empty();
        nn.zh_[*node] = std::move(zh);
      }
      nn.unnamed_[*node] = IsPlaceholderCategory(st.Text(0));
    }
  }
  {
    Stmt st = db.Prepare("SELECT key, coalesce(name, ''), coalesce(name_zh, '') FROM brands");
    while (st.Step()) {
      auto node = g.Find(NodeType::kBrand, st.Text(0));
      if (!node) continue;
      std::string name(st.Text(1));
      nn.en_[*node] = name.empty() || name == st.Text(0) ? DisplayKey(st.Text(0)) : name;
      nn.zh_[*node] = std::string(st.Text(2));
    }
  }
  {
    Stmt st = db.Prepare("SELECT ext_id, coalesce(title, '') FROM items");
    while (st.Step()) {
      auto node = g.Find(NodeType::kProduct, st.Text(0));
      if (!node) continue;
      nn.en_[*node] = nn.zh_[*node] = std::string(st.Text(1));
      nn.unnamed_[*node] = st.Text(1).empty();
    }
  }
  for (NodeId v = 0; v < n; ++v) {
    const NodeType t = g.type(v);
    if (t != NodeType::kCity && t != NodeType::kOccupation) continue;
    nn.zh_[v] = TraitName(t, g.key(v), "zh");
    nn.en_[v] = TraitName(t, g.key(v), "en");
  }
  return nn;
}

std::string NodeNames::Name(NodeId n, std::string_view lang) const {
  if (n >= zh_.size()) return "";
  const std::string& a = lang == "en" ? en_[n] : zh_[n];
  const std::string& b = lang == "en" ? zh_[n] : en_[n];
  if (!a.empty()) return a;
  if (!b.empty()) return b;
  return std::string(g_->label(n).empty() ? g_->key(n) : g_->label(n));
}

bool NodeNames::HasName(NodeId n) const { return n < unnamed_.size() && !unnamed_[n]; }

bool NodeNames::Glossed(NodeId n) const { return n < glossed_.size() && glossed_[n]; }

}  // namespace kgp
