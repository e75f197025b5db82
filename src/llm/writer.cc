#include "llm/writer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include <fmt/format.h>

#include "common/hash.h"
#include "common/pii.h"
#include "common/time.h"
#include "common/progress.h"
#include "common/strings.h"
#include "ingest/record.h"
#include "llm/currency.h"
#include "llm/prompts.h"
#include "recommend/explain.h"

namespace kgp::llm {
namespace {

constexpr NodeId kNone = UINT32_MAX;

std::string Round2(double x) { return fmt::format("{:.2f}", x); }

// A product fact: its title when it has one (an untitled product is known by its brand and
// category), brand, deepest category unless it is a placeholder ("id:…"), price; with a price
// paid (a purchase event's own price), that price as `paid` instead of the current one.
void AddProduct(const Lexicon& lx, Fact f, NodeId prod, FactSheet& s, double paid = NAN) {
  const NodeNames& names = lx.names();
  if (names.HasName(prod)) f.Set("product", lx.Name(prod, "zh"));
  const NodeId brand = lx.BrandOf(prod), cat = lx.CategoryOf(prod);
  if (brand != kNone) f.Set("brand_zh", lx.Name(brand, "zh")).Set("brand_en", lx.Name(brand, "en"));
  if (cat != kNone && names.HasName(cat)) f.Set("category_zh", lx.Name(cat, "zh")).Set("category_en", lx.Name(cat, "en"));
  if (!std::isnan(paid)) {
    f.Set("paid", FormatPrice(paid));
    s.AllowPaid(prod, paid);
  } else if (!std::isnan(lx.Price(prod))) {
    f.Set("price", FormatPrice(lx.Price(prod)));
    s.AllowPrice(lx.Price(prod));
  }
  s.facts.push_back(std::move(f));
  s.Allow(lx, prod);
}

}  // namespace

const char* TaskName(Task t) {
  switch (t) {
    case Task::kSummary: return "summary";
    case Task::kCopy: return "copy";
    case Task::kExplain: return "explain";
    case Task::kReason: return "reason";
  }
  return "?";
}

std::optional<Task> ParseTask(std::string_view s) {
  for (Task t : {Task::kSummary, Task::kCopy, Task::kExplain, Task::kReason})
    if (s == TaskName(t)) return t;
  return std::nullopt;
}

nlohmann::json GeneratedText::ToJson(const Graph& g) const {
  nlohmann::json j = {{"task", TaskName(task)},   {"lang", lang},
                      {"backend", backend},       {"model", model},
                      {"prompt_version", prompt_version}, {"input_hash", input_hash},
                      {"text", text},             {"raw", raw},
                      {"faithfulness", faithfulness}, {"first_faithfulness", first_faithfulness},
                      {"claims", claims},         {"unsupported", unsupported},
                      {"attempts", attempts},     {"cached", cached},
                      {"facts", facts.ToJson()}};
  if (!cached) j["check"] = check.ToJson(g);
  return j;
}

nlohmann::json FaithfulnessReport::ToJson() const {
  const auto measured = [&](double v) { return texts ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"backend", backend},           {"model", model},         {"texts", texts},
          {"claims", claims},             {"supported", supported}, {"claim_faithfulness", measured(claim_rate())},
          {"mean_first_attempt", measured(mean_first)}, {"mean_final", measured(mean_final)}, {"regenerated", regenerated},
          {"sentences_removed", sentences_removed}, {"without_claims", without_claims}, {"empty", empty},
          {"errors", errors}, {"failures", failures}, {"not_tried", not_tried}};
}

