#include "common/out_file.h"

#include <sys/stat.h>
#include <unistd.h>

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
  KGP_RETURN_IF_ERROR(Open(target + ".tmp"));
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
