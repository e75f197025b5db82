// OutFile: a buffered output file whose first write error is kept and reported once, naming
// the path. Not thread-safe.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kgp {
// Buffered output file (exports, generated samples, reports). Write errors are sticky:
// the first one is kept and reported by Close(), naming the path, so the hot loops need no
// checks beyond an occasional ok().
class OutFile {
 public:
  OutFile() = default;
  ~OutFile();
  OutFile(const OutFile&) = delete;
  OutFile& operator=(const OutFile&) = delete;

  Status Open(const std::string& path);
  // Opens for replacing path as a whole (checkpoints, exports): a regular file, or none yet,
  // is written to a temporary file beside it, PATH.tmp.PID.N (this process's pid, a counter;
  // created new, so two writers of one path never share one), and renamed over it by Close(),
  // so a failed or killed write leaves the previous file, never half a new one; a symlink at path is followed (its
  // target is replaced, the link stays); a device, FIFO or socket at path (-o /dev/null) is
  // written directly, never replaced by a regular file.
  Status OpenReplacing(const std::string& path);
  // Whether OpenReplacing(path) and Close() can succeed, checked before the work that produces
  // the content (a training run): a folder at path is InvalidArgument; otherwise a file is
  // created and removed beside the file that would be replaced (IoError naming the folder when
  // it cannot be). A device or FIFO at path is not opened (a FIFO would wait for its reader).
  static Status CheckReplaceable(const std::string& path);
  // Whether a file name is one of OpenReplacing's temporary files: NAME.tmp.PID.N (*pid = PID),
  // or NAME.tmp as earlier versions named them (*pid = 0: writer unknown). A killed writer
  // leaves its temporary file behind (erasure removes those of writers no longer running).
  static bool IsTempName(std::string_view filename, int64_t* pid = nullptr);
  // A new temporary name for target in this process: TARGET.tmp.PID.N (N counts up), which
  // IsTempName recognises. Also for other writers' files and folders that erasure must be able
  // to tell from a live writer's (the neighbour index, a federated run's work folder).
  static std::string TempName(const std::string& target);
  void Write(std::string_view s) {
    buf_.append(s);
    if (buf_.size() >= kFlushBytes) Flush();
  }
  void Put(char c) {
    buf_.push_back(c);
    if (buf_.size() >= kFlushBytes) Flush();
  }
  // Append straight into the buffer, then MaybeFlush(): saves a copy in hot loops.
  std::string& buf() { return buf_; }
  void MaybeFlush() {
    if (buf_.size() >= kFlushBytes) Flush();
  }
  bool ok() const { return err_ == 0; }
  // Flushes and closes; IoError naming the path if any write (or the close) failed. After
  // OpenReplacing, renames the temporary file over the path, or deletes it on failure.
  Status Close();
  // Closes (if open) and deletes the file: used when an export fails half-way. After
  // OpenReplacing, deletes the temporary file and leaves the path as it was. An OutFile
  // destroyed without Close() (an exception) discards its temporary file too.
  void Discard();
  const std::string& path() const { return path_; }

 private:
  static constexpr size_t kFlushBytes = 1 << 20;
  void Flush();
  // Open, but only creating a new file (*exists: it failed because path exists).
  Status OpenNew(const std::string& path, bool* exists);
  // The file OpenReplacing writes: path, or the file a symlink at path points to.
  static std::string ReplaceTarget(const std::string& path);
  FILE* file_ = nullptr;
  std::string path_;
  std::string final_;  // OpenReplacing: the file Close() renames path_ (the temporary) over
  std::string buf_;
  int err_ = 0;  // first errno seen
  bool opened_ = false;  // Open() succeeded: Discard() may delete path_
};

}  // namespace kgp
