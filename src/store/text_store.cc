#include "store/text_store.h"

#include <algorithm>
#include <map>

#include "common/strings.h"

namespace kgp {

int64_t CountTextSources(Db& db) {
  return db.QueryInt("SELECT (SELECT count(*) FROM items WHERE title IS NOT NULL) + (SELECT count(*) FROM texts)");
}

namespace {
// A review is analysed as "title. body" when it has a title (ForEachTextSource, evidence).
constexpr const char* kReviewText = "CASE WHEN title IS NULL OR title = '' THEN body ELSE title || '. ' || body END";
}  // namespace

Status ForEachTextSource(Db& db, const std::function<Status(const TextSource&)>& fn) {
  TextSource t;
  {
    Stmt st = db.Prepare(
        "SELECT i.id, i.title, coalesce(b.key, ''), "
        "(SELECT group_concat(a.key || '=' || a.value, char(30)) FROM item_attributes a WHERE a.item_id = i.id) "
        "FROM items i LEFT JOIN brands b ON b.id = i.brand_id WHERE i.title IS NOT NULL ORDER BY i.id");
    t.source = "item";
    while (st.Step()) {
      t.id = st.Int(0);
      t.body = std::string(st.Text(1));
      t.lang.clear();
      t.brand = std::string(st.Text(2));
      t.attributes.clear();
      if (!st.IsNull(3))
        for (auto kv : Split(st.Text(3), '\x1e')) t.attributes.emplace_back(kv);
      KGP_RETURN_IF_ERROR(fn(t));
    }
  }
  Stmt st = db.Prepare(std::string("SELECT id, coalesce(lang, ''), ") + kReviewText + " FROM texts ORDER BY id");
  t.source = "text";
  t.brand.clear();
  t.attributes.clear();
  while (st.Step()) {
    t.id = st.Int(0);
    t.lang = std::string(st.Text(1));
    t.body = std::string(st.Text(2));
    KGP_RETURN_IF_ERROR(fn(t));
  }
  return Status::Ok();
}

Status ForEachTitleFacts(Db& db, const std::function<Status(const TitleFacts&)>& fn) {
  Stmt st = db.Prepare(
      "SELECT i.title, coalesce(b.name, ''), coalesce(b.name_zh, ''), coalesce(c.name_en, ''), coalesce(c.name_zh, '') "
      "FROM items i LEFT JOIN brands b ON b.id = i.brand_id LEFT JOIN categories c ON c.id = i.category_id "
      "WHERE i.title IS NOT NULL ORDER BY i.id");
  TitleFacts f;
  while (st.Step()) {
    f.title = std::string(st.Text(0));
    f.brand_names.clear();
    f.category_names.clear();
    for (int c : {1, 2})
      if (!st.Text(c).empty()) f.brand_names.emplace_back(st.Text(c));
    for (int c : {3, 4})
      if (!st.Text(c).empty()) f.category_names.emplace_back(st.Text(c));
    KGP_RETURN_IF_ERROR(fn(f));
  }
  return Status::Ok();
}

namespace {

// The names a category is written as in text: its English and Chinese names, the last part of
// its code with spaces for underscores ("rice cooker", so that "rice cooker" in a review is not
// the category rice), and the English name in the singular ("Robot vacuums" → "Robot vacuum").
std::vector<std::string> CategoryNames(const std::string& code, const std::string& en, const std::string& zh) {
  std::string leaf = code.substr(code.rfind('.') == std::string::npos ? 0 : code.rfind('.') + 1);
  std::string spaced = leaf;
  std::replace(spaced.begin(), spaced.end(), '_', ' ');
  std::string singular;
  // At least 4 letters left: "News" is no "New".
  if (en.size() > 4 && en.back() == 's' && en[en.size() - 2] != 's') singular = en.substr(0, en.size() - 1);
  std::vector<std::string> out;
  for (const std::string& n : {en, zh, leaf, spaced, singular})
    if (!n.empty() && n.rfind("id:", 0) != 0 && std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  return out;
}

// Attribute values that are everyday words ("suitable for all skin types", "not at all"): as
// names they would be found in nearly every review.
bool IsFunctionWord(std::string_view v) {
  static const char* const kWords[] = {"all", "any", "none", "other", "others", "no", "yes", "one", "n/a", "na"};
  const std::string l = ToLowerAscii(Trim(v));
  return std::any_of(std::begin(kWords), std::end(kWords), [&](const char* w) { return l == w; });
}

}  // namespace

std::vector<CatalogueName> LoadCatalogueNames(Db& db) {
  std::vector<CatalogueName> out;
  std::map<std::string, std::vector<std::string>> root_names;  // root category code -> names
  {
    Stmt st = db.Prepare("SELECT code, coalesce(name_en, ''), coalesce(name_zh, '') FROM categories");
    while (st.Step()) {
      std::string code(st.Text(0));
      std::string root = code.substr(0, code.find('.'));
      for (const std::string& n : CategoryNames(code, std::string(st.Text(1)), std::string(st.Text(2)))) {
        out.push_back({n, "category", code, {}, 1});
        root_names[root].push_back(n);
      }
    }
  }
  {
    Stmt st = db.Prepare(
        "SELECT b.key, coalesce(b.name, ''), coalesce(b.name_zh, ''), coalesce(b.root_category, ''), "
        "(SELECT count(*) FROM items i WHERE i.brand_id = b.id) FROM brands b");
    while (st.Step()) {
      std::string key(st.Text(0)), name(st.Text(1)), zh(st.Text(2)), root(st.Text(3));
      std::vector<std::string> ctx;
      if (auto it = root_names.find(root); it != root_names.end()) ctx = it->second;
      double prior = 1 + static_cast<double>(st.Int(4));
      for (const std::string& n : {name, zh, key})
        if (!n.empty()) out.push_back({n, "brand", key, ctx, prior});
    }
  }
  {
    Stmt st = db.Prepare("SELECT key, value, count(*) FROM item_attributes GROUP BY key, value");
    while (st.Step()) {
      std::string k(st.Text(0)), v(st.Text(1));
      if (IsFunctionWord(v)) continue;
      out.push_back({v, "attribute", k + "=" + v, {k}, 1 + static_cast<double>(st.Int(2))});
    }
  }
  return out;
}

std::optional<TextEvidence> FirstReviewEvidence(Db& db, int min_sentiments) {
  Stmt pick = db.Prepare(
      "SELECT source_id FROM text_edges WHERE source='text' AND sentiment IS NOT NULL GROUP BY source_id "
      "HAVING count(*) >= ? ORDER BY source_id LIMIT 1");
  pick.Bind(1, min_sentiments);
  if (!pick.Step()) return std::nullopt;
  TextEvidence ev;
  ev.text_id = pick.Int(0);
  Stmt body = db.Prepare(std::string("SELECT ") + kReviewText + ", rating FROM texts WHERE id=?");
  body.Bind(1, ev.text_id);
  if (!body.Step()) return std::nullopt;
  ev.text = std::string(body.Text(0));
  if (!body.IsNull(1)) ev.rating = body.Double(1);
  Stmt e = db.Prepare(
      "SELECT relation, target_type, target_key, coalesce(entity_type, ''), span_begin, span_end, surface, sentiment, method "
      "FROM text_edges WHERE source='text' AND source_id=? ORDER BY span_begin");
  e.Bind(1, ev.text_id);
  while (e.Step()) {
    TextEdgeRow r{"text", ev.text_id, std::string(e.Text(0)), std::string(e.Text(1)), std::string(e.Text(2)),
                  std::string(e.Text(3)), e.Int(4), e.Int(5), std::string(e.Text(6)), std::nullopt, std::string(e.Text(8))};
    if (!e.IsNull(7)) r.sentiment = e.Double(7);
    ev.edges.push_back(std::move(r));
  }
  return ev;
}

Status ReplaceTextResults(Db& db, const std::vector<TextEdgeRow>& edges, const std::vector<TextSentimentRow>& sentiment,
                          const std::vector<TextRejectRow>& rejects) {
  Txn txn(db);
  KGP_RETURN_IF_ERROR(db.Exec("DELETE FROM text_edges; DELETE FROM text_sentiment; DELETE FROM text_rejects;"));
  Stmt ins = db.Prepare(
      "INSERT INTO text_edges(source, source_id, relation, target_type, target_key, entity_type, span_begin, span_end, "
      "surface, sentiment, method) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
  Stmt ent = db.Prepare("INSERT OR IGNORE INTO entities(name, type) VALUES(?, ?)");
  for (const auto& e : edges) {
    ins.Bind(1, e.source).Bind(2, e.source_id).Bind(3, e.relation).Bind(4, e.target_type).Bind(5, e.target_key)
        .BindTextOrNull(6, e.entity_type).Bind(7, e.span_begin).Bind(8, e.span_end).Bind(9, e.surface)
        .Bind(10, e.sentiment).Bind(11, e.method).Run();
    if (e.target_type == "entity") ent.Bind(1, e.target_key).BindTextOrNull(2, e.entity_type).Run();
  }
  Stmt sen = db.Prepare("INSERT OR REPLACE INTO text_sentiment(text_id, score, method) VALUES(?,?,?)");
  for (const auto& s : sentiment) sen.Bind(1, s.text_id).Bind(2, s.score).Bind(3, s.method).Run();
  Stmt rej = db.Prepare("INSERT INTO text_rejects(source, source_id, reason) VALUES(?,?,?)");
  for (const auto& r : rejects) rej.Bind(1, r.source).Bind(2, r.source_id).Bind(3, r.reason).Run();
  // Results of a text erased after extraction read it: they would bring back the erased user's
  // words (spans, sentiment). Erasure's deletions and this transaction are serialised by SQLite,
  // so whichever commits second sees the other's work.
  KGP_RETURN_IF_ERROR(db.Exec(
      "DELETE FROM text_edges WHERE source = 'text' AND source_id NOT IN (SELECT id FROM texts);"
      "DELETE FROM text_sentiment WHERE text_id NOT IN (SELECT id FROM texts);"
      "DELETE FROM text_rejects WHERE source = 'text' AND source_id NOT IN (SELECT id FROM texts);"));
  // Entities of an earlier run (a tagger since dropped) that no edge names any more. Only the
  // text stage's own (typed; KG entities have no type), and none a KG triple uses.
  KGP_RETURN_IF_ERROR(db.Exec(
      "DELETE FROM entities WHERE type IS NOT NULL "
      "AND name NOT IN (SELECT target_key FROM text_edges WHERE target_type = 'entity') "
      "AND id NOT IN (SELECT head FROM triples) AND id NOT IN (SELECT tail FROM triples)"));
  txn.Commit();
  return Status::Ok();
}

}  // namespace kgp
