#include "recommend/algo/params.h"

#include <fmt/format.h>

#include "common/strings.h"

namespace kgp::rec {

namespace {
[[noreturn]] void BadValue(const std::string& key, const std::string& value, const char* want) {
  throw Error(Status::InvalidArgument(fmt::format("parameter {}={}: expected {}", key, value, want)));
}
}  // namespace

double Params::Double(const std::string& key, double def) const {
  used_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return def;
  auto v = ParseDouble(it->second);
  if (!v) BadValue(key, it->second, "a number");
  return *v;
}

int64_t Params::Int(const std::string& key, int64_t def) const {
  used_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return def;
  auto v = ParseInt(it->second);
  if (!v) BadValue(key, it->second, "an integer");
  return *v;
}

bool Params::Bool(const std::string& key, bool def) const {
  used_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return def;
  std::string v = ToLowerAscii(it->second);
  if (v == "1" || v == "true" || v == "yes") return true;
  if (v == "0" || v == "false" || v == "no") return false;
  BadValue(key, it->second, "true or false");
}

std::string Params::String(const std::string& key, const std::string& def) const {
  used_.insert(key);
  auto it = values_.find(key);
  return it == values_.end() ? def : it->second;
}

Status Params::CheckAllUsed(std::string_view model) const {
  std::string unknown;
  for (const auto& [k, v] : values_) {
    if (!used_.count(k)) unknown += (unknown.empty() ? "" : ", ") + k;
  }
  if (unknown.empty()) return Status::Ok();
  std::string known;
  for (const auto& k : used_) known += (known.empty() ? "" : ", ") + k;
  return Status::InvalidArgument(
      fmt::format("model {}: unknown parameter(s) {} (known: {})", model, unknown, known));
}

std::vector<std::string> Params::Keys() const {
  std::vector<std::string> keys;
  for (const auto& [k, v] : values_) keys.push_back(k);
  return keys;
}

std::string Params::ToString() const {
  std::string out;
  for (const auto& [k, v] : values_) out += (out.empty() ? "" : ":") + k + "=" + v;
  return out;
}

Result<ModelSpec> ParseModelSpec(std::string_view spec) {
  auto parts = Split(spec, ':');
  ModelSpec out;
  out.name = ToLowerAscii(Trim(parts[0]));
  if (out.name.empty()) return Status::InvalidArgument(fmt::format("model spec '{}': empty name", spec));
  std::map<std::string, std::string> values;
  for (size_t i = 1; i < parts.size(); ++i) {
    auto eq = parts[i].find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Status::InvalidArgument(
          fmt::format("model spec '{}': '{}' is not key=value", spec, parts[i]));
    }
    values[std::string(Trim(parts[i].substr(0, eq)))] = std::string(Trim(parts[i].substr(eq + 1)));
  }
  out.params = Params(std::move(values));
  return out;
}

}  // namespace kgp::rec
