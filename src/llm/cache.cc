#include "llm/cache.h"

#include <cmath>

#include <nlohmann/json.hpp>

namespace kgp::llm {
namespace {

constexpr const char* kColumns =
    "id, task, user_id, item_id, lang, backend, model, prompt_version, input_hash, text, raw, faithfulness, claims, "
    "unsupported, attempts, facts, checked, tags, created";

StoredText Read(Stmt& st) {
  StoredText t;
  int i = 0;
  t.id = st.Int(i++);
  t.task = std::string(st.Text(i++));
  t.user = static_cast<uint32_t>(st.Int(i++));
  t.item = st.Int(i++);
  for (std::string* s : {&t.lang, &t.backend, &t.model, &t.prompt_version, &t.input_hash, &t.text, &t.raw})
    *s = std::string(st.Text(i++));
  t.faithfulness = st.Double(i++);
  t.claims = st.Int(i++);
  t.unsupported = st.Int(i++);
  t.attempts = st.Int(i++);
  t.facts_json = std::string(st.Text(i++));
  t.checked_json = std::string(st.Text(i++));
  t.tags = TagsFromJson(std::string(st.Text(i++)));
  t.created = st.Int(i++);
  return t;
}

}  // namespace

std::optional<StoredText> TextCache::Find(const std::string& task, uint32_t user, int64_t item, const std::string& lang,
                                          const std::string& backend, const std::string& model,
                                          const std::string& prompt_version, const std::string& input_hash) {
  Stmt st = db_.Prepare(std::string("SELECT ") + kColumns +
                        " FROM llm_texts WHERE task=? AND user_id=? AND item_id=? AND lang=? AND backend=? AND model=? "
                        "AND prompt_version=? AND input_hash=?");
  st.Bind(1, task).Bind(2, static_cast<int64_t>(user)).Bind(3, item).Bind(4, lang).Bind(5, backend).Bind(6, model);
  st.Bind(7, prompt_version).Bind(8, input_hash);
  if (!st.Step()) return std::nullopt;
  return Read(st);
}

void TextCache::Put(StoredText& t) {
  // Only for a user still stored: one erased while the text was written (an erasure commits
  // between this command's read of the profile and this insert) is not brought back. One
  // statement, so no erasure comes between the check and the insert.
  Stmt st = db_.Prepare(
      "INSERT OR REPLACE INTO llm_texts(task, user_id, item_id, lang, backend, model, prompt_version, input_hash, text, "
      "raw, faithfulness, claims, unsupported, attempts, facts, checked, tags, created) "
      "SELECT ?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,? WHERE EXISTS (SELECT 1 FROM users WHERE id = ?2)");
  int i = 0;
  const auto text = [&](const std::string& v) { st.Bind(++i, v); };
  const auto num = [&](int64_t v) { st.Bind(++i, v); };
  text(t.task);
  num(t.user);
  num(t.item);
  for (const std::string* s : {&t.lang, &t.backend, &t.model, &t.prompt_version, &t.input_hash, &t.text, &t.raw}) text(*s);
  st.Bind(++i, t.faithfulness);
  for (int64_t v : {t.claims, t.unsupported, t.attempts}) num(v);
  text(t.facts_json);
  text(t.checked_json);
  text(TagsToJson(t.tags));
  num(t.created);
  st.Run();
  t.id = db_.Changes() > 0 ? db_.LastInsertRowid() : 0;
}

std::optional<StoredText> TextCache::Latest(uint32_t user, const std::string& task, const std::string& lang,
                                            const std::string& backend) {
  Stmt st = db_.Prepare(std::string("SELECT ") + kColumns +
                        " FROM llm_texts WHERE user_id=? AND task=? AND lang=? AND backend=? ORDER BY created DESC, id DESC "
                        "LIMIT 1");
  st.Bind(1, static_cast<int64_t>(user)).Bind(2, task).Bind(3, lang).Bind(4, backend);
  if (!st.Step()) return std::nullopt;
  return Read(st);
}

std::vector<uint32_t> TextCache::Users(const std::string& task, const std::string& lang, const std::string& backend) {
  Stmt st = db_.Prepare("SELECT DISTINCT user_id FROM llm_texts WHERE task=? AND lang=? AND backend=? ORDER BY user_id");
  st.Bind(1, task).Bind(2, lang).Bind(3, backend);
  std::vector<uint32_t> out;
  while (st.Step()) out.push_back(static_cast<uint32_t>(st.Int(0)));
  return out;
}

std::string TagsToJson(const std::map<std::string, double>& tags) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : tags) j[k] = std::round(v * 1e4) / 1e4;
  return j.dump();
}

std::map<std::string, double> TagsFromJson(const std::string& json) {
  std::map<std::string, double> out;
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object()) return out;
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.value().is_number()) out[it.key()] = it.value().get<double>();
  return out;
}

double TagDistance(const std::map<std::string, double>& a, const std::map<std::string, double>& b) {
  double d = 0;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    d += std::fabs(v - (it == b.end() ? 0 : it->second));
  }
  for (const auto& [k, v] : b)
    if (!a.count(k)) d += std::fabs(v);
  return d;
}

}  // namespace kgp::llm
