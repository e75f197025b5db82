// Embedding files on disk: a checkpoint written to a FIFO or through a symlink keeps what is at
// the path.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

}  // namespace
}  // namespace kgp::embed
