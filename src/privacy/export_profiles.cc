#include "privacy/export_profiles.h"

#include <filesystem>

#include <fmt/format.h>

#include "common/csv.h"
#include "common/out_file.h"

namespace kgp::privacy {

nlohmann::json ProfileExportReport::Json() const {
  auto j = kanon.Json(ProfileQis());
  j["path"] = path;
  j["columns"] = columns;
  return j;
}

Result<ProfileExportReport> ExportProfilesKAnonymous(Workspace& ws, const std::string& path, const KAnonOptions& opts) {
  Db& db = ws.db();
  if (db.QueryInt("SELECT count(*) FROM profiles") == 0)
    return Status::NotFound(fmt::format("{}: no profiles yet (run: kgprofile profile build {})", ws.dir(), ws.dir()));
  ProfileExportReport rep;
  rep.path = path;
  const std::vector<QuasiIdentifier> qis = ProfileQis();
  // Quasi-identifiers first, then attributes that identify no one on their own.
  rep.columns = {"age_group", "gender", "city", "occupation", "price_level", "lifecycle", "rfm_segment", "cluster",
                 "events", "purchases"};
  std::vector<std::vector<std::string>> qi, rest;
  Stmt st = db.Prepare(
      "SELECT coalesce(age_group,''), coalesce(gender,''), coalesce(city,''), coalesce(occupation,''), "
      "coalesce(price_level,''), coalesce(lifecycle,''), coalesce(rfm_segment,''), coalesce(cluster,''), events, "
      "coalesce(purchases,0) FROM profiles ORDER BY random()");  // row order must not reveal the user order
  while (st.Step()) {
    std::vector<std::string> a(4), b;
    for (int c = 0; c < 4; ++c) a[static_cast<size_t>(c)] = std::string(st.Text(c));
    for (int c = 4; c < 10; ++c) b.emplace_back(st.Text(c));
    qi.push_back(std::move(a));
    rest.push_back(std::move(b));
  }
  auto k = KAnonymize(qi, qis, opts);
  if (!k.ok()) return k.status();
  rep.kanon = std::move(*k);
  std::error_code ec;
  if (auto parent = std::filesystem::path(path).parent_path(); !parent.empty())
    std::filesystem::create_directories(parent, ec);
  OutFile out;
  KGP_RETURN_IF_ERROR(out.Open(path));
  for (size_t c = 0; c < rep.columns.size(); ++c) out.Write(c ? "," + rep.columns[c] : rep.columns[c]);
  out.Put('\n');
  for (size_t i = 0; i < qi.size(); ++i) {
    if (rep.kanon.suppressed[i]) continue;
    std::string& b = out.buf();
    bool first = true;
    for (const auto* row : {&qi[i], &rest[i]})
      for (const auto& v : *row) {
        if (!first) b.push_back(',');
        first = false;
        AppendCsvField(b, v);
      }
    b.push_back('\n');
    out.MaybeFlush();
  }
  KGP_RETURN_IF_ERROR(out.Close());
  return rep;
}

}  // namespace kgp::privacy
