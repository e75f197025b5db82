// Embedding files on disk: a checkpoint written to a FIFO or through a symlink keeps what is at
// the path; a neighbour index is used only for the tables it was built from, a damaged one is
// refused, and failed writes leave no half file.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/hash.h"
#include "common/rng.h"
#include "embed/ann.h"
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

void Patch(const std::string& path, size_t offset, uint32_t value) {
  std::string bytes = test::ReadFile(path);
  ASSERT_LE(offset + 4, bytes.size());
  std::memcpy(bytes.data() + offset, &value, 4);
  test::WriteFile(path, bytes);
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
  EXPECT_EQ(test::TempFilesOf(fifo), "");

  fs::create_directories(tmp / "real");
  test::WriteFile(tmp / "real/m.kge", "old");
  fs::create_symlink(tmp / "real/m.kge", tmp / "link.kge");
  ASSERT_TRUE(SaveCheckpoint(tmp / "link.kge", SmallCheckpoint()).ok());
  EXPECT_TRUE(fs::is_symlink(tmp / "link.kge"));
  EXPECT_TRUE(LoadCheckpoint(tmp / "real/m.kge").ok());
  EXPECT_EQ(test::TempFilesOf(tmp / "link.kge"), "");
  EXPECT_EQ(test::TempFilesOf(tmp / "real/m.kge"), "");
}

// An index is used only with the rows it was built from: another checkpoint's (same shape or
// not) and a damaged file are refused, never searched (a bad entry point or neighbour id used
// to crash the search); LoadCurrentIndex falls back to none. A failed write keeps the old file.
TEST(EmbedFiles, NeighbourIndexBelongsToItsTablesAndDamageIsRefused) {
  test::TempDir tmp;
  const Params p = Table(1), other = Table(2), wide = Table(1, 300, 32);
  const std::string ck = tmp / "m.kge", path = IndexPathFor(ck);
  auto built = NeighborIndex::Build(p);
  ASSERT_TRUE(built.ok());
  ASSERT_TRUE((*built)->Save(path).ok());
  EXPECT_EQ(test::TempFilesOf(path), "");
  ASSERT_TRUE(NeighborIndex::Load(path, p).ok());
  EXPECT_NE(LoadCurrentIndex(ck, p), nullptr);
  for (const Params* q : {&other, &wide}) {
    auto stale = NeighborIndex::Load(path, *q);
    ASSERT_FALSE(stale.ok()) << "an index of other tables was accepted";
    EXPECT_NE(stale.status().message().find("not the index of these tables"), std::string::npos)
        << stale.status().ToString();
    EXPECT_EQ(LoadCurrentIndex(ck, *q), nullptr);
  }
  const std::string good = test::ReadFile(path);
  // Header byte 52: the entry point; byte 100: element 0's first neighbour id.
  for (size_t offset : {52, 100}) {
    test::WriteFile(path, good);
    Patch(path, offset, 0x7fffff00u);
    auto bad = NeighborIndex::Load(path, p);
    ASSERT_FALSE(bad.ok()) << "byte " << offset;
    EXPECT_EQ(bad.status().code(), Status::Code::kCorruption) << bad.status().ToString();
    EXPECT_EQ(LoadCurrentIndex(ck, p), nullptr);
  }
  test::WriteFile(path, good.substr(0, good.size() / 2));
  EXPECT_FALSE(NeighborIndex::Load(path, p).ok());

  test::WriteFile(path, good);
  Status saved;
  WithFileSizeLimit(4096, [&] { saved = (*built)->Save(path); });
  EXPECT_FALSE(saved.ok()) << "a short index file was reported as written";
  EXPECT_EQ(test::ReadFile(path), good);
  EXPECT_EQ(test::TempFilesOf(path), "");
}

// hnswlib's loader followed the header's label and record offsets before any check: one
// damaged 4-byte field (e.g. ff ff ff 7f at byte 32) crashed predict --neighbors and related.
// Every 4-byte position of the 96-byte header, with values that are too large, zero or off by
// a little, gives either a refusal (the caller falls back to the exact scan) or an index whose
// searches return the tables' entities.
TEST(EmbedFiles, DamagedIndexHeaderIsRefusedNeverFollowed) {
  test::TempDir tmp;
  const Params p = Table(4, 40, 8);
  const std::string path = tmp / "m.kge.hnsw";
  auto built = NeighborIndex::Build(p);
  ASSERT_TRUE(built.ok());
  ASSERT_TRUE((*built)->Save(path).ok());
  const std::string good = test::ReadFile(path);
  size_t refused = 0;
  for (size_t offset = 0; offset < 96; offset += 4) {
    uint32_t was = 0;
    std::memcpy(&was, good.data() + offset, 4);
    for (uint32_t v : {0x7fffffffu, 0xffffffffu, 0u, was + 4}) {
      test::WriteFile(path, good);
      Patch(path, offset, v);
      auto index = NeighborIndex::Load(path, p);
      if (!index.ok()) {
        ++refused;
        EXPECT_TRUE(index.status().code() == Status::Code::kCorruption ||
                    index.status().code() == Status::Code::kInvalidArgument)
            << index.status().ToString();
        continue;
      }
      for (uint32_t e = 0; e < p.num_entities; ++e)
        for (const Scored& s : (*index)->Nearest(p, e, 5)) ASSERT_LT(s.id, p.num_entities) << offset << " " << v;
    }
  }
  EXPECT_GE(refused, 50u);  // the offsets and sizes; mult_, M_, ef_construction_ and max_elements_ go unused
  test::WriteFile(path, good);
  EXPECT_TRUE(NeighborIndex::Load(path, p).ok());
}

