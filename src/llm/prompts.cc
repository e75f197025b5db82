#include "llm/prompts.h"

#include <fmt/format.h>

#include "common/strings.h"

namespace kgp::llm {
namespace {

std::string Substitute(std::string_view text, const std::map<std::string, std::string>& vars) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find("{{", i);
    if (open == std::string_view::npos) break;
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    out.append(text.substr(i, open - i));
    auto it = vars.find(std::string(text.substr(open + 2, close - open - 2)));
    if (it != vars.end()) out += it->second;
    else out.append(text.substr(open, close + 2 - open));
    i = close + 2;
  }
  out.append(text.substr(i));
  return out;
}

}  // namespace

Result<PromptTemplate> ParsePrompt(std::string_view name, std::string_view text) {
  PromptTemplate p;
  p.name = std::string(name);
  std::string* section = nullptr;
  for (std::string_view line : Split(text, '\n')) {
    std::string_view t = Trim(line);
    if (p.version.empty()) {
      if (t.empty()) continue;
      if (!StartsWith(t, "version:"))
        return Status::Corruption(fmt::format("prompt {}: the first line must be 'version: …'", name));
      p.version = std::string(Trim(t.substr(8)));
      continue;
    }
    if (t == "---system") { section = &p.system; continue; }
    if (t == "---user") { section = &p.user; continue; }
    if (!section) {
      if (!t.empty() && t[0] != '#') return Status::Corruption(fmt::format("prompt {}: text before ---system", name));
      continue;
    }
    section->append(line);
    section->push_back('\n');
  }
  if (p.version.empty() || p.system.empty() || p.user.empty())
    return Status::Corruption(fmt::format("prompt {}: needs a version line, ---system and ---user", name));
  p.system = std::string(Trim(p.system));
  p.user = std::string(Trim(p.user));
  return p;
}

Result<PromptTemplate> GetPrompt(std::string_view name) {
  for (const auto& e : EmbeddedPrompts())
    if (e.name == name) return ParsePrompt(name, e.text);
  return Status::NotFound(fmt::format("no prompt '{}' (prompts/*.txt)", name));
}

std::vector<ChatMessage> Render(const PromptTemplate& p, const std::map<std::string, std::string>& vars) {
  return {{"system", Substitute(p.system, vars)}, {"user", Substitute(p.user, vars)}};
}

}  // namespace kgp::llm
