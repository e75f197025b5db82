#include "test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "common/out_file.h"
#include "graph/builder.h"
#include "ingest/ingest.h"
#include "store/workspace.h"

namespace kgp::test {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "kgptest-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}
TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string SharedData(const std::string& rel) {
  fs::path base;
  if (const char* env = std::getenv("KGP_SHARED_DATA")) base = env;
  else base = fs::path(KGP_SOURCE_DIR) / ".." / "shared" / "data";
  fs::path p = base / rel;
  return fs::exists(p) ? p.string() : std::string();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t Occurrences(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

std::string TempFilesOf(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const std::string prefix = target.filename().string() + ".tmp";
  std::string found;
  std::error_code ec;
  for (fs::directory_iterator d(target.parent_path().empty() ? fs::path(".") : target.parent_path(), ec), end;
       !ec && d != end; d.increment(ec)) {
    const std::string name = d->path().filename().string();
    if (name.rfind(prefix, 0) == 0 && OutFile::IsTempName(name)) found += (found.empty() ? "" : " ") + name;
  }
  return found;
}

std::string BinaryPath() { return KGP_BINARY; }

RunResult RunCli(const std::string& args, const std::string& prefix) {
  TempDir tmp;
  std::string cmd = (prefix.empty() ? "" : prefix + " ") + std::string(KGP_BINARY) + " " + args + " >" + tmp / "out" + " 2>" + tmp / "err" + " </dev/null";
  int rc = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
  r.out = ReadFile(tmp / "out");
  r.err = ReadFile(tmp / "err");
  return r;
}

std::unique_ptr<Workspace> IngestedWorkspace(const std::string& dir, const std::vector<std::string>& files,
                                             const std::string& format) {
  auto ws = Workspace::Init(dir, WorkspaceOptions{});
  if (!ws.ok()) {
    ADD_FAILURE() << "init " << dir << ": " << ws.status().ToString();
    return nullptr;
  }
  IngestOptions io;
  io.format = format;
  for (const auto& f : files) {
    auto r = Ingest(**ws, f, io);
    if (!r.ok()) {
      ADD_FAILURE() << "ingest " << f << ": " << r.status().ToString();
      return nullptr;
    }
  }
  if (Status s = BuildGraph((*ws)->db(), GraphBuildOptions{}, nullptr); !s.ok()) {
    ADD_FAILURE() << "graph build: " << s.ToString();
    return nullptr;
  }
  return std::move(ws).value();
}

std::vector<std::string> ShopFiles(const std::string& dir, bool with_brands) {
  std::vector<std::string> out;
  for (const char* f : {"categories.csv", "brands.csv", "catalog.csv", "users.csv", "events.csv"})
    if (with_brands || std::string(f) != "brands.csv") out.push_back(dir + "/" + f);
  return out;
}

std::string WithoutQuotes(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const bool curly = text.compare(i, 3, "“") == 0;
    if (curly || text[i] == '"') {
      const size_t end = text.find(curly ? "”" : "\"", i + (curly ? 3 : 1));
      if (end != std::string::npos) {
        i = end + (curly ? 3 : 1);
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

bool HasHanOutsideQuotes(const std::string& text) {
  // U+4E00..U+9FFF in UTF-8 start with a byte E4..E9.
  const std::string rest = WithoutQuotes(text);
  return std::any_of(rest.begin(), rest.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b >= 0xE4 && b <= 0xE9;
  });
}

}  // namespace kgp::test
