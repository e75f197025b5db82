// Prompt templates: prompts/<task>.txt in the repository, compiled into the binary at build
// time (cmake/embed_prompts.cmake), so an installed kgprofile carries the prompts it was built
// with. Format: a first line "version: <task>-vN" (bump it when the text changes: cached texts
// record it), '#' comment lines, then "---system" and "---user" sections with {{name}}
// placeholders. docs/llm.md lists the versions.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "llm/backend.h"

namespace kgp::llm {

struct EmbeddedPrompt {
  std::string_view name;  // file name without .txt
  std::string_view text;
};
const std::vector<EmbeddedPrompt>& EmbeddedPrompts();  // generated

struct PromptTemplate {
  std::string name, version, system, user;
};
// Corruption when the embedded text lacks the version line or a section; NotFound for an
// unknown name.
Result<PromptTemplate> GetPrompt(std::string_view name);
Result<PromptTemplate> ParsePrompt(std::string_view name, std::string_view text);

// System and user messages with every {{key}} replaced; unknown placeholders stay as written.
std::vector<ChatMessage> Render(const PromptTemplate& p, const std::map<std::string, std::string>& vars);

}  // namespace kgp::llm
