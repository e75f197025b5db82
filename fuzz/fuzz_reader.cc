// libFuzzer target for one input format (KGP_FUZZ_FORMAT, set per executable by
// fuzz/CMakeLists.txt). The input bytes become a file (memfd, no disk) read by the real reader:
// any crash, hang, sanitizer report or a reader that neither accepts nor rejects is a bug.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "ingest/readers.h"

namespace {
struct CountingSink : kgp::RecordSink {
  uint64_t n = 0;
  void OnEvent(const kgp::EventRecord& e) override { n += e.user.size() + e.item.size(); }
  void OnItem(const kgp::ItemRecord& i) override { n += i.id.size() + i.attributes.size(); }
  void OnUser(const kgp::UserRecord& u) override { n += u.id.size(); }
  void OnText(const kgp::TextRecord& t) override { n += t.body.size(); }
  void OnTriple(const kgp::TripleRecord& t) override { n += t.head.size(); }
  void OnReject(const kgp::Reject& r) override { n += r.line; }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int fd = memfd_create("kgp-fuzz", 0);
  if (fd < 0) std::abort();
  if (size && write(fd, data, size) != static_cast<ssize_t>(size)) std::abort();
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  kgp::ReaderOptions opts;
  opts.columns = {{"user", "0"}, {"item", "1"}, {"time", "2"}, {"type", "3"}, {"price", "4"}};
  opts.has_header = false;
  CountingSink sink;
  (void)kgp::ReadFormat(KGP_FUZZ_FORMAT, path, opts, sink);
  close(fd);
  return 0;
}
