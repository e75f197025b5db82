// The language-model step of `kgprofile demo`: a Chinese and an English summary and a
// marketing copy for the demo user, written by the template backend and claim-checked.
#include <iostream>

#include <fmt/format.h>

#include "cli/demo.h"
#include "common/strings.h"
#include "llm/template_backend.h"
#include "llm/writer.h"

namespace kgp::cli {

std::string DemoLlm(Workspace& ws, const std::string& user_ext) {
  auto s = llm::Session::Open(ws);
  if (!s.ok()) throw Error(s.status());
  llm::TemplateBackend backend;
  std::string md = fmt::format(
      "Template backend (no model; `kgprofile llm summary|copy {} --user {} --lang zh|en`). Every product, brand, "
      "category, price and discount named is checked against the facts the prompt carried (docs/llm.md); the user "
      "appears only as a pseudonym.\n\n",
      ws.dir(), user_ext);
  double sum = 0;
  int n = 0;
  for (auto [task, lang] : {std::pair{llm::Task::kSummary, "zh"}, std::pair{llm::Task::kSummary, "en"},
                            std::pair{llm::Task::kCopy, "zh"}, std::pair{llm::Task::kCopy, "en"}}) {
    auto t = (*s)->Generate(backend, task, user_ext, lang);
    if (!t.ok()) throw Error(t.status());
    const std::string head = fmt::format("{} ({}), faithfulness {:.2f} ({}/{} claims)", llm::TaskName(task), lang,
                                         t->faithfulness, t->claims - t->unsupported, t->claims);
    std::cout << "  " << head << ":\n";
    std::string indented;
    for (std::string_view line : Split(t->text, '\n')) indented += "    " + std::string(line) + "\n";
    std::cout << indented;
    md += "**" + head + "**\n\n```\n" + t->text + "\n```\n\n";
    sum += t->faithfulness;
    ++n;
  }
  md += fmt::format("Mean faithfulness of these texts: {:.3f}. Rate over many users: `kgprofile llm faithfulness {}`.\n",
                    sum / n, ws.dir());
  return md;
}

}  // namespace kgp::cli
