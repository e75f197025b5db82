// Catalogue-side readers: products, the category tree, brands, users.
#include <algorithm>

#include <fmt/format.h>

#include "common/log.h"
#include "common/strings.h"
#include "common/time.h"
#include "ingest/reader_util.h"
#include "ingest/readers_internal.h"
#include "common/pii.h"

namespace kgp::internal {

Status ReadCatalog(const std::string& path, const ReaderOptions& opts, RecordSink& sink) {
  CsvReader r(path, WithEncoding(CsvOptions{}, opts));
  if (!r.Next()) return r.status();
  HeaderIndex h;
  KGP_RETURN_IF_ERROR(h.Init(r, {"product_id"}));
  const int c_id = h.Find("product_id"), c_title = h.Find("title"),
            c_path = h.Find("category_path"), c_cat = h.Find("category_id"),
            c_brand = h.Find("brand"), c_price = h.Find("price"), c_attr = h.Find("attributes");
  return ForEachRecord(r, sink, h.names(), [&](CsvReader& row) {
    ItemRecord it;
    it.replaces = true;
    it.id = Trim(Field(row, c_id));
    if (auto p = IdProblem(it.id, "product id")) return RejectRow(sink, row, "product_id", *p);
    it.title = Trim(Field(row, c_title));
    it.category_path = Trim(Field(row, c_path));
    it.category_id = Trim(Field(row, c_cat));
    it.brand = Trim(Field(row, c_brand));
    std::string_view price = Field(row, c_price);
    if (!Trim(price).empty()) {
      auto p = ParseDouble(price);
      if (!p || *p < 0 || *p > kMaxPrice) return RejectRow(sink, row, "price", "bad price");
      it.price = p;
    }
    if (!ParseAttributes(Field(row, c_attr), &it.attributes))
      return RejectRow(sink, row, "attributes", "attribute is not key=value");
    sink.OnItem(it);
  }, h.width());
}

Status ReadCategories(const std::string& path, const ReaderOptions& opts, RecordSink& sink) {
  CsvReader r(path, WithEncoding(CsvOptions{}, opts));
  if (!r.Next()) return r.status();
  HeaderIndex h;
  KGP_RETURN_IF_ERROR(h.Init(r, {"code"}));
  const int c_code = h.Find("code"), c_en = h.Find("name_en"), c_zh = h.Find("name_zh"),
            c_parent = h.Find("parent_code");
  return ForEachRecord(r, sink, h.names(), [&](CsvReader& row) {
    CategoryRecord c;
    c.code = Trim(Field(row, c_code));
    if (c.code.find_first_not_of('.') == std::string::npos) return RejectRow(sink, row, "code", "missing category code");
    c.name_en = Trim(Field(row, c_en));
    c.name_zh = Trim(Field(row, c_zh));
    c.parent_code = Trim(Field(row, c_parent));
    sink.OnCategory(c);
  }, h.width());
}

Status ReadBrands(const std::string& path, const ReaderOptions& opts, RecordSink& sink) {
  CsvReader r(path, WithEncoding(CsvOptions{}, opts));
  if (!r.Next()) return r.status();
  HeaderIndex h;
  KGP_RETURN_IF_ERROR(h.Init(r, {"brand"}));
  const int c_b = h.Find("brand"), c_name = h.Find("name"), c_zh = h.Find("name_zh"), c_root = h.Find("root_category");
  return ForEachRecord(r, sink, h.names(), [&](CsvReader& row) {
    BrandRecord b;
    b.brand = Trim(Field(row, c_b));
    if (b.brand.empty()) return RejectRow(sink, row, "brand", "missing brand");
    b.name = Trim(Field(row, c_name));
    b.name_zh = Trim(Field(row, c_zh));
    b.root_category = Trim(Field(row, c_root));
    sink.OnBrand(b);
  }, h.width());
}

Status ReadUsers(const std::string& path, const ReaderOptions& opts, RecordSink& sink) {
  CsvReader r(path, WithEncoding(CsvOptions{}, opts));
  if (!r.Next()) return r.status();
  HeaderIndex h;
  KGP_RETURN_IF_ERROR(h.Init(r, {"user_id"}));
  // PII columns (common/pii.h) are dropped unless the workspace stores PII in clear; either way
  // the log names the columns, never a value.
  std::vector<std::string> pii_columns;
  std::vector<std::pair<int, std::string>> pii;  // column, field
  for (size_t i = 0; i < r.size(); ++i)
    if (std::string field = PiiFieldOf(r[i]); !field.empty()) {
      pii_columns.emplace_back(r[i]);
      pii.emplace_back(static_cast<int>(i), std::move(field));
    }
  if (!pii.empty())
    LOG_INF("{}: PII columns {}: {} (docs/privacy.md)", path, opts.keep_pii ? "stored in clear (store_pii = true)" : "not stored",
            fmt::format("{}", fmt::join(pii_columns, ", ")));
  if (!opts.keep_pii) pii.clear();
  const int c_id = h.Find("user_id"), c_g = h.Find("gender"), c_by = h.Find("birth_year"),
            c_age = h.Find("age"), c_city = h.Find("city"), c_occ = h.Find("occupation"),
            c_zip = h.Find("zip"), c_sign = h.Find("signup_time");
  return ForEachRecord(r, sink, h.names(), [&](CsvReader& row) {
    UserRecord u;
    u.id = Trim(Field(row, c_id));
    if (auto p = IdProblem(u.id, "user id")) return RejectRow(sink, row, "user_id", *p);
    auto g = NormaliseGender(Field(row, c_g));
    if (!g) return RejectRow(sink, row, "gender", "unknown gender");
    u.gender = *g;
    if (!Trim(Field(row, c_by)).empty()) {
      auto y = ParseInt(Field(row, c_by));
      if (!y || *y < 1900 || *y > 2100) return RejectRow(sink, row, "birth_year", "bad birth year");
      u.birth_year = static_cast<int>(*y);
    }
    if (!Trim(Field(row, c_age)).empty()) {
      auto a = ParseInt(Field(row, c_age));
      if (!a || *a < 0 || *a > 130) return RejectRow(sink, row, "age", "bad age");
      u.age = static_cast<int>(*a);
    }
    u.city = Trim(Field(row, c_city));
    u.occupation = Trim(Field(row, c_occ));
    u.zip = Trim(Field(row, c_zip));
    if (!Trim(Field(row, c_sign)).empty()) {
      auto t = ParseTimestamp(Field(row, c_sign));
      if (!t) return RejectRow(sink, row, "signup_time", "unparseable time");
      u.signup_ts = t;
    }
    // Two columns of one field (phone, mobile): the first non-empty value.
    for (const auto& [col, field] : pii) {
      const std::string_view v = Trim(Field(row, col));
      const bool seen = std::any_of(u.pii.begin(), u.pii.end(), [&](const auto& p) { return p.first == field; });
      if (!v.empty() && !seen) u.pii.emplace_back(field, v);
    }
    sink.OnUser(u);
  }, h.width());
}

}  // namespace kgp::internal
