#include "store/workspace.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <span>

#include <fmt/format.h>

#include "common/config.h"
#include "common/log.h"
#include "common/strings.h"
#include "store/schema.h"

namespace kgp {
namespace fs = std::filesystem;

std::string Workspace::Path(const std::string& name) const { return (fs::path(dir_) / name).string(); }

namespace {

// Every setting docs/workspace.md lists, and which of them are switches. `llm.<key>` settings
// are checked by the language-model layer (llm/backend.cc), which also passes unknown ones on.
constexpr const char* kSwitches[] = {"pseudonymize", "store_pii", "dp_required"};
constexpr const char* kOtherKeys[] = {"pseudonym_key_file", "ingest_cache_mb", "dp_epsilon_budget", "dp_delta_budget",
                                      "dp_epsilon", "dp_delta", "dp_mechanism", "currency",
                                      "recommend.kge_ann_min_items"};

// true/false, yes/no, on/off, 1/0 in any letter case, as "true" or "false"; nullopt otherwise.
std::optional<std::string> ParseSwitch(std::string_view v) {
  const std::string l = ToLowerAscii(v);
  for (const char* t : {"true", "yes", "on", "1"})
    if (l == t) return std::string("true");
  for (const char* f : {"false", "no", "off", "0"})
    if (l == f) return std::string("false");
  return std::nullopt;
}

}  // namespace

// A misspelt or mistyped setting must not fall back to its default unnoticed: a workspace whose
// `pseudonymize = True` read as false stored raw user ids beside the pseudonyms.
Status Workspace::LoadConfig() {
  config_.clear();
  const std::string path = Path(kConfigFile);
  if (!fs::exists(path)) return Status::Ok();
  std::map<std::string, int> lines;
  auto kv = ReadKeyValueFile(path, &lines);
  if (!kv.ok()) return kv.status();
  for (auto& [key, value] : *kv) {
    const auto where = [&, &key = key] { return fmt::format("{}:{}: {}", path, lines[key], key); };
    if (std::find(std::begin(kSwitches), std::end(kSwitches), key) != std::end(kSwitches)) {
      auto on = ParseSwitch(value);
      if (!on) return Status::InvalidArgument(fmt::format("{} = {}: expected true or false", where(), value));
      value = *on;
    } else if (key == "ingest_cache_mb") {
      auto mb = ParseInt(value);
      if (!mb || *mb <= 0) return Status::InvalidArgument(fmt::format("{} = {}: expected a whole number of MiB > 0", where(), value));
    } else if (!key.starts_with("llm.") &&
               std::find(std::begin(kOtherKeys), std::end(kOtherKeys), key) == std::end(kOtherKeys)) {
      std::string known;
      for (const auto& list : {std::span<const char* const>(kSwitches), std::span<const char* const>(kOtherKeys)})
        for (const char* k : list) known += (known.empty() ? "" : ", ") + std::string(k);
      return Status::InvalidArgument(
          fmt::format("{}: unknown setting (known: {}, llm.<key>; see docs/workspace.md)", where(), known));
    }
  }
  config_ = std::move(kv).value();
  return Status::Ok();
}

std::string Workspace::Setting(const std::string& key, const std::string& fallback) const {
  auto it = config_.find(key);
  return it == config_.end() ? fallback : it->second;
}

std::string Workspace::PseudonymKeyPath() const {
  std::string file = Setting("pseudonym_key_file", "pseudonym.key");
  return (fs::path(file).is_absolute() ? fs::path(file) : fs::path(dir_) / file).string();
}

Result<std::string> Workspace::PseudonymKey() const {
  if (Setting("pseudonymize", "false") != "true") return std::string();
  if (const char* env = std::getenv("KGPROFILE_PSEUDONYM_KEY"); env && *env) return std::string(env);
  fs::path p = PseudonymKeyPath();
  // A key others can read is a key others can use to re-identify every user: refuse it.
  struct stat st;
  if (::stat(p.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
    return Status::InvalidArgument(fmt::format(
        "{}: pseudonym key file is readable or writable by group or others (mode {:04o}); run: chmod 600 {}",
        p.string(), st.st_mode & 07777, p.string()));
  std::ifstream in(p, std::ios::binary);
  std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  key = std::string(Trim(key));
  if (key.empty())
    return Status::NotFound(fmt::format(
        "pseudonymisation is on but no key: set KGPROFILE_PSEUDONYM_KEY or create {}", p.string()));
  return key;
}

Result<std::unique_ptr<Workspace>> Workspace::Init(const std::string& dir, const WorkspaceOptions& opts) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError(fmt::format("{}: cannot create folder: {}", dir, ec.message()));
  fs::path conf = fs::path(dir) / kConfigFile;
  if (!fs::exists(conf)) {
    std::ofstream out(conf);
    out << "# kgprofile workspace settings (key = value). See docs/workspace.md.\n"
        << "pseudonymize = " << (opts.pseudonymize ? "true" : "false") << "\n"
        << "pseudonym_key_file = pseudonym.key\n"
        << "store_pii = " << (opts.store_pii ? "true" : "false") << "\n"
        << "# ISO code of the shop's prices (CNY USD EUR GBP JPY): how generated texts write them\n"
        << "currency = CNY\n";
    if (!out) return Status::IoError(fmt::format("{}: cannot write", conf.string()));
  }
  fs::path keyfile = fs::path(dir) / "pseudonym.key";
  if (opts.pseudonymize && !fs::exists(keyfile) && !std::getenv("KGPROFILE_PSEUDONYM_KEY")) {
    std::random_device rd;
    std::string key;
    for (int i = 0; i < 32; ++i) key.push_back(static_cast<char>(rd() & 0xFF));
    {
      std::ofstream out(keyfile, std::ios::binary);
      out << HexEncode(key) << "\n";
    }
    ::chmod(keyfile.c_str(), 0600);  // the key must not be world-readable
  }
  return Open(dir);
}

Result<std::unique_ptr<Workspace>> Workspace::Open(const std::string& dir) {
  fs::path dbp = fs::path(dir) / kDbFile;
  const fs::path conf = fs::path(dir) / kConfigFile;
  if (!fs::exists(conf) && !fs::exists(dbp))
    return Status::NotFound(fmt::format("{}: not a kgprofile workspace (run: kgprofile init {})", dir, dir));
  // Without its settings a workspace would run on defaults: pseudonymisation and required
  // differential privacy off.
  if (!fs::exists(conf))
    return Status::NotFound(fmt::format(
        "{}: missing; it holds the workspace's settings (pseudonymisation, PII, privacy): restore it, or run "
        "kgprofile init {} to write the defaults (then set pseudonymize = true if the workspace pseudonymises ids)",
        conf.string(), dir));
  std::unique_ptr<Workspace> ws(new Workspace());
  ws->dir_ = dir;
  KGP_RETURN_IF_ERROR(ws->LoadConfig());
  auto db = Db::Open(dbp.string(), /*create=*/true);
  if (!db.ok()) return db.status();
  ws->db_ = std::move(db).value();
  auto migrated = Migrate(*ws->db_);
  if (!migrated.ok()) return migrated.status();
  if (migrated->Upgraded()) {
    LOG_INF("{}: workspace upgraded from schema version {} to {}; older kgprofile versions can no longer open it",
            dir, migrated->from, migrated->to);
    for (const auto& note : migrated->notes) LOG_WRN("{}: {}", dir, note);
  }
  KGP_RETURN_IF_ERROR(ws->CheckPseudonymised());
  return ws;
}

// Once a workspace stores pseudonyms it stays pseudonymised (nothing turns it off): the database
// records it where pseudonyms are written (RecordPseudonymised), and a configuration that says
// otherwise is refused rather than followed.
Status Workspace::CheckPseudonymised() {
  if (Setting("pseudonymize", "false") == "true") return Status::Ok();
  Stmt get = db_->Prepare("SELECT value FROM meta WHERE key = 'pseudonymize'");
  bool stored = get.Step() && get.Text(0) == "true";
  // Workspaces written before the record: a key file beside stored users.
  std::error_code ec;
  if (!stored && fs::exists(PseudonymKeyPath(), ec)) stored = db_->QueryInt("SELECT count(*) FROM users") > 0;
  if (!stored) return Status::Ok();
  return Status::InvalidArgument(fmt::format(
      "{}: pseudonymize is false (or not set), but this workspace stores pseudonymised user ids: set pseudonymize = "
      "true (otherwise raw ids would be stored beside the pseudonyms)",
      Path(kConfigFile)));
}

void Workspace::RecordPseudonymised() {
  db_->Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES('pseudonymize', 'true')").Run();
}

Result<ServeLock> ServeLock::Acquire(const Workspace& ws) {
  const std::string path = ws.Path(kServeLockFile);
  // Readable by all (a pid is no secret): a command run by another account must see the lock.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int err = errno;
    return Status::IoError(fmt::format("{}: cannot open: {}{}", path, std::strerror(err),
                                       err == EACCES ? " (left by a server run as another account? with no server "
                                                       "running, the file may be deleted)"
                                                     : ""));
  }
  ::fchmod(fd, 0644);  // whatever the umask
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    const int64_t pid = ServingPid(ws);
    // Aborted, not InvalidArgument: the command was right, another process holds the lock.
    if (pid == 0)  // only shared holds: commands
      return Status::Aborted(fmt::format(
          "{}: a kgprofile command (erase, profile build or update, a key change) is using this workspace (it holds "
          "{}); start the server when it ends",
          ws.dir(), path));
    return Status::Aborted(fmt::format("{}: another kgprofile serve{} holds this workspace (lock {})", ws.dir(),
                                       pid > 0 ? fmt::format(" (pid {})", pid) : std::string(" (pid unknown)"), path));
  }
  const std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    ::close(fd);
    return Status::IoError(fmt::format("{}: cannot write", path));
  }
  return ServeLock(fd);
}

