// Model parameters as written on the command line: a model spec is `name[:key=value]...`
// (e.g. `ease:lambda=400`, `itemknn:k=100:shrink=10`). Each model reads its keys with a
// default; keys a model never read are an error, so a typo cannot silently fall back to a
// default. Not thread-safe (read once, in the model's constructor path).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kgp::rec {

class Params {
 public:
  Params() = default;
  explicit Params(std::map<std::string, std::string> values) : values_(std::move(values)) {}

  // Each getter records the key as used; a value that does not parse throws Error naming
  // the key (the CLI boundary turns it into one message).
  double Double(const std::string& key, double def) const;
  int64_t Int(const std::string& key, int64_t def) const;
  bool Bool(const std::string& key, bool def) const;
  std::string String(const std::string& key, const std::string& def) const;

  // InvalidArgument naming every key that no getter asked for (call after construction).
  Status CheckAllUsed(std::string_view model) const;
  // "key=value:key=value" in key order ("" when empty): the variant column of a result row.
  std::string ToString() const;
  bool empty() const { return values_.empty(); }
  // Every key given (for models that take keys of their own shape, like blend's "w.ease");
  // the caller marks what it consumes with the getters.
  std::vector<std::string> Keys() const;

 private:
  std::map<std::string, std::string> values_;
  mutable std::set<std::string> used_;
};

struct ModelSpec {
  std::string name;  // lower case, e.g. "ease"
  Params params;
};
// Parses `name[:key=value]...`; InvalidArgument on an empty name or a part without '='.
Result<ModelSpec> ParseModelSpec(std::string_view spec);

}  // namespace kgp::rec
