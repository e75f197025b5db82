#include "common/out_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace kgp {

OutFile::~OutFile() {
  if (!final_.empty()) Discard();
  if (file_) std::fclose(file_);
}

Status OutFile::Open(const std::string& path) {
  path_ = path;
  err_ = 0;
  buf_.clear();
  buf_.reserve(kFlushBytes + 4096);
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) return Status::IoError(fmt::format("{}: cannot open for writing: {}", path, std::strerror(errno)));
  opened_ = true;
  return Status::Ok();
}

Status OutFile::OpenNew(const std::string& path, bool* exists) {
  *exists = false;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    *exists = errno == EEXIST;
    return Status::IoError(fmt::format("{}: cannot create: {}", path, std::strerror(errno)));
  }
  path_ = path;
  err_ = 0;
  buf_.clear();
  buf_.reserve(kFlushBytes + 4096);
  file_ = ::fdopen(fd, "wb");
  if (!file_) {
    const int err = errno;
    ::close(fd);
    std::error_code ec;
    std::filesystem::remove(path, ec);
    return Status::IoError(fmt::format("{}: cannot open for writing: {}", path, std::strerror(err)));
  }
  opened_ = true;
  return Status::Ok();
}

std::string OutFile::TempName(const std::string& target) {
  static std::atomic<uint64_t> counter{0};
  return fmt::format("{}.tmp.{}.{}", target, ::getpid(), ++counter);
}

bool OutFile::IsTempName(std::string_view name, int64_t* pid) {
  if (pid) *pid = 0;
  if (name.size() > 4 && name.ends_with(".tmp")) return true;
  const size_t at = name.rfind(".tmp.");  // NAME.tmp.PID.N
  if (at == std::string_view::npos || at == 0) return false;
  const std::string_view rest = name.substr(at + 5);
  const size_t dot = rest.find('.');
  const auto digits = [](std::string_view d) {
    return !d.empty() && d.size() <= 18 && d.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (dot == std::string_view::npos || !digits(rest.substr(0, dot)) || !digits(rest.substr(dot + 1))) return false;
  if (pid) *pid = std::stoll(std::string(rest.substr(0, dot)));
  return true;
}

std::string OutFile::ReplaceTarget(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_symlink(path, ec)) {
    fs::path resolved = fs::canonical(path, ec);
    if (!ec) return resolved.string();  // a dangling link is replaced by the file
  }
  return path;
}

Status OutFile::CheckReplaceable(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string target = ReplaceTarget(path);
  const fs::file_status st = fs::status(target, ec);
  if (fs::is_directory(st)) return Status::InvalidArgument(fmt::format("{}: a folder, not a file", path));
  if (fs::exists(st) && !fs::is_regular_file(st)) return Status::Ok();  // written through
  fs::path dir = fs::path(target).parent_path();
  if (dir.empty()) dir = ".";
  std::string probe = (dir / ("." + fs::path(target).filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(probe.data());
  if (fd < 0)
    return Status::IoError(fmt::format("{}: cannot write in {}: {}", path, dir.string(), std::strerror(errno)));
  ::close(fd);
  fs::remove(probe, ec);
  return Status::Ok();
}

Status OutFile::OpenReplacing(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string target = ReplaceTarget(path);
  const fs::file_status st = fs::status(target, ec);
  if (fs::exists(st) && !fs::is_regular_file(st) && !fs::is_directory(st)) {
    final_.clear();
    return Open(target);  // a device or FIFO: written through, never renamed over
  }
  // A name of its own (pid and counter): a second writer of the same path (two profile updates)
  // never truncates or renames this one's file, and erasure can tell a dead writer's left-over
  // from a live one's (IsTempName).
  Status s;
  bool exists = true;
  for (int attempt = 0; attempt < 100 && exists; ++attempt)  // left by a dead process that had our pid
    s = OpenNew(TempName(target), &exists);
  KGP_RETURN_IF_ERROR(s);
  // The replacement keeps the mode of the file it replaces (an export kept 0600 stays so).
  if (fs::is_regular_file(st)) ::fchmod(::fileno(file_), static_cast<mode_t>(st.permissions()) & 07777);
  final_ = target;
  return Status::Ok();
}

void OutFile::Flush() {
  if (err_ == 0 && !buf_.empty() && file_) {
    errno = 0;
    if (std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size()) err_ = errno ? errno : EIO;
  }
  buf_.clear();  // after an error the rest is dropped: Close() reports the first failure
}

Status OutFile::Close() {
  Flush();
  if (file_) {
    errno = 0;
    if (std::fflush(file_) != 0 && err_ == 0) err_ = errno ? errno : EIO;
    if (std::fclose(file_) != 0 && err_ == 0) err_ = errno ? errno : EIO;
    file_ = nullptr;
  }
  if (final_.empty()) {
    if (err_ != 0) return Status::IoError(fmt::format("{}: write failed: {}", path_, std::strerror(err_)));
    return Status::Ok();
  }
  const std::string target = final_;
  std::error_code ec;
  if (err_ == 0) std::filesystem::rename(path_, target, ec);
  if (err_ != 0 || ec) {
    Discard();  // the temporary file goes; the target keeps its previous content
    return Status::IoError(err_ != 0 ? fmt::format("{}: write failed: {}", target, std::strerror(err_))
                                     : fmt::format("{}: cannot replace it: {}", target, ec.message()));
  }
  final_.clear();
  opened_ = false;
  return Status::Ok();
}

void OutFile::Discard() {
  if (file_) {
    std::fclose(file_);
    file_ = nullptr;
  }
  buf_.clear();
  // Only a regular file this writer opened (and so truncated): a file we could not open is
  // someone else's, and /dev/full or a pipe must never be deleted.
  std::error_code ec;
  if (opened_ && std::filesystem::is_regular_file(path_, ec)) std::filesystem::remove(path_, ec);
  opened_ = false;
  final_.clear();
}

}  // namespace kgp