Result<std::unique_ptr<Session>> Session::Open(Workspace& ws, const GraphLoadOptions& graph) {
  std::unique_ptr<Session> s(new Session(ws));
  const std::string currency = ws.Setting("currency", "CNY");
  const Currency* cur = FindCurrency(currency);
  if (!cur)
    return Status::InvalidArgument(fmt::format("{}/kgprofile.conf: currency = '{}' is not one this version writes ({})",
                                               ws.dir(), currency, CurrencyCodes()));
  s->currency_ = cur->code;
  auto rc = rec::LoadRecCatalog(ws, graph);
  if (!rc.ok()) return rc.status();
  s->rec_ = std::move(rc).value();
  auto lx = Lexicon::Load(ws.db(), s->rec_->catalog->names());
  if (!lx.ok()) return lx.status();
  s->lexicon_ = std::make_unique<Lexicon>(std::move(lx).value());
  s->checker_ = std::make_unique<ClaimChecker>(*s->lexicon_);
  s->cache_ = std::make_unique<TextCache>(ws.db());
  auto key = ws.PseudonymKey();
  if (!key.ok()) return key.status();
  s->secret_ = *key;
  if (s->secret_.empty()) {
    Stmt get = ws.db().Prepare("SELECT value FROM meta WHERE key = 'llm_alias_salt'");
    if (get.Step()) {
      s->secret_ = std::string(get.Text(0));
    } else {
      std::random_device rd;
      std::string salt;
      for (int i = 0; i < 16; ++i) salt.push_back(static_cast<char>(rd() & 0xFF));
      s->secret_ = HexEncode(salt);
      ws.db().Prepare("INSERT INTO meta(key, value) VALUES('llm_alias_salt', ?)").Bind(1, s->secret_).Run();
    }
  }
  return s;
}

std::string LastPaidPriceSql() {
  // The type is in the SQL, not bound, so that SQLite can use the purchases' partial index.
  return fmt::format(
      "SELECT price FROM events WHERE user_id = ?1 AND item_id = ?2 AND type = {} AND price IS NOT NULL "
      "ORDER BY ts DESC, key DESC LIMIT 1",
      static_cast<int>(EventType::kPurchase));
}

Result<rec::RecContext*> Session::Recommender() {
  // A failure is kept: a batch (refresh, faithfulness) says it once per user, not rebuilds.
  if (!engine_status_.ok()) return engine_status_;
  if (!rec_->engine) {
    engine_status_ = rec::LoadRecEngine(ws_, *rec_, engine_opts_);
    KGP_RETURN_IF_ERROR(engine_status_);
  }
  return rec_.get();
}

std::string Session::Alias(const std::string& ext_id) { return "u_" + HexEncode(HmacSha256(secret_, ext_id)).substr(0, 10); }

std::vector<std::string> Session::PiiValues(const Profile& p) {
  std::vector<std::string> v = {p.ext_id, "user:" + p.ext_id};
  Stmt st = ws_.db().Prepare("SELECT coalesce(zip, '') FROM users WHERE id = ?");
  st.Bind(1, static_cast<int64_t>(p.user));
  if (st.Step() && st.Text(0).size() >= 3) v.emplace_back(st.Text(0));
  // Contact fields a store_pii workspace keeps (docs/privacy.md): never in a prompt either.
  Stmt pii = ws_.db().Prepare("SELECT value FROM user_pii WHERE user_id = ?");
  pii.Bind(1, static_cast<int64_t>(p.user));
  while (pii.Step()) v.emplace_back(pii.Text(0));
  return v;
}

std::map<std::string, double> Session::TagVector(const Profile& p) const {
  std::map<std::string, double> out;
  const Graph& g = graph();
  size_t n = 0;
  for (const Interest& i : p.interests[static_cast<int>(TagKind::kCategory)])
    if (rec_->profile.items->IsLeafCategory(i.tag) && n++ < 10) out[g.Spec(i.tag)] = i.weight;
  n = 0;
  for (const Interest& i : p.interests[static_cast<int>(TagKind::kBrand)])
    if (n++ < 10) out[g.Spec(i.tag)] = i.weight;
  return out;
}

Result<Profile> Session::LoadUserProfile(const std::string& user_ext) { return LoadProfile(ws_, rec_->profile, user_ext); }
Result<std::vector<Profile>> Session::LoadAllProfiles() { return LoadProfiles(ws_, rec_->profile); }

