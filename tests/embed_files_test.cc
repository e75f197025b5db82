// Embedding files on disk: a checkpoint written to a FIFO or through a symlink keeps what is at
// the path; failed writes leave no half file.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

#include "common/rng.h"
#include "embed/checkpoint.h"
#include "test_util.h"

namespace kgp::embed {
namespace {

namespace fs = std::filesystem;

Checkpoint SmallCheckpoint(uint64_t seed = 1, int dim = 4) {
  Checkpoint c;
  c.config.name = "transe";
  c.config.dim = dim;
  auto model = MakeModel(c.config);
  Rng rng(seed);
  (*model)->Allocate(c.params, 3, 1, rng);
  c.entity_names = {"a", "b", "c"};
  c.relation_names = {"r"};
  return c;
}

// Runs fn with every file write limited to `bytes` (as a full disk or a quota would), SIGXFSZ
// ignored so that the write fails with EFBIG instead of ending the process.
template <class Fn>
void WithFileSizeLimit(rlim_t bytes, Fn fn) {
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto* previous = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = bytes;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  fn();
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, previous);
}

Params Table(uint64_t seed, size_t rows = 300, int dim = 16) {
  ModelConfig c;
  c.name = "distmult";
  c.dim = dim;
  Params p;
  Rng rng(seed);
  (*MakeModel(c))->Allocate(p, rows, 1, rng);
  return p;
}

// -o PATH naming a FIFO (or a device such as /dev/null) writes through it: the FIFO stays, its
// reader gets the checkpoint. A symlink keeps pointing at the file, which gets the new content.
TEST(EmbedFiles, CheckpointIsWrittenThroughAFifoAndASymlink) {
  test::TempDir tmp;
  const std::string fifo = tmp / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Held open read-write so that the reader's open returns at once and its read ends when
  // this is closed, whatever the writer did (no hang if the FIFO were replaced).
  const int keep = ::open(fifo.c_str(), O_RDWR);
  ASSERT_GE(keep, 0);
  const int fd = ::open(fifo.c_str(), O_RDONLY);  // does not block: `keep` is a writer
  ASSERT_GE(fd, 0);
  std::string got;
  std::thread reader([&] {
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
    ::close(fd);
  });
  const Status saved = SaveCheckpoint(fifo, SmallCheckpoint());
  ::close(keep);
  reader.join();
  ASSERT_TRUE(saved.ok()) << saved.ToString();
  EXPECT_TRUE(fs::is_fifo(fifo)) << "the FIFO was replaced by a regular file";
  test::WriteFile(tmp / "from_pipe.kge", got);
  EXPECT_TRUE(LoadCheckpoint(tmp / "from_pipe.kge").ok()) << got.size() << " bytes came through the FIFO";
  EXPECT_FALSE(fs::exists(fifo + ".tmp"));

  fs::create_directories(tmp / "real");
  test::WriteFile(tmp / "real/m.kge", "old");
  fs::create_symlink(tmp / "real/m.kge", tmp / "link.kge");
  ASSERT_TRUE(SaveCheckpoint(tmp / "link.kge", SmallCheckpoint()).ok());
  EXPECT_TRUE(fs::is_symlink(tmp / "link.kge"));
  EXPECT_TRUE(LoadCheckpoint(tmp / "real/m.kge").ok());
  EXPECT_FALSE(fs::exists(tmp / "link.kge.tmp"));
  EXPECT_FALSE(fs::exists(tmp / "real/m.kge.tmp"));
}

// An export that cannot be written whole (disk full, quota) leaves the previous file, or none,
// never a truncated table whose .npy header promises more rows than follow.
TEST(EmbedFiles, FailedExportsLeaveNoTruncatedFile) {
  test::TempDir tmp;
  const Params p = Table(3, 2000, 16);
  std::vector<std::string> names;
  for (size_t i = 0; i < p.num_entities; ++i) names.push_back("entity:" + std::to_string(i));
  test::WriteFile(tmp / "old.tsv", "previous\n");
  Status npy, tsv, fresh;
  WithFileSizeLimit(10240, [&] {
    npy = ExportNpy(tmp / "e.npy", p.entity, p.num_entities, p.entity_width);
    tsv = ExportTsv(tmp / "old.tsv", names, p.entity, p.entity_width);
    fresh = ExportTsv(tmp / "new.tsv", names, p.entity, p.entity_width);
  });
  EXPECT_FALSE(npy.ok());
  EXPECT_FALSE(tsv.ok());
  EXPECT_FALSE(fresh.ok());
  EXPECT_FALSE(std::filesystem::exists(tmp / "e.npy")) << "a truncated .npy was left";
  EXPECT_EQ(test::ReadFile(tmp / "old.tsv"), "previous\n");
  EXPECT_FALSE(std::filesystem::exists(tmp / "new.tsv"));
  for (const char* f : {"e.npy.tmp", "old.tsv.tmp", "new.tsv.tmp"}) EXPECT_FALSE(std::filesystem::exists(tmp / f)) << f;
  ASSERT_TRUE(ExportNpy(tmp / "e.npy", p.entity, p.num_entities, p.entity_width).ok());
  EXPECT_EQ(std::filesystem::file_size(tmp / "e.npy"), 128u + 2000 * 16 * 4);
}

}  // namespace
}  // namespace kgp::embed