ServeLock& ServeLock::operator=(ServeLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

ServeLock::~ServeLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

int64_t ServingPid(const Workspace& ws) {
  const int fd = ::open(ws.Path(kServeLockFile).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : -1;  // unreadable: a server may hold it
  int64_t pid = 0;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    auto v = n > 0 ? ParseInt(Trim(std::string_view(buf, static_cast<size_t>(n)))) : std::nullopt;
    pid = v && *v > 0 ? *v : -1;
  }
  ::close(fd);
  return pid;
}

Result<ServeLock> ServeLock::Share(const Workspace& ws, const std::string& what, const std::string& instead) {
  const std::string path = ws.Path(kServeLockFile);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 && errno != ENOENT && errno != EROFS && errno != EACCES)
    return Status::IoError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  if (fd < 0 && ::access(path.c_str(), F_OK) != 0) return ServeLock(-1);  // cannot be created: no server has it
  if (fd >= 0 && ::flock(fd, LOCK_SH | LOCK_NB) == 0) return ServeLock(fd);
  if (fd >= 0) ::close(fd);
  const int64_t pid = ServingPid(ws);
  return Status::Aborted(fmt::format(
      "{}: kgprofile serve{} is running on this workspace and keeps its profiles in memory (lock {}); {} ({})", what,
      pid > 0 ? fmt::format(" (pid {})", pid) : std::string(), path, instead, ws.dir()));
}

}  // namespace kgp
