// `kgprofile kge` on the command line: failures end in a clear error, never an abort.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "test_util.h"

namespace kgp::embed {
namespace {

// Threads that cannot all start (a memory limit stands in for a pids limit) are an error that
// says so, exit 1; -j is 0 to 1024.
TEST(EmbedCliErrors, ThreadsThatCannotStartAreAnErrorNotAnAbort) {
  KGP_REQUIRE_DATA(dir, "nations");
  test::TempDir tmp;
  const std::string cmd = "ulimit -v 800000; " + test::BinaryPath() + " -q kge train --data " + dir +
                          " --dim 4 --epochs 1 -j 300 --no-eval -o " + (tmp / "m.kge") + " 2>" + (tmp / "err");
  const int rc = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(rc)) << "killed by signal " << WTERMSIG(rc);
  EXPECT_EQ(WEXITSTATUS(rc), 1) << test::ReadFile(tmp / "err");
  EXPECT_NE(test::ReadFile(tmp / "err").find("cannot start thread"), std::string::npos) << test::ReadFile(tmp / "err");
  for (const char* j : {"-j -7", "-j 5000"}) {
    auto r = test::RunCli("kge train --data " + dir + " --epochs 1 --no-eval " + j + " -o " + (tmp / "b.kge"));
    EXPECT_NE(r.exit_code, 0) << j;
    EXPECT_NE(r.err.find("threads"), std::string::npos) << j << ": " << r.err;
  }
}

}  // namespace
}  // namespace kgp::embed
