#include <gnu/libc-version.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

#include "cli/cli.h"

namespace {

// glibc's malloc advises its large regions as transparent huge pages only under the tunable
// glibc.malloc.hugetlb=1, which it reads once, at start-up. Where the kernel gives huge pages
// on advice only (transparent_hugepage/enabled = madvise, Debian's default), the binary sets
// the tunable and runs itself again, once, before anything else: the arrays of events,
// histories and graphs then fault and miss the TLB 512 times less often (docs/workspace.md,
// "Memory"). Not where huge pages are off or always on, not when GLIBC_TUNABLES already names
// the tunable, not with KGPROFILE_MALLOC_THP=0; if the second run cannot start, the first goes
// on as it was. Needs glibc 2.35 or later (older ones ignore the tunable); not when the binary
// was started through the dynamic loader (/proc/self/exe is the loader then).
bool MallocHugePagesOnAdvice() {
  int major = 0, minor = 0;
  if (std::sscanf(gnu_get_libc_version(), "%d.%d", &major, &minor) != 2 || major < 2 || (major == 2 && minor < 35))
    return false;
  std::ifstream mode("/sys/kernel/mm/transparent_hugepage/enabled");  // closed before the exec
  std::string line;
  if (!std::getline(mode, line) || line.find("[madvise]") == std::string::npos) return false;
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return false;
  const std::string exe(self, static_cast<size_t>(n));
  const std::string base = exe.substr(exe.rfind('/') + 1);
  return base.rfind("ld-", 0) != 0 && base.rfind("ld.so", 0) != 0;
}

void AdviseMallocHugePages(char** argv) {
  if (const char* off = std::getenv("KGPROFILE_MALLOC_THP"); off && std::strcmp(off, "0") == 0) return;
  if (std::getenv("KGPROFILE_MALLOC_THP_SET")) return;  // this is the second run
  const char* given = std::getenv("GLIBC_TUNABLES");
  const std::optional<std::string> tunables = given ? std::optional<std::string>(given) : std::nullopt;
  if (tunables && tunables->find("glibc.malloc.hugetlb") != std::string::npos) return;
  if (!MallocHugePagesOnAdvice()) return;
  const std::string value = tunables && !tunables->empty() ? *tunables + ":glibc.malloc.hugetlb=1" : "glibc.malloc.hugetlb=1";
  if (setenv("GLIBC_TUNABLES", value.c_str(), 1) == 0 && setenv("KGPROFILE_MALLOC_THP_SET", "1", 1) == 0)
    execv("/proc/self/exe", argv);
  if (tunables) setenv("GLIBC_TUNABLES", tunables->c_str(), 1); else unsetenv("GLIBC_TUNABLES");
  unsetenv("KGPROFILE_MALLOC_THP_SET");
}

}  // namespace

int main(int argc, char** argv) {
  AdviseMallocHugePages(argv);
  return kgp::cli::Main(argc, argv);
}
