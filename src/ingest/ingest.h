// Ingest driver: reads one input (file or folder) of a known format into a workspace.
//
// Transactions: each input file is ingested in one SQLite transaction, so a file lands whole
// or not at all. A process killed at any point (SIGKILL included) leaves the database as it
// was before that file; running the same command again completes it. Re-ingesting a file that
// already landed adds nothing: it is recognised by its content fingerprint and skipped, and even
// with --force every event is de-duplicated by its event key (docs/ingest.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "ingest/readers.h"
#include "store/workspace.h"
#include "store/writer.h"

namespace kgp {

struct IngestOptions {
  std::string format;        // empty: detect from the file
  ReaderOptions reader;
  uint64_t max_errors = 0;   // abort and roll back the file past this many rejects; 0 = no limit
  bool force = false;        // read again even if the same content already landed
  std::string rejects_dir;   // where rejects-<file>.csv reports go; empty = WORKSPACE/rejects
};

struct IngestReport {
  std::string path;
  std::string format;
  bool skipped = false;      // same content already ingested
  bool aborted = false;      // --max-errors exceeded: rolled back
  int64_t file_id = 0;
  uint64_t bytes = 0;
  uint64_t records = 0;  // accepted rows of any kind (events, products, users, texts …)
  uint64_t rejects = 0;
  WriterCounts counts;
  std::map<std::string, uint64_t> rejects_by_reason;  // "field: reason" -> count
  std::vector<Reject> first_rejects;                  // up to 10, for the console
  std::string rejects_file;                           // report written, if any rejects
  double seconds = 0;
};

// Ingests one path (a folder format expands to its files, each its own transaction).
Result<std::vector<IngestReport>> Ingest(Workspace& ws, const std::string& path,
                                         const IngestOptions& opts);

// Content fingerprint used to recognise a file already ingested: size + hash of the whole content.
Result<std::string> FileFingerprint(const std::string& path);

}  // namespace kgp