void Session::AddUserFacts(const Profile& p, FactSheet& s, const std::string& lang, const WriterOptions& opts) const {
  const Lexicon& lx = *lexicon_;
  Fact user;
  user.kind = "user";
  user.Set("alias", s.alias);
  if (p.gender == "F" || p.gender == "M") user.Set("gender", p.gender == "F" ? "female" : "male");
  if (!p.age_group.empty()) user.Set("age_group", p.age_group);
  // Coarse demographics only: a "city" that looks like an address (digits, long) stays out
  // (TraitNameIn, the filter the explanations' cohort sentences use too). City, occupation and
  // segment in the text's language; one that cannot be written in it is left out.
  const std::string city = TraitNameIn(NodeType::kCity, p.city, lang);
  const std::string occupation = TraitNameIn(NodeType::kOccupation, p.occupation, lang);
  const std::string segment = SegmentName(p.rfm_segment, lang);
  if (!city.empty()) user.Set("city", city);
  if (!occupation.empty() && !OccupationPhrase(p.occupation).empty()) user.Set("occupation", occupation);
  if (!p.lifecycle.empty()) user.Set("lifecycle", p.lifecycle);
  if (!segment.empty()) user.Set("segment", segment);
  user.Set("purchases", std::to_string(p.purchases));
  s.facts.push_back(user);
  size_t n = 0;
  for (const Interest& i : p.interests[static_cast<int>(TagKind::kCategory)]) {
    // Categories known only by a source id ("id:…") name nothing a reader knows: never a fact.
    if (!rec_->profile.items->IsLeafCategory(i.tag) || !lx.names().HasName(i.tag) || n++ >= opts.categories) continue;
    s.facts.push_back(Fact{"category", {}}.Set("zh", lx.Name(i.tag, "zh")).Set("en", lx.Name(i.tag, "en")).Set("weight", Round2(i.weight)));
    s.Allow(lx, i.tag);
  }
  n = 0;
  for (const Interest& i : p.interests[static_cast<int>(TagKind::kBrand)]) {
    if (n++ >= opts.brands) break;
    s.facts.push_back(Fact{"brand", {}}.Set("zh", lx.Name(i.tag, "zh")).Set("en", lx.Name(i.tag, "en")).Set("weight", Round2(i.weight)));
    s.Allow(lx, i.tag);
  }
  if (!p.price_level.empty()) {
    Fact f{"price", {}};
    f.Set("level", p.price_level);
    if (!std::isnan(p.price_sensitivity)) f.Set("sensitivity", Round2(p.price_sensitivity));
    if (!std::isnan(p.discount_response)) f.Set("discount_response", Round2(p.discount_response));
    s.facts.push_back(f);
  }
  // Latest purchases, from the graph's PURCHASED edges.
  const Graph& g = graph();
  const NodeId un = rec_->catalog->UserNode(p.user);
  if (un == kNone) return;
  std::vector<std::pair<int64_t, NodeId>> bought;
  for (const Adjacent& a : g.Neighbors(un))
    if (a.outgoing && a.type == edge::kPurchased && g.type(a.other) == NodeType::kProduct)
      bought.emplace_back(g.edge(a.edge).last_ts, a.other);
  std::sort(bought.begin(), bought.end(), std::greater<>());
  // What the user paid at their latest purchase of the product (the event's price; the
  // catalogue's is today's and often another).
  Stmt paid_st = ws_.db().Prepare(LastPaidPriceSql());
  for (size_t i = 0; i < bought.size() && i < opts.purchases; ++i) {
    double paid = NAN;
    if (const auto item = rec_->catalog->ItemOfNode(bought[i].second)) {
      paid_st.Reset();
      paid_st.Bind(1, static_cast<int64_t>(p.user)).Bind(2, static_cast<int64_t>(*item));
      if (paid_st.Step() && std::isfinite(paid_st.Double(0)) && paid_st.Double(0) >= 0) paid = paid_st.Double(0);
    }
    AddProduct(lx, Fact{"purchase", {}}, bought[i].second, s, paid);
  }
}

FactSheet Session::ReasonFacts(const PreferenceInput& in, const std::string& lang) const {
  (void)lang;
  const Lexicon& lx = *lexicon_;
  FactSheet s;
  s.alias = in.alias;
  s.currency = currency_;
  s.facts.push_back(Fact{"user", {}}.Set("alias", in.alias));
  for (const auto& [n, w] : in.categories) {
    if (!lx.names().HasName(n)) continue;  // "id:…"
    s.facts.push_back(Fact{"category", {}}.Set("zh", lx.Name(n, "zh")).Set("en", lx.Name(n, "en")).Set("weight", Round2(w)));
    s.Allow(lx, n);
  }
  for (const auto& [n, w] : in.brands) {
    s.facts.push_back(Fact{"brand", {}}.Set("zh", lx.Name(n, "zh")).Set("en", lx.Name(n, "en")).Set("weight", Round2(w)));
    s.Allow(lx, n);
  }
  for (NodeId prod : in.purchases) AddProduct(lx, Fact{"purchase", {}}, prod, s);
  for (size_t i = 0; i < in.candidates.size(); ++i) AddProduct(lx, Fact{"candidate", {}}.Set("n", std::to_string(i + 1)), in.candidates[i], s);
  return s;
}

