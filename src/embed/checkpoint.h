// Checkpoint files: everything needed to score, predict or resume training.
// Layout: 8-byte magic "KGPEMB\r\n", u32 format version, u64 length + JSON header (model
// config, training summary, entity and relation names), the entity and relation tables
// (little-endian f32), optional optimizer state, and a trailing 64-bit hash of all preceding
// bytes. Readers reject a wrong magic, a newer version, sizes that disagree or a bad hash.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "embed/dataset.h"
#include "embed/model.h"
#include "embed/optimizer.h"

namespace kgp::embed {

inline constexpr uint32_t kCheckpointVersion = 1;

struct Checkpoint {
  ModelConfig config;
  Params params;
  OptimizerState optimizer;
  bool has_optimizer = false;
  std::vector<std::string> entity_names, relation_names;
  int epochs_done = 0;
  nlohmann::json info;  // training options and results, free form
};

// Writes to path via a temporary file and rename (a crash never leaves a half file); a
// device or FIFO at path (-o /dev/null) is written directly (OutFile::OpenReplacing). A NaN or
// infinite number in the header (model settings, info) is InvalidArgument before path is touched:
// JSON would hold it as null, which LoadCheckpoint could not read the model settings back from.
Status SaveCheckpoint(const std::string& path, const Checkpoint& c);
// A null max_norm or init (an infinite value, written before SaveCheckpoint refused them), or a
// null gamma of DistMult or ComplEx (which do not use it), reads as 0: the same behaviour.
Result<Checkpoint> LoadCheckpoint(const std::string& path);

// Exports are written as checkpoints are (OutFile::OpenReplacing): a failed write leaves the
// previous file or none, never a truncated one.
// One line per entity (or relation): name, TAB, space-separated values (9 significant digits:
// exact floats). Backslash, tab, newline and CR in a name are written \\, \t, \n and \r.
Status ExportTsv(const std::string& path, const std::vector<std::string>& names, const FloatTable& table,
                 size_t width);
// NumPy .npy (format 1.0, '<f4', C order) of a rows x width table.
Status ExportNpy(const std::string& path, const FloatTable& table, size_t rows, size_t width);

}  // namespace kgp::embed
