// Generated texts in the store (table llm_texts, schema migration 4): the cache that makes a
// repeated request free (same task, user, item, language, backend, model, prompt version and
// input hash) and the record `llm refresh` compares profiles against. Uses the workspace's
// Db: one thread at a time, like the Db.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/db.h"

namespace kgp::llm {

struct StoredText {
  int64_t id = 0;
  std::string task;
  uint32_t user = 0;
  int64_t item = -1;  // -1: none
  std::string lang, backend, model, prompt_version, input_hash;
  std::string text, raw;
  double faithfulness = 1;
  int64_t claims = 0, unsupported = 0, attempts = 1;
  std::string facts_json, checked_json;
  std::map<std::string, double> tags;  // tag spec → weight when written
  int64_t created = 0;                 // unix seconds
};

class TextCache {
 public:
  explicit TextCache(Db& db) : db_(db) {}
  std::optional<StoredText> Find(const std::string& task, uint32_t user, int64_t item, const std::string& lang,
                                 const std::string& backend, const std::string& model, const std::string& prompt_version,
                                 const std::string& input_hash);
  // Inserts or replaces (same key); sets t.id. Nothing is stored (t.id = 0) for a user no longer
  // in `users` (erased while the text was written).
  void Put(StoredText& t);
  // The newest text of a user for a task / language / backend, any model or version.
  std::optional<StoredText> Latest(uint32_t user, const std::string& task, const std::string& lang,
                                   const std::string& backend);
  // Users that have a text for task / language / backend.
  std::vector<uint32_t> Users(const std::string& task, const std::string& lang, const std::string& backend);

 private:
  Db& db_;
};

std::string TagsToJson(const std::map<std::string, double>& tags);
std::map<std::string, double> TagsFromJson(const std::string& json);
// L1 distance between two tag vectors (missing tags weigh 0).
double TagDistance(const std::map<std::string, double>& a, const std::map<std::string, double>& b);

}  // namespace kgp::llm