Result<FactSheet> Session::Facts(Task t, const Profile& p, const std::string& lang, int64_t item, const WriterOptions& opts) {
  const Lexicon& lx = *lexicon_;
  const Graph& g = graph();
  if (t == Task::kReason) {
    PreferenceInput in;
    in.alias = Alias(p.ext_id);
    for (const Interest& i : p.interests[static_cast<int>(TagKind::kCategory)])
      if (rec_->profile.items->IsLeafCategory(i.tag) && lx.names().HasName(i.tag) && in.categories.size() < opts.categories)
        in.categories.emplace_back(i.tag, i.weight);
    for (const Interest& i : p.interests[static_cast<int>(TagKind::kBrand)])
      if (in.brands.size() < opts.brands) in.brands.emplace_back(i.tag, i.weight);
    auto rc = Recommender();
    if (!rc.ok()) return rc.status();
    for (const auto& r : (*rc)->engine->Recommend(p.user, opts.candidates)) in.candidates.push_back(rec_->catalog->ItemNode(r.item));
    in.candidates.erase(std::remove(in.candidates.begin(), in.candidates.end(), kNone), in.candidates.end());
    return ReasonFacts(in, lang);
  }
  FactSheet s;
  s.alias = Alias(p.ext_id);
  s.currency = currency_;
  AddUserFacts(p, s, lang, opts);
  if (t == Task::kCopy) {
    // The coupon is decided here, from the profile; the model only words it.
    const auto& cats = p.interests[static_cast<int>(TagKind::kCategory)];
    const auto& brands = p.interests[static_cast<int>(TagKind::kBrand)];
    NodeId target = kNone;
    std::string kind, basis;
    if (!brands.empty() && !std::isnan(p.brand_top_share) && p.brand_top_share >= 0.5) {
      target = brands[0].tag, kind = "brand", basis = fmt::format("brand loyalty {:.2f}", p.brand_top_share);
    } else {
      for (const Interest& i : cats)
        if (rec_->profile.items->IsLeafCategory(i.tag) && lx.names().HasName(i.tag)) {
          target = i.tag, kind = "category", basis = fmt::format("top category, weight {:.2f}", i.weight);
          break;
        }
      if (target == kNone && !brands.empty()) target = brands[0].tag, kind = "brand", basis = "top brand";
    }
    if (target != kNone) {
      const double sens = p.price_sensitivity;
      int pct = std::isnan(sens) ? 10 : sens >= 0.65 ? 15 : sens >= 0.45 ? 10 : 5;
      if (!std::isnan(p.discount_response) && p.discount_response > 0.15) pct += 5;
      pct = std::min(pct, 20);
      // Threshold: the median price of the target's products, in steps of 50.
      std::vector<double> prices;
      for (NodeId n = 0; n < g.num_nodes(); ++n) {
        if (g.type(n) != NodeType::kProduct || std::isnan(lx.Price(n))) continue;
        const bool in = kind == "brand" ? lx.BrandOf(n) == target : [&] {
          for (NodeId c : lx.CategoryChain(lx.CategoryOf(n)))
            if (c == target) return true;
          return false;
        }();
        if (in) prices.push_back(lx.Price(n));
      }
      double min_spend = 0;
      if (!prices.empty()) {
        std::nth_element(prices.begin(), prices.begin() + static_cast<long>(prices.size() / 2), prices.end());
        min_spend = std::max(50.0, std::round(prices[prices.size() / 2] / 50) * 50);
      }
      const int zhe = 100 - pct;
      Fact c{"coupon", {}};
      c.Set("target", kind).Set("zh", lx.Name(target, "zh")).Set("en", lx.Name(target, "en"));
      c.Set("discount_pct", std::to_string(pct)).Set("zhe", zhe % 10 == 0 ? std::to_string(zhe / 10) : std::to_string(zhe));
      if (min_spend > 0) c.Set("min_spend", FormatPrice(min_spend));
      c.Set("basis", basis + (std::isnan(sens) ? "" : fmt::format("; price sensitivity {:.2f}", sens)));
      s.facts.push_back(c);
      s.Allow(lx, target);
      s.AllowDiscount(pct / 100.0);
      if (min_spend > 0) s.AllowPrice(min_spend);
    }
  } else if (t == Task::kExplain) {
    if (item < 0) return Status::InvalidArgument("explain: give an item");
    const auto it = static_cast<uint32_t>(item);
    const NodeId in = rec_->catalog->ItemNode(it);
    if (in == kNone) return Status::NotFound(fmt::format("item {}: not in the graph", rec_->catalog->ItemExt(it)));
    AddProduct(lx, Fact{"item", {}}, in, s);
    auto rc = Recommender();
    if (!rc.ok()) return rc.status();
    const rec::Engine& engine = *(*rc)->engine;
    rec::Recommendation r{it, 0, {}, 0};
    for (const auto& c : engine.Candidates(p.user))
      if (c.item == it) r = c;
    for (const auto& x : rec::Explain(engine, p.user, r, 3)) {
      // Raw paths name the user node: only the worded explanations go into a prompt.
      if (x.kind == "path" || x.en.find("user:") != std::string::npos) continue;
      s.facts.push_back(Fact{"path", {}}.Set("kind", x.kind).Set("zh", x.zh).Set("en", x.en));
      for (std::string_view tok : Split(x.path, ' ')) {
        if (StartsWith(tok, "user:")) continue;
        if (auto n = g.FindSpec(tok); n && tok.find(':') != std::string_view::npos) s.Allow(lx, *n);
      }
    }
  }
  return s;
}

