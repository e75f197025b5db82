#include "common/config.h"

#include <fstream>

#include <fmt/format.h>

#include "common/strings.h"

namespace kgp {

Result<std::map<std::string, std::string>> ReadKeyValueFile(const std::string& path, std::map<std::string, int>* lines) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(fmt::format("{}: cannot open", path));
  std::map<std::string, std::string> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string_view l = Trim(line);
    if (l.empty() || l[0] == '#') continue;
    size_t eq = l.find('=');
    if (eq == std::string_view::npos)
      return Status::InvalidArgument(fmt::format("{}:{}: expected key = value", path, n));
    std::string key(Trim(l.substr(0, eq)));
    if (lines) (*lines)[key] = n;
    out[key] = std::string(Trim(l.substr(eq + 1)));
  }
  return out;
}

}  // namespace kgp
