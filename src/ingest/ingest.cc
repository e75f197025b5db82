#include "ingest/ingest.h"

#include <cstdio>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "common/csv.h"
#include "common/hash.h"
#include "common/out_file.h"
#include "common/log.h"
#include "common/progress.h"
#include "common/strings.h"
#include "common/time.h"
#include "store/db.h"

namespace kgp {
namespace fs = std::filesystem;

Result<std::string> FileFingerprint(const std::string& path) {
  // A pipe or FIFO can be read once, by the reader: never "already ingested", nothing read here.
  std::error_code ec;
  if (!fs::is_regular_file(path, ec) && fs::exists(path, ec))
    return fmt::format("stream-{}-{:016x}", std::time(nullptr),
                       Hash64(path, static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())));
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status::IoError(fmt::format("{}: cannot open", path));
  // The whole content, 1 MiB at a time (0.04 to 0.08 s per 100 MB from the page cache here): a file
  // changed anywhere, its size kept, is read again.
  std::string buf(1 << 20, '\0');
  uint64_t size = 0, h = 0;
  while (size_t n = std::fread(buf.data(), 1, buf.size(), f)) {
    h = HashCombine(h, Hash64(std::string_view(buf.data(), n), size));
    size += n;
  }
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return Status::IoError(fmt::format("{}: read error", path));
  return fmt::format("{}-{:016x}", size, h);
}

namespace {

// Sink that writes records through a StoreWriter and keeps the report.
class StoreSink : public RecordSink {
 public:
  StoreSink(StoreWriter& w, IngestReport& rep, uint64_t max_errors, Progress& progress)
      : w_(w), rep_(rep), max_errors_(max_errors), progress_(progress) {}
  // Every record read, whatever its kind (an events row, a product, a review …).
  void OnEvent(const EventRecord& r) override { ++rep_.records, w_.AddEvent(r); }
  void OnItem(const ItemRecord& r) override { ++rep_.records, w_.AddItem(r); }
  void OnCategory(const CategoryRecord& r) override { ++rep_.records, w_.AddCategory(r); }
  void OnBrand(const BrandRecord& r) override { ++rep_.records, w_.AddBrand(r); }
  void OnUser(const UserRecord& r) override { ++rep_.records, w_.AddUser(r); }
  void OnText(const TextRecord& r) override { ++rep_.records, w_.AddText(r); }
  void OnTriple(const TripleRecord& r) override { ++rep_.records, w_.AddTriple(r); }
  void OnReject(const Reject& r) override {
    ++rep_.rejects;
    ++rep_.rejects_by_reason[fmt::format("{}: {}", r.field, r.reason)];
    if (rep_.first_rejects.size() < 10) rep_.first_rejects.push_back(r);
    w_.AddReject(r);
  }
  void OnProgress(uint64_t bytes) override { progress_.Set(bytes); }
  bool ShouldStop() const override { return max_errors_ > 0 && rep_.rejects > max_errors_; }