Result<GeneratedText> Session::Run(Backend& b, Task t, FactSheet facts, const std::string& lang, uint32_t user, int64_t item,
                                   const std::vector<std::string>& pii, const std::map<std::string, double>& tags,
                                   const WriterOptions& opts) {
  auto tmpl = GetPrompt(TaskName(t));
  if (!tmpl.ok()) return tmpl.status();
  GeneratedText out;
  out.task = t, out.lang = lang, out.backend = b.Name(), out.model = b.Model(), out.prompt_version = tmpl->version;
  out.user = user, out.item = item, out.tags = tags;
  const auto render = [&](const std::string& block) {
    return Render(*tmpl, {{"task", TaskName(t)},
                          {"lang", lang},
                          {"language", lang == "zh" ? "Simplified Chinese (简体中文)" : "English"},
                          {"alias", facts.alias},
                          {"currency", facts.currency},
                          {"facts", block}});
  };
  const auto join = [](const std::vector<ChatMessage>& messages) {
    std::string all;
    for (const auto& m : messages) all += m.role + "\n" + m.content + "\n";
    return all;
  };
  out.prompt = render(facts.Block());
  const std::string all = join(out.prompt);
  // The scan reads the prompt with the facts' number fields masked: a price or count that
  // equals a short user id is not that id; everywhere else (names, path sentences) it is.
  if (PiiHit hit = FindPii(join(render(facts.Block(/*numbers=*/false))), pii); hit.found())
    return Status::Aborted(fmt::format("refusing to send a {} prompt: it contains {} (src/llm must not send PII)", TaskName(t), hit.what));
  // The generation settings are part of the input: a text written under another max_tokens or
  // temperature (kgprofile.conf llm.*) is not served for these.
  out.input_hash = fmt::format("{:016x}", Hash64(fmt::format("{}|{}|{}|{}|{}", all, out.prompt_version, lang, opts.max_tokens,
                                                             opts.temperature),
                                                 0x6b67702d6c6c6dULL));
  out.facts = std::move(facts);
  if (opts.use_cache) {
    // An empty text is never a hit (older versions stored empty answers and emptied texts).
    if (auto c = cache_->Find(TaskName(t), user, item, lang, out.backend, out.model, out.prompt_version, out.input_hash);
        c && !Trim(c->text).empty()) {
      out.text = c->text, out.raw = c->raw, out.faithfulness = c->faithfulness, out.claims = static_cast<size_t>(c->claims);
      out.unsupported = static_cast<size_t>(c->unsupported), out.attempts = static_cast<int>(c->attempts), out.cached = true;
      out.first_faithfulness = out.faithfulness;
      return out;
    }
  }
  ChatRequest req;
  req.messages = out.prompt;
  req.max_tokens = opts.max_tokens;
  req.temperature = opts.temperature;
  req.seed = Hash64(all);
  auto first = b.Complete(req);
  if (!first.ok()) return first.status();
  // An empty answer (content "" or null, or only spaces) says nothing: a failed call, not a
  // text with no claims (faithfulness 1), and nothing is cached.
  if (Trim(first->text).empty())
    return Status::Corruption(fmt::format("the {} backend ({}) returned an empty {} text{}; nothing was cached", out.backend,
                                          out.model.empty() ? "no model" : out.model, TaskName(t),
                                          first->finish_reason.empty() ? "" : " (finish_reason " + first->finish_reason + ")"));
  CheckResult check = checker_->Check(first->text, out.facts);
  out.raw = first->text;
  out.first_faithfulness = check.faithfulness;
  if (opts.regenerate && check.faithfulness < 1) {
    ChatRequest again = req;
    std::string why;
    for (const Claim& c : check.claims)
      if (!c.supported) why += "- " + c.why + "\n";
    again.messages.push_back({"assistant", first->text});
    again.messages.push_back({"user", "These statements are not supported by the facts:\n" + why +
                                          "Rewrite the text using only the facts given. Do not mention anything else."});
    auto second = b.Complete(again);
    out.attempts = 2;
    if (second.ok() && !Trim(second->text).empty()) {  // an empty second answer is no better text
      CheckResult check2 = checker_->Check(second->text, out.facts);
      if (check2.faithfulness > check.faithfulness) check = std::move(check2), out.raw = second->text;
    }
  }
  out.check = std::move(check);
  out.text = out.check.text;
  out.faithfulness = out.check.faithfulness;
  out.claims = out.check.claims.size();
  out.unsupported = out.claims - out.check.supported;
  StoredText st;
  st.task = TaskName(t), st.user = user, st.item = item, st.lang = lang, st.backend = out.backend, st.model = out.model;
  st.prompt_version = out.prompt_version, st.input_hash = out.input_hash, st.text = out.text, st.raw = out.raw;
  st.faithfulness = out.faithfulness, st.claims = static_cast<int64_t>(out.claims);
  st.unsupported = static_cast<int64_t>(out.unsupported), st.attempts = out.attempts;
  // A local model's text may end inside a UTF-8 character: such bytes are stored as U+FFFD
  // (dump() threw and the whole run failed).
  constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
  st.facts_json = out.facts.ToJson().dump(-1, ' ', false, kReplace);
  st.checked_json = out.check.ToJson(graph()).dump(-1, ' ', false, kReplace);
  st.tags = tags;
  st.created = UnixNow();
  // A text whose every sentence was removed is not kept: the next call asks again.
  if (!Trim(out.text).empty()) cache_->Put(st);
  return out;
}

