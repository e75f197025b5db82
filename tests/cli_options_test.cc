// Option checks shared by the commands (src/cli/cli.h): a refusal says what the option must be,
// and no value is silently read as another one.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "cli/cli.h"
#include "test_util.h"

namespace kgp::cli {
namespace {

// The validator's verdict: empty when accepted, else the reason.
std::string Check(const CLI::Validator& v, std::string value) { return v(value); }

// CLI11 reads an unsigned option with strtoull: "-1" became 18446744073709551615 (a seed, a
// sample size) and "010" octal 8. Unsigned() lets only plain decimal digits through.
TEST(CliOptions, UnsignedRefusesSignsAndOtherBases) {
  for (const char* ok : {"0", "7", "18446744073709551615"}) EXPECT_EQ(Check(Unsigned(), ok), "") << ok;
  for (const char* bad : {"-1", "-0", "+3", "1.5", "1e3", "0x10", "", " 4", "18446744073709551616"}) {
    const std::string why = Check(Unsigned(), bad);
    EXPECT_NE(why.find("whole number of 0 or more"), std::string::npos) << bad << ": " << why;
  }
  EXPECT_NE(Check(Unsigned(), "010").find("octal"), std::string::npos);
}

// CLI::PositiveNumber refused 0 as "not in range 0.000000 to 1797…" (300 digits), a range that
// holds 0; the project's checks say the range the option has.
TEST(CliOptions, IntegerChecksSayTheirRange) {
  EXPECT_EQ(Check(PositiveInt(), "1"), "");
  EXPECT_EQ(Check(PositiveInt(), "2147483647"), "");
  EXPECT_EQ(Check(NonNegativeInt(), "0"), "");
  for (const char* bad : {"0", "-4", "2147483648", "2.5"})
    EXPECT_EQ(Check(PositiveInt(), bad), fmt::format("must be a whole number from 1 to 2147483647, not '{}'", bad));
  for (const char* bad : {"-1", "2147483648", "nan"})
    EXPECT_EQ(Check(NonNegativeInt(), bad), fmt::format("must be a whole number from 0 to 2147483647, not '{}'", bad));
}

// `kgprofile bogus` said "A subcommand is required", as if none had been given.
TEST(CliOptions, AnUnknownCommandIsNamed) {
  auto r = test::RunCli("bogus");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("unknown command 'bogus'"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("A subcommand is required"), std::string::npos) << r.err;
  auto none = test::RunCli("");
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.err.find("A subcommand is required"), std::string::npos) << none.err;
  auto nested = test::RunCli("graph bogus");
  EXPECT_NE(nested.exit_code, 0);
  EXPECT_NE(nested.err.find("bogus"), std::string::npos) << nested.err;
}

// Where the kernel gives transparent huge pages on advice (madvise), the binary runs itself again
// with glibc.malloc.hugetlb=1 (src/cli/main.cc); not with KGPROFILE_MALLOC_THP=0, and a
// GLIBC_TUNABLES naming the tunable is kept as given. Other tunables are kept beside it.
TEST(CliOptions, MallocHugePagesAreAdvisedWhereTheKernelTakesAdvice) {
  std::ifstream mode("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  const bool madvise = std::getline(mode, line) && line.find("[madvise]") != std::string::npos;
  test::TempDir tmp;
  const std::string advised = "memory: malloc advises transparent huge pages";
  // Whatever the test's own environment holds of these.
  const std::string clean = "env -u GLIBC_TUNABLES -u KGPROFILE_MALLOC_THP -u KGPROFILE_MALLOC_THP_SET";
  auto plain = test::RunCli(fmt::format("-v init {}", tmp / "a"), clean);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.err.find(advised) != std::string::npos, madvise) << line << "\n" << plain.err;
  auto off = test::RunCli(fmt::format("-v init {}", tmp / "b"), clean + " KGPROFILE_MALLOC_THP=0");
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_EQ(off.err.find(advised), std::string::npos) << off.err;
  auto theirs = test::RunCli(fmt::format("-v init {}", tmp / "c"), clean + " GLIBC_TUNABLES=glibc.malloc.hugetlb=0");
  ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
  EXPECT_EQ(theirs.err.find(advised), std::string::npos) << theirs.err;
  if (madvise) {
    auto beside = test::RunCli(fmt::format("-v init {}", tmp / "d"), clean + " GLIBC_TUNABLES=glibc.malloc.arena_max=2");
    ASSERT_EQ(beside.exit_code, 0) << beside.err;
    EXPECT_NE(beside.err.find("GLIBC_TUNABLES=glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1"), std::string::npos)
        << beside.err;
  }
}

// On the command line: kge train's integer options and the unsigned options of other commands.
TEST(CliOptions, KgeTrainIntegerOptionsAreRefusedWithTheirRange) {
  test::TempDir tmp;
  const std::string kg = tmp / "kg";
  std::filesystem::create_directories(kg);
  test::WriteFile(kg + "/train.txt", "a\tr\tb\nb\tr\tc\n");
  for (const std::string bad : {"--negatives 0", "--batch 0", "--valid-every -1", "--patience -1", "--valid-sample -1",
                                "--seed -1", "--seed 010", "--dim 0", "--dim 2.5", "--relation-dim -1"}) {
    const std::string dim = bad.starts_with("--dim") ? "" : " --dim 4";
    auto r = test::RunCli("kge train --data " + kg + dim + " --epochs 1 -j 1 --no-eval " + bad + " -o " + (tmp / "t.kge"));
    EXPECT_EQ(r.exit_code, 105) << bad << ": " << r.err;  // CLI11's validation error
    EXPECT_NE(r.err.find(bad.substr(0, bad.find(' '))), std::string::npos) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("whole number"), std::string::npos) << bad << ": " << r.err;
    EXPECT_EQ(r.err.find("1797"), std::string::npos) << bad << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(tmp / "t.kge")) << bad;
  }
  // Above the model's range: refused before the data is read, not after.
  auto wide = test::RunCli("kge train --data " + (tmp / "absent") + " --dim 100001 --epochs 1 -o " + (tmp / "t.kge"));
  EXPECT_EQ(wide.exit_code, 105) << wide.err;
  EXPECT_NE(wide.err.find("--dim"), std::string::npos) << wide.err;
  EXPECT_NE(wide.err.find("100000"), std::string::npos) << wide.err;
  // A k that is not a whole number: "Could not convert" before.
  auto k = test::RunCli("export " + (tmp / "absent") + " --k-anonymous 2.5");
  EXPECT_EQ(k.exit_code, 105) << k.err;
  EXPECT_NE(k.err.find("whole number from 1"), std::string::npos) << k.err;
  auto gen = test::RunCli("generate " + (tmp / "g") + " --users -5");
  EXPECT_NE(gen.exit_code, 0);
  EXPECT_NE(gen.err.find("--users"), std::string::npos) << gen.err;
  EXPECT_NE(gen.err.find("whole number of 0 or more"), std::string::npos) << gen.err;
}

}  // namespace
}  // namespace kgp::cli
