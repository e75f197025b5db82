#include "store/writer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "common/hash.h"
#include "common/strings.h"

namespace kgp {

StoreWriter::StoreWriter(Db& db, int64_t file_id, std::string pseudonym_key)
    : db_(db), file_id_(file_id), key_(std::move(pseudonym_key)) {
  ins_event_ = db.Prepare(
      "INSERT OR IGNORE INTO events(key,user_id,item_id,type,ts,value,price,session,file_id,variant) "
      "VALUES(?,?,?,?,?,?,?,?,?,?)");
  {
    std::string sql = "INSERT OR IGNORE INTO events(key,user_id,item_id,type,ts,value,price,session,file_id,variant) VALUES";
    for (int i = 0; i < kRowsPerInsert; ++i) sql += i ? ",(?,?,?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?,?,?)";
    ins_events_many_ = db.Prepare(sql);
  }
  ins_variant_ = db.Prepare("INSERT INTO variants(item_id, spec) VALUES(?,?)");
  ins_variant_attr_ = db.Prepare("INSERT OR IGNORE INTO variant_attributes(variant_id, key, value) VALUES(?,?,?)");
  ins_user_ = db.Prepare("INSERT INTO users(ext_id) VALUES(?)");
  upd_user_ = db.Prepare(
      "UPDATE users SET gender=coalesce(?2,gender), age=coalesce(?3,age), "
      "birth_year=coalesce(?4,birth_year), occupation=coalesce(?5,occupation), "
      "city=coalesce(?6,city), zip=coalesce(?7,zip), signup_ts=coalesce(?8,signup_ts) WHERE id=?1");
  ins_pii_ = db.Prepare(
      "INSERT INTO user_pii(user_id, field, value) VALUES(?,?,?) ON CONFLICT(user_id, field) DO UPDATE SET value=excluded.value");
  ins_item_ = db.Prepare("INSERT INTO items(ext_id) VALUES(?)");
  upd_item_ = db.Prepare(
      "UPDATE items SET title=coalesce(?2,title), category_id=coalesce(?3,category_id), "
      "brand_id=coalesce(?4,brand_id), price=coalesce(?5,price), list_price=coalesce(?6,list_price), "
      "catalog_price=coalesce(?7,catalog_price) WHERE id=?1");
  ins_cat_ = db.Prepare("INSERT INTO categories(code) VALUES(?)");
  upd_cat_ = db.Prepare(
      "UPDATE categories SET name_en=coalesce(?2,name_en), name_zh=coalesce(?3,name_zh), "
      "parent_id=coalesce(?4,parent_id), source_id=coalesce(?5,source_id) WHERE id=?1");
  ins_brand_ = db.Prepare("INSERT INTO brands(key) VALUES(?)");
  upd_brand_ = db.Prepare(
      "UPDATE brands SET name=coalesce(?5,name,?2), name_zh=coalesce(?3,name_zh), "
      "root_category=coalesce(?4,root_category) WHERE id=?1");  // ?5: a display name, which wins
  ins_item_cat_ = db.Prepare("INSERT OR IGNORE INTO item_categories(item_id,category_id) VALUES(?,?)");
  ins_cat_source_ = db.Prepare(
      "INSERT INTO category_sources(source_id, category_id) VALUES(?,?) "
      "ON CONFLICT(source_id) DO UPDATE SET category_id = excluded.category_id");
  ins_attr_ = db.Prepare("INSERT OR IGNORE INTO item_attributes(item_id,key,value) VALUES(?,?,?)");
  del_item_cats_ = db.Prepare("DELETE FROM item_categories WHERE item_id = ?1");
  // A variant's pairs (size=M as events name it) stay: they are the product's as sold.
  del_item_attrs_ = db.Prepare(
      "DELETE FROM item_attributes WHERE item_id = ?1 AND NOT EXISTS (SELECT 1 FROM variants v "
      "JOIN variant_attributes va ON va.variant_id = v.id WHERE v.item_id = ?1 "
      "AND va.key = item_attributes.key AND va.value = item_attributes.value)");
  ins_text_ = db.Prepare(
      "INSERT OR IGNORE INTO texts(key,kind,user_id,item_id,ts,rating,lang,title,body,file_id) "
      "VALUES(?,?,?,?,?,?,?,?,?,?)");
  ins_entity_ = db.Prepare("INSERT INTO entities(name) VALUES(?)");
  ins_relation_ = db.Prepare("INSERT INTO relations(name) VALUES(?)");
  ins_triple_ = db.Prepare("INSERT OR IGNORE INTO triples(head,relation,tail,file_id) VALUES(?,?,?,?)");
  ins_reject_ = db.Prepare("INSERT INTO rejects(file_id,line,field,reason) VALUES(?,?,?,?)");
  LoadMaps();
}

void StoreWriter::LoadMaps() {
  auto load = [&](const char* sql, StringMap<int64_t>& map) {
    Stmt st = db_.Prepare(sql);
    while (st.Step())
      if (!map.Find(st.Text(1))) map.Insert(st.Text(1), st.Int(0));
  };
  load("SELECT id, ext_id FROM users", users_);
  load("SELECT id, code FROM categories", categories_);
  load("SELECT category_id, source_id FROM category_sources", category_sources_);
  for (Stmt st = db_.Prepare(
           "SELECT c.id FROM categories c JOIN category_sources s ON s.category_id = c.id WHERE c.code = 'id:' || s.source_id");
       st.Step();)
    placeholders_.insert(st.Int(0));
  load("SELECT id, key FROM brands", brands_);
  load("SELECT id, name FROM entities", entities_);
  load("SELECT id, name FROM relations", relations_);
  load("SELECT id, item_id || x'1f' || spec FROM variants", variants_);
  Stmt st = db_.Prepare("SELECT id, ext_id, coalesce(category_id,0), coalesce(brand_id,0), "
                        "coalesce(price,-1), coalesce(list_price,-1) FROM items");
  while (st.Step())
    items_.Insert(st.Text(1), ItemState{st.Int(0), st.Int(2), st.Int(3), st.Double(4), st.Double(5)});
}

int64_t StoreWriter::Intern(StringMap<int64_t>& map, Stmt& insert, std::string_view key,
                            uint64_t* created) {
  if (const int64_t* id = map.Find(key)) return *id;
  insert.Bind(1, key).Run();
  int64_t id = db_.LastInsertRowid();
  map.Insert(key, id);
  if (created) ++*created;
  return id;
}

bool IsPseudonymForm(std::string_view id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string PseudonymOf(std::string_view key, std::string_view raw) {
  // 128 bits of HMAC-SHA256 as hex: collision-free at any realistic scale, not reversible
  // without the key.
  std::string p(raw);
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('\n', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view k = Trim(key.substr(start, end - start));
    if (!k.empty()) p = HexEncode(HmacSha256(k, p).substr(0, 16));
    start = end + 1;
  }
  return p;
}

int64_t StoreWriter::UserId(std::string_view raw) {
  if (key_.empty()) return Intern(users_, ins_user_, raw, &counts_.users_new);
  return Intern(users_, ins_user_, StoredUserId(raw), &counts_.users_new);
}

StoreWriter::ItemState& StoreWriter::Item(std::string_view ext) {
  if (ItemState* s = items_.Find(ext)) return *s;
  ins_item_.Bind(1, ext).Run();
  ++counts_.items_new;
  return items_.Insert(ext, ItemState{db_.LastInsertRowid(), 0, 0, -1, -1});
}

namespace {

// A category code as stored: ASCII letters in lower case, as brand keys are, and empty segments
// left out ("Electronics..Phone." is "electronics.phone"); *display gets the same path in the
// case written, for the names of the category and its ancestors.
void CategoryKey(std::string_view code, std::string* key, std::string* display) {
  display->clear();
  size_t start = 0;
  while (start <= code.size()) {
    size_t end = code.find('.', start);
    if (end == std::string_view::npos) end = code.size();
    if (end > start) {
      if (!display->empty()) display->push_back('.');
      display->append(code.substr(start, end - start));
    }
    start = end + 1;
  }
  ToLowerAscii(*display, key);
}

// Whether a code is a key as CategoryKey makes them already (no ASCII capital, no empty segment):
// then it is looked up as it is, without building strings, on the per-event path.
bool IsCategoryKey(std::string_view code) {
  if (code.empty() || code.front() == '.' || code.back() == '.') return false;
  for (size_t i = 0; i < code.size(); ++i) {
    if (code[i] >= 'A' && code[i] <= 'Z') return false;
    if (code[i] == '.' && code[i + 1] == '.') return false;  // i + 1 < size: the last byte is no dot
  }
  return true;
}

// A code that reads "id:" in any case is taken as written: lowered, "ID:77" would be the
// placeholder of source id 77 (CategoryForSource).
bool IsIdCode(std::string_view code) {
  return code.size() >= 3 && (code[0] == 'i' || code[0] == 'I') && (code[1] == 'd' || code[1] == 'D') && code[2] == ':';
}

}  // namespace

int64_t StoreWriter::CategoryForCode(std::string_view code) {
  if (IsIdCode(code) || IsCategoryKey(code)) return CategoryForPath(code);
  CategoryKey(code, &cat_key_, &cat_display_);
  if (cat_key_.empty()) return 0;
  if (const int64_t* id = categories_.Find(cat_key_)) return *id;
  // Copies: the scratch strings are reused by the ancestors' calls.
  const std::string key = cat_key_, display = cat_display_;
  return CategoryForPath(key, display);
}

int64_t StoreWriter::CategoryForPath(std::string_view code, std::string_view display) {
  if (const int64_t* id = categories_.Find(code)) return *id;
  if (display.size() != code.size()) display = code;
  int64_t parent = 0;
  size_t dot = code.rfind('.');
  if (dot != std::string_view::npos && dot > 0) parent = CategoryForPath(code.substr(0, dot), display.substr(0, dot));
  int64_t id = Intern(categories_, ins_cat_, code, &counts_.categories_new);
  std::string_view leaf = dot == std::string_view::npos ? display : display.substr(dot + 1);
  upd_cat_.Bind(1, id).Bind(2, leaf).BindNull(3);
  if (parent) upd_cat_.Bind(4, parent); else upd_cat_.BindNull(4);
  upd_cat_.BindNull(5).Run();
  return id;
}

int64_t StoreWriter::CategoryForSource(std::string_view source_id, std::string_view code) {
  if (const int64_t id = code.empty() ? 0 : CategoryForCode(code)) {
    if (source_id.empty()) return id;
    int64_t* known = category_sources_.Find(source_id);
    if (!known) {
      category_sources_.Insert(source_id, id);
      ins_cat_source_.Bind(1, source_id).Bind(2, id).Run();
    } else if (*known != id && placeholders_.count(*known)) {
      MergeCategory(*known, id, source_id);
      *known = id;
    }
    return id;
  }
  if (source_id.empty()) return 0;
  if (const int64_t* known = category_sources_.Find(source_id)) return *known;
  // Known only by id: a flat category named by it, e.g. "id:2053013555631882655".
  int64_t id = CategoryForPath(fmt::format("id:{}", source_id));
  category_sources_.Insert(source_id, id);
  placeholders_.insert(id);
  new_placeholders_.insert(id);
  ins_cat_source_.Bind(1, source_id).Bind(2, id).Run();
  return id;
}

void StoreWriter::MergeCategory(int64_t from, int64_t into, std::string_view source_id) {
  // Rare (once per placeholder), so the statements are prepared here. Items in both keep one row.
  for (const char* sql : {"UPDATE OR IGNORE item_categories SET category_id = ?2 WHERE category_id = ?1",
                          "UPDATE items SET category_id = ?2 WHERE category_id = ?1",
                          "UPDATE category_sources SET category_id = ?2 WHERE category_id = ?1"})
    db_.Prepare(sql).Bind(1, from).Bind(2, into).Run();
  for (const char* sql : {"DELETE FROM item_categories WHERE category_id = ?1", "DELETE FROM categories WHERE id = ?1"})
    db_.Prepare(sql).Bind(1, from).Run();
  // Memory follows: the deleted id may be given to the next new category, so nothing may still
  // name it (the items held here are written back at Flush).
  if (int64_t* code = categories_.Find(fmt::format("id:{}", source_id))) *code = into;
  category_sources_.ForEach([&](std::string_view, int64_t& c) { c = c == from ? into : c; });
  items_.ForEach([&](std::string_view, ItemState& it) { it.category_id = it.category_id == from ? into : it.category_id; });
  placeholders_.erase(from);
  // A placeholder this run created and merged again was never a new category of the file.
  if (new_placeholders_.erase(from)) --counts_.categories_new;
}

int64_t StoreWriter::BrandId(std::string_view name) {
  ToLowerAscii(name, &lower_);
  const std::string& key = lower_;
  if (const int64_t* id = brands_.Find(key)) return *id;
  int64_t id = Intern(brands_, ins_brand_, key, &counts_.brands_new);
  upd_brand_.Bind(1, id).Bind(2, name).BindNull(3).BindNull(4).BindNull(5).Run();
  return id;
}

int64_t StoreWriter::VariantId(int64_t item, std::span<const std::pair<std::string, std::string>> pairs) {
  if (pairs.empty()) return 0;
  // Spec: the pairs sorted, "key=value" joined by \x1e, so that the same variant written in
  // another order is the same row.
  std::vector<std::string> kv;
  kv.reserve(pairs.size());
  for (const auto& [k, v] : pairs) kv.push_back(k + "=" + v);
  std::sort(kv.begin(), kv.end());
  kv.erase(std::unique(kv.begin(), kv.end()), kv.end());
  specbuf_ = fmt::format("{}\x1f", item);
  const size_t spec_at = specbuf_.size();
  for (size_t i = 0; i < kv.size(); ++i) specbuf_.append(i ? "\x1e" : "").append(kv[i]);
  if (const int64_t* id = variants_.Find(specbuf_)) return *id;
  ins_variant_.Bind(1, item).Bind(2, std::string_view(specbuf_).substr(spec_at)).Run();
  const int64_t id = db_.LastInsertRowid();
  variants_.Insert(specbuf_, id);
  for (const auto& [k, v] : pairs) {
    ins_variant_attr_.Bind(1, id).Bind(2, k).Bind(3, v).Run();
    ins_attr_.Bind(1, item).Bind(2, k).Bind(3, v).Run();
  }
  return id;
}

void StoreWriter::AddEvent(const EventRecord& ev) {
  std::string pseudo;
  std::string_view stored_user = ev.user;
  if (!key_.empty()) stored_user = pseudo = StoredUserId(ev.user);
  int64_t user = Intern(users_, ins_user_, stored_user, &counts_.users_new);
  ItemState& item = Item(ev.item);
  // Catalogue facts carried by the event update the item only when they change.
  int64_t cat = (ev.category_code.empty() && ev.category_id.empty())
                    ? 0
                    : CategoryForSource(ev.category_id, ev.category_code);
  int64_t brand = ev.brand.empty() ? 0 : BrandId(ev.brand);
  double price = ev.price.value_or(-1);
  if (cat && cat != item.category_id) {
    ins_item_cat_.Bind(1, item.id).Bind(2, cat).Run();
    item.category_id = cat;
    item.dirty = true;
  }
  if (brand && brand != item.brand_id) item.brand_id = brand, item.dirty = true;
  if (price >= 0 && price != item.price) item.price = price, item.dirty = true;
  if (price > item.list_price) item.list_price = price, item.dirty = true;  // dearer than the list: the list moved
  // Sessions only group events: a 64-bit hash of the source id does that without a table.
  int64_t session = ev.session.empty() ? 0 : static_cast<int64_t>(Hash64(ev.session, 0x5e55) | 1);

  // Event key: hash of the row's content in stored form, plus its occurrence index.
  keybuf_.clear();
  keybuf_.append(stored_user).push_back('\x1f');
  keybuf_.append(ev.item).push_back('\x1f');
  keybuf_.append(ev.session).push_back('\x1f');
  char num[32];
  int64_t tv[2] = {static_cast<int64_t>(ev.type), ev.ts};
  keybuf_.append(reinterpret_cast<const char*>(tv), sizeof tv);
  double dv[2] = {ev.price.value_or(NAN), ev.value.value_or(NAN)};
  std::memcpy(num, dv, sizeof dv);
  keybuf_.append(num, sizeof dv);
  uint64_t h = Hash64(keybuf_);
  if (ev.ts != occ_ts_) {
    occ_.clear();
    occ_overflow_.clear();
    occ_ts_ = ev.ts;
  }
  uint32_t occ = Occurrence(h);
  if (occ > 0) h = HashCombine(h, occ);

  pending_.push_back(PendingEvent{static_cast<int64_t>(h), user, item.id, ev.ts, session,
                                  ev.value.value_or(NAN), ev.price.value_or(NAN),
                                  static_cast<int>(ev.type), VariantId(item.id, ev.variant)});
  if (pending_.size() >= kBatch) Flush();
}

StoreWriter::EventRow StoreWriter::PrepareEvent(const EventRecord& ev) {
  AddEvent(ev);  // computes the key and interns the ids into pending_
  const PendingEvent e = pending_.back();
  pending_.pop_back();
  return {e.key, e.user, e.item, e.ts, e.session, e.value, e.price, e.type, e.variant};
}

void StoreWriter::StartUnit() {
  occ_.clear();
  occ_overflow_.clear();
  occ_ts_ = INT64_MIN;
}

uint32_t StoreWriter::Occurrence(uint64_t h) {
  for (auto& [k, n] : occ_)
    if (k == h) return n++;
  if (occ_.size() < kOccScan) {
    occ_.emplace_back(h, 1);
    return 0;
  }
  return occ_overflow_[h]++;
}

void StoreWriter::Flush() {
  items_.ForEach([&](std::string_view, ItemState& it) {
    if (!it.dirty) return;
    upd_item_.Bind(1, it.id).BindNull(2);
    if (it.category_id) upd_item_.Bind(3, it.category_id); else upd_item_.BindNull(3);
    if (it.brand_id) upd_item_.Bind(4, it.brand_id); else upd_item_.BindNull(4);
    if (it.price >= 0) upd_item_.Bind(5, it.price); else upd_item_.BindNull(5);
    if (it.list_price >= 0) upd_item_.Bind(6, it.list_price); else upd_item_.BindNull(6);
    upd_item_.BindNull(7).Run();  // events never change the catalogue's own price
    it.dirty = false;
  });
  std::sort(pending_.begin(), pending_.end(),
            [](const PendingEvent& a, const PendingEvent& b) { return a.key < b.key; });
  auto bind = [&](Stmt& st, int base, const PendingEvent& e) {
    st.Bind(base + 1, e.key).Bind(base + 2, e.user).Bind(base + 3, e.item).Bind(base + 4, e.type)
        .Bind(base + 5, e.ts);
    if (std::isnan(e.value)) st.BindNull(base + 6); else st.Bind(base + 6, e.value);
    if (std::isnan(e.price)) st.BindNull(base + 7); else st.Bind(base + 7, e.price);
    if (e.session) st.Bind(base + 8, e.session); else st.BindNull(base + 8);
    st.Bind(base + 9, file_id_);
    if (e.variant) st.Bind(base + 10, e.variant); else st.BindNull(base + 10);
  };
  size_t i = 0;
  for (; i + kRowsPerInsert <= pending_.size(); i += kRowsPerInsert) {
    for (int r = 0; r < kRowsPerInsert; ++r) bind(ins_events_many_, r * 10, pending_[i + static_cast<size_t>(r)]);
    ins_events_many_.Run();
    uint64_t added = static_cast<uint64_t>(db_.Changes());
    counts_.events_new += added;
    counts_.events_dup += kRowsPerInsert - added;
  }
  for (; i < pending_.size(); ++i) {
    bind(ins_event_, 0, pending_[i]);
    ins_event_.Run();
    if (db_.Changes() > 0) ++counts_.events_new; else ++counts_.events_dup;
  }
  pending_.clear();
}

void StoreWriter::AddItem(const ItemRecord& it) {
  ItemState& item = Item(it.id);
  int64_t cat = CategoryForSource(it.category_id, it.category_path);
  int64_t brand = it.brand.empty() ? 0 : BrandId(it.brand);
  upd_item_.Bind(1, item.id).BindTextOrNull(2, it.title);
  if (cat) upd_item_.Bind(3, cat), item.category_id = cat; else upd_item_.BindNull(3);
  if (brand) upd_item_.Bind(4, brand), item.brand_id = brand; else upd_item_.BindNull(4);
  upd_item_.Bind(5, it.price).Bind(6, it.price).Bind(7, it.price).Run();  // the catalogue's price is the list price
  if (it.price) item.price = item.list_price = *it.price;
  // A catalogue row states the product's categories and attributes: those it gives replace the
  // ones stored before this file (an older catalogue, events); columns it leaves empty keep them,
  // and later rows of the same file for the product add (one row per category or attribute).
  if (it.replaces && (cat || !it.categories.empty()) && replaced_cats_.insert(item.id).second)
    del_item_cats_.Bind(1, item.id).Run();
  if (it.replaces && !it.attributes.empty() && replaced_attrs_.insert(item.id).second)
    del_item_attrs_.Bind(1, item.id).Run();
  if (cat) ins_item_cat_.Bind(1, item.id).Bind(2, cat).Run();
  for (const auto& name : it.categories) {
    const int64_t c = CategoryForCode(name);
    if (!c) continue;
    upd_cat_.Bind(1, c).Bind(2, name).BindNull(3).BindNull(4).BindNull(5).Run();
    ins_item_cat_.Bind(1, item.id).Bind(2, c).Run();
    if (!item.category_id) {
      item.category_id = c;
      upd_item_.Bind(1, item.id).BindNull(2).Bind(3, c).BindNull(4).BindNull(5).BindNull(6).BindNull(7).Run();
    }
  }
  for (const auto& [k, v] : it.attributes) ins_attr_.Bind(1, item.id).Bind(2, k).Bind(3, v).Run();
}

void StoreWriter::AddCategory(const CategoryRecord& c) {
  const int64_t id = CategoryForCode(c.code);
  if (!id) return;  // the reader rejects a code of no segment
  const int64_t parent = c.parent_code.empty() ? 0 : CategoryForCode(c.parent_code);
  upd_cat_.Bind(1, id).BindTextOrNull(2, c.name_en).BindTextOrNull(3, c.name_zh);
  if (parent) upd_cat_.Bind(4, parent); else upd_cat_.BindNull(4);
  upd_cat_.BindNull(5).Run();
}

void StoreWriter::AddBrand(const BrandRecord& b) {
  int64_t id = BrandId(b.brand);
  upd_brand_.Bind(1, id).Bind(2, b.brand).BindTextOrNull(3, b.name_zh)
      .BindTextOrNull(4, b.root_category).BindTextOrNull(5, b.name).Run();
}

void StoreWriter::AddUser(const UserRecord& u) {
  int64_t id = UserId(u.id);
  upd_user_.Bind(1, id).BindTextOrNull(2, u.gender).Bind(3, u.age).Bind(4, u.birth_year)
      .BindTextOrNull(5, u.occupation).BindTextOrNull(6, u.city).BindTextOrNull(7, u.zip)
      .Bind(8, u.signup_ts).Run();
  // Present only when the workspace stores PII in clear (store_pii = true; the reader drops it
  // otherwise). Later files replace a field's value.
  for (const auto& [field, value] : u.pii) ins_pii_.Bind(1, id).Bind(2, field).Bind(3, value).Run();
}

void StoreWriter::AddText(const TextRecord& t) {
  int64_t user = t.user.empty() ? 0 : UserId(t.user);
  int64_t item = t.item.empty() ? 0 : Item(t.item).id;
  std::string k = fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f", t.kind, user, item, t.ts.value_or(0));
  k.append(t.title).push_back('\x1f');
  k.append(t.body);
  ins_text_.Bind(1, static_cast<int64_t>(Hash64(k))).Bind(2, t.kind);
  if (user) ins_text_.Bind(3, user); else ins_text_.BindNull(3);
  if (item) ins_text_.Bind(4, item); else ins_text_.BindNull(4);
  ins_text_.Bind(5, t.ts).Bind(6, t.rating).BindTextOrNull(7, t.lang).BindTextOrNull(8, t.title)
      .Bind(9, t.body).Bind(10, file_id_).Run();
  if (db_.Changes() > 0) ++counts_.texts_new; else ++counts_.texts_dup;
}

void StoreWriter::AddTriple(const TripleRecord& t) {
  int64_t h = Intern(entities_, ins_entity_, t.head, nullptr);
  int64_t r = Intern(relations_, ins_relation_, t.relation, nullptr);
  int64_t tl = Intern(entities_, ins_entity_, t.tail, nullptr);
  ins_triple_.Bind(1, h).Bind(2, r).Bind(3, tl).Bind(4, file_id_).Run();
  if (db_.Changes() > 0) ++counts_.triples_new; else ++counts_.triples_dup;
}

void StoreWriter::AddReject(const Reject& r) {
  ins_reject_.Bind(1, file_id_).Bind(2, static_cast<int64_t>(r.line)).Bind(3, r.field)
      .Bind(4, r.reason).Run();
}

}  // namespace kgp