Result<GeneratedText> Session::Generate(Backend& b, Task t, const Profile& p, const std::string& lang, int64_t item,
                                        const WriterOptions& opts) {
  if (lang != "zh" && lang != "en") return Status::InvalidArgument(fmt::format("language '{}': zh or en", lang));
  auto facts = Facts(t, p, lang, item, opts);
  if (!facts.ok()) return facts.status();
  return Run(b, t, std::move(facts).value(), lang, p.user, item, PiiValues(p), TagVector(p), opts);
}

Result<GeneratedText> Session::Generate(Backend& b, Task t, const std::string& user_ext, const std::string& lang,
                                        const std::string& item_ext, const WriterOptions& opts) {
  auto p = LoadUserProfile(user_ext);
  if (!p.ok()) return p.status();
  int64_t item = -1;
  if (!item_ext.empty()) {
    auto i = rec_->catalog->FindItem(item_ext);
    if (!i) return Status::NotFound(fmt::format("item {}: not in the workspace", item_ext));
    item = *i;
  }
  return Generate(b, t, *p, lang, item, opts);
}

WriterOptions WriterOptionsFrom(const BackendConfig& c, WriterOptions o) {
  o.max_tokens = c.max_tokens;
  o.temperature = c.temperature;
  return o;
}

Result<RefreshReport> Session::Refresh(Backend& b, double threshold, const std::string& lang, Task t, const WriterOptions& opts) {
  RefreshReport rep;
  rep.threshold = threshold;
  auto profiles = LoadAllProfiles();
  if (!profiles.ok()) return profiles.status();
  std::map<uint32_t, const Profile*> by_user;
  for (const Profile& p : *profiles) by_user[p.user] = &p;
  WriterOptions force = opts;
  force.use_cache = false;
  size_t failed_in_row = 0;
  for (uint32_t u : cache_->Users(TaskName(t), lang, b.Name())) {
    auto it = by_user.find(u);
    auto last = cache_->Latest(u, TaskName(t), lang, b.Name());
    if (it == by_user.end() || !last) continue;
    ++rep.users_with_text;
    const double d = TagDistance(last->tags, TagVector(*it->second));
    if (d <= threshold) {
      ++rep.unchanged;
      continue;
    }
    if (failed_in_row >= kRefreshGiveUp) {
      ++rep.not_tried;
      continue;
    }
    auto r = Generate(b, t, *it->second, lang, last->item, force);
    if (!r.ok()) {  // this user keeps the old text; the others are still refreshed
      ++failed_in_row;
      rep.failures.push_back(fmt::format("user {}: {}", Alias(it->second->ext_id), r.status().ToString()));
      continue;
    }
    failed_in_row = 0;
    ++rep.regenerated;
    rep.changed.emplace_back(Alias(it->second->ext_id), d);
  }
  return rep;
}

