#include "privacy/files.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string_view>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "common/out_file.h"

namespace kgp::privacy {
namespace fs = std::filesystem;

namespace {
struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
constexpr size_t kChunk = 1 << 20;

// When process pid started, in seconds since the epoch (/proc/PID/stat's start time after boot,
// /proc/stat's boot time); nullopt when either cannot be read.
std::optional<double> ProcessStart(int64_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return std::nullopt;
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  std::string field;
  for (int i = 3; i < 22 && rest >> field; ++i) {
  }
  unsigned long long ticks = 0;
  if (!(rest >> ticks)) return std::nullopt;
  std::ifstream boot("/proc/stat");
  long long btime = -1;
  for (std::string key; boot >> key;)
    if (key == "btime") {
      boot >> btime;
      break;
    }
  const long hz = ::sysconf(_SC_CLK_TCK);
  if (btime < 0 || hz <= 0) return std::nullopt;
  return static_cast<double>(btime) + static_cast<double>(ticks) / static_cast<double>(hz);
}

// Whether the writer of the temporary file or folder at `path`, process pid, is gone: no process
// pid runs, or the one that does started after the file was last written (the pid was reused:
// a writer starts before it creates its file). Not this process's own files.
bool WriterGone(int64_t pid, const fs::path& path) {
  if (pid <= 0 || pid == ::getpid() || pid > INT32_MAX) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0) return errno == ESRCH;
  struct stat st {};
  const auto started = ProcessStart(pid);
  if (!started || ::stat(path.c_str(), &st) != 0) return false;
  const double written = static_cast<double>(st.st_mtim.tv_sec) + static_cast<double>(st.st_mtim.tv_nsec) * 1e-9;
  // Boot time is whole seconds, start time in clock ticks: a 2-second margin.
  return *started > written + 2.0;
}
}  // namespace

std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec)) out.push_back(it->path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> CheckpointFiles(const std::string& workspace_dir) {
  std::vector<std::string> out;
  for (const auto& f : ListFiles((fs::path(workspace_dir) / "models").string())) {
    // A writer's temporary file is not a checkpoint: a live one is incomplete, a dead one's
    // truncated (RemoveStaleTempFiles).
    if (OutFile::IsTempName(fs::path(f).filename().string())) continue;
    std::unique_ptr<FILE, FileCloser> in(std::fopen(f.c_str(), "rb"));
    char magic[6];
    if (in && std::fread(magic, 1, 6, in.get()) == 6 && std::memcmp(magic, "KGPEMB", 6) == 0) out.push_back(f);
  }
  return out;
}

std::vector<std::string> RemoveStaleTempFiles(const std::string& workspace_dir) {
  std::vector<std::string> out;
  const fs::path root = fs::path(workspace_dir);
  // A federated run's work folder (WS/federated.tmp.PID.N) goes whole; no other folder does.
  std::vector<fs::path> folders;
  std::error_code walk;
  for (fs::directory_iterator it(root, walk), end; !walk && it != end; it.increment(walk)) {
    int64_t pid = 0;
    const std::string name = it->path().filename().string();
    if (name.starts_with(std::string(kFederatedWorkName) + ".tmp.") && it->is_directory(walk) &&
        OutFile::IsTempName(name, &pid) && WriterGone(pid, it->path()))
      folders.push_back(it->path());
  }
  for (const fs::path& d : folders) {
    std::error_code ec;
    fs::remove_all(d, ec);
    if (!ec) out.push_back(d.string() + "/");
  }
  for (const auto& f : ListFiles(workspace_dir)) {
    const fs::path p(f);
    int64_t pid = 0;
    if (!OutFile::IsTempName(p.filename().string(), &pid)) continue;
    bool stale = false;
    if (pid > 0) {
      stale = WriterGone(pid, p);
    } else {
      // NAME.tmp of an earlier version: only beside the files erasure rewrites (other such names
      // may be another tool's live file, e.g. pseudonym.key.tmp during a key change).
      const fs::path rel = p.lexically_relative(root);
      const std::string top = rel.begin() != rel.end() ? rel.begin()->string() : std::string();
      stale = top == "models" || top == "export" || rel == "profiles.state.tmp";
    }
    std::error_code ec;
    if (stale && fs::remove(p, ec)) out.push_back(f);
  }
  return out;
}

Result<bool> FileContains(const std::string& path, const std::vector<std::string>& needles, bool whole_ids) {
  auto found = FileContainsEach(path, {needles}, whole_ids);
  if (!found.ok()) return found.status();
  return static_cast<bool>((*found)[0]);
}

Result<std::vector<bool>> FileContainsEach(const std::string& path, const std::vector<std::vector<std::string>>& groups,
                                           bool whole_ids) {
  std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) return Status::IoError(fmt::format("{}: cannot read", path));
  std::vector<bool> found(groups.size(), false);
  // One pass whatever the number of needles: a bit per first two bytes rules out most
  // positions; there, the bytes are looked up whole, once per distinct needle length (ids of a
  // kind share a few lengths, and most needles share their first bytes, "user:").
  struct Needle {
    std::string_view text;
    size_t group;
  };
  std::vector<Needle> ones;
  std::map<size_t, std::unordered_multimap<std::string_view, size_t>> by_length;  // length → text → group
  std::vector<uint64_t> first2(65536 / 64, 0);
  size_t longest = 0, left = 0;
  const auto key2 = [](const unsigned char* p) { return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8; };
  for (size_t g = 0; g < groups.size(); ++g) {
    left += std::any_of(groups[g].begin(), groups[g].end(), [](const std::string& n) { return !n.empty(); });
    for (const auto& n : groups[g]) {
      if (n.empty()) continue;
      longest = std::max(longest, n.size());
      if (n.size() == 1) {
        ones.push_back({n, g});
        continue;
      }
      const uint32_t k2 = key2(reinterpret_cast<const unsigned char*>(n.data()));
      first2[k2 / 64] |= uint64_t{1} << (k2 % 64);
      by_length[n.size()].emplace(n, g);
    }
  }
  if (longest == 0) return found;
  auto id_char = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '_' || c == '-' || c == '.' || u >= 0x80;
  };
  // buf = the byte before the positions not yet scanned (none at the start of the file), those
  // positions and this chunk. A position is scanned once every needle starting there has the
  // byte after it in buf, or at the end of the file.
  std::string buf;
  size_t from = 0;
  std::vector<char> chunk(kChunk);
  for (;;) {
    const size_t n = std::fread(chunk.data(), 1, chunk.size(), f.get());
    const bool last = n == 0;
    buf.append(chunk.data(), n);
    const auto* b = reinterpret_cast<const unsigned char*>(buf.data());
    const size_t size = buf.size();
    const size_t limit = last ? size : size > longest ? size - longest : 0;
    const auto check = [&](std::string_view text, size_t group, size_t at) {
      if (found[group]) return;
      const size_t end = at + text.size();
      if (whole_ids) {
        const bool open_before = !id_char(text.front()) || at == 0 || !id_char(buf[at - 1]);
        const bool open_after = !id_char(text.back()) || end == size || !id_char(buf[end]);
        if (!open_before || !open_after) return;
      }
      found[group] = true;
      --left;
    };
    for (size_t at = from; at < limit && left > 0; ++at) {
      for (const Needle& nd : ones)
        if (b[at] == static_cast<unsigned char>(nd.text[0])) check(nd.text, nd.group, at);
      if (at + 1 >= size) continue;
      const uint32_t k2 = key2(b + at);
      if (!(first2[k2 / 64] >> (k2 % 64) & 1)) continue;
      for (const auto& [len, needles] : by_length) {
        if (at + len > size) break;
        const auto [lo, hi] = needles.equal_range(std::string_view(buf).substr(at, len));
        for (auto it = lo; it != hi; ++it) check(it->first, it->second, at);
      }
    }
    if (last || left == 0) break;
    if (limit > 0) {
      buf.erase(0, limit - 1);  // keep the byte before the next position
      from = 1;
    }
  }
  return found;
}

