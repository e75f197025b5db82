#include "store/workspace.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include <fmt/format.h>

#include "common/config.h"
#include "common/strings.h"
#include "store/schema.h"

namespace kgp {
namespace fs = std::filesystem;

std::string Workspace::Path(const std::string& name) const { return (fs::path(dir_) / name).string(); }

Status Workspace::LoadConfig() {
  config_.clear();
  if (!fs::exists(Path(kConfigFile))) return Status::Ok();
  auto kv = ReadKeyValueFile(Path(kConfigFile));
  if (!kv.ok()) return kv.status();
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
  if (!fs::exists(fs::path(dir) / kConfigFile) && !fs::exists(dbp))
    return Status::NotFound(fmt::format("{}: not a kgprofile workspace (run: kgprofile init {})", dir, dir));
  std::unique_ptr<Workspace> ws(new Workspace());
  ws->dir_ = dir;
  KGP_RETURN_IF_ERROR(ws->LoadConfig());
  auto db = Db::Open(dbp.string(), /*create=*/true);
  if (!db.ok()) return db.status();
  ws->db_ = std::move(db).value();
  KGP_RETURN_IF_ERROR(Migrate(*ws->db_));
  return ws;
}

}  // namespace kgp