 private:
  StoreWriter& w_;
  IngestReport& rep_;
  uint64_t max_errors_;
  Progress& progress_;
};

std::vector<std::pair<std::string, std::string>> Expand(const std::string& format,
                                                        const std::string& path) {
  if (format == "movielens") {
    return {{"ml-users", (fs::path(path) / "u.user").string()},
            {"ml-items", (fs::path(path) / "u.item").string()},
            {"ml-ratings", (fs::path(path) / "u.data").string()}};
  }
  return {{format, path}};
}

Status WriteRejectsFile(Workspace& ws, const IngestOptions& opts, IngestReport& rep) {
  std::string dir = opts.rejects_dir.empty() ? ws.Path("rejects") : opts.rejects_dir;
  std::error_code ec;
  fs::create_directories(dir, ec);
  rep.rejects_file = (fs::path(dir) / fmt::format("rejects-{}-{}.csv", rep.file_id,
                                                  fs::path(rep.path).filename().string()))
                         .string();
  OutFile out;
  KGP_RETURN_IF_ERROR(out.Open(rep.rejects_file));
  out.Write("file,line,field,reason\n");
  Stmt st = ws.db().Prepare("SELECT line, field, reason FROM rejects WHERE file_id=? ORDER BY rowid");
  st.Bind(1, rep.file_id);
  while (st.Step()) {
    std::string& b = out.buf();
    AppendCsvField(b, rep.path);
    b += fmt::format(",{},", st.Int(0));
    AppendCsvField(b, st.Text(1));
    b.push_back(',');
    AppendCsvField(b, st.Text(2));
    b.push_back('\n');
    out.MaybeFlush();
  }
  return out.Close();
}

int64_t IngestCacheKb(const Workspace& ws) {
  auto mb = ParseInt(ws.Setting("ingest_cache_mb", "1024"));  // checked when the workspace opens
  return (mb && *mb > 0 ? *mb : 1024) * 1024;
}

Result<IngestReport> IngestOne(Workspace& ws, const std::string& format, const std::string& path,
                               const IngestOptions& opts, const std::string& pkey) {
  IngestReport rep;
  rep.path = path;
  rep.format = format;
  auto fp = FileFingerprint(path);
  if (!fp.ok()) return fp.status();
  Db& db = ws.db();
  if (!opts.force) {
    Stmt st = db.Prepare("SELECT id FROM ingest_files WHERE fingerprint=? AND format=? AND status='done'");
    st.Bind(1, *fp).Bind(2, format);
    if (st.Step()) {
      rep.skipped = true;
      rep.file_id = st.Int(0);
      return rep;
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  std::error_code ec;
  rep.bytes = fs::is_regular_file(path) ? fs::file_size(path, ec) : 0;
  // A file lands in one transaction: give SQLite enough page cache to hold the B-trees it is
  // growing (1 GiB by default, `ingest_cache_mb` in kgprofile.conf), then return to normal.
  ThrowIfError(db.SetCacheKb(IngestCacheKb(ws)));
  struct RestoreCache {
    Db& db;
    ~RestoreCache() { (void)db.SetCacheKb(Db::kDefaultCacheKb); }
  } restore{db};
  Txn txn(db);
  Stmt ins = db.Prepare(
      "INSERT INTO ingest_files(path,format,fingerprint,size,started,status) VALUES(?,?,?,?,?,'running')");
  ins.Bind(1, fs::absolute(path).string()).Bind(2, format).Bind(3, *fp)
      .Bind(4, static_cast<int64_t>(rep.bytes)).Bind(5, static_cast<int64_t>(std::time(nullptr))).Run();
  rep.file_id = db.LastInsertRowid();
  if (!pkey.empty()) ws.RecordPseudonymised();
  Status read_status;
  {
    StoreWriter writer(db, rep.file_id, pkey);
    Progress progress(fmt::format("ingest {}", fs::path(path).filename().string()), rep.bytes, "bytes");
    StoreSink sink(writer, rep, opts.max_errors, progress);
    read_status = ReadFormat(format, path, opts.reader, sink);
    if (!sink.ShouldStop()) writer.Flush();
    progress.Finish();
    rep.counts = writer.counts();
    if (sink.ShouldStop()) rep.aborted = true;
  }
  // Rolled back: nothing of the file is stored, so nothing is new (the rejects stay reported).
  if (rep.aborted) rep.counts = {};
  // An unreadable file (missing, bad header) lands nothing. A malformed record (a quote left
  // open, an overlong line) is one rejected row and reading goes on (ForEachRecord).
  if (!read_status.ok()) return read_status;
  if (rep.aborted) {
    txn.Rollback();
    Stmt rec = db.Prepare(
        "INSERT INTO ingest_files(path,format,fingerprint,size,started,finished,rejects,status,message) "
        "VALUES(?,?,?,?,?,?,?,'aborted',?)");
    rec.Bind(1, fs::absolute(path).string()).Bind(2, format).Bind(3, *fp)
        .Bind(4, static_cast<int64_t>(rep.bytes)).Bind(5, static_cast<int64_t>(std::time(nullptr)))
        .Bind(6, static_cast<int64_t>(std::time(nullptr))).Bind(7, static_cast<int64_t>(rep.rejects))
        .Bind(8, fmt::format("more than {} rejected rows; rolled back", opts.max_errors)).Run();
    rep.seconds = SecondsSince(t0);
    return rep;
  }
  Stmt upd = db.Prepare(
      "UPDATE ingest_files SET finished=?, records=?, events_new=?, events_dup=?, rejects=?, "
      "status='done', message=? WHERE id=?");
  upd.Bind(1, static_cast<int64_t>(std::time(nullptr)))
      .Bind(2, static_cast<int64_t>(rep.records))
      .Bind(3, static_cast<int64_t>(rep.counts.events_new))
      .Bind(4, static_cast<int64_t>(rep.counts.events_dup)).Bind(5, static_cast<int64_t>(rep.rejects))
      .BindTextOrNull(6, read_status.ok() ? "" : read_status.message()).Bind(7, rep.file_id).Run();
  txn.Commit();
  if (rep.rejects > 0) KGP_RETURN_IF_ERROR(WriteRejectsFile(ws, opts, rep));
  rep.seconds = SecondsSince(t0);
  return rep;
}

}  // namespace

Result<std::vector<IngestReport>> Ingest(Workspace& ws, const std::string& path,
                                         const IngestOptions& opts) {
  if (!fs::exists(path)) return Status::NotFound(fmt::format("{}: no such file or folder", path));
  std::string format = opts.format;
  if (format.empty()) {
    format = DetectFormat(path, opts.reader.encoding);
    if (format.empty() && !fs::is_directory(path)) {
      // An unknown --encoding or lone-CR line ends say so rather than "cannot tell the format".
      CsvReader probe(path, CsvOptions{'\0', false, true, opts.reader.encoding});
      if (!probe.Next() && !probe.status().ok()) return probe.status();
    }
    if (format.empty())
      return Status::InvalidArgument(
          fmt::format("{}: cannot tell the format; give --format (see kgprofile ingest --help)", path));
    LOG_INF("{}: detected format {}", path, format);
  }
  if (!IsKnownFormat(format)) return Status::InvalidArgument(fmt::format("unknown format '{}'", format));
  auto key = ws.PseudonymKey();
  if (!key.ok()) return key.status();
  IngestOptions o = opts;
  o.reader.keep_pii = ws.StorePii();
  std::vector<IngestReport> out;
  for (const auto& [f, p] : Expand(format, path)) {
    if (!fs::exists(p)) return Status::NotFound(fmt::format("{}: no such file", p));
    if (fs::is_directory(p))
      return Status::InvalidArgument(fmt::format("{}: is a folder; format {} reads a file", p, f));
    try {
      auto rep = IngestOne(ws, f, p, o, *key);
      if (!rep.ok()) return rep.status();
      out.push_back(std::move(rep).value());
      if (out.back().aborted) break;
    } catch (const Error& e) {
      return Status::IoError(fmt::format("{}: {}", p, e.what()));
    }
  }
  return out;
}

}  // namespace kgp