Result<FaithfulnessReport> Session::Faithfulness(Backend& b, size_t n, const std::vector<Task>& tasks,
                                                 const std::vector<std::string>& langs, WriterOptions opts) {
  auto profiles = LoadAllProfiles();
  if (!profiles.ok()) return profiles.status();
  std::vector<const Profile*> ps;
  for (const Profile& p : *profiles) ps.push_back(&p);
  std::stable_sort(ps.begin(), ps.end(), [](const Profile* a, const Profile* c) { return a->events > c->events; });
  if (ps.size() > n) ps.resize(n);
  opts.use_cache = false;
  FaithfulnessReport rep;
  rep.backend = b.Name(), rep.model = b.Model();
  Progress progress("faithfulness", ps.size() * tasks.size() * langs.size(), "texts");
  size_t failed_in_row = 0;
  for (const Profile* p : ps)
    for (Task t : tasks)
      for (const std::string& lang : langs) {
        progress.Add(1);
        if (failed_in_row >= kRefreshGiveUp) {
          ++rep.not_tried;
          continue;
        }
        int64_t item = -1;
        if (t == Task::kExplain) {
          auto rc = Recommender();
          if (!rc.ok()) return rc.status();
          auto top = (*rc)->engine->Recommend(p->user, 1);
          if (top.empty()) continue;
          item = top[0].item;
        }
        auto r = Generate(b, t, *p, lang, item, opts);
        if (!r.ok()) {  // this user's text only: the others are still rated
          ++rep.errors;
          ++failed_in_row;
          rep.failures.push_back(fmt::format("user {}, {} {}: {}", p->ext_id, TaskName(t), lang, r.status().ToString()));
          continue;
        }
        failed_in_row = 0;
        ++rep.texts;
        rep.claims += r->claims;
        rep.supported += r->claims - r->unsupported;
        rep.mean_first += r->first_faithfulness;
        rep.mean_final += r->faithfulness;
        rep.regenerated += r->attempts > 1;
        rep.sentences_removed += r->check.removed.size();
        rep.without_claims += r->claims == 0;
        rep.empty += Trim(r->text).empty();
      }
  progress.Finish();
  if (rep.texts) rep.mean_first /= static_cast<double>(rep.texts), rep.mean_final /= static_cast<double>(rep.texts);
  return rep;
}

}  // namespace kgp::llm