// The file with its JSON header passed through edit and the trailing hash recomputed: a
// checkpoint as an older kgprofile could have written it.
void EditHeader(const std::string& path, const std::function<void(nlohmann::json&)>& edit) {
  std::string bytes = test::ReadFile(path);
  uint64_t hlen = 0;
  std::memcpy(&hlen, bytes.data() + 12, 8);
  auto h = nlohmann::json::parse(bytes.substr(20, hlen));
  edit(h);
  const std::string header = h.dump();
  const uint64_t n = header.size();
  std::string out = bytes.substr(0, 12) + std::string(reinterpret_cast<const char*>(&n), 8) + header +
                    bytes.substr(20 + hlen, bytes.size() - 20 - hlen - 8);
  const uint64_t hash = Hash64(out);
  out.append(reinterpret_cast<const char*>(&hash), 8);
  test::WriteFile(path, out);
}

// A NaN or infinite model setting or training option was written as JSON null, and the model
// settings could then never be read back ("type must be number, but is null"): such a checkpoint
// is now refused before the previous file is touched. Files already written that way load when
// the null reads as the same behaviour (max_norm and init: 0; gamma of DistMult/ComplEx: unused).
TEST(EmbedFiles, NonFiniteSettingsAreNotWrittenAndOldFilesWithNullStillLoad) {
  test::TempDir tmp;
  const std::string path = tmp / "m.kge";
  ASSERT_TRUE(SaveCheckpoint(path, SmallCheckpoint()).ok());
  const std::string good = test::ReadFile(path);
  const float inf = std::numeric_limits<float>::infinity();
  for (const char* field : {"gamma", "init", "max_norm", "info.margin"}) {
    Checkpoint c = SmallCheckpoint(2);
    const std::string f = field;
    if (f == "gamma") c.config.gamma = inf;
    if (f == "init") c.config.init = std::numeric_limits<float>::quiet_NaN();
    if (f == "max_norm") c.config.max_norm = inf;
    if (f == "info.margin") c.info = {{"margin", inf}};
    const Status s = SaveCheckpoint(path, c);
    ASSERT_FALSE(s.ok()) << field;
    EXPECT_NE(s.message().find(field), std::string::npos) << s.ToString();
    EXPECT_EQ(test::ReadFile(path), good) << field << ": the previous checkpoint was replaced";
    EXPECT_EQ(test::TempFilesOf(path), "");
  }
  EditHeader(path, [](nlohmann::json& h) { h["max_norm"] = nullptr, h["init"] = nullptr; });
  auto legacy = LoadCheckpoint(path);
  ASSERT_TRUE(legacy.ok()) << legacy.status().ToString();
  EXPECT_EQ(legacy->config.max_norm, 0.0f);
  EXPECT_EQ(legacy->config.init, 0.0f);
  EXPECT_TRUE(legacy->params.entity == SmallCheckpoint().params.entity);
  Checkpoint dot = SmallCheckpoint();
  dot.config.name = "distmult";
  ASSERT_TRUE(SaveCheckpoint(path, dot).ok());
  EditHeader(path, [](nlohmann::json& h) { h["gamma"] = nullptr; });
  EXPECT_TRUE(LoadCheckpoint(path).ok());
  ASSERT_TRUE(SaveCheckpoint(path, SmallCheckpoint()).ok());
  EditHeader(path, [](nlohmann::json& h) { h["gamma"] = nullptr; });
  auto transe = LoadCheckpoint(path);
  ASSERT_FALSE(transe.ok());
  EXPECT_NE(transe.status().message().find("gamma is null"), std::string::npos) << transe.status().ToString();
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
  for (const char* f : {"e.npy", "old.tsv", "new.tsv"}) EXPECT_EQ(test::TempFilesOf(tmp / f), "") << f;
  ASSERT_TRUE(ExportNpy(tmp / "e.npy", p.entity, p.num_entities, p.entity_width).ok());
  EXPECT_EQ(std::filesystem::file_size(tmp / "e.npy"), 128u + 2000 * 16 * 4);
  // A file replaced keeps its mode: an export someone restricted to its owner stays so.
  namespace fs = std::filesystem;
  fs::permissions(tmp / "e.npy", fs::perms::owner_read | fs::perms::owner_write);
  ASSERT_TRUE(ExportNpy(tmp / "e.npy", p.entity, p.num_entities, p.entity_width).ok());
  EXPECT_EQ(fs::status(tmp / "e.npy").permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

}  // namespace
}  // namespace kgp::embed
