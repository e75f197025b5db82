// Shared test helpers: temporary folders, the shared datasets, running the CLI binary.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace kgp {
class Workspace;
}

namespace kgp::test {

// Built with AddressSanitizer or ThreadSanitizer (KGPROFILE_SANITIZE_ADDRESS, _THREAD): they
// reserve terabytes of shadow address space, so a test that runs the CLI under an address-space
// limit (ulimit -v, RLIMIT_AS) cannot start it and skips: KGP_SKIP_UNDER_ASAN().
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#define KGP_SKIP_UNDER_ASAN() \
  if (::kgp::test::kAddressSanitizer) GTEST_SKIP() << "an address-space limit: not with a sanitizer's shadow memory"

// A fresh empty folder under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// ../shared/data/<rel> relative to the source tree (or $KGP_SHARED_DATA/<rel>); empty if
// absent, so callers GTEST_SKIP() with a message.
std::string SharedData(const std::string& rel);

void WriteFile(const std::string& path, const std::string& content);
std::string ReadFile(const std::string& path);
// How many times `what` occurs in `s` (overlapping ones too).
size_t Occurrences(const std::string& s, const std::string& what);
// The temporary files a cut-short OutFile::OpenReplacing(path) leaves beside it (PATH.tmp.PID.N,
// or PATH.tmp as earlier versions and the index writer name them), space-separated; "" if none.
std::string TempFilesOf(const std::string& path);

struct RunResult {
  int exit_code;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Runs the kgprofile binary with args (shell-quoted here), capturing stdout and stderr;
// `prefix` goes before the binary (e.g. "timeout 20").
RunResult RunCli(const std::string& args, const std::string& prefix = "");
std::string BinaryPath();

// A new workspace at `dir` with `files` ingested (as `format`; detected when empty) and the
// graph built: the set-up most suites share. Null after a gtest failure naming the step.
std::unique_ptr<Workspace> IngestedWorkspace(const std::string& dir, const std::vector<std::string>& files,
                                             const std::string& format = "");
// The generator's shop files under `dir` that IngestedWorkspace takes, in dependency order.
std::vector<std::string> ShopFiles(const std::string& dir, bool with_brands = true);

// The text without quoted product titles (“…” and "…"): a title is in one language only, so
// language checks on generated sentences look at the rest.
std::string WithoutQuotes(const std::string& text);
// Whether text has a Han character (CJK Unified Ideographs) outside quoted titles.
bool HasHanOutsideQuotes(const std::string& text);

}  // namespace kgp::test

#define KGP_REQUIRE_DATA(var, rel)                                                       \
  std::string var = ::kgp::test::SharedData(rel);                                        \
  if (var.empty()) GTEST_SKIP() << "shared dataset " << rel << " not present (../shared/data)"