Result<size_t> CountTokens(const std::string& path, const std::unordered_set<std::string>& tokens) {
  std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) return Status::IoError(fmt::format("{}: cannot read", path));
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; };
  size_t hits = 0;
  std::string tok;
  std::vector<char> chunk(kChunk);
  for (;;) {
    size_t n = std::fread(chunk.data(), 1, chunk.size(), f.get());
    for (size_t i = 0; i < n; ++i) {
      if (word(chunk[i])) {
        if (tok.size() < 256) tok.push_back(chunk[i]);
        continue;
      }
      if (!tok.empty() && tokens.count(tok)) ++hits;
      tok.clear();
    }
    if (n == 0) break;
  }
  if (!tok.empty() && tokens.count(tok)) ++hits;
  return hits;
}

ScrubReport ScrubDatabase(Db& db) {
  ScrubReport r;
  r.secure_delete = db.QueryInt("PRAGMA secure_delete") != 0;
  auto checkpoint = [&] {
    Stmt st = db.Prepare("PRAGMA wal_checkpoint(TRUNCATE)");
    return st.Step() && st.Int(0) == 0;  // first column: 1 when blocked by another connection
  };
  checkpoint();
  r.vacuumed = db.Exec("VACUUM").ok();
  r.wal_truncated = checkpoint();
  return r;
}

Status WritePrivateFile(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError(fmt::format("{}: cannot create: {}", tmp, std::strerror(errno)));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t w = ::write(fd, content.data() + done, content.size() - done);
    if (w <= 0) {
      ::close(fd);
      return Status::IoError(fmt::format("{}: write failed", tmp));
    }
    done += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return Status::IoError(fmt::format("{}: write failed", tmp));
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Status::IoError(fmt::format("{}: cannot rename", path));
  return Status::Ok();
}

}  // namespace kgp::privacy
