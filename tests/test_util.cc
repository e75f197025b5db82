#include "test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

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

std::string BinaryPath() { return KGP_BINARY; }

RunResult RunCli(const std::string& args) {
  TempDir tmp;
  std::string cmd = std::string(KGP_BINARY) + " " + args + " >" + tmp / "out" + " 2>" + tmp / "err" + " </dev/null";
  int rc = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
  r.out = ReadFile(tmp / "out");
  r.err = ReadFile(tmp / "err");
  return r;
}

}  // namespace kgp::test
