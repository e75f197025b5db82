// A damaged profiles.state: every reader either gets profiles it can show or a Corruption that
// names the file and what is wrong, with the advice to run `profile build` (a tag id outside the
// graph crashed `profile export`; a length of 2^32 asked for 64 GiB; a changed counter loaded).
// A file of another format version is an InvalidArgument with the same advice.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "common/log.h"
#include "common/progress.h"
#include "common/rng.h"
#include "ingest/generator.h"
#include "profile/pipeline.h"
#include "test_util.h"

namespace kgp {
namespace {

class ProfileStateFileTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Progress::SetEnabled(false);
    SetLogLevel(LogLevel::kError);
    tmp_ = new test::TempDir();
    GeneratorOptions g;
    g.users = 20, g.events = 800, g.products = 80, g.seed = 4;
    g.out_dir = *tmp_ / "shop";
    ASSERT_TRUE(Generate(g, nullptr).ok());
    ws_ = test::IngestedWorkspace(*tmp_ / "ws", test::ShopFiles(g.out_dir)).release();
    ASSERT_TRUE(ws_);
    auto ctx = LoadProfileContext(*ws_);
    ASSERT_TRUE(ctx.ok());
    ctx_ = new ProfileContext(std::move(ctx).value());
    ASSERT_TRUE(BuildAllProfiles(*ws_, *ctx_, ProfileOptions{}, ClusterOptions{}, 1).ok());
    good_ = new std::string(test::ReadFile(ws_->Path(kProfileStateFile)));
  }
  static void TearDownTestSuite() {
    delete good_;
    delete ctx_;
    delete ws_;
    delete tmp_;
  }

  // The state file with `bytes` written at `at`, loaded and, when it loads, taken through what
  // `profile export` does. Not OK: a Corruption naming the file and the remedy (or, where the
  // magic is intact and the version field changed, the InvalidArgument of another version).
  static Status LoadDamaged(size_t at, std::string_view bytes) {
    std::string data = *good_;
    std::memcpy(data.data() + at, bytes.data(), bytes.size());
    uint32_t version = 0;
    std::memcpy(&version, data.data() + 8, sizeof version);
    const bool other_version = std::memcmp(data.data(), good_->data(), 8) == 0 && version != 3 && version != 4;
    return LoadBytes(data, other_version ? Status::Code::kInvalidArgument : Status::Code::kCorruption);
  }
  // `refused`: the code a file that does not load gets (another format version: InvalidArgument).
  static Status LoadBytes(const std::string& data, Status::Code refused = Status::Code::kCorruption) {
    const std::string path = *tmp_ / "damaged.state";
    test::WriteFile(path, data);
    auto set = LoadProfileSet(path);
    if (!set.ok()) {
      EXPECT_EQ(set.status().code(), refused) << set.status().ToString();
      EXPECT_EQ(set.status().message().rfind(path + ": ", 0), 0u) << set.status().message();
      EXPECT_NE(set.status().message().find("profile build"), std::string::npos) << set.status().message();
      return set.status();
    }
    MatchGraph(*ctx_->graph, &*set);
    for (const Profile& p : Snapshot(*ctx_->items, *set, 1))
      ToJson(*ctx_->graph, p, 20, 1).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return Status::Ok();
  }

  // Byte offsets of the layout (docs/profile.md "State file"): where the first user with tags
  // has its tags' length, and that user's first tag id.
  static size_t FirstTagsLength() {
    const auto u64 = [](size_t at) {
      uint64_t v;
      std::memcpy(&v, good_->data() + at, sizeof v);
      return v;
    };
    size_t at = 8 + 4 + sizeof(ProfileOptions) + 8 + 8 + sizeof(ClusterOptions);
    const uint64_t specs = u64(at);
    at += 8;
    for (uint64_t i = 0; i < specs; ++i) at += 4 + 8 + u64(at + 4);
    at += 8 + 4 * u64(at);  // seen prices
    const uint64_t users = u64(at);
    at += 8;
    for (uint64_t u = 0; u < users; ++u) {
      at += 8 + u64(at) + sizeof(UserCounters);
      if (u64(at) > 0) return at;
      at += 8;                                                  // no tags
      at += 8 + sizeof(Repurchase) * u64(at);                   // repurchases
      at += 8 + sizeof(uint32_t) * u64(at);                     // bought
    }
    ADD_FAILURE() << "no user with tags";
    return 0;
  }

  static test::TempDir* tmp_;
  static Workspace* ws_;
  static ProfileContext* ctx_;
  static std::string* good_;
};
test::TempDir* ProfileStateFileTest::tmp_ = nullptr;
Workspace* ProfileStateFileTest::ws_ = nullptr;
ProfileContext* ProfileStateFileTest::ctx_ = nullptr;
std::string* ProfileStateFileTest::good_ = nullptr;

TEST_F(ProfileStateFileTest, ATagIdOutsideTheNodeTableIsRefused) {
  const size_t tag = FirstTagsLength() + 8;
  const uint32_t bad = 0x7fffffff;
  Status s = LoadDamaged(tag, std::string_view(reinterpret_cast<const char*>(&bad), sizeof bad));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("tag 2147483647 is not a node of the state's node table"), std::string::npos) << s.message();
  EXPECT_TRUE(LoadDamaged(0, "").ok());  // the undamaged file
}

