#include "store/schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace kgp {
namespace {

// Logged once by an upgrade whose migrations took prices or categories as an older ingest left
// them (docs/workspace.md "Upgrading").
constexpr const char* kDerivedByOlderIngest =
    "prices and categories were derived by an older kgprofile (list and catalogue prices from event prices, "
    "categories known only by id kept apart): to get what a fresh workspace gets, ingest the catalogue and event "
    "files again with ingest --force, in the order first ingested, then run graph build and profile build "
    "(docs/workspace.md \"Upgrading\")";

struct Migration {
  const char* sql;
  // Said once when the migration changed a row: what the user should run.
  const char* note = nullptr;
};

// Append only: never edit a migration that has shipped (tests/schema_test.cc holds the hash of
// each); correct one with a new migration.
const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      // 1: events, catalogue, users, texts, KG triples, ingest bookkeeping, graph tables.
      {R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE ingest_files(
  id INTEGER PRIMARY KEY, path TEXT NOT NULL, format TEXT NOT NULL, fingerprint TEXT NOT NULL,
  size INTEGER, started INTEGER, finished INTEGER, records INTEGER DEFAULT 0,
  events_new INTEGER DEFAULT 0, events_dup INTEGER DEFAULT 0, rejects INTEGER DEFAULT 0,
  status TEXT NOT NULL, message TEXT);
CREATE INDEX ingest_files_fp ON ingest_files(fingerprint);
CREATE TABLE rejects(file_id INTEGER NOT NULL, line INTEGER NOT NULL, field TEXT, reason TEXT NOT NULL);
CREATE TABLE users(
  id INTEGER PRIMARY KEY, ext_id TEXT NOT NULL UNIQUE, gender TEXT, age INTEGER,
  birth_year INTEGER, occupation TEXT, city TEXT, zip TEXT, signup_ts INTEGER);
CREATE TABLE categories(
  id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, name_en TEXT, name_zh TEXT,
  parent_id INTEGER, source_id TEXT);
CREATE TABLE brands(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, name TEXT, name_zh TEXT,
  root_category TEXT);
CREATE TABLE items(
  id INTEGER PRIMARY KEY, ext_id TEXT NOT NULL UNIQUE, title TEXT, category_id INTEGER,
  brand_id INTEGER, price REAL);
CREATE TABLE item_categories(item_id INTEGER NOT NULL, category_id INTEGER NOT NULL,
  PRIMARY KEY(item_id, category_id)) WITHOUT ROWID;
CREATE TABLE item_attributes(item_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY(item_id, key, value)) WITHOUT ROWID;
CREATE TABLE events(
  key INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, item_id INTEGER NOT NULL,
  type INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL, price REAL, session INTEGER,
  file_id INTEGER);
CREATE TABLE texts(
  id INTEGER PRIMARY KEY, key INTEGER NOT NULL UNIQUE, kind TEXT NOT NULL, user_id INTEGER,
  item_id INTEGER, ts INTEGER, rating REAL, lang TEXT, title TEXT, body TEXT NOT NULL,
  file_id INTEGER);
CREATE TABLE entities(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, type TEXT);
CREATE TABLE relations(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE triples(head INTEGER NOT NULL, relation INTEGER NOT NULL, tail INTEGER NOT NULL,
  file_id INTEGER, PRIMARY KEY(head, relation, tail)) WITHOUT ROWID;
CREATE TABLE graph_nodes(id INTEGER PRIMARY KEY, type INTEGER NOT NULL, key TEXT NOT NULL,
  label TEXT, UNIQUE(type, key));
CREATE TABLE graph_edge_types(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE graph_edges(src INTEGER NOT NULL, type INTEGER NOT NULL, dst INTEGER NOT NULL,
  count INTEGER NOT NULL, first_ts INTEGER, last_ts INTEGER, weight REAL NOT NULL,
  PRIMARY KEY(src, type, dst)) WITHOUT ROWID;
)sql"},
      // 2: text stage results (kgprofile text extract): edges found in titles and reviews with
      // the span that evidences each, whole-text sentiment, and texts skipped with a reason.
      {R"sql(
CREATE TABLE text_edges(
  id INTEGER PRIMARY KEY, source TEXT NOT NULL, source_id INTEGER NOT NULL,
  relation TEXT NOT NULL, target_type TEXT NOT NULL, target_key TEXT NOT NULL,
  entity_type TEXT, span_begin INTEGER NOT NULL, span_end INTEGER NOT NULL, surface TEXT NOT NULL,
  sentiment REAL, method TEXT NOT NULL);
CREATE INDEX text_edges_source ON text_edges(source, source_id);
CREATE TABLE text_sentiment(text_id INTEGER PRIMARY KEY, score REAL NOT NULL, method TEXT NOT NULL);
CREATE TABLE text_rejects(source TEXT NOT NULL, source_id INTEGER NOT NULL, reason TEXT NOT NULL);
)sql"},
      // 3: user profiles (`profile build`): one row per user, its interest tags, the k-means
      // clusters. Audience rules compile to queries over these (docs/profile.md).
      {R"sql(
CREATE TABLE profiles(
  user_id INTEGER PRIMARY KEY, ext_id TEXT NOT NULL, as_of INTEGER NOT NULL, events INTEGER NOT NULL,
  views INTEGER, carts INTEGER, purchases INTEGER, first_ts INTEGER, last_ts INTEGER,
  gender TEXT, age_group TEXT, occupation TEXT, city TEXT,
  price_level TEXT, price_position REAL, price_sensitivity REAL, discount_response REAL,
  brand_top_share REAL, brand_entropy REAL, novelty REAL, repeat_rate REAL,
  recency_days REAL, monetary REAL, r_score INTEGER, f_score INTEGER, m_score INTEGER, rfm_segment TEXT,
  sessions INTEGER, session_minutes REAL, session_depth REAL,
  view_to_cart REAL, cart_to_purchase REAL, view_to_purchase REAL,
  lifecycle TEXT, churn_risk REAL, peak_hour INTEGER, cluster INTEGER);
CREATE TABLE profile_tags(user_id INTEGER NOT NULL, kind TEXT NOT NULL, tag TEXT NOT NULL,
  weight REAL NOT NULL, confidence REAL NOT NULL, evidence INTEGER NOT NULL, last_ts INTEGER,
  PRIMARY KEY(user_id, kind, tag)) WITHOUT ROWID;
CREATE INDEX profile_tags_by_tag ON profile_tags(tag, weight);
CREATE TABLE profile_clusters(id INTEGER PRIMARY KEY, label TEXT NOT NULL, size INTEGER NOT NULL,
  centroid TEXT);
)sql"},
      // 4: texts written by the language-model layer (`kgprofile llm`, docs/llm.md): one row per
      // (task, user, item, language, backend, model, prompt version, input hash), with the claim
      // check, the facts the prompt carried and the tag vector it was written from (llm refresh).
      {R"sql(
CREATE TABLE llm_texts(
  id INTEGER PRIMARY KEY, task TEXT NOT NULL, user_id INTEGER NOT NULL, item_id INTEGER NOT NULL DEFAULT -1,
  lang TEXT NOT NULL, backend TEXT NOT NULL, model TEXT NOT NULL, prompt_version TEXT NOT NULL,
  input_hash TEXT NOT NULL, text TEXT NOT NULL, raw TEXT NOT NULL, faithfulness REAL NOT NULL,
  claims INTEGER NOT NULL, unsupported INTEGER NOT NULL, attempts INTEGER NOT NULL, facts TEXT NOT NULL,
  checked TEXT NOT NULL, tags TEXT NOT NULL, created INTEGER NOT NULL,
  UNIQUE(task, user_id, item_id, lang, backend, model, prompt_version, input_hash));
CREATE INDEX llm_texts_latest ON llm_texts(user_id, task, lang, backend, created);
)sql"},
      // 5: privacy (docs/privacy.md): the differential-privacy budget ledger (one row per
      // released aggregate), erasure receipts (no raw id or pseudonym: a keyed digest only), and
      // PII values, written only when the workspace sets store_pii = true.
      {R"sql(
CREATE TABLE privacy_ledger(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, query TEXT NOT NULL,
  mechanism TEXT NOT NULL, epsilon REAL NOT NULL, delta REAL NOT NULL);
CREATE TABLE erasure_receipts(id TEXT PRIMARY KEY, ts INTEGER NOT NULL, digest TEXT NOT NULL,
  report TEXT NOT NULL);
CREATE TABLE user_pii(user_id INTEGER NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY(user_id, field)) WITHOUT ROWID;
)sql"},
      // 6: the variant an event was about (the size or colour a reviewer bought: Amazon's
      // per-review style, an events-csv `variant` column). Its values are item attributes too.
      {R"sql(
ALTER TABLE events ADD COLUMN variant INTEGER;
CREATE TABLE variants(id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, spec TEXT NOT NULL,
  UNIQUE(item_id, spec));
CREATE TABLE variant_attributes(variant_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY(variant_id, key, value)) WITHOUT ROWID;
)sql"},
      // 7: the list price beside the latest one: price bands and discounts are measured against
      // it (items.price follows every event, sale prices included). Older workspaces start from
      // the highest of the latest price and every price an event carried, as ingest would have
      // kept it. And source category ids in a table of their own: a category may have several
      // (categories.source_id held one, and a second overwrote the first).
      {R"sql(
ALTER TABLE items ADD COLUMN list_price REAL;
UPDATE items SET list_price = price;
UPDATE items SET list_price = m.p
  FROM (SELECT item_id, max(price) AS p FROM events WHERE price IS NOT NULL GROUP BY item_id) AS m
  WHERE m.item_id = items.id AND (items.list_price IS NULL OR m.p > items.list_price);
CREATE TABLE category_sources(source_id TEXT PRIMARY KEY, category_id INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO category_sources SELECT source_id, id FROM categories WHERE source_id IS NOT NULL;
)sql", kDerivedByOlderIngest},
      // 8: profile numbers stored rounded as profiles show them (profile.h kShareDigits, …), so
      // that `brand_top_share > 0.5` agrees with a profile showing 0.5: the tables written
      // before are rounded in place.
      {R"sql(
UPDATE profiles SET price_position = round(price_position, 4), price_sensitivity = round(price_sensitivity, 4),
  discount_response = round(discount_response, 4), brand_top_share = round(brand_top_share, 4),
  brand_entropy = round(brand_entropy, 4), novelty = round(novelty, 4), repeat_rate = round(repeat_rate, 4),
  recency_days = round(recency_days, 2), monetary = round(monetary, 2), session_minutes = round(session_minutes, 2),
  session_depth = round(session_depth, 2), view_to_cart = round(view_to_cart, 4),
  cart_to_purchase = round(cart_to_purchase, 4), view_to_purchase = round(view_to_purchase, 4),
  churn_risk = round(churn_risk, 3);
UPDATE profile_tags SET weight = round(weight, 4), confidence = round(confidence, 3);
)sql"},
      // 9: the catalogue's own price, which events never raise (list_price follows dearer
      // events): the up-front part of the discount reference of profiles (docs/profile.md), so
      // that events ingested later do not change how earlier ones are judged. Older workspaces
      // take the list price they have (the catalogue's, or a dearer event's).
      {R"sql(
ALTER TABLE items ADD COLUMN catalog_price REAL;
UPDATE items SET catalog_price = list_price;
)sql", kDerivedByOlderIngest},
      // 10: what migration 7 missed where a kgprofile ran it before its last edit (it was edited
      // after it shipped): without category_sources (every later ingest failed on it) or without
      // the list prices from events. The table and its rows as migration 7 makes them; and the
      // list price of a product is raised to the dearest price its events carried, counting only
      // events of files ingested after the last catalogue file (a catalogue sets the list price,
      // lower too, and ingest raises it with every dearer event since migration 7: anything
      // below such an event was never raised), and its catalogue price with it (migration 9 took
      // the list price). A workspace that had all of migration 7 has nothing to raise.
      {R"sql(
CREATE TABLE IF NOT EXISTS category_sources(source_id TEXT PRIMARY KEY, category_id INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO category_sources SELECT source_id, id FROM categories WHERE source_id IS NOT NULL;
UPDATE items SET list_price = m.p, catalog_price = max(coalesce(items.catalog_price, m.p), m.p)
  FROM (SELECT item_id, max(price) AS p FROM events
        WHERE price IS NOT NULL AND file_id > (SELECT coalesce(max(id), 0) FROM ingest_files WHERE format = 'catalog')
        GROUP BY item_id) AS m
  WHERE m.item_id = items.id AND (items.list_price IS NULL OR m.p > items.list_price);
)sql", kDerivedByOlderIngest},
      // 11: user ids are never given again. Without AUTOINCREMENT SQLite gave a new user the id of
      // an erased one when that was the highest, and whatever still named the id (a row staged
      // before the erasure, a text written across it) became the new user's. The table is rebuilt
      // with the same rows; ids already given again before this migration stay as they are.
      {R"sql(
CREATE TABLE users_v11(
  id INTEGER PRIMARY KEY AUTOINCREMENT, ext_id TEXT NOT NULL UNIQUE, gender TEXT, age INTEGER,
  birth_year INTEGER, occupation TEXT, city TEXT, zip TEXT, signup_ts INTEGER);
INSERT INTO users_v11(id, ext_id, gender, age, birth_year, occupation, city, zip, signup_ts)
  SELECT id, ext_id, gender, age, birth_year, occupation, city, zip, signup_ts FROM users;
DROP TABLE users;
ALTER TABLE users_v11 RENAME TO users;
)sql"},
      // 12: a user's purchases of an item without reading every event (what a text says they
      // paid, llm/writer.cc). Purchases only (type 3, a few percent of the events): an index of
      // every event by user doubled ingest time.
      {R"sql(
CREATE INDEX IF NOT EXISTS events_purchases ON events(user_id, item_id) WHERE type = 3;
)sql"},
      // 13: events of users no longer stored: an erasure before moves left them out could
      // leave a user's events staged, and a later move brought them in. Every erasure deleted
      // them, reading every event against the users table (11.5 s of a 42 s erasure at 20 M
      // events); once here is enough, since nothing writes them now.
      {R"sql(
DELETE FROM events WHERE user_id NOT IN (SELECT id FROM users);
)sql", "events of users erased earlier, which an older kgprofile brought in from the service's staging, were deleted"},
      // 14: category codes as ingest now stores them: ASCII letters in lower case (brand keys
      // always were) and no empty segments. `Electronics.Phone`, `electronics.phone` and
      // `electronics..phone` were three categories (with a stray `electronics.` between), each
      // with its own products. Codes of one key become one category, the one already written so
      // where there is one (else the oldest), which takes the others' products, children, source
      // ids and the names it lacks. Codes starting `id:` in any case (source-id placeholders) and
      // codes of dots only are left as they are. The keys are a view: rows are written (and the
      // upgrade warns) only where a code changes.
      {R"sql(
CREATE TEMP VIEW category_key AS
  SELECT id, lower(trim(replace(replace(replace(replace(code, '..', '.'), '..', '.'), '..', '.'), '..', '.'), '.')) AS key
  FROM categories WHERE lower(substr(code, 1, 3)) <> 'id:' AND trim(code, '.') <> '';
CREATE TEMP TABLE category_case(from_id INTEGER PRIMARY KEY, into_id INTEGER NOT NULL);
INSERT INTO category_case
  SELECT k.id, s.id FROM category_key k
  JOIN (SELECT k2.key AS key, coalesce(min(CASE WHEN c.code = k2.key THEN k2.id END), min(k2.id)) AS id
        FROM category_key k2 JOIN categories c ON c.id = k2.id GROUP BY k2.key) AS s ON s.key = k.key
  WHERE k.id <> s.id;
UPDATE categories SET
  name_en = coalesce(nullif(name_en, ''), (SELECT f.name_en FROM category_case cc JOIN categories f ON f.id = cc.from_id
                                           WHERE cc.into_id = categories.id AND nullif(f.name_en, '') IS NOT NULL
                                           ORDER BY f.id LIMIT 1)),
  name_zh = coalesce(name_zh, (SELECT f.name_zh FROM category_case cc JOIN categories f ON f.id = cc.from_id
                               WHERE cc.into_id = categories.id AND f.name_zh IS NOT NULL ORDER BY f.id LIMIT 1))
  WHERE id IN (SELECT into_id FROM category_case);
UPDATE OR IGNORE item_categories SET category_id = (SELECT into_id FROM category_case WHERE from_id = category_id)
  WHERE category_id IN (SELECT from_id FROM category_case);
DELETE FROM item_categories WHERE category_id IN (SELECT from_id FROM category_case);
UPDATE items SET category_id = (SELECT into_id FROM category_case WHERE from_id = category_id)
  WHERE category_id IN (SELECT from_id FROM category_case);
UPDATE category_sources SET category_id = (SELECT into_id FROM category_case WHERE from_id = category_id)
  WHERE category_id IN (SELECT from_id FROM category_case);
UPDATE categories SET parent_id = (SELECT into_id FROM category_case WHERE from_id = parent_id)
  WHERE parent_id IN (SELECT from_id FROM category_case);
DELETE FROM categories WHERE id IN (SELECT from_id FROM category_case);
UPDATE categories SET code = k.key, name_en = nullif(categories.name_en, '')
  FROM category_key AS k WHERE k.id = categories.id AND categories.code <> k.key;
DROP TABLE category_case;
DROP VIEW category_key;
)sql", "category codes are now stored in lower case without empty segments, and codes that differed only so were "
       "merged into one category: run graph build and profile build to see them as one (docs/workspace.md \"Upgrading\")"},
  };
  return kMigrations;
}

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(Migrations().size()); }

std::string_view MigrationSql(int version) {
  return Migrations().at(static_cast<size_t>(version - 1)).sql;
}

Result<MigrationReport> Migrate(Db& db) {
  MigrationReport r;
  r.from = r.to = db.QueryInt("PRAGMA user_version");
  const int64_t want = LatestSchemaVersion();
  const auto newer = [&](int64_t have) {
    return Status::InvalidArgument(fmt::format(
        "{}: schema version {} is newer than this kgprofile supports ({}); upgrade kgprofile", db.path(), have, want));
  };
  if (r.from > want) return newer(r.from);
  for (int64_t v = r.from; v < want; ++v) {
    const Migration& m = Migrations()[static_cast<size_t>(v)];
    Txn txn(db);  // immediate: another process opening the same workspace waits here …
    // … and finds the migrations it read as missing done by the first (it failed on them:
    // "duplicate column", "table meta already exists").
    if (const int64_t now = db.QueryInt("PRAGMA user_version"); now > v) {
      txn.Commit();
      if (now > want) return newer(now);  // a newer kgprofile migrated it meanwhile
      if (r.to == r.from) r.from = now;  // nothing applied here: no upgrade to report
      r.to = now;
      v = now - 1;
      continue;
    }
    const int64_t before = sqlite3_total_changes(db.raw());
    KGP_RETURN_IF_ERROR(db.Exec(m.sql));
    const bool changed = sqlite3_total_changes(db.raw()) != before;
    KGP_RETURN_IF_ERROR(db.Exec(fmt::format("PRAGMA user_version={}", v + 1)));
    txn.Commit();
    r.to = v + 1;
    if (changed && m.note && std::find(r.notes.begin(), r.notes.end(), m.note) == r.notes.end())
      r.notes.emplace_back(m.note);
  }
  return r;
}

}  // namespace kgp
