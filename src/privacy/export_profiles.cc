#include "privacy/export_profiles.h"

#include <filesystem>

#include <fmt/format.h>

#include "common/csv.h"
#include "common/out_file.h"

namespace kgp::privacy {

nlohmann::json ProfileExportReport::Json() const {
  auto j = kanon.Json(ProfileExportQis());
  j["path"] = path;
  j["columns"] = columns;
  return j;
}

std::string ProfileExportHeader() {
  std::string h;
  for (const auto& q : ProfileExportQis()) h += (h.empty() ? "" : ",") + q.name;
  return h;
}

Result<ProfileExportReport> ExportProfilesKAnonymous(Workspace& ws, const std::string& path, const KAnonOptions& opts) {
  Db& db = ws.db();
  if (db.QueryInt("SELECT count(*) FROM profiles") == 0)
    return Status::NotFound(fmt::format("{}: no profiles yet (run: kgprofile profile build {})", ws.dir(), ws.dir()));
  ProfileExportReport rep;
  rep.path = path;
  // Every released column is a quasi-identifier: k-anonymity over some columns while the others
  // (exact event and purchase counts) single people out is none.
  const std::vector<QuasiIdentifier> qis = ProfileExportQis();
  for (const auto& q : qis) rep.columns.push_back(q.name);
  std::vector<std::vector<std::string>> rows;
  Stmt st = db.Prepare(
      "SELECT coalesce(age_group,''), coalesce(gender,''), coalesce(city,''), coalesce(occupation,''), "
      "coalesce(price_level,''), coalesce(lifecycle,''), coalesce(rfm_segment,''), coalesce(cluster,''), "
      "coalesce(events,0), coalesce(purchases,0) FROM profiles ORDER BY random()");  // row order must not reveal the user order
  while (st.Step()) {
    std::vector<std::string> r;
    for (int c = 0; c < 8; ++c) r.emplace_back(st.Text(c));
    r.push_back(CountBand(st.Int(8)));
    r.push_back(CountBand(st.Int(9)));
    rows.push_back(std::move(r));
  }
  auto k = KAnonymize(rows, qis, opts);
  if (!k.ok()) return k.status();
  rep.kanon = std::move(*k);
  std::error_code ec;
  if (auto parent = std::filesystem::path(path).parent_path(); !parent.empty())
    std::filesystem::create_directories(parent, ec);
  // A failed write leaves no partial table and an earlier export stands; a device or pipe
  // (/dev/stdout) is written through, a symlink's target replaced (OutFile::OpenReplacing).
  OutFile out;
  KGP_RETURN_IF_ERROR(out.OpenReplacing(path));
  out.Write(ProfileExportHeader());
  out.Put('\n');
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rep.kanon.suppressed[i]) continue;
    std::string& b = out.buf();
    for (size_t c = 0; c < rows[i].size(); ++c) {
      if (c) b.push_back(',');
      AppendCsvField(b, rows[i][c]);
    }
    b.push_back('\n');
    out.MaybeFlush();
  }
  KGP_RETURN_IF_ERROR(out.Close());
  return rep;
}

}  // namespace kgp::privacy