TEST_F(ProfileStateFileTest, ALengthBeyondTheFileIsRefusedBeforeAllocating) {
  for (const uint64_t n : {uint64_t{1} << 32, uint64_t{1} << 60, ~uint64_t{0}}) {
    Status s = LoadDamaged(FirstTagsLength(), std::string_view(reinterpret_cast<const char*>(&n), sizeof n));
    ASSERT_FALSE(s.ok()) << n;
    EXPECT_NE(s.message().find("tags length " + std::to_string(n) + " is more than the"), std::string::npos)
        << s.message();
  }
}

// 1 to 4 random bytes at random places (fixed seed), and every byte of the header and of the
// first user with tags set to 0xff: no crash, no huge allocation, and every copy that differs
// from the saved file is refused, a Corruption but for a changed version field (before the
// checksum, a changed counter loaded silently).
TEST_F(ProfileStateFileTest, AnyChangedByteIsCorruption) {
  Rng rng(20240607);
  size_t changed = 0, refused = 0;
  const auto load = [&](size_t at, std::string_view bytes) {
    if (good_->compare(at, bytes.size(), bytes) == 0) {
      EXPECT_TRUE(LoadDamaged(at, bytes).ok()) << at;  // the same bytes: the saved file
      return;
    }
    ++changed;
    refused += !LoadDamaged(at, bytes).ok();
  };
  for (int i = 0; i < 200; ++i) {
    std::string bytes(1 + rng.Below(uint64_t{4}), '\0');
    for (char& c : bytes) c = static_cast<char>(rng.Below(uint64_t{256}));
    load(rng.Below(static_cast<uint64_t>(good_->size() - bytes.size())), bytes);
  }
  const size_t user = FirstTagsLength();
  for (size_t at = 0; at < user + 8 + 4 * 16; ++at) {
    if (at >= 80 && at + 120 < user) at = user - 120;  // from the header to the counters' end
    load(at, "\xff");
  }
  for (size_t at = good_->size() - 8; at < good_->size(); ++at) load(at, "\x5a");  // the checksum itself
  EXPECT_GT(changed, 250u);
  EXPECT_EQ(refused, changed);
}

// A counter changed in place passes every structural check: the checksum names it.
TEST_F(ProfileStateFileTest, AChangedCounterIsAChecksumMismatch) {
  const size_t counters_end = FirstTagsLength();
  std::string data = *good_;
  data[counters_end - 9] ^= 0x01;
  Status s = LoadBytes(data);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("checksum mismatch"), std::string::npos) << s.message();
  // Bytes added after the checksum are refused too.
  s = LoadBytes(*good_ + "x");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("1 bytes after the checksum"), std::string::npos) << s.message();
}

// A format 3 file (the same fields, no checksum) still loads: no rebuild after upgrading.
TEST_F(ProfileStateFileTest, AFormat3FileWithoutChecksumLoads) {
  std::string data = good_->substr(0, good_->size() - 8);
  const uint32_t v3 = 3;
  std::memcpy(data.data() + 8, &v3, sizeof v3);
  EXPECT_TRUE(LoadBytes(data).ok());
  data[FirstTagsLength() - 9] ^= 0x01;  // unchecked in format 3, as before
  EXPECT_TRUE(LoadBytes(data).ok());
  const uint32_t v2 = 2;
  std::memcpy(data.data() + 8, &v2, sizeof v2);
  Status s = LoadBytes(data, Status::Code::kInvalidArgument);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("state format 2"), std::string::npos) << s.message();
}

// A file of another format version (an older kgprofile's, after an upgrade) is a version
// mismatch with the advice, not "corruption:" (it read as damage); a wrong magic still is.
TEST_F(ProfileStateFileTest, AnotherVersionsFileIsAVersionMismatchNotCorruption) {
  for (const uint32_t v : {1u, 2u, 5u}) {
    std::string data = *good_;
    std::memcpy(data.data() + 8, &v, sizeof v);
    Status s = LoadBytes(data, Status::Code::kInvalidArgument);
    ASSERT_FALSE(s.ok()) << v;
    EXPECT_EQ(s.ToString().find("corruption"), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find(fmt::format("state format {}, from another kgprofile version", v)), std::string::npos)
        << s.message();
  }
  std::string data = *good_;
  data[0] = 'X';
  EXPECT_FALSE(LoadBytes(data).ok());  // Corruption (LoadBytes checks the code)
  // The CLI says so too.
  test::TempDir tmp;
  std::filesystem::copy(ws_->dir(), tmp / "ws", std::filesystem::copy_options::recursive);
  data = *good_;
  const uint32_t v1 = 1;
  std::memcpy(data.data() + 8, &v1, sizeof v1);
  test::WriteFile(tmp / "ws" + "/" + kProfileStateFile, data);
  const auto run = test::RunCli("profile export " + (tmp / "ws"));
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.err.find("error: invalid argument: "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("state format 1, from another kgprofile version"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("rebuild it with kgprofile profile build"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace kgp
